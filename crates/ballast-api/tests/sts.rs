//! STS in process: AssumeRole's trust checks, limits and errors, and what
//! the session it issues may do (the role's policies, narrowed by session
//! policies), as a caller signed with those credentials sees it.

// Integration tests unwrap freely; the product code may not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{Api, Call, Reply, Signer};

fn sts(action: &str, params: &[(&str, &str)]) -> Call {
    Call::query("sts", action, params)
}

fn ssm(operation: &str, body: serde_json::Value) -> Call {
    Call::json("ssm", operation, body)
}

async fn account(api: &Api) -> String {
    api.root(sts("GetCallerIdentity", &[]))
        .await
        .ok()
        .xml("Account")
        .expect("Account")
}

/// A role trusting `principal` (a trust policy's `Principal` value) with
/// `permissions` as its inline policy; its ARN.
async fn role(
    api: &Api,
    name: &str,
    principal: &str,
    permissions: &str,
    extra: &[(&str, &str)],
) -> String {
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRole"}}]}}"#
    );
    let mut params = vec![
        ("RoleName", name),
        ("AssumeRolePolicyDocument", trust.as_str()),
    ];
    params.extend_from_slice(extra);
    let arn = api
        .root(Call::query("iam", "CreateRole", &params))
        .await
        .ok()
        .xml("Arn")
        .expect("role ARN");
    api.root(Call::query(
        "iam",
        "PutRolePolicy",
        &[
            ("RoleName", name),
            ("PolicyName", "permissions"),
            ("PolicyDocument", permissions),
        ],
    ))
    .await
    .ok();
    arn
}

const SSM_ALL: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:*","sts:AssumeRole"],"Resource":"*"}]}"#;

async fn assume(api: &Api, signer: &Signer, params: &[(&str, &str)]) -> Reply {
    api.call(signer, sts("AssumeRole", params)).await
}

/// Credentials of a new session of `role_arn`, assumed by `signer`.
async fn session_of(api: &Api, signer: &Signer, role_arn: &str, name: &str) -> Signer {
    let reply = assume(
        api,
        signer,
        &[("RoleArn", role_arn), ("RoleSessionName", name)],
    )
    .await
    .ok();
    Signer::from_credentials(&reply).unwrap()
}

#[track_caller]
fn assert_refused(reply: &Reply, status: u16, code: &str, says: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    reply.assert_code(code);
    assert!(reply.body.contains(says), "{says:?} in {}", reply.body);
}

