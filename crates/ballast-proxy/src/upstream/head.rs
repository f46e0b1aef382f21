//! Request heads written for a target, and response heads read from one.

use std::io::Write as _;
use std::net::IpAddr;

use bytes::{Buf as _, BytesMut};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode, Version};

use crate::snapshot::XffMode;

/// At most this many header lines in a response.
const MAX_HEADERS: usize = 128;

/// A response head larger than this is refused.
const MAX_HEAD: usize = 64 * 1024;

/// Headers that describe one hop and are not forwarded, either way.
fn is_hop_by_hop(name: &HeaderName) -> bool {
    name == header::CONNECTION
        || name == header::TE
        || name == header::TRAILER
        || name == header::TRANSFER_ENCODING
        || name == header::UPGRADE
        || name.as_str() == "keep-alive"
        || name.as_str() == "proxy-connection"
}

/// What the load balancer adds to a request: ALB's `X-Forwarded-*` and
/// `X-Amzn-Trace-Id` headers.
#[derive(Debug, Clone, Copy)]
pub struct Forwarded {
    /// The client's address.
    pub client: IpAddr,
    /// The listener's port.
    pub port: u16,
    /// How `X-Forwarded-For` is treated.
    pub xff: XffMode,
    /// A trace id's time (seconds since the epoch) and random part (96
    /// bits), used when the request carries none.
    pub trace: (u64, u128),
}

const X_FORWARDED_FOR: &str = "x-forwarded-for";
const X_FORWARDED_PROTO: &str = "x-forwarded-proto";
const X_FORWARDED_PORT: &str = "x-forwarded-port";
const X_AMZN_TRACE_ID: &str = "x-amzn-trace-id";

/// How a request's body is framed on the way to the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestFraming {
    /// No body, or one whose `Content-Length` the client gave.
    AsIs,
    /// A body of unknown length: `Transfer-Encoding: chunked`.
    Chunked,
}

