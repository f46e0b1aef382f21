//! The request path: rules → action → target → upstream, with ALB's
//! headers and errors.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ballast_core::elbv2::listener::redirect_location;
use ballast_core::elbv2::rule::first_match;
use ballast_core::elbv2::{Action, ForwardConfig, RequestView};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode, Uri, Version};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use rand::Rng;

use crate::Proxy;
use crate::balance;
use crate::body::{ProxyBody, Tracked, empty};
use crate::registry::Target;
use crate::responses;
use crate::snapshot::{GroupRoute, ListenerRoute, Snapshot, XffMode};
use crate::upstream::{self, ConnectError};

/// ALB's connect timeout. Connection and idle timeouts guard against stuck
/// peers rather than pace orchestration, so the time scale leaves them be.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// At most this many connection attempts per request.
const MAX_ATTEMPTS: usize = 4;

/// The two ends of a client connection.
#[derive(Debug, Clone)]
pub struct Conn {
    /// The listener address the client reached.
    pub local: SocketAddr,
    /// The client.
    pub peer: SocketAddr,
    /// The client's address as an `X-Forwarded-For` value, made once per
    /// connection rather than once per request.
    client: HeaderValue,
}

impl Conn {
    pub fn new(local: SocketAddr, peer: SocketAddr) -> Self {
        let client = HeaderValue::from_str(&peer.ip().to_string())
            .unwrap_or_else(|_| HeaderValue::from_static("0.0.0.0"));
        Conn {
            local,
            peer,
            client,
        }
    }
}

/// Answers one client request.
pub async fn handle(
    proxy: Arc<Proxy>,
    conn: &Conn,
    request: Request<Incoming>,
) -> Response<ProxyBody> {
    let snapshot = proxy.snapshot.load_full();
    let Some(listener) = snapshot.listeners.get(&conn.local).cloned() else {
        return responses::error(StatusCode::SERVICE_UNAVAILABLE);
    };
    let host = request_host(&request);
    let view = RequestView {
        host: &host,
        path: request.uri().path(),
        method: request.method().as_str(),
        query: request.uri().query(),
        headers: request.headers(),
    };
    // Actions borrow from the listener route, not from the request, so
    // nothing is copied per request.
    let actions =
        first_match(&listener.rules, &view).map_or(&listener.default_actions, |r| &r.actions);
    match actions.first() {
        Some(Action::Forward(config)) => {
            forward(&proxy, &snapshot, &listener, conn, config, request).await
        }
        Some(Action::FixedResponse(config)) => responses::fixed(config),
        Some(Action::Redirect(config)) => {
            let location = redirect_location(
                config,
                host.split(':').next().unwrap_or(&host),
                listener.port,
                request.uri().path(),
                request.uri().query(),
            );
            responses::redirect(&location, config.status_code)
        }
        None => responses::error(StatusCode::SERVICE_UNAVAILABLE),
    }
}

/// The host a request names: `Host`, or the authority of an HTTP/2 request.
fn request_host<B>(request: &Request<B>) -> String {
    request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().authority().map(|a| a.to_string()))
        .unwrap_or_default()
}

/// Picks one of a forward action's target groups by weight.
fn pick_group<'s>(snapshot: &'s Snapshot, config: &ForwardConfig) -> Option<&'s Arc<GroupRoute>> {
    let total: u32 = config.target_groups.iter().map(|g| g.weight).sum();
    let chosen = if config.target_groups.len() == 1 || total == 0 {
        config.target_groups.first()
    } else {
        let mut ticket = rand::rng().random_range(0..total);
        config.target_groups.iter().find(|g| {
            if ticket < g.weight {
                true
            } else {
                ticket -= g.weight;
                false
            }
        })
    };
    chosen.and_then(|g| snapshot.groups.get(&g.arn))
}

