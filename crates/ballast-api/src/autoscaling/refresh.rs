//! Instance refreshes.

use ballast_core::autoscaling::refresh::{InstanceRefresh as Refresh, RefreshSpec};
use ballast_core::autoscaling::{Error as Rule, Lifecycle, TemplateSpec};
use ballast_core::paging::page;
use ballast_model::autoscaling::*;
use ballast_store::Tx;
use ballast_wire::Timestamp;

use super::{Error, change, int, load, paging, template_spec, template_view};
use crate::ApiState;

pub(super) fn start(
    state: &ApiState,
    input: StartInstanceRefreshInput,
) -> Result<StartInstanceRefreshOutput, Error> {
    let preferences = input.preferences.unwrap_or_default();
    let spec = RefreshSpec {
        strategy: input.strategy.map(|s| s.as_str().to_owned()),
        min_healthy_percentage: preferences.min_healthy_percentage,
        max_healthy_percentage: preferences.max_healthy_percentage,
        instance_warmup: preferences.instance_warmup,
        skip_matching: preferences.skip_matching,
        checkpoints: preferences
            .checkpoint_percentages
            .as_ref()
            .is_some_and(|c| !c.is_empty()),
        auto_rollback: preferences.auto_rollback,
    };
    let id = state.ids.request_id();
    let now = state.now().millis();
    change(state, &input.auto_scaling_group_name, |tx, group| {
        if group.active_refresh().is_some() {
            return Err(Rule::InstanceRefreshInProgress(format!(
                "An Instance Refresh is already in progress and blocks the execution of this Instance Refresh for group {}.",
                group.name
            ))
            .into());
        }
        let desired = input
            .desired_configuration
            .as_ref()
            .and_then(|d| d.launch_template.as_ref())
            .map(|t| template_spec(tx, t))
            .transpose()?;
        let instances: Vec<String> = group
            .instances
            .iter()
            // Scale-in protected instances are left alone (the `Ignore`
            // preference Ballast shows), as are those in Standby.
            .filter(|m| !m.protected)
            .filter(|m| {
                matches!(
                    m.lifecycle,
                    Lifecycle::InService
                        | Lifecycle::Pending
                        | Lifecycle::PendingWait
                        | Lifecycle::PendingProceed
                )
            })
            .map(|m| m.instance_id.clone())
            .collect();
        let refresh = Refresh::start(id.clone(), spec, desired, instances, now)?;
        group.refreshes.insert(0, refresh);
        Ok(())
    })?;
    Ok(StartInstanceRefreshOutput {
        instance_refresh_id: Some(id),
    })
}

fn view(group_name: &str, r: &Refresh) -> InstanceRefresh {
    let percentage_complete = int(r.percentage_complete());
    let instances_to_update = int(r.instances_to_update);
    InstanceRefresh {
        instance_refresh_id: Some(r.id.clone()),
        auto_scaling_group_name: Some(group_name.to_owned()),
        status: Some(InstanceRefreshStatus::from(r.status.name())),
        status_reason: r.status_reason.clone(),
        start_time: Some(Timestamp::from_millis(r.start_millis)),
        end_time: r.end_millis.map(Timestamp::from_millis),
        percentage_complete: Some(percentage_complete),
        instances_to_update: Some(instances_to_update),
        progress_details: Some(InstanceRefreshProgressDetails {
            live_pool_progress: Some(InstanceRefreshLivePoolProgress {
                percentage_complete: Some(percentage_complete),
                instances_to_update: Some(instances_to_update),
            }),
            warm_pool_progress: None,
        }),
        preferences: Some(RefreshPreferences {
            min_healthy_percentage: i32::try_from(r.min_healthy_percentage).ok(),
            max_healthy_percentage: i32::try_from(r.max_healthy_percentage).ok(),
            instance_warmup: r.instance_warmup.and_then(|w| i32::try_from(w).ok()),
            skip_matching: Some(r.skip_matching),
            auto_rollback: Some(r.auto_rollback),
            scale_in_protected_instances: Some(ScaleInProtectedInstances::Ignore),
            standby_instances: Some(StandbyInstances::Ignore),
            ..RefreshPreferences::default()
        }),
        desired_configuration: r.desired_template.as_ref().map(|t| DesiredConfiguration {
            launch_template: template_view(t),
            mixed_instances_policy: None,
        }),
        rollback_details: r.rollback.as_ref().map(|b| RollbackDetails {
            rollback_reason: Some(b.reason.clone()),
            rollback_start_time: Some(Timestamp::from_millis(b.start_millis)),
            percentage_complete_on_rollback: Some(int(b.percentage_complete)),
            instances_to_update_on_rollback: Some(int(b.instances_to_update)),
            progress_details_on_rollback: Some(InstanceRefreshProgressDetails {
                live_pool_progress: Some(InstanceRefreshLivePoolProgress {
                    percentage_complete: Some(int(b.percentage_complete)),
                    instances_to_update: Some(int(b.instances_to_update)),
                }),
                warm_pool_progress: None,
            }),
        }),
        strategy: Some(RefreshStrategy::Rolling),
    }
}

