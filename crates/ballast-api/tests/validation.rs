//! Validation from the model, in process: what a request missing a
//! required member, or breaking a constraint, is answered with, in each
//! protocol's spelling.

// Integration tests unwrap freely; the product code may not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{Api, Call};

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

#[tokio::test]
async fn a_missing_member_is_named_by_its_path_in_json() {
    let api = Api::new();
    let top = api
        .root(Call::json(
            "ssm",
            "PutParameter",
            serde_json::json!({"Value": "v", "Type": "String"}),
        ))
        .await;
    assert_eq!(top.status, 400);
    top.assert_code("ValidationException");
    assert_eq!(
        top.message(),
        "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"
    );
    let nested = api
        .root(Call::json(
            "ssm",
            "PutParameter",
            serde_json::json!({
                "Name": "/p", "Value": "v", "Type": "String",
                "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b"}],
            }),
        ))
        .await;
    assert_eq!(
        nested.message(),
        "1 validation error detected: Value null at 'tags.2.member.value' failed to satisfy constraint: Member must not be null"
    );
    // Nothing was stored.
    let got = api
        .root(Call::json(
            "ssm",
            "GetParameter",
            serde_json::json!({"Name": "/p"}),
        ))
        .await;
    got.assert_code("ParameterNotFound");
}

#[tokio::test]
async fn a_missing_member_is_named_by_its_path_in_query() {
    let api = Api::new();
    let nested = api
        .root(Call::query(
            "iam",
            "CreateRole",
            &[
                ("RoleName", "web"),
                ("AssumeRolePolicyDocument", TRUST),
                ("Tags.member.1.Value", "no key"),
            ],
        ))
        .await;
    assert_eq!(nested.status, 400, "{}", nested.body);
    nested.assert_code("ValidationError");
    assert_eq!(
        nested.message(),
        "1 validation error detected: Value null at 'tags.1.member.key' failed to satisfy constraint: Member must not be null"
    );
    let missing = api
        .root(Call::query("iam", "GetRole", &[("RoleName", "web")]))
        .await;
    assert_eq!(
        missing.code().as_deref(),
        Some("NoSuchEntity"),
        "nothing was created"
    );
}

#[tokio::test]
async fn ec2_names_a_missing_parameter_as_its_form_does() {
    let api = Api::new();
    let reply = api
        .root(Call::query(
            "ec2",
            "CreateSecurityGroup",
            &[("GroupName", "web")],
        ))
        .await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    reply.assert_code("MissingParameter");
    assert_eq!(
        reply.message(),
        "The request must contain the parameter GroupDescription"
    );
}

#[tokio::test]
async fn model_constraints_are_reported_together() {
    let api = Api::new();
    let long = "x".repeat(2049);
    let reply = api
        .root(Call::json(
            "ssm",
            "PutParameter",
            serde_json::json!({"Name": long, "Value": "v", "Type": "Text"}),
        ))
        .await;
    reply.assert_code("ValidationException");
    let text = reply.message();
    assert!(text.starts_with("2 validation errors detected: "), "{text}");
    assert!(text.contains("at 'name' failed to satisfy constraint: Member must have length less than or equal to 2048"), "{text}");
    assert!(text.contains("Value 'Text' at 'type' failed to satisfy constraint: Member must satisfy enum value set"), "{text}");
}

#[tokio::test]
async fn elbv2_and_auto_scaling_check_the_model_before_their_handlers() {
    let api = Api::new();
    let page = api
        .root(Call::query(
            "elasticloadbalancing",
            "DescribeTargetGroups",
            &[("PageSize", "0")],
        ))
        .await;
    assert_eq!(page.status, 400, "{}", page.body);
    page.assert_code("ValidationError");
    assert_eq!(
        page.message(),
        "1 validation error detected: Value '0' at 'pageSize' failed to satisfy constraint: Member must have value greater than or equal to 1"
    );
    let protocol = api
        .root(Call::query(
            "elasticloadbalancing",
            "CreateTargetGroup",
            &[("Name", "web"), ("Protocol", "SMTP"), ("Port", "80")],
        ))
        .await;
    protocol.assert_code("ValidationError");
    assert!(
        protocol.message()
            .starts_with("1 validation error detected: Value 'SMTP' at 'protocol' failed to satisfy constraint: Member must satisfy enum value set: ["),
        "{}",
        protocol.body
    );
    let groups = api
        .root(Call::query(
            "elasticloadbalancing",
            "DescribeTargetGroups",
            &[],
        ))
        .await
        .ok();
    assert!(
        !groups.body.contains("<TargetGroupName>web"),
        "nothing was created"
    );

    let long = "g".repeat(256);
    let name = api
        .root(Call::query(
            "autoscaling",
            "SetDesiredCapacity",
            &[("AutoScalingGroupName", &long), ("DesiredCapacity", "1")],
        ))
        .await;
    name.assert_code("ValidationError");
    assert!(
        name.message().ends_with(
            "at 'autoScalingGroupName' failed to satisfy constraint: Member must have length less than or equal to 255"
        ),
        "{}",
        name.body
    );
}

