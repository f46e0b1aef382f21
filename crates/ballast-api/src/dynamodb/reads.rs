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
use std::collections::BTreeMap;
use std::sync::Arc;

use ballast_core::dynamodb::value::item_size;
use ballast_core::dynamodb::{Item, MAX_PAGE_BYTES, Table};
use ballast_model::dynamodb::{
    GetItemInput, GetItemOutput, QueryInput, QueryOutput, ScanInput, ScanOutput,
    Select as WireSelect,
};
use ballast_store::{DdbRow, DdbScanRange, DdbStartAfter, StoreError, Tx};

use super::values::{WireItem, item_opt, wire_item};
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
fn parse_projection(
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

/// Parses the projection of a read by key (GetItem, BatchGetItem,
/// TransactGetItems), whose only placeholders are names.
pub(super) fn parse_get(
    names: Option<&BTreeMap<String, String>>,
    expression: Option<&str>,
    attributes: Option<&Vec<String>>,
) -> Result<Option<Vec<Path>>, Error> {
    let mut placeholders = Placeholders::new(names, None)?;
    let projection = parse_projection(expression, attributes, &mut placeholders)?;
    placeholders.finish()?;
    Ok(projection)
}

/// An item as a read returns it: projected, on the wire.
pub(super) fn project(item: Item, paths: Option<&Vec<Path>>) -> WireItem {
    wire_item(match paths {
        Some(paths) => expr::eval::project(&item, paths),
        None => item,
    })
}

pub(super) fn get(state: &ApiState, input: GetItemInput) -> Result<GetItemOutput, Error> {
    let projection = parse_get(
        input.expression_attribute_names.as_ref(),
        input.projection_expression.as_deref(),
        input.attributes_to_get.as_ref(),
    )?;
    let load = |tx: &Tx<'_>, key: WireItem| -> Result<Option<Item>, Error> {
        let (id, table) = active_table(state, tx, &input.table_name)?;
        let (_, key) = checked_key(&table, key)?;
        Ok(tx.ddb_item(id, &key)?)
    };
    // The key as sent names the item: a BTreeMap serializes in one order.
    let item = match serde_json::to_string(&input.key) {
        Ok(sent) => state.memos.items.get_kept_if(
            &state.store,
            &(input.table_name.clone(), sent),
            |tx| load(tx, input.key),
            |item| {
                item.as_ref()
                    .is_none_or(|i| item_size(i) <= MEMO_ITEM_BYTES)
            },
        )?,
        Err(_) => Arc::new(state.store.read(|tx| load(tx, input.key))?),
    };
    Ok(GetItemOutput {
        item: Option::as_ref(&item).map(|i| project(i.clone(), projection.as_ref())),
        ..Default::default()
    })
}

/// The largest item GetItem keeps in its memo; larger ones are read each
/// time, so the memo stays within a few MiB.
const MEMO_ITEM_BYTES: usize = 4 * 1024;

/// `Select`: what a page returns of each item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Select {
    AllAttributes,
    AllProjected,
    Specific,
    Count,
}

/// Reads `Select` (the model has refused values outside its enum).
/// Without one, a read returns the projection asked for, else every
/// attribute of a table or every projected attribute of an index, as on
/// AWS.
fn select(
    value: Option<&WireSelect>,
    has_projection: bool,
    on_index: bool,
) -> Result<Select, Error> {
    let parsed = match value {
        None if has_projection => Select::Specific,
        None if on_index => Select::AllProjected,
        None => Select::AllAttributes,
        Some(WireSelect::AllAttributes) => Select::AllAttributes,
        Some(WireSelect::AllProjectedAttributes) => Select::AllProjected,
        Some(WireSelect::SpecificAttributes) => Select::Specific,
        Some(WireSelect::Count) => Select::Count,
        Some(WireSelect::Unknown(other)) => {
            return Err(invalid(format!("Unknown Select type: {other}")));
        }
    };
    if has_projection && parsed != Select::Specific {
        return Err(invalid(
            "Cannot specify the AttributesToGet or ProjectionExpression when choosing to get ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES or COUNT",
        ));
    }
    Ok(parsed)
}

/// What Query and Scan share, parsed before the read: the expressions
/// (with every placeholder used), `Select` and `Limit`.
struct ReadSpec {
    /// Query's key condition.
    key_condition: Option<Condition>,
    filter: Option<Condition>,
    projection: Option<Vec<Path>>,
    select: Select,
    limit: Option<usize>,
}

