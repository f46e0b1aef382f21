//! Builds SigV4-signed requests with `aws-sigv4`: awsJson (SSM's 1.1,
//! DynamoDB's 1.0) and the query protocol (ELBv2's, EC2's).

use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use http::header::{CONTENT_TYPE, HOST};
use http::{HeaderName, HeaderValue, Method, Request};
use http_body_util::Full;

use crate::endpoint::Endpoint;

/// Ballast's default root credentials (moto accepts anything).
const ACCESS_KEY: &str = "test";
const SECRET_KEY: &str = "test";
const REGION: &str = "us-east-1";
const JSON_11: &str = "application/x-amz-json-1.1";
const JSON_10: &str = "application/x-amz-json-1.0";
const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// How often a worker computes a fresh signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SignMode {
    /// Sign every request; the signing time is inside the measured latency.
    PerRequest,
    /// Sign once a second and reuse the headers (SigV4 signatures stay valid
    /// for 15 minutes), so the latency is mostly the server's.
    PerSecond,
}

impl SignMode {
    /// The name used on the command line and in results.
    pub fn as_str(self) -> &'static str {
        match self {
            SignMode::PerRequest => "per-request",
            SignMode::PerSecond => "per-second",
        }
    }
}

/// One operation: its signing name, content type, `X-Amz-Target` (awsJson
/// only) and bodies, sent in turn (one for a read; two for a write, so that
/// every request really changes what the server stores).
#[derive(Debug, Clone)]
pub struct Operation {
    service: &'static str,
    content_type: &'static str,
    target: Option<HeaderValue>,
    bodies: Vec<Bytes>,
}

impl Operation {
    /// `AmazonSSM.GetParameter` for `name`.
    pub fn get_parameter(name: &str) -> Operation {
        Operation::ssm("GetParameter", serde_json::json!({ "Name": name }))
    }

    fn ssm(action: &str, body: serde_json::Value) -> Operation {
        Operation {
            service: "ssm",
            content_type: JSON_11,
            target: Some(
                HeaderValue::try_from(format!("AmazonSSM.{action}"))
                    .expect("operation names are valid header values"),
            ),
            bodies: vec![json_body(&body)],
        }
    }

    /// `DynamoDB_20120810.GetItem` of the benchmark item.
    pub fn get_item(table: &str) -> Operation {
        Operation::dynamodb(
            "GetItem",
            serde_json::json!({ "TableName": table, "Key": {"pk": {"S": "bench-item"}} }),
        )
    }

    /// `DynamoDB_20120810.PutItem` overwriting the benchmark item (about
    /// 200 bytes: a string, a number and a string set). Two versions of
    /// the item, differing in the number, alternate: a store that finds
    /// the new item equal to the stored one may skip the write (SQLite
    /// leaves an identical row's page clean, so nothing would reach the
    /// disk), and a benchmark of writes must measure writes.
    pub fn put_item(table: &str) -> Operation {
        let item = |count: &str| {
            serde_json::json!({
                "TableName": table,
                "Item": {
                    "pk": {"S": "bench-item"},
                    "title": {"S": "404 Not Found: A Coloring Book for the whole family, second edition"},
                    "count": {"N": count},
                    "tags": {"SS": ["book", "coloring", "humour", "bench"]},
                },
            })
        };
        let mut operation = Operation::dynamodb("PutItem", item("12345.678"));
        operation.bodies.push(json_body(&item("12345.679")));
        operation
    }

    fn dynamodb(action: &str, body: serde_json::Value) -> Operation {
        Operation {
            service: "dynamodb",
            content_type: JSON_10,
            target: Some(
                HeaderValue::try_from(format!("DynamoDB_20120810.{action}"))
                    .expect("operation names are valid header values"),
            ),
            bodies: vec![json_body(&body)],
        }
    }

