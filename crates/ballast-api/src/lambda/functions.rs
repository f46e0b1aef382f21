//! CreateFunction, GetFunction, GetFunctionConfiguration, ListFunctions,
//! UpdateFunctionCode, UpdateFunctionConfiguration and DeleteFunction.
//! A function's zip is kept in the store by hash; its role must exist and
//! trust Lambda, as AWS checks when the function is made.

use ballast_core::iam::policy::{DocumentKind, PolicyDocument, PrincipalRef};
use ballast_core::lambda::version::Publish;
use ballast_core::lambda::{self, Code, Error as Rule, Function, Qualifier, Settings};
use ballast_core::paging;
use ballast_model::lambda::{
    Architecture, CreateFunctionInput, CreateFunctionOutput, DeleteFunctionInput,
    DeleteFunctionOutput, EnvironmentResponse, EphemeralStorage, FunctionCodeLocation,
    FunctionVersion, GetFunctionConfigurationInput, GetFunctionInput, GetFunctionOutput,
    LastUpdateStatus, ListFunctionsInput, ListFunctionsOutput, PackageType,
    PutFunctionConcurrencyOutput, Runtime, State, TracingConfigResponse, TracingMode,
    UpdateFunctionCodeInput, UpdateFunctionConfigurationInput,
};
use ballast_store::Tx;
use ballast_wire::Timestamp;

use super::Error;
use crate::{ApiState, RequestContext};

pub(super) fn create(
    state: &ApiState,
    input: CreateFunctionInput,
) -> Result<CreateFunctionOutput, Error> {
    let name = lambda::function_name(&state.scope, &input.function_name)?.to_owned();
    let zip = inline_zip(
        input.code.zip_file.map(|b| b.0),
        input.code.s3_bucket.is_some() || input.code.image_uri.is_some(),
    )?;
    let code = Code::of_zip(&zip)?;
    let settings = Settings {
        runtime: input.runtime.map(|r| r.as_str().to_owned()),
        handler: input.handler,
        role: Some(input.role),
        description: input.description,
        timeout_seconds: input.timeout,
        memory_mb: input.memory_size,
        environment: input.environment.and_then(|e| e.variables),
    };
    let mut function = Function::new(&name, settings, code, state.now().millis(), revision(state))?;
    let tags: Vec<(String, String)> = input.tags.unwrap_or_default().into_iter().collect();
    let publish = input.publish == Some(true);
    let shown = state.store.write(|tx| -> Result<Function, Error> {
        check_role(tx, &function.role)?;
        if tx.function(&name)?.is_some() {
            return Err(Rule::Conflict(format!("Function already exist: {name}")).into());
        }
        tx.put_code(&function.code.sha256, &zip)?;
        let shown = if publish {
            super::versions::publish_in(state, tx, &mut function, Publish::default())?
        } else {
            function.clone()
        };
        tx.save_function(&function)?;
        tx.put_tags(&lambda::arn(&state.scope, &name), &tags)?;
        Ok(shown)
    })?;
    Ok(view(state, shown))
}

pub(super) fn get(
    state: &ApiState,
    ctx: &RequestContext,
    input: GetFunctionInput,
) -> Result<GetFunctionOutput, Error> {
    let target = target(state, &input.function_name, input.qualifier.as_deref())?;
    let arn = lambda::arn(&state.scope, &target.name);
    let (function, tags) = state.store.read(|tx| -> Result<_, Error> {
        Ok((shown_version(state, tx, &target)?, tx.tags(&arn)?))
    })?;
    Ok(GetFunctionOutput {
        code: Some(FunctionCodeLocation {
            repository_type: Some("S3".to_owned()),
            location: super::code_link::location(state, ctx, &function.code.sha256),
            ..FunctionCodeLocation::default()
        }),
        concurrency: function
            .reserved_concurrency
            .map(|reserved| PutFunctionConcurrencyOutput {
                reserved_concurrent_executions: Some(reserved),
            }),
        configuration: Some(view_as(state, function, target.qualifier.as_deref())),
        tags: (!tags.is_empty()).then(|| tags.into_iter().collect()),
        ..GetFunctionOutput::default()
    })
}

