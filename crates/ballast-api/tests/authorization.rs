//! Authorization on real resources, in process: seed 004's instance
//! policy, a resource-scoped Deny in every service, tag conditions and
//! `iam:PassRole`, decided exactly as a caller signed with instance
//! credentials sees it (status, code, and the store left unchanged).

// Integration tests unwrap freely; the product code may not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{Api, Call, Signer};

const AL2023: &str = "ami-0ba11a5700a023086";
const VPC: &str = "vpc-0ba11a57000000000";

fn policy(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
}

fn allow(action: &str, resource: &str) -> String {
    format!(r#"{{"Effect":"Allow","Action":"{action}","Resource":"{resource}"}}"#)
}

fn deny(action: &str, resource: &str) -> String {
    format!(r#"{{"Effect":"Deny","Action":"{action}","Resource":"{resource}"}}"#)
}

fn elbv2(action: &str, params: &[(&str, &str)]) -> Call {
    Call::query("elasticloadbalancing", action, params)
}

fn ec2(action: &str, params: &[(&str, &str)]) -> Call {
    Call::query("ec2", action, params)
}

fn autoscaling(action: &str, params: &[(&str, &str)]) -> Call {
    Call::query("autoscaling", action, params)
}

fn iam(action: &str, params: &[(&str, &str)]) -> Call {
    Call::query("iam", action, params)
}

async fn target_group(api: &Api, name: &str) -> String {
    api.root(elbv2(
        "CreateTargetGroup",
        &[
            ("Name", name),
            ("Protocol", "HTTP"),
            ("Port", "80"),
            ("VpcId", VPC),
            ("TargetType", "ip"),
        ],
    ))
    .await
    .ok()
    .xml("TargetGroupArn")
    .expect("TargetGroupArn")
}

fn target(group: &str) -> [(&str, &str); 3] {
    [
        ("TargetGroupArn", group),
        ("Targets.member.1.Id", "127.0.0.1"),
        ("Targets.member.1.Port", "8080"),
    ]
}

#[track_caller]
fn assert_denied(reply: &support::Reply, code: &str, resource: &str) {
    assert_eq!(reply.status, 403, "{}", reply.body);
    reply.assert_code(code);
    assert!(
        reply.body.contains(&format!("on resource: {resource}")),
        "the message names {resource}: {}",
        reply.body
    );
}

#[tokio::test]
async fn seed_004_policy_allows_its_own_target_group_and_nothing_else() {
    let api = Api::new();
    let apps = target_group(&api, "apps").await;
    let other = target_group(&api, "other").await;
    // The policy seed 004 gives its instances: register and deregister on
    // the app's target group, read target health anywhere.
    let instance = api
        .session(
            "app-role",
            &policy(&format!(
                r#"{{"Sid":"VisualEditor0","Effect":"Allow","Action":["elasticloadbalancing:RegisterTargets","elasticloadbalancing:DeregisterTargets"],"Resource":"{apps}"}},
                   {{"Sid":"VisualEditor1","Effect":"Allow","Action":"elasticloadbalancing:DescribeTargetHealth","Resource":"*"}}"#
            )),
        )
        .await;

    api.call(&instance, elbv2("RegisterTargets", &target(&apps)))
        .await
        .ok();
    let health = api
        .call(
            &instance,
            elbv2("DescribeTargetHealth", &[("TargetGroupArn", apps.as_str())]),
        )
        .await
        .ok();
    assert!(
        health.body.contains("<Id>127.0.0.1</Id>"),
        "{}",
        health.body
    );
    api.call(&instance, elbv2("DeregisterTargets", &target(&apps)))
        .await
        .ok();

    let refused = api
        .call(&instance, elbv2("RegisterTargets", &target(&other)))
        .await;
    assert_denied(&refused, "AccessDenied", &other);
    let other_health = api
        .call(
            &instance,
            elbv2(
                "DescribeTargetHealth",
                &[("TargetGroupArn", other.as_str())],
            ),
        )
        .await
        .ok();
    assert!(
        !other_health.body.contains("127.0.0.1"),
        "the refused registration left no target: {}",
        other_health.body
    );
    // Anything the policy does not name stays refused.
    let describe = api
        .call(&instance, elbv2("DescribeTargetGroups", &[]))
        .await;
    assert_denied(&describe, "AccessDenied", "*");
}

#[tokio::test]
async fn a_resource_scoped_deny_applies_in_elbv2() {
    let api = Api::new();
    let keep = target_group(&api, "keep").await;
    let spare = target_group(&api, "spare").await;
    let admin = api
        .session(
            "admin",
            &policy(&format!(
                "{},{}",
                allow("elasticloadbalancing:*", "*"),
                deny("elasticloadbalancing:DeleteTargetGroup", &keep)
            )),
        )
        .await;
    let refused = api
        .call(
            &admin,
            elbv2("DeleteTargetGroup", &[("TargetGroupArn", keep.as_str())]),
        )
        .await;
    assert_denied(&refused, "AccessDenied", &keep);
    assert!(refused.body.contains("explicit deny"), "{}", refused.body);
    api.call(
        &admin,
        elbv2("DeleteTargetGroup", &[("TargetGroupArn", spare.as_str())]),
    )
    .await
    .ok();
    let left = api.root(elbv2("DescribeTargetGroups", &[])).await.ok();
    assert!(left.body.contains(&keep) && !left.body.contains(&spare));
}

async fn security_group(api: &Api, name: &str, tags: &[(&str, &str)]) -> String {
    let mut params = vec![
        ("GroupName".to_owned(), name.to_owned()),
        ("GroupDescription".to_owned(), "test".to_owned()),
    ];
    if !tags.is_empty() {
        params.push((
            "TagSpecification.1.ResourceType".into(),
            "security-group".into(),
        ));
        for (n, (key, value)) in tags.iter().enumerate() {
            params.push((
                format!("TagSpecification.1.Tag.{}.Key", n + 1),
                (*key).into(),
            ));
            params.push((
                format!("TagSpecification.1.Tag.{}.Value", n + 1),
                (*value).into(),
            ));
        }
    }
    let params: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    api.root(ec2("CreateSecurityGroup", &params))
        .await
        .ok()
        .xml("groupId")
        .expect("groupId")
}

#[tokio::test]
async fn a_resource_scoped_deny_and_resource_tags_apply_in_ec2() {
    let api = Api::new();
    let keep = security_group(&api, "keep", &[]).await;
    let protected = security_group(&api, "protected", &[("protected", "true")]).await;
    let spare = security_group(&api, "spare", &[("protected", "false")]).await;
    let keep_arn = format!("arn:aws:ec2:us-east-1:000000000000:security-group/{keep}");
    let admin = api
        .session(
            "admin",
            &policy(&format!(
                r#"{},{},{{"Effect":"Deny","Action":"ec2:DeleteSecurityGroup","Resource":"*","Condition":{{"StringEquals":{{"ec2:ResourceTag/protected":"true"}}}}}}"#,
                allow("ec2:*", "*"),
                deny("ec2:DeleteSecurityGroup", "arn:aws:ec2:*:*:security-group/KEEP")
                    .replace("KEEP", &keep),
            )),
        )
        .await;
    let delete = |id: &str| ec2("DeleteSecurityGroup", &[("GroupId", id)]);
    assert_denied(
        &api.call(&admin, delete(&keep)).await,
        "UnauthorizedOperation",
        &keep_arn,
    );
    assert_denied(
        &api.call(&admin, delete(&protected)).await,
        "UnauthorizedOperation",
        &format!("arn:aws:ec2:us-east-1:000000000000:security-group/{protected}"),
    );
    api.call(&admin, delete(&spare)).await.ok();
    let left = api.root(ec2("DescribeSecurityGroups", &[])).await.ok();
    assert!(left.body.contains(&keep) && left.body.contains(&protected));
    assert!(!left.body.contains(&spare));
}

#[tokio::test]
async fn request_tags_decide_a_create() {
    let api = Api::new();
    let creator = api
        .session(
            "creator",
            &policy(
                r#"{"Effect":"Allow","Action":"ec2:CreateSecurityGroup","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"web"}}}"#,
            ),
        )
        .await;
    let untagged = api
        .call(
            &creator,
            ec2(
                "CreateSecurityGroup",
                &[("GroupName", "bare"), ("GroupDescription", "d")],
            ),
        )
        .await;
    untagged.assert_code("UnauthorizedOperation");
    api.call(
        &creator,
        ec2(
            "CreateSecurityGroup",
            &[
                ("GroupName", "web"),
                ("GroupDescription", "d"),
                ("TagSpecification.1.ResourceType", "security-group"),
                ("TagSpecification.1.Tag.1.Key", "team"),
                ("TagSpecification.1.Tag.1.Value", "web"),
            ],
        ),
    )
    .await
    .ok();
    let groups = api.root(ec2("DescribeSecurityGroups", &[])).await.ok();
    assert!(groups.body.contains("<groupName>web</groupName>"));
    assert!(!groups.body.contains("<groupName>bare</groupName>"));
}

async fn group(api: &Api, name: &str, env: &str) {
    api.root(autoscaling(
        "CreateAutoScalingGroup",
        &[
            ("AutoScalingGroupName", name),
            ("LaunchTemplate.LaunchTemplateName", "web"),
            ("MinSize", "0"),
            ("MaxSize", "2"),
            ("DesiredCapacity", "0"),
            ("AvailabilityZones.member.1", "us-east-1a"),
            ("Tags.member.1.Key", "env"),
            ("Tags.member.1.Value", env),
        ],
    ))
    .await
    .ok();
}

async fn launch_template(api: &Api) {
    api.root(ec2(
        "CreateLaunchTemplate",
        &[
            ("LaunchTemplateName", "web"),
            ("LaunchTemplateData.ImageId", AL2023),
            ("LaunchTemplateData.InstanceType", "t3.micro"),
        ],
    ))
    .await
    .ok();
}

fn desired(name: &str, capacity: &'static str) -> Call {
    autoscaling(
        "SetDesiredCapacity",
        &[
            ("AutoScalingGroupName", name),
            ("DesiredCapacity", capacity),
        ],
    )
}

#[tokio::test]
async fn a_resource_scoped_deny_and_resource_tags_apply_in_auto_scaling() {
    let api = Api::new();
    launch_template(&api).await;
    group(&api, "frozen", "dev").await;
    group(&api, "prod", "prod").await;
    group(&api, "dev", "dev").await;
    let operator = api
        .session(
            "operator",
            &policy(&format!(
                r#"{},{{"Effect":"Allow","Action":"autoscaling:SetDesiredCapacity","Resource":"*","Condition":{{"StringEquals":{{"autoscaling:ResourceTag/env":"dev"}}}}}}"#,
                deny(
                    "autoscaling:*",
                    "arn:aws:autoscaling:*:*:autoScalingGroup:*:autoScalingGroupName/frozen"
                ),
            )),
        )
        .await;
    let frozen = api.call(&operator, desired("frozen", "1")).await;
    assert_eq!(frozen.status, 403, "{}", frozen.body);
    assert!(frozen.body.contains("autoScalingGroupName/frozen"));
    assert!(frozen.body.contains("explicit deny"), "{}", frozen.body);
    let prod = api.call(&operator, desired("prod", "1")).await;
    prod.assert_code("AccessDenied");
    api.call(&operator, desired("dev", "1")).await.ok();

    let groups = api
        .root(autoscaling("DescribeAutoScalingGroups", &[]))
        .await
        .ok();
    let capacity = |name: &str| {
        let at = groups
            .body
            .find(&format!(
                "<AutoScalingGroupName>{name}</AutoScalingGroupName>"
            ))
            .expect("group listed");
        let rest = &groups.body[at..];
        let start = rest.find("<DesiredCapacity>").expect("capacity") + 17;
        rest[start..start + 1].to_owned()
    };
    assert_eq!(capacity("frozen"), "0");
    assert_eq!(capacity("prod"), "0");
    assert_eq!(capacity("dev"), "1");
}

#[tokio::test]
async fn a_resource_scoped_deny_applies_in_iam() {
    let api = Api::new();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    for name in ["keep", "spare"] {
        api.root(iam(
            "CreateRole",
            &[
                ("RoleName", name),
                ("Path", "/services/"),
                ("AssumeRolePolicyDocument", trust),
            ],
        ))
        .await
        .ok();
    }
    let admin = api
        .session(
            "admin",
            &policy(&format!(
                "{},{}",
                allow("iam:*", "*"),
                deny("iam:DeleteRole", "arn:aws:iam::*:role/services/keep")
            )),
        )
        .await;
    let refused = api
        .call(&admin, iam("DeleteRole", &[("RoleName", "keep")]))
        .await;
    assert_denied(
        &refused,
        "AccessDenied",
        "arn:aws:iam::000000000000:role/services/keep",
    );
    api.call(&admin, iam("DeleteRole", &[("RoleName", "spare")]))
        .await
        .ok();
    api.root(iam("GetRole", &[("RoleName", "keep")])).await.ok();
}

#[tokio::test]
async fn a_resource_scoped_deny_applies_in_ssm_and_dynamodb() {
    let api = Api::new();
    for name in ["/app/secret", "/app/public"] {
        api.root(Call::json(
            "ssm",
            "PutParameter",
            serde_json::json!({"Name": name, "Value": "v", "Type": "String"}),
        ))
        .await
        .ok();
    }
    let reader = api
        .session(
            "reader",
            &policy(&format!(
                "{},{},{}",
                allow("ssm:GetParameter", "*"),
                deny(
                    "ssm:GetParameter",
                    "arn:aws:ssm:us-east-1:000000000000:parameter/app/secret"
                ),
                deny("dynamodb:*", "arn:aws:dynamodb:*:*:table/orders")
            )),
        )
        .await;
    let get = |name: &str| Call::json("ssm", "GetParameter", serde_json::json!({"Name": name}));
    let refused = api.call(&reader, get("/app/secret")).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    refused.assert_code("AccessDeniedException");
    api.call(&reader, get("/app/public")).await.ok();
    let scan = api
        .call(
            &reader,
            Call::json(
                "dynamodb",
                "Scan",
                serde_json::json!({"TableName": "orders"}),
            ),
        )
        .await;
    scan.assert_code("AccessDeniedException");
}

/// The calls on one OpsItem are decided on its ARN, and record who made
/// the item and who changed it last.
#[tokio::test]
async fn ops_item_calls_are_decided_on_the_item() {
    let api = Api::new();
    let create = |title: &str| {
        Call::json(
            "ssm",
            "CreateOpsItem",
            serde_json::json!({"Title": title, "Source": "app", "Description": "d"}),
        )
    };
    let open = api.root(create("open")).await.ok().json()["OpsItemId"]
        .as_str()
        .unwrap()
        .to_owned();
    let locked = api.root(create("locked")).await.ok().json()["OpsItemId"]
        .as_str()
        .unwrap()
        .to_owned();
    let oncall = api
        .session(
            "oncall",
            &policy(&format!(
                "{},{}",
                allow("ssm:*OpsItem*", "*"),
                deny(
                    "ssm:UpdateOpsItem",
                    &format!("arn:aws:ssm:us-east-1:000000000000:opsitem/{locked}")
                )
            )),
        )
        .await;
    let resolve = |id: &str| {
        Call::json(
            "ssm",
            "UpdateOpsItem",
            serde_json::json!({"OpsItemId": id, "Status": "Resolved"}),
        )
    };
    api.call(&oncall, resolve(&open)).await.ok();
    api.call(&oncall, resolve(&locked))
        .await
        .assert_code("AccessDeniedException");
    let get = |id: &str| Call::json("ssm", "GetOpsItem", serde_json::json!({"OpsItemId": id}));
    let shown = api.call(&oncall, get(&open)).await.ok().json();
    assert_eq!(shown["OpsItem"]["Status"], "Resolved");
    assert_eq!(
        shown["OpsItem"]["CreatedBy"],
        "arn:aws:iam::000000000000:root"
    );
    let modified_by = shown["OpsItem"]["LastModifiedBy"].as_str().unwrap();
    assert!(
        modified_by.contains("assumed-role/oncall/"),
        "{modified_by}"
    );
    let untouched = api.call(&oncall, get(&locked)).await.ok().json();
    assert_eq!(untouched["OpsItem"]["Status"], "Open");
}

/// PartiQL statements are decided on their table as the PartiQL actions
/// IAM names, so a role that may select and insert cannot delete.
#[tokio::test]
async fn partiql_statements_are_decided_as_partiql_actions_on_their_table() {
    let api = Api::new();
    api.root(Call::json(
        "dynamodb",
        "CreateTable",
        serde_json::json!({
            "TableName": "orders",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        }),
    ))
    .await
    .ok();
    api.clock.advance(std::time::Duration::from_secs(60));
    let clerk = api
        .session(
            "clerk",
            &policy(&format!(
                "{},{}",
                allow(
                    "dynamodb:PartiQLSelect",
                    "arn:aws:dynamodb:*:*:table/orders"
                ),
                allow(
                    "dynamodb:PartiQLInsert",
                    "arn:aws:dynamodb:*:*:table/orders"
                ),
            )),
        )
        .await;
    let run = |statement: &str| {
        Call::json(
            "dynamodb",
            "ExecuteStatement",
            serde_json::json!({"Statement": statement}),
        )
    };
    api.call(&clerk, run(r#"INSERT INTO "orders" VALUE {'pk': 'a1'}"#))
        .await
        .ok();
    let read = api
        .call(&clerk, run(r#"SELECT * FROM "orders" WHERE pk = 'a1'"#))
        .await
        .ok();
    assert_eq!(read.json()["Items"][0]["pk"]["S"], "a1");
    let refused = api
        .call(&clerk, run(r#"DELETE FROM "orders" WHERE pk = 'a1'"#))
        .await;
    refused.assert_code("AccessDeniedException");
    assert!(
        refused.message().contains("dynamodb:PartiQLDelete"),
        "{}",
        refused.message()
    );
    let batch = Call::json(
        "dynamodb",
        "BatchExecuteStatement",
        serde_json::json!({"Statements": [{"Statement": r#"DELETE FROM "orders" WHERE pk = 'a1'"#}]}),
    );
    api.call(&clerk, batch)
        .await
        .assert_code("AccessDeniedException");
    let still = api
        .call(&clerk, run(r#"SELECT * FROM "orders" WHERE pk = 'a1'"#))
        .await
        .ok();
    assert_eq!(still.json()["Items"].as_array().map(Vec::len), Some(1));

    // A statement is decided on the table its head names, whatever its
    // parameters: a tuple passed as `?` cannot slip past into another
    // table beside an allowed statement.
    let smuggled = Call::json(
        "dynamodb",
        "BatchExecuteStatement",
        serde_json::json!({"Statements": [
            {"Statement": r#"SELECT * FROM "orders" WHERE pk = 'a1'"#},
            {"Statement": r#"INSERT INTO "audit" VALUE ?"#,
             "Parameters": [{"M": {"pk": {"S": "x"}}}]},
        ]}),
    );
    let refused = api.call(&clerk, smuggled).await;
    refused.assert_code("AccessDeniedException");
    assert!(
        refused.message().contains("table/audit"),
        "{}",
        refused.message()
    );
    // A statement too long to be one is refused before it is read.
    let long = format!(
        r#"SELECT * FROM "orders" WHERE {}pk = 'a1'"#,
        "pk = 'a1' AND ".repeat(2_000)
    );
    api.call(&clerk, run(&long))
        .await
        .assert_code("ValidationException");
}

async fn instance_profile(api: &Api, name: &str) -> String {
    let role = api
        .role(name, "ec2.amazonaws.com")
        .await
        .xml("Arn")
        .expect("role ARN");
    api.root(iam(
        "CreateInstanceProfile",
        &[("InstanceProfileName", name)],
    ))
    .await
    .ok();
    api.root(iam(
        "AddRoleToInstanceProfile",
        &[("InstanceProfileName", name), ("RoleName", name)],
    ))
    .await
    .ok();
    role
}

fn run_with_profile(profile: &str) -> Call {
    ec2(
        "RunInstances",
        &[
            ("ImageId", AL2023),
            ("InstanceType", "t3.micro"),
            ("MinCount", "1"),
            ("MaxCount", "1"),
            ("IamInstanceProfile.Name", profile),
        ],
    )
}

async fn instance_count(api: &Api) -> usize {
    let described = api.root(ec2("DescribeInstances", &[])).await.ok();
    described.body.matches("<instanceId>").count()
}

#[tokio::test]
async fn launching_with_a_role_needs_pass_role_on_that_role() {
    let api = Api::new();
    let role = instance_profile(&api, "web").await;
    let launcher = |extra: &str| policy(&format!("{}{extra}", allow("ec2:RunInstances", "*")));
    let without: Signer = api.session("launcher", &launcher("")).await;
    let refused = api.call(&without, run_with_profile("web")).await;
    refused.assert_code("UnauthorizedOperation");
    assert!(
        refused
            .body
            .contains(&format!("iam:PassRole on resource: {role}")),
        "{}",
        refused.body
    );
    assert_eq!(instance_count(&api).await, 0, "nothing was launched");

    let with = api
        .session(
            "launcher2",
            &launcher(&format!(",{}", allow("iam:PassRole", &role))),
        )
        .await;
    api.call(&with, run_with_profile("web")).await.ok();
    assert_eq!(instance_count(&api).await, 1);
}

async fn run_instance(api: &Api) -> String {
    api.root(ec2(
        "RunInstances",
        &[("ImageId", AL2023), ("MinCount", "1"), ("MaxCount", "1")],
    ))
    .await
    .ok()
    .xml("instanceId")
    .expect("instanceId")
}

#[tokio::test]
async fn calls_naming_one_instance_are_decided_on_that_instance() {
    let api = Api::new();
    let guarded = run_instance(&api).await;
    let other = run_instance(&api).await;
    let guarded_arn = format!("arn:aws:ec2:us-east-1:000000000000:instance/{guarded}");
    let operator = api
        .session(
            "operator",
            &policy(&format!(
                "{},{}",
                allow("ec2:*", "*"),
                deny("ec2:GetConsoleOutput", &guarded_arn)
            )),
        )
        .await;
    // GetConsoleOutput names one InstanceId where StartInstances names a
    // list: both spellings must name the instance.
    let console = |id: &str| ec2("GetConsoleOutput", &[("InstanceId", id)]);
    assert_denied(
        &api.call(&operator, console(&guarded)).await,
        "UnauthorizedOperation",
        &guarded_arn,
    );
    api.call(&operator, console(&other)).await.ok();
}

#[tokio::test]
async fn a_malformed_request_from_a_role_gets_the_error_root_gets() {
    let api = Api::new();
    let group = target_group(&api, "apps").await;
    let admin = api
        .session(
            "admin",
            &policy(&format!(
                "{},{}",
                allow("elasticloadbalancing:*", "*"),
                deny("elasticloadbalancing:*", &group)
            )),
        )
        .await;
    // A list where the operation takes one ARN: refused as malformed, as
    // the handler refuses it for root, never let through as `*`.
    let malformed = elbv2(
        "DeleteTargetGroup",
        &[("TargetGroupArn.member.1", group.as_str())],
    );
    let as_admin = api.call(&admin, malformed.clone()).await;
    let as_root = api.root(malformed).await;
    assert_eq!(as_admin.status, 400, "{}", as_admin.body);
    assert_eq!(as_admin.code(), as_root.code());
    let left = api.root(elbv2("DescribeTargetGroups", &[])).await.ok();
    assert!(left.body.contains(&group), "the group is still there");
}

async fn volume(api: &Api) -> String {
    api.root(ec2(
        "CreateVolume",
        &[("AvailabilityZone", "us-east-1a"), ("Size", "1")],
    ))
    .await
    .ok()
    .xml("volumeId")
    .expect("volumeId")
}

#[tokio::test]
async fn volume_calls_are_decided_on_the_volume() {
    let api = Api::new();
    let mine = volume(&api).await;
    let theirs = volume(&api).await;
    let arn = |id: &str| format!("arn:aws:ec2:us-east-1:000000000000:volume/{id}");
    // Seed 003's device-attachment role, scoped to its one volume.
    let attacher = api
        .session(
            "attacher",
            &policy(&format!(
                "{},{}",
                allow("ec2:DescribeVolumes", "*"),
                allow("ec2:*Volume", &arn(&mine))
            )),
        )
        .await;
    let delete = |id: &str| ec2("DeleteVolume", &[("VolumeId", id)]);
    assert_denied(
        &api.call(&attacher, delete(&theirs)).await,
        "UnauthorizedOperation",
        &arn(&theirs),
    );
    let create = ec2(
        "CreateVolume",
        &[("AvailabilityZone", "us-east-1a"), ("Size", "1")],
    );
    assert_denied(
        &api.call(&attacher, create).await,
        "UnauthorizedOperation",
        &arn("*"),
    );
    api.call(&attacher, delete(&mine)).await.ok();
    let left = api.root(ec2("DescribeVolumes", &[])).await.ok();
    assert!(left.body.contains(&theirs) && !left.body.contains(&mine));
}

fn create_configuration(name: &str, extra: &[(&str, &str)]) -> Call {
    let mut params = vec![
        ("LaunchConfigurationName", name),
        ("ImageId", AL2023),
        ("InstanceType", "t3.micro"),
    ];
    params.extend_from_slice(extra);
    autoscaling("CreateLaunchConfiguration", &params)
}

#[tokio::test]
async fn launch_configurations_are_decided_on_their_arn_and_pass_their_role() {
    let api = Api::new();
    let role = instance_profile(&api, "web").await;
    api.root(create_configuration("keep", &[])).await.ok();
    let operator = api
        .session(
            "operator",
            &policy(&allow(
                "autoscaling:*LaunchConfiguration",
                "arn:aws:autoscaling:*:*:launchConfiguration:*:launchConfigurationName/app-*",
            )),
        )
        .await;
    api.call(&operator, create_configuration("app-1", &[]))
        .await
        .ok();
    assert_denied(
        &api.call(&operator, create_configuration("other", &[]))
            .await,
        "AccessDenied",
        "arn:aws:autoscaling:us-east-1:000000000000:launchConfiguration:*:launchConfigurationName/other",
    );
    let delete = |name: &str| {
        autoscaling(
            "DeleteLaunchConfiguration",
            &[("LaunchConfigurationName", name)],
        )
    };
    let refused = api.call(&operator, delete("keep")).await;
    refused.assert_code("AccessDenied");
    assert!(
        refused.body.contains(":launchConfiguration:")
            && refused.body.contains(":launchConfigurationName/keep")
            && !refused.body.contains("launchConfiguration:*:"),
        "the stored configuration's ARN: {}",
        refused.body
    );
    api.call(&operator, delete("app-1")).await.ok();

    // An instance profile's role is passed when the configuration is made.
    let with_profile = create_configuration("app-2", &[("IamInstanceProfile", "web")]);
    let refused = api.call(&operator, with_profile).await;
    refused.assert_code("AccessDenied");
    assert!(
        refused
            .body
            .contains(&format!("iam:PassRole on resource: {role}")),
        "{}",
        refused.body
    );
    let passer = api
        .session(
            "passer",
            &policy(&format!(
                "{},{}",
                allow("autoscaling:CreateLaunchConfiguration", "*"),
                allow("iam:PassRole", &role)
            )),
        )
        .await;
    api.call(
        &passer,
        create_configuration("app-2", &[("IamInstanceProfile", "web")]),
    )
    .await
    .ok();
}

#[tokio::test]
async fn elastic_ip_calls_are_decided_on_the_elastic_ip() {
    let api = Api::new();
    let allocate = || ec2("AllocateAddress", &[("Domain", "vpc")]);
    let kept = api
        .root(allocate())
        .await
        .ok()
        .xml("allocationId")
        .expect("allocationId");
    let spare = api
        .root(allocate())
        .await
        .ok()
        .xml("allocationId")
        .expect("allocationId");
    let kept_arn = format!("arn:aws:ec2:us-east-1:000000000000:elastic-ip/{kept}");
    let admin = api
        .session(
            "admin",
            &policy(&format!(
                "{},{}",
                allow("ec2:*", "*"),
                deny("ec2:ReleaseAddress", &kept_arn),
            )),
        )
        .await;
    let release = |id: &str| ec2("ReleaseAddress", &[("AllocationId", id)]);
    assert_denied(
        &api.call(&admin, release(&kept)).await,
        "UnauthorizedOperation",
        &kept_arn,
    );
    api.call(&admin, release(&spare)).await.ok();
    let left = api.root(ec2("DescribeAddresses", &[])).await.ok();
    assert!(left.body.contains(&kept) && !left.body.contains(&spare));
}

#[tokio::test]
async fn eventbridge_calls_are_decided_on_the_rule_and_the_bus() {
    let api = Api::new();
    let put_rule = |name: &str| {
        Call::json(
            "events",
            "PutRule",
            serde_json::json!({"Name": name, "EventPattern": r#"{"source":["shop"]}"#}),
        )
    };
    api.root(put_rule("mine")).await.ok();
    api.root(put_rule("theirs")).await.ok();
    let theirs = "arn:aws:events:us-east-1:000000000000:rule/theirs";
    let operator = api
        .session(
            "operator",
            &policy(&format!(
                "{},{},{}",
                allow("events:*", "*"),
                deny("events:DeleteRule", theirs),
                deny(
                    "events:PutEvents",
                    "arn:aws:events:us-east-1:000000000000:event-bus/default"
                )
            )),
        )
        .await;
    let delete = |name: &str| Call::json("events", "DeleteRule", serde_json::json!({"Name": name}));
    let refused = api.call(&operator, delete("theirs")).await;
    refused.assert_code("AccessDeniedException");
    assert!(refused.body.contains(theirs), "{}", refused.body);
    api.call(&operator, delete("mine")).await.ok();
    let put_events = Call::json(
        "events",
        "PutEvents",
        serde_json::json!({"Entries": [{"Source": "shop", "DetailType": "t", "Detail": "{}"}]}),
    );
    api.call(&operator, put_events)
        .await
        .assert_code("AccessDeniedException");
    let left = api
        .root(Call::json("events", "ListRules", serde_json::json!({})))
        .await
        .ok();
    assert!(left.body.contains("theirs") && !left.body.contains("\"mine\""));
}

#[tokio::test]
async fn lambda_calls_are_decided_on_the_function() {
    let api = Api::new();
    let role = api
        .role("fn", "lambda.amazonaws.com")
        .await
        .xml("Arn")
        .expect("role ARN");
    // An empty zip archive: its end-of-central-directory record alone.
    let zip = "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==";
    for name in ["mine", "theirs"] {
        api.root(Call::rest(
            "lambda",
            "POST",
            "/2015-03-31/functions",
            Some(serde_json::json!({
                "FunctionName": name, "Runtime": "python3.12", "Handler": "index.handler",
                "Role": role, "Code": {"ZipFile": zip},
            })),
        ))
        .await
        .ok();
    }
    let theirs = "arn:aws:lambda:us-east-1:000000000000:function:theirs";
    let developer = api
        .session(
            "developer",
            &policy(&format!(
                "{},{}",
                allow("lambda:*", "*"),
                deny("lambda:DeleteFunction", theirs)
            )),
        )
        .await;
    let delete = |name: &str| {
        Call::rest(
            "lambda",
            "DELETE",
            &format!("/2015-03-31/functions/{name}"),
            None,
        )
    };
    let refused = api.call(&developer, delete("theirs")).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    refused.assert_code("AccessDeniedException");
    assert!(refused.body.contains(theirs), "{}", refused.body);
    // By ARN, the same function and the same decision.
    let by_arn = api.call(&developer, delete(theirs)).await;
    by_arn.assert_code("AccessDeniedException");
    api.call(&developer, delete("mine")).await.ok();
    let left = api
        .root(Call::rest("lambda", "GET", "/2015-03-31/functions", None))
        .await
        .ok();
    assert!(left.body.contains("\"theirs\"") && !left.body.contains("\"mine\""));

    // Making a function passes its role: without iam:PassRole, refused.
    let create = Call::rest(
        "lambda",
        "POST",
        "/2015-03-31/functions",
        Some(serde_json::json!({
            "FunctionName": "again", "Runtime": "python3.12", "Handler": "index.handler",
            "Role": role, "Code": {"ZipFile": zip},
        })),
    );
    let refused = api.call(&developer, create.clone()).await;
    refused.assert_code("AccessDeniedException");
    assert!(
        refused
            .body
            .contains(&format!("iam:PassRole on resource: {role}")),
        "{}",
        refused.body
    );
    let deployer = api
        .session(
            "deployer",
            &policy(&format!(
                "{},{}",
                allow("lambda:CreateFunction", "*"),
                allow("iam:PassRole", &role)
            )),
        )
        .await;
    api.call(&deployer, create).await.ok();

    // Invoke is decided as lambda:InvokeFunction on the function.
    let invoker = api
        .session(
            "invoker",
            &policy(&allow(
                "lambda:InvokeFunction",
                "arn:aws:lambda:us-east-1:000000000000:function:again",
            )),
        )
        .await;
    let invoke = |name: &str| {
        Call::rest(
            "lambda",
            "POST",
            &format!("/2015-03-31/functions/{name}/invocations"),
            Some(serde_json::json!({"k": 1})),
        )
    };
    let refused = api.call(&invoker, invoke("theirs")).await;
    refused.assert_code("AccessDeniedException");
    assert!(
        refused
            .body
            .contains(&format!("lambda:InvokeFunction on resource: {theirs}")),
        "{}",
        refused.body
    );
    // Allowed, it reaches the functions' runtime, which this in-process
    // server does not have.
    let allowed = api.call(&invoker, invoke("again")).await;
    allowed.assert_code("ServiceException");

    // A version or an alias is decided on its qualified ARN, which the
    // function's own ARN does not cover, by name or by `Qualifier`.
    let live = "arn:aws:lambda:us-east-1:000000000000:function:again:live";
    let qualified = |query: &str| {
        Call::rest(
            "lambda",
            "POST",
            &format!("/2015-03-31/functions/again/invocations{query}"),
            Some(serde_json::json!({"k": 1})),
        )
    };
    for call in [invoke("again:live"), qualified("?Qualifier=live")] {
        let refused = api.call(&invoker, call).await;
        refused.assert_code("AccessDeniedException");
        assert!(
            refused
                .body
                .contains(&format!("lambda:InvokeFunction on resource: {live}")),
            "{}",
            refused.body
        );
    }
    let any_version = api
        .session(
            "any-version",
            &policy(&allow(
                "lambda:InvokeFunction",
                "arn:aws:lambda:us-east-1:000000000000:function:again:*",
            )),
        )
        .await;
    // Allowed, it finds no alias of that name.
    let allowed = api.call(&any_version, qualified("?Qualifier=live")).await;
    allowed.assert_code("ResourceNotFoundException");
}
