//! The lists of a user's credentials Ballast issues none of: MFA devices,
//! signing certificates and service-specific credentials. No operation
//! here makes one, so each list is the user's true, empty set; the user
//! must still exist, and without `UserName` the caller is meant, as on
//! AWS. Tools that clean a user up before DeleteUser (Ansible's
//! `iam_user state: absent`, Terraform's `force_destroy`) read them.

use ballast_model::iam::*;

use super::{Error, load_user, paging, user_named};
use crate::{ApiState, RequestContext};

/// Checks the page request and that the named (or calling) user exists.
fn check(
    state: &ApiState,
    ctx: &RequestContext,
    user_name: Option<String>,
    marker: Option<&str>,
    max_items: Option<i32>,
) -> Result<(), Error> {
    paging(marker, max_items)?;
    let name = user_named(ctx, user_name)?;
    state.store.read(|tx| load_user(tx, &name))?;
    Ok(())
}

pub(super) fn mfa_devices(
    state: &ApiState,
    ctx: &RequestContext,
    input: ListMFADevicesInput,
) -> Result<ListMFADevicesOutput, Error> {
    check(
        state,
        ctx,
        input.user_name,
        input.marker.as_deref(),
        input.max_items,
    )?;
    Ok(ListMFADevicesOutput {
        mfa_devices: Vec::new(),
        is_truncated: Some(false),
        marker: None,
    })
}

pub(super) fn signing_certificates(
    state: &ApiState,
    ctx: &RequestContext,
    input: ListSigningCertificatesInput,
) -> Result<ListSigningCertificatesOutput, Error> {
    check(
        state,
        ctx,
        input.user_name,
        input.marker.as_deref(),
        input.max_items,
    )?;
    Ok(ListSigningCertificatesOutput {
        certificates: Vec::new(),
        is_truncated: Some(false),
        marker: None,
    })
}

/// With `AllUsers`, the account's credentials, whoever holds them.
pub(super) fn service_specific(
    state: &ApiState,
    ctx: &RequestContext,
    input: ListServiceSpecificCredentialsInput,
) -> Result<ListServiceSpecificCredentialsOutput, Error> {
    if input.all_users == Some(true) {
        paging(input.marker.as_deref(), input.max_items)?;
    } else {
        check(
            state,
            ctx,
            input.user_name,
            input.marker.as_deref(),
            input.max_items,
        )?;
    }
    Ok(ListServiceSpecificCredentialsOutput {
        service_specific_credentials: Some(Vec::new()),
        marker: None,
        is_truncated: Some(false),
    })
}
