//! A KeyConditionExpression reduced to what the store scans: one
//! partition and a range of sort keys, both as encoded key bytes.

use super::{Comparator, Condition, Operand, Path, PathElem};
use crate::dynamodb::Error;
use crate::dynamodb::key::{KeyDef, bucket_of, scalar_bytes};
use crate::dynamodb::value::AttributeValue;

/// The sort key range of a Query, in key bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeCondition {
    Eq(Vec<u8>),
    Lt(Vec<u8>),
    Le(Vec<u8>),
    Gt(Vec<u8>),
    Ge(Vec<u8>),
    Between(Vec<u8>, Vec<u8>),
    BeginsWith(Vec<u8>),
}

/// What a Query reads: the partition (bucket and key bytes) and
/// optionally a sort key range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCondition {
    pub bucket: u32,
    pub hash: Vec<u8>,
    pub range: Option<RangeCondition>,
}

/// One end of a sort key range: the bound's bytes and whether it is
/// exclusive; `None` when the range is open on that side.
pub type Bound<'a> = Option<(std::borrow::Cow<'a, [u8]>, bool)>;

impl RangeCondition {
    /// The lower and upper bounds, for a SQL range scan.
    pub fn bounds(&self) -> (Bound<'_>, Bound<'_>) {
        use std::borrow::Cow::{Borrowed, Owned};
        match self {
            RangeCondition::Eq(v) => (Some((Borrowed(v), false)), Some((Borrowed(v), false))),
            RangeCondition::Lt(v) => (None, Some((Borrowed(v), true))),
            RangeCondition::Le(v) => (None, Some((Borrowed(v), false))),
            RangeCondition::Gt(v) => (Some((Borrowed(v), true)), None),
            RangeCondition::Ge(v) => (Some((Borrowed(v), false)), None),
            RangeCondition::Between(lo, hi) => {
                (Some((Borrowed(lo), false)), Some((Borrowed(hi), false)))
            }
            RangeCondition::BeginsWith(prefix) => (
                Some((Borrowed(prefix), false)),
                successor(prefix).map(|s| (Owned(s), true)),
            ),
        }
    }
}

/// The smallest byte string greater than every string starting with
/// `prefix`; `None` when there is none (all 0xFF).
fn successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut next = prefix.to_vec();
    while let Some(last) = next.pop() {
        if last < 0xFF {
            next.push(last + 1);
            return Some(next);
        }
    }
    None
}

fn unsupported() -> Error {
    Error::validation("Query key condition not supported")
}

fn key_name(op: &Operand) -> Option<&str> {
    match op {
        Operand::Path(Path(elems)) => match elems.as_slice() {
            [PathElem::Name(name)] => Some(name),
            _ => None,
        },
        _ => None,
    }
}

fn value_of(op: &Operand) -> Result<&AttributeValue, Error> {
    match op {
        Operand::Value(v) => Ok(v),
        _ => Err(unsupported()),
    }
}

/// Reduces a parsed KeyConditionExpression against the key schema of the
/// table or index being queried.
pub fn reduce(condition: &Condition, key: &KeyDef) -> Result<KeyCondition, Error> {
    let mut parts = Vec::new();
    flatten(condition, &mut parts)?;
    let mut hash = None;
    let mut range = None;
    for part in parts {
        let name = match part {
            Condition::Compare(l, _, _) | Condition::Between(l, _, _) => key_name(l),
            Condition::BeginsWith(l, _) => key_name(l),
            _ => None,
        }
        .ok_or_else(unsupported)?;
        if name == key.hash.name {
            let Condition::Compare(_, Comparator::Eq, value) = part else {
                return Err(Error::validation("Query key condition not supported"));
            };
            if hash.is_some() {
                return Err(Error::validation(
                    "KeyConditionExpressions must only contain one condition per key",
                ));
            }
            hash = Some(typed_bytes(value_of(value)?, key.hash.kind.as_str())?);
        } else if key.range.as_ref().is_some_and(|r| r.name == name) {
            if range.is_some() {
                return Err(Error::validation(
                    "KeyConditionExpressions must only contain one condition per key",
                ));
            }
            let kind = key.range.as_ref().map_or("S", |r| r.kind.as_str());
            range = Some(range_condition(part, kind)?);
        } else {
            return Err(Error::validation(format!(
                "Query condition missed key schema element: {}",
                key.range
                    .as_ref()
                    .map_or(key.hash.name.as_str(), |r| r.name.as_str())
            )));
        }
    }
    let Some(hash) = hash else {
        return Err(Error::validation(format!(
            "Query condition missed key schema element: {}",
            key.hash.name
        )));
    };
    Ok(KeyCondition {
        bucket: bucket_of(&hash),
        hash,
        range,
    })
}

