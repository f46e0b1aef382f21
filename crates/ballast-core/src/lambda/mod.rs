//! Lambda functions: what CreateFunction and UpdateFunction* accept, the
//! record a function (or one of its versions) is, and how requests name
//! one.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Scope;

pub mod alias;
pub mod concurrency;
pub mod invoke;
pub mod policy;
pub mod version;

pub use alias::Alias;
pub use policy::{ResourcePolicy, Statement};
pub use version::{LATEST, Published, Qualifier};

/// The runtimes Ballast runs: the host's Python for `python3.*`, and any
/// executable `bootstrap` for the OS-only runtimes.
pub const RUNTIMES: &[&str] = &[
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
    "provided.al2",
    "provided.al2023",
];

/// AWS's defaults and limits.
pub const DEFAULT_TIMEOUT_SECONDS: i32 = 3;
pub const DEFAULT_MEMORY_MB: i32 = 128;
/// The longest a function may run (15 minutes).
pub const MAX_TIMEOUT_SECONDS: i32 = 900;
/// The largest zip CreateFunction takes inline (50 MB, base64 decoded).
pub const MAX_ZIP_BYTES: usize = 50 * 1024 * 1024;
/// The largest a package may be unpacked (250 MB), as GetAccountSettings
/// reports it.
pub const MAX_UNZIPPED_BYTES: i64 = 250 * 1024 * 1024;
/// The storage all of an account's packages may take (75 GB).
pub const TOTAL_CODE_BYTES: i64 = 75 * 1024 * 1024 * 1024;

/// Why Lambda refuses a request, one arm per error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// `ValidationException`: a limit the service checks beyond the model.
    #[error("{0}")]
    Validation(String),
    /// `InvalidParameterValueException`.
    #[error("{0}")]
    InvalidParameter(String),
    /// `ResourceNotFoundException`.
    #[error("{0}")]
    NotFound(String),
    /// `ResourceConflictException`.
    #[error("{0}")]
    Conflict(String),
    /// `PreconditionFailedException`: a `RevisionId` that is not the
    /// function's.
    #[error("{0}")]
    PreconditionFailed(String),
    /// `InvalidRequestContentException`: an Invoke payload that is not
    /// JSON.
    #[error("{0}")]
    InvalidRequestContent(String),
    /// `RequestTooLargeException`: an Invoke payload over the limit.
    #[error("{0}")]
    RequestTooLarge(String),
    /// `ServiceException`: the function could not be run at all.
    #[error("{0}")]
    Service(String),
    /// `TooManyRequestsException` (429): every invocation the function's
    /// reserved concurrency allows is running.
    #[error("Rate Exceeded.")]
    Throttled,
}

impl Error {
    fn function_not_found(scope: &Scope, name: &str) -> Error {
        Error::NotFound(format!("Function not found: {}", arn(scope, name)))
    }
}

/// A version of a function: its unpublished `$LATEST`, which updates
/// change, or a numbered version PublishVersion made of it, which nothing
/// changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Function {
    pub name: String,
    /// `$LATEST`, or the published version's number.
    #[serde(default = "version::latest")]
    pub version: String,
    /// On `$LATEST`: the number of the last version published, which is
    /// never given again, even once that version is deleted.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub last_published: u32,
    /// On a published version: the revision of `$LATEST` it was made from.
    /// PublishVersion makes no new version while `$LATEST` is still there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_from: Option<String>,
    pub runtime: String,
    pub handler: Option<String>,
    pub role: String,
    pub description: String,
    pub timeout_seconds: i32,
    pub memory_mb: i32,
    pub environment: BTreeMap<String, String>,
    pub code: Code,
    pub last_modified_millis: i64,
    /// Changes with every update; a request may name the one it expects.
    pub revision_id: String,
    /// Who may invoke this version (AddPermission).
    pub policy: ResourcePolicy,
    /// How many invocations may run at once (PutFunctionConcurrency), all
    /// of them kept for this function; `None` draws on the account's
    /// unreserved pool. Not part of the revision, as in AWS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved_concurrency: Option<i32>,
}

/// A function's deployment package, as its zip's hash and size (the bytes
/// are kept by hash in the store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Code {
    /// Base64 of the zip's SHA-256, as `CodeSha256` shows it.
    pub sha256: String,
    pub size: i64,
}

