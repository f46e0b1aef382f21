//! The controller's decisions: one pass over a group, given what the world
//! looks like now, moves every instance along its lifecycle and returns
//! what the controller must do (launch, register, deregister, terminate,
//! notify, record activities).
//!
//! The pass is level-triggered: it looks only at the group record and the
//! observations, so running it again after a crash or a restart picks up
//! where the last committed pass left off.

use std::collections::HashMap;

use super::activity::{Activity, ActivityStatus, InstanceChange};
use super::group::{AttachmentState, Group};
use super::hook::{LifecycleHook, Transition, WaitingAction};
use super::member::{Entry, Health, Lifecycle, Member};
use super::refresh::RefreshStatus;
use super::template::TemplateSpec;
use super::{iso8601, scaled_millis, taken_out_of_service, uses_elb_health};
use crate::ec2::InstanceState;
use crate::{Ids, TimeScale};

/// How long (AWS seconds) the controller waits before trying a launch
/// again after one failed.
pub const LAUNCH_RETRY_SECONDS: u64 = 10;

/// What the world says about one member's instance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observation {
    /// The instance's EC2 state; `None` if the instance no longer exists.
    pub state: Option<InstanceState>,
    /// Target groups holding a registration of the instance that is not
    /// draining.
    pub live_in: Vec<String>,
    /// Target groups holding any registration of it (draining included).
    pub present_in: Vec<String>,
    /// Target groups whose health checks find it healthy.
    pub healthy_in: Vec<String>,
    /// Target groups whose health checks find it unhealthy.
    pub unhealthy_in: Vec<String>,
    /// Its EC2 status checks fail (the instance runs, its system is gone).
    pub impaired: bool,
}

impl Observation {
    fn gone(&self) -> bool {
        matches!(
            self.state,
            None | Some(InstanceState::Terminated | InstanceState::ShuttingDown)
        )
    }

    fn running(&self) -> bool {
        self.state == Some(InstanceState::Running)
    }
}

/// What the world looks like to one pass.
#[derive(Debug, Clone)]
pub struct World {
    pub now_millis: i64,
    pub scale: TimeScale,
    /// By instance id; a missing entry means the instance does not exist.
    pub observations: HashMap<String, Observation>,
}

impl World {
    fn observe(&self, instance_id: &str) -> Observation {
        self.observations
            .get(instance_id)
            .cloned()
            .unwrap_or_default()
    }
}

/// Something the controller must do for a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Launch one instance in `zone` from `template`, then call
    /// [`Group::launched`] (or [`Group::launch_failed`]).
    Launch {
        zone: String,
        template: TemplateSpec,
        capacity_before: u32,
    },
    Register {
        instance_id: String,
        target_group_arn: String,
    },
    Deregister {
        instance_id: String,
        target_group_arn: String,
    },
    TerminateInstance {
        instance_id: String,
    },
    /// Deliver a lifecycle hook's notification.
    Notify {
        hook: LifecycleHook,
        instance_id: String,
        token: String,
    },
    /// Store (insert or update) a scaling activity.
    Record(Activity),
    /// The group is empty after a forced delete: delete it.
    DeleteGroup,
}

/// One pass over a group. Ids (activity ids, lifecycle action tokens) come
/// from `ids`.
pub fn step(group: &mut Group, world: &World, ids: &Ids) -> Vec<Action> {
    let mut out = Vec::new();
    let now = world.now_millis;
    if group.deleting {
        for m in &mut group.instances {
            if !m.lifecycle.is_leaving() {
                let cause = taken_out_of_service(now, "a user request to delete the group");
                start_terminating(m, &group.name, &group.arn, cause, ids, now);
                m.skip_terminate_hooks = true;
                m.waiting.clear();
            }
        }
    }
    let snapshot = group.clone();
    let mut removed = Vec::new();
    for m in &mut group.instances {
        let obs = world.observe(&m.instance_id);
        if advance(&snapshot, m, &obs, world, ids, &mut out) {
            removed.push(m.instance_id.clone());
        }
    }
    group
        .instances
        .retain(|m| !removed.contains(&m.instance_id));
    refresh(group, world, ids, &mut out);
    group.run_scheduled_actions(now);
    capacity(group, world, ids, &mut out);
    attachments(group, world, &mut out);
    if group.deleting && group.instances.is_empty() {
        out.push(Action::DeleteGroup);
    }
    out
}

/// After a transition's hooks were (or were not) started: a hooked member
/// waits for them (`wait`), any other goes straight on (`proceed`, with
/// its activity's status).
fn wait_or_proceed(
    m: &mut Member,
    hooked: bool,
    wait: Lifecycle,
    (proceed, status): (Lifecycle, ActivityStatus),
    now: i64,
    out: &mut Vec<Action>,
) {
    if hooked {
        m.enter(wait, now);
        record(m, ActivityStatus::MidLifecycleAction, now, out);
    } else {
        m.enter(proceed, now);
        record(m, status, now, out);
    }
}

/// Why EC2 health takes out an instance that was terminated or stopped
/// behind the group's back.
const EC2_HEALTH_REASON: &str = "an EC2 health check indicating it has been terminated or stopped";

/// Starts terminating a member, with an activity.
fn start_terminating(
    m: &mut Member,
    group_name: &str,
    group_arn: &str,
    cause: String,
    ids: &Ids,
    now: i64,
) {
    let description = format!("Terminating EC2 instance: {}", m.instance_id);
    m.enter(Lifecycle::Terminating, now);
    let mut activity = Activity::start(
        ids.request_id(),
        group_name,
        group_arn,
        description,
        cause,
        now,
    );
    activity.instance_change = Some(InstanceChange {
        launch: false,
        instance_id: Some(m.instance_id.clone()),
    });
    m.activity = Some(activity);
}

fn hook_default(group: &Group, name: &str) -> String {
    group
        .hooks
        .iter()
        .find(|h| h.name == name)
        .map_or_else(|| "CONTINUE".to_owned(), |h| h.default_result.clone())
}

/// Starts waiting on every hook of a transition; `false` if it has none.
fn start_hooks(
    group: &Group,
    m: &mut Member,
    transition: Transition,
    world: &World,
    ids: &Ids,
    out: &mut Vec<Action>,
) -> bool {
    let hooks: Vec<&LifecycleHook> = group.hooks_for(transition).collect();
    if hooks.is_empty() {
        return false;
    }
    let now = world.now_millis;
    m.waiting = hooks
        .iter()
        .map(|hook| {
            let token = ids.request_id();
            out.push(Action::Notify {
                hook: (*hook).clone(),
                instance_id: m.instance_id.clone(),
                token: token.clone(),
            });
            WaitingAction {
                hook_name: hook.name.clone(),
                token,
                deadline_millis: now.saturating_add(scaled_millis(
                    u64::from(hook.heartbeat_timeout),
                    world.scale,
                )),
                global_deadline_millis: now
                    .saturating_add(scaled_millis(hook.global_timeout(), world.scale)),
                result: None,
            }
        })
        .collect();
    true
}