    /// ELBv2 `DescribeTargetHealth` of the target group `arn`.
    pub fn describe_target_health(arn: &str) -> Operation {
        Operation::query(
            "elasticloadbalancing",
            "DescribeTargetHealth",
            "2015-12-01",
            &[("TargetGroupArn", arn)],
        )
    }

    /// STS `GetCallerIdentity`, which needs no resource.
    pub fn get_caller_identity() -> Operation {
        Operation::query("sts", "GetCallerIdentity", "2011-06-15", &[])
    }

    /// EC2 `DescribeInstances` of every instance.
    pub fn describe_instances() -> Operation {
        Operation::query("ec2", "DescribeInstances", "2016-11-15", &[])
    }

    fn query(
        service: &'static str,
        action: &str,
        version: &str,
        params: &[(&str, &str)],
    ) -> Operation {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("Action", action)
            .append_pair("Version", version);
        for (name, value) in params {
            form.append_pair(name, value);
        }
        Operation {
            service,
            content_type: FORM,
            target: None,
            bodies: vec![Bytes::from(form.finish())],
        }
    }
}

fn json_body(body: &serde_json::Value) -> Bytes {
    Bytes::from(body.to_string())
}

/// Produces signed requests for one operation against one endpoint,
/// re-signing as its [`SignMode`] says.
pub struct Signer {
    endpoint: Endpoint,
    operation: Operation,
    mode: SignMode,
    identity: Identity,
    /// Which of the operation's bodies the next request carries.
    turn: usize,
    /// Per body, its signature headers and when they were computed.
    cached: Vec<Option<(Instant, Headers)>>,
}

/// Signature headers to attach to a request.
type Headers = Vec<(HeaderName, HeaderValue)>;

impl Signer {
    /// A signer holding the default `test`/`test` credentials.
    pub fn new(endpoint: Endpoint, operation: Operation, mode: SignMode) -> Signer {
        let identity = Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "bench").into();
        Signer {
            cached: vec![None; operation.bodies.len()],
            endpoint,
            operation,
            mode,
            identity,
            turn: 0,
        }
    }

    /// The next request to send, signed now or with headers at most a
    /// second old.
    pub fn request(&mut self) -> anyhow::Result<Request<Full<Bytes>>> {
        let body = self.turn;
        self.turn = (self.turn + 1) % self.operation.bodies.len();
        let signature = self.current_signature(body)?;
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri(self.endpoint.uri())
            .header(HOST, self.endpoint.host())
            .header(CONTENT_TYPE, self.operation.content_type);
        if let Some(target) = &self.operation.target {
            builder = builder.header("x-amz-target", target.clone());
        }
        for (name, value) in signature {
            builder = builder.header(name, value);
        }
        builder
            .body(Full::new(self.operation.bodies[body].clone()))
            .context("building the request")
    }

    /// The signature headers to attach to body number `body`, recomputed
    /// when the mode requires.
    fn current_signature(&mut self, body: usize) -> anyhow::Result<Headers> {
        let fresh_enough = |at: &Instant| at.elapsed() < Duration::from_secs(1);
        match (&self.cached[body], self.mode) {
            (Some((at, headers)), SignMode::PerSecond) if fresh_enough(at) => Ok(headers.clone()),
            _ => {
                let headers = self.sign_now(body)?;
                if self.mode == SignMode::PerSecond {
                    self.cached[body] = Some((Instant::now(), headers.clone()));
                }
                Ok(headers)
            }
        }
    }

    /// Computes SigV4 headers (`authorization`, `x-amz-date`) for the
    /// operation with body number `body` at the current time.
    fn sign_now(&self, body: usize) -> anyhow::Result<Headers> {
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region(REGION)
            .name(self.operation.service)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .context("signing parameters")?
            .into();
        let mut headers = vec![
            ("host", self.endpoint.host()),
            ("content-type", self.operation.content_type),
        ];
        if let Some(target) = &self.operation.target {
            headers.push(("x-amz-target", target.to_str().unwrap_or_default()));
        }
        let uri = self.endpoint.uri().to_string();
        let signable = SignableRequest::new(
            "POST",
            &uri,
            headers.into_iter(),
            SignableBody::Bytes(&self.operation.bodies[body]),
        )
        .context("signable request")?;
        let (instructions, _) = sign(signable, &params)
            .context("signing the request")?
            .into_parts();
        instructions
            .headers()
            .map(|(name, value)| {
                Ok((
                    HeaderName::from_bytes(name.as_bytes())?,
                    HeaderValue::from_str(value)?,
                ))
            })
            .collect()
    }
}

