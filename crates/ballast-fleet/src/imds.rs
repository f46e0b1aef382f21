//! The instance metadata service (IMDS), v1 and v2.
//!
//! Each instance has its own listener on `(its private address, the IMDS
//! port)`; the listener knows which instance it serves, so an instance is
//! identified by the address it connected to, never by anything in the
//! request. `AWS_EC2_METADATA_SERVICE_ENDPOINT` in the instance's
//! environment points the AWS CLI, boto3 and aws-sdk-rust at it.
//!
//! A token's response leaves with the instance's
//! `HttpPutResponseHopLimit` as its IP TTL, as on EC2, so a token cannot
//! be fetched from more routed hops away (a container inside the
//! instance behind its own bridge, with the default limit of 1); every
//! other response leaves with the system's default TTL.
//!
//! IMDSv2 session tokens are stateless ([`ballast_core::token`]): the
//! expiry and an HMAC over the instance id and expiry, under a key made
//! when Ballast starts. A restart
//! invalidates outstanding tokens, and SDKs then fetch a new one (a 401
//! tells them to), as they would after a real token expired.

use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::Response;
use axum::serve::IncomingStream;
use ballast_core::ec2::Instance;
use ballast_core::sts::Session;
use ballast_core::token::TokenKey;
use ballast_core::{Clock, Ids, Scope};
use ballast_store::Store;
use http::{HeaderValue, Method, StatusCode, header};

use crate::credentials;

/// `X-aws-ec2-metadata-token-ttl-seconds`.
const TTL_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";
/// `X-aws-ec2-metadata-token`.
const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";
/// The longest token lifetime IMDS grants: six hours.
const MAX_TOKEN_TTL: u64 = 21_600;

/// What every instance's metadata listener shares.
#[derive(Debug)]
pub struct Metadata {
    pub store: Arc<Store>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<Ids>,
    pub scope: Scope,
    token_key: TokenKey,
}

impl Metadata {
    pub fn new(store: Arc<Store>, clock: Arc<dyn Clock>, ids: Arc<Ids>, scope: Scope) -> Self {
        let token_key = TokenKey::new(&ids);
        Metadata {
            store,
            clock,
            ids,
            scope,
            token_key,
        }
    }

    /// A session token for `instance_id`, valid until `expiry` (Unix
    /// seconds).
    fn mint_token(&self, instance_id: &str, expiry: u64) -> String {
        self.token_key.mint(instance_id, expiry)
    }

    /// Whether `token` was minted for `instance_id` and has not expired.
    fn token_valid(&self, instance_id: &str, token: &str, now: u64) -> bool {
        self.token_key.check(instance_id, token, now).is_ok()
    }

    fn now_secs(&self) -> u64 {
        self.clock
            .now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
}

/// How a listener knows which instance is asking.
#[derive(Debug, Clone)]
pub enum Caller {
    /// Process mode: each instance has a listener of its own.
    Instance(String),
    /// Sandboxes: one listener at 169.254.169.254 for the whole VPC; the
    /// caller is the up instance whose private address the request came
    /// from (the VPC has no NAT, so the source is the instance's own).
    BySourceAddress,
}

/// A listener's shared state.
#[derive(Debug, Clone)]
struct Served {
    caller: Caller,
    metadata: Arc<Metadata>,
}

/// One connection's peer, and its socket so that a response can set the
/// TTL its packets leave with.
#[derive(Debug, Clone)]
struct Peer {
    address: SocketAddr,
    /// A duplicate of the connection's descriptor: options set on it are
    /// the connection's, and it cannot be reused for another connection
    /// while this one is alive.
    socket: Option<Arc<OwnedFd>>,
}

impl Connected<IncomingStream<'_, tokio::net::TcpListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, tokio::net::TcpListener>) -> Self {
        Peer {
            address: *stream.remote_addr(),
            socket: stream.io().as_fd().try_clone_to_owned().ok().map(Arc::new),
        }
    }
}

impl Peer {
    /// Sets the IP TTL of what is sent next on this connection; `None`
    /// restores the system default. Best effort: a failure leaves the TTL
    /// as it was, which only matters to a caller routed from further away.
    fn set_ttl(&self, hops: Option<u32>) {
        let Some(socket) = &self.socket else { return };
        let ttl = hops.unwrap_or_else(default_ttl);
        if let Err(error) =
            nix::sys::socket::setsockopt(socket, nix::sys::socket::sockopt::Ipv4Ttl, &(ttl as i32))
        {
            tracing::debug!(%error, "metadata: setting the response's TTL");
        }
    }
}