/// The result of a finished wait: `Some("CONTINUE")` once every hook
/// continued, `Some("ABANDON")` as soon as one abandoned, `None` while
/// any is undecided.
fn wait_outcome(group: &Group, m: &mut Member, now: i64) -> Option<String> {
    let mut undecided = false;
    for waiting in &mut m.waiting {
        match waiting.outcome(&hook_default(group, &waiting.hook_name), now) {
            Some(result) => {
                waiting.result = Some(result.clone());
                if result == "ABANDON" {
                    return Some(result);
                }
            }
            None => undecided = true,
        }
    }
    (!undecided).then(|| "CONTINUE".to_owned())
}

fn record(m: &mut Member, status: ActivityStatus, now: i64, out: &mut Vec<Action>) {
    if let Some(activity) = &mut m.activity
        && activity.status != status
    {
        activity.set(status, now);
        out.push(Action::Record(activity.clone()));
    }
}

fn finish_activity(m: &mut Member, status: ActivityStatus, now: i64, out: &mut Vec<Action>) {
    record(m, status, now, out);
    m.activity = None;
}

/// Deregisters a member from every target group it is live in; `true`
/// once no registration of it is left (drained).
fn drain(m: &Member, obs: &Observation, out: &mut Vec<Action>) -> bool {
    for arn in &obs.live_in {
        out.push(Action::Deregister {
            instance_id: m.instance_id.clone(),
            target_group_arn: arn.clone(),
        });
    }
    obs.present_in.is_empty()
}

/// Moves one member along; `true` when it leaves the group.
fn advance(
    group: &Group,
    m: &mut Member,
    obs: &Observation,
    world: &World,
    ids: &Ids,
    out: &mut Vec<Action>,
) -> bool {
    let now = world.now_millis;
    if m.lifecycle.counts() && !m.lifecycle.is_leaving() && obs.gone() {
        // Terminated behind the group's back before or after it came into
        // service: EC2 health says unhealthy at once, grace period or not.
        if !group.is_suspended("HealthCheck") && m.health == Health::Healthy {
            m.health = Health::Unhealthy;
            m.unhealthy_cause = Some(taken_out_of_service(now, EC2_HEALTH_REASON));
        }
    }
    match m.lifecycle {
        Lifecycle::Pending => {
            if obs.gone() {
                leave_unhealthy(group, m, world, ids, out);
            } else {
                let hooked = m.entry == Entry::Launched
                    && start_hooks(group, m, Transition::Launching, world, ids, out);
                let proceed = (Lifecycle::PendingProceed, ActivityStatus::PreInService);
                wait_or_proceed(m, hooked, Lifecycle::PendingWait, proceed, now, out);
            }
            false
        }
        Lifecycle::PendingWait => {
            match wait_outcome(group, m, now) {
                Some(result) if result == "ABANDON" => {
                    let token = m
                        .waiting
                        .iter()
                        .find(|w| w.result.as_deref() == Some("ABANDON"))
                        .map(|w| w.token.clone())
                        .unwrap_or_default();
                    m.waiting.clear();
                    if let Some(activity) = &mut m.activity {
                        activity.status_message = Some(format!(
                            "Instance failed to complete user's Lifecycle Action: Lifecycle Action with token {token} was abandoned: Lifecycle Action Completed with ABANDON Result"
                        ));
                        activity.set(ActivityStatus::Cancelled, now);
                        out.push(Action::Record(activity.clone()));
                    }
                    let cause =
                        taken_out_of_service(now, "a launch lifecycle action that was abandoned");
                    start_terminating(m, &group.name, &group.arn, cause, ids, now);
                    m.skip_terminate_hooks = true;
                }
                Some(_) => {
                    m.waiting.clear();
                    m.enter(Lifecycle::PendingProceed, now);
                    record(m, ActivityStatus::PreInService, now, out);
                }
                None if obs.gone() => {
                    m.waiting.clear();
                    leave_unhealthy(group, m, world, ids, out);
                }
                None => {}
            }
            false
        }
        Lifecycle::PendingProceed => {
            if obs.gone() {
                leave_unhealthy(group, m, world, ids, out);
            } else if obs.running() {
                if group.is_suspended("AddToLoadBalancer") {
                    m.no_load_balancer = true;
                }
                if !m.no_load_balancer {
                    for attachment in &group.target_groups {
                        if attachment.state != AttachmentState::Removing {
                            out.push(Action::Register {
                                instance_id: m.instance_id.clone(),
                                target_group_arn: attachment.target_group_arn.clone(),
                            });
                        }
                    }
                    m.registered = group
                        .target_groups
                        .iter()
                        .any(|a| a.state != AttachmentState::Removing);
                }
                m.enter(Lifecycle::InService, now);
                m.in_service_millis = Some(now);
                m.health = Health::Healthy;
                m.unhealthy_cause = None;
                finish_activity(m, ActivityStatus::Successful, now, out);
            }
            false
        }
        Lifecycle::InService => {
            check_health(group, m, obs, world);
            if m.health == Health::Unhealthy
                && !group.is_suspended("ReplaceUnhealthy")
                && !group.is_suspended("Terminate")
            {
                leave_unhealthy(group, m, world, ids, out);
                // Out of rotation at once; draining starts now.
                drain(m, obs, out);
            }
            false
        }
        Lifecycle::EnteringStandby => {
            if drain(m, obs, out) {
                m.registered = false;
                m.enter(Lifecycle::Standby, now);
                finish_activity(m, ActivityStatus::Successful, now, out);
            } else {
                record(m, ActivityStatus::WaitingForELBConnectionDraining, now, out);
            }
            false
        }
        // Not health-checked; an instance terminated while in standby
        // has simply left.
        Lifecycle::Standby => matches!(obs.state, None | Some(InstanceState::Terminated)),
        Lifecycle::Detaching => {
            if drain(m, obs, out) {
                finish_activity(m, ActivityStatus::Successful, now, out);
                true
            } else {
                record(m, ActivityStatus::WaitingForELBConnectionDraining, now, out);
                false
            }
        }
        Lifecycle::Terminating => {
            if !drain(m, obs, out) {
                record(m, ActivityStatus::WaitingForELBConnectionDraining, now, out);
                return false;
            }
            m.registered = false;
            let hooked = !m.skip_terminate_hooks
                && !obs.gone()
                && start_hooks(group, m, Transition::Terminating, world, ids, out);
            let proceed = (Lifecycle::TerminatingProceed, ActivityStatus::InProgress);
            wait_or_proceed(m, hooked, Lifecycle::TerminatingWait, proceed, now, out);
            false
        }
        Lifecycle::TerminatingWait => {
            if wait_outcome(group, m, now).is_some() || obs.gone() {
                m.waiting.clear();
                m.enter(Lifecycle::TerminatingProceed, now);
                record(m, ActivityStatus::InProgress, now, out);
            }
            false
        }
        Lifecycle::TerminatingProceed => {
            if matches!(obs.state, None | Some(InstanceState::Terminated)) {
                finish_activity(m, ActivityStatus::Successful, now, out);
                true
            } else {
                if obs.state != Some(InstanceState::ShuttingDown) {
                    out.push(Action::TerminateInstance {
                        instance_id: m.instance_id.clone(),
                    });
                }
                false
            }
        }
    }
}

