//! SSM documents: names, versions, owners, sharing and the errors AWS
//! answers with. What a document's content may hold lives in [`content`];
//! checking a command's parameters against a document and substituting
//! them into its steps in [`resolve`]; the documents Amazon owns in
//! [`super::amazon_documents`].

pub mod content;
pub mod resolve;

use serde::{Deserialize, Serialize};

pub use content::{DocumentFormat, ParameterDecl, ParameterKind};

/// The most versions one document keeps.
pub const MAX_VERSIONS: i64 = 1000;
/// A document's content is at most 64 KB.
pub const MAX_CONTENT_BYTES: usize = 64 * 1024;
/// The most accounts one ModifyDocumentPermission call may name.
pub const MAX_ACCOUNTS_PER_CALL: usize = 20;
/// The most accounts a private document may be shared with.
pub const MAX_SHARED_ACCOUNTS: usize = 1000;
/// The most tags one resource may carry.
pub const MAX_TAGS: usize = 50;
/// The owner AWS shows for its own documents.
pub const AMAZON_OWNER: &str = "Amazon";
/// The account id that shares a document with everyone.
pub const SHARE_ALL: &str = "all";

/// Why a document request was refused. Each variant is one of the
/// service's modelled errors (or the protocol's validation error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Validation(String),
    #[error("Document with same name {0} already exists")]
    AlreadyExists(String),
    #[error("The specified document does not exist.")]
    NotFound,
    #[error("The document version is not valid or does not exist.")]
    InvalidVersion,
    #[error("{0}")]
    InvalidContent(String),
    #[error("{0}")]
    InvalidSchemaVersion(String),
    #[error("{0}")]
    InvalidOperation(String),
    #[error(
        "The content of the association document matches another document. Change the content of the document and try again."
    )]
    DuplicateContent,
    #[error(
        "The version name has already been used in this document. Specify a different version name, and then try again."
    )]
    DuplicateVersionName,
    #[error(
        "The document has too many versions ({MAX_VERSIONS}). Delete one or more document versions and try again."
    )]
    VersionLimitExceeded,
    #[error("The size limit of a document is 64 KB.")]
    MaxSizeExceeded,
    #[error("{0}")]
    PermissionLimit(String),
    #[error("The next token is not valid.")]
    InvalidNextToken,
    #[error("{0}")]
    InvalidFilterKey(String),
    #[error("{0}")]
    InvalidFilterValue(String),
    #[error("The resource type {0} is not supported.")]
    InvalidResourceType(String),
    #[error("The resource ID \"{0}\" is not valid. Verify the ID and try again.")]
    InvalidResourceId(String),
    #[error("The resource already has {MAX_TAGS} tags: no more can be added.")]
    TooManyTags,
}

fn invalid(message: impl Into<String>) -> Error {
    Error::Validation(message.into())
}

/// A document's type. The model lists many; Ballast validates the content
/// of `Command` and `Automation` documents and stores the others as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentType {
    Command,
    Automation,
    Other(String),
}

impl DocumentType {
    pub fn parse(text: &str) -> DocumentType {
        match text {
            "Command" => DocumentType::Command,
            "Automation" => DocumentType::Automation,
            other => DocumentType::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            DocumentType::Command => "Command",
            DocumentType::Automation => "Automation",
            DocumentType::Other(other) => other,
        }
    }
}

/// A document: what every version shares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub name: String,
    /// The owning account's id, or [`AMAZON_OWNER`].
    pub owner: String,
    pub document_type: String,
    pub default_version: i64,
    pub latest_version: i64,
    pub created_millis: i64,
    /// Accounts the document is shared with (12-digit ids, or `all`).
    #[serde(default)]
    pub shared_with: Vec<String>,
    /// Which version sharing exposes (`$DEFAULT`, `$LATEST`, `$ALL`).
    #[serde(default)]
    pub shared_version: Option<String>,
}

/// A document another document requires (`Requires`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    pub name: String,
    pub version: Option<String>,
    pub require_type: Option<String>,
    pub version_name: Option<String>,
}

