//! Lists the query protocols spell their own way.
//!
//! ballast-wire's XML writer wraps list items in the protocol's element
//! (`member`, EC2's `item`). Some model lists name their items otherwise
//! (EC2's `securityGroupIdSet` holds `groupId`s) or are flattened (their
//! items repeat the list's own element, with no wrapper). Such a list is
//! an [`XmlList`]: a `Vec` everywhere but in XML, where its [`Spelling`]
//! reaches the writer as the name of a serde newtype
//! (`ballast_wire::xml::LIST_ITEMS_PREFIX`, `FLATTENED_LIST`). JSON and the
//! query decoder read and write it as a plain list.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::rules::Echo;

/// How one list is written in XML: the serde newtype name the writer
/// reads. The generator emits a marker type per item name.
pub trait Spelling {
    const NAME: &'static str;
}

/// Items repeated without a wrapping element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flattened;

impl Spelling for Flattened {
    const NAME: &'static str = ballast_wire::xml::FLATTENED_LIST;
}

/// A list with its XML [`Spelling`]; otherwise a `Vec<T>`.
pub struct XmlList<T, S>(Vec<T>, PhantomData<S>);

impl<T, S> XmlList<T, S> {
    pub fn into_inner(self) -> Vec<T> {
        self.0
    }
}

impl<T, S> From<Vec<T>> for XmlList<T, S> {
    fn from(items: Vec<T>) -> Self {
        XmlList(items, PhantomData)
    }
}

impl<T, S> FromIterator<T> for XmlList<T, S> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        XmlList::from(iter.into_iter().collect::<Vec<T>>())
    }
}

impl<T, S> IntoIterator for XmlList<T, S> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a, T, S> IntoIterator for &'a XmlList<T, S> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T, S> Deref for XmlList<T, S> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

impl<T, S> DerefMut for XmlList<T, S> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        &mut self.0
    }
}

impl<T, S> Default for XmlList<T, S> {
    fn default() -> Self {
        XmlList::from(Vec::new())
    }
}

impl<T: Clone, S> Clone for XmlList<T, S> {
    fn clone(&self) -> Self {
        XmlList::from(self.0.clone())
    }
}

impl<T: fmt::Debug, S> fmt::Debug for XmlList<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: PartialEq, S> PartialEq for XmlList<T, S> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<T: Serialize, S: Spelling> Serialize for XmlList<T, S> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        serializer.serialize_newtype_struct(S::NAME, &self.0)
    }
}

impl<'de, T: Deserialize<'de>, S> Deserialize<'de> for XmlList<T, S> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<T>::deserialize(deserializer).map(XmlList::from)
    }
}

impl<T: Echo, S> Echo for XmlList<T, S> {
    fn echo(&self, out: &mut String) {
        self.0.echo(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct GroupId;

    impl Spelling for GroupId {
        const NAME: &'static str = "ballast-xml-items:groupId";
    }

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Shape {
        group_id_set: XmlList<String, GroupId>,
        entry: XmlList<String, Flattened>,
    }

    #[test]
    fn spells_xml_and_stays_a_list_elsewhere() {
        assert!(GroupId::NAME.starts_with(ballast_wire::xml::LIST_ITEMS_PREFIX));
        let shape = Shape {
            group_id_set: vec!["sg-1".to_owned()].into(),
            entry: ["a", "b"].into_iter().map(str::to_owned).collect(),
        };
        let mut xml = String::new();
        ballast_wire::xml::write_children(&mut xml, &shape, "item").unwrap();
        assert_eq!(
            xml,
            "<groupIdSet><groupId>sg-1</groupId></groupIdSet><entry>a</entry><entry>b</entry>"
        );
        let json = serde_json::to_string(&shape).unwrap();
        assert_eq!(json, r#"{"groupIdSet":["sg-1"],"entry":["a","b"]}"#);
        let back: Shape = serde_json::from_str(&json).unwrap();
        assert_eq!(back.group_id_set.len(), 1);
        let mut echoed = String::new();
        back.entry.echo(&mut echoed);
        assert_eq!(echoed, "[a, b]");
    }
}
