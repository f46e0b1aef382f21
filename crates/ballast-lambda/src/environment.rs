//! One execution environment: a function's runtime process, the Runtime
//! API listener it polls, and its log. An environment runs one invocation
//! at a time and is kept warm between them; one that timed out, crashed or
//! failed its init is stopped, and the next invocation starts afresh.

use std::io;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ballast_core::lambda::invoke::{self, Outcome};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::logs::Logs;
use crate::runtime_api::{Pending, Reply, RuntimeApi, router};

/// The longest a runtime may take to start and take its first
/// invocation (Lambda's init phase limit, 10 seconds; not time-scaled,
/// since starting an interpreter takes the same time at any scale).
const INIT_LIMIT: Duration = Duration::from_secs(10);

/// How long to wait for output a runtime does not mark as finished
/// (runtimes other than Ballast's own bootstrap).
const UNMARKED_OUTPUT_GRACE: Duration = Duration::from_millis(20);

/// How a runtime process is started.
#[derive(Debug, Clone)]
pub(crate) struct Launch {
    pub program: PathBuf,
    pub args: Vec<String>,
    /// The unpacked package (`LAMBDA_TASK_ROOT`, the working directory).
    pub task_root: PathBuf,
    pub env: Vec<(String, String)>,
    /// Where the function's output is appended.
    pub log_file: PathBuf,
    /// Whether the runtime is Ballast's bootstrap, which marks the end of
    /// each invocation's output.
    pub marks_output: bool,
}

/// One invocation, as the environment runs it.
#[derive(Debug)]
pub(crate) struct Run {
    pub request_id: String,
    pub payload: Vec<u8>,
    pub function_arn: String,
    pub client_context: Option<String>,
    /// The function's timeout in its own terms (`Lambda-Runtime-Deadline-Ms`).
    pub timeout: Duration,
    /// The timeout as it is enforced (time-scaled).
    pub real_timeout: Duration,
    pub timeout_seconds: i32,
    pub memory_mb: i32,
}

/// What the platform's lines and messages about a run say.
#[derive(Debug, Clone)]
struct Report {
    request_id: String,
    started: Instant,
    memory_mb: i32,
    timeout_seconds: i32,
}

/// A running (or about to run) environment.
#[derive(Debug)]
pub(crate) struct Environment {
    /// The function revision it was made for; an update retires it.
    pub revision: String,
    pub last_used: Instant,
    launch: Launch,
    next: mpsc::Sender<Pending>,
    api: Arc<RuntimeApi>,
    address: std::net::SocketAddr,
    server: JoinHandle<()>,
    logs: Arc<Logs>,
    process: Option<Process>,
    /// Set once stopped: a stopped environment never runs again.
    stopped: bool,
}

#[derive(Debug)]
struct Process {
    group: Pid,
    /// The exit status, once the runtime exited.
    exited: watch::Receiver<Option<String>>,
}

/// How a run ended, before it becomes an [`Outcome`].
enum Ended {
    Replied(Reply),
    TimedOut,
    InitTimedOut,
    Exited(String),
}

