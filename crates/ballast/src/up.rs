//! `ballast up`: open the store, bind the endpoint, serve until a signal.

use std::sync::Arc;

use anyhow::{Context, bail};
use ballast_api::ApiState;
use ballast_api::auth::Credentials;
use ballast_autoscaling::{Controller, ControllerOptions};
use ballast_core::address::{AddressBlock, InstanceAddresses};
use ballast_core::{Clock, Ids, Scope, SystemClock, TimeScale};
use ballast_fleet::{Fleet, FleetOptions, Runtime, Sandbox};
use ballast_proxy::hosts::HostsFile;
use ballast_proxy::{Proxy, ProxyOptions};
use ballast_store::{Emitter, Store};
use tokio::net::TcpListener;

use crate::api_threads::ApiThreads;
use crate::cli::{InstanceRuntime, UpArgs};

/// `println!` that does not panic when stdout is gone (`ballast up | head`,
/// a closed terminal): what Ballast says there is for people, and a server
/// must not stop for want of a reader.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

pub fn run(args: UpArgs) -> anyhow::Result<()> {
    let credentials = Credentials::new(args.access_key.clone(), args.secret_key.clone());
    if credentials.are_defaults() && !args.listen.ip().is_loopback() {
        bail!(
            "refusing to listen on non-loopback address {} with the well-known default credentials; \
             set --access-key and --secret-key (or BALLAST_ACCESS_KEY / BALLAST_SECRET_KEY)",
            args.listen
        );
    }
    let time_scale = TimeScale::new(args.time_scale).with_context(|| {
        format!(
            "--time-scale must be a positive number, got {}",
            args.time_scale
        )
    })?;
    let lb_addresses = AddressBlock::parse(&args.lb_cidr).context("--lb-cidr")?;
    let loopback_instances = AddressBlock::parse(&args.instance_cidr).context("--instance-cidr")?;
    if lb_addresses.overlaps(loopback_instances) {
        bail!("--lb-cidr {lb_addresses} and --instance-cidr {loopback_instances} overlap");
    }
    let public_addresses = AddressBlock::parse(&args.public_cidr).context("--public-cidr")?;
    for (flag, other) in [
        ("--lb-cidr", lb_addresses),
        ("--instance-cidr", loopback_instances),
    ] {
        if public_addresses.overlaps(other) {
            bail!("--public-cidr {public_addresses} and {flag} {other} overlap");
        }
    }
    let data_dir = args.data_dir();
    let ids = Arc::new(Ids::from_entropy());
    let scope = Scope::new(args.region.clone());
    let store = Store::open_with(&data_dir, args.durability.into())
        .with_context(|| format!("opening the store in {}", data_dir.display()))?
        .with_emitter(Emitter {
            scope: scope.clone(),
            ids: Arc::clone(&ids),
        });
    let runtime = choose_runtime(&args, &data_dir)?;
    // Held until Ballast exits: another process-mode server on this
    // machine with the same blocks would hand out the same loopback
    // addresses. (Sandboxes own the VPC bridge instead.)
    let _claims = match &runtime {
        Runtime::Process { .. } => vec![
            claim_block("--lb-cidr", lb_addresses)?,
            claim_block("--instance-cidr", loopback_instances)?,
        ],
        Runtime::Sandbox(_) => Vec::new(),
    };
    // Sandboxes live in the VPC, and so do load balancers then (on the
    // host's loopback they would be out of the instances' reach).
    let (instance_addresses, lb_addresses) = match runtime {
        Runtime::Process { .. } => (
            InstanceAddresses::Loopback(loopback_instances),
            lb_addresses,
        ),
        Runtime::Sandbox(_) => (
            InstanceAddresses::Subnets,
            AddressBlock::subnet(ballast_fleet::sandbox::LOAD_BALANCER_BLOCK)
                .context("the sandboxes' load balancer block")?,
        ),
    };

    let store = Arc::new(store);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let fleet = Fleet::new(
        Arc::clone(&store),
        Arc::clone(&clock),
        Arc::clone(&ids),
        scope.clone(),
        time_scale,
        FleetOptions {
            instances_root: data_dir.join("instances"),
            disks: ballast_fleet::Disks::new(data_dir.join("volumes")),
            runtime: runtime.clone(),
            agent: agent_launch(),
            public_addresses,
        },
    );
    let proxy = Proxy::new(
        Arc::clone(&store),
        Arc::clone(&clock),
        time_scale,
        ProxyOptions {
            serving_threads: args
                .proxy_threads
                .unwrap_or_else(ballast_proxy::default_serving_threads),
            retry_connect_failures: args.proxy_retries,
            passive_health: args.passive_health,
            hosts_file: args.hosts_file().map(HostsFile::new),
        },
    );
    let executor = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let lambda = ballast_lambda::Lambda::new(
        Arc::clone(&store),
        Arc::clone(&clock),
        Arc::clone(&ids),
        scope.clone(),
        time_scale,
        ballast_lambda::LambdaOptions {
            root: data_dir.join("lambda"),
            python: args.lambda_python.clone(),
        },
        executor.handle().clone(),
    );
    let fleet_handle: Arc<dyn ballast_core::ec2::fleet::Fleet> = Arc::new(fleet.clone());
    let controller = Controller::new(
        Arc::clone(&store),
        Arc::clone(&clock),
        Arc::clone(&ids),
        scope.clone(),
        time_scale,
        Arc::clone(&fleet_handle),
        proxy.clone(),
        ControllerOptions {
            instance_addresses,
            access_key: args.access_key.clone(),
            secret_key: args.secret_key.clone(),
            functions: Arc::new(lambda.clone()),
        },
    );
    // The API signals the Automation engine, and the engine calls the API.
    let wake = ballast_automation::Wake::new();
    let link_key = Arc::new(ballast_core::token::TokenKey::new(&ids));
    let state = ApiState {
        store,
        clock,
        ids,
        scope,
        credentials: Arc::new(credentials),
        time_scale,
        data_plane: proxy.clone(),
        lb_addresses,
        fleet: fleet_handle,
        instance_addresses,
        public_addresses,
        autoscaling: Arc::new(controller.clone()),
        automation: Arc::new(wake.clone()),
        functions: Arc::new(lambda.clone()),
        messages: Arc::default(),
        memos: Arc::default(),
        link_key,
    };
    let automation = ballast_automation::Engine::new(
        Arc::clone(&state.store),
        Arc::clone(&state.clock),
        Arc::clone(&state.ids),
        state.scope.clone(),
        time_scale,
        Arc::new(ballast_api::Invoker::new(state.clone())),
        wake,
    );

    let data_plane =
        ballast_proxy::start(proxy).context("starting the load balancers' serving threads")?;
    let hosts = args.hosts_file().map(HostsFile::new);
    let served = executor.block_on(async {
        #[cfg(feature = "count-allocations")]
        crate::allocations::report_on_signal();
        tokio::spawn(data_plane);
        serve(
            args,
            state,
            data_dir,
            Services {
                fleet,
                controller,
                automation,
                lambda,
            },
            runtime,
        )
        .await
    });
    if let Some(hosts) = hosts
        && let Err(error) = hosts.clear()
    {
        tracing::debug!(%error, "could not remove load balancer names from the hosts file");
    }
    served
}

