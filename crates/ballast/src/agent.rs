//! `ballast agent`: Run Command's agent inside an instance.

use anyhow::Context;

use crate::cli::AgentArgs;

pub fn run(args: AgentArgs) -> anyhow::Result<()> {
    let (platform_name, platform_version) = os_release();
    let options = ballast_agent::Options {
        endpoint: args.endpoint,
        metadata: args.metadata,
        region: args.region,
        state_dir: args.state_dir,
        time_scale: args.time_scale,
        exe: std::env::current_exe().context("finding Ballast's own executable")?,
        platform_name,
        platform_version,
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the agent's runtime")?
        .block_on(ballast_agent::run(options))
        .context("the agent stopped")
}

/// `NAME` and `VERSION_ID` of `/etc/os-release`: the platform the agent
/// reports, as SSM Agent reports it.
fn os_release() -> (String, String) {
    let text = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let field = |key: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("{key}=")))
            .map(|v| v.trim_matches('"').to_owned())
            .unwrap_or_default()
    };
    (field("NAME"), field("VERSION_ID"))
}
