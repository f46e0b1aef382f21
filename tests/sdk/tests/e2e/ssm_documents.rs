//! SSM documents through aws-sdk-ssm: every operation, its errors, the
//! Amazon-owned documents, and documents surviving a kill -9.

use aws_sdk_ssm::types::{
    DocumentFormat, DocumentKeyValuesFilter, DocumentPermissionType, DocumentType,
    ResourceTypeForTagging, Tag,
};
use ballast_sdk_tests::{Ballast, error_code, unique};

const COMMAND: &str = r#"{
  "schemaVersion": "2.2",
  "description": "Restart the web service",
  "parameters": {
    "service": {"type": "String", "default": "web", "allowedValues": ["web", "worker"]}
  },
  "mainSteps": [
    {"action": "aws:runShellScript", "name": "restart", "inputs": {"runCommand": ["systemctl restart {{ service }}"]}}
  ]
}"#;

const YAML: &str = "schemaVersion: '2.2'\ndescription: Say hello\nparameters:\n  who:\n    type: String\n    default: world\nmainSteps:\n  - action: aws:runShellScript\n    name: hello\n    inputs:\n      runCommand:\n        - echo hello {{ who }}\n";

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build().unwrap()
}

fn filter(key: &str, value: &str) -> DocumentKeyValuesFilter {
    DocumentKeyValuesFilter::builder()
        .key(key)
        .values(value)
        .build()
}

#[tokio::test]
async fn create_read_update_and_delete() {
    let ballast = Ballast::start();
    let ssm = ballast.ssm();
    let name = unique("restart-web");

    let created = ssm
        .create_document()
        .name(&name)
        .content(COMMAND)
        .document_type(DocumentType::Command)
        .version_name("one")
        .tags(tag("team", "web"))
        .send()
        .await
        .unwrap();
    let d = created.document_description().unwrap();
    assert_eq!(d.name(), Some(name.as_str()));
    assert_eq!(d.owner(), Some("000000000000"));
    assert_eq!(d.schema_version(), Some("2.2"));
    assert_eq!(d.document_version(), Some("1"));
    assert_eq!(d.document_format(), Some(&DocumentFormat::Json));
    assert_eq!(d.description(), Some("Restart the web service"));
    assert_eq!(d.parameters()[0].default_value(), Some("web"));
    assert_eq!(d.tags().len(), 1);

    let again = ssm
        .create_document()
        .name(&name)
        .content(COMMAND)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&again), "DocumentAlreadyExists");
    let bad = ssm
        .create_document()
        .name(unique("bad"))
        .content("{\"schemaVersion\":")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&bad), "InvalidDocumentContent");
    let reserved = ssm
        .create_document()
        .name("AWS-Mine")
        .content(COMMAND)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&reserved), "ValidationException");

    let got = ssm
        .get_document()
        .name(&name)
        .document_format(DocumentFormat::Yaml)
        .send()
        .await
        .unwrap();
    assert_eq!(got.document_format(), Some(&DocumentFormat::Yaml));
    assert!(got.content().unwrap().contains("schemaVersion: '2.2'"));

    let duplicate = ssm
        .update_document()
        .name(&name)
        .content(COMMAND)
        .document_version("$LATEST")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&duplicate), "DuplicateDocumentContent");
    let second = COMMAND.replace("Restart the web service", "Restart a service");
    let updated = ssm
        .update_document()
        .name(&name)
        .content(&second)
        .document_version("$LATEST")
        .version_name("two")
        .send()
        .await
        .unwrap();
    let d = updated.document_description().unwrap();
    assert_eq!(
        (
            d.document_version(),
            d.latest_version(),
            d.default_version()
        ),
        (Some("2"), Some("2"), Some("1"))
    );
    let stale = ssm
        .update_document()
        .name(&name)
        .content(COMMAND.replace("web", "api"))
        .document_version("1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&stale), "InvalidDocumentVersion");

    let default = ssm.describe_document().name(&name).send().await.unwrap();
    assert_eq!(default.document().unwrap().document_version(), Some("1"));
    let latest = ssm
        .describe_document()
        .name(&name)
        .document_version("$LATEST")
        .send()
        .await
        .unwrap();
    assert_eq!(
        latest.document().unwrap().description(),
        Some("Restart a service")
    );
    let missing = ssm
        .describe_document()
        .name(&name)
        .document_version("9")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&missing), "InvalidDocumentVersion");

    let moved = ssm
        .update_document_default_version()
        .name(&name)
        .document_version("2")
        .send()
        .await
        .unwrap();
    let m = moved.description().unwrap();
    assert_eq!(
        (m.default_version(), m.default_version_name()),
        (Some("2"), Some("two"))
    );

    let versions = ssm
        .list_document_versions()
        .name(&name)
        .send()
        .await
        .unwrap();
    let flags: Vec<(Option<&str>, bool)> = versions
        .document_versions()
        .iter()
        .map(|v| (v.document_version(), v.is_default_version()))
        .collect();
    assert_eq!(flags, [(Some("1"), false), (Some("2"), true)]);

    let default_delete = ssm
        .delete_document()
        .name(&name)
        .document_version("2")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&default_delete), "InvalidDocumentOperation");
    ssm.delete_document()
        .name(&name)
        .document_version("1")
        .send()
        .await
        .unwrap();
    ssm.delete_document().name(&name).send().await.unwrap();
    let gone = ssm.get_document().name(&name).send().await.unwrap_err();
    assert_eq!(error_code(&gone), "InvalidDocument");
}

