//! awsQuery / ec2Query form decoding: `parse_form` then `from_node` into
//! shapes like the ones handlers use. Neither may panic, and the tree must
//! respect the documented limits.
#![no_main]

use std::collections::{BTreeMap, HashMap};

use ballast_wire::Timestamp;
use ballast_wire::query::form::{MAX_DEPTH, MAX_FIELDS};
use ballast_wire::query::{Node, from_node, parse_form};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use serde::de::DeserializeOwned;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Target {
    id: String,
    port: Option<u16>,
    availability_zone: Option<String>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
enum TargetType {
    #[serde(rename = "instance")]
    Instance,
    #[serde(rename = "ip")]
    Ip,
    #[serde(rename = "lambda")]
    Lambda,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Matcher {
    http_code: Option<String>,
    grpc_code: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Tag {
    key: String,
    value: Option<String>,
}

/// elbv2 CreateTargetGroup / RegisterTargets-like input.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct CreateTargetGroup {
    name: String,
    protocol: Option<String>,
    port: Option<u16>,
    health_check_enabled: Option<bool>,
    health_check_interval_seconds: Option<i32>,
    target_type: Option<TargetType>,
    matcher: Option<Matcher>,
    targets: Option<Vec<Target>>,
    tags: Option<Vec<Tag>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Filter {
    name: String,
    #[serde(rename = "Value")]
    values: Vec<String>,
}

/// ec2Query-style input: lists without `member`.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct DescribeInstances {
    #[serde(rename = "InstanceId", default)]
    instance_ids: Vec<String>,
    #[serde(rename = "Filter")]
    filters: Option<Vec<Filter>>,
    #[serde(rename = "MaxResults")]
    max_results: Option<i32>,
    #[serde(rename = "DryRun")]
    dry_run: Option<bool>,
    #[serde(rename = "NextToken")]
    next_token: Option<String>,
}

/// Maps (`entry.N.key/value`), nested maps, and the scalar kinds the
/// deserializer implements.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Mixed {
    attributes: Option<HashMap<String, String>>,
    nested: Option<BTreeMap<String, Vec<String>>>,
    numbers: Option<HashMap<u16, bool>>,
    ratio: Option<f64>,
    small: Option<i8>,
    big: Option<u64>,
    letter: Option<char>,
    created: Option<Timestamp>,
    pair: Option<(String, u32)>,
    raw: Option<serde_json::Value>,
    blob: Option<serde_bytes_like::Bytes>,
    #[serde(default)]
    deep: Option<Box<Mixed>>,
}

/// `#[serde(flatten)]` goes through serde's buffered `Content` path.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Flattened {
    #[serde(rename = "Action")]
    action: Option<String>,
    #[serde(flatten)]
    rest: HashMap<String, serde_json::Value>,
}

/// Internally tagged enums also buffer.
#[derive(Debug, Deserialize)]
#[serde(tag = "Action")]
#[allow(dead_code)]
enum AnyAction {
    CreateTargetGroup(CreateTargetGroup),
    DescribeInstances(DescribeInstances),
}

mod serde_bytes_like {
    /// A `Vec<u8>` that asks for bytes rather than a sequence.
    #[derive(Debug)]
    pub struct Bytes(#[allow(dead_code)] pub Vec<u8>);

    impl<'de> serde::Deserialize<'de> for Bytes {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl serde::de::Visitor<'_> for V {
                type Value = Bytes;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("bytes")
                }
                fn visit_bytes<E>(self, v: &[u8]) -> Result<Bytes, E> {
                    Ok(Bytes(v.to_vec()))
                }
            }
            d.deserialize_byte_buf(V)
        }
    }
}

fn depth(node: &Node) -> usize {
    match node {
        Node::Leaf(_) => 0,
        Node::Branch(children) => 1 + children.values().map(depth).max().unwrap_or(0),
    }
}

fn leaves(node: &Node) -> usize {
    match node {
        Node::Leaf(_) => 1,
        Node::Branch(children) => children.values().map(leaves).sum(),
    }
}

fn decode<T: DeserializeOwned>(node: &Node) {
    if let Err(e) = from_node::<T>(node) {
        assert!(!e.to_string().is_empty());
    }
}

fuzz_target!(|data: &[u8]| {
    let node = match parse_form(data) {
        Ok(node) => node,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    assert!(
        matches!(node, Node::Branch(_)),
        "the root is always a branch"
    );
    assert!(depth(&node) <= MAX_DEPTH, "tree deeper than MAX_DEPTH");
    assert!(leaves(&node) <= MAX_FIELDS, "more leaves than MAX_FIELDS");

    decode::<CreateTargetGroup>(&node);
    decode::<DescribeInstances>(&node);
    decode::<Mixed>(&node);
    decode::<Flattened>(&node);
    decode::<AnyAction>(&node);
    decode::<serde_json::Value>(&node);
    decode::<HashMap<String, String>>(&node);
    decode::<Vec<Target>>(&node);
    decode::<Option<Vec<String>>>(&node);
    decode::<String>(&node);
    decode::<()>(&node);
    if let Some(targets) = node.get("Targets") {
        decode::<Vec<Target>>(targets);
        decode::<Vec<Option<Target>>>(targets);
    }
});
