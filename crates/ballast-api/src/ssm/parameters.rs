//! Parameter Store handlers.

use ballast_core::paging::{self, PageLimits, encode_token};
use ballast_core::ssm::Error as Rule;
use ballast_core::ssm::parameter::{
    self, ParameterName, ParameterType, ParameterVersion, PutRequest, Selector, SelectorVersion,
    check_not_reserved, is_valid_label, key_of, validate_path, version_to_evict,
};
use ballast_core::ssm::public;
use ballast_core::tags;
use ballast_model::ssm::{
    self as wire, DeleteParameterInput, DeleteParameterOutput, DeleteParametersInput,
    DeleteParametersOutput, DescribeParametersInput, DescribeParametersOutput,
    GetParameterHistoryInput, GetParameterHistoryOutput, GetParameterInput, GetParameterOutput,
    GetParametersByPathInput, GetParametersByPathOutput, GetParametersInput, GetParametersOutput,
    LabelParameterVersionInput, LabelParameterVersionOutput, ParameterStringFilter,
    PutParameterInput, PutParameterOutput,
};
use ballast_store::Tx;
use ballast_wire::Timestamp;
use base64::Engine as _;

use super::Error;
use crate::{ApiState, RequestContext};

/// The ARN prefix parameter names hang off (`arn:aws:ssm:REGION:ACCOUNT:`).
fn arn_prefix(state: &ApiState) -> String {
    format!(
        "arn:aws:ssm:{}:{}:",
        state.scope.region, state.scope.account
    )
}

/// A parameter's ARN: the account's, or AWS's (no account) for a public
/// parameter.
pub(crate) fn parameter_arn(state: &ApiState, name: &str) -> String {
    if public::is_public_name(name) {
        return public::arn(&state.scope.region, name);
    }
    format!(
        "{}parameter/{}",
        arn_prefix(state),
        name.trim_start_matches('/')
    )
}

fn validation(message: impl Into<String>) -> Error {
    Rule::Validation(message.into()).into()
}

/// A page size: the request's or the operation's most.
fn page_size(value: Option<i32>, max: usize) -> usize {
    let limits = PageLimits {
        min: 1,
        max: i64::try_from(max).unwrap_or(i64::MAX),
        default: max,
    };
    // The model's range was checked before the handler ran; anything
    // else falls back to the operation's most, as before.
    paging::page_size(value.map(i64::from), limits).unwrap_or(max)
}

fn after_token(token: Option<&str>) -> Result<Option<String>, Error> {
    paging::page_after(token).map_err(|_| Rule::InvalidNextToken.into())
}

/// What a SecureString shows without `WithDecryption`: an opaque envelope,
/// as AWS shows KMS ciphertext. Ballast does not encrypt at rest; this only
/// keeps plaintext out of responses that should not carry it.
fn sealed(value: &str, key_id: &str) -> String {
    let mixed: Vec<u8> = key_id
        .bytes()
        .chain([0])
        .chain(value.bytes())
        .enumerate()
        .map(|(i, b)| b ^ 0x5a ^ (i as u8))
        .collect();
    format!(
        "AQICAH{}",
        base64::engine::general_purpose::STANDARD.encode(mixed)
    )
}

fn shown_value(v: &ParameterVersion, decrypt: bool) -> String {
    match (v.parameter_type, decrypt) {
        (ParameterType::SecureString, false) => sealed(
            &v.value,
            v.key_id.as_deref().unwrap_or(parameter::DEFAULT_KEY_ID),
        ),
        _ => v.value.clone(),
    }
}

fn view(
    state: &ApiState,
    v: &ParameterVersion,
    decrypt: bool,
    selector: Option<String>,
) -> wire::Parameter {
    wire::Parameter {
        name: Some(v.name.clone()),
        r#type: Some(wire_type(v.parameter_type)),
        value: Some(shown_value(v, decrypt)),
        version: Some(v.version),
        selector,
        source_result: None,
        last_modified_date: Some(Timestamp::from_millis(v.modified_millis)),
        arn: Some(parameter_arn(state, &v.name)),
        data_type: Some(v.data_type.clone()),
    }
}