#[tokio::test]
async fn a_role_trusting_the_account_is_assumed_and_its_session_acts_as_the_role() {
    let api = Api::new();
    let account = account(&api).await;
    let arn = role(
        &api,
        "deployer",
        &format!(r#"{{"AWS":"{account}"}}"#),
        SSM_ALL,
        &[],
    )
    .await;

    let reply = assume(
        &api,
        &Signer::root(),
        &[("RoleArn", &arn), ("RoleSessionName", "release-42")],
    )
    .await
    .ok();
    let session_arn = format!("arn:aws:sts::{account}:assumed-role/deployer/release-42");
    assert_eq!(reply.xml("Arn").as_deref(), Some(session_arn.as_str()));
    let role_id = api
        .root(Call::query("iam", "GetRole", &[("RoleName", "deployer")]))
        .await
        .ok()
        .xml("RoleId")
        .unwrap();
    assert_eq!(
        reply.xml("AssumedRoleId"),
        Some(format!("{role_id}:release-42"))
    );
    assert!(reply.xml("AccessKeyId").unwrap().starts_with("ASIA"));
    assert!(reply.xml("Expiration").is_some());
    assert!(
        reply.xml("PackedPolicySize").is_none(),
        "no session policy, no size"
    );

    let session = Signer::from_credentials(&reply).unwrap();
    let me = api.call(&session, sts("GetCallerIdentity", &[])).await.ok();
    assert_eq!(me.xml("Arn").as_deref(), Some(session_arn.as_str()));
    api.call(
        &session,
        ssm(
            "PutParameter",
            serde_json::json!({"Name": "/app/colour", "Value": "blue", "Type": "String"}),
        ),
    )
    .await
    .ok();
    let denied = api
        .call(&session, Call::query("iam", "ListRoles", &[]))
        .await;
    assert_refused(
        &denied,
        403,
        "AccessDenied",
        "is not authorized to perform: iam:ListRoles",
    );
}

#[tokio::test]
async fn a_role_is_refused_to_whom_it_does_not_trust_and_to_bad_requests() {
    let api = Api::new();
    let account = account(&api).await;
    let ec2_only = role(
        &api,
        "web",
        r#"{"Service":"ec2.amazonaws.com"}"#,
        SSM_ALL,
        &[],
    )
    .await;
    let root = Signer::root();
    let refused = assume(
        &api,
        &root,
        &[("RoleArn", &ec2_only), ("RoleSessionName", "me")],
    )
    .await;
    assert_refused(
        &refused,
        403,
        "AccessDenied",
        &format!(
            "User: arn:aws:iam::{account}:root is not authorized to perform: sts:AssumeRole on resource: {ec2_only}"
        ),
    );
    // A role that does not exist is refused the same way, as on AWS.
    let missing = format!("arn:aws:iam::{account}:role/nobody");
    let refused = assume(
        &api,
        &root,
        &[("RoleArn", &missing), ("RoleSessionName", "me")],
    )
    .await;
    assert_refused(&refused, 403, "AccessDenied", &missing);
    let refused = assume(
        &api,
        &root,
        &[
            ("RoleArn", "arn:aws:s3:::a-bucket/role/x"),
            ("RoleSessionName", "me"),
        ],
    )
    .await;
    assert_refused(&refused, 400, "ValidationError", "Request ARN is invalid");

    let trusting = role(
        &api,
        "ops",
        r#""*""#,
        SSM_ALL,
        &[("MaxSessionDuration", "3600")],
    )
    .await;
    let refused = assume(
        &api,
        &root,
        &[("RoleArn", &trusting), ("RoleSessionName", "not ok")],
    )
    .await;
    assert_refused(
        &refused,
        400,
        "ValidationError",
        r"Member must satisfy regular expression pattern: [\w+=,.@-]*",
    );
    let refused = assume(
        &api,
        &root,
        &[
            ("RoleArn", &trusting),
            ("RoleSessionName", "me"),
            ("DurationSeconds", "7200"),
        ],
    )
    .await;
    assert_refused(
        &refused,
        400,
        "ValidationError",
        "exceeds the MaxSessionDuration set for this role",
    );
    let refused = assume(
        &api,
        &root,
        &[
            ("RoleArn", &trusting),
            ("RoleSessionName", "me"),
            ("Policy", r#"{"Statement":"#),
        ],
    )
    .await;
    assert_refused(&refused, 400, "MalformedPolicyDocument", "");
    let refused = assume(
        &api,
        &root,
        &[
            ("RoleArn", &trusting),
            ("RoleSessionName", "me"),
            (
                "PolicyArns.member.1.arn",
                "arn:aws:iam::aws:policy/NoSuchPolicy",
            ),
        ],
    )
    .await;
    assert_refused(&refused, 400, "ValidationError", "does not exist");
}

#[tokio::test]
async fn session_policies_narrow_what_the_role_allows() {
    let api = Api::new();
    let arn = role(&api, "ops", r#""*""#, SSM_ALL, &[]).await;
    api.root(ssm(
        "PutParameter",
        serde_json::json!({"Name": "/app/colour", "Value": "blue", "Type": "String"}),
    ))
    .await
    .ok();
    let read_only = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}]}"#;
    let inline = assume(
        &api,
        &Signer::root(),
        &[
            ("RoleArn", &arn),
            ("RoleSessionName", "reader"),
            ("Policy", read_only),
        ],
    )
    .await
    .ok();
    assert!(inline.xml("PackedPolicySize").is_some(), "{}", inline.body);
    let managed = assume(
        &api,
        &Signer::root(),
        &[
            ("RoleArn", &arn),
            ("RoleSessionName", "reader"),
            (
                "PolicyArns.member.1.arn",
                "arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess",
            ),
        ],
    )
    .await
    .ok();
    for reply in [inline, managed] {
        let session = Signer::from_credentials(&reply).unwrap();
        let read = api
            .call(
                &session,
                ssm("GetParameter", serde_json::json!({"Name": "/app/colour"})),
            )
            .await
            .ok();
        assert!(read.body.contains("blue"), "{}", read.body);
        let write = api
            .call(
                &session,
                ssm(
                    "PutParameter",
                    serde_json::json!({"Name": "/app/colour", "Value": "red", "Overwrite": true}),
                ),
            )
            .await;
        assert_refused(
            &write,
            400,
            "AccessDeniedException",
            "because no session policy allows the ssm:PutParameter action",
        );
    }
    let unchanged = api
        .root(ssm(
            "GetParameter",
            serde_json::json!({"Name": "/app/colour"}),
        ))
        .await
        .ok();
    assert!(unchanged.body.contains("blue"), "{}", unchanged.body);
}

