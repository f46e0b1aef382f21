//! PublishVersion and ListVersionsByFunction: a published version is a
//! frozen copy of `$LATEST`'s code and configuration under the next
//! number, which invocations can name by number or through an alias.

use ballast_core::lambda::Function;
use ballast_core::lambda::version::{Publish, Published};
use ballast_core::paging;
use ballast_model::lambda::*;
use ballast_store::Tx;

use super::Error;
use super::functions::{existing, named, revision, view};
use crate::ApiState;

pub(super) fn publish(
    state: &ApiState,
    input: PublishVersionInput,
) -> Result<CreateFunctionOutput, Error> {
    let name = named(state, &input.function_name, None)?;
    let request = Publish {
        code_sha256: input.code_sha256.as_deref(),
        description: input.description,
        revision_id: input.revision_id.as_deref(),
    };
    let version = state.store.write(|tx| -> Result<Function, Error> {
        let mut latest = existing(state, tx, &name)?;
        let version = publish_in(state, tx, &mut latest, request)?;
        tx.save_function(&latest)?;
        Ok(version)
    })?;
    Ok(view(state, version))
}

/// Publishes `latest` inside a write (PublishVersion, and CreateFunction
/// or UpdateFunctionCode with `Publish`): the new version, saved, or the
/// newest one when nothing changed since it. The caller saves `latest`,
/// whose count of published versions moved on.
pub(super) fn publish_in(
    state: &ApiState,
    tx: &Tx<'_>,
    latest: &mut Function,
    request: Publish<'_>,
) -> Result<Function, Error> {
    let newest = tx.function_version(&latest.name, latest.last_published)?;
    let now = state.now().millis();
    let published = latest.publish(request, newest, now, revision(state))?;
    if let Published::New(version) = &published {
        tx.insert_function_version(version)?;
    }
    Ok(published.into_version())
}

pub(super) fn list_versions(
    state: &ApiState,
    input: ListVersionsByFunctionInput,
) -> Result<ListVersionsByFunctionOutput, Error> {
    let (size, after) = super::page_request(input.max_items, input.marker.as_deref())?;
    // Lambda answers at most 50 versions at a time, whatever MaxItems says.
    let size = size.min(50);
    let name = named(state, &input.function_name, None)?;
    let versions = state.store.read(|tx| -> Result<Vec<Function>, Error> {
        let latest = existing(state, tx, &name)?;
        Ok(std::iter::once(latest)
            .chain(tx.function_versions(&name)?)
            .collect())
    })?;
    let (page, next_marker) =
        paging::page_in_order(versions, |v| v.version.as_str(), after.as_deref(), size)
            .ok_or_else(|| {
                ballast_core::lambda::Error::InvalidParameter(
                    "The marker or MaxItems is not valid.".to_owned(),
                )
            })?;
    Ok(ListVersionsByFunctionOutput {
        versions: Some(
            page.into_iter()
                .map(|version| {
                    // Every version is listed under its qualified ARN,
                    // `$LATEST` included.
                    let qualifier = version.version.clone();
                    super::functions::view_as(state, version, Some(&qualifier))
                })
                .collect(),
        ),
        next_marker,
    })
}
