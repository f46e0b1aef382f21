"""SSM Automation with boto3 and the AWS CLI: runbooks registered with
CreateDocument run their steps for real (API calls, selectors, sleeps,
branches), report AWS's statuses, outputs and failure messages, stop on
StopAutomationExecution, and refuse bad requests with AWS's codes."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from ballast_compat import error_code

WAIT_S = 40
OPEN = {"Pending", "InProgress", "Waiting", "Cancelling"}

# Reads the runbook's own document, keeps two outputs, branches on one of
# them, and sleeps on the branch taken.
READER = """
schemaVersion: '0.3'
description: Reads itself.
parameters:
  Nap:
    type: String
    default: PT2S
outputs:
  - Read.Format
  - Read.Version
mainSteps:
  - name: Read
    action: aws:executeAwsApi
    inputs:
      Service: ssm
      Api: DescribeDocument
      Name: '{{ automation:DOCUMENT_NAME }}'
    outputs:
      - Name: Format
        Selector: $.Document.DocumentFormat
        Type: String
      - Name: Version
        Selector: $.Document.DocumentVersion
        Type: String
  - name: Choose
    action: aws:branch
    inputs:
      Choices:
        - NextStep: Nap
          Variable: '{{ Read.Format }}'
          StringEquals: YAML
      Default: Wrong
  - name: Wrong
    action: aws:assertAwsResourceProperty
    isEnd: true
    inputs:
      Service: ssm
      Api: DescribeDocument
      Name: '{{ automation:DOCUMENT_NAME }}'
      PropertySelector: $.Document.Status
      DesiredValues:
        - Deleted
  - name: Nap
    action: aws:sleep
    inputs:
      Duration: '{{ Nap }}'
"""

ASSERTING = """
schemaVersion: '0.3'
mainSteps:
  - name: MustBeJson
    action: aws:assertAwsResourceProperty
    inputs:
      Service: ssm
      Api: DescribeDocument
      Name: '{{ automation:DOCUMENT_NAME }}'
      PropertySelector: $.Document.DocumentFormat
      DesiredValues:
        - JSON
"""

SLEEPER = """
schemaVersion: '0.3'
mainSteps:
  - name: Long
    action: aws:sleep
    inputs:
      Duration: PT1H
