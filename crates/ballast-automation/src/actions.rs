//! What each action does on one pass of the engine: start, or look again
//! at what it waits on, and say what the attempt came to.
//!
//! Every AWS call goes through [`ApiInvoker`] as the execution's
//! identity, so a runbook can do exactly what its role may: Run Command's
//! SendCommand, a child StartAutomationExecution, ELBv2's
//! DescribeTargetHealth alike.

use std::collections::BTreeMap;
use std::time::Duration;

use ballast_core::ssm::automation::machine::{self, GUIDE, Outcome};
use ballast_core::ssm::automation::{
    ApiCallError, Execution, OutputDef, Status, Wait, selector, signal,
};
use serde_json::{Map, Value, json};

use crate::Inner;

/// How often `aws:waitForAwsResourceProperty` asks again, in AWS time.
const POLL_EVERY: Duration = Duration::from_secs(1);
/// The shortest wait between two looks, whatever the time scale.
const POLL_FLOOR: Duration = Duration::from_millis(50);

/// Runs or looks in on the current attempt of step `index`.
pub(crate) fn poll(inner: &Inner, execution: &mut Execution, index: usize, now: i64) -> Outcome {
    let Some(step) = execution.steps.get(index) else {
        return failed("The step does not exist.".to_owned());
    };
    let inputs = step.inputs.clone().unwrap_or(Value::Null);
    let wait = step.wait.clone();
    let step_outputs = step.def.outputs.clone();
    let timeout_seconds = step.def.timeout_seconds;
    match step.def.action.as_str() {
        signal::PAUSE => signal::pause(&step.signals),
        signal::APPROVE => signal::approval(&inputs, &step.signals).unwrap_or_else(failed),
        "aws:executeAwsApi" => execute_api(inner, execution, &inputs, &step_outputs),
        "aws:assertAwsResourceProperty" => assert_property(inner, execution, &inputs),
        "aws:waitForAwsResourceProperty" => wait_for_property(inner, execution, &inputs, now),
        "aws:sleep" => sleep(inner, &inputs, wait, now),
        "aws:branch" => match machine::branch(&inputs) {
            Ok(next) => Outcome::Success {
                outputs: BTreeMap::new(),
                next: Some(next),
            },
            Err(message) => failed(message),
        },
        "aws:runCommand" => run_command(inner, execution, &inputs, wait),
        "aws:executeAutomation" => execute_automation(inner, execution, &inputs, wait),
        "aws:changeInstanceState" => change_instance_state(inner, execution, &inputs, wait, now),
        "aws:executeScript" => {
            let timeout = step_timeout(inner, timeout_seconds);
            crate::script::execute(execution, &inputs, &step_outputs, timeout, &inner.scope)
        }
        other => failed(format!(
            "Ballast does not run the action {other} yet. {GUIDE}"
        )),
    }
}

/// How long a script may run: the step's `timeoutSeconds`, else AWS's
/// 600 s, scaled.
fn step_timeout(inner: &Inner, timeout_seconds: Option<i64>) -> Duration {
    let aws = Duration::from_secs(u64::try_from(timeout_seconds.unwrap_or(600)).unwrap_or(600));
    inner.scale.scale(aws).max(POLL_FLOOR)
}

/// Stops what a step was waiting on when the step is cancelled or timed
/// out: the command it sent, the child execution it started.
pub(crate) fn abandon(inner: &Inner, execution: &Execution, waiting: Option<Wait>) {
    match waiting {
        Some(Wait::Command(id)) => {
            let _ = call(
                inner,
                execution,
                "ssm",
                "CancelCommand",
                json!({ "CommandId": id }),
            );
        }
        Some(Wait::Child(id)) => {
            if let Err(error) = crate::pass::request_stop(inner, &id) {
                tracing::error!(%error, child = id, "cancelling a child execution");
            }
        }
        _ => {}
    }
}

fn failed(message: String) -> Outcome {
    Outcome::Failed {
        message,
        outputs: BTreeMap::new(),
    }
}

fn call(
    inner: &Inner,
    execution: &Execution,
    service: &str,
    api: &str,
    input: Value,
) -> Result<Value, ApiCallError> {
    inner.api.call(&execution.identity, service, api, input)
}

/// An `aws:executeAwsApi`-style step's `Service`, `Api` and the rest of
/// its inputs as the operation's input.
fn api_call(inputs: &Value) -> Result<(String, String, Value), String> {
    let text = |key: &str| {
        inputs
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("The step's inputs need {key}."))
    };
    let service = text("Service")?;
    let api = text("Api")?;
    let mut rest = inputs.as_object().cloned().unwrap_or_default();
    for key in ["Service", "Api", "PropertySelector", "DesiredValues"] {
        rest.remove(key);
    }
    Ok((service, api, Value::Object(rest)))
}

