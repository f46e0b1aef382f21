//! CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable,
//! DescribeLimits.

use ballast_core::dynamodb::Error as Rule;
use ballast_core::dynamodb::table::{
    self, BillingMode, CreateSpec, Index, Status, Table, Throughput,
};
use ballast_core::dynamodb::tags as table_tags;
use ballast_model::dynamodb::{
    BillingMode as WireBillingMode, BillingModeSummary, CreateTableInput, CreateTableOutput,
    DeleteTableInput, DeleteTableOutput, DescribeLimitsOutput, DescribeTableInput,
    DescribeTableOutput, GlobalSecondaryIndexDescription, IndexStatus, ListTablesInput,
    ListTablesOutput, LocalSecondaryIndexDescription, ProvisionedThroughputDescription,
    TableDescription, TableStatus, UpdateTableInput, UpdateTableOutput,
};
use ballast_store::Tx;
use ballast_wire::Timestamp;

use super::values::{self, wire_definitions, wire_key_schema, wire_projection};
use super::{Error, invalid, table_arn, transition};
use crate::ApiState;
use crate::tags::to_core;

fn not_found(name: &str) -> Error {
    Rule::ResourceNotFound(format!(
        "Requested resource not found: Table: {name} not found"
    ))
    .into()
}

pub(super) fn in_use(name: &str, status: Status) -> Error {
    let doing = match status {
        Status::Creating => "being created",
        Status::Deleting | Status::Gone => "being deleted",
        Status::Updating | Status::Active => "being updated",
    };
    Rule::ResourceInUse(format!(
        "Attempt to change a resource which is still in use: Table is {doing}: {name}"
    ))
    .into()
}

/// A table that exists and is ACTIVE: the only status DeleteTable and
/// UpdateTable change.
fn active_for_change(state: &ApiState, tx: &Tx<'_>, name: &str) -> Result<(i64, Table), Error> {
    let (id, table, status) = existing(state, tx, name)?;
    if status != Status::Active {
        return Err(in_use(&table.name, status));
    }
    Ok((id, table))
}

/// The live (not deleting) global index `name` of a table.
fn live_global_index<'t>(table: &'t mut Table, name: &str) -> Result<&'t mut Index, Error> {
    table
        .global_indexes
        .iter_mut()
        .find(|i| i.name == name && i.deleting_millis.is_none())
        .ok_or_else(|| {
            Rule::ResourceNotFound(format!(
                "Requested resource not found: Index: {name} not found"
            ))
            .into()
        })
}

/// A table that exists (in any status but gone).
pub(super) fn existing(
    state: &ApiState,
    tx: &Tx<'_>,
    name: &str,
) -> Result<(i64, Table, Status), Error> {
    let Some((id, table)) = tx.ddb_table(name)? else {
        return Err(not_found(name));
    };
    let status = table.status(state.now().millis(), transition(state));
    if status == Status::Gone {
        return Err(not_found(name));
    }
    Ok((id, table, status))
}

pub(super) fn create(
    state: &ApiState,
    input: CreateTableInput,
) -> Result<CreateTableOutput, Error> {
    let now = state.now().millis();
    let definitions = values::definitions(input.attribute_definitions.unwrap_or_default());
    let key_schema = values::key_schema(input.key_schema.unwrap_or_default());
    let global_indexes: Vec<_> = input
        .global_secondary_indexes
        .unwrap_or_default()
        .into_iter()
        .map(values::global_index)
        .collect();
    let local_indexes: Vec<_> = input
        .local_secondary_indexes
        .unwrap_or_default()
        .into_iter()
        .map(values::local_index)
        .collect();
    let spec = CreateSpec {
        name: &input.table_name,
        attribute_definitions: &definitions,
        key_schema: &key_schema,
        billing_mode: input.billing_mode.as_ref().map(WireBillingMode::as_str),
        throughput: input.provisioned_throughput.map(values::throughput),
        global_indexes: &global_indexes,
        local_indexes: &local_indexes,
        deletion_protection: input.deletion_protection_enabled.unwrap_or(false),
    };
    let table = Table::create(
        &spec,
        state.ids.request_id(),
        table_arn(state, &input.table_name),
        now,
    )?;
    let tags = to_core(input.tags.unwrap_or_default());
    table_tags::validate(&tags)?;
    let tags: Vec<(String, String)> = tags.into_iter().map(|t| (t.key, t.value)).collect();
    state.store.write(|tx| {
        if let Some((id, old)) = tx.ddb_table(&table.name)? {
            if old.status(now, transition(state)) != Status::Gone {
                return Err(
                    Rule::ResourceInUse(format!("Table already exists: {}", table.name)).into(),
                );
            }
            tx.purge_ddb_table(id)?;
        }
        let id = tx.insert_ddb_table(&table)?;
        tx.put_tags(&table.arn, &tags)?;
        Ok(CreateTableOutput {
            table_description: Some(describe_table(state, tx, id, &table)?),
        })
    })
}