#[tokio::test]
async fn an_unknown_operation_gets_each_protocols_error() {
    let api = Api::new();
    let query = api
        .root(Call::query("elasticloadbalancing", "DescribeNothing", &[]))
        .await;
    assert_eq!(query.status, 400, "{}", query.body);
    query.assert_code("InvalidAction");
    let ec2 = api.root(Call::query("ec2", "DescribeNothing", &[])).await;
    ec2.assert_code("InvalidAction");
    let json = api
        .root(Call::json("ssm", "DescribeNothing", serde_json::json!({})))
        .await;
    assert_eq!(json.status, 400, "{}", json.body);
    json.assert_code("UnknownOperationException");
}

#[tokio::test]
async fn every_missing_member_is_named_in_one_message() {
    let api = Api::new();
    let json = api
        .root(Call::json(
            "ssm",
            "PutParameter",
            serde_json::json!({"Type": "String", "Tags": [{"Key": "a"}, {"Value": "b"}]}),
        ))
        .await;
    json.assert_code("ValidationException");
    assert_eq!(
        json.message(),
        "4 validation errors detected: \
         Value null at 'name' failed to satisfy constraint: Member must not be null; \
         Value null at 'value' failed to satisfy constraint: Member must not be null; \
         Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null; \
         Value null at 'tags.2.member.key' failed to satisfy constraint: Member must not be null"
    );
    let query = api
        .root(Call::query("iam", "CreateRole", &[("Path", "/x/")]))
        .await;
    query.assert_code("ValidationError");
    assert_eq!(
        query.message(),
        "2 validation errors detected: \
         Value null at 'roleName' failed to satisfy constraint: Member must not be null; \
         Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null"
    );
}

#[tokio::test]
async fn dynamodb_maps_are_validated_from_the_model() {
    let api = Api::new();
    let writes: Vec<serde_json::Value> = (0..26)
        .map(|i| serde_json::json!({"PutRequest": {"Item": {"pk": {"S": format!("k{i}")}}}}))
        .collect();
    let batch = api
        .root(Call::json(
            "dynamodb",
            "BatchWriteItem",
            serde_json::json!({"RequestItems": {"t": writes}}),
        ))
        .await;
    batch.assert_code("ValidationException");
    let text = batch.message();
    assert!(
        text.starts_with("1 validation error detected: Value '{t=["),
        "{text}"
    );
    assert!(
        text.ends_with("]}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]"),
        "{text}"
    );

    let keys: Vec<serde_json::Value> = (0..101)
        .map(|i| serde_json::json!({"pk": {"S": format!("k{i}")}}))
        .collect();
    let get = api
        .root(Call::json(
            "dynamodb",
            "BatchGetItem",
            serde_json::json!({"RequestItems": {"t": {"Keys": keys}, "u": {}}}),
        ))
        .await;
    // Every missing member, inside map values too.
    assert_eq!(
        get.message(),
        "1 validation error detected: Value null at 'requestItems.u.member.keys' failed to satisfy constraint: Member must not be null"
    );

    let limit = api
        .root(Call::json(
            "dynamodb",
            "ListTables",
            serde_json::json!({"Limit": 0}),
        ))
        .await;
    assert_eq!(
        limit.message(),
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
    );

    // An attribute value with no type, or two, does not decode.
    for value in [
        serde_json::json!({}),
        serde_json::json!({"S": "a", "N": "1"}),
    ] {
        let put = api
            .root(Call::json(
                "dynamodb",
                "PutItem",
                serde_json::json!({"TableName": "t", "Item": {"pk": value}}),
            ))
            .await;
        assert_eq!(put.status, 400);
        assert!(!put.is_success());
    }
}

#[tokio::test]
async fn ip_targets_are_loopback_or_in_the_default_vpc() {
    let api = Api::new();
    let group = api
        .root(Call::query(
            "elasticloadbalancing",
            "CreateTargetGroup",
            &[
                ("Name", "ips"),
                ("Protocol", "HTTP"),
                ("Port", "80"),
                ("VpcId", "vpc-0ba11a57000000000"),
                ("TargetType", "ip"),
            ],
        ))
        .await
        .ok()
        .xml("TargetGroupArn")
        .expect("TargetGroupArn");
    let register = |id: &'static str| {
        Call::query(
            "elasticloadbalancing",
            "RegisterTargets",
            &[
                ("TargetGroupArn", group.as_str()),
                ("Targets.member.1.Id", id),
            ],
        )
    };
    for accepted in ["127.0.0.1", "172.31.16.20"] {
        api.root(register(accepted)).await.ok();
    }
    let refused = api.root(register("10.0.0.7")).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    refused.assert_code("InvalidTarget");
    assert!(
        refused.message().contains("172.31.0.0/16"),
        "{}",
        refused.body
    );
}
