//! Start, Stop, Reboot and TerminateInstances, and metadata options.
//!
//! Each call moves every named instance in one transaction (all exist or
//! none moves) and tells the fleet, which does the work and completes the
//! transition (`stopping` → `stopped`, …).

use ballast_core::ec2::Error as Rule;
use ballast_core::ec2::instance::{Instance, MetadataChange, StateChange};

use ballast_model::ec2::{
    InstanceStateChange, ModifyInstanceMetadataOptionsInput, ModifyInstanceMetadataOptionsOutput,
    RebootInstancesInput, StartInstancesInput, StartInstancesOutput, StopInstancesInput,
    StopInstancesOutput, TerminateInstancesInput, TerminateInstancesOutput,
};

use super::{Error, metadata_view, named, one, state_view};
use crate::ApiState;
use crate::ec2::dry_run;

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
    ids: Vec<String>,
    dry: Option<bool>,
    change: impl Fn(&mut Instance) -> Result<StateChange, Rule>,
) -> Result<Vec<InstanceStateChange>, Error> {
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
    Ok(changes
        .into_iter()
        .map(|(instance_id, change)| InstanceStateChange {
            instance_id: Some(instance_id),
            current_state: Some(state_view(change.current)),
            previous_state: Some(state_view(change.previous)),
        })
        .collect())
}

pub(crate) fn start(
    state: &ApiState,
    input: StartInstancesInput,
) -> Result<StartInstancesOutput, Error> {
    let now = state.now().millis();
    let ids = input.instance_ids.into_inner();
    Ok(StartInstancesOutput {
        starting_instances: Some(transition(state, ids, input.dry_run, |i| i.start(now))?),
    })
}

pub(crate) fn stop(
    state: &ApiState,
    input: StopInstancesInput,
) -> Result<StopInstancesOutput, Error> {
    let now = state.now().millis();
    let when = reason_time(state);
    let ids = input.instance_ids.into_inner();
    Ok(StopInstancesOutput {
        stopping_instances: Some(transition(state, ids, input.dry_run, |i| {
            i.stop(now, &when)
        })?),
    })
}

pub(crate) fn terminate(
    state: &ApiState,
    input: TerminateInstancesInput,
) -> Result<TerminateInstancesOutput, Error> {
    let now = state.now().millis();
    let when = reason_time(state);
    let ids = input.instance_ids.into_inner();
    Ok(TerminateInstancesOutput {
        terminating_instances: Some(transition(state, ids, input.dry_run, |i| {
            i.terminate(now, &when)
        })?),
    })
}

/// RebootInstances: the model gives it no output, so the response carries
/// only its `requestId`.
pub(crate) fn reboot(state: &ApiState, input: RebootInstancesInput) -> Result<(), Error> {
    let ids = input.instance_ids.into_inner();
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
    Ok(())
}

pub(crate) fn modify_metadata_options(
    state: &ApiState,
    input: ModifyInstanceMetadataOptionsInput,
) -> Result<ModifyInstanceMetadataOptionsOutput, Error> {
    let change = MetadataChange {
        http_tokens: input.http_tokens.map(|v| v.to_string()),
        http_put_response_hop_limit: input.http_put_response_hop_limit,
        http_endpoint: input.http_endpoint.map(|v| v.to_string()),
        instance_metadata_tags: input.instance_metadata_tags.map(|v| v.to_string()),
    };
    let instance = state.store.write(|tx| -> Result<_, Error> {
        let mut instance = one(tx, Some(input.instance_id.as_str()))?;
        instance.metadata.apply(change)?;
        dry_run(input.dry_run)?;
        tx.save_instance(&instance)?;
        Ok(instance)
    })?;
    state.fleet.changed();
    Ok(ModifyInstanceMetadataOptionsOutput {
        instance_id: Some(instance.id),
        instance_metadata_options: Some(metadata_view(&instance.metadata, "pending")),
    })
}