/// One version of a document: its content as given, and what Ballast read
/// from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentVersion {
    pub version: i64,
    pub version_name: Option<String>,
    pub display_name: Option<String>,
    pub content: String,
    pub format: DocumentFormat,
    pub target_type: Option<String>,
    #[serde(default)]
    pub requires: Vec<Requirement>,
    pub created_millis: i64,
    pub schema_version: String,
    pub description: Option<String>,
    #[serde(default)]
    pub parameters: Vec<ParameterDecl>,
    #[serde(default)]
    pub platform_types: Vec<String>,
    /// The SHA-256 of the content, in hex.
    pub hash: String,
}

impl DocumentVersion {
    /// The content parsed again (it was valid when stored).
    pub fn parsed(&self) -> Result<serde_json::Value, Error> {
        content::parse(&self.content, self.format)
    }
}

/// Which version a request names: `DocumentVersion` (`$DEFAULT`,
/// `$LATEST` or a number) and, optionally, a `VersionName`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VersionSelector {
    pub version: Option<String>,
    pub version_name: Option<String>,
}

impl VersionSelector {
    pub fn new(version: Option<&str>, version_name: Option<&str>) -> Self {
        VersionSelector {
            version: version.map(str::to_owned),
            version_name: version_name.map(str::to_owned),
        }
    }

    /// The selected version among `versions` (all of one document). With
    /// neither member, the default version; with a version name alone,
    /// the version carrying it; with both, the version must match both.
    pub fn pick<'a>(
        &self,
        document: &Document,
        versions: &'a [DocumentVersion],
    ) -> Result<&'a DocumentVersion, Error> {
        let number = match self.version.as_deref() {
            None => None,
            Some("$DEFAULT") => Some(document.default_version),
            Some("$LATEST") => Some(document.latest_version),
            Some(text) => Some(text.parse::<i64>().map_err(|_| Error::InvalidVersion)?),
        };
        let found = match (number, self.version_name.as_deref()) {
            (Some(n), name) => versions.iter().find(|v| {
                v.version == n && name.is_none_or(|name| v.version_name.as_deref() == Some(name))
            }),
            (None, Some(name)) => versions
                .iter()
                .find(|v| v.version_name.as_deref() == Some(name)),
            (None, None) => versions
                .iter()
                .find(|v| v.version == document.default_version),
        };
        found.ok_or(Error::InvalidVersion)
    }
}

/// Whether a document name is reserved for AWS: names beginning with
/// `aws`, `amazon` or `amzn`, in any case.
pub fn is_reserved_name(name: &str) -> bool {
    let lowered = name.to_ascii_lowercase();
    ["aws", "amazon", "amzn"]
        .iter()
        .any(|prefix| lowered.starts_with(prefix))
}

/// Checks a name for a new document (the model checked its pattern).
pub fn check_new_name(name: &str) -> Result<(), Error> {
    if is_reserved_name(name) {
        return Err(invalid(format!(
            "Invalid document name {name}: names beginning with aws, amazon or amzn (in any case) are reserved for documents AWS owns."
        )));
    }
    Ok(())
}

/// The document name a request names: the name itself, or the part after
/// `document/` of an ARN (`arn:aws:ssm:REGION:ACCOUNT:document/NAME`).
pub fn name_of(raw: &str) -> &str {
    match raw.strip_prefix("arn:") {
        Some(rest) => rest.split_once(":document/").map_or(raw, |(_, name)| name),
        None => raw,
    }
}

/// A document's ARN: the account's, or AWS's (no account) for one Amazon
/// owns.
pub fn arn(region: &str, account: &str, document: &Document) -> String {
    let account = if document.owner == AMAZON_OWNER {
        ""
    } else {
        account
    };
    format!("arn:aws:ssm:{region}:{account}:document/{}", document.name)
}

/// What CreateDocument asks for.
#[derive(Debug, Clone)]
pub struct CreateRequest {
    pub name: String,
    pub content: String,
    pub format: Option<String>,
    pub document_type: Option<String>,
    pub version_name: Option<String>,
    pub display_name: Option<String>,
    pub target_type: Option<String>,
    pub requires: Vec<Requirement>,
}

