//! SSM Automation through aws-sdk-rust: runbooks that really call the
//! APIs they name (a target really leaves its group and comes back
//! healthy), wait, branch, fail, time out, are cancelled, act as their
//! `assumeRole`, run commands on instances through child executions, and
//! survive a `kill -9` of Ballast.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_ssm::types::{
    AutomationExecution, AutomationExecutionFilter, AutomationExecutionFilterKey,
    AutomationExecutionStatus, DocumentFormat, DocumentType, StepExecution,
};
use ballast_sdk_tests::backend::Backend;
use ballast_sdk_tests::{Ballast, error_code, eventually, unique};

use crate::alb_traffic::alb;
use crate::run_command::{home_file, launch, profile, wait_managed};

const WAIT: Duration = Duration::from_secs(40);

fn start() -> Ballast {
    Ballast::start_with(&["--time-scale", "0.02"])
}

/// Registers an Automation runbook (YAML) under a fresh name.
async fn runbook(ballast: &Ballast, prefix: &str, content: &str) -> String {
    let name = unique(prefix);
    ballast
        .ssm()
        .create_document()
        .name(&name)
        .document_type(DocumentType::Automation)
        .document_format(DocumentFormat::Yaml)
        .content(content)
        .send()
        .await
        .expect("CreateDocument");
    name
}

fn parameters(pairs: &[(&str, &str)]) -> HashMap<String, Vec<String>> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), vec![(*v).to_owned()]))
        .collect()
}

async fn run(ballast: &Ballast, document: &str, pairs: &[(&str, &str)]) -> String {
    ballast
        .ssm()
        .start_automation_execution()
        .document_name(document)
        // AWS refuses an empty map: no parameters is no member.
        .set_parameters((!pairs.is_empty()).then(|| parameters(pairs)))
        .send()
        .await
        .expect("StartAutomationExecution")
        .automation_execution_id()
        .expect("execution id")
        .to_owned()
}

async fn get(ballast: &Ballast, id: &str) -> AutomationExecution {
    ballast
        .ssm()
        .get_automation_execution()
        .automation_execution_id(id)
        .send()
        .await
        .expect("GetAutomationExecution")
        .automation_execution()
        .expect("execution")
        .clone()
}

/// Waits until the execution has ended and returns it.
async fn finished(ballast: &Ballast, id: &str) -> AutomationExecution {
    eventually("the execution to end", WAIT, || async {
        let execution = get(ballast, id).await;
        let status = execution.automation_execution_status()?.clone();
        let open = matches!(
            status,
            AutomationExecutionStatus::Pending
                | AutomationExecutionStatus::Inprogress
                | AutomationExecutionStatus::Waiting
                | AutomationExecutionStatus::Cancelling
        );
        (!open).then_some(execution)
    })
    .await
}

/// Waits until the execution is in step `name`.
async fn in_step(ballast: &Ballast, id: &str, name: &str) {
    eventually("the execution to reach its step", WAIT, || async {
        let execution = get(ballast, id).await;
        (execution.current_step_name() == Some(name)).then_some(())
    })
    .await
}

fn step<'a>(execution: &'a AutomationExecution, name: &str) -> &'a StepExecution {
    execution
        .step_executions()
        .iter()
        .find(|s| s.step_name() == Some(name))
        .unwrap_or_else(|| panic!("no step {name} in {execution:?}"))
}

fn step_status(execution: &AutomationExecution, name: &str) -> String {
    step(execution, name)
        .step_status()
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default()
}

/// Takes one target out of its group, waits for it to drain, pauses,
/// reads the group, branches on its port, and puts the target back.
const OUT_AND_BACK: &str = r#"
schemaVersion: '0.3'
description: One target out of its group and back in.
parameters:
  Group:
    type: String
  Address:
    type: String
  Port:
    type: Integer
outputs:
  - Describe.Name
  - Describe.Port