fn wire_type(t: ParameterType) -> wire::ParameterType {
    wire::ParameterType::from(t.as_str())
}

fn wire_tier(t: parameter::Tier) -> wire::ParameterTier {
    wire::ParameterTier::from(t.as_str())
}

pub(super) fn put(
    state: &ApiState,
    ctx: &RequestContext,
    input: PutParameterInput,
) -> Result<PutParameterOutput, Error> {
    let name = ParameterName::parse(&input.name, arn_prefix(state).len() + "parameter/".len())?;
    let tags: Option<Vec<tags::Tag>> = input.tags.map(crate::tags::to_core);
    if let Some(tags) = &tags {
        tags::validate(tags).map_err(|e| validation(e.to_string()))?;
    }
    let request = PutRequest {
        name: input.name.clone(),
        value: input.value,
        parameter_type: input.r#type.map(|t| t.as_str().to_owned()),
        description: input.description,
        key_id: input.key_id,
        overwrite: input.overwrite.unwrap_or(false),
        allowed_pattern: input.allowed_pattern,
        has_tags: tags.as_ref().is_some_and(|t| !t.is_empty()),
        tier: input.tier.map(|t| t.as_str().to_owned()),
        data_type: input.data_type,
    };
    let key = name.key();
    let now = state.now().millis();
    let created = state.store.write(|tx| -> Result<ParameterVersion, Error> {
        let history = tx.parameter_versions(&key)?;
        let latest = history.last();
        let next = request.apply(&name, latest, now, &ctx.principal_arn)?;
        if let Some(old) = version_to_evict(&history, name.as_str())? {
            tx.delete_parameter_version(&key, old)?;
        }
        tx.insert_parameter_version(&key, &next)?;
        if let (None, Some(tags)) = (latest, &tags) {
            let pairs = tags::pairs(tags);
            tx.put_tags(&parameter_arn(state, &next.name), &pairs)?;
        }
        Ok(next)
    })?;
    Ok(PutParameterOutput {
        version: Some(created.version),
        tier: Some(wire_tier(created.tier)),
    })
}

/// Looks up what a GetParameter-style name selects, reading only the
/// version it needs unless it selects by label. Names under `/aws/` are
/// AWS's public parameters, answered from the image catalogue.
fn select(tx: &Tx<'_>, raw: &str) -> Result<Option<ParameterVersion>, Error> {
    let selector = Selector::parse(raw);
    if public::is_public_name(&selector.name) {
        return match public::find(&selector.name) {
            Some(found) => Ok(Some(selector.pick(std::slice::from_ref(&found))?.clone())),
            None => Ok(None),
        };
    }
    let key = key_of(&selector.name);
    match &selector.version {
        SelectorVersion::Latest => Ok(tx.latest_parameter(&key)?),
        SelectorVersion::Number(n) => match tx.parameter_version(&key, *n)? {
            Some(version) => Ok(Some(version)),
            None if tx.latest_parameter(&key)?.is_some() => {
                Err(selector.version_not_found().into())
            }
            None => Ok(None),
        },
        SelectorVersion::Label(_) => {
            let versions = tx.parameter_versions(&key)?;
            if versions.is_empty() {
                return Ok(None);
            }
            Ok(Some(selector.pick(&versions)?.clone()))
        }
    }
}

pub(super) fn get(state: &ApiState, input: GetParameterInput) -> Result<GetParameterOutput, Error> {
    let decrypt = input.with_decryption.unwrap_or(false);
    let found = state
        .memos
        .parameters
        .get(&state.store, &input.name, |tx| select(tx, &input.name))?;
    let version = Option::as_ref(&found).ok_or_else(|| Rule::NotFound(input.name.clone()))?;
    let selector = Selector::parse(&input.name).suffix();
    Ok(GetParameterOutput {
        parameter: Some(view(state, version, decrypt, selector)),
    })
}

