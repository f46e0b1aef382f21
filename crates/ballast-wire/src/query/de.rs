//! A `serde` deserializer over a decoded form [`Node`] tree.

use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};

use super::form::Node;

/// Why a form tree does not fit the requested type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A required member is absent.
    #[error("missing required parameter {0}")]
    Missing(String),
    /// A member is present but its value does not fit.
    #[error("invalid value for parameter {member}: {message}")]
    Invalid { member: String, message: String },
}

impl DecodeError {
    fn invalid(message: impl fmt::Display) -> Self {
        DecodeError::Invalid {
            member: String::new(),
            message: message.to_string(),
        }
    }

    /// Places an error inside the list element at 1-based `index`: a
    /// missing member's path reads `…​.1.member.Key`, as AWS's validation
    /// messages name list elements; a bad value's reads the form's
    /// `member.1`.
    fn within_item(self, index: usize) -> Self {
        match self {
            DecodeError::Missing(path) => DecodeError::Missing(format!("{index}.member.{path}")),
            other => other.within(&format!("member.{index}")),
        }
    }

    /// Names the member an error belongs to: a missing member's path and a
    /// bad value's member grow from the innermost outwards.
    fn within(self, member: &str) -> Self {
        match self {
            DecodeError::Missing(path) => DecodeError::Missing(format!("{member}.{path}")),
            DecodeError::Invalid { member: m, message } if m.is_empty() => DecodeError::Invalid {
                member: member.to_owned(),
                message,
            },
            DecodeError::Invalid { member: m, message } => DecodeError::Invalid {
                member: format!("{member}.{m}"),
                message,
            },
        }
    }
}

impl de::Error for DecodeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DecodeError::invalid(msg)
    }

    fn missing_field(field: &'static str) -> Self {
        DecodeError::Missing(field.to_owned())
    }
}

/// Deserializes a typed value from a form tree.
pub fn from_node<T: DeserializeOwned>(node: &Node) -> Result<T, DecodeError> {
    T::deserialize(NodeDeserializer { node })
}

struct NodeDeserializer<'a> {
    node: &'a Node,
}

impl<'a> NodeDeserializer<'a> {
    fn text(&self) -> Result<&'a str, DecodeError> {
        match self.node {
            Node::Leaf(s) => Ok(s.as_str()),
            Node::Branch(_) => Err(DecodeError::invalid("expected a value, found a structure")),
        }
    }

    fn parse<T: std::str::FromStr>(&self, what: &str) -> Result<T, DecodeError> {
        let text = self.text()?;
        text.trim()
            .parse()
            .map_err(|_| DecodeError::invalid(format_args!("'{text}' is not a valid {what}")))
    }
}

/// The elements of a list node, in index order.
///
/// awsQuery writes `Name.member.N`, Auto Scaling sometimes `Name.item.N`,
/// ec2Query `Name.N`; an empty value (`Name=`) is an empty list.
pub(crate) fn list_items(node: &Node) -> Result<Vec<&Node>, DecodeError> {
    let children = match node {
        Node::Leaf(s) if s.is_empty() => return Ok(Vec::new()),
        Node::Leaf(_) => return Err(DecodeError::invalid("expected a list, found a value")),
        Node::Branch(children) => children,
    };
    let mut indexed = Vec::with_capacity(children.len());
    for (key, child) in children {
        match key.parse::<u32>() {
            Ok(index) if index >= 1 => indexed.push((index, child)),
            _ if children.len() == 1 && matches!(key.as_str(), "member" | "item") => {
                return list_items(child);
            }
            _ => {
                return Err(DecodeError::invalid(format_args!(
                    "expected a list index, found '{key}'"
                )));
            }
        }
    }
    indexed.sort_by_key(|(index, _)| *index);
    Ok(indexed.into_iter().map(|(_, child)| child).collect())
}

/// Whether a branch is a list: numeric keys, or one `member`/`item` child.
fn looks_like_list(node: &Node) -> bool {
    match node {
        Node::Branch(children) => {
            children.keys().all(|k| k.parse::<u32>().is_ok())
                || (children.len() == 1 && children.contains_key("member"))
                || (children.len() == 1 && children.contains_key("item"))
        }
        Node::Leaf(_) => false,
    }
}

