//! IAM users in process: their lifecycle, access keys that sign requests
//! as the user (and stop when made inactive or deleted), the user's
//! policies deciding what it may do, and a user assuming a role.

// Integration tests unwrap freely; the product code may not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{Api, Call, Reply, Signer};

fn iam(action: &str, params: &[(&str, &str)]) -> Call {
    Call::query("iam", action, params)
}

fn sts(action: &str, params: &[(&str, &str)]) -> Call {
    Call::query("sts", action, params)
}

fn ssm(operation: &str, body: serde_json::Value) -> Call {
    Call::json("ssm", operation, body)
}

#[track_caller]
fn assert_error(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    reply.assert_code(code);
}

async fn user_with_key(api: &Api, name: &str) -> Signer {
    user_and_key(api, name).await.0
}

/// A new user, and a signer with its first access key and the key's id.
async fn user_and_key(api: &Api, name: &str) -> (Signer, String) {
    api.root(iam("CreateUser", &[("UserName", name)]))
        .await
        .ok();
    let key = api
        .root(iam("CreateAccessKey", &[("UserName", name)]))
        .await
        .ok();
    (
        Signer::from_access_key(&key).unwrap(),
        key.xml("AccessKeyId").unwrap(),
    )
}

#[tokio::test]
async fn users_are_created_read_listed_and_deleted_when_empty() {
    let api = Api::new();
    let created = api
        .root(iam(
            "CreateUser",
            &[
                ("UserName", "Builder"),
                ("Path", "/ci/"),
                ("Tags.member.1.Key", "team"),
                ("Tags.member.1.Value", "platform"),
            ],
        ))
        .await
        .ok();
    let arn = created.xml("Arn").unwrap();
    assert!(arn.ends_with(":user/ci/Builder"), "{arn}");
    assert!(created.xml("UserId").unwrap().starts_with("AIDA"));
    assert_error(
        &api.root(iam("CreateUser", &[("UserName", "builder")]))
            .await,
        409,
        "EntityAlreadyExists",
    );
    let got = api
        .root(iam("GetUser", &[("UserName", "BUILDER")]))
        .await
        .ok();
    assert_eq!(got.xml("UserName").as_deref(), Some("Builder"));
    assert!(got.body.contains("<Value>platform</Value>"), "{}", got.body);
    api.root(iam("CreateUser", &[("UserName", "other")]))
        .await
        .ok();
    let listed = api
        .root(iam("ListUsers", &[("PathPrefix", "/ci/")]))
        .await
        .ok();
    assert!(
        listed.body.contains("Builder") && !listed.body.contains("other"),
        "{}",
        listed.body
    );

    let key = api
        .root(iam("CreateAccessKey", &[("UserName", "Builder")]))
        .await
        .ok();
    assert_error(
        &api.root(iam("DeleteUser", &[("UserName", "Builder")]))
            .await,
        409,
        "DeleteConflict",
    );
    api.root(iam(
        "DeleteAccessKey",
        &[
            ("UserName", "Builder"),
            ("AccessKeyId", &key.xml("AccessKeyId").unwrap()),
        ],
    ))
    .await
    .ok();
    api.root(iam("DeleteUser", &[("UserName", "Builder")]))
        .await
        .ok();
    assert_error(
        &api.root(iam("GetUser", &[("UserName", "Builder")])).await,
        404,
        "NoSuchEntity",
    );
}