/// The mean time one signature takes on this machine, over `rounds` runs.
pub fn signing_cost(endpoint: &Endpoint, operation: &Operation, rounds: u32) -> Duration {
    let mut signer = Signer::new(endpoint.clone(), operation.clone(), SignMode::PerRequest);
    let start = Instant::now();
    for _ in 0..rounds {
        let _ = signer.request();
    }
    start.elapsed() / rounds.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(mode: SignMode) -> Signer {
        let endpoint = Endpoint::parse("http://127.0.0.1:4566").unwrap();
        Signer::new(endpoint, Operation::get_parameter("/bench/param"), mode)
    }

    #[test]
    fn requests_carry_a_sigv4_authorization_for_ssm() {
        let request = signer(SignMode::PerRequest).request().unwrap();
        let auth = request.headers()["authorization"].to_str().unwrap();
        assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=test/"));
        assert!(auth.contains("/us-east-1/ssm/aws4_request"));
        assert!(auth.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-target"));
        assert_eq!(request.headers()["host"], "127.0.0.1:4566");
        assert_eq!(request.headers()["x-amz-target"], "AmazonSSM.GetParameter");
    }

    #[test]
    fn query_requests_carry_a_form_and_no_target() {
        let endpoint = Endpoint::parse("http://127.0.0.1:4566").unwrap();
        let arn = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123";
        let operation = Operation::describe_target_health(arn);
        let request = Signer::new(endpoint, operation.clone(), SignMode::PerRequest)
            .request()
            .unwrap();
        let auth = request.headers()["authorization"].to_str().unwrap();
        assert!(auth.contains("/us-east-1/elasticloadbalancing/aws4_request"));
        assert!(auth.contains("SignedHeaders=content-type;host;x-amz-date,"));
        assert!(!request.headers().contains_key("x-amz-target"));
        assert_eq!(
            operation.bodies,
            [
                "Action=DescribeTargetHealth&Version=2015-12-01&TargetGroupArn=arn%3Aaws%3Aelasticloadbalancing%3Aus-east-1%3A000000000000%3Atargetgroup%2Fweb%2F0123"
            ]
        );
    }

    #[test]
    fn per_second_mode_reuses_the_signature() {
        let mut signer = signer(SignMode::PerSecond);
        let a = signer.request().unwrap();
        let b = signer.request().unwrap();
        assert_eq!(a.headers()["authorization"], b.headers()["authorization"]);
    }

    #[test]
    fn put_item_alternates_two_different_items_each_with_its_own_signature() {
        let endpoint = Endpoint::parse("http://127.0.0.1:4566").unwrap();
        let mut signer = Signer::new(endpoint, Operation::put_item("t"), SignMode::PerSecond);
        let requests: Vec<_> = (0..4).map(|_| signer.request().unwrap()).collect();
        let body = |i: usize| -> &Full<Bytes> { requests[i].body() };
        let auth = |i: usize| requests[i].headers()["authorization"].clone();
        assert_ne!(format!("{:?}", body(0)), format!("{:?}", body(1)));
        assert_eq!(format!("{:?}", body(0)), format!("{:?}", body(2)));
        assert_ne!(auth(0), auth(1));
        assert_eq!(auth(1), auth(3));
    }
}
