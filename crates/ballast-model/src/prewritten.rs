//! Structures an answer may carry already written as XML.
//!
//! Scripts poll DescribeInstances while they wait for a state, and the
//! instances do not change between two writes. The API layer keeps each
//! instance's XML with its memoised listing and hands it over as
//! [`Prewritten::Xml`], so a poll copies bytes rather than walking and
//! escaping a deep structure again. The generator uses this type for the
//! list items `operations.toml` names under `prewritten`.

use std::sync::Arc;

use ballast_wire::xml::{self, PREWRITTEN, XmlError};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A structure, or its children as the query protocols' XML writer
/// ([`ballast_wire::xml`]) wrote them.
///
/// `Xml` is for XML answers only: JSON (the form Automation's
/// `aws:executeAwsApi` reads) would get the text as a string, so a handler
/// answering in JSON hands over the `Value`.
#[derive(Debug, Clone, PartialEq)]
pub enum Prewritten<T> {
    Value(T),
    Xml(Arc<str>),
}

impl<T: Serialize> Prewritten<T> {
    /// `value`'s children as XML, list items named `list_item` (`item`
    /// for EC2, `member` for the other query services), ready to be kept
    /// and handed over again.
    pub fn write(value: &T, list_item: &'static str) -> Result<Arc<str>, XmlError> {
        let mut out = String::new();
        xml::write_children(&mut out, value, list_item)?;
        Ok(out.into())
    }
}

impl<T> From<T> for Prewritten<T> {
    fn from(value: T) -> Self {
        Prewritten::Value(value)
    }
}

impl<T: Serialize> Serialize for Prewritten<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Prewritten::Value(value) => value.serialize(serializer),
            Prewritten::Xml(text) => serializer.serialize_newtype_struct(PREWRITTEN, &**text),
        }
    }
}

/// Read as the structure itself: what a client sends is never XML kept
/// by Ballast.
impl<'de, T: Deserialize<'de>> Deserialize<'de> for Prewritten<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Prewritten::Value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Item {
        #[serde(rename = "name")]
        name: String,
        #[serde(rename = "tagSet")]
        tags: Vec<String>,
    }

    #[derive(Serialize)]
    struct Listing {
        #[serde(rename = "itemSet")]
        items: Vec<Prewritten<Item>>,
    }

    fn item() -> Item {
        Item {
            name: "a&b".to_owned(),
            tags: vec!["x".to_owned()],
        }
    }

    fn xml_of(listing: &Listing) -> String {
        let mut out = String::new();
        xml::write_children(&mut out, listing, "item").unwrap();
        out
    }

    #[test]
    fn kept_xml_reads_as_the_structure_written_again() {
        let kept = Prewritten::write(&item(), "item").unwrap();
        let spliced = xml_of(&Listing {
            items: vec![Prewritten::Xml(kept.clone()), Prewritten::Xml(kept)],
        });
        let direct = xml_of(&Listing {
            items: vec![item().into(), item().into()],
        });
        assert_eq!(spliced, direct);
        assert_eq!(
            direct,
            "<itemSet><item><name>a&amp;b</name><tagSet><item>x</item></tagSet></item>\
             <item><name>a&amp;b</name><tagSet><item>x</item></tagSet></item></itemSet>"
        );
    }

    #[test]
    fn a_value_is_json_as_the_structure_and_reads_back() {
        let json = serde_json::to_string(&Prewritten::Value(item())).unwrap();
        assert_eq!(json, r#"{"name":"a&b","tagSet":["x"]}"#);
        let back: Prewritten<Item> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Prewritten::Value(item()));
    }
}
