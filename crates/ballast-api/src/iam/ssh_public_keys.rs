//! SSH public keys: RSA keys a user uploads (for CodeCommit, on AWS). They
//! are kept on the user record; ListSSHPublicKeys without `UserName` lists
//! the calling user's, as on AWS.

use ballast_core::iam::ssh_public_key::{Encoding, SshPublicKey};
use ballast_core::iam::{Error as Rule, User};
use ballast_model::iam::*;
use ballast_store::Tx;
use ballast_wire::Timestamp;

use super::{Error, key_status, load_user, paging, status, user_named};
use crate::{ApiState, RequestContext};

fn view(user: &User, key: &SshPublicKey, encoding: Encoding) -> SSHPublicKey {
    SSHPublicKey {
        user_name: user.name.clone(),
        ssh_public_key_id: key.id.clone(),
        fingerprint: key.fingerprint.clone(),
        ssh_public_key_body: key.encoded(encoding),
        status: status(key.status),
        upload_date: Some(Timestamp::from_millis(key.uploaded)),
    }
}

/// The user and the position of its key `id`: `NoSuchEntity` when the
/// user does not hold it.
fn users_key(tx: &Tx<'_>, user_name: &str, id: &str) -> Result<(User, usize), Error> {
    let user = load_user(tx, user_name)?;
    match user.ssh_public_keys.iter().position(|k| k.id == id) {
        Some(at) => Ok((user, at)),
        None => {
            Err(Rule::NoSuchEntity(format!("The Public Key with id {id} cannot be found.")).into())
        }
    }
}

pub(super) fn upload(
    state: &ApiState,
    input: UploadSSHPublicKeyInput,
) -> Result<UploadSSHPublicKeyOutput, Error> {
    let now = state.now().millis();
    let (user, key) = state.store.write(|tx| -> Result<_, Error> {
        let mut user = load_user(tx, &input.user_name)?;
        let key = SshPublicKey::upload(
            &state.ids,
            &user.ssh_public_keys,
            &user.name,
            &input.ssh_public_key_body,
            now,
        )?;
        user.ssh_public_keys.push(key.clone());
        tx.save_user(&user)?;
        Ok((user, key))
    })?;
    Ok(UploadSSHPublicKeyOutput {
        ssh_public_key: Some(view(&user, &key, Encoding::Ssh)),
    })
}

pub(super) fn get(
    state: &ApiState,
    input: GetSSHPublicKeyInput,
) -> Result<GetSSHPublicKeyOutput, Error> {
    let encoding = match input.encoding {
        EncodingType::Ssh => Encoding::Ssh,
        EncodingType::Pem => Encoding::Pem,
        other => {
            return Err(Rule::UnrecognizedPublicKeyEncoding(format!(
                "Encoding {} is not one of SSH or PEM.",
                other.as_str()
            ))
            .into());
        }
    };
    let (user, at) = state
        .store
        .read(|tx| users_key(tx, &input.user_name, &input.ssh_public_key_id))?;
    Ok(GetSSHPublicKeyOutput {
        ssh_public_key: Some(view(&user, &user.ssh_public_keys[at], encoding)),
    })
}

pub(super) fn list(
    state: &ApiState,
    ctx: &RequestContext,
    input: ListSSHPublicKeysInput,
) -> Result<ListSSHPublicKeysOutput, Error> {
    let request = paging(input.marker.as_deref(), input.max_items)?;
    let name = user_named(ctx, input.user_name)?;
    let user = state.store.read(|tx| load_user(tx, &name))?;
    let page = request.apply(user.ssh_public_keys.iter().collect(), |k| k.id.as_str());
    Ok(ListSSHPublicKeysOutput {
        ssh_public_keys: Some(
            page.items
                .into_iter()
                .map(|k| SSHPublicKeyMetadata {
                    user_name: user.name.clone(),
                    ssh_public_key_id: k.id.clone(),
                    status: status(k.status),
                    upload_date: Timestamp::from_millis(k.uploaded),
                })
                .collect(),
        ),
        is_truncated: Some(page.is_truncated),
        marker: page.marker,
    })
}

/// UpdateSSHPublicKey: `Active` or `Inactive`.
pub(super) fn update(state: &ApiState, input: UpdateSSHPublicKeyInput) -> Result<(), Error> {
    let next = key_status(&input.status)?;
    state.store.write(|tx| -> Result<_, Error> {
        let (mut user, at) = users_key(tx, &input.user_name, &input.ssh_public_key_id)?;
        user.ssh_public_keys[at].status = next;
        tx.save_user(&user)?;
        Ok(())
    })
}

pub(super) fn delete(state: &ApiState, input: DeleteSSHPublicKeyInput) -> Result<(), Error> {
    state.store.write(|tx| -> Result<_, Error> {
        let (mut user, at) = users_key(tx, &input.user_name, &input.ssh_public_key_id)?;
        user.ssh_public_keys.remove(at);
        tx.save_user(&user)?;
        Ok(())
    })
}