impl CreateRequest {
    /// The new document and its first version, owned by `account`.
    pub fn apply(self, account: &str, now: i64) -> Result<(Document, DocumentVersion), Error> {
        check_new_name(&self.name)?;
        let document_type = DocumentType::parse(self.document_type.as_deref().unwrap_or("Command"));
        let format = DocumentFormat::parse_or_json(self.format.as_deref())?;
        let version = new_version(
            1,
            &document_type,
            &self.content,
            format,
            self.version_name,
            self.display_name,
            self.target_type,
            self.requires,
            now,
        )?;
        let document = Document {
            name: self.name,
            owner: account.to_owned(),
            document_type: document_type.as_str().to_owned(),
            default_version: 1,
            latest_version: 1,
            created_millis: now,
            shared_with: Vec::new(),
            shared_version: None,
        };
        Ok((document, version))
    }
}

/// What UpdateDocument asks for.
#[derive(Debug, Clone)]
pub struct UpdateRequest {
    pub content: String,
    pub format: Option<String>,
    pub document_version: Option<String>,
    pub version_name: Option<String>,
    pub display_name: Option<String>,
    pub target_type: Option<String>,
}

impl UpdateRequest {
    /// The document's next version. Only the latest version may be
    /// updated; the default version does not move.
    pub fn apply(
        self,
        document: &mut Document,
        versions: &[DocumentVersion],
        now: i64,
    ) -> Result<DocumentVersion, Error> {
        if document.owner == AMAZON_OWNER {
            return Err(Error::InvalidOperation(format!(
                "The document {} is owned by Amazon and can't be updated.",
                document.name
            )));
        }
        match self.document_version.as_deref() {
            None | Some("$LATEST") => {}
            Some(text) if text.parse::<i64>() == Ok(document.latest_version) => {}
            Some(_) => return Err(Error::InvalidVersion),
        }
        if let Some(name) = &self.version_name
            && versions
                .iter()
                .any(|v| v.version_name.as_ref() == Some(name))
        {
            return Err(Error::DuplicateVersionName);
        }
        let latest = versions
            .iter()
            .find(|v| v.version == document.latest_version)
            .ok_or(Error::InvalidVersion)?;
        if document.latest_version >= MAX_VERSIONS {
            return Err(Error::VersionLimitExceeded);
        }
        let format = DocumentFormat::parse_or_json(self.format.as_deref())?;
        let next = new_version(
            document.latest_version + 1,
            &DocumentType::parse(&document.document_type),
            &self.content,
            format,
            self.version_name,
            self.display_name.or_else(|| latest.display_name.clone()),
            self.target_type.or_else(|| latest.target_type.clone()),
            latest.requires.clone(),
            now,
        )?;
        if versions.iter().any(|v| v.hash == next.hash) {
            return Err(Error::DuplicateContent);
        }
        document.latest_version = next.version;
        Ok(next)
    }
}

#[allow(clippy::too_many_arguments)]
fn new_version(
    version: i64,
    document_type: &DocumentType,
    text: &str,
    format: DocumentFormat,
    version_name: Option<String>,
    display_name: Option<String>,
    target_type: Option<String>,
    requires: Vec<Requirement>,
    now: i64,
) -> Result<DocumentVersion, Error> {
    if text.len() > MAX_CONTENT_BYTES {
        return Err(Error::MaxSizeExceeded);
    }
    let summary = content::validate(text, format, document_type)?;
    Ok(DocumentVersion {
        version,
        version_name,
        display_name,
        content: text.to_owned(),
        format,
        target_type,
        requires,
        created_millis: now,
        schema_version: summary.schema_version,
        description: summary.description,
        parameters: summary.parameters,
        platform_types: summary.platform_types,
        hash: content::sha256_hex(text),
    })
}