mainSteps:
  - name: AllHealthy
    action: aws:assertAwsResourceProperty
    inputs:
      Service: elbv2
      Api: DescribeTargetHealth
      TargetGroupArn: '{{ Group }}'
      PropertySelector: $.TargetHealthDescriptions..TargetHealth.State
      DesiredValues:
        - healthy
  - name: Out
    action: aws:executeAwsApi
    inputs:
      Service: elbv2
      Api: DeregisterTargets
      TargetGroupArn: '{{ Group }}'
      Targets:
        - Id: '{{ Address }}'
          Port: '{{ Port }}'
  - name: Drained
    action: aws:waitForAwsResourceProperty
    timeoutSeconds: 900
    inputs:
      Service: elbv2
      Api: DescribeTargetHealth
      TargetGroupArn: '{{ Group }}'
      Targets:
        - Id: '{{ Address }}'
          Port: '{{ Port }}'
      PropertySelector: $.TargetHealthDescriptions[0].TargetHealth.State
      DesiredValues:
        - unused
  - name: Pause
    action: aws:sleep
    inputs:
      Duration: PT10S
  - name: Describe
    action: aws:executeAwsApi
    inputs:
      Service: elbv2
      Api: describe_target_groups
      TargetGroupArns:
        - '{{ Group }}'
    outputs:
      - Name: Name
        Selector: $.TargetGroups[0].TargetGroupName
        Type: String
      - Name: Port
        Selector: $.TargetGroups[0].Port
        Type: Integer
  - name: Which
    action: aws:branch
    inputs:
      Choices:
        - NextStep: Back
          Variable: '{{ Describe.Port }}'
          NumericEquals: 80
      Default: Never
  - name: Never
    action: aws:executeAwsApi
    isEnd: true
    inputs:
      Service: elbv2
      Api: DeleteTargetGroup
      TargetGroupArn: '{{ Group }}'
  - name: Back
    action: aws:executeAwsApi
    inputs:
      Service: elbv2
      Api: RegisterTargets
      TargetGroupArn: '{{ Group }}'
      Targets:
        - Id: '{{ Address }}'
          Port: '{{ Port }}'
  - name: HealthyAgain
    action: aws:waitForAwsResourceProperty
    inputs:
      Service: elbv2
      Api: DescribeTargetHealth
      TargetGroupArn: '{{ Group }}'
      PropertySelector: $.TargetHealthDescriptions..TargetHealth.State
      DesiredValues:
        - healthy
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runbook_takes_a_target_out_and_brings_it_back_healthy() {
    let ballast = start();
    let group = alb(&ballast, "30", true).await;
    let one = Backend::start("one").await;
    let two = Backend::start("two").await;
    group.register(&one).await;
    group.register(&two).await;
    group.in_service(&one).await;
    group.in_service(&two).await;

    let document = runbook(&ballast, "out-and-back", OUT_AND_BACK).await;
    let id = run(
        &ballast,
        &document,
        &[
            ("Group", &group.tg_arn),
            ("Address", &one.addr.ip().to_string()),
            ("Port", &one.addr.port().to_string()),
        ],
    )
    .await;
    // While it drains, the group really stops sending to the target.
    in_step(&ballast, &id, "Drained").await;
    let (state, _, _) = group.health(&one).await;
    assert!(
        state == "draining" || state == "unused",
        "the target is {state} after DeregisterTargets"
    );

    let execution = finished(&ballast, &id).await;
    assert_eq!(
        execution.automation_execution_status(),
        Some(&AutomationExecutionStatus::Success),
        "{execution:?}"
    );
    for name in [
        "AllHealthy",
        "Out",
        "Drained",
        "Pause",
        "Describe",
        "Which",
        "Back",
        "HealthyAgain",
    ] {
        assert_eq!(step_status(&execution, name), "Success", "step {name}");
    }
    // The branch skipped the step that would have deleted the group.
    assert!(
        execution
            .step_executions()
            .iter()
            .all(|s| s.step_name() != Some("Never")),
        "{execution:?}"
    );
    let outputs = execution.outputs().expect("outputs");
    let group_name = group.tg_arn.split('/').nth(1).expect("name in the ARN");
    assert_eq!(outputs["Describe.Name"], vec![group_name.to_owned()]);
    assert_eq!(outputs["Describe.Port"], vec!["80".to_owned()]);
    assert_eq!(
        execution.parameters().expect("parameters")["Port"],
        vec![one.addr.port().to_string()]
    );
    // Pause slept 10 s of AWS time, 0.2 s here.
    let pause = step(&execution, "Pause");
    let slept = pause.execution_end_time().unwrap().as_secs_f64()
        - pause.execution_start_time().unwrap().as_secs_f64();
    assert!(slept >= 0.15, "Pause took {slept} s");
    assert_eq!(group.health(&one).await.0, "healthy");

    // The execution is listed, filtered, and its steps described.
    let ssm = ballast.ssm();
    let listed = ssm
        .describe_automation_executions()
        .filters(
            AutomationExecutionFilter::builder()
                .key(AutomationExecutionFilterKey::DocumentNamePrefix)
                .values(&document)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let metadata = listed.automation_execution_metadata_list();
    assert_eq!(metadata.len(), 1);
    assert_eq!(metadata[0].automation_execution_id(), Some(id.as_str()));
    assert_eq!(
        metadata[0].executed_by(),
        Some("arn:aws:iam::000000000000:root")
    );
    let steps = ssm
        .describe_automation_step_executions()
        .automation_execution_id(&id)
        .filters(
            aws_sdk_ssm::types::StepExecutionFilter::builder()
                .key(aws_sdk_ssm::types::StepExecutionFilterKey::Action)
                .values("aws:waitForAwsResourceProperty")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = steps
        .step_executions()
        .iter()
        .filter_map(|s| s.step_name())
        .collect();
    assert_eq!(names, ["Drained", "HealthyAgain"]);
}

/// A step that fails and lets the runbook go on, a retried step that
/// times out, and a sleep that is cancelled.
const FAILING: &str = r#"
schemaVersion: '0.3'
mainSteps:
  - name: Missing
    action: aws:executeAwsApi
    onFailure: Continue
    inputs:
      Service: elbv2
      Api: DescribeTargetGroups
      Names:
        - no-such-group
  - name: Own
    action: aws:assertAwsResourceProperty
    inputs:
      Service: ssm
      Api: DescribeDocument
      Name: '{{ automation:DOCUMENT_NAME }}'
      PropertySelector: $.Document.Status
      DesiredValues:
        - Active
"#;

const TIMING_OUT: &str = r#"
schemaVersion: '0.3'
mainSteps:
  - name: Never
    action: aws:waitForAwsResourceProperty
    timeoutSeconds: 60
    maxAttempts: 2
    inputs:
      Service: ssm
      Api: DescribeDocument
      Name: '{{ automation:DOCUMENT_NAME }}'
      PropertySelector: $.Document.Status
      DesiredValues:
        - Deleting
"#;

const SLEEPING: &str = r#"
schemaVersion: '0.3'
mainSteps:
  - name: Long
    action: aws:sleep
    inputs:
      Duration: PT2H
  - name: After
    action: aws:sleep
    inputs:
      Duration: PT1S
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_timeouts_and_cancellation_end_as_aws_reports_them() {
    let ballast = start();
    let ssm = ballast.ssm();

    let failing = runbook(&ballast, "failing", FAILING).await;
    let id = run(&ballast, &failing, &[]).await;
    let execution = finished(&ballast, &id).await;
    // A critical step failed: the runbook went on, then failed.
    assert_eq!(step_status(&execution, "Missing"), "Failed");
    assert_eq!(step_status(&execution, "Own"), "Success");
    assert_eq!(
        execution.automation_execution_status(),
        Some(&AutomationExecutionStatus::Failed)
    );
    let message = step(&execution, "Missing").failure_message().unwrap_or("");
    assert!(message.contains("TargetGroupNotFound"), "{message}");
    assert!(
        execution
            .failure_message()
            .is_some_and(|m| m.contains("Missing")),
        "{execution:?}"
    );

    let timing_out = runbook(&ballast, "timing-out", TIMING_OUT).await;
    let id = run(&ballast, &timing_out, &[]).await;
    let execution = finished(&ballast, &id).await;
    assert_eq!(
        execution.automation_execution_status(),
        Some(&AutomationExecutionStatus::Timedout),
        "{execution:?}"
    );
    let never = step(&execution, "Never");
    assert_eq!(never.timeout_seconds(), Some(60), "AWS's value, unscaled");
    assert_eq!(never.max_attempts(), Some(2));
    // Two attempts of 60 s at 0.02: at least 2.4 s.
    let took = never.execution_end_time().unwrap().as_secs_f64()
        - never.execution_start_time().unwrap().as_secs_f64();
    assert!(took >= 2.3, "two attempts took {took} s");

    let sleeping = runbook(&ballast, "sleeping", SLEEPING).await;
    let id = run(&ballast, &sleeping, &[]).await;
    in_step(&ballast, &id, "Long").await;
    ssm.stop_automation_execution()
        .automation_execution_id(&id)
        .send()
        .await
        .expect("StopAutomationExecution");
    let execution = finished(&ballast, &id).await;
    assert_eq!(
        execution.automation_execution_status(),
        Some(&AutomationExecutionStatus::Cancelled)
    );
    assert_eq!(step_status(&execution, "Long"), "Cancelled");
    let again = ssm
        .stop_automation_execution()
        .automation_execution_id(&id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&again), "InvalidAutomationStatusUpdateException");

    // Refusals, each with AWS's code; nothing is started.
    let before = ssm
        .describe_automation_executions()
        .send()
        .await
        .unwrap()
        .automation_execution_metadata_list()
        .len();
    let missing = ssm
        .start_automation_execution()
        .document_name("NoSuchRunbook")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_code(&missing),
        "AutomationDefinitionNotFoundException"
    );
    let version = ssm
        .start_automation_execution()
        .document_name(&failing)
        .document_version("7")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_code(&version),
        "AutomationDefinitionVersionNotFoundException"
    );
    let undeclared = ssm
        .start_automation_execution()
        .document_name(&failing)
        .parameters("Nope", vec!["x".to_owned()])
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_code(&undeclared),
        "InvalidAutomationExecutionParametersException"
    );
    let unknown = ssm
        .get_automation_execution()
        .automation_execution_id("00000000-0000-0000-0000-000000000000")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&unknown), "AutomationExecutionNotFoundException");
    let after = ssm
        .describe_automation_executions()
        .send()
        .await
        .unwrap()
        .automation_execution_metadata_list()
        .len();
    assert_eq!(before, after);
}

