//! Run Command's agent: the process that makes an instance a managed
//! instance, as SSM Agent does on EC2.
//!
//! It runs inside the instance (the instance's process group in process
//! mode, its namespaces in a sandbox), learns who it is from the metadata
//! service, and speaks to Ballast only with the instance role's
//! credentials, so IAM decides whether the instance is managed exactly as
//! on AWS: it registers and pings with `ssm:UpdateInstanceInformation`,
//! long-polls `ec2messages:GetMessages` for invocations, runs them
//! ([`runner`]) and answers with `ec2messages:SendReply`.
//!
//! What must survive a reboot is in its state directory: an invocation
//! whose script exited 194 is written to `reboot/` before the agent asks
//! for the reboot, and run again when the agent next starts; one that was
//! running when the agent died (`running/`) is reported failed then, so no
//! invocation stays in progress forever.

mod http;
mod identity;
pub mod runner;
pub mod scaled_time;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aws_credential_types::Credentials;
use ballast_wire::agent::{
    AcknowledgeMessageInput, CancelPayload, CommandPayload, FailMessageInput, GetMessagesInput,
    GetMessagesOutput, Message, ReplyStatus, SendReplyInput, UpdateInstanceInformationInput,
};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

pub use identity::{Instance, Metadata};

/// The agent's name and version, as DescribeInstanceInformation shows them.
pub const AGENT_NAME: &str = "ballast-agent";
pub const AGENT_VERSION: &str = concat!("3.3.0-ballast-", env!("CARGO_PKG_VERSION"));

/// How often the agent reports itself, in AWS time (as SSM Agent: every
/// five minutes).
const PING_INTERVAL: Duration = Duration::from_secs(300);

/// How long a GetMessages may take (the server answers within 10 s).
const POLL_TIMEOUT: Duration = Duration::from_secs(20);

/// How long an API call other than GetMessages may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// How long credentials are used before they are fetched again.
const CREDENTIALS_FOR: Duration = Duration::from_secs(60);

/// How long the agent waits after a refused or failed call: doubling from
/// the first to the last, so an instance without a role (or without the
/// permissions) costs little, and one given them later is managed soon.
const RETRY_FIRST: Duration = Duration::from_millis(500);
const RETRY_LAST: Duration = Duration::from_secs(30);

fn next_retry(wait: Duration) -> Duration {
    (wait * 2).min(RETRY_LAST)
}

/// Why the agent could not do something.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Http(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the instance has no role, so it cannot be managed")]
    NoRole,
    #[error("{operation}: HTTP {status}: {body}")]
    Api {
        operation: String,
        status: u16,
        body: String,
    },
}

