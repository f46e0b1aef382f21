//! The query-protocol XML serializer: arbitrary strings, numbers, lists, maps
//! and timestamps inside a struct go through `xml::write_children`; the
//! result, wrapped in a root element, must be well-formed for quick-xml's
//! reader and give back every leaf's text after unescaping, in order.
//! Numbers and timestamps must also parse back to the values written.
//!
//! `BALLAST_FUZZ_STRICT_XML=1` adds the XML 1.0 character and end-of-line
//! checks (see `common/mod.rs`).
#![no_main]

#[path = "common/mod.rs"]
mod common;

use std::collections::BTreeMap;

use ballast_wire::{Timestamp, xml};
use common::Item;
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use serde::Serialize;

#[derive(Arbitrary, Debug)]
struct Input {
    name: String,
    description: Option<String>,
    port: Option<u16>,
    count: i64,
    ratio: f64,
    small: f32,
    enabled: bool,
    letter: char,
    kind: Kind,
    created_millis: i64,
    tags: Vec<(String, Option<String>)>,
    ids: Vec<String>,
    attrs: BTreeMap<String, String>,
    nested: Vec<Vec<String>>,
    ec2: bool,
}

#[derive(Arbitrary, Serialize, Debug, Clone, Copy)]
enum Kind {
    #[serde(rename = "instance")]
    Instance,
    #[serde(rename = "ip")]
    Ip,
    #[serde(rename = "alb")]
    Alb,
}

impl Kind {
    fn text(self) -> &'static str {
        match self {
            Kind::Instance => "instance",
            Kind::Ip => "ip",
            Kind::Alb => "alb",
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Tag<'a> {
    key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output<'a> {
    name: &'a str,
    description: Option<&'a str>,
    port: Option<u16>,
    count: i64,
    ratio: f64,
    small: f32,
    enabled: bool,
    letter: char,
    kind: Kind,
    created: Timestamp,
    tags: Vec<Tag<'a>>,
    ids: &'a [String],
    attrs: &'a BTreeMap<String, String>,
    nested: &'a [Vec<String>],
}

fn leaf(name: &str, text: impl Into<String>) -> Item {
    Item::Leaf(name.to_owned(), text.into())
}

/// The leaves a reader must see, in document order.
fn expected(input: &Input, member: &str, created: &str) -> Vec<Item> {
    let mut items = vec![leaf("Name", input.name.as_str())];
    if let Some(d) = &input.description {
        items.push(leaf("Description", d.as_str()));
    }
    if let Some(p) = input.port {
        items.push(leaf("Port", p.to_string()));
    }
    items.push(leaf("Count", input.count.to_string()));
    items.push(leaf("Ratio", input.ratio.to_string()));
    items.push(leaf("Small", input.small.to_string()));
    items.push(leaf("Enabled", input.enabled.to_string()));
    items.push(leaf("Letter", input.letter.to_string()));
    items.push(leaf("Kind", input.kind.text()));
    items.push(leaf("Created", created));
    if input.tags.is_empty() {
        items.push(Item::Empty("Tags".into()));
    }
    for (k, v) in &input.tags {
        items.push(leaf("Key", k.as_str()));
        if let Some(v) = v {
            items.push(leaf("Value", v.as_str()));
        }
    }
    if input.ids.is_empty() {
        items.push(Item::Empty("Ids".into()));
    }
    for id in &input.ids {
        items.push(leaf(member, id.as_str()));
    }
    if input.attrs.is_empty() {
        items.push(leaf("Attrs", ""));
    }
    for (k, v) in &input.attrs {
        items.push(leaf("key", k.as_str()));
        items.push(leaf("value", v.as_str()));
    }
    if input.nested.is_empty() {
        items.push(Item::Empty("Nested".into()));
    }
    for inner in &input.nested {
        if inner.is_empty() {
            items.push(Item::Empty(member.into()));
        }
        for s in inner {
            items.push(leaf(member, s.as_str()));
        }
    }
    items
}

/// Timestamps the XML protocols can carry: years 0001 to 9999.
const MIN_MILLIS: i64 = -62_135_596_800_000;
const MAX_MILLIS: i64 = 253_402_300_799_999;

fuzz_target!(|input: Input| {
    let member = if input.ec2 { "item" } else { "member" };
    let created = Timestamp::from_millis(input.created_millis);
    let output = Output {
        name: &input.name,
        description: input.description.as_deref(),
        port: input.port,
        count: input.count,
        ratio: input.ratio,
        small: input.small,
        enabled: input.enabled,
        letter: input.letter,
        kind: input.kind,
        created,
        tags: input
            .tags
            .iter()
            .map(|(k, v)| Tag {
                key: k,
                value: v.as_deref(),
            })
            .collect(),
        ids: &input.ids,
        attrs: &input.attrs,
        nested: &input.nested,
    };
    let mut doc = String::from("<Root>");
    xml::write_children(&mut doc, &output, member).expect("serializing a plain struct failed");
    doc.push_str("</Root>");

    let items = common::parse_document(&doc);
    let created_text = common::leaf(&items, "Created")
        .expect("no Created")
        .to_owned();
    assert_eq!(
        items,
        expected(&input, member, &created_text),
        "document: {doc:?}"
    );

    // Numbers read back to what was written.
    if input.ratio.is_finite() {
        assert_eq!(
            common::leaf(&items, "Ratio").unwrap().parse::<f64>().ok(),
            Some(input.ratio)
        );
    }
    if input.small.is_finite() {
        assert_eq!(
            common::leaf(&items, "Small").unwrap().parse::<f32>().ok(),
            Some(input.small)
        );
    }
    // Timestamps in range read back to the same millisecond.
    if (MIN_MILLIS..=MAX_MILLIS).contains(&input.created_millis) {
        assert_eq!(
            Timestamp::parse_iso8601(&created_text),
            Some(created),
            "timestamp {} written as {created_text:?}",
            input.created_millis
        );
    }

    // Escaping alone round-trips through quick-xml's unescape.
    let mut escaped = String::new();
    xml::push_escaped(&mut escaped, &input.name);
    assert_eq!(
        quick_xml::escape::unescape(&escaped).unwrap(),
        input.name.as_str()
    );
});
