//! IAM groups in process: their lifecycle and members, the conflicts that
//! keep a group or user from being deleted, and a member allowed what its
//! groups' policies allow, for as long as it belongs to them.

// Integration tests unwrap freely; the product code may not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{Api, Call, Reply, Signer};

fn iam(action: &str, params: &[(&str, &str)]) -> Call {
    Call::query("iam", action, params)
}

fn ssm(operation: &str, body: serde_json::Value) -> Call {
    Call::json("ssm", operation, body)
}

#[track_caller]
fn assert_error(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    reply.assert_code(code);
}

const READ_ONLY_SSM: &str = "arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess";

#[tokio::test]
async fn groups_are_created_read_listed_and_deleted_when_empty() {
    let api = Api::new();
    let created = api
        .root(iam(
            "CreateGroup",
            &[("GroupName", "Operators"), ("Path", "/ops/")],
        ))
        .await
        .ok();
    assert!(
        created
            .xml("Arn")
            .unwrap()
            .ends_with(":group/ops/Operators")
    );
    assert!(created.xml("GroupId").unwrap().starts_with("AGPA"));
    assert_error(
        &api.root(iam("CreateGroup", &[("GroupName", "OPERATORS")]))
            .await,
        409,
        "EntityAlreadyExists",
    );
    api.root(iam("CreateGroup", &[("GroupName", "auditors")]))
        .await
        .ok();
    let listed = api.root(iam("ListGroups", &[("MaxItems", "1")])).await.ok();
    assert_eq!(listed.xml("GroupName").as_deref(), Some("Operators"));
    assert_eq!(listed.xml("IsTruncated").as_deref(), Some("true"));
    let marker = listed.xml("Marker").unwrap();
    let rest = api
        .root(iam("ListGroups", &[("Marker", &marker)]))
        .await
        .ok();
    assert_eq!(rest.xml("GroupName").as_deref(), Some("auditors"));
    let under_ops = api
        .root(iam("ListGroups", &[("PathPrefix", "/ops/")]))
        .await
        .ok();
    assert!(!under_ops.body.contains("auditors"), "{}", under_ops.body);

    api.root(iam("CreateUser", &[("UserName", "ana")]))
        .await
        .ok();
    let join = iam(
        "AddUserToGroup",
        &[("GroupName", "operators"), ("UserName", "ANA")],
    );
    api.root(join.clone()).await.ok();
    api.root(join).await.ok();
    let got = api
        .root(iam("GetGroup", &[("GroupName", "operators")]))
        .await
        .ok();
    assert_eq!(got.xml("GroupName").as_deref(), Some("Operators"));
    assert_eq!(
        got.body.matches("<UserName>ana</UserName>").count(),
        1,
        "one membership however often added: {}",
        got.body
    );
    let of_user = api
        .root(iam("ListGroupsForUser", &[("UserName", "ana")]))
        .await
        .ok();
    assert_eq!(of_user.xml("GroupName").as_deref(), Some("Operators"));

    let conflict = api
        .root(iam("DeleteGroup", &[("GroupName", "Operators")]))
        .await;
    assert_error(&conflict, 409, "DeleteConflict");
    assert_eq!(
        conflict.message(),
        "Cannot delete entity, must remove users from group first."
    );
    assert_error(
        &api.root(iam("DeleteUser", &[("UserName", "ana")])).await,
        409,
        "DeleteConflict",
    );
    let leave = iam(
        "RemoveUserFromGroup",
        &[("GroupName", "Operators"), ("UserName", "ana")],
    );
    api.root(leave.clone()).await.ok();
    api.root(leave).await.ok();
    api.root(iam("DeleteGroup", &[("GroupName", "Operators")]))
        .await
        .ok();
    let gone = api
        .root(iam("GetGroup", &[("GroupName", "Operators")]))
        .await;
    assert_error(&gone, 404, "NoSuchEntity");
    assert_eq!(
        gone.message(),
        "The group with name Operators cannot be found."
    );
    assert_error(
        &api.root(iam(
            "AddUserToGroup",
            &[("GroupName", "auditors"), ("UserName", "nobody")],
        ))
        .await,
        404,
        "NoSuchEntity",
    );
    api.root(iam("DeleteUser", &[("UserName", "ana")]))
        .await
        .ok();
}