async fn forward(
    proxy: &Proxy,
    snapshot: &Snapshot,
    listener: &ListenerRoute,
    conn: &Conn,
    config: &ForwardConfig,
    mut request: Request<Incoming>,
) -> Response<ProxyBody> {
    let Some(group) = pick_group(snapshot, config) else {
        return responses::error(StatusCode::SERVICE_UNAVAILABLE);
    };
    if group.targets.is_empty() {
        return responses::error(StatusCode::SERVICE_UNAVAILABLE);
    }
    let client_upgrade = is_upgrade(request.headers()).then(|| hyper::upgrade::on(&mut request));
    let mut upstream_request = prepare(proxy, listener, conn, request);
    let replay = proxy
        .options
        .retry_connect_failures
        .then(|| Replay::of(&upstream_request))
        .flatten();
    let mut tried: Vec<SocketAddr> = Vec::new();

    for _ in 0..MAX_ATTEMPTS {
        let candidates = balance::candidates(group, &tried);
        let Some(target) = balance::pick(group, &candidates, proxy.clock.as_ref()).cloned() else {
            break;
        };
        let mut sender = match proxy.pool.take_idle(target.addr) {
            Some(sender) => sender,
            None => match upstream::connect(target.addr, CONNECT_TIMEOUT).await {
                Ok(sender) => sender,
                Err(error) => {
                    tracing::debug!(addr = %target.addr, %error, "target refused a connection");
                    passive_mark(proxy, &target, "a failed connection");
                    tried.push(target.addr);
                    if proxy.options.retry_connect_failures {
                        continue;
                    }
                    return connect_failure(&error);
                }
            },
        };
        if sender.ready().await.is_err() {
            continue;
        }
        let in_flight = target.begin_request();
        let sent = tokio::time::timeout(
            listener.idle_timeout,
            sender.try_send_request(upstream_request),
        )
        .await;
        let response = match sent {
            Err(_) => return responses::error(StatusCode::GATEWAY_TIMEOUT),
            Ok(Ok(response)) => response,
            Ok(Err(mut error)) => match error.take_message() {
                // A pooled connection closed under us before the request
                // left: try again on a fresh one.
                Some(unsent) => {
                    upstream_request = unsent;
                    continue;
                }
                None => {
                    tracing::debug!(addr = %target.addr, error = %error.error(), "target failed mid-request");
                    // The connection died before any response: an idempotent
                    // request without a body can be sent again elsewhere.
                    let Some(replay) = &replay else {
                        return responses::error(StatusCode::BAD_GATEWAY);
                    };
                    passive_mark(proxy, &target, "a connection that died mid-request");
                    tried.push(target.addr);
                    upstream_request = replay.request();
                    continue;
                }
            },
        };
        proxy.pool.put_back(target.addr, sender);
        return respond(response, client_upgrade, in_flight);
    }
    if tried.is_empty() {
        responses::error(StatusCode::SERVICE_UNAVAILABLE)
    } else {
        responses::error(StatusCode::BAD_GATEWAY)
    }
}

/// Passive health (a Ballast extension, `--passive-health`): the balancer
/// skips a target the proxy just failed to reach until its next passing
/// active check. Routing only: what the API reports stays the active
/// checks' verdict, as on AWS.
fn passive_mark(proxy: &Proxy, target: &Target, cause: &str) {
    if proxy.options.passive_health && target.mark_unreachable() {
        tracing::info!(addr = %target.addr, cause, "target skipped by routing until its next passing health check");
    }
}

/// What is needed to send a request again: only for idempotent methods
/// whose body is empty, so nothing is lost or done twice.
struct Replay {
    method: http::Method,
    uri: Uri,
    headers: HeaderMap,
}

impl Replay {
    fn of(request: &Request<ProxyBody>) -> Option<Replay> {
        use hyper::body::Body as _;
        let idempotent = matches!(
            *request.method(),
            http::Method::GET
                | http::Method::HEAD
                | http::Method::OPTIONS
                | http::Method::DELETE
                | http::Method::PUT
        );
        let empty = request.body().is_end_stream() || request.body().size_hint().exact() == Some(0);
        (idempotent && empty).then(|| Replay {
            method: request.method().clone(),
            uri: request.uri().clone(),
            headers: request.headers().clone(),
        })
    }

    fn request(&self) -> Request<ProxyBody> {
        let mut request = Request::new(empty());
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.version_mut() = Version::HTTP_11;
        *request.headers_mut() = self.headers.clone();
        request
    }
}

fn connect_failure(error: &ConnectError) -> Response<ProxyBody> {
    match error {
        ConnectError::Timeout => responses::error(StatusCode::GATEWAY_TIMEOUT),
        _ => responses::error(StatusCode::BAD_GATEWAY),
    }
}