/// A runbook acting as a role that may only read.
const AS_ROLE: &str = r#"
schemaVersion: '0.3'
assumeRole: '{{ AutomationAssumeRole }}'
parameters:
  AutomationAssumeRole:
    type: String
  Group:
    type: String
mainSteps:
  - name: Read
    action: aws:executeAwsApi
    inputs:
      Service: elbv2
      Api: DescribeTargetGroups
      TargetGroupArns:
        - '{{ Group }}'
  - name: Delete
    action: aws:executeAwsApi
    inputs:
      Service: elbv2
      Api: DeleteTargetGroup
      TargetGroupArn: '{{ Group }}'
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_is_authorized_as_the_assumed_role() {
    let ballast = start();
    let iam = ballast.iam();
    let role = unique("reader");
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let role_arn = iam
        .create_role()
        .role_name(&role)
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap()
        .role()
        .unwrap()
        .arn()
        .to_owned();
    iam.put_role_policy()
        .role_name(&role)
        .policy_name("read")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"elasticloadbalancing:Describe*","Resource":"*"}]}"#,
        )
        .send()
        .await
        .unwrap();
    let group = alb(&ballast, "0", false).await;
    let document = runbook(&ballast, "as-role", AS_ROLE).await;
    let id = run(
        &ballast,
        &document,
        &[
            ("AutomationAssumeRole", &role_arn),
            ("Group", &group.tg_arn),
        ],
    )
    .await;
    let execution = finished(&ballast, &id).await;
    assert_eq!(step_status(&execution, "Read"), "Success");
    assert_eq!(step_status(&execution, "Delete"), "Failed");
    let message = step(&execution, "Delete").failure_message().unwrap_or("");
    assert!(message.contains("AccessDenied"), "{message}");
    // The group is still there.
    group
        .elb
        .describe_target_groups()
        .target_group_arns(&group.tg_arn)
        .send()
        .await
        .expect("the role could not delete the group");
}

