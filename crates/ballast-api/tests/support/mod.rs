//! An in-process Ballast API for handler tests: the real router over a
//! temporary store, a manual clock and seeded ids, driven with
//! `tower::ServiceExt::oneshot` and requests signed as the SDKs sign them.
//! No sockets, no processes: the slow end-to-end suites keep to what needs
//! them.

#![allow(dead_code)] // each test file uses a different part

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials as SigningCredentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use axum::Router;
use axum::body::Body;
use ballast_api::auth::Credentials;
use ballast_api::{ApiState, NoDataPlane};
use ballast_core::address::{AddressBlock, InstanceAddresses};
use ballast_core::autoscaling::NoAutoScaling;
use ballast_core::clock::ManualClock;
use ballast_core::ec2::fleet::NoFleet;
use ballast_core::sts::{RoleRef, Session};
use ballast_core::{Ids, Scope, TimeScale};
use ballast_store::Store;
use http_body_util::BodyExt;
use tower::ServiceExt;

/// The API with its own store, as `ballast up` would build it minus the
/// data plane, the fleet and the controller.
pub struct Api {
    router: Router,
    pub state: ApiState,
    /// The state's clock, which tests move.
    pub clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

/// Who signs a request.
#[derive(Debug, Clone)]
pub struct Signer {
    access_key: String,
    secret_key: String,
    session_token: Option<String>,
}

impl Signer {
    /// The root user (`test`/`test`, Ballast's default credentials).
    pub fn root() -> Signer {
        Signer {
            access_key: "test".into(),
            secret_key: "test".into(),
            session_token: None,
        }
    }

    /// An IAM user's access key, from CreateAccessKey's answer.
    pub fn from_access_key(reply: &Reply) -> Option<Signer> {
        Some(Signer {
            access_key: reply.xml("AccessKeyId")?,
            secret_key: reply.xml("SecretAccessKey")?,
            session_token: None,
        })
    }

    /// The credentials an AssumeRole answer carries.
    pub fn from_credentials(reply: &Reply) -> Option<Signer> {
        Some(Signer {
            access_key: reply.xml("AccessKeyId")?,
            secret_key: reply.xml("SecretAccessKey")?,
            session_token: Some(reply.xml("SessionToken")?),
        })
    }
}

/// One API call, before signing.
#[derive(Debug, Clone)]
pub struct Call {
    signing_name: &'static str,
    content_type: &'static str,
    target: Option<String>,
    /// `POST /` but for restJson1 calls, which are routed by both.
    method: &'static str,
    path: String,
    body: Vec<u8>,
}

impl Call {
    /// A query-protocol call: `service` is the signing name (`ec2`,
    /// `elasticloadbalancing`, …); `params` the form after Action/Version.
    pub fn query(service: &'static str, action: &str, params: &[(&str, &str)]) -> Call {
        let version = match service {
            "ec2" => "2016-11-15",
            "elasticloadbalancing" => "2015-12-01",
            "autoscaling" => "2011-01-01",
            "iam" => "2010-05-08",
            "sts" => "2011-06-15",
            other => panic!("no query version for {other}"),
        };
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("Action", action)
            .append_pair("Version", version);
        for (key, value) in params {
            form.append_pair(key, value);
        }
        Call {
            signing_name: service,
            content_type: "application/x-www-form-urlencoded; charset=utf-8",
            target: None,
            method: "POST",
            path: "/".to_owned(),
            body: form.finish().into_bytes(),
        }
    }

    /// A restJson1 call (`lambda`): the operation is the method and path.
    pub fn rest(
        service: &'static str,
        method: &'static str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Call {
        Call {
            signing_name: service,
            content_type: "application/json",
            target: None,
            method,
            path: path.to_owned(),
            body: body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
        }
    }

