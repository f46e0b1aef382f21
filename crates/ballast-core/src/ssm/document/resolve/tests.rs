use std::collections::BTreeMap;

use serde_json::json;

use super::*;
use crate::ssm::amazon_documents;
use crate::ssm::document::{CreateRequest, DocumentVersion};

fn params(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.iter().map(|s| (*s).to_owned()).collect()))
        .collect()
}

fn no_store(_: &str) -> Option<String> {
    None
}

fn doc(content: &str) -> DocumentVersion {
    CreateRequest {
        name: "test-doc".into(),
        content: content.into(),
        format: None,
        document_type: None,
        version_name: None,
        display_name: None,
        target_type: None,
        requires: Vec::new(),
    }
    .apply("123456789012", 0)
    .unwrap()
    .1
}

fn run_shell_script() -> DocumentVersion {
    amazon_documents::find("AWS-RunShellScript").unwrap().1
}

#[test]
fn run_shell_script_resolves_to_its_plugin() {
    let r = resolve(
        &run_shell_script(),
        &params(&[("commands", &["echo a", "echo b"])]),
        no_store,
    )
    .unwrap();
    assert_eq!(r.steps.len(), 1);
    let step = &r.steps[0];
    assert_eq!(step.name, "aws:runShellScript");
    assert_eq!(step.action, "aws:runShellScript");
    assert_eq!(step.inputs["runCommand"], json!(["echo a", "echo b"]));
    assert_eq!(step.inputs["workingDirectory"], json!(""));
    assert_eq!(step.inputs["timeoutSeconds"], json!("3600"));
    assert_eq!(r.parameters["executionTimeout"], ["3600"]);
    assert_eq!(r.parameters["commands"], ["echo a", "echo b"]);
}

#[test]
fn unknown_missing_and_pattern() {
    let d = run_shell_script();
    assert_eq!(
        resolve(
            &d,
            &params(&[("commands", &["x"]), ("nope", &["1"])]),
            no_store
        ),
        Err(Error::Unknown("nope".into()))
    );
    assert_eq!(
        resolve(&d, &params(&[]), no_store),
        Err(Error::Missing("commands".into()))
    );
    let e = resolve(
        &d,
        &params(&[("commands", &["x"]), ("executionTimeout", &["0"])]),
        no_store,
    )
    .unwrap_err();
    assert!(matches!(e, Error::PatternMismatch { .. }), "{e}");
    let e = resolve(
        &d,
        &params(&[("commands", &["x"]), ("executionTimeout", &["172801"])]),
        no_store,
    )
    .unwrap_err();
    assert!(matches!(e, Error::PatternMismatch { .. }), "{e}");
    assert!(
        resolve(
            &d,
            &params(&[("commands", &["x"]), ("executionTimeout", &["172800"])]),
            no_store
        )
        .is_ok()
    );
    let e = resolve(
        &d,
        &params(&[("commands", &["x"]), ("workingDirectory", &["/a", "/b"])]),
        no_store,
    )
    .unwrap_err();
    assert!(matches!(e, Error::NotSingle { count: 2, .. }), "{e}");
}

const TYPED: &str = r#"{
  "schemaVersion": "2.2",
  "parameters": {
    "count": {"type": "Integer", "default": 2},
    "verbose": {"type": "Boolean", "default": false},
    "color": {"type": "String", "default": "red", "allowedValues": ["red", "blue"]},
    "labels": {"type": "StringMap", "default": {}},
    "items": {"type": "MapList", "default": []},
    "lines": {"type": "StringList", "default": ["one"]}
  },
  "mainSteps": [
    {
      "action": "aws:runShellScript",
      "name": "first",
      "precondition": {"StringEquals": ["platformType", "{{color}}"]},
      "inputs": {
        "runCommand": ["echo start", "{{ lines }}", "echo {{count}} {{ verbose }} {{color}} [{{ lines }}]", "{{ ssm:/app/greeting }}"],
        "count": "{{ count }}",
        "verbose": "{{verbose}}",
        "labels": "{{ labels }}",
        "items": "{{ items }}",
        "untouched": "{{ step.Output }} {{ global:DATE }} {{ unknown_thing }}"
      }
    }
  ]
}"#;

