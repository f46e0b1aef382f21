//! Login profiles: whether a user has a console password. The password is
//! checked against IAM's default policy and then dropped, since Ballast has
//! no console; what IAM shows of a profile (its date and whether the
//! password must be reset) is kept on the user. Without `UserName`, Create,
//! Get and Delete act on the calling user, as on AWS.

use ballast_core::iam::user::check_password;
use ballast_core::iam::{Error as Rule, LoginProfile, User};
use ballast_model::iam::{self as model, *};
use ballast_store::Tx;

use super::{Error, load_user, user_named};
use crate::{ApiState, RequestContext};

fn view(user: &User, profile: LoginProfile) -> model::LoginProfile {
    model::LoginProfile {
        user_name: user.name.clone(),
        create_date: ballast_wire::Timestamp::from_millis(profile.created),
        password_reset_required: Some(profile.password_reset_required),
    }
}

fn no_profile(name: &str) -> Error {
    Rule::NoSuchEntity(format!("Login Profile for User {name} cannot be found.")).into()
}

/// The user and its profile, which must exist.
fn with_profile(tx: &Tx<'_>, name: &str) -> Result<(User, LoginProfile), Error> {
    let user = load_user(tx, name)?;
    let profile = user.login_profile.ok_or_else(|| no_profile(&user.name))?;
    Ok((user, profile))
}

pub(super) fn create(
    state: &ApiState,
    ctx: &RequestContext,
    input: CreateLoginProfileInput,
) -> Result<CreateLoginProfileOutput, Error> {
    let name = user_named(ctx, input.user_name)?;
    if let Some(password) = &input.password {
        check_password(password)?;
    }
    let profile = LoginProfile {
        created: state.now().millis(),
        password_reset_required: input.password_reset_required.unwrap_or(false),
    };
    let user = state.store.write(|tx| -> Result<_, Error> {
        let mut user = load_user(tx, &name)?;
        if user.login_profile.is_some() {
            return Err(Rule::EntityAlreadyExists(format!(
                "Login Profile for user {} already exists.",
                user.name
            ))
            .into());
        }
        user.login_profile = Some(profile);
        tx.save_user(&user)?;
        Ok(user)
    })?;
    Ok(CreateLoginProfileOutput {
        login_profile: view(&user, profile),
    })
}

pub(super) fn get(
    state: &ApiState,
    ctx: &RequestContext,
    input: GetLoginProfileInput,
) -> Result<GetLoginProfileOutput, Error> {
    let name = user_named(ctx, input.user_name)?;
    let (user, profile) = state.store.read(|tx| with_profile(tx, &name))?;
    Ok(GetLoginProfileOutput {
        login_profile: view(&user, profile),
    })
}

/// UpdateLoginProfile: a new password (checked, then dropped) and whether
/// it must be reset; the profile must exist.
pub(super) fn update(state: &ApiState, input: UpdateLoginProfileInput) -> Result<(), Error> {
    if let Some(password) = &input.password {
        check_password(password)?;
    }
    state.store.write(|tx| -> Result<_, Error> {
        let (mut user, mut profile) = with_profile(tx, &input.user_name)?;
        if let Some(reset) = input.password_reset_required {
            profile.password_reset_required = reset;
        }
        user.login_profile = Some(profile);
        tx.save_user(&user)?;
        Ok(())
    })
}

pub(super) fn delete(
    state: &ApiState,
    ctx: &RequestContext,
    input: DeleteLoginProfileInput,
) -> Result<(), Error> {
    let name = user_named(ctx, input.user_name)?;
    state.store.write(|tx| -> Result<_, Error> {
        let (mut user, _) = with_profile(tx, &name)?;
        user.login_profile = None;
        tx.save_user(&user)?;
        Ok(())
    })
}
