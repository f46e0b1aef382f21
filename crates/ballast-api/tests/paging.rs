//! Paging in every service, in process: each list call pages through
//! everything exactly once with its own spelling of page size and token,
//! refuses a page size out of AWS's range and a token it did not issue,
//! with the service's own error.

// Integration tests unwrap freely; the product code may not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{Api, Call, Reply};

const VPC: &str = "vpc-0ba11a57000000000";
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// Every occurrence of `<tag>…</tag>` in an XML body.
fn all(reply: &Reply, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    reply
        .body
        .split(&open)
        .skip(1)
        .filter_map(|rest| rest.split_once(&close).map(|(text, _)| text.to_owned()))
        .collect()
}

/// Pages a query-protocol list call to the end: `token_in` is the
/// request's token parameter, `token_out` the response element carrying
/// the next one, `item` the element every listed name is in.
async fn page_all(
    api: &Api,
    service: &'static str,
    action: &str,
    size: (&str, &str),
    token: (&str, &str),
    item: &str,
) -> (Vec<String>, usize) {
    let (mut names, mut pages, mut next) = (Vec::new(), 0, None::<String>);
    loop {
        let mut params = vec![size];
        if let Some(value) = &next {
            params.push((token.0, value.as_str()));
        }
        let reply = api.root(Call::query(service, action, &params)).await.ok();
        pages += 1;
        names.extend(all(&reply, item));
        next = reply.xml(token.1).filter(|t| !t.is_empty());
        if next.is_none() {
            return (names, pages);
        }
        assert!(pages < 20, "paging never ends: {}", reply.body);
    }
}

#[tokio::test]
async fn elbv2_pages_target_groups_by_marker() {
    let api = Api::new();
    for n in 0..5 {
        let name = format!("tg-{n}");
        let params = [
            ("Name", name.as_str()),
            ("Protocol", "HTTP"),
            ("Port", "80"),
            ("VpcId", VPC),
        ];
        api.root(Call::query(
            "elasticloadbalancing",
            "CreateTargetGroup",
            &params,
        ))
        .await
        .ok();
    }
    let (names, pages) = page_all(
        &api,
        "elasticloadbalancing",
        "DescribeTargetGroups",
        ("PageSize", "2"),
        ("Marker", "NextMarker"),
        "TargetGroupName",
    )
    .await;
    assert_eq!(names, ["tg-0", "tg-1", "tg-2", "tg-3", "tg-4"]);
    assert_eq!(pages, 3);

    let too_big = api
        .root(Call::query(
            "elasticloadbalancing",
            "DescribeTargetGroups",
            &[("PageSize", "401")],
        ))
        .await;
    assert_eq!(
        (too_big.status, too_big.code().as_deref()),
        (400, Some("ValidationError"))
    );
    let forged = api
        .root(Call::query(
            "elasticloadbalancing",
            "DescribeTargetGroups",
            &[("Marker", "not-a-marker")],
        ))
        .await;
    assert_eq!(forged.status, 400, "{}", forged.body);
}

#[tokio::test]
async fn iam_pages_roles_by_marker_with_is_truncated() {
    let api = Api::new();
    for n in 0..3 {
        let name = format!("role-{n}");
        api.root(Call::query(
            "iam",
            "CreateRole",
            &[
                ("RoleName", name.as_str()),
                ("AssumeRolePolicyDocument", TRUST),
            ],
        ))
        .await
        .ok();
    }
    let first = api
        .root(Call::query("iam", "ListRoles", &[("MaxItems", "2")]))
        .await
        .ok();
    assert_eq!(all(&first, "RoleName"), ["role-0", "role-1"]);
    assert_eq!(first.xml("IsTruncated").as_deref(), Some("true"));
    let marker = first.xml("Marker").expect("a marker");
    let rest = api
        .root(Call::query(
            "iam",
            "ListRoles",
            &[("MaxItems", "2"), ("Marker", marker.as_str())],
        ))
        .await
        .ok();
    assert_eq!(all(&rest, "RoleName"), ["role-2"]);
    assert_eq!(rest.xml("IsTruncated").as_deref(), Some("false"));
    let zero = api
        .root(Call::query("iam", "ListRoles", &[("MaxItems", "0")]))
        .await;
    assert_eq!(
        (zero.status, zero.code().as_deref()),
        (400, Some("ValidationError"))
    );
}

