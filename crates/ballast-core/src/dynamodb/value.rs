//! Attribute values (S N B SS NS BS M L BOOL NULL) as DynamoDB's JSON
//! protocol writes them, their validation and normalisation, their size as
//! DynamoDB counts it, and the comparisons expressions use.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Error;
use super::number::Number;

/// An item: attribute names to values.
pub type Item = BTreeMap<String, AttributeValue>;

/// How deeply documents may nest (DynamoDB's limit).
pub const MAX_DEPTH: usize = 32;

/// One attribute value. Numbers are kept as their canonical string once
/// [`validate`](AttributeValue::validate) has run, so equal numbers are
/// equal strings; binary values are bytes (base64 on the wire).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AttributeValue {
    S(String),
    N(String),
    B(#[serde(with = "b64")] Vec<u8>),
    SS(Vec<String>),
    NS(Vec<String>),
    BS(#[serde(with = "b64_list")] Vec<Vec<u8>>),
    M(BTreeMap<String, AttributeValue>),
    L(Vec<AttributeValue>),
    BOOL(bool),
    NULL(bool),
}

/// The type names `attribute_type` and error messages use.
pub const TYPE_NAMES: [&str; 10] = ["S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"];

impl AttributeValue {
    /// The type's name as DynamoDB spells it (`S`, `NS`, `BOOL`…).
    pub fn type_name(&self) -> &'static str {
        match self {
            AttributeValue::S(_) => "S",
            AttributeValue::N(_) => "N",
            AttributeValue::B(_) => "B",
            AttributeValue::SS(_) => "SS",
            AttributeValue::NS(_) => "NS",
            AttributeValue::BS(_) => "BS",
            AttributeValue::M(_) => "M",
            AttributeValue::L(_) => "L",
            AttributeValue::BOOL(_) => "BOOL",
            AttributeValue::NULL(_) => "NULL",
        }
    }

    /// Checks a value from a request and normalises it in place: numbers
    /// to their canonical form, sets checked for emptiness and duplicates.
    pub fn validate(&mut self) -> Result<(), Error> {
        self.validate_at(0)
    }

    fn validate_at(&mut self, depth: usize) -> Result<(), Error> {
        if depth > MAX_DEPTH {
            return Err(Error::validation(
                "Nesting Levels have exceeded supported limits: Nesting level exceeds 32",
            ));
        }
        match self {
            AttributeValue::S(_) | AttributeValue::B(_) | AttributeValue::BOOL(_) => {}
            AttributeValue::N(text) => *text = canonical_number(text)?,
            AttributeValue::NULL(flag) => {
                if !*flag {
                    return Err(Error::validation(
                        "One or more parameter values were invalid: Null attribute value types must have the value of true",
                    ));
                }
            }
            AttributeValue::SS(set) => {
                check_set(set, "string")?;
            }
            AttributeValue::NS(set) => {
                for text in set.iter_mut() {
                    *text = canonical_number(text)?;
                }
                check_set(set, "number")?;
            }
            AttributeValue::BS(set) => {
                check_set(set, "binary")?;
            }
            AttributeValue::M(map) => {
                for value in map.values_mut() {
                    value.validate_at(depth + 1)?;
                }
            }
            AttributeValue::L(list) => {
                for value in list.iter_mut() {
                    value.validate_at(depth + 1)?;
                }
            }
        }
        Ok(())
    }

    /// The value's size as DynamoDB counts it toward the 400 KB item limit:
    /// strings and binaries by their length, numbers by roughly one byte
    /// per two significant digits plus one, booleans and nulls one byte,
    /// documents three bytes plus their contents (one more per element).
    pub fn size(&self) -> usize {
        match self {
            AttributeValue::S(s) => s.len(),
            AttributeValue::N(n) => number_size(n),
            AttributeValue::B(b) => b.len(),
            AttributeValue::SS(set) => set.iter().map(String::len).sum(),
            AttributeValue::NS(set) => set.iter().map(|n| number_size(n)).sum(),
            AttributeValue::BS(set) => set.iter().map(Vec::len).sum(),
            AttributeValue::M(map) => {
                3 + map
                    .iter()
                    .map(|(k, v)| k.len() + v.size() + 1)
                    .sum::<usize>()
            }
            AttributeValue::L(list) => 3 + list.iter().map(|v| v.size() + 1).sum::<usize>(),
            AttributeValue::BOOL(_) | AttributeValue::NULL(_) => 1,
        }
    }

    /// The parsed number of an `N` value.
    pub fn as_number(&self) -> Option<Number> {
        match self {
            AttributeValue::N(text) => Number::parse(text).ok(),
            _ => None,
        }
    }

    /// Equality as DynamoDB's `=` sees it: same type and value, with sets
    /// compared as sets and numbers numerically.
    pub fn same_as(&self, other: &AttributeValue) -> bool {
        use AttributeValue::*;
        match (self, other) {
            (N(a), N(b)) => match (Number::parse(a), Number::parse(b)) {
                (Ok(a), Ok(b)) => a == b,
                _ => a == b,
            },
            (SS(a), SS(b)) => same_set(a, b, |x, y| x == y),
            (BS(a), BS(b)) => same_set(a, b, |x, y| x == y),
            (NS(a), NS(b)) => same_set(a, b, |x, y| N(x.clone()).same_as(&N(y.clone()))),
            (M(a), M(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, v)| b.get(k).is_some_and(|w| v.same_as(w)))
            }
            (L(a), L(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_as(y)),
            _ => self == other,
        }
    }

    /// The order of two scalars of the same type (S by UTF-8 bytes, N
    /// numerically, B by unsigned bytes); `None` for other pairs, which
    /// `<`, `<=`, `>`, `>=` and BETWEEN treat as false.
    pub fn compare(&self, other: &AttributeValue) -> Option<Ordering> {
        use AttributeValue::*;
        match (self, other) {
            (S(a), S(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
            (B(a), B(b)) => Some(a.cmp(b)),
            (N(a), N(b)) => Some(Number::parse(a).ok()?.cmp(&Number::parse(b).ok()?)),
            _ => None,
        }
    }
}

fn same_set<T>(a: &[T], b: &[T], eq: impl Fn(&T, &T) -> bool) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.iter().any(|y| eq(x, y)))
}

