//! The proxy's own HTTP/1.1 client against targets that frame their
//! answers every way HTTP/1.1 allows, written byte by byte, so each path
//! of the client is seen from outside: what the client of the load
//! balancer receives, and how many connections the target saw.

// Integration tests unwrap freely; the product code may not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ballast_proxy::ProxyOptions;
use support::Harness;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const WAIT: Duration = Duration::from_secs(10);

/// A target whose answers are written by hand. Health checks (`/health`)
/// get a plain 200; other requests go to `answer`, which sees the request
/// (head and body) and how many it answered before on that connection,
/// and returns the bytes to write and whether to close afterwards.
struct Scripted {
    addr: SocketAddr,
    /// Connections that carried a request other than a health check.
    app_connections: Arc<AtomicUsize>,
    /// Requests other than health checks, answered or not.
    app_requests: Arc<AtomicUsize>,
    _task: tokio::task::JoinHandle<()>,
}

type Answer = fn(&Request, usize) -> (Vec<u8>, bool);

/// A request as the target read it.
struct Request {
    head: String,
    body: Vec<u8>,
}

impl Request {
    fn path(&self) -> &str {
        self.head.split(' ').nth(1).unwrap_or("")
    }
}

impl Scripted {
    async fn start(answer: Answer) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app_connections = Arc::new(AtomicUsize::new(0));
        let app_requests = Arc::new(AtomicUsize::new(0));
        let counted = (Arc::clone(&app_connections), Arc::clone(&app_requests));
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(serve(stream, answer, counted.clone()));
            }
        });
        Scripted {
            addr,
            app_connections,
            app_requests,
            _task: task,
        }
    }
}

