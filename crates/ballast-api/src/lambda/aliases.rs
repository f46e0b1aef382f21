//! CreateAlias, GetAlias, UpdateAlias, DeleteAlias and ListAliases. An
//! alias names a version, and with a routing configuration sends a share
//! of its invocations to a second one (Invoke picks per invocation).

use ballast_core::lambda::alias::{AliasSpec, Weighted};
use ballast_core::lambda::{self, Alias, Error as Rule};
use ballast_core::paging;
use ballast_model::lambda::*;
use ballast_store::Tx;

use super::Error;
use super::functions::{existing, named, revision};
use crate::ApiState;

pub(super) fn create(
    state: &ApiState,
    input: CreateAliasInput,
) -> Result<CreateAliasOutput, Error> {
    let function = named(state, &input.function_name, None)?;
    let spec = AliasSpec {
        version: Some(input.function_version),
        description: input.description,
        routing: input.routing_config.map(routing).transpose()?,
    };
    let alias = state.store.write(|tx| -> Result<Alias, Error> {
        existing(state, tx, &function)?;
        if tx.alias(&function, &input.name)?.is_some() {
            return Err(Rule::Conflict(format!(
                "Alias already exists: {}",
                lambda::qualified_arn(&state.scope, &function, Some(&input.name))
            ))
            .into());
        }
        let exists = version_exists(tx, &function)?;
        let alias = Alias::new(
            &state.scope,
            &function,
            &input.name,
            spec,
            exists,
            revision(state),
        )?;
        tx.save_alias(&alias)?;
        Ok(alias)
    })?;
    Ok(view(state, alias))
}

pub(super) fn get(state: &ApiState, input: GetAliasInput) -> Result<CreateAliasOutput, Error> {
    let function = named(state, &input.function_name, None)?;
    lambda::alias::check_name(&input.name)?;
    let alias = state
        .store
        .read(|tx| existing_alias(state, tx, &function, &input.name))?;
    Ok(view(state, alias))
}

pub(super) fn update(
    state: &ApiState,
    input: UpdateAliasInput,
) -> Result<CreateAliasOutput, Error> {
    let function = named(state, &input.function_name, None)?;
    lambda::alias::check_name(&input.name)?;
    let spec = AliasSpec {
        version: input.function_version,
        description: input.description,
        routing: input.routing_config.map(routing).transpose()?,
    };
    let alias = state.store.write(|tx| -> Result<Alias, Error> {
        let mut alias = existing_alias(state, tx, &function, &input.name)?;
        alias.check_revision(input.revision_id.as_deref())?;
        let exists = version_exists(tx, &function)?;
        alias.update(&state.scope, spec, exists, revision(state))?;
        tx.save_alias(&alias)?;
        Ok(alias)
    })?;
    Ok(view(state, alias))
}

/// Deleting an alias that is not there succeeds, as in Lambda.
pub(super) fn delete(state: &ApiState, input: DeleteAliasInput) -> Result<(), Error> {
    let function = named(state, &input.function_name, None)?;
    lambda::alias::check_name(&input.name)?;
    state
        .store
        .write(|tx| tx.delete_alias(&function, &input.name))?;
    Ok(())
}

pub(super) fn list(state: &ApiState, input: ListAliasesInput) -> Result<ListAliasesOutput, Error> {
    let (size, after) = super::page_request(input.max_items, input.marker.as_deref())?;
    let function = named(state, &input.function_name, None)?;
    let aliases = state.store.read(|tx| -> Result<Vec<Alias>, Error> {
        existing(state, tx, &function)?;
        Ok(tx.aliases(&function)?)
    })?;
    let wanted = input.function_version.as_deref();
    let aliases: Vec<Alias> = aliases
        .into_iter()
        .filter(|alias| wanted.is_none_or(|version| alias.version == version))
        .collect();
    let (page, next_marker) = paging::page(aliases, |a| a.name.as_str(), after.as_deref(), size);
    Ok(ListAliasesOutput {
        aliases: Some(page.into_iter().map(|alias| view(state, alias)).collect()),
        next_marker,
    })
}

/// The alias `name` of `function`, or Lambda's not-found error.
fn existing_alias(
    state: &ApiState,
    tx: &Tx<'_>,
    function: &str,
    name: &str,
) -> Result<Alias, Error> {
    existing(state, tx, function)?;
    tx.alias(function, name)?.ok_or_else(|| {
        Rule::NotFound(format!(
            "Cannot find alias arn: {}",
            lambda::qualified_arn(&state.scope, function, Some(name))
        ))
        .into()
    })
}

/// Whether an alias may point at a version: `$LATEST` or a published one.
fn version_exists(tx: &Tx<'_>, function: &str) -> Result<impl Fn(&str) -> bool, Error> {
    let versions: Vec<String> = std::iter::once(lambda::LATEST.to_owned())
        .chain(
            tx.function_versions(function)?
                .into_iter()
                .map(|v| v.version),
        )
        .collect();
    Ok(move |version: &str| versions.iter().any(|v| v == version))
}

/// A routing configuration as the core keeps it: at most one additional
/// version; an empty map clears it.
fn routing(config: AliasRoutingConfiguration) -> Result<Option<Weighted>, Rule> {
    let weights = config.additional_version_weights.unwrap_or_default();
    if weights.len() > 1 {
        return Err(Rule::InvalidParameter(
            "Number of items in AdditionalVersionWeights cannot be greater than 1".to_owned(),
        ));
    }
    Ok(weights
        .into_iter()
        .next()
        .map(|(version, weight)| Weighted { version, weight }))
}

/// An alias as AliasConfiguration shows it.
fn view(state: &ApiState, alias: Alias) -> CreateAliasOutput {
    CreateAliasOutput {
        alias_arn: Some(lambda::qualified_arn(
            &state.scope,
            &alias.function,
            Some(&alias.name),
        )),
        name: Some(alias.name),
        function_version: Some(alias.version),
        description: Some(alias.description),
        routing_config: alias
            .additional
            .map(|additional| AliasRoutingConfiguration {
                additional_version_weights: Some(
                    [(additional.version, additional.weight)]
                        .into_iter()
                        .collect(),
                ),
            }),
        revision_id: Some(alias.revision_id),
    }
}
