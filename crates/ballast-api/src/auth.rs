//! Who may call: credentials and the principals behind them.
//!
//! Today there is one principal, the account root, with static credentials
//! (`test`/`test` by default). Temporary credentials (instance roles) will
//! be added here as another source for [`Credentials::lookup`], carrying a
//! session token that [`ballast_wire::sigv4::verify`] already checks.

use ballast_core::Scope;
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
    Root,
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

    /// The secret and principal behind an access key.
    pub fn lookup(&self, access_key_id: &str) -> Option<(Secret, Principal)> {
        (access_key_id == self.root_access_key).then(|| {
            (
                Secret {
                    secret_access_key: self.root_secret_key.clone(),
                    session_token: None,
                },
                Principal::Root,
            )
        })
    }
}

impl Principal {
    /// The principal's ARN.
    pub fn arn(&self, scope: &Scope) -> String {
        match self {
            Principal::Root => scope.root_arn(),
        }
    }

    /// The principal's unique id, as GetCallerIdentity reports it.
    pub fn user_id(&self, scope: &Scope) -> String {
        match self {
            Principal::Root => scope.account.clone(),
        }
    }
}
