//! The role credentials an instance receives through its metadata.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use ballast_core::Ids;
use ballast_core::ec2::Instance;
use ballast_core::sts::{INSTANCE_CREDENTIALS_LIFETIME, RoleRef, Session};
use ballast_store::{Store, StoreError};

/// Why credentials could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The role an instance acts as, through its instance profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceRole {
    pub profile_arn: String,
    pub profile_id: String,
    pub role: RoleRef,
}

/// The instance's role now: its profile association's profile, and the
/// role in that profile. `None` when it has no profile or the profile has
/// no role (IMDS then has no `iam/` tree, as on EC2).
pub fn instance_role(store: &Store, instance: &Instance) -> Result<Option<InstanceRole>, Error> {
    let Some(association) = &instance.profile else {
        return Ok(None);
    };
    let found = store.read(|tx| tx.instance_profile_with_role_by_arn(&association.profile_arn))?;
    Ok(found.and_then(|found| {
        let role = found.role?;
        Some(InstanceRole {
            profile_arn: found.profile.arn,
            profile_id: found.profile.id,
            role: role.reference(),
        })
    }))
}

/// The credentials the metadata service hands the instance now: the last
/// session issued to it while that is for the same role and not due for
/// rotation, otherwise a new one. Older sessions stay valid until they
/// expire, as on EC2.
pub fn current_session(
    store: &Store,
    ids: &Arc<Ids>,
    now: SystemTime,
    instance: &Instance,
    role: &InstanceRole,
) -> Result<Session, Error> {
    let now_millis = millis(now);
    store.write(|tx| {
        if let Some(latest) = tx.latest_session(&instance.id)?
            && latest.reusable_for(&role.role, now_millis)
        {
            return Ok(latest);
        }
        let session = Session::issue(
            ids,
            role.role.clone(),
            &instance.id,
            now_millis,
            INSTANCE_CREDENTIALS_LIFETIME,
        );
        tx.insert_session(&session)?;
        Ok(session)
    })
}

fn millis(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
