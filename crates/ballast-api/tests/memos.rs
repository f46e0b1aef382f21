//! Reads kept in memory between writes (`ballast_store::Memo`) answer what
//! the last acknowledged write left, whichever table it changed: each
//! DescribeTargetHealth below follows a write that changes its answer.

// Integration tests unwrap freely; the product code may not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::json;
use support::{Api, Call, Reply};

fn elbv2(action: &str, params: &[(&str, &str)]) -> Call {
    Call::query("elasticloadbalancing", action, params)
}

/// Sends `call` twice: the second answer comes from the memo the first
/// filled, and must say the same (request ids aside).
async fn twice(api: &Api, call: Call) -> Reply {
    let first = api.root(call.clone()).await;
    let second = api.root(call).await;
    assert_eq!(
        without_request_id(&first.body),
        without_request_id(&second.body)
    );
    second
}

/// An XML body without its request id (`<RequestId>`, or EC2's
/// `<requestId>` and `<RequestID>`).
fn without_request_id(body: &str) -> String {
    let mut out = body.to_owned();
    for tag in ["RequestId", "requestId", "RequestID"] {
        let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
        if let (Some(start), Some(end)) = (out.find(&open), out.find(&close)) {
            out.replace_range(start..end + close.len(), "");
        }
    }
    out
}

async fn health(api: &Api, group: &str) -> Reply {
    let call = elbv2("DescribeTargetHealth", &[("TargetGroupArn", group)]);
    twice(api, call).await.ok()
}

#[tokio::test]
async fn describe_target_health_follows_every_write() {
    let api = Api::new();
    let group = api
        .root(elbv2(
            "CreateTargetGroup",
            &[
                ("Name", "apps"),
                ("Protocol", "HTTP"),
                ("Port", "80"),
                ("VpcId", "vpc-0ba11a57000000000"),
                ("TargetType", "ip"),
            ],
        ))
        .await
        .ok()
        .xml("TargetGroupArn")
        .unwrap();
    let target = [
        ("TargetGroupArn", group.as_str()),
        ("Targets.member.1.Id", "127.0.0.1"),
        ("Targets.member.1.Port", "8080"),
    ];

    let empty = health(&api, &group).await;
    assert!(!empty.body.contains("127.0.0.1"), "{}", empty.body);

    api.root(elbv2("RegisterTargets", &target)).await.ok();
    let registered = health(&api, &group).await;
    assert_eq!(registered.xml("Id").as_deref(), Some("127.0.0.1"));
    assert_eq!(
        registered.xml("Reason").as_deref(),
        Some("Target.NotInUse"),
        "{}",
        registered.body
    );

    // A listener in another table puts the group in use.
    let lb = api
        .root(elbv2(
            "CreateLoadBalancer",
            &[
                ("Name", "web"),
                ("Subnets.member.1", "subnet-0ba11a5700000000a"),
                ("Subnets.member.2", "subnet-0ba11a5700000000b"),
            ],
        ))
        .await
        .ok()
        .xml("LoadBalancerArn")
        .unwrap();
    api.root(elbv2(
        "CreateListener",
        &[
            ("LoadBalancerArn", lb.as_str()),
            ("Protocol", "HTTP"),
            ("Port", "80"),
            ("DefaultActions.member.1.Type", "forward"),
            ("DefaultActions.member.1.TargetGroupArn", group.as_str()),
        ],
    ))
    .await
    .ok();
    let used = health(&api, &group).await;
    assert_ne!(
        used.xml("Reason").as_deref(),
        Some("Target.NotInUse"),
        "{}",
        used.body
    );

    api.root(elbv2("DeregisterTargets", &target)).await.ok();
    let draining = health(&api, &group).await;
    assert_eq!(
        draining.xml("State").as_deref(),
        Some("draining"),
        "{}",
        draining.body
    );
}

fn ec2(action: &str, params: &[(&str, &str)]) -> Call {
    Call::query("ec2", action, params)
}

async fn instances(api: &Api, params: &[(&str, &str)]) -> Reply {
    twice(api, ec2("DescribeInstances", params)).await
}