pub(super) fn get_configuration(
    state: &ApiState,
    input: GetFunctionConfigurationInput,
) -> Result<CreateFunctionOutput, Error> {
    let target = target(state, &input.function_name, input.qualifier.as_deref())?;
    let function = state.store.read(|tx| shown_version(state, tx, &target))?;
    Ok(view_as(state, function, target.qualifier.as_deref()))
}

pub(super) fn list(
    state: &ApiState,
    input: ListFunctionsInput,
) -> Result<ListFunctionsOutput, Error> {
    let (size, after) = super::page_request(input.max_items, input.marker.as_deref())?;
    let every_version = matches!(input.function_version, Some(FunctionVersion::All));
    let functions = state.store.read(|tx| -> Result<Vec<Function>, Error> {
        let latest = tx.functions()?;
        if !every_version {
            return Ok(latest);
        }
        // Each function's `$LATEST`, then its versions, by name.
        let mut versions = tx.all_function_versions()?.into_iter().peekable();
        let mut all = Vec::new();
        for function in latest {
            let name = function.name.clone();
            all.push(function);
            while let Some(version) = versions.next_if(|v| v.name == name) {
                all.push(version);
            }
        }
        Ok(all)
    })?;
    // The paging key sorts as the list does: by name, then `$LATEST`, then
    // versions by number (names never hold the separator, U+0001).
    let keyed: Vec<(String, Function)> = functions
        .into_iter()
        .map(|f| {
            let key = match f.number() {
                Some(number) if every_version => format!("{}\u{1}{number:010}", f.name),
                _ if every_version => format!("{}\u{1}", f.name),
                _ => f.name.clone(),
            };
            (key, f)
        })
        .collect();
    let (page, next_marker) = paging::page(keyed, |(key, _)| key, after.as_deref(), size);
    let page: Vec<Function> = page.into_iter().map(|(_, f)| f).collect();
    Ok(ListFunctionsOutput {
        functions: Some(page.into_iter().map(|f| view(state, f)).collect()),
        next_marker,
    })
}

pub(super) fn update_code(
    state: &ApiState,
    input: UpdateFunctionCodeInput,
) -> Result<CreateFunctionOutput, Error> {
    let name = lambda::function_name(&state.scope, &input.function_name)?.to_owned();
    let zip = inline_zip(
        input.zip_file.map(|b| b.0),
        input.s3_bucket.is_some() || input.image_uri.is_some(),
    )?;
    let code = Code::of_zip(&zip)?;
    let dry_run = input.dry_run == Some(true);
    let publish = input.publish == Some(true);
    let shown = state.store.write(|tx| -> Result<Function, Error> {
        let mut function = existing(state, tx, &name)?;
        function.check_revision(input.revision_id.as_deref())?;
        function.code = code;
        function.last_modified_millis = state.now().millis();
        function.revision_id = revision(state);
        if dry_run {
            return Ok(function);
        }
        tx.put_code(&function.code.sha256, &zip)?;
        let shown = if publish {
            super::versions::publish_in(state, tx, &mut function, Publish::default())?
        } else {
            function.clone()
        };
        tx.save_function(&function)?;
        Ok(shown)
    })?;
    Ok(view(state, shown))
}

pub(super) fn update_configuration(
    state: &ApiState,
    input: UpdateFunctionConfigurationInput,
) -> Result<CreateFunctionOutput, Error> {
    let name = lambda::function_name(&state.scope, &input.function_name)?.to_owned();
    let settings = Settings {
        runtime: input.runtime.map(|r| r.as_str().to_owned()),
        handler: input.handler,
        role: input.role,
        description: input.description,
        timeout_seconds: input.timeout,
        memory_mb: input.memory_size,
        environment: input.environment.map(|e| e.variables.unwrap_or_default()),
    };
    let function = state.store.write(|tx| -> Result<Function, Error> {
        let mut function = existing(state, tx, &name)?;
        function.check_revision(input.revision_id.as_deref())?;
        if let Some(role) = &settings.role {
            check_role(tx, role)?;
        }
        function.configure(settings, state.now().millis(), revision(state))?;
        tx.save_function(&function)?;
        Ok(function)
    })?;
    Ok(view(state, function))
}