#[tokio::test]
async fn amazon_documents_and_list_filters() {
    let ballast = Ballast::start();
    let ssm = ballast.ssm();
    let run = ssm
        .describe_document()
        .name("AWS-RunShellScript")
        .send()
        .await
        .unwrap();
    let d = run.document().unwrap();
    assert_eq!(d.owner(), Some("Amazon"));
    let params: Vec<(Option<&str>, Option<&str>)> = d
        .parameters()
        .iter()
        .map(|p| (p.name(), p.default_value()))
        .collect();
    assert_eq!(
        params,
        [
            (Some("commands"), None),
            (Some("workingDirectory"), Some("")),
            (Some("executionTimeout"), Some("3600"))
        ]
    );
    let refused = ssm
        .delete_document()
        .name("AWS-RunShellScript")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&refused), "InvalidDocumentOperation");

    let yaml_name = unique("hello");
    ssm.create_document()
        .name(&yaml_name)
        .content(YAML)
        .document_format(DocumentFormat::Yaml)
        .send()
        .await
        .unwrap();
    let as_json = ssm
        .get_document()
        .name(&yaml_name)
        .document_format(DocumentFormat::Json)
        .send()
        .await
        .unwrap();
    let content: serde_json::Value = serde_json::from_str(as_json.content().unwrap()).unwrap();
    assert_eq!(content["parameters"]["who"]["default"], "world");

    let amazon = ssm
        .list_documents()
        .filters(filter("Owner", "Amazon"))
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = amazon
        .document_identifiers()
        .iter()
        .filter_map(|d| d.name())
        .collect();
    assert!(names.contains(&"AWS-RunShellScript"), "{names:?}");
    assert!(!names.contains(&yaml_name.as_str()));
    let own = ssm
        .list_documents()
        .filters(filter("Owner", "Self"))
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = own
        .document_identifiers()
        .iter()
        .filter_map(|d| d.name())
        .collect();
    assert_eq!(names, [yaml_name.as_str()]);
    let automation = ssm
        .list_documents()
        .filters(filter("DocumentType", "Automation"))
        .send()
        .await
        .unwrap();
    assert!(
        automation
            .document_identifiers()
            .iter()
            .all(|d| d.document_type() == Some(&DocumentType::Automation))
    );
    assert!(!automation.document_identifiers().is_empty());

    // The paginator walks every page.
    let mut all = Vec::new();
    let mut pages = ssm.list_documents().max_results(2).into_paginator().send();
    while let Some(page) = pages.next().await {
        all.extend(
            page.unwrap()
                .document_identifiers()
                .iter()
                .filter_map(|d| d.name().map(str::to_owned)),
        );
    }
    assert_eq!(all.len(), 6, "{all:?}");
    let bad = ssm
        .list_documents()
        .filters(filter("Colour", "red"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&bad), "InvalidFilterKey");
}

