//! Lifecycle hook notifications to a handler, a Ballast extension beside
//! EventBridge: the pass puts every lifecycle action on the default bus
//! (where rules send it to Lambda functions, as on AWS), and this module
//! also delivers the same event (`EC2 Instance-launch Lifecycle Action` /
//! `EC2 Instance-terminate Lifecycle Action`) to a handler the user
//! configures, for want of SNS and SQS:
//!
//! - the hook's `NotificationTargetARN`, when it is a handler: `http://…`
//!   (a webhook: the event is POSTed as JSON) or `exec:COMMAND` (run by
//!   `/bin/sh -c`, the event on its standard input);
//! - else the group's tag `ballast:lifecycle-hook-handler` with the same
//!   syntax;
//! - else nowhere here (an SNS or SQS ARN is logged), and the instance
//!   waits for CompleteLifecycleAction or the timeout.
//!
//! Delivery to a handler is at most once: a Ballast killed between
//! deciding and delivering does not deliver again; the hook's timeout
//! still applies.

use std::time::Duration;

use ballast_core::autoscaling::LifecycleHook;
use ballast_core::autoscaling::hook;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::Inner;

/// The group tag naming a handler for every hook of the group that has no
/// handler of its own.
pub const HANDLER_TAG: &str = "ballast:lifecycle-hook-handler";

/// How long a webhook may take to answer.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// A notification to deliver.
#[derive(Debug, Clone)]
pub(crate) struct Notice {
    pub hook: LifecycleHook,
    pub token: String,
    pub instance_id: String,
    pub group_name: String,
    pub group_arn: String,
    pub group_handler: Option<String>,
    pub event_id: String,
    pub time: String,
}

impl Notice {
    /// The notice as the EventBridge event Auto Scaling sends.
    pub(crate) fn event(&self, scope: &ballast_core::Scope) -> serde_json::Value {
        hook::event(
            &self.event_id,
            &self.hook,
            &self.token,
            &self.group_name,
            &self.group_arn,
            &self.instance_id,
            &scope.region,
            &scope.account,
            &self.time,
        )
    }
}

/// Where a notification goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handler {
    /// POST the event to `http://HOST:PORT/PATH`.
    Webhook {
        host: String,
        port: u16,
        path: String,
    },
    /// Run `/bin/sh -c COMMAND` with the event on stdin.
    Command(String),
}

impl Handler {
    /// The handler a target names, if it names one Ballast can deliver to.
    pub fn parse(target: &str) -> Option<Handler> {
        if let Some(command) = target.strip_prefix("exec:") {
            let command = command.trim();
            return (!command.is_empty()).then(|| Handler::Command(command.to_owned()));
        }
        let rest = target.strip_prefix("http://")?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (host, port.parse().ok()?),
            None => (authority, 80),
        };
        (!host.is_empty()).then(|| Handler::Webhook {
            host: host.to_owned(),
            port,
            path: path.to_owned(),
        })
    }
}

/// The handler a notice goes to: the hook's target if it is one, else the
/// group's tag.
fn handler_of(notice: &Notice) -> Option<Handler> {
    notice
        .hook
        .notification_target_arn
        .as_deref()
        .and_then(Handler::parse)
        .or_else(|| notice.group_handler.as_deref().and_then(Handler::parse))
}

/// Delivers a notice in the background.
pub(crate) fn deliver(notice: Notice, inner: &Inner, api_endpoint: &str) {
    let Some(handler) = handler_of(&notice) else {
        if let Some(target) = &notice.hook.notification_target_arn {
            tracing::warn!(
                hook = notice.hook.name,
                target,
                "lifecycle notification not delivered: Ballast delivers to http:// webhooks and exec: commands only"
            );
        }
        return;
    };
    let event = notice.event(&inner.scope).to_string();
    let env = vec![
        ("AWS_ENDPOINT_URL".to_owned(), api_endpoint.to_owned()),
        ("AWS_REGION".to_owned(), inner.scope.region.clone()),
        ("AWS_DEFAULT_REGION".to_owned(), inner.scope.region.clone()),
        (
            "AWS_ACCESS_KEY_ID".to_owned(),
            inner.options.access_key.clone(),
        ),
        (
            "AWS_SECRET_ACCESS_KEY".to_owned(),
            inner.options.secret_key.clone(),
        ),
    ];
    let hook_name = notice.hook.name.clone();
    tokio::spawn(async move {
        let result = match &handler {
            Handler::Command(command) => run_command(command, &event, env).await,
            Handler::Webhook { host, port, path } => post(host, *port, path, &event).await,
        };
        match result {
            Ok(()) => tracing::info!(
                hook = hook_name,
                ?handler,
                "lifecycle notification delivered"
            ),
            Err(error) => {
                tracing::warn!(hook = hook_name, ?handler, %error, "lifecycle notification failed")
            }
        }
    });
}

async fn run_command(
    command: &str,
    event: &str,
    env: Vec<(String, String)>,
) -> Result<(), std::io::Error> {
    let mut child = tokio::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .envs(env)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(false)
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        // A handler that does not read its input is fine.
        let _ = stdin.write_all(event.as_bytes()).await;
        let _ = stdin.shutdown().await;
    }
    let status = child.wait().await?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "handler exited with {status}"
        )))
    }
}

async fn post(host: &str, port: u16, path: &str, event: &str) -> Result<(), std::io::Error> {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect((host, port)).await?;
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{event}",
            event.len()
        );
        stream.write_all(request.as_bytes()).await?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).await?;
        let status = std::str::from_utf8(&head[9..12])
            .ok()
            .and_then(|s| s.parse::<u16>().ok())
            .unwrap_or(0);
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(std::io::Error::other(format!("webhook answered {status}")))
        }
    };
    tokio::time::timeout(WEBHOOK_TIMEOUT, exchange)
        .await
        .map_err(|_| std::io::Error::other("webhook timed out"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handlers_parse() {
        assert_eq!(
            Handler::parse("http://127.0.0.1:9000/hook"),
            Some(Handler::Webhook {
                host: "127.0.0.1".into(),
                port: 9000,
                path: "/hook".into()
            })
        );
        assert_eq!(
            Handler::parse("http://example.internal"),
            Some(Handler::Webhook {
                host: "example.internal".into(),
                port: 80,
                path: "/".into()
            })
        );
        assert_eq!(
            Handler::parse("exec: /usr/local/bin/handler --x"),
            Some(Handler::Command("/usr/local/bin/handler --x".into()))
        );
        assert_eq!(Handler::parse("arn:aws:sns:us-east-1:0:topic"), None);
        assert_eq!(Handler::parse("exec:"), None);
    }
}
