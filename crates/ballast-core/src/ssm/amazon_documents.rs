//! The documents Amazon owns that every account sees from the start, with
//! AWS's names and parameters and Ballast's own descriptions. Only those
//! that make sense on a local cloud are here: Linux shell scripts, and
//! runbooks that start, stop, restart or terminate instances. They are not
//! stored; every lookup falls back to this catalogue, and no account can
//! create, change, share, tag or delete a document of these names.

use super::document::content::{self, DocumentFormat};
use super::document::{AMAZON_OWNER, Document, DocumentType, DocumentVersion};

/// When Ballast says these documents were created (2017-07-14).
const CREATED_MILLIS: i64 = 1_500_000_000_000;

/// AWS's limit on `executionTimeout`: 1 to 172800 seconds.
pub const EXECUTION_TIMEOUT_PATTERN: &str =
    "([1-9][0-9]{0,4})|(1[0-6][0-9]{4})|(17[0-1][0-9]{3})|(172[0-7][0-9]{2})|(172800)";

const RUN_SHELL_SCRIPT: &str = r#"{
  "schemaVersion": "1.2",
  "description": "Run shell commands, or the lines of a script, on Linux instances.",
  "parameters": {
    "commands": {
      "type": "StringList",
      "description": "(Required) The commands to run, or the lines of a script, one per entry.",
      "minItems": 1,
      "displayType": "textarea"
    },
    "workingDirectory": {
      "type": "String",
      "default": "",
      "description": "(Optional) The directory the commands run in; empty for the agent's own.",
      "maxChars": 4096
    },
    "executionTimeout": {
      "type": "String",
      "default": "3600",
      "description": "(Optional) Seconds the commands may run before they are stopped and the command fails: 3600 (one hour) unless given, at most 172800 (48 hours).",
      "allowedPattern": "([1-9][0-9]{0,4})|(1[0-6][0-9]{4})|(17[0-1][0-9]{3})|(172[0-7][0-9]{2})|(172800)"
    }
  },
  "runtimeConfig": {
    "aws:runShellScript": {
      "properties": [
        {
          "id": "0.aws:runShellScript",
          "runCommand": "{{ commands }}",
          "workingDirectory": "{{ workingDirectory }}",
          "timeoutSeconds": "{{ executionTimeout }}"
        }
      ]
    }
  }
}
"#;

/// An Automation runbook that moves instances through `states` in turn.
/// Written as text so its parameters keep their order.
fn instance_state_runbook(description: &str, states: &[(&str, &str)]) -> String {
    let steps: Vec<String> = states
        .iter()
        .map(|(name, state)| {
            format!(
                r#"    {{
      "name": "{name}",
      "action": "aws:changeInstanceState",
      "inputs": {{
        "InstanceIds": "{{{{ InstanceId }}}}",
        "DesiredState": "{state}"
      }}
    }}"#
            )
        })
        .collect();
    format!(
        r#"{{
  "schemaVersion": "0.3",
  "description": "{description}",
  "assumeRole": "{{{{ AutomationAssumeRole }}}}",
  "parameters": {{
    "InstanceId": {{
      "type": "StringList",
      "description": "(Required) The instances to act on."
    }},
    "AutomationAssumeRole": {{
      "type": "String",
      "default": "",
      "description": "(Optional) The ARN of a role the runbook acts as; empty to act as the caller."
    }}
  }},
  "mainSteps": [
{steps}
  ]
}}
"#,
        steps = steps.join(",\n")
    )
}

/// `(name, document type, content)` of each document in the catalogue.
fn sources() -> Vec<(&'static str, DocumentType, String)> {
    vec![
        (
            "AWS-RestartEC2Instance",
            DocumentType::Automation,
            instance_state_runbook(
                "Restart instances: stop them, then start them again.",
                &[("stopInstances", "stopped"), ("startInstances", "running")],
            ),
        ),
        (
            "AWS-RunShellScript",
            DocumentType::Command,
            RUN_SHELL_SCRIPT.to_owned(),
        ),
        (
            "AWS-StartEC2Instance",
            DocumentType::Automation,
            instance_state_runbook("Start stopped instances.", &[("startInstances", "running")]),
        ),
        (
            "AWS-StopEC2Instance",
            DocumentType::Automation,
            instance_state_runbook("Stop running instances.", &[("stopInstances", "stopped")]),
        ),
        (
            "AWS-TerminateEC2Instance",
            DocumentType::Automation,
            instance_state_runbook(
                "Terminate instances.",
                &[("terminateInstances", "terminated")],
            ),
        ),
    ]
}

fn build(
    name: &str,
    document_type: &DocumentType,
    text: String,
) -> Option<(Document, DocumentVersion)> {
    // The catalogue is checked by a unit test; an entry that failed
    // validation would be left out rather than served half-read.
    let summary = content::validate(&text, DocumentFormat::Json, document_type).ok()?;
    let document = Document {
        name: name.to_owned(),
        owner: AMAZON_OWNER.to_owned(),
        document_type: document_type.as_str().to_owned(),
        default_version: 1,
        latest_version: 1,
        created_millis: CREATED_MILLIS,
        shared_with: Vec::new(),
        shared_version: None,
    };
    let version = DocumentVersion {
        version: 1,
        version_name: None,
        display_name: None,
        hash: content::sha256_hex(&text),
        content: text,
        format: DocumentFormat::Json,
        target_type: None,
        requires: Vec::new(),
        created_millis: CREATED_MILLIS,
        schema_version: summary.schema_version,
        description: summary.description,
        parameters: summary.parameters,
        platform_types: summary.platform_types,
    };
    Some((document, version))
}

/// The names of the Amazon-owned documents, in name order.
pub const NAMES: &[&str] = &[
    "AWS-RestartEC2Instance",
    "AWS-RunShellScript",
    "AWS-StartEC2Instance",
    "AWS-StopEC2Instance",
    "AWS-TerminateEC2Instance",
];

/// Whether Amazon owns a document of this name.
pub fn is_amazon(name: &str) -> bool {
    NAMES.contains(&name)
}

/// Every Amazon-owned document, in name order.
pub fn all() -> Vec<(Document, DocumentVersion)> {
    sources()
        .into_iter()
        .filter_map(|(name, kind, text)| build(name, &kind, text))
        .collect()
}

/// The Amazon-owned document of this name.
pub fn find(name: &str) -> Option<(Document, DocumentVersion)> {
    sources()
        .into_iter()
        .find(|(n, _, _)| *n == name)
        .and_then(|(name, kind, text)| build(name, &kind, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_is_valid_and_in_name_order() {
        let names: Vec<&str> = sources().iter().map(|(n, _, _)| *n).collect();
        assert_eq!(all().len(), names.len());
        assert_eq!(names, NAMES);
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
    }

    #[test]
    fn run_shell_script_declares_aws_parameters() {
        let (doc, version) = find("AWS-RunShellScript").unwrap();
        assert_eq!(doc.owner, "Amazon");
        assert_eq!(version.schema_version, "1.2");
        assert_eq!(version.platform_types, vec!["Linux", "MacOS"]);
        let names: Vec<&str> = version.parameters.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["commands", "workingDirectory", "executionTimeout"]);
        let timeout = &version.parameters[2];
        assert_eq!(timeout.default_text().as_deref(), Some("3600"));
        assert_eq!(
            timeout.allowed_pattern.as_deref(),
            Some(EXECUTION_TIMEOUT_PATTERN)
        );
    }
}