fn execute_api(
    inner: &Inner,
    execution: &Execution,
    inputs: &Value,
    outputs: &[OutputDef],
) -> Outcome {
    let (service, api, input) = match api_call(inputs) {
        Ok(parts) => parts,
        Err(message) => return failed(message),
    };
    let response = match call(inner, execution, &service, &api, input) {
        Ok(response) => response,
        Err(error) => return failed(error.to_string()),
    };
    match picked_outputs(outputs, &response) {
        Ok(outputs) => Outcome::Success {
            outputs,
            next: None,
        },
        Err(message) => failed(message),
    }
}

/// The step's `outputs` picked from an API response.
pub(crate) fn picked_outputs(
    defs: &[OutputDef],
    response: &Value,
) -> Result<BTreeMap<String, Value>, String> {
    let mut out = BTreeMap::new();
    for def in defs {
        let selected = selector::select(&def.selector, response).map_err(|e| e.to_string())?;
        if let Some(value) =
            selector::output(&def.name, &def.kind, selected).map_err(|e| e.to_string())?
        {
            out.insert(def.name.clone(), value);
        }
    }
    Ok(out)
}

/// The call and its selection for the two property actions: the values
/// picked, or why they could not be.
fn property(
    inner: &Inner,
    execution: &Execution,
    inputs: &Value,
) -> Result<(Vec<Value>, Vec<String>), String> {
    let (service, api, input) = api_call(inputs)?;
    let property = inputs
        .get("PropertySelector")
        .and_then(Value::as_str)
        .ok_or("The step's inputs need PropertySelector.")?;
    let desired: Vec<String> = match inputs.get("DesiredValues") {
        Some(Value::Array(items)) => items.iter().map(selector::text).collect(),
        Some(one @ Value::String(_)) => vec![selector::text(one)],
        _ => return Err("The step's inputs need DesiredValues.".to_owned()),
    };
    let response = call(inner, execution, &service, &api, input).map_err(|e| e.to_string())?;
    let selected = selector::select(property, &response).map_err(|e| e.to_string())?;
    Ok((selected, desired))
}

fn assert_property(inner: &Inner, execution: &Execution, inputs: &Value) -> Outcome {
    match property(inner, execution, inputs) {
        Err(message) => failed(message),
        Ok((selected, desired)) if selector::satisfies(&selected, &desired) => Outcome::Success {
            outputs: BTreeMap::new(),
            next: None,
        },
        Ok((selected, desired)) => failed(format!(
            "Step fails when it is verifying the property. Expected values are {} but found {}. {GUIDE}",
            shown_texts(&desired),
            selector::shown(&selected)
        )),
    }
}

