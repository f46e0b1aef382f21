use super::*;

const COMMAND: &str = r#"{
  "schemaVersion": "2.2",
  "description": "Say hello",
  "parameters": {
    "greeting": {"type": "String", "default": "hello", "description": "What to say"},
    "times": {"type": "Integer", "default": 1}
  },
  "mainSteps": [
    {"action": "aws:runShellScript", "name": "say", "inputs": {"runCommand": ["echo {{ greeting }}"]}}
  ]
}"#;

fn create(
    name: &str,
    content: &str,
    format: Option<&str>,
    kind: Option<&str>,
) -> Result<(Document, DocumentVersion), Error> {
    CreateRequest {
        name: name.to_owned(),
        content: content.to_owned(),
        format: format.map(str::to_owned),
        document_type: kind.map(str::to_owned),
        version_name: None,
        display_name: None,
        target_type: None,
        requires: Vec::new(),
    }
    .apply("123456789012", 1000)
}

fn update(
    doc: &mut Document,
    versions: &[DocumentVersion],
    content: &str,
    version: Option<&str>,
) -> Result<DocumentVersion, Error> {
    UpdateRequest {
        content: content.to_owned(),
        format: None,
        document_version: version.map(str::to_owned),
        version_name: None,
        display_name: None,
        target_type: None,
    }
    .apply(doc, versions, 2000)
}

#[test]
fn a_command_document_is_read() {
    let (doc, v) = create("hello", COMMAND, None, None).unwrap();
    assert_eq!(doc.document_type, "Command");
    assert_eq!((doc.default_version, doc.latest_version), (1, 1));
    assert_eq!(v.schema_version, "2.2");
    assert_eq!(v.description.as_deref(), Some("Say hello"));
    assert_eq!(v.platform_types, ["Linux", "MacOS"]);
    let names: Vec<_> = v.parameters.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["greeting", "times"]);
    assert_eq!(v.parameters[1].default_text().as_deref(), Some("1"));
    assert_eq!(v.hash.len(), 64);
}

#[test]
fn yaml_content_is_read_and_converted() {
    let yaml = "schemaVersion: '2.2'\ndescription: y\nparameters:\n  b:\n    type: String\n  a:\n    type: StringList\n    default: [x, y]\nmainSteps:\n  - action: aws:runShellScript\n    name: s\n    inputs:\n      runCommand: ['{{ a }}']\n";
    let (_, v) = create("yaml-doc", yaml, Some("YAML"), None).unwrap();
    let names: Vec<_> = v.parameters.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["b", "a"], "declaration order is kept");
    assert_eq!(
        v.parameters[1].default_text().as_deref(),
        Some(r#"["x","y"]"#)
    );
    let json = content::render(&v.parsed().unwrap(), DocumentFormat::Json).unwrap();
    let back: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(back["schemaVersion"], "2.2");
    let again = content::render(&back, DocumentFormat::Yaml).unwrap();
    assert!(again.contains("schemaVersion: '2.2'"), "{again}");
}

#[test]
fn malformed_content_says_where() {
    let e = create("bad-json", "{\"schemaVersion\": ", None, None).unwrap_err();
    assert!(
        matches!(&e, Error::InvalidContent(m) if m.starts_with("JSON not well-formed. at Line: 1, Column:")),
        "{e}"
    );
    let e = create("bad-yaml", "a: [b\nc: d", Some("YAML"), None).unwrap_err();
    assert!(
        matches!(&e, Error::InvalidContent(m) if m.starts_with("YAML not well-formed. at Line:")),
        "{e}"
    );
}