const CHILD: &str = r#"
schemaVersion: '0.3'
parameters:
  InstanceId:
    type: String
  Word:
    type: String
outputs:
  - Write.CommandId
mainSteps:
  - name: Write
    action: aws:runCommand
    inputs:
      DocumentName: AWS-RunShellScript
      InstanceIds:
        - '{{ InstanceId }}'
      Parameters:
        commands:
          - 'echo {{ Word }} > $HOME/from-automation'
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_execution_runs_a_command_on_an_instance() {
    let ballast = start();
    profile(&ballast, "automation-managed", true).await;
    let ids = launch(&ballast, 1, "automation-managed", "web").await;
    wait_managed(&ballast, &ids).await;
    let child = runbook(&ballast, "child", CHILD).await;
    let parent_content = format!(
        r#"
schemaVersion: '0.3'
parameters:
  InstanceId:
    type: String
mainSteps:
  - name: Child
    action: aws:executeAutomation
    inputs:
      DocumentName: {child}
      RuntimeParameters:
        InstanceId: '{{{{ InstanceId }}}}'
        Word: '{{{{ automation:EXECUTION_ID }}}}'
"#
    );
    let parent = runbook(&ballast, "parent", &parent_content).await;
    let id = run(&ballast, &parent, &[("InstanceId", &ids[0])]).await;
    let execution = finished(&ballast, &id).await;
    assert_eq!(
        execution.automation_execution_status(),
        Some(&AutomationExecutionStatus::Success),
        "{execution:?}"
    );
    // The command really ran in the instance, with the parent's id.
    let written = std::fs::read_to_string(home_file(&ballast, &ids[0], "from-automation"))
        .expect("the file the command wrote");
    assert_eq!(written.trim(), id);
    // The child is its own execution, with its parent and its command.
    let children = ballast
        .ssm()
        .describe_automation_executions()
        .filters(
            AutomationExecutionFilter::builder()
                .key(AutomationExecutionFilterKey::ParentExecutionId)
                .values(&id)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let children = children.automation_execution_metadata_list();
    assert_eq!(children.len(), 1);
    let child_id = children[0].automation_execution_id().unwrap();
    assert_eq!(
        step(&execution, "Child").outputs().unwrap()["ExecutionId"],
        vec![child_id.to_owned()]
    );
    let child_execution = get(&ballast, child_id).await;
    let command_id = child_execution.outputs().unwrap()["Write.CommandId"][0].clone();
    let listed = ballast
        .ssm()
        .list_commands()
        .command_id(&command_id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.commands()[0].document_name(),
        Some("AWS-RunShellScript")
    );

    // Amazon's runbook stops the instance and starts it again, through
    // EC2 as the caller; the instance boots a second time.
    let restart = run(
        &ballast,
        "AWS-RestartEC2Instance",
        &[("InstanceId", &ids[0])],
    )
    .await;
    let restarted = finished(&ballast, &restart).await;
    assert_eq!(
        restarted.automation_execution_status(),
        Some(&AutomationExecutionStatus::Success),
        "{restarted:?}"
    );
    assert_eq!(step_status(&restarted, "stopInstances"), "Success");
    assert_eq!(step_status(&restarted, "startInstances"), "Success");
    let described = ballast
        .ec2()
        .describe_instances()
        .instance_ids(&ids[0])
        .send()
        .await
        .unwrap();
    let state = described.reservations()[0].instances()[0]
        .state()
        .and_then(|s| s.name())
        .map(|n| n.as_str().to_owned());
    assert_eq!(state.as_deref(), Some("running"));

    // EC2 through aws:executeAwsApi in the model's member names, as boto3
    // and AWS's own runbooks write them.
    let reader = runbook(&ballast, "ec2-reader", EC2_READER).await;
    let read = run(&ballast, &reader, &[("InstanceId", &ids[0])]).await;
    let read = finished(&ballast, &read).await;
    assert_eq!(
        read.automation_execution_status(),
        Some(&AutomationExecutionStatus::Success),
        "{read:?}"
    );
    let outputs = step(&read, "Describe").outputs().expect("outputs");
    let instance = &described.reservations()[0].instances()[0];
    assert_eq!(
        outputs["Type"],
        vec![instance.instance_type().unwrap().as_str().to_owned()]
    );
    let groups: Vec<String> = instance
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id().map(str::to_owned))
        .collect();
    assert!(!groups.is_empty());
    assert_eq!(outputs["Groups"], groups);
}