fn number_size(text: &str) -> usize {
    let digits = Number::parse(text).map_or(text.len(), |n| n.significant_digits());
    digits.div_ceil(2) + 1
}

/// The canonical text of a number from a request.
pub fn canonical_number(text: &str) -> Result<String, Error> {
    Number::parse(text)
        .map(|n| n.to_string())
        .map_err(|e| Error::validation(e.to_string()))
}

fn check_set<T: PartialEq + std::fmt::Debug>(set: &[T], kind: &str) -> Result<(), Error> {
    if set.is_empty() {
        return Err(Error::validation(format!(
            "One or more parameter values were invalid: An {kind} set  may not be empty"
        )));
    }
    for (i, a) in set.iter().enumerate() {
        if set[..i].contains(a) {
            return Err(Error::validation(format!(
                "One or more parameter values were invalid: Input collection {set:?} contains duplicates."
            )));
        }
    }
    Ok(())
}

/// Validates every value of an item from a request.
pub fn validate_item(item: &mut Item) -> Result<(), Error> {
    for value in item.values_mut() {
        value.validate()?;
    }
    Ok(())
}

/// An item's size: each attribute's name length plus its value's size.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + v.size()).sum()
}

mod b64 {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text.as_bytes()).map_err(|_| {
            serde::de::Error::custom(
                "Base64 encoded length is expected a multiple of 4 bytes but found: invalid base64",
            )
        })
    }
}

mod b64_list {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(list: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(list.len()))?;
        for bytes in list {
            seq.serialize_element(&STANDARD.encode(bytes))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        let texts = Vec::<String>::deserialize(d)?;
        texts
            .iter()
            .map(|t| {
                STANDARD
                    .decode(t.as_bytes())
                    .map_err(|_| serde::de::Error::custom("invalid base64"))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> AttributeValue {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn round_trips_every_type() {
        for json in [
            r#"{"S":"x"}"#,
            r#"{"N":"1.5"}"#,
            r#"{"B":"AAE="}"#,
            r#"{"SS":["a","b"]}"#,
            r#"{"NS":["1","2"]}"#,
            r#"{"BS":["AA=="]}"#,
            r#"{"M":{"a":{"BOOL":true}}}"#,
            r#"{"L":[{"NULL":true},{"S":""}]}"#,
        ] {
            let mut value = parse(json);
            value.validate().unwrap();
            assert_eq!(serde_json::to_string(&value).unwrap(), json);
        }
    }

    #[test]
    fn normalises_and_refuses() {
        let mut value = parse(r#"{"NS":["1.0","2e0"]}"#);
        value.validate().unwrap();
        assert_eq!(value, AttributeValue::NS(vec!["1".into(), "2".into()]));
        assert!(parse(r#"{"NS":["1.0","1"]}"#).validate().is_err());
        assert!(parse(r#"{"SS":[]}"#).validate().is_err());
        assert!(parse(r#"{"NULL":false}"#).validate().is_err());
        assert!(parse(r#"{"N":"x"}"#).validate().is_err());
        assert!(serde_json::from_str::<AttributeValue>(r#"{"S":"a","N":"1"}"#).is_err());
        assert!(serde_json::from_str::<AttributeValue>(r#"{"B":"!!"}"#).is_err());
    }

    #[test]
    fn compares_as_dynamodb_does() {
        let a = parse(r#"{"SS":["a","b"]}"#);
        let b = parse(r#"{"SS":["b","a"]}"#);
        assert!(a.same_as(&b));
        assert_eq!(
            parse(r#"{"N":"10"}"#).compare(&parse(r#"{"N":"9"}"#)),
            Some(Ordering::Greater)
        );
        assert_eq!(parse(r#"{"S":"10"}"#).compare(&parse(r#"{"N":"9"}"#)), None);
    }
}
