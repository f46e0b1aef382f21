//! One client per service, from the SDK's default configuration chain.

/// The services the scenario uses.
#[derive(Debug, Clone)]
pub struct Clients {
    pub autoscaling: aws_sdk_autoscaling::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub ec2: aws_sdk_ec2::Client,
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    pub iam: aws_sdk_iam::Client,
    pub ssm: aws_sdk_ssm::Client,
}

impl Clients {
    /// Clients as the environment configures them (region, credentials,
    /// `AWS_ENDPOINT_URL`), with `endpoint` over the environment's when
    /// given: Ballast's, for a local run.
    pub async fn new(endpoint: Option<&str>) -> Clients {
        use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
        let https = aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let mut loader =
            aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(https);
        if let Some(endpoint) = endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        let config = loader.load().await;
        Clients {
            autoscaling: aws_sdk_autoscaling::Client::new(&config),
            dynamodb: aws_sdk_dynamodb::Client::new(&config),
            ec2: aws_sdk_ec2::Client::new(&config),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(&config),
            iam: aws_sdk_iam::Client::new(&config),
            ssm: aws_sdk_ssm::Client::new(&config),
        }
    }
}

impl Clients {
    /// Sets the String parameter `name` to `value`, as the recommender
    /// reads it on its next request.
    pub async fn set_parameter(&self, name: &str, value: &str) -> anyhow::Result<()> {
        use anyhow::Context as _;
        self.ssm
            .put_parameter()
            .name(name)
            .value(value)
            .r#type(aws_sdk_ssm::types::ParameterType::String)
            .overwrite(true)
            .send()
            .await
            .with_context(|| format!("PutParameter {name}"))?;
        Ok(())
    }
}
