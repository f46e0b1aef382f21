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
    /// What the activity does to an instance, for the event Auto Scaling
    /// sends when it ends (`None`: an activity of another kind).
    #[serde(default)]
    pub instance_change: Option<InstanceChange>,
}

/// A launch or a termination, and of which instance (none for a launch
/// that failed before there was one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceChange {
    pub launch: bool,
    pub instance_id: Option<String>,
}

impl Activity {
    /// The EventBridge event Auto Scaling sends when a launch or a
    /// termination ends (`EC2 Instance Launch Successful`, `… Launch
    /// Unsuccessful`, `EC2 Instance Terminate Successful`, `… Terminate
    /// Unsuccessful`), or `None` while it runs or for other activities.
    pub fn outcome_event(&self, event_id: &str, scope: &crate::Scope) -> Option<serde_json::Value> {
        let change = self.instance_change.as_ref()?;
        if !self.status.is_final() {
            return None;
        }
        let succeeded = self.status == ActivityStatus::Successful;
        let detail_type = match (change.launch, succeeded) {
            (true, true) => "EC2 Instance Launch Successful",
            (true, false) => "EC2 Instance Launch Unsuccessful",
            (false, true) => "EC2 Instance Terminate Successful",
            (false, false) => "EC2 Instance Terminate Unsuccessful",
        };
        let mut resources = vec![serde_json::Value::String(self.group_arn.clone())];
        if let Some(id) = &change.instance_id {
            resources.push(serde_json::Value::String(
                crate::ec2::instance::instance_arn(scope, id),
            ));
        }
        let details: serde_json::Value =
            serde_json::from_str(&self.details).unwrap_or_else(|_| serde_json::json!({}));
        Some(serde_json::json!({
            "version": "0",
            "id": event_id,
            "detail-type": detail_type,
            "source": "aws.autoscaling",
            "account": scope.account,
            "time": crate::clock::iso8601(self.end_millis.unwrap_or(self.start_millis)),
            "region": scope.region,
            "resources": resources,
            "detail": {
                // AWS reports a successful one as still InProgress.
                "StatusCode": if succeeded { "InProgress" } else { "Failed" },
                "AutoScalingGroupName": self.group_name,
                "ActivityId": self.id,
                "Details": details,
                "RequestId": self.id,
                "StatusMessage": self.status_message.clone().unwrap_or_default(),
                "EndTime": self.end_millis.map(crate::clock::iso8601_millis),
                "EC2InstanceId": change.instance_id.clone().unwrap_or_default(),
                "StartTime": crate::clock::iso8601_millis(self.start_millis),
                "Cause": self.cause,
                "Description": self.description,
            },
        }))
    }
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
            instance_change: None,
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

    #[test]
    fn an_ended_launch_or_termination_is_an_event() {
        let scope = crate::Scope::new("us-east-1");
        let mut a = Activity::start("act-1".into(), "g", "arn:g", "d".into(), "c".into(), 5);
        a.instance_change = Some(InstanceChange {
            launch: true,
            instance_id: Some("i-1".into()),
        });
        assert_eq!(a.outcome_event("e-1", &scope), None, "still running");
        a.set(ActivityStatus::Successful, 9);
        let event = a.outcome_event("e-1", &scope).expect("an event");
        assert_eq!(event["detail-type"], "EC2 Instance Launch Successful");
        assert_eq!(event["source"], "aws.autoscaling");
        assert_eq!(event["detail"]["EC2InstanceId"], "i-1");
        assert_eq!(event["detail"]["StatusCode"], "InProgress");
        assert_eq!(
            event["resources"],
            serde_json::json!(["arn:g", "arn:aws:ec2:us-east-1:000000000000:instance/i-1"])
        );
        a.instance_change = Some(InstanceChange {
            launch: false,
            instance_id: Some("i-1".into()),
        });
        a.fail("no".into(), 10);
        let event = a.outcome_event("e-2", &scope).expect("an event");
        assert_eq!(event["detail-type"], "EC2 Instance Terminate Unsuccessful");
        assert_eq!(event["detail"]["StatusCode"], "Failed");
        a.instance_change = None;
        assert_eq!(
            a.outcome_event("e-3", &scope),
            None,
            "not an instance change"
        );
    }
}
