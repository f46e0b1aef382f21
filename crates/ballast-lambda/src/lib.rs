//! Lambda functions that really run.
//!
//! Each invocation runs in an execution environment ([`environment`]): a
//! process of the function's runtime that polls its own Runtime API
//! listener ([`runtime_api`]), started in the unpacked package
//! ([`package`]) with the function's environment variables, its role's
//! temporary credentials and `AWS_ENDPOINT_URL` pointing at Ballast, so
//! boto3 inside needs no change and IAM decides what it may do. A Python
//! function runs Ballast's bootstrap (`bootstrap.py`) under the host's
//! Python; a `provided.*` function runs its own `bootstrap`. Environments
//! stay warm for the next invocation of the same revision and are stopped
//! when idle, stale or broken.
//!
//! Asynchronous invocations (Event invokes, EventBridge deliveries) wait
//! in the store's queue ([`queue`]) and are run, and retried as Lambda
//! retries them, by [`Lambda::run`].

mod environment;
mod logs;
mod package;
mod queue;
mod runtime_api;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use ballast_core::lambda::Function;
use ballast_core::lambda::concurrency;
use ballast_core::lambda::invoke::{Functions, Invocation, NotRun, Outcome};
use ballast_core::sts::{INSTANCE_CREDENTIALS_LIFETIME, Session};
use ballast_core::{Clock, Ids, Scope, TimeScale};
use ballast_store::{Store, StoreError};
use tokio::sync::{Notify, watch};

use crate::environment::{Environment, Launch, Run};

/// Ballast's Python bootstrap, written under the Lambda directory at start.
const BOOTSTRAP_PY: &str = include_str!("bootstrap.py");

/// How long an environment stays warm without an invocation (time-scaled;
/// AWS keeps them for minutes).
const IDLE_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// The least real time a function gets before its timeout, however small
/// the time scale: code does not run faster when Ballast's clocks do.
const MIN_REAL_TIMEOUT: Duration = Duration::from_secs(1);

/// Where functions live on disk and what runs Python.
#[derive(Debug, Clone)]
pub struct LambdaOptions {
    /// Ballast's Lambda directory: unpacked packages, the bootstrap, logs.
    pub root: PathBuf,
    /// The Python that runs `python3.*` functions (it should have boto3).
    pub python: PathBuf,
}

/// What a `python3.*` function would miss under `python`, said at start:
/// `None` when it runs and finds boto3, as in AWS's Python runtimes.
pub fn python_shortfall(python: &std::path::Path) -> Option<String> {
    let found = std::process::Command::new(python)
        .args([
            "-c",
            "import importlib.util, sys; sys.exit(importlib.util.find_spec('boto3') is None)",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
    match found {
        Ok(status) if status.success() => None,
        Ok(_) => Some(format!(
            "{} has no boto3: pip install boto3 there, or pass --lambda-python",
            python.display()
        )),
        Err(error) => Some(format!("{} does not run: {error}", python.display())),
    }
}

/// The functions' runtime. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Lambda {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    ids: Arc<Ids>,
    scope: Scope,
    time_scale: TimeScale,
    options: LambdaOptions,
    handle: tokio::runtime::Handle,
    /// Ballast's endpoint, for `AWS_ENDPOINT_URL` (known once it listens).
    endpoint: OnceLock<String>,
    /// Warm environments, by version (`NAME:VERSION`, [`pool_key`]).
    idle: Mutex<HashMap<String, Vec<Environment>>>,
    /// Invocations running now, by function name, against reserved
    /// concurrency.
    running: Mutex<HashMap<String, u32>>,
    queued: Notify,
    stop: watch::Sender<bool>,
}

/// Why an environment could not be made.
#[derive(Debug, thiserror::Error)]
enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("The role defined for the function cannot be assumed by Lambda.")]
    NoRole,
    #[error("the function's package is missing from the store")]
    NoCode,
    #[error("Ballast does not run the {0} runtime")]
    Runtime(String),
}

impl Lambda {
    /// A runtime whose environments are spawned on `handle`.
    pub fn new(
        store: Arc<Store>,
        clock: Arc<dyn Clock>,
        ids: Arc<Ids>,
        scope: Scope,
        time_scale: TimeScale,
        options: LambdaOptions,
        handle: tokio::runtime::Handle,
    ) -> Lambda {
        Lambda {
            inner: Arc::new(Inner {
                store,
                clock,
                ids,
                scope,
                time_scale,
                options,
                handle,
                endpoint: OnceLock::new(),
                idle: Mutex::default(),
                running: Mutex::default(),
                queued: Notify::new(),
                stop: watch::Sender::new(false),
            }),
        }
    }

