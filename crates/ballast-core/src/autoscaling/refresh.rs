//! Instance refresh: a rolling replacement of a group's instances that
//! keeps at least `MinHealthyPercentage` of the desired capacity in
//! service and waits `InstanceWarmup` after each new instance.

use serde::{Deserialize, Serialize};

use super::member::{Lifecycle, Member};
use super::template::TemplateSpec;
use super::{Error, invalid};
use crate::ec2::images::SSM_ALIAS_PREFIX;

/// `MinHealthyPercentage` when none is given.
pub const DEFAULT_MIN_HEALTHY: u32 = 90;

/// An instance refresh's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RefreshStatus {
    Pending,
    InProgress,
    Successful,
    Failed,
    Cancelling,
    Cancelled,
    RollbackInProgress,
    RollbackFailed,
    RollbackSuccessful,
}

impl RefreshStatus {
    pub fn name(self) -> &'static str {
        match self {
            RefreshStatus::Pending => "Pending",
            RefreshStatus::InProgress => "InProgress",
            RefreshStatus::Successful => "Successful",
            RefreshStatus::Failed => "Failed",
            RefreshStatus::Cancelling => "Cancelling",
            RefreshStatus::Cancelled => "Cancelled",
            RefreshStatus::RollbackInProgress => "RollbackInProgress",
            RefreshStatus::RollbackFailed => "RollbackFailed",
            RefreshStatus::RollbackSuccessful => "RollbackSuccessful",
        }
    }

    /// Whether the refresh is still running (or being cancelled).
    pub fn is_active(self) -> bool {
        matches!(
            self,
            RefreshStatus::Pending
                | RefreshStatus::InProgress
                | RefreshStatus::Cancelling
                | RefreshStatus::RollbackInProgress
        )
    }
}

/// One instance refresh of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceRefresh {
    pub id: String,
    pub status: RefreshStatus,
    pub status_reason: Option<String>,
    pub start_millis: i64,
    pub end_millis: Option<i64>,
    pub min_healthy_percentage: u32,
    pub max_healthy_percentage: u32,
    /// Seconds (AWS time); absent means the group's default warmup, else
    /// its health check grace period.
    pub instance_warmup: Option<u32>,
    pub skip_matching: bool,
    /// `AutoRollback`, kept as asked: a refresh in Ballast never fails, so
    /// it never has anything to act on.
    #[serde(default)]
    pub auto_rollback: bool,
    /// The configuration instances are refreshed to; absent means the
    /// group's own.
    pub desired_template: Option<TemplateSpec>,
    /// Instances still to replace.
    pub to_replace: Vec<String>,
    /// The instances it set out to replace, so that a rollback knows the
    /// ones it launched (any other live instance on its configuration).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub original: Vec<String>,
    pub instances_to_update: u32,
    pub total: u32,
    /// Set once the refresh is being rolled back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<Rollback>,
}

/// How a rollback began: `RollbackDetails`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rollback {
    pub reason: String,
    pub start_millis: i64,
    /// `PercentageComplete` and `InstancesToUpdate` when it began.
    pub percentage_complete: u32,
    pub instances_to_update: u32,
}

/// The members of a StartInstanceRefresh request that Ballast honours.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RefreshSpec {
    pub strategy: Option<String>,
    pub min_healthy_percentage: Option<i32>,
    pub max_healthy_percentage: Option<i32>,
    pub instance_warmup: Option<i32>,
    pub skip_matching: Option<bool>,
    pub checkpoints: bool,
    pub auto_rollback: Option<bool>,
}