#[tokio::test]
async fn an_access_key_signs_as_the_user_until_made_inactive_or_deleted() {
    let api = Api::new();
    let (signer, id) = user_and_key(&api, "ci").await;
    let me = api.call(&signer, sts("GetCallerIdentity", &[])).await.ok();
    assert!(me.xml("Arn").unwrap().ends_with(":user/ci"), "{}", me.body);
    assert!(me.xml("UserId").unwrap().starts_with("AIDA"));
    // GetUser without a name is the caller, and needs no permission it
    // lacks here: it is refused by the user's (empty) policies.
    assert_error(
        &api.call(&signer, iam("GetUser", &[])).await,
        403,
        "AccessDenied",
    );

    api.root(iam("CreateAccessKey", &[("UserName", "ci")]))
        .await
        .ok();
    assert_error(
        &api.root(iam("CreateAccessKey", &[("UserName", "ci")]))
            .await,
        409,
        "LimitExceeded",
    );
    let keys = api
        .root(iam("ListAccessKeys", &[("UserName", "ci")]))
        .await
        .ok();
    assert_eq!(
        keys.body.matches("<AccessKeyId>").count(),
        2,
        "{}",
        keys.body
    );
    assert!(
        !keys.body.contains("SecretAccessKey"),
        "secrets are shown once"
    );

    api.root(iam(
        "UpdateAccessKey",
        &[
            ("UserName", "ci"),
            ("AccessKeyId", &id),
            ("Status", "Inactive"),
        ],
    ))
    .await
    .ok();
    assert_error(
        &api.call(&signer, sts("GetCallerIdentity", &[])).await,
        403,
        "InvalidClientTokenId",
    );
    api.root(iam(
        "UpdateAccessKey",
        &[
            ("UserName", "ci"),
            ("AccessKeyId", &id),
            ("Status", "Active"),
        ],
    ))
    .await
    .ok();
    api.call(&signer, sts("GetCallerIdentity", &[])).await.ok();
    assert_error(
        &api.root(iam(
            "DeleteAccessKey",
            &[("UserName", "other"), ("AccessKeyId", &id)],
        ))
        .await,
        404,
        "NoSuchEntity",
    );
    api.root(iam(
        "DeleteAccessKey",
        &[("UserName", "ci"), ("AccessKeyId", &id)],
    ))
    .await
    .ok();
    assert_error(
        &api.call(&signer, sts("GetCallerIdentity", &[])).await,
        403,
        "InvalidClientTokenId",
    );
}

