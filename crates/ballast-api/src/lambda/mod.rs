//! AWS Lambda (restJson1): functions, their published versions and
//! aliases, their invocations, resource policies and tags, and the list of
//! what Ballast keeps none of (event source mappings).

mod account;
mod aliases;
pub mod code_link;
mod concurrency;
mod event_source_mappings;
mod functions;
mod invoke;
mod permissions;
mod tags;
mod versions;

use ballast_core::lambda::Error as Rule;
use ballast_core::paging::{self, PageLimits};
use ballast_model::lambda::errors;

use crate::dispatch::{call, call_no_output, routes};
use crate::error::{ErrorCode, HandlerError};

routes! {
    /// The Lambda operations Ballast implements.
    pub enum Operation;

    /// Routes a Lambda request to its handler.
    fn handle(state, ctx, request) {
        CreateFunction => call(ctx, request, |i| functions::create(state, i)),
        GetFunction => call(ctx, request, |i| functions::get(state, ctx, i)),
        GetFunctionConfiguration => call(ctx, request, |i| functions::get_configuration(state, i)),
        ListFunctions => call(ctx, request, |i| functions::list(state, i)),
        UpdateFunctionCode => call(ctx, request, |i| functions::update_code(state, i)),
        UpdateFunctionConfiguration => {
            call(ctx, request, |i| functions::update_configuration(state, i))
        },
        DeleteFunction => call(ctx, request, |i| functions::delete(state, i)),
        Invoke => call(ctx, request, |i| invoke::invoke(state, ctx, i)),
        AddPermission => call(ctx, request, |i| permissions::add(state, i)),
        RemovePermission => call_no_output(ctx, request, |i| permissions::remove(state, i)),
        GetPolicy => call(ctx, request, |i| permissions::get(state, i)),
        PutFunctionConcurrency => call(ctx, request, |i| concurrency::put(state, i)),
        GetFunctionConcurrency => call(ctx, request, |i| concurrency::get(state, i)),
        DeleteFunctionConcurrency => {
            call_no_output(ctx, request, |i| concurrency::delete(state, i))
        },
        GetAccountSettings => call(ctx, request, |i| account::settings(state, i)),
        PublishVersion => call(ctx, request, |i| versions::publish(state, i)),
        ListVersionsByFunction => call(ctx, request, |i| versions::list_versions(state, i)),
        CreateAlias => call(ctx, request, |i| aliases::create(state, i)),
        GetAlias => call(ctx, request, |i| aliases::get(state, i)),
        UpdateAlias => call(ctx, request, |i| aliases::update(state, i)),
        DeleteAlias => call_no_output(ctx, request, |i| aliases::delete(state, i)),
        ListAliases => call(ctx, request, |i| aliases::list(state, i)),
        ListEventSourceMappings => call(ctx, request, |i| event_source_mappings::list(state, i)),
        TagResource => call_no_output(ctx, request, |i| tags::tag(state, i)),
        UntagResource => call_no_output(ctx, request, |i| tags::untag(state, i)),
        ListTags => call(ctx, request, |i| tags::list(state, i)),
    }
}

/// A List call's page size (`MaxItems`, 1 to 10,000, 50 by default) and
/// the key its `Marker` decodes to.
pub(super) fn page_request(
    max_items: Option<i32>,
    marker: Option<&str>,
) -> Result<(usize, Option<String>), Error> {
    const LIMITS: PageLimits = PageLimits {
        min: 1,
        max: 10_000,
        default: 50,
    };
    paging::parse_page(max_items.map(i64::from), marker, LIMITS).map_err(|_| {
        Rule::InvalidParameter("The marker or MaxItems is not valid.".to_owned()).into()
    })
}

/// A failure inside a Lambda handler.
pub(crate) type Error = HandlerError<Rule>;

impl ErrorCode for Rule {
    fn shape(&self) -> Option<ballast_model::ErrorShape> {
        Some(match self {
            Rule::Validation(_) => return None,
            Rule::InvalidParameter(_) => errors::INVALID_PARAMETER_VALUE_EXCEPTION,
            Rule::NotFound(_) => errors::RESOURCE_NOT_FOUND_EXCEPTION,
            Rule::Conflict(_) => errors::RESOURCE_CONFLICT_EXCEPTION,
            Rule::PreconditionFailed(_) => errors::PRECONDITION_FAILED_EXCEPTION,
            Rule::InvalidRequestContent(_) => errors::INVALID_REQUEST_CONTENT_EXCEPTION,
            Rule::RequestTooLarge(_) => errors::REQUEST_TOO_LARGE_EXCEPTION,
            Rule::Service(_) => errors::SERVICE_EXCEPTION,
            Rule::Throttled => errors::TOO_MANY_REQUESTS_EXCEPTION,
        })
    }

    fn extra(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        // What AWS's throttle carries besides the message.
        matches!(self, Rule::Throttled).then(|| {
            serde_json::Map::from_iter([(
                "Reason".to_owned(),
                "ReservedFunctionConcurrentInvocationLimitExceeded".into(),
            )])
        })
    }

    const SERVICE: ballast_wire::Service = ballast_wire::Service::Lambda;
}