/// The system's default IP TTL (`net.ipv4.ip_default_ttl`).
fn default_ttl() -> u32 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_default_ttl")
        .ok()
        .and_then(|ttl| ttl.trim().parse().ok())
        .unwrap_or(64)
}

/// Serves the metadata service on `listener` until the returned task is
/// aborted.
pub fn serve(
    metadata: Arc<Metadata>,
    caller: Caller,
    listener: tokio::net::TcpListener,
) -> tokio::task::JoinHandle<()> {
    let router = Router::new()
        .fallback(handle)
        .with_state(Served { caller, metadata })
        .into_make_service_with_connect_info::<Peer>();
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::warn!(%error, "metadata listener stopped");
        }
    })
}

async fn handle(
    State(served): State<Served>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    request: Request,
) -> Response {
    let metadata = Arc::clone(&served.metadata);
    let (parts, _) = request.into_parts();
    // The store is synchronous SQLite: answer on a blocking thread.
    tokio::task::spawn_blocking(move || {
        let id = match served.caller {
            Caller::Instance(id) => id,
            Caller::BySourceAddress => match caller_at(&metadata, peer.address.ip()) {
                Some(id) => id,
                None => return text(StatusCode::NOT_FOUND, ""),
            },
        };
        let (response, hops) = answer(&metadata, &id, &parts);
        peer.set_ttl(hops);
        response
    })
    .await
    .unwrap_or_else(|_| text(StatusCode::INTERNAL_SERVER_ERROR, "internal error"))
}

/// The up instance with the private address `source` whose metadata
/// endpoint is enabled.
fn caller_at(metadata: &Metadata, source: IpAddr) -> Option<String> {
    let IpAddr::V4(source) = source else {
        return None;
    };
    let instance = metadata.store.read(|tx| tx.instance_at(source)).ok()??;
    (instance.state.is_up() && instance.metadata.enabled()).then_some(instance.id)
}

/// The response to `parts`, and for a token the hop limit its packets
/// leave with.
fn answer(
    metadata: &Metadata,
    instance_id: &str,
    parts: &http::request::Parts,
) -> (Response, Option<u32>) {
    let path = normalize(parts.uri.path());
    if path == "/latest/api/token" {
        return token(metadata, instance_id, parts);
    }
    (metadata_answer(metadata, instance_id, parts, &path), None)
}

/// A `GET` of anything but the token.
fn metadata_answer(
    metadata: &Metadata,
    instance_id: &str,
    parts: &http::request::Parts,
    path: &str,
) -> Response {
    let now = metadata.now_secs();
    if parts.method != Method::GET && parts.method != Method::HEAD {
        return text(StatusCode::METHOD_NOT_ALLOWED, "");
    }
    let instance = match metadata.store.read(|tx| tx.instance(instance_id)) {
        Ok(Some(instance)) => instance,
        Ok(None) => return text(StatusCode::NOT_FOUND, ""),
        Err(error) => {
            tracing::error!(%error, "metadata: reading the instance");
            return text(StatusCode::INTERNAL_SERVER_ERROR, "");
        }
    };
    match parts.headers.get(TOKEN_HEADER).map(HeaderValue::to_str) {
        Some(Ok(token)) if metadata.token_valid(instance_id, token, now) => {}
        Some(_) => return text(StatusCode::UNAUTHORIZED, ""),
        None if instance.metadata.tokens_required() => {
            return text(StatusCode::UNAUTHORIZED, "");
        }
        None => {}
    }
    match lookup(metadata, &instance, path) {
        Ok(Some(body)) => text(StatusCode::OK, &body),
        Ok(None) => text(StatusCode::NOT_FOUND, "Not Found"),
        Err(error) => {
            tracing::error!(%error, instance_id, "metadata: issuing credentials");
            text(StatusCode::INTERNAL_SERVER_ERROR, "")
        }
    }
}

/// The path with runs of `/` collapsed, as IMDS treats
/// `//latest/meta-data` (an endpoint with a trailing slash joined to a
/// path with a leading one) like `/latest/meta-data`.
fn normalize(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    out
}

