//! One request and what it came to, over a kept-alive client (HTTP or
//! HTTPS, as the URL says), and how to tell who answered.

use std::str::FromStr;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, Request, Uri};
use http_body_util::{BodyExt, Empty};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::Error;
use crate::outcome::{Cause, Outcome};

/// How to tell which backend answered, from `--answered-by`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnsweredBy {
    /// `header:NAME`: that response header's value.
    Header(HeaderName),
    /// `body:FIELD`: a field of a JSON body (`a.b` for nested ones).
    BodyField(String),
    /// `body`: the body's first line.
    Body,
}

impl FromStr for AnsweredBy {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        let bad = || Error::AnsweredBy(text.to_owned());
        match text.split_once(':') {
            None if text == "body" => Ok(AnsweredBy::Body),
            Some(("header", name)) => HeaderName::from_str(name)
                .map(AnsweredBy::Header)
                .map_err(|_| bad()),
            Some(("body", field)) if !field.is_empty() => {
                Ok(AnsweredBy::BodyField(field.to_owned()))
            }
            _ => Err(bad()),
        }
    }
}

impl AnsweredBy {
    /// Who answered, as this answer says; `None` when it does not say.
    pub fn pick(&self, headers: &HeaderMap, body: &[u8]) -> Option<String> {
        let text = match self {
            AnsweredBy::Header(name) => headers.get(name)?.to_str().ok()?.to_owned(),
            AnsweredBy::BodyField(path) => {
                let document: serde_json::Value = serde_json::from_slice(body).ok()?;
                let mut at = &document;
                for key in path.split('.') {
                    at = at.get(key)?;
                }
                match at {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Null => return None,
                    other => other.to_string(),
                }
            }
            AnsweredBy::Body => String::from_utf8_lossy(body).lines().next()?.to_owned(),
        };
        let text = text.trim();
        (!text.is_empty()).then(|| text.chars().take(64).collect())
    }
}

/// Sends the probe's requests.
#[derive(Debug, Clone)]
pub struct Sender {
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    uri: Uri,
    timeout: Duration,
    answered_by: Option<AnsweredBy>,
}

impl Sender {
    pub fn new(uri: Uri, timeout: Duration, answered_by: Option<AnsweredBy>) -> Sender {
        let builder = hyper_rustls::HttpsConnectorBuilder::new();
        // A machine without a certificate store can still probe plain
        // HTTP; an HTTPS request then fails with a certificate error.
        let builder = match builder.with_native_roots() {
            Ok(builder) => builder,
            Err(_) => {
                hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(rustls_without_roots())
            }
        };
        let connector = builder.https_or_http().enable_http1().build();
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Sender {
            client,
            uri,
            timeout,
            answered_by,
        }
    }

    /// Sends one GET and waits for its whole answer, at most the timeout.
    pub async fn send(&self) -> Outcome {
        tokio::time::timeout(self.timeout, self.exchange())
            .await
            .unwrap_or(Outcome::Failed(Cause::Timeout))
    }

    async fn exchange(&self) -> Outcome {
        let request = Request::get(self.uri.clone())
            .header(http::header::USER_AGENT, "ballast-probe")
            .body(Empty::new());
        let request = match request {
            Ok(request) => request,
            Err(error) => return Outcome::Failed(Cause::Other(error.to_string())),
        };
        let response = match self.client.request(request).await {
            Ok(response) => response,
            Err(error) => return Outcome::Failed(Cause::of_error(&error)),
        };
        let (parts, body) = response.into_parts();
        let body = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(error) => return Outcome::Failed(Cause::of_error(&error)),
        };
        let status = parts.status.as_u16();
        if status >= 500 {
            return Outcome::Failed(Cause::Status(status));
        }
        Outcome::Answered {
            status,
            by: self
                .answered_by
                .as_ref()
                .and_then(|how| how.pick(&parts.headers, &body)),
        }
    }
}

fn rustls_without_roots() -> rustls::ClientConfig {
    rustls::ClientConfig::builder()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answered_by_reads_a_header_a_json_field_or_the_first_line() {
        let mut headers = HeaderMap::new();
        headers.insert("x-instance", "i-1".parse().expect("a value"));
        let body = br#"{"instance": "i-2", "app": {"version": 3}}"#;
        let by = |spec: &str| spec.parse::<AnsweredBy>().expect("a spec");
        assert_eq!(
            by("header:X-Instance").pick(&headers, body),
            Some("i-1".into())
        );
        assert_eq!(by("body:instance").pick(&headers, body), Some("i-2".into()));
        assert_eq!(
            by("body:app.version").pick(&headers, body),
            Some("3".into())
        );
        assert_eq!(by("body:missing").pick(&headers, body), None);
        assert_eq!(
            by("body").pick(&headers, b"v2 on i-3\nmore"),
            Some("v2 on i-3".into())
        );
        assert_eq!(by("body:instance").pick(&headers, b"not json"), None);
        for bad in ["", "header:", "header:bad name", "body:", "cookie:x"] {
            assert!(bad.parse::<AnsweredBy>().is_err(), "{bad}");
        }
    }
}
