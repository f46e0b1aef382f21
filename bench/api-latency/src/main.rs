//! `api-latency`: a bounded API-latency benchmark for Ballast and its peers.
//!
//! `load` runs N concurrent workers, each on its own keep-alive HTTP/1.1
//! connection, sending one SigV4-signed operation (SSM `GetParameter`,
//! DynamoDB `GetItem`/`PutItem`, ELBv2 `DescribeTargetHealth`, EC2
//! `DescribeInstances`) to a loopback endpoint for a fixed time after a
//! warm-up, and prints requests/s and HDR latency percentiles.
//! `wait-ready` measures start-up, and `report` renders the comparison
//! tables that `bench/api-latency.sh` prints. The resources the operations
//! read are made by `bench/api-latency/setup.py` with boto3.

mod cpu;
mod endpoint;
mod load;
mod ready;
mod report;
mod sign;
mod stats;

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, ensure};
use clap::{Args, Parser, Subcommand};

use endpoint::Endpoint;
use load::LoadPlan;
use sign::{Operation, SignMode};

/// The parameter every command reads or writes unless told otherwise.
const DEFAULT_NAME: &str = "/bench/param";

#[derive(Debug, Parser)]
#[command(
    name = "api-latency",
    about = "Bounded API-latency benchmark: SSM, DynamoDB, ELBv2 and EC2 operations"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the load at each concurrency level and print the results.
    Load(LoadArgs),
    /// Wait until the endpoint answers a signed request with a 200; print
    /// milliseconds since the server was spawned.
    WaitReady(WaitArgs),
    /// Render results (JSON lines from `load --json-out`) as a markdown table.
    Report(ReportArgs),
}

#[derive(Debug, Args)]
struct LoadArgs {
    /// Loopback endpoint, e.g. http://127.0.0.1:4566.
    #[arg(long)]
    endpoint: String,
    /// Name of the target in the results (ballast, moto, ...).
    #[arg(long, default_value = "target")]
    label: String,
    /// Concurrency levels, run one after the other.
    #[arg(long, value_delimiter = ',', default_value = "1,8")]
    concurrency: Vec<usize>,
    /// Measured seconds per level.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Unrecorded warm-up seconds before each level (same connections).
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Sign every request, or once a second per worker.
    #[arg(long, value_enum, default_value_t = SignMode::PerRequest)]
    sign: SignMode,
    /// The parameter to read.
    #[arg(long, default_value = DEFAULT_NAME)]
    name: String,
    /// The request to send.
    #[arg(long, value_enum, default_value_t = LoadOperation::GetParameter)]
    operation: LoadOperation,
    /// The DynamoDB table of `get-item` and `put-item`.
    #[arg(long, default_value = "bench")]
    table: String,
    /// The target group of `describe-target-health`.
    #[arg(long, required_if_eq("operation", "describe-target-health"))]
    target_group_arn: Option<String>,
    /// Client runtime threads; 1 uses a current-thread runtime, leaving the
    /// other core to the server.
    #[arg(long, default_value_t = 1)]
    client_threads: usize,
    /// Seconds before a request counts as timed out.
    #[arg(long, default_value_t = 5.0)]
    timeout: f64,
    /// Pid of the server, to report its CPU time per request.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Append one JSON line per level to this file.
    #[arg(long)]
    json_out: Option<PathBuf>,
}

/// What the load sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LoadOperation {
    /// SSM GetParameter of `--name`.
    GetParameter,
    /// DynamoDB GetItem of the benchmark item in `--table`.
    GetItem,
    /// DynamoDB PutItem overwriting the benchmark item in `--table`.
    PutItem,
    /// ELBv2 DescribeTargetHealth of `--target-group-arn`.
    DescribeTargetHealth,
    /// EC2 DescribeInstances of every instance.
    DescribeInstances,
}

#[derive(Debug, Args)]
struct WaitArgs {
    #[arg(long)]
    endpoint: String,
    /// When the server was spawned, in nanoseconds since the Unix epoch
    /// (`date +%s%N`); without it, time is counted from this command's start.
    #[arg(long)]
    since_unix_ns: Option<u128>,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 60.0)]
    timeout: f64,
}

#[derive(Debug, Args)]
struct ReportArgs {
    /// JSON lines written by `load --json-out`.
    #[arg(long)]
    results: PathBuf,
    /// The target the ratios are for.
    #[arg(long, default_value = "ballast")]
    baseline: String,
    /// The targets it is compared with (repeatable, or comma-separated).
    #[arg(long, value_delimiter = ',')]
    peer: Vec<String>,
    /// Start-up time of a target, as NAME=MILLISECONDS (repeatable).
    #[arg(long, value_parser = named_number)]
    startup_ms: Vec<(String, f64)>,
    /// Idle resident set size of a target, as NAME=KIB (repeatable).
    #[arg(long, value_parser = named_number)]
    idle_rss_kib: Vec<(String, f64)>,
}

