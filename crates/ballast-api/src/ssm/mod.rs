//! AWS Systems Manager (awsJson 1.1): Parameter Store, documents and the
//! tags of both, Run Command and the instances its agents manage,
//! Automation executions, maintenance windows and OpsCenter's OpsItems.

mod automation;
mod command_steps;
pub(crate) mod commands;
mod documents;
mod instance_information;
mod maintenance_windows;
mod ops_items;
mod parameters;
mod resource_tags;

pub(crate) use documents::document_arn;
pub(crate) use maintenance_windows::window_arn;
pub(crate) use ops_items::ops_item_arn;
pub(crate) use parameters::parameter_arn;

use ballast_core::ssm::automation::Error as AutomationRule;
use ballast_core::ssm::document::Error as DocumentRule;
use ballast_core::ssm::maintenance_window::Error as WindowRule;

use ballast_core::ssm::Error as Rule;
use ballast_model::ssm::errors;

use crate::dispatch::{call, call_unmodelled, routes};
use crate::error::{ErrorCode, HandlerError};

routes! {
    /// The SSM operations Ballast implements.
    pub enum Operation;

    /// Routes an SSM request to its handler.
    fn handle(state, ctx, request) {
        PutParameter => call(ctx, request, |i| parameters::put(state, ctx, i)),
        GetParameter => call(ctx, request, |i| parameters::get(state, i)),
        GetParameters => call(ctx, request, |i| parameters::get_many(state, i)),
        GetParametersByPath => call(ctx, request, |i| parameters::get_by_path(state, i)),
        DescribeParameters => call(ctx, request, |i| parameters::describe(state, i)),
        GetParameterHistory => call(ctx, request, |i| parameters::history(state, i)),
        DeleteParameter => call(ctx, request, |i| parameters::delete(state, i)),
        DeleteParameters => call(ctx, request, |i| parameters::delete_many(state, i)),
        LabelParameterVersion => call(ctx, request, |i| parameters::label(state, i)),
        SendCommand => call(ctx, request, |i| commands::send(state, i)),
        ListCommands => call(ctx, request, |i| commands::list_commands(state, i)),
        ListCommandInvocations => call(ctx, request, |i| commands::list_invocations(state, i)),
        GetCommandInvocation => call(ctx, request, |i| commands::get_invocation(state, i)),
        CancelCommand => call(ctx, request, |i| commands::cancel(state, i)),
        DescribeInstanceInformation => {
            call(ctx, request, |i| instance_information::describe(state, i))
        },
        // The agent's call, in no public model.
        UpdateInstanceInformation => call_unmodelled(ctx, request, |i| {
            instance_information::update(state, ctx, i)
        }),
        CreateDocument => call(ctx, request, |i| documents::create(state, i)),
        GetDocument => call(ctx, request, |i| documents::get(state, i)),
        DescribeDocument => call(ctx, request, |i| documents::describe(state, i)),
        UpdateDocument => call(ctx, request, |i| documents::update(state, i)),
        UpdateDocumentDefaultVersion => call(ctx, request, |i| documents::update_default_version(state, i)),
        ListDocuments => call(ctx, request, |i| documents::list(state, i)),
        ListDocumentVersions => call(ctx, request, |i| documents::list_versions(state, i)),
        DeleteDocument => call(ctx, request, |i| documents::delete(state, i)),
        DescribeDocumentPermission => call(ctx, request, |i| documents::describe_permission(state, i)),
        ModifyDocumentPermission => call(ctx, request, |i| documents::modify_permission(state, i)),
        AddTagsToResource => call(ctx, request, |i| resource_tags::add(state, i)),
        ListTagsForResource => call(ctx, request, |i| resource_tags::list(state, i)),
        RemoveTagsFromResource => call(ctx, request, |i| resource_tags::remove(state, i)),
        StartAutomationExecution => call(ctx, request, |i| automation::start(state, ctx, i)),
        GetAutomationExecution => call(ctx, request, |i| automation::get(state, i)),
        DescribeAutomationExecutions => call(ctx, request, |i| automation::describe(state, i)),
        DescribeAutomationStepExecutions => call(ctx, request, |i| automation::describe_steps(state, i)),
        StopAutomationExecution => call(ctx, request, |i| automation::stop(state, i)),
        SendAutomationSignal => call(ctx, request, |i| automation::send_signal(state, ctx, i)),
        CreateMaintenanceWindow => call(ctx, request, |i| maintenance_windows::create(state, i)),
        GetMaintenanceWindow => call(ctx, request, |i| maintenance_windows::get(state, i)),
        UpdateMaintenanceWindow => call(ctx, request, |i| maintenance_windows::update(state, i)),
        DeleteMaintenanceWindow => call(ctx, request, |i| maintenance_windows::delete(state, i)),
        DescribeMaintenanceWindows => call(ctx, request, |i| maintenance_windows::describe(state, i)),
        RegisterTargetWithMaintenanceWindow => {
            call(ctx, request, |i| maintenance_windows::register_target(state, i))
        },
        DeregisterTargetFromMaintenanceWindow => {
            call(ctx, request, |i| maintenance_windows::deregister_target(state, i))
        },
        UpdateMaintenanceWindowTarget => {
            call(ctx, request, |i| maintenance_windows::update_target(state, i))
        },
        DescribeMaintenanceWindowTargets => {
            call(ctx, request, |i| maintenance_windows::describe_targets(state, i))
        },
        RegisterTaskWithMaintenanceWindow => {
            call(ctx, request, |i| maintenance_windows::register_task(state, i))
        },
        DeregisterTaskFromMaintenanceWindow => {
            call(ctx, request, |i| maintenance_windows::deregister_task(state, i))
        },
        UpdateMaintenanceWindowTask => {
            call(ctx, request, |i| maintenance_windows::update_task(state, i))
        },
        GetMaintenanceWindowTask => call(ctx, request, |i| maintenance_windows::get_task(state, i)),
        DescribeMaintenanceWindowTasks => {
            call(ctx, request, |i| maintenance_windows::describe_tasks(state, i))
        },
        DescribeMaintenanceWindowSchedule => {
            call(ctx, request, |i| maintenance_windows::describe_schedule(state, i))
        },
        DescribeMaintenanceWindowsForTarget => {
            call(ctx, request, |i| maintenance_windows::describe_for_target(state, i))
        },
        DescribeMaintenanceWindowExecutions => {
            call(ctx, request, |i| maintenance_windows::describe_executions(state, i))
        },
        DescribeMaintenanceWindowExecutionTasks => {
            call(ctx, request, |i| maintenance_windows::describe_execution_tasks(state, i))
        },
        DescribeMaintenanceWindowExecutionTaskInvocations => {
            call(ctx, request, |i| maintenance_windows::describe_invocations(state, i))
        },
        GetMaintenanceWindowExecution => {
            call(ctx, request, |i| maintenance_windows::get_execution(state, i))
        },
        GetMaintenanceWindowExecutionTask => {
            call(ctx, request, |i| maintenance_windows::get_execution_task(state, i))
        },
        GetMaintenanceWindowExecutionTaskInvocation => {
            call(ctx, request, |i| maintenance_windows::get_invocation(state, i))
        },
        CancelMaintenanceWindowExecution => {
            call(ctx, request, |i| maintenance_windows::cancel_execution(state, i))
        },
        CreateOpsItem => call(ctx, request, |i| ops_items::create(state, ctx, i)),
        GetOpsItem => call(ctx, request, |i| ops_items::get(state, i)),
        UpdateOpsItem => call(ctx, request, |i| ops_items::update(state, ctx, i)),
        DeleteOpsItem => call(ctx, request, |i| ops_items::delete(state, i)),
        DescribeOpsItems => call(ctx, request, |i| ops_items::describe(state, i)),
    }
}