/// EC2 and ELB health of an in-service instance (not while `HealthCheck`
/// is suspended).
fn check_health(group: &Group, m: &mut Member, obs: &Observation, world: &World) {
    if group.is_suspended("HealthCheck") || m.health == Health::Unhealthy {
        return;
    }
    let now = world.now_millis;
    if !obs.running() {
        m.health = Health::Unhealthy;
        m.unhealthy_cause = Some(taken_out_of_service(now, EC2_HEALTH_REASON));
        return;
    }
    let grace = scaled_millis(u64::from(group.health_check_grace_period), world.scale);
    let past_grace = m
        .in_service_millis
        .is_none_or(|since| now >= since.saturating_add(grace));
    if obs.impaired && past_grace {
        m.health = Health::Unhealthy;
        m.unhealthy_cause = Some(taken_out_of_service(
            now,
            "an EC2 instance status checks failure",
        ));
        return;
    }
    let attached_unhealthy = obs.unhealthy_in.iter().any(|arn| {
        group
            .target_groups
            .iter()
            .any(|a| a.target_group_arn == *arn && a.state != AttachmentState::Removing)
    });
    if uses_elb_health(&group.health_check_type) && past_grace && attached_unhealthy {
        m.health = Health::Unhealthy;
        m.unhealthy_cause = Some(taken_out_of_service(
            now,
            "an ELB system health check failure",
        ));
    }
}

/// An unhealthy (or vanished) instance starts terminating, to be replaced.
fn leave_unhealthy(group: &Group, m: &mut Member, world: &World, ids: &Ids, out: &mut Vec<Action>) {
    let now = world.now_millis;
    if let Some(activity) = &mut m.activity {
        // A launch that never reached service failed.
        activity.fail(
            "The instance was terminated before it came into service".to_owned(),
            now,
        );
        out.push(Action::Record(activity.clone()));
    }
    m.health = Health::Unhealthy;
    let cause = m
        .unhealthy_cause
        .clone()
        .unwrap_or_else(|| taken_out_of_service(now, EC2_HEALTH_REASON));
    m.waiting.clear();
    start_terminating(m, &group.name, &group.arn, cause, ids, now);
}

/// The zone a new instance goes to: the group's zone with the fewest
/// instances counted toward capacity (the first such in the group's order).
pub fn zone_for_launch(group: &Group, extra: &HashMap<String, usize>) -> Option<String> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for m in group.instances.iter().filter(|m| m.lifecycle.counts()) {
        *counts.entry(m.zone.as_str()).or_default() += 1;
    }
    group
        .zones
        .iter()
        .min_by_key(|z| {
            counts.get(z.as_str()).copied().unwrap_or(0) + extra.get(*z).copied().unwrap_or(0)
        })
        .cloned()
}

/// Which instance scale-in terminates: among unprotected in-service (or
/// pending) instances, those in the zone with the most instances, then by
/// the group's termination policies in order (`Default` last).
pub fn choose_victim(group: &Group, desired_template: &TemplateSpec) -> Option<String> {
    let candidates: Vec<&Member> = group
        .instances
        .iter()
        .filter(|m| m.lifecycle.counts() && !m.protected)
        .collect();
    let mut per_zone: HashMap<&str, usize> = HashMap::new();
    for m in group.instances.iter().filter(|m| m.lifecycle.counts()) {
        *per_zone.entry(m.zone.as_str()).or_default() += 1;
    }
    let busiest = candidates
        .iter()
        .map(|m| per_zone.get(m.zone.as_str()).copied().unwrap_or(0))
        .max()?;
    let mut pool: Vec<&Member> = candidates
        .into_iter()
        .filter(|m| per_zone.get(m.zone.as_str()).copied().unwrap_or(0) == busiest)
        .collect();
    let mut policies: Vec<&str> = group
        .termination_policies
        .iter()
        .map(String::as_str)
        .filter(|p| *p != "Default")
        .collect();
    policies.extend(["OldestLaunchTemplate", "ClosestToNextInstanceHour"]);
    for policy in policies {
        if pool.len() <= 1 {
            break;
        }
        let keyed: Vec<(i64, &Member)> = pool
            .iter()
            .map(|m| {
                let launched = m.in_service_millis.unwrap_or(m.since_millis);
                let key = match policy {
                    "OldestInstance" => launched,
                    "NewestInstance" => -launched,
                    "OldestLaunchTemplate" | "OldestLaunchConfiguration" | "AllocationStrategy" => {
                        // Instances not on the group's current template (or
                        // launch configuration) go first.
                        i64::from(m.launch_template.as_ref().is_some_and(|t| {
                            t.id == desired_template.id
                                && t.version == desired_template.version
                                && t.configuration == desired_template.configuration
                        }))
                    }
                    // Closest to the next billing hour: the most minutes into
                    // its current hour.
                    "ClosestToNextInstanceHour" => -(launched.rem_euclid(3_600_000)),
                    _ => 0,
                };
                (key, *m)
            })
            .collect();
        let Some(best) = keyed.iter().map(|(k, _)| *k).min() else {
            break;
        };
        pool = keyed
            .into_iter()
            .filter(|(k, _)| *k == best)
            .map(|(_, m)| m)
            .collect();
    }
    pool.first().map(|m| m.instance_id.clone())
}

/// The template new instances launch from: an active refresh's desired
/// configuration, else the group's.
pub fn launch_template(group: &Group) -> TemplateSpec {
    group
        .active_refresh()
        .filter(|r| !r.rolling_back())
        .and_then(|r| r.desired_template.clone())
        .unwrap_or_else(|| group.launch_template.clone())
}

/// Scale-out (launch) and scale-in (terminate) toward the desired capacity.
fn capacity(group: &mut Group, world: &World, ids: &Ids, out: &mut Vec<Action>) {
    if group.deleting {
        return;
    }
    let now = world.now_millis;
    let counted = u32::try_from(group.counted()).unwrap_or(u32::MAX);
    if counted == group.desired {
        group.capacity_cause = None;
    }
    let capacity_cause = group.capacity_cause.clone();
    if counted < group.desired && !group.is_suspended("Launch") && now >= group.launch_backoff_until
    {
        let template = launch_template(group);
        let mut extra: HashMap<String, usize> = HashMap::new();
        for n in counted..group.desired {
            let Some(zone) = zone_for_launch(group, &extra) else {
                break;
            };
            *extra.entry(zone.clone()).or_default() += 1;
            out.push(Action::Launch {
                zone,
                template: template.clone(),
                capacity_before: n,
            });
        }
    }
    if counted > group.desired && !group.is_suspended("Terminate") {
        let template = launch_template(group);
        for n in (group.desired..counted).rev() {
            let Some(victim) = choose_victim(group, &template) else {
                break;
            };
            let (name, arn) = (group.name.clone(), group.arn.clone());
            if let Some(m) = group.instances.iter_mut().find(|m| m.instance_id == victim) {
                if let Some(activity) = &mut m.activity {
                    activity.set(ActivityStatus::Cancelled, now);
                    out.push(Action::Record(activity.clone()));
                }
                m.waiting.clear();
                let cause = taken_out_of_service(
                    now,
                    &format!(
                        "a difference between desired and actual capacity, shrinking the capacity from {} to {}",
                        n + 1,
                        n
                    ),
                );
                let cause = with_capacity_cause(capacity_cause.as_deref(), cause);
                start_terminating(m, &name, &arn, cause, ids, now);
                m.decremented = true;
            }
        }
    }
}