/// Parses `NAME=NUMBER`.
fn named_number(text: &str) -> Result<(String, f64), String> {
    let (name, number) = text
        .split_once('=')
        .ok_or_else(|| format!("expected NAME=NUMBER, got {text:?}"))?;
    let number = number
        .parse()
        .map_err(|_| format!("{number:?} is not a number"))?;
    Ok((name.to_owned(), number))
}

fn seconds(value: f64, what: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value).with_context(|| format!("--{what} must be >= 0"))
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Load(args) => load(args),
        Command::WaitReady(args) => wait_ready(args),
        Command::Report(args) => report(args),
    }
}

fn runtime(threads: usize) -> anyhow::Result<tokio::runtime::Runtime> {
    let mut builder = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(threads);
        builder
    };
    builder.enable_all().build().context("starting the runtime")
}

fn load(args: LoadArgs) -> anyhow::Result<()> {
    ensure!(
        args.concurrency.iter().all(|&c| (1..=256).contains(&c)),
        "--concurrency levels must be between 1 and 256"
    );
    ensure!(args.duration > 0.0, "--duration must be positive");
    let endpoint = Endpoint::parse(&args.endpoint)?;
    let (operation, what) = match args.operation {
        LoadOperation::GetParameter => (
            Operation::get_parameter(&args.name),
            format!("GetParameter {}", args.name),
        ),
        LoadOperation::GetItem => (
            Operation::get_item(&args.table),
            format!("GetItem in {}", args.table),
        ),
        LoadOperation::PutItem => (
            Operation::put_item(&args.table),
            format!("PutItem in {}", args.table),
        ),
        LoadOperation::DescribeTargetHealth => {
            let arn = args.target_group_arn.as_deref().unwrap_or_default();
            (
                Operation::describe_target_health(arn),
                format!("DescribeTargetHealth of {arn}"),
            )
        }
        LoadOperation::DescribeInstances => (
            Operation::describe_instances(),
            "DescribeInstances".to_owned(),
        ),
    };
    let sign_cost = sign::signing_cost(&endpoint, &operation, 2000);
    let plan = LoadPlan {
        target: args.label.clone(),
        // The variants are named as AWS names the operations.
        operation_name: format!("{:?}", args.operation),
        endpoint,
        operation,
        sign_mode: args.sign,
        warmup: seconds(args.warmup, "warmup")?,
        duration: seconds(args.duration, "duration")?,
        request_timeout: seconds(args.timeout, "timeout")?,
        sign_us: sign_cost.as_secs_f64() * 1e6,
        server_pid: args.server_pid,
    };
    println!(
        "{}: {what} on {}, {:.1} s warm-up + {:.1} s per level, signing {} ({:.1} µs each)",
        args.label,
        args.endpoint,
        args.warmup,
        args.duration,
        args.sign.as_str(),
        plan.sign_us
    );
    let rt = runtime(args.client_threads)?;
    for &concurrency in &args.concurrency {
        let result = rt.block_on(load::run_level(&plan, concurrency))?;
        println!("{}", result.line());
        if let Some(path) = &args.json_out {
            append_json(path, &result)?;
        }
    }
    Ok(())
}

fn append_json(path: &std::path::Path, result: &stats::LevelResult) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    writeln!(file, "{}", serde_json::to_string(result)?)?;
    Ok(())
}

fn wait_ready(args: WaitArgs) -> anyhow::Result<()> {
    let endpoint = Endpoint::parse(&args.endpoint)?;
    let timeout = seconds(args.timeout, "timeout")?;
    let elapsed =
        runtime(1)?.block_on(ready::wait_ready(&endpoint, args.since_unix_ns, timeout))?;
    println!("{:.1}", elapsed.as_secs_f64() * 1e3);
    Ok(())
}

fn report(args: ReportArgs) -> anyhow::Result<()> {
    let results = report::read_results(&args.results)?;
    let facts = report::ServerFacts {
        startup_ms: args.startup_ms.into_iter().collect(),
        idle_rss_kib: args.idle_rss_kib.into_iter().collect(),
    };
    print!(
        "{}",
        report::render(&results, &args.baseline, &args.peer, &facts)
    );
    Ok(())
}