#[tokio::test]
async fn a_member_is_allowed_what_its_groups_allow_while_it_belongs() {
    let api = Api::new();
    api.root(iam("CreateUser", &[("UserName", "dev")]))
        .await
        .ok();
    let key = api
        .root(iam("CreateAccessKey", &[("UserName", "dev")]))
        .await
        .ok();
    let dev = Signer::from_access_key(&key).unwrap();
    api.root(ssm(
        "PutParameter",
        serde_json::json!({"Name": "/app/x", "Value": "1", "Type": "String"}),
    ))
    .await
    .ok();
    let read = ssm("GetParameter", serde_json::json!({"Name": "/app/x"}));
    let write = ssm(
        "PutParameter",
        serde_json::json!({"Name": "/app/x", "Value": "2", "Overwrite": true}),
    );
    assert_error(
        &api.call(&dev, read.clone()).await,
        400,
        "AccessDeniedException",
    );

    api.root(iam("CreateGroup", &[("GroupName", "readers")]))
        .await
        .ok();
    api.root(iam(
        "AttachGroupPolicy",
        &[("GroupName", "readers"), ("PolicyArn", READ_ONLY_SSM)],
    ))
    .await
    .ok();
    api.root(iam(
        "PutGroupPolicy",
        &[
            ("GroupName", "readers"),
            ("PolicyName", "write-app"),
            ("PolicyDocument", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:PutParameter","Resource":"arn:aws:ssm:*:*:parameter/app/*"}]}"#),
        ],
    ))
    .await
    .ok();
    assert_error(
        &api.call(&dev, read.clone()).await,
        400,
        "AccessDeniedException",
    );
    api.root(iam(
        "AddUserToGroup",
        &[("GroupName", "readers"), ("UserName", "dev")],
    ))
    .await
    .ok();
    api.call(&dev, read.clone()).await.ok();
    api.call(&dev, write.clone()).await.ok();

    let attached = api
        .root(iam(
            "ListAttachedGroupPolicies",
            &[("GroupName", "readers")],
        ))
        .await
        .ok();
    assert_eq!(attached.xml("PolicyArn").as_deref(), Some(READ_ONLY_SSM));
    let names = api
        .root(iam("ListGroupPolicies", &[("GroupName", "readers")]))
        .await
        .ok();
    assert!(
        names.body.contains("<member>write-app</member>"),
        "{}",
        names.body
    );
    let inline = api
        .root(iam(
            "GetGroupPolicy",
            &[("GroupName", "READERS"), ("PolicyName", "write-app")],
        ))
        .await
        .ok();
    assert_eq!(inline.xml("GroupName").as_deref(), Some("readers"));
    assert!(
        inline.body.contains("ssm%3APutParameter"),
        "{}",
        inline.body
    );
    let used = api
        .root(iam("GetPolicy", &[("PolicyArn", READ_ONLY_SSM)]))
        .await
        .ok();
    assert_eq!(used.xml("AttachmentCount").as_deref(), Some("1"));

    let conflict = api
        .root(iam("DeleteGroup", &[("GroupName", "readers")]))
        .await;
    assert_error(&conflict, 409, "DeleteConflict");
    api.root(iam(
        "RemoveUserFromGroup",
        &[("GroupName", "readers"), ("UserName", "dev")],
    ))
    .await
    .ok();
    assert_error(&api.call(&dev, write).await, 400, "AccessDeniedException");
    assert_error(&api.call(&dev, read).await, 400, "AccessDeniedException");

    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{}","Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}}]}}"#,
        "a".repeat(5100)
    );
    let too_big = api
        .root(iam(
            "PutGroupPolicy",
            &[
                ("GroupName", "readers"),
                ("PolicyName", "big"),
                ("PolicyDocument", &big),
            ],
        ))
        .await;
    assert_error(&too_big, 409, "LimitExceeded");
    assert!(too_big.message().contains("5120"), "{}", too_big.body);

    api.root(iam(
        "DeleteGroupPolicy",
        &[("GroupName", "readers"), ("PolicyName", "write-app")],
    ))
    .await
    .ok();
    assert_error(
        &api.root(iam(
            "DeleteGroupPolicy",
            &[("GroupName", "readers"), ("PolicyName", "write-app")],
        ))
        .await,
        404,
        "NoSuchEntity",
    );
    assert_eq!(
        api.root(iam("DeleteGroup", &[("GroupName", "readers")]))
            .await
            .message(),
        "Cannot delete entity, must detach all policies first."
    );
    api.root(iam(
        "DetachGroupPolicy",
        &[("GroupName", "readers"), ("PolicyArn", READ_ONLY_SSM)],
    ))
    .await
    .ok();
    api.root(iam("DeleteGroup", &[("GroupName", "readers")]))
        .await
        .ok();
}

#[tokio::test]
async fn a_user_joins_at_most_ten_groups() {
    let api = Api::new();
    api.root(iam("CreateUser", &[("UserName", "busy")]))
        .await
        .ok();
    for n in 0..11 {
        let name = format!("g{n:02}");
        api.root(iam("CreateGroup", &[("GroupName", &name)]))
            .await
            .ok();
        let joined = api
            .root(iam(
                "AddUserToGroup",
                &[("GroupName", &name), ("UserName", "busy")],
            ))
            .await;
        if n < 10 {
            joined.ok();
        } else {
            assert_error(&joined, 409, "LimitExceeded");
            assert_eq!(
                joined.message(),
                "Cannot exceed quota for GroupsPerUser: 10"
            );
        }
    }
    let page = api
        .root(iam(
            "ListGroupsForUser",
            &[("UserName", "busy"), ("MaxItems", "4")],
        ))
        .await
        .ok();
    assert_eq!(page.body.matches("<GroupName>").count(), 4);
    assert_eq!(page.xml("IsTruncated").as_deref(), Some("true"));
}

#[tokio::test]
async fn group_calls_are_authorized_on_the_groups_arn() {
    let api = Api::new();
    for (name, path) in [("ops", "/teams/"), ("finance", "/")] {
        api.root(iam("CreateGroup", &[("GroupName", name), ("Path", path)]))
            .await
            .ok();
    }
    api.root(iam("CreateUser", &[("UserName", "lead")]))
        .await
        .ok();
    let key = api
        .root(iam("CreateAccessKey", &[("UserName", "lead")]))
        .await
        .ok();
    let lead = Signer::from_access_key(&key).unwrap();
    api.root(iam(
        "PutUserPolicy",
        &[
            ("UserName", "lead"),
            ("PolicyName", "team-groups"),
            ("PolicyDocument", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetGroup","iam:AddUserToGroup"],"Resource":"arn:aws:iam::*:group/teams/*"},{"Effect":"Allow","Action":"iam:ListGroups","Resource":"*"}]}"#),
        ],
    ))
    .await
    .ok();
    api.call(&lead, iam("GetGroup", &[("GroupName", "ops")]))
        .await
        .ok();
    api.call(&lead, iam("ListGroups", &[])).await.ok();
    api.call(
        &lead,
        iam(
            "AddUserToGroup",
            &[("GroupName", "ops"), ("UserName", "lead")],
        ),
    )
    .await
    .ok();
    for call in [
        iam("GetGroup", &[("GroupName", "finance")]),
        iam(
            "AddUserToGroup",
            &[("GroupName", "finance"), ("UserName", "lead")],
        ),
        iam("DeleteGroup", &[("GroupName", "ops")]),
    ] {
        let refused = api.call(&lead, call).await;
        assert_error(&refused, 403, "AccessDenied");
        assert!(
            refused.message().contains(":user/lead is not authorized"),
            "{}",
            refused.body
        );
    }
}

#[tokio::test]
async fn list_entities_for_policy_names_the_groups_users_and_roles_holding_it() {
    let api = Api::new();
    api.root(iam("CreateGroup", &[("GroupName", "ops")]))
        .await
        .ok();
    api.root(iam(
        "CreateUser",
        &[("UserName", "ana"), ("Path", "/people/")],
    ))
    .await
    .ok();
    api.root(iam(
        "CreateRole",
        &[
            ("RoleName", "app"),
            ("AssumeRolePolicyDocument", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#),
        ],
    ))
    .await
    .ok();
    for (action, key, name) in [
        ("AttachGroupPolicy", "GroupName", "ops"),
        ("AttachUserPolicy", "UserName", "ana"),
        ("AttachRolePolicy", "RoleName", "app"),
    ] {
        api.root(iam(action, &[(key, name), ("PolicyArn", READ_ONLY_SSM)]))
            .await
            .ok();
    }
    let all = api
        .root(iam(
            "ListEntitiesForPolicy",
            &[("PolicyArn", READ_ONLY_SSM)],
        ))
        .await
        .ok();
    for held in [
        "<GroupName>ops</GroupName>",
        "<UserName>ana</UserName>",
        "<RoleName>app</RoleName>",
    ] {
        assert!(all.body.contains(held), "{held}: {}", all.body);
    }
    assert!(all.xml("GroupId").unwrap().starts_with("AGPA"));

    let roles = api
        .root(iam(
            "ListEntitiesForPolicy",
            &[("PolicyArn", READ_ONLY_SSM), ("EntityFilter", "Role")],
        ))
        .await
        .ok();
    assert!(roles.body.contains("<RoleName>app</RoleName>"));
    assert!(!roles.body.contains("<GroupName>"), "{}", roles.body);
    let people = api
        .root(iam(
            "ListEntitiesForPolicy",
            &[("PolicyArn", READ_ONLY_SSM), ("PathPrefix", "/people/")],
        ))
        .await
        .ok();
    assert!(people.body.contains("<UserName>ana</UserName>"));
    assert!(!people.body.contains("<RoleName>"), "{}", people.body);
    let first = api
        .root(iam(
            "ListEntitiesForPolicy",
            &[("PolicyArn", READ_ONLY_SSM), ("MaxItems", "1")],
        ))
        .await
        .ok();
    assert_eq!(first.xml("GroupName").as_deref(), Some("ops"));
    assert_eq!(first.xml("IsTruncated").as_deref(), Some("true"));
    let rest = api
        .root(iam(
            "ListEntitiesForPolicy",
            &[
                ("PolicyArn", READ_ONLY_SSM),
                ("Marker", &first.xml("Marker").unwrap()),
            ],
        ))
        .await
        .ok();
    assert!(!rest.body.contains("<GroupName>"), "{}", rest.body);
    assert!(rest.body.contains("<UserName>ana</UserName>"));
    assert!(rest.body.contains("<RoleName>app</RoleName>"));
    let bounds = api
        .root(iam(
            "ListEntitiesForPolicy",
            &[
                ("PolicyArn", READ_ONLY_SSM),
                ("PolicyUsageFilter", "PermissionsBoundary"),
            ],
        ))
        .await
        .ok();
    assert!(!bounds.body.contains("<RoleName>"), "{}", bounds.body);

    assert_error(
        &api.root(iam(
            "ListEntitiesForPolicy",
            &[("PolicyArn", "arn:aws:iam::000000000000:policy/none")],
        ))
        .await,
        404,
        "NoSuchEntity",
    );
    assert_error(
        &api.root(iam(
            "ListEntitiesForPolicy",
            &[("PolicyArn", "not-an-arn-but-long-enough")],
        ))
        .await,
        400,
        "InvalidInput",
    );
}