impl InstanceRefresh {
    /// A new refresh of `instances` (the group's instances now).
    pub fn start(
        id: String,
        spec: RefreshSpec,
        desired_template: Option<TemplateSpec>,
        instances: Vec<String>,
        now_millis: i64,
    ) -> Result<InstanceRefresh, Error> {
        if let Some(strategy) = &spec.strategy
            && strategy != "Rolling"
        {
            return Err(invalid(format!(
                "Strategy '{strategy}' is not supported; the only strategy is Rolling"
            )));
        }
        let min = match spec.min_healthy_percentage {
            None => DEFAULT_MIN_HEALTHY,
            Some(p @ 0..=100) => p.unsigned_abs(),
            Some(p) => {
                return Err(invalid(format!(
                    "MinHealthyPercentage {p} is not valid: it must be between 0 and 100"
                )));
            }
        };
        let max = match spec.max_healthy_percentage {
            None => 100,
            Some(p @ 100..=200) => p.unsigned_abs(),
            Some(p) => {
                return Err(invalid(format!(
                    "MaxHealthyPercentage {p} is not valid: it must be between 100 and 200"
                )));
            }
        };
        if max - min > 100 {
            return Err(invalid(
                "The difference between MaxHealthyPercentage and MinHealthyPercentage cannot exceed 100",
            ));
        }
        let warmup = match spec.instance_warmup {
            None => None,
            Some(w) => Some(u32::try_from(w).map_err(|_| {
                invalid(format!(
                    "InstanceWarmup {w} is not valid: it must be 0 or more"
                ))
            })?),
        };
        if spec.checkpoints {
            return Err(invalid(
                "CheckpointPercentages are not supported by Ballast yet",
            ));
        }
        let auto_rollback = spec.auto_rollback.unwrap_or(false);
        if auto_rollback && desired_template.is_none() {
            return Err(invalid(
                "AutoRollback needs a DesiredConfiguration to roll back to the group's own",
            ));
        }
        let total = u32::try_from(instances.len()).unwrap_or(u32::MAX);
        Ok(InstanceRefresh {
            id,
            status: RefreshStatus::Pending,
            status_reason: None,
            start_millis: now_millis,
            end_millis: None,
            min_healthy_percentage: min,
            max_healthy_percentage: max,
            instance_warmup: warmup,
            skip_matching: spec.skip_matching.unwrap_or(false),
            auto_rollback,
            desired_template,
            original: instances.clone(),
            to_replace: instances,
            instances_to_update: total,
            total,
            rollback: None,
        })
    }

    /// Turns the refresh around (RollbackInstanceRefresh): the instances it
    /// launched so far, `launched`, are replaced from the group's own
    /// configuration, `group_template`, as it was before the refresh. Only
    /// a refresh to a desired configuration can be rolled back, and only
    /// when the group names a numbered launch template version whose image,
    /// `group_image`, is an AMI id: a Systems Manager parameter
    /// (`resolve:ssm:`) may name another AMI by now than the one the
    /// group's instances came from, so AWS refuses that too.
    pub fn roll_back(
        &mut self,
        group_template: &TemplateSpec,
        group_image: Option<&str>,
        launched: Vec<String>,
        reason: &str,
        now_millis: i64,
    ) -> Result<(), Error> {
        if !matches!(
            self.status,
            RefreshStatus::Pending | RefreshStatus::InProgress
        ) {
            return Err(Error::ActiveInstanceRefreshNotFound(
                "No in progress or pending Instance Refresh found for Auto Scaling group"
                    .to_owned(),
            ));
        }
        if self.desired_template.is_none() {
            return Err(Error::IrreversibleInstanceRefresh(
                "The instance refresh cannot be rolled back: it was started without a desired configuration."
                    .to_owned(),
            ));
        }
        let moving_version = group_template.configuration.is_none()
            && matches!(
                group_template.version.as_deref(),
                None | Some("$Latest") | Some("$Default")
            );
        if moving_version {
            return Err(Error::IrreversibleInstanceRefresh(
                "The instance refresh cannot be rolled back: the group uses its launch template's $Latest or $Default version."
                    .to_owned(),
            ));
        }
        if group_image.is_some_and(|image| image.starts_with(SSM_ALIAS_PREFIX)) {
            return Err(Error::IrreversibleInstanceRefresh(
                "The instance refresh cannot be rolled back: the group's launch template uses a Systems Manager parameter instead of an AMI ID."
                    .to_owned(),
            ));
        }
        self.rollback = Some(Rollback {
            reason: reason.to_owned(),
            start_millis: now_millis,
            percentage_complete: self.percentage_complete(),
            instances_to_update: self.instances_to_update,
        });
        self.status = RefreshStatus::RollbackInProgress;
        // `PercentageComplete` and `InstancesToUpdate` stay as they were:
        // AWS reports the instances the refresh had not updated, which the
        // rollback need not replace.
        self.to_replace = launched;
        Ok(())
    }

