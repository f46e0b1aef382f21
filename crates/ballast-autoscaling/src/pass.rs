//! One pass of the controller over every group: observe, decide
//! (`ballast_core::autoscaling::step`), act, all in one transaction per
//! group.

use std::collections::HashMap;

use ballast_core::autoscaling::group::GROUP_NAME_TAG;
use ballast_core::autoscaling::step::{self, Action, Observation, World};
use ballast_core::autoscaling::{Group, TemplateSpec, iso8601};
use ballast_core::ec2::launch::{LaunchRequest, TagRequest};
use ballast_core::ec2::launch_template::TemplateRef;
use ballast_core::elbv2::{Registration, TargetGroup, TargetRequest};
use ballast_core::events::bus;
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
    /// Events put on a bus queued Lambda invocations.
    pub events_queued: bool,
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
    ballast_core::epoch_millis(inner.clock.now())
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
    };
    for attachment in &group.target_groups {
        let arn = &attachment.target_group_arn;
        if let Some(tg) = tx.target_group(arn)? {
            // Drained registrations go first, by the rule the data plane's
            // reaper keeps (`Registration::drain`).
            if !tx
                .reap_drained_targets(Some(arn), inner.scale, now)?
                .is_empty()
            {
                outcome.targets_changed = true;
            }
            targets
                .registrations
                .insert(arn.clone(), tx.targets_of(arn)?);
            targets.groups.insert(arn.clone(), tg);
        }
    }
    let world = World {
        now_millis: now,
        scale: inner.scale,
        observations: observe(inner, tx, &group, &targets)?,
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
                if register(
                    tx,
                    &targets,
                    &group.name,
                    &instance_id,
                    &target_group_arn,
                    now,
                )? {
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
            } => {
                let notice = Notice {
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
                };
                // On the default bus, as Auto Scaling sends every lifecycle
                // action to EventBridge, whatever the hook's target.
                let event = notice.event(&inner.scope);
                let queued = tx.put_event(&inner.scope, bus::DEFAULT, &event, &inner.ids, now)?;
                outcome.events_queued |= queued > 0;
                outcome.notices.push(notice);
            }
            // An activity that ends sends its event from the store.
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
/// registrations and health in the group's target groups (drained
/// registrations were reaped before).
fn observe(
    inner: &Inner,
    tx: &Tx<'_>,
    group: &Group,
    targets: &Targets,
) -> Result<HashMap<String, Observation>, PassError> {
    let mut out = HashMap::new();
    for m in &group.instances {
        let instance = tx.instance(&m.instance_id)?;
        let mut obs = Observation {
            state: instance.as_ref().map(|i| i.state),
            impaired: instance.as_ref().is_some_and(|i| i.impaired),
            ..Observation::default()
        };
        for (arn, registrations) in &targets.registrations {
            for reg in registrations.iter().filter(|r| r.id == m.instance_id) {
                if !obs.present_in.contains(arn) {
                    obs.present_in.push(arn.clone());
                }
                if reg.is_draining() {
                    continue;
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
        }
        out.insert(m.instance_id.clone(), obs);
    }
    Ok(out)
}

/// Launches one instance for the group through the store's launch path,
/// from its launch template or from its launch configuration laid over the
/// request as a template's data would be; a refused launch becomes a
/// failed activity and holds launches back.
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
    let busy = inner.fleet.addresses_in_use();
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
    let launched = (|| -> Result<_, LaunchError> {
        let mut prepared = match template.configuration_name() {
            Some(name) => {
                let config = tx.launch_configuration(name)?.ok_or_else(|| {
                    ballast_core::ec2::Error::InvalidParameterValue(format!(
                        "The launch configuration {name} does not exist"
                    ))
                })?;
                tx.prepare_launch::<LaunchError>(
                    request.over_template(config.template_data()),
                    None,
                    region,
                )?
            }
            None => {
                let choice = TemplateChoice {
                    template: TemplateRef::Id(template.id.clone()),
                    version: template.version.clone(),
                };
                tx.prepare_launch::<LaunchError>(request, Some(&choice), region)?
            }
        };
        prepared
            .launch
            .tags
            .instance
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
            &busy,
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

/// A registration the rules refused (the group is full), or the store
/// failed.
#[derive(Debug, thiserror::Error)]
enum RegisterError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Rule(#[from] ballast_core::elbv2::Error),
}

/// Registers an instance with a target group on the group's port, by the
/// same rules as RegisterTargets (the target limit; a draining
/// registration starts over); `true` if anything changed.
fn register(
    tx: &Tx<'_>,
    targets: &Targets,
    group_name: &str,
    instance_id: &str,
    arn: &str,
    now: i64,
) -> Result<bool, PassError> {
    let Some(port) = targets.groups.get(arn).and_then(|tg| tg.port) else {
        return Ok(false);
    };
    let wanted = [TargetRequest {
        id: instance_id.to_owned(),
        port,
        availability_zone: None,
    }];
    match tx.register_targets::<RegisterError>(arn, &wanted, now) {
        Ok(changed) => Ok(changed > 0),
        Err(RegisterError::Rule(rule)) => {
            tracing::warn!(group = group_name, instance_id, target_group = arn, %rule, "registration refused");
            Ok(false)
        }
        Err(RegisterError::Store(error)) => Err(error.into()),
    }
}

/// Deregisters an instance from a target group (every port it is
/// registered on), by the same rules as DeregisterTargets: draining where
/// a load balancer uses the group, removed at once where none does.
fn deregister(
    tx: &Tx<'_>,
    targets: &Targets,
    instance_id: &str,
    arn: &str,
    now: i64,
) -> Result<bool, PassError> {
    let wanted: Vec<(String, u16)> = targets
        .registrations
        .get(arn)
        .into_iter()
        .flatten()
        .filter(|r| r.id == instance_id)
        .map(|r| (r.id.clone(), r.port))
        .collect();
    Ok(tx.deregister_targets(arn, &wanted, now)? > 0)
}

#[cfg(test)]
mod tests {
    use ballast_core::elbv2::{MAX_TARGETS, TargetGroupSpec};
    use ballast_store::Store;

    use super::*;

    const ARN: &str = "arn:tg/web";

    fn full_group() -> (tempfile::TempDir, Store, Targets) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let spec = TargetGroupSpec {
            name: "web".into(),
            protocol: Some("HTTP".into()),
            port: Some(80),
            vpc_id: Some("vpc-1".into()),
            target_type: Some("instance".into()),
            ..TargetGroupSpec::default()
        };
        let tg = TargetGroup::create(ARN.into(), &spec, 0).unwrap();
        let targets = store
            .write(|tx| {
                tx.save_target_group(&tg)?;
                for i in 0..MAX_TARGETS {
                    tx.save_target(&Registration {
                        target_group_arn: ARN.into(),
                        id: format!("i-{i:017x}"),
                        port: 80,
                        availability_zone: None,
                        registered_millis: 0,
                        draining_since_millis: None,
                    })?;
                }
                Ok::<_, StoreError>(Targets {
                    groups: HashMap::from([(ARN.to_owned(), tg.clone())]),
                    registrations: HashMap::from([(ARN.to_owned(), tx.targets_of(ARN)?)]),
                })
            })
            .unwrap();
        (dir, store, targets)
    }

    /// The controller used to register without the target limit
    /// RegisterTargets keeps; it now goes through the same rule.
    #[test]
    fn register_keeps_the_target_limit() {
        let (_dir, store, targets) = full_group();
        let changed = store
            .write(|tx| register(tx, &targets, "asg", "i-new", ARN, 5))
            .unwrap();
        assert!(!changed);
        let count = store.read(|tx| tx.targets_of(ARN)).unwrap().len();
        assert_eq!(count, MAX_TARGETS);
    }

    /// A registered member is left alone; a draining one starts over, even
    /// in a full group.
    #[test]
    fn register_restarts_a_draining_member() {
        let (_dir, store, targets) = full_group();
        let id = "i-00000000000000000";
        assert!(
            !store
                .write(|tx| register(tx, &targets, "asg", id, ARN, 5))
                .unwrap()
        );
        // No listener uses the group, so deregistering removes at once.
        assert!(
            store
                .write(|tx| deregister(tx, &targets, id, ARN, 6))
                .unwrap()
        );
        let left = store.read(|tx| tx.targets_of(ARN)).unwrap();
        assert_eq!(left.len(), MAX_TARGETS - 1);
        assert!(
            store
                .write(|tx| register(tx, &targets, "asg", id, ARN, 7))
                .unwrap()
        );
        let back = store.read(|tx| tx.targets_of(ARN)).unwrap();
        let reg = back.iter().find(|r| r.id == id).unwrap();
        assert_eq!(
            (reg.registered_millis, reg.draining_since_millis),
            (7, None)
        );
    }
}
