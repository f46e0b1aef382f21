//! Checks shared by the fuzz targets.
//!
//! `BALLAST_FUZZ_STRICT_XML=1` turns on two XML 1.0 conformance checks that
//! quick-xml does not make on its own: every character must match the XML 1.0
//! `Char` production (no C0 controls other than tab/LF/CR, no U+FFFE/U+FFFF),
//! and text is decoded with XML 1.0 end-of-line normalisation (a literal CR in
//! content reaches an SDK's XML parser as LF). Both are off by default because
//! the wire layer is known not to meet them (see the report in scripts/fuzz).
#![allow(dead_code)]

use std::sync::OnceLock;

use ballast_wire::{Protocol, WireResponse};
use quick_xml::events::Event;
use quick_xml::reader::Reader;

pub fn strict_xml() -> bool {
    static STRICT: OnceLock<bool> = OnceLock::new();
    *STRICT.get_or_init(|| {
        std::env::var("BALLAST_FUZZ_STRICT_XML").is_ok_and(|v| !v.is_empty() && v != "0")
    })
}

/// The XML 1.0 `Char` production.
pub fn is_xml10_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// One node of a parsed document, enough to compare against what was written.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// An element with no child elements: its name and unescaped text.
    Leaf(String, String),
    /// `<Name/>`.
    Empty(String),
}

/// Parses `xml` and checks it is one well-formed element (after an optional
/// declaration), returning its leaves in document order. Panics with the
/// document on any problem.
pub fn parse_document(xml: &str) -> Vec<Item> {
    match try_parse_document(xml) {
        Ok(items) => items,
        Err(e) => panic!("not well-formed XML ({e}): {xml:?}"),
    }
}

pub fn try_parse_document(xml: &str) -> Result<Vec<Item>, String> {
    if strict_xml() {
        if let Some(c) = xml.chars().find(|c| !is_xml10_char(*c)) {
            return Err(format!("character {c:?} is not allowed in XML 1.0"));
        }
    }
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<(String, bool)> = Vec::new(); // (name, has child elements)
    let mut text = String::new();
    let mut items = Vec::new();
    let mut roots = 0;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("at {}: {e}", reader.error_position()))?;
        match event {
            Event::Start(start) => {
                let name = String::from_utf8(start.name().as_ref().to_vec())
                    .map_err(|_| "non-UTF-8 name")?;
                if stack.is_empty() {
                    roots += 1;
                }
                if let Some(parent) = stack.last_mut() {
                    parent.1 = true;
                }
                stack.push((name, false));
                text.clear();
            }
            Event::Empty(start) => {
                let name = String::from_utf8(start.name().as_ref().to_vec())
                    .map_err(|_| "non-UTF-8 name")?;
                if stack.is_empty() {
                    roots += 1;
                }
                if let Some(parent) = stack.last_mut() {
                    parent.1 = true;
                }
                items.push(Item::Empty(name));
            }
            Event::End(_) => {
                let (name, has_children) = stack.pop().ok_or("end tag without start")?;
                if !has_children {
                    items.push(Item::Leaf(name, std::mem::take(&mut text)));
                } else if !text.trim().is_empty() {
                    return Err(format!("mixed content in <{name}>: {text:?}"));
                }
                text.clear();
            }
            Event::Text(t) => {
                let s = if strict_xml() {
                    t.xml10_content()
                } else {
                    t.decode()
                }
                .map_err(|e| e.to_string())?;
                if stack.is_empty() && !s.trim().is_empty() {
                    return Err(format!("text outside the root element: {s:?}"));
                }
                text.push_str(&s);
            }
            Event::GeneralRef(r) => {
                if stack.is_empty() {
                    return Err("entity reference outside the root element".into());
                }
                if let Some(c) = r.resolve_char_ref().map_err(|e| e.to_string())? {
                    if strict_xml() && !is_xml10_char(c) {
                        return Err(format!("character reference to {c:?}"));
                    }
                    text.push(c);
                } else {
                    let name = r.decode().map_err(|e| e.to_string())?;
                    let value = quick_xml::escape::resolve_xml_entity(&name)
                        .ok_or_else(|| format!("unknown entity &{name};"))?;
                    text.push_str(value);
                }
            }
            Event::CData(c) => text.push_str(&c.decode().map_err(|e| e.to_string())?),
            Event::Decl(_) => {
                if roots > 0 || !stack.is_empty() {
                    return Err("misplaced XML declaration".into());
                }
            }
            Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {
                return Err("unexpected comment, PI or doctype".into());
            }
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(format!("unclosed element <{}>", stack[stack.len() - 1].0));
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    Ok(items)
}

/// The leaf text of the first element called `name`.
pub fn leaf<'a>(items: &'a [Item], name: &str) -> Option<&'a str> {
    items.iter().find_map(|i| match i {
        Item::Leaf(n, t) if n == name => Some(t.as_str()),
        _ => None,
    })
}

/// Checks an encoded error: a client or server status, a code, and a body
/// in the protocol's envelope that a client can parse back to the same code
/// and message.
pub fn check_error_response(
    resp: &WireResponse,
    protocol: Protocol,
    code: &str,
    message: &str,
    request_id: &str,
) {
    assert!(
        resp.status.is_client_error() || resp.status.is_server_error(),
        "error {code} encoded with status {}",
        resp.status
    );
    assert!(!code.is_empty(), "error with an empty code");
    assert_eq!(resp.content_type, protocol.content_type());
    let body = std::str::from_utf8(&resp.body).expect("error body is not UTF-8");
    if protocol.is_json() {
        assert_eq!(resp.error_type.as_deref(), Some(code));
        let value: serde_json::Value = serde_json::from_str(body)
            .unwrap_or_else(|e| panic!("bad JSON error body {e}: {body:?}"));
        let ty = value["__type"].as_str().expect("__type is not a string");
        assert!(
            ty == code || ty.ends_with(&format!("#{code}")),
            "__type {ty:?} for {code:?}"
        );
        assert_eq!(value["message"].as_str(), Some(message));
    } else {
        assert!(resp.error_type.is_none());
        let items = parse_document(body);
        assert_eq!(leaf(&items, "Code"), Some(code), "code in {body:?}");
        assert_eq!(
            leaf(&items, "Message"),
            Some(message),
            "message in {body:?}"
        );
        let rid = if protocol == Protocol::Ec2Query {
            "RequestID"
        } else {
            "RequestId"
        };
        assert_eq!(
            leaf(&items, rid),
            Some(request_id),
            "request id in {body:?}"
        );
    }
}