pub(super) fn describe(
    state: &ApiState,
    input: DescribeTableInput,
) -> Result<DescribeTableOutput, Error> {
    state.store.read(|tx| {
        let (id, table, _) = existing(state, tx, &input.table_name)?;
        Ok(DescribeTableOutput {
            table: Some(describe_table(state, tx, id, &table)?),
        })
    })
}

pub(super) fn list(state: &ApiState, input: ListTablesInput) -> Result<ListTablesOutput, Error> {
    // The model bounds `Limit` to 1..=100.
    let limit = input.limit.map_or(100, |n| n.clamp(1, 100) as usize);
    let now = state.now().millis();
    let span = transition(state);
    state.store.read(|tx| {
        let mut names = Vec::new();
        let mut after = input.exclusive_start_table_name.clone();
        let mut more = false;
        'pages: loop {
            let batch = tx.ddb_table_names(after.as_deref(), limit)?;
            let exhausted = batch.len() <= limit;
            for (name, table) in &batch {
                after = Some(name.clone());
                if table.status(now, span) == Status::Gone {
                    continue;
                }
                if names.len() == limit {
                    more = true;
                    break 'pages;
                }
                names.push(name.clone());
            }
            if exhausted {
                break;
            }
        }
        Ok(ListTablesOutput {
            last_evaluated_table_name: if more { names.last().cloned() } else { None },
            table_names: Some(names),
        })
    })
}

pub(super) fn delete(
    state: &ApiState,
    input: DeleteTableInput,
) -> Result<DeleteTableOutput, Error> {
    let now = state.now().millis();
    state.store.write(|tx| {
        let (id, mut table) = active_for_change(state, tx, &input.table_name)?;
        if table.deletion_protection {
            return Err(invalid(
                "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.",
            ));
        }
        // The description shows the table as it was, now DELETING.
        let mut description = describe_table(state, tx, id, &table)?;
        description.table_status = Some(TableStatus::from(Status::Deleting.as_str()));
        tx.delete_ddb_items(id)?;
        // Tags go with the table: a table created later under the same
        // name (and so the same ARN) starts untagged.
        tx.clear_tags(&table.arn)?;
        table.deleting_millis = Some(now);
        tx.update_ddb_table(id, &table)?;
        Ok(DeleteTableOutput {
            table_description: Some(description),
        })
    })
}

