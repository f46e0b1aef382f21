//! STS AssumeRole end to end with aws-sdk-rust: a program that takes its
//! credentials from aws-config's `AssumeRoleProvider`, as many do on AWS,
//! acts as the role (GetCallerIdentity, what the role's policy allows and
//! refuses), and AssumeRole refuses a role that does not trust the caller.

use aws_config::sts::AssumeRoleProvider;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_ssm::types::ParameterType;
use ballast_sdk_tests::{Ballast, error_code};

const READ_APP_PARAMS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:*:*:parameter/app/*"}]}"#;

/// A role the account trusts, allowed `permissions`; its ARN.
async fn role(ballast: &Ballast, name: &str, principal: &str, permissions: &str) -> String {
    let iam = ballast.iam();
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRole"}}]}}"#
    );
    let created = iam
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust)
        .send()
        .await
        .expect("CreateRole");
    iam.put_role_policy()
        .role_name(name)
        .policy_name("permissions")
        .policy_document(permissions)
        .send()
        .await
        .expect("PutRolePolicy");
    created.role().expect("role").arn().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_program_on_assume_role_credentials_acts_as_the_role() {
    let ballast = Ballast::start();
    let account = ballast
        .sts()
        .get_caller_identity()
        .send()
        .await
        .unwrap()
        .account()
        .unwrap()
        .to_owned();
    let arn = role(
        &ballast,
        "reader",
        &format!(r#"{{"AWS":"arn:aws:iam::{account}:root"}}"#),
        READ_APP_PARAMS,
    )
    .await;
    for name in ["/app/greeting", "/other/value"] {
        ballast
            .ssm()
            .put_parameter()
            .name(name)
            .value("hello")
            .r#type(ParameterType::String)
            .send()
            .await
            .unwrap();
    }

    let provider = AssumeRoleProvider::builder(&arn)
        .session_name("nightly-report")
        .configure(&ballast.config())
        .build()
        .await;
    let config = ballast
        .config()
        .into_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build();

    let who = aws_sdk_sts::Client::new(&config)
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity as the role");
    assert_eq!(
        who.arn(),
        Some(format!("arn:aws:sts::{account}:assumed-role/reader/nightly-report").as_str())
    );
    let ssm = aws_sdk_ssm::Client::new(&config);
    let read = ssm
        .get_parameter()
        .name("/app/greeting")
        .send()
        .await
        .expect("the role may read /app/*");
    assert_eq!(read.parameter().and_then(|p| p.value()), Some("hello"));
    let refused = ssm
        .get_parameter()
        .name("/other/value")
        .send()
        .await
        .expect_err("the role may not read /other/*");
    assert_eq!(error_code(&refused), "AccessDeniedException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assume_role_answers_the_session_or_refuses_an_untrusting_role() {
    let ballast = Ballast::start();
    let trusting = role(&ballast, "ops", r#"{"AWS":"*"}"#, READ_APP_PARAMS).await;
    let service_only = role(
        &ballast,
        "web",
        r#"{"Service":"ec2.amazonaws.com"}"#,
        READ_APP_PARAMS,
    )
    .await;
    let sts = ballast.sts();

    let out = sts
        .assume_role()
        .role_arn(&trusting)
        .role_session_name("release-42")
        .duration_seconds(900)
        .policy(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}]}"#)
        .source_identity("alice")
        .send()
        .await
        .expect("AssumeRole");
    let user = out.assumed_role_user().expect("AssumedRoleUser");
    assert!(
        user.arn().ends_with(":assumed-role/ops/release-42"),
        "{}",
        user.arn()
    );
    assert!(user.assumed_role_id().ends_with(":release-42"));
    let credentials = out.credentials().expect("Credentials");
    assert!(credentials.access_key_id().starts_with("ASIA"));
    let lifetime = credentials.expiration().secs()
        - aws_sdk_sts::primitives::DateTime::from(std::time::SystemTime::now()).secs();
    assert!((880..=900).contains(&lifetime), "expires in {lifetime} s");
    assert_eq!(out.source_identity(), Some("alice"));

    let refused = sts
        .assume_role()
        .role_arn(&service_only)
        .role_session_name("me")
        .send()
        .await
        .expect_err("ec2's role is not the account's to assume");
    assert_eq!(error_code(&refused), "AccessDenied");
    let refused = sts
        .assume_role()
        .role_arn(&trusting)
        .role_session_name("me")
        .duration_seconds(7200)
        .send()
        .await
        .expect_err("longer than the role's MaxSessionDuration");
    assert_eq!(error_code(&refused), "ValidationError");
}

/// GetSessionToken: an IAM user's temporary credentials act as the user
/// (its ARN, its policies), may not call IAM, and a role's session may not
/// ask for them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_session_token_acts_as_the_user() {
    let ballast = Ballast::start();
    let iam = ballast.iam();
    iam.create_user()
        .user_name("ci")
        .send()
        .await
        .expect("CreateUser");
    iam.put_user_policy()
        .user_name("ci")
        .policy_name("read")
        .policy_document(READ_APP_PARAMS)
        .send()
        .await
        .expect("PutUserPolicy");
    let key = iam
        .create_access_key()
        .user_name("ci")
        .send()
        .await
        .expect("CreateAccessKey")
        .access_key
        .expect("a key");
    ballast
        .ssm()
        .put_parameter()
        .name("/app/colour")
        .value("blue")
        .r#type(ParameterType::String)
        .send()
        .await
        .unwrap();

    let as_user = ballast.config_with(key.access_key_id(), key.secret_access_key());
    let token = aws_sdk_sts::Client::new(&as_user)
        .get_session_token()
        .duration_seconds(3600)
        .send()
        .await
        .expect("GetSessionToken")
        .credentials
        .expect("credentials");
    assert!(token.access_key_id().starts_with("ASIA"));
    let session = ballast
        .config()
        .into_builder()
        .credentials_provider(SharedCredentialsProvider::new(
            aws_credential_types::Credentials::new(
                token.access_key_id(),
                token.secret_access_key(),
                Some(token.session_token().to_owned()),
                None,
                "session-token",
            ),
        ))
        .build();
    let who = aws_sdk_sts::Client::new(&session)
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity");
    assert_eq!(who.arn(), Some("arn:aws:iam::000000000000:user/ci"));
    let read = aws_sdk_ssm::Client::new(&session)
        .get_parameter()
        .name("/app/colour")
        .send()
        .await
        .expect("the user may read /app/*");
    assert_eq!(read.parameter().and_then(|p| p.value()), Some("blue"));
    let err = aws_sdk_iam::Client::new(&session)
        .list_users()
        .send()
        .await
        .expect_err("no IAM without MFA");
    assert_eq!(error_code(&err), "InvalidClientTokenId");

    // A role's session may not ask for one.
    let arn = role(
        &ballast,
        "builder",
        r#"{"AWS":"arn:aws:iam::000000000000:root"}"#,
        READ_APP_PARAMS,
    )
    .await;
    let provider = AssumeRoleProvider::builder(&arn)
        .session_name("build")
        .configure(&ballast.config())
        .build()
        .await;
    let as_role = ballast
        .config()
        .into_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build();
    let err = aws_sdk_sts::Client::new(&as_role)
        .get_session_token()
        .send()
        .await
        .expect_err("session credentials");
    assert_eq!(error_code(&err), "AccessDenied");
}