#[tokio::test]
async fn a_users_policies_decide_what_it_may_do() {
    let api = Api::new();
    let signer = user_with_key(&api, "reader").await;
    api.root(ssm(
        "PutParameter",
        serde_json::json!({"Name": "/app/x", "Value": "1", "Type": "String"}),
    ))
    .await
    .ok();
    let read = ssm("GetParameter", serde_json::json!({"Name": "/app/x"}));
    assert_error(
        &api.call(&signer, read.clone()).await,
        400,
        "AccessDeniedException",
    );

    api.root(iam(
        "AttachUserPolicy",
        &[
            ("UserName", "reader"),
            (
                "PolicyArn",
                "arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess",
            ),
        ],
    ))
    .await
    .ok();
    api.call(&signer, read.clone()).await.ok();
    let write = ssm(
        "PutParameter",
        serde_json::json!({"Name": "/app/x", "Value": "2", "Overwrite": true}),
    );
    let refused = api.call(&signer, write.clone()).await;
    assert_error(&refused, 400, "AccessDeniedException");
    assert!(
        refused.body.contains(":user/reader is not authorized"),
        "{}",
        refused.body
    );

    api.root(iam(
        "PutUserPolicy",
        &[
            ("UserName", "reader"),
            ("PolicyName", "write-app"),
            ("PolicyDocument", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:PutParameter","Resource":"arn:aws:ssm:*:*:parameter/app/*"}]}"#),
        ],
    ))
    .await
    .ok();
    api.call(&signer, write).await.ok();
    let inline = api
        .root(iam(
            "GetUserPolicy",
            &[("UserName", "reader"), ("PolicyName", "write-app")],
        ))
        .await
        .ok();
    assert!(
        inline.body.contains("ssm%3APutParameter"),
        "URL-encoded: {}",
        inline.body
    );
    let names = api
        .root(iam("ListUserPolicies", &[("UserName", "reader")]))
        .await
        .ok();
    assert!(
        names.body.contains("<member>write-app</member>"),
        "{}",
        names.body
    );
    let attached = api
        .root(iam("ListAttachedUserPolicies", &[("UserName", "reader")]))
        .await
        .ok();
    assert!(
        attached.body.contains("AmazonSSMReadOnlyAccess"),
        "{}",
        attached.body
    );

    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{}","Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}}]}}"#,
        "a".repeat(2000)
    );
    assert_error(
        &api.root(iam(
            "PutUserPolicy",
            &[
                ("UserName", "reader"),
                ("PolicyName", "big"),
                ("PolicyDocument", &big),
            ],
        ))
        .await,
        409,
        "LimitExceeded",
    );
    assert_error(
        &api.root(iam("DeleteUser", &[("UserName", "reader")])).await,
        409,
        "DeleteConflict",
    );
    api.root(iam(
        "DeleteUserPolicy",
        &[("UserName", "reader"), ("PolicyName", "write-app")],
    ))
    .await
    .ok();
    assert_error(
        &api.root(iam(
            "DeleteUserPolicy",
            &[("UserName", "reader"), ("PolicyName", "write-app")],
        ))
        .await,
        404,
        "NoSuchEntity",
    );
    api.root(iam(
        "DetachUserPolicy",
        &[
            ("UserName", "reader"),
            (
                "PolicyArn",
                "arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess",
            ),
        ],
    ))
    .await
    .ok();
    assert_error(&api.call(&signer, read).await, 400, "AccessDeniedException");
}

#[tokio::test]
async fn a_customer_policy_attached_to_a_user_counts_and_blocks_its_deletion() {
    let api = Api::new();
    api.root(iam("CreateUser", &[("UserName", "u1")]))
        .await
        .ok();
    let policy = api
        .root(iam(
            "CreatePolicy",
            &[
                ("PolicyName", "p"),
                ("PolicyDocument", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:*","Resource":"*"}]}"#),
            ],
        ))
        .await
        .ok()
        .xml("Arn")
        .unwrap();
    api.root(iam(
        "AttachUserPolicy",
        &[("UserName", "u1"), ("PolicyArn", &policy)],
    ))
    .await
    .ok();
    let got = api
        .root(iam("GetPolicy", &[("PolicyArn", &policy)]))
        .await
        .ok();
    assert_eq!(
        got.xml("AttachmentCount").as_deref(),
        Some("1"),
        "{}",
        got.body
    );
    assert_error(
        &api.root(iam("DeletePolicy", &[("PolicyArn", &policy)]))
            .await,
        409,
        "DeleteConflict",
    );
}

#[tokio::test]
async fn a_user_assumes_a_role_that_trusts_it_or_its_account() {
    let api = Api::new();
    let signer = user_with_key(&api, "deployer").await;
    let user_arn = api
        .root(iam("GetUser", &[("UserName", "deployer")]))
        .await
        .ok()
        .xml("Arn")
        .unwrap();
    let account = user_arn.split(':').nth(4).unwrap().to_owned();
    for (role, principal) in [
        ("by-user", user_arn.clone()),
        ("by-account", format!("arn:aws:iam::{account}:root")),
    ] {
        let trust = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{principal}"}},"Action":"sts:AssumeRole"}}]}}"#
        );
        api.root(iam(
            "CreateRole",
            &[("RoleName", role), ("AssumeRolePolicyDocument", &trust)],
        ))
        .await
        .ok();
    }
    let role_arn = |name: &str| format!("arn:aws:iam::{account}:role/{name}");
    // The user's own policies must allow sts:AssumeRole too.
    assert_error(
        &api.call(
            &signer,
            sts(
                "AssumeRole",
                &[("RoleArn", &role_arn("by-user")), ("RoleSessionName", "d1")],
            ),
        )
        .await,
        403,
        "AccessDenied",
    );
    api.root(iam(
        "PutUserPolicy",
        &[
            ("UserName", "deployer"),
            ("PolicyName", "assume"),
            ("PolicyDocument", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#),
        ],
    ))
    .await
    .ok();
    for role in ["by-user", "by-account"] {
        let session = api
            .call(
                &signer,
                sts(
                    "AssumeRole",
                    &[("RoleArn", &role_arn(role)), ("RoleSessionName", "d1")],
                ),
            )
            .await
            .ok();
        assert!(
            session
                .xml("Arn")
                .unwrap()
                .ends_with(&format!(":assumed-role/{role}/d1"))
        );
    }
}

#[tokio::test]
async fn a_login_profile_is_created_read_updated_and_blocks_deletion() {
    let api = Api::new();
    let (signer, _) = user_and_key(&api, "console").await;
    let none = api
        .root(iam("GetLoginProfile", &[("UserName", "console")]))
        .await;
    assert_error(&none, 404, "NoSuchEntity");
    assert_eq!(
        none.message(),
        "Login Profile for User console cannot be found."
    );
    let weak = api
        .root(iam(
            "CreateLoginProfile",
            &[("UserName", "console"), ("Password", "password")],
        ))
        .await;
    assert_error(&weak, 400, "PasswordPolicyViolation");
    let created = api
        .root(iam(
            "CreateLoginProfile",
            &[
                ("UserName", "CONSOLE"),
                ("Password", "Str0ng-enough"),
                ("PasswordResetRequired", "true"),
            ],
        ))
        .await
        .ok();
    assert_eq!(created.xml("UserName").as_deref(), Some("console"));
    assert_eq!(
        created.xml("PasswordResetRequired").as_deref(),
        Some("true")
    );
    assert!(
        !created.body.contains("Str0ng"),
        "the password is never shown"
    );
    assert_error(
        &api.root(iam(
            "CreateLoginProfile",
            &[("UserName", "console"), ("Password", "Str0ng-enough")],
        ))
        .await,
        409,
        "EntityAlreadyExists",
    );
    api.root(iam(
        "UpdateLoginProfile",
        &[("UserName", "console"), ("PasswordResetRequired", "false")],
    ))
    .await
    .ok();
    // Without UserName the user's own credentials read their own profile.
    api.root(iam(
        "PutUserPolicy",
        &[
            ("UserName", "console"),
            ("PolicyName", "self"),
            ("PolicyDocument", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetLoginProfile","Resource":"*"}]}"#),
        ],
    ))
    .await
    .ok();
    let mine = api.call(&signer, iam("GetLoginProfile", &[])).await.ok();
    assert_eq!(mine.xml("PasswordResetRequired").as_deref(), Some("false"));
    assert_error(
        &api.root(iam("GetLoginProfile", &[])).await,
        400,
        "ValidationError",
    );

    let conflict = api
        .root(iam("DeleteUser", &[("UserName", "console")]))
        .await;
    assert_error(&conflict, 409, "DeleteConflict");
    assert_eq!(
        conflict.message(),
        "Cannot delete entity, must delete login profile first."
    );
    api.root(iam("DeleteLoginProfile", &[("UserName", "console")]))
        .await
        .ok();
    assert_error(
        &api.root(iam("DeleteLoginProfile", &[("UserName", "console")]))
            .await,
        404,
        "NoSuchEntity",
    );
    assert_error(
        &api.root(iam(
            "UpdateLoginProfile",
            &[("UserName", "console"), ("PasswordResetRequired", "true")],
        ))
        .await,
        404,
        "NoSuchEntity",
    );
}

/// A throwaway 2048-bit key from `ssh-keygen`, in OpenSSH and PEM form.
const SSH_KEY: &str = include_str!("../../ballast-core/src/iam/testdata/rsa2048.pub");
const SSH_KEY_PEM: &str = include_str!("../../ballast-core/src/iam/testdata/rsa2048.pem");

#[tokio::test]
async fn ssh_public_keys_are_uploaded_read_deactivated_and_block_deletion() {
    let api = Api::new();
    let (signer, key_id) = user_and_key(&api, "coder").await;
    let uploaded = api
        .root(iam(
            "UploadSSHPublicKey",
            &[("UserName", "coder"), ("SSHPublicKeyBody", SSH_KEY)],
        ))
        .await
        .ok();
    let id = uploaded.xml("SSHPublicKeyId").unwrap();
    assert!(id.starts_with("APKA"), "{id}");
    assert_eq!(
        uploaded.xml("Fingerprint").as_deref(),
        Some(include_str!("../../ballast-core/src/iam/testdata/rsa2048.md5").trim())
    );
    assert_eq!(uploaded.xml("Status").as_deref(), Some("Active"));
    assert_error(
        &api.root(iam(
            "UploadSSHPublicKey",
            &[("UserName", "coder"), ("SSHPublicKeyBody", SSH_KEY_PEM)],
        ))
        .await,
        400,
        "DuplicateSSHPublicKey",
    );
    assert_error(
        &api.root(iam(
            "UploadSSHPublicKey",
            &[
                ("UserName", "coder"),
                ("SSHPublicKeyBody", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"),
            ],
        ))
        .await,
        400,
        "UnrecognizedPublicKeyEncoding",
    );
    assert_error(
        &api.root(iam(
            "UploadSSHPublicKey",
            &[("UserName", "coder"), ("SSHPublicKeyBody", "ssh-rsa AAAA")],
        ))
        .await,
        400,
        "InvalidPublicKey",
    );
    assert_error(
        &api.root(iam(
            "UploadSSHPublicKey",
            &[("UserName", "nobody"), ("SSHPublicKeyBody", SSH_KEY)],
        ))
        .await,
        404,
        "NoSuchEntity",
    );

    let pem = api
        .root(iam(
            "GetSSHPublicKey",
            &[
                ("UserName", "coder"),
                ("SSHPublicKeyId", &id),
                ("Encoding", "PEM"),
            ],
        ))
        .await
        .ok();
    assert_eq!(pem.xml("SSHPublicKeyBody").as_deref(), Some(SSH_KEY_PEM));
    api.root(iam(
        "UpdateSSHPublicKey",
        &[
            ("UserName", "coder"),
            ("SSHPublicKeyId", &id),
            ("Status", "Inactive"),
        ],
    ))
    .await
    .ok();
    // Without UserName the user's own credentials list their own keys.
    api.root(iam(
        "PutUserPolicy",
        &[
            ("UserName", "coder"),
            ("PolicyName", "self"),
            ("PolicyDocument", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:List*","Resource":"arn:aws:iam::000000000000:user/coder"}]}"#),
        ],
    ))
    .await
    .ok();
    let mine = api.call(&signer, iam("ListSSHPublicKeys", &[])).await.ok();
    assert_eq!(mine.xml("SSHPublicKeyId").as_deref(), Some(id.as_str()));
    assert_eq!(mine.xml("Status").as_deref(), Some("Inactive"));
    for action in [
        "ListMFADevices",
        "ListSigningCertificates",
        "ListServiceSpecificCredentials",
    ] {
        let listed = api.call(&signer, iam(action, &[])).await.ok();
        assert_eq!(
            listed.xml("IsTruncated").as_deref(),
            Some("false"),
            "{action}"
        );
        assert_error(
            &api.root(iam(action, &[("UserName", "nobody")])).await,
            404,
            "NoSuchEntity",
        );
    }

    api.root(iam(
        "DeleteAccessKey",
        &[("UserName", "coder"), ("AccessKeyId", &key_id)],
    ))
    .await
    .ok();
    let conflict = api.root(iam("DeleteUser", &[("UserName", "coder")])).await;
    assert_error(&conflict, 409, "DeleteConflict");
    assert_eq!(
        conflict.message(),
        "Cannot delete entity, must delete SSH public keys first."
    );
    api.root(iam(
        "DeleteSSHPublicKey",
        &[("UserName", "coder"), ("SSHPublicKeyId", &id)],
    ))
    .await
    .ok();
    assert_error(
        &api.root(iam(
            "GetSSHPublicKey",
            &[
                ("UserName", "coder"),
                ("SSHPublicKeyId", &id),
                ("Encoding", "SSH"),
            ],
        ))
        .await,
        404,
        "NoSuchEntity",
    );
}
