//! Signatures, identity, and requests no SDK would send: each gets AWS's
//! error in its protocol's envelope, and the server keeps serving.

use std::time::{Duration, SystemTime};

use ballast_sdk_tests::{Ballast, RawRequest, error_code};

async fn still_serving(ballast: &Ballast) {
    let who = ballast.sts().get_caller_identity().send().await.unwrap();
    assert_eq!(who.account(), Some("000000000000"));
}

#[tokio::test]
async fn caller_identity_is_the_root_user() {
    let ballast = Ballast::start();
    let who = ballast.sts().get_caller_identity().send().await.unwrap();
    assert_eq!(who.account(), Some("000000000000"));
    assert_eq!(who.arn(), Some("arn:aws:iam::000000000000:root"));
    assert_eq!(who.user_id(), Some("000000000000"));
}

#[tokio::test]
async fn wrong_secret_and_unknown_key_are_refused_per_protocol() {
    let ballast = Ballast::start();
    let wrong_secret = ballast.config_with("test", "not-the-secret");
    let unknown_key = ballast.config_with("AKIDUNKNOWN", "test");

    let sts = aws_sdk_sts::Client::new(&wrong_secret);
    let error = sts.get_caller_identity().send().await.unwrap_err();
    assert_eq!(error_code(&error), "SignatureDoesNotMatch");
    let sts = aws_sdk_sts::Client::new(&unknown_key);
    let error = sts.get_caller_identity().send().await.unwrap_err();
    assert_eq!(error_code(&error), "InvalidClientTokenId");

    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&wrong_secret);
    let error = elb.describe_target_groups().send().await.unwrap_err();
    assert_eq!(error_code(&error), "SignatureDoesNotMatch");

    let ssm = aws_sdk_ssm::Client::new(&wrong_secret);
    let error = ssm.get_parameter().name("/x").send().await.unwrap_err();
    assert_eq!(error_code(&error), "InvalidSignatureException");
    let ssm = aws_sdk_ssm::Client::new(&unknown_key);
    let error = ssm.get_parameter().name("/x").send().await.unwrap_err();
    assert_eq!(error_code(&error), "UnrecognizedClientException");
    still_serving(&ballast).await;
}

#[tokio::test]
async fn unsigned_requests_are_missing_authentication() {
    let ballast = Ballast::start();
    let query = RawRequest::query("sts", "Action=GetCallerIdentity&Version=2011-06-15")
        .send(&ballast.endpoint, false)
        .await;
    assert_eq!(query.status, 403);
    assert_eq!(
        query.error_code().as_deref(),
        Some("MissingAuthenticationToken")
    );
    let json = RawRequest::ssm("AmazonSSM.GetParameter", r#"{"Name":"/x"}"#)
        .send(&ballast.endpoint, false)
        .await;
    assert_eq!(json.status, 400);
    assert_eq!(
        json.error_code().as_deref(),
        Some("MissingAuthenticationTokenException")
    );
    still_serving(&ballast).await;
}

#[tokio::test]
async fn stale_signatures_expire() {
    let ballast = Ballast::start();
    let stale = SystemTime::now() - Duration::from_secs(20 * 60);
    let mut query = RawRequest::query("sts", "Action=GetCallerIdentity&Version=2011-06-15");
    query.time = stale;
    let response = query.send(&ballast.endpoint, true).await;
    assert_eq!(response.status, 400);
    assert_eq!(response.error_code().as_deref(), Some("RequestExpired"));
    let mut json = RawRequest::ssm("AmazonSSM.GetParameter", r#"{"Name":"/x"}"#);
    json.time = stale;
    let response = json.send(&ballast.endpoint, true).await;
    assert_eq!(
        response.error_code().as_deref(),
        Some("InvalidSignatureException")
    );
}

#[tokio::test]
async fn unknown_actions_are_invalid_with_a_request_id() {
    let ballast = Ballast::start();
    let response = RawRequest::query(
        "elasticloadbalancing",
        "Action=LaunchRockets&Version=2015-12-01",
    )
    .send(&ballast.endpoint, true)
    .await;
    assert_eq!(response.status, 400);
    assert_eq!(response.error_code().as_deref(), Some("InvalidAction"));
    assert!(response.body.starts_with("<ErrorResponse"));
    let request_id = response.request_id.expect("x-amzn-RequestId header");
    assert!(
        response
            .body
            .contains(&format!("<RequestId>{request_id}</RequestId>"))
    );

    let response = RawRequest::ssm("AmazonSSM.LaunchRockets", "{}")
        .send(&ballast.endpoint, true)
        .await;
    assert_eq!(response.status, 400);
    assert_eq!(
        response.error_code().as_deref(),
        Some("UnknownOperationException")
    );
    still_serving(&ballast).await;
}

#[tokio::test]
async fn malformed_bodies_are_serialization_or_validation_errors() {
    let ballast = Ballast::start();
    let response = RawRequest::ssm("AmazonSSM.PutParameter", r#"{"Name": "/x", "Value": "#)
        .send(&ballast.endpoint, true)
        .await;
    assert_eq!(response.status, 400);
    assert_eq!(
        response.error_code().as_deref(),
        Some("SerializationException")
    );

    let response = RawRequest::ssm("AmazonSSM.PutParameter", r#"{"Name": "/x", "Value": 5}"#)
        .send(&ballast.endpoint, true)
        .await;
    assert_eq!(
        response.error_code().as_deref(),
        Some("SerializationException")
    );

    let response = RawRequest::ssm("AmazonSSM.PutParameter", r#"{"Value": "v"}"#)
        .send(&ballast.endpoint, true)
        .await;
    assert_eq!(
        response.error_code().as_deref(),
        Some("ValidationException")
    );
    assert!(response.body.contains("name"), "{}", response.body);

    let response = RawRequest::query(
        "elasticloadbalancing",
        "Action=CreateTargetGroup&Version=2015-12-01&Name=x&Port=eighty",
    )
    .send(&ballast.endpoint, true)
    .await;
    assert_eq!(response.error_code().as_deref(), Some("ValidationError"));

    let mut wrong_type = RawRequest::query("sts", "Action=GetCallerIdentity&Version=2011-06-15");
    wrong_type.content_type = "text/plain";
    let response = wrong_type.send(&ballast.endpoint, true).await;
    assert_eq!(response.status, 400);
    assert!(response.error_code().is_some());
    still_serving(&ballast).await;
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let ballast = Ballast::start();
    let huge = format!(
        "Action=GetCallerIdentity&Version=2011-06-15&Pad={}",
        "x".repeat(17 * 1024 * 1024)
    );
    let response = RawRequest::query("sts", &huge)
        .send(&ballast.endpoint, true)
        .await;
    assert_eq!(response.status, 413);
    assert_eq!(
        response.error_code().as_deref(),
        Some("RequestEntityTooLarge")
    );
    still_serving(&ballast).await;
}

#[tokio::test]
async fn sigterm_shuts_down_cleanly() {
    let mut ballast = Ballast::start();
    still_serving(&ballast).await;
    let status = ballast
        .terminate(Duration::from_secs(10))
        .expect("exited after SIGTERM");
    assert!(status.success(), "{status:?}");
    assert!(!ballast.is_running());
}
