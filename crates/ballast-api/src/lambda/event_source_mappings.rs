//! ListEventSourceMappings: Ballast polls no queue or stream for Lambda
//! (CreateEventSourceMapping is not served), so the account has no
//! mappings. A named function must still exist, as on AWS.

use ballast_model::lambda::*;

use super::Error;
use super::functions::{existing, named};
use crate::ApiState;

pub(super) fn list(
    state: &ApiState,
    input: ListEventSourceMappingsInput,
) -> Result<ListEventSourceMappingsOutput, Error> {
    super::page_request(input.max_items, input.marker.as_deref())?;
    if let Some(function_name) = &input.function_name {
        let name = named(state, function_name, None)?;
        state.store.read(|tx| existing(state, tx, &name))?;
    }
    Ok(ListEventSourceMappingsOutput {
        event_source_mappings: Some(Vec::new()),
        next_marker: None,
    })
}