pub(super) fn get_many(
    state: &ApiState,
    input: GetParametersInput,
) -> Result<GetParametersOutput, Error> {
    let decrypt = input.with_decryption.unwrap_or(false);
    let mut names = input.names;
    names.dedup();
    state.store.read(|tx| -> Result<_, Error> {
        let mut parameters = Vec::new();
        let mut invalid = Vec::new();
        for raw in names {
            match select(tx, &raw) {
                Ok(Some(v)) => {
                    parameters.push(view(state, &v, decrypt, Selector::parse(&raw).suffix()))
                }
                Ok(None) | Err(Error::Rule(Rule::VersionNotFound { .. })) => invalid.push(raw),
                Err(e) => return Err(e),
            }
        }
        Ok(GetParametersOutput {
            parameters: Some(parameters),
            invalid_parameters: Some(invalid),
        })
    })
}

/// A compiled `ParameterStringFilter`.
enum Filter {
    Name {
        option: NameOption,
        values: Vec<String>,
    },
    Path {
        recursive: bool,
        values: Vec<String>,
    },
    Type(Vec<String>),
    KeyId(Vec<String>),
    Tier(Vec<String>),
    DataType(Vec<String>),
    Label(Vec<String>),
    Tag {
        key: String,
        values: Vec<String>,
    },
}

enum NameOption {
    Equals,
    BeginsWith,
    Contains,
}

/// Where a filter list comes from: each operation allows different keys.
#[derive(Clone, Copy, PartialEq, Eq)]
enum FilterSite {
    ByPath,
    Describe,
}

fn compile(filters: &[ParameterStringFilter], site: FilterSite) -> Result<Vec<Filter>, Rule> {
    filters
        .iter()
        .map(|f| {
            let values = f.values.clone().unwrap_or_default();
            let option = f.option.as_deref();
            let equals_only = |filter: Filter| match option {
                None | Some("Equals") => Ok(filter),
                Some(other) => Err(Rule::InvalidFilterOption(other.to_owned())),
            };
            let by_path = site == FilterSite::ByPath;
            match f.key.as_str() {
                "Name" if !by_path => Ok(Filter::Name {
                    option: match option {
                        None | Some("Equals") => NameOption::Equals,
                        Some("BeginsWith") => NameOption::BeginsWith,
                        Some("Contains") => NameOption::Contains,
                        Some(other) => return Err(Rule::InvalidFilterOption(other.to_owned())),
                    },
                    values,
                }),
                "Path" if !by_path => {
                    for v in &values {
                        validate_path(v).map_err(|_| Rule::InvalidFilterValue(v.clone()))?;
                    }
                    Ok(Filter::Path {
                        recursive: match option {
                            None | Some("OneLevel") => false,
                            Some("Recursive") => true,
                            Some(other) => return Err(Rule::InvalidFilterOption(other.to_owned())),
                        },
                        values,
                    })
                }
                "Type" => equals_only(Filter::Type(values)),
                "KeyId" => equals_only(Filter::KeyId(values)),
                "Label" if by_path => equals_only(Filter::Label(values)),
                "Tier" if !by_path => equals_only(Filter::Tier(values)),
                "DataType" => equals_only(Filter::DataType(values)),
                key if key.starts_with("tag:") && key.len() > 4 => equals_only(Filter::Tag {
                    key: key[4..].to_owned(),
                    values,
                }),
                other => Err(Rule::InvalidFilterKey(other.to_owned())),
            }
        })
        .collect()
}

fn slashed(name: &str) -> String {
    if name.starts_with('/') {
        name.to_owned()
    } else {
        format!("/{name}")
    }
}

