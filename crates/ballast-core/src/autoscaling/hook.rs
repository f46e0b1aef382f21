//! Lifecycle hooks: their settings, the actions an instance waits on, the
//! timeouts and the default result, and the event a handler receives.

use serde::{Deserialize, Serialize};

use super::{Error, invalid};

/// The launch transition's name.
pub const LAUNCHING: &str = "autoscaling:EC2_INSTANCE_LAUNCHING";

/// The terminate transition's name.
pub const TERMINATING: &str = "autoscaling:EC2_INSTANCE_TERMINATING";

/// `HeartbeatTimeout` when none is given, in seconds.
pub const DEFAULT_HEARTBEAT_SECONDS: u32 = 3600;

/// The longest an instance waits in one transition: 48 hours, or 100
/// heartbeats if that is less.
pub const MAX_GLOBAL_SECONDS: u64 = 48 * 3600;

/// Which transition a hook holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Transition {
    Launching,
    Terminating,
}

impl Transition {
    pub fn name(self) -> &'static str {
        match self {
            Transition::Launching => LAUNCHING,
            Transition::Terminating => TERMINATING,
        }
    }

    pub fn parse(text: &str) -> Result<Transition, Error> {
        match text {
            LAUNCHING => Ok(Transition::Launching),
            TERMINATING => Ok(Transition::Terminating),
            other => Err(invalid(format!(
                "Invalid Lifecycle Transition '{other}': valid transitions are {LAUNCHING} and {TERMINATING}"
            ))),
        }
    }

    /// The EventBridge `detail-type` of its notification.
    pub fn detail_type(self) -> &'static str {
        match self {
            Transition::Launching => "EC2 Instance-launch Lifecycle Action",
            Transition::Terminating => "EC2 Instance-terminate Lifecycle Action",
        }
    }
}

/// A lifecycle hook of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleHook {
    pub name: String,
    pub transition: Transition,
    pub notification_target_arn: Option<String>,
    pub role_arn: Option<String>,
    pub notification_metadata: Option<String>,
    /// Seconds (AWS time).
    pub heartbeat_timeout: u32,
    /// `CONTINUE` or `ABANDON`.
    pub default_result: String,
}

impl LifecycleHook {
    /// `GlobalTimeout`: the longest an instance may wait on this hook, in
    /// seconds: min(48 h, 100 × heartbeat).
    pub fn global_timeout(&self) -> u64 {
        (u64::from(self.heartbeat_timeout) * 100).min(MAX_GLOBAL_SECONDS)
    }
}

/// The members of a PutLifecycleHook request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HookSpec {
    pub name: String,
    pub transition: Option<String>,
    pub notification_target_arn: Option<String>,
    pub role_arn: Option<String>,
    pub notification_metadata: Option<String>,
    pub heartbeat_timeout: Option<i32>,
    pub default_result: Option<String>,
}

/// Checks a hook name: 1–255 of letters, digits and `- _ /`.
pub fn check_hook_name(name: &str) -> Result<(), Error> {
    let ok = !name.is_empty()
        && name.len() <= 255
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'/' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(invalid(format!(
            "1 validation error detected: Value '{name}' at 'lifecycleHookName' failed to satisfy constraint: Member must satisfy regular expression pattern: [A-Za-z0-9\\-_\\/]+"
        )))
    }
}

/// Checks a lifecycle action result.
pub fn check_result(result: &str) -> Result<(), Error> {
    match result {
        "CONTINUE" | "ABANDON" => Ok(()),
        other => Err(invalid(format!(
            "Invalid Lifecycle Action Result '{other}': valid results are CONTINUE and ABANDON"
        ))),
    }
}

impl HookSpec {
    /// The hook this request makes, over the existing hook of that name
    /// (PutLifecycleHook updates what it names). A new hook needs its
    /// transition.
    pub fn apply(self, existing: Option<&LifecycleHook>) -> Result<LifecycleHook, Error> {
        check_hook_name(&self.name)?;
        let transition = match (&self.transition, existing) {
            (Some(t), _) => Transition::parse(t)?,
            (None, Some(e)) => e.transition,
            (None, None) => {
                return Err(invalid(
                    "LifecycleTransition must be specified when creating a lifecycle hook",
                ));
            }
        };
        let heartbeat_timeout = match self.heartbeat_timeout {
            Some(t @ 30..=7200) => t.unsigned_abs(),
            Some(t) => {
                return Err(invalid(format!(
                    "Heartbeat timeout {t} is not valid: it must be between 30 and 7200 seconds"
                )));
            }
            None => existing.map_or(DEFAULT_HEARTBEAT_SECONDS, |e| e.heartbeat_timeout),
        };
        let default_result = match self.default_result {
            Some(r) => {
                check_result(&r)?;
                r
            }
            None => existing.map_or_else(|| "ABANDON".to_owned(), |e| e.default_result.clone()),
        };
        if let Some(m) = &self.notification_metadata
            && m.len() > 1023
        {
            return Err(invalid(
                "NotificationMetadata must be at most 1023 characters",
            ));
        }
        Ok(LifecycleHook {
            name: self.name,
            transition,
            notification_target_arn: self
                .notification_target_arn
                .or_else(|| existing.and_then(|e| e.notification_target_arn.clone())),
            role_arn: self
                .role_arn
                .or_else(|| existing.and_then(|e| e.role_arn.clone())),
            notification_metadata: self
                .notification_metadata
                .or_else(|| existing.and_then(|e| e.notification_metadata.clone())),
            heartbeat_timeout,
            default_result,
        })
    }
}

