//! OpsCenter: CreateOpsItem, GetOpsItem, UpdateOpsItem, DeleteOpsItem and
//! DescribeOpsItems over `ballast_core::ssm::ops_item`. Tags given at
//! creation go in the store's `tags` table under the item's ARN, where
//! AddTagsToResource (`ResourceType=OpsItem`) finds them.

use std::collections::BTreeMap;

use ballast_core::paging;
use ballast_core::ssm::ops_item::{
    self as oi, CreateRequest, DataValue, Error as Rule, Filter, OpsItem, Times, Update,
};
use ballast_core::tags;
use ballast_model::ssm::{
    CreateOpsItemInput, CreateOpsItemOutput, DeleteOpsItemInput, DeleteOpsItemOutput,
    DescribeOpsItemsInput, DescribeOpsItemsOutput, GetOpsItemInput, GetOpsItemOutput,
    OpsItem as WireItem, OpsItemDataType, OpsItemDataValue, OpsItemNotification, OpsItemSummary,
    RelatedOpsItem, UpdateOpsItemInput, UpdateOpsItemOutput, errors,
};
use ballast_wire::Timestamp;

use crate::error::{ErrorCode, HandlerError};
use crate::{ApiState, RequestContext};

/// A failure inside an OpsItem handler.
pub(crate) type Error = HandlerError<Rule>;

impl ErrorCode for Rule {
    fn shape(&self) -> Option<ballast_model::ErrorShape> {
        Some(match self {
            Rule::InvalidParameter { .. } => errors::OPS_ITEM_INVALID_PARAMETER_EXCEPTION,
            Rule::NotFound(_) => errors::OPS_ITEM_NOT_FOUND_EXCEPTION,
            Rule::AccessDenied(_) => errors::OPS_ITEM_ACCESS_DENIED_EXCEPTION,
            Rule::Validation(_) | Rule::InvalidArgument(_) => return None,
        })
    }

    /// A filter OpsCenter cannot apply is its own unmodelled error, as
    /// AWS answers it.
    fn code(&self) -> &'static str {
        match self {
            Rule::InvalidArgument(_) => "OpsCenterInvalidArgumentException",
            _ => self
                .shape()
                .map_or(Self::SERVICE.validation_error_code(), |shape| shape.code),
        }
    }

    /// `ParameterNames`, beside the message.
    fn extra(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        let Rule::InvalidParameter { parameters, .. } = self else {
            return None;
        };
        let mut extra = serde_json::Map::new();
        extra.insert("ParameterNames".to_owned(), serde_json::json!(parameters));
        Some(extra)
    }

    const SERVICE: ballast_wire::Service = ballast_wire::Service::Ssm;
}

/// The page size DescribeOpsItems uses when the request names none, and
/// its most (the model's range).
const PAGE: usize = 50;

/// An OpsItem's ARN.
pub(crate) fn ops_item_arn(state: &ApiState, id: &str) -> String {
    format!(
        "arn:aws:ssm:{}:{}:opsitem/{id}",
        state.scope.region, state.scope.account
    )
}

pub(super) fn create(
    state: &ApiState,
    ctx: &RequestContext,
    input: CreateOpsItemInput,
) -> Result<CreateOpsItemOutput, Error> {
    if let Some(account) = input.account_id.as_ref()
        && *account != state.scope.account
    {
        return Err(Rule::AccessDenied(format!(
            "OpsItems can't be created in account {account} from account {}.",
            state.scope.account
        ))
        .into());
    }
    let new_tags = input
        .tags
        .clone()
        .map(crate::tags::to_core)
        .unwrap_or_default();
    tags::validate(&new_tags).map_err(|e| Rule::Validation(e.to_string()))?;
    let item = CreateRequest {
        ops_item_type: input.ops_item_type,
        title: input.title,
        description: input.description,
        source: input.source,
        priority: input.priority,
        category: input.category,
        severity: input.severity,
        operational_data: core_data(input.operational_data),
        notifications: notification_arns(input.notifications),
        related: related_ids(input.related_ops_items),
        times: times(
            input.actual_start_time,
            input.actual_end_time,
            input.planned_start_time,
            input.planned_end_time,
        ),
    }
    .apply(
        oi::new_id(&state.ids),
        &ctx.principal_arn,
        state.now().millis(),
    )?;
    let arn = ops_item_arn(state, &item.id);
    state.store.write(|tx| -> Result<_, Error> {
        tx.save_ops_item(&item)?;
        tx.put_tags(&arn, &tags::pairs(&new_tags))?;
        Ok(())
    })?;
    Ok(CreateOpsItemOutput {
        ops_item_id: Some(item.id),
        ops_item_arn: Some(arn),
    })
}