async fn serve(
    mut stream: TcpStream,
    answer: Answer,
    (app_connections, app_requests): (Arc<AtomicUsize>, Arc<AtomicUsize>),
) {
    let mut buffer = Vec::new();
    let mut answered = 0;
    while let Some(request) = read_request(&mut stream, &mut buffer).await {
        if request.path() == "/health" {
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                .await;
            return;
        }
        if answered == 0 {
            app_connections.fetch_add(1, Ordering::Relaxed);
        }
        app_requests.fetch_add(1, Ordering::Relaxed);
        let (bytes, close) = answer(&request, answered);
        answered += 1;
        // Written in small pieces, so the proxy sees them arrive apart;
        // `/pause` takes 20 ms a piece.
        for piece in bytes.chunks(7000) {
            if stream.write_all(piece).await.is_err() {
                return;
            }
            if request.path() == "/pause" {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            tokio::task::yield_now().await;
        }
        if close {
            return;
        }
    }
}

/// Reads one request (head, then a `content-length` or chunked body).
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<Request> {
    let end = loop {
        if let Some(at) = find(buffer, b"\r\n\r\n") {
            break at + 4;
        }
        fill(stream, buffer).await?;
    };
    let head = String::from_utf8_lossy(&buffer[..end]).to_lowercase();
    buffer.drain(..end);
    let mut body = Vec::new();
    if let Some(length) = header(&head, "content-length") {
        let length: usize = length.parse().ok()?;
        while buffer.len() < length {
            fill(stream, buffer).await?;
        }
        body = buffer.drain(..length).collect();
    } else if header(&head, "transfer-encoding").is_some_and(|te| te.contains("chunked")) {
        loop {
            let line_end = loop {
                if let Some(at) = find(buffer, b"\r\n") {
                    break at;
                }
                fill(stream, buffer).await?;
            };
            let size =
                usize::from_str_radix(std::str::from_utf8(&buffer[..line_end]).ok()?, 16).ok()?;
            while buffer.len() < line_end + 2 + size + 2 {
                fill(stream, buffer).await?;
            }
            body.extend_from_slice(&buffer[line_end + 2..line_end + 2 + size]);
            buffer.drain(..line_end + 2 + size + 2);
            if size == 0 {
                break;
            }
        }
    }
    Some(Request { head, body })
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

async fn fill(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 16384];
    let n = stream.read(&mut chunk).await.ok()?;
    (n > 0).then(|| buffer.extend_from_slice(&chunk[..n]))
}

/// The load balancer in front of one scripted target, once it is healthy.
/// One serving thread: a client such as reqwest may open a second
/// connection while its first is on its way back to its pool, and each
/// serving thread keeps its own target connections, so with more threads
/// which target connection a request finds would depend on that race.
async fn balanced(answer: Answer) -> (Harness, Scripted) {
    let options = ProxyOptions {
        serving_threads: NonZeroUsize::MIN,
        ..ProxyOptions::default()
    };
    let h = Harness::start(options, &[]).await;
    let target = Scripted::start(answer).await;
    h.register_addr(target.addr);
    h.wait_state_at(target.addr, "scripted", "healthy").await;
    (h, target)
}

/// A client connection to the load balancer that keeps its connection.
fn keep_alive_client() -> reqwest::Client {
    reqwest::Client::builder().timeout(WAIT).build().unwrap()
}

/// `n` pseudo-random bytes (no two bodies of a test alike by accident).
fn bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn chunked(body: &[u8], piece: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for part in body.chunks(piece) {
        out.extend_from_slice(format!("{:x};ext=1\r\n", part.len()).as_bytes());
        out.extend_from_slice(part);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\nx-trailer: 1\r\n\r\n");
    out
}

fn answer_by_path(request: &Request, _: usize) -> (Vec<u8>, bool) {
    let (head, body, close): (String, Vec<u8>, bool) = match request.path() {
        "/length" | "/pause" => (
            "HTTP/1.1 200 OK\r\ncontent-length: 100000\r\nx-app: length\r\n".into(),
            bytes(100_000, 1),
            false,
        ),
        "/chunked" => (
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nx-app: chunked\r\n".into(),
            chunked(&bytes(50_000, 2), 3000),
            false,
        ),
        "/close" => (
            "HTTP/1.0 200 OK\r\nx-app: close\r\n".into(),
            bytes(30_000, 3),
            true,
        ),
        "/empty" => ("HTTP/1.1 204 No Content\r\n".into(), Vec::new(), false),
        "/head-length" => {
            let length = request.head.len().to_string();
            (
                format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n", length.len()),
                length.into_bytes(),
                false,
            )
        }
        "/echo" => (
            format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n",
                request.body.len()
            ),
            request.body.clone(),
            false,
        ),
        _ => (
            "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n".into(),
            Vec::new(),
            false,
        ),
    };
    let mut out = head.into_bytes();
    // An interim 100 before some answers, which the client must not see.
    if request.path() == "/length" {
        out = [b"HTTP/1.1 100 Continue\r\n\r\n".as_slice(), &out].concat();
    }
    out.extend_from_slice(b"\r\n");
    if !request.head.starts_with("head ") {
        out.extend_from_slice(&body);
    }
    (out, close)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_of_every_framing_arrive_whole_over_kept_alive_connections() {
    let (h, target) = balanced(answer_by_path).await;
    let c = keep_alive_client();
    for round in 0..5 {
        let response = c.get(h.url("/length")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["x-app"], "length");
        assert_eq!(
            response.bytes().await.unwrap(),
            bytes(100_000, 1),
            "round {round}"
        );

        let response = c.get(h.url("/chunked")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(!response.headers().contains_key("x-trailer"));
        assert_eq!(
            response.bytes().await.unwrap(),
            bytes(50_000, 2),
            "round {round}"
        );

        let response = c.get(h.url("/empty")).send().await.unwrap();
        assert_eq!(response.status(), 204);

        let response = c.head(h.url("/length")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.bytes().await.unwrap().len(), 0);
    }
    // HEAD is answered with a length but no body: had the proxy waited
    // for those bytes, the round would have hung.
    assert_eq!(
        target.app_connections.load(Ordering::Relaxed),
        1,
        "every exchange reused the one kept-alive connection"
    );

    // A body that ends when the target closes: whole, and not pooled.
    for _ in 0..3 {
        let response = c.get(h.url("/close")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.bytes().await.unwrap(), bytes(30_000, 3));
    }
    // The first went on the pooled connection and ended it; each of the
    // others needed a new one.
    assert_eq!(target.app_connections.load(Ordering::Relaxed), 3);
}

/// A request without a body is written with the others of its scheduler
/// turn (`upstream/batch.rs`), small or large, on a kept-alive connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_heads_small_and_large_arrive_whole() {
    let (h, target) = balanced(answer_by_path).await;
    let c = keep_alive_client();
    for size in [10, 300_000, 20] {
        let value = "v".repeat(size);
        let response = c
            .get(h.url("/head-length"))
            .header("x-large", &value)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let length: usize = response.text().await.unwrap().parse().unwrap();
        assert!(length > size, "the target read a head of {length} bytes");
    }
    assert_eq!(target.app_connections.load(Ordering::Relaxed), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_bodies_arrive_whole_with_a_length_or_chunked() {
    let (h, _target) = balanced(answer_by_path).await;
    let c = keep_alive_client();
    for size in [1, 4096, 200_000] {
        let sent = bytes(size, 9);
        let response = c
            .post(h.url("/echo"))
            .body(sent.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.bytes().await.unwrap(), sent, "{size} bytes");
    }

    // A chunked request body goes on chunked (no length to give).
    let mut stream = TcpStream::connect((h.lb_addr, h.port)).await.unwrap();
    stream
        .write_all(b"POST /echo HTTP/1.1\r\nhost: lb\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        .await
        .unwrap();
    let mut response = Vec::new();
    while !response.ends_with(b"hello world") {
        let mut chunk = [0u8; 1024];
        let n = tokio::time::timeout(WAIT, stream.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(
            n > 0,
            "closed early: {}",
            String::from_utf8_lossy(&response)
        );
        response.extend_from_slice(&chunk[..n]);
    }
    assert!(response.starts_with(b"HTTP/1.1 200"));
}

/// Closes the kept-alive connection when the second request on it comes,
/// without answering: what a target does when its keep-alive timeout and
/// the proxy's next request cross.
fn one_per_connection(request: &Request, answered: usize) -> (Vec<u8>, bool) {
    if answered > 0 {
        return (Vec::new(), true);
    }
    answer_by_path(request, answered)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_on_a_connection_the_target_closed_is_sent_again() {
    let (h, target) = balanced(one_per_connection).await;
    let c = keep_alive_client();
    for i in 0..20 {
        let response = c.get(h.url("/length")).send().await.unwrap();
        assert_eq!(response.status(), 200, "request {i}");
        assert_eq!(response.bytes().await.unwrap().len(), 100_000);
    }
    // Every request after the first was sent on the connection the one
    // before left in the pool, found it closed and went again on a new
    // one; the target was not held for it.
    assert!(target.app_connections.load(Ordering::Relaxed) >= 20);
    assert_eq!(target.app_requests.load(Ordering::Relaxed), 1 + 19 * 2);
    assert_eq!(
        h.health_at(target.addr).0,
        "healthy",
        "a stale connection says nothing of the target"
    );
    // A POST is not sent twice: it fails rather than risk doing it twice.
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let response = c.post(h.url("/echo")).body("x").send().await.unwrap();
        statuses.push(response.status().as_u16());
    }
    assert!(
        statuses.contains(&502) || statuses == [200, 200],
        "{statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_answers_are_502_and_the_proxy_carries_on() {
    fn garbage(request: &Request, answered: usize) -> (Vec<u8>, bool) {
        match request.path() {
            "/garbage" => (b"SSH-2.0-OpenSSH_9.2\r\n\r\n".to_vec(), true),
            "/bad-length" => (
                b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello".to_vec(),
                true,
            ),
            "/bad-chunks" => (
                b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n".to_vec(),
                true,
            ),
            _ => answer_by_path(request, answered),
        }
    }
    let (h, _target) = balanced(garbage).await;
    let c = keep_alive_client();
    for path in ["/garbage", "/bad-length"] {
        let response = c.get(h.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 502, "{path}");
    }
    // The head was fine, so the status went out; the body breaks off.
    let broken = match c.get(h.url("/bad-chunks")).send().await {
        Ok(response) => response.bytes().await.is_err(),
        Err(_) => true,
    };
    assert!(broken, "a malformed chunked body must not end cleanly");
    let response = c.get(h.url("/length")).send().await.unwrap();
    assert_eq!(response.bytes().await.unwrap().len(), 100_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_the_client_abandoned_does_not_leak_into_the_next() {
    let (h, target) = balanced(answer_by_path).await;
    for _ in 0..3 {
        // Take the head and a little of a 100 kB body that comes slowly,
        // then hang up.
        let mut stream = TcpStream::connect((h.lb_addr, h.port)).await.unwrap();
        stream
            .write_all(b"GET /pause HTTP/1.1\r\nhost: lb\r\n\r\n")
            .await
            .unwrap();
        let mut start = [0u8; 2048];
        let n = tokio::time::timeout(WAIT, stream.read(&mut start))
            .await
            .unwrap()
            .unwrap();
        assert!(start[..n].starts_with(b"HTTP/1.1 200"));
        drop(stream);
    }
    // Had a half-read connection gone back to the pool, the rest of its
    // body would be read as the next response.
    let c = keep_alive_client();
    for _ in 0..5 {
        let response = c.get(h.url("/chunked")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.bytes().await.unwrap(), bytes(50_000, 2));
    }
    assert_eq!(
        target.app_connections.load(Ordering::Relaxed),
        4,
        "each abandoned response closed its target connection; the rest shared one"
    );
}