#[test]
fn typed_values_are_substituted_with_their_type() {
    let d = doc(TYPED);
    let store = |name: &str| (name == "/app/greeting").then(|| "echo hi".to_owned());
    let r = resolve(
        &d,
        &params(&[
            ("count", &["5"]),
            ("verbose", &["TRUE"]),
            ("lines", &["a", "b"]),
            ("labels", &[r#"{"k":"v"}"#]),
            ("items", &[r#"{"a":"1"}"#, r#"{"b":"2"}"#]),
        ]),
        store,
    )
    .unwrap();
    let inputs = &r.steps[0].inputs;
    assert_eq!(
        inputs["runCommand"],
        json!(["echo start", "a", "b", "echo 5 true red [a,b]", "echo hi"])
    );
    assert_eq!(inputs["count"], json!(5));
    assert_eq!(inputs["verbose"], json!(true));
    assert_eq!(inputs["labels"], json!({"k": "v"}));
    assert_eq!(inputs["items"], json!([{"a": "1"}, {"b": "2"}]));
    assert_eq!(
        inputs["untouched"],
        json!("{{ step.Output }} {{ global:DATE }} {{ unknown_thing }}")
    );
    assert_eq!(
        r.steps[0].precondition,
        Some(json!({"StringEquals": ["platformType", "red"]}))
    );
}

#[test]
fn type_and_allowed_values_are_checked() {
    let d = doc(TYPED);
    let wrong = |name: &str, value: &str| {
        resolve(&d, &params(&[(name, &[value])]), |_: &str| {
            Some(String::new())
        })
        .unwrap_err()
    };
    assert!(matches!(wrong("count", "x"), Error::WrongType { .. }));
    assert!(matches!(wrong("verbose", "yes"), Error::WrongType { .. }));
    assert!(matches!(wrong("labels", "[1]"), Error::WrongType { .. }));
    assert!(matches!(wrong("items", "3"), Error::WrongType { .. }));
    assert!(matches!(wrong("color", "green"), Error::NotAllowed { .. }));
}

#[test]
fn references_resolve_through_the_lookup() {
    let d = run_shell_script();
    let mut asked = Vec::new();
    let r = resolve(
        &d,
        &params(&[("commands", &["echo {{ssm:/a/b}}", "echo {{ ssm:plain:2 }}"])]),
        |name: &str| {
            asked.push(name.to_owned());
            Some(format!("<{name}>"))
        },
    )
    .unwrap();
    assert_eq!(
        r.steps[0].inputs["runCommand"],
        json!(["echo </a/b>", "echo <plain:2>"])
    );
    assert_eq!(r.parameters["commands"], ["echo </a/b>", "echo <plain:2>"]);
    assert_eq!(asked, ["/a/b", "plain:2"]);
    let e = resolve(
        &d,
        &params(&[("commands", &["{{ssm:/missing}}"])]),
        no_store,
    )
    .unwrap_err();
    assert_eq!(e, Error::Unresolved("/missing".into()));
    assert_eq!(ERROR_CODE, "InvalidParameters");
}

#[test]
fn automation_runbooks_resolve_too() {
    let d = amazon_documents::find("AWS-RestartEC2Instance").unwrap().1;
    let r = resolve(&d, &params(&[("InstanceId", &["i-1", "i-2"])]), no_store).unwrap();
    let names: Vec<_> = r.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["stopInstances", "startInstances"]);
    assert_eq!(r.steps[0].inputs["InstanceIds"], json!(["i-1", "i-2"]));
    assert_eq!(r.parameters["AutomationAssumeRole"], [""]);
}
