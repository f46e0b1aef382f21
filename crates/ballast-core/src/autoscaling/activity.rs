//! Scaling activities: every change to a group's instances, with its cause,
//! as DescribeScalingActivities shows it.

use serde::{Deserialize, Serialize};

/// An activity's `StatusCode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActivityStatus {
    PendingSpotBidPlacement,
    WaitingForSpotInstanceRequestId,
    WaitingForSpotInstanceId,
    WaitingForInstanceId,
    PreInService,
    InProgress,
    WaitingForELBConnectionDraining,
    MidLifecycleAction,
    WaitingForInstanceWarmup,
    Successful,
    Failed,
    Cancelled,
    WaitingForConnectionDraining,
}

impl ActivityStatus {
    /// The status as the API spells it.
    pub fn name(self) -> &'static str {
        match self {
            ActivityStatus::PendingSpotBidPlacement => "PendingSpotBidPlacement",
            ActivityStatus::WaitingForSpotInstanceRequestId => "WaitingForSpotInstanceRequestId",
            ActivityStatus::WaitingForSpotInstanceId => "WaitingForSpotInstanceId",
            ActivityStatus::WaitingForInstanceId => "WaitingForInstanceId",
            ActivityStatus::PreInService => "PreInService",
            ActivityStatus::InProgress => "InProgress",
            ActivityStatus::WaitingForELBConnectionDraining => "WaitingForELBConnectionDraining",
            ActivityStatus::MidLifecycleAction => "MidLifecycleAction",
            ActivityStatus::WaitingForInstanceWarmup => "WaitingForInstanceWarmup",
            ActivityStatus::Successful => "Successful",
            ActivityStatus::Failed => "Failed",
            ActivityStatus::Cancelled => "Cancelled",
            ActivityStatus::WaitingForConnectionDraining => "WaitingForConnectionDraining",
        }
    }

    /// Whether the activity has ended.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ActivityStatus::Successful | ActivityStatus::Failed | ActivityStatus::Cancelled
        )
    }
}

/// One scaling activity, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    /// A UUID, as AWS's activity ids are.
    pub id: String,
    pub group_name: String,
    pub group_arn: String,
    pub description: String,
    pub cause: String,
    pub start_millis: i64,
    pub end_millis: Option<i64>,
    pub status: ActivityStatus,
    pub status_message: Option<String>,
    pub progress: i32,
    /// JSON text, as AWS's `Details` (`{"Subnet ID":…,"Availability Zone":…}`).
    pub details: String,
}

impl Activity {
    /// A new activity, in progress.
    pub fn start(
        id: String,
        group_name: &str,
        group_arn: &str,
        description: String,
        cause: String,
        now_millis: i64,
    ) -> Activity {
        Activity {
            id,
            group_name: group_name.to_owned(),
            group_arn: group_arn.to_owned(),
            description,
            cause,
            start_millis: now_millis,
            end_millis: None,
            status: ActivityStatus::InProgress,
            status_message: None,
            progress: 0,
            details: "{}".to_owned(),
        }
    }

    /// Moves the activity on; a final status ends it at `now_millis`.
    pub fn set(&mut self, status: ActivityStatus, now_millis: i64) {
        self.status = status;
        if status.is_final() {
            self.end_millis.get_or_insert(now_millis);
            self.progress = 100;
        } else {
            self.progress = self.progress.max(30);
        }
    }

    /// Ends the activity as failed, saying why.
    pub fn fail(&mut self, message: String, now_millis: i64) {
        self.status_message = Some(message);
        self.set(ActivityStatus::Failed, now_millis);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_states_end_the_activity() {
        let mut a = Activity::start("1".into(), "g", "arn", "d".into(), "c".into(), 5);
        a.set(ActivityStatus::MidLifecycleAction, 6);
        assert_eq!(a.end_millis, None);
        a.set(ActivityStatus::Successful, 9);
        assert_eq!((a.end_millis, a.progress), (Some(9), 100));
        assert_eq!(a.status.name(), "Successful");
    }
}