"""


@pytest.fixture
def server(server_factory):
    server = server_factory.new("automation", extra_args=("--time-scale", "0.02"))
    server.start()
    return server


def register(ssm, name: str, content: str) -> None:
    ssm.create_document(
        Name=name, Content=content, DocumentType="Automation", DocumentFormat="YAML"
    )


def finished(ssm, execution_id: str) -> dict:
    end = time.monotonic() + WAIT_S
    while True:
        execution = ssm.get_automation_execution(AutomationExecutionId=execution_id)[
            "AutomationExecution"
        ]
        if execution["AutomationExecutionStatus"] not in OPEN:
            return execution
        if time.monotonic() > end:
            pytest.fail(f"execution still {execution['AutomationExecutionStatus']}")
        time.sleep(0.05)


def steps_by_name(execution: dict) -> dict:
    return {s["StepName"]: s for s in execution["StepExecutions"]}


def test_boto3_runs_a_runbook_with_outputs_branch_and_sleep(server, uid):
    ssm = server.client("ssm")
    name = f"reader-{uid}"
    register(ssm, name, READER)
    execution_id = ssm.start_automation_execution(
        DocumentName=name, Parameters={"Nap": ["PT5S"]}
    )["AutomationExecutionId"]
    execution = finished(ssm, execution_id)
    assert execution["AutomationExecutionStatus"] == "Success", execution
    assert execution["Outputs"] == {"Read.Format": ["YAML"], "Read.Version": ["1"]}
    assert execution["Parameters"] == {"Nap": ["PT5S"]}
    assert execution["Mode"] == "Auto"
    steps = steps_by_name(execution)
    assert [s["StepStatus"] for s in execution["StepExecutions"]] == ["Success"] * 3
    assert "Wrong" not in steps
    assert steps["Read"]["Action"] == "aws:executeAwsApi"
    assert steps["Read"]["Outputs"]["Format"] == ["YAML"]
    assert steps["Nap"]["Inputs"]["Duration"] == '"PT5S"'
    napped = steps["Nap"]["ExecutionEndTime"] - steps["Nap"]["ExecutionStartTime"]
    assert napped.total_seconds() >= 0.09  # 5 s at 0.02

    listed = ssm.describe_automation_executions(
        Filters=[{"Key": "ExecutionStatus", "Values": ["Success"]}]
    )["AutomationExecutionMetadataList"]
    assert [m["AutomationExecutionId"] for m in listed] == [execution_id]
    assert listed[0]["DocumentName"] == name

    described = ssm.describe_automation_step_executions(
        AutomationExecutionId=execution_id, ReverseOrder=True, MaxResults=2
    )
    assert [s["StepName"] for s in described["StepExecutions"]] == ["Nap", "Choose"]
    rest = ssm.describe_automation_step_executions(
        AutomationExecutionId=execution_id, ReverseOrder=True, NextToken=described["NextToken"]
    )
    assert [s["StepName"] for s in rest["StepExecutions"]] == ["Read"]


def test_boto3_failed_assertion_and_cancelled_sleep(server, uid):
    ssm = server.client("ssm")
    register(ssm, f"asserting-{uid}", ASSERTING)
    failed = finished(
        ssm,
        ssm.start_automation_execution(DocumentName=f"asserting-{uid}")["AutomationExecutionId"],
    )
    assert failed["AutomationExecutionStatus"] == "Failed"
    step = failed["StepExecutions"][0]
    assert step["StepStatus"] == "Failed"
    assert '"JSON"' in step["FailureMessage"] and '"YAML"' in step["FailureMessage"]
    assert "MustBeJson" in failed["FailureMessage"]

    register(ssm, f"sleeper-{uid}", SLEEPER)
    sleeping = ssm.start_automation_execution(DocumentName=f"sleeper-{uid}")[
        "AutomationExecutionId"
    ]
    end = time.monotonic() + WAIT_S
    while ssm.get_automation_execution(AutomationExecutionId=sleeping)[
        "AutomationExecution"
    ].get("CurrentStepName") != "Long":
        assert time.monotonic() < end, "the sleep never started"
        time.sleep(0.05)
    ssm.stop_automation_execution(AutomationExecutionId=sleeping, Type="Cancel")
    cancelled = finished(ssm, sleeping)
    assert cancelled["AutomationExecutionStatus"] == "Cancelled"
    assert cancelled["StepExecutions"][0]["StepStatus"] == "Cancelled"


def test_boto3_errors(server, uid):
    ssm = server.client("ssm")
    register(ssm, f"sleeper-{uid}", SLEEPER)
    cases = [
        (
            lambda: ssm.start_automation_execution(DocumentName="NoSuchRunbook"),
            "AutomationDefinitionNotFoundException",
        ),
        (
            lambda: ssm.start_automation_execution(
                DocumentName=f"sleeper-{uid}", DocumentVersion="9"
            ),
            "AutomationDefinitionVersionNotFoundException",
        ),
        (
            lambda: ssm.start_automation_execution(
                DocumentName=f"sleeper-{uid}", Parameters={"Undeclared": ["x"]}
            ),
            "InvalidAutomationExecutionParametersException",
        ),
        (
            lambda: ssm.start_automation_execution(DocumentName="AWS-RunShellScript"),
            "AutomationDefinitionNotFoundException",
        ),
        (
            lambda: ssm.get_automation_execution(
                AutomationExecutionId="00000000-0000-0000-0000-000000000000"
            ),
            "AutomationExecutionNotFoundException",
        ),
        (
            lambda: ssm.stop_automation_execution(
                AutomationExecutionId="00000000-0000-0000-0000-000000000000"
            ),
            "AutomationExecutionNotFoundException",
        ),
        (
            lambda: ssm.describe_automation_executions(
                Filters=[{"Key": "StartTimeAfter", "Values": ["yesterday"]}]
            ),
            "InvalidFilterValue",
        ),
        (
            lambda: ssm.describe_automation_executions(NextToken="not-a-token"),
            "InvalidNextToken",
        ),
    ]
    for call, code in cases:
        with pytest.raises(ClientError) as raised:
            call()
        assert error_code(raised.value) == code
    # Nothing was started by the refused calls.
    assert ssm.describe_automation_executions()["AutomationExecutionMetadataList"] == []


def test_cli_starts_waits_and_reads_an_execution(server, uid, tmp_path):
    from ballast_compat import AwsCli

    aws = AwsCli(server.endpoint, tmp_path / "aws-home")
    ssm = server.client("ssm")
    name = f"reader-{uid}"
    register(ssm, name, READER)
    rc, started, err = aws(
        "ssm", "start-automation-execution", "--document-name", name,
        "--parameters", "Nap=PT1S",
    )
    assert rc == 0, err
    execution_id = started["AutomationExecutionId"]
    finished(ssm, execution_id)
    rc, got, err = aws(
        "ssm", "get-automation-execution", "--automation-execution-id", execution_id
    )
    assert rc == 0, err
    assert got["AutomationExecution"]["AutomationExecutionStatus"] == "Success"
    assert got["AutomationExecution"]["Outputs"]["Read.Format"] == ["YAML"]
    rc, listed, err = aws(
        "ssm", "describe-automation-executions",
        "--filters", f"Key=DocumentNamePrefix,Values={name}",
    )
    assert rc == 0, err
    assert [m["AutomationExecutionId"] for m in listed["AutomationExecutionMetadataList"]] == [
        execution_id
    ]
    rc, steps, err = aws(
        "ssm", "describe-automation-step-executions",
        "--automation-execution-id", execution_id,
        "--filters", "Key=StepName,Values=Read",
    )
    assert rc == 0, err
    assert [s["StepName"] for s in steps["StepExecutions"]] == ["Read"]
    rc, _, err = aws(
        "ssm", "stop-automation-execution", "--automation-execution-id", execution_id
    )
    assert rc != 0 and "InvalidAutomationStatusUpdateException" in err
    rc, _, err = aws("ssm", "start-automation-execution", "--document-name", "Nope")
    assert rc != 0 and "AutomationDefinitionNotFoundException" in err


SCRIPTED = """
schemaVersion: '0.3'
mainSteps:
  - name: Double
    action: aws:executeScript
    inputs:
      Runtime: python3.11
      Handler: double
      InputPayload:
        values: [1, 2, 3]
      Script: |-
        def double(events, context):
            return {"doubled": [v * 2 for v in events["values"]], "region": context["global:REGION"]}
    outputs:
      - Name: Doubled
        Selector: $.Payload.doubled
        Type: StringList
  - name: Raise
    action: aws:executeScript
    inputs:
      Runtime: python3.11
      Handler: fail
      Script: |-
        def fail(events, context):
            raise ValueError("no such thing")