    /// Runs the asynchronous queue and retires idle environments until
    /// [`Lambda::shutdown`]; `endpoint` is Ballast's API, which functions
    /// call.
    pub async fn run(&self, endpoint: String) {
        let _ = self.inner.endpoint.set(endpoint);
        if let Err(error) = self.write_bootstrap() {
            tracing::warn!(%error, "python functions cannot run");
        }
        queue::run(self.clone()).await;
        self.retire_all();
    }

    /// Asks [`Lambda::run`] to stop, and stops every environment.
    pub fn shutdown(&self) {
        self.inner.stop.send_replace(true);
        self.retire_all();
    }

    fn write_bootstrap(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(self.runtime_dir())?;
        std::fs::create_dir_all(self.inner.options.root.join("logs"))?;
        std::fs::write(self.runtime_dir().join("bootstrap.py"), BOOTSTRAP_PY)
    }

    fn runtime_dir(&self) -> PathBuf {
        self.inner.options.root.join("runtime")
    }

    /// Runs one invocation in a warm environment of the function's
    /// revision, or a new one.
    async fn invoke_now(&self, invocation: Invocation) -> Result<Outcome, NotRun> {
        let function = &invocation.function;
        let _slot = self.take_slot(function)?;
        let mut environment = match self.warm(function) {
            Some(environment) => environment,
            None => self
                .start(function)
                .await
                .map_err(|error| NotRun::Unavailable(error.to_string()))?,
        };
        let timeout = Duration::from_secs(u64::try_from(function.timeout_seconds).unwrap_or(3));
        let scaled = self.inner.time_scale.scale(timeout);
        let outcome = environment
            .run(Run {
                request_id: invocation.request_id,
                payload: invocation.payload,
                function_arn: invocation.function_arn,
                client_context: invocation.client_context,
                timeout,
                real_timeout: scaled.max(MIN_REAL_TIMEOUT.min(timeout)),
                timeout_seconds: function.timeout_seconds,
                memory_mb: function.memory_mb,
            })
            .await;
        if environment.is_usable() && !*self.inner.stop.borrow() {
            self.idle()
                .entry(pool_key(function))
                .or_default()
                .push(environment);
        }
        Ok(outcome)
    }

