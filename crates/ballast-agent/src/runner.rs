//! Running a command's steps, as SSM Agent runs `aws:runShellScript`:
//! the step's lines as one script under `bash`, in the step's working
//! directory (its own orchestration directory unless the document says
//! otherwise), killed with its process group at `timeoutSeconds`. The
//! whole output stays in the orchestration directory; the reply carries
//! what the API shows.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use ballast_wire::agent::{
    CommandPayload, PayloadStep, Reply, ReplyStatus, StepOutcome, StepReply,
};

use tokio::sync::watch;

use crate::AgentError;
use crate::scaled_time::ScriptTime;

/// The exit code that asks for a reboot and a second run.
const REBOOT_EXIT_CODE: i32 = 194;

/// The exit code of a script killed at its timeout.
const KILLED_EXIT_CODE: i32 = 137;

/// How much of each stream a reply carries (the API shows 24,000
/// characters; the rest is on the instance).
const REPLY_OUTPUT_LIMIT: usize = 48_000;

/// Where a command's steps keep their scripts and outputs.
pub fn orchestration_dir(state_dir: &Path, command_id: &str) -> PathBuf {
    state_dir
        .join("document")
        .join("orchestration")
        .join(command_id)
}

/// Runs `payload`'s steps from `from` on, in `time` (which shortens
/// timeouts and sleeps as `--time-scale` does). Stops at the first step
/// that does not succeed, at one that asks for a reboot, and when
/// `cancel` turns true (the running step's process group is killed).
pub async fn run(
    payload: &CommandPayload,
    from: usize,
    state_dir: &Path,
    time: &ScriptTime,
    cancel: &mut watch::Receiver<bool>,
) -> Result<(Reply, Option<usize>), AgentError> {
    let mut steps = Vec::new();
    let mut reboot_at = None;
    let mut stop = false;
    for (index, step) in payload.steps.iter().enumerate() {
        if index < from {
            continue;
        }
        if stop {
            steps.push(skipped(step));
            continue;
        }
        let dir = orchestration_dir(state_dir, &payload.command_id).join(safe_name(&step.name));
        let reply = run_step(step, &dir, time, cancel).await?;
        if reply.response_code == REBOOT_EXIT_CODE {
            reboot_at = Some(index);
            stop = true;
        } else if reply.outcome != StepOutcome::Success {
            stop = true;
        }
        steps.push(reply);
    }
    let status = if reboot_at.is_some() {
        ReplyStatus::Rebooting
    } else {
        ReplyStatus::Finished
    };
    Ok((Reply { status, steps }, reboot_at))
}

fn skipped(step: &PayloadStep) -> StepReply {
    StepReply {
        name: step.name.clone(),
        outcome: StepOutcome::Skipped,
        response_code: -1,
        stdout: String::new(),
        stderr: String::new(),
        elapsed_millis: 0,
    }
}

/// A step name as a directory name (`aws:runShellScript` →
/// `awsrunShellScript`, as the agent names them).
fn safe_name(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-' || *c == '_')
        .collect()
}

/// The inputs of an `aws:runShellScript` step.
struct ShellInputs {
    lines: Vec<String>,
    working_directory: Option<String>,
    timeout: Duration,
}

fn shell_inputs(inputs: &serde_json::Value) -> Result<ShellInputs, String> {
    let lines = match inputs.get("runCommand") {
        Some(serde_json::Value::Array(lines)) => lines
            .iter()
            .map(|l| {
                l.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| l.to_string())
            })
            .collect(),
        Some(serde_json::Value::String(line)) => vec![line.clone()],
        _ => return Err("runCommand is missing".to_owned()),
    };
    let working_directory = inputs
        .get("workingDirectory")
        .and_then(|d| d.as_str())
        .filter(|d| !d.trim().is_empty())
        .map(str::to_owned);
    let seconds = match inputs.get("timeoutSeconds") {
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => Some(3600),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        None => Some(3600),
        _ => None,
    }
    .ok_or_else(|| "timeoutSeconds is not a number".to_owned())?;
    Ok(ShellInputs {
        lines,
        working_directory,
        timeout: Duration::from_secs(seconds),
    })
}

/// How a step's script ended.
enum Ended {
    Exited(std::io::Result<std::process::ExitStatus>),
    TimedOut,
    Cancelled,
}