/// A failure inside an SSM handler.
pub(crate) type Error = HandlerError<Rule>;

impl ErrorCode for Rule {
    /// Validation is the protocol's error, not a shape in the model.
    fn shape(&self) -> Option<ballast_model::ErrorShape> {
        Some(match self {
            Rule::Validation(_) => return None,
            Rule::AlreadyExists => errors::PARAMETER_ALREADY_EXISTS,
            Rule::NotFound(_) => errors::PARAMETER_NOT_FOUND,
            Rule::VersionNotFound { .. } => errors::PARAMETER_VERSION_NOT_FOUND,
            Rule::HierarchyLevelLimitExceeded => errors::HIERARCHY_LEVEL_LIMIT_EXCEEDED_EXCEPTION,
            Rule::HierarchyTypeMismatch { .. } => errors::HIERARCHY_TYPE_MISMATCH_EXCEPTION,
            Rule::MaxVersionLimitExceeded(_) => errors::PARAMETER_MAX_VERSION_LIMIT_EXCEEDED,
            Rule::VersionLabelLimitExceeded => errors::PARAMETER_VERSION_LABEL_LIMIT_EXCEEDED,
            Rule::InvalidNextToken => errors::INVALID_NEXT_TOKEN,
            Rule::InvalidFilterKey(_) => errors::INVALID_FILTER_KEY,
            Rule::InvalidFilterOption(_) => errors::INVALID_FILTER_OPTION,
            Rule::InvalidFilterValue(_) => errors::INVALID_FILTER_VALUE,
        })
    }