"""


def test_boto3_execute_script_runs_python(server, uid):
    ssm = server.client("ssm")
    register(ssm, f"scripted-{uid}", SCRIPTED)
    execution = finished(
        ssm,
        ssm.start_automation_execution(DocumentName=f"scripted-{uid}")["AutomationExecutionId"],
    )
    steps = steps_by_name(execution)
    assert steps["Double"]["StepStatus"] == "Success", steps["Double"]
    assert steps["Double"]["Outputs"]["Doubled"] == ["2", "4", "6"]
    payload = json.loads(steps["Double"]["Outputs"]["OutputPayload"][0])
    assert payload["Payload"]["region"] == "us-east-1"
    assert steps["Raise"]["StepStatus"] == "Failed"
    assert "ValueError: no such thing" in steps["Raise"]["FailureMessage"]
    assert execution["AutomationExecutionStatus"] == "Failed"


PER_TARGET = """
schemaVersion: '0.3'
parameters:
  Item:
    type: String
mainSteps:
  - name: Record
    action: aws:executeAwsApi
    inputs:
      Service: ssm
      Api: PutParameter
      Name: '/per-target/{{ Item }}'
      Value: '{{ Item }}'
      Type: String
"""


def test_rate_control_with_boto3_and_the_cli(server, uid, tmp_path):
    from ballast_compat import AwsCli

    ssm = server.client("ssm")
    register(ssm, f"per-target-{uid}", PER_TARGET)
    parent_id = ssm.start_automation_execution(
        DocumentName=f"per-target-{uid}",
        TargetParameterName="Item",
        Targets=[{"Key": "ParameterValues", "Values": ["one", "two"]}],
        MaxConcurrency="2",
        MaxErrors="1",
    )["AutomationExecutionId"]
    parent = finished(ssm, parent_id)
    assert parent["AutomationExecutionStatus"] == "Success", parent
    assert parent["ResolvedTargets"]["ParameterValues"] == ["one", "two"]
    assert parent["Targets"] == [{"Key": "ParameterValues", "Values": ["one", "two"]}]
    assert (parent["MaxConcurrency"], parent["MaxErrors"]) == ("2", "1")
    children = ssm.describe_automation_executions(
        Filters=[{"Key": "ParentExecutionId", "Values": [parent_id]}]
    )["AutomationExecutionMetadataList"]
    assert len(children) == 2
    assert sorted(c["Target"] for c in children) == ["one", "two"]
    assert ssm.get_parameter(Name="/per-target/two")["Parameter"]["Value"] == "two"

    aws = AwsCli(server.endpoint, tmp_path / "aws-home")
    rc, out, err = aws(
        "ssm", "start-automation-execution", "--document-name", f"per-target-{uid}",
        "--target-parameter-name", "Item",
        "--targets", "Key=ParameterValues,Values=three",
        "--max-concurrency", "1", "--max-errors", "0",
    )
    assert rc == 0, err
    assert finished(ssm, out["AutomationExecutionId"])["AutomationExecutionStatus"] == "Success"
    rc, _, err = aws(
        "ssm", "start-automation-execution", "--document-name", f"per-target-{uid}",
        "--targets", "Key=ParameterValues,Values=four",
    )
    assert rc != 0 and "InvalidAutomationExecutionParametersException" in err


def test_target_maps_with_boto3_and_the_cli(server, uid, tmp_path):
    from ballast_compat import AwsCli

    ssm = server.client("ssm")
    register(ssm, f"per-map-{uid}", PER_TARGET)
    parent_id = ssm.start_automation_execution(
        DocumentName=f"per-map-{uid}",
        TargetMaps=[{"Item": ["map-a"]}, {"Item": ["map-b"]}],
        MaxConcurrency="1",
    )["AutomationExecutionId"]
    parent = finished(ssm, parent_id)
    assert parent["AutomationExecutionStatus"] == "Success", parent
    assert parent["TargetMaps"] == [{"Item": ["map-a"]}, {"Item": ["map-b"]}]
    assert ssm.get_parameter(Name="/per-target/map-b")["Parameter"]["Value"] == "map-b"
    with pytest.raises(ClientError) as both:
        ssm.start_automation_execution(
            DocumentName=f"per-map-{uid}",
            TargetMaps=[{"Item": ["x"]}],
            TargetParameterName="Item",
            Targets=[{"Key": "ParameterValues", "Values": ["y"]}],
        )
    assert error_code(both.value) == "InvalidAutomationExecutionParametersException"

    aws = AwsCli(server.endpoint, tmp_path / "aws-home")
    rc, out, err = aws(
        "ssm", "start-automation-execution", "--document-name", f"per-map-{uid}",
        "--target-maps", '[{"Item": ["map-c"]}]',
    )
    assert rc == 0, err
    assert finished(ssm, out["AutomationExecutionId"])["AutomationExecutionStatus"] == "Success"


APPROVAL = """
schemaVersion: '0.3'
parameters:
  Approver:
    type: String