fn flatten<'c>(condition: &'c Condition, out: &mut Vec<&'c Condition>) -> Result<(), Error> {
    match condition {
        Condition::And(a, b) => {
            flatten(a, out)?;
            flatten(b, out)
        }
        Condition::Or(..) => Err(Error::validation(
            "Invalid operator used in KeyConditionExpression: OR",
        )),
        Condition::Not(..) => Err(Error::validation(
            "Invalid operator used in KeyConditionExpression: NOT",
        )),
        Condition::In(..) => Err(Error::validation(
            "Invalid operator used in KeyConditionExpression: IN",
        )),
        Condition::Compare(_, Comparator::Ne, _) => Err(Error::validation(
            "Unsupported operator on KeyConditionExpression: operator: <>",
        )),
        other => {
            if out.len() >= 2 {
                return Err(Error::validation("Conditions can be of length 1 or 2 only"));
            }
            out.push(other);
            Ok(())
        }
    }
}

fn typed_bytes(value: &AttributeValue, kind: &str) -> Result<Vec<u8>, Error> {
    if value.type_name() != kind {
        return Err(Error::validation(
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        ));
    }
    scalar_bytes(value).ok_or_else(unsupported)
}

fn range_condition(part: &Condition, kind: &str) -> Result<RangeCondition, Error> {
    Ok(match part {
        Condition::Compare(_, comparator, value) => {
            let bytes = typed_bytes(value_of(value)?, kind)?;
            match comparator {
                Comparator::Eq => RangeCondition::Eq(bytes),
                Comparator::Lt => RangeCondition::Lt(bytes),
                Comparator::Le => RangeCondition::Le(bytes),
                Comparator::Gt => RangeCondition::Gt(bytes),
                Comparator::Ge => RangeCondition::Ge(bytes),
                Comparator::Ne => return Err(unsupported()),
            }
        }
        Condition::Between(_, low, high) => {
            let (lo_value, hi_value) = (value_of(low)?, value_of(high)?);
            let lo = typed_bytes(lo_value, kind)?;
            let hi = typed_bytes(hi_value, kind)?;
            if lo > hi {
                return Err(Error::validation(format!(
                    "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {{{}:{}}}, upper bound operand: AttributeValue: {{{}:{}}}",
                    lo_value.type_name(),
                    scalar_text(lo_value),
                    hi_value.type_name(),
                    scalar_text(hi_value)
                )));
            }
            RangeCondition::Between(lo, hi)
        }
        Condition::BeginsWith(_, prefix) => {
            let value = value_of(prefix)?;
            if kind == "N" || value.type_name() == "N" {
                return Err(Error::validation(format!(
                    "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: {}",
                    if kind == "N" { "N" } else { value.type_name() }
                )));
            }
            RangeCondition::BeginsWith(typed_bytes(value, kind)?)
        }
        _ => return Err(unsupported()),
    })
}

fn scalar_text(value: &AttributeValue) -> String {
    match value {
        AttributeValue::S(s) | AttributeValue::N(s) => s.clone(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::{Kind, Placeholders, parse};
    use super::*;
    use crate::dynamodb::key::{KeyAttr, ScalarType};

    fn key() -> KeyDef {
        KeyDef {
            hash: KeyAttr {
                name: "pk".into(),
                kind: ScalarType::S,
            },
            range: Some(KeyAttr {
                name: "sk".into(),
                kind: ScalarType::N,
            }),
        }
    }

    fn reduce_text(text: &str) -> Result<KeyCondition, Error> {
        let values: BTreeMap<String, AttributeValue> = serde_json::from_str(
            r#"{":p":{"S":"a"},":lo":{"N":"-1"},":hi":{"N":"5"},":s":{"S":"x"}}"#,
        )
        .unwrap();
        let mut p = Placeholders::new(None, Some(&values)).unwrap();
        let c = parse::condition(text, Kind::KeyCondition, &mut p)?;
        reduce(&c, &key())
    }

    #[test]
    fn reduces_key_conditions() {
        assert!(reduce_text("pk = :p").unwrap().range.is_none());
        assert!(matches!(
            reduce_text("pk = :p AND sk BETWEEN :lo AND :hi")
                .unwrap()
                .range,
            Some(RangeCondition::Between(..))
        ));
        assert!(matches!(
            reduce_text("sk < :hi AND pk = :p").unwrap().range,
            Some(RangeCondition::Lt(..))
        ));
        assert!(
            reduce_text("sk < :hi")
                .unwrap_err()
                .to_string()
                .contains("missed key schema element: pk")
        );
        assert!(reduce_text("pk = :p OR sk = :lo").is_err());
        assert!(
            reduce_text("pk = :lo")
                .unwrap_err()
                .to_string()
                .contains("type does not match")
        );
        assert!(reduce_text("pk = :p AND sk BETWEEN :hi AND :lo").is_err());
        assert!(reduce_text("pk = :p AND begins_with(sk, :s)").is_err());
        assert!(reduce_text("pk = :p AND foo = :s").is_err());
    }

    #[test]
    fn begins_with_bounds() {
        assert_eq!(successor(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(successor(&[0x61, 0xFF]), Some(vec![0x62]));
        assert_eq!(successor(&[0xFF]), None);
    }
}
