//! GetItem, Query and Scan.
//!
//! Query and Scan read a page by streaming rows from the store in key
//! order and stop at `Limit` items evaluated or 1 MB read, whichever comes
//! first; `LastEvaluatedKey` is then the last evaluated item's key (table
//! key plus index key when reading an index), from which the next page's
//! `ExclusiveStartKey` resumes.

use ballast_core::dynamodb::expr::key_condition;
use ballast_core::dynamodb::expr::{self, Condition, Kind, Path, PathElem, Placeholders, parse};
use ballast_core::dynamodb::key::{KeyDef, segment_buckets};
use ballast_core::dynamodb::table::{Index, ProjectionKind};
use ballast_core::dynamodb::{Item, MAX_PAGE_BYTES, Table};
use ballast_store::{DdbRow, DdbScanRange, DdbStartAfter, StoreError};

use super::model::*;
use super::writes::{checked_item, checked_key, refuse_legacy};
use super::{Error, active_table, invalid};
use crate::ApiState;

/// `AttributesToGet` as the projection it means: top-level attributes.
fn attributes_to_get(names: Option<&Vec<String>>) -> Option<Vec<Path>> {
    names.map(|names| {
        names
            .iter()
            .map(|n| Path(vec![PathElem::Name(n.clone())]))
            .collect()
    })
}

/// Parses the projection of a read: `ProjectionExpression`, or the legacy
/// `AttributesToGet` (not both).
pub(super) fn parse_projection(
    expression: Option<&str>,
    attributes: Option<&Vec<String>>,
    placeholders: &mut Placeholders<'_>,
) -> Result<Option<Vec<Path>>, Error> {
    match (expression, attributes) {
        (Some(_), Some(_)) => Err(invalid(
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}",
        )),
        (Some(text), None) => Ok(Some(parse::projection(text, placeholders)?)),
        (None, attributes) => Ok(attributes_to_get(attributes)),
    }
}

pub(super) fn project(item: Item, paths: Option<&Vec<Path>>) -> Item {
    match paths {
        Some(paths) => expr::eval::project(&item, paths),
        None => item,
    }
}

pub(super) fn get(state: &ApiState, input: GetItemInput) -> Result<GetItemOutput, Error> {
    let mut placeholders = Placeholders::new(input.expression_attribute_names.as_ref(), None)?;
    let projection = parse_projection(
        input.projection_expression.as_deref(),
        input.attributes_to_get.as_ref(),
        &mut placeholders,
    )?;
    placeholders.finish()?;
    state.store.read(|tx| {
        let (id, table) = active_table(state, tx, &input.table_name)?;
        let key = checked_key(&table, &input.key)?;
        let item = tx.ddb_item(id, &key)?;
        Ok(GetItemOutput {
            item: item.map(|i| project(i, projection.as_ref())),
        })
    })
}

/// `Select`: what a page returns of each item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Select {
    AllAttributes,
    AllProjected,
    Specific,
    Count,
}

/// Parses `Select`. Without one, a read returns the projection asked
/// for, else every attribute of a table or every projected attribute of an
/// index, as on AWS.
fn select(text: Option<&str>, has_projection: bool, on_index: bool) -> Result<Select, Error> {
    let parsed = match text {
        None if has_projection => Select::Specific,
        None if on_index => Select::AllProjected,
        None => Select::AllAttributes,
        Some("ALL_ATTRIBUTES") => Select::AllAttributes,
        Some("ALL_PROJECTED_ATTRIBUTES") => Select::AllProjected,
        Some("SPECIFIC_ATTRIBUTES") => Select::Specific,
        Some("COUNT") => Select::Count,
        Some(other) => {
            return Err(invalid(format!(
                "1 validation error detected: Value '{other}' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES]"
            )));
        }
    };
    if has_projection && parsed != Select::Specific {
        return Err(invalid(
            "Cannot specify the AttributesToGet or ProjectionExpression when choosing to get ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES or COUNT",
        ));
    }
    Ok(parsed)
}

fn limit(value: Option<i64>) -> Result<Option<usize>, Error> {
    match value {
        None => Ok(None),
        Some(n) if n >= 1 => Ok(Some(n as usize)),
        Some(n) => Err(invalid(format!(
            "1 validation error detected: Value '{n}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
        ))),
    }
}