/// The loops `ballast up` runs beside the API.
struct Services {
    fleet: Fleet,
    controller: Controller,
    automation: ballast_automation::Engine,
    lambda: ballast_lambda::Lambda,
}

async fn serve(
    args: UpArgs,
    state: ApiState,
    data_dir: std::path::PathBuf,
    services: Services,
    runtime: Runtime,
) -> anyhow::Result<()> {
    let Services {
        fleet,
        controller,
        automation,
        lambda,
    } = services;
    let listener = std::net::TcpListener::bind(args.listen)
        .and_then(|listener| listener.set_nonblocking(true).map(|()| listener))
        .with_context(|| format!("binding {}", args.listen))?;
    let endpoint = format!("http://{}", listener.local_addr()?);
    print_banner(&endpoint, &args, &data_dir, state.time_scale, &runtime);
    // Instances reach the API on loopback even when it listens on all
    // interfaces.
    let mut reachable = listener.local_addr()?;
    if reachable.ip().is_unspecified() {
        reachable.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    if let Runtime::Sandbox(sandbox) = &runtime {
        serve_on_the_bridge(sandbox, reachable.port(), &state).await?;
    }
    // The API threads start (and accept, on their own runtime) before the
    // background loops: on a small machine the loops' first passes would
    // otherwise hold the CPU while the first request waits.
    let api = ApiThreads::start(
        api_thread_count(),
        ballast_api::router(state.clone()),
        listener,
    )
    .context("serving the API")?;
    let api = tokio::spawn(api.serve(shutdown_signal()));
    let fleet_task = tokio::spawn({
        let fleet = fleet.clone();
        async move { fleet.run(reachable).await }
    });
    let controller_task = tokio::spawn({
        let controller = controller.clone();
        async move { controller.run(format!("http://{reachable}")).await }
    });
    let automation_task = tokio::spawn({
        let automation = automation.clone();
        async move { automation.run().await }
    });
    let lambda_task = tokio::spawn({
        let lambda = lambda.clone();
        async move { lambda.run(format!("http://{reachable}")).await }
    });
    let (stop_background, background_stop) = tokio::sync::watch::channel(false);
    let sweeper_task = tokio::spawn(crate::ttl_sweeper::run(
        Arc::clone(&state.store),
        Arc::clone(&state.clock),
        state.time_scale,
        background_stop.clone(),
    ));
    let scheduler_task = tokio::spawn(
        crate::event_scheduler::Scheduler {
            store: Arc::clone(&state.store),
            clock: Arc::clone(&state.clock),
            ids: Arc::clone(&state.ids),
            scope: state.scope.clone(),
            scale: state.time_scale,
            functions: Arc::clone(&state.functions),
        }
        .run(background_stop),
    );

    check_python_later(args.lambda_python.clone());

    let served = match api.await {
        Ok(served) => served,
        Err(error) => Err(anyhow::Error::new(error)),
    }
    .context("serving the API");
    stop_background.send_replace(true);
    if let Err(error) = sweeper_task.await {
        tracing::error!(%error, "the DynamoDB TTL sweeper stopped abnormally");
    }
    if let Err(error) = scheduler_task.await {
        tracing::error!(%error, "the rule scheduler stopped abnormally");
    }
    lambda.shutdown();
    if let Err(error) = lambda_task.await {
        tracing::error!(%error, "the Lambda runtime stopped abnormally");
    }
    automation.shutdown();
    if let Err(error) = automation_task.await {
        tracing::error!(%error, "the automation engine stopped abnormally");
    }
    controller.shutdown();
    if let Err(error) = controller_task.await {
        tracing::error!(%error, "the auto scaling controller stopped abnormally");
    }
    fleet.shutdown();
    if let Err(error) = fleet_task.await {
        tracing::error!(%error, "the fleet stopped abnormally");
    }
    served?;
    tracing::info!("stopped");
    Ok(())
}

/// How long after start the Lambda runtime's Python is checked: starting
/// Python costs more CPU than the rest of start-up together, and on a small
/// machine it would slow the first answers if it ran among them.
const PYTHON_CHECK_DELAY: std::time::Duration = std::time::Duration::from_millis(250);

/// Says, a moment after start, what `python3.*` functions would miss under
/// `python` (nothing is said when it runs and has boto3).
fn check_python_later(python: std::path::PathBuf) {
    tokio::spawn(async move {
        tokio::time::sleep(PYTHON_CHECK_DELAY).await;
        let shortfall =
            tokio::task::spawn_blocking(move || ballast_lambda::python_shortfall(&python)).await;
        if let Ok(Some(shortfall)) = shortfall {
            say!("Note: python Lambda functions will fail: {shortfall}");
        }
    });
}

fn print_banner(
    endpoint: &str,
    args: &UpArgs,
    data_dir: &std::path::Path,
    scale: TimeScale,
    runtime: &Runtime,
) {
    say!(
        "Ballast {} is listening on {endpoint}",
        env!("CARGO_PKG_VERSION")
    );
    say!(
        "  region {}, data in {}, time scale {}",
        args.region,
        data_dir.display(),
        scale.factor()
    );
    match runtime {
        Runtime::Sandbox(sandbox) => {
            say!(
                "  instances: sandboxes on bridge {} ({}), metadata at 169.254.169.254",
                sandbox.bridge.name,
                sandbox.bridge.block()
            );
            for (feature, package) in Sandbox::missing_tools() {
                say!("  instances boot without {feature}: install the {package} package");
            }
        }
        Runtime::Process { imds_port } => say!(
            "  instances: process groups on {}, metadata on port {imds_port}",
            args.instance_cidr
        ),
    }
    say!();
    say!("Point AWS tools at it by pasting:");
    say!("  export AWS_ENDPOINT_URL={endpoint}");
    say!("  export AWS_ACCESS_KEY_ID={}", args.access_key);
    say!("  export AWS_SECRET_ACCESS_KEY={}", args.secret_key);
    say!(
        "  export AWS_REGION={} AWS_DEFAULT_REGION={}",
        args.region,
        args.region
    );
    say!();
}

/// The API where sandboxed instances reach it on the VPC bridge (made at
/// start): plain HTTP at the API's port, and over HTTPS on port 443 for
/// the AWS endpoints' real names.
async fn serve_on_the_bridge(sandbox: &Sandbox, port: u16, state: &ApiState) -> anyhow::Result<()> {
    let address = sandbox.api_address(port);
    let plain = TcpListener::bind(address)
        .await
        .with_context(|| format!("binding {address} for instances"))?;
    let router = ballast_api::router(state.clone());
    tokio::spawn(async move {
        if let Err(error) = axum::serve(plain, router).await {
            tracing::error!(%error, "the API listener for instances stopped");
        }
    });
    if let Some(authority) = &sandbox.tls {
        let address = sandbox.api_address(443);
        let acceptor = crate::tls::acceptor(authority)?;
        let https = TcpListener::bind(address)
            .await
            .with_context(|| format!("binding {address} for the AWS endpoints"))?;
        tokio::spawn(crate::tls::serve(
            https,
            acceptor,
            // Links the API gives back (a function's package) say https.
            ballast_api::router(state.clone()).layer(axum::Extension(ballast_api::Https)),
        ));
    }
    Ok(())
}

/// Run Command's agent is this executable's `agent` subcommand; without
/// a path to it (which Linux always gives), instances run no agent.
fn agent_launch() -> Option<ballast_fleet::AgentLaunch> {
    match std::env::current_exe() {
        Ok(exe) => Some(ballast_fleet::AgentLaunch { exe }),
        Err(error) => {
            tracing::warn!(%error, "no path to this executable: instances run no Run Command agent");
            None
        }
    }
}

/// Claims an address block for this process with a lock file that the
/// kernel releases when the process ends, however it ends; a block another
/// live Ballast holds is refused with the flag that changes it.
fn claim_block(flag: &str, block: AddressBlock) -> anyhow::Result<std::fs::File> {
    let name = format!("ballast-block-{}.lock", block.to_string().replace('/', "-"));
    let path = std::env::temp_dir().join(name);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "another Ballast on this machine uses the address block {block} ({}); \
             give this one a block of its own with {flag}",
            path.display()
        ),
        Err(std::fs::TryLockError::Error(error)) => {
            Err(error).with_context(|| format!("locking {}", path.display()))
        }
    }
}

