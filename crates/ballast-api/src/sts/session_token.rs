//! GetSessionToken: temporary credentials for the root user or an IAM
//! user, acting as that user (`ballast_core::sts::session_token`). A
//! role's session may not call it, and what its credentials may call is
//! limited in `crate::authorize`.

use ballast_core::sts::session_token::{self, TokenSession};
use ballast_model::sts::{Credentials, GetSessionTokenInput, GetSessionTokenOutput};
use ballast_wire::Timestamp;

use super::{Error, Rule};
use crate::auth::Principal;
use crate::{ApiState, RequestContext};

pub(super) fn get(
    state: &ApiState,
    ctx: &RequestContext,
    input: GetSessionTokenInput,
) -> Result<GetSessionTokenOutput, Error> {
    let user = match &ctx.principal {
        Principal::Root => None,
        Principal::User(user) => Some(user.name.clone()),
        Principal::AssumedRole(_) => {
            return Err(Rule::AccessDenied(
                "Cannot call GetSessionToken with session credentials".to_owned(),
            )
            .into());
        }
    };
    session_token::check_mfa(input.serial_number.as_deref(), input.token_code.as_deref())?;
    let lifetime = session_token::lifetime(input.duration_seconds, user.is_none())?;
    let session = TokenSession::issue(&state.ids, user, state.now().millis(), lifetime);
    state.store.write(|tx| tx.insert_token_session(&session))?;
    Ok(GetSessionTokenOutput {
        credentials: Some(Credentials {
            access_key_id: session.access_key_id,
            secret_access_key: session.secret_access_key,
            session_token: session.session_token,
            expiration: Timestamp::from_millis(session.expires_millis),
        }),
    })
}
