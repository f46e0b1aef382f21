//! Responses the load balancer writes itself, as ALB writes them.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};

use ballast_core::elbv2::FixedResponse;

use crate::body::{ProxyBody, full};

/// ALB's own error page for a status (502, 503, 504, …).
pub fn error(status: StatusCode) -> Response<ProxyBody> {
    let reason = status.canonical_reason().unwrap_or("Error");
    let code = status.as_u16();
    let page = format!(
        "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n<center><h1>{code} {reason}</h1></center>\r\n</body>\r\n</html>\r\n"
    );
    let mut response = Response::new(full(page));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::SERVER, HeaderValue::from_static("awselb/2.0"));
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    response
}

/// A `fixed-response` action.
pub fn fixed(config: &FixedResponse) -> Response<ProxyBody> {
    let body = config.body.clone().unwrap_or_default();
    let mut response = Response::new(full(Bytes::from(body)));
    *response.status_mut() = StatusCode::from_u16(config.status_code).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    headers.insert(header::SERVER, HeaderValue::from_static("awselb/2.0"));
    if let Some(ct) = config
        .content_type
        .as_deref()
        .and_then(|c| HeaderValue::from_str(c).ok())
    {
        headers.insert(header::CONTENT_TYPE, ct);
    }
    response
}

/// A `redirect` action.
pub fn redirect(location: &str, status_code: u16) -> Response<ProxyBody> {
    let status = if status_code == 301 {
        StatusCode::MOVED_PERMANENTLY
    } else {
        StatusCode::FOUND
    };
    let mut response = error(status);
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}