/// Reads an instance through EC2 in the model's member names.
const EC2_READER: &str = r#"
schemaVersion: '0.3'
parameters:
  InstanceId:
    type: String
mainSteps:
  - name: Describe
    action: aws:executeAwsApi
    inputs:
      Service: ec2
      Api: DescribeInstances
      InstanceIds:
        - '{{ InstanceId }}'
    outputs:
      - Name: Type
        Selector: $.Reservations[0].Instances[0].InstanceType
        Type: String
      - Name: Groups
        Selector: $.Reservations[0].Instances[0].SecurityGroups..GroupId
        Type: StringList
  - name: Running
    action: aws:assertAwsResourceProperty
    inputs:
      Service: ec2
      Api: DescribeInstances
      Filters:
        - Name: instance-id
          Values:
            - '{{ InstanceId }}'
      PropertySelector: $.Reservations..Instances..State.Name
      DesiredValues:
        - running
"#;

const DURABLE: &str = r#"
schemaVersion: '0.3'
mainSteps:
  - name: First
    action: aws:executeAwsApi
    inputs:
      Service: ssm
      Api: DescribeDocument
      Name: '{{ automation:DOCUMENT_NAME }}'
    outputs:
      - Name: Version
        Selector: $.Document.DocumentVersion
        Type: String
  - name: Wait
    action: aws:sleep
    inputs:
      Duration: PT10M
  - name: Last
    action: aws:executeAwsApi
    inputs:
      Service: ssm
      Api: DescribeDocument
      Name: '{{ automation:DOCUMENT_NAME }}'
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_execution_resumes_from_its_step_after_a_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Ballast::start_in(dir.path(), &["--time-scale", "0.02"]);
    let document = runbook(&first, "durable", DURABLE).await;
    let id = run(&first, &document, &[]).await;
    in_step(&first, &id, "Wait").await;
    let before = get(&first, &id).await;
    let first_step = step(&before, "First").clone();
    first.kill9();

    let second = Ballast::start_in(dir.path(), &["--time-scale", "0.02"]);
    let execution = finished(&second, &id).await;
    assert_eq!(
        execution.automation_execution_status(),
        Some(&AutomationExecutionStatus::Success),
        "{execution:?}"
    );
    // The first step was not run again, and the sleep kept its deadline
    // (ten minutes at 0.02 is 12 s).
    let again = step(&execution, "First");
    assert_eq!(again.step_execution_id(), first_step.step_execution_id());
    assert_eq!(again.execution_end_time(), first_step.execution_end_time());
    assert_eq!(again.outputs().unwrap()["Version"], vec!["1".to_owned()]);
    let wait = step(&execution, "Wait");
    let slept = wait.execution_end_time().unwrap().as_secs_f64()
        - wait.execution_start_time().unwrap().as_secs_f64();
    assert!((11.9..30.0).contains(&slept), "the sleep took {slept} s");
}