/// The key/value pairs of a map node (`Name.entry.N.key` / `.value`).
fn map_entries(node: &Node) -> Result<Vec<(&Node, &Node)>, DecodeError> {
    let entries = match node.get("entry") {
        Some(entries) => list_items(entries)?,
        None => list_items(node)?,
    };
    entries
        .into_iter()
        .map(|entry| match (entry.get("key"), entry.get("value")) {
            (Some(k), Some(v)) => Ok((k, v)),
            _ => Err(DecodeError::invalid("map entry without key or value")),
        })
        .collect()
}

macro_rules! parse_scalar {
    ($($method:ident => $visit:ident : $ty:ty, $what:literal;)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
                visitor.$visit(self.parse::<$ty>($what)?)
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for NodeDeserializer<'_> {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match self.node {
            Node::Leaf(s) => visitor.visit_str(s),
            Node::Branch(_) if looks_like_list(self.node) => self.deserialize_seq(visitor),
            Node::Branch(children) => visitor.visit_map(Members {
                members: children.iter(),
                current: None,
            }),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let text = self.text()?;
        match text.trim().to_ascii_lowercase().as_str() {
            "true" => visitor.visit_bool(true),
            "false" => visitor.visit_bool(false),
            _ => Err(DecodeError::invalid(format_args!(
                "'{text}' is not a valid boolean"
            ))),
        }
    }

    parse_scalar! {
        deserialize_i8 => visit_i8: i8, "integer";
        deserialize_i16 => visit_i16: i16, "integer";
        deserialize_i32 => visit_i32: i32, "integer";
        deserialize_i64 => visit_i64: i64, "integer";
        deserialize_u8 => visit_u8: u8, "integer";
        deserialize_u16 => visit_u16: u16, "integer";
        deserialize_u32 => visit_u32: u32, "integer";
        deserialize_u64 => visit_u64: u64, "integer";
        deserialize_f32 => visit_f32: f32, "number";
        deserialize_f64 => visit_f64: f64, "number";
        deserialize_char => visit_char: char, "character";
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_str(self.text()?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_bytes(self.text()?.as_bytes())
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let items = list_items(self.node)?;
        visitor.visit_seq(Items {
            items: items.into_iter(),
            index: 0,
        })
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        let entries = map_entries(self.node)?;
        visitor.visit_map(Entries {
            entries: entries.into_iter(),
            value: None,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        match self.node {
            Node::Branch(children) => visitor.visit_map(Members {
                members: children.iter(),
                current: None,
            }),
            Node::Leaf(s) if s.is_empty() => visitor.visit_map(Members {
                members: Default::default(),
                current: None,
            }),
            Node::Leaf(_) => Err(DecodeError::invalid("expected a structure, found a value")),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DecodeError> {
        let text: &str = self.text()?;
        visitor.visit_enum(IntoDeserializer::<DecodeError>::into_deserializer(text))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_unit()
    }
}

/// Struct members: the children of a branch, by name.
struct Members<'a> {
    members: std::collections::btree_map::Iter<'a, String, Node>,
    current: Option<(&'a str, &'a Node)>,
}

impl<'de> MapAccess<'de> for Members<'_> {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        match self.members.next() {
            Some((name, node)) => {
                self.current = Some((name, node));
                seed.deserialize(IntoDeserializer::<DecodeError>::into_deserializer(
                    name.as_str(),
                ))
                .map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DecodeError> {
        let (name, node) = self
            .current
            .take()
            .ok_or_else(|| DecodeError::invalid("value without a key"))?;
        seed.deserialize(NodeDeserializer { node })
            .map_err(|e| e.within(name))
    }
}

/// Map entries decoded from `entry.N.key` / `entry.N.value`.
struct Entries<'a> {
    entries: std::vec::IntoIter<(&'a Node, &'a Node)>,
    value: Option<&'a Node>,
}

impl<'de> MapAccess<'de> for Entries<'_> {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DecodeError> {
        match self.entries.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(NodeDeserializer { node: key }).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DecodeError> {
        let node = self
            .value
            .take()
            .ok_or_else(|| DecodeError::invalid("value without a key"))?;
        seed.deserialize(NodeDeserializer { node })
    }
}

/// List elements in index order.
struct Items<'a> {
    items: std::vec::IntoIter<&'a Node>,
    index: usize,
}

impl<'de> SeqAccess<'de> for Items<'_> {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DecodeError> {
        match self.items.next() {
            Some(node) => {
                self.index += 1;
                let index = self.index;
                seed.deserialize(NodeDeserializer { node })
                    .map(Some)
                    .map_err(|e| e.within_item(index))
            }
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde::Deserialize;

    use super::*;
    use crate::query::parse_form;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Target {
        id: String,
        port: Option<u16>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "PascalCase")]
    struct Input {
        target_group_arn: String,
        targets: Option<Vec<Target>>,
        enabled: Option<bool>,
    }

    fn decode<T: DeserializeOwned>(body: &str) -> Result<T, DecodeError> {
        from_node(&parse_form(body.as_bytes()).unwrap())
    }

    #[test]
    fn decodes_lists_of_structs_in_index_order() {
        let input: Input = decode(
            "Action=X&TargetGroupArn=arn&Targets.member.2.Id=b&Targets.member.1.Id=a&Targets.member.1.Port=80&Targets.member.10.Id=c",
        )
        .unwrap();
        let ids: Vec<_> = input.targets.unwrap().into_iter().map(|t| t.id).collect();
        assert_eq!(ids, ["a", "b", "c"]);
    }

    #[test]
    fn empty_value_is_empty_list() {
        let input: Input = decode("TargetGroupArn=arn&Targets=").unwrap();
        assert_eq!(input.targets, Some(vec![]));
    }

    #[test]
    fn ec2_lists_have_no_member_segment() {
        #[derive(Deserialize)]
        struct Ec2 {
            #[serde(rename = "InstanceId")]
            ids: Vec<String>,
        }
        let input: Ec2 = decode("InstanceId.1=i-1&InstanceId.2=i-2").unwrap();
        assert_eq!(input.ids, ["i-1", "i-2"]);
    }

    #[test]
    fn missing_member_is_reported_by_name() {
        let err = decode::<Input>("Targets=").unwrap_err();
        assert_eq!(err, DecodeError::Missing("TargetGroupArn".into()));
    }

    #[test]
    fn a_missing_nested_member_is_reported_by_its_path() {
        let err =
            decode::<Input>("TargetGroupArn=a&Targets.member.1.Id=x&Targets.member.2.Port=80")
                .unwrap_err();
        assert_eq!(err, DecodeError::Missing("Targets.2.member.Id".into()));
    }

    #[test]
    fn bad_scalar_names_its_member() {
        let err =
            decode::<Input>("TargetGroupArn=a&Targets.member.1.Id=x&Targets.member.1.Port=http")
                .unwrap_err();
        match err {
            DecodeError::Invalid { member, .. } => assert_eq!(member, "Targets.member.1.Port"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn bool_is_case_insensitive() {
        let input: Input = decode("TargetGroupArn=a&Enabled=True").unwrap();
        assert_eq!(input.enabled, Some(true));
    }

    #[test]
    fn maps_use_entry_key_value() {
        #[derive(Deserialize)]
        struct WithMap {
            #[serde(rename = "Attributes")]
            attributes: HashMap<String, String>,
        }
        let input: WithMap =
            decode("Attributes.entry.1.key=a&Attributes.entry.1.value=1&Attributes.entry.2.key=b&Attributes.entry.2.value=2")
                .unwrap();
        assert_eq!(input.attributes.get("b").map(String::as_str), Some("2"));
    }

    #[test]
    fn self_describing_decoding_sees_structures_and_lists() {
        let value: serde_json::Value = decode("A.member.1=x&A.member.2=y&B.C=z").unwrap();
        assert_eq!(value, serde_json::json!({"A": ["x", "y"], "B": {"C": "z"}}));
    }

    #[test]
    fn non_numeric_list_keys_are_rejected() {
        assert!(decode::<Input>("TargetGroupArn=a&Targets.member.x.Id=1").is_err());
        assert!(decode::<Input>("TargetGroupArn=a&Targets.member.0.Id=1").is_err());
    }
}