    /// Whether the refresh is being rolled back: new instances then launch
    /// from the group's own configuration, not the desired one. A rollback
    /// that is being cancelled still is.
    pub fn rolling_back(&self) -> bool {
        self.rollback.is_some() && self.status.is_active()
    }

    /// The instances among `members` this refresh launched and a rollback
    /// replaces: live ones on its desired configuration that it did not set
    /// out to replace, leaving Standby and scale-in protected ones alone,
    /// as the `Ignore` preferences say.
    pub fn launched_by(&self, members: &[Member]) -> Vec<String> {
        let Some(desired) = &self.desired_template else {
            return Vec::new();
        };
        members
            .iter()
            .filter(|m| m.lifecycle.counts() && m.lifecycle != Lifecycle::Standby && !m.protected)
            .filter(|m| !m.lifecycle.is_leaving())
            .filter(|m| m.launch_template.as_ref() == Some(desired))
            .filter(|m| !self.original.contains(&m.instance_id))
            .map(|m| m.instance_id.clone())
            .collect()
    }

    /// `PercentageComplete`.
    pub fn percentage_complete(&self) -> u32 {
        if self.total == 0 {
            return if self.status == RefreshStatus::Successful {
                100
            } else {
                0
            };
        }
        (self.total - self.instances_to_update.min(self.total)) * 100 / self.total
    }

    /// Ends the refresh with a final status.
    pub fn finish(&mut self, status: RefreshStatus, reason: &str, now_millis: i64) {
        self.status = status;
        self.status_reason = Some(reason.to_owned());
        self.end_millis = Some(now_millis);
    }

    /// How many instances may be out of service at once: the desired
    /// capacity above `MinHealthyPercentage` of it, at least one.
    pub fn batch_size(&self, desired: u32) -> u32 {
        let keep = (u64::from(desired) * u64::from(self.min_healthy_percentage)).div_ceil(100);
        let keep = u32::try_from(keep).unwrap_or(desired);
        desired.saturating_sub(keep).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autoscaling::group::tests::member;

    #[test]
    fn a_rollback_replaces_only_what_the_refresh_launched() {
        let same = TemplateSpec {
            id: "lt-1".into(),
            version: Some("1".into()),
            ..TemplateSpec::default()
        };
        // A refresh to the configuration the group already has.
        let r = InstanceRefresh::start(
            "r".into(),
            RefreshSpec::default(),
            Some(same.clone()),
            vec!["i-old".into()],
            0,
        )
        .unwrap();
        let on = |id: &str, lifecycle: Lifecycle| {
            let mut m = member(id, "us-east-1a", lifecycle);
            m.launch_template = Some(same.clone());
            m
        };
        let mut protected = on("i-protected", Lifecycle::InService);
        protected.protected = true;
        let members = [
            on("i-old", Lifecycle::InService),
            on("i-new", Lifecycle::InService),
            on("i-booting", Lifecycle::Pending),
            on("i-standby", Lifecycle::Standby),
            on("i-leaving", Lifecycle::Terminating),
            protected,
        ];
        assert_eq!(r.launched_by(&members), ["i-new", "i-booting"]);
        let plain = InstanceRefresh::start("r".into(), RefreshSpec::default(), None, Vec::new(), 0)
            .unwrap();
        assert!(plain.launched_by(&members).is_empty());
    }

    #[test]
    fn preferences() {
        let r = InstanceRefresh::start(
            "r".into(),
            RefreshSpec::default(),
            None,
            vec!["i-1".into(), "i-2".into(), "i-3".into()],
            0,
        )
        .unwrap();
        assert_eq!(r.min_healthy_percentage, 90);
        assert_eq!(r.batch_size(3), 1, "90% of 3 keeps all 3: one at a time");
        assert_eq!(r.batch_size(10), 1);
        assert_eq!(r.percentage_complete(), 0);
        let half = InstanceRefresh::start(
            "r".into(),
            RefreshSpec {
                min_healthy_percentage: Some(50),
                ..RefreshSpec::default()
            },
            None,
            Vec::new(),
            0,
        )
        .unwrap();
        assert_eq!(half.batch_size(4), 2);
        assert!(
            InstanceRefresh::start(
                "r".into(),
                RefreshSpec {
                    min_healthy_percentage: Some(101),
                    ..RefreshSpec::default()
                },
                None,
                Vec::new(),
                0
            )
            .is_err()
        );
    }
}
