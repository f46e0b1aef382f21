//! Starting Run Command's agent (`ballast agent`, the `ballast-agent`
//! crate) in every boot of every instance, as SSM Agent starts on an AMI.

use std::path::PathBuf;

/// How boots start the agent: Ballast's own executable, which instances
/// can run (a sandbox's root is an overlay of the host's).
#[derive(Debug, Clone)]
pub struct AgentLaunch {
    pub exe: PathBuf,
}

impl AgentLaunch {
    /// The boot-script lines that start the agent in the background with
    /// its state in `state_dir` and its log in `log` (both shell words,
    /// which may use the boot's variables).
    pub(crate) fn lines(&self, time_scale: f64, state_dir: &str, log: &str) -> String {
        format!(
            "mkdir -p {state_dir} \"$(dirname {log})\"\n\
             {} agent --state-dir {state_dir} --time-scale {time_scale} >>{log} 2>&1 &\n",
            shell_quote(&self.exe.to_string_lossy()),
        )
    }
}

/// `'text'` for the shell, whatever `text` holds.
pub(crate) fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agent_starts_in_the_background_with_its_state_and_log() {
        let launch = AgentLaunch {
            exe: PathBuf::from("/opt/it's/ballast"),
        };
        let lines = launch.lines(0.5, "/var/lib/amazon/ssm", "/var/log/amazon/ssm/agent.log");
        assert!(lines.contains(
            r"'/opt/it'\''s/ballast' agent --state-dir /var/lib/amazon/ssm --time-scale 0.5"
        ));
        assert!(lines.trim_end().ends_with('&'));
    }
}
