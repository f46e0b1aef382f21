//! A `serde` serializer that writes typed outputs as AWS query-protocol XML.
//!
//! Struct members become elements named by their serde names, lists become
//! `<Name><member>…</member></Name>` (`<item>` for EC2) and `<Name/>` when
//! empty (a list wrapped in a newtype named with [`list_items`] or
//! [`FLATTENED_LIST`] is written with its model's item name, or
//! flattened), maps become `<entry><key/><value/></entry>`, absent options
//! write nothing (never an empty numeric element, which both botocore and
//! aws-sdk-rust reject), [`crate::Timestamp`]s are ISO-8601, and a
//! [`PREWRITTEN`] newtype's text (children written earlier and kept) goes
//! in as it is.

use std::fmt::{self, Write as _};

use serde::Serialize;
use serde::ser::{self, Impossible};

use crate::timestamp::{TIMESTAMP_MARKER, Timestamp};

/// Why a value could not be written as XML.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot serialize as XML: {0}")]
pub struct XmlError(String);

impl ser::Error for XmlError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        XmlError(msg.to_string())
    }
}

/// The prefix of a newtype struct's serde name that tells the serializer
/// how to write the list inside it: `"ballast-xml-items:groupId"` writes
/// `<Name><groupId>…</groupId></Name>`. The model gives some lists item
/// names other than the protocol's `member`/`item` (EC2's
/// `securityGroupIdSet`); serde has no other channel for a per-list
/// spelling, as it has none for timestamps.
pub const LIST_ITEMS_PREFIX: &str = "ballast-xml-items:";

/// The serde name of a newtype struct whose list is written flattened:
/// each item as its own `<Name>…</Name>`, with no wrapping element, and
/// nothing at all when empty.
pub const FLATTENED_LIST: &str = "ballast-xml-flattened";

/// The serde name of a newtype struct holding a `str` that is already
/// XML: an element's children, written earlier by this writer and kept
/// (DescribeInstances keeps each instance's). The writer puts it between
/// the element's tags unescaped, so it must come from [`write_children`]
/// with the same list item name.
pub const PREWRITTEN: &str = "ballast-xml-prewritten";

/// The element EC2's query protocol wraps list items in.
pub const EC2_ITEM: &str = "item";

/// The element the other query services wrap list items in.
pub const QUERY_MEMBER: &str = "member";

/// The newtype name [`LIST_ITEMS_PREFIX`] describes, for generated code
/// and tests (`list_items("groupId")`).
pub fn list_items(item: &str) -> String {
    format!("{LIST_ITEMS_PREFIX}{item}")
}

/// Writes `value`'s members as XML children (no wrapping element), with
/// list items named `list_item` (`member` or `item`).
pub fn write_children<T: Serialize + ?Sized>(
    out: &mut String,
    value: &T,
    list_item: &'static str,
) -> Result<(), XmlError> {
    value.serialize(Element {
        out,
        tag: None,
        list_item,
        next_list: None,
    })
}

/// Appends `text` with XML escaping.
///
/// Beyond the five markup characters, a carriage return is written as
/// `&#xD;` (parsers would otherwise turn it into a newline), tab and newline
/// pass through, and the control characters XML 1.0 cannot carry at all
/// become U+FFFD, so a response stays parseable whatever a request held.
/// quick-xml's escaper leaves both of those cases alone, hence this one.
pub fn push_escaped(out: &mut String, text: &str) {
    // Almost all text is printable ASCII with no markup: copy it whole.
    if text.bytes().all(is_plain_ascii) {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            '\t' | '\n' => out.push(c),
            c if is_xml_char(c) => out.push(c),
            _ => out.push(char::REPLACEMENT_CHARACTER),
        }
    }
}

/// Whether a byte is printable ASCII that XML text carries as it is.
fn is_plain_ascii(b: u8) -> bool {
    matches!(b, b' '..=b'~') && !matches!(b, b'<' | b'>' | b'&' | b'"' | b'\'')
}

/// Whether XML 1.0 allows the character in a document.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