impl Code {
    /// Checks a zip given inline (`Code.ZipFile`) and describes it.
    pub fn of_zip(zip: &[u8]) -> Result<Code, Error> {
        if zip.len() > MAX_ZIP_BYTES {
            return Err(Error::InvalidParameter(format!(
                "Unzipped size must be smaller than {MAX_ZIP_BYTES} bytes"
            )));
        }
        // A zip starts with a local file header, or is empty and starts
        // with the end of its central directory.
        if !(zip.starts_with(b"PK\x03\x04") || zip.starts_with(b"PK\x05\x06")) {
            return Err(Error::InvalidParameter(
                "Could not unzip uploaded file. Please check your file, then try to upload again."
                    .to_owned(),
            ));
        }
        let digest = Sha256::digest(zip);
        Ok(Code {
            sha256: base64::engine::general_purpose::STANDARD.encode(digest),
            size: i64::try_from(zip.len()).unwrap_or(i64::MAX),
        })
    }
}

/// What CreateFunction or UpdateFunctionConfiguration sets (`None`: keep,
/// or the default on create).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub runtime: Option<String>,
    pub handler: Option<String>,
    pub role: Option<String>,
    pub description: Option<String>,
    pub timeout_seconds: Option<i32>,
    pub memory_mb: Option<i32>,
    pub environment: Option<BTreeMap<String, String>>,
}

impl Function {
    /// A new function from CreateFunction's settings and code.
    pub fn new(
        name: &str,
        settings: Settings,
        code: Code,
        now_millis: i64,
        revision_id: String,
    ) -> Result<Function, Error> {
        let runtime = settings.runtime.clone().ok_or_else(|| {
            Error::InvalidParameter("Runtime is required for .zip file archive functions.".into())
        })?;
        let mut function = Function {
            name: name.to_owned(),
            version: LATEST.to_owned(),
            last_published: 0,
            published_from: None,
            runtime,
            handler: None,
            role: String::new(),
            description: String::new(),
            timeout_seconds: DEFAULT_TIMEOUT_SECONDS,
            memory_mb: DEFAULT_MEMORY_MB,
            environment: BTreeMap::new(),
            code,
            last_modified_millis: now_millis,
            revision_id,
            policy: ResourcePolicy::default(),
            reserved_concurrency: None,
        };
        function.configure(settings, now_millis, String::new())?;
        Ok(function)
    }

    /// Applies UpdateFunctionConfiguration's settings (and CreateFunction's).
    pub fn configure(
        &mut self,
        settings: Settings,
        now_millis: i64,
        revision_id: String,
    ) -> Result<(), Error> {
        let mut next = self.clone();
        if let Some(runtime) = settings.runtime {
            next.runtime = runtime;
        }
        if let Some(handler) = settings.handler {
            next.handler = Some(handler);
        }
        if let Some(role) = settings.role {
            next.role = role;
        }
        if let Some(description) = settings.description {
            next.description = description;
        }
        if let Some(timeout) = settings.timeout_seconds {
            next.timeout_seconds = timeout;
        }
        if let Some(memory) = settings.memory_mb {
            next.memory_mb = memory;
        }
        if let Some(environment) = settings.environment {
            next.environment = environment;
        }
        next.check()?;
        next.last_modified_millis = now_millis;
        if !revision_id.is_empty() {
            next.revision_id = revision_id;
        }
        *self = next;
        Ok(())
    }

    fn check(&self) -> Result<(), Error> {
        if self.timeout_seconds > MAX_TIMEOUT_SECONDS {
            return Err(Error::Validation(format!(
                "1 validation error detected: Value '{}' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to {MAX_TIMEOUT_SECONDS}",
                self.timeout_seconds
            )));
        }
        if !RUNTIMES.contains(&self.runtime.as_str()) {
            return Err(Error::InvalidParameter(format!(
                "The runtime parameter of {} is not supported by Ballast: it runs {}.",
                self.runtime,
                RUNTIMES.join(", ")
            )));
        }
        if self.runtime.starts_with("python") && self.handler.is_none() {
            return Err(Error::InvalidParameter(
                "Handler is required for .zip file archive functions.".to_owned(),
            ));
        }
        for key in self.environment.keys() {
            if RESERVED_VARIABLES.contains(&key.as_str()) {
                return Err(Error::InvalidParameter(format!(
                    "Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: {key}"
                )));
            }
        }
        Ok(())
    }

