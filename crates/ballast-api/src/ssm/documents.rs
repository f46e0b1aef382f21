//! SSM document handlers: create, read, version, list, share, delete.

use ballast_core::paging::{self, PageLimits, encode_token};
use ballast_core::ssm::amazon_documents;
use ballast_core::ssm::document::{
    self, AMAZON_OWNER, CreateRequest, Deletion, Document, DocumentFormat, DocumentVersion,
    Error as Rule, Requirement, UpdateRequest, VersionSelector, content,
};
use ballast_core::tags;
use ballast_model::ssm::{
    self as wire, CreateDocumentInput, CreateDocumentOutput, DeleteDocumentInput,
    DeleteDocumentOutput, DescribeDocumentInput, DescribeDocumentOutput,
    DescribeDocumentPermissionInput, DescribeDocumentPermissionOutput, GetDocumentInput,
    GetDocumentOutput, ListDocumentVersionsInput, ListDocumentVersionsOutput, ListDocumentsInput,
    ListDocumentsOutput, ModifyDocumentPermissionInput, ModifyDocumentPermissionOutput,
    UpdateDocumentDefaultVersionInput, UpdateDocumentDefaultVersionOutput, UpdateDocumentInput,
    UpdateDocumentOutput,
};
use ballast_store::Tx;
use ballast_wire::Timestamp;

use crate::ApiState;
use crate::error::HandlerError;

/// A failure inside a document handler.
pub(crate) type Error = HandlerError<Rule>;

/// A document's ARN by name: AWS's (no account) for one Amazon owns.
pub(crate) fn document_arn(state: &ApiState, name: &str) -> String {
    let name = document::name_of(name);
    let account = if amazon_documents::is_amazon(name) {
        ""
    } else {
        state.scope.account.as_str()
    };
    format!(
        "arn:aws:ssm:{}:{account}:document/{name}",
        state.scope.region
    )
}

fn arn_of(state: &ApiState, doc: &Document) -> String {
    document::arn(&state.scope.region, &state.scope.account, doc)
}

/// A document with all its versions.
pub(super) struct Found {
    pub(super) document: Document,
    pub(super) versions: Vec<DocumentVersion>,
}

/// The document a request names (a name or an ARN): the account's, else
/// Amazon's.
pub(super) fn find(tx: &Tx<'_>, raw: &str) -> Result<Option<Found>, Error> {
    let name = document::name_of(raw);
    if let Some(document) = tx.document(name)? {
        let versions = tx.document_versions(name)?;
        return Ok(Some(Found { document, versions }));
    }
    Ok(
        amazon_documents::find(name).map(|(document, version)| Found {
            document,
            versions: vec![version],
        }),
    )
}

fn require(tx: &Tx<'_>, raw: &str) -> Result<Found, Error> {
    find(tx, raw)?.ok_or_else(|| Rule::NotFound.into())
}

/// The account's own document (Amazon's cannot be changed): `NotFound`
/// for anything else.
fn require_own(tx: &Tx<'_>, name: &str) -> Result<Found, Error> {
    let document = tx.document(name)?.ok_or(Rule::NotFound)?;
    let versions = tx.document_versions(name)?;
    Ok(Found { document, versions })
}

fn page_size(value: Option<i32>, max: usize) -> usize {
    let limits = PageLimits {
        min: 1,
        max: i64::try_from(max).unwrap_or(i64::MAX),
        default: max,
    };
    paging::page_size(value.map(i64::from), limits).unwrap_or(max)
}

fn after_token(token: Option<&str>) -> Result<Option<String>, Error> {
    paging::page_after(token).map_err(|_| Rule::InvalidNextToken.into())
}