/// A launch's or termination's cause, after the change of desired capacity
/// that led to it, as AWS writes them: "At … a scheduled action update of
/// … changing the desired capacity from 1 to 3.  At … an instance was
/// started …".
fn with_capacity_cause(capacity_cause: Option<&str>, cause: String) -> String {
    match capacity_cause {
        Some(first) => format!("{first}  {cause}"),
        None => cause,
    }
}

/// An instance refresh's progress: replace a batch once the previous one
/// is in service, warm and, when the group uses ELB health checks,
/// healthy in each of its target groups (AWS waits while it "has
/// insufficient data to evaluate its health with Elastic Load
/// Balancing"), so the load balancer always has the healthy share
/// `MinHealthyPercentage` promises.
fn refresh(group: &mut Group, world: &World, ids: &Ids, out: &mut Vec<Action>) {
    let now = world.now_millis;
    let suspended = group.is_suspended("InstanceRefresh") || group.is_suspended("Launch");
    let warmup_default = group
        .default_instance_warmup
        .unwrap_or(group.health_check_grace_period);
    let Some(index) = group.refreshes.iter().position(|r| r.status.is_active()) else {
        return;
    };
    let elb_groups: Vec<&str> = if super::uses_elb_health(&group.health_check_type) {
        group
            .target_groups
            .iter()
            .filter(|a| a.state != AttachmentState::Removing)
            .map(|a| a.target_group_arn.as_str())
            .collect()
    } else {
        Vec::new()
    };
    let members: Vec<(String, Lifecycle, Option<i64>, Health)> = group
        .instances
        .iter()
        .map(|m| {
            let observed = world.observe(&m.instance_id);
            let passes_elb = m.no_load_balancer
                || elb_groups
                    .iter()
                    .all(|arn| observed.healthy_in.iter().any(|h| h == arn));
            let health = if passes_elb {
                m.health
            } else {
                Health::Unhealthy
            };
            (
                m.instance_id.clone(),
                m.lifecycle,
                m.in_service_millis,
                health,
            )
        })
        .collect();
    let desired = group.desired;
    let r = &mut group.refreshes[index];
    match r.status {
        RefreshStatus::Cancelling => {
            r.finish(
                RefreshStatus::Cancelled,
                "The instance refresh was cancelled.",
                now,
            );
            return;
        }
        RefreshStatus::Pending => r.status = RefreshStatus::InProgress,
        _ => {}
    }
    if suspended {
        return;
    }
    r.to_replace.retain(|id| {
        members
            .iter()
            .any(|(m, lifecycle, _, _)| m == id && !lifecycle.is_leaving())
    });
    if !r.rolling_back() {
        r.instances_to_update = u32::try_from(r.to_replace.len()).unwrap_or(u32::MAX);
    }
    let warmup = scaled_millis(
        u64::from(r.instance_warmup.unwrap_or(warmup_default)),
        world.scale,
    );
    let settled = members
        .iter()
        .all(|(_, lifecycle, since, health)| match lifecycle {
            Lifecycle::InService => {
                *health == Health::Healthy && since.is_some_and(|s| now >= s.saturating_add(warmup))
            }
            Lifecycle::Standby => true,
            _ => false,
        });
    let in_service = members
        .iter()
        .filter(|(_, l, _, _)| *l == Lifecycle::InService)
        .count();
    let at_capacity = u32::try_from(in_service).unwrap_or(u32::MAX) >= desired;
    if !settled || !at_capacity {
        return;
    }
    if r.to_replace.is_empty() {
        if r.rolling_back() {
            // The group keeps the configuration it had before the refresh.
            r.finish(
                RefreshStatus::RollbackSuccessful,
                "The instance refresh was rolled back: the group's instances are back on its previous configuration.",
                now,
            );
            return;
        }
        r.finish(
            RefreshStatus::Successful,
            "The instance refresh completed successfully.",
            now,
        );
        if let Some(template) = r.desired_template.clone() {
            group.launch_template = template;
        }
        return;
    }
    let batch = r.batch_size(desired) as usize;
    let chosen: Vec<String> = r.to_replace.iter().take(batch).cloned().collect();
    let (name, arn) = (group.name.clone(), group.arn.clone());
    for id in chosen {
        if let Some(m) = group.instances.iter_mut().find(|m| m.instance_id == id) {
            let cause = taken_out_of_service(now, "an instance refresh");
            start_terminating(m, &name, &arn, cause, ids, now);
            m.skip_terminate_hooks = false;
            if let Some(activity) = &m.activity {
                out.push(Action::Record(activity.clone()));
            }
        }
    }
}

/// Target group attachments: register instances with a newly attached
/// group, deregister them from one being detached, and move the
/// attachment's state along.
fn attachments(group: &mut Group, world: &World, out: &mut Vec<Action>) {
    let mut done = Vec::new();
    for attachment in &mut group.target_groups {
        let arn = attachment.target_group_arn.clone();
        match attachment.state {
            AttachmentState::Adding => {
                for m in &group.instances {
                    if m.lifecycle == Lifecycle::InService && !m.no_load_balancer {
                        out.push(Action::Register {
                            instance_id: m.instance_id.clone(),
                            target_group_arn: arn.clone(),
                        });
                    }
                }
                attachment.state = AttachmentState::Added;
            }
            AttachmentState::Added => {
                if group
                    .instances
                    .iter()
                    .any(|m| world.observe(&m.instance_id).healthy_in.contains(&arn))
                {
                    attachment.state = AttachmentState::InService;
                }
            }
            AttachmentState::InService => {}
            AttachmentState::Removing => {
                let mut remaining = false;
                for m in &group.instances {
                    let obs = world.observe(&m.instance_id);
                    if obs.live_in.contains(&arn) {
                        out.push(Action::Deregister {
                            instance_id: m.instance_id.clone(),
                            target_group_arn: arn.clone(),
                        });
                    }
                    remaining |= obs.present_in.contains(&arn);
                }
                if !remaining {
                    done.push(arn);
                }
            }
        }
    }
    group
        .target_groups
        .retain(|a| !(a.state == AttachmentState::Removing && done.contains(&a.target_group_arn)));
}

impl Group {
    /// Records a launched instance as a new `Pending` member with its
    /// activity.
    #[allow(clippy::too_many_arguments)]
    pub fn launched(
        &mut self,
        instance_id: &str,
        zone: &str,
        subnet_id: &str,
        instance_type: &str,
        image_id: &str,
        template: TemplateSpec,
        capacity_before: u32,
        activity_id: String,
        now_millis: i64,
    ) -> Activity {
        let cause = format!(
            "At {} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from {} to {}.",
            iso8601(now_millis),
            capacity_before,
            capacity_before + 1
        );
        let mut activity = Activity::start(
            activity_id,
            &self.name,
            &self.arn,
            format!("Launching a new EC2 instance: {instance_id}"),
            with_capacity_cause(self.capacity_cause.as_deref(), cause),
            now_millis,
        );
        activity.details = serde_json::json!({
            "Subnet ID": subnet_id,
            "Availability Zone": zone,
        })
        .to_string();
        activity.instance_change = Some(InstanceChange {
            launch: true,
            instance_id: Some(instance_id.to_owned()),
        });
        activity.set(ActivityStatus::PreInService, now_millis);
        self.instances.push(Member {
            instance_id: instance_id.to_owned(),
            zone: zone.to_owned(),
            instance_type: instance_type.to_owned(),
            image_id: image_id.to_owned(),
            launch_template: Some(template),
            lifecycle: Lifecycle::Pending,
            health: Health::Healthy,
            unhealthy_cause: None,
            protected: self.new_instances_protected,
            since_millis: now_millis,
            in_service_millis: None,
            entry: Entry::Launched,
            registered: false,
            no_load_balancer: false,
            waiting: Vec::new(),
            skip_terminate_hooks: false,
            decremented: false,
            activity: Some(activity.clone()),
        });
        activity
    }