pub(super) fn get(state: &ApiState, input: GetOpsItemInput) -> Result<GetOpsItemOutput, Error> {
    let item = state
        .store
        .read(|tx| tx.ops_item(&input.ops_item_id))?
        .ok_or_else(|| Rule::NotFound(input.ops_item_id.clone()))?;
    Ok(GetOpsItemOutput {
        ops_item: Some(view(state, item)),
    })
}

pub(super) fn update(
    state: &ApiState,
    ctx: &RequestContext,
    input: UpdateOpsItemInput,
) -> Result<UpdateOpsItemOutput, Error> {
    let change = Update {
        title: input.title,
        description: input.description,
        status: input.status.map(|s| s.as_str().to_owned()),
        priority: input.priority,
        category: input.category,
        severity: input.severity,
        operational_data: core_data(input.operational_data),
        operational_data_to_delete: input.operational_data_to_delete.unwrap_or_default(),
        notifications: input.notifications.map(|n| notification_arns(Some(n))),
        related: input.related_ops_items.map(|r| related_ids(Some(r))),
        times: times(
            input.actual_start_time,
            input.actual_end_time,
            input.planned_start_time,
            input.planned_end_time,
        ),
    };
    let now = state.now().millis();
    state.store.write(|tx| -> Result<_, Error> {
        let mut item = tx
            .ops_item(&input.ops_item_id)?
            .ok_or_else(|| Rule::NotFound(input.ops_item_id.clone()))?;
        change.apply(&mut item, &ctx.principal_arn, now)?;
        tx.save_ops_item(&item)?;
        Ok(UpdateOpsItemOutput {})
    })
}

/// DeleteOpsItem: idempotent, as AWS documents it; an id that names no
/// item succeeds too.
pub(super) fn delete(
    state: &ApiState,
    input: DeleteOpsItemInput,
) -> Result<DeleteOpsItemOutput, Error> {
    let arn = ops_item_arn(state, &input.ops_item_id);
    state.store.write(|tx| -> Result<_, Error> {
        if tx.delete_ops_item(&input.ops_item_id)? {
            tx.clear_tags(&arn)?;
        }
        Ok(DeleteOpsItemOutput {})
    })
}

/// DescribeOpsItems: the items every filter passes, newest first.
pub(super) fn describe(
    state: &ApiState,
    input: DescribeOpsItemsInput,
) -> Result<DescribeOpsItemsOutput, Error> {
    let filters = input
        .ops_item_filters
        .unwrap_or_default()
        .into_iter()
        .map(|f| Filter::parse(f.key.as_str(), f.operator.as_str(), f.values))
        .collect::<Result<Vec<_>, _>>()?;
    let size = input
        .max_results
        .and_then(|n| usize::try_from(n).ok())
        .map_or(PAGE, |n| n.clamp(1, PAGE));
    let after = paging::page_after(input.next_token.as_deref())
        .map_err(|_| Rule::Validation("The NextToken is not valid.".to_owned()))?;
    // Keyed newest first by (creation time, id): a page resumes after
    // its last item's place even when that item has since changed or gone.
    let mut items: Vec<(String, OpsItem)> = state
        .store
        .read(|tx| tx.ops_items())?
        .into_iter()
        .filter(|item| oi::matches_all(item, &filters))
        .map(|item| (page_key(&item), item))
        .collect();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let (page, next_token) = paging::page(items, |(key, _)| key, after.as_deref(), size);
    Ok(DescribeOpsItemsOutput {
        ops_item_summaries: Some(page.into_iter().map(|(_, item)| summary(item)).collect()),
        next_token,
    })
}

/// An item's place in DescribeOpsItems' order, newest first: the time
/// counted down from the end of time, then the id.
fn page_key(item: &OpsItem) -> String {
    format!("{:020}:{}", i64::MAX - item.created_millis.max(0), item.id)
}

