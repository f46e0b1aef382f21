//! Command-line interface. Every flag has an environment equivalent so
//! scripts and service managers can configure Ballast without arguments.

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "ballast",
    version,
    about = "A real, local cloud for resilient services"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the AWS APIs on one endpoint until interrupted.
    Up(UpArgs),
    /// Send a bounded loop of requests to a URL and count what its users
    /// would see: failures by cause, latency, which backend answered.
    Probe(ProbeArgs),
    /// The first process of a sandboxed instance (started by `up`).
    #[command(hide = true)]
    SandboxInit {
        /// The boot's spec, written by the fleet.
        spec: PathBuf,
    },
    /// Run Command's agent, run inside every instance (started by its boot).
    #[command(hide = true)]
    Agent(AgentArgs),
    /// `sleep` for scripts the agent runs, shortened by `--time-scale`.
    #[command(hide = true)]
    ScaledSleep {
        #[arg(long)]
        time_scale: f64,
        /// GNU `sleep`'s operands.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        operands: Vec<String>,
    },
}

/// `ballast probe`'s options. Without `--duration` or `--requests` it
/// runs until Ctrl-C, which still prints the summary.
#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// The URL to GET (http:// or https://).
    pub url: String,

    /// Requests a second, sent on schedule whatever the answers (an open
    /// loop: latency counts from when a request was due). `50` or `50/s`.
    #[arg(long, value_parser = ballast_probe::parse_rate, conflicts_with = "concurrency")]
    pub rate: Option<f64>,

    /// Workers sending back to back instead of a rate (a closed loop).
    #[arg(long)]
    pub concurrency: Option<u32>,

    /// Stop sending after this long (`30s`, `2m`, `500ms`).
    #[arg(long, value_parser = ballast_probe::parse_duration)]
    pub duration: Option<std::time::Duration>,

    /// Stop sending after this many requests.
    #[arg(long)]
    pub requests: Option<u64>,

    /// Exit with status 1 when more requests than this fail.
    #[arg(long, default_value_t = 0)]
    pub max_errors: u64,

    /// How long a request may take before it counts as a timeout.
    #[arg(long, value_parser = ballast_probe::parse_duration, default_value = "5s")]
    pub timeout: std::time::Duration,

    /// How to tell which backend answered: `header:NAME`, `body:FIELD`
    /// (a field of a JSON body) or `body` (its first line).
    #[arg(long)]
    pub answered_by: Option<String>,

    /// JSON lines: one object a second, then the summary as the last
    /// line (with at least `sent`, `ok` and `failed`).
    #[arg(long)]
    pub json: bool,
}

/// Where the agent finds Ballast: the variables every instance starts with.
#[derive(Debug, Args)]
pub struct AgentArgs {
    /// The agent's state: kept outputs, reruns after a reboot.
    #[arg(long)]
    pub state_dir: PathBuf,

    /// Ballast's `--time-scale`, for the agent's intervals and scripts'
    /// execution timeouts.
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,

    /// Ballast's endpoint.
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    pub endpoint: String,

    /// The metadata service.
    #[arg(
        long,
        env = "AWS_EC2_METADATA_SERVICE_ENDPOINT",
        default_value = "http://169.254.169.254/"
    )]
    pub metadata: String,

    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    pub region: String,
}

/// How instances run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InstanceRuntime {
    /// Sandbox when running as root with namespaces, process otherwise.
    Auto,
    /// Process groups on the host's network, each on its own loopback
    /// address (works for any user).
    Process,
    /// Linux sandboxes: own network (172.31.0.0/16 on bridge ballast0),
    /// root volume, hostname, PID namespace and 169.254.169.254.
    Sandbox,
}

/// What an acknowledged API write survives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Durability {
    /// The end of Ballast's process (`kill -9`, a crash): every write is
    /// committed before its answer.
    Process,
    /// Also an OS crash or power loss: every commit is synced to disk
    /// before its answer (slower writes).
    Machine,
}

impl From<Durability> for ballast_store::Durability {
    fn from(durability: Durability) -> Self {
        match durability {
            Durability::Process => ballast_store::Durability::Process,
            Durability::Machine => ballast_store::Durability::Machine,
        }
    }
}

#[derive(Debug, Args)]
pub struct UpArgs {
    /// Address and port of the API endpoint.
    #[arg(long, env = "BALLAST_LISTEN", default_value = "127.0.0.1:4566")]
    pub listen: SocketAddr,