    /// Checks a request's `RevisionId` against the function's.
    pub fn check_revision(&self, expected: Option<&str>) -> Result<(), Error> {
        check_revision(&self.revision_id, expected)
    }
}

/// A request's `RevisionId`, when it gives one, must be the current one
/// (of a function, a version or an alias).
pub(crate) fn check_revision(current: &str, expected: Option<&str>) -> Result<(), Error> {
    match expected {
        Some(id) if id != current => Err(Error::PreconditionFailed(
            "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id"
                .to_owned(),
        )),
        _ => Ok(()),
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Variables Lambda sets itself, which a function may not.
const RESERVED_VARIABLES: &[&str] = &[
    "_HANDLER",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

/// `arn:aws:lambda:REGION:ACCOUNT:function:NAME`.
pub fn arn(scope: &Scope, name: &str) -> String {
    format!(
        "arn:aws:lambda:{}:{}:function:{name}",
        scope.region, scope.account
    )
}

/// `arn:aws:lambda:REGION:ACCOUNT:function:NAME:QUALIFIER`, the ARN of
/// a version or alias (or the function's own when `qualifier` is `None`).
pub fn qualified_arn(scope: &Scope, name: &str, qualifier: Option<&str>) -> String {
    match qualifier {
        Some(qualifier) => format!("{}:{qualifier}", arn(scope, name)),
        None => arn(scope, name),
    }
}

/// A function as a request names it: its name, and the version or alias
/// the request's `FunctionName` or `Qualifier` gives, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Named<'a> {
    pub name: &'a str,
    pub qualifier: Option<&'a str>,
}

impl Named<'_> {
    /// The ARN the request names: qualified when it names a qualifier.
    pub fn arn(&self, scope: &Scope) -> String {
        qualified_arn(scope, self.name, self.qualifier)
    }
}

/// The function a `FunctionName` names: a name, a full ARN or a partial
/// one (`ACCOUNT:function:NAME`), with an optional `:QUALIFIER`.
pub fn parse_name<'a>(scope: &Scope, text: &'a str) -> Result<Named<'a>, Error> {
    let parts: Vec<&str> = text.split(':').collect();
    let (name, qualifier) = match parts.as_slice() {
        [name] => (*name, None),
        [name, qualifier] => (*name, Some(*qualifier)),
        [account, "function", name] => {
            check_account(scope, account)?;
            (*name, None)
        }
        [account, "function", name, qualifier] => {
            check_account(scope, account)?;
            (*name, Some(*qualifier))
        }
        [
            "arn",
            "aws",
            "lambda",
            region,
            account,
            "function",
            name,
            rest @ ..,
        ] if rest.len() <= 1 => {
            if *region != scope.region {
                return Err(Error::InvalidParameter(format!(
                    "Functions from '{region}' are not reachable in this region ('{}')",
                    scope.region
                )));
            }
            check_account(scope, account)?;
            (*name, rest.first().copied())
        }
        _ => {
            return Err(Error::InvalidParameter(format!(
                "The function name {text} is not a function name or ARN."
            )));
        }
    };
    Ok(Named { name, qualifier })
}

/// The function a request names with its `FunctionName` and `Qualifier`
/// member; when both give a qualifier, they must agree.
pub fn named<'a>(
    scope: &Scope,
    text: &'a str,
    qualifier: Option<&'a str>,
) -> Result<Named<'a>, Error> {
    let named = parse_name(scope, text)?;
    match (named.qualifier, qualifier) {
        (Some(derived), Some(given)) if derived != given => Err(Error::InvalidParameter(
            "The derived qualifier from the function name does not match the specified qualifier."
                .to_owned(),
        )),
        (Some(_), _) => Ok(named),
        (None, given) => Ok(Named {
            qualifier: given,
            ..named
        }),
    }
}

/// The function an operation on `$LATEST` alone names (CreateFunction,
/// the updates, tags): a qualifier other than `$LATEST` names nothing it
/// can act on.
pub fn function_name<'a>(scope: &Scope, text: &'a str) -> Result<&'a str, Error> {
    latest_only(parse_name(scope, text)?)
}

/// The function `named` names, when it names `$LATEST` (or no qualifier):
/// Lambda's answer to a version or alias where only `$LATEST` may be.
pub fn latest_only(named: Named<'_>) -> Result<&str, Error> {
    match named.qualifier {
        None | Some(LATEST) => Ok(named.name),
        Some(_) => Err(Error::InvalidParameter(
            "Current operation does not support versions other than $LATEST. Please set version to $LATEST or do not set a version in your request."
                .to_owned(),
        )),
    }
}