mainSteps:
  - name: Hold
    action: aws:pause
    inputs: {}
  - name: Approval
    action: aws:approve
    inputs:
      Message: Go ahead?
      Approvers:
        - '{{ Approver }}'
"""


def waiting_in(ssm, execution_id: str, step: str) -> None:
    end = time.monotonic() + WAIT_S
    while True:
        execution = ssm.get_automation_execution(AutomationExecutionId=execution_id)[
            "AutomationExecution"
        ]
        if (
            execution["AutomationExecutionStatus"] == "Waiting"
            and execution.get("CurrentStepName") == step
            and steps_by_name(execution)[step]["StepStatus"] == "Waiting"
        ):
            return
        if time.monotonic() > end:
            pytest.fail(f"execution not waiting in {step}: {execution}")
        time.sleep(0.05)


def test_pause_and_approval_with_boto3_and_the_cli(server, uid, tmp_path):
    from ballast_compat import AwsCli

    ssm = server.client("ssm")
    me = server.client("sts").get_caller_identity()["Arn"]
    register(ssm, f"approval-{uid}", APPROVAL)
    execution_id = ssm.start_automation_execution(
        DocumentName=f"approval-{uid}", Parameters={"Approver": [me]}
    )["AutomationExecutionId"]
    waiting_in(ssm, execution_id, "Hold")
    with pytest.raises(ClientError) as wrong:
        ssm.send_automation_signal(AutomationExecutionId=execution_id, SignalType="Approve")
    assert error_code(wrong.value) == "InvalidAutomationSignalException"
    with pytest.raises(ClientError) as missing:
        ssm.send_automation_signal(
            AutomationExecutionId=execution_id, SignalType="Resume", Payload={"StepName": ["Nope"]}
        )
    assert error_code(missing.value) == "AutomationStepNotFoundException"
    ssm.send_automation_signal(
        AutomationExecutionId=execution_id, SignalType="Resume", Payload={"StepName": ["Hold"]}
    )
    waiting_in(ssm, execution_id, "Approval")

    aws = AwsCli(server.endpoint, tmp_path / "aws-home")
    rc, _, err = aws(
        "ssm", "send-automation-signal", "--automation-execution-id", execution_id,
        "--signal-type", "Approve", "--payload", "Comment=ship it",
    )
    assert rc == 0, err
    execution = finished(ssm, execution_id)
    assert execution["AutomationExecutionStatus"] == "Success", execution
    approval = steps_by_name(execution)["Approval"]
    assert approval["Outputs"]["ApprovalStatus"] == ["Approved"]
    assert "ship it" in approval["Outputs"]["ApproverDecisions"][0]

    rc, _, err = aws(
        "ssm", "send-automation-signal", "--automation-execution-id", execution_id,
        "--signal-type", "Resume",
    )
    assert rc != 0 and "InvalidAutomationSignalException" in err
    with pytest.raises(ClientError) as unknown:
        ssm.send_automation_signal(
            AutomationExecutionId="00000000-0000-4000-a000-000000000000", SignalType="Resume"
        )
    assert error_code(unknown.value) == "AutomationExecutionNotFoundException"
    with pytest.raises(ClientError) as bad_type:
        ssm.send_automation_signal(AutomationExecutionId=execution_id, SignalType="Wave")
    assert error_code(bad_type.value) == "ValidationException"


ON_CANCEL = """
schemaVersion: '0.3'
parameters:
  Name:
    type: String
