//! The steps SendCommand sends: a command document with the command's
//! parameters put in.

use ballast_core::ssm::command::{Error as Rule, Step};
use ballast_store::Tx;

use super::commands::{Error, shell_step};

/// The document version a command runs and its steps, the parameters
/// checked against the document and substituted.
pub(crate) fn command_steps(
    _tx: &Tx<'_>,
    name: &str,
    version: Option<&str>,
    parameters: &[(String, Vec<String>)],
) -> Result<(String, Vec<Step>), Error> {
    let bare = name.rsplit_once(":document/").map_or(name, |(_, n)| n);
    if bare != "AWS-RunShellScript" {
        return Err(Rule::InvalidDocument(String::new()).into());
    }
    if let Some(version) = version
        && !matches!(version, "$DEFAULT" | "$LATEST" | "1")
    {
        return Err(Rule::InvalidDocumentVersion(String::new()).into());
    }
    let mut commands = None;
    let mut working_directory = String::new();
    let mut timeout = "3600".to_owned();
    for (key, values) in parameters {
        match key.as_str() {
            "commands" => commands = Some(values.clone()),
            "workingDirectory" => working_directory = values.join(""),
            "executionTimeout" => timeout = values.join(""),
            _ => {
                return Err(Rule::InvalidParameters(
                    "document AWS-RunShellScript does not support parameters.".to_owned(),
                )
                .into());
            }
        }
    }
    let Some(commands) = commands.filter(|c| !c.is_empty()) else {
        return Err(Rule::InvalidParameters(
            "Parameters [commands] are required and must not be empty.".to_owned(),
        )
        .into());
    };
    Ok((
        "1".to_owned(),
        vec![shell_step(commands, &working_directory, &timeout)],
    ))
}
