//! What Invoke asks of the functions' runtime and what it gets back, with
//! the answers Lambda gives for failures the runtime sees (a timeout, a
//! process that died), so that every runtime reports them alike.

use std::time::Duration;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Function;

/// The most of an invocation's log `LogType: Tail` returns.
pub const LOG_TAIL_BYTES: usize = 4 * 1024;

/// The largest payload a synchronous invocation takes (6 MB).
pub const MAX_SYNC_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;

/// The largest payload an asynchronous invocation takes (1 MB).
pub const MAX_ASYNC_PAYLOAD_BYTES: usize = 1024 * 1024;

/// One invocation of a version of a function.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The version that runs (its code, settings and role).
    pub function: Function,
    /// The ARN the invocation named (qualified when it named a version or
    /// an alias), as the runtime tells the function.
    pub function_arn: String,
    /// The event, JSON.
    pub payload: Vec<u8>,
    /// `X-Amz-Client-Context`, passed on to the function.
    pub client_context: Option<String>,
    pub request_id: String,
}

/// How an invocation ended, as Invoke reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The function's result, or the error object when it failed.
    pub payload: Vec<u8>,
    /// `Unhandled` when the function failed: it raised, timed out or its
    /// runtime died (`X-Amz-Function-Error`).
    pub function_error: Option<String>,
    /// What the function wrote while it ran, between the platform's
    /// `START` and `REPORT` lines.
    pub log: String,
}

impl Outcome {
    /// A failure the platform reports (not the function's own error
    /// object): `{"errorMessage": …, "errorType": …}`.
    pub fn platform_error(error_type: &str, message: &str, log: String) -> Outcome {
        Outcome {
            payload: json!({"errorMessage": message, "errorType": error_type})
                .to_string()
                .into_bytes(),
            function_error: Some(UNHANDLED.to_owned()),
            log,
        }
    }

    /// `LogResult`: the last 4 KB of the log, base64, cut at a character.
    pub fn log_result(&self) -> String {
        let mut start = self.log.len().saturating_sub(LOG_TAIL_BYTES);
        while !self.log.is_char_boundary(start) {
            start += 1;
        }
        base64::engine::general_purpose::STANDARD.encode(&self.log[start..])
    }
}

/// `X-Amz-Function-Error` for every failure Ballast's runtimes report.
pub const UNHANDLED: &str = "Unhandled";

/// The message Lambda gives a function stopped at its timeout.
pub fn timed_out_message(request_id: &str, timeout_seconds: i32) -> String {
    format!("RequestId: {request_id} Error: Task timed out after {timeout_seconds}.00 seconds")
}

/// The message Lambda gives a runtime that exited during an invocation.
pub fn exited_message(request_id: &str, status: &str) -> String {
    format!("RequestId: {request_id} Error: Runtime exited with error: {status}")
}

/// Why the runtime did not run an invocation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotRun {
    /// It could not run the function at all (Invoke answers
    /// `ServiceException`).
    #[error("{0}")]
    Unavailable(String),
    /// The function's reserved concurrency is all in use (Invoke answers
    /// 429 `TooManyRequestsException`; a queued event waits).
    #[error("Rate Exceeded.")]
    Throttled,
}

/// What the API needs from the functions' runtime. The trait lives here so
/// the API and the runtime depend on it and not on each other.
pub trait Functions: Send + Sync + std::fmt::Debug {
    /// Runs one invocation to its end (blocking the calling thread, which
    /// is one of the API's blocking workers).
    fn invoke(&self, invocation: Invocation) -> Result<Outcome, NotRun>;

    /// An asynchronous invocation was queued in the store.
    fn queued(&self);
}

/// A runtime that runs nothing (the API's own tests).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoFunctions;

impl Functions for NoFunctions {
    fn invoke(&self, _: Invocation) -> Result<Outcome, NotRun> {
        Err(NotRun::Unavailable(
            "functions do not run in this server".to_owned(),
        ))
    }

    fn queued(&self) {}
}

/// An asynchronous invocation waiting in Lambda's queue (an `Event`
/// Invoke, or an EventBridge target), kept in the store until a run of it
/// ends, so that it survives a restart: delivered at least once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queued {
    /// The request id Invoke answered with, which the function sees.
    pub id: String,
    pub function_name: String,
    /// The version or alias the Invoke named; the version it runs is
    /// chosen when it runs, as the alias then routes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<String>,
    /// The event (JSON, which Invoke checked).
    pub payload: String,
    /// Runs that failed so far.
    pub attempts: u32,
    /// When it may run next, epoch milliseconds (scaled waits included).
    pub not_before_millis: i64,
    pub enqueued_millis: i64,
}

/// Lambda retries a failed asynchronous invocation twice.
pub const ASYNC_RETRIES: u32 = 2;

/// How long a throttled asynchronous invocation waits before it is tried
/// again.
pub const THROTTLE_RETRY: Duration = Duration::from_secs(1);

