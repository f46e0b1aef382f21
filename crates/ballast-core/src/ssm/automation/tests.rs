use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::machine::{self, Outcome};
use super::placeholder::{self, Context};
use super::plan::{self, Start};
use super::{Execution, Identity, OnFailure, Status, selector};
use crate::TimeScale;
use crate::ssm::document::{CreateRequest, DocumentVersion};

/// Seed 000's graceful maintenance runbook, as its `templatefile` writes it.
const GRACEFUL: &str = r#"schemaVersion: "0.3"
description: Gracefully reboot instance with healthchecks
parameters:
  InstanceId:
    type: String
    description: The instance to target
  TargetGroupArn:
    type: String
    description: The target group ARN for Appian
mainSteps:
  - name: AssertTargetGroupHealthBefore
    action: aws:assertAwsResourceProperty
    inputs:
      Service: elbv2
      Api: DescribeTargetHealth
      PropertySelector: $.TargetHealthDescriptions..TargetHealth.State
      DesiredValues:
        - healthy
      TargetGroupArn: "{{ TargetGroupArn }}"
    maxAttempts: 3
    timeoutSeconds: 60
  - name: DeregisterInstanceFromTargetGroup
    action: aws:executeAwsApi
    inputs:
      Service: elbv2
      Api: DeregisterTargets
      TargetGroupArn: "{{ TargetGroupArn }}"
      Targets:
        - Id: "{{ InstanceId }}"
  - name: RebootWithHealthcheck
    action: aws:executeAutomation
    inputs:
      DocumentName: RebootWithHealthcheck
      RuntimeParameters:
        InstanceIds:
          - "{{ InstanceId }}"
    maxAttempts: 1
    onFailure: step:RegisterTarget
  - name: RegisterTarget
    action: aws:executeAwsApi
    inputs:
      Service: elbv2
      Api: RegisterTargets
      TargetGroupArn: "{{ TargetGroupArn }}"
      Targets:
        - Id: "{{ InstanceId }}"
    isEnd: true
"#;

fn version(content: &str) -> DocumentVersion {
    let request = CreateRequest {
        name: "Doc".to_owned(),
        content: content.to_owned(),
        format: Some("YAML".to_owned()),
        document_type: Some("Automation".to_owned()),
        version_name: None,
        display_name: None,
        target_type: None,
        requires: Vec::new(),
    };
    match request.apply("123456789012", 0) {
        Ok((_, version)) => version,
        Err(error) => panic!("document rejected: {error}"),
    }
}

fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), vec![(*v).to_owned()]))
        .collect()
}

fn start(content: &str, supplied: &[(&str, &str)]) -> Execution {
    let plan = plan::plan(&version(content), &params(supplied), |_| None).unwrap();
    plan::execution(
        plan,
        Start {
            id: "e-1".to_owned(),
            document_name: "Doc".to_owned(),
            document_version: "1".to_owned(),
            executed_by: "arn:aws:iam::123456789012:root".to_owned(),
            identity: Identity::Root,
            parent_id: None,
            now_millis: 0,
        },
    )
}

fn success() -> Outcome {
    Outcome::Success {
        outputs: BTreeMap::new(),
        next: None,
    }
}

fn failed(message: &str) -> Outcome {
    Outcome::Failed {
        message: message.to_owned(),
        outputs: BTreeMap::new(),
    }
}

fn run_current(execution: &mut Execution, outcome: Outcome, now: i64) {
    let index = execution.current.unwrap();
    let inputs = execution.steps[index].def.inputs.clone();
    machine::start_attempt(
        execution,
        index,
        inputs,
        format!("s-{index}"),
        now,
        TimeScale::REAL,
    );
    machine::finish_attempt(execution, outcome, false, now);
}