async fn run_step(
    step: &PayloadStep,
    dir: &Path,
    time: &ScriptTime,
    cancel: &mut watch::Receiver<bool>,
) -> Result<StepReply, AgentError> {
    let started = Instant::now();
    let failed = |message: String| StepReply {
        name: step.name.clone(),
        outcome: StepOutcome::Failed,
        response_code: 1,
        stdout: String::new(),
        stderr: message,
        elapsed_millis: 0,
    };
    if *cancel.borrow() {
        return Ok(StepReply {
            outcome: StepOutcome::Cancelled,
            response_code: -1,
            ..failed(String::new())
        });
    }
    if step.action != "aws:runShellScript" {
        return Ok(failed(format!(
            "Ballast's agent does not run the action {}.",
            step.action
        )));
    }
    let inputs = match shell_inputs(&step.inputs) {
        Ok(inputs) => inputs,
        Err(message) => return Ok(failed(message)),
    };
    std::fs::create_dir_all(dir).map_err(|e| AgentError::io(dir, e))?;
    let script = dir.join("_script.sh");
    let mut text = inputs.lines.join("\n");
    text.push('\n');
    std::fs::write(&script, text).map_err(|e| AgentError::io(&script, e))?;
    let cwd = inputs
        .working_directory
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.to_owned());
    let stdout_path = dir.join("stdout");
    let stderr_path = dir.join("stderr");
    let stdout =
        std::fs::File::create(&stdout_path).map_err(|e| AgentError::io(&stdout_path, e))?;
    let stderr =
        std::fs::File::create(&stderr_path).map_err(|e| AgentError::io(&stderr_path, e))?;
    let mut command = tokio::process::Command::new("bash");
    time.apply(&mut command);
    let mut child = match command
        .arg(&script)
        .current_dir(&cwd)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
    {
        Ok(child) => child,
        Err(error) => {
            return Ok(failed(format!(
                "failed to run commands: {error} (working directory {})",
                cwd.display()
            )));
        }
    };
    let limit = time.scaled(inputs.timeout);
    let ended = tokio::select! {
        status = child.wait() => Ended::Exited(status),
        () = tokio::time::sleep(limit) => Ended::TimedOut,
        Ok(_) = cancel.wait_for(|stop| *stop) => Ended::Cancelled,
    };
    let (outcome, code) = match ended {
        Ended::Exited(Ok(status)) => {
            let code = status.code().unwrap_or(KILLED_EXIT_CODE);
            let outcome = if code == 0 {
                StepOutcome::Success
            } else {
                StepOutcome::Failed
            };
            (outcome, code)
        }
        Ended::Exited(Err(error)) => {
            return Ok(failed(format!("waiting for the script: {error}")));
        }
        Ended::TimedOut => {
            kill_group(&mut child).await;
            (StepOutcome::TimedOut, KILLED_EXIT_CODE)
        }
        Ended::Cancelled => {
            kill_group(&mut child).await;
            (StepOutcome::Cancelled, KILLED_EXIT_CODE)
        }
    };
    let mut stderr_text = read_limited(&stderr_path);
    if outcome == StepOutcome::TimedOut {
        stderr_text.push_str("\nfailed to run commands: the command timed out\n");
    }
    Ok(StepReply {
        name: step.name.clone(),
        outcome,
        response_code: code,
        stdout: read_limited(&stdout_path),
        stderr: stderr_text,
        elapsed_millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    })
}

/// Kills the script's whole process group (what it started dies too) and
/// reaps the script.
async fn kill_group(child: &mut tokio::process::Child) {
    if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    let _ = child.wait().await;
}

