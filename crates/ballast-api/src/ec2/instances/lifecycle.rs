//! Start, Stop, Reboot and TerminateInstances, and metadata options.
//!
//! Each call moves every named instance in one transaction (all exist or
//! none moves) and tells the fleet, which does the work and completes the
//! transition (`stopping` → `stopped`, …).

use ballast_core::ec2::Error as Rule;
use ballast_core::ec2::instance::{Instance, MetadataChange, StateChange};

use super::model::*;
use super::{Error, metadata_view, named, one, state_view};
use crate::ApiState;
use crate::ec2::dry_run;
use crate::ec2::model::ReturnOutput;

/// The time in the `StateTransitionReason` of user-initiated transitions,
/// as EC2 writes it: `User initiated (2026-11-22 10:00:00 GMT)`.
fn reason_time(state: &ApiState) -> String {
    let iso = state.now().to_iso8601();
    // 2026-11-22T10:00:00.000Z → 2026-11-22 10:00:00 GMT
    format!("{} GMT", iso.get(..19).unwrap_or(&iso).replace('T', " "))
}

/// Applies `change` to every named instance, atomically.
fn transition(
    state: &ApiState,
    ids: Option<Vec<String>>,
    dry: Option<bool>,
    change: impl Fn(&mut Instance) -> Result<StateChange, Rule>,
) -> Result<InstanceStateChangesOutput, Error> {
    let ids = ids.unwrap_or_default();
    let changes = state.store.write(|tx| -> Result<_, Error> {
        let mut instances = named(tx, &ids)?;
        let mut changes = Vec::with_capacity(instances.len());
        for instance in &mut instances {
            changes.push((instance.id.clone(), change(instance)?));
        }
        dry_run(dry)?;
        for instance in &instances {
            tx.save_instance(instance)?;
        }
        Ok(changes)
    })?;
    state.fleet.changed();
    Ok(InstanceStateChangesOutput {
        instances: changes
            .into_iter()
            .map(|(instance_id, change)| InstanceStateChange {
                instance_id,
                current_state: state_view(change.current),
                previous_state: state_view(change.previous),
            })
            .collect(),
    })
}

pub(crate) fn start(
    state: &ApiState,
    input: InstanceIdsInput,
) -> Result<InstanceStateChangesOutput, Error> {
    let now = state.now().millis();
    transition(state, input.instance_ids, input.dry_run, |i| i.start(now))
}

pub(crate) fn stop(
    state: &ApiState,
    input: InstanceIdsInput,
) -> Result<InstanceStateChangesOutput, Error> {
    let now = state.now().millis();
    let when = reason_time(state);
    transition(state, input.instance_ids, input.dry_run, |i| {
        i.stop(now, &when)
    })
}

pub(crate) fn terminate(
    state: &ApiState,
    input: InstanceIdsInput,
) -> Result<InstanceStateChangesOutput, Error> {
    let now = state.now().millis();
    let when = reason_time(state);
    transition(state, input.instance_ids, input.dry_run, |i| {
        i.terminate(now, &when)
    })
}

pub(crate) fn reboot(state: &ApiState, input: InstanceIdsInput) -> Result<ReturnOutput, Error> {
    let ids = input.instance_ids.unwrap_or_default();
    state.store.write(|tx| -> Result<_, Error> {
        let mut instances = named(tx, &ids)?;
        for instance in &mut instances {
            instance.reboot()?;
        }
        dry_run(input.dry_run)?;
        for instance in &instances {
            tx.save_instance(instance)?;
        }
        Ok(())
    })?;
    state.fleet.changed();
    Ok(ReturnOutput { ok: true })
}

pub(crate) fn modify_metadata_options(
    state: &ApiState,
    input: ModifyInstanceMetadataOptionsInput,
) -> Result<ModifyInstanceMetadataOptionsOutput, Error> {
    let change = MetadataChange {
        http_tokens: input.http_tokens,
        http_put_response_hop_limit: input.http_put_response_hop_limit,
        http_endpoint: input.http_endpoint,
        instance_metadata_tags: input.instance_metadata_tags,
    };
    let instance = state.store.write(|tx| -> Result<_, Error> {
        let mut instance = one(tx, input.instance_id.as_deref())?;
        instance.metadata.apply(change)?;
        dry_run(input.dry_run)?;
        tx.save_instance(&instance)?;
        Ok(instance)
    })?;
    state.fleet.changed();
    Ok(ModifyInstanceMetadataOptionsOutput {
        instance_id: instance.id,
        instance_metadata_options: metadata_view(&instance.metadata, "pending"),
    })
}