#[tokio::test]
async fn a_role_session_assumes_another_role_only_when_allowed_and_for_an_hour_at_most() {
    let api = Api::new();
    let first = role(&api, "ci", r#""*""#, SSM_ALL, &[]).await;
    let second = role(
        &api,
        "prod",
        &format!(r#"{{"AWS":"{first}"}}"#),
        SSM_ALL,
        &[("MaxSessionDuration", "43200")],
    )
    .await;
    let unrelated = role(
        &api,
        "unrelated",
        r#"{"AWS":"arn:aws:iam::000000000000:role/someone-else"}"#,
        SSM_ALL,
        &[],
    )
    .await;
    let ci = session_of(&api, &Signer::root(), &first, "build-7").await;

    let prod = assume(
        &api,
        &ci,
        &[("RoleArn", &second), ("RoleSessionName", "deploy")],
    )
    .await
    .ok();
    assert!(
        prod.xml("Arn")
            .unwrap()
            .ends_with(":assumed-role/prod/deploy")
    );
    let refused = assume(
        &api,
        &ci,
        &[
            ("RoleArn", &second),
            ("RoleSessionName", "deploy"),
            ("DurationSeconds", "7200"),
        ],
    )
    .await;
    assert_refused(
        &refused,
        400,
        "ValidationError",
        "1 hour session limit for roles assumed by role chaining",
    );
    let refused = assume(
        &api,
        &ci,
        &[("RoleArn", &unrelated), ("RoleSessionName", "xx")],
    )
    .await;
    assert_refused(
        &refused,
        403,
        "AccessDenied",
        "assumed-role/ci/build-7 is not authorized to perform: sts:AssumeRole",
    );

    // A session whose own policies do not allow sts:AssumeRole is refused
    // by them, whatever the target trusts.
    let narrow = role(
        &api,
        "narrow",
        r#""*""#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}]}"#,
        &[],
    )
    .await;
    let narrow = session_of(&api, &Signer::root(), &narrow, "nn").await;
    let refused = assume(
        &api,
        &narrow,
        &[("RoleArn", &first), ("RoleSessionName", "xx")],
    )
    .await;
    assert_refused(
        &refused,
        403,
        "AccessDenied",
        "because no identity-based policy allows the sts:AssumeRole action",
    );
}

#[tokio::test]
async fn an_external_id_condition_is_evaluated() {
    let api = Api::new();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"partner-1234"}}}]}"#;
    let arn = api
        .root(Call::query(
            "iam",
            "CreateRole",
            &[("RoleName", "partner"), ("AssumeRolePolicyDocument", trust)],
        ))
        .await
        .ok()
        .xml("Arn")
        .unwrap();
    let root = Signer::root();
    assume(
        &api,
        &root,
        &[
            ("RoleArn", &arn),
            ("RoleSessionName", "pp"),
            ("ExternalId", "partner-1234"),
        ],
    )
    .await
    .ok();
    for external in [Some("partner-9999"), None] {
        let mut params = vec![("RoleArn", arn.as_str()), ("RoleSessionName", "pp")];
        params.extend(external.map(|id| ("ExternalId", id)));
        let refused = assume(&api, &root, &params).await;
        assert_refused(&refused, 403, "AccessDenied", "sts:AssumeRole");
    }
}