    /// A place among the function's running invocations, or
    /// [`NotRun::Throttled`] when its reserved concurrency is all in use.
    fn take_slot(&self, function: &Function) -> Result<Slot, NotRun> {
        let mut running = self.running();
        let count = running.get(&function.name).copied().unwrap_or(0);
        if !concurrency::admits(function.reserved_concurrency, count) {
            return Err(NotRun::Throttled);
        }
        *running.entry(function.name.clone()).or_default() += 1;
        Ok(Slot {
            lambda: self.clone(),
            function: function.name.clone(),
        })
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<String, u32>> {
        self.inner
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A warm environment of the version's current revision; stale ones
    /// found on the way are stopped.
    fn warm(&self, function: &Function) -> Option<Environment> {
        let mut idle = self.idle();
        let pool = idle.get_mut(&pool_key(function))?;
        pool.retain(|environment| {
            environment.revision == function.revision_id && environment.is_usable()
        });
        pool.pop()
    }

    /// A new environment for the function: its package unpacked, its
    /// role's credentials issued.
    async fn start(&self, function: &Function) -> Result<Environment, StartError> {
        let inner = &self.inner;
        let (zip, role) = inner.store.read(|tx| -> Result<_, StoreError> {
            Ok((
                tx.code(&function.code.sha256)?,
                tx.role_by_arn(&function.role)?,
            ))
        })?;
        let zip = zip.ok_or(StartError::NoCode)?;
        let role = role.ok_or(StartError::NoRole)?;
        let task_root = package::unpack(
            &inner.options.root.join("code"),
            &function.code.sha256,
            &zip,
        )?;
        let now = ballast_core::clock::epoch_millis(inner.clock.now());
        let session = Session::issue(
            &inner.ids,
            role.reference(),
            &function.name,
            now,
            INSTANCE_CREDENTIALS_LIFETIME,
        );
        inner.store.write(|tx| tx.insert_session(&session))?;
        let launch = self.launch(function, task_root, &session)?;
        Ok(Environment::new(function.revision_id.clone(), launch).await?)
    }

    fn launch(
        &self,
        function: &Function,
        task_root: PathBuf,
        session: &Session,
    ) -> Result<Launch, StartError> {
        let inner = &self.inner;
        let (program, args, marks_output) = if function.runtime.starts_with("python3") {
            let bootstrap = self.runtime_dir().join("bootstrap.py");
            (
                inner.options.python.clone(),
                vec![bootstrap.to_string_lossy().into_owned()],
                true,
            )
        } else if function.runtime.starts_with("provided") {
            (task_root.join("bootstrap"), Vec::new(), false)
        } else {
            return Err(StartError::Runtime(function.runtime.clone()));
        };
        let mut env: Vec<(String, String)> = function
            .environment
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let region = inner.scope.region.clone();
        let task = task_root.to_string_lossy().into_owned();
        let stream = format!(
            "{}/[{}]{}",
            ballast_core::clock::iso8601(ballast_core::clock::epoch_millis(inner.clock.now()))
                .get(..10)
                .unwrap_or_default()
                .replace('-', "/"),
            function.version,
            inner.ids.request_id().replace('-', "")
        );
        env.extend([
            (
                "PATH".to_owned(),
                std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".to_owned()),
            ),
            ("LANG".to_owned(), "C.UTF-8".to_owned()),
            ("TZ".to_owned(), ":UTC".to_owned()),
            ("LAMBDA_TASK_ROOT".to_owned(), task.clone()),
            (
                "LAMBDA_RUNTIME_DIR".to_owned(),
                self.runtime_dir().to_string_lossy().into_owned(),
            ),
            (
                "_HANDLER".to_owned(),
                function.handler.clone().unwrap_or_default(),
            ),
            (
                "AWS_EXECUTION_ENV".to_owned(),
                format!("AWS_Lambda_{}", function.runtime),
            ),
            ("AWS_LAMBDA_FUNCTION_NAME".to_owned(), function.name.clone()),
            (
                "AWS_LAMBDA_FUNCTION_VERSION".to_owned(),
                function.version.clone(),
            ),
            (
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE".to_owned(),
                function.memory_mb.to_string(),
            ),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME".to_owned(),
                format!("/aws/lambda/{}", function.name),
            ),
            ("AWS_LAMBDA_LOG_STREAM_NAME".to_owned(), stream),
            (
                "AWS_LAMBDA_INITIALIZATION_TYPE".to_owned(),
                "on-demand".to_owned(),
            ),
            ("AWS_REGION".to_owned(), region.clone()),
            ("AWS_DEFAULT_REGION".to_owned(), region),
            (
                "AWS_ACCESS_KEY_ID".to_owned(),
                session.access_key_id.clone(),
            ),
            (
                "AWS_SECRET_ACCESS_KEY".to_owned(),
                session.secret_access_key.clone(),
            ),
            (
                "AWS_SESSION_TOKEN".to_owned(),
                session.session_token.clone(),
            ),
        ]);
        if let Some(endpoint) = inner.endpoint.get() {
            env.push(("AWS_ENDPOINT_URL".to_owned(), endpoint.clone()));
        }
        if inner.time_scale.factor() != 1.0 {
            env.push((
                "BALLAST_TIME_SCALE".to_owned(),
                inner.time_scale.factor().to_string(),
            ));
        }
        Ok(Launch {
            program,
            args,
            task_root,
            env,
            log_file: inner
                .options
                .root
                .join("logs")
                .join(format!("{}.log", function.name)),
            marks_output,
        })
    }

    /// Stops environments idle longer than [`IDLE_LIFETIME`] (scaled).
    fn retire_idle(&self) {
        let limit = self.inner.time_scale.scale(IDLE_LIFETIME);
        let now = Instant::now();
        let mut idle = self.idle();
        for pool in idle.values_mut() {
            pool.retain(|environment| now.duration_since(environment.last_used) < limit);
        }
        idle.retain(|_, pool| !pool.is_empty());
    }

    fn retire_all(&self) {
        self.idle().clear();
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<Environment>>> {
        self.inner
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The pool a version's warm environments wait in: each version runs its
/// own code, so `$LATEST` and version 1 never share one.
fn pool_key(function: &Function) -> String {
    format!("{}:{}", function.name, function.version)
}

/// A running invocation's place in its function's count, given back when
/// the run ends however it ends.
struct Slot {
    lambda: Lambda,
    function: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut running = self.lambda.running();
        if let Some(count) = running.get_mut(&self.function) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                running.remove(&self.function);
            }
        }
    }
}

impl Functions for Lambda {
    fn invoke(&self, invocation: Invocation) -> Result<Outcome, NotRun> {
        // Called from the API's blocking threads: the run happens on the
        // runtime, and this thread waits for it.
        let (done, outcome) = std::sync::mpsc::channel();
        let lambda = self.clone();
        self.inner.handle.spawn(async move {
            let _ = done.send(lambda.invoke_now(invocation).await);
        });
        outcome
            .recv()
            .map_err(|_| NotRun::Unavailable("the invocation was abandoned".to_owned()))?
    }

    fn queued(&self) {
        self.inner.queued.notify_one();
    }
}