pub(super) fn delete(
    state: &ApiState,
    input: DeleteFunctionInput,
) -> Result<DeleteFunctionOutput, Error> {
    let target = target(state, &input.function_name, input.qualifier.as_deref())?;
    let name = target.name.as_str();
    state.store.write(|tx| -> Result<(), Error> {
        match Qualifier::parse(target.qualifier.as_deref()) {
            // Without a qualifier the function goes, with every version
            // and alias.
            Qualifier::Latest if target.qualifier.is_none() => {
                if !tx.delete_function(name)? {
                    return Err(lambda::not_found(&state.scope, name).into());
                }
                tx.clear_tags(&lambda::arn(&state.scope, name))?;
                Ok(())
            }
            Qualifier::Latest => Err(Rule::InvalidParameter(
                "$LATEST version cannot be deleted without deleting the function.".to_owned(),
            )
            .into()),
            Qualifier::Version(number) => delete_version(state, tx, &target, number),
            Qualifier::Alias(_) => Err(Rule::InvalidParameter(
                "Deletion of aliases is not supported by DeleteFunction: use DeleteAlias."
                    .to_owned(),
            )
            .into()),
        }
    })?;
    Ok(DeleteFunctionOutput {
        status_code: Some(204),
    })
}

/// Deletes a published version, unless an alias still sends invocations
/// to it.
fn delete_version(
    state: &ApiState,
    tx: &Tx<'_>,
    target: &Target,
    number: u32,
) -> Result<(), Error> {
    existing(state, tx, &target.name)?;
    let version = number.to_string();
    let referring: Vec<String> = tx
        .aliases(&target.name)?
        .into_iter()
        .filter(|alias| alias.refers_to(&version))
        .map(|alias| alias.name)
        .collect();
    if !referring.is_empty() {
        return Err(Rule::Conflict(format!(
            "Unable to delete version because the following aliases reference it: [{}]",
            referring.join(", ")
        ))
        .into());
    }
    if !tx.delete_function_version(&target.name, number)? {
        return Err(target.not_found(state).into());
    }
    Ok(())
}

/// The function an operation on `$LATEST` alone names (`FunctionName`
/// with its `Qualifier`, which may only be `$LATEST`).
pub(super) fn named(
    state: &ApiState,
    function_name: &str,
    qualifier: Option<&str>,
) -> Result<String, Error> {
    let named = lambda::named(&state.scope, function_name, qualifier)?;
    Ok(lambda::latest_only(named)?.to_owned())
}

/// A function as a request names it, with the version or alias it
/// qualifies it by.
#[derive(Debug, Clone)]
pub(super) struct Target {
    pub name: String,
    pub qualifier: Option<String>,
}

impl Target {
    pub fn qualifier(&self) -> Qualifier<'_> {
        Qualifier::parse(self.qualifier.as_deref())
    }

    /// The ARN the request named.
    pub fn arn(&self, state: &ApiState) -> String {
        lambda::qualified_arn(&state.scope, &self.name, self.qualifier.as_deref())
    }

    /// Lambda's error for a version or alias that does not exist.
    pub fn not_found(&self, state: &ApiState) -> Rule {
        Rule::NotFound(format!("Function not found: {}", self.arn(state)))
    }
}

/// The function, version or alias a request names (`FunctionName`, which
/// may carry a qualifier, and the `Qualifier` member).
pub(super) fn target(
    state: &ApiState,
    function_name: &str,
    qualifier: Option<&str>,
) -> Result<Target, Error> {
    let named = lambda::named(&state.scope, function_name, qualifier)?;
    Ok(Target {
        name: named.name.to_owned(),
        qualifier: named.qualifier.map(str::to_owned),
    })
}

/// The version a Get call shows for `target`: `$LATEST`, the version
/// named, or the one an alias points at.
pub(super) fn shown_version(
    state: &ApiState,
    tx: &Tx<'_>,
    target: &Target,
) -> Result<Function, Error> {
    let latest = existing(state, tx, &target.name)?;
    let reserved_concurrency = latest.reserved_concurrency;
    let version = match target.qualifier() {
        Qualifier::Latest => Some(latest),
        Qualifier::Version(number) => tx.function_version(&target.name, number)?,
        Qualifier::Alias(alias) => match tx.alias(&target.name, alias)? {
            Some(alias) => tx.function_at(&target.name, Qualifier::parse(Some(&alias.version)))?,
            None => None,
        },
    };
    // Reserved concurrency is the function's, whichever version is shown.
    version
        .map(|version| Function {
            reserved_concurrency,
            ..version
        })
        .ok_or_else(|| target.not_found(state).into())
}