impl Environment {
    /// An environment with its Runtime API listening; its process starts
    /// with its first invocation.
    pub async fn new(revision: String, launch: Launch) -> io::Result<Environment> {
        let listener = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
        let address = listener.local_addr()?;
        let (next, receiver) = mpsc::channel(1);
        let api = RuntimeApi::new(receiver);
        let app = router(Arc::clone(&api));
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::warn!(%error, "a Lambda Runtime API listener stopped");
            }
        });
        Ok(Environment {
            revision,
            last_used: Instant::now(),
            launch,
            next,
            api,
            address,
            server,
            logs: Arc::default(),
            process: None,
            stopped: false,
        })
    }

    /// Whether the runtime process is still up (or not started yet).
    pub fn is_usable(&self) -> bool {
        !self.stopped
            && self
                .process
                .as_ref()
                .is_none_or(|process| process.exited.borrow().is_none())
    }

    /// Runs one invocation; the environment stays usable unless the run
    /// says otherwise ([`Environment::is_usable`]).
    pub async fn run(&mut self, run: Run) -> Outcome {
        let report = Report {
            request_id: run.request_id.clone(),
            started: Instant::now(),
            memory_mb: run.memory_mb,
            timeout_seconds: run.timeout_seconds,
        };
        self.logs.begin(&run.request_id);
        let (taken_tx, taken) = oneshot::channel();
        let (reply_tx, reply) = oneshot::channel();
        let pending = Pending {
            request_id: run.request_id.clone(),
            payload: run.payload,
            deadline_ms: epoch_millis().saturating_add(millis(run.timeout)),
            function_arn: run.function_arn,
            client_context: run.client_context,
            taken: taken_tx,
            reply: reply_tx,
        };
        // Queued before the process starts, so that an init failure has
        // an invocation to report to. The runtime took every earlier one,
        // so there is room: a full or closed channel is an environment
        // that cannot run.
        if self.stopped || self.next.try_send(pending).is_err() {
            return self.finish(&report, Ended::Exited("stopped".into()));
        }
        if self.process.is_none()
            && let Err(error) = self.spawn()
        {
            tracing::warn!(%error, program = %self.launch.program.display(), "a Lambda runtime could not start");
            return self.finish(&report, Ended::Exited(format!("could not start: {error}")));
        }
        let ended = self.wait(taken, reply, run.real_timeout).await;
        if matches!(ended, Ended::Replied(_)) && self.launch.marks_output {
            self.logs
                .wait_for_end(&report.request_id, Duration::from_secs(1))
                .await;
        } else {
            tokio::time::sleep(UNMARKED_OUTPUT_GRACE).await;
        }
        if !matches!(ended, Ended::Replied(_)) {
            self.stop();
        }
        self.last_used = Instant::now();
        self.finish(&report, ended)
    }

    async fn wait(
        &self,
        taken: oneshot::Receiver<()>,
        mut reply: oneshot::Receiver<Reply>,
        timeout: Duration,
    ) -> Ended {
        let Some(mut exit) = self.process.as_ref().map(|p| p.exited.clone()) else {
            return Ended::Exited("not started".into());
        };
        let exited = async {
            match exit.wait_for(Option::is_some).await {
                Ok(status) => status.clone().unwrap_or_default(),
                Err(_) => "unknown".to_owned(),
            }
        };
        tokio::pin!(exited);
        // The init phase: until the runtime takes the invocation.
        tokio::select! {
            biased;
            _ = taken => {}
            status = &mut exited => return self.after_exit(&mut reply, status),
            () = tokio::time::sleep(INIT_LIMIT) => return Ended::InitTimedOut,
        }
        tokio::select! {
            biased;
            answer = &mut reply => match answer {
                Ok(answer) => Ended::Replied(answer),
                Err(_) => Ended::Exited("stopped".into()),
            },
            status = &mut exited => self.after_exit(&mut reply, status),
            () = tokio::time::sleep(timeout) => Ended::TimedOut,
        }
    }

    /// The end of a run whose runtime exited: its reply if it posted one
    /// first, its init error if it had one, else the exit.
    fn after_exit(&self, reply: &mut oneshot::Receiver<Reply>, status: String) -> Ended {
        if let Ok(answer) = reply.try_recv() {
            return Ended::Replied(answer);
        }
        match self.api.init_error() {
            Some(error) => Ended::Replied(Reply::Error(error)),
            None => Ended::Exited(status),
        }
    }

    fn finish(&self, report: &Report, ended: Ended) -> Outcome {
        let id = &report.request_id;
        let log = || {
            self.logs
                .finish(id, report.started.elapsed(), report.memory_mb)
        };
        match ended {
            Ended::Replied(Reply::Response(payload)) => Outcome {
                payload,
                function_error: None,
                log: log(),
            },
            Ended::Replied(Reply::Error(payload)) => Outcome {
                payload,
                function_error: Some(invoke::UNHANDLED.to_owned()),
                log: log(),
            },
            Ended::TimedOut => Outcome::platform_error(
                "Sandbox.Timedout",
                &invoke::timed_out_message(id, report.timeout_seconds),
                log(),
            ),
            Ended::InitTimedOut => Outcome::platform_error(
                "Sandbox.Timedout",
                &invoke::timed_out_message(id, INIT_LIMIT.as_secs().try_into().unwrap_or(10)),
                log(),
            ),
            Ended::Exited(status) => Outcome::platform_error(
                "Runtime.ExitError",
                &invoke::exited_message(id, &status),
                log(),
            ),
        }
    }

    /// Starts the runtime process in a process group of its own, its
    /// stdout and stderr on one pipe to the log.
    fn spawn(&mut self) -> io::Result<()> {
        let (reader, writer) = std::io::pipe()?;
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.launch.log_file)
            .map_err(|error| tracing::warn!(%error, "a function's log file"))
            .ok();
        let mut command = tokio::process::Command::new(&self.launch.program);
        command
            .args(&self.launch.args)
            .current_dir(&self.launch.task_root)
            .env_clear()
            .envs(self.launch.env.iter().map(|(k, v)| (k, v)))
            .env("AWS_LAMBDA_RUNTIME_API", self.address.to_string())
            .stdin(Stdio::null())
            .stdout(writer.try_clone()?)
            .stderr(writer)
            .process_group(0)
            .kill_on_drop(true);
        let mut child = command.spawn()?;
        drop(command);
        self.logs.follow(reader, log_file);
        let group = Pid::from_raw(
            child
                .id()
                .and_then(|id| i32::try_from(id).ok())
                .unwrap_or(0),
        );
        let (exited_tx, exited) = watch::channel(None);
        tokio::spawn(async move {
            let status = match child.wait().await {
                Ok(status) => exit_text(status),
                Err(error) => error.to_string(),
            };
            let _ = exited_tx.send(Some(status));
        });
        self.process = Some(Process { group, exited });
        Ok(())
    }

    /// Kills the runtime and everything it started, and closes the
    /// listener.
    pub fn stop(&mut self) {
        self.stopped = true;
        if let Some(process) = self.process.take()
            && process.group.as_raw() > 0
            && process.exited.borrow().is_none()
        {
            let _ = killpg(process.group, Signal::SIGKILL);
        }
        self.server.abort();
    }
}

impl Drop for Environment {
    fn drop(&mut self) {
        self.stop();
    }
}

/// An exit status as Lambda words it (`exit status 3`, `signal: killed`).
fn exit_text(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt as _;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(9)) => "signal: killed".to_owned(),
        (None, Some(11)) => "signal: segmentation fault".to_owned(),
        (None, Some(6)) => "signal: aborted".to_owned(),
        (None, Some(signal)) => format!("signal: {signal}"),
        (None, None) => status.to_string(),
    }
}

fn epoch_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