/// Whether a request asks to switch protocols (WebSocket).
fn is_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE)
        && headers
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| {
                v.split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
            })
}

/// Headers that describe one hop and are not forwarded.
const HOP_BY_HOP: [HeaderName; 6] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
];

/// The request as the target receives it: origin-form URI, HTTP/1.1,
/// hop-by-hop headers removed, and ALB's X-Forwarded-* and trace headers.
fn prepare(
    proxy: &Proxy,
    listener: &ListenerRoute,
    conn: &Conn,
    request: Request<Incoming>,
) -> Request<ProxyBody> {
    let (mut parts, body) = request.into_parts();
    let upgrade = is_upgrade(&parts.headers);
    let host = parts.headers.get(header::HOST).cloned().or_else(|| {
        parts
            .uri
            .authority()
            .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
    });
    for name in &HOP_BY_HOP {
        parts.headers.remove(name);
    }
    if upgrade {
        parts
            .headers
            .insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    } else {
        parts.headers.remove(header::UPGRADE);
    }
    if let Some(host) = host {
        parts.headers.insert(header::HOST, host);
    }
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    parts.uri = Uri::try_from(path).unwrap_or_else(|_| Uri::from_static("/"));
    parts.version = Version::HTTP_11;
    forwarded_headers(proxy, listener, conn, &mut parts.headers);
    Request::from_parts(parts, body.boxed())
}

// Header names built once: inserting under a `&str` name allocates a new
// name on every request.
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_PORT: HeaderName = HeaderName::from_static("x-forwarded-port");
const X_AMZN_TRACE_ID: HeaderName = HeaderName::from_static("x-amzn-trace-id");

fn forwarded_headers(
    proxy: &Proxy,
    listener: &ListenerRoute,
    conn: &Conn,
    headers: &mut HeaderMap,
) {
    match listener.xff {
        XffMode::Append => {
            let value = match headers.get(&X_FORWARDED_FOR).and_then(|v| v.to_str().ok()) {
                Some(existing) => {
                    HeaderValue::from_str(&format!("{existing}, {}", conn.peer.ip())).ok()
                }
                None => Some(conn.client.clone()),
            };
            if let Some(value) = value {
                headers.insert(X_FORWARDED_FOR, value);
            }
        }
        XffMode::Preserve => {}
        XffMode::Remove => {
            headers.remove(&X_FORWARDED_FOR);
        }
    }
    headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static("http"));
    headers.insert(X_FORWARDED_PORT, HeaderValue::from(listener.port));
    if !headers.contains_key(&X_AMZN_TRACE_ID) {
        let seconds = proxy
            .clock
            .now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let random: u128 = rand::rng().random();
        let trace = format!("Root=1-{seconds:08x}-{:024x}", random & ((1u128 << 96) - 1));
        if let Ok(value) = HeaderValue::from_str(&trace) {
            headers.insert(X_AMZN_TRACE_ID, value);
        }
    }
}

/// The target's response as the client receives it; the in-flight count
/// lasts until the body (or the upgraded tunnel) ends.
fn respond(
    mut response: Response<Incoming>,
    client_upgrade: Option<hyper::upgrade::OnUpgrade>,
    in_flight: crate::registry::InFlight,
) -> Response<ProxyBody> {
    if response.status() == StatusCode::SWITCHING_PROTOCOLS
        && let Some(client_upgrade) = client_upgrade
    {
        let target_upgrade = hyper::upgrade::on(&mut response);
        tokio::spawn(async move {
            let _in_flight = in_flight;
            if let (Ok(client), Ok(target)) = (client_upgrade.await, target_upgrade.await) {
                let mut client = hyper_util::rt::TokioIo::new(client);
                let mut target = hyper_util::rt::TokioIo::new(target);
                let _ = tokio::io::copy_bidirectional(&mut client, &mut target).await;
            }
        });
        let (parts, _) = response.into_parts();
        return Response::from_parts(parts, empty());
    }
    let (mut parts, body) = response.into_parts();
    parts.headers.remove(header::CONNECTION);
    parts.headers.remove("keep-alive");
    Response::from_parts(parts, Tracked::new(body, in_flight).boxed())
}
