//! Every required member a request leaves out, reported together.
//!
//! Decoding into the generated types stops at the first missing member;
//! AWS lists them all ("2 validation errors detected: Value null at
//! 'name' …; Value null at 'value' …"). So before decoding, the request's
//! parameters (the JSON body or the form tree) are walked against a
//! static description of what each input requires, generated beside the
//! types (`REQUIRED_*`).

use ballast_wire::query::Node;
use ballast_wire::{Params, Shown, Violation};
use serde_json::Value;

use crate::rules::path;

/// What a structure requires: its required members, and the members that
/// lead to structures with required members of their own.
#[derive(Debug)]
pub struct Required {
    pub members: &'static [RequiredMember],
}

impl Required {
    /// A structure that requires nothing.
    pub const NOTHING: Required = Required { members: &[] };
}

/// One member of a [`Required`] structure.
#[derive(Debug)]
pub struct RequiredMember {
    /// Its name in validation messages (`tags`).
    pub name: &'static str,
    /// Its name in the request (`Tags`).
    pub wire: &'static str,
    pub required: bool,
    pub inner: Inner,
}

/// What lies inside a member, as far as required members go.
#[derive(Debug)]
pub enum Inner {
    Nothing,
    Struct(&'static Required),
    /// A list of structures.
    List(&'static Required),
    /// A map whose values hold required members (`RequestItems`: table
    /// names to `KeysAndAttributes`). Its entries are walked in JSON
    /// bodies only; no query-protocol input Ballast serves has one.
    Map(&'static Inner),
}

/// The required members `params` leaves out, with their paths.
pub fn missing(shape: &Required, params: &Params) -> Vec<Violation> {
    let mut out = Vec::new();
    if shape.members.is_empty() {
        return out;
    }
    match params {
        Params::Json(body) => {
            if let Ok(value) = serde_json::from_slice::<Value>(body) {
                walk(shape, &Json(&value), "", &mut out);
            }
        }
        Params::Form(node) => walk(shape, &Form(node), "", &mut out),
    }
    out
}

/// A request's parameters, in either encoding.
trait Tree: Sized {
    /// Whether this is a structure at all: what is not (a JSON array where
    /// an object belongs) is left for decoding to refuse as malformed.
    fn is_structure(&self) -> bool;
    fn member(&self, wire: &str) -> Option<Self>;
    fn items(&self) -> Vec<Self>;
    /// A map's entries (none in a form: see [`Inner::Map`]).
    fn entries(&self) -> Vec<(String, Self)>;
}

struct Json<'a>(&'a Value);

impl<'a> Tree for Json<'a> {
    fn is_structure(&self) -> bool {
        self.0.is_object()
    }

    fn member(&self, wire: &str) -> Option<Self> {
        self.0.get(wire).filter(|v| !v.is_null()).map(Json)
    }

    fn items(&self) -> Vec<Self> {
        self.0
            .as_array()
            .map(|items| items.iter().map(Json).collect())
            .unwrap_or_default()
    }

    fn entries(&self) -> Vec<(String, Self)> {
        self.0
            .as_object()
            .map(|map| map.iter().map(|(k, v)| (k.clone(), Json(v))).collect())
            .unwrap_or_default()
    }
}

struct Form<'a>(&'a Node);

impl<'a> Tree for Form<'a> {
    fn is_structure(&self) -> bool {
        matches!(self.0, Node::Branch(_))
    }

    fn member(&self, wire: &str) -> Option<Self> {
        self.0.get(wire).map(Form)
    }

    fn items(&self) -> Vec<Self> {
        self.0.items().into_iter().map(Form).collect()
    }

    fn entries(&self) -> Vec<(String, Self)> {
        Vec::new()
    }
}

fn walk<T: Tree>(shape: &Required, tree: &T, at: &str, out: &mut Vec<Violation>) {
    if !tree.is_structure() {
        return;
    }
    for member in shape.members {
        let Some(value) = tree.member(member.wire) else {
            if member.required {
                out.push(Violation {
                    at: path(at, member.name),
                    value: Shown::Null,
                    constraint: "Member must not be null".to_owned(),
                });
            }
            continue;
        };
        walk_inner(&member.inner, &value, &path(at, member.name), out);
    }
}

/// Walks what a value at `at` holds.
fn walk_inner<T: Tree>(inner: &Inner, tree: &T, at: &str, out: &mut Vec<Violation>) {
    match inner {
        Inner::Nothing => {}
        Inner::Struct(inner) => walk(inner, tree, at, out),
        Inner::List(inner) => {
            for (index, item) in tree.items().iter().enumerate() {
                let item_at = format!("{at}.{}.member", index + 1);
                walk(inner, item, &item_at, out);
            }
        }
        Inner::Map(inner) => {
            for (key, value) in tree.entries() {
                walk_inner(inner, &value, &format!("{at}.{key}.member"), out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    static TAG: Required = Required {
        members: &[
            RequiredMember {
                name: "key",
                wire: "Key",
                required: true,
                inner: Inner::Nothing,
            },
            RequiredMember {
                name: "value",
                wire: "Value",
                required: true,
                inner: Inner::Nothing,
            },
        ],
    };

    static INPUT: Required = Required {
        members: &[
            RequiredMember {
                name: "name",
                wire: "Name",
                required: true,
                inner: Inner::Nothing,
            },
            RequiredMember {
                name: "tags",
                wire: "Tags",
                required: false,
                inner: Inner::List(&TAG),
            },
        ],
    };

    fn paths(violations: &[Violation]) -> Vec<&str> {
        violations.iter().map(|v| v.at.as_str()).collect()
    }

    #[test]
    fn every_missing_member_of_a_json_body() {
        let body = Bytes::from_static(br#"{"Name": null, "Tags": [{"Key": "a"}, {"Value": "b"}]}"#);
        let found = missing(&INPUT, &Params::Json(body));
        assert_eq!(
            paths(&found),
            ["name", "tags.1.member.value", "tags.2.member.key"]
        );
    }

    static KEYS: Required = Required {
        members: &[RequiredMember {
            name: "keys",
            wire: "Keys",
            required: true,
            inner: Inner::Nothing,
        }],
    };

    static BATCH: Required = Required {
        members: &[RequiredMember {
            name: "requestItems",
            wire: "RequestItems",
            required: true,
            inner: Inner::Map(&Inner::Struct(&KEYS)),
        }],
    };

    #[test]
    fn every_missing_member_of_a_map_value() {
        let body = Bytes::from_static(br#"{"RequestItems": {"a": {"Keys": []}, "b": {}}}"#);
        let found = missing(&BATCH, &Params::Json(body));
        assert_eq!(paths(&found), ["requestItems.b.member.keys"]);
    }

    #[test]
    fn a_body_that_is_no_structure_is_left_to_decoding() {
        for body in [
            &br#"[1, 2]"#[..],
            br#""text""#,
            br#"{"Name": "n", "Tags": "x"}"#,
        ] {
            let found = missing(&INPUT, &Params::Json(Bytes::copy_from_slice(body)));
            assert!(found.is_empty(), "{found:?}");
        }
    }

    #[test]
    fn every_missing_member_of_a_form() {
        let form = ballast_wire::query::parse_form(
            b"Tags.member.1.Key=a&Tags.member.2.Key=b&Tags.member.2.Value=c",
        )
        .unwrap();
        let found = missing(&INPUT, &Params::Form(form));
        assert_eq!(paths(&found), ["name", "tags.1.member.value"]);
        let complete = ballast_wire::query::parse_form(b"Name=x").unwrap();
        assert!(missing(&INPUT, &Params::Form(complete)).is_empty());
    }
}