#[test]
fn schema_rules_are_enforced() {
    let missing = r#"{"mainSteps": []}"#;
    assert!(matches!(
        create("d1", missing, None, None),
        Err(Error::InvalidContent(_))
    ));
    let automation_schema_on_command = r#"{"schemaVersion": "0.3", "mainSteps": [{"name": "a", "action": "aws:sleep", "inputs": {"Duration": "PT1S"}}]}"#;
    assert!(matches!(
        create("d2", automation_schema_on_command, None, None),
        Err(Error::InvalidSchemaVersion(_))
    ));
    let runbook = create("d3", automation_schema_on_command, None, Some("Automation")).unwrap();
    assert_eq!(runbook.0.document_type, "Automation");
    let unknown_action = r#"{"schemaVersion": "2.2", "mainSteps": [{"name": "a", "action": "aws:nope", "inputs": {}}]}"#;
    assert!(matches!(
        create("d4", unknown_action, None, None),
        Err(Error::InvalidContent(_))
    ));
    let no_run_command = r#"{"schemaVersion": "2.2", "mainSteps": [{"name": "a", "action": "aws:runShellScript", "inputs": {}}]}"#;
    assert!(matches!(
        create("d5", no_run_command, None, None),
        Err(Error::InvalidContent(_))
    ));
    let duplicate_steps = r#"{"schemaVersion": "2.2", "mainSteps": [{"name": "a", "action": "aws:runShellScript", "inputs": {"runCommand": "x"}}, {"name": "a", "action": "aws:runShellScript", "inputs": {"runCommand": "y"}}]}"#;
    assert!(matches!(
        create("d6", duplicate_steps, None, None),
        Err(Error::InvalidContent(_))
    ));
    let bad_type = r#"{"schemaVersion": "2.2", "parameters": {"p": {"type": "Float"}}, "mainSteps": [{"name": "a", "action": "aws:runShellScript", "inputs": {"runCommand": "x"}}]}"#;
    assert!(matches!(
        create("d7", bad_type, None, None),
        Err(Error::InvalidContent(_))
    ));
    let bad_default = r#"{"schemaVersion": "2.2", "parameters": {"p": {"type": "Integer", "default": "x"}}, "mainSteps": [{"name": "a", "action": "aws:runShellScript", "inputs": {"runCommand": "x"}}]}"#;
    assert!(matches!(
        create("d8", bad_default, None, None),
        Err(Error::InvalidContent(_))
    ));
    let bad_pattern = r#"{"schemaVersion": "2.2", "parameters": {"p": {"type": "String", "allowedPattern": "("}}, "mainSteps": [{"name": "a", "action": "aws:runShellScript", "inputs": {"runCommand": "x"}}]}"#;
    assert!(matches!(
        create("d9", bad_pattern, None, None),
        Err(Error::InvalidContent(_))
    ));
}

#[test]
fn reserved_names_are_refused() {
    for name in ["AWS-Mine", "aws_x", "Amazon-x", "amzn.y"] {
        assert!(
            matches!(create(name, COMMAND, None, None), Err(Error::Validation(_))),
            "{name}"
        );
    }
}

#[test]
fn size_limit() {
    let big = format!(
        "{{\"schemaVersion\": \"2.2\", \"description\": \"{}\"}}",
        "x".repeat(MAX_CONTENT_BYTES)
    );
    assert_eq!(
        create("big", &big, None, None).unwrap_err(),
        Error::MaxSizeExceeded
    );
}

#[test]
fn versions_update_select_and_delete() {
    let (mut doc, v1) = create("hello", COMMAND, None, None).unwrap();
    let mut versions = vec![v1];
    assert_eq!(
        update(&mut doc, &versions, COMMAND, None).unwrap_err(),
        Error::DuplicateContent
    );
    let changed = COMMAND.replace("Say hello", "Say hello again");
    assert_eq!(
        update(&mut doc, &versions, &changed, Some("2")).unwrap_err(),
        Error::InvalidVersion
    );
    let v2 = update(&mut doc, &versions, &changed, Some("1")).unwrap();
    assert_eq!(
        (v2.version, doc.latest_version, doc.default_version),
        (2, 2, 1)
    );
    versions.push(v2);

    let pick = |v: Option<&str>, n: Option<&str>, doc: &Document, versions: &[DocumentVersion]| {
        VersionSelector::new(v, n)
            .pick(doc, versions)
            .map(|v| v.version)
    };
    assert_eq!(pick(None, None, &doc, &versions), Ok(1));
    assert_eq!(pick(Some("$LATEST"), None, &doc, &versions), Ok(2));
    assert_eq!(pick(Some("$DEFAULT"), None, &doc, &versions), Ok(1));
    assert_eq!(
        pick(Some("7"), None, &doc, &versions),
        Err(Error::InvalidVersion)
    );

    assert_eq!(
        set_default_version(&mut doc, &versions, "3"),
        Err(Error::InvalidVersion)
    );
    set_default_version(&mut doc, &versions, "2").unwrap();
    assert_eq!(doc.default_version, 2);

    let by_default = plan_delete(&doc, &versions, &VersionSelector::new(Some("2"), None));
    assert!(matches!(by_default, Err(Error::InvalidOperation(_))));
    assert_eq!(
        plan_delete(&doc, &versions, &VersionSelector::new(Some("1"), None)),
        Ok(Deletion::Version(1))
    );
    assert_eq!(
        plan_delete(&doc, &versions, &VersionSelector::default()),
        Ok(Deletion::Document)
    );
}

