//! GetFunction's `Code.Location`: a link that downloads the function's
//! package without a signature, for ten minutes, and only that package.

// Integration tests unwrap freely; the product code may not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use support::{Api, Call};

/// An empty zip archive (its end-of-central-directory record alone) with
/// `comment`, so that two packages differ.
fn zip(comment: &str) -> Vec<u8> {
    let mut zip = b"PK\x05\x06".to_vec();
    zip.extend_from_slice(&[0; 16]);
    zip.extend_from_slice(&u16::try_from(comment.len()).unwrap().to_le_bytes());
    zip.extend_from_slice(comment.as_bytes());
    zip
}

async fn function(api: &Api, name: &str, package: &[u8]) {
    let role = api
        .role(name, "lambda.amazonaws.com")
        .await
        .xml("Arn")
        .expect("role ARN");
    api.root(Call::rest(
        "lambda",
        "POST",
        "/2015-03-31/functions",
        Some(json!({
            "FunctionName": name, "Runtime": "python3.12", "Handler": "index.handler",
            "Role": role, "Code": {"ZipFile": STANDARD.encode(package)},
        })),
    ))
    .await
    .ok();
}

/// GetFunction's `Code`, and its link as a path and query to fetch.
async fn get_code(api: &Api, name: &str) -> (serde_json::Value, String) {
    let got = api
        .root(Call::rest(
            "lambda",
            "GET",
            &format!("/2015-03-31/functions/{name}"),
            None,
        ))
        .await
        .ok();
    let body: serde_json::Value = serde_json::from_str(&got.body).unwrap();
    let code = body["Code"].clone();
    let location = code["Location"].as_str().expect("a Location").to_owned();
    let path = location
        .strip_prefix("http://ballast.test")
        .unwrap_or_else(|| panic!("a link to where the client called: {location}"))
        .to_owned();
    (code, path)
}

fn text(body: &[u8]) -> String {
    String::from_utf8_lossy(body).into_owned()
}

#[tokio::test]
async fn the_link_downloads_the_package_for_ten_minutes() {
    let api = Api::new();
    let package = zip("first");
    function(&api, "packaged", &package).await;
    let (code, link) = get_code(&api, "packaged").await;
    assert_eq!(code["RepositoryType"], "S3");

    let (status, body) = api.fetch(&link).await;
    assert_eq!(status, 200, "{}", text(&body));
    assert_eq!(&body[..], &package[..]);

    api.clock.advance(Duration::from_secs(9 * 60 + 59));
    assert_eq!(api.fetch(&link).await.0, 200, "still within ten minutes");
    api.clock.advance(Duration::from_secs(1));
    let (status, body) = api.fetch(&link).await;
    assert_eq!(status, 403);
    assert!(
        text(&body).contains("<Code>AccessDenied</Code>"),
        "{}",
        text(&body)
    );
    assert!(text(&body).contains("expired"), "{}", text(&body));

    // A new GetFunction gives a new link.
    let (_, fresh) = get_code(&api, "packaged").await;
    assert_eq!(api.fetch(&fresh).await.0, 200);
}

#[tokio::test]
async fn a_link_opens_only_its_own_package() {
    let api = Api::new();
    function(&api, "one", &zip("one")).await;
    function(&api, "two", &zip("two")).await;
    let (_, one) = get_code(&api, "one").await;
    let (_, two) = get_code(&api, "two").await;
    let (one_path, one_token) = one.split_once("?token=").unwrap();
    let (two_path, _) = two.split_once("?token=").unwrap();

    // One's token on two's package.
    let (status, body) = api.fetch(&format!("{two_path}?token={one_token}")).await;
    assert_eq!(status, 403);
    assert!(
        text(&body).contains("<Code>SignatureDoesNotMatch</Code>"),
        "{}",
        text(&body)
    );
    // A token altered by one character.
    let mut altered = one_token.to_owned();
    let last = altered.pop().unwrap();
    altered.push(if last == 'A' { 'B' } else { 'A' });
    let (status, _) = api.fetch(&format!("{one_path}?token={altered}")).await;
    assert_eq!(status, 403);
    // No token at all.
    let (status, body) = api.fetch(one_path).await;
    assert_eq!(status, 403);
    assert!(
        text(&body).contains("<Code>AccessDenied</Code>"),
        "{}",
        text(&body)
    );
}

#[tokio::test]
async fn a_link_to_replaced_code_finds_nothing() {
    let api = Api::new();
    function(&api, "updated", &zip("old")).await;
    let (_, old) = get_code(&api, "updated").await;
    let new_package = zip("new");
    api.root(Call::rest(
        "lambda",
        "PUT",
        "/2015-03-31/functions/updated/code",
        Some(json!({"ZipFile": STANDARD.encode(&new_package)})),
    ))
    .await
    .ok();

    let (status, body) = api.fetch(&old).await;
    assert_eq!(status, 404);
    assert!(
        text(&body).contains("<Code>NoSuchKey</Code>"),
        "{}",
        text(&body)
    );
    let (_, new) = get_code(&api, "updated").await;
    let (status, body) = api.fetch(&new).await;
    assert_eq!(status, 200);
    assert_eq!(&body[..], &new_package[..]);
}
