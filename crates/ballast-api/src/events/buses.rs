//! CreateEventBus, DescribeEventBus, DeleteEventBus, ListEventBuses.

use ballast_core::events::bus::{self, DEFAULT};
use ballast_core::events::{Error as Rule, EventBus};
use ballast_core::paging;
use ballast_model::events::{
    CreateEventBusInput, CreateEventBusOutput, DeleteEventBusInput, DescribeEventBusInput,
    DescribeEventBusOutput, EventBus as WireBus, ListEventBusesInput, ListEventBusesOutput,
};
use ballast_store::Tx;
use ballast_wire::Timestamp;

use super::{Error, page};
use crate::ApiState;
use crate::tags::to_pairs;

pub(super) fn create(
    state: &ApiState,
    input: CreateEventBusInput,
) -> Result<CreateEventBusOutput, Error> {
    if input.event_source_name.is_some() {
        return Err(Rule::Validation(
            "Partner event sources are not available in Ballast: EventSourceName names none."
                .to_owned(),
        )
        .into());
    }
    let bus = EventBus::new(&input.name, input.description, state.now().millis())?;
    let arn = bus::arn(&state.scope, &bus.name);
    let tags = to_pairs(input.tags.unwrap_or_default());
    state.store.write(|tx| -> Result<(), Error> {
        if !tx.insert_event_bus(&bus)? {
            return Err(
                Rule::AlreadyExists(format!("Event bus {} already exists.", bus.name)).into(),
            );
        }
        tx.put_tags(&arn, &tags)?;
        Ok(())
    })?;
    Ok(CreateEventBusOutput {
        event_bus_arn: Some(arn),
        description: bus.description,
        ..CreateEventBusOutput::default()
    })
}

pub(super) fn describe(
    state: &ApiState,
    input: DescribeEventBusInput,
) -> Result<DescribeEventBusOutput, Error> {
    let name = bus::bus_name(input.name.as_deref());
    let view = state
        .store
        .read(|tx| view(state, tx, &name))?
        .ok_or_else(|| Rule::bus_not_found(&name))?;
    Ok(DescribeEventBusOutput {
        name: view.name,
        arn: view.arn,
        description: view.description,
        creation_time: view.creation_time,
        last_modified_time: view.last_modified_time,
        ..DescribeEventBusOutput::default()
    })
}

/// A bus as the API shows it; the default bus exists without a record
/// (created with the Ballast server, so it shows no creation time).
fn view(state: &ApiState, tx: &Tx<'_>, name: &str) -> Result<Option<WireBus>, Error> {
    let arn = Some(bus::arn(&state.scope, name));
    if name == DEFAULT {
        return Ok(Some(WireBus {
            name: Some(DEFAULT.to_owned()),
            arn,
            ..WireBus::default()
        }));
    }
    Ok(tx.event_bus(name)?.map(|bus| WireBus {
        name: Some(bus.name),
        arn,
        description: bus.description,
        creation_time: Some(Timestamp::from_millis(bus.created_millis)),
        last_modified_time: Some(Timestamp::from_millis(bus.created_millis)),
        policy: None,
    }))
}

pub(super) fn delete(state: &ApiState, input: DeleteEventBusInput) -> Result<(), Error> {
    if input.name == DEFAULT {
        return Err(Rule::Validation("Cannot delete event bus default.".to_owned()).into());
    }
    state.store.write(|tx| -> Result<(), Error> {
        // Deleting a bus that does not exist succeeds, as on AWS.
        for rule in tx.event_rules(&input.name)? {
            tx.clear_tags(&rule.arn(&state.scope))?;
        }
        tx.clear_tags(&bus::arn(&state.scope, &input.name))?;
        tx.delete_event_bus(&input.name)?;
        Ok(())
    })
}

pub(super) fn list(
    state: &ApiState,
    input: ListEventBusesInput,
) -> Result<ListEventBusesOutput, Error> {
    let (size, after) = page(input.limit, input.next_token.as_deref())?;
    let prefix = input.name_prefix.unwrap_or_default();
    let buses = state.store.read(|tx| -> Result<Vec<WireBus>, Error> {
        let mut names = vec![DEFAULT.to_owned()];
        names.extend(tx.event_buses()?.into_iter().map(|b| b.name));
        names.sort();
        let mut buses = Vec::new();
        for name in names.iter().filter(|n| n.starts_with(&prefix)) {
            buses.extend(view(state, tx, name)?);
        }
        Ok(buses)
    })?;
    let (buses, next_token) = paging::page(
        buses,
        |b| b.name.as_deref().unwrap_or_default(),
        after.as_deref(),
        size,
    );
    Ok(ListEventBusesOutput {
        event_buses: Some(buses),
        next_token,
    })
}