/// `PUT /latest/api/token`, and the instance's hop limit.
fn token(
    metadata: &Metadata,
    instance_id: &str,
    parts: &http::request::Parts,
) -> (Response, Option<u32>) {
    let hops = match metadata.store.read(|tx| tx.instance(instance_id)) {
        Ok(Some(instance)) => u32::try_from(instance.metadata.http_put_response_hop_limit).ok(),
        Ok(None) => return (text(StatusCode::NOT_FOUND, ""), None),
        Err(error) => {
            tracing::error!(%error, "metadata: reading the instance");
            return (text(StatusCode::INTERNAL_SERVER_ERROR, ""), None);
        }
    };
    (token_response(metadata, instance_id, parts), hops)
}

fn token_response(
    metadata: &Metadata,
    instance_id: &str,
    parts: &http::request::Parts,
) -> Response {
    let now = metadata.now_secs();
    if parts.method != Method::PUT {
        return text(StatusCode::METHOD_NOT_ALLOWED, "");
    }
    // IMDS refuses token requests that went through a proxy.
    if parts.headers.contains_key("x-forwarded-for") {
        return text(StatusCode::FORBIDDEN, "");
    }
    let ttl = parts
        .headers
        .get(TTL_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|ttl| (1..=MAX_TOKEN_TTL).contains(ttl));
    let Some(ttl) = ttl else {
        return text(StatusCode::BAD_REQUEST, "");
    };
    let mut response = text(StatusCode::OK, &metadata.mint_token(instance_id, now + ttl));
    response
        .headers_mut()
        .insert(TTL_HEADER, HeaderValue::from(ttl));
    response
}