const SCRIPTED: &str = r#"
schemaVersion: '0.3'
parameters:
  Base:
    type: Integer
    default: 40
outputs:
  - Add.Sum
mainSteps:
  - name: Add
    action: aws:executeScript
    inputs:
      Runtime: python3.8
      Handler: add
      InputPayload:
        base: '{{ Base }}'
      Script: |-
        def add(events, context):
            print("adding")
            return {"sum": events["base"] + 2, "id": context["automation:EXECUTION_ID"]}
    outputs:
      - Name: Sum
        Selector: $.Payload.sum
        Type: Integer
      - Name: Id
        Selector: $.Payload.id
        Type: String
  - name: Broken
    action: aws:executeScript
    onFailure: Continue
    isCritical: false
    inputs:
      Runtime: python3.8
      Handler: missing
      Script: x = 1
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_script_step_runs_its_handler() {
    let ballast = start();
    let document = runbook(&ballast, "scripted", SCRIPTED).await;
    let id = run(&ballast, &document, &[]).await;
    let execution = finished(&ballast, &id).await;
    assert_eq!(
        execution.automation_execution_status(),
        Some(&AutomationExecutionStatus::Success),
        "a non-critical failure lets it succeed: {execution:?}"
    );
    let add = step(&execution, "Add");
    let outputs = add.outputs().expect("outputs");
    assert_eq!(outputs["Sum"], vec!["42".to_owned()]);
    assert_eq!(outputs["Id"], vec![id.clone()]);
    assert_eq!(
        execution.outputs().unwrap()["Add.Sum"],
        vec!["42".to_owned()]
    );
    assert_eq!(step_status(&execution, "Broken"), "Failed");
    let message = step(&execution, "Broken").failure_message().unwrap_or("");
    assert!(message.contains("missing"), "{message}");
}

const PER_TARGET: &str = r#"
schemaVersion: '0.3'
parameters:
  Item:
    type: String
  Prefix:
    type: String
mainSteps:
  - name: Record
    action: aws:executeAwsApi
    inputs:
      Service: ssm
      Api: PutParameter
      Name: '{{ Prefix }}/{{ Item }}'
      Value: '{{ automation:EXECUTION_ID }}'
      Type: String
"#;

async fn rate_controlled(
    ballast: &Ballast,
    document: &str,
    prefix: &str,
    values: &[&str],
) -> String {
    ballast
        .ssm()
        .start_automation_execution()
        .document_name(document)
        .parameters("Prefix", vec![prefix.to_owned()])
        .target_parameter_name("Item")
        .targets(
            aws_sdk_ssm::types::Target::builder()
                .key("ParameterValues")
                .set_values(Some(values.iter().map(|v| (*v).to_owned()).collect()))
                .build(),
        )
        .max_concurrency("1")
        .max_errors("0")
        .send()
        .await
        .expect("StartAutomationExecution with Targets")
        .automation_execution_id()
        .expect("id")
        .to_owned()
}