/// Makes `version` the document's default.
pub fn set_default_version(
    document: &mut Document,
    versions: &[DocumentVersion],
    version: &str,
) -> Result<(), Error> {
    if document.owner == AMAZON_OWNER {
        return Err(Error::NotFound);
    }
    let number: i64 = version.parse().map_err(|_| Error::InvalidVersion)?;
    if !versions.iter().any(|v| v.version == number) {
        return Err(Error::InvalidVersion);
    }
    document.default_version = number;
    Ok(())
}

/// What DeleteDocument removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deletion {
    /// The whole document, every version and its tags.
    Document,
    /// One version, not the default.
    Version(i64),
}

/// Decides what a DeleteDocument call removes.
pub fn plan_delete(
    document: &Document,
    versions: &[DocumentVersion],
    selector: &VersionSelector,
) -> Result<Deletion, Error> {
    if document.owner == AMAZON_OWNER {
        return Err(Error::InvalidOperation(format!(
            "The document {} is owned by Amazon and can't be deleted.",
            document.name
        )));
    }
    if selector.version.is_none() && selector.version_name.is_none() {
        if !document.shared_with.is_empty() {
            return Err(Error::InvalidOperation(
                "You attempted to delete a document while it is still shared. You must stop sharing the document before you can delete it.".to_owned(),
            ));
        }
        return Ok(Deletion::Document);
    }
    let picked = selector.pick(document, versions)?;
    if picked.version == document.default_version {
        if versions.len() == 1 && document.shared_with.is_empty() {
            return Ok(Deletion::Document);
        }
        return Err(Error::InvalidOperation(
            "Default version of the document can't be deleted.".to_owned(),
        ));
    }
    Ok(Deletion::Version(picked.version))
}

/// After deleting version `removed`, the latest version is the highest
/// left.
pub fn after_version_deleted(document: &mut Document, versions: &[DocumentVersion], removed: i64) {
    document.latest_version = versions
        .iter()
        .map(|v| v.version)
        .filter(|v| *v != removed)
        .max()
        .unwrap_or(document.default_version);
}

/// Applies a ModifyDocumentPermission call (permission type `Share`).
pub fn modify_permission(
    document: &mut Document,
    add: &[String],
    remove: &[String],
    shared_version: Option<&str>,
) -> Result<(), Error> {
    if document.owner == AMAZON_OWNER {
        return Err(Error::NotFound);
    }
    for list in [add, remove] {
        if list.len() > MAX_ACCOUNTS_PER_CALL {
            return Err(Error::PermissionLimit(format!(
                "A request can name at most {MAX_ACCOUNTS_PER_CALL} accounts."
            )));
        }
        for id in list {
            let ok = id.eq_ignore_ascii_case(SHARE_ALL)
                || (id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()));
            if !ok {
                return Err(invalid(format!(
                    "1 validation error detected: Value '{id}' failed to satisfy constraint: Member must satisfy regular expression pattern: (?i)all|[0-9]{{12}}"
                )));
            }
        }
        let has_all = list.iter().any(|id| id.eq_ignore_ascii_case(SHARE_ALL));
        if has_all && list.len() > 1 {
            return Err(Error::PermissionLimit(
                "Accounts can either be all or a group of AWS accounts".to_owned(),
            ));
        }
    }
    let canonical = |id: &String| {
        if id.eq_ignore_ascii_case(SHARE_ALL) {
            SHARE_ALL.to_owned()
        } else {
            id.clone()
        }
    };
    let removing: Vec<String> = remove.iter().map(canonical).collect();
    document.shared_with.retain(|id| !removing.contains(id));
    for id in add.iter().map(canonical) {
        if !document.shared_with.contains(&id) {
            document.shared_with.push(id);
        }
    }
    if document.shared_with.len() > MAX_SHARED_ACCOUNTS {
        return Err(Error::PermissionLimit(format!(
            "The document can't be shared with more than {MAX_SHARED_ACCOUNTS} accounts."
        )));
    }
    if !add.is_empty() {
        document.shared_version = Some(shared_version.unwrap_or("$DEFAULT").to_owned());
    }
    if document.shared_with.is_empty() {
        document.shared_version = None;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
