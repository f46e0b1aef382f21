//! Key pair handlers. The private key is returned by CreateKeyPair and
//! never stored.

use ballast_core::ec2::key_pair::{self as kp, KeyFormat};
use ballast_core::ec2::{self, Error as Rule, filter};
use ballast_model::ec2::{
    CreateKeyPairInput, CreateKeyPairOutput, DeleteKeyPairInput, DeleteKeyPairOutput,
    DescribeKeyPairsInput, DescribeKeyPairsOutput, ImportKeyPairInput, ImportKeyPairOutput,
    KeyPairInfo,
};
use ballast_wire::Timestamp;

use super::{Error, creation_tags, dry_run, filters};
use crate::ApiState;

fn store_new(
    state: &ApiState,
    key: &ec2::KeyPair,
    tags: &[(String, String)],
    dry: Option<bool>,
) -> Result<(), Error> {
    state.store.write(|tx| -> Result<_, Error> {
        if tx.key_pair_by_name(&key.name)?.is_some() {
            return Err(Rule::KeyPairDuplicate(key.name.clone()).into());
        }
        dry_run(dry)?;
        tx.insert_key_pair(key)?;
        tx.put_tags(&key.id, tags)?;
        Ok(())
    })
}

pub(super) fn create(
    state: &ApiState,
    input: CreateKeyPairInput,
) -> Result<CreateKeyPairOutput, Error> {
    let name = input.key_name;
    kp::check_name(&name)?;
    kp::check_key_type(input.key_type.as_ref().map(|t| t.as_str()))?;
    let format = KeyFormat::parse(input.key_format.as_ref().map(|f| f.as_str()))?;
    let tags = creation_tags(input.tag_specifications, "key-pair")?;
    let seed: [u8; 32] = state.ids.bytes();
    let check = u32::from_be_bytes(state.ids.bytes());
    let generated = kp::generate_ed25519(seed, check, &name, format);
    let key = new_key(
        state,
        name,
        generated.key_type,
        generated.fingerprint,
        generated.public_key,
    );
    store_new(state, &key, &tags, input.dry_run)?;
    Ok(CreateKeyPairOutput {
        key_pair_id: Some(key.id),
        key_name: Some(key.name),
        key_fingerprint: Some(key.fingerprint),
        key_material: Some(generated.private_key),
        tags: Some(crate::tags::from_pairs(tags)),
    })
}

/// A new key pair's record: CreateKeyPair's generated key or
/// ImportKeyPair's public key, with a fresh id, created now.
fn new_key(
    state: &ApiState,
    name: String,
    key_type: &str,
    fingerprint: String,
    public_key: String,
) -> ec2::KeyPair {
    ec2::KeyPair {
        id: format!("key-{}", state.ids.hex(17)),
        name,
        key_type: key_type.to_owned(),
        fingerprint,
        public_key,
        created_millis: state.now().millis(),
    }
}

pub(super) fn import(
    state: &ApiState,
    input: ImportKeyPairInput,
) -> Result<ImportKeyPairOutput, Error> {
    let name = input.key_name;
    kp::check_name(&name)?;
    // The blob arrives base64-encoded, decoded by its wire type.
    let imported = kp::import(&input.public_key_material.0, &name)?;
    let tags = creation_tags(input.tag_specifications, "key-pair")?;
    let key = new_key(
        state,
        name,
        imported.key_type,
        imported.fingerprint,
        imported.public_key,
    );
    store_new(state, &key, &tags, input.dry_run)?;
    Ok(ImportKeyPairOutput {
        key_pair_id: Some(key.id),
        key_name: Some(key.name),
        key_fingerprint: Some(key.fingerprint),
        tags: Some(crate::tags::from_pairs(tags)),
    })
}

pub(super) fn describe(
    state: &ApiState,
    input: DescribeKeyPairsInput,
) -> Result<DescribeKeyPairsOutput, Error> {
    dry_run(input.dry_run)?;
    let filters = filters::<ec2::KeyPair>(input.filters)?;
    let include_public = input.include_public_key == Some(true);
    let keys = state.store.read(|tx| -> Result<_, Error> {
        let keys = tx.key_pairs()?;
        for name in input.key_names.iter().flatten() {
            if !keys.iter().any(|k| k.name == *name) {
                return Err(Rule::KeyPairNotFound(name.clone()).into());
            }
        }
        for id in input.key_pair_ids.iter().flatten() {
            if !keys.iter().any(|k| k.id == *id) {
                return Err(Rule::KeyPairNotFound(id.clone()).into());
            }
        }
        let mut out = Vec::new();
        for key in keys {
            if input
                .key_names
                .as_ref()
                .is_some_and(|n| !n.contains(&key.name))
                || input
                    .key_pair_ids
                    .as_ref()
                    .is_some_and(|i| !i.contains(&key.id))
            {
                continue;
            }
            let tags = tx.tags(&key.id)?;
            if filter::matches(&key, &tags, &filters) {
                out.push((key, tags));
            }
        }
        Ok(out)
    })?;
    Ok(DescribeKeyPairsOutput {
        key_pairs: Some(
            keys.into_iter()
                .map(|(key, tags)| KeyPairInfo {
                    key_pair_id: Some(key.id),
                    key_name: Some(key.name),
                    key_fingerprint: Some(key.fingerprint),
                    key_type: Some(key.key_type.as_str().into()),
                    public_key: include_public.then_some(key.public_key),
                    create_time: Some(Timestamp::from_millis(key.created_millis)),
                    tags: Some(crate::tags::from_pairs(tags)),
                })
                .collect(),
        ),
    })
}

pub(super) fn delete(
    state: &ApiState,
    input: DeleteKeyPairInput,
) -> Result<DeleteKeyPairOutput, Error> {
    if input.key_name.is_none() && input.key_pair_id.is_none() {
        return Err(Rule::MissingParameter("KeyName or KeyPairId".to_owned()).into());
    }
    // Deleting a key pair that does not exist succeeds, as on EC2.
    let deleted = state.store.write(|tx| -> Result<_, Error> {
        let key = match (&input.key_pair_id, &input.key_name) {
            (Some(id), _) => tx.key_pair(id)?,
            (None, Some(name)) => tx.key_pair_by_name(name)?,
            (None, None) => None,
        };
        dry_run(input.dry_run)?;
        if let Some(key) = &key {
            tx.delete_key_pair(&key.id)?;
            tx.clear_tags(&key.id)?;
        }
        Ok(key.map(|k| k.id))
    })?;
    Ok(DeleteKeyPairOutput {
        r#return: Some(true),
        key_pair_id: deleted,
    })
}