    /// Records a launch that failed, and holds further launches back for
    /// a while so a broken template does not spin.
    pub fn launch_failed(
        &mut self,
        zone: &str,
        message: &str,
        activity_id: String,
        scale: TimeScale,
        now_millis: i64,
    ) -> Activity {
        let mut activity = Activity::start(
            activity_id,
            &self.name,
            &self.arn,
            format!(
                "Launching a new EC2 instance.  Status Reason: {message}. Launching EC2 instance failed."
            ),
            format!(
                "At {} an instance was started in response to a difference between desired and actual capacity, increasing the capacity from {} to {}.",
                iso8601(now_millis),
                self.counted(),
                self.desired
            ),
            now_millis,
        );
        activity.details = serde_json::json!({ "Availability Zone": zone }).to_string();
        activity.instance_change = Some(InstanceChange {
            launch: true,
            instance_id: None,
        });
        activity.fail(message.to_owned(), now_millis);
        self.launch_backoff_until =
            now_millis.saturating_add(scaled_millis(LAUNCH_RETRY_SECONDS, scale));
        activity
    }
}

#[cfg(test)]
mod tests {
    use super::super::group::tests::{group, member};
    use super::super::hook::{HookSpec, LAUNCHING, TERMINATING};
    use super::*;

    const TG: &str = "arn:tg";

    fn world(now: i64, observations: &[(&str, Observation)]) -> World {
        World {
            now_millis: now,
            scale: TimeScale::REAL,
            observations: observations
                .iter()
                .map(|(id, o)| ((*id).to_owned(), o.clone()))
                .collect(),
        }
    }

    fn running() -> Observation {
        Observation {
            state: Some(InstanceState::Running),
            ..Observation::default()
        }
    }

    fn registered(healthy: bool) -> Observation {
        Observation {
            state: Some(InstanceState::Running),
            live_in: vec![TG.into()],
            present_in: vec![TG.into()],
            healthy_in: if healthy { vec![TG.into()] } else { Vec::new() },
            unhealthy_in: if healthy { Vec::new() } else { vec![TG.into()] },
            impaired: false,
        }
    }