    const SERVICE: ballast_wire::Service = ballast_wire::Service::Ssm;
}

impl ErrorCode for DocumentRule {
    /// Validation is the protocol's error, not a shape in the model.
    fn shape(&self) -> Option<ballast_model::ErrorShape> {
        use DocumentRule as R;
        Some(match self {
            R::Validation(_) => return None,
            R::AlreadyExists(_) => errors::DOCUMENT_ALREADY_EXISTS,
            R::NotFound => errors::INVALID_DOCUMENT,
            R::InvalidVersion => errors::INVALID_DOCUMENT_VERSION,
            R::InvalidContent(_) => errors::INVALID_DOCUMENT_CONTENT,
            R::InvalidSchemaVersion(_) => errors::INVALID_DOCUMENT_SCHEMA_VERSION,
            R::InvalidOperation(_) => errors::INVALID_DOCUMENT_OPERATION,
            R::DuplicateContent => errors::DUPLICATE_DOCUMENT_CONTENT,
            R::DuplicateVersionName => errors::DUPLICATE_DOCUMENT_VERSION_NAME,
            R::VersionLimitExceeded => errors::DOCUMENT_VERSION_LIMIT_EXCEEDED,
            R::MaxSizeExceeded => errors::MAX_DOCUMENT_SIZE_EXCEEDED,
            R::PermissionLimit(_) => errors::DOCUMENT_PERMISSION_LIMIT,
            R::InvalidNextToken => errors::INVALID_NEXT_TOKEN,
            R::InvalidFilterKey(_) => errors::INVALID_FILTER_KEY,
            R::InvalidFilterValue(_) => errors::INVALID_FILTER_VALUE,
            R::InvalidResourceType(_) => errors::INVALID_RESOURCE_TYPE,
            R::InvalidResourceId(_) => errors::INVALID_RESOURCE_ID,
            R::TooManyTags => errors::TOO_MANY_TAGS_ERROR,
        })
    }

    const SERVICE: ballast_wire::Service = ballast_wire::Service::Ssm;
}

impl ErrorCode for AutomationRule {
    /// Validation is the protocol's error, not a shape in the model.
    fn shape(&self) -> Option<ballast_model::ErrorShape> {
        use AutomationRule as R;
        Some(match self {
            R::Validation(_) => return None,
            R::DefinitionNotFound(_) => errors::AUTOMATION_DEFINITION_NOT_FOUND_EXCEPTION,
            R::DefinitionVersionNotFound(_) => {
                errors::AUTOMATION_DEFINITION_VERSION_NOT_FOUND_EXCEPTION
            }
            R::InvalidParameters(_) => errors::INVALID_AUTOMATION_EXECUTION_PARAMETERS_EXCEPTION,
            R::ExecutionNotFound(_) => errors::AUTOMATION_EXECUTION_NOT_FOUND_EXCEPTION,
            R::InvalidStatusUpdate(_) => errors::INVALID_AUTOMATION_STATUS_UPDATE_EXCEPTION,
            R::InvalidNextToken => errors::INVALID_NEXT_TOKEN,
            R::InvalidFilterKey(_) => errors::INVALID_FILTER_KEY,
            R::InvalidFilterValue(_) => errors::INVALID_FILTER_VALUE,
            R::InvalidTarget(_) => errors::INVALID_TARGET,
            R::InvalidSignal(_) => errors::INVALID_AUTOMATION_SIGNAL_EXCEPTION,
            R::StepNotFound(_) => errors::AUTOMATION_STEP_NOT_FOUND_EXCEPTION,
        })
    }

    const SERVICE: ballast_wire::Service = ballast_wire::Service::Ssm;
}

impl ErrorCode for WindowRule {
    /// Validation is the protocol's error, not a shape in the model.
    fn shape(&self) -> Option<ballast_model::ErrorShape> {
        use WindowRule as R;
        Some(match self {
            R::Validation(_) => return None,
            R::DoesNotExist(_) => errors::DOES_NOT_EXIST_EXCEPTION,
            R::IdempotentParameterMismatch(_) => errors::IDEMPOTENT_PARAMETER_MISMATCH,
            R::ResourceLimitExceeded(_) => errors::RESOURCE_LIMIT_EXCEEDED_EXCEPTION,
            R::FeatureNotAvailable(_) => errors::FEATURE_NOT_AVAILABLE_EXCEPTION,
            R::TargetInUse(_) => errors::TARGET_IN_USE_EXCEPTION,
        })
    }

    const SERVICE: ballast_wire::Service = ballast_wire::Service::Ssm;
}
