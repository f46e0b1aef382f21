//! IAM through aws-sdk-iam: roles, managed and inline policies, instance
//! profiles, paging, waiters, errors with their HTTP status, and IAM as a
//! global service on a server that serves another region.

use std::time::Duration;

use aws_sdk_iam::Client;
use aws_sdk_iam::client::Waiters;
use aws_sdk_iam::types::{PolicyScopeType, Tag};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response;
use ballast_sdk_tests::fixtures::TRUST_EC2;
use ballast_sdk_tests::{Ballast, RawRequest, error_code};

const READ_PARAMS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": ["ssm:GetParameter*"], "Resource": "arn:aws:ssm:*:*:parameter/app/*"}]
}"#;
const ACCOUNT: &str = "000000000000";

/// The HTTP status an SDK error came back with.
fn status<E>(error: &SdkError<E, Response>) -> u16 {
    error
        .raw_response()
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

/// Asserts an SDK call failed with this code and status.
fn assert_error<E: aws_sdk_iam::error::ProvideErrorMetadata + std::fmt::Debug>(
    error: &SdkError<E, Response>,
    code: &str,
    http: u16,
) {
    assert_eq!(error_code(error), code, "{error:?}");
    assert_eq!(status(error), http, "{error:?}");
}

/// Decodes IAM's RFC 3986 percent-encoding of policy documents.
fn url_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

async fn create_role(iam: &Client, name: &str) {
    iam.create_role()
        .role_name(name)
        .assume_role_policy_document(TRUST_EC2)
        .send()
        .await
        .unwrap();
}

async fn create_policy(iam: &Client, name: &str) -> String {
    iam.create_policy()
        .policy_name(name)
        .policy_document(READ_PARAMS)
        .send()
        .await
        .unwrap()
        .policy()
        .and_then(|p| p.arn())
        .unwrap()
        .to_owned()
}

async fn role_names(iam: &Client) -> Vec<String> {
    iam.list_roles()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .iter()
        .map(|r| r.role_name().to_owned())
        .collect()
}

#[tokio::test]
async fn role_lifecycle() {
    let ballast = Ballast::start();
    let iam = ballast.iam();
    let created = iam
        .create_role()
        .role_name("web-role")
        .path("/app/")
        .description("the web tier")
        .max_session_duration(7200)
        .assume_role_policy_document(TRUST_EC2)
        .tags(Tag::builder().key("team").value("web").build().unwrap())
        .send()
        .await
        .unwrap();
    let role = created.role().unwrap();
    assert_eq!(
        role.arn(),
        format!("arn:aws:iam::{ACCOUNT}:role/app/web-role")
    );
    assert_eq!(role.path(), "/app/");
    assert!(role.role_id().starts_with("AROA"), "{}", role.role_id());
    assert_eq!(role.role_id().len(), 21);
    assert!(
        role.role_id()
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    );
    assert_eq!(role.max_session_duration(), Some(7200));
    assert_eq!(role.tags().len(), 1);

    // Documents come back URL-encoded, as from IAM.
    let got = iam.get_role().role_name("web-role").send().await.unwrap();
    let got = got.role().unwrap();
    let encoded = got.assume_role_policy_document().unwrap();
    assert!(encoded.starts_with("%7B%22Version%22"), "{encoded}");
    assert_eq!(url_decode(encoded), TRUST_EC2);
    assert_eq!(got.description(), Some("the web tier"));
    assert_eq!(got.role_id(), role.role_id());
    assert_eq!(got.tags()[0].key(), "team");

    // Names are found whatever their case.
    let upper = iam.get_role().role_name("WEB-ROLE").send().await.unwrap();
    assert_eq!(upper.role().unwrap().role_name(), "web-role");

    iam.update_role()
        .role_name("web-role")
        .description("changed")
        .max_session_duration(3600)
        .send()
        .await
        .unwrap();
    let updated = iam.get_role().role_name("web-role").send().await.unwrap();
    assert_eq!(updated.role().unwrap().description(), Some("changed"));
    assert_eq!(updated.role().unwrap().max_session_duration(), Some(3600));

    iam.tag_role()
        .role_name("web-role")
        .tags(Tag::builder().key("env").value("prod").build().unwrap())
        .tags(
            Tag::builder()
                .key("team")
                .value("platform")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    iam.untag_role()
        .role_name("web-role")
        .tag_keys("env")
        .send()
        .await
        .unwrap();
    let tags = iam
        .list_role_tags()
        .role_name("web-role")
        .send()
        .await
        .unwrap();
    let pairs: Vec<_> = tags.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(pairs, [("team", "platform")]);
    assert!(!tags.is_truncated());

    let listed = iam.list_roles().path_prefix("/app/").send().await.unwrap();
    assert_eq!(listed.roles().len(), 1);
    assert!(listed.roles()[0].assume_role_policy_document().is_some());
    let elsewhere = iam
        .list_roles()
        .path_prefix("/other/")
        .send()
        .await
        .unwrap();
    assert!(elsewhere.roles().is_empty());

    iam.delete_role()
        .role_name("web-role")
        .send()
        .await
        .unwrap();
    let gone = iam
        .get_role()
        .role_name("web-role")
        .send()
        .await
        .unwrap_err();
    assert_error(&gone, "NoSuchEntity", 404);
    let again = iam
        .delete_role()
        .role_name("web-role")
        .send()
        .await
        .unwrap_err();
    assert_error(&again, "NoSuchEntity", 404);
}

#[tokio::test]
async fn rejected_roles_leave_nothing_behind() {
    let ballast = Ballast::start();
    let iam = ballast.iam();
    create_role(&iam, "taken").await;
    let duplicate = iam
        .create_role()
        .role_name("TAKEN")
        .assume_role_policy_document(TRUST_EC2)
        .send()
        .await
        .unwrap_err();
    assert_error(&duplicate, "EntityAlreadyExists", 409);

    let malformed = [
        "not json",
        // A trust policy needs a principal…
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#,
        // …and may not name resources.
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Principal":"*","Action":"sts:AssumeRole"}]}"#,
    ];
    for (i, document) in malformed.iter().enumerate() {
        let error = iam
            .create_role()
            .role_name(format!("bad-{i}"))
            .assume_role_policy_document(*document)
            .send()
            .await
            .unwrap_err();
        assert_error(&error, "MalformedPolicyDocument", 400);
    }
    let invalid = [
        iam.create_role()
            .role_name("has space")
            .assume_role_policy_document(TRUST_EC2),
        iam.create_role()
            .role_name("x".repeat(65))
            .assume_role_policy_document(TRUST_EC2),
        iam.create_role()
            .role_name("bad-path")
            .path("no-slashes")
            .assume_role_policy_document(TRUST_EC2),
        iam.create_role()
            .role_name("bad-duration")
            .max_session_duration(60)
            .assume_role_policy_document(TRUST_EC2),
    ];
    for request in invalid {
        let error = request.send().await.unwrap_err();
        assert_error(&error, "ValidationError", 400);
    }
    let reserved = iam
        .create_role()
        .role_name("reserved-tag")
        .assume_role_policy_document(TRUST_EC2)
        .tags(Tag::builder().key("aws:x").value("y").build().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_error(&reserved, "InvalidInput", 400);
    assert_eq!(
        role_names(&iam).await,
        ["taken"],
        "a rejected create stored a role"
    );
}

#[tokio::test]
async fn managed_policies_and_versions() {
    let ballast = Ballast::start();
    let iam = ballast.iam();
    let created = iam
        .create_policy()
        .policy_name("read-params")
        .path("/app/")
        .description("reads app parameters")
        .policy_document(READ_PARAMS)
        .send()
        .await
        .unwrap();
    let policy = created.policy().unwrap();
    let arn = policy.arn().unwrap().to_owned();
    assert_eq!(
        arn,
        format!("arn:aws:iam::{ACCOUNT}:policy/app/read-params")
    );
    assert!(policy.policy_id().unwrap().starts_with("ANPA"));
    assert_eq!(policy.default_version_id(), Some("v1"));
    assert_eq!(policy.attachment_count(), Some(0));
    assert!(policy.is_attachable());

    let got = iam.get_policy().policy_arn(&arn).send().await.unwrap();
    assert_eq!(
        got.policy().unwrap().description(),
        Some("reads app parameters")
    );
    let v1 = iam
        .get_policy_version()
        .policy_arn(&arn)
        .version_id("v1")
        .send()
        .await
        .unwrap();
    let v1 = v1.policy_version().unwrap();
    assert!(v1.is_default_version());
    assert_eq!(url_decode(v1.document().unwrap()), READ_PARAMS);

    let v2 = iam
        .create_policy_version()
        .policy_arn(&arn)
        .policy_document(READ_PARAMS.replace("/app/*", "/app/v2/*"))
        .set_as_default(true)
        .send()
        .await
        .unwrap();
    assert_eq!(v2.policy_version().unwrap().version_id(), Some("v2"));
    assert!(v2.policy_version().unwrap().is_default_version());
    let got = iam.get_policy().policy_arn(&arn).send().await.unwrap();
    assert_eq!(got.policy().unwrap().default_version_id(), Some("v2"));

    // The default version cannot be deleted; another can.
    let default = iam
        .delete_policy_version()
        .policy_arn(&arn)
        .version_id("v2")
        .send()
        .await
        .unwrap_err();
    assert_error(&default, "DeleteConflict", 409);
    iam.set_default_policy_version()
        .policy_arn(&arn)
        .version_id("v1")
        .send()
        .await
        .unwrap();
    for _ in 0..3 {
        iam.create_policy_version()
            .policy_arn(&arn)
            .policy_document(READ_PARAMS)
            .send()
            .await
            .unwrap();
    }
    let sixth = iam
        .create_policy_version()
        .policy_arn(&arn)
        .policy_document(READ_PARAMS)
        .send()
        .await
        .unwrap_err();
    assert_error(&sixth, "LimitExceeded", 409);
    let versions = iam
        .list_policy_versions()
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    let ids: Vec<_> = versions
        .versions()
        .iter()
        .filter_map(|v| v.version_id())
        .collect();
    assert_eq!(ids, ["v5", "v4", "v3", "v2", "v1"]);
    assert!(versions.versions().iter().all(|v| v.document().is_none()));

    // A policy with more than its default version cannot be deleted.
    let busy = iam
        .delete_policy()
        .policy_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_error(&busy, "DeleteConflict", 409);
    for v in ["v2", "v3", "v4", "v5"] {
        iam.delete_policy_version()
            .policy_arn(&arn)
            .version_id(v)
            .send()
            .await
            .unwrap();
    }
    let missing_version = iam
        .get_policy_version()
        .policy_arn(&arn)
        .version_id("v3")
        .send()
        .await
        .unwrap_err();
    assert_error(&missing_version, "NoSuchEntity", 404);
    iam.delete_policy().policy_arn(&arn).send().await.unwrap();
    let gone = iam.get_policy().policy_arn(&arn).send().await.unwrap_err();
    assert_error(&gone, "NoSuchEntity", 404);
}

#[tokio::test]
async fn policy_errors_leave_nothing_behind() {
    let ballast = Ballast::start();
    let iam = ballast.iam();
    let malformed = [
        "{",
        // Identity policies need resources…
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ssm:GetParameter"}}"#,
        // …and may not name a principal.
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}"#,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"GetParameter","Resource":"*"}}"#,
    ];
    for document in malformed {
        let error = iam
            .create_policy()
            .policy_name("bad")
            .policy_document(document)
            .send()
            .await
            .unwrap_err();
        assert_error(&error, "MalformedPolicyDocument", 400);
    }
    let local = iam
        .list_policies()
        .scope(PolicyScopeType::Local)
        .send()
        .await
        .unwrap();
    assert!(
        local.policies().is_empty(),
        "a rejected create stored a policy"
    );

    let arn = create_policy(&iam, "dup").await;
    let duplicate = iam
        .create_policy()
        .policy_name("DUP")
        .path("/other/")
        .policy_document(READ_PARAMS)
        .send()
        .await
        .unwrap_err();
    assert_error(&duplicate, "EntityAlreadyExists", 409);
    let bad_version = iam
        .create_policy_version()
        .policy_arn(&arn)
        .policy_document("[]")
        .send()
        .await
        .unwrap_err();
    assert_error(&bad_version, "MalformedPolicyDocument", 400);
    let versions = iam
        .list_policy_versions()
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(versions.versions().len(), 1);

    // The model wants 20 to 2048 characters; a long enough non-ARN is the
    // service's InvalidInput.
    let not_an_arn = iam
        .get_policy()
        .policy_arn("this-is-not-an-arn-at-all")
        .send()
        .await
        .unwrap_err();
    assert_error(&not_an_arn, "InvalidInput", 400);
    let too_short = iam
        .get_policy()
        .policy_arn("not-an-arn")
        .send()
        .await
        .unwrap_err();
    assert_error(&too_short, "ValidationError", 400);
    let missing = iam
        .get_policy()
        .policy_arn(format!("arn:aws:iam::{ACCOUNT}:policy/nope"))
        .send()
        .await
        .unwrap_err();
    assert_error(&missing, "NoSuchEntity", 404);
    let aws_owned = iam
        .delete_policy()
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .unwrap_err();
    assert_error(&aws_owned, "InvalidInput", 400);
}

#[tokio::test]
async fn aws_managed_policies_by_arn() {
    let ballast = Ballast::start();
    let iam = ballast.iam();
    let admin = iam
        .get_policy()
        .policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
        .send()
        .await
        .unwrap();
    let admin = admin.policy().unwrap();
    assert_eq!(admin.policy_name(), Some("AdministratorAccess"));
    assert_eq!(admin.default_version_id(), Some("v1"));
    let core = iam
        .get_policy_version()
        .policy_arn("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")
        .version_id("v1")
        .send()
        .await
        .unwrap();
    let document = url_decode(core.policy_version().unwrap().document().unwrap());
    assert!(document.contains("ssmmessages:*"), "{document}");
    let service_role = iam
        .get_policy()
        .policy_arn("arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM")
        .send()
        .await
        .unwrap();
    assert_eq!(
        service_role.policy().unwrap().path(),
        Some("/service-role/")
    );

    let aws: Vec<String> = iam
        .list_policies()
        .scope(PolicyScopeType::Aws)
        .max_items(4)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .iter()
        .filter_map(|p| p.policy_name().map(str::to_owned))
        .collect();
    for name in [
        "AdministratorAccess",
        "ReadOnlyAccess",
        "AmazonSSMManagedInstanceCore",
        "AmazonSSMReadOnlyAccess",
        "AmazonSSMFullAccess",
        "AmazonDynamoDBFullAccess",
        "AmazonDynamoDBReadOnlyAccess",
        "AmazonEC2ReadOnlyAccess",
        "AmazonEC2FullAccess",
        "ElasticLoadBalancingFullAccess",
        "ElasticLoadBalancingReadOnly",
        "AutoScalingFullAccess",
        "AutoScalingReadOnlyAccess",
    ] {
        assert!(aws.iter().any(|n| n == name), "{name} missing from {aws:?}");
    }
    let service_roles = iam
        .list_policies()
        .scope(PolicyScopeType::Aws)
        .path_prefix("/service-role/")
        .send()
        .await
        .unwrap();
    assert!(!service_roles.policies().is_empty());
    assert!(
        service_roles
            .policies()
            .iter()
            .all(|p| p.path() == Some("/service-role/"))
    );
}

#[tokio::test]
async fn attached_and_inline_role_policies() {
    let ballast = Ballast::start();
    let iam = ballast.iam();
    create_role(&iam, "app").await;
    let own = create_policy(&iam, "read-params").await;
    let core = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";
    for arn in [own.as_str(), core, core] {
        iam.attach_role_policy()
            .role_name("app")
            .policy_arn(arn)
            .send()
            .await
            .unwrap();
    }
    let attached = iam
        .list_attached_role_policies()
        .role_name("app")
        .send()
        .await
        .unwrap();
    let mut names: Vec<_> = attached
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_name())
        .collect();
    names.sort();
    assert_eq!(names, ["AmazonSSMManagedInstanceCore", "read-params"]);
    let counted = iam.get_policy().policy_arn(&own).send().await.unwrap();
    assert_eq!(counted.policy().unwrap().attachment_count(), Some(1));
    let only_attached = iam
        .list_policies()
        .only_attached(true)
        .send()
        .await
        .unwrap();
    assert_eq!(only_attached.policies().len(), 2);

    let missing = iam
        .attach_role_policy()
        .role_name("app")
        .policy_arn("arn:aws:iam::aws:policy/NoSuchPolicy")
        .send()
        .await
        .unwrap_err();
    assert_error(&missing, "NoSuchEntity", 404);
    let no_role = iam
        .attach_role_policy()
        .role_name("nobody")
        .policy_arn(core)
        .send()
        .await
        .unwrap_err();
    assert_error(&no_role, "NoSuchEntity", 404);

    let in_use = iam
        .delete_policy()
        .policy_arn(&own)
        .send()
        .await
        .unwrap_err();
    assert_error(&in_use, "DeleteConflict", 409);
    let role_in_use = iam.delete_role().role_name("app").send().await.unwrap_err();
    assert_error(&role_in_use, "DeleteConflict", 409);

    // Inline policies.
    iam.put_role_policy()
        .role_name("app")
        .policy_name("inline")
        .policy_document(READ_PARAMS)
        .send()
        .await
        .unwrap();
    let inline = iam
        .get_role_policy()
        .role_name("app")
        .policy_name("inline")
        .send()
        .await
        .unwrap();
    assert_eq!(inline.role_name(), "app");
    assert_eq!(url_decode(inline.policy_document()), READ_PARAMS);
    let malformed = iam
        .put_role_policy()
        .role_name("app")
        .policy_name("broken")
        .policy_document(r#"{"Statement":{"Effect":"Allow","Action":"ssm:*"}}"#)
        .send()
        .await
        .unwrap_err();
    assert_error(&malformed, "MalformedPolicyDocument", 400);
    let listed = iam
        .list_role_policies()
        .role_name("app")
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed.policy_names(),
        ["inline"],
        "a rejected put stored a policy"
    );

    for arn in [own.as_str(), core] {
        iam.detach_role_policy()
            .role_name("app")
            .policy_arn(arn)
            .send()
            .await
            .unwrap();
    }
    let not_attached = iam
        .detach_role_policy()
        .role_name("app")
        .policy_arn(core)
        .send()
        .await
        .unwrap_err();
    assert_error(&not_attached, "NoSuchEntity", 404);
    let inline_left = iam.delete_role().role_name("app").send().await.unwrap_err();
    assert_error(&inline_left, "DeleteConflict", 409);
    iam.delete_role_policy()
        .role_name("app")
        .policy_name("inline")
        .send()
        .await
        .unwrap();
    let no_inline = iam
        .get_role_policy()
        .role_name("app")
        .policy_name("inline")
        .send()
        .await
        .unwrap_err();
    assert_error(&no_inline, "NoSuchEntity", 404);
    iam.delete_role().role_name("app").send().await.unwrap();
    iam.delete_policy().policy_arn(&own).send().await.unwrap();
}

#[tokio::test]
async fn a_role_holds_at_most_ten_managed_policies() {
    let ballast = Ballast::start();
    let iam = ballast.iam();
    create_role(&iam, "busy").await;
    for i in 0..10 {
        let arn = create_policy(&iam, &format!("p{i}")).await;
        iam.attach_role_policy()
            .role_name("busy")
            .policy_arn(arn)
            .send()
            .await
            .unwrap();
    }
    let eleventh = iam
        .attach_role_policy()
        .role_name("busy")
        .policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
        .send()
        .await
        .unwrap_err();
    assert_error(&eleventh, "LimitExceeded", 409);
    let pages: Vec<String> = iam
        .list_attached_role_policies()
        .role_name("busy")
        .max_items(3)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .iter()
        .filter_map(|p| p.policy_name().map(str::to_owned))
        .collect();
    assert_eq!(pages.len(), 10);
}

#[tokio::test]
async fn instance_profiles_hold_one_role() {
    let ballast = Ballast::start();
    let iam = ballast.iam();
    create_role(&iam, "web").await;
    create_role(&iam, "other").await;
    let created = iam
        .create_instance_profile()
        .instance_profile_name("web-profile")
        .send()
        .await
        .unwrap();
    let profile = created.instance_profile().unwrap();
    assert_eq!(
        profile.arn(),
        format!("arn:aws:iam::{ACCOUNT}:instance-profile/web-profile")
    );
    assert!(profile.instance_profile_id().starts_with("AIPA"));
    assert_eq!(profile.instance_profile_id().len(), 21);
    assert!(profile.roles().is_empty());
    let duplicate = iam
        .create_instance_profile()
        .instance_profile_name("web-profile")
        .send()
        .await
        .unwrap_err();
    assert_error(&duplicate, "EntityAlreadyExists", 409);

    iam.add_role_to_instance_profile()
        .instance_profile_name("web-profile")
        .role_name("web")
        .send()
        .await
        .unwrap();
    let second = iam
        .add_role_to_instance_profile()
        .instance_profile_name("web-profile")
        .role_name("other")
        .send()
        .await
        .unwrap_err();
    assert_error(&second, "LimitExceeded", 409);
    let got = iam
        .get_instance_profile()
        .instance_profile_name("web-profile")
        .send()
        .await
        .unwrap();
    let roles = got.instance_profile().unwrap().roles();
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0].role_name(), "web");
    assert_eq!(
        url_decode(roles[0].assume_role_policy_document().unwrap()),
        TRUST_EC2
    );
    let for_role = iam
        .list_instance_profiles_for_role()
        .role_name("web")
        .send()
        .await
        .unwrap();
    assert_eq!(for_role.instance_profiles().len(), 1);
    let none = iam
        .list_instance_profiles_for_role()
        .role_name("other")
        .send()
        .await
        .unwrap();
    assert!(none.instance_profiles().is_empty());

    let role_in_profile = iam.delete_role().role_name("web").send().await.unwrap_err();
    assert_error(&role_in_profile, "DeleteConflict", 409);
    let profile_with_role = iam
        .delete_instance_profile()
        .instance_profile_name("web-profile")
        .send()
        .await
        .unwrap_err();
    assert_error(&profile_with_role, "DeleteConflict", 409);
    let not_in_it = iam
        .remove_role_from_instance_profile()
        .instance_profile_name("web-profile")
        .role_name("other")
        .send()
        .await
        .unwrap_err();
    assert_error(&not_in_it, "NoSuchEntity", 404);

    iam.remove_role_from_instance_profile()
        .instance_profile_name("web-profile")
        .role_name("web")
        .send()
        .await
        .unwrap();
    iam.delete_instance_profile()
        .instance_profile_name("web-profile")
        .send()
        .await
        .unwrap();
    let gone = iam
        .get_instance_profile()
        .instance_profile_name("web-profile")
        .send()
        .await
        .unwrap_err();
    assert_error(&gone, "NoSuchEntity", 404);
    let no_profile = iam
        .add_role_to_instance_profile()
        .instance_profile_name("web-profile")
        .role_name("web")
        .send()
        .await
        .unwrap_err();
    assert_error(&no_profile, "NoSuchEntity", 404);
    iam.delete_role().role_name("web").send().await.unwrap();
}

#[tokio::test]
async fn lists_page_with_marker_and_max_items() {
    let ballast = Ballast::start();
    let iam = ballast.iam();
    let mut expected = Vec::new();
    for i in 0..7 {
        let name = format!("role-{i}");
        create_role(&iam, &name).await;
        iam.create_instance_profile()
            .instance_profile_name(format!("profile-{i}"))
            .path("/paged/")
            .send()
            .await
            .unwrap();
        iam.put_role_policy()
            .role_name("role-0")
            .policy_name(format!("inline-{i}"))
            .policy_document(READ_PARAMS)
            .send()
            .await
            .unwrap();
        expected.push(name);
    }
    let first = iam.list_roles().max_items(3).send().await.unwrap();
    assert_eq!(first.roles().len(), 3);
    assert!(first.is_truncated());
    let marker = first.marker().unwrap().to_owned();
    let second = iam
        .list_roles()
        .max_items(3)
        .marker(&marker)
        .send()
        .await
        .unwrap();
    assert_eq!(second.roles()[0].role_name(), "role-3");

    let paged: Vec<String> = iam
        .list_roles()
        .max_items(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .iter()
        .map(|r| r.role_name().to_owned())
        .collect();
    assert_eq!(paged, expected);

    let profiles: Vec<String> = iam
        .list_instance_profiles()
        .path_prefix("/paged/")
        .max_items(3)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .iter()
        .map(|p| p.instance_profile_name().to_owned())
        .collect();
    assert_eq!(profiles.len(), 7);

    let inline: Vec<String> = iam
        .list_role_policies()
        .role_name("role-0")
        .max_items(4)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(inline.len(), 7);

    let zero = iam.list_roles().max_items(0).send().await.unwrap_err();
    assert_error(&zero, "ValidationError", 400);
    let bad_marker = iam.list_roles().marker("zz").send().await.unwrap_err();
    assert_error(&bad_marker, "ValidationError", 400);
}

#[tokio::test]
async fn waiters_pass_for_existing_resources() {
    let ballast = Ballast::start();
    let iam = ballast.iam();
    create_role(&iam, "waited").await;
    let arn = create_policy(&iam, "waited-policy").await;
    iam.create_instance_profile()
        .instance_profile_name("waited-profile")
        .send()
        .await
        .unwrap();
    let deadline = Duration::from_secs(30);
    iam.wait_until_role_exists()
        .role_name("waited")
        .wait(deadline)
        .await
        .unwrap();
    iam.wait_until_instance_profile_exists()
        .instance_profile_name("waited-profile")
        .wait(deadline)
        .await
        .unwrap();
    iam.wait_until_policy_exists()
        .policy_arn(arn)
        .wait(deadline)
        .await
        .unwrap();
}

#[tokio::test]
async fn iam_is_global_on_a_server_of_another_region() {
    let ballast = Ballast::start_with(&["--region", "eu-west-1"]);
    // aws-sdk-iam configured for the server's region…
    let eu = ballast
        .config()
        .to_builder()
        .region(aws_config::Region::new("eu-west-1"))
        .build();
    let iam = Client::new(&eu);
    create_role(&iam, "global").await;
    let role = iam.get_role().role_name("global").send().await.unwrap();
    assert_eq!(
        role.role().unwrap().arn(),
        format!("arn:aws:iam::{ACCOUNT}:role/global"),
        "IAM ARNs carry no region"
    );
    // …and the default client, which signs for us-east-1 as IAM clients do.
    let us = ballast.iam();
    let listed = us.list_roles().send().await.unwrap();
    assert_eq!(listed.roles().len(), 1);
    // A raw request signed with a us-east-1 scope.
    let raw = RawRequest::query("iam", "Action=ListRoles&Version=2010-05-08")
        .send(&ballast.endpoint, true)
        .await;
    assert_eq!(raw.status, 200, "{}", raw.body);
    assert!(
        raw.body.contains("<RoleName>global</RoleName>"),
        "{}",
        raw.body
    );
    assert!(
        raw.body.contains("<IsTruncated>false</IsTruncated>"),
        "{}",
        raw.body
    );
}

#[tokio::test]
async fn empty_results_have_only_response_metadata() {
    let ballast = Ballast::start();
    create_role(&ballast.iam(), "r").await;
    let raw = RawRequest::query("iam", "Action=DeleteRole&Version=2010-05-08&RoleName=r")
        .send(&ballast.endpoint, true)
        .await;
    assert_eq!(raw.status, 200, "{}", raw.body);
    assert!(raw.body.starts_with("<DeleteRoleResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ResponseMetadata>"), "{}", raw.body);
    let missing = RawRequest::query("iam", "Action=GetRole&Version=2010-05-08&RoleName=r")
        .send(&ballast.endpoint, true)
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.error_code().as_deref(), Some("NoSuchEntity"));
    assert!(
        missing.body.contains("<Type>Sender</Type>"),
        "{}",
        missing.body
    );
}

/// A user's life with aws-sdk-rust: created, given an access key that a
/// program then signs with (acting as the user, allowed what its policies
/// allow), policies attached and put, the key made inactive, everything
/// listed and removed again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_with_an_access_key_acts_with_its_policies() {
    let ballast = Ballast::start();
    let iam = ballast.iam();
    let created = iam
        .create_user()
        .user_name("ci-bot")
        .path("/automation/")
        .tags(
            Tag::builder()
                .key("team")
                .value("platform")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("CreateUser");
    let user = created.user().expect("User");
    assert_eq!(
        user.arn(),
        format!("arn:aws:iam::{ACCOUNT}:user/automation/ci-bot")
    );
    assert!(user.user_id().starts_with("AIDA"));
    let key = iam
        .create_access_key()
        .user_name("ci-bot")
        .send()
        .await
        .expect("CreateAccessKey");
    let key = key.access_key().expect("AccessKey");
    let as_user = ballast.config_with(key.access_key_id(), key.secret_access_key());
    let who = aws_sdk_sts::Client::new(&as_user)
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity as the user");
    assert_eq!(who.arn(), Some(user.arn()));

    let ssm = aws_sdk_ssm::Client::new(&as_user);
    ballast
        .ssm()
        .put_parameter()
        .name("/app/greeting")
        .value("hi")
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .send()
        .await
        .unwrap();
    let refused = ssm
        .get_parameter()
        .name("/app/greeting")
        .send()
        .await
        .expect_err("no policy yet");
    assert_eq!(error_code(&refused), "AccessDeniedException");
    iam.put_user_policy()
        .user_name("ci-bot")
        .policy_name("read-params")
        .policy_document(READ_PARAMS)
        .send()
        .await
        .expect("PutUserPolicy");
    ssm.get_parameter()
        .name("/app/greeting")
        .send()
        .await
        .expect("allowed by the inline policy");
    let got = iam
        .get_user_policy()
        .user_name("ci-bot")
        .policy_name("read-params")
        .send()
        .await
        .expect("GetUserPolicy");
    assert!(url_decode(got.policy_document()).contains("ssm:GetParameter"));
    let names = iam
        .list_user_policies()
        .user_name("ci-bot")
        .send()
        .await
        .expect("ListUserPolicies");
    assert_eq!(names.policy_names(), ["read-params"]);
    iam.attach_user_policy()
        .user_name("ci-bot")
        .policy_arn("arn:aws:iam::aws:policy/IAMReadOnlyAccess")
        .send()
        .await
        .expect("AttachUserPolicy");
    let attached = iam
        .list_attached_user_policies()
        .user_name("ci-bot")
        .send()
        .await
        .expect("ListAttachedUserPolicies");
    assert_eq!(
        attached.attached_policies()[0].policy_name(),
        Some("IAMReadOnlyAccess")
    );
    let me = aws_sdk_iam::Client::new(&as_user)
        .get_user()
        .send()
        .await
        .expect("GetUser without a name is the caller");
    assert_eq!(me.user().map(|u| u.user_name()), Some("ci-bot"));
    let users = iam
        .list_users()
        .path_prefix("/automation/")
        .send()
        .await
        .expect("ListUsers");
    assert_eq!(users.users().len(), 1);

    let refused = iam
        .delete_user()
        .user_name("ci-bot")
        .send()
        .await
        .expect_err("the user still has keys and policies");
    assert_error(&refused, "DeleteConflict", 409);
    iam.update_access_key()
        .user_name("ci-bot")
        .access_key_id(key.access_key_id())
        .status(aws_sdk_iam::types::StatusType::Inactive)
        .send()
        .await
        .expect("UpdateAccessKey");
    let keys = iam
        .list_access_keys()
        .user_name("ci-bot")
        .send()
        .await
        .expect("ListAccessKeys");
    assert_eq!(
        keys.access_key_metadata()[0].status(),
        Some(&aws_sdk_iam::types::StatusType::Inactive)
    );
    let refused = ssm
        .get_parameter()
        .name("/app/greeting")
        .send()
        .await
        .expect_err("an inactive key signs nothing");
    // The JSON services' word for a key they do not know, as on AWS.
    assert_eq!(error_code(&refused), "UnrecognizedClientException");

    iam.detach_user_policy()
        .user_name("ci-bot")
        .policy_arn("arn:aws:iam::aws:policy/IAMReadOnlyAccess")
        .send()
        .await
        .expect("DetachUserPolicy");
    iam.delete_user_policy()
        .user_name("ci-bot")
        .policy_name("read-params")
        .send()
        .await
        .expect("DeleteUserPolicy");
    iam.delete_access_key()
        .user_name("ci-bot")
        .access_key_id(key.access_key_id())
        .send()
        .await
        .expect("DeleteAccessKey");
    iam.delete_user()
        .user_name("ci-bot")
        .send()
        .await
        .expect("DeleteUser");
    let refused = iam
        .get_user()
        .user_name("ci-bot")
        .send()
        .await
        .expect_err("gone");
    assert_error(&refused, "NoSuchEntity", 404);
}

/// Groups through aws-sdk-iam: a user who joins a group is allowed what the
/// group's policies allow and loses it on leaving; the group lists its
/// members, refuses deletion while it has members or policies, and every
/// group operation answers AWS's errors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_lends_its_policies_to_its_members() {
    let ballast = Ballast::start();
    let iam = ballast.iam();
    let group = iam
        .create_group()
        .group_name("deployers")
        .path("/ci/")
        .send()
        .await
        .expect("CreateGroup");
    let group = group.group().expect("Group");
    assert_eq!(
        group.arn(),
        format!("arn:aws:iam::{ACCOUNT}:group/ci/deployers")
    );
    assert!(group.group_id().starts_with("AGPA"));
    assert_error(
        &iam.create_group()
            .group_name("Deployers")
            .send()
            .await
            .expect_err("refused"),
        "EntityAlreadyExists",
        409,
    );
    iam.create_user()
        .user_name("builder")
        .send()
        .await
        .expect("CreateUser");
    let key = iam
        .create_access_key()
        .user_name("builder")
        .send()
        .await
        .expect("CreateAccessKey");
    let key = key.access_key().expect("AccessKey");
    let as_user = ballast.config_with(key.access_key_id(), key.secret_access_key());
    let ssm = aws_sdk_ssm::Client::new(&as_user);
    ballast
        .ssm()
        .put_parameter()
        .name("/app/release")
        .value("v1")
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .send()
        .await
        .unwrap();
    let read = || ssm.get_parameter().name("/app/release").send();
    assert_eq!(
        error_code(&read().await.expect_err("no group yet")),
        "AccessDeniedException"
    );

    iam.put_group_policy()
        .group_name("deployers")
        .policy_name("read-params")
        .policy_document(READ_PARAMS)
        .send()
        .await
        .expect("PutGroupPolicy");
    iam.attach_group_policy()
        .group_name("deployers")
        .policy_arn("arn:aws:iam::aws:policy/IAMReadOnlyAccess")
        .send()
        .await
        .expect("AttachGroupPolicy");
    iam.add_user_to_group()
        .group_name("deployers")
        .user_name("builder")
        .send()
        .await
        .expect("AddUserToGroup");
    read().await.expect("allowed by the group's inline policy");
    let mine = aws_sdk_iam::Client::new(&as_user)
        .list_groups_for_user()
        .user_name("builder")
        .send()
        .await
        .expect("ListGroupsForUser, allowed by the group's managed policy");
    assert_eq!(mine.groups()[0].group_name(), "deployers");

    let got = iam
        .get_group()
        .group_name("deployers")
        .send()
        .await
        .expect("GetGroup");
    assert_eq!(got.group().map(|g| g.path()), Some("/ci/"));
    assert_eq!(got.users()[0].user_name(), "builder");
    let listed = iam.list_groups().path_prefix("/ci/").send().await.unwrap();
    assert_eq!(listed.groups().len(), 1);
    let names = iam
        .list_group_policies()
        .group_name("deployers")
        .send()
        .await
        .expect("ListGroupPolicies");
    assert_eq!(names.policy_names(), ["read-params"]);
    let policy = iam
        .get_group_policy()
        .group_name("deployers")
        .policy_name("read-params")
        .send()
        .await
        .expect("GetGroupPolicy");
    assert!(url_decode(policy.policy_document()).contains("ssm:GetParameter"));
    let attached = iam
        .list_attached_group_policies()
        .group_name("deployers")
        .send()
        .await
        .expect("ListAttachedGroupPolicies");
    assert_eq!(
        attached.attached_policies()[0].policy_name(),
        Some("IAMReadOnlyAccess")
    );

    assert_error(
        &iam.delete_group()
            .group_name("deployers")
            .send()
            .await
            .expect_err("refused"),
        "DeleteConflict",
        409,
    );
    assert_error(
        &iam.delete_user()
            .user_name("builder")
            .send()
            .await
            .expect_err("refused"),
        "DeleteConflict",
        409,
    );
    iam.remove_user_from_group()
        .group_name("deployers")
        .user_name("builder")
        .send()
        .await
        .expect("RemoveUserFromGroup");
    assert_eq!(
        error_code(&read().await.expect_err("no longer a member")),
        "AccessDeniedException"
    );
    iam.delete_group_policy()
        .group_name("deployers")
        .policy_name("read-params")
        .send()
        .await
        .expect("DeleteGroupPolicy");
    iam.detach_group_policy()
        .group_name("deployers")
        .policy_arn("arn:aws:iam::aws:policy/IAMReadOnlyAccess")
        .send()
        .await
        .expect("DetachGroupPolicy");
    iam.delete_group()
        .group_name("deployers")
        .send()
        .await
        .expect("DeleteGroup");
    assert_error(
        &iam.get_group()
            .group_name("deployers")
            .send()
            .await
            .expect_err("refused"),
        "NoSuchEntity",
        404,
    );
    assert_error(
        &iam.add_user_to_group()
            .group_name("deployers")
            .user_name("builder")
            .send()
            .await
            .expect_err("refused"),
        "NoSuchEntity",
        404,
    );
}

/// Login profiles through aws-sdk-iam: created with a password that meets
/// IAM's default policy (never shown again), read, updated, in the way of
/// DeleteUser, and deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_login_profile_lives_and_goes() {
    let ballast = Ballast::start();
    let iam = ballast.iam();
    iam.create_user()
        .user_name("operator")
        .send()
        .await
        .expect("CreateUser");
    assert_error(
        &iam.get_login_profile()
            .user_name("operator")
            .send()
            .await
            .expect_err("none yet"),
        "NoSuchEntity",
        404,
    );
    assert_error(
        &iam.create_login_profile()
            .user_name("operator")
            .password("short")
            .send()
            .await
            .expect_err("too weak"),
        "PasswordPolicyViolation",
        400,
    );
    let created = iam
        .create_login_profile()
        .user_name("operator")
        .password("Corr3ct-horse")
        .password_reset_required(true)
        .send()
        .await
        .expect("CreateLoginProfile");
    let profile = created.login_profile().expect("LoginProfile");
    assert_eq!(profile.user_name(), "operator");
    assert!(profile.password_reset_required());
    iam.update_login_profile()
        .user_name("operator")
        .password_reset_required(false)
        .send()
        .await
        .expect("UpdateLoginProfile");
    let got = iam
        .get_login_profile()
        .user_name("operator")
        .send()
        .await
        .expect("GetLoginProfile");
    assert_eq!(
        got.login_profile().map(|p| p.password_reset_required()),
        Some(false)
    );
    assert_error(
        &iam.delete_user()
            .user_name("operator")
            .send()
            .await
            .expect_err("profile left"),
        "DeleteConflict",
        409,
    );
    iam.delete_login_profile()
        .user_name("operator")
        .send()
        .await
        .expect("DeleteLoginProfile");
    iam.delete_user()
        .user_name("operator")
        .send()
        .await
        .expect("DeleteUser");
}

/// A throwaway 2048-bit key from `ssh-keygen`, in OpenSSH and PEM form.
const SSH_KEY: &str = include_str!("../../../../crates/ballast-core/src/iam/testdata/rsa2048.pub");
const SSH_KEY_PEM: &str =
    include_str!("../../../../crates/ballast-core/src/iam/testdata/rsa2048.pem");

#[tokio::test]
async fn a_users_ssh_public_keys_and_credential_lists() {
    use aws_sdk_iam::types::{EncodingType, StatusType};
    let ballast = Ballast::start();
    let iam = ballast.iam();
    iam.create_user()
        .user_name("coder")
        .send()
        .await
        .expect("CreateUser");
    let uploaded = iam
        .upload_ssh_public_key()
        .user_name("coder")
        .ssh_public_key_body(SSH_KEY)
        .send()
        .await
        .expect("UploadSSHPublicKey");
    let key = uploaded.ssh_public_key().expect("SSHPublicKey");
    let id = key.ssh_public_key_id().to_owned();
    assert_eq!(key.status(), &StatusType::Active);
    assert_eq!(key.fingerprint().len(), 47);
    assert_error(
        &iam.upload_ssh_public_key()
            .user_name("coder")
            .ssh_public_key_body(SSH_KEY_PEM)
            .send()
            .await
            .expect_err("the same key again"),
        "DuplicateSSHPublicKey",
        400,
    );
    assert_error(
        &iam.upload_ssh_public_key()
            .user_name("coder")
            .ssh_public_key_body("not a key")
            .send()
            .await
            .expect_err("not a key"),
        "UnrecognizedPublicKeyEncoding",
        400,
    );
    let pem = iam
        .get_ssh_public_key()
        .user_name("coder")
        .ssh_public_key_id(&id)
        .encoding(EncodingType::Pem)
        .send()
        .await
        .expect("GetSSHPublicKey");
    assert_eq!(
        pem.ssh_public_key().map(|k| k.ssh_public_key_body()),
        Some(SSH_KEY_PEM)
    );
    iam.update_ssh_public_key()
        .user_name("coder")
        .ssh_public_key_id(&id)
        .status(StatusType::Inactive)
        .send()
        .await
        .expect("UpdateSSHPublicKey");
    let listed = iam
        .list_ssh_public_keys()
        .user_name("coder")
        .send()
        .await
        .expect("ListSSHPublicKeys");
    let statuses: Vec<_> = listed
        .ssh_public_keys()
        .iter()
        .map(|k| (k.ssh_public_key_id(), k.status().clone()))
        .collect();
    assert_eq!(statuses, [(id.as_str(), StatusType::Inactive)]);

    let mfa = iam
        .list_mfa_devices()
        .user_name("coder")
        .send()
        .await
        .expect("ListMFADevices");
    assert!(mfa.mfa_devices().is_empty());
    let certificates = iam
        .list_signing_certificates()
        .user_name("coder")
        .send()
        .await
        .expect("ListSigningCertificates");
    assert!(certificates.certificates().is_empty());
    let credentials = iam
        .list_service_specific_credentials()
        .user_name("coder")
        .send()
        .await
        .expect("ListServiceSpecificCredentials");
    assert!(credentials.service_specific_credentials().is_empty());
    assert_error(
        &iam.list_mfa_devices()
            .user_name("nobody")
            .send()
            .await
            .expect_err("no such user"),
        "NoSuchEntity",
        404,
    );

    assert_error(
        &iam.delete_user()
            .user_name("coder")
            .send()
            .await
            .expect_err("a key left"),
        "DeleteConflict",
        409,
    );
    iam.delete_ssh_public_key()
        .user_name("coder")
        .ssh_public_key_id(&id)
        .send()
        .await
        .expect("DeleteSSHPublicKey");
    iam.delete_user()
        .user_name("coder")
        .send()
        .await
        .expect("DeleteUser");
}

#[tokio::test]
async fn list_entities_for_policy_names_who_holds_it() {
    use aws_sdk_iam::types::EntityType;
    let ballast = Ballast::start();
    let iam = ballast.iam();
    let policy = iam
        .create_policy()
        .policy_name("read-params")
        .policy_document(READ_PARAMS)
        .send()
        .await
        .expect("CreatePolicy");
    let arn = policy
        .policy()
        .and_then(|p| p.arn())
        .expect("Arn")
        .to_owned();
    iam.create_role()
        .role_name("web")
        .assume_role_policy_document(TRUST_EC2)
        .send()
        .await
        .expect("CreateRole");
    iam.attach_role_policy()
        .role_name("web")
        .policy_arn(&arn)
        .send()
        .await
        .expect("AttachRolePolicy");
    iam.create_group()
        .group_name("ops")
        .send()
        .await
        .expect("CreateGroup");
    iam.attach_group_policy()
        .group_name("ops")
        .policy_arn(&arn)
        .send()
        .await
        .expect("AttachGroupPolicy");

    let all = iam
        .list_entities_for_policy()
        .policy_arn(&arn)
        .send()
        .await
        .expect("ListEntitiesForPolicy");
    let roles: Vec<_> = all
        .policy_roles()
        .iter()
        .filter_map(|r| r.role_name())
        .collect();
    let groups: Vec<_> = all
        .policy_groups()
        .iter()
        .filter_map(|g| g.group_name())
        .collect();
    assert_eq!((roles, groups), (vec!["web"], vec!["ops"]));
    assert!(all.policy_users().is_empty());
    let only_groups = iam
        .list_entities_for_policy()
        .policy_arn(&arn)
        .entity_filter(EntityType::Group)
        .send()
        .await
        .expect("ListEntitiesForPolicy with a filter");
    assert!(only_groups.policy_roles().is_empty());
    assert_eq!(only_groups.policy_groups().len(), 1);
    assert_error(
        &iam.list_entities_for_policy()
            .policy_arn(format!("arn:aws:iam::{ACCOUNT}:policy/none"))
            .send()
            .await
            .expect_err("no such policy"),
        "NoSuchEntity",
        404,
    );
}