#[tokio::test]
async fn describe_instances_follows_every_write() {
    let api = Api::new();
    let none = instances(&api, &[]).await.ok();
    assert!(none.xml("instanceId").is_none(), "{}", none.body);

    let id = api
        .root(ec2(
            "RunInstances",
            &[
                ("ImageId", "ami-0ba11a5700a023086"),
                ("MinCount", "1"),
                ("MaxCount", "1"),
            ],
        ))
        .await
        .ok()
        .xml("instanceId")
        .unwrap();
    let launched = instances(&api, &[("InstanceId.1", id.as_str())]).await.ok();
    assert_eq!(launched.xml("instanceId"), Some(id.clone()));
    assert!(launched.xml("tagSet").is_none_or(|t| !t.contains("role")));

    api.root(ec2(
        "CreateTags",
        &[
            ("ResourceId.1", id.as_str()),
            ("Tag.1.Key", "role"),
            ("Tag.1.Value", "web"),
        ],
    ))
    .await
    .ok();
    let tagged = instances(
        &api,
        &[("Filter.1.Name", "tag:role"), ("Filter.1.Value.1", "web")],
    )
    .await
    .ok();
    assert_eq!(
        tagged.xml("instanceId"),
        Some(id.clone()),
        "{}",
        tagged.body
    );

    api.root(ec2("TerminateInstances", &[("InstanceId.1", id.as_str())]))
        .await
        .ok();
    let running = instances(
        &api,
        &[
            ("Filter.1.Name", "instance-state-name"),
            ("Filter.1.Value.1", "pending"),
            ("Filter.1.Value.2", "running"),
        ],
    )
    .await
    .ok();
    assert!(running.xml("instanceId").is_none(), "{}", running.body);

    let unknown = instances(&api, &[("InstanceId.1", "i-0123456789abcdef0")]).await;
    unknown.assert_code("InvalidInstanceID.NotFound");
}

async fn parameter(api: &Api, name: &str) -> Reply {
    twice(
        api,
        Call::json("ssm", "GetParameter", json!({ "Name": name })),
    )
    .await
}

#[tokio::test]
async fn get_parameter_follows_every_write() {
    let api = Api::new();
    let put = |value: &str| {
        Call::json(
            "ssm",
            "PutParameter",
            json!({"Name": "/app/colour", "Value": value, "Type": "String", "Overwrite": true}),
        )
    };
    parameter(&api, "/app/colour")
        .await
        .assert_code("ParameterNotFound");

    api.root(put("blue")).await.ok();
    let blue = parameter(&api, "/app/colour").await.ok();
    assert!(blue.body.contains(r#""Value":"blue""#), "{}", blue.body);

    api.root(put("green")).await.ok();
    let green = parameter(&api, "/app/colour").await.ok();
    assert!(green.body.contains(r#""Value":"green""#), "{}", green.body);
    let first = parameter(&api, "/app/colour:1").await.ok();
    assert!(first.body.contains(r#""Value":"blue""#), "{}", first.body);

    api.root(Call::json(
        "ssm",
        "LabelParameterVersion",
        json!({"Name": "/app/colour", "ParameterVersion": 1, "Labels": ["stable"]}),
    ))
    .await
    .ok();
    let stable = parameter(&api, "/app/colour:stable").await.ok();
    assert!(stable.body.contains(r#""Value":"blue""#), "{}", stable.body);

    api.root(Call::json(
        "ssm",
        "DeleteParameter",
        json!({"Name": "/app/colour"}),
    ))
    .await
    .ok();
    parameter(&api, "/app/colour")
        .await
        .assert_code("ParameterNotFound");
}

async fn item(api: &Api, pk: &str) -> Reply {
    let key = json!({"TableName": "orders", "Key": {"pk": {"S": pk}}});
    twice(api, Call::json("dynamodb", "GetItem", key)).await
}

#[tokio::test]
async fn get_item_follows_every_write() {
    let api = Api::new();
    api.root(Call::json(
        "dynamodb",
        "CreateTable",
        json!({
            "TableName": "orders",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        }),
    ))
    .await
    .ok();
    // CREATING: not found, and that answer is not kept once time passes.
    item(&api, "a")
        .await
        .assert_code("ResourceNotFoundException");
    api.clock.advance(std::time::Duration::from_secs(60));
    let absent = item(&api, "a").await.ok();
    assert_eq!(absent.body, "{}");

    let put = |n: &str| {
        Call::json(
            "dynamodb",
            "PutItem",
            json!({"TableName": "orders", "Item": {"pk": {"S": "a"}, "n": {"N": n}}}),
        )
    };
    api.root(put("1")).await.ok();
    assert!(item(&api, "a").await.ok().body.contains(r#""N":"1""#));
    api.root(put("2")).await.ok();
    assert!(item(&api, "a").await.ok().body.contains(r#""N":"2""#));
    // Another key of the same table is its own entry.
    assert_eq!(item(&api, "b").await.ok().body, "{}");

    api.root(Call::json(
        "dynamodb",
        "DeleteItem",
        json!({"TableName": "orders", "Key": {"pk": {"S": "a"}}}),
    ))
    .await
    .ok();
    assert_eq!(item(&api, "a").await.ok().body, "{}");
}
