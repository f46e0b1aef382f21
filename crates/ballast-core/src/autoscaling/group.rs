//! An Auto Scaling group: its settings, its instances and the changes the
//! API makes to them. Each change checks AWS's rules and leaves the group
//! unchanged when it refuses.

use serde::{Deserialize, Serialize};

use super::activity::{Activity, InstanceChange};
use super::hook::{HookSpec, LifecycleHook, Transition};
use super::member::{Entry, Health, Lifecycle, Member};
use super::policy::ScalingPolicy;
use super::refresh::InstanceRefresh;
use super::schedule::ScheduledAction;
use super::template::TemplateSpec;
use super::{
    DEFAULT_COOLDOWN, Error, MAX_HOOKS, MAX_INSTANCES_PER_CALL, MAX_TAGS, check_group_name,
    check_health_check_type, check_termination_policies, invalid, non_negative,
};
use crate::network;

/// The state of a target group's attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttachmentState {
    Adding,
    Added,
    InService,
    Removing,
}

impl AttachmentState {
    pub fn name(self) -> &'static str {
        match self {
            AttachmentState::Adding => "Adding",
            AttachmentState::Added => "Added",
            AttachmentState::InService => "InService",
            AttachmentState::Removing => "Removing",
        }
    }
}

/// A target group attached to the group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub target_group_arn: String,
    pub state: AttachmentState,
}

/// The tag AWS puts on every instance a group launches: the group's name.
pub const GROUP_NAME_TAG: &str = "aws:autoscaling:groupName";

/// A tag of the group; `propagate` copies it to instances at launch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupTag {
    pub key: String,
    pub value: String,
    pub propagate: bool,
}

/// A suspended process and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suspension {
    pub process: String,
    pub reason: String,
}

/// A group, as stored: settings, instances, hooks, suspensions and
/// instance refreshes in one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    pub arn: String,
    pub created_millis: i64,
    pub launch_template: TemplateSpec,
    pub min_size: u32,
    pub max_size: u32,
    pub desired: u32,
    pub default_cooldown: u32,
    pub zones: Vec<String>,
    /// As given: comma-separated subnet ids.
    pub vpc_zone_identifier: Option<String>,
    pub health_check_type: String,
    pub health_check_grace_period: u32,
    pub termination_policies: Vec<String>,
    pub new_instances_protected: bool,
    pub default_instance_warmup: Option<u32>,
    pub capacity_rebalance: bool,
    pub max_instance_lifetime: Option<u32>,
    pub target_groups: Vec<Attachment>,
    pub suspended: Vec<Suspension>,
    pub tags: Vec<GroupTag>,
    pub hooks: Vec<LifecycleHook>,
    pub instances: Vec<Member>,
    /// ForceDelete: the controller terminates every instance, then
    /// deletes the group.
    pub deleting: bool,
    /// Newest first.
    #[serde(default)]
    pub refreshes: Vec<InstanceRefresh>,
    /// No launch before this time (wall-clock millis) after a failed one.
    #[serde(default)]
    pub launch_backoff_until: i64,
    /// The group metrics collection is enabled for, in
    /// [`super::metrics::METRICS`]' order.
    #[serde(default)]
    pub enabled_metrics: Vec<String>,
    /// Its scheduled actions ([`super::schedule`]).
    #[serde(default)]
    pub scheduled_actions: Vec<ScheduledAction>,
    /// What last changed the desired capacity, when that was not a plain
    /// request ("At … a scheduled action update of …"): AWS starts the
    /// cause of each launch and termination it leads to with it.
    #[serde(default)]
    pub capacity_cause: Option<String>,
    /// Its scaling policies ([`super::policy`]).
    #[serde(default)]
    pub policies: Vec<ScalingPolicy>,
    /// Until when (wall-clock millis) the last simple policy's cooldown
    /// runs.
    #[serde(default)]
    pub cooldown_until: i64,
}

/// The members of a Create or Update request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupSpec {
    pub min_size: Option<i32>,
    pub max_size: Option<i32>,
    pub desired: Option<i32>,
    pub default_cooldown: Option<i32>,
    pub zones: Option<Vec<String>>,
    pub vpc_zone_identifier: Option<String>,
    pub health_check_type: Option<String>,
    pub health_check_grace_period: Option<i32>,
    pub termination_policies: Option<Vec<String>>,
    pub new_instances_protected: Option<bool>,
    pub default_instance_warmup: Option<i32>,
    pub capacity_rebalance: Option<bool>,
    pub max_instance_lifetime: Option<i32>,
}