mainSteps:
  - name: Long
    action: aws:sleep
    onCancel: step:Cleanup
    inputs:
      Duration: PT1H
  - name: Skipped
    action: aws:sleep
    inputs:
      Duration: PT1S
  - name: Cleanup
    action: aws:executeAwsApi
    isEnd: true
    inputs:
      Service: ssm
      Api: PutParameter
      Name: '{{ Name }}'
      Value: cleaned up
      Type: String
"""


def test_on_cancel_runs_its_step_before_the_execution_ends_cancelled(server, uid):
    ssm = server.client("ssm")
    register(ssm, f"on-cancel-{uid}", ON_CANCEL)
    name = f"/on-cancel/{uid}"
    execution_id = ssm.start_automation_execution(
        DocumentName=f"on-cancel-{uid}", Parameters={"Name": [name]}
    )["AutomationExecutionId"]
    end = time.monotonic() + WAIT_S
    while ssm.get_automation_execution(AutomationExecutionId=execution_id)[
        "AutomationExecution"
    ].get("CurrentStepName") != "Long":
        assert time.monotonic() < end, "the execution never reached its sleep"
        time.sleep(0.05)
    ssm.stop_automation_execution(AutomationExecutionId=execution_id, Type="Cancel")
    execution = finished(ssm, execution_id)
    assert execution["AutomationExecutionStatus"] == "Cancelled", execution
    steps = steps_by_name(execution)
    assert steps["Long"]["StepStatus"] == "Cancelled"
    assert steps["Cleanup"]["StepStatus"] == "Success"
    assert "Skipped" not in steps
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "cleaned up"


EC2_VPCS = """
schemaVersion: '0.3'
mainSteps:
  - name: Vpcs
    action: aws:executeAwsApi
    inputs:
      Service: ec2
      Api: DescribeVpcs
      Filters:
        - Name: is-default
          Values: ['true']
    outputs:
      - Name: VpcId
        Selector: $.Vpcs[0].VpcId
        Type: String
      - Name: Cidr
        Selector: $.Vpcs[0].CidrBlock
        Type: String
"""


def test_ec2_calls_take_and_give_the_models_member_names(server, uid):
    ssm, ec2 = server.client("ssm"), server.client("ec2")
    register(ssm, f"ec2-vpcs-{uid}", EC2_VPCS)
    execution = finished(
        ssm, ssm.start_automation_execution(DocumentName=f"ec2-vpcs-{uid}")["AutomationExecutionId"]
    )
    assert execution["AutomationExecutionStatus"] == "Success", execution
    (vpc,) = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    outputs = steps_by_name(execution)["Vpcs"]["Outputs"]
    assert outputs["VpcId"] == [vpc["VpcId"]]
    assert outputs["Cidr"] == [vpc["CidrBlock"]]
