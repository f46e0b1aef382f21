//! Access keys: a user's long-term credentials. Without `UserName`, a call
//! acts on the calling user's keys, as on AWS.

use ballast_core::iam::{AccessKey, Error as Rule};
use ballast_model::iam::{self as model, *};
use ballast_store::Tx;
use ballast_wire::Timestamp;

use super::{Error, key_status, load_user, paging, status, user_named};
use crate::{ApiState, RequestContext};

/// A key of the user, by id: `NoSuchEntity` for a key the user does not
/// hold.
fn users_key(tx: &Tx<'_>, user_name: &str, access_key_id: &str) -> Result<AccessKey, Error> {
    let user = load_user(tx, user_name)?;
    tx.access_key(access_key_id)?
        .filter(|key| key.user_name == user.name)
        .ok_or_else(|| {
            Rule::NoSuchEntity(format!(
                "The Access Key with id {access_key_id} cannot be found."
            ))
            .into()
        })
}

pub(super) fn create(
    state: &ApiState,
    ctx: &RequestContext,
    input: CreateAccessKeyInput,
) -> Result<CreateAccessKeyOutput, Error> {
    let name = user_named(ctx, input.user_name)?;
    let now = state.now().millis();
    let key = state.store.write(|tx| -> Result<_, Error> {
        let user = load_user(tx, &name)?;
        let held = tx.access_keys(&user.name)?.len();
        let key = AccessKey::issue(&state.ids, &user.name, held, now)?;
        tx.save_access_key(&key)?;
        Ok(key)
    })?;
    Ok(CreateAccessKeyOutput {
        access_key: model::AccessKey {
            user_name: key.user_name,
            access_key_id: key.access_key_id,
            status: status(key.status),
            secret_access_key: key.secret_access_key,
            create_date: Some(Timestamp::from_millis(key.created)),
        },
    })
}

pub(super) fn list(
    state: &ApiState,
    ctx: &RequestContext,
    input: ListAccessKeysInput,
) -> Result<ListAccessKeysOutput, Error> {
    let request = paging(input.marker.as_deref(), input.max_items)?;
    let name = user_named(ctx, input.user_name)?;
    let keys = state.store.read(|tx| -> Result<_, Error> {
        let user = load_user(tx, &name)?;
        Ok(tx.access_keys(&user.name)?)
    })?;
    let page = request.apply(keys, |k| k.access_key_id.as_str());
    Ok(ListAccessKeysOutput {
        access_key_metadata: page
            .items
            .into_iter()
            .map(|k| AccessKeyMetadata {
                user_name: Some(k.user_name),
                access_key_id: Some(k.access_key_id),
                status: Some(status(k.status)),
                create_date: Some(Timestamp::from_millis(k.created)),
            })
            .collect(),
        is_truncated: Some(page.is_truncated),
        marker: page.marker,
    })
}

/// UpdateAccessKey: `Inactive` keys sign nothing until made `Active`
/// again.
pub(super) fn update(
    state: &ApiState,
    ctx: &RequestContext,
    input: UpdateAccessKeyInput,
) -> Result<(), Error> {
    let name = user_named(ctx, input.user_name)?;
    let next = key_status(&input.status)?;
    state.store.write(|tx| -> Result<_, Error> {
        let mut key = users_key(tx, &name, &input.access_key_id)?;
        key.status = next;
        tx.save_access_key(&key)?;
        Ok(())
    })
}

pub(super) fn delete(
    state: &ApiState,
    ctx: &RequestContext,
    input: DeleteAccessKeyInput,
) -> Result<(), Error> {
    let name = user_named(ctx, input.user_name)?;
    state.store.write(|tx| -> Result<_, Error> {
        let key = users_key(tx, &name, &input.access_key_id)?;
        tx.delete_access_key(&key.access_key_id)?;
        Ok(())
    })
}
