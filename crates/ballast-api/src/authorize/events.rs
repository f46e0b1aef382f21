//! EventBridge: the rule or event bus a request names, as the Service
//! Authorization Reference lists them: the rule calls on the rule's ARN,
//! PutEvents and the bus calls on the bus's, the tag calls on
//! `ResourceARN`. ListRules, ListEventBuses and TestEventPattern are
//! decided on `*`.

use ballast_core::events::{bus, rule};
use serde_json::Value;

use super::{Access, Names, Resource, Unnamed, json_request_tags};

pub(super) fn access(names: &Names<'_>) -> Result<Access, Unnamed> {
    let Some(Value::Object(body)) = names.params::<Option<Value>>()? else {
        return Ok(Access::default());
    };
    let text = |key: &str| body.get(key).and_then(Value::as_str);
    let scope = &names.state.scope;
    let on_bus = || bus::bus_name(text("EventBusName"));
    let arns: Vec<String> = match names.operation() {
        "PutRule" | "DescribeRule" | "DeleteRule" | "EnableRule" | "DisableRule" => text("Name")
            .map(|name| rule::arn(scope, &on_bus(), name))
            .into_iter()
            .collect(),
        "PutTargets" | "RemoveTargets" | "ListTargetsByRule" => text("Rule")
            .map(|name| rule::arn(scope, &on_bus(), name))
            .into_iter()
            .collect(),
        "CreateEventBus" | "DeleteEventBus" | "DescribeEventBus" => {
            vec![bus::arn(scope, &bus::bus_name(text("Name")))]
        }
        "PutEvents" => put_events_buses(&body)
            .iter()
            .map(|name| bus::arn(scope, name))
            .collect(),
        "TagResource" | "UntagResource" | "ListTagsForResource" => {
            text("ResourceARN").map(str::to_owned).into_iter().collect()
        }
        _ => Vec::new(),
    };
    let resources = arns
        .into_iter()
        .map(|arn| Resource::tagged(names.tx, arn.clone(), &arn))
        .collect::<Result<_, _>>()?;
    Ok(Access::on(resources).with_request_tags(json_request_tags(&body)))
}

/// The buses a PutEvents request's entries go to, each once.
fn put_events_buses(body: &serde_json::Map<String, Value>) -> Vec<String> {
    let mut buses: Vec<String> = body
        .get("Entries")
        .and_then(Value::as_array)
        .map(|entries| {
            entries
                .iter()
                .map(|e| bus::bus_name(e.get("EventBusName").and_then(Value::as_str)))
                .collect()
        })
        .unwrap_or_default();
    buses.sort();
    buses.dedup();
    buses
}