/// An asynchronous invocation older than this is dropped (6 hours).
pub const MAX_EVENT_AGE: Duration = Duration::from_secs(6 * 60 * 60);

impl Queued {
    pub fn new(id: String, function_name: String, payload: String, now_millis: i64) -> Queued {
        Queued {
            id,
            function_name,
            qualifier: None,
            payload,
            attempts: 0,
            not_before_millis: now_millis,
            enqueued_millis: now_millis,
        }
    }

    /// The retry after a failed run, a minute after the first failure and
    /// two after the second (`scale` shortens the waits as `--time-scale`
    /// does), or `None` when Lambda gives up on it.
    pub fn after_failure(
        &self,
        now_millis: i64,
        scale: impl Fn(Duration) -> Duration,
    ) -> Option<Queued> {
        let attempts = self.attempts + 1;
        if attempts > ASYNC_RETRIES || self.expired(now_millis, &scale) {
            return None;
        }
        let wait = scale(Duration::from_secs(60 * u64::from(attempts)));
        Some(Queued {
            attempts,
            not_before_millis: now_millis.saturating_add(millis(wait)),
            ..self.clone()
        })
    }

    /// The event again after a throttled run: it waits
    /// [`THROTTLE_RETRY`] (scaled) without using up a retry, as Lambda
    /// keeps throttled events until they are too old; `None` once it is.
    pub fn after_throttle(
        &self,
        now_millis: i64,
        scale: impl Fn(Duration) -> Duration,
    ) -> Option<Queued> {
        if self.expired(now_millis, &scale) {
            return None;
        }
        Some(Queued {
            not_before_millis: now_millis.saturating_add(millis(scale(THROTTLE_RETRY))),
            ..self.clone()
        })
    }

    /// Whether the event outlived [`MAX_EVENT_AGE`].
    pub fn expired(&self, now_millis: i64, scale: impl Fn(Duration) -> Duration) -> bool {
        now_millis.saturating_sub(self.enqueued_millis) > millis(scale(MAX_EVENT_AGE))
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_asynchronous_invocation_is_retried_twice_then_dropped() {
        let same = |d: Duration| d;
        let queued = Queued::new("r".into(), "f".into(), "{}".into(), 1_000);
        let first = queued.after_failure(2_000, same).expect("a first retry");
        assert_eq!((first.attempts, first.not_before_millis), (1, 62_000));
        let second = first.after_failure(70_000, same).expect("a second retry");
        assert_eq!((second.attempts, second.not_before_millis), (2, 190_000));
        assert_eq!(second.after_failure(200_000, same), None);

        let scaled = queued
            .after_failure(2_000, |d: Duration| d / 100)
            .expect("a retry");
        assert_eq!(scaled.not_before_millis, 2_600);
        assert!(queued.expired(1_000 + 6 * 3600 * 1000 + 1, same));
        assert_eq!(
            queued.after_failure(1_000 + 6 * 3600 * 1000 + 1, same),
            None
        );
    }

    #[test]
    fn a_throttled_event_waits_without_using_a_retry_until_too_old() {
        let same = |d: Duration| d;
        let queued = Queued::new("r".into(), "f".into(), "{}".into(), 1_000);
        let again = queued.after_throttle(5_000, same).expect("kept");
        assert_eq!((again.attempts, again.not_before_millis), (0, 6_000));
        let failed = again.after_failure(7_000, same).expect("a first retry");
        assert_eq!(failed.attempts, 1);
        assert_eq!(
            queued.after_throttle(1_000 + 6 * 3600 * 1000 + 1, same),
            None
        );
    }

    #[test]
    fn the_log_tail_is_the_last_4_kb_on_a_character_boundary() {
        let short = Outcome {
            payload: Vec::new(),
            function_error: None,
            log: "START\nhello\n".to_owned(),
        };
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(short.log_result())
            .expect("base64");
        assert_eq!(decoded, b"START\nhello\n");

        let long = Outcome {
            log: format!("{}{}", "é".repeat(3000), "end"),
            ..short
        };
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(long.log_result())
            .expect("base64");
        let text = String::from_utf8(decoded).expect("whole characters");
        assert!(text.len() <= LOG_TAIL_BYTES && text.len() > LOG_TAIL_BYTES - 2);
        assert!(text.ends_with("end"));
    }

    #[test]
    fn platform_errors_are_unhandled_error_objects() {
        let outcome = Outcome::platform_error(
            "Sandbox.Timedout",
            &timed_out_message("r-1", 3),
            String::new(),
        );
        assert_eq!(outcome.function_error.as_deref(), Some("Unhandled"));
        let body: serde_json::Value = serde_json::from_slice(&outcome.payload).expect("json");
        assert_eq!(body["errorType"], "Sandbox.Timedout");
        assert_eq!(
            body["errorMessage"],
            "RequestId: r-1 Error: Task timed out after 3.00 seconds"
        );
    }
}