struct Element<'o> {
    out: &'o mut String,
    /// `None` at the root: write children only.
    tag: Option<&'o str>,
    /// The protocol's item name (`member`, EC2 `item`).
    list_item: &'static str,
    /// How the list this element holds is written, when a newtype marker
    /// said so; else wrapped in `list_item`s.
    next_list: Option<ListForm>,
}

/// How a list's items are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListForm {
    /// `<Name><item>…</item>…</Name>`, or `<Name/>` when empty.
    Wrapped(&'static str),
    /// `<Name>…</Name><Name>…</Name>`, or nothing when empty.
    Flattened,
}

impl Element<'_> {
    fn open(&mut self) {
        if let Some(tag) = self.tag {
            self.out.push('<');
            self.out.push_str(tag);
            self.out.push('>');
        }
    }

    fn close(&mut self) {
        if let Some(tag) = self.tag {
            self.out.push_str("</");
            self.out.push_str(tag);
            self.out.push('>');
        }
    }

    fn empty(&mut self) {
        if let Some(tag) = self.tag {
            self.out.push('<');
            self.out.push_str(tag);
            self.out.push_str("/>");
        }
    }

    fn text(mut self, text: &str) -> Result<(), XmlError> {
        self.open();
        push_escaped(self.out, text);
        self.close();
        Ok(())
    }

    fn display(mut self, value: impl fmt::Display) -> Result<(), XmlError> {
        self.open();
        // Numbers and booleans never need escaping.
        let _ = write!(self.out, "{value}");
        self.close();
        Ok(())
    }

    fn child<'c>(&'c mut self, tag: &'c str) -> Element<'c> {
        Element {
            out: self.out,
            tag: Some(tag),
            list_item: self.list_item,
            next_list: None,
        }
    }
}

/// The serializer methods that write a value as its `Display` text.
macro_rules! display_values {
    ($($method:ident($ty:ty);)*) => {
        $(fn $method(self, v: $ty) -> Result<(), XmlError> {
            self.display(v)
        })*
    };
}

impl<'o> ser::Serializer for Element<'o> {
    type Ok = ();
    type Error = XmlError;
    type SerializeSeq = List<'o>;
    type SerializeTuple = List<'o>;
    type SerializeTupleStruct = List<'o>;
    type SerializeTupleVariant = Impossible<(), XmlError>;
    type SerializeMap = Map<'o>;
    type SerializeStruct = Struct<'o>;
    type SerializeStructVariant = Impossible<(), XmlError>;

