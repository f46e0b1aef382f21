//! An instance in a group: its lifecycle state, health and protection.

use serde::{Deserialize, Serialize};

use super::activity::Activity;
use super::hook::WaitingAction;
use super::template::TemplateSpec;

/// `LifecycleState`, as the model spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lifecycle {
    Pending,
    PendingWait,
    PendingProceed,
    InService,
    Terminating,
    TerminatingWait,
    TerminatingProceed,
    Detaching,
    EnteringStandby,
    Standby,
}

impl Lifecycle {
    /// The state's name (`Pending:Wait`, …).
    pub fn name(self) -> &'static str {
        match self {
            Lifecycle::Pending => "Pending",
            Lifecycle::PendingWait => "Pending:Wait",
            Lifecycle::PendingProceed => "Pending:Proceed",
            Lifecycle::InService => "InService",
            Lifecycle::Terminating => "Terminating",
            Lifecycle::TerminatingWait => "Terminating:Wait",
            Lifecycle::TerminatingProceed => "Terminating:Proceed",
            Lifecycle::Detaching => "Detaching",
            Lifecycle::EnteringStandby => "EnteringStandby",
            Lifecycle::Standby => "Standby",
        }
    }

    /// Whether an instance in this state counts toward the group's
    /// capacity (it is coming into service or in service).
    pub fn counts(self) -> bool {
        matches!(
            self,
            Lifecycle::Pending
                | Lifecycle::PendingWait
                | Lifecycle::PendingProceed
                | Lifecycle::InService
        )
    }

    /// Whether the instance is on its way out of the group.
    pub fn is_leaving(self) -> bool {
        matches!(
            self,
            Lifecycle::Terminating
                | Lifecycle::TerminatingWait
                | Lifecycle::TerminatingProceed
                | Lifecycle::Detaching
        )
    }

    /// Whether the instance is between two steady states (a scaling
    /// activity is in progress for it).
    pub fn is_transitioning(self) -> bool {
        !matches!(self, Lifecycle::InService | Lifecycle::Standby)
    }
}

/// `HealthStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Health {
    Healthy,
    Unhealthy,
}

impl Health {
    pub fn name(self) -> &'static str {
        match self {
            Health::Healthy => "Healthy",
            Health::Unhealthy => "Unhealthy",
        }
    }
}

/// How an instance came into the group: it decides whether launch hooks
/// run (only for launches) and what the activity says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Entry {
    Launched,
    Attached,
    FromStandby,
}

/// One instance of a group, as stored in the group's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub instance_id: String,
    pub zone: String,
    pub instance_type: String,
    pub image_id: String,
    /// The template (and version number) it was launched from.
    pub launch_template: Option<TemplateSpec>,
    pub lifecycle: Lifecycle,
    pub health: Health,
    /// Why the instance was marked unhealthy: the cause of its
    /// replacement.
    #[serde(default)]
    pub unhealthy_cause: Option<String>,
    pub protected: bool,
    /// When the current lifecycle state began.
    pub since_millis: i64,
    /// When the instance (last) went into service: the health check grace
    /// period and instance warmup start here.
    pub in_service_millis: Option<i64>,
    pub entry: Entry,
    /// Registered with the group's target groups by the group.
    pub registered: bool,
    /// Came in while `AddToLoadBalancer` was suspended: never registered,
    /// even after resume, as AWS documents.
    #[serde(default)]
    pub no_load_balancer: bool,
    /// Lifecycle actions in progress (one per hook of the transition).
    #[serde(default)]
    pub waiting: Vec<WaitingAction>,
    /// Terminate without running termination hooks (force delete, an
    /// abandoned launch).
    #[serde(default)]
    pub skip_terminate_hooks: bool,
    /// Whether the desired capacity was already lowered for this
    /// instance's departure (so no replacement is wanted).
    #[serde(default)]
    pub decremented: bool,
    /// The scaling activity of the transition in progress.
    pub activity: Option<Activity>,
}

impl Member {
    /// Moves to a lifecycle state at `now_millis`.
    pub fn enter(&mut self, lifecycle: Lifecycle, now_millis: i64) {
        if self.lifecycle != lifecycle {
            self.lifecycle = lifecycle;
            self.since_millis = now_millis;
        }
    }
}
