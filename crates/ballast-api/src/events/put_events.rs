//! PutEvents: each entry is checked on its own (a bad entry fails in the
//! result list, not the call), given an id, and put on its bus: each Lambda
//! target of each matching rule gets an asynchronous invocation, queued in
//! the same transaction as the answer is decided.

use ballast_core::events::bus;
use ballast_core::events::event::{Entry, EntryError};
use ballast_model::events::{
    PutEventsInput, PutEventsOutput, PutEventsRequestEntry, PutEventsResultEntry,
};
use ballast_store::Tx;

use super::Error;
use crate::ApiState;

pub(super) fn put(state: &ApiState, input: PutEventsInput) -> Result<PutEventsOutput, Error> {
    let now = state.now().millis();
    let mut queued = 0;
    let results = state
        .store
        .write(|tx| -> Result<Vec<PutEventsResultEntry>, Error> {
            input
                .entries
                .iter()
                .map(|entry| accept(state, tx, entry, now, &mut queued))
                .collect()
        })?;
    if queued > 0 {
        state.functions.queued();
    }
    let failed = results.iter().filter(|r| r.error_code.is_some()).count();
    Ok(PutEventsOutput {
        failed_entry_count: Some(i32::try_from(failed).unwrap_or(i32::MAX)),
        entries: Some(results),
    })
}

/// One entry's result: its event id, or why it was refused.
fn accept(
    state: &ApiState,
    tx: &Tx<'_>,
    entry: &PutEventsRequestEntry,
    now: i64,
    queued: &mut usize,
) -> Result<PutEventsResultEntry, Error> {
    let checked = Entry {
        source: entry.source.as_deref(),
        detail_type: entry.detail_type.as_deref(),
        detail: entry.detail.as_deref(),
        resources: entry.resources.as_deref().unwrap_or_default(),
        time_millis: entry.time.map(|t| t.millis()),
    }
    .check();
    let draft = match checked {
        Ok(draft) => draft,
        Err(error) => return Ok(refused(error)),
    };
    let bus = bus::bus_name(entry.event_bus_name.as_deref());
    if bus != bus::DEFAULT && tx.event_bus(&bus)?.is_none() {
        return Ok(refused(EntryError {
            code: "ResourceNotFoundException",
            message: format!("Event bus {bus} does not exist."),
        }));
    }
    let id = state.ids.request_id();
    let event = draft.envelope(&id, &state.scope, now);
    *queued += tx.put_event(&state.scope, &bus, &event, &state.ids, now)?;
    tracing::debug!(%event, bus, "event put");
    Ok(PutEventsResultEntry {
        event_id: Some(id),
        ..PutEventsResultEntry::default()
    })
}

fn refused(error: EntryError) -> PutEventsResultEntry {
    PutEventsResultEntry {
        event_id: None,
        error_code: Some(error.code.to_owned()),
        error_message: Some(error.message),
    }
}