    /// A JSON-protocol call (`ssm`, `dynamodb`, `events`).
    pub fn json(service: &'static str, operation: &str, body: serde_json::Value) -> Call {
        let (prefix, content_type) = match service {
            "ssm" => ("AmazonSSM", "application/x-amz-json-1.1"),
            "dynamodb" => ("DynamoDB_20120810", "application/x-amz-json-1.0"),
            "events" => ("AWSEvents", "application/x-amz-json-1.1"),
            other => panic!("no JSON target for {other}"),
        };
        Call {
            signing_name: service,
            content_type,
            target: Some(format!("{prefix}.{operation}")),
            method: "POST",
            path: "/".to_owned(),
            body: body.to_string().into_bytes(),
        }
    }
}

/// What a call got back.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    /// `x-amzn-ErrorType`, where restJson1 errors carry their code.
    pub error_type: Option<String>,
}

impl Reply {
    /// The error code of an XML (`<Code>`), JSON (`__type`) or restJson1
    /// (`x-amzn-ErrorType`) error.
    pub fn code(&self) -> Option<String> {
        if let Some(code) = &self.error_type {
            return Some(code.clone());
        }
        if let Some(start) = self.body.find("<Code>") {
            let rest = &self.body[start + 6..];
            return rest.find("</Code>").map(|end| rest[..end].to_owned());
        }
        let json: serde_json::Value = serde_json::from_str(&self.body).ok()?;
        let code = json.get("__type")?.as_str()?;
        Some(code.rsplit('#').next().unwrap_or(code).to_owned())
    }

    /// The text of the first `<tag>` in an XML body.
    pub fn xml(&self, tag: &str) -> Option<String> {
        let open = format!("<{tag}>");
        let start = self.body.find(&open)? + open.len();
        let end = self.body[start..].find(&format!("</{tag}>"))?;
        Some(self.body[start..start + end].to_owned())
    }

    /// Panics with the body unless the reply is the error `code`.
    #[track_caller]
    pub fn assert_code(&self, code: &str) {
        assert_eq!(self.code().as_deref(), Some(code), "{}", self.body);
    }

    /// The body as JSON; panics when it is not.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// An error's message: a JSON error's `message`, an XML one's
    /// `<Message>` unescaped; empty when there is none.
    pub fn message(&self) -> String {
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(&self.body) {
            return json["message"].as_str().unwrap_or_default().to_owned();
        }
        self.xml("Message")
            .unwrap_or_default()
            .replace("&apos;", "'")
            .replace("&quot;", "\"")
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Panics with the body unless the call succeeded.
    #[track_caller]
    pub fn ok(self) -> Reply {
        assert!(
            self.is_success(),
            "call failed: {} {}",
            self.status,
            self.body
        );
        self
    }
}

impl Api {
    pub fn new() -> Api {
        Api::with_durability(ballast_store::Durability::default())
    }

    /// An API over a store with the given durability.
    pub fn with_durability(durability: ballast_store::Durability) -> Api {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = Store::open_with(dir.path(), durability).expect("open store");
        let clock = Arc::new(ManualClock::new(SystemTime::now()));
        let state = ApiState {
            store: Arc::new(store),
            clock: clock.clone(),
            ids: Arc::new(Ids::seeded(7)),
            scope: Scope::new("us-east-1"),
            credentials: Arc::new(Credentials::new("test", "test")),
            time_scale: TimeScale::new(1.0).expect("time scale"),
            data_plane: Arc::new(NoDataPlane),
            lb_addresses: AddressBlock::parse("127.200.0.0/16").expect("block"),
            fleet: Arc::new(NoFleet),
            instance_addresses: InstanceAddresses::Loopback(
                AddressBlock::parse("127.201.0.0/16").expect("block"),
            ),
            public_addresses: AddressBlock::parse("127.252.0.0/16").expect("block"),
            autoscaling: Arc::new(NoAutoScaling),
            automation: Arc::new(ballast_core::ssm::automation::NoAutomation),
            functions: Arc::new(ballast_core::lambda::invoke::NoFunctions),
            messages: Arc::default(),
            memos: Arc::default(),
            link_key: Arc::new(ballast_core::token::TokenKey::new(&Ids::seeded(8))),
        };
        Api {
            router: ballast_api::router(state.clone()),
            state,
            clock,
            _dir: dir,
        }
    }