pub(super) fn update(
    state: &ApiState,
    input: UpdateTableInput,
) -> Result<UpdateTableOutput, Error> {
    let now = state.now().millis();
    let provisioned = input.provisioned_throughput.map(values::throughput);
    let definitions = input.attribute_definitions.map(values::definitions);
    state.store.write(|tx| {
        let (id, mut table) = active_for_change(state, tx, &input.table_name)?;
        table.forget_deleted_indexes(now, transition(state));
        let mut changed = false;

        if let Some(protection) = input.deletion_protection_enabled {
            table.deletion_protection = protection;
            changed = true;
        }
        let mode = match &input.billing_mode {
            Some(text) => BillingMode::parse(Some(text.as_str()))?,
            None => table.billing_mode,
        };
        if mode != table.billing_mode {
            table.billing_mode = mode;
            table.billing_mode_changed_millis = Some(now);
            changed = true;
            match mode {
                BillingMode::PayPerRequest => {
                    if provisioned.is_some() {
                        table::throughput_for(mode, provisioned, "provisionedThroughput")?;
                    }
                    table.throughput = Throughput {
                        read_capacity_units: 0,
                        write_capacity_units: 0,
                    };
                    for index in &mut table.global_indexes {
                        index.throughput = None;
                    }
                }
                BillingMode::Provisioned => {
                    let Some(throughput) = table::throughput_for(
                        mode,
                        provisioned,
                        "provisionedThroughput",
                    )?
                    else {
                        return Err(invalid("One or more parameter values were invalid: ProvisionedThroughput must be specified when BillingMode is PROVISIONED"));
                    };
                    table.throughput = throughput;
                    for index in &mut table.global_indexes {
                        index.throughput = Some(throughput);
                    }
                }
            }
        } else if let Some(requested) = provisioned {
            let requested = table::throughput_for(mode, Some(requested), "provisionedThroughput")?
                .unwrap_or(requested);
            if requested == table.throughput {
                return Err(invalid(format!(
                    "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: {}. Requested ReadCapacityUnits: {}. Current WriteCapacityUnits provisioned for the table: {}. Requested WriteCapacityUnits: {}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
                    table.throughput.read_capacity_units,
                    requested.read_capacity_units,
                    table.throughput.write_capacity_units,
                    requested.write_capacity_units
                )));
            }
            table.throughput = requested;
            changed = true;
        }

        let updates = input.global_secondary_index_updates.unwrap_or_default();
        let structural = updates
            .iter()
            .filter(|u| u.create.is_some() || u.delete.is_some())
            .count();
        if structural > 1 {
            return Err(Rule::LimitExceeded(
                "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table".to_owned(),
            )
            .into());
        }
        if let Some(definitions) = &definitions {
            for definition in definitions {
                match table
                    .attribute_definitions
                    .iter()
                    .find(|d| d.attribute_name == definition.attribute_name)
                {
                    Some(existing) if existing.attribute_type != definition.attribute_type => {
                        return Err(invalid(format!(
                            "One or more parameter values were invalid: Attribute {} is already defined with type {}",
                            definition.attribute_name, existing.attribute_type
                        )));
                    }
                    Some(_) => {}
                    None => table.attribute_definitions.push(definition.clone()),
                }
            }
        }
        for update in updates {
            match (update.create, update.update, update.delete) {
                (Some(spec), None, None) => {
                    let spec = values::created_index(spec);
                    if table.index(&spec.index_name).is_some() {
                        return Err(invalid(format!(
                            "One or more parameter values were invalid: Index with name: {} already exists",
                            spec.index_name
                        )));
                    }
                    if table.global_indexes.len() >= table::MAX_GSIS {
                        return Err(Rule::LimitExceeded(format!(
                            "One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of {}",
                            table::MAX_GSIS
                        ))
                        .into());
                    }
                    let index =
                        table::global_index(&spec, &table.attribute_definitions, table.billing_mode, now)?;
                    tx.backfill_ddb_index(id, &index)?;
                    table.global_indexes.push(index);
                }
                (None, Some(change), None) => {
                    let mode = table.billing_mode;
                    let index = live_global_index(&mut table, &change.index_name)?;
                    index.throughput = table::throughput_for(
                        mode,
                        change.provisioned_throughput.map(values::throughput),
                        "provisionedThroughput",
                    )?;
                }
                (None, None, Some(delete)) => {
                    let index = live_global_index(&mut table, &delete.index_name)?;
                    index.deleting_millis = Some(now);
                    tx.delete_ddb_index(id, &delete.index_name)?;
                }
                _ => {
                    return Err(invalid(
                        "One or more parameter values were invalid: One of GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Update or GlobalSecondaryIndexUpdate.Delete must be specified",
                    ));
                }
            }
            changed = true;
        }
        if !changed {
            return Err(invalid(
                "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required",
            ));
        }
        // Definitions no index uses any more are dropped; new ones must be
        // used by the new index.
        let keep: Vec<bool> = table
            .attribute_definitions
            .iter()
            .map(|d| {
                table.key.is_key(&d.attribute_name)
                    || table.live_indexes().any(|i| i.key.is_key(&d.attribute_name))
                    || definitions
                        .as_ref()
                        .is_some_and(|defs| defs.iter().any(|n| n.attribute_name == d.attribute_name))
            })
            .collect();
        let mut keep = keep.into_iter();
        table
            .attribute_definitions
            .retain(|_| keep.next().unwrap_or(true));
        table.check_definitions_used()?;
        table.updated_millis = Some(now);
        tx.update_ddb_table(id, &table)?;
        Ok(UpdateTableOutput {
            table_description: Some(describe_table(state, tx, id, &table)?),
        })
    })
}