    display_values! {
        serialize_bool(bool); serialize_i8(i8); serialize_i16(i16); serialize_i32(i32);
        serialize_i64(i64); serialize_u8(u8); serialize_u16(u16); serialize_u32(u32);
        serialize_u64(u64);
    }
    fn serialize_f32(self, v: f32) -> Result<(), XmlError> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), XmlError> {
        // Smithy's spelling of the non-finite values.
        match v {
            v if v.is_nan() => self.text("NaN"),
            v if v == f64::INFINITY => self.text("Infinity"),
            v if v == f64::NEG_INFINITY => self.text("-Infinity"),
            v => self.display(v),
        }
    }
    fn serialize_char(self, v: char) -> Result<(), XmlError> {
        self.text(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), XmlError> {
        self.text(v)
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<(), XmlError> {
        Err(XmlError(
            "raw bytes; encode blobs as base64 text first".into(),
        ))
    }
    fn serialize_none(self) -> Result<(), XmlError> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), XmlError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), XmlError> {
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), XmlError> {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), XmlError> {
        self.text(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), XmlError> {
        if name == TIMESTAMP_MARKER {
            let Captured::Seconds(seconds) = value.serialize(Capture::Seconds)? else {
                return Err(XmlError(NOT_CAPTURED.into()));
            };
            let millis = (seconds * 1000.0).round() as i64;
            let mut element = self;
            element.open();
            Timestamp::from_millis(millis).write_iso8601(element.out);
            element.close();
            return Ok(());
        }
        if name == PREWRITTEN {
            let mut element = self;
            element.open();
            value.serialize(Capture::Text(&mut *element.out))?;
            element.close();
            return Ok(());
        }
        let form = match name.strip_prefix(LIST_ITEMS_PREFIX) {
            Some(item) => Some(ListForm::Wrapped(item)),
            None if name == FLATTENED_LIST => Some(ListForm::Flattened),
            None => None,
        };
        value.serialize(Element {
            next_list: form.or(self.next_list),
            ..self
        })
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _value: &T,
    ) -> Result<(), XmlError> {
        Err(XmlError(format!("enum variant {variant} with data")))
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<List<'o>, XmlError> {
        let form = self.next_list.unwrap_or(ListForm::Wrapped(self.list_item));
        Ok(List {
            element: self,
            form,
            count: 0,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<List<'o>, XmlError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<List<'o>, XmlError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, XmlError> {
        Err(XmlError(format!("tuple variant {variant}")))
    }
    fn serialize_map(mut self, _len: Option<usize>) -> Result<Map<'o>, XmlError> {
        self.open();
        Ok(Map { element: self })
    }
    fn serialize_struct(
        mut self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Struct<'o>, XmlError> {
        self.open();
        Ok(Struct { element: self })
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, XmlError> {
        Err(XmlError(format!("struct variant {variant}")))
    }
}

/// A list, in one of its [`ListForm`]s.
pub struct List<'o> {
    element: Element<'o>,
    form: ListForm,
    count: usize,
}

impl List<'_> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), XmlError> {
        self.count += 1;
        match self.form {
            ListForm::Wrapped(item) => {
                if self.count == 1 {
                    self.element.open();
                }
                value.serialize(self.element.child(item))
            }
            ListForm::Flattened => {
                let tag = self.element.tag.unwrap_or(self.element.list_item);
                value.serialize(Element {
                    out: self.element.out,
                    tag: Some(tag),
                    list_item: self.element.list_item,
                    next_list: None,
                })
            }
        }
    }

    fn finish(mut self) -> Result<(), XmlError> {
        match (self.form, self.count) {
            (ListForm::Flattened, _) => {}
            (ListForm::Wrapped(_), 0) => self.element.empty(),
            (ListForm::Wrapped(_), _) => self.element.close(),
        }
        Ok(())
    }
}

impl ser::SerializeSeq for List<'_> {
    type Ok = ();
    type Error = XmlError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), XmlError> {
        self.push(value)
    }
    fn end(self) -> Result<(), XmlError> {
        self.finish()
    }
}

impl ser::SerializeTuple for List<'_> {
    type Ok = ();
    type Error = XmlError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), XmlError> {
        self.push(value)
    }
    fn end(self) -> Result<(), XmlError> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for List<'_> {
    type Ok = ();
    type Error = XmlError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), XmlError> {
        self.push(value)
    }
    fn end(self) -> Result<(), XmlError> {
        self.finish()
    }
}

/// A structure: one child element per present member.
pub struct Struct<'o> {
    element: Element<'o>,
}

impl ser::SerializeStruct for Struct<'_> {
    type Ok = ();
    type Error = XmlError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), XmlError> {
        value.serialize(self.element.child(key))
    }
    fn end(mut self) -> Result<(), XmlError> {
        self.element.close();
        Ok(())
    }
}

/// A map: `<entry><key>…</key><value>…</value></entry>` per pair.
pub struct Map<'o> {
    element: Element<'o>,
}

impl ser::SerializeMap for Map<'_> {
    type Ok = ();
    type Error = XmlError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), XmlError> {
        self.element.out.push_str("<entry>");
        key.serialize(self.element.child("key"))
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), XmlError> {
        value.serialize(self.element.child("value"))?;
        self.element.out.push_str("</entry>");
        Ok(())
    }
    fn end(mut self) -> Result<(), XmlError> {
        self.element.close();
        Ok(())
    }
}