#[test]
fn version_names_are_unique() {
    let (mut doc, mut v1) = create("named", COMMAND, None, None).unwrap();
    v1.version_name = Some("one".into());
    let versions = vec![v1];
    let e = UpdateRequest {
        content: COMMAND.replace("hello", "bye"),
        format: None,
        document_version: None,
        version_name: Some("one".into()),
        display_name: None,
        target_type: None,
    }
    .apply(&mut doc, &versions, 5);
    assert_eq!(e.unwrap_err(), Error::DuplicateVersionName);
    assert_eq!(
        VersionSelector::new(None, Some("one"))
            .pick(&doc, &versions)
            .map(|v| v.version),
        Ok(1)
    );
    assert_eq!(
        VersionSelector::new(None, Some("two"))
            .pick(&doc, &versions)
            .map(|v| v.version),
        Err(Error::InvalidVersion)
    );
}

#[test]
fn sharing() {
    let (mut doc, versions) = create("shared", COMMAND, None, None).unwrap();
    let versions = vec![versions];
    modify_permission(&mut doc, &["111122223333".into()], &[], None).unwrap();
    assert_eq!(doc.shared_with, ["111122223333"]);
    assert_eq!(doc.shared_version.as_deref(), Some("$DEFAULT"));
    assert!(matches!(
        plan_delete(&doc, &versions, &VersionSelector::default()),
        Err(Error::InvalidOperation(_))
    ));
    assert!(matches!(
        modify_permission(&mut doc, &["All".into(), "111122223333".into()], &[], None),
        Err(Error::PermissionLimit(_))
    ));
    assert!(matches!(
        modify_permission(&mut doc, &["12".into()], &[], None),
        Err(Error::Validation(_))
    ));
    modify_permission(
        &mut doc,
        &["All".into()],
        &["111122223333".into()],
        Some("$LATEST"),
    )
    .unwrap();
    assert_eq!(doc.shared_with, ["all"]);
    modify_permission(&mut doc, &[], &["all".into()], None).unwrap();
    assert!(doc.shared_with.is_empty());
    assert_eq!(doc.shared_version, None);
}

#[test]
fn amazon_documents_are_read_only() {
    let (mut doc, version) = crate::ssm::amazon_documents::find("AWS-RunShellScript").unwrap();
    let versions = vec![version];
    assert!(matches!(
        plan_delete(&doc, &versions, &VersionSelector::default()),
        Err(Error::InvalidOperation(_))
    ));
    assert!(matches!(
        update(&mut doc, &versions, COMMAND, None),
        Err(Error::InvalidOperation(_))
    ));
    assert_eq!(
        arn("us-east-1", "123456789012", &doc),
        "arn:aws:ssm:us-east-1::document/AWS-RunShellScript"
    );
}

#[test]
fn names_and_arns() {
    assert_eq!(
        name_of("arn:aws:ssm:us-east-1:123456789012:document/mine"),
        "mine"
    );
    assert_eq!(name_of("mine"), "mine");
    let (doc, _) = create("mine", COMMAND, None, None).unwrap();
    assert_eq!(
        arn("us-east-1", "123456789012", &doc),
        "arn:aws:ssm:us-east-1:123456789012:document/mine"
    );
}