#[test]
fn the_seed_runbook_resolves_its_parameters_and_step_options() {
    let execution = start(
        GRACEFUL,
        &[("InstanceId", "i-1"), ("TargetGroupArn", "arn:tg")],
    );
    assert_eq!(execution.status, Status::Pending);
    assert_eq!(execution.current, Some(0));
    let first = &execution.steps[0].def;
    assert_eq!(first.max_attempts, 3);
    assert_eq!(first.timeout_seconds, Some(60));
    assert_eq!(first.inputs["TargetGroupArn"], "arn:tg");
    let reboot = &execution.steps[2].def;
    assert_eq!(
        reboot.on_failure,
        OnFailure::Step("RegisterTarget".to_owned())
    );
    assert_eq!(
        reboot.inputs["RuntimeParameters"]["InstanceIds"],
        json!(["i-1"])
    );
    assert!(execution.steps[3].def.is_end);
}

#[test]
fn a_missing_parameter_is_refused() {
    let result = plan::plan(
        &version(GRACEFUL),
        &params(&[("InstanceId", "i-1")]),
        |_| None,
    );
    assert!(matches!(result, Err(plan::Error::Parameters(_))));
}

#[test]
fn steps_run_in_order_and_the_execution_succeeds() {
    let mut execution = start(
        GRACEFUL,
        &[("InstanceId", "i-1"), ("TargetGroupArn", "arn:tg")],
    );
    for now in 1..=4 {
        run_current(&mut execution, success(), now);
    }
    assert_eq!(execution.status, Status::Success);
    assert_eq!(execution.ended_millis, Some(4));
    assert!(
        execution
            .steps
            .iter()
            .all(|s| s.status == Some(Status::Success))
    );
}

#[test]
fn a_failed_attempt_is_retried_up_to_max_attempts_then_aborts() {
    let mut execution = start(
        GRACEFUL,
        &[("InstanceId", "i-1"), ("TargetGroupArn", "arn:tg")],
    );
    run_current(&mut execution, failed("not healthy"), 1);
    assert_eq!(execution.steps[0].status, Some(Status::Pending));
    run_current(&mut execution, failed("not healthy"), 2);
    run_current(&mut execution, failed("not healthy"), 3);
    assert_eq!(execution.steps[0].attempt, 3);
    assert_eq!(execution.steps[0].status, Some(Status::Failed));
    assert_eq!(execution.status, Status::Failed);
    let message = execution.failure_message.unwrap();
    assert!(
        message.contains("AssertTargetGroupHealthBefore"),
        "{message}"
    );
    assert!(message.contains("not healthy"), "{message}");
}

#[test]
fn on_failure_step_goes_on_but_a_critical_failure_fails_the_execution() {
    let mut execution = start(
        GRACEFUL,
        &[("InstanceId", "i-1"), ("TargetGroupArn", "arn:tg")],
    );
    run_current(&mut execution, success(), 1);
    run_current(&mut execution, success(), 2);
    run_current(&mut execution, failed("child failed"), 3);
    assert_eq!(execution.current, Some(3), "goes to RegisterTarget");
    run_current(&mut execution, success(), 4);
    assert_eq!(execution.status, Status::Failed);
    assert!(
        execution
            .failure_message
            .unwrap()
            .contains("RebootWithHealthcheck")
    );
}

#[test]
fn a_deadline_times_the_attempt_out_on_the_scaled_clock() {
    let mut execution = start(
        GRACEFUL,
        &[("InstanceId", "i-1"), ("TargetGroupArn", "arn:tg")],
    );
    let inputs = execution.steps[0].def.inputs.clone();
    let scale = TimeScale::new(0.01).unwrap();
    machine::start_attempt(&mut execution, 0, inputs, "s".to_owned(), 1000, scale);
    // 60 s at 0.01 is 600 ms.
    assert_eq!(execution.steps[0].deadline_millis, Some(1600));
    assert!(!machine::timed_out(&execution, 1599));
    assert!(machine::timed_out(&execution, 1600));
}