fn check_account(scope: &Scope, account: &str) -> Result<(), Error> {
    if account == scope.account {
        Ok(())
    } else {
        Err(Error::NotFound(format!(
            "Functions of account {account} are not in this account."
        )))
    }
}

/// The error for a function that does not exist.
pub fn not_found(scope: &Scope, name: &str) -> Error {
    Error::function_not_found(scope, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope {
            region: "us-east-1".into(),
            account: "000000000000".into(),
        }
    }

    fn settings() -> Settings {
        Settings {
            runtime: Some("python3.12".into()),
            handler: Some("index.handler".into()),
            role: Some("arn:aws:iam::000000000000:role/attach".into()),
            ..Settings::default()
        }
    }

    fn code() -> Code {
        Code::of_zip(b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0").expect("an empty zip")
    }

    #[test]
    fn a_function_takes_aws_defaults_and_ballast_runtimes() {
        let f = Function::new("attach", settings(), code(), 5, "r1".into()).expect("valid");
        assert_eq!((f.timeout_seconds, f.memory_mb), (3, 128));
        assert_eq!(f.code.size, 22);
        assert_eq!(f.code.sha256.len(), 44);
        let node = Settings {
            runtime: Some("nodejs20.x".into()),
            ..settings()
        };
        assert!(matches!(
            Function::new("a", node, code(), 0, "r".into()),
            Err(Error::InvalidParameter(_))
        ));
        let no_handler = Settings {
            handler: None,
            ..settings()
        };
        assert!(Function::new("a", no_handler.clone(), code(), 0, "r".into()).is_err());
        let provided = Settings {
            runtime: Some("provided.al2023".into()),
            ..no_handler
        };
        assert!(Function::new("a", provided, code(), 0, "r".into()).is_ok());
        assert!(matches!(
            Code::of_zip(b"not a zip"),
            Err(Error::InvalidParameter(_))
        ));
    }

    #[test]
    fn updates_are_all_or_nothing_and_revisions_are_checked() {
        let mut f = Function::new("attach", settings(), code(), 0, "r1".into()).expect("valid");
        let reserved = Settings {
            timeout_seconds: Some(30),
            environment: Some(BTreeMap::from([("AWS_REGION".into(), "x".into())])),
            ..Settings::default()
        };
        assert!(f.configure(reserved, 1, "r2".into()).is_err());
        assert_eq!(f.timeout_seconds, 3, "nothing changed");
        f.configure(
            Settings {
                timeout_seconds: Some(30),
                ..Settings::default()
            },
            1,
            "r2".into(),
        )
        .expect("valid");
        assert_eq!((f.timeout_seconds, f.revision_id.as_str()), (30, "r2"));
        assert!(f.check_revision(Some("r1")).is_err());
        assert!(f.check_revision(Some("r2")).is_ok());
    }

    #[test]
    fn functions_are_named_by_name_or_arn() {
        let s = scope();
        assert_eq!(function_name(&s, "attach"), Ok("attach"));
        assert_eq!(function_name(&s, "attach:$LATEST"), Ok("attach"));
        assert_eq!(
            function_name(&s, "arn:aws:lambda:us-east-1:000000000000:function:attach"),
            Ok("attach")
        );
        assert_eq!(
            function_name(&s, "000000000000:function:attach"),
            Ok("attach")
        );
        assert!(matches!(
            function_name(&s, "attach:3"),
            Err(Error::InvalidParameter(_))
        ));
        let live = Named {
            name: "attach",
            qualifier: Some("live"),
        };
        assert_eq!(named(&s, "attach:live", None), Ok(live));
        assert_eq!(named(&s, "attach", Some("live")), Ok(live));
        assert_eq!(named(&s, "attach:live", Some("live")), Ok(live));
        assert!(matches!(
            named(&s, "attach:live", Some("3")),
            Err(Error::InvalidParameter(_))
        ));
        assert_eq!(
            live.arn(&s),
            "arn:aws:lambda:us-east-1:000000000000:function:attach:live"
        );
        assert!(function_name(&s, "arn:aws:lambda:eu-west-1:000000000000:function:a").is_err());
    }
}