/// A Query's or Scan's parameters, as `ReadSpec::parse` reads them.
struct ReadParams<'a> {
    names: Option<&'a BTreeMap<String, String>>,
    values: Option<WireItem>,
    key_condition: Option<&'a str>,
    filter: Option<&'a str>,
    projection: Option<&'a str>,
    attributes_to_get: Option<&'a Vec<String>>,
    select: Option<&'a WireSelect>,
    /// The model bounds `Limit` below by 1.
    limit: Option<i32>,
    on_index: bool,
}

/// The `ReadParams` of a Query or a Scan input (generated types whose
/// members share their names), with Query's key condition.
macro_rules! read_params {
    ($input:ident, $key_condition:expr) => {
        ReadParams {
            names: $input.expression_attribute_names.as_ref(),
            values: $input.expression_attribute_values,
            key_condition: $key_condition,
            filter: $input.filter_expression.as_deref(),
            projection: $input.projection_expression.as_deref(),
            attributes_to_get: $input.attributes_to_get.as_ref(),
            select: $input.select.as_ref(),
            limit: $input.limit,
            on_index: $input.index_name.is_some(),
        }
    };
}

impl ReadSpec {
    fn parse(params: ReadParams<'_>) -> Result<ReadSpec, Error> {
        let values = item_opt(params.values);
        let mut placeholders = Placeholders::new(params.names, values.as_ref())?;
        let key_condition = params
            .key_condition
            .map(|text| parse::condition(text, Kind::KeyCondition, &mut placeholders))
            .transpose()?;
        let filter = params
            .filter
            .map(|text| parse::condition(text, Kind::Filter, &mut placeholders))
            .transpose()?;
        let projection = parse_projection(
            params.projection,
            params.attributes_to_get,
            &mut placeholders,
        )?;
        placeholders.finish()?;
        let select = select(params.select, projection.is_some(), params.on_index)?;
        Ok(ReadSpec {
            key_condition,
            filter,
            projection,
            select,
            limit: params.limit.map(|n| n.max(1) as usize),
        })
    }