#[test]
fn cancel_marks_the_running_step_and_the_execution() {
    let mut execution = start(
        GRACEFUL,
        &[("InstanceId", "i-1"), ("TargetGroupArn", "arn:tg")],
    );
    run_current(&mut execution, success(), 1);
    let inputs = execution.steps[1].def.inputs.clone();
    machine::start_attempt(
        &mut execution,
        1,
        inputs,
        "s".to_owned(),
        2,
        TimeScale::REAL,
    );
    machine::finish_attempt(
        &mut execution,
        Outcome::Running(Some(super::Wait::Command("c-1".to_owned()))),
        false,
        2,
    );
    let waiting = machine::cancel(&mut execution, 3);
    assert_eq!(waiting, Some(super::Wait::Command("c-1".to_owned())));
    assert_eq!(execution.status, Status::Cancelled);
    assert_eq!(execution.steps[1].status, Some(Status::Cancelled));
}

#[test]
fn on_cancel_runs_its_step_and_the_execution_still_ends_cancelled() {
    let mut execution = start(
        GRACEFUL,
        &[("InstanceId", "i-1"), ("TargetGroupArn", "arn:tg")],
    );
    // The reboot, if cancelled, puts the target back first.
    execution.steps[2].def.on_cancel = OnFailure::Step("RegisterTarget".to_owned());
    run_current(&mut execution, success(), 1);
    run_current(&mut execution, success(), 2);
    run_current(&mut execution, Outcome::Running(None), 3);
    assert!(execution.request_cancel());
    assert!(machine::cancel_pending(&execution));
    machine::cancel(&mut execution, 4);
    assert_eq!(execution.status, Status::Cancelling);
    assert_eq!(execution.steps[2].status, Some(Status::Cancelled));
    assert_eq!(execution.current, Some(3));
    assert!(!machine::cancel_pending(&execution), "acted on once");
    run_current(&mut execution, success(), 5);
    assert_eq!(execution.status, Status::Cancelled);
    assert_eq!(execution.steps[3].status, Some(Status::Success));
}

#[test]
fn placeholders_take_outputs_ids_and_globals() {
    let mut execution = start(
        GRACEFUL,
        &[("InstanceId", "i-1"), ("TargetGroupArn", "arn:tg")],
    );
    execution.steps[0]
        .outputs
        .insert("Ids".to_owned(), json!(["i-1", "i-2"]));
    execution.steps[0]
        .outputs
        .insert("Name".to_owned(), json!("web"));
    let ctx = Context {
        execution: &execution,
        account: "123456789012",
        region: "us-east-1",
        now_millis: 1_714_564_800_000,
    };
    let inputs = json!({
        "InstanceIds": "{{ AssertTargetGroupHealthBefore.Ids }}",
        "Listed": ["i-0", "{{AssertTargetGroupHealthBefore.Ids}}"],
        "Text": "{{ AssertTargetGroupHealthBefore.Name }}-{{ automation:EXECUTION_ID }}",
        "Where": "{{ global:ACCOUNT_ID }}/{{ global:REGION }}/{{ global:DATE_TIME }}",
        "Unknown": "{{ Nope.Nothing }}",
    });
    let out = placeholder::substitute(&inputs, &ctx);
    assert_eq!(out["InstanceIds"], json!(["i-1", "i-2"]));
    assert_eq!(out["Listed"], json!(["i-0", "i-1", "i-2"]));
    assert_eq!(out["Text"], "web-e-1");
    assert_eq!(out["Where"], "123456789012/us-east-1/2024-05-01_12.00.00");
    assert_eq!(out["Unknown"], "{{ Nope.Nothing }}");
}

fn health(states: &[&str]) -> Value {
    json!({
        "TargetHealthDescriptions": states.iter().enumerate().map(|(i, s)| json!({
            "Target": {"Id": format!("i-{i}"), "Port": 8080},
            "HealthCheckPort": "8080",
            "TargetHealth": {"State": s},
        })).collect::<Vec<_>>()
    })
}

