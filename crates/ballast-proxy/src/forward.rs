//! The request path: rules → action → target → upstream, with ALB's
//! headers and errors.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use ballast_core::elbv2::listener::redirect_location;
use ballast_core::elbv2::rule::first_match;
use ballast_core::elbv2::{Action, ForwardConfig, RequestView};
use http::header::{self, HeaderMap};
use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use rand::Rng;
use tokio::io::AsyncWriteExt as _;

use crate::Proxy;
use crate::balance;
use crate::body::{ProxyBody, empty};
use crate::registry::Target;
use crate::responses;
use crate::snapshot::{GroupRoute, ListenerRoute, Snapshot};
use crate::upstream::head::{self, Framing, RequestFraming, ResponseHead};
use crate::upstream::{ConnectError, Connection, Outgoing, SendError, UpstreamBody};

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
}

impl Conn {
    pub fn new(local: SocketAddr, peer: SocketAddr) -> Self {
        Conn { local, peer }
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
        host,
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
                host.split(':').next().unwrap_or(host),
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
fn request_host<B>(request: &Request<B>) -> &str {
    request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()))
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
    let upgrade = is_upgrade(request.headers());
    let client_upgrade = upgrade.then(|| hyper::upgrade::on(&mut request));
    let (parts, body) = request.into_parts();
    let has_length = parts.headers.contains_key(header::CONTENT_LENGTH)
        && !parts.headers.contains_key(header::TRANSFER_ENCODING);
    let mut body = Outgoing::new(body, has_length);
    let framing = match body {
        Outgoing::Chunked(_) => RequestFraming::Chunked,
        Outgoing::Empty | Outgoing::Length(_) => RequestFraming::AsIs,
    };
    let replayable = body.is_empty() && is_idempotent(&parts.method);
    // The request as the target gets it, written once: a retry sends the
    // same bytes again.
    let mut request_bytes: Vec<u8> = Vec::new();
    let mut tried: Vec<SocketAddr> = Vec::new();

    for _ in 0..MAX_ATTEMPTS {
        let candidates = balance::candidates(group, &tried);
        let Some(target) = balance::pick(group, &candidates, proxy.clock.as_ref()).cloned() else {
            break;
        };
        let mut connection = match connect(proxy, &target).await {
            Ok(connection) => connection,
            Err(error) => {
                tracing::debug!(addr = %target.addr, %error, "target refused a connection");
                passive_mark(proxy, &target, "a failed connection");
                tried.push(target.addr);
                if proxy.options.retry_connect_failures {
                    continue;
                }
                return connect_failure(&error);
            }
        };
        if request_bytes.is_empty() {
            request_bytes = connection.take_buffer();
            let forwarded = forwarded(proxy, listener, conn);
            head::write_request(&mut request_bytes, &parts, framing, upgrade, &forwarded);
        }
        let in_flight = target.begin_request();
        let sent = tokio::time::timeout(
            listener.idle_timeout,
            connection.exchange(&mut request_bytes, &mut body, &parts.method),
        )
        .await;
        let error = match sent {
            Err(_) => return responses::error(StatusCode::GATEWAY_TIMEOUT),
            Ok(Ok(head)) => {
                connection.keep_buffer(request_bytes);
                return respond(proxy, head, connection, client_upgrade, in_flight);
            }
            Ok(Err(error)) => error,
        };
        let stale = connection.is_reused() && matches!(error, SendError::Closed(_));
        tracing::debug!(addr = %target.addr, %error, stale, "exchange with the target failed");
        if !replayable || !proxy.options.retry_connect_failures {
            return responses::error(StatusCode::BAD_GATEWAY);
        }
        if !stale {
            // A kept-alive connection the target had closed says nothing
            // of the target; any other failure does.
            passive_mark(proxy, &target, "a connection that died mid-request");
            tried.push(target.addr);
        }
    }
    if tried.is_empty() {
        responses::error(StatusCode::SERVICE_UNAVAILABLE)
    } else {
        responses::error(StatusCode::BAD_GATEWAY)
    }
}

/// A connection to `target`: an idle pooled one, or a new one.
async fn connect(proxy: &Proxy, target: &Target) -> Result<Connection, ConnectError> {
    match proxy.pool.take_idle(target.addr) {
        Some(connection) => Ok(connection),
        None => Connection::open(target.addr, CONNECT_TIMEOUT).await,
    }
}

/// Whether a request may be sent twice (with no body, nothing is lost or
/// done twice): RFC 9110's idempotent methods.
fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::DELETE | Method::PUT
    )
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

/// ALB's headers for a request on `conn`.
fn forwarded(proxy: &Proxy, listener: &ListenerRoute, conn: &Conn) -> head::Forwarded {
    let seconds = proxy
        .clock
        .now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    head::Forwarded {
        client: conn.peer.ip(),
        port: listener.port,
        xff: listener.xff,
        trace: (seconds, rand::rng().random()),
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

/// The target's response as the client receives it. The body keeps the
/// target's in-flight count until it ends, and a protocol switch is
/// tunnelled until either side closes.
fn respond(
    proxy: &Proxy,
    head: ResponseHead,
    connection: Connection,
    client_upgrade: Option<hyper::upgrade::OnUpgrade>,
    in_flight: crate::registry::InFlight,
) -> Response<ProxyBody> {
    if head.framing == Framing::Upgrade {
        let Some(client_upgrade) = client_upgrade else {
            // A switch nobody asked for cannot be relayed.
            return responses::error(StatusCode::BAD_GATEWAY);
        };
        tokio::spawn(async move {
            let _in_flight = in_flight;
            let (mut target, early) = connection.into_parts();
            if let Ok(client) = client_upgrade.await {
                let mut client = hyper_util::rt::TokioIo::new(client);
                if client.write_all(&early).await.is_ok() {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut target).await;
                }
            }
        });
        return Response::from_parts(head.parts, empty());
    }
    let body = UpstreamBody::new(
        connection,
        head.framing,
        head.keep_alive,
        Arc::clone(&proxy.pool),
        in_flight,
    );
    Response::from_parts(head.parts, ProxyBody::Upstream(body))
}