    /// An empty page of this read on `index` (or the table).
    fn page<'a>(&'a self, table: &'a Table, index: Option<&'a Index>) -> Result<Page<'a>, Error> {
        Ok(Page {
            table,
            index,
            index_projection: index_projection(index, is_global(table, index), self.select)?,
            filter: self.filter.as_ref(),
            projection: self.projection.as_ref(),
            select: self.select,
            limit: self.limit,
            items: Vec::new(),
            count: 0,
            scanned: 0,
            bytes: 0,
            last_key: None,
        })
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
    start: Option<WireItem>,
) -> Result<Option<DdbStartAfter>, Error> {
    let Some(start) = start else {
        return Ok(None);
    };
    let bad = || {
        invalid(
            "The provided starting key is invalid: The provided key element does not match the schema",
        )
    };
    let start = checked_item(start)?;
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
    items: Vec<WireItem>,
    count: i32,
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

    /// (`Items`, `Count`, `ScannedCount`, `LastEvaluatedKey`).
    fn output(self) -> (Option<Vec<WireItem>>, i32, i32, Option<WireItem>) {
        (
            (self.select != Select::Count).then_some(self.items),
            self.count,
            i32::try_from(self.scanned).unwrap_or(i32::MAX),
            self.last_key.map(wire_item),
        )
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

fn no_key_condition() -> Error {
    invalid(
        "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
    )
}

pub(super) fn query(state: &ApiState, input: QueryInput) -> Result<QueryOutput, Error> {
    refuse_legacy("KeyConditions", input.key_conditions.is_some())?;
    refuse_legacy("QueryFilter", input.query_filter.is_some())?;
    refuse_legacy("ConditionalOperator", input.conditional_operator.is_some())?;
    if input.key_condition_expression.is_none() {
        return Err(no_key_condition());
    }
    let spec = ReadSpec::parse(read_params!(
        input,
        input.key_condition_expression.as_deref()
    ))?;
    let start = input.exclusive_start_key;
    state.store.read(|tx| {
        let (id, table) = active_table(state, tx, &input.table_name)?;
        let index = index(&table, input.index_name.as_deref())?;
        if is_global(&table, index) && input.consistent_read == Some(true) {
            return Err(invalid(
                "Consistent reads are not supported on global secondary indexes",
            ));
        }
        let key_def: &KeyDef = index.map_or(&table.key, |i| &i.key);
        let reduced = match &spec.key_condition {
            Some(condition) => key_condition::reduce(condition, key_def)?,
            None => return Err(no_key_condition()),
        };
        let start = start_after(&table, index, start)?;
        let mut page = spec.page(&table, index)?;
        tx.query_ddb(
            id,
            index.map(|i| i.name.as_str()),
            &reduced,
            input.scan_index_forward.unwrap_or(true),
            start.as_ref(),
            |row| page.visit(row),
        )?;
        let (items, count, scanned_count, last_evaluated_key) = page.output();
        Ok(QueryOutput {
            items,
            count: Some(count),
            scanned_count: Some(scanned_count),
            last_evaluated_key,
            ..Default::default()
        })
    })
}

/// The bucket range a Scan reads: all of them, or a parallel Scan's
/// segment (the model bounds `Segment` and `TotalSegments`).
fn scan_buckets(segment: Option<i32>, total: Option<i32>) -> Result<(u64, u64), Error> {
    match (segment, total) {
        (None, None) => Ok((0, 1u64 << 32)),
        (Some(_), None) => Err(invalid(
            "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
        )),
        (None, Some(_)) => Err(invalid(
            "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
        )),
        (Some(segment), Some(total)) if segment >= total => Err(invalid(format!(
            "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {segment} is not less than TotalSegments: {total}"
        ))),
        (Some(segment), Some(total)) => Ok(segment_buckets(
            segment.max(0).unsigned_abs(),
            total.max(1).unsigned_abs(),
        )),
    }
}

pub(super) fn scan(state: &ApiState, input: ScanInput) -> Result<ScanOutput, Error> {
    refuse_legacy("ScanFilter", input.scan_filter.is_some())?;
    refuse_legacy("ConditionalOperator", input.conditional_operator.is_some())?;
    let buckets = scan_buckets(input.segment, input.total_segments)?;
    let spec = ReadSpec::parse(read_params!(input, None))?;
    let start = input.exclusive_start_key;
    state.store.read(|tx| {
        let (id, table) = active_table(state, tx, &input.table_name)?;
        let index = index(&table, input.index_name.as_deref())?;
        let start = start_after(&table, index, start)?;
        let mut page = spec.page(&table, index)?;
        tx.scan_ddb(
            id,
            &DdbScanRange {
                index: index.map(|i| i.name.as_str()),
                buckets,
                start_after: start,
            },
            |row| page.visit(row),
        )?;
        let (items, count, scanned_count, last_evaluated_key) = page.output();
        Ok(ScanOutput {
            items,
            count: Some(count),
            scanned_count: Some(scanned_count),
            last_evaluated_key,
            ..Default::default()
        })
    })
}

/// A PartiQL SELECT's read: a Query of the partition its condition pins
/// with an equality on the hash key of the table (or of `index`), else a
/// Scan; every item the whole condition accepts, projected. Pages like
/// Query and Scan (`limit` items evaluated or 1 MB), from `start`.
pub(super) struct Selection<'a> {
    pub table: &'a str,
    pub index: Option<&'a str>,
    pub condition: Option<&'a Condition>,
    pub projection: Option<Vec<Path>>,
    pub limit: Option<usize>,
    pub start: Option<WireItem>,
}

impl Selection<'_> {
    /// (`Items`, `LastEvaluatedKey`).
    pub(super) fn read(self, state: &ApiState) -> Result<(Vec<WireItem>, Option<WireItem>), Error> {
        let spec = ReadSpec {
            key_condition: None,
            filter: self.condition.cloned(),
            select: if self.projection.is_some() {
                Select::Specific
            } else if self.index.is_some() {
                Select::AllProjected
            } else {
                Select::AllAttributes
            },
            projection: self.projection,
            limit: self.limit,
        };
        state.store.read(|tx| {
            let (id, table) = active_table(state, tx, self.table)?;
            let index = index(&table, self.index)?;
            let start = start_after(&table, index, self.start)?;
            let mut page = spec.page(&table, index)?;
            let key_def: &KeyDef = index.map_or(&table.key, |i| &i.key);
            // A wrongly typed key value matches nothing: it is left to
            // the scan's filter rather than refused.
            let partition = self
                .condition
                .and_then(|c| ballast_core::dynamodb::partiql::pinned_partition(c, key_def))
                .and_then(|value| {
                    let pinned = Condition::Compare(
                        expr::Operand::Path(Path(vec![PathElem::Name(key_def.hash.name.clone())])),
                        expr::Comparator::Eq,
                        expr::Operand::Value(value.clone()),
                    );
                    key_condition::reduce(&pinned, key_def).ok()
                });
            match partition {
                Some(reduced) => tx.query_ddb(
                    id,
                    index.map(|i| i.name.as_str()),
                    &reduced,
                    true,
                    start.as_ref(),
                    |row| page.visit(row),
                )?,
                None => tx.scan_ddb(
                    id,
                    &DdbScanRange {
                        index: index.map(|i| i.name.as_str()),
                        buckets: (0, 1u64 << 32),
                        start_after: start,
                    },
                    |row| page.visit(row),
                )?,
            }
            let (items, _, _, last_key) = page.output();
            Ok((items.unwrap_or_default(), last_key))
        })
    }
}
