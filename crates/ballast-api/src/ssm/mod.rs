//! AWS Systems Manager (awsJson 1.1): Parameter Store, Run Command and
//! the instances its agents manage.

mod command_steps;
pub(crate) mod commands;
mod instance_information;
mod parameters;

pub(crate) use parameters::parameter_arn;

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