/// The zones a group spans: its subnets' zones when `VPCZoneIdentifier`
/// is given (default subnets only), else the zones given.
pub fn zones_of(
    region: &str,
    zones: Option<&[String]>,
    vpc_zone_identifier: Option<&str>,
) -> Result<Vec<String>, Error> {
    let subnets = network::default_subnets(region);
    let mut out: Vec<String> = Vec::new();
    if let Some(identifier) = vpc_zone_identifier.filter(|v| !v.trim().is_empty()) {
        for id in identifier
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let subnet = subnets
                .iter()
                .find(|s| s.id == id)
                .ok_or_else(|| invalid(format!("The subnet ID '{id}' does not exist")))?;
            if !out.contains(&subnet.zone) {
                out.push(subnet.zone.clone());
            }
        }
    } else {
        for zone in zones.unwrap_or_default() {
            if !network::is_zone(region, zone) {
                return Err(invalid(format!(
                    "The availability zone '{zone}' is not legal in {region}"
                )));
            }
            if !out.contains(zone) {
                out.push(zone.clone());
            }
        }
    }
    if out.is_empty() {
        return Err(invalid(
            "At least one Availability Zone or VPC Subnet is required.",
        ));
    }
    Ok(out)
}

/// Checks and turns request tags into group tags.
pub fn check_tags(tags: &[GroupTag]) -> Result<(), Error> {
    let core: Vec<crate::tags::Tag> = tags
        .iter()
        .map(|t| crate::tags::Tag::new(&t.key, &t.value))
        .collect();
    crate::tags::validate(&core).map_err(|e| invalid(e.to_string()))?;
    if tags.len() > MAX_TAGS {
        return Err(Error::LimitExceeded(format!(
            "The number of tags exceeds the limit of {MAX_TAGS}"
        )));
    }
    Ok(())
}

impl Group {
    /// A new group from a CreateAutoScalingGroup request.
    #[allow(clippy::too_many_arguments)]
    pub fn create(
        name: String,
        arn: String,
        region: &str,
        launch_template: TemplateSpec,
        spec: GroupSpec,
        target_group_arns: Vec<String>,
        tags: Vec<GroupTag>,
        hooks: Vec<HookSpec>,
        now_millis: i64,
    ) -> Result<Group, Error> {
        check_group_name(&name)?;
        let min = non_negative(spec.min_size.unwrap_or(0), "minSize")?;
        let max = non_negative(spec.max_size.unwrap_or(0), "maxSize")?;
        let zones = zones_of(
            region,
            spec.zones.as_deref(),
            spec.vpc_zone_identifier.as_deref(),
        )?;
        check_tags(&tags)?;
        let mut group = Group {
            name,
            arn,
            created_millis: now_millis,
            launch_template,
            min_size: min,
            max_size: max,
            desired: min,
            default_cooldown: DEFAULT_COOLDOWN,
            zones,
            vpc_zone_identifier: None,
            health_check_type: "EC2".to_owned(),
            health_check_grace_period: 0,
            termination_policies: vec!["Default".to_owned()],
            new_instances_protected: false,
            default_instance_warmup: None,
            capacity_rebalance: false,
            max_instance_lifetime: None,
            target_groups: Vec::new(),
            suspended: Vec::new(),
            tags,
            hooks: Vec::new(),
            instances: Vec::new(),
            deleting: false,
            refreshes: Vec::new(),
            launch_backoff_until: 0,
            enabled_metrics: Vec::new(),
            scheduled_actions: Vec::new(),
            capacity_cause: None,
            policies: Vec::new(),
            cooldown_until: 0,
        };
        group.update(region, None, spec)?;
        for arn in target_group_arns {
            group.attach_target_group(arn);
        }
        for hook in hooks {
            group.put_hook(hook)?;
        }
        Ok(group)
    }