/// Reads back the `f64` inside a [`Timestamp`]'s marker newtype, or
/// appends the text inside a [`PREWRITTEN`] one to the answer as it is.
/// Anything else inside a marker is a bug in the type that wrote it.
enum Capture<'o> {
    Seconds,
    Text(&'o mut String),
}

/// What [`Capture`] read: the seconds, or that the text was appended.
enum Captured {
    Seconds(f64),
    Text,
}

const NOT_CAPTURED: &str = "a marker newtype holds neither seconds nor text";

macro_rules! not_captured {
    ($($method:ident($($arg:ty),*);)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<Captured, XmlError> {
            Err(XmlError(NOT_CAPTURED.into()))
        })*
    };
}

impl ser::Serializer for Capture<'_> {
    type Ok = Captured;
    type Error = XmlError;
    type SerializeSeq = Impossible<Captured, XmlError>;
    type SerializeTuple = Impossible<Captured, XmlError>;
    type SerializeTupleStruct = Impossible<Captured, XmlError>;
    type SerializeTupleVariant = Impossible<Captured, XmlError>;
    type SerializeMap = Impossible<Captured, XmlError>;
    type SerializeStruct = Impossible<Captured, XmlError>;
    type SerializeStructVariant = Impossible<Captured, XmlError>;

    fn serialize_f64(self, v: f64) -> Result<Captured, XmlError> {
        match self {
            Capture::Seconds => Ok(Captured::Seconds(v)),
            Capture::Text(_) => Err(XmlError(NOT_CAPTURED.into())),
        }
    }
    fn serialize_str(self, v: &str) -> Result<Captured, XmlError> {
        match self {
            Capture::Text(out) => {
                out.push_str(v);
                Ok(Captured::Text)
            }
            Capture::Seconds => Err(XmlError(NOT_CAPTURED.into())),
        }
    }

    not_captured! {
        serialize_bool(bool); serialize_i8(i8); serialize_i16(i16); serialize_i32(i32);
        serialize_i64(i64); serialize_u8(u8); serialize_u16(u16); serialize_u32(u32);
        serialize_u64(u64); serialize_f32(f32); serialize_char(char);
        serialize_bytes(&[u8]); serialize_none(); serialize_unit();
        serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<Captured, XmlError> {
        Err(XmlError(NOT_CAPTURED.into()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<Captured, XmlError> {
        Err(XmlError(NOT_CAPTURED.into()))
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Captured, XmlError> {
        Err(XmlError(NOT_CAPTURED.into()))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, XmlError> {
        Err(XmlError(NOT_CAPTURED.into()))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, XmlError> {
        Err(XmlError(NOT_CAPTURED.into()))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, XmlError> {
        Err(XmlError(NOT_CAPTURED.into()))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, XmlError> {
        Err(XmlError(NOT_CAPTURED.into()))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, XmlError> {
        Err(XmlError(NOT_CAPTURED.into()))
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, XmlError> {
        Err(XmlError(NOT_CAPTURED.into()))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, XmlError> {
        Err(XmlError(NOT_CAPTURED.into()))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;

    use super::*;

    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Inner {
        id: String,
        port: Option<u16>,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Output {
        names: Vec<Inner>,
        empty: Vec<String>,
        absent: Option<u32>,
        enabled: bool,
        created: Timestamp,
        text: String,
        attrs: BTreeMap<String, String>,
    }

    #[test]
    fn escapes_what_xml_cannot_carry() {
        let mut out = String::new();
        push_escaped(&mut out, "a\rb\u{1}c\td<'\">");
        assert_eq!(out, "a&#xD;b\u{FFFD}c\td&lt;&apos;&quot;&gt;");
    }

    #[test]
    fn writes_aws_query_shapes() {
        let out = Output {
            names: vec![
                Inner {
                    id: "a".into(),
                    port: Some(80),
                },
                Inner {
                    id: "b".into(),
                    port: None,
                },
            ],
            empty: vec![],
            absent: None,
            enabled: true,
            created: Timestamp::from_millis(1_714_564_800_000),
            text: "a<b&c".into(),
            attrs: BTreeMap::from([("k".to_owned(), "v".to_owned())]),
        };
        let mut xml = String::new();
        write_children(&mut xml, &out, "member").unwrap();
        assert_eq!(
            xml,
            "<Names><member><Id>a</Id><Port>80</Port></member><member><Id>b</Id></member></Names>\
             <Empty/><Enabled>true</Enabled><Created>2024-05-01T12:00:00.000Z</Created>\
             <Text>a&lt;b&amp;c</Text><Attrs><entry><key>k</key><value>v</value></entry></Attrs>"
        );
    }

    /// Children written earlier, as `ballast_model::Prewritten` keeps them.
    #[derive(Serialize)]
    #[serde(rename = "ballast-xml-prewritten")]
    struct Written<'a>(&'a str);

    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Listing<'a> {
        names: Vec<Written<'a>>,
    }

    #[test]
    fn prewritten_children_go_in_as_they_were_written() {
        let inner = Inner {
            id: "a<b".into(),
            port: Some(80),
        };
        let mut written = String::new();
        write_children(&mut written, &inner, "member").unwrap();
        let mut spliced = String::new();
        let listing = Listing {
            names: vec![Written(&written), Written(&written)],
        };
        write_children(&mut spliced, &listing, "member").unwrap();
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Direct<'a> {
            names: [&'a Inner; 2],
        }
        let mut direct = String::new();
        write_children(
            &mut direct,
            &Direct {
                names: [&inner, &inner],
            },
            "member",
        )
        .unwrap();
        assert_eq!(spliced, direct);
        assert_eq!(
            spliced,
            "<Names><member><Id>a&lt;b</Id><Port>80</Port></member>\
             <member><Id>a&lt;b</Id><Port>80</Port></member></Names>"
        );
    }

    #[test]
    fn a_marker_holding_the_wrong_value_is_an_error_not_a_panic() {
        #[derive(Serialize)]
        #[serde(rename = "ballast-xml-prewritten")]
        struct NotText(u32);
        #[derive(Serialize)]
        struct Holder {
            x: NotText,
        }
        let mut out = String::new();
        assert!(write_children(&mut out, &Holder { x: NotText(1) }, "member").is_err());
    }

    /// A list the model writes with its own item name.
    #[derive(Serialize)]
    #[serde(rename = "ballast-xml-items:groupId")]
    struct GroupIds(Vec<String>);

    /// A list the model writes flattened.
    #[derive(Serialize)]
    #[serde(rename = "ballast-xml-flattened")]
    struct Flat(Vec<Inner>);

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Named {
        group_id_set: GroupIds,
        none_set: GroupIds,
        later: Vec<String>,
        absent_set: Option<GroupIds>,
        entry: Flat,
        no_entry: Flat,
        nested: Vec<Vec<String>>,
    }

    #[test]
    fn writes_model_item_names_and_flattened_lists() {
        assert_eq!(list_items("groupId"), "ballast-xml-items:groupId");
        let out = Named {
            group_id_set: GroupIds(vec!["sg-1".into(), "sg-2".into()]),
            none_set: GroupIds(vec![]),
            later: vec!["x".into()],
            absent_set: None,
            entry: Flat(vec![
                Inner {
                    id: "a".into(),
                    port: None,
                },
                Inner {
                    id: "b".into(),
                    port: Some(1),
                },
            ]),
            no_entry: Flat(vec![]),
            nested: vec![vec!["deep".into()]],
        };
        let mut xml = String::new();
        write_children(&mut xml, &out, "item").unwrap();
        // The item name applies to its own list only: the lists after and
        // inside it keep the protocol's `item`.
        assert_eq!(
            xml,
            "<groupIdSet><groupId>sg-1</groupId><groupId>sg-2</groupId></groupIdSet>\
             <noneSet/><later><item>x</item></later>\
             <entry><Id>a</Id></entry><entry><Id>b</Id><Port>1</Port></entry>\
             <nested><item><item>deep</item></item></nested>"
        );
    }
}
