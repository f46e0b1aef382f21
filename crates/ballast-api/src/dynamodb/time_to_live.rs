//! UpdateTimeToLive and DescribeTimeToLive.
//!
//! The switch is immediate: AWS shows ENABLING/DISABLING for up to an hour,
//! Ballast goes straight to ENABLED/DISABLED, so scripts that wait for
//! ENABLED go on at once and a table's TTL is in force from the answer on.
//! Expired items are deleted by the binary's sweeper
//! (`Tx::sweep_expired_ddb_items`), not here.

use ballast_core::dynamodb::table::Status;
use ballast_core::dynamodb::ttl;

use ballast_model::dynamodb::{
    DescribeTimeToLiveInput, DescribeTimeToLiveOutput, TimeToLiveDescription,
    TimeToLiveSpecification, TimeToLiveStatus, UpdateTimeToLiveInput, UpdateTimeToLiveOutput,
};

use super::Error;
use super::tables::{existing, in_use};
use crate::ApiState;

pub(super) fn describe(
    state: &ApiState,
    input: DescribeTimeToLiveInput,
) -> Result<DescribeTimeToLiveOutput, Error> {
    state.store.read(|tx| {
        let (_, table, _) = existing(state, tx, &input.table_name)?;
        let status = if table.time_to_live.is_some() {
            "ENABLED"
        } else {
            "DISABLED"
        };
        Ok(DescribeTimeToLiveOutput {
            time_to_live_description: Some(TimeToLiveDescription {
                time_to_live_status: Some(TimeToLiveStatus::from(status)),
                attribute_name: table.time_to_live,
            }),
        })
    })
}

pub(super) fn update(
    state: &ApiState,
    input: UpdateTimeToLiveInput,
) -> Result<UpdateTimeToLiveOutput, Error> {
    // The specification is checked before the table is looked up, as AWS
    // does (the model has required both of its members).
    let spec = input.time_to_live_specification;
    let (enabled, attribute) = ttl::specification(Some(spec.enabled), Some(&spec.attribute_name))?;
    state.store.write(|tx| {
        let (id, mut table, status) = existing(state, tx, &input.table_name)?;
        if !matches!(status, Status::Active | Status::Updating) {
            return Err(in_use(&table.name, status));
        }
        table.time_to_live = ttl::update(table.time_to_live.as_deref(), enabled, attribute)?;
        tx.update_ddb_table(id, &table)?;
        // Every item's expiry follows in the same transaction, so items
        // written before TTL was enabled expire too.
        tx.refresh_ddb_ttl(id, &table)?;
        Ok(UpdateTimeToLiveOutput {
            time_to_live_specification: Some(TimeToLiveSpecification {
                enabled,
                attribute_name: attribute.to_owned(),
            }),
        })
    })
}