pub(super) fn limits() -> Result<DescribeLimitsOutput, Error> {
    Ok(DescribeLimitsOutput {
        account_max_read_capacity_units: Some(80_000),
        account_max_write_capacity_units: Some(80_000),
        table_max_read_capacity_units: Some(40_000),
        table_max_write_capacity_units: Some(40_000),
    })
}

fn throughput_description(throughput: Option<Throughput>) -> ProvisionedThroughputDescription {
    let t = throughput.unwrap_or(Throughput {
        read_capacity_units: 0,
        write_capacity_units: 0,
    });
    ProvisionedThroughputDescription {
        number_of_decreases_today: Some(0),
        read_capacity_units: Some(t.read_capacity_units),
        write_capacity_units: Some(t.write_capacity_units),
        ..Default::default()
    }
}

/// A table as DescribeTable shows it now, with live item counts.
pub(super) fn describe_table(
    state: &ApiState,
    tx: &Tx<'_>,
    id: i64,
    table: &Table,
) -> Result<TableDescription, Error> {
    let now = state.now().millis();
    let span = transition(state);
    let (item_count, size) = tx.ddb_table_stats(id)?;
    let span_millis = span.as_millis() as i64;
    let mut globals = Vec::new();
    for index in table
        .global_indexes
        .iter()
        .filter(|i| i.deleting_millis.is_none_or(|d| now < d + span_millis))
    {
        let (count, bytes) = tx.ddb_index_stats(id, &index.name)?;
        let status = index.status(now, span);
        globals.push(GlobalSecondaryIndexDescription {
            index_name: Some(index.name.clone()),
            key_schema: Some(wire_key_schema(index.key.schema())),
            projection: Some(wire_projection(index.projection_model())),
            index_status: Some(IndexStatus::from(status)),
            backfilling: (status == "CREATING").then_some(true),
            provisioned_throughput: Some(throughput_description(index.throughput)),
            index_size_bytes: Some(bytes),
            item_count: Some(count),
            index_arn: Some(format!("{}/index/{}", table.arn, index.name)),
            ..Default::default()
        });
    }
    let mut locals = Vec::new();
    for index in &table.local_indexes {
        let (count, bytes) = tx.ddb_index_stats(id, &index.name)?;
        locals.push(LocalSecondaryIndexDescription {
            index_name: Some(index.name.clone()),
            key_schema: Some(wire_key_schema(index.key.schema())),
            projection: Some(wire_projection(index.projection_model())),
            index_size_bytes: Some(bytes),
            item_count: Some(count),
            index_arn: Some(format!("{}/index/{}", table.arn, index.name)),
        });
    }
    Ok(TableDescription {
        attribute_definitions: Some(wire_definitions(&table.attribute_definitions)),
        table_name: Some(table.name.clone()),
        key_schema: Some(wire_key_schema(table.key.schema())),
        table_status: Some(TableStatus::from(table.status(now, span).as_str())),
        creation_date_time: Some(Timestamp::from_millis(table.created_millis)),
        provisioned_throughput: Some(throughput_description(Some(table.throughput))),
        table_size_bytes: Some(size),
        item_count: Some(item_count),
        table_arn: Some(table.arn.clone()),
        table_id: Some(table.id.clone()),
        billing_mode_summary: Some(BillingModeSummary {
            billing_mode: Some(WireBillingMode::from(table.billing_mode.as_str())),
            last_update_to_pay_per_request_date_time: match table.billing_mode {
                BillingMode::PayPerRequest => Some(Timestamp::from_millis(
                    table
                        .billing_mode_changed_millis
                        .unwrap_or(table.created_millis),
                )),
                BillingMode::Provisioned => None,
            },
        }),
        local_secondary_indexes: (!locals.is_empty()).then_some(locals),
        global_secondary_indexes: (!globals.is_empty()).then_some(globals),
        deletion_protection_enabled: Some(table.deletion_protection),
        ..Default::default()
    })
}