#[tokio::test]
async fn permissions_and_tags() {
    let ballast = Ballast::start();
    let ssm = ballast.ssm();
    let name = unique("shared");
    ssm.create_document()
        .name(&name)
        .content(COMMAND)
        .send()
        .await
        .unwrap();

    ssm.modify_document_permission()
        .name(&name)
        .permission_type(DocumentPermissionType::Share)
        .account_ids_to_add("111122223333")
        .shared_document_version("$DEFAULT")
        .send()
        .await
        .unwrap();
    let shown = ssm
        .describe_document_permission()
        .name(&name)
        .permission_type(DocumentPermissionType::Share)
        .send()
        .await
        .unwrap();
    assert_eq!(shown.account_ids(), ["111122223333"]);
    assert_eq!(
        shown.account_sharing_info_list()[0].shared_document_version(),
        Some("$DEFAULT")
    );
    let mixed = ssm
        .modify_document_permission()
        .name(&name)
        .permission_type(DocumentPermissionType::Share)
        .account_ids_to_add("all")
        .account_ids_to_add("111122223333")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&mixed), "DocumentPermissionLimit");
    let while_shared = ssm.delete_document().name(&name).send().await.unwrap_err();
    assert_eq!(error_code(&while_shared), "InvalidDocumentOperation");

    ssm.add_tags_to_resource()
        .resource_type(ResourceTypeForTagging::Document)
        .resource_id(&name)
        .tags(tag("env", "prod"))
        .send()
        .await
        .unwrap();
    let tags = ssm
        .list_tags_for_resource()
        .resource_type(ResourceTypeForTagging::Document)
        .resource_id(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tag_list().len(), 1);
    let tagged = ssm
        .list_documents()
        .filters(filter("tag:env", "prod"))
        .send()
        .await
        .unwrap();
    assert_eq!(tagged.document_identifiers().len(), 1);
    ssm.remove_tags_from_resource()
        .resource_type(ResourceTypeForTagging::Document)
        .resource_id(&name)
        .tag_keys("env")
        .send()
        .await
        .unwrap();
    let tags = ssm
        .list_tags_for_resource()
        .resource_type(ResourceTypeForTagging::Document)
        .resource_id(&name)
        .send()
        .await
        .unwrap();
    assert!(tags.tag_list().is_empty());
    let missing = ssm
        .list_tags_for_resource()
        .resource_type(ResourceTypeForTagging::Document)
        .resource_id("nope-doc")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&missing), "InvalidResourceId");
}

#[tokio::test]
async fn documents_survive_a_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = Ballast::start_in(dir.path(), &[]);
    let name = unique("durable");
    {
        let ssm = first.ssm();
        ssm.create_document()
            .name(&name)
            .content(COMMAND)
            .send()
            .await
            .unwrap();
        ssm.update_document()
            .name(&name)
            .content(COMMAND.replace("web", "api"))
            .send()
            .await
            .unwrap();
        ssm.update_document_default_version()
            .name(&name)
            .document_version("2")
            .send()
            .await
            .unwrap();
    }
    first.kill9();
    let second = Ballast::start_in(dir.path(), &[]);
    let ssm = second.ssm();
    let d = ssm.describe_document().name(&name).send().await.unwrap();
    let d = d.document().unwrap();
    assert_eq!(
        (d.default_version(), d.latest_version()),
        (Some("2"), Some("2"))
    );
    let got = ssm
        .get_document()
        .name(&name)
        .document_version("1")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content(), Some(COMMAND));
}