/// An instance waiting on one hook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitingAction {
    pub hook_name: String,
    /// `LifecycleActionToken`: a UUID.
    pub token: String,
    /// Wall-clock millis when the heartbeat timeout expires.
    pub deadline_millis: i64,
    /// Wall-clock millis past which no heartbeat extends the wait.
    pub global_deadline_millis: i64,
    /// `CONTINUE` or `ABANDON` once completed (or timed out).
    pub result: Option<String>,
}

impl WaitingAction {
    /// The result once decided: the completed one, or the hook's default
    /// once the (heartbeat or global) timeout has passed.
    pub fn outcome(&self, default_result: &str, now_millis: i64) -> Option<String> {
        if let Some(result) = &self.result {
            return Some(result.clone());
        }
        (now_millis >= self.deadline_millis.min(self.global_deadline_millis))
            .then(|| default_result.to_owned())
    }

    /// RecordLifecycleActionHeartbeat: the wait starts over, but never past
    /// the global timeout.
    pub fn heartbeat(&mut self, now_millis: i64, heartbeat_millis: i64) {
        self.deadline_millis = now_millis
            .saturating_add(heartbeat_millis)
            .min(self.global_deadline_millis);
    }
}

/// The event a lifecycle hook's handler receives, shaped as EventBridge
/// delivers `aws.autoscaling` lifecycle actions.
#[allow(clippy::too_many_arguments)]
pub fn event(
    event_id: &str,
    hook: &LifecycleHook,
    token: &str,
    group_name: &str,
    group_arn: &str,
    instance_id: &str,
    region: &str,
    account: &str,
    time: &str,
) -> serde_json::Value {
    let (origin, destination) = match hook.transition {
        Transition::Launching => ("EC2", "AutoScalingGroup"),
        Transition::Terminating => ("AutoScalingGroup", "EC2"),
    };
    let mut detail = serde_json::json!({
        "LifecycleActionToken": token,
        "AutoScalingGroupName": group_name,
        "LifecycleHookName": hook.name,
        "EC2InstanceId": instance_id,
        "LifecycleTransition": hook.transition.name(),
        "Origin": origin,
        "Destination": destination,
    });
    if let (Some(metadata), Some(map)) = (&hook.notification_metadata, detail.as_object_mut()) {
        map.insert(
            "NotificationMetadata".to_owned(),
            serde_json::Value::String(metadata.clone()),
        );
    }
    serde_json::json!({
        "version": "0",
        "id": event_id,
        "detail-type": hook.transition.detail_type(),
        "source": "aws.autoscaling",
        "account": account,
        "time": time,
        "region": region,
        "resources": [group_arn],
        "detail": detail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str) -> HookSpec {
        HookSpec {
            name: name.into(),
            transition: Some(LAUNCHING.into()),
            ..HookSpec::default()
        }
    }

    #[test]
    fn defaults_and_ranges() {
        let hook = spec("h").apply(None).unwrap();
        assert_eq!(hook.heartbeat_timeout, 3600);
        assert_eq!(hook.default_result, "ABANDON");
        assert_eq!(hook.global_timeout(), 48 * 3600);
        let short = HookSpec {
            heartbeat_timeout: Some(30),
            ..spec("h")
        }
        .apply(None)
        .unwrap();
        assert_eq!(short.global_timeout(), 3000);
        assert!(
            HookSpec {
                heartbeat_timeout: Some(29),
                ..spec("h")
            }
            .apply(None)
            .is_err()
        );
        assert!(
            HookSpec {
                transition: None,
                ..spec("h")
            }
            .apply(None)
            .is_err()
        );
        // An update keeps what it does not name.
        let updated = HookSpec {
            name: "h".into(),
            default_result: Some("CONTINUE".into()),
            ..HookSpec::default()
        }
        .apply(Some(&short))
        .unwrap();
        assert_eq!(updated.heartbeat_timeout, 30);
        assert_eq!(updated.transition, Transition::Launching);
    }

    #[test]
    fn timeouts_apply_the_default() {
        let mut waiting = WaitingAction {
            hook_name: "h".into(),
            token: "t".into(),
            deadline_millis: 1_000,
            global_deadline_millis: 5_000,
            result: None,
        };
        assert_eq!(waiting.outcome("ABANDON", 999), None);
        assert_eq!(
            waiting.outcome("ABANDON", 1_000).as_deref(),
            Some("ABANDON")
        );
        waiting.heartbeat(900, 1_000);
        assert_eq!(waiting.outcome("ABANDON", 1_500), None);
        waiting.heartbeat(4_500, 1_000);
        assert_eq!(
            waiting.deadline_millis, 5_000,
            "capped by the global timeout"
        );
        waiting.result = Some("CONTINUE".into());
        assert_eq!(
            waiting.outcome("ABANDON", 9_999).as_deref(),
            Some("CONTINUE")
        );
    }

    #[test]
    fn events_look_like_eventbridge() {
        let hook = spec("h").apply(None).unwrap();
        let e = event(
            "id",
            &hook,
            "tok",
            "g",
            "arn:g",
            "i-1",
            "us-east-1",
            "0",
            "t",
        );
        assert_eq!(e["detail-type"], "EC2 Instance-launch Lifecycle Action");
        assert_eq!(e["detail"]["EC2InstanceId"], "i-1");
        assert_eq!(e["detail"]["Origin"], "EC2");
    }
}