    /// Directory holding the database and instance files
    /// [default: $XDG_DATA_HOME/ballast, or ~/.local/share/ballast].
    #[arg(long, env = "BALLAST_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// The region every resource lives in.
    #[arg(long, env = "BALLAST_REGION", default_value = "us-east-1")]
    pub region: String,

    /// What an acknowledged write survives: `process` (`kill -9` of
    /// Ballast) or `machine` (power loss too, each commit synced to disk).
    #[arg(long, env = "BALLAST_DURABILITY", value_enum, default_value_t = Durability::Process)]
    pub durability: Durability,

    /// Multiplies every AWS-facing duration (health-check intervals,
    /// deregistration delays, grace periods) so tests and demos run fast;
    /// the API keeps showing AWS values.
    #[arg(long, env = "BALLAST_TIME_SCALE", default_value_t = 1.0)]
    pub time_scale: f64,

    /// Access key id of the account's root credentials.
    #[arg(long, env = "BALLAST_ACCESS_KEY", default_value = "test")]
    pub access_key: String,

    /// Retry a request on another target when the connection to the first
    /// failed before anything was sent (a Ballast extension; `false` gives
    /// AWS's behaviour).
    #[arg(long, env = "BALLAST_PROXY_RETRIES", default_value_t = true, action = ArgAction::Set)]
    pub proxy_retries: bool,

    /// Take a target out of rotation at once when a connection to it fails,
    /// until its health check passes again (a Ballast extension).
    #[arg(long, env = "BALLAST_PASSIVE_HEALTH", default_value_t = true, action = ArgAction::Set)]
    pub passive_health: bool,

    /// How many threads serve the load balancers' connections (default:
    /// one per core Ballast may run on).
    #[arg(long, env = "BALLAST_PROXY_THREADS")]
    pub proxy_threads: Option<NonZeroUsize>,

    /// The loopback block load balancer addresses come from; each Ballast
    /// process on a machine needs its own.
    #[arg(long, env = "BALLAST_LB_CIDR", default_value = "127.100.0.0/16")]
    pub lb_cidr: String,

    /// The loopback block instances' private addresses come from; each
    /// Ballast process on a machine needs its own.
    #[arg(long, env = "BALLAST_INSTANCE_CIDR", default_value = "127.101.0.0/16")]
    pub instance_cidr: String,

    /// The loopback block public addresses (Elastic IPs and instances'
    /// automatic public addresses) come from; with sandboxes each one is
    /// NATed to its instance's private address, so nothing leaves the
    /// machine.
    #[arg(long, env = "BALLAST_PUBLIC_CIDR", default_value = "127.252.0.0/16")]
    pub public_cidr: String,

    /// How instances run: `sandbox` (Linux namespaces; needs root),
    /// `process` (process groups on loopback addresses), or `auto`.
    #[arg(long, env = "BALLAST_INSTANCE_RUNTIME", value_enum, default_value_t = InstanceRuntime::Auto)]
    pub instance_runtime: InstanceRuntime,

    /// Process mode: the port of the instance metadata service, which listens on each
    /// instance's own address (`AWS_EC2_METADATA_SERVICE_ENDPOINT` inside
    /// instances points there).
    #[arg(long, env = "BALLAST_IMDS_PORT", default_value_t = 8169)]
    pub imds_port: u16,

    /// The Python that runs `python3.*` Lambda functions; like AWS's Python
    /// runtimes it should be able to import boto3.
    #[arg(long, env = "BALLAST_LAMBDA_PYTHON", default_value = "python3")]
    pub lambda_python: PathBuf,

    /// The hosts file where load balancer DNS names are published so that
    /// ordinary clients resolve them; `off` leaves name resolution alone.
    #[arg(long, env = "BALLAST_HOSTS_FILE", default_value = "/etc/hosts")]
    pub hosts_file: String,

    /// Secret access key of the account's root credentials.
    #[arg(
        long,
        env = "BALLAST_SECRET_KEY",
        default_value = "test",
        hide_env_values = true
    )]
    pub secret_key: String,
}

impl UpArgs {
    /// The hosts file to publish names in, unless turned off.
    pub fn hosts_file(&self) -> Option<PathBuf> {
        match self.hosts_file.as_str() {
            "" | "off" => None,
            path => Some(PathBuf::from(path)),
        }
    }

    /// The data directory, defaulting under the user's data directory.
    pub fn data_dir(&self) -> PathBuf {
        if let Some(dir) = &self.data_dir {
            return dir.clone();
        }
        let base = std::env::var_os("XDG_DATA_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
            .unwrap_or_else(|| PathBuf::from("."));
        base.join("ballast")
    }
}