impl AgentError {
    fn io(path: &Path, source: std::io::Error) -> AgentError {
        AgentError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// Where the agent finds Ballast and keeps its state.
#[derive(Debug, Clone)]
pub struct Options {
    /// Ballast's endpoint (`AWS_ENDPOINT_URL` in the instance).
    pub endpoint: String,
    /// The metadata service (`http://169.254.169.254/`).
    pub metadata: String,
    pub region: String,
    /// The agent's directory; each instance's state is under its id.
    pub state_dir: PathBuf,
    /// Ballast's `--time-scale`, applied to the agent's intervals and to
    /// scripts' execution timeouts and sleeps.
    pub time_scale: f64,
    /// This executable, which scripts run as their scaled `sleep`.
    pub exe: PathBuf,
    /// Platform facts to report.
    pub platform_name: String,
    pub platform_version: String,
}

/// A message kept across a restart of the agent: a reboot's rerun, or an
/// invocation that was running.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Kept {
    message_id: String,
    payload: CommandPayload,
    /// The step to start from.
    from: usize,
}

/// The agent of one instance.
struct Agent {
    options: Options,
    metadata: Metadata,
    instance: Instance,
    dir: PathBuf,
    script_time: scaled_time::ScriptTime,
    credentials: tokio::sync::Mutex<Option<(Credentials, Instant)>>,
    /// The cancel switch of each message being run, by message id. A
    /// cancel that arrives before its message was taken leaves its switch
    /// on, so the message is not run at all.
    cancels: std::sync::Mutex<HashMap<String, watch::Sender<bool>>>,
}

/// Runs the agent until the process is killed.
pub async fn run(options: Options) -> Result<(), AgentError> {
    let metadata = Metadata::new(&options.metadata);
    let instance = loop {
        match metadata.instance().await {
            Ok(instance) => break instance,
            Err(error) => {
                tracing::warn!(%error, "agent: the metadata service did not answer");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    };
    let dir = options.state_dir.join(&instance.id);
    for sub in ["reboot", "running"] {
        let path = dir.join(sub);
        std::fs::create_dir_all(&path).map_err(|e| AgentError::io(&path, e))?;
    }
    let script_time = scaled_time::ScriptTime {
        scale: options.time_scale,
        bin: scaled_time::install(&options.state_dir, &options.exe, options.time_scale)?,
    };
    let agent = std::sync::Arc::new(Agent {
        options,
        metadata,
        instance,
        dir,
        script_time,
        credentials: tokio::sync::Mutex::new(None),
        cancels: std::sync::Mutex::new(HashMap::new()),
    });
    let pinger = tokio::spawn({
        let agent = std::sync::Arc::clone(&agent);
        async move { agent.ping_forever().await }
    });
    agent.resume().await;
    Agent::poll_forever(&agent).await;
    pinger.abort();
    Ok(())
}

impl Agent {
    fn scaled(&self, aws: Duration) -> Duration {
        scaled_time::scale_duration(aws, self.options.time_scale)
    }

    async fn credentials(&self) -> Result<Credentials, AgentError> {
        let mut cached = self.credentials.lock().await;
        if let Some((credentials, at)) = cached.as_ref()
            && at.elapsed() < CREDENTIALS_FOR
        {
            return Ok(credentials.clone());
        }
        let fresh = self.metadata.credentials().await?;
        *cached = Some((fresh.clone(), Instant::now()));
        Ok(fresh)
    }

    /// One signed call; any answer but 200 is an error.
    async fn call<I: Serialize>(
        &self,
        service: &str,
        target: &str,
        input: &I,
        timeout: Duration,
    ) -> Result<bytes::Bytes, AgentError> {
        let credentials = self.credentials().await?;
        let body = serde_json::to_vec(input).map_err(|e| AgentError::Http(e.to_string()))?;
        let response = http::call(
            &self.options.endpoint,
            &self.options.region,
            service,
            target,
            body,
            &credentials,
            timeout,
        )
        .await?;
        if response.status != 200 {
            // Rejected credentials may have been replaced: fetch anew.
            *self.credentials.lock().await = None;
            return Err(AgentError::Api {
                operation: target.to_owned(),
                status: response.status,
                body: String::from_utf8_lossy(&response.body).into_owned(),
            });
        }
        Ok(response.body)
    }

    async fn ping(&self) -> Result<(), AgentError> {
        let input = UpdateInstanceInformationInput {
            instance_id: self.instance.id.clone(),
            agent_name: AGENT_NAME.to_owned(),
            agent_status: "Active".to_owned(),
            agent_version: AGENT_VERSION.to_owned(),
            platform_type: "Linux".to_owned(),
            platform_name: self.options.platform_name.clone(),
            platform_version: self.options.platform_version.clone(),
            ip_address: self.instance.address.clone(),
            computer_name: self.instance.host_name.clone(),
        };
        self.call(
            "ssm",
            "AmazonSSM.UpdateInstanceInformation",
            &input,
            CALL_TIMEOUT,
        )
        .await
        .map(|_| ())
    }

    async fn ping_forever(&self) {
        let mut retry = RETRY_FIRST;
        loop {
            let wait = match self.ping().await {
                Ok(()) => {
                    retry = RETRY_FIRST;
                    self.scaled(PING_INTERVAL)
                }
                Err(error) => {
                    tracing::info!(%error, "agent: not registered");
                    retry = next_retry(retry);
                    retry
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Polls for messages until the process ends, running each in a task
    /// of its own so that a long script does not hold back the next one.
    async fn poll_forever(agent: &std::sync::Arc<Agent>) {
        let mut retry = RETRY_FIRST;
        loop {
            match agent.poll().await {
                Ok(messages) => {
                    retry = RETRY_FIRST;
                    for message in messages {
                        let agent = std::sync::Arc::clone(agent);
                        tokio::spawn(async move { agent.take(message).await });
                    }
                }
                Err(error) => {
                    tracing::info!(%error, "agent: polling for commands");
                    retry = next_retry(retry);
                    tokio::time::sleep(retry).await;
                }
            }
        }
    }

    async fn poll(&self) -> Result<Vec<Message>, AgentError> {
        let input = GetMessagesInput {
            destination: self.instance.id.clone(),
            messages_request_id: format!(
                "{}-{}",
                self.instance.id,
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos())
            ),
            visibility_timeout_in_seconds: Some(10),
        };
        let body = self
            .call(
                "ec2messages",
                "EC2WindowsMessageDeliveryService.GetMessages",
                &input,
                POLL_TIMEOUT,
            )
            .await?;
        let output: GetMessagesOutput =
            serde_json::from_slice(&body).map_err(|e| AgentError::Http(e.to_string()))?;
        Ok(output.messages)
    }

    /// Runs `with` on the cancel switch of `message_id`, made off if it has
    /// none yet.
    fn with_switch<T>(&self, message_id: &str, with: impl FnOnce(&watch::Sender<bool>) -> T) -> T {
        let mut cancels = self.cancels.lock().unwrap_or_else(|e| e.into_inner());
        with(
            cancels
                .entry(message_id.to_owned())
                .or_insert_with(|| watch::Sender::new(false)),
        )
    }

    fn drop_cancel_switch(&self, message_id: &str) {
        let mut cancels = self.cancels.lock().unwrap_or_else(|e| e.into_inner());
        cancels.remove(message_id);
    }

    /// A cancel message: turns on the switch of the message it names, which
    /// kills that message's running script.
    fn cancel(&self, message: &Message) {
        let payload: CancelPayload = match serde_json::from_str(&message.payload) {
            Ok(payload) => payload,
            Err(error) => {
                tracing::warn!(%error, "agent: an unreadable cancel message");
                return;
            }
        };
        tracing::info!(message = payload.cancel_message_id, "agent: cancelling");
        self.with_switch(&payload.cancel_message_id, |switch| {
            switch.send_replace(true)
        });
    }

    /// Acknowledges a message and runs it, unless it is running already
    /// (handed out again because an acknowledgement was late).
    async fn take(&self, message: Message) {
        if message.is_cancel() {
            self.cancel(&message);
            return;
        }
        let already_running = self.kept_path("running", &message.message_id).exists();
        let payload: CommandPayload = match serde_json::from_str(&message.payload) {
            Ok(payload) => payload,
            Err(error) => {
                self.fail(&message.message_id, &format!("unreadable payload: {error}"))
                    .await;
                return;
            }
        };
        let ack = AcknowledgeMessageInput {
            message_id: message.message_id.clone(),
        };
        if let Err(error) = self
            .call(
                "ec2messages",
                "EC2WindowsMessageDeliveryService.AcknowledgeMessage",
                &ack,
                CALL_TIMEOUT,
            )
            .await
        {
            tracing::warn!(%error, "agent: acknowledging a message");
        }
        if already_running {
            return;
        }
        let kept = Kept {
            message_id: message.message_id,
            payload,
            from: 0,
        };
        if let Err(error) = self.keep("running", &kept) {
            tracing::warn!(%error, "agent: recording a running command");
        }
        self.execute(kept).await;
    }

    /// Runs a message's steps and reports them. A reboot request is kept
    /// in `reboot/` before it is sent, so the rerun survives the reboot.
    async fn execute(&self, kept: Kept) {
        let mut cancel = self.with_switch(&kept.message_id, watch::Sender::subscribe);
        let result = runner::run(
            &kept.payload,
            kept.from,
            &self.dir,
            &self.script_time,
            &mut cancel,
        )
        .await;
        self.drop_cancel_switch(&kept.message_id);
        let (reply, reboot_at) = match result {
            Ok(done) => done,
            Err(error) => {
                self.fail(&kept.message_id, &error.to_string()).await;
                self.forget("running", &kept.message_id);
                return;
            }
        };
        if let Some(from) = reboot_at {
            let rerun = Kept {
                from,
                ..kept.clone()
            };
            if let Err(error) = self.keep("reboot", &rerun) {
                tracing::warn!(%error, "agent: recording a reboot");
            }
        }
        self.forget("running", &kept.message_id);
        let input = SendReplyInput {
            message_id: kept.message_id.clone(),
            reply_id: format!("{}-{}", kept.message_id, kept.from),
            payload: serde_json::to_string(&reply).unwrap_or_default(),
        };
        // A reply that cannot be delivered is retried for a while: the
        // invocation stays in progress until it arrives.
        for attempt in 0..30 {
            match self
                .call(
                    "ec2messages",
                    "EC2WindowsMessageDeliveryService.SendReply",
                    &input,
                    CALL_TIMEOUT,
                )
                .await
            {
                Ok(_) => break,
                Err(error) => {
                    tracing::warn!(%error, attempt, "agent: sending a reply");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
        if reply.status == ReplyStatus::Rebooting {
            // Ballast reboots the instance; nothing more to do here.
            std::future::pending::<()>().await;
        }
    }

    async fn fail(&self, message_id: &str, why: &str) {
        let input = FailMessageInput {
            message_id: message_id.to_owned(),
            failure_type: why.to_owned(),
        };
        if let Err(error) = self
            .call(
                "ec2messages",
                "EC2WindowsMessageDeliveryService.FailMessage",
                &input,
                CALL_TIMEOUT,
            )
            .await
        {
            tracing::warn!(%error, "agent: failing a message");
        }
    }

    /// After a start: runs again what a reboot interrupted, and reports as
    /// failed what was running when the agent stopped for another reason.
    async fn resume(&self) {
        for kept in self.kept("reboot") {
            self.forget("reboot", &kept.message_id);
            if let Err(error) = self.keep("running", &kept) {
                tracing::warn!(%error, "agent: recording a running command");
            }
            self.execute(kept).await;
        }
        for kept in self.kept("running") {
            self.fail(
                &kept.message_id,
                "the agent stopped while the command was running",
            )
            .await;
            self.forget("running", &kept.message_id);
        }
    }

    fn kept_path(&self, kind: &str, message_id: &str) -> PathBuf {
        self.dir.join(kind).join(format!("{message_id}.json"))
    }

    fn keep(&self, kind: &str, kept: &Kept) -> Result<(), AgentError> {
        let path = self.kept_path(kind, &kept.message_id);
        let text = serde_json::to_vec(kept).map_err(|e| AgentError::Http(e.to_string()))?;
        let temporary = path.with_extension("tmp");
        std::fs::write(&temporary, text).map_err(|e| AgentError::io(&temporary, e))?;
        std::fs::rename(&temporary, &path).map_err(|e| AgentError::io(&path, e))
    }

    fn forget(&self, kind: &str, message_id: &str) {
        let _ = std::fs::remove_file(self.kept_path(kind, message_id));
    }

    fn kept(&self, kind: &str) -> Vec<Kept> {
        let Ok(entries) = std::fs::read_dir(self.dir.join(kind)) else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .filter_map(|e| std::fs::read(e.path()).ok())
            .filter_map(|bytes| serde_json::from_slice(&bytes).ok())
            .collect()
    }
}