    /// UpdateAutoScalingGroup: changes what the request names; the sizes
    /// must stay consistent (min ≤ desired ≤ max), and when only min or max
    /// moves past the desired capacity, the desired capacity follows, as on
    /// AWS.
    pub fn update(
        &mut self,
        region: &str,
        launch_template: Option<TemplateSpec>,
        spec: GroupSpec,
    ) -> Result<(), Error> {
        let mut next = self.clone();
        if let Some(template) = launch_template {
            next.launch_template = template;
        }
        if let Some(min) = spec.min_size {
            next.min_size = non_negative(min, "minSize")?;
        }
        if let Some(max) = spec.max_size {
            next.max_size = non_negative(max, "maxSize")?;
        }
        if next.min_size > next.max_size {
            return Err(invalid(format!(
                "The minimum size ({}) of the Auto Scaling group must be less than or equal to the maximum size ({}).",
                next.min_size, next.max_size
            )));
        }
        match spec.desired {
            Some(desired) => {
                let desired = non_negative(desired, "desiredCapacity")?;
                if desired < next.min_size || desired > next.max_size {
                    return Err(invalid(format!(
                        "Desired capacity:{desired} must be between the specified min size:{} and max size:{}",
                        next.min_size, next.max_size
                    )));
                }
                next.desired = desired;
            }
            None => next.desired = next.desired.clamp(next.min_size, next.max_size),
        }
        if let Some(cooldown) = spec.default_cooldown {
            next.default_cooldown = non_negative(cooldown, "defaultCooldown")?;
        }
        if spec.zones.is_some() || spec.vpc_zone_identifier.is_some() {
            next.zones = zones_of(
                region,
                spec.zones.as_deref(),
                spec.vpc_zone_identifier.as_deref(),
            )?;
            next.vpc_zone_identifier = spec.vpc_zone_identifier.filter(|v| !v.trim().is_empty());
        }
        if let Some(kind) = spec.health_check_type {
            next.health_check_type = check_health_check_type(&kind)?;
        }
        if let Some(grace) = spec.health_check_grace_period {
            next.health_check_grace_period = non_negative(grace, "healthCheckGracePeriod")?;
        }
        if let Some(policies) = spec.termination_policies {
            check_termination_policies(&policies)?;
            next.termination_policies = if policies.is_empty() {
                vec!["Default".to_owned()]
            } else {
                policies
            };
        }
        if let Some(protected) = spec.new_instances_protected {
            next.new_instances_protected = protected;
        }
        if let Some(warmup) = spec.default_instance_warmup {
            next.default_instance_warmup = Some(non_negative(warmup, "defaultInstanceWarmup")?);
        }
        if let Some(rebalance) = spec.capacity_rebalance {
            next.capacity_rebalance = rebalance;
        }
        if let Some(lifetime) = spec.max_instance_lifetime {
            let lifetime = non_negative(lifetime, "maxInstanceLifetime")?;
            if lifetime != 0 && !(86_400..=31_536_000).contains(&lifetime) {
                return Err(invalid(
                    "The maximum instance lifetime must be 0, or between 86400 and 31536000 seconds",
                ));
            }
            next.max_instance_lifetime = (lifetime != 0).then_some(lifetime);
        }
        *self = next;
        Ok(())
    }

    /// Whether a process is suspended.
    pub fn is_suspended(&self, process: &str) -> bool {
        self.suspended.iter().any(|s| s.process == process)
    }

    /// SuspendProcesses.
    pub fn suspend(&mut self, processes: &[String], now_millis: i64) {
        for process in processes {
            if !self.is_suspended(process) {
                self.suspended.push(Suspension {
                    process: process.clone(),
                    reason: format!("User suspended at {}", super::iso8601(now_millis)),
                });
            }
        }
    }

    /// ResumeProcesses.
    pub fn resume(&mut self, processes: &[String]) {
        self.suspended.retain(|s| !processes.contains(&s.process));
    }

    /// A member by instance id.
    pub fn member(&self, instance_id: &str) -> Option<&Member> {
        self.instances.iter().find(|m| m.instance_id == instance_id)
    }

    fn member_mut(&mut self, instance_id: &str) -> Option<&mut Member> {
        self.instances
            .iter_mut()
            .find(|m| m.instance_id == instance_id)
    }

    /// Members counted toward the desired capacity.
    pub fn counted(&self) -> usize {
        self.instances
            .iter()
            .filter(|m| m.lifecycle.counts())
            .count()
    }

    /// Whether any instance is between steady states: a scaling activity
    /// is in progress.
    pub fn activity_in_progress(&self) -> bool {
        self.instances
            .iter()
            .any(|m| m.lifecycle.is_transitioning())
    }

