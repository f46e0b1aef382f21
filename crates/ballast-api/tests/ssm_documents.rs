//! SSM documents in process: every operation, its errors, the store left
//! unchanged by a refused call, and authorization on the document's ARN.

// Integration tests unwrap freely; the product code may not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{Value, json};
use support::{Api, Call, Reply};

const COMMAND: &str = r#"{
  "schemaVersion": "2.2",
  "description": "Write a file",
  "parameters": {
    "path": {"type": "String", "default": "/tmp/out", "description": "Where"},
    "lines": {"type": "StringList", "default": ["a"]}
  },
  "mainSteps": [
    {"action": "aws:runShellScript", "name": "write", "inputs": {"runCommand": ["printf '%s' '{{ lines }}' > {{ path }}"]}}
  ]
}"#;

const YAML: &str = "schemaVersion: '2.2'\ndescription: From YAML\nmainSteps:\n  - action: aws:runShellScript\n    name: hello\n    inputs:\n      runCommand:\n        - echo hello\n";

fn ssm(op: &str, body: Value) -> Call {
    Call::json("ssm", op, body)
}

async fn create(api: &Api, name: &str, content: &str, extra: Value) -> Reply {
    let mut body = json!({"Name": name, "Content": content});
    if let Value::Object(more) = extra {
        body.as_object_mut().unwrap().extend(more);
    }
    api.root(ssm("CreateDocument", body)).await
}

#[tokio::test]
async fn create_describe_get_and_convert() {
    let api = Api::new();
    let created = create(
        &api,
        "write-file",
        COMMAND,
        json!({"Tags": [{"Key": "team", "Value": "web"}], "VersionName": "first"}),
    )
    .await
    .ok();
    let d = &created.json()["DocumentDescription"];
    assert_eq!(d["Name"], "write-file");
    assert_eq!(d["Owner"], "000000000000");
    assert_eq!(d["DocumentType"], "Command");
    assert_eq!(d["DocumentFormat"], "JSON");
    assert_eq!(d["SchemaVersion"], "2.2");
    assert_eq!(d["Status"], "Active");
    assert_eq!(d["DocumentVersion"], "1");
    assert_eq!(d["LatestVersion"], "1");
    assert_eq!(d["DefaultVersion"], "1");
    assert_eq!(d["VersionName"], "first");
    assert_eq!(d["HashType"], "Sha256");
    assert_eq!(d["PlatformTypes"], json!(["Linux", "MacOS"]));
    assert_eq!(d["Tags"], json!([{"Key": "team", "Value": "web"}]));
    assert_eq!(
        d["Parameters"],
        json!([
            {"Name": "path", "Type": "String", "Description": "Where", "DefaultValue": "/tmp/out"},
            {"Name": "lines", "Type": "StringList", "DefaultValue": "[\"a\"]"}
        ])
    );

    let got = api
        .json_ok("ssm", "GetDocument", json!({"Name": "write-file"}))
        .await;
    assert_eq!(got["Content"], COMMAND);
    assert_eq!(got["DocumentFormat"], "JSON");
    let as_yaml = api
        .json_ok(
            "ssm",
            "GetDocument",
            json!({"Name": "write-file", "DocumentFormat": "YAML"}),
        )
        .await;
    assert_eq!(as_yaml["DocumentFormat"], "YAML");
    assert!(
        as_yaml["Content"]
            .as_str()
            .unwrap()
            .contains("schemaVersion: '2.2'")
    );

    create(&api, "from-yaml", YAML, json!({"DocumentFormat": "YAML"}))
        .await
        .ok();
    let as_json = api
        .json_ok(
            "ssm",
            "GetDocument",
            json!({"Name": "from-yaml", "DocumentFormat": "JSON"}),
        )
        .await;
    let content: Value = serde_json::from_str(as_json["Content"].as_str().unwrap()).unwrap();
    assert_eq!(
        content["mainSteps"][0]["inputs"]["runCommand"],
        json!(["echo hello"])
    );

    // By ARN, too.
    let arn = "arn:aws:ssm:us-east-1:000000000000:document/write-file";
    api.root(ssm("DescribeDocument", json!({"Name": arn})))
        .await
        .ok();
}