fn wire_format(format: DocumentFormat) -> wire::DocumentFormat {
    wire::DocumentFormat::from(format.as_str())
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

fn wire_tags(tx: &Tx<'_>, arn: &str) -> Result<Vec<wire::Tag>, Error> {
    Ok(crate::tags::from_pairs(tx.tags(arn)?))
}

fn wire_requires(requires: &[Requirement]) -> Option<Vec<wire::DocumentRequires>> {
    (!requires.is_empty()).then(|| {
        requires
            .iter()
            .map(|r| wire::DocumentRequires {
                name: r.name.clone(),
                version: r.version.clone(),
                require_type: r.require_type.clone(),
                version_name: r.version_name.clone(),
            })
            .collect()
    })
}

fn wire_parameters(version: &DocumentVersion) -> Vec<wire::DocumentParameter> {
    version
        .parameters
        .iter()
        .map(|p| wire::DocumentParameter {
            name: Some(p.name.clone()),
            r#type: Some(wire::DocumentParameterType::from(p.kind.as_str())),
            description: p.description.clone(),
            default_value: p.default_text(),
        })
        .collect()
}

fn platform_types(version: &DocumentVersion) -> Vec<wire::PlatformType> {
    version
        .platform_types
        .iter()
        .map(|p| wire::PlatformType::from(p.as_str()))
        .collect()
}

/// DescribeDocument's (and Create/UpdateDocument's) view of one version.
fn description(
    state: &ApiState,
    tx: &Tx<'_>,
    doc: &Document,
    v: &DocumentVersion,
) -> Result<wire::DocumentDescription, Error> {
    let tags = wire_tags(tx, &arn_of(state, doc))?;
    Ok(wire::DocumentDescription {
        hash: Some(v.hash.clone()),
        hash_type: Some(wire::DocumentHashType::Sha256),
        name: Some(doc.name.clone()),
        display_name: v.display_name.clone(),
        version_name: v.version_name.clone(),
        owner: Some(doc.owner.clone()),
        created_date: Some(Timestamp::from_millis(v.created_millis)),
        status: Some(wire::DocumentStatus::Active),
        document_version: Some(v.version.to_string()),
        description: v.description.clone(),
        parameters: Some(wire_parameters(v)),
        platform_types: Some(platform_types(v)),
        document_type: Some(wire::DocumentType::from(doc.document_type.as_str())),
        schema_version: non_empty(&v.schema_version),
        latest_version: Some(doc.latest_version.to_string()),
        default_version: Some(doc.default_version.to_string()),
        document_format: Some(wire_format(v.format)),
        target_type: v.target_type.clone(),
        tags: Some(tags),
        requires: wire_requires(&v.requires),
        ..Default::default()
    })
}

fn requirements(requires: Option<Vec<wire::DocumentRequires>>) -> Vec<Requirement> {
    requires
        .unwrap_or_default()
        .into_iter()
        .map(|r| Requirement {
            name: r.name,
            version: r.version,
            require_type: r.require_type,
            version_name: r.version_name,
        })
        .collect()
}

pub(super) fn create(
    state: &ApiState,
    input: CreateDocumentInput,
) -> Result<CreateDocumentOutput, Error> {
    let tags = input.tags.map(crate::tags::to_core).unwrap_or_default();
    tags::validate(&tags).map_err(|e| Rule::Validation(e.to_string()))?;
    if tags.len() > document::MAX_TAGS {
        return Err(Rule::Validation(format!(
            "A document can have at most {} tags.",
            document::MAX_TAGS
        ))
        .into());
    }
    let request = CreateRequest {
        name: input.name,
        content: input.content,
        format: input.document_format.map(|f| f.as_str().to_owned()),
        document_type: input.document_type.map(|t| t.as_str().to_owned()),
        version_name: input.version_name,
        display_name: input.display_name,
        target_type: input.target_type,
        requires: requirements(input.requires),
    };
    let now = state.now().millis();
    let (doc, version) = request.apply(&state.scope.account, now)?;
    state.store.write(|tx| -> Result<_, Error> {
        if amazon_documents::is_amazon(&doc.name) || tx.document(&doc.name)?.is_some() {
            return Err(Rule::AlreadyExists(doc.name.clone()).into());
        }
        tx.save_document(&doc)?;
        tx.insert_document_version(&doc.name, &version)?;
        if !tags.is_empty() {
            tx.put_tags(&arn_of(state, &doc), &tags::pairs(&tags))?;
        }
        Ok(CreateDocumentOutput {
            document_description: Some(description(state, tx, &doc, &version)?),
        })
    })
}

pub(super) fn get(state: &ApiState, input: GetDocumentInput) -> Result<GetDocumentOutput, Error> {
    let selector = VersionSelector::new(
        input.document_version.as_deref(),
        input.version_name.as_deref(),
    );
    let found = state.store.read(|tx| require(tx, &input.name))?;
    let v = selector.pick(&found.document, &found.versions)?;
    let asked = match input.document_format {
        Some(f) => DocumentFormat::parse_or_json(Some(f.as_str()))?,
        None => v.format,
    };
    // Another format than the stored one is converted; TEXT is never
    // converted to or from.
    let (text, format) =
        if asked == v.format || asked == DocumentFormat::Text || v.format == DocumentFormat::Text {
            (v.content.clone(), v.format)
        } else {
            (content::render(&v.parsed()?, asked)?, asked)
        };
    Ok(GetDocumentOutput {
        name: Some(found.document.name.clone()),
        created_date: Some(Timestamp::from_millis(v.created_millis)),
        display_name: v.display_name.clone(),
        version_name: v.version_name.clone(),
        document_version: Some(v.version.to_string()),
        status: Some(wire::DocumentStatus::Active),
        content: Some(text),
        document_type: Some(wire::DocumentType::from(
            found.document.document_type.as_str(),
        )),
        document_format: Some(wire_format(format)),
        requires: wire_requires(&v.requires),
        ..Default::default()
    })
}

pub(super) fn describe(
    state: &ApiState,
    input: DescribeDocumentInput,
) -> Result<DescribeDocumentOutput, Error> {
    let selector = VersionSelector::new(
        input.document_version.as_deref(),
        input.version_name.as_deref(),
    );
    state.store.read(|tx| {
        let found = require(tx, &input.name)?;
        let v = selector.pick(&found.document, &found.versions)?;
        Ok(DescribeDocumentOutput {
            document: Some(description(state, tx, &found.document, v)?),
        })
    })
}

pub(super) fn update(
    state: &ApiState,
    input: UpdateDocumentInput,
) -> Result<UpdateDocumentOutput, Error> {
    let request = UpdateRequest {
        content: input.content,
        format: input.document_format.map(|f| f.as_str().to_owned()),
        document_version: input.document_version,
        version_name: input.version_name,
        display_name: input.display_name,
        target_type: input.target_type,
    };
    let now = state.now().millis();
    state.store.write(|tx| {
        let Found {
            mut document,
            versions,
        } = require(tx, &input.name)?;
        let next = request.apply(&mut document, &versions, now)?;
        tx.save_document(&document)?;
        tx.insert_document_version(&document.name, &next)?;
        Ok(UpdateDocumentOutput {
            document_description: Some(description(state, tx, &document, &next)?),
        })
    })
}

pub(super) fn update_default_version(
    state: &ApiState,
    input: UpdateDocumentDefaultVersionInput,
) -> Result<UpdateDocumentDefaultVersionOutput, Error> {
    state.store.write(|tx| {
        let Found {
            mut document,
            versions,
        } = require(tx, &input.name)?;
        document::set_default_version(&mut document, &versions, &input.document_version)?;
        tx.save_document(&document)?;
        let version_name = versions
            .iter()
            .find(|v| v.version == document.default_version)
            .and_then(|v| v.version_name.clone());
        Ok(UpdateDocumentDefaultVersionOutput {
            description: Some(wire::DocumentDefaultVersionDescription {
                name: Some(document.name.clone()),
                default_version: Some(document.default_version.to_string()),
                default_version_name: version_name,
            }),
        })
    })
}

pub(super) fn delete(
    state: &ApiState,
    input: DeleteDocumentInput,
) -> Result<DeleteDocumentOutput, Error> {
    let selector = VersionSelector::new(
        input.document_version.as_deref(),
        input.version_name.as_deref(),
    );
    state.store.write(|tx| {
        let Found {
            mut document,
            versions,
        } = require(tx, &input.name)?;
        match document::plan_delete(&document, &versions, &selector)? {
            Deletion::Document => {
                tx.clear_tags(&arn_of(state, &document))?;
                tx.delete_document(&document.name)?;
            }
            Deletion::Version(n) => {
                tx.delete_document_version(&document.name, n)?;
                document::after_version_deleted(&mut document, &versions, n);
                tx.save_document(&document)?;
            }
        }
        Ok(DeleteDocumentOutput {})
    })
}

pub(super) fn list_versions(
    state: &ApiState,
    input: ListDocumentVersionsInput,
) -> Result<ListDocumentVersionsOutput, Error> {
    let max = page_size(input.max_results, 50);
    let after: Option<i64> = match after_token(input.next_token.as_deref())? {
        Some(text) => Some(text.parse().map_err(|_| Rule::InvalidNextToken)?),
        None => None,
    };
    let found = state.store.read(|tx| require(tx, &input.name))?;
    let mut page: Vec<&DocumentVersion> = found
        .versions
        .iter()
        .filter(|v| after.is_none_or(|a| v.version > a))
        .collect();
    let next_token = if page.len() > max {
        page.truncate(max);
        page.last().map(|v| encode_token(&v.version.to_string()))
    } else {
        None
    };
    let doc = &found.document;
    Ok(ListDocumentVersionsOutput {
        document_versions: Some(
            page.into_iter()
                .map(|v| wire::DocumentVersionInfo {
                    name: Some(doc.name.clone()),
                    display_name: v.display_name.clone(),
                    document_version: Some(v.version.to_string()),
                    version_name: v.version_name.clone(),
                    created_date: Some(Timestamp::from_millis(v.created_millis)),
                    is_default_version: Some(v.version == doc.default_version),
                    document_format: Some(wire_format(v.format)),
                    status: Some(wire::DocumentStatus::Active),
                    ..Default::default()
                })
                .collect(),
        ),
        next_token,
    })
}

/// A compiled ListDocuments filter.
enum Filter {
    /// Names beginning with any of the values.
    Name(Vec<String>),
    Owner(Vec<String>),
    DocumentType(Vec<String>),
    PlatformTypes(Vec<String>),
    TargetType(Vec<String>),
    /// Names containing any of the values.
    SearchKeyword(Vec<String>),
    TagKey(Vec<String>),
    Tag {
        key: String,
        values: Vec<String>,
    },
}

fn compile(input: &ListDocumentsInput) -> Result<Vec<Filter>, Rule> {
    let mut filters = Vec::new();
    for f in input.document_filter_list.iter().flatten() {
        let values = vec![f.value.clone()];
        filters.push(match f.key {
            wire::DocumentFilterKey::Name => Filter::Name(values),
            wire::DocumentFilterKey::Owner => Filter::Owner(values),
            wire::DocumentFilterKey::PlatformTypes => Filter::PlatformTypes(values),
            wire::DocumentFilterKey::DocumentType => Filter::DocumentType(values),
            _ => {
                return Err(Rule::InvalidFilterKey(format!(
                    "The filter key {} is not valid.",
                    f.key.as_str()
                )));
            }
        });
    }
    for f in input.filters.iter().flatten() {
        let key = f.key.clone().unwrap_or_default();
        let values = f.values.clone().unwrap_or_default();
        filters.push(match key.as_str() {
            "Name" => Filter::Name(values),
            "Owner" => Filter::Owner(values),
            "DocumentType" => Filter::DocumentType(values),
            "PlatformTypes" => Filter::PlatformTypes(values),
            "TargetType" => Filter::TargetType(values),
            "SearchKeyword" => Filter::SearchKeyword(values),
            "tag-key" => Filter::TagKey(values),
            tag if tag.starts_with("tag:") && tag.len() > 4 => Filter::Tag {
                key: tag[4..].to_owned(),
                values,
            },
            other => {
                return Err(Rule::InvalidFilterKey(format!(
                    "The filter key {other} is not valid. Valid filter keys include: [Name, Owner, DocumentType, PlatformTypes, TargetType, SearchKeyword, tag-key, tag:KEY]."
                )));
            }
        });
    }
    Ok(filters)
}

/// Whether a document's owner is one an `Owner` filter value selects.
fn owner_matches(value: &str, doc: &Document, account: &str) -> bool {
    match value {
        "Self" | "Private" => doc.owner == account,
        "Amazon" => doc.owner == AMAZON_OWNER,
        "Public" => {
            doc.owner == AMAZON_OWNER || doc.shared_with.iter().any(|a| a == document::SHARE_ALL)
        }
        "All" => true,
        "ThirdParty" => false,
        id => doc.owner == id,
    }
}

fn passes(
    state: &ApiState,
    tx: &Tx<'_>,
    doc: &Document,
    v: &DocumentVersion,
    filters: &[Filter],
) -> Result<bool, Error> {
    let account = state.scope.account.as_str();
    for filter in filters {
        let ok = match filter {
            Filter::Name(values) => values.iter().any(|p| doc.name.starts_with(p.as_str())),
            Filter::Owner(values) => values.iter().any(|o| owner_matches(o, doc, account)),
            Filter::DocumentType(values) => values.contains(&doc.document_type),
            Filter::PlatformTypes(values) => values.iter().any(|p| v.platform_types.contains(p)),
            Filter::TargetType(values) => {
                v.target_type.as_ref().is_some_and(|t| values.contains(t))
            }
            Filter::SearchKeyword(values) => values.iter().any(|k| doc.name.contains(k.as_str())),
            Filter::TagKey(keys) => {
                let tags = tx.tags(&arn_of(state, doc))?;
                tags.iter().any(|(k, _)| keys.contains(k))
            }
            Filter::Tag { key, values } => {
                let tags = tx.tags(&arn_of(state, doc))?;
                tags.iter()
                    .any(|(k, val)| k == key && (values.is_empty() || values.contains(val)))
            }
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

fn identifier(
    state: &ApiState,
    tx: &Tx<'_>,
    doc: &Document,
    v: &DocumentVersion,
) -> Result<wire::DocumentIdentifier, Error> {
    Ok(wire::DocumentIdentifier {
        name: Some(doc.name.clone()),
        created_date: Some(Timestamp::from_millis(doc.created_millis)),
        display_name: v.display_name.clone(),
        owner: Some(doc.owner.clone()),
        version_name: v.version_name.clone(),
        platform_types: Some(platform_types(v)),
        document_version: Some(v.version.to_string()),
        document_type: Some(wire::DocumentType::from(doc.document_type.as_str())),
        schema_version: non_empty(&v.schema_version),
        document_format: Some(wire_format(v.format)),
        target_type: v.target_type.clone(),
        tags: Some(wire_tags(tx, &arn_of(state, doc))?),
        requires: wire_requires(&v.requires),
        ..Default::default()
    })
}

/// ListDocuments: the account's documents and Amazon's, in name order.
pub(super) fn list(
    state: &ApiState,
    input: ListDocumentsInput,
) -> Result<ListDocumentsOutput, Error> {
    let max = page_size(input.max_results, 50);
    let after = after_token(input.next_token.as_deref())?;
    let filters = compile(&input)?;
    let amazon: Vec<(Document, DocumentVersion)> = amazon_documents::all()
        .into_iter()
        .filter(|(d, _)| after.as_deref().is_none_or(|a| d.name.as_str() > a))
        .collect();
    state.store.read(|tx| {
        let mut page: Vec<wire::DocumentIdentifier> = Vec::new();
        let mut last_name: Option<String> = None;
        let mut more = false;
        let mut amazon = amazon.into_iter().peekable();
        // Offers one document to the page; `false` once the page is full
        // and one more match shows another page exists.
        let mut offer = |doc: &Document, v: &DocumentVersion| -> Result<bool, Error> {
            if !passes(state, tx, doc, v, &filters)? {
                return Ok(true);
            }
            if page.len() == max {
                more = true;
                return Ok(false);
            }
            page.push(identifier(state, tx, doc, v)?);
            last_name = Some(doc.name.clone());
            Ok(true)
        };
        let mut failure: Option<Error> = None;
        let mut open = true;
        tx.scan_documents(after.as_deref(), |doc| {
            while let Some((a, _)) = amazon.peek() {
                if a.name >= doc.name {
                    break;
                }
                let Some((a, av)) = amazon.next() else { break };
                match offer(&a, &av) {
                    Ok(true) => {}
                    Ok(false) => {
                        open = false;
                        return Ok(false);
                    }
                    Err(e) => {
                        failure = Some(e);
                        return Ok(false);
                    }
                }
            }
            let version = match tx.document_version(&doc.name, doc.default_version) {
                Ok(Some(v)) => v,
                Ok(None) => return Ok(true),
                Err(e) => return Err(e),
            };
            match offer(&doc, &version) {
                Ok(keep) => {
                    open = keep;
                    Ok(keep)
                }
                Err(e) => {
                    failure = Some(e);
                    Ok(false)
                }
            }
        })?;
        if let Some(e) = failure {
            return Err(e);
        }
        if open {
            for (a, av) in amazon {
                if !offer(&a, &av)? {
                    break;
                }
            }
        }
        let next_token = if more {
            last_name.map(|n| encode_token(&n))
        } else {
            None
        };
        Ok(ListDocumentsOutput {
            document_identifiers: Some(page),
            next_token,
        })
    })
}

pub(super) fn describe_permission(
    state: &ApiState,
    input: DescribeDocumentPermissionInput,
) -> Result<DescribeDocumentPermissionOutput, Error> {
    let max = page_size(input.max_results, 200);
    let after = after_token(input.next_token.as_deref())?;
    let found = state.store.read(|tx| require(tx, &input.name))?;
    let doc = found.document;
    if doc.owner == AMAZON_OWNER {
        return Err(Rule::InvalidOperation(format!(
            "The document {} is owned by Amazon: its permissions can't be described.",
            doc.name
        ))
        .into());
    }
    let mut accounts: Vec<String> = doc.shared_with.clone();
    accounts.sort();
    let mut page: Vec<String> = accounts
        .into_iter()
        .filter(|a| after.as_deref().is_none_or(|after| a.as_str() > after))
        .collect();
    let next_token = if page.len() > max {
        page.truncate(max);
        page.last().map(|a| encode_token(a))
    } else {
        None
    };
    let shared_version = doc.shared_version.clone();
    Ok(DescribeDocumentPermissionOutput {
        account_sharing_info_list: Some(
            page.iter()
                .map(|a| wire::AccountSharingInfo {
                    account_id: Some(a.clone()),
                    shared_document_version: shared_version.clone(),
                })
                .collect(),
        ),
        account_ids: Some(page),
        next_token,
    })
}

pub(super) fn modify_permission(
    state: &ApiState,
    input: ModifyDocumentPermissionInput,
) -> Result<ModifyDocumentPermissionOutput, Error> {
    state.store.write(|tx| {
        let Found { mut document, .. } = require_own(tx, &input.name)?;
        document::modify_permission(
            &mut document,
            input.account_ids_to_add.as_deref().unwrap_or_default(),
            input.account_ids_to_remove.as_deref().unwrap_or_default(),
            input.shared_document_version.as_deref(),
        )?;
        tx.save_document(&document)?;
        Ok(ModifyDocumentPermissionOutput {})
    })
}
