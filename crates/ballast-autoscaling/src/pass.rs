//! One pass of the controller over every group: observe, decide
//! (`ballast_core::autoscaling::step`), act, all in one transaction per
//! group.

use std::collections::HashMap;
use std::time::UNIX_EPOCH;

use ballast_core::autoscaling::group::GROUP_NAME_TAG;
use ballast_core::autoscaling::step::{self, Action, Observation, World};
use ballast_core::autoscaling::{Group, TemplateSpec, iso8601};
use ballast_core::ec2::launch::{LaunchRequest, TagRequest};
use ballast_core::ec2::launch_template::TemplateRef;
use ballast_core::elbv2::{Registration, TargetGroup, TargetGroupUsage};
use ballast_store::{StoreError, TemplateChoice, Tx};

use crate::Inner;
use crate::notify::Notice;

/// A pass failed: the store did.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PassError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a pass did that others must hear about.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub instances_changed: bool,
    pub targets_changed: bool,
    pub notices: Vec<Notice>,
}

/// A launch that failed: a rule said no (bad template, no addresses), or
/// the store failed.
#[derive(Debug, thiserror::Error)]
enum LaunchError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Rule(#[from] ballast_core::ec2::Error),
}

fn now_millis(inner: &Inner) -> i64 {
    inner
        .clock
        .now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

pub(crate) fn run(inner: &Inner) -> Result<Outcome, PassError> {
    let names: Vec<String> = inner
        .store
        .read(|tx| tx.asg_groups())?
        .into_iter()
        .map(|g| g.name)
        .collect();
    let mut outcome = Outcome::default();
    for name in names {
        inner
            .store
            .write(|tx| group_pass(inner, tx, &name, &mut outcome))?;
    }
    Ok(outcome)
}

/// Target groups and their registrations, read once per group pass.
struct Targets {
    groups: HashMap<String, TargetGroup>,
    registrations: HashMap<String, Vec<Registration>>,
    usage: TargetGroupUsage,
}

fn group_pass(
    inner: &Inner,
    tx: &Tx<'_>,
    name: &str,
    outcome: &mut Outcome,
) -> Result<(), PassError> {
    let Some(mut group) = tx.asg_group(name)? else {
        return Ok(());
    };
    let before = group.clone();
    let now = now_millis(inner);
    let mut targets = Targets {
        groups: HashMap::new(),
        registrations: HashMap::new(),
        usage: TargetGroupUsage::new(&tx.listeners()?, &tx.rules()?),
    };
    for attachment in &group.target_groups {
        let arn = &attachment.target_group_arn;
        if let Some(tg) = tx.target_group(arn)? {
            targets
                .registrations
                .insert(arn.clone(), tx.targets_of(arn)?);
            targets.groups.insert(arn.clone(), tg);
        }
    }
    let world = World {
        now_millis: now,
        scale: inner.scale,
        observations: observe(inner, tx, &group, &mut targets, now, outcome)?,
    };
    let actions = step::step(&mut group, &world, &inner.ids);
    let mut deleted = false;
    for action in actions {
        match action {
            Action::Launch {
                zone,
                template,
                capacity_before,
            } => {
                if now < group.launch_backoff_until {
                    continue;
                }
                launch(inner, tx, &mut group, &zone, template, capacity_before, now)?;
                outcome.instances_changed = true;
            }
            Action::Register {
                instance_id,
                target_group_arn,
            } => {
                if register(tx, &targets, &instance_id, &target_group_arn, now)? {
                    outcome.targets_changed = true;
                }
            }
            Action::Deregister {
                instance_id,
                target_group_arn,
            } => {
                if deregister(tx, &targets, &instance_id, &target_group_arn, now)? {
                    outcome.targets_changed = true;
                }
            }
            Action::TerminateInstance { instance_id } => {
                if let Some(mut instance) = tx.instance(&instance_id)? {
                    // Termination protection does not stop Auto Scaling, as
                    // on AWS.
                    instance.disable_api_termination = false;
                    if instance.terminate(now, &iso8601(now)).is_ok() {
                        instance.transition_reason =
                            format!("Service initiated ({})", iso8601(now));
                        tx.save_instance(&instance)?;
                        outcome.instances_changed = true;
                        tracing::info!(group = group.name, instance_id, "terminating instance");
                    }
                }
            }
            Action::Notify {
                hook,
                instance_id,
                token,
            } => outcome.notices.push(Notice {
                hook,
                token,
                instance_id,
                group_name: group.name.clone(),
                group_arn: group.arn.clone(),
                group_handler: group
                    .tags
                    .iter()
                    .find(|t| t.key == crate::notify::HANDLER_TAG)
                    .map(|t| t.value.clone()),
                event_id: inner.ids.request_id(),
                time: iso8601(now),
            }),
            Action::Record(activity) => tx.save_activity(&activity)?,
            Action::DeleteGroup => {
                tx.delete_asg_group(&group.name)?;
                deleted = true;
                tracing::info!(group = group.name, "deleted after its instances ended");
            }
        }
    }
    if !deleted && group != before {
        tx.save_asg_group(&group)?;
    }
    Ok(())
}

/// What the world says about each member: its instance's state and its
/// registrations and health in the group's target groups. Registrations
/// whose drain is over (or that no load balancer uses) are removed here.
fn observe(
    inner: &Inner,
    tx: &Tx<'_>,
    group: &Group,
    targets: &mut Targets,
    now: i64,
    outcome: &mut Outcome,
) -> Result<HashMap<String, Observation>, PassError> {
    let mut out = HashMap::new();
    for m in &group.instances {
        let mut obs = Observation {
            state: tx.instance(&m.instance_id)?.map(|i| i.state),
            ..Observation::default()
        };
        for (arn, registrations) in &mut targets.registrations {
            let Some(tg) = targets.groups.get(arn) else {
                continue;
            };
            let used = targets.usage.is_used(arn);
            let delay = ballast_core::autoscaling::scaled_millis(
                tg.attributes.deregistration_delay_seconds(),
                inner.scale,
            );
            let mut reaped = Vec::new();
            for reg in registrations.iter().filter(|r| r.id == m.instance_id) {
                if reg.is_draining() {
                    if !used || reg.drained_at(delay).is_some_and(|at| now >= at) {
                        tx.delete_target(arn, &reg.id, reg.port)?;
                        reaped.push(reg.port);
                        outcome.targets_changed = true;
                    } else if !obs.present_in.contains(arn) {
                        obs.present_in.push(arn.clone());
                    }
                    continue;
                }
                if !obs.present_in.contains(arn) {
                    obs.present_in.push(arn.clone());
                }
                if !obs.live_in.contains(arn) {
                    obs.live_in.push(arn.clone());
                }
                if let Some(health) = inner.data_plane.target_health(arn, &reg.id, reg.port) {
                    if health.is_healthy() && !obs.healthy_in.contains(arn) {
                        obs.healthy_in.push(arn.clone());
                    }
                    if health.is_unhealthy() && !obs.unhealthy_in.contains(arn) {
                        obs.unhealthy_in.push(arn.clone());
                    }
                }
            }
            registrations.retain(|r| !(r.id == m.instance_id && reaped.contains(&r.port)));
        }
        out.insert(m.instance_id.clone(), obs);
    }
    Ok(out)
}

/// Launches one instance for the group through the store's launch path;
/// a refused launch becomes a failed activity and holds launches back.
fn launch(
    inner: &Inner,
    tx: &Tx<'_>,
    group: &mut Group,
    zone: &str,
    template: TemplateSpec,
    capacity_before: u32,
    now: i64,
) -> Result<(), PassError> {
    let region = &inner.scope.region;
    let request = LaunchRequest {
        zone: Some(zone.to_owned()),
        min_count: Some(1),
        max_count: Some(1),
        tag_specifications: Some(vec![TagRequest {
            resource_type: Some("instance".to_owned()),
            tags: group.launch_tags(),
        }]),
        ..LaunchRequest::default()
    };
    let choice = TemplateChoice {
        template: TemplateRef::Id(template.id.clone()),
        version: template.version.clone(),
    };
    let launched = (|| -> Result<_, LaunchError> {
        let mut prepared = tx.prepare_launch::<LaunchError>(request, Some(&choice), region)?;
        prepared
            .launch
            .tags
            .push((GROUP_NAME_TAG.to_owned(), group.name.clone()));
        let resources = tx.launch_resources::<LaunchError>(
            &prepared.launch,
            &inner.scope.account,
            &inner.ids,
            now,
        )?;
        tx.launch_instances::<LaunchError>(
            &prepared,
            zone,
            resources,
            region,
            inner.options.instance_addresses,
            &inner.ids,
            now,
        )
    })();
    match launched {
        Ok(instances) => {
            for instance in instances {
                let activity = group.launched(
                    &instance.id,
                    zone,
                    &instance.subnet_id,
                    &instance.instance_type,
                    &instance.image_id,
                    template.clone(),
                    capacity_before,
                    inner.ids.request_id(),
                    now,
                );
                tx.save_activity(&activity)?;
                tracing::info!(group = group.name, instance = instance.id, zone, "launched");
            }
            Ok(())
        }
        Err(LaunchError::Rule(rule)) => {
            tracing::warn!(group = group.name, %rule, "launch failed");
            let activity = group.launch_failed(
                zone,
                &rule.to_string(),
                inner.ids.request_id(),
                inner.scale,
                now,
            );
            tx.save_activity(&activity)?;
            Ok(())
        }
        Err(LaunchError::Store(error)) => Err(error.into()),
    }
}

/// Registers an instance with a target group on the group's port (a
/// draining registration starts over); `true` if anything changed.
fn register(
    tx: &Tx<'_>,
    targets: &Targets,
    instance_id: &str,
    arn: &str,
    now: i64,
) -> Result<bool, PassError> {
    let Some(tg) = targets.groups.get(arn) else {
        return Ok(false);
    };
    let Some(port) = tg.port else {
        return Ok(false);
    };
    let existing = targets
        .registrations
        .get(arn)
        .and_then(|regs| regs.iter().find(|r| r.id == instance_id && r.port == port));
    match existing {
        Some(current) if !current.is_draining() => Ok(false),
        _ => {
            tx.save_target(&Registration {
                target_group_arn: arn.to_owned(),
                id: instance_id.to_owned(),
                port,
                availability_zone: None,
                registered_millis: now,
                draining_since_millis: None,
            })?;
            Ok(true)
        }
    }
}

/// Deregisters an instance from a target group: draining where a load
/// balancer uses the group, removed at once where none does.
fn deregister(
    tx: &Tx<'_>,
    targets: &Targets,
    instance_id: &str,
    arn: &str,
    now: i64,
) -> Result<bool, PassError> {
    let mut changed = false;
    for reg in targets
        .registrations
        .get(arn)
        .into_iter()
        .flatten()
        .filter(|r| r.id == instance_id && !r.is_draining())
    {
        if targets.usage.is_used(arn) {
            tx.save_target(&Registration {
                draining_since_millis: Some(now),
                ..reg.clone()
            })?;
        } else {
            tx.delete_target(arn, &reg.id, reg.port)?;
        }
        changed = true;
    }
    Ok(changed)
}
