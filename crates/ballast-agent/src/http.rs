//! The agent's HTTP: plain HTTP/1.1 requests to the metadata service and
//! to Ballast's endpoint, the latter signed with SigV4.
//!
//! A connection per request: the agent makes a handful of requests a
//! minute, all on this machine, so pooling would buy nothing.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

use crate::AgentError;

/// A response: its status and body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: Bytes,
}

/// `http://host:port` and the path of a URL; only plain HTTP is spoken.
fn split_url(url: &str) -> Result<(&str, &str), AgentError> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        AgentError::Config(format!("{url}: only http:// endpoints are supported"))
    })?;
    Ok(match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, "/"),
    })
}

/// Sends one request and reads the whole response, within `timeout`.
pub async fn send(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
    timeout: Duration,
) -> Result<Response, AgentError> {
    tokio::time::timeout(timeout, send_now(method, url, headers, body))
        .await
        .map_err(|_| AgentError::Http(format!("{method} {url}: no answer within {timeout:?}")))?
}

async fn send_now(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> Result<Response, AgentError> {
    let (authority, path) = split_url(url)?;
    let address = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let stream = tokio::net::TcpStream::connect(address.as_str())
        .await
        .map_err(|e| AgentError::Http(format!("connecting to {authority}: {e}")))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| AgentError::Http(format!("{authority}: {e}")))?;
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    let mut request = http::Request::builder()
        .method(method)
        .uri(path)
        .header("host", authority);
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let request = request
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| AgentError::Http(e.to_string()))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| AgentError::Http(format!("{method} {url}: {e}")))?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| AgentError::Http(format!("{method} {url}: {e}")))?
        .to_bytes();
    driver.abort();
    Ok(Response { status, body })
}

/// A JSON-protocol call (`X-Amz-Target: TARGET`) to `endpoint`, signed
/// for `service` in `region` with `credentials`.
pub async fn call(
    endpoint: &str,
    region: &str,
    service: &str,
    target: &str,
    body: Vec<u8>,
    credentials: &Credentials,
    timeout: Duration,
) -> Result<Response, AgentError> {
    let url = format!("{}/", endpoint.trim_end_matches('/'));
    let (authority, _) = split_url(&url)?;
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), authority.to_owned()),
        ("content-type".into(), "application/x-amz-json-1.1".into()),
        ("x-amz-target".into(), target.to_owned()),
    ];
    let identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| AgentError::Http(format!("signing: {e}")))?
        .into();
    let signable = SignableRequest::new(
        "POST",
        url.clone(),
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(&body),
    )
    .map_err(|e| AgentError::Http(format!("signing: {e}")))?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| AgentError::Http(format!("signing: {e}")))?
        .into_parts();
    for (name, value) in instructions.headers() {
        headers.push((name.to_owned(), value.to_owned()));
    }
    headers.retain(|(name, _)| name != "host");
    send("POST", &url, &headers, body, timeout).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_authority_and_path() {
        assert_eq!(
            split_url("http://127.0.0.1:4566/").ok(),
            Some(("127.0.0.1:4566", "/"))
        );
        assert_eq!(
            split_url("http://169.254.169.254/latest/api/token").ok(),
            Some(("169.254.169.254", "/latest/api/token"))
        );
        assert!(split_url("https://x/").is_err());
    }
}
