//! Instance roles end to end with aws-sdk-rust: an instance's metadata
//! service hands out its role's credentials, requests signed with them
//! act as the assumed role and are allowed exactly what the role's
//! policies allow, and replacing the instance's profile association
//! changes the role of the next credentials.

use std::time::Duration;

use aws_credential_types::Credentials;
use aws_sdk_ec2::types::{IamInstanceProfileSpecification, InstanceStateName};
use aws_sdk_ssm::types::ParameterType;
use ballast_sdk_tests::fixtures::{AL2023, metadata, role_with_profile};
use ballast_sdk_tests::{Ballast, error_code, eventually};

const WAIT: Duration = Duration::from_secs(20);
const READ_APP_PARAMS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:*:*:parameter/app/*"}]}"#;
const DENY_SECRET: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ssm:*","Resource":"arn:aws:ssm:*:*:parameter/app/secret"}]}"#;

/// The instance's current role credentials, from its metadata.
async fn instance_credentials(address: &str, role: &str) -> Credentials {
    let (status, body) = metadata(
        address,
        &format!("/latest/meta-data/iam/security-credentials/{role}"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["Code"], "Success");
    assert_eq!(doc["Type"], "AWS-HMAC");
    assert!(doc["Expiration"].as_str().unwrap().ends_with('Z'));
    Credentials::new(
        doc["AccessKeyId"].as_str().unwrap(),
        doc["SecretAccessKey"].as_str().unwrap(),
        Some(doc["Token"].as_str().unwrap().to_owned()),
        None,
        "imds",
    )
}

fn config_with(ballast: &Ballast, credentials: Credentials) -> aws_config::SdkConfig {
    ballast
        .config()
        .into_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
        )
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instance_credentials_carry_their_roles_permissions() {
    let ballast = Ballast::start_with(&["--time-scale", "0.02"]);
    let iam = ballast.iam();
    role_with_profile(&iam, "reader", Some(READ_APP_PARAMS)).await;
    role_with_profile(&iam, "nobody", None).await;
    let ssm = ballast.ssm();
    for name in ["/app/greeting", "/app/secret", "/other/value"] {
        ssm.put_parameter()
            .name(name)
            .value("v")
            .r#type(ParameterType::String)
            .send()
            .await
            .unwrap();
    }

    let ec2 = ballast.ec2();
    let launched = ec2
        .run_instances()
        .image_id(AL2023)
        .min_count(1)
        .max_count(1)
        .iam_instance_profile(
            IamInstanceProfileSpecification::builder()
                .name("reader")
                .build(),
        )
        .send()
        .await
        .expect("RunInstances with a profile");
    let instance = &launched.instances()[0];
    let id = instance.instance_id().unwrap().to_owned();
    let address = instance.private_ip_address().unwrap().to_owned();
    assert!(
        instance
            .iam_instance_profile()
            .and_then(|p| p.arn())
            .unwrap()
            .ends_with(":instance-profile/reader")
    );
    eventually("the instance to run", WAIT, || async {
        let out = ec2
            .describe_instances()
            .instance_ids(&id)
            .send()
            .await
            .ok()?;
        let state = out.reservations()[0].instances()[0]
            .state()?
            .name()?
            .clone();
        (state == InstanceStateName::Running).then_some(())
    })
    .await;

    // The metadata names the profile and the role.
    let (_, info) = metadata(&address, "/latest/meta-data/iam/info").await;
    let info: serde_json::Value = serde_json::from_str(&info).unwrap();
    assert!(
        info["InstanceProfileArn"]
            .as_str()
            .unwrap()
            .ends_with("/reader")
    );
    let (_, roles) = metadata(&address, "/latest/meta-data/iam/security-credentials/").await;
    assert_eq!(roles, "reader");

    // Signed with the instance's credentials: the assumed role.
    let first = instance_credentials(&address, "reader").await;
    assert!(first.access_key_id().starts_with("ASIA"));
    let as_instance = config_with(&ballast, first.clone());
    let identity = aws_sdk_sts::Client::new(&as_instance)
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity needs no permission");
    assert_eq!(
        identity.arn(),
        Some(format!("arn:aws:sts::000000000000:assumed-role/reader/{id}").as_str())
    );
    assert!(identity.user_id().unwrap().ends_with(&format!(":{id}")));

    // Allowed where the policy allows, denied elsewhere, each with the
    // service's own error.
    let instance_ssm = aws_sdk_ssm::Client::new(&as_instance);
    let value = instance_ssm
        .get_parameter()
        .name("/app/greeting")
        .send()
        .await
        .expect("allowed by the role");
    assert_eq!(value.parameter().and_then(|p| p.value()), Some("v"));
    let other = instance_ssm
        .get_parameter()
        .name("/other/value")
        .send()
        .await;
    assert_eq!(error_code(&other.unwrap_err()), "AccessDeniedException");
    let write = instance_ssm
        .put_parameter()
        .name("/app/greeting")
        .value("w")
        .overwrite(true)
        .r#type(ParameterType::String)
        .send()
        .await;
    assert_eq!(error_code(&write.unwrap_err()), "AccessDeniedException");
    let describe = aws_sdk_ec2::Client::new(&as_instance)
        .describe_instances()
        .send()
        .await;
    assert_eq!(error_code(&describe.unwrap_err()), "UnauthorizedOperation");
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&as_instance)
        .describe_load_balancers()
        .send()
        .await;
    assert_eq!(error_code(&elb.unwrap_err()), "AccessDenied");
    let unchanged = ssm
        .get_parameter()
        .name("/app/greeting")
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.parameter().and_then(|p| p.value()), Some("v"));

    // An explicit Deny beats the Allow, from the next request on.
    let secret = instance_ssm
        .get_parameter()
        .name("/app/secret")
        .send()
        .await;
    assert!(secret.is_ok(), "allowed before the deny");
    iam.put_role_policy()
        .role_name("reader")
        .policy_name("deny-secret")
        .policy_document(DENY_SECRET)
        .send()
        .await
        .unwrap();
    let secret = instance_ssm
        .get_parameter()
        .name("/app/secret")
        .send()
        .await;
    assert_eq!(error_code(&secret.unwrap_err()), "AccessDeniedException");

    // Swapping the profile: the next credentials are the new role's, and
    // they may not read the parameter any more.
    let associations = ec2
        .describe_iam_instance_profile_associations()
        .send()
        .await
        .unwrap();
    let association = &associations.iam_instance_profile_associations()[0];
    assert_eq!(association.instance_id(), Some(id.as_str()));
    let replaced = ec2
        .replace_iam_instance_profile_association()
        .association_id(association.association_id().unwrap())
        .iam_instance_profile(
            IamInstanceProfileSpecification::builder()
                .name("nobody")
                .build(),
        )
        .send()
        .await
        .expect("ReplaceIamInstanceProfileAssociation");
    assert!(
        replaced
            .iam_instance_profile_association()
            .and_then(|a| a.iam_instance_profile())
            .and_then(|p| p.arn())
            .unwrap()
            .ends_with("/nobody")
    );
    let (_, roles) = metadata(&address, "/latest/meta-data/iam/security-credentials/").await;
    assert_eq!(roles, "nobody");
    let second = instance_credentials(&address, "nobody").await;
    assert_ne!(second.access_key_id(), first.access_key_id());
    let as_nobody = aws_sdk_ssm::Client::new(&config_with(&ballast, second));
    let denied = as_nobody.get_parameter().name("/app/greeting").send().await;
    assert_eq!(error_code(&denied.unwrap_err()), "AccessDeniedException");

    // Errors of the association calls.
    let unknown = ec2
        .replace_iam_instance_profile_association()
        .association_id("iip-assoc-0123456789abcdef0")
        .iam_instance_profile(
            IamInstanceProfileSpecification::builder()
                .name("reader")
                .build(),
        )
        .send()
        .await;
    assert_eq!(
        error_code(&unknown.unwrap_err()),
        "InvalidAssociationID.NotFound"
    );
    let second_association = ec2
        .associate_iam_instance_profile()
        .instance_id(&id)
        .iam_instance_profile(
            IamInstanceProfileSpecification::builder()
                .name("reader")
                .build(),
        )
        .send()
        .await;
    assert_eq!(
        error_code(&second_association.unwrap_err()),
        "IncorrectState"
    );
    let no_profile = ec2
        .run_instances()
        .image_id(AL2023)
        .min_count(1)
        .max_count(1)
        .iam_instance_profile(
            IamInstanceProfileSpecification::builder()
                .name("missing")
                .build(),
        )
        .send()
        .await;
    assert_eq!(
        error_code(&no_profile.unwrap_err()),
        "InvalidParameterValue"
    );

    // Disassociated: no iam/ tree, and the association is gone.
    let current = ec2
        .describe_iam_instance_profile_associations()
        .send()
        .await
        .unwrap();
    let current_id = current.iam_instance_profile_associations()[0]
        .association_id()
        .unwrap()
        .to_owned();
    ec2.disassociate_iam_instance_profile()
        .association_id(&current_id)
        .send()
        .await
        .expect("DisassociateIamInstanceProfile");
    let (status, _) = metadata(&address, "/latest/meta-data/iam/info").await;
    assert_eq!(status, 404);
    let none = ec2
        .describe_iam_instance_profile_associations()
        .send()
        .await
        .unwrap();
    assert!(none.iam_instance_profile_associations().is_empty());
    ec2.associate_iam_instance_profile()
        .instance_id(&id)
        .iam_instance_profile(
            IamInstanceProfileSpecification::builder()
                .name("reader")
                .build(),
        )
        .send()
        .await
        .expect("AssociateIamInstanceProfile");
    let (_, roles) = metadata(&address, "/latest/meta-data/iam/security-credentials/").await;
    assert_eq!(roles, "reader");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_sdk_rust_finds_its_region_and_credentials_through_the_metadata_service() {
    use aws_config::imds;
    use aws_config::provider_config::ProviderConfig;
    use aws_credential_types::provider::ProvideCredentials;
    use aws_smithy_http_client::Builder as HttpClientBuilder;

    let ballast = Ballast::start_with(&["--time-scale", "0.02"]);
    let iam = ballast.iam();
    role_with_profile(&iam, "reader", Some(READ_APP_PARAMS)).await;
    ballast
        .ssm()
        .put_parameter()
        .name("/app/greeting")
        .value("hi")
        .r#type(ParameterType::String)
        .send()
        .await
        .unwrap();
    let ec2 = ballast.ec2();
    let launched = ec2
        .run_instances()
        .image_id(AL2023)
        .min_count(1)
        .max_count(1)
        .iam_instance_profile(
            IamInstanceProfileSpecification::builder()
                .name("reader")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let instance = &launched.instances()[0];
    let id = instance.instance_id().unwrap().to_owned();
    let address = instance.private_ip_address().unwrap().to_owned();
    eventually("the instance to run", WAIT, || async {
        let out = ec2
            .describe_instances()
            .instance_ids(&id)
            .send()
            .await
            .ok()?;
        let state = out.reservations()[0].instances()[0]
            .state()?
            .name()?
            .clone();
        (state == InstanceStateName::Running).then_some(())
    })
    .await;

    // aws-config's own IMDS client (IMDSv2, as the SDK does inside an
    // instance) against the instance's metadata endpoint.
    let provider_config =
        ProviderConfig::without_region().with_http_client(HttpClientBuilder::new().build_http());
    let client = imds::Client::builder()
        .configure(&provider_config)
        .endpoint(format!("http://{address}:8169/"))
        .unwrap()
        .build();
    let region = imds::region::ImdsRegionProvider::builder()
        .imds_client(client.clone())
        .build()
        .region()
        .await;
    assert_eq!(region.as_ref().map(|r| r.as_ref()), Some("us-east-1"));
    let provider = imds::credentials::ImdsCredentialsProvider::builder()
        .configure(&provider_config)
        .imds_client(client)
        .build();
    let credentials = provider
        .provide_credentials()
        .await
        .expect("credentials from IMDS");
    assert!(credentials.session_token().is_some());
    let config = config_with(&ballast, credentials);
    let identity = aws_sdk_sts::Client::new(&config)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(
        identity.arn(),
        Some(format!("arn:aws:sts::000000000000:assumed-role/reader/{id}").as_str())
    );
    let value = aws_sdk_ssm::Client::new(&config)
        .get_parameter()
        .name("/app/greeting")
        .send()
        .await
        .expect("allowed by the role");
    assert_eq!(value.parameter().and_then(|p| p.value()), Some("hi"));
}