/// GetSessionToken: credentials that act as whoever asked (root or an
/// IAM user, with that user's policies), may not call IAM or STS but
/// AssumeRole and GetCallerIdentity, and expire.
#[tokio::test]
async fn session_tokens_act_as_their_user_within_awss_limits() {
    let api = Api::new();
    let account = account(&api).await;
    let iam = |action: &str, params: &[(&str, &str)]| Call::query("iam", action, params);

    // Root's session: root's ARN, one hour at most.
    let reply = api.root(sts("GetSessionToken", &[])).await.ok();
    let root_session = Signer::from_credentials(&reply).unwrap();
    let me = api
        .call(&root_session, sts("GetCallerIdentity", &[]))
        .await
        .ok();
    assert_eq!(me.xml("Arn"), Some(format!("arn:aws:iam::{account}:root")));
    assert_refused(
        &api.call(&root_session, iam("ListUsers", &[])).await,
        403,
        "InvalidClientTokenId",
        "security token included in the request is invalid",
    );
    assert_refused(
        &api.call(&root_session, sts("GetSessionToken", &[])).await,
        403,
        "AccessDenied",
        "Cannot call GetSessionToken with session credentials",
    );
    assert_refused(
        &api.root(sts("GetSessionToken", &[("DurationSeconds", "7200")]))
            .await,
        400,
        "ValidationError",
        "DurationSeconds",
    );
    assert_refused(
        &api.root(sts(
            "GetSessionToken",
            &[
                ("SerialNumber", "arn:aws:iam::000000000000:mfa/me"),
                ("TokenCode", "123456"),
            ],
        ))
        .await,
        403,
        "AccessDenied",
        "MultiFactorAuthentication failed",
    );

    // A user's session: the user's ARN and policies.
    api.root(iam("CreateUser", &[("UserName", "ci")]))
        .await
        .ok();
    api.root(iam(
        "PutUserPolicy",
        &[
            ("UserName", "ci"),
            ("PolicyName", "ssm"),
            ("PolicyDocument", SSM_ALL),
        ],
    ))
    .await
    .ok();
    let key = api
        .root(iam("CreateAccessKey", &[("UserName", "ci")]))
        .await
        .ok();
    let user = Signer::from_access_key(&key).unwrap();
    let reply = api
        .call(&user, sts("GetSessionToken", &[("DurationSeconds", "900")]))
        .await
        .ok();
    let session = Signer::from_credentials(&reply).unwrap();
    let me = api.call(&session, sts("GetCallerIdentity", &[])).await.ok();
    assert_eq!(
        me.xml("Arn"),
        Some(format!("arn:aws:iam::{account}:user/ci"))
    );
    api.call(
        &session,
        ssm(
            "PutParameter",
            serde_json::json!({"Name": "/ci/run", "Value": "1", "Type": "String"}),
        ),
    )
    .await
    .ok();
    let scan = api
        .call(
            &session,
            Call::json("dynamodb", "ListTables", serde_json::json!({})),
        )
        .await;
    scan.assert_code("AccessDeniedException");

    // Fifteen minutes later the session is over.
    api.clock.advance(std::time::Duration::from_secs(901));
    let late = api.call(&session, sts("GetCallerIdentity", &[])).await;
    late.assert_code("ExpiredToken");
}