/// The index a read names, if any, checked against the table.
fn index<'t>(table: &'t Table, name: Option<&str>) -> Result<Option<&'t Index>, Error> {
    match name {
        None => Ok(None),
        Some(name) => table.index(name).map(Some).ok_or_else(|| {
            invalid(format!(
                "The table does not have the specified index: {name}"
            ))
        }),
    }
}

/// The position an `ExclusiveStartKey` names: the table key, plus the
/// index key when reading an index.
fn start_after(
    table: &Table,
    index: Option<&Index>,
    start: Option<&Item>,
) -> Result<Option<DdbStartAfter>, Error> {
    let Some(start) = start else {
        return Ok(None);
    };
    let bad = || {
        invalid(
            "The provided starting key is invalid: The provided key element does not match the schema",
        )
    };
    let start = checked_item(start.clone())?;
    let table_part = table.key.key_of(&start);
    let table_key = table.key.exact_key(&table_part).map_err(|_| bad())?;
    let index_key = match index {
        Some(index) => Some(index.key.index_key(&start).ok_or_else(bad)?),
        None => None,
    };
    let expected = table
        .key
        .names()
        .chain(index.iter().flat_map(|i| i.key.names()))
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    if start.len() != expected {
        return Err(bad());
    }
    Ok(Some(DdbStartAfter {
        table: table_key,
        index: index_key,
    }))
}

/// Accumulates one page of a Query or Scan.
struct Page<'a> {
    table: &'a Table,
    index: Option<&'a Index>,
    /// Project through the index's projection (index reads of a global
    /// index or ALL_PROJECTED_ATTRIBUTES).
    index_projection: bool,
    filter: Option<&'a Condition>,
    projection: Option<&'a Vec<Path>>,
    select: Select,
    limit: Option<usize>,
    items: Vec<Item>,
    count: i64,
    scanned: usize,
    bytes: usize,
    last_key: Option<Item>,
}

impl Page<'_> {
    /// Takes one row; returns whether to read another.
    fn visit(&mut self, row: DdbRow) -> Result<bool, StoreError> {
        self.scanned += 1;
        self.bytes += row.size;
        let item = match (self.index, self.index_projection) {
            (Some(index), true) => index.project(&self.table.key, &row.item),
            _ => row.item,
        };
        if self.filter.is_none_or(|f| expr::eval::matches(f, &item)) {
            self.count += 1;
            if self.select != Select::Count {
                self.items.push(project(item.clone(), self.projection));
            }
        }
        let full = self.limit.is_some_and(|l| self.scanned >= l) || self.bytes >= MAX_PAGE_BYTES;
        if full {
            let mut key = self.table.key.key_of(&item);
            if let Some(index) = self.index {
                key.extend(index.key.key_of(&item));
            }
            self.last_key = Some(key);
        }
        Ok(!full)
    }

    fn output(self) -> ReadOutput {
        ReadOutput {
            items: (self.select != Select::Count).then_some(self.items),
            count: self.count,
            scanned_count: self.scanned as i64,
            last_evaluated_key: self.last_key,
        }
    }
}

/// Whether reads of this index are limited to its projection, and checks
/// `Select` against it.
fn index_projection(index: Option<&Index>, global: bool, select: Select) -> Result<bool, Error> {
    let Some(index) = index else {
        return Ok(false);
    };
    let partial = !matches!(index.projection, ProjectionKind::All);
    if partial && global && select == Select::AllAttributes {
        return Err(invalid(format!(
            "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index {} because its projection type is not ALL",
            index.name
        )));
    }
    // A local index fetches unprojected attributes from the table, as on
    // AWS, unless only projected attributes were asked for.
    Ok(partial && (global || select == Select::AllProjected))
}

fn is_global(table: &Table, index: Option<&Index>) -> bool {
    index.is_some_and(|i| table.global_indexes.iter().any(|g| g.name == i.name))
}

