//! Systems Manager, as the Service Authorization Reference names its
//! resources: a parameter's ARN for the Parameter Store calls that name
//! one, a document's ARN (`arn:aws:ssm:REGION:ACCOUNT:document/NAME`, no
//! account for Amazon's) for the document calls, the tagged resource's ARN
//! for the tagging calls, the document and every instance for SendCommand,
//! and `*` for DescribeParameters, ListDocuments and the other Run Command
//! calls. Maintenance window calls that name a window are decided on its
//! ARN (`arn:aws:ssm:REGION:ACCOUNT:maintenancewindow/mw-…`), with the
//! task's service role passed (`iam:PassRole`) by the task calls; the
//! others (creating one, listing, schedules, executions) on `*`. The
//! calls on one OpsItem are decided on its ARN
//! (`arn:aws:ssm:REGION:ACCOUNT:opsitem/oi-…`); CreateOpsItem and
//! DescribeOpsItems on `*`.

use ballast_core::ssm::parameter::Selector;
use ballast_core::tags::Tag;
use ballast_model::ssm::ResourceTypeForTagging;
use serde::Deserialize;

use super::{Access, Names, Resource, Unnamed, pairs};
use crate::ssm::{document_arn, ops_item_arn, parameter_arn, window_arn};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Params {
    name: Option<String>,
    names: Option<Vec<String>>,
    path: Option<String>,
    tags: Option<Vec<Tag>>,
    resource_type: Option<String>,
    resource_id: Option<String>,
    document_name: Option<String>,
    instance_ids: Option<Vec<String>>,
    targets: Option<Vec<TargetParams>>,
    automation_execution_id: Option<String>,
    window_id: Option<String>,
    service_role_arn: Option<String>,
    ops_item_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct TargetParams {
    key: Option<String>,
    values: Option<Vec<String>>,
}

/// Run Command's calls other than SendCommand, and the agent's: decided on
/// `*`, as the Service Authorization Reference lists them.
const ON_ANY_RESOURCE: &[&str] = &[
    "ListDocuments",
    "ListCommands",
    "ListCommandInvocations",
    "GetCommandInvocation",
    "CancelCommand",
    "DescribeInstanceInformation",
    "UpdateInstanceInformation",
    "DescribeAutomationExecutions",
    "DescribeMaintenanceWindows",
    "DescribeMaintenanceWindowSchedule",
    "DescribeMaintenanceWindowsForTarget",
    "GetMaintenanceWindowExecution",
    "GetMaintenanceWindowExecutionTask",
    "GetMaintenanceWindowExecutionTaskInvocation",
    "DescribeMaintenanceWindowExecutionTasks",
    "DescribeMaintenanceWindowExecutionTaskInvocations",
    "CancelMaintenanceWindowExecution",
    "DescribeOpsItems",
];

/// The Automation calls on one execution, authorized on it
/// (`automation-execution/ID`).
const EXECUTION_OPERATIONS: &[&str] = &[
    "GetAutomationExecution",
    "DescribeAutomationStepExecutions",
    "StopAutomationExecution",
    "SendAutomationSignal",
];

/// The maintenance window operations that name a window, each authorized
/// on it.
const WINDOW_OPERATIONS: &[&str] = &[
    "GetMaintenanceWindow",
    "UpdateMaintenanceWindow",
    "DeleteMaintenanceWindow",
    "RegisterTargetWithMaintenanceWindow",
    "DeregisterTargetFromMaintenanceWindow",
    "UpdateMaintenanceWindowTarget",
    "DescribeMaintenanceWindowTargets",
    "RegisterTaskWithMaintenanceWindow",
    "DeregisterTaskFromMaintenanceWindow",
    "UpdateMaintenanceWindowTask",
    "GetMaintenanceWindowTask",
    "DescribeMaintenanceWindowTasks",
    "DescribeMaintenanceWindowExecutions",
];

/// The document operations, each authorized on the document it names.
const DOCUMENT_OPERATIONS: &[&str] = &[
    "CreateDocument",
    "GetDocument",
    "DescribeDocument",
    "UpdateDocument",
    "UpdateDocumentDefaultVersion",
    "DeleteDocument",
    "ListDocumentVersions",
    "DescribeDocumentPermission",
    "ModifyDocumentPermission",
];

pub(super) fn access(names: &Names<'_>) -> Result<Access, Unnamed> {
    let params: Params = names.params()?;
    let request_tags = params.tags.as_deref().map(pairs).unwrap_or_default();
    let operation = names.operation();
    if ON_ANY_RESOURCE.contains(&operation) {
        return Ok(Access::default());
    }
    if operation == "SendCommand" {
        return send_command(names, &params);
    }
    if operation == "StartAutomationExecution" {
        // The runbook, as `automation-definition/NAME:VERSION`.
        let name = params
            .document_name
            .as_deref()
            .map(ballast_core::ssm::document::name_of)
            .unwrap_or("*");
        let account = if ballast_core::ssm::amazon_documents::is_amazon(name) {
            ""
        } else {
            names.account()
        };
        let arn = format!(
            "arn:aws:ssm:{}:{account}:automation-definition/{name}:*",
            names.region()
        );
        return Ok(Access::on(vec![Resource::untagged(arn)]).with_request_tags(request_tags));
    }
    if EXECUTION_OPERATIONS.contains(&operation) {
        let id = params.automation_execution_id.as_deref().unwrap_or("*");
        let arn = format!(
            "arn:aws:ssm:{}:{}:automation-execution/{id}",
            names.region(),
            names.account()
        );
        return Ok(Access::on(vec![Resource::untagged(arn)]));
    }
    if operation == "CreateMaintenanceWindow" || operation == "CreateOpsItem" {
        return Ok(Access::default().with_request_tags(request_tags));
    }
    if WINDOW_OPERATIONS.contains(&operation) {
        let resources = params
            .window_id
            .iter()
            .map(|id| {
                let arn = window_arn(names.state, id);
                Resource::tagged(names.tx, arn.clone(), &arn)
            })
            .collect::<Result<_, _>>()?;
        let mut access = Access::on(resources);
        access.passed_roles = params.service_role_arn.into_iter().collect();
        return Ok(access);
    }
    if matches!(operation, "GetOpsItem" | "UpdateOpsItem" | "DeleteOpsItem") {
        let resources = params
            .ops_item_id
            .iter()
            .map(|id| {
                let arn = ops_item_arn(names.state, id);
                Resource::tagged(names.tx, arn.clone(), &arn)
            })
            .collect::<Result<_, _>>()?;
        return Ok(Access::on(resources));
    }
    if DOCUMENT_OPERATIONS.contains(&operation) {
        let resources = params
            .name
            .iter()
            .map(|name| {
                let arn = document_arn(names.state, name);
                Resource::tagged(names.tx, arn.clone(), &arn)
            })
            .collect::<Result<_, _>>()?;
        return Ok(Access::on(resources).with_request_tags(request_tags));
    }
    if matches!(
        operation,
        "AddTagsToResource" | "ListTagsForResource" | "RemoveTagsFromResource"
    ) {
        return tagging(names, &params, request_tags);
    }
    parameters(names, params, request_tags)
}

/// SendCommand: the document and every instance it names (their tags for
/// `aws:ResourceTag` conditions); a command sent by tag names
/// `instance/*`.
fn send_command(names: &Names<'_>, params: &Params) -> Result<Access, Unnamed> {
    let mut resources = Vec::new();
    if let Some(document) = &params.document_name {
        let arn = document_arn(names.state, document);
        resources.push(Resource::tagged(names.tx, arn.clone(), &arn)?);
    }
    let instance_arn = |id: &str| {
        format!(
            "arn:aws:ec2:{}:{}:instance/{id}",
            names.region(),
            names.account()
        )
    };
    let mut ids: Vec<&String> = params.instance_ids.iter().flatten().collect();
    let mut by_tag = false;
    for target in params.targets.iter().flatten() {
        match target.key.as_deref() {
            Some("InstanceIds") => ids.extend(target.values.iter().flatten()),
            _ => by_tag = true,
        }
    }
    for id in ids {
        resources.push(Resource::tagged(names.tx, instance_arn(id), id)?);
    }
    if by_tag {
        resources.push(Resource::untagged(instance_arn("*")));
    }
    Ok(Access::on(resources))
}

/// The tagging calls: the resource's ARN, or `*` when it names no
/// resource Ballast keeps (the handler answers that).
fn tagging(
    names: &Names<'_>,
    params: &Params,
    request_tags: Vec<(String, String)>,
) -> Result<Access, Unnamed> {
    let (Some(kind), Some(id)) = (&params.resource_type, &params.resource_id) else {
        return Ok(Access::default());
    };
    let kind = ResourceTypeForTagging::from(kind.as_str());
    let arn = match kind {
        ResourceTypeForTagging::Document => document_arn(names.state, id),
        ResourceTypeForTagging::Parameter => parameter_arn(names.state, &Selector::parse(id).name),
        ResourceTypeForTagging::MaintenanceWindow => window_arn(names.state, id),
        ResourceTypeForTagging::OpsItem => ops_item_arn(names.state, id),
        _ => return Ok(Access::default().with_request_tags(request_tags)),
    };
    let resource = Resource::tagged(names.tx, arn.clone(), &arn)?;
    Ok(Access::on(vec![resource]).with_request_tags(request_tags))
}

/// Parameter Store: `Name`, every `Names` entry, or the `Path` of
/// GetParametersByPath; selectors like `name:3` name the parameter itself.
/// Tags set by PutParameter are the request's tags.
fn parameters(
    names: &Names<'_>,
    params: Params,
    request_tags: Vec<(String, String)>,
) -> Result<Access, Unnamed> {
    let arns = params
        .name
        .into_iter()
        .chain(params.names.into_iter().flatten())
        .map(|raw| Selector::parse(&raw).name)
        .chain(params.path)
        .map(|name| parameter_arn(names.state, &name));
    let resources = arns
        .map(|arn| Resource::tagged(names.tx, arn.clone(), &arn))
        .collect::<Result<_, _>>()?;
    Ok(Access::on(resources).with_request_tags(request_tags))
}
