//! `aws:executeScript`: the step's Python `Script` run by a real `python3`
//! on the host, its `Handler` called with `events` (the step's
//! `InputPayload`) and `context` (the execution's ids and globals, as AWS
//! passes them), its return value the step's `Payload`.
//!
//! The script runs in a child process fed by a small driver on stdin
//! (the driver, the script and the arguments as one JSON document), so
//! nothing the script does reaches Ballast's own process; it is killed
//! when the step's timeout passes. Ballast does not run PowerShell.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ballast_core::Scope;
use ballast_core::ssm::automation::machine::Outcome;
use ballast_core::ssm::automation::{Execution, OutputDef};
use serde_json::{Value, json};

use crate::actions::picked_outputs;

/// Reads the job from stdin, runs the script's handler, and prints the
/// result as JSON after a marker line (anything the script prints comes
/// before it).
const DRIVER: &str = r#"
import json, sys, traceback
job = json.load(sys.stdin)
scope = {"__name__": "__automation__"}
try:
    exec(compile(job["script"], "script", "exec"), scope)
    handler = scope.get(job["handler"])
    if handler is None:
        raise NameError("The handler " + job["handler"] + " is not defined by the script.")
    result = handler(job["events"], job["context"])
    sys.stdout.write("\n@@ballast-result@@\n" + json.dumps({"Payload": result}, default=str))
except Exception:
    sys.stdout.write("\n@@ballast-error@@\n" + traceback.format_exc())
"#;

const RESULT: &str = "\n@@ballast-result@@\n";
const ERROR: &str = "\n@@ballast-error@@\n";

/// How often a running script is looked at.
const TICK: Duration = Duration::from_millis(10);

pub(crate) fn execute(
    execution: &Execution,
    inputs: &Value,
    outputs: &[OutputDef],
    timeout: Duration,
    scope: &Scope,
) -> Outcome {
    let failed = |message: String| Outcome::Failed {
        message,
        outputs: BTreeMap::new(),
    };
    let runtime = inputs.get("Runtime").and_then(Value::as_str).unwrap_or("");
    if !runtime.starts_with("python3") {
        return failed(format!(
            "Ballast runs aws:executeScript with Python (Runtime python3.x), not {runtime:?}."
        ));
    }
    let (Some(script), Some(handler)) = (
        inputs.get("Script").and_then(Value::as_str),
        inputs.get("Handler").and_then(Value::as_str),
    ) else {
        return failed(
            "The step's inputs need Script and Handler (attachments are not supported).".to_owned(),
        );
    };
    let job = json!({
        "script": script,
        "handler": handler,
        "events": inputs.get("InputPayload").cloned().unwrap_or_else(|| json!({})),
        "context": {
            "automation:EXECUTION_ID": execution.id,
            "automation:DOCUMENT_NAME": execution.document_name,
            "global:ACCOUNT_ID": scope.account,
            "global:REGION": scope.region,
            "global:AWS_PARTITION": "aws",
        },
    });
    let printed = match run_python(&job, timeout) {
        Ok(printed) => printed,
        Err(message) => return failed(message),
    };
    if let Some((_, trace)) = printed.split_once(ERROR) {
        return failed(format!("The script raised an error: {}", trace.trim()));
    }
    let Some((_, result)) = printed.split_once(RESULT) else {
        return failed("The script ended without a result.".to_owned());
    };
    let response: Value = match serde_json::from_str(result) {
        Ok(value) => value,
        Err(error) => return failed(format!("The script's result is not JSON: {error}")),
    };
    match picked_outputs(outputs, &response) {
        Ok(mut picked) => {
            picked.insert(
                "OutputPayload".to_owned(),
                Value::String(response.to_string()),
            );
            Outcome::Success {
                outputs: picked,
                next: None,
            }
        }
        Err(message) => failed(message),
    }
}

/// Runs the driver with `job` on stdin; what it printed, or why it could
/// not run or did not finish within `timeout`.
fn run_python(job: &Value, timeout: Duration) -> Result<String, String> {
    let mut child = Command::new("python3")
        .args(["-c", DRIVER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("Could not start python3 for aws:executeScript: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(job.to_string().as_bytes())
            .map_err(|e| format!("Could not hand the script to python3: {e}"))?;
    }
    // Read while it runs, so a chatty script cannot fill the pipe and
    // stall.
    let reader = child.stdout.take().map(|mut stdout| {
        std::thread::spawn(move || {
            let mut printed = String::new();
            stdout.read_to_string(&mut printed).map(|_| printed)
        })
    });
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("The script did not finish within the step's timeout.".to_owned());
            }
            Ok(None) => std::thread::sleep(TICK),
            Err(error) => return Err(format!("Waiting for the script: {error}")),
        }
    }
    match reader.map(std::thread::JoinHandle::join) {
        Some(Ok(Ok(printed))) => Ok(printed),
        Some(Ok(Err(error))) => Err(format!("Reading the script's output: {error}")),
        _ => Err("The script's output could not be read.".to_owned()),
    }
}
