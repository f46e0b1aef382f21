//! The steps SendCommand sends: the command document (the account's or
//! Amazon's) at the version asked for, with the command's parameters
//! checked against it and put in (`ballast_core::ssm::document::resolve`).

use std::collections::BTreeMap;

use ballast_core::ssm::command::{Error as Rule, Step};
use ballast_core::ssm::document::{VersionSelector, resolve};
use ballast_core::ssm::parameter::{Selector, SelectorVersion, key_of};
use ballast_store::Tx;

use super::commands::Error;

/// The version a command runs and its steps.
pub(crate) struct CommandDocument {
    pub version: String,
    pub steps: Vec<Step>,
}

pub(crate) fn command_steps(
    tx: &Tx<'_>,
    name: &str,
    version: Option<&str>,
    parameters: &[(String, Vec<String>)],
) -> Result<CommandDocument, Error> {
    let invalid = || Rule::InvalidDocument("The specified document does not exist.".to_owned());
    let found = super::documents::find(tx, name)
        .map_err(|_| invalid())?
        .ok_or_else(invalid)?;
    if found.document.document_type != "Command" {
        return Err(Rule::InvalidDocument(format!(
            "Document {} is of type {}; Run Command runs documents of type Command.",
            found.document.name, found.document.document_type
        ))
        .into());
    }
    let chosen = VersionSelector::new(version, None)
        .pick(&found.document, &found.versions)
        .map_err(|_| {
            Rule::InvalidDocumentVersion(format!(
                "Document {} has no version {}.",
                found.document.name,
                version.unwrap_or("$DEFAULT")
            ))
        })?;
    let supplied: BTreeMap<String, Vec<String>> = parameters.iter().cloned().collect();
    let resolution = resolve::resolve(chosen, &supplied, |reference| {
        parameter_value(tx, reference)
    })
    .map_err(|e| Rule::InvalidParameters(e.to_string()))?;
    Ok(CommandDocument {
        version: chosen.version.to_string(),
        steps: resolution
            .steps
            .into_iter()
            .map(|s| Step {
                name: s.name,
                action: s.action,
                inputs: s.inputs,
            })
            .collect(),
    })
}

/// A `{{ ssm:NAME }}` reference's value: `NAME`, `NAME:VERSION` or
/// `NAME:LABEL` in Parameter Store.
pub(super) fn parameter_value(tx: &Tx<'_>, reference: &str) -> Option<String> {
    let selector = Selector::parse(reference);
    let key = key_of(&selector.name);
    let versions = match &selector.version {
        SelectorVersion::Latest => {
            return tx.latest_parameter(&key).ok().flatten().map(|p| p.value);
        }
        _ => tx.parameter_versions(&key).ok()?,
    };
    versions
        .into_iter()
        .find(|v| match &selector.version {
            SelectorVersion::Number(n) => v.version == *n,
            SelectorVersion::Label(label) => v.labels.contains(label),
            SelectorVersion::Latest => true,
        })
        .map(|v| v.value)
}