fn core_data(data: Option<BTreeMap<String, OpsItemDataValue>>) -> BTreeMap<String, DataValue> {
    data.unwrap_or_default()
        .into_iter()
        .map(|(key, value)| {
            let searchable = value.r#type == Some(OpsItemDataType::SearchableString);
            let value = DataValue {
                value: value.value.unwrap_or_default(),
                searchable,
            };
            (key, value)
        })
        .collect()
}

/// Operational data as the wire shows it; DescribeOpsItems shows only the
/// searchable entries.
fn wire_data(
    data: &BTreeMap<String, DataValue>,
    searchable_only: bool,
) -> BTreeMap<String, OpsItemDataValue> {
    data.iter()
        .filter(|(_, v)| v.searchable || !searchable_only)
        .map(|(key, v)| {
            let kind = if v.searchable {
                OpsItemDataType::SearchableString
            } else {
                OpsItemDataType::String
            };
            let value = OpsItemDataValue {
                value: Some(v.value.clone()),
                r#type: Some(kind),
            };
            (key.clone(), value)
        })
        .collect()
}

fn notification_arns(notifications: Option<Vec<OpsItemNotification>>) -> Vec<String> {
    notifications
        .unwrap_or_default()
        .into_iter()
        .filter_map(|n| n.arn)
        .collect()
}

fn related_ids(related: Option<Vec<RelatedOpsItem>>) -> Vec<String> {
    related
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.ops_item_id)
        .collect()
}

fn times(
    actual_start: Option<Timestamp>,
    actual_end: Option<Timestamp>,
    planned_start: Option<Timestamp>,
    planned_end: Option<Timestamp>,
) -> Times {
    Times {
        actual_start: actual_start.map(Timestamp::millis),
        actual_end: actual_end.map(Timestamp::millis),
        planned_start: planned_start.map(Timestamp::millis),
        planned_end: planned_end.map(Timestamp::millis),
    }
}

fn at(millis: Option<i64>) -> Option<Timestamp> {
    millis.map(Timestamp::from_millis)
}

fn view(state: &ApiState, item: OpsItem) -> WireItem {
    WireItem {
        ops_item_arn: Some(ops_item_arn(state, &item.id)),
        operational_data: Some(wire_data(&item.operational_data, false)),
        notifications: Some(
            item.notifications
                .into_iter()
                .map(|arn| OpsItemNotification { arn: Some(arn) })
                .collect(),
        ),
        related_ops_items: Some(
            item.related
                .into_iter()
                .map(|ops_item_id| RelatedOpsItem { ops_item_id })
                .collect(),
        ),
        created_by: Some(item.created_by),
        ops_item_type: Some(item.ops_item_type),
        created_time: Some(Timestamp::from_millis(item.created_millis)),
        description: Some(item.description),
        last_modified_by: Some(item.last_modified_by),
        last_modified_time: Some(Timestamp::from_millis(item.last_modified_millis)),
        priority: item.priority,
        status: Some(item.status.as_str().into()),
        ops_item_id: Some(item.id),
        version: Some(item.version.to_string()),
        title: Some(item.title),
        source: Some(item.source),
        category: item.category,
        severity: item.severity,
        actual_start_time: at(item.times.actual_start),
        actual_end_time: at(item.times.actual_end),
        planned_start_time: at(item.times.planned_start),
        planned_end_time: at(item.times.planned_end),
    }
}

fn summary(item: OpsItem) -> OpsItemSummary {
    OpsItemSummary {
        operational_data: Some(wire_data(&item.operational_data, true)),
        created_by: Some(item.created_by),
        created_time: Some(Timestamp::from_millis(item.created_millis)),
        last_modified_by: Some(item.last_modified_by),
        last_modified_time: Some(Timestamp::from_millis(item.last_modified_millis)),
        priority: item.priority,
        source: Some(item.source),
        status: Some(item.status.as_str().into()),
        ops_item_id: Some(item.id),
        title: Some(item.title),
        category: item.category,
        severity: item.severity,
        ops_item_type: Some(item.ops_item_type),
        actual_start_time: at(item.times.actual_start),
        actual_end_time: at(item.times.actual_end),
        planned_start_time: at(item.times.planned_start),
        planned_end_time: at(item.times.planned_end),
    }
}