#[tokio::test]
async fn ec2_pages_security_groups_from_five_results_up() {
    let api = Api::new();
    for n in 0..6 {
        let name = format!("group-{n}");
        api.root(Call::query(
            "ec2",
            "CreateSecurityGroup",
            &[("GroupName", name.as_str()), ("GroupDescription", "d")],
        ))
        .await
        .ok();
    }
    let (ids, pages) = page_all(
        &api,
        "ec2",
        "DescribeSecurityGroups",
        ("MaxResults", "5"),
        ("NextToken", "nextToken"),
        "groupId",
    )
    .await;
    // The six created and the default VPC's `default` group, each on one
    // page only (`groupId` also names the default group inside its own
    // self-referencing rule, on the page that lists it).
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 7, "{ids:?}");
    assert_eq!(ids.len(), 8, "no group listed twice: {ids:?}");
    assert_eq!(pages, 2);
    let small = api
        .root(Call::query(
            "ec2",
            "DescribeSecurityGroups",
            &[("MaxResults", "4")],
        ))
        .await;
    small.assert_code("InvalidParameterValue");
}

#[tokio::test]
async fn auto_scaling_pages_groups_by_next_token() {
    let api = Api::new();
    api.root(Call::query(
        "ec2",
        "CreateLaunchTemplate",
        &[
            ("LaunchTemplateName", "web"),
            ("LaunchTemplateData.ImageId", "ami-0ba11a5700a023086"),
        ],
    ))
    .await
    .ok();
    for n in 0..3 {
        let name = format!("asg-{n}");
        api.root(Call::query(
            "autoscaling",
            "CreateAutoScalingGroup",
            &[
                ("AutoScalingGroupName", name.as_str()),
                ("LaunchTemplate.LaunchTemplateName", "web"),
                ("MinSize", "0"),
                ("MaxSize", "1"),
                ("AvailabilityZones.member.1", "us-east-1a"),
            ],
        ))
        .await
        .ok();
    }
    let (names, pages) = page_all(
        &api,
        "autoscaling",
        "DescribeAutoScalingGroups",
        ("MaxRecords", "2"),
        ("NextToken", "NextToken"),
        "AutoScalingGroupName",
    )
    .await;
    assert_eq!(names, ["asg-0", "asg-1", "asg-2"]);
    assert_eq!(pages, 2);
    let too_big = api
        .root(Call::query(
            "autoscaling",
            "DescribeAutoScalingGroups",
            &[("MaxRecords", "101")],
        ))
        .await;
    too_big.assert_code("ValidationError");
}

#[tokio::test]
async fn ssm_and_dynamodb_page_with_their_json_tokens() {
    let api = Api::new();
    for n in 0..3 {
        api.root(Call::json(
            "ssm",
            "PutParameter",
            serde_json::json!({"Name": format!("/p/{n}"), "Value": "v", "Type": "String"}),
        ))
        .await
        .ok();
    }
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..5 {
        let mut body = serde_json::json!({"Path": "/p", "MaxResults": 2});
        if let Some(t) = &token {
            body["NextToken"] = t.clone().into();
        }
        let page = api
            .root(Call::json("ssm", "GetParametersByPath", body))
            .await
            .ok();
        let page: serde_json::Value = serde_json::from_str(&page.body).expect("JSON");
        for parameter in page["Parameters"].as_array().expect("Parameters") {
            names.push(parameter["Name"].as_str().expect("Name").to_owned());
        }
        token = page["NextToken"].as_str().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(names, ["/p/0", "/p/1", "/p/2"]);
    let forged = api
        .root(Call::json(
            "ssm",
            "GetParametersByPath",
            serde_json::json!({"Path": "/p", "NextToken": "forged"}),
        ))
        .await;
    forged.assert_code("InvalidNextToken");

    for n in 0..3 {
        api.root(Call::json(
            "dynamodb",
            "CreateTable",
            serde_json::json!({
                "TableName": format!("table-{n}"),
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST",
            }),
        ))
        .await
        .ok();
    }
    let first = api
        .root(Call::json(
            "dynamodb",
            "ListTables",
            serde_json::json!({"Limit": 2}),
        ))
        .await
        .ok();
    let first: serde_json::Value = serde_json::from_str(&first.body).expect("JSON");
    assert_eq!(
        first["TableNames"],
        serde_json::json!(["table-0", "table-1"])
    );
    assert_eq!(first["LastEvaluatedTableName"], "table-1");
    let rest = api
        .root(Call::json(
            "dynamodb",
            "ListTables",
            serde_json::json!({"Limit": 2, "ExclusiveStartTableName": "table-1"}),
        ))
        .await
        .ok();
    let rest: serde_json::Value = serde_json::from_str(&rest.body).expect("JSON");
    assert_eq!(rest["TableNames"], serde_json::json!(["table-2"]));
    assert!(rest.get("LastEvaluatedTableName").is_none(), "{rest}");
}
