//! Test harness: a real `ballast up` process and aws-sdk-rust clients
//! pointed at it.
//!
//! The binary is found through `BALLAST_BIN`, or next to this test's own
//! executable in the target directory (`scripts/test` builds it first).
//! Each [`Ballast`] listens on a port the OS picks (`--listen
//! 127.0.0.1:0`), learnt from the banner it prints, so tests run in
//! parallel without port races.

pub mod backend;
pub mod fixtures;
pub mod functions;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_smithy_http_client::Builder as HttpClientBuilder;

/// How long a server may take to print its banner.
const START_DEADLINE: Duration = Duration::from_secs(20);

/// A running `ballast up`, killed when dropped.
pub struct Ballast {
    child: Child,
    pub endpoint: String,
    pub data_dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

/// The `ballast` binary under test.
pub fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("BALLAST_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> → target/<profile>/ballast
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executable inside target/<profile>/deps");
    let bin = profile_dir.join(format!("ballast{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} does not exist: run `cargo build -p ballast` first (scripts/test does)",
        bin.display()
    );
    bin
}

impl Ballast {
    /// Starts a server on a fresh data directory.
    pub fn start() -> Ballast {
        Ballast::start_with(&[])
    }

    /// Starts a server on a fresh data directory with extra arguments.
    pub fn start_with(extra: &[&str]) -> Ballast {
        let temp = tempfile::tempdir().expect("temp dir");
        let dir = temp.path().to_owned();
        let mut ballast = Ballast::start_in(&dir, extra);
        ballast._temp = Some(temp);
        ballast
    }

    /// Starts a server on `data_dir` with extra arguments.
    pub fn start_in(data_dir: &Path, extra: &[&str]) -> Ballast {
        // Tests leave the system hosts file alone unless they are about it.
        let hosts: &[&str] = if extra.contains(&"--hosts-file") {
            &[]
        } else {
            &["--hosts-file", "off"]
        };
        // Each server gets its own loopback /16 (load balancers in the lower
        // half, instances in the upper), kept across restarts on the same
        // data directory, so servers side by side never contend for an
        // address.
        let octet = address_octet(data_dir);
        // Process mode unless a test asks for sandboxes: only one server
        // on a machine may own the sandboxes' VPC bridge.
        let runtime: &[&str] = if extra.contains(&"--instance-runtime") {
            &[]
        } else {
            &["--instance-runtime", "process"]
        };
        // A free port, unless a test restarts a server where it was (the
        // instances it left running still point at that endpoint).
        let listen: &[&str] = if extra.contains(&"--listen") {
            &[]
        } else {
            &["--listen", "127.0.0.1:0"]
        };
        // Python Lambda functions need boto3: outside scripts/test (which
        // says which Python), the compatibility suite's virtualenv has it.
        let venv_python = binary()
            .parent()
            .and_then(Path::parent)
            .map(|target| target.join("compat-venv/bin/python"))
            .filter(|python| python.exists());
        let lambda_python: Vec<std::ffi::OsString> = match venv_python {
            Some(python) if std::env::var_os("BALLAST_LAMBDA_PYTHON").is_none() => {
                vec!["--lambda-python".into(), python.into()]
            }
            _ => Vec::new(),
        };
        let lb_block = format!("127.{octet}.0.0/17");
        let instance_block = format!("127.{octet}.128.0/17");
        let mut child = Command::new(binary())
            .arg("up")
            .args(listen)
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--lb-cidr", &lb_block])
            .args(["--instance-cidr", &instance_block])
            .args(hosts)
            .args(runtime)
            .args(&lambda_python)
            .args(extra)
            .env("BALLAST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn ballast");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.split("listening on ").nth(1) {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        let endpoint = match rx.recv_timeout(START_DEADLINE) {
            Ok(endpoint) => endpoint,
            Err(_) => {
                let _ = child.kill();
                panic!("ballast did not start listening within {START_DEADLINE:?}");
            }
        };
        Ballast {
            child,
            endpoint,
            data_dir: data_dir.to_owned(),
            _temp: None,
        }
    }

    /// Kills the server with SIGKILL, as a crash would, and waits for it.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and waits up to `deadline` for a clean exit; returns the
    /// exit status if it exited.
    pub fn terminate(&mut self, deadline: Duration) -> Option<std::process::ExitStatus> {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let start = Instant::now();
        while start.elapsed() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SDK configuration with the default root credentials.
    pub fn config(&self) -> SdkConfig {
        self.config_with("test", "test")
    }

    /// SDK configuration with the given credentials.
    pub fn config_with(&self, access_key: &str, secret_key: &str) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                    access_key,
                    secret_key,
                    None,
                    None,
                    "ballast-tests",
                )),
            )
            .http_client(HttpClientBuilder::new().build_http())
            // What `aws_config::load_defaults` sets, and credential
            // providers built from this configuration need.
            .time_source(aws_smithy_async::time::SystemTimeSource::new())
            .build()
    }