async fn children(ballast: &Ballast, parent: &str) -> Vec<AutomationExecution> {
    let listed = ballast
        .ssm()
        .describe_automation_executions()
        .filters(
            AutomationExecutionFilter::builder()
                .key(AutomationExecutionFilterKey::ParentExecutionId)
                .values(parent)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let mut out = Vec::new();
    for metadata in listed.automation_execution_metadata_list() {
        out.push(get(ballast, metadata.automation_execution_id().unwrap()).await);
    }
    out.sort_by_key(|e| e.execution_start_time().map(|t| t.as_nanos()));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_control_runs_a_child_per_target_one_at_a_time() {
    let ballast = start();
    let ssm = ballast.ssm();
    let document = runbook(&ballast, "per-target", PER_TARGET).await;
    let id = rate_controlled(&ballast, &document, "/rate", &["a", "b", "c"]).await;
    let parent = finished(&ballast, &id).await;
    assert_eq!(
        parent.automation_execution_status(),
        Some(&AutomationExecutionStatus::Success),
        "{parent:?}"
    );
    assert_eq!(parent.target_parameter_name(), Some("Item"));
    assert_eq!(parent.max_concurrency(), Some("1"));
    assert_eq!(
        parent
            .resolved_targets()
            .map(|r| r.parameter_values().to_vec()),
        Some(vec!["a".to_owned(), "b".to_owned(), "c".to_owned()])
    );
    let runs = children(&ballast, &id).await;
    assert_eq!(runs.len(), 3);
    for pair in runs.windows(2) {
        assert!(
            pair[0].execution_end_time() <= pair[1].execution_start_time(),
            "one at a time: {pair:?}"
        );
    }
    // Each child really ran with its own target value.
    for (run, item) in runs.iter().zip(["a", "b", "c"]) {
        assert_eq!(run.parameters().unwrap()["Item"], vec![item.to_owned()]);
        assert_eq!(run.target(), Some(item));
        let stored = ssm
            .get_parameter()
            .name(format!("/rate/{item}"))
            .send()
            .await
            .expect("the child's parameter");
        assert_eq!(
            stored.parameter().and_then(|p| p.value()),
            run.automation_execution_id()
        );
    }

    // MaxErrors 0: the first failure (a name PutParameter refuses) stops
    // the rest.
    let failing = rate_controlled(&ballast, &document, "/bad name", &["x", "y", "z"]).await;
    let parent = finished(&ballast, &failing).await;
    assert_eq!(
        parent.automation_execution_status(),
        Some(&AutomationExecutionStatus::Failed),
        "{parent:?}"
    );
    assert_eq!(children(&ballast, &failing).await.len(), 1);

    let unnamed = ssm
        .start_automation_execution()
        .document_name(&document)
        .targets(
            aws_sdk_ssm::types::Target::builder()
                .key("ParameterValues")
                .values("a")
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_code(&unnamed),
        "InvalidAutomationExecutionParametersException"
    );
    let nothing = ssm
        .start_automation_execution()
        .document_name(&document)
        .target_parameter_name("Item")
        .targets(
            aws_sdk_ssm::types::Target::builder()
                .key("tag:Nobody")
                .values("here")
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&nothing), "InvalidTarget");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn target_maps_run_a_child_per_map_with_its_parameters() {
    let ballast = start();
    let ssm = ballast.ssm();
    let document = runbook(&ballast, "per-map", PER_TARGET).await;
    let map = |prefix: &str, item: &str| {
        HashMap::from([
            ("Prefix".to_owned(), vec![prefix.to_owned()]),
            ("Item".to_owned(), vec![item.to_owned()]),
        ])
    };
    let id = ssm
        .start_automation_execution()
        .document_name(&document)
        .target_maps(map("/maps/one", "m1"))
        .target_maps(map("/maps/two", "m2"))
        .max_concurrency("1")
        .send()
        .await
        .expect("StartAutomationExecution with TargetMaps")
        .automation_execution_id()
        .expect("id")
        .to_owned();
    let parent = finished(&ballast, &id).await;
    assert_eq!(
        parent.automation_execution_status(),
        Some(&AutomationExecutionStatus::Success),
        "{parent:?}"
    );
    assert_eq!(parent.target_maps().len(), 2);
    assert_eq!(children(&ballast, &id).await.len(), 2);
    for name in ["/maps/one/m1", "/maps/two/m2"] {
        ssm.get_parameter()
            .name(name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name} was not written: {e:?}"));
    }

    let both = ssm
        .start_automation_execution()
        .document_name(&document)
        .target_maps(map("/maps/x", "x"))
        .target_parameter_name("Item")
        .targets(
            aws_sdk_ssm::types::Target::builder()
                .key("ParameterValues")
                .values("a")
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_code(&both),
        "InvalidAutomationExecutionParametersException"
    );
    let unknown_parameter = ssm
        .start_automation_execution()
        .document_name(&document)
        .target_maps(HashMap::from([("Nope".to_owned(), vec!["1".to_owned()])]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_code(&unknown_parameter),
        "InvalidAutomationExecutionParametersException"
    );
}

/// Pauses until resumed, then waits for an approver, then records the
/// decision.
const PAUSE_AND_APPROVE: &str = r#"
schemaVersion: '0.3'
parameters:
  Approver:
    type: String
  Name:
    type: String
mainSteps:
  - name: Hold
    action: aws:pause
    inputs: {}
  - name: Approval
    action: aws:approve
    inputs:
      Message: Go ahead?
      MinRequiredApprovals: 1
      Approvers:
        - '{{ Approver }}'
  - name: Record
    action: aws:executeAwsApi
    inputs:
      Service: ssm
      Api: PutParameter
      Name: '{{ Name }}'
      Value: '{{ Approval.ApprovalStatus }}'
      Type: String
"#;

async fn signal(
    ballast: &Ballast,
    id: &str,
    kind: aws_sdk_ssm::types::SignalType,
    payload: &[(&str, &str)],
) -> Result<(), String> {
    ballast
        .ssm()
        .send_automation_signal()
        .automation_execution_id(id)
        .signal_type(kind)
        .set_payload((!payload.is_empty()).then(|| parameters(payload)))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| error_code(&e))
}

/// Resumes the runbook's pause and waits until it waits for approval.
async fn resume_to_approval(ballast: &Ballast, id: &str) {
    use aws_sdk_ssm::types::SignalType;
    waiting_in(ballast, id, "Hold").await;
    signal(ballast, id, SignalType::Resume, &[])
        .await
        .expect("Resume");
    waiting_in(ballast, id, "Approval").await;
}

async fn waiting_in(ballast: &Ballast, id: &str, name: &str) {
    in_step(ballast, id, name).await;
    eventually("the execution to wait for a signal", WAIT, || async {
        let execution = get(ballast, id).await;
        (execution.automation_execution_status() == Some(&AutomationExecutionStatus::Waiting)
            && step_status(&execution, name) == "Waiting")
            .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_runbook_resumes_and_waits_for_its_approver() {
    use aws_sdk_ssm::types::SignalType;
    let ballast = start();
    let me = ballast
        .sts()
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity")
        .arn()
        .expect("an ARN")
        .to_owned();
    let document = runbook(&ballast, "approve", PAUSE_AND_APPROVE).await;
    let id = run(
        &ballast,
        &document,
        &[("Approver", &me), ("Name", "/decision/one")],
    )
    .await;
    waiting_in(&ballast, &id, "Hold").await;
    // Only Resume moves a pause; a step it does not have is not found.
    assert_eq!(
        signal(&ballast, &id, SignalType::Approve, &[]).await,
        Err("InvalidAutomationSignalException".to_owned())
    );
    assert_eq!(
        signal(
            &ballast,
            &id,
            SignalType::Resume,
            &[("StepName", "Nowhere")]
        )
        .await,
        Err("AutomationStepNotFoundException".to_owned())
    );
    signal(&ballast, &id, SignalType::Resume, &[("StepName", "Hold")])
        .await
        .expect("Resume");
    waiting_in(&ballast, &id, "Approval").await;
    signal(
        &ballast,
        &id,
        SignalType::Approve,
        &[("Comment", "looks good")],
    )
    .await
    .expect("Approve");
    let execution = finished(&ballast, &id).await;
    assert_eq!(
        execution.automation_execution_status(),
        Some(&AutomationExecutionStatus::Success),
        "{execution:?}"
    );
    let outputs = step(&execution, "Approval").outputs().expect("outputs");
    assert_eq!(outputs["ApprovalStatus"], vec!["Approved".to_owned()]);
    let recorded = ballast
        .ssm()
        .get_parameter()
        .name("/decision/one")
        .send()
        .await
        .expect("the decision");
    assert_eq!(
        recorded.parameter().and_then(|p| p.value()),
        Some("Approved")
    );
    assert_eq!(
        signal(&ballast, &id, SignalType::Resume, &[]).await,
        Err("InvalidAutomationSignalException".to_owned())
    );

    // A rejection fails the step and the runbook.
    let rejected = run(
        &ballast,
        &document,
        &[("Approver", &me), ("Name", "/decision/two")],
    )
    .await;
    resume_to_approval(&ballast, &rejected).await;
    signal(
        &ballast,
        &rejected,
        SignalType::Reject,
        &[("Comment", "not today")],
    )
    .await
    .expect("Reject");
    let execution = finished(&ballast, &rejected).await;
    assert_eq!(
        execution.automation_execution_status(),
        Some(&AutomationExecutionStatus::Failed)
    );
    assert!(
        execution
            .failure_message()
            .unwrap_or("")
            .contains("rejected"),
        "{execution:?}"
    );

    // Only an approver may decide.
    let someone_else = run(
        &ballast,
        &document,
        &[
            ("Approver", "arn:aws:iam::000000000000:user/someone-else"),
            ("Name", "/decision/three"),
        ],
    )
    .await;
    resume_to_approval(&ballast, &someone_else).await;
    assert_eq!(
        signal(&ballast, &someone_else, SignalType::Approve, &[]).await,
        Err("InvalidAutomationSignalException".to_owned())
    );
    assert_eq!(
        signal(
            &ballast,
            "00000000-0000-4000-a000-000000000000",
            SignalType::Resume,
            &[]
        )
        .await,
        Err("AutomationExecutionNotFoundException".to_owned())
    );
}