fn read_limited(path: &Path) -> String {
    let text = std::fs::read(path).unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    match text.char_indices().nth(REPLY_OUTPUT_LIMIT) {
        Some((cut, _)) => text[..cut].to_owned(),
        None => text.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(lines: &[&str], timeout: &str) -> CommandPayload {
        CommandPayload {
            command_id: "c-1".into(),
            document_name: "AWS-RunShellScript".into(),
            steps: vec![PayloadStep {
                name: "aws:runShellScript".into(),
                action: "aws:runShellScript".into(),
                inputs: serde_json::json!({
                    "runCommand": lines,
                    "workingDirectory": "",
                    "timeoutSeconds": timeout,
                }),
            }],
        }
    }

    /// A cancel handle that never fires (its sender is gone).
    fn not_cancelled() -> watch::Receiver<bool> {
        watch::channel(false).1
    }

    /// Whether `pid` runs (a zombie does not).
    fn runs(pid: i32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|stat| {
                stat.rsplit_once(") ")
                    .map(|(_, rest)| !rest.starts_with('Z'))
            })
            .unwrap_or(false)
    }

    #[tokio::test]
    async fn a_cancel_kills_the_script_and_what_it_started() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("sleep.pid");
        let line = format!("sleep 30 & echo $! > {}; wait", pid_file.display());
        let (cancel, mut cancelled) = watch::channel(false);
        let steps = payload(&[line.as_str()], "600");
        let time = ScriptTime::real();
        let running = run(&steps, 0, dir.path(), &time, &mut cancelled);
        let canceller = async {
            let deadline = Instant::now() + Duration::from_secs(10);
            let pid = loop {
                if let Some(pid) = std::fs::read_to_string(&pid_file)
                    .ok()
                    .and_then(|text| text.trim().parse::<i32>().ok())
                {
                    break pid;
                }
                assert!(Instant::now() < deadline, "the script did not start");
                tokio::time::sleep(Duration::from_millis(10)).await;
            };
            assert!(runs(pid));
            cancel.send_replace(true);
            pid
        };
        let started = Instant::now();
        let ((reply, reboot), pid) = tokio::join!(async { running.await.unwrap() }, canceller);
        assert!(started.elapsed() < Duration::from_secs(20));
        assert_eq!(reboot, None);
        assert_eq!(reply.steps[0].outcome, StepOutcome::Cancelled);
        let deadline = Instant::now() + Duration::from_secs(10);
        while runs(pid) {
            assert!(
                Instant::now() < deadline,
                "the script's sleep outlived the cancel"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn a_script_runs_in_its_directory_and_reports_its_last_exit_code() {
        let dir = tempfile::tempdir().unwrap();
        let (reply, reboot) = run(
            &payload(&["echo hello", "pwd >&2", "exit 3"], "60"),
            0,
            dir.path(),
            &ScriptTime::real(),
            &mut not_cancelled(),
        )
        .await
        .unwrap();
        assert_eq!(reboot, None);
        let step = &reply.steps[0];
        assert_eq!((step.outcome, step.response_code), (StepOutcome::Failed, 3));
        assert_eq!(step.stdout, "hello\n");
        assert!(
            step.stderr.contains("orchestration/c-1/awsrunShellScript"),
            "{}",
            step.stderr
        );
        let kept = orchestration_dir(dir.path(), "c-1").join("awsrunShellScript/stdout");
        assert_eq!(std::fs::read_to_string(kept).unwrap(), "hello\n");
    }

    #[tokio::test]
    async fn exit_194_asks_for_a_reboot() {
        let dir = tempfile::tempdir().unwrap();
        let (reply, reboot) = run(
            &payload(&["exit 194"], "60"),
            0,
            dir.path(),
            &ScriptTime::real(),
            &mut not_cancelled(),
        )
        .await
        .unwrap();
        assert_eq!(reboot, Some(0));
        assert_eq!(reply.status, ReplyStatus::Rebooting);
    }

    #[tokio::test]
    async fn a_script_past_its_timeout_is_killed() {
        let dir = tempfile::tempdir().unwrap();
        let started = Instant::now();
        // 100 s at a scale of 0.002 is 0.2 s; the sleep is not scaled.
        let time = ScriptTime {
            scale: 0.002,
            bin: None,
        };
        let (reply, _) = run(
            &payload(&["sleep 30"], "100"),
            0,
            dir.path(),
            &time,
            &mut not_cancelled(),
        )
        .await
        .unwrap();
        assert!(started.elapsed() < Duration::from_secs(10));
        let step = &reply.steps[0];
        assert_eq!(
            (step.outcome, step.response_code),
            (StepOutcome::TimedOut, 137)
        );
    }

    #[tokio::test]
    async fn scripts_find_the_scaled_sleep_first_on_their_path() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let fake = bin.join("sleep");
        std::fs::write(&fake, "#!/bin/sh\necho \"scaled $*\"\n").unwrap();
        std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let time = ScriptTime {
            scale: 0.05,
            bin: Some(bin),
        };
        let (reply, _) = run(
            &payload(&["sleep 60", "command -p sleep 0"], "120"),
            0,
            dir.path(),
            &time,
            &mut not_cancelled(),
        )
        .await
        .unwrap();
        let step = &reply.steps[0];
        assert_eq!(step.outcome, StepOutcome::Success, "{}", step.stderr);
        assert_eq!(step.stdout, "scaled 60\n");
    }
}
