//! Tags set on groups after creation (CreateOrUpdateTags, DeleteTags),
//! DescribeTags across groups, and metrics collection (Enable/Disable,
//! DescribeMetricCollectionTypes): settings of a group that change no
//! instance.

use std::collections::BTreeMap;

use ballast_core::autoscaling::metrics::{self, GRANULARITY, METRICS};
use ballast_core::autoscaling::tags::{TagFilter, tagged_group};
use ballast_core::autoscaling::{Group, GroupTag};
use ballast_core::paging::page;
use ballast_model::autoscaling::*;
use ballast_store::Tx;

use super::{Error, change, live, paging, tag_view};
use crate::ApiState;

/// The tags of one call, by the group they name, checked.
fn by_group(tags: Vec<Tag>) -> Result<BTreeMap<String, Vec<GroupTag>>, Error> {
    let mut groups: BTreeMap<String, Vec<GroupTag>> = BTreeMap::new();
    for tag in tags {
        let name = tagged_group(tag.resource_id.as_deref(), tag.resource_type.as_deref())?;
        groups.entry(name.to_owned()).or_default().push(GroupTag {
            key: tag.key,
            value: tag.value.unwrap_or_default(),
            propagate: tag.propagate_at_launch.unwrap_or(false),
        });
    }
    Ok(groups)
}

/// Changes every group a call names in one transaction: all or nothing.
fn change_each(
    state: &ApiState,
    groups: BTreeMap<String, Vec<GroupTag>>,
    f: impl Fn(&mut Group, &[GroupTag]) -> Result<(), Error>,
) -> Result<(), Error> {
    state.store.write(|tx: &Tx<'_>| -> Result<(), Error> {
        for (name, tags) in &groups {
            let mut group = live(tx, name)?;
            f(&mut group, tags)?;
            tx.save_asg_group(&group)?;
        }
        Ok(())
    })
}

pub(super) fn create_or_update(
    state: &ApiState,
    input: CreateOrUpdateTagsInput,
) -> Result<(), Error> {
    change_each(state, by_group(input.tags)?, |group, tags| {
        Ok(group.put_tags(tags)?)
    })
}

pub(super) fn delete(state: &ApiState, input: DeleteTagsInput) -> Result<(), Error> {
    change_each(state, by_group(input.tags)?, |group, tags| {
        let keys: Vec<&str> = tags.iter().map(|t| t.key.as_str()).collect();
        group.remove_tags(&keys);
        Ok(())
    })
}

/// DescribeTags: every group's tags that pass the filters, by group name
/// and key; `MaxRecords` 1–100, 50 by default.
pub(super) fn describe(
    state: &ApiState,
    input: DescribeTagsInput,
) -> Result<DescribeTagsOutput, Error> {
    let (size, after) = paging(input.max_records, input.next_token.as_deref(), 50, 100)?;
    let filters: Vec<(String, Vec<String>)> = input
        .filters
        .unwrap_or_default()
        .into_iter()
        .map(|f| (f.name.unwrap_or_default(), f.values.unwrap_or_default()))
        .collect();
    let filter = TagFilter::parse(&filters)?;
    let mut groups = state.store.read(|tx| tx.asg_groups())?;
    groups.sort_by(|a, b| a.name.cmp(&b.name));
    let mut found: Vec<(String, TagDescription)> = Vec::new();
    for group in &groups {
        let mut tags: Vec<&GroupTag> = group
            .tags
            .iter()
            .filter(|t| filter.matches(&group.name, t))
            .collect();
        tags.sort_by(|a, b| a.key.cmp(&b.key));
        found.extend(
            tags.into_iter()
                .map(|t| (format!("{}\n{}", group.name, t.key), tag_view(group, t))),
        );
    }
    let (found, next_token) = page(found, |(key, _)| key.as_str(), after.as_deref(), size);
    Ok(DescribeTagsOutput {
        tags: Some(found.into_iter().map(|(_, tag)| tag).collect()),
        next_token,
    })
}

pub(super) fn enable_metrics(
    state: &ApiState,
    input: EnableMetricsCollectionInput,
) -> Result<(), Error> {
    metrics::check_granularity(&input.granularity)?;
    let named = metrics::named_metrics(input.metrics.as_deref())?;
    change(state, &input.auto_scaling_group_name, |_, group| {
        group.enable_metrics(&named);
        Ok(())
    })
}

pub(super) fn disable_metrics(
    state: &ApiState,
    input: DisableMetricsCollectionInput,
) -> Result<(), Error> {
    let named = metrics::named_metrics(input.metrics.as_deref())?;
    change(state, &input.auto_scaling_group_name, |_, group| {
        group.disable_metrics(&named);
        Ok(())
    })
}

pub(super) fn metric_collection_types() -> DescribeMetricCollectionTypesOutput {
    DescribeMetricCollectionTypesOutput {
        metrics: Some(
            METRICS
                .iter()
                .map(|m| MetricCollectionType {
                    metric: Some((*m).to_owned()),
                })
                .collect(),
        ),
        granularities: Some(vec![MetricGranularityType {
            granularity: Some(GRANULARITY.to_owned()),
        }]),
    }
}