pub(super) fn query(state: &ApiState, input: QueryInput) -> Result<ReadOutput, Error> {
    refuse_legacy("KeyConditions", input.key_conditions.is_some())?;
    refuse_legacy("QueryFilter", input.query_filter.is_some())?;
    let limit = limit(input.limit)?;
    let mut placeholders = Placeholders::new(
        input.expression_attribute_names.as_ref(),
        input.expression_attribute_values.as_ref(),
    )?;
    let Some(key_text) = input.key_condition_expression.as_deref() else {
        return Err(invalid(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
        ));
    };
    let key_condition = parse::condition(key_text, Kind::KeyCondition, &mut placeholders)?;
    let filter = input
        .filter_expression
        .as_deref()
        .map(|t| parse::condition(t, Kind::Filter, &mut placeholders))
        .transpose()?;
    let projection = parse_projection(
        input.projection_expression.as_deref(),
        input.attributes_to_get.as_ref(),
        &mut placeholders,
    )?;
    placeholders.finish()?;
    let select = select(
        input.select.as_deref(),
        projection.is_some(),
        input.index_name.is_some(),
    )?;
    state.store.read(|tx| {
        let (id, table) = active_table(state, tx, &input.table_name)?;
        let index = index(&table, input.index_name.as_deref())?;
        let global = is_global(&table, index);
        if global && input.consistent_read == Some(true) {
            return Err(invalid(
                "Consistent reads are not supported on global secondary indexes",
            ));
        }
        let key_def: &KeyDef = index.map_or(&table.key, |i| &i.key);
        let reduced = key_condition::reduce(&key_condition, key_def)?;
        let start = start_after(&table, index, input.exclusive_start_key.as_ref())?;
        let mut page = Page {
            table: &table,
            index,
            index_projection: index_projection(index, global, select)?,
            filter: filter.as_ref(),
            projection: projection.as_ref(),
            select,
            limit,
            items: Vec::new(),
            count: 0,
            scanned: 0,
            bytes: 0,
            last_key: None,
        };
        tx.query_ddb(
            id,
            index.map(|i| i.name.as_str()),
            &reduced,
            input.scan_index_forward.unwrap_or(true),
            start.as_ref(),
            |row| page.visit(row),
        )?;
        Ok(page.output())
    })
}

pub(super) fn scan(state: &ApiState, input: ScanInput) -> Result<ReadOutput, Error> {
    refuse_legacy("ScanFilter", input.scan_filter.is_some())?;
    let limit = limit(input.limit)?;
    let buckets = match (input.segment, input.total_segments) {
        (None, None) => (0, 1u64 << 32),
        (Some(_), None) => {
            return Err(invalid(
                "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
            ));
        }
        (None, Some(_)) => {
            return Err(invalid(
                "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
            ));
        }
        (Some(segment), Some(total)) => {
            if !(1..=1_000_000).contains(&total) {
                return Err(invalid(format!(
                    "1 validation error detected: Value '{total}' at 'totalSegments' failed to satisfy constraint: Member must have value {}",
                    if total < 1 {
                        "greater than or equal to 1"
                    } else {
                        "less than or equal to 1000000"
                    }
                )));
            }
            if segment < 0 {
                return Err(invalid(format!(
                    "1 validation error detected: Value '{segment}' at 'segment' failed to satisfy constraint: Member must have value greater than or equal to 0"
                )));
            }
            if segment >= total {
                return Err(invalid(format!(
                    "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {segment} is not less than TotalSegments: {total}"
                )));
            }
            segment_buckets(segment as u32, total as u32)
        }
    };
    let mut placeholders = Placeholders::new(
        input.expression_attribute_names.as_ref(),
        input.expression_attribute_values.as_ref(),
    )?;
    let filter = input
        .filter_expression
        .as_deref()
        .map(|t| parse::condition(t, Kind::Filter, &mut placeholders))
        .transpose()?;
    let projection = parse_projection(
        input.projection_expression.as_deref(),
        input.attributes_to_get.as_ref(),
        &mut placeholders,
    )?;
    placeholders.finish()?;
    let select = select(
        input.select.as_deref(),
        projection.is_some(),
        input.index_name.is_some(),
    )?;
    state.store.read(|tx| {
        let (id, table) = active_table(state, tx, &input.table_name)?;
        let index = index(&table, input.index_name.as_deref())?;
        let global = is_global(&table, index);
        let start = start_after(&table, index, input.exclusive_start_key.as_ref())?;
        let mut page = Page {
            table: &table,
            index,
            index_projection: index_projection(index, global, select)?,
            filter: filter.as_ref(),
            projection: projection.as_ref(),
            select,
            limit,
            items: Vec::new(),
            count: 0,
            scanned: 0,
            bytes: 0,
            last_key: None,
        };
        tx.scan_ddb(
            id,
            &DdbScanRange {
                index: index.map(|i| i.name.as_str()),
                buckets,
                start_after: start,
            },
            |row| page.visit(row),
        )?;
        Ok(page.output())
    })
}