fn shown_texts(texts: &[String]) -> String {
    let quoted: Vec<String> = texts.iter().map(|t| format!("\"{t}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

/// The next look, `POLL_EVERY` from now on the scaled clock.
fn next_look(inner: &Inner, now: i64) -> i64 {
    let every = inner.scale.scale(POLL_EVERY).max(POLL_FLOOR);
    now.saturating_add(i64::try_from(every.as_millis()).unwrap_or(i64::MAX))
}

fn wait_for_property(inner: &Inner, execution: &Execution, inputs: &Value, now: i64) -> Outcome {
    if let Some(Wait::Poll(at)) = current_wait(execution)
        && now < at
    {
        return Outcome::Running(Some(Wait::Poll(at)));
    }
    match property(inner, execution, inputs) {
        Err(message) => failed(message),
        Ok((selected, desired)) if selector::satisfies(&selected, &desired) => Outcome::Success {
            outputs: BTreeMap::new(),
            next: None,
        },
        Ok(_) => Outcome::Running(Some(Wait::Poll(next_look(inner, now)))),
    }
}

fn current_wait(execution: &Execution) -> Option<Wait> {
    execution.current_step().and_then(|s| s.wait.clone())
}

fn sleep(inner: &Inner, inputs: &Value, wait: Option<Wait>, now: i64) -> Outcome {
    let until = match wait {
        Some(Wait::Until(at)) => at,
        _ => match machine::sleep_millis(inputs, now) {
            Ok(aws) => {
                let aws = Duration::from_millis(u64::try_from(aws).unwrap_or(0));
                let scaled = inner.scale.scale(aws);
                now.saturating_add(i64::try_from(scaled.as_millis()).unwrap_or(i64::MAX))
            }
            Err(message) => return failed(message),
        },
    };
    if now >= until {
        Outcome::Success {
            outputs: BTreeMap::new(),
            next: None,
        }
    } else {
        Outcome::Running(Some(Wait::Until(until)))
    }
}

/// `aws:runCommand`: SendCommand with the step's inputs (they are
/// SendCommand's members), then its status until it ends.
fn run_command(
    inner: &Inner,
    execution: &Execution,
    inputs: &Value,
    wait: Option<Wait>,
) -> Outcome {
    let id = match wait {
        Some(Wait::Command(id)) => id,
        _ => {
            let sent = call(
                inner,
                execution,
                "ssm",
                "SendCommand",
                send_command_input(inputs),
            );
            match sent.map(|r| {
                r.pointer("/Command/CommandId")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            }) {
                Ok(Some(id)) => id,
                Ok(None) => return failed("SendCommand answered without a CommandId.".to_owned()),
                Err(error) => return failed(error.to_string()),
            }
        }
    };
    let listed = call(
        inner,
        execution,
        "ssm",
        "ListCommands",
        json!({ "CommandId": id }),
    );
    let command = match listed {
        Ok(response) => response.pointer("/Commands/0").cloned(),
        Err(error) => return failed(error.to_string()),
    };
    let Some(command) = command else {
        return failed(format!("The command {id} is gone."));
    };
    let status = command
        .get("Status")
        .and_then(Value::as_str)
        .unwrap_or("Pending")
        .to_owned();
    let mut outputs = BTreeMap::from([
        ("CommandId".to_owned(), Value::String(id.clone())),
        ("Status".to_owned(), Value::String(status.clone())),
    ]);
    match status.as_str() {
        "Pending" | "InProgress" | "Cancelling" => Outcome::Running(Some(Wait::Command(id))),
        done => {
            let invocation = single_invocation(inner, execution, &id);
            if let Some((code, output)) = &invocation {
                outputs.insert("ResponseCode".to_owned(), Value::String(code.clone()));
                outputs.insert("Output".to_owned(), Value::String(output.clone()));
            }
            if done == "Success" {
                Outcome::Success {
                    outputs,
                    next: None,
                }
            } else {
                let (code, output) = invocation.unwrap_or_default();
                Outcome::Failed {
                    message: format!(
                        "Step fails when it is Poll action status for completion. Command {id} returns unexpected invocation result: \n{{Status=[{done}], ResponseCode=[{code}], Output=[{output}]}}. {GUIDE}"
                    ),
                    outputs,
                }
            }
        }
    }
}

/// The step's inputs as SendCommand's: each of `Parameters` a list of
/// strings, as AWS turns a runbook's `commands: |` block (one string) or
/// a number into the list SendCommand takes.
fn send_command_input(inputs: &Value) -> Value {
    let mut input = inputs.clone();
    if let Some(Value::Object(parameters)) = input.get_mut("Parameters") {
        *parameters = string_lists(parameters);
    }
    input
}

/// The response code and output of a command sent to one instance (AWS
/// reports them for a single target only).
fn single_invocation(inner: &Inner, execution: &Execution, id: &str) -> Option<(String, String)> {
    let listed = call(
        inner,
        execution,
        "ssm",
        "ListCommandInvocations",
        json!({ "CommandId": id, "Details": true }),
    )
    .ok()?;
    let invocations = listed.get("CommandInvocations")?.as_array()?;
    let [invocation] = invocations.as_slice() else {
        return None;
    };
    let plugin = invocation.pointer("/CommandPlugins/0");
    let code = plugin
        .and_then(|p| p.get("ResponseCode"))
        .map(selector::text)
        .unwrap_or_default();
    let output = plugin
        .and_then(|p| p.get("Output"))
        .map(selector::text)
        .unwrap_or_default();
    Some((code, output))
}

/// A map of parameters with each value a list of strings (a lone value
/// becomes a list of one), as SendCommand and StartAutomationExecution
/// take them.
fn string_lists(map: &Map<String, Value>) -> Map<String, Value> {
    map.iter()
        .map(|(name, value)| {
            let list: Vec<Value> = match value {
                Value::Array(items) => items
                    .iter()
                    .map(|v| Value::String(selector::text(v)))
                    .collect(),
                other => vec![Value::String(selector::text(other))],
            };
            (name.clone(), Value::Array(list))
        })
        .collect()
}

/// `aws:executeAutomation`: a child execution, started as this one's
/// identity, then watched until it ends.
fn execute_automation(
    inner: &Inner,
    execution: &Execution,
    inputs: &Value,
    wait: Option<Wait>,
) -> Outcome {
    let id = match wait {
        Some(Wait::Child(id)) => id,
        _ => match start_child(inner, execution, inputs) {
            Ok(id) => id,
            Err(message) => return failed(message),
        },
    };
    let child = match inner.store.read(|tx| tx.automation_execution(&id)) {
        Ok(Some(child)) => child,
        Ok(None) => return failed(format!("The child execution {id} is gone.")),
        Err(error) => return failed(error.to_string()),
    };
    if !child.status.is_terminal() {
        return Outcome::Running(Some(Wait::Child(id)));
    }
    let child_outputs: Map<String, Value> = child
        .outputs()
        .into_iter()
        .map(|(k, v)| (k, Value::from(v)))
        .collect();
    let outputs = BTreeMap::from([
        ("ExecutionId".to_owned(), Value::String(id.clone())),
        (
            "Status".to_owned(),
            Value::String(child.status.as_str().to_owned()),
        ),
        (
            "Output".to_owned(),
            Value::String(Value::Object(child_outputs).to_string()),
        ),
    ]);
    if child.status == Status::Success {
        Outcome::Success {
            outputs,
            next: None,
        }
    } else {
        Outcome::Failed {
            message: format!(
                "Step fails when it is executing child automation {id}: {}",
                child.failure_message.clone().unwrap_or_else(|| format!(
                    "the child execution ended {}.",
                    child.status.as_str()
                ))
            ),
            outputs,
        }
    }
}

fn start_child(inner: &Inner, execution: &Execution, inputs: &Value) -> Result<String, String> {
    let name = inputs
        .get("DocumentName")
        .and_then(Value::as_str)
        .ok_or("The step's inputs need DocumentName.")?;
    let mut request = Map::new();
    request.insert("DocumentName".to_owned(), Value::String(name.to_owned()));
    if let Some(version) = inputs.get("DocumentVersion") {
        request.insert(
            "DocumentVersion".to_owned(),
            Value::String(selector::text(version)),
        );
    }
    let parameters = match inputs.get("RuntimeParameters") {
        Some(Value::Object(map)) => string_lists(map),
        _ => Map::new(),
    };
    if !parameters.is_empty() {
        request.insert("Parameters".to_owned(), Value::Object(parameters));
    }
    crate::pass::start_child(inner, execution, request, None)
}

/// `aws:changeInstanceState`: asks EC2 for the state (unless
/// `CheckStateOnly`), then waits until every instance is in it.
fn change_instance_state(
    inner: &Inner,
    execution: &Execution,
    inputs: &Value,
    wait: Option<Wait>,
    now: i64,
) -> Outcome {
    let ids: Vec<String> = match inputs.get("InstanceIds") {
        Some(Value::Array(items)) => items.iter().map(selector::text).collect(),
        Some(one @ Value::String(_)) => vec![selector::text(one)],
        _ => return failed("The step's inputs need InstanceIds.".to_owned()),
    };
    let Some(desired) = inputs.get("DesiredState").and_then(Value::as_str) else {
        return failed("The step's inputs need DesiredState.".to_owned());
    };
    let asked = matches!(wait, Some(Wait::Poll(_)));
    let check_only = inputs
        .get("CheckStateOnly")
        .is_some_and(|v| selector::text(v).eq_ignore_ascii_case("true"));
    if !asked && !check_only {
        // EC2's own (query) member names: the invoker decodes EC2 input
        // with them.
        let api = match desired {
            "running" => "StartInstances",
            "stopped" => "StopInstances",
            "terminated" => "TerminateInstances",
            other => {
                return failed(format!(
                    "DesiredState {other} is not one of running, stopped or terminated."
                ));
            }
        };
        let mut input = json!({ "InstanceIds": ids });
        if api == "StopInstances"
            && inputs
                .get("Force")
                .is_some_and(|v| selector::text(v).eq_ignore_ascii_case("true"))
        {
            input["Force"] = Value::Bool(true);
        }
        if let Err(error) = call(inner, execution, "ec2", api, input) {
            return failed(error.to_string());
        }
    }
    if let Some(Wait::Poll(at)) = wait
        && now < at
    {
        return Outcome::Running(Some(Wait::Poll(at)));
    }
    let described = call(
        inner,
        execution,
        "ec2",
        "DescribeInstances",
        json!({ "InstanceIds": ids }),
    );
    let states = match described {
        Ok(response) => selector::select("$.Reservations[*].Instances[*].State.Name", &response),
        Err(error) => return failed(error.to_string()),
    };
    match states {
        Ok(states)
            if states.len() == ids.len() && selector::satisfies(&states, &[desired.to_owned()]) =>
        {
            Outcome::Success {
                outputs: BTreeMap::new(),
                next: None,
            }
        }
        Ok(_) => Outcome::Running(Some(Wait::Poll(next_look(inner, now)))),
        Err(error) => failed(error.to_string()),
    }
}
