//! Amazon EventBridge (awsJson 1.1): event buses, rules and their targets,
//! PutEvents, TestEventPattern, and the tags of buses and rules.

mod buses;
mod put_events;
mod rules;
mod tags;

use ballast_core::events::Error as Rule;
use ballast_core::paging::{PageError, PageLimits, parse_page};
use ballast_model::events::errors;

use crate::dispatch::{call, call_no_output, routes};
use crate::error::{ErrorCode, HandlerError};

routes! {
    /// The EventBridge operations Ballast implements.
    pub enum Operation;

    /// Routes an EventBridge request to its handler.
    fn handle(state, ctx, request) {
        PutRule => call(ctx, request, |i| rules::put(state, i)),
        DescribeRule => call(ctx, request, |i| rules::describe(state, i)),
        ListRules => call(ctx, request, |i| rules::list(state, i)),
        EnableRule => call_no_output(ctx, request, |i| rules::enable(state, i)),
        DisableRule => call_no_output(ctx, request, |i| rules::disable(state, i)),
        DeleteRule => call_no_output(ctx, request, |i| rules::delete(state, i)),
        PutTargets => call(ctx, request, |i| rules::put_targets(state, i)),
        ListTargetsByRule => call(ctx, request, |i| rules::list_targets(state, i)),
        RemoveTargets => call(ctx, request, |i| rules::remove_targets(state, i)),
        ListRuleNamesByTarget => call(ctx, request, |i| rules::names_by_target(state, i)),
        TestEventPattern => call(ctx, request, rules::test_event_pattern),
        PutEvents => call(ctx, request, |i| put_events::put(state, i)),
        CreateEventBus => call(ctx, request, |i| buses::create(state, i)),
        DescribeEventBus => call(ctx, request, |i| buses::describe(state, i)),
        DeleteEventBus => call_no_output(ctx, request, |i| buses::delete(state, i)),
        ListEventBuses => call(ctx, request, |i| buses::list(state, i)),
        TagResource => call(ctx, request, |i| tags::tag(state, i)),
        UntagResource => call(ctx, request, |i| tags::untag(state, i)),
        ListTagsForResource => call(ctx, request, |i| tags::list(state, i)),
    }
}

/// A failure inside an EventBridge handler.
pub(crate) type Error = HandlerError<Rule>;

impl ErrorCode for Rule {
    /// Validation is the protocol's error, not a shape in the model.
    fn shape(&self) -> Option<ballast_model::ErrorShape> {
        Some(match self {
            Rule::Validation(_) => return None,
            Rule::NotFound(_) => errors::RESOURCE_NOT_FOUND_EXCEPTION,
            Rule::AlreadyExists(_) => errors::RESOURCE_ALREADY_EXISTS_EXCEPTION,
            Rule::InvalidEventPattern(_) => errors::INVALID_EVENT_PATTERN_EXCEPTION,
            Rule::LimitExceeded(_) => errors::LIMIT_EXCEEDED_EXCEPTION,
        })
    }

    const SERVICE: ballast_wire::Service = ballast_wire::Service::Events;
}

/// The List operations' `Limit` (1–100) and `NextToken`.
fn page(limit: Option<i32>, token: Option<&str>) -> Result<(usize, Option<String>), Rule> {
    const LIMITS: PageLimits = PageLimits {
        min: 1,
        max: 100,
        default: 100,
    };
    parse_page(limit.map(i64::from), token, LIMITS).map_err(|error| {
        Rule::Validation(match error {
            PageError::Size { value, .. } => {
                format!("Parameter Limit is not valid: {value} is not between 1 and 100.")
            }
            PageError::Token(_) => "The NextToken is not valid.".to_owned(),
        })
    })
}