    /// Sends `call` signed by `signer`.
    pub async fn call(&self, signer: &Signer, call: Call) -> Reply {
        let time = self.state.clock.now();
        let mut headers: Vec<(String, String)> = vec![
            ("host".into(), "ballast.test".into()),
            ("content-type".into(), call.content_type.into()),
        ];
        if let Some(target) = &call.target {
            headers.push(("x-amz-target".into(), target.clone()));
        }
        let identity = SigningCredentials::new(
            &signer.access_key,
            &signer.secret_key,
            signer.session_token.clone(),
            None,
            "test",
        )
        .into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name(call.signing_name)
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .expect("signing params")
            .into();
        let url = format!("http://ballast.test{}", call.path);
        let signable = SignableRequest::new(
            call.method,
            &url,
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(&call.body),
        )
        .expect("signable request");
        let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
        let mut request = http::Request::builder()
            .method(call.method)
            .uri(call.path.as_str());
        for (name, value) in headers.iter().map(|(k, v)| (k.as_str(), v.as_str())) {
            request = request.header(name, value);
        }
        for (name, value) in instructions.headers() {
            request = request.header(name, value);
        }
        let request = request.body(Body::from(call.body)).expect("request");
        let (status, error_type, bytes) = self.send(request).await;
        Reply {
            status,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            error_type,
        }
    }

    /// An unsigned GET of `uri` (path and query), as a download of a
    /// link the API gave; the status and the body's bytes.
    pub async fn fetch(&self, uri: &str) -> (u16, bytes::Bytes) {
        let request = http::Request::builder()
            .uri(uri)
            .header("host", "ballast.test")
            .body(Body::empty())
            .expect("request");
        let (status, _, bytes) = self.send(request).await;
        (status, bytes)
    }

    /// Runs `request` through the router: the status, `x-amzn-ErrorType`
    /// and the body.
    async fn send(&self, request: http::Request<Body>) -> (u16, Option<String>, bytes::Bytes) {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status().as_u16();
        let error_type = response
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("response body")
            .to_bytes();
        (status, error_type, bytes)
    }

    /// A role named `name` that `service` (`ec2.amazonaws.com`, …) may
    /// assume, made as root; the CreateRole reply.
    pub async fn role(&self, name: &str, service: &str) -> Reply {
        let trust = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"{service}"}},"Action":"sts:AssumeRole"}}]}}"#
        );
        self.root(Call::query(
            "iam",
            "CreateRole",
            &[("RoleName", name), ("AssumeRolePolicyDocument", &trust)],
        ))
        .await
        .ok()
    }

    /// As root.
    pub async fn root(&self, call: Call) -> Reply {
        self.call(&Signer::root(), call).await
    }

    /// A JSON-protocol call as root that must succeed: its answer.
    pub async fn json_ok(
        &self,
        service: &'static str,
        operation: &str,
        body: serde_json::Value,
    ) -> serde_json::Value {
        self.root(Call::json(service, operation, body))
            .await
            .ok()
            .json()
    }

    /// A role named `role` whose only permissions are the inline
    /// `policy`, and credentials for a session of it (as an instance's
    /// metadata service hands out).
    pub async fn session(&self, role: &str, policy: &str) -> Signer {
        let created = self.role(role, "ec2.amazonaws.com").await;
        self.root(Call::query(
            "iam",
            "PutRolePolicy",
            &[
                ("RoleName", role),
                ("PolicyName", "permissions"),
                ("PolicyDocument", policy),
            ],
        ))
        .await
        .ok();
        let role = RoleRef {
            arn: created.xml("Arn").expect("role ARN"),
            name: role.to_owned(),
            id: created.xml("RoleId").expect("role id"),
        };
        let now = self.state.now().millis();
        let session = Session::issue(
            &self.state.ids,
            role,
            "i-0123456789abcdef0",
            now,
            Duration::from_secs(3600),
        );
        self.state
            .store
            .write(|tx| tx.insert_session(&session))
            .expect("store the session");
        Signer {
            access_key: session.access_key_id,
            secret_key: session.secret_access_key,
            session_token: Some(session.session_token),
        }
    }
}