    fn launches(actions: &[Action]) -> Vec<String> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Launch { zone, .. } => Some(zone.clone()),
                _ => None,
            })
            .collect()
    }

    fn launch_all(g: &mut Group, actions: &[Action], now: i64) {
        let mut n = 0;
        for action in actions {
            if let Action::Launch {
                zone,
                template,
                capacity_before,
            } = action
            {
                n += 1;
                g.launched(
                    &format!("i-{n}{zone}"),
                    zone,
                    "subnet",
                    "t3.micro",
                    "ami",
                    template.clone(),
                    *capacity_before,
                    format!("act-{n}"),
                    now,
                );
            }
        }
    }

    #[test]
    fn capacity_is_spread_across_zones() {
        let mut g = group(3, 3, None);
        let ids = Ids::seeded(1);
        let actions = step(&mut g, &world(0, &[]), &ids);
        assert_eq!(
            launches(&actions),
            ["us-east-1a", "us-east-1b", "us-east-1c"]
        );
        launch_all(&mut g, &actions, 0);
        // Pending → Pending:Proceed → InService once running, registered
        // first.
        g.attach_target_group(TG.into());
        let obs: Vec<(String, Observation)> = g
            .instances
            .iter()
            .map(|m| (m.instance_id.clone(), running()))
            .collect();
        let refs: Vec<(&str, Observation)> =
            obs.iter().map(|(i, o)| (i.as_str(), o.clone())).collect();
        let actions = step(&mut g, &world(1, &refs), &ids);
        assert!(launches(&actions).is_empty());
        assert!(
            g.instances
                .iter()
                .all(|m| m.lifecycle == Lifecycle::PendingProceed)
        );
        let actions = step(&mut g, &world(2, &refs), &ids);
        assert!(
            g.instances
                .iter()
                .all(|m| m.lifecycle == Lifecycle::InService)
        );
        let registers = actions
            .iter()
            .filter(|a| matches!(a, Action::Register { .. }))
            .count();
        assert!(registers >= 3, "{actions:?}");
        assert!(
            actions
                .iter()
                .any(|a| matches!(a, Action::Record(r) if r.status == ActivityStatus::Successful))
        );
    }

    #[test]
    fn an_instance_terminated_outside_is_replaced_in_its_zone() {
        let mut g = group(2, 2, None);
        g.instances = vec![
            member("i-a", "us-east-1a", Lifecycle::InService),
            member("i-b", "us-east-1b", Lifecycle::InService),
        ];
        let ids = Ids::seeded(2);
        let gone = Observation {
            state: Some(InstanceState::Terminated),
            ..Observation::default()
        };
        let actions = step(
            &mut g,
            &world(10, &[("i-a", gone.clone()), ("i-b", running())]),
            &ids,
        );
        let a = g.member("i-a").unwrap();
        assert_eq!(a.health, Health::Unhealthy);
        assert!(
            a.unhealthy_cause
                .as_deref()
                .unwrap()
                .contains("EC2 health check")
        );
        // Replacement launched in the same pass (Terminating no longer counts).
        assert_eq!(launches(&actions), ["us-east-1a"]);
        // Not registered, nothing to drain: proceeds and leaves.
        step(
            &mut g,
            &world(11, &[("i-a", gone.clone()), ("i-b", running())]),
            &ids,
        );
        step(
            &mut g,
            &world(12, &[("i-a", gone), ("i-b", running())]),
            &ids,
        );
        assert!(g.member("i-a").is_none());
    }

    #[test]
    fn elb_health_counts_only_after_the_grace_period() {
        let mut g = group(1, 1, None);
        g.health_check_type = "ELB".into();
        g.health_check_grace_period = 60;
        g.attach_target_group(TG.into());
        g.target_groups[0].state = AttachmentState::InService;
        let mut m = member("i-a", "us-east-1a", Lifecycle::InService);
        m.in_service_millis = Some(0);
        m.registered = true;
        g.instances = vec![m];
        let ids = Ids::seeded(3);
        step(&mut g, &world(59_000, &[("i-a", registered(false))]), &ids);
        assert_eq!(g.instances[0].health, Health::Healthy);
        // Past the grace period: unhealthy, deregistered, drained, replaced.
        let actions = step(&mut g, &world(60_000, &[("i-a", registered(false))]), &ids);
        assert_eq!(g.instances[0].lifecycle, Lifecycle::Terminating);
        assert!(
            actions
                .iter()
                .any(|a| matches!(a, Action::Deregister { .. }))
        );
        assert_eq!(launches(&actions).len(), 1);
        // Still draining: waits.
        let draining = Observation {
            state: Some(InstanceState::Running),
            present_in: vec![TG.into()],
            ..Observation::default()
        };
        step(&mut g, &world(61_000, &[("i-a", draining)]), &ids);
        assert_eq!(g.instances[0].lifecycle, Lifecycle::Terminating);
        step(&mut g, &world(62_000, &[("i-a", running())]), &ids);
        assert_eq!(g.instances[0].lifecycle, Lifecycle::TerminatingProceed);
        let actions = step(&mut g, &world(63_000, &[("i-a", running())]), &ids);
        assert!(actions.contains(&Action::TerminateInstance {
            instance_id: "i-a".into()
        }));
    }

    #[test]
    fn failed_status_checks_replace_an_instance_after_the_grace_period() {
        let mut g = group(1, 1, None);
        g.health_check_grace_period = 60;
        let mut m = member("i-a", "us-east-1a", Lifecycle::InService);
        m.in_service_millis = Some(0);
        g.instances = vec![m];
        let ids = Ids::seeded(3);
        let impaired = || Observation {
            impaired: true,
            ..running()
        };
        step(&mut g, &world(59_000, &[("i-a", impaired())]), &ids);
        assert_eq!(g.instances[0].health, Health::Healthy);
        let actions = step(&mut g, &world(60_000, &[("i-a", impaired())]), &ids);
        assert_eq!(g.instances[0].lifecycle, Lifecycle::Terminating);
        assert_eq!(launches(&actions).len(), 1);
        let cause = g.instances[0].unhealthy_cause.clone().unwrap_or_default();
        assert!(
            cause.ends_with("in response to an EC2 instance status checks failure."),
            "{cause}"
        );
    }

    #[test]
    fn suspended_processes_stop_what_they_name() {
        let mut g = group(1, 1, None);
        g.instances = vec![member("i-a", "us-east-1a", Lifecycle::InService)];
        let ids = Ids::seeded(4);
        let stopped = Observation {
            state: Some(InstanceState::Stopped),
            ..Observation::default()
        };
        g.suspend(&["ReplaceUnhealthy".into()], 0);
        step(&mut g, &world(1, &[("i-a", stopped.clone())]), &ids);
        assert_eq!(g.instances[0].health, Health::Unhealthy);
        assert_eq!(
            g.instances[0].lifecycle,
            Lifecycle::InService,
            "not replaced"
        );
        g.resume(&["ReplaceUnhealthy".into()]);
        step(&mut g, &world(2, &[("i-a", stopped.clone())]), &ids);
        assert_eq!(g.instances[0].lifecycle, Lifecycle::Terminating);

        // HealthCheck suspended: no marking at all.
        let mut g = group(1, 1, None);
        g.instances = vec![member("i-a", "us-east-1a", Lifecycle::InService)];
        g.suspend(&["HealthCheck".into()], 0);
        step(&mut g, &world(1, &[("i-a", stopped)]), &ids);
        assert_eq!(g.instances[0].health, Health::Healthy);

        // Launch suspended: no scale-out.
        let mut g = group(2, 2, None);
        g.suspend(&["Launch".into()], 0);
        assert!(launches(&step(&mut g, &world(1, &[]), &ids)).is_empty());

        // Terminate suspended: no scale-in.
        let mut g = group(0, 2, Some(0));
        g.instances = vec![member("i-a", "us-east-1a", Lifecycle::InService)];
        g.suspend(&["Terminate".into()], 0);
        step(&mut g, &world(1, &[("i-a", running())]), &ids);
        assert_eq!(g.instances[0].lifecycle, Lifecycle::InService);
    }

    #[test]
    fn add_to_load_balancer_suspended_never_registers() {
        let mut g = group(1, 1, None);
        g.attach_target_group(TG.into());
        g.target_groups[0].state = AttachmentState::InService;
        g.suspend(&["AddToLoadBalancer".into()], 0);
        let mut m = member("i-a", "us-east-1a", Lifecycle::PendingProceed);
        m.in_service_millis = None;
        g.instances = vec![m];
        let ids = Ids::seeded(5);
        let actions = step(&mut g, &world(1, &[("i-a", running())]), &ids);
        assert!(!actions.iter().any(|a| matches!(a, Action::Register { .. })));
        assert!(g.instances[0].no_load_balancer);
    }

    #[test]
    fn launch_hooks_hold_until_completed_or_timed_out() {
        let mut g = group(1, 1, None);
        g.put_hook(HookSpec {
            name: "h".into(),
            transition: Some(LAUNCHING.into()),
            heartbeat_timeout: Some(60),
            default_result: Some("ABANDON".into()),
            ..HookSpec::default()
        })
        .unwrap();
        let ids = Ids::seeded(6);
        let actions = step(&mut g, &world(0, &[]), &ids);
        launch_all(&mut g, &actions, 0);
        let id = g.instances[0].instance_id.clone();
        let actions = step(&mut g, &world(1, &[(&id, running())]), &ids);
        assert_eq!(g.instances[0].lifecycle, Lifecycle::PendingWait);
        assert!(actions.iter().any(|a| matches!(a, Action::Notify { .. })));
        step(&mut g, &world(30_000, &[(&id, running())]), &ids);
        assert_eq!(g.instances[0].lifecycle, Lifecycle::PendingWait);
        // The timeout applies ABANDON: terminated, and a replacement comes.
        let actions = step(&mut g, &world(60_001, &[(&id, running())]), &ids);
        assert_eq!(g.instances[0].lifecycle, Lifecycle::Terminating);
        assert!(g.instances[0].skip_terminate_hooks);
        assert_eq!(launches(&actions).len(), 1);

        // CompleteLifecycleAction CONTINUE lets it in.
        let mut g = group(1, 1, None);
        g.put_hook(HookSpec {
            name: "h".into(),
            transition: Some(LAUNCHING.into()),
            ..HookSpec::default()
        })
        .unwrap();
        let actions = step(&mut g, &world(0, &[]), &ids);
        launch_all(&mut g, &actions, 0);
        let id = g.instances[0].instance_id.clone();
        step(&mut g, &world(1, &[(&id, running())]), &ids);
        g.complete_action("h", None, Some(&id), "CONTINUE").unwrap();
        step(&mut g, &world(2, &[(&id, running())]), &ids);
        assert_eq!(g.instances[0].lifecycle, Lifecycle::PendingProceed);
    }

    #[test]
    fn termination_hooks_run_after_draining() {
        let mut g = group(0, 1, Some(1));
        g.put_hook(HookSpec {
            name: "t".into(),
            transition: Some(TERMINATING.into()),
            heartbeat_timeout: Some(30),
            ..HookSpec::default()
        })
        .unwrap();
        g.instances = vec![member("i-a", "us-east-1a", Lifecycle::InService)];
        g.set_desired(0).unwrap();
        let ids = Ids::seeded(7);
        step(&mut g, &world(0, &[("i-a", running())]), &ids);
        assert_eq!(g.instances[0].lifecycle, Lifecycle::Terminating);
        let actions = step(&mut g, &world(1, &[("i-a", running())]), &ids);
        assert_eq!(g.instances[0].lifecycle, Lifecycle::TerminatingWait);
        assert!(actions.iter().any(|a| matches!(a, Action::Notify { hook, .. } if hook.transition == Transition::Terminating)));
        step(&mut g, &world(30_001, &[("i-a", running())]), &ids);
        assert_eq!(g.instances[0].lifecycle, Lifecycle::TerminatingProceed);
    }

    #[test]
    fn standby_drains_and_is_not_health_checked() {
        let mut g = group(1, 2, Some(2));
        g.instances = vec![
            member("i-a", "us-east-1a", Lifecycle::InService),
            member("i-b", "us-east-1b", Lifecycle::InService),
        ];
        let ids = Ids::seeded(8);
        g.enter_standby(
            &["i-a".into()],
            true,
            |i| Activity::start(i.into(), "g", "a", "d".into(), "c".into(), 0),
            0,
        )
        .unwrap();
        let actions = step(
            &mut g,
            &world(1, &[("i-a", registered(true)), ("i-b", running())]),
            &ids,
        );
        assert!(
            actions.iter().any(
                |a| matches!(a, Action::Deregister { instance_id, .. } if instance_id == "i-a")
            )
        );
        assert_eq!(g.instances[0].lifecycle, Lifecycle::EnteringStandby);
        let stopped = Observation {
            state: Some(InstanceState::Stopped),
            ..Observation::default()
        };
        step(
            &mut g,
            &world(2, &[("i-a", stopped.clone()), ("i-b", running())]),
            &ids,
        );
        assert_eq!(g.instances[0].lifecycle, Lifecycle::Standby);
        // Stopped in standby: not marked unhealthy, no replacement.
        let actions = step(
            &mut g,
            &world(3, &[("i-a", stopped), ("i-b", running())]),
            &ids,
        );
        assert_eq!(g.instances[0].health, Health::Healthy);
        assert!(launches(&actions).is_empty());
        // Terminated while in standby: it leaves the group.
        let gone = Observation {
            state: Some(InstanceState::Terminated),
            ..Observation::default()
        };
        step(
            &mut g,
            &world(4, &[("i-a", gone), ("i-b", running())]),
            &ids,
        );
        assert!(g.member("i-a").is_none());
    }

    #[test]
    fn scale_in_follows_zones_then_policies() {
        let mut g = group(0, 4, Some(1));
        let mut a1 = member("i-a1", "us-east-1a", Lifecycle::InService);
        a1.in_service_millis = Some(100);
        let mut a2 = member("i-a2", "us-east-1a", Lifecycle::InService);
        a2.in_service_millis = Some(200);
        let b = member("i-b", "us-east-1b", Lifecycle::InService);
        g.instances = vec![a1, a2, b];
        g.termination_policies = vec!["NewestInstance".into()];
        let template = g.launch_template.clone();
        assert_eq!(choose_victim(&g, &template).as_deref(), Some("i-a2"));
        g.termination_policies = vec!["OldestInstance".into()];
        assert_eq!(choose_victim(&g, &template).as_deref(), Some("i-a1"));
        g.instances[0].protected = true;
        assert_eq!(choose_victim(&g, &template).as_deref(), Some("i-a2"));
    }

    #[test]
    fn oldest_launch_configuration_goes_first_after_a_switch() {
        use super::super::template::TemplateSpec;
        let mut g = group(0, 4, Some(1));
        let mut old = member("i-old", "us-east-1a", Lifecycle::InService);
        old.launch_template = Some(TemplateSpec::configuration("lc-1"));
        old.in_service_millis = Some(300);
        let mut new = member("i-new", "us-east-1a", Lifecycle::InService);
        new.launch_template = Some(TemplateSpec::configuration("lc-2"));
        new.in_service_millis = Some(100);
        g.instances = vec![new, old];
        g.launch_template = TemplateSpec::configuration("lc-2");
        g.termination_policies = vec!["OldestLaunchConfiguration".into()];
        let current = g.launch_template.clone();
        assert_eq!(
            choose_victim(&g, &current).as_deref(),
            Some("i-old"),
            "the instance not on the group's configuration, though newer"
        );
        // A template and a configuration are different sources.
        g.launch_template = TemplateSpec {
            id: "lt-1".into(),
            name: "t".into(),
            version: None,
            configuration: None,
        };
        let current = g.launch_template.clone();
        g.termination_policies = vec!["OldestLaunchConfiguration".into(), "OldestInstance".into()];
        assert_eq!(choose_victim(&g, &current).as_deref(), Some("i-new"));
    }

    #[test]
    fn refresh_replaces_one_batch_at_a_time() {
        use super::super::refresh::{InstanceRefresh, RefreshSpec};
        let mut g = group(2, 2, None);
        g.instances = vec![
            member("i-a", "us-east-1a", Lifecycle::InService),
            member("i-b", "us-east-1b", Lifecycle::InService),
        ];
        g.refreshes.push(
            InstanceRefresh::start(
                "r".into(),
                RefreshSpec {
                    instance_warmup: Some(10),
                    ..RefreshSpec::default()
                },
                None,
                vec!["i-a".into(), "i-b".into()],
                0,
            )
            .unwrap(),
        );
        let ids = Ids::seeded(9);
        let obs = [("i-a", running()), ("i-b", running())];
        let actions = step(&mut g, &world(20_000, &obs), &ids);
        assert_eq!(g.instances[0].lifecycle, Lifecycle::Terminating);
        assert_eq!(g.instances[1].lifecycle, Lifecycle::InService);
        assert_eq!(launches(&actions), ["us-east-1a"]);
        assert_eq!(g.refreshes[0].status, RefreshStatus::InProgress);
        // Nothing more happens until the replacement is in service and warm.
        step(&mut g, &world(21_000, &obs), &ids);
        assert_eq!(g.instances[1].lifecycle, Lifecycle::InService);
    }

    #[test]
    fn a_rolled_back_refresh_replaces_what_it_launched_from_the_group_configuration() {
        use super::super::refresh::{InstanceRefresh, RefreshSpec};
        let version = |v: &str| TemplateSpec {
            id: "lt-1".into(),
            name: "t".into(),
            version: Some(v.into()),
            configuration: None,
        };
        let mut g = group(2, 2, None);
        g.launch_template = version("1");
        // Half way: i-a was replaced by i-c on version 2, i-b is still to go.
        let mut old = member("i-b", "us-east-1b", Lifecycle::InService);
        old.launch_template = Some(version("1"));
        let mut new = member("i-c", "us-east-1a", Lifecycle::InService);
        new.launch_template = Some(version("2"));
        g.instances = vec![old, new];
        let spec = RefreshSpec {
            instance_warmup: Some(10),
            ..RefreshSpec::default()
        };
        let mut refresh =
            InstanceRefresh::start("r".into(), spec, Some(version("2")), vec!["i-b".into()], 0)
                .unwrap();
        refresh.status = RefreshStatus::InProgress;
        refresh
            .roll_back(
                &version("1"),
                Some("ami-0123456789abcdef0"),
                vec!["i-c".into()],
                "Rollback requested by user.",
                30_000,
            )
            .unwrap();
        assert_eq!(refresh.status, RefreshStatus::RollbackInProgress);
        assert_eq!(
            refresh.rollback.as_ref().map(|r| r.instances_to_update),
            Some(1)
        );
        g.refreshes.push(refresh);

        let ids = Ids::seeded(3);
        let obs = [("i-b", running()), ("i-c", running())];
        step(&mut g, &world(40_000, &obs), &ids);
        assert_eq!(g.instances[1].lifecycle, Lifecycle::Terminating, "i-c goes");
        assert_eq!(g.instances[0].lifecycle, Lifecycle::InService, "i-b stays");
        g.instances.retain(|m| m.instance_id != "i-c");
        let actions = step(&mut g, &world(41_000, &[("i-b", running())]), &ids);
        let templates: Vec<_> = actions
            .iter()
            .filter_map(|a| match a {
                Action::Launch { template, .. } => Some(template.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(templates, [version("1")], "replaced from the group's own");

        // Once back at capacity and warm, the rollback has succeeded and the
        // group keeps version 1.
        let mut back = member("i-d", "us-east-1a", Lifecycle::InService);
        back.launch_template = Some(version("1"));
        back.in_service_millis = Some(41_000);
        g.instances.push(back);
        let obs = [("i-b", running()), ("i-d", running())];
        step(&mut g, &world(60_000, &obs), &ids);
        assert_eq!(g.refreshes[0].status, RefreshStatus::RollbackSuccessful);
        assert_eq!(g.launch_template, version("1"));
    }

    #[test]
    fn a_cancelled_rollback_launches_nothing_from_the_desired_configuration() {
        use super::super::refresh::{InstanceRefresh, RefreshSpec};
        let version = |v: &str| TemplateSpec {
            version: Some(v.into()),
            ..TemplateSpec::default()
        };
        let mut g = group(1, 1, None);
        g.launch_template = version("1");
        let mut refresh = InstanceRefresh::start(
            "r".into(),
            RefreshSpec::default(),
            Some(version("2")),
            Vec::new(),
            0,
        )
        .unwrap();
        refresh
            .roll_back(&version("1"), None, Vec::new(), "r", 0)
            .unwrap();
        refresh.status = RefreshStatus::Cancelling;
        g.refreshes.push(refresh);
        assert_eq!(launch_template(&g), version("1"));
        step(&mut g, &world(1_000, &[]), &Ids::seeded(1));
        assert_eq!(g.refreshes[0].status, RefreshStatus::Cancelled);
    }

    #[test]
    fn a_refresh_without_a_desired_configuration_cannot_be_rolled_back() {
        use super::super::refresh::{InstanceRefresh, RefreshSpec};
        let mut plain =
            InstanceRefresh::start("r".into(), RefreshSpec::default(), None, Vec::new(), 0)
                .unwrap();
        let numbered = TemplateSpec {
            version: Some("1".into()),
            ..TemplateSpec::default()
        };
        assert!(matches!(
            plain.roll_back(&numbered, None, Vec::new(), "r", 0),
            Err(super::super::Error::IrreversibleInstanceRefresh(_))
        ));
        let mut desired = InstanceRefresh::start(
            "r".into(),
            RefreshSpec::default(),
            Some(numbered),
            Vec::new(),
            0,
        )
        .unwrap();
        let latest = TemplateSpec {
            version: Some("$Latest".into()),
            ..TemplateSpec::default()
        };
        assert!(matches!(
            desired.roll_back(&latest, None, Vec::new(), "r", 0),
            Err(super::super::Error::IrreversibleInstanceRefresh(_))
        ));
        let numbered = TemplateSpec {
            version: Some("1".into()),
            ..TemplateSpec::default()
        };
        let by_parameter = Some("resolve:ssm:/golden/ami");
        assert!(matches!(
            desired.roll_back(&numbered, by_parameter, Vec::new(), "r", 0),
            Err(super::super::Error::IrreversibleInstanceRefresh(m)) if m.contains("Systems Manager")
        ));
        // A refresh already on its way out has nothing to roll back,
        // whatever the image.
        desired.status = RefreshStatus::Cancelling;
        assert!(matches!(
            desired.roll_back(&numbered, by_parameter, Vec::new(), "r", 0),
            Err(super::super::Error::ActiveInstanceRefreshNotFound(_))
        ));
        desired.status = RefreshStatus::InProgress;
        desired.finish(RefreshStatus::Successful, "done", 1);
        assert!(matches!(
            desired.roll_back(&TemplateSpec::default(), None, Vec::new(), "r", 0),
            Err(super::super::Error::ActiveInstanceRefreshNotFound(_))
        ));
    }

    #[test]
    fn with_elb_health_a_refresh_waits_for_the_load_balancer_to_find_the_replacement_healthy() {
        use super::super::group::Attachment;
        use super::super::refresh::{InstanceRefresh, RefreshSpec};
        const TG: &str = "arn:tg";
        let mut g = group(2, 2, None);
        g.health_check_type = "ELB".into();
        g.target_groups.push(Attachment {
            target_group_arn: TG.into(),
            state: AttachmentState::InService,
        });
        let mut fresh = member("i-c", "us-east-1a", Lifecycle::InService);
        fresh.in_service_millis = Some(0);
        g.instances = vec![fresh, member("i-b", "us-east-1b", Lifecycle::InService)];
        g.refreshes.push(
            InstanceRefresh::start(
                "r".into(),
                RefreshSpec {
                    min_healthy_percentage: Some(50),
                    instance_warmup: Some(0),
                    ..RefreshSpec::default()
                },
                None,
                vec!["i-b".into()],
                0,
            )
            .unwrap(),
        );
        let ids = Ids::seeded(11);
        let healthy = Observation {
            healthy_in: vec![TG.into()],
            live_in: vec![TG.into()],
            present_in: vec![TG.into()],
            ..running()
        };
        let initial = Observation {
            live_in: vec![TG.into()],
            present_in: vec![TG.into()],
            ..running()
        };
        // The replacement runs and is warm, but its health checks have not
        // passed yet: i-b stays in service.
        step(
            &mut g,
            &world(20_000, &[("i-c", initial), ("i-b", healthy.clone())]),
            &ids,
        );
        assert_eq!(g.instances[1].lifecycle, Lifecycle::InService);
        step(
            &mut g,
            &world(21_000, &[("i-c", healthy.clone()), ("i-b", healthy)]),
            &ids,
        );
        assert_eq!(g.instances[1].lifecycle, Lifecycle::Terminating);
    }

    #[test]
    fn force_delete_empties_then_deletes() {
        let mut g = group(1, 1, None);
        g.instances = vec![member("i-a", "us-east-1a", Lifecycle::InService)];
        g.delete(true).unwrap();
        let ids = Ids::seeded(10);
        let gone = Observation {
            state: Some(InstanceState::Terminated),
            ..Observation::default()
        };
        step(&mut g, &world(1, &[("i-a", running())]), &ids);
        assert_eq!(g.instances[0].lifecycle, Lifecycle::TerminatingProceed);
        let actions = step(&mut g, &world(2, &[("i-a", gone)]), &ids);
        assert!(actions.contains(&Action::DeleteGroup));
    }
}