/// The function `name`, or AWS's not-found error.
pub(super) fn existing(state: &ApiState, tx: &Tx<'_>, name: &str) -> Result<Function, Error> {
    tx.function(name)?
        .ok_or_else(|| lambda::not_found(&state.scope, name).into())
}

/// A new revision id (a UUID, as AWS's).
pub(super) fn revision(state: &ApiState) -> String {
    state.ids.request_id()
}

/// The zip given inline; S3 locations and container images name places
/// Ballast does not have.
fn inline_zip(zip: Option<Vec<u8>>, elsewhere: bool) -> Result<Vec<u8>, Rule> {
    match zip {
        Some(zip) => Ok(zip),
        None if elsewhere => Err(Rule::InvalidParameter(
            "Ballast takes a function's code as Code.ZipFile: S3 locations and container images are not available."
                .to_owned(),
        )),
        None => Err(Rule::InvalidParameter(
            "Please provide a source for function code.".to_owned(),
        )),
    }
}

/// The execution role must be a role of this account that trusts Lambda.
fn check_role(tx: &Tx<'_>, role_arn: &str) -> Result<(), Error> {
    let cannot = || {
        Rule::InvalidParameter(
            "The role defined for the function cannot be assumed by Lambda.".to_owned(),
        )
    };
    let name = role_arn
        .split_once(":role/")
        .and_then(|(_, path)| path.rsplit('/').next())
        .ok_or_else(cannot)?;
    let role = tx
        .role(name)?
        .filter(|r| r.arn == role_arn)
        .ok_or_else(cannot)?;
    let trusted = PolicyDocument::parse(&role.assume_role_policy_document, DocumentKind::Trust)
        .is_ok_and(|trust| {
            trust.trusts(
                PrincipalRef::Service("lambda.amazonaws.com"),
                "sts:AssumeRole",
            )
        });
    if trusted {
        Ok(())
    } else {
        Err(cannot().into())
    }
}

/// A version of a function as FunctionConfiguration shows it: a published
/// version under its qualified ARN, `$LATEST` under the function's.
pub(super) fn view(state: &ApiState, function: Function) -> CreateFunctionOutput {
    let qualifier = (!function.is_latest()).then(|| function.version.clone());
    view_as(state, function, qualifier.as_deref())
}

/// A version of a function as FunctionConfiguration shows it, under the
/// ARN the request named it by (qualified with `qualifier`, when given).
pub(super) fn view_as(
    state: &ApiState,
    function: Function,
    qualifier: Option<&str>,
) -> CreateFunctionOutput {
    let modified = Timestamp::from_millis(function.last_modified_millis).to_iso8601();
    CreateFunctionOutput {
        function_arn: Some(lambda::qualified_arn(
            &state.scope,
            &function.name,
            qualifier,
        )),
        function_name: Some(function.name),
        runtime: Some(Runtime::from(function.runtime.as_str())),
        role: Some(function.role),
        handler: function.handler,
        code_size: Some(function.code.size),
        code_sha256: Some(function.code.sha256),
        description: Some(function.description),
        timeout: Some(function.timeout_seconds),
        memory_size: Some(function.memory_mb),
        // AWS writes `2026-12-04T12:00:00.000+0000`.
        last_modified: Some(modified.replace('Z', "+0000")),
        version: Some(function.version),
        environment: (!function.environment.is_empty()).then_some(EnvironmentResponse {
            variables: Some(function.environment),
            error: None,
        }),
        tracing_config: Some(TracingConfigResponse {
            mode: Some(TracingMode::PassThrough),
        }),
        revision_id: Some(function.revision_id),
        state: Some(State::Active),
        last_update_status: Some(LastUpdateStatus::Successful),
        package_type: Some(PackageType::Zip),
        architectures: Some(vec![Architecture::X8664]),
        ephemeral_storage: Some(EphemeralStorage { size: 512 }),
        ..CreateFunctionOutput::default()
    }
}