/// Writes the request line and headers of `parts` as the target receives
/// them: origin-form, HTTP/1.1, hop-by-hop headers removed (but a
/// WebSocket upgrade kept), and ALB's headers added.
pub fn write_request(
    out: &mut Vec<u8>,
    parts: &http::request::Parts,
    framing: RequestFraming,
    upgrade: bool,
    forwarded: &Forwarded,
) {
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let path = if path.starts_with('/') || path == "*" {
        path
    } else {
        "/"
    };
    out.extend_from_slice(parts.method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(path.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");

    let headers = &parts.headers;
    match headers.get(header::HOST) {
        Some(host) => line(out, "host", host.as_bytes()),
        None => {
            if let Some(authority) = parts.uri.authority() {
                line(out, "host", authority.as_str().as_bytes());
            }
        }
    }
    for (name, value) in headers {
        let skip = name == header::HOST
            || is_hop_by_hop(name)
            || (framing == RequestFraming::Chunked && name == header::CONTENT_LENGTH)
            || name.as_str() == X_FORWARDED_PROTO
            || name.as_str() == X_FORWARDED_PORT
            || (name.as_str() == X_FORWARDED_FOR && forwarded.xff != XffMode::Preserve);
        if !skip {
            line(out, name.as_str(), value.as_bytes());
        }
    }
    if upgrade {
        if let Some(protocol) = headers.get(header::UPGRADE) {
            line(out, "upgrade", protocol.as_bytes());
        }
        line(out, "connection", b"upgrade");
    }
    if framing == RequestFraming::Chunked {
        line(out, "transfer-encoding", b"chunked");
    }
    // Writing into a Vec cannot fail, so the results below are ignored.
    if forwarded.xff == XffMode::Append {
        out.extend_from_slice(b"x-forwarded-for: ");
        if let Some(existing) = headers.get(X_FORWARDED_FOR) {
            out.extend_from_slice(existing.as_bytes());
            out.extend_from_slice(b", ");
        }
        let _ = write!(out, "{}\r\n", forwarded.client);
    }
    line(out, X_FORWARDED_PROTO, b"http");
    let _ = write!(out, "{X_FORWARDED_PORT}: {}\r\n", forwarded.port);
    if !headers.contains_key(X_AMZN_TRACE_ID) {
        let (seconds, random) = forwarded.trace;
        let random = random & ((1u128 << 96) - 1);
        let _ = write!(
            out,
            "{X_AMZN_TRACE_ID}: Root=1-{seconds:08x}-{random:024x}\r\n"
        );
    }
    out.extend_from_slice(b"\r\n");
}

fn line(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Writes a health check's request: `GET path` that closes the connection.
pub fn write_check(out: &mut Vec<u8>, path: &str, host: &str) {
    let _ = write!(
        out,
        "GET {path} HTTP/1.1\r\nhost: {host}\r\nuser-agent: ELB-HealthChecker/2.0\r\nconnection: close\r\n\r\n"
    );
}

/// Why a response head was refused.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("{0}")]
    Http(#[from] httparse::Error),
    #[error("the response head is over {MAX_HEAD} bytes")]
    TooLarge,
    #[error("invalid header: {0}")]
    Header(String),
    #[error("conflicting or invalid Content-Length")]
    ContentLength,
}

/// How a response body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body (HEAD, 204, 304).
    Empty,
    /// `Content-Length` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the target closes the connection.
    UntilClose,
    /// 101: the connection now carries another protocol.
    Upgrade,
}

/// A parsed response head.
#[derive(Debug)]
pub struct ResponseHead {
    /// Status and end-to-end headers, ready for the client's response.
    pub parts: http::response::Parts,
    pub framing: Framing,
    /// Whether the connection can carry another request once the body
    /// has been read.
    pub keep_alive: bool,
}

/// What the header lines say about the connection and the body.
#[derive(Debug, Default)]
struct Hop {
    close: bool,
    keep_alive: bool,
    chunked: Option<bool>,
    length: Option<u64>,
}

/// Parses the final response head at the start of `buffer` and removes it
/// (with any interim 1xx heads before it). `Ok(None)`: not complete yet.
pub fn parse_response(
    buffer: &mut BytesMut,
    method: &Method,
) -> Result<Option<ResponseHead>, ParseError> {
    loop {
        // Where each header's name and value lie in `buffer`, so that the
        // values can share the buffer once the head is split off.
        let mut spans = [(0usize, 0usize, 0usize, 0usize); MAX_HEADERS];
        let (len, code, version, count) = {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut response = httparse::Response::new(&mut headers);
            let len = match response.parse(buffer)? {
                httparse::Status::Complete(len) => len,
                httparse::Status::Partial if buffer.len() > MAX_HEAD => {
                    return Err(ParseError::TooLarge);
                }
                httparse::Status::Partial => return Ok(None),
            };
            let base = buffer.as_ptr() as usize;
            for (span, header) in spans.iter_mut().zip(response.headers.iter()) {
                let name = header.name.as_ptr() as usize - base;
                let value = header.value.as_ptr() as usize - base;
                *span = (name, header.name.len(), value, header.value.len());
            }
            (
                len,
                response.code.unwrap_or(0),
                response.version.unwrap_or(1),
                response.headers.len(),
            )
        };
        if (100..200).contains(&code) && code != 101 {
            buffer.advance(len);
            continue;
        }
        let status = StatusCode::from_u16(code).map_err(|_| httparse::Error::Status)?;
        let head = buffer.split_to(len).freeze();
        let mut headers = HeaderMap::with_capacity(count);
        let mut hop = Hop::default();
        for &(name_at, name_len, value_at, value_len) in &spans[..count] {
            let name = HeaderName::from_bytes(&head[name_at..name_at + name_len])
                .map_err(|e| ParseError::Header(e.to_string()))?;
            let value = HeaderValue::from_maybe_shared(head.slice(value_at..value_at + value_len))
                .map_err(|e| ParseError::Header(e.to_string()))?;
            hop.read(&name, &value)?;
            if !is_hop_by_hop(&name) || (code == 101 && name == header::UPGRADE) {
                headers.append(name, value);
            }
        }
        if code == 101 {
            headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        }
        let framing = framing(code, method, &hop);
        let keep_alive = framing != Framing::UntilClose
            && framing != Framing::Upgrade
            && !hop.close
            && (version == 1 || hop.keep_alive);
        let (mut parts, ()) = http::Response::new(()).into_parts();
        parts.status = status;
        parts.version = Version::HTTP_11;
        parts.headers = headers;
        return Ok(Some(ResponseHead {
            parts,
            framing,
            keep_alive,
        }));
    }
}

impl Hop {
    fn read(&mut self, name: &HeaderName, value: &HeaderValue) -> Result<(), ParseError> {
        if name == header::CONNECTION {
            for token in value.as_bytes().split(|b| *b == b',') {
                let token = token.trim_ascii();
                self.close |= token.eq_ignore_ascii_case(b"close");
                self.keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        } else if name == header::TRANSFER_ENCODING {
            let last = value
                .as_bytes()
                .rsplit(|b| *b == b',')
                .next()
                .unwrap_or(b"");
            self.chunked = Some(last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        } else if name == header::CONTENT_LENGTH {
            let length = std::str::from_utf8(value.as_bytes())
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .ok_or(ParseError::ContentLength)?;
            if self.length.is_some_and(|seen| seen != length) {
                return Err(ParseError::ContentLength);
            }
            self.length = Some(length);
        }
        Ok(())
    }
}

/// RFC 9112, section 6.3: how the body of a response is delimited.
fn framing(code: u16, method: &Method, hop: &Hop) -> Framing {
    if code == 101 {
        Framing::Upgrade
    } else if method == Method::HEAD || code == 204 || code == 304 {
        Framing::Empty
    } else if let Some(chunked) = hop.chunked {
        if chunked {
            Framing::Chunked
        } else {
            Framing::UntilClose
        }
    } else if let Some(length) = hop.length {
        Framing::Length(length)
    } else {
        Framing::UntilClose
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8], method: Method) -> Result<Option<ResponseHead>, ParseError> {
        parse_response(&mut BytesMut::from(bytes), &method)
    }

    #[test]
    fn a_keep_alive_response_with_a_length() {
        let head = parse(
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-App: a\r\nConnection: keep-alive\r\n\r\nhello",
            Method::GET,
        )
        .unwrap()
        .unwrap();
        assert_eq!(head.parts.status, 200);
        assert_eq!(head.framing, Framing::Length(5));
        assert!(head.keep_alive);
        assert_eq!(head.parts.headers["x-app"], "a");
        assert!(!head.parts.headers.contains_key(header::CONNECTION));
    }

    #[test]
    fn chunked_close_and_http_1_0() {
        let head = parse(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            Method::GET,
        )
        .unwrap()
        .unwrap();
        assert_eq!(head.framing, Framing::Chunked);
        assert!(!head.parts.headers.contains_key(header::TRANSFER_ENCODING));

        let head = parse(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", Method::GET)
            .unwrap()
            .unwrap();
        assert_eq!(head.framing, Framing::UntilClose);
        assert!(!head.keep_alive);

        let head = parse(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", Method::GET)
            .unwrap()
            .unwrap();
        assert!(!head.keep_alive, "HTTP/1.0 closes unless it says otherwise");
    }

    #[test]
    fn bodiless_answers_and_interim_heads() {
        let head = parse(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n",
            Method::GET,
        )
        .unwrap()
        .unwrap();
        assert_eq!(head.parts.status, 304);
        assert_eq!(head.framing, Framing::Empty);
        let head = parse(
            b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n",
            Method::HEAD,
        )
        .unwrap()
        .unwrap();
        assert_eq!(head.framing, Framing::Empty);
    }

    #[test]
    fn partial_heads_wait_and_bad_ones_are_refused() {
        assert!(
            parse(b"HTTP/1.1 200 OK\r\nContent-Le", Method::GET)
                .unwrap()
                .is_none()
        );
        assert!(parse(b"SSH-2.0-OpenSSH\r\n\r\n", Method::GET).is_err());
        assert!(
            parse(
                b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                Method::GET
            )
            .is_err()
        );
        let huge = [b"HTTP/1.1 200 OK\r\nX: ".as_slice(), &[b'a'; MAX_HEAD + 1]].concat();
        assert!(matches!(
            parse(&huge, Method::GET),
            Err(ParseError::TooLarge)
        ));
    }

    #[test]
    fn any_bytes_parse_or_fail_without_panicking() {
        // A cheap stand-in for fuzzing: every prefix of a few heads, and
        // pseudo-random mutations of them.
        let samples: [&[u8]; 3] = [
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nA: b\r\n\r\nabc",
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
            b"HTTP/1.0 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for sample in samples {
            for end in 0..=sample.len() {
                let _ = parse(&sample[..end], Method::GET);
            }
            for _ in 0..2000 {
                let mut bytes = sample.to_vec();
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let at = (seed as usize) % bytes.len();
                bytes[at] = (seed >> 32) as u8;
                let _ = parse(&bytes, Method::GET);
            }
        }
    }

    #[test]
    fn requests_carry_alb_headers_and_lose_hop_by_hop_ones() {
        let request = http::Request::post("http://example.test/a?b=1")
            .header("host", "shop.test")
            .header("connection", "keep-alive")
            .header("keep-alive", "timeout=5")
            .header("x-forwarded-for", "203.0.113.9")
            .header("x-forwarded-port", "1")
            .header("content-length", "3")
            .header("x-app", "1")
            .body(())
            .unwrap();
        let (parts, ()) = request.into_parts();
        let mut out = Vec::new();
        let forwarded = Forwarded {
            client: "127.0.0.1".parse().unwrap(),
            port: 80,
            xff: XffMode::Append,
            trace: (0x5f00_0000, 7),
        };
        write_request(&mut out, &parts, RequestFraming::AsIs, false, &forwarded);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "POST /a?b=1 HTTP/1.1\r\nhost: shop.test\r\ncontent-length: 3\r\nx-app: 1\r\n\
             x-forwarded-for: 203.0.113.9, 127.0.0.1\r\nx-forwarded-proto: http\r\n\
             x-forwarded-port: 80\r\n\
             x-amzn-trace-id: Root=1-5f000000-000000000000000000000007\r\n\r\n"
        );
    }
}
