//! Booting an instance: its environment and its boot's process group.

use std::ffi::OsString;
use std::io;
use std::process::Stdio;

use ballast_core::ec2::Instance;
use ballast_core::ec2::instance::decode_user_data;
use tokio::process::Command;

use crate::instance_dir::{InstanceDir, RuntimeRecord};
use crate::process::{BootScript, Group, INSTANCE_MARKER, PROCESS_USER_DATA, UserDataCommand};

/// What every instance's environment points at.
#[derive(Debug, Clone)]
pub struct Environment {
    /// Ballast's API endpoint (`AWS_ENDPOINT_URL`) in process mode.
    pub api_endpoint: String,
    /// The API's port, which sandboxes reach on the VPC bridge.
    pub api_port: u16,
    pub region: String,
    /// The port the metadata service listens on at each instance's address.
    pub imds_port: u16,
    /// `PATH` for the instance's processes: the host's, so the tools
    /// installed on this machine (the AWS CLI, python) are there.
    pub path: OsString,
    /// How boots start Run Command's agent.
    pub agent: Option<crate::agent::AgentLaunch>,
    /// `--time-scale`, passed on to the agent.
    pub time_scale: f64,
}

impl Environment {
    /// The boot-script lines that start the agent, if there is one.
    pub(crate) fn agent_lines(&self, state_dir: &str, log: &str) -> Option<String> {
        self.agent
            .as_ref()
            .map(|agent| agent.lines(self.time_scale, state_dir, log))
    }
}

impl Environment {
    /// The variables an instance's processes start with. There are no
    /// static credentials among them: AWS tools find the instance role's
    /// credentials through the metadata service, as on EC2.
    fn variables(
        &self,
        instance: &Instance,
        dir: &InstanceDir,
        first_boot: bool,
    ) -> Vec<(String, OsString)> {
        let imds = format!("http://{}:{}/", instance.private_ip, self.imds_port);
        let text = |s: &str| OsString::from(s);
        vec![
            ("PATH".into(), self.path.clone()),
            ("HOME".into(), dir.home().into_os_string()),
            ("LANG".into(), text("C.UTF-8")),
            ("AWS_ENDPOINT_URL".into(), text(&self.api_endpoint)),
            ("AWS_REGION".into(), text(&self.region)),
            ("AWS_DEFAULT_REGION".into(), text(&self.region)),
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT".into(), text(&imds)),
            (
                "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE".into(),
                text("IPv4"),
            ),
            (INSTANCE_MARKER.into(), text(&instance.id)),
            (
                "BALLAST_INSTANCE_DIR".into(),
                dir.root().as_os_str().to_owned(),
            ),
            ("BALLAST_BOOT_HOOK".into(), dir.boot_hook().into_os_string()),
            (
                "BALLAST_PRIVATE_IP".into(),
                text(&instance.private_ip.to_string()),
            ),
            (
                "BALLAST_FIRST_BOOT".into(),
                text(if first_boot { "1" } else { "0" }),
            ),
        ]
    }
}

/// Starts a boot of `instance`: the user data on its first boot, the boot
/// hook on every boot, all in a new process group whose output goes to
/// the console log. Returns the group and the leader, which the caller
/// reaps.
pub fn boot(
    instance: &Instance,
    dir: &InstanceDir,
    env: &Environment,
) -> io::Result<(Group, tokio::process::Child)> {
    dir.create()?;
    let first_boot = !dir.first_boot_done();
    let mut user_data = None;
    if first_boot {
        if let Some(encoded) = &instance.user_data {
            // Validated by RunInstances; a record that no longer decodes
            // boots without user data rather than not at all.
            if let Ok(data) = decode_user_data(encoded) {
                dir.write_user_data(&data)?;
                user_data = Some(UserDataCommand::for_data(&data));
            }
        }
        dir.mark_first_boot()?;
    }
    let script = BootScript {
        instance_id: instance.id.clone(),
        generation: instance.boot_generation,
        user_data,
        user_data_path: PROCESS_USER_DATA.into(),
        // The agent in the boot's process group, its state in the
        // instance's directory.
        system: env.agent_lines(
            "\"$BALLAST_INSTANCE_DIR/ssm\"",
            "\"$BALLAST_INSTANCE_DIR/ssm-agent.log\"",
        ),
    };
    dir.write_boot_script(&script.render())?;
    let mut command = Command::new("/bin/sh");
    command
        .arg(dir.boot_script())
        .current_dir(dir.home())
        .env_clear()
        .envs(env.variables(instance, dir, first_boot));
    start_leader(command, instance, dir)
}

/// Starts a boot's leader (`command`) in a new process group whose output
/// goes to the console, and records the group for re-adoption. Returns the
/// group and the leader, which the caller reaps.
pub(crate) fn start_leader(
    mut command: Command,
    instance: &Instance,
    dir: &InstanceDir,
) -> io::Result<(Group, tokio::process::Child)> {
    let console = dir.open_console()?;
    let child = command
        .stdin(Stdio::null())
        .stdout(console.try_clone()?)
        .stderr(console)
        .process_group(0)
        .kill_on_drop(false)
        .spawn()?;
    let pgid = child
        .id()
        .and_then(|pid| i32::try_from(pid).ok())
        .ok_or_else(|| io::Error::other("the boot leader has no pid"))?;
    dir.save_runtime_record(RuntimeRecord {
        pgid,
        generation: instance.boot_generation,
    })?;
    Ok((Group { pgid }, child))
}