    pub fn ssm(&self) -> aws_sdk_ssm::Client {
        aws_sdk_ssm::Client::new(&self.config())
    }

    pub fn elbv2(&self) -> aws_sdk_elasticloadbalancingv2::Client {
        aws_sdk_elasticloadbalancingv2::Client::new(&self.config())
    }

    pub fn ec2(&self) -> aws_sdk_ec2::Client {
        aws_sdk_ec2::Client::new(&self.config())
    }

    pub fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.config())
    }

    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.config())
    }

    pub fn eventbridge(&self) -> aws_sdk_eventbridge::Client {
        aws_sdk_eventbridge::Client::new(&self.config())
    }

    pub fn lambda(&self) -> aws_sdk_lambda::Client {
        aws_sdk_lambda::Client::new(&self.config())
    }

    pub fn sts(&self) -> aws_sdk_sts::Client {
        aws_sdk_sts::Client::new(&self.config())
    }

    pub fn autoscaling(&self) -> aws_sdk_autoscaling::Client {
        aws_sdk_autoscaling::Client::new(&self.config())
    }
}

impl Drop for Ballast {
    /// Stops the server cleanly when possible, so it removes what it
    /// published (the hosts file block), then makes sure it is gone.
    fn drop(&mut self) {
        if self.is_running() {
            self.terminate(Duration::from_secs(3));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        kill_instance_leftovers(&self.data_dir);
    }
}

/// Kills the process groups of instances a server left behind (it was
/// killed with SIGKILL and not restarted), and every process that left
/// its group but carries one of the server's instance directories in its
/// environment (a Run Command script runs in a group of its own), so no
/// test leaks processes.
fn kill_instance_leftovers(data_dir: &Path) {
    kill_escaped(&data_dir.join("instances"));
    let Ok(entries) = std::fs::read_dir(data_dir.join("instances")) else {
        return;
    };
    for entry in entries.flatten() {
        let record = std::fs::read_to_string(entry.path().join("runtime.json")).unwrap_or_default();
        let pgid = record
            .split("\"pgid\":")
            .nth(1)
            .and_then(|rest| rest.split([',', '}']).next())
            .and_then(|n| n.trim().parse::<i32>().ok());
        if let Some(pgid) = pgid.filter(|p| *p > 1) {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{pgid}")])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Polls `probe` every 25 ms until it returns `Some`, failing the test
/// with `what` if `deadline` passes first.
pub async fn eventually<T, F, Fut>(what: &str, deadline: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            start.elapsed() < deadline,
            "timed out after {deadline:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Kills every process whose `BALLAST_INSTANCE_DIR` lies under `instances`.
fn kill_escaped(instances: &Path) {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    let prefix = format!("BALLAST_INSTANCE_DIR={}/", instances.display());
    for pid in entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
    {
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        if environ
            .split(|b| *b == 0)
            .any(|entry| entry.starts_with(prefix.as_bytes()))
        {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Whether process `pid` runs on this machine (a zombie does not).
pub fn process_runs(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit_once(") ")
                .map(|(_, rest)| !rest.starts_with('Z'))
        })
        .unwrap_or(false)
}

/// The process id a script wrote to `path`, once it has.
pub async fn written_pid(path: &Path, deadline: Duration) -> i32 {
    eventually(
        &format!("a pid in {}", path.display()),
        deadline,
        || async {
            std::fs::read_to_string(path)
                .ok()
                .and_then(|text| text.trim().parse::<i32>().ok())
        },
    )
    .await
}

/// Waits until process `pid` has ended.
pub async fn process_ended(pid: i32, what: &str, deadline: Duration) {
    eventually(what, deadline, || async {
        (!process_runs(pid)).then_some(())
    })
    .await;
}

/// The second octet of a server's loopback /16: 102–251, distinct for
/// the servers one test process starts, and remembered in the data
/// directory so a restarted server keeps its addresses.
fn address_octet(data_dir: &Path) -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let remembered = data_dir.join(".test-address-octet");
    if let Some(octet) = std::fs::read_to_string(&remembered)
        .ok()
        .and_then(|text| text.trim().parse().ok())
    {
        return octet;
    }
    let octet = 102 + (std::process::id() + NEXT.fetch_add(1, Ordering::Relaxed)) % 150;
    let _ = std::fs::create_dir_all(data_dir);
    let _ = std::fs::write(&remembered, octet.to_string());
    octet
}

/// A name unique to this test run, for resources tests create.
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The error code an SDK error carries, e.g. `ParameterNotFound`.
pub fn error_code<E, R>(error: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> String
where
    E: aws_smithy_types_compat::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    match error {
        aws_smithy_runtime_api::client::result::SdkError::ServiceError(service) => {
            service.err().code().unwrap_or("<no code>").to_owned()
        }
        other => format!("<not a service error: {other:?}>"),
    }
}

/// Re-export of the trait every SDK error implements, under a stable name.
pub mod aws_smithy_types_compat {
    pub use aws_sdk_ssm::error::ProvideErrorMetadata;
}

/// A raw HTTP request signed like an SDK would sign it, for tests of what
/// the SDKs never send (malformed bodies, unknown actions, stale dates).
pub struct RawRequest<'a> {
    pub service: &'a str,
    pub content_type: &'a str,
    pub target: Option<&'a str>,
    pub body: Vec<u8>,
    pub secret: &'a str,
    pub time: std::time::SystemTime,
}

impl RawRequest<'_> {
    /// A request to a query-protocol service with a form body.
    pub fn query(service: &str, body: &str) -> RawRequest<'static> {
        RawRequest {
            service: Box::leak(service.to_owned().into_boxed_str()),
            content_type: "application/x-www-form-urlencoded; charset=utf-8",
            target: None,
            body: body.as_bytes().to_vec(),
            secret: "test",
            time: std::time::SystemTime::now(),
        }
    }

    /// A request to SSM (awsJson 1.1) with a JSON body.
    pub fn ssm(target: &'static str, body: &str) -> RawRequest<'static> {
        RawRequest {
            service: "ssm",
            content_type: "application/x-amz-json-1.1",
            target: Some(target),
            body: body.as_bytes().to_vec(),
            secret: "test",
            time: std::time::SystemTime::now(),
        }
    }

    /// Sends the request to `endpoint`, signed unless `sign` is false.
    pub async fn send(&self, endpoint: &str, sign: bool) -> RawResponse {
        use aws_sigv4::http_request::{
            SignableBody, SignableRequest, SigningSettings, sign as sigv4,
        };
        use aws_sigv4::sign::v4;

        let host = endpoint.trim_start_matches("http://").to_owned();
        let mut headers: Vec<(String, String)> = vec![
            ("host".into(), host),
            ("content-type".into(), self.content_type.into()),
        ];
        if let Some(target) = self.target {
            headers.push(("x-amz-target".into(), target.into()));
        }
        if sign {
            let identity = Credentials::new("test", self.secret, None, None, "raw").into();
            let params = v4::SigningParams::builder()
                .identity(&identity)
                .region("us-east-1")
                .name(self.service)
                .time(self.time)
                .settings(SigningSettings::default())
                .build()
                .expect("signing params")
                .into();
            let signable = SignableRequest::new(
                "POST",
                format!("{endpoint}/"),
                headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                SignableBody::Bytes(&self.body),
            )
            .expect("signable request");
            let (instructions, _) = sigv4(signable, &params).expect("sign").into_parts();
            for (name, value) in instructions.headers() {
                headers.push((name.to_owned(), value.to_owned()));
            }
        }
        let client = reqwest::Client::new();
        let mut request = client.post(format!("{endpoint}/")).body(self.body.clone());
        for (name, value) in &headers {
            if name != "host" {
                request = request.header(name, value);
            }
        }
        let response = request.send().await.expect("send raw request");
        let status = response.status().as_u16();
        let request_id = response
            .headers()
            .get("x-amzn-requestid")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.text().await.expect("response body");
        RawResponse {
            status,
            request_id,
            body,
        }
    }
}

/// What a raw request got back.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub request_id: Option<String>,
    pub body: String,
}

impl RawResponse {
    /// The error code in an XML (`<Code>`) or JSON (`__type`) error body.
    pub fn error_code(&self) -> Option<String> {
        if let Some(start) = self.body.find("<Code>") {
            let rest = &self.body[start + 6..];
            return rest.find("</Code>").map(|end| rest[..end].to_owned());
        }
        let json: serde_json::Value = serde_json::from_str(&self.body).ok()?;
        json.get("__type")?.as_str().map(str::to_owned)
    }
}
