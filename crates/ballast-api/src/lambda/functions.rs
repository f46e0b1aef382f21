//! CreateFunction, GetFunction, GetFunctionConfiguration, ListFunctions,
//! UpdateFunctionCode, UpdateFunctionConfiguration and DeleteFunction.
//! A function's zip is kept in the store by hash; its role must exist and
//! trust Lambda, as AWS checks when the function is made.

use ballast_core::iam::policy::{DocumentKind, PolicyDocument, PrincipalRef};
use ballast_core::lambda::{self, Code, Error as Rule, Function, Settings};
use ballast_core::paging;
use ballast_model::lambda::{
    Architecture, CreateFunctionInput, CreateFunctionOutput, DeleteFunctionInput,
    DeleteFunctionOutput, EnvironmentResponse, EphemeralStorage, FunctionCodeLocation,
    GetFunctionConfigurationInput, GetFunctionInput, GetFunctionOutput, LastUpdateStatus,
    ListFunctionsInput, ListFunctionsOutput, PackageType, PutFunctionConcurrencyOutput, Runtime,
    State, TracingConfigResponse, TracingMode, UpdateFunctionCodeInput,
    UpdateFunctionConfigurationInput,
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
    let function = Function::new(&name, settings, code, state.now().millis(), revision(state))?;
    let tags: Vec<(String, String)> = input.tags.unwrap_or_default().into_iter().collect();
    state.store.write(|tx| -> Result<(), Error> {
        check_role(tx, &function.role)?;
        if tx.function(&name)?.is_some() {
            return Err(Rule::Conflict(format!("Function already exist: {name}")).into());
        }
        tx.put_code(&function.code.sha256, &zip)?;
        tx.save_function(&function)?;
        tx.put_tags(&lambda::arn(&state.scope, &name), &tags)?;
        Ok(())
    })?;
    Ok(view(state, function))
}

pub(super) fn get(
    state: &ApiState,
    ctx: &RequestContext,
    input: GetFunctionInput,
) -> Result<GetFunctionOutput, Error> {
    let name = named(state, &input.function_name, input.qualifier.as_deref())?;
    let arn = lambda::arn(&state.scope, &name);
    let (function, tags) = state
        .store
        .read(|tx| -> Result<_, Error> { Ok((existing(state, tx, &name)?, tx.tags(&arn)?)) })?;
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
        configuration: Some(view(state, function)),
        tags: (!tags.is_empty()).then(|| tags.into_iter().collect()),
        ..GetFunctionOutput::default()
    })
}

pub(super) fn get_configuration(
    state: &ApiState,
    input: GetFunctionConfigurationInput,
) -> Result<CreateFunctionOutput, Error> {
    let name = named(state, &input.function_name, input.qualifier.as_deref())?;
    let function = state.store.read(|tx| existing(state, tx, &name))?;
    Ok(view(state, function))
}

pub(super) fn list(
    state: &ApiState,
    input: ListFunctionsInput,
) -> Result<ListFunctionsOutput, Error> {
    let (size, after) = super::page_request(input.max_items, input.marker.as_deref())?;
    let functions = state.store.read(|tx| tx.functions())?;
    let (page, next_marker) = paging::page(functions, |f| &f.name, after.as_deref(), size);
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
    let function = state.store.write(|tx| -> Result<Function, Error> {
        let mut function = existing(state, tx, &name)?;
        function.check_revision(input.revision_id.as_deref())?;
        function.code = code;
        function.last_modified_millis = state.now().millis();
        function.revision_id = revision(state);
        if !dry_run {
            tx.put_code(&function.code.sha256, &zip)?;
            tx.save_function(&function)?;
        }
        Ok(function)
    })?;
    Ok(view(state, function))
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
    let name = named(state, &input.function_name, input.qualifier.as_deref())?;
    state.store.write(|tx| -> Result<(), Error> {
        if !tx.delete_function(&name)? {
            return Err(lambda::not_found(&state.scope, &name).into());
        }
        tx.clear_tags(&lambda::arn(&state.scope, &name))?;
        Ok(())
    })?;
    Ok(DeleteFunctionOutput {
        status_code: Some(204),
    })
}

/// The function a request names (`FunctionName` with its `Qualifier`).
pub(super) fn named(
    state: &ApiState,
    function_name: &str,
    qualifier: Option<&str>,
) -> Result<String, Error> {
    Ok(lambda::qualified_name(&state.scope, function_name, qualifier)?.to_owned())
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

/// A function as FunctionConfiguration shows it.
pub(super) fn view(state: &ApiState, function: Function) -> CreateFunctionOutput {
    let modified = Timestamp::from_millis(function.last_modified_millis).to_iso8601();
    CreateFunctionOutput {
        function_arn: Some(lambda::arn(&state.scope, &function.name)),
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
        version: Some("$LATEST".to_owned()),
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