/// The instance runtime `--instance-runtime` asks for: `auto` takes the
/// sandbox where this machine can run one and says why when it cannot.
fn choose_runtime(args: &UpArgs, data_dir: &std::path::Path) -> anyhow::Result<Runtime> {
    let process = Runtime::Process {
        imds_port: args.imds_port,
    };
    // Probing for sandboxes runs `ip`; not worth it when none is wanted.
    let unavailable = match args.instance_runtime {
        InstanceRuntime::Process => None,
        _ => Sandbox::unavailable(),
    };
    match (args.instance_runtime, unavailable) {
        (InstanceRuntime::Process, _) => Ok(process),
        (InstanceRuntime::Sandbox, Some(why)) => {
            bail!("--instance-runtime sandbox is not possible here: {why}")
        }
        (InstanceRuntime::Auto, Some(why)) => {
            say!("Instances run as process groups: no sandbox here ({why}).");
            Ok(process)
        }
        (wanted, None) => {
            // The VPC bridge is taken (or refused, naming its live owner or
            // the link that routes the block) before anything starts.
            let sandbox = Sandbox::default_vpc(data_dir, &args.region);
            match sandbox.bridge.ensure(&sandbox.owner) {
                Ok(()) => Ok(Runtime::Sandbox(Box::new(sandbox))),
                Err(error) if wanted == InstanceRuntime::Auto => {
                    say!("Instances run as process groups: {error}.");
                    Ok(process)
                }
                Err(error) => Err(error).context("setting up the instance network"),
            }
        }
    }
}

/// How many API threads serve connections: one per core, at most eight.
fn api_thread_count() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().min(8))
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for SIGTERM");
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("shutting down");
}