pub(super) fn describe(
    state: &ApiState,
    input: DescribeInstanceRefreshesInput,
) -> Result<DescribeInstanceRefreshesOutput, Error> {
    let (size, after) = paging(input.max_records, input.next_token.as_deref(), 50, 100)?;
    let group = state
        .store
        .read(|tx| load(tx, &input.auto_scaling_group_name))?;
    let ids = input.instance_refresh_ids.unwrap_or_default();
    let selected: Vec<(String, InstanceRefresh)> = group
        .refreshes
        .iter()
        .filter(|r| ids.is_empty() || ids.contains(&r.id))
        .enumerate()
        .map(|(i, r)| (format!("{i:010}"), view(&group.name, r)))
        .collect();
    let (selected, next_token) = page(selected, |(k, _)| k.as_str(), after.as_deref(), size);
    Ok(DescribeInstanceRefreshesOutput {
        instance_refreshes: Some(selected.into_iter().map(|(_, r)| r).collect()),
        next_token,
    })
}

pub(super) fn cancel(
    state: &ApiState,
    input: CancelInstanceRefreshInput,
) -> Result<CancelInstanceRefreshOutput, Error> {
    let id = change(state, &input.auto_scaling_group_name, |_, group| {
        let refresh = group
            .refreshes
            .iter_mut()
            .find(|r| r.status.is_active())
            .ok_or_else(no_active_refresh)?;
        refresh.status = ballast_core::autoscaling::RefreshStatus::Cancelling;
        Ok(refresh.id.clone())
    })?;
    Ok(CancelInstanceRefreshOutput {
        instance_refresh_id: Some(id),
    })
}

/// The `ImageId` of the numbered launch template version `spec` names;
/// `None` for anything else (a launch configuration, `$Latest`), which
/// the rollback's own checks refuse or allow.
fn numbered_version_image(tx: &Tx<'_>, spec: &TemplateSpec) -> Result<Option<String>, Error> {
    let Some(number) = spec.version.as_deref().and_then(|v| v.parse::<i64>().ok()) else {
        return Ok(None);
    };
    if spec.configuration.is_some() {
        return Ok(None);
    }
    Ok(tx
        .launch_template_version(&spec.id, number)?
        .and_then(|version| version.data.image_id))
}

/// RollbackInstanceRefresh: the active refresh turns around, and the
/// instances it launched are replaced from the group's own configuration.
pub(super) fn roll_back(
    state: &ApiState,
    input: RollbackInstanceRefreshInput,
) -> Result<RollbackInstanceRefreshOutput, Error> {
    let now = state.now().millis();
    let id = change(state, &input.auto_scaling_group_name, |tx, group| {
        let group_template = group.launch_template.clone();
        let group_image = numbered_version_image(tx, &group_template)?;
        let refresh = group
            .refreshes
            .iter_mut()
            .find(|r| r.status.is_active())
            .ok_or_else(no_active_refresh)?;
        let launched = refresh.launched_by(&group.instances);
        refresh.roll_back(
            &group_template,
            group_image.as_deref(),
            launched,
            "Rollback requested by user.",
            now,
        )?;
        Ok(refresh.id.clone())
    })?;
    Ok(RollbackInstanceRefreshOutput {
        instance_refresh_id: Some(id),
    })
}

fn no_active_refresh() -> Rule {
    Rule::ActiveInstanceRefreshNotFound(
        "No in progress or pending Instance Refresh found for Auto Scaling group".to_owned(),
    )
}