#[test]
fn recursive_descent_selects_every_state() {
    let selected = selector::select(
        "$.TargetHealthDescriptions..TargetHealth.State",
        &health(&["healthy", "healthy"]),
    )
    .unwrap();
    assert_eq!(selected, vec![json!("healthy"), json!("healthy")]);
    assert!(selector::satisfies(&selected, &["healthy".to_owned()]));
    let mixed = selector::select(
        "$.TargetHealthDescriptions..TargetHealth.State",
        &health(&["healthy", "draining"]),
    )
    .unwrap();
    assert!(!selector::satisfies(&mixed, &["healthy".to_owned()]));
    assert_eq!(selector::shown(&mixed), r#"["healthy", "draining"]"#);
}

#[test]
fn an_index_selects_one_and_nothing_selected_is_not_desired() {
    let one = selector::select(
        "$.TargetHealthDescriptions[0].TargetHealth.State",
        &health(&["unused"]),
    )
    .unwrap();
    assert_eq!(one, vec![json!("unused")]);
    let none = selector::select(
        "$.TargetHealthDescriptions[0].TargetHealth.State",
        &health(&[]),
    )
    .unwrap();
    assert!(!selector::satisfies(&none, &["unused".to_owned()]));
    assert!(selector::select("$.[", &health(&[])).is_err());
}

#[test]
fn outputs_take_their_type() {
    let doc = health(&["healthy", "unused"]);
    let ids = selector::select("$.TargetHealthDescriptions..Target.Id", &doc).unwrap();
    assert_eq!(
        selector::output("Ids", "StringList", ids.clone()).unwrap(),
        Some(json!(["i-0", "i-1"]))
    );
    assert_eq!(
        selector::output("Id", "String", ids).unwrap(),
        Some(json!("i-0"))
    );
    let port = selector::select("$.TargetHealthDescriptions[0].HealthCheckPort", &doc).unwrap();
    assert_eq!(
        selector::output("Port", "Integer", port).unwrap(),
        Some(json!(8080))
    );
    assert!(selector::output("X", "Float", vec![]).is_err());
}

#[test]
fn branch_takes_the_first_choice_that_holds_else_the_default() {
    let inputs = json!({
        "Choices": [
            {"NextStep": "Linux", "Variable": "Linux", "StringEquals": "Windows"},
            {"NextStep": "Big", "And": [
                {"Variable": "12", "NumericGreater": 10},
                {"Not": {"Variable": "abc", "StartsWith": "x"}}
            ]},
        ],
        "Default": "Other",
    });
    assert_eq!(machine::branch(&inputs), Ok("Big".to_owned()));
    let none = json!({"Choices": [{"NextStep": "A", "Variable": "1", "NumericLesser": 0}]});
    assert!(machine::branch(&none).is_err());
}

#[test]
fn sleep_reads_iso_durations() {
    assert_eq!(
        machine::sleep_millis(&json!({"Duration": "PT10S"}), 0),
        Ok(10_000)
    );
    assert_eq!(
        machine::sleep_millis(&json!({"Duration": "PT1M30S"}), 0),
        Ok(90_000)
    );
    assert_eq!(
        machine::sleep_millis(&json!({"Duration": "P1D"}), 0),
        Ok(86_400_000)
    );
    assert_eq!(
        machine::sleep_millis(&json!({"Timestamp": "1970-01-01T00:00:05Z"}), 1000),
        Ok(4000)
    );
    assert!(machine::sleep_millis(&json!({"Duration": "10 seconds"}), 0).is_err());
}

#[test]
fn execution_outputs_are_reported_by_reference() {
    let content = GRACEFUL.replace(
        "mainSteps:",
        "outputs:\n  - RegisterTarget.Done\n  - AssertTargetGroupHealthBefore.Missing\nmainSteps:",
    );
    let mut execution = start(
        &content,
        &[("InstanceId", "i-1"), ("TargetGroupArn", "arn:tg")],
    );
    execution.steps[3]
        .outputs
        .insert("Done".to_owned(), json!("yes"));
    let outputs = execution.outputs();
    assert_eq!(outputs["RegisterTarget.Done"], vec!["yes".to_owned()]);
    assert!(outputs["AssertTargetGroupHealthBefore.Missing"][0].starts_with("No output"));
}