/// The metadata at `path` (documents are JSON, served as `text/plain`
/// like IMDS does), or `None` for a path that does not exist.
fn lookup(
    metadata: &Metadata,
    instance: &Instance,
    path: &str,
) -> Result<Option<String>, credentials::Error> {
    let region = &metadata.scope.region;
    let text = |s: String| Ok(Some(s));
    let path = path.strip_suffix('/').unwrap_or(path);
    // The public address as it is now (an Elastic IP moves it), read per
    // request; a store failure answers as if there were none.
    let public_ip = || {
        metadata
            .store
            .read(|tx| tx.instance_public_ip(&instance.id))
            .ok()
            .flatten()
    };
    match path {
        "" | "/latest" => text("api/\ndynamic/\nmeta-data/\nuser-data".to_owned()),
        "/latest/meta-data" => {
            let mut entries = vec!["ami-id", "ami-launch-index", "hostname"];
            if instance.profile.is_some() {
                entries.push("iam/");
            }
            entries.extend([
                "instance-id",
                "instance-type",
                "local-hostname",
                "local-ipv4",
                "mac",
                "placement/",
            ]);
            if public_ip().is_some() {
                entries.extend(["public-hostname", "public-ipv4"]);
            }
            entries.extend(["reservation-id", "security-groups"]);
            text(entries.join("\n"))
        }
        "/latest/meta-data/ami-id" => text(instance.image_id.clone()),
        "/latest/meta-data/ami-launch-index" => text(instance.ami_launch_index.to_string()),
        "/latest/meta-data/hostname" | "/latest/meta-data/local-hostname" => {
            text(instance.private_dns_name(region))
        }
        "/latest/meta-data/instance-id" => text(instance.id.clone()),
        "/latest/meta-data/instance-type" => text(instance.instance_type.clone()),
        "/latest/meta-data/local-ipv4" => text(instance.private_ip.to_string()),
        "/latest/meta-data/mac" => text(instance.mac()),
        "/latest/meta-data/public-ipv4" => Ok(public_ip().map(|ip| ip.to_string())),
        "/latest/meta-data/public-hostname" => {
            Ok(public_ip().map(|ip| ballast_core::ec2::address::public_dns_name(ip, region)))
        }
        "/latest/meta-data/reservation-id" => text(instance.reservation_id.clone()),
        "/latest/meta-data/security-groups" => text(
            instance
                .security_groups
                .iter()
                .map(|g| g.name.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        "/latest/meta-data/placement" => {
            text("availability-zone\navailability-zone-id\nregion".to_owned())
        }
        "/latest/meta-data/placement/availability-zone" => text(instance.zone.clone()),
        "/latest/meta-data/placement/availability-zone-id" => text(zone_id(instance, region)),
        "/latest/meta-data/placement/region" => text(region.clone()),
        "/latest/user-data" => Ok(user_data(instance)),
        "/latest/dynamic" => text("instance-identity/".to_owned()),
        "/latest/dynamic/instance-identity" => text("document".to_owned()),
        "/latest/dynamic/instance-identity/document" => text(identity_document(metadata, instance)),
        _ => iam(metadata, instance, path),
    }
}

/// The `iam/` subtree: present only when the instance has a profile.
fn iam(
    metadata: &Metadata,
    instance: &Instance,
    path: &str,
) -> Result<Option<String>, credentials::Error> {
    let Some(rest) = path.strip_prefix("/latest/meta-data/iam") else {
        return Ok(None);
    };
    let Some(role) = credentials::instance_role(&metadata.store, instance)? else {
        return Ok(None);
    };
    let updated = iso8601(metadata.clock.now());
    match rest {
        "" => Ok(Some("info\nsecurity-credentials/".to_owned())),
        "/info" => Ok(Some(
            serde_json::json!({
                "Code": "Success",
                "LastUpdated": updated,
                "InstanceProfileArn": role.profile_arn,
                "InstanceProfileId": role.profile_id,
            })
            .to_string(),
        )),
        "/security-credentials" => Ok(Some(role.role.name.clone())),
        other => {
            let Some(name) = other.strip_prefix("/security-credentials/") else {
                return Ok(None);
            };
            if name != role.role.name {
                return Ok(None);
            }
            let session = credentials::current_session(
                &metadata.store,
                &metadata.ids,
                metadata.clock.now(),
                instance,
                &role,
            )?;
            Ok(Some(credentials_document(&session, &updated)))
        }
    }
}

fn credentials_document(session: &Session, updated: &str) -> String {
    let expiration =
        iso8601(UNIX_EPOCH + Duration::from_millis(session.expires_millis.max(0) as u64));
    serde_json::json!({
        "Code": "Success",
        "LastUpdated": updated,
        "Type": "AWS-HMAC",
        "AccessKeyId": session.access_key_id,
        "SecretAccessKey": session.secret_access_key,
        "Token": session.session_token,
        "Expiration": expiration,
    })
    .to_string()
}

fn identity_document(metadata: &Metadata, instance: &Instance) -> String {
    let pending = UNIX_EPOCH + Duration::from_millis(instance.launch_millis.max(0) as u64);
    serde_json::json!({
        "accountId": metadata.scope.account,
        "architecture": "x86_64",
        "availabilityZone": instance.zone,
        "billingProducts": null,
        "devpayProductCodes": null,
        "marketplaceProductCodes": null,
        "imageId": instance.image_id,
        "instanceId": instance.id,
        "instanceType": instance.instance_type,
        "kernelId": null,
        "pendingTime": iso8601(pending),
        "privateIp": instance.private_ip.to_string(),
        "ramdiskId": null,
        "region": metadata.scope.region,
        "version": "2017-09-30",
    })
    .to_string()
}

fn user_data(instance: &Instance) -> Option<String> {
    let encoded = instance.user_data.as_ref()?;
    let decoded = ballast_core::ec2::instance::decode_user_data(encoded).ok()?;
    Some(String::from_utf8_lossy(&decoded).into_owned())
}

fn zone_id(instance: &Instance, region: &str) -> String {
    ballast_core::network::zone_id_of(region, &instance.zone).unwrap_or_default()
}

/// `2026-11-22T10:00:00Z`, the timestamp format IMDS documents use.
pub(crate) fn iso8601(at: SystemTime) -> String {
    ballast_core::iso8601(ballast_core::epoch_millis(at))
}

fn text(status: StatusCode, body: &str) -> Response {
    let mut response = Response::new(Body::from(body.to_owned()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use ballast_core::SystemClock;

    fn metadata() -> Metadata {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        Metadata::new(
            store,
            Arc::new(SystemClock),
            Arc::new(Ids::seeded(1)),
            Scope::new("us-east-1"),
        )
    }

    #[test]
    fn tokens_are_bound_to_their_instance_and_expire() {
        let m = metadata();
        let token = m.mint_token("i-1", 100);
        assert!(m.token_valid("i-1", &token, 99));
        assert!(!m.token_valid("i-1", &token, 100));
        assert!(!m.token_valid("i-2", &token, 99));
        assert!(!m.token_valid("i-1", "garbage", 99));
        assert!(!m.token_valid("i-1", "", 99));
    }

    #[test]
    fn doubled_slashes_collapse() {
        assert_eq!(normalize("//latest//meta-data/"), "/latest/meta-data/");
        assert_eq!(normalize("/"), "/");
    }

    #[test]
    fn timestamps_have_imds_shape() {
        assert_eq!(
            iso8601(UNIX_EPOCH + Duration::from_secs(86_400)),
            "1970-01-02T00:00:00Z"
        );
    }
}