/// Whether `v` passes every filter; tag filters read the parameter's tags.
fn passes(
    state: &ApiState,
    tx: &Tx<'_>,
    v: &ParameterVersion,
    filters: &[Filter],
) -> Result<bool, Error> {
    for filter in filters {
        let ok = match filter {
            Filter::Name { option, values } => values.iter().any(|value| match option {
                NameOption::Equals => key_of(value) == key_of(&v.name),
                NameOption::BeginsWith => slashed(&v.name).starts_with(&slashed(value)),
                NameOption::Contains => v.name.contains(value.as_str()),
            }),
            Filter::Path { recursive, values } => values.iter().any(|path| {
                ParameterName::parse(&v.name, 0).is_ok_and(|n| n.is_under(path, *recursive))
            }),
            Filter::Type(values) => values.iter().any(|t| t == v.parameter_type.as_str()),
            Filter::KeyId(values) => v.key_id.as_ref().is_some_and(|k| values.contains(k)),
            Filter::Tier(values) => values.iter().any(|t| t == v.tier.as_str()),
            Filter::DataType(values) => values.contains(&v.data_type),
            Filter::Label(_) => true,
            Filter::Tag { key, values } => {
                let tags = tx.tags(&parameter_arn(state, &v.name))?;
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

/// Streams parameters after `after` that satisfy `keep`, gathering at most
/// `max` plus one to learn whether another page exists.
fn collect_page(
    tx: &Tx<'_>,
    after: Option<&str>,
    max: usize,
    mut keep: impl FnMut(&ParameterVersion) -> Result<Option<ParameterVersion>, Error>,
) -> Result<(Vec<ParameterVersion>, Option<String>), Error> {
    let mut page: Vec<(String, ParameterVersion)> = Vec::new();
    let mut failure = None;
    tx.scan_parameters(after, |key, v| match keep(&v) {
        Ok(Some(kept)) => {
            page.push((key.to_owned(), kept));
            page.len() <= max
        }
        Ok(None) => true,
        Err(e) => {
            failure = Some(e);
            false
        }
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    let next = if page.len() > max {
        page.truncate(max);
        page.last().map(|(key, _)| encode_token(key))
    } else {
        None
    };
    Ok((page.into_iter().map(|(_, v)| v).collect(), next))
}

pub(super) fn get_by_path(
    state: &ApiState,
    input: GetParametersByPathInput,
) -> Result<GetParametersByPathOutput, Error> {
    validate_path(&input.path)?;
    let max = page_size(input.max_results, 10);
    let after = after_token(input.next_token.as_deref())?;
    let filters = compile(
        input.parameter_filters.as_deref().unwrap_or_default(),
        FilterSite::ByPath,
    )?;
    let labels: Option<&Vec<String>> = filters.iter().find_map(|f| match f {
        Filter::Label(values) => Some(values),
        _ => None,
    });
    let recursive = input.recursive.unwrap_or(false);
    let decrypt = input.with_decryption.unwrap_or(false);
    if public::is_public_name(&input.path) {
        return get_public_by_path(state, &input.path, recursive, &filters, after, max);
    }
    let (page, next_token) = state.store.read(|tx| {
        collect_page(tx, after.as_deref(), max, |latest| {
            let under = ParameterName::parse(&latest.name, 0)
                .is_ok_and(|n| n.is_under(&input.path, recursive));
            if !under || !passes(state, tx, latest, &filters)? {
                return Ok(None);
            }
            match labels {
                // A label filter selects the labelled version, not the latest.
                Some(labels) => {
                    let versions = tx.parameter_versions(&key_of(&latest.name))?;
                    Ok(versions
                        .into_iter()
                        .rev()
                        .find(|v| v.labels.iter().any(|l| labels.contains(l))))
                }
                None => Ok(Some(latest.clone())),
            }
        })
    })?;
    Ok(GetParametersByPathOutput {
        parameters: Some(page.iter().map(|v| view(state, v, decrypt, None)).collect()),
        next_token,
    })
}

/// GetParametersByPath under `/aws/`: AWS's public parameters, which are
/// not stored (no account parameter can live there). They have one
/// version, no labels and no tags, so label and tag filters match none.
fn get_public_by_path(
    state: &ApiState,
    path: &str,
    recursive: bool,
    filters: &[Filter],
    after: Option<String>,
    max: usize,
) -> Result<GetParametersByPathOutput, Error> {
    let labelled = filters.iter().any(|f| matches!(f, Filter::Label(_)));
    let mut page = Vec::new();
    let mut more = false;
    state.store.read(|tx| -> Result<(), Error> {
        for p in public::all() {
            if after.as_deref().is_some_and(|a| p.name.as_str() <= a) {
                continue;
            }
            let under = parameter::is_under(&p.name, path, recursive);
            if !under || labelled || !passes(state, tx, &p, filters)? {
                continue;
            }
            if page.len() == max {
                more = true;
                break;
            }
            page.push(p);
        }
        Ok(())
    })?;
    let next_token = if more {
        page.last().map(|p| encode_token(&p.name))
    } else {
        None
    };
    Ok(GetParametersByPathOutput {
        parameters: Some(page.iter().map(|v| view(state, v, false, None)).collect()),
        next_token,
    })
}

/// A stored version as DescribeParameters (`ParameterMetadata`) and
/// GetParameterHistory (`ParameterHistory`) list it: the two wire types
/// share these members, and each adds its own (listed first, so that
/// they may borrow the version before it is moved).
macro_rules! version_view {
    ($($wire:ident)::+, $v:ident { $($field:ident: $value:expr),* $(,)? }) => {
        $($wire)::+ {
            $($field: $value,)*
            name: Some($v.name),
            r#type: Some(wire_type($v.parameter_type)),
            key_id: $v.key_id,
            last_modified_date: Some(Timestamp::from_millis($v.modified_millis)),
            last_modified_user: Some($v.modified_user),
            description: $v.description,
            allowed_pattern: $v.allowed_pattern,
            version: Some($v.version),
            tier: Some(wire_tier($v.tier)),
            // Parameter policies are accepted but not enforced; none are reported.
            policies: Some(Vec::new()),
            data_type: Some($v.data_type),
        }
    };
}

pub(super) fn describe(
    state: &ApiState,
    input: DescribeParametersInput,
) -> Result<DescribeParametersOutput, Error> {
    let max = page_size(input.max_results, 50);
    let after = after_token(input.next_token.as_deref())?;
    let filters = match (&input.filters, &input.parameter_filters) {
        (Some(_), Some(_)) => {
            return Err(validation(
                "You can use either Filters or ParameterFilters in a single request.",
            ));
        }
        (Some(legacy), None) => {
            let converted: Vec<ParameterStringFilter> = legacy
                .iter()
                .map(|f| ParameterStringFilter {
                    key: f.key.as_str().to_owned(),
                    option: (f.key == wire::ParametersFilterKey::Name)
                        .then(|| "BeginsWith".to_owned()),
                    values: Some(f.values.clone()),
                })
                .collect();
            compile(&converted, FilterSite::Describe)?
        }
        (None, Some(filters)) => compile(filters, FilterSite::Describe)?,
        (None, None) => Vec::new(),
    };
    let (page, next_token) = state.store.read(|tx| {
        collect_page(tx, after.as_deref(), max, |v| {
            Ok(passes(state, tx, v, &filters)?.then(|| v.clone()))
        })
    })?;
    Ok(DescribeParametersOutput {
        parameters: Some(
            page.into_iter()
                .map(|v| {
                    version_view!(
                        wire::ParameterMetadata,
                        v {
                            arn: Some(parameter_arn(state, &v.name)),
                        }
                    )
                })
                .collect(),
        ),
        next_token,
    })
}

pub(super) fn history(
    state: &ApiState,
    input: GetParameterHistoryInput,
) -> Result<GetParameterHistoryOutput, Error> {
    let max = page_size(input.max_results, 50);
    let after: Option<i64> = match after_token(input.next_token.as_deref())? {
        Some(text) => Some(text.parse().map_err(|_| Rule::InvalidNextToken)?),
        None => None,
    };
    let decrypt = input.with_decryption.unwrap_or(false);
    let key = key_of(&Selector::parse(&input.name).name);
    let versions = state
        .store
        .read(|tx| tx.parameter_versions(&key).map_err(Error::from))?;
    if versions.is_empty() {
        return Err(Rule::NotFound(input.name).into());
    }
    let mut page: Vec<ParameterVersion> = versions
        .into_iter()
        .filter(|v| after.is_none_or(|a| v.version > a))
        .collect();
    let next_token = if page.len() > max {
        page.truncate(max);
        page.last().map(|v| encode_token(&v.version.to_string()))
    } else {
        None
    };
    Ok(GetParameterHistoryOutput {
        parameters: Some(
            page.into_iter()
                .map(|v| {
                    version_view!(
                        wire::ParameterHistory,
                        v {
                            value: Some(shown_value(&v, decrypt)),
                            labels: Some(v.labels),
                        }
                    )
                })
                .collect(),
        ),
        next_token,
    })
}

/// Deletes one parameter and its tags; `false` if it did not exist.
fn delete_one(state: &ApiState, tx: &Tx<'_>, name: &str) -> Result<bool, Error> {
    let key = key_of(name);
    let Some(latest) = tx.latest_parameter(&key)? else {
        return Ok(false);
    };
    tx.clear_tags(&parameter_arn(state, &latest.name))?;
    Ok(tx.delete_parameter(&key)?)
}

pub(super) fn delete(
    state: &ApiState,
    input: DeleteParameterInput,
) -> Result<DeleteParameterOutput, Error> {
    // AWS's public parameters are read-only: their names are reserved.
    check_not_reserved(&input.name)?;
    let deleted = state.store.write(|tx| delete_one(state, tx, &input.name))?;
    if deleted {
        Ok(DeleteParameterOutput {})
    } else {
        Err(Rule::NotFound(input.name).into())
    }
}

pub(super) fn delete_many(
    state: &ApiState,
    input: DeleteParametersInput,
) -> Result<DeleteParametersOutput, Error> {
    state.store.write(|tx| -> Result<_, Error> {
        let mut deleted = Vec::new();
        let mut invalid = Vec::new();
        for name in input.names {
            // A reserved name (AWS's public parameters) is never deleted.
            if check_not_reserved(&name).is_ok() && delete_one(state, tx, &name)? {
                deleted.push(name);
            } else {
                invalid.push(name);
            }
        }
        Ok(DeleteParametersOutput {
            deleted_parameters: Some(deleted),
            invalid_parameters: Some(invalid),
        })
    })
}

pub(super) fn label(
    state: &ApiState,
    input: LabelParameterVersionInput,
) -> Result<LabelParameterVersionOutput, Error> {
    let (valid, invalid): (Vec<String>, Vec<String>) =
        input.labels.into_iter().partition(|l| is_valid_label(l));
    let key = key_of(&Selector::parse(&input.name).name);
    let name = input.name.clone();
    let labelled = state.store.write(|tx| -> Result<i64, Error> {
        let mut versions = tx.parameter_versions(&key)?;
        if versions.is_empty() {
            return Err(Rule::NotFound(name.clone()).into());
        }
        let target = match input.parameter_version {
            Some(n) => n,
            None => versions.iter().map(|v| v.version).max().unwrap_or(1),
        };
        if !versions.iter().any(|v| v.version == target) {
            return Err(Rule::VersionNotFound {
                name: name.clone(),
                version: target.to_string(),
            }
            .into());
        }
        for v in &mut versions {
            let before = v.labels.len();
            if v.version == target {
                for label in &valid {
                    if !v.labels.contains(label) {
                        v.labels.push(label.clone());
                    }
                }
                if v.labels.len() > parameter::MAX_LABELS_PER_VERSION {
                    return Err(Rule::VersionLabelLimitExceeded.into());
                }
                tx.save_parameter_version(&key, v)?;
            } else {
                v.labels.retain(|l| !valid.contains(l));
                if v.labels.len() != before {
                    tx.save_parameter_version(&key, v)?;
                }
            }
        }
        Ok(target)
    })?;
    Ok(LabelParameterVersionOutput {
        invalid_labels: Some(invalid),
        parameter_version: Some(labelled),
    })
}