#[tokio::test]
async fn create_errors_leave_nothing_behind() {
    let api = Api::new();
    create(&api, "dup", COMMAND, json!({})).await.ok();
    let again = create(&api, "dup", COMMAND, json!({})).await;
    again.assert_code("DocumentAlreadyExists");
    assert_eq!(
        again.message(),
        "Document with same name dup already exists"
    );
    create(&api, "AWS-RunShellScript", COMMAND, json!({}))
        .await
        .assert_code("ValidationException");
    create(&api, "awsome", COMMAND, json!({}))
        .await
        .assert_code("ValidationException");
    create(&api, "a b", COMMAND, json!({}))
        .await
        .assert_code("ValidationException");

    let broken = create(&api, "broken", "{\"schemaVersion\": \"2.2\",", json!({})).await;
    broken.assert_code("InvalidDocumentContent");
    assert!(
        broken
            .message()
            .starts_with("JSON not well-formed. at Line: 1, Column: "),
        "{}",
        broken.body
    );
    let yaml = create(
        &api,
        "broken-yaml",
        "a: [1\nb: 2",
        json!({"DocumentFormat": "YAML"}),
    )
    .await;
    yaml.assert_code("InvalidDocumentContent");
    assert!(
        yaml.message()
            .starts_with("YAML not well-formed. at Line: "),
        "{}",
        yaml.body
    );
    create(&api, "no-steps", r#"{"schemaVersion": "2.2"}"#, json!({}))
        .await
        .assert_code("InvalidDocumentContent");
    create(
        &api,
        "wrong-schema",
        r#"{"schemaVersion": "0.3", "mainSteps": [{"name": "s", "action": "aws:sleep"}]}"#,
        json!({}),
    )
    .await
    .assert_code("InvalidDocumentSchemaVersion");
    let big = format!(
        "{{\"schemaVersion\": \"2.2\", \"description\": \"{}\"}}",
        "x".repeat(70_000)
    );
    create(&api, "too-big", &big, json!({}))
        .await
        .assert_code("MaxDocumentSizeExceeded");

    for name in [
        "broken",
        "broken-yaml",
        "no-steps",
        "wrong-schema",
        "too-big",
    ] {
        api.root(ssm("DescribeDocument", json!({"Name": name})))
            .await
            .assert_code("InvalidDocument");
    }
    let runbook = r#"{"schemaVersion": "0.3", "mainSteps": [{"name": "wait", "action": "aws:sleep", "inputs": {"Duration": "PT1S"}}]}"#;
    let made = create(
        &api,
        "wait-a-bit",
        runbook,
        json!({"DocumentType": "Automation"}),
    )
    .await
    .ok();
    assert_eq!(
        made.json()["DocumentDescription"]["DocumentType"],
        "Automation"
    );
}

#[tokio::test]
async fn versions_default_and_deletion() {
    let api = Api::new();
    create(&api, "doc", COMMAND, json!({"VersionName": "v1"}))
        .await
        .ok();
    let same = api
        .root(ssm(
            "UpdateDocument",
            json!({"Name": "doc", "Content": COMMAND, "DocumentVersion": "$LATEST"}),
        ))
        .await;
    same.assert_code("DuplicateDocumentContent");
    let second = COMMAND.replace("Write a file", "Write a file, again");
    api.root(ssm(
        "UpdateDocument",
        json!({"Name": "doc", "Content": second, "DocumentVersion": "7"}),
    ))
    .await
    .assert_code("InvalidDocumentVersion");
    api.root(ssm(
        "UpdateDocument",
        json!({"Name": "doc", "Content": second, "VersionName": "v1"}),
    ))
    .await
    .assert_code("DuplicateDocumentVersionName");
    api.root(ssm(
        "UpdateDocument",
        json!({"Name": "nope", "Content": second}),
    ))
    .await
    .assert_code("InvalidDocument");
    api.root(ssm(
        "UpdateDocument",
        json!({"Name": "doc", "Content": "{"}),
    ))
    .await
    .assert_code("InvalidDocumentContent");
    let updated = api
        .json_ok(
            "ssm",
            "UpdateDocument",
            json!({"Name": "doc", "Content": second, "DocumentVersion": "1", "VersionName": "v2"}),
        )
        .await;
    let d = &updated["DocumentDescription"];
    assert_eq!(
        (
            d["DocumentVersion"].clone(),
            d["LatestVersion"].clone(),
            d["DefaultVersion"].clone()
        ),
        (json!("2"), json!("2"), json!("1"))
    );

    let describe = |version: &str| {
        ssm(
            "DescribeDocument",
            json!({"Name": "doc", "DocumentVersion": version}),
        )
    };
    let latest = api.root(describe("$LATEST")).await.ok().json();
    assert_eq!(latest["Document"]["Description"], "Write a file, again");
    let default = api.root(describe("$DEFAULT")).await.ok().json();
    assert_eq!(default["Document"]["Description"], "Write a file");
    api.root(describe("3"))
        .await
        .assert_code("InvalidDocumentVersion");
    let by_name = api
        .json_ok(
            "ssm",
            "GetDocument",
            json!({"Name": "doc", "VersionName": "v2"}),
        )
        .await;
    assert_eq!(by_name["DocumentVersion"], "2");

    let versions = api
        .json_ok("ssm", "ListDocumentVersions", json!({"Name": "doc"}))
        .await;
    let listed: Vec<(Value, Value)> = versions["DocumentVersions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["DocumentVersion"].clone(), v["IsDefaultVersion"].clone()))
        .collect();
    assert_eq!(
        listed,
        [(json!("1"), json!(true)), (json!("2"), json!(false))]
    );
    let paged = api
        .json_ok(
            "ssm",
            "ListDocumentVersions",
            json!({"Name": "doc", "MaxResults": 1}),
        )
        .await;
    let token = paged["NextToken"].as_str().unwrap().to_owned();
    let rest = api
        .json_ok(
            "ssm",
            "ListDocumentVersions",
            json!({"Name": "doc", "NextToken": token}),
        )
        .await;
    assert_eq!(rest["DocumentVersions"][0]["DocumentVersion"], "2");
    assert!(rest.get("NextToken").is_none());

    api.root(ssm(
        "UpdateDocumentDefaultVersion",
        json!({"Name": "doc", "DocumentVersion": "3"}),
    ))
    .await
    .assert_code("InvalidDocumentVersion");
    let moved = api
        .json_ok(
            "ssm",
            "UpdateDocumentDefaultVersion",
            json!({"Name": "doc", "DocumentVersion": "2"}),
        )
        .await;
    assert_eq!(
        moved["Description"],
        json!({"Name": "doc", "DefaultVersion": "2", "DefaultVersionName": "v2"})
    );

    api.root(ssm(
        "DeleteDocument",
        json!({"Name": "doc", "DocumentVersion": "2"}),
    ))
    .await
    .assert_code("InvalidDocumentOperation");
    api.root(ssm(
        "DeleteDocument",
        json!({"Name": "doc", "DocumentVersion": "1"}),
    ))
    .await
    .ok();
    api.root(describe("1"))
        .await
        .assert_code("InvalidDocumentVersion");
    api.root(ssm("DeleteDocument", json!({"Name": "doc"})))
        .await
        .ok();
    api.root(ssm("GetDocument", json!({"Name": "doc"})))
        .await
        .assert_code("InvalidDocument");
    api.root(ssm("DeleteDocument", json!({"Name": "doc"})))
        .await
        .assert_code("InvalidDocument");
}

#[tokio::test]
async fn amazon_documents_are_there_and_read_only() {
    let api = Api::new();
    let d = api
        .json_ok(
            "ssm",
            "DescribeDocument",
            json!({"Name": "AWS-RunShellScript"}),
        )
        .await;
    let d = &d["Document"];
    assert_eq!(d["Owner"], "Amazon");
    assert_eq!(d["SchemaVersion"], "1.2");
    let names: Vec<&str> = d["Parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["commands", "workingDirectory", "executionTimeout"]);
    api.root(ssm("DeleteDocument", json!({"Name": "AWS-RunShellScript"})))
        .await
        .assert_code("InvalidDocumentOperation");
    api.root(ssm(
        "UpdateDocument",
        json!({"Name": "AWS-RunShellScript", "Content": COMMAND}),
    ))
    .await
    .assert_code("InvalidDocumentOperation");
    api.root(ssm("ModifyDocumentPermission", json!({"Name": "AWS-RunShellScript", "PermissionType": "Share", "AccountIdsToAdd": ["all"]})))
        .await
        .assert_code("InvalidDocument");
    api.root(ssm("AddTagsToResource", json!({"ResourceType": "Document", "ResourceId": "AWS-RunShellScript", "Tags": [{"Key": "k", "Value": "v"}]})))
        .await
        .assert_code("InvalidResourceId");
    let arn = "arn:aws:ssm:us-east-1::document/AWS-RunShellScript";
    api.root(ssm("GetDocument", json!({"Name": arn})))
        .await
        .ok();
}

async fn names(api: &Api, body: Value) -> (Vec<String>, Option<String>) {
    let listed = api.json_ok("ssm", "ListDocuments", body).await;
    let names = listed["DocumentIdentifiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["Name"].as_str().unwrap().to_owned())
        .collect();
    (names, listed["NextToken"].as_str().map(str::to_owned))
}

#[tokio::test]
async fn list_filters_and_pages() {
    let api = Api::new();
    create(
        &api,
        "alpha",
        COMMAND,
        json!({"Tags": [{"Key": "env", "Value": "prod"}]}),
    )
    .await
    .ok();
    create(
        &api,
        "beta",
        COMMAND,
        json!({"Tags": [{"Key": "env", "Value": "dev"}]}),
    )
    .await
    .ok();
    let runbook = r#"{"schemaVersion": "0.3", "mainSteps": [{"name": "wait", "action": "aws:sleep", "inputs": {"Duration": "PT1S"}}]}"#;
    create(
        &api,
        "gamma",
        runbook,
        json!({"DocumentType": "Automation"}),
    )
    .await
    .ok();

    let (all, _) = names(&api, json!({})).await;
    assert_eq!(
        all,
        [
            "AWS-RestartEC2Instance",
            "AWS-RunShellScript",
            "AWS-StartEC2Instance",
            "AWS-StopEC2Instance",
            "AWS-TerminateEC2Instance",
            "alpha",
            "beta",
            "gamma"
        ]
    );
    let own = |v: &str| json!({"Filters": [{"Key": "Owner", "Values": [v]}]});
    assert_eq!(names(&api, own("Self")).await.0, ["alpha", "beta", "gamma"]);
    assert_eq!(
        names(&api, own("Private")).await.0,
        ["alpha", "beta", "gamma"]
    );
    assert_eq!(names(&api, own("Amazon")).await.0.len(), 5);
    assert_eq!(names(&api, own("All")).await.0.len(), 8);
    let typed = json!({"Filters": [{"Key": "DocumentType", "Values": ["Automation"]}, {"Key": "Owner", "Values": ["Self"]}]});
    assert_eq!(names(&api, typed).await.0, ["gamma"]);
    let by_name = json!({"Filters": [{"Key": "Name", "Values": ["AWS-Run"]}]});
    assert_eq!(names(&api, by_name).await.0, ["AWS-RunShellScript"]);
    let tagged = json!({"Filters": [{"Key": "tag:env", "Values": ["prod"]}]});
    assert_eq!(names(&api, tagged).await.0, ["alpha"]);
    let tag_key = json!({"Filters": [{"Key": "tag-key", "Values": ["env"]}]});
    assert_eq!(names(&api, tag_key).await.0, ["alpha", "beta"]);
    let legacy = json!({"DocumentFilterList": [{"key": "Owner", "value": "Amazon"}, {"key": "DocumentType", "value": "Command"}]});
    assert_eq!(names(&api, legacy).await.0, ["AWS-RunShellScript"]);
    api.root(ssm(
        "ListDocuments",
        json!({"Filters": [{"Key": "Colour", "Values": ["x"]}]}),
    ))
    .await
    .assert_code("InvalidFilterKey");
    api.root(ssm("ListDocuments", json!({"NextToken": "not a token"})))
        .await
        .assert_code("InvalidNextToken");

    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = json!({"MaxResults": 3});
        if let Some(t) = &token {
            body["NextToken"] = json!(t);
        }
        let (page, next) = names(&api, body).await;
        assert!(page.len() <= 3);
        seen.extend(page);
        match next {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    assert_eq!(seen, all);
}

#[tokio::test]
async fn permissions_are_stored_and_shown() {
    let api = Api::new();
    create(&api, "shared", COMMAND, json!({})).await.ok();
    let modify = |body: Value| {
        let mut base = json!({"Name": "shared", "PermissionType": "Share"});
        base.as_object_mut()
            .unwrap()
            .extend(body.as_object().unwrap().clone());
        ssm("ModifyDocumentPermission", base)
    };
    let describe = || {
        ssm(
            "DescribeDocumentPermission",
            json!({"Name": "shared", "PermissionType": "Share"}),
        )
    };
    let empty = api.root(describe()).await.ok().json();
    assert_eq!(empty["AccountIds"], json!([]));
    api.root(modify(json!({"AccountIdsToAdd": ["111122223333", "444455556666"], "SharedDocumentVersion": "$LATEST"}))).await.ok();
    let shown = api.root(describe()).await.ok().json();
    assert_eq!(shown["AccountIds"], json!(["111122223333", "444455556666"]));
    assert_eq!(
        shown["AccountSharingInfoList"][0],
        json!({"AccountId": "111122223333", "SharedDocumentVersion": "$LATEST"})
    );
    api.root(ssm("DeleteDocument", json!({"Name": "shared"})))
        .await
        .assert_code("InvalidDocumentOperation");
    api.root(modify(json!({"AccountIdsToAdd": ["all", "111122223333"]})))
        .await
        .assert_code("DocumentPermissionLimit");
    api.root(modify(json!({"AccountIdsToAdd": ["12"]})))
        .await
        .assert_code("ValidationException");
    api.root(modify(json!({"PermissionType": "Nope"})))
        .await
        .assert_code("ValidationException");
    api.root(modify(
        json!({"AccountIdsToRemove": ["111122223333", "444455556666"], "AccountIdsToAdd": ["All"]}),
    ))
    .await
    .ok();
    assert_eq!(
        api.root(describe()).await.ok().json()["AccountIds"],
        json!(["all"])
    );
    let public = json!({"Filters": [{"Key": "Owner", "Values": ["Public"]}]});
    assert!(names(&api, public).await.0.contains(&"shared".to_owned()));
    api.root(modify(json!({"AccountIdsToRemove": ["all"]})))
        .await
        .ok();
    api.root(ssm("DeleteDocument", json!({"Name": "shared"})))
        .await
        .ok();
    api.root(ssm(
        "DescribeDocumentPermission",
        json!({"Name": "shared", "PermissionType": "Share"}),
    ))
    .await
    .assert_code("InvalidDocument");
}

#[tokio::test]
async fn tags_on_documents_and_parameters() {
    let api = Api::new();
    create(
        &api,
        "tagged",
        COMMAND,
        json!({"Tags": [{"Key": "a", "Value": "1"}]}),
    )
    .await
    .ok();
    let list = |kind: &str, id: &str| {
        ssm(
            "ListTagsForResource",
            json!({"ResourceType": kind, "ResourceId": id}),
        )
    };
    api.root(ssm("AddTagsToResource", json!({"ResourceType": "Document", "ResourceId": "tagged", "Tags": [{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "one"}]})))
        .await
        .ok();
    let tags = api.root(list("Document", "tagged")).await.ok().json();
    assert_eq!(
        tags["TagList"],
        json!([{"Key": "a", "Value": "one"}, {"Key": "b", "Value": "2"}])
    );
    api.root(ssm(
        "RemoveTagsFromResource",
        json!({"ResourceType": "Document", "ResourceId": "tagged", "TagKeys": ["a"]}),
    ))
    .await
    .ok();
    let tags = api.root(list("Document", "tagged")).await.ok().json();
    assert_eq!(tags["TagList"], json!([{"Key": "b", "Value": "2"}]));

    api.root(ssm(
        "PutParameter",
        json!({"Name": "/p", "Value": "v", "Type": "String"}),
    ))
    .await
    .ok();
    api.root(ssm("AddTagsToResource", json!({"ResourceType": "Parameter", "ResourceId": "/p", "Tags": [{"Key": "k", "Value": "v"}]})))
        .await
        .ok();
    let tags = api.root(list("Parameter", "/p")).await.ok().json();
    assert_eq!(tags["TagList"], json!([{"Key": "k", "Value": "v"}]));

    api.root(list("Document", "missing"))
        .await
        .assert_code("InvalidResourceId");
    api.root(list("PatchBaseline", "pb-0123456789abcdef0"))
        .await
        .assert_code("InvalidResourceType");
    let fifty: Vec<Value> = (0..50)
        .map(|i| json!({"Key": format!("k{i}"), "Value": "v"}))
        .collect();
    api.root(ssm(
        "AddTagsToResource",
        json!({"ResourceType": "Document", "ResourceId": "tagged", "Tags": fifty}),
    ))
    .await
    .assert_code("TooManyTagsError");

    // Deleting the document forgets its tags.
    api.root(ssm("DeleteDocument", json!({"Name": "tagged"})))
        .await
        .ok();
    create(&api, "tagged", COMMAND, json!({})).await.ok();
    let tags = api.root(list("Document", "tagged")).await.ok().json();
    assert_eq!(tags["TagList"], json!([]));
}

#[tokio::test]
async fn authorization_names_the_document() {
    let api = Api::new();
    create(&api, "open", COMMAND, json!({})).await.ok();
    create(&api, "closed", COMMAND, json!({})).await.ok();
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["ssm:GetDocument","ssm:ListDocuments","ssm:CreateDocument"],"Resource":"*"},
        {"Effect":"Deny","Action":"ssm:GetDocument","Resource":"arn:aws:ssm:us-east-1:000000000000:document/closed"},
        {"Effect":"Deny","Action":"ssm:CreateDocument","Resource":"arn:aws:ssm:us-east-1:000000000000:document/forbidden-*"},
        {"Effect":"Deny","Action":"ssm:GetDocument","Resource":"arn:aws:ssm:us-east-1::document/AWS-StopEC2Instance"}
    ]}"#;
    let reader = api.session("doc-reader", policy).await;
    let get = |name: &str| ssm("GetDocument", json!({"Name": name}));
    api.call(&reader, get("open")).await.ok();
    api.call(&reader, get("AWS-RunShellScript")).await.ok();
    api.call(&reader, get("closed"))
        .await
        .assert_code("AccessDeniedException");
    api.call(&reader, get("AWS-StopEC2Instance"))
        .await
        .assert_code("AccessDeniedException");
    api.call(&reader, ssm("ListDocuments", json!({})))
        .await
        .ok();
    api.call(
        &reader,
        ssm(
            "CreateDocument",
            json!({"Name": "forbidden-x", "Content": COMMAND}),
        ),
    )
    .await
    .assert_code("AccessDeniedException");
    api.call(&reader, ssm("DeleteDocument", json!({"Name": "open"})))
        .await
        .assert_code("AccessDeniedException");
}