    /// The `Status` Describe shows (`Delete in progress` during a force
    /// delete).
    pub fn status(&self) -> Option<&'static str> {
        self.deleting.then_some("Delete in progress")
    }

    /// Records what changed the desired capacity from `before` (when it
    /// did), as AWS starts the cause of each launch and termination that
    /// follows: "At T {reason} changing the desired capacity from 1 to 2."
    pub fn note_desired_change(&mut self, before: u32, reason: &str, now_millis: i64) {
        if self.desired != before {
            self.capacity_cause = Some(format!(
                "At {} {reason} changing the desired capacity from {before} to {}.",
                super::iso8601(now_millis),
                self.desired
            ));
        }
    }

    /// The reason UpdateAutoScalingGroup and scheduled actions give: the
    /// group's bounds and desired capacity after the change.
    pub fn constraints_update(&self, by: &str) -> String {
        format!(
            "{by} update of AutoScalingGroup constraints to min: {}, max: {}, desired: {}",
            self.min_size, self.max_size, self.desired
        )
    }

    /// SetDesiredCapacity.
    pub fn set_desired(&mut self, desired: i32) -> Result<(), Error> {
        let desired = non_negative(desired, "desiredCapacity")?;
        if desired > self.max_size {
            return Err(invalid(format!(
                "New SetDesiredCapacity value {desired} is above max value {} for the AutoScalingGroup.",
                self.max_size
            )));
        }
        if desired < self.min_size {
            return Err(invalid(format!(
                "New SetDesiredCapacity value {desired} is below min value {} for the AutoScalingGroup.",
                self.min_size
            )));
        }
        self.desired = desired;
        Ok(())
    }

    /// Lowers the desired capacity by `n` for instances leaving, refused
    /// below the minimum.
    fn decrement(&mut self, n: u32) -> Result<(), Error> {
        let next = self.desired.saturating_sub(n);
        if next < self.min_size || self.desired < n {
            return Err(invalid(format!(
                "Currently, desiredSize equals minSize ({}). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.",
                self.min_size
            )));
        }
        self.desired = next;
        Ok(())
    }

    fn check_count(ids: &[String]) -> Result<(), Error> {
        if ids.len() > MAX_INSTANCES_PER_CALL {
            return Err(invalid(format!(
                "The number of instance ids that may be passed in is limited to {MAX_INSTANCES_PER_CALL}"
            )));
        }
        Ok(())
    }

    fn not_member(&self, id: &str) -> Error {
        invalid(format!(
            "The instance {id} is not part of Auto Scaling group {}.",
            self.name
        ))
    }

    /// TerminateInstanceInAutoScalingGroup: the instance starts leaving;
    /// with `decrement`, no replacement comes.
    pub fn terminate_instance(
        &mut self,
        instance_id: &str,
        decrement: bool,
        activity: Activity,
        now_millis: i64,
    ) -> Result<Activity, Error> {
        let member = self
            .member(instance_id)
            .ok_or_else(|| self.not_member(instance_id))?;
        if member.lifecycle.is_leaving() {
            return Err(Error::ScalingActivityInProgress(format!(
                "Instance {instance_id} is already being terminated or detached."
            )));
        }
        let in_standby = member.lifecycle == Lifecycle::Standby;
        if decrement && !in_standby {
            self.decrement(1)?;
        }
        let member = self
            .member_mut(instance_id)
            .ok_or_else(|| invalid("instance vanished"))?;
        member.enter(Lifecycle::Terminating, now_millis);
        member.decremented = decrement;
        let mut activity = activity;
        activity.instance_change = Some(InstanceChange {
            launch: false,
            instance_id: Some(instance_id.to_owned()),
        });
        member.activity = Some(activity.clone());
        Ok(activity)
    }

    /// SetInstanceHealth.
    pub fn set_health(
        &mut self,
        instance_id: &str,
        status: &str,
        respect_grace: bool,
        grace_millis: i64,
        now_millis: i64,
    ) -> Result<(), Error> {
        let health = match status {
            "Healthy" => Health::Healthy,
            "Unhealthy" => Health::Unhealthy,
            other => {
                return Err(invalid(format!(
                    "Invalid health status '{other}': valid values are Healthy and Unhealthy"
                )));
            }
        };
        let Some(member) = self
            .instances
            .iter_mut()
            .find(|m| m.instance_id == instance_id)
        else {
            return Err(invalid(format!("Instance Id not found - {instance_id}")));
        };
        if health == Health::Unhealthy
            && respect_grace
            && member
                .in_service_millis
                .is_some_and(|since| now_millis < since.saturating_add(grace_millis))
        {
            // Still in its grace period: AWS ignores the report.
            return Ok(());
        }
        member.health = health;
        member.unhealthy_cause = (health == Health::Unhealthy)
            .then(|| super::taken_out_of_service(now_millis, "a user health-check"));
        Ok(())
    }

    /// SetInstanceProtection.
    pub fn set_protection(&mut self, ids: &[String], protected: bool) -> Result<(), Error> {
        Self::check_count(ids)?;
        for id in ids {
            if self.member(id).is_none() {
                return Err(self.not_member(id));
            }
        }
        for member in &mut self.instances {
            if ids.contains(&member.instance_id) {
                member.protected = protected;
            }
        }
        Ok(())
    }

    /// EnterStandby: InService instances start leaving service.
    pub fn enter_standby(
        &mut self,
        ids: &[String],
        decrement: bool,
        activity: impl FnMut(&str) -> Activity,
        now_millis: i64,
    ) -> Result<Vec<Activity>, Error> {
        self.check_all_in(ids, Lifecycle::InService, "InService")?;
        if decrement {
            let n = u32::try_from(ids.len()).unwrap_or(u32::MAX);
            let next = self.desired.saturating_sub(n);
            if next < self.min_size || self.desired < n {
                return Err(self.sizes_refusal("place into standby", ids.len()));
            }
            self.desired = next;
        }
        Ok(self.move_members(ids, activity, |member| {
            member.enter(Lifecycle::EnteringStandby, now_millis);
        }))
    }

    /// ExitStandby: Standby instances come back (desired + 1 each).
    pub fn exit_standby(
        &mut self,
        ids: &[String],
        activity: impl FnMut(&str) -> Activity,
        now_millis: i64,
    ) -> Result<Vec<Activity>, Error> {
        self.check_all_in(ids, Lifecycle::Standby, "Standby")?;
        if self.is_suspended("Launch") {
            return Err(invalid(
                "ExitStandby is not allowed while the Launch process is suspended",
            ));
        }
        let n = u32::try_from(ids.len()).unwrap_or(u32::MAX);
        let next = self.desired.saturating_add(n);
        if next > self.max_size {
            return Err(self.sizes_refusal("exit standby", ids.len()));
        }
        self.desired = next;
        Ok(self.move_members(ids, activity, |member| {
            member.enter(Lifecycle::Pending, now_millis);
            member.entry = Entry::FromStandby;
        }))
    }

    /// Refuses a standby change unless every one of `ids` (at most the
    /// request limit) is a member in `lifecycle` (named so in the message).
    fn check_all_in(&self, ids: &[String], lifecycle: Lifecycle, named: &str) -> Result<(), Error> {
        Self::check_count(ids)?;
        for id in ids {
            let member = self.member(id).ok_or_else(|| self.not_member(id))?;
            if member.lifecycle != lifecycle {
                return Err(invalid(format!("The instance {id} is not in {named}.")));
            }
        }
        Ok(())
    }

    /// AWS's refusal of a change that would take the desired capacity
    /// outside the group's sizes.
    fn sizes_refusal(&self, doing: &str, count: usize) -> Error {
        invalid(format!(
            "AutoScalingGroup {} has min-size={}, max-size={}, and desired-size={}. To {doing} {count} instances, please update the AutoScalingGroup sizes appropriately.",
            self.name, self.min_size, self.max_size, self.desired,
        ))
    }

    /// Records an activity for each of `ids` and moves its member along
    /// with `enter`, the activity attached; returns the activities.
    fn move_members(
        &mut self,
        ids: &[String],
        mut activity: impl FnMut(&str) -> Activity,
        mut enter: impl FnMut(&mut Member),
    ) -> Vec<Activity> {
        let mut out = Vec::new();
        for id in ids {
            let made = activity(id);
            if let Some(member) = self.member_mut(id) {
                enter(member);
                member.activity = Some(made.clone());
            }
            out.push(made);
        }
        out
    }

    /// DetachInstances: InService or Standby instances leave the group
    /// and keep running.
    pub fn detach(
        &mut self,
        ids: &[String],
        decrement: bool,
        mut activity: impl FnMut(&str) -> Activity,
        now_millis: i64,
    ) -> Result<Vec<Activity>, Error> {
        Self::check_count(ids)?;
        let mut counted = 0u32;
        for id in ids {
            let member = self.member(id).ok_or_else(|| self.not_member(id))?;
            match member.lifecycle {
                Lifecycle::InService => counted += 1,
                Lifecycle::Standby => {}
                _ => {
                    return Err(invalid(format!(
                        "The instance {id} is not in InService or Standby."
                    )));
                }
            }
        }
        if decrement && counted > 0 {
            let next = self.desired.saturating_sub(counted);
            if next < self.min_size {
                return Err(invalid(format!(
                    "AutoScalingGroup {} has min-size={}, max-size={}, and desired-size={}. To detach {} instances, please update the AutoScalingGroup sizes appropriately.",
                    self.name, self.min_size, self.max_size, self.desired, counted
                )));
            }
            self.desired = next;
        }
        let mut out = Vec::new();
        for id in ids {
            let made = activity(id);
            if let Some(member) = self.member_mut(id) {
                member.enter(Lifecycle::Detaching, now_millis);
                member.decremented = decrement;
                member.activity = Some(made.clone());
            }
            out.push(made);
        }
        Ok(out)
    }

    /// AttachInstances: running instances join (desired + n).
    pub fn attach(&mut self, members: Vec<Member>) -> Result<(), Error> {
        let n = u32::try_from(members.len()).unwrap_or(u32::MAX);
        let next = self.desired.saturating_add(n);
        if next > self.max_size {
            return Err(invalid(format!(
                "Cannot attach instances: the desired capacity would become {next}, above the group's maximum size {}.",
                self.max_size
            )));
        }
        for member in &members {
            if self.member(&member.instance_id).is_some() {
                return Err(invalid(format!(
                    "The instance {} is already part of the Auto Scaling group {}.",
                    member.instance_id, self.name
                )));
            }
            if !self.zones.contains(&member.zone) {
                return Err(invalid(format!(
                    "The instance {} is in availability zone {}, which is not one of the group's zones.",
                    member.instance_id, member.zone
                )));
            }
        }
        self.desired = next;
        self.instances.extend(members);
        Ok(())
    }

    /// Attaches a target group (additive; attaching again changes
    /// nothing, and cancels a removal).
    pub fn attach_target_group(&mut self, arn: String) {
        match self
            .target_groups
            .iter_mut()
            .find(|a| a.target_group_arn == arn)
        {
            Some(existing) if existing.state == AttachmentState::Removing => {
                existing.state = AttachmentState::Adding;
            }
            Some(_) => {}
            None => self.target_groups.push(Attachment {
                target_group_arn: arn,
                state: AttachmentState::Adding,
            }),
        }
    }

    /// Starts detaching a target group; unknown ones are ignored.
    pub fn detach_target_group(&mut self, arn: &str) {
        for attachment in &mut self.target_groups {
            if attachment.target_group_arn == arn {
                attachment.state = AttachmentState::Removing;
            }
        }
    }

    /// PutLifecycleHook: creates or updates a hook.
    pub fn put_hook(&mut self, spec: HookSpec) -> Result<(), Error> {
        let index = self.hooks.iter().position(|h| h.name == spec.name);
        let hook = spec.apply(index.map(|i| &self.hooks[i]))?;
        match index {
            Some(i) => self.hooks[i] = hook,
            None => {
                if self.hooks.len() >= MAX_HOOKS {
                    return Err(Error::LimitExceeded(format!(
                        "Cannot add more than {MAX_HOOKS} lifecycle hooks to an Auto Scaling group"
                    )));
                }
                self.hooks.push(hook);
            }
        }
        Ok(())
    }

    /// DeleteLifecycleHook; instances waiting on it move on with its
    /// default result... as AWS does, they continue (the hook is gone).
    pub fn delete_hook(&mut self, name: &str) -> Result<(), Error> {
        let before = self.hooks.len();
        self.hooks.retain(|h| h.name != name);
        if self.hooks.len() == before {
            return Err(invalid(format!(
                "No Lifecycle Hook found with name {name} for group {}",
                self.name
            )));
        }
        for member in &mut self.instances {
            for waiting in &mut member.waiting {
                if waiting.hook_name == name && waiting.result.is_none() {
                    waiting.result = Some("CONTINUE".to_owned());
                }
            }
        }
        Ok(())
    }

    /// Hooks of one transition.
    pub fn hooks_for(&self, transition: Transition) -> impl Iterator<Item = &LifecycleHook> {
        self.hooks
            .iter()
            .filter(move |h| h.transition == transition)
    }

    /// Finds the waiting action CompleteLifecycleAction or
    /// RecordLifecycleActionHeartbeat names (by token or by instance).
    fn waiting_mut(
        &mut self,
        hook: &str,
        token: Option<&str>,
        instance_id: Option<&str>,
    ) -> Result<&mut super::hook::WaitingAction, Error> {
        if token.is_none() && instance_id.is_none() {
            return Err(invalid(
                "Either LifecycleActionToken or InstanceId must be specified",
            ));
        }
        if !self.hooks.iter().any(|h| h.name == hook) {
            return Err(invalid(format!(
                "No Lifecycle Hook found with name {hook} for group {}",
                self.name
            )));
        }
        let what = match (token, instance_id) {
            (Some(t), _) => format!("token {t}"),
            (None, Some(i)) => format!("instance ID {i}"),
            (None, None) => String::new(),
        };
        self.instances
            .iter_mut()
            .filter(|m| instance_id.is_none_or(|i| m.instance_id == i))
            .flat_map(|m| m.waiting.iter_mut())
            .find(|w| {
                w.hook_name == hook && w.result.is_none() && token.is_none_or(|t| w.token == t)
            })
            .ok_or_else(|| invalid(format!("No active Lifecycle Action found with {what}")))
    }

    /// CompleteLifecycleAction.
    pub fn complete_action(
        &mut self,
        hook: &str,
        token: Option<&str>,
        instance_id: Option<&str>,
        result: &str,
    ) -> Result<(), Error> {
        super::hook::check_result(result)?;
        let waiting = self.waiting_mut(hook, token, instance_id)?;
        waiting.result = Some(result.to_owned());
        Ok(())
    }

    /// RecordLifecycleActionHeartbeat.
    pub fn heartbeat(
        &mut self,
        hook: &str,
        token: Option<&str>,
        instance_id: Option<&str>,
        heartbeat_millis: impl Fn(u32) -> i64,
        now_millis: i64,
    ) -> Result<(), Error> {
        let timeout = self
            .hooks
            .iter()
            .find(|h| h.name == hook)
            .map(|h| h.heartbeat_timeout)
            .unwrap_or(super::hook::DEFAULT_HEARTBEAT_SECONDS);
        let waiting = self.waiting_mut(hook, token, instance_id)?;
        waiting.heartbeat(now_millis, heartbeat_millis(timeout));
        Ok(())
    }

    /// DeleteAutoScalingGroup: refused while instances remain unless
    /// forced; a forced delete leaves the controller to terminate them.
    /// Returns whether the group can be deleted right away.
    pub fn delete(&mut self, force: bool) -> Result<bool, Error> {
        if self.instances.is_empty() {
            return Ok(true);
        }
        if !force {
            if self.activity_in_progress() {
                return Err(Error::ScalingActivityInProgress(
                    "You cannot delete an AutoScalingGroup while there are scaling activities in progress for that group.".to_owned(),
                ));
            }
            return Err(Error::ResourceInUse(
                "You cannot delete an AutoScalingGroup while there are instances or pending Spot instance request(s) still in the group.".to_owned(),
            ));
        }
        self.deleting = true;
        self.min_size = 0;
        self.max_size = 0;
        self.desired = 0;
        Ok(false)
    }

    /// The active instance refresh, if any.
    pub fn active_refresh(&self) -> Option<&InstanceRefresh> {
        self.refreshes.iter().find(|r| r.status.is_active())
    }

    /// The tags instances launched by the group get from it: the
    /// propagating ones (the controller adds [`GROUP_NAME_TAG`] after the
    /// launch's tag checks, which refuse `aws:` keys from users).
    pub fn launch_tags(&self) -> Vec<(String, String)> {
        self.tags
            .iter()
            .filter(|t| t.propagate)
            .map(|t| (t.key.clone(), t.value.clone()))
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn group(min: i32, max: i32, desired: Option<i32>) -> Group {
        Group::create(
            "g".into(),
            "arn:aws:autoscaling:us-east-1:0:autoScalingGroup:x:autoScalingGroupName/g".into(),
            "us-east-1",
            TemplateSpec {
                id: "lt-1".into(),
                name: "t".into(),
                version: None,
                configuration: None,
            },
            GroupSpec {
                min_size: Some(min),
                max_size: Some(max),
                desired,
                zones: Some(vec![
                    "us-east-1a".into(),
                    "us-east-1b".into(),
                    "us-east-1c".into(),
                ]),
                ..GroupSpec::default()
            },
            Vec::new(),
            Vec::new(),
            Vec::new(),
            0,
        )
        .unwrap()
    }

    pub(crate) fn member(id: &str, zone: &str, lifecycle: Lifecycle) -> Member {
        Member {
            instance_id: id.into(),
            zone: zone.into(),
            instance_type: "t3.micro".into(),
            image_id: "ami-1".into(),
            launch_template: None,
            lifecycle,
            health: Health::Healthy,
            unhealthy_cause: None,
            protected: false,
            since_millis: 0,
            in_service_millis: Some(0),
            entry: Entry::Launched,
            registered: false,
            no_load_balancer: false,
            waiting: Vec::new(),
            skip_terminate_hooks: false,
            decremented: false,
            activity: None,
        }
    }

    fn activity(id: &str) -> Activity {
        Activity::start(id.into(), "g", "arn", "d".into(), "c".into(), 0)
    }

    #[test]
    fn sizes_are_checked() {
        let g = group(1, 3, None);
        assert_eq!(g.desired, 1);
        assert_eq!(g.default_cooldown, 300);
        assert_eq!(g.health_check_type, "EC2");
        let bad = Group::create(
            "g".into(),
            "a".into(),
            "us-east-1",
            TemplateSpec::default(),
            GroupSpec {
                min_size: Some(1),
                max_size: Some(3),
                desired: Some(5),
                zones: Some(vec!["us-east-1a".into()]),
                ..GroupSpec::default()
            },
            Vec::new(),
            Vec::new(),
            Vec::new(),
            0,
        );
        assert!(matches!(bad, Err(Error::Validation(m)) if m.contains("must be between")));
        let no_zone = Group::create(
            "g".into(),
            "a".into(),
            "us-east-1",
            TemplateSpec::default(),
            GroupSpec {
                max_size: Some(1),
                ..GroupSpec::default()
            },
            Vec::new(),
            Vec::new(),
            Vec::new(),
            0,
        );
        assert!(no_zone.is_err());
        let mut g = group(1, 3, Some(2));
        // Lowering max below desired pulls desired down.
        g.update(
            "us-east-1",
            None,
            GroupSpec {
                max_size: Some(1),
                ..GroupSpec::default()
            },
        )
        .unwrap();
        assert_eq!((g.max_size, g.desired), (1, 1));
        assert!(g.set_desired(2).is_err());
        let zones = zones_of(
            "us-east-1",
            None,
            Some("subnet-0ba11a5700000000b,subnet-0ba11a5700000000a"),
        )
        .unwrap();
        assert_eq!(zones, ["us-east-1b", "us-east-1a"]);
        assert!(zones_of("us-east-1", None, Some("subnet-nope")).is_err());
    }

    #[test]
    fn standby_moves_desired_capacity() {
        let mut g = group(1, 3, Some(2));
        g.instances = vec![
            member("i-a", "us-east-1a", Lifecycle::InService),
            member("i-b", "us-east-1b", Lifecycle::InService),
        ];
        g.enter_standby(&["i-a".into()], true, activity, 1).unwrap();
        assert_eq!(g.desired, 1);
        assert_eq!(g.instances[0].lifecycle, Lifecycle::EnteringStandby);
        // Below min is refused.
        assert!(g.enter_standby(&["i-b".into()], true, activity, 1).is_err());
        assert!(
            g.exit_standby(&["i-a".into()], activity, 2).is_err(),
            "not yet in Standby"
        );
        g.instances[0].lifecycle = Lifecycle::Standby;
        g.exit_standby(&["i-a".into()], activity, 2).unwrap();
        assert_eq!(g.desired, 2);
        assert_eq!(g.instances[0].lifecycle, Lifecycle::Pending);
        assert_eq!(g.instances[0].entry, Entry::FromStandby);
    }

    #[test]
    fn terminate_with_and_without_decrement() {
        let mut g = group(1, 3, Some(2));
        g.instances = vec![
            member("i-a", "us-east-1a", Lifecycle::InService),
            member("i-b", "us-east-1b", Lifecycle::InService),
        ];
        g.terminate_instance("i-a", true, activity("1"), 1).unwrap();
        assert_eq!(g.desired, 1);
        assert!(matches!(
            g.terminate_instance("i-a", false, activity("2"), 1),
            Err(Error::ScalingActivityInProgress(_))
        ));
        assert!(
            g.terminate_instance("i-b", true, activity("3"), 1).is_err(),
            "min"
        );
        g.terminate_instance("i-b", false, activity("4"), 1)
            .unwrap();
        assert_eq!(g.desired, 1);
        assert!(
            g.terminate_instance("i-zzz", false, activity("5"), 1)
                .is_err()
        );
    }

    #[test]
    fn delete_needs_force_with_instances() {
        let mut g = group(1, 3, Some(1));
        assert!(g.delete(false).unwrap());
        g.instances = vec![member("i-a", "us-east-1a", Lifecycle::InService)];
        assert!(matches!(g.delete(false), Err(Error::ResourceInUse(_))));
        g.instances[0].lifecycle = Lifecycle::Terminating;
        assert!(matches!(
            g.delete(false),
            Err(Error::ScalingActivityInProgress(_))
        ));
        assert!(!g.delete(true).unwrap());
        assert!(g.deleting);
        assert_eq!(g.status(), Some("Delete in progress"));
    }

    #[test]
    fn hooks_complete_by_token_or_instance() {
        let mut g = group(1, 3, Some(1));
        g.put_hook(HookSpec {
            name: "h".into(),
            transition: Some(super::super::hook::LAUNCHING.into()),
            ..HookSpec::default()
        })
        .unwrap();
        let mut m = member("i-a", "us-east-1a", Lifecycle::PendingWait);
        m.waiting.push(super::super::hook::WaitingAction {
            hook_name: "h".into(),
            token: "tok".into(),
            deadline_millis: 10,
            global_deadline_millis: 100,
            result: None,
        });
        g.instances.push(m);
        assert!(
            g.complete_action("h", Some("nope"), None, "CONTINUE")
                .is_err()
        );
        assert!(
            g.complete_action("other", Some("tok"), None, "CONTINUE")
                .is_err()
        );
        g.heartbeat("h", None, Some("i-a"), |_| 50, 5).unwrap();
        assert_eq!(g.instances[0].waiting[0].deadline_millis, 55);
        g.complete_action("h", None, Some("i-a"), "CONTINUE")
            .unwrap();
        assert!(
            g.complete_action("h", None, Some("i-a"), "CONTINUE")
                .is_err(),
            "already completed"
        );
    }

    #[test]
    fn processes_and_target_groups() {
        let mut g = group(1, 3, Some(1));
        g.suspend(&["Launch".into(), "Launch".into()], 0);
        assert_eq!(g.suspended.len(), 1);
        assert!(g.is_suspended("Launch"));
        g.resume(&["Launch".into()]);
        assert!(!g.is_suspended("Launch"));
        g.attach_target_group("tg".into());
        g.attach_target_group("tg".into());
        assert_eq!(g.target_groups.len(), 1);
        g.detach_target_group("tg");
        assert_eq!(g.target_groups[0].state, AttachmentState::Removing);
    }
}
