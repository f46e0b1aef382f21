//! Who may call: credentials and the principals behind them.
//!
//! Three kinds of principal sign requests: the account root, with static
//! credentials (`test`/`test` by default); IAM users, with their access
//! keys (`AKIA…`, while `Active`); and roles, through temporary credentials
//! (STS sessions the metadata service or AssumeRole issued), whose session
//! token [`ballast_wire::sigv4::verify`] checks. GetSessionToken's
//! temporary credentials act as the root user or the IAM user they were
//! issued to, within the limits [`Caller::token_expires_millis`] marks.

use ballast_core::Scope;
use ballast_core::iam::{AccessKeyStatus, User};
use ballast_core::sts::Session;
use ballast_core::sts::session_token::TokenSession;
use ballast_store::Store;
use ballast_wire::sigv4::Secret;

/// The default access key id, the convention local AWS tools share.
pub const DEFAULT_ACCESS_KEY: &str = "test";
/// The default secret access key.
pub const DEFAULT_SECRET_KEY: &str = "test";

/// The credentials Ballast accepts.
#[derive(Debug, Clone)]
pub struct Credentials {
    root_access_key: String,
    root_secret_key: String,
}

/// A principal a request was signed by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The account's root user: allowed everything.
    Root,
    /// A role, through temporary credentials: allowed what the role's
    /// policies allow.
    AssumedRole(Box<Session>),
    /// An IAM user, through one of its access keys: allowed what the
    /// user's policies allow.
    User(Box<User>),
}

/// What an access key id stands for: the secret that signs with it, and
/// who signs.
#[derive(Debug, Clone)]
pub struct Signer {
    pub secret: Secret,
    pub caller: Caller,
}

/// Who signed a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    /// When the credentials came from GetSessionToken: their expiry. They
    /// act as `principal`, but may not call IAM or most of STS.
    pub token_expires_millis: Option<i64>,
}

impl Signer {
    fn long_term(secret: Secret, principal: Principal) -> Self {
        Signer {
            secret,
            caller: Caller {
                principal,
                token_expires_millis: None,
            },
        }
    }
}

impl Caller {
    /// Whether the credentials expired before `now_millis`.
    pub fn expired(&self, now_millis: i64) -> bool {
        self.principal.expired(now_millis)
            || self.token_expires_millis.is_some_and(|at| now_millis >= at)
    }
}

impl Credentials {
    pub fn new(root_access_key: impl Into<String>, root_secret_key: impl Into<String>) -> Self {
        Credentials {
            root_access_key: root_access_key.into(),
            root_secret_key: root_secret_key.into(),
        }
    }

    /// Whether these are the well-known default credentials, which must not
    /// guard anything reachable from other machines.
    pub fn are_defaults(&self) -> bool {
        self.root_access_key == DEFAULT_ACCESS_KEY && self.root_secret_key == DEFAULT_SECRET_KEY
    }

    pub fn root_access_key(&self) -> &str {
        &self.root_access_key
    }

    /// Who an access key id stands for: the root, a user's access key, or
    /// a session's from the store (expired or not; see
    /// [`Caller::expired`]).
    pub fn lookup(&self, store: &Store, access_key_id: &str) -> Option<Signer> {
        if access_key_id == self.root_access_key {
            return Some(Signer::long_term(
                Secret {
                    secret_access_key: self.root_secret_key.clone(),
                    session_token: None,
                },
                Principal::Root,
            ));
        }
        if access_key_id.starts_with("AKIA") {
            return user_key(store, access_key_id);
        }
        if !access_key_id.starts_with("ASIA") {
            return None;
        }
        let found = store.read(|tx| -> Result<_, ballast_store::StoreError> {
            if let Some(session) = tx.session(access_key_id)? {
                return Ok(Some(Signer::long_term(
                    Secret {
                        secret_access_key: session.secret_access_key.clone(),
                        session_token: Some(session.session_token.clone()),
                    },
                    Principal::AssumedRole(Box::new(session)),
                )));
            }
            let Some(token) = tx.token_session(access_key_id)? else {
                return Ok(None);
            };
            token_signer(tx, token)
        });
        match found {
            Ok(found) => found,
            Err(error) => {
                tracing::error!(%error, "looking up a session");
                None
            }
        }
    }
}

/// GetSessionToken's credentials, acting as the root or a user that
/// still exists.
fn token_signer(
    tx: &ballast_store::Tx<'_>,
    token: TokenSession,
) -> Result<Option<Signer>, ballast_store::StoreError> {
    let principal = match &token.user {
        None => Principal::Root,
        Some(name) => match tx.user(name)? {
            Some(user) => Principal::User(Box::new(user)),
            None => return Ok(None),
        },
    };
    Ok(Some(Signer {
        secret: Secret {
            secret_access_key: token.secret_access_key,
            session_token: Some(token.session_token),
        },
        caller: Caller {
            principal,
            token_expires_millis: Some(token.expires_millis),
        },
    }))
}

/// The secret and user behind an active access key.
fn user_key(store: &Store, access_key_id: &str) -> Option<Signer> {
    let found = store.read(|tx| -> Result<_, ballast_store::StoreError> {
        let Some(key) = tx.access_key(access_key_id)? else {
            return Ok(None);
        };
        Ok(tx.user(&key.user_name)?.map(|user| (key, user)))
    });
    let (key, user) = match found {
        Ok(found) => found?,
        Err(error) => {
            tracing::error!(%error, "looking up an access key");
            return None;
        }
    };
    // An inactive key is refused as an unknown one is, as on AWS.
    (key.status == AccessKeyStatus::Active).then(|| {
        Signer::long_term(
            Secret {
                secret_access_key: key.secret_access_key,
                session_token: None,
            },
            Principal::User(Box::new(user)),
        )
    })
}

impl Principal {
    /// The principal's ARN.
    pub fn arn(&self, scope: &Scope) -> String {
        match self {
            Principal::Root => scope.root_arn(),
            Principal::AssumedRole(session) => session.assumed_role_arn(&scope.account),
            Principal::User(user) => user.arn.clone(),
        }
    }

    /// The principal's unique id, as GetCallerIdentity reports it.
    pub fn user_id(&self, scope: &Scope) -> String {
        match self {
            Principal::Root => scope.account.clone(),
            Principal::AssumedRole(session) => session.user_id(),
            Principal::User(user) => user.id.clone(),
        }
    }

    /// Whether the principal's credentials expired before `now_millis`.
    pub fn expired(&self, now_millis: i64) -> bool {
        match self {
            Principal::Root | Principal::User(_) => false,
            Principal::AssumedRole(session) => session.expired(now_millis),
        }
    }
}
