//! Key schemas and the key encoding the store sorts by.
//!
//! An item's primary key becomes an [`EncodedKey`]: the partition key's
//! bytes, the sort key's bytes (empty without a sort key) and a 32-bit
//! bucket hashed from the partition key. Each is chosen so SQLite's BLOB
//! order (`memcmp`) is DynamoDB's order: strings by their UTF-8 bytes,
//! binaries by their unsigned bytes, numbers by [`Number::key_bytes`]. A
//! Query is then a range scan over `(bucket, hash, range)` with the first
//! two fixed; a Scan walks buckets in order, and a parallel Scan's segment
//! is a contiguous bucket range.

use serde::{Deserialize, Serialize};

use super::Error;
use super::number::Number;
use super::value::{AttributeValue, Item};

/// The largest partition key value (bytes).
pub const MAX_HASH_KEY_BYTES: usize = 2048;
/// The largest sort key value (bytes).
pub const MAX_RANGE_KEY_BYTES: usize = 1024;

/// A key attribute's place in a key schema, as the model spells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeySchemaElement {
    pub attribute_name: String,
    pub key_type: String,
}

/// An attribute's declared type, as the model spells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeDefinition {
    pub attribute_name: String,
    pub attribute_type: String,
}

/// The types a key attribute may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScalarType {
    S,
    N,
    B,
}

impl ScalarType {
    pub fn parse(text: &str) -> Option<ScalarType> {
        match text {
            "S" => Some(ScalarType::S),
            "N" => Some(ScalarType::N),
            "B" => Some(ScalarType::B),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ScalarType::S => "S",
            ScalarType::N => "N",
            ScalarType::B => "B",
        }
    }
}

/// One key attribute, resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyAttr {
    pub name: String,
    pub kind: ScalarType,
}

/// A resolved key schema: the partition key and the optional sort key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyDef {
    pub hash: KeyAttr,
    pub range: Option<KeyAttr>,
}

/// A primary key in the store's byte order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EncodedKey {
    pub bucket: u32,
    pub hash: Vec<u8>,
    pub range: Vec<u8>,
}

impl KeyDef {
    /// Resolves a schema against the attribute definitions; `what` names
    /// the table or index in messages.
    pub fn resolve(
        schema: &[KeySchemaElement],
        definitions: &[AttributeDefinition],
    ) -> Result<KeyDef, Error> {
        let find = |element: &KeySchemaElement| -> Result<KeyAttr, Error> {
            let definition = definitions
                .iter()
                .find(|d| d.attribute_name == element.attribute_name)
                .ok_or_else(|| {
                    Error::validation(format!(
                        "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
                        schema.iter().map(|e| e.attribute_name.as_str()).collect::<Vec<_>>().join(", "),
                        definitions.iter().map(|d| d.attribute_name.as_str()).collect::<Vec<_>>().join(", "),
                    ))
                })?;
            let kind = ScalarType::parse(&definition.attribute_type).ok_or_else(|| {
                Error::validation(format!(
                    "1 validation error detected: Value '{}' at 'attributeDefinitions.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]",
                    definition.attribute_type
                ))
            })?;
            Ok(KeyAttr {
                name: element.attribute_name.clone(),
                kind,
            })
        };
        match schema {
            [hash] if hash.key_type == "HASH" => Ok(KeyDef {
                hash: find(hash)?,
                range: None,
            }),
            [hash, range] if hash.key_type == "HASH" && range.key_type == "RANGE" => {
                if hash.attribute_name == range.attribute_name {
                    return Err(Error::validation(
                        "Invalid KeySchema: Some index key attribute have no definition",
                    ));
                }
                Ok(KeyDef {
                    hash: find(hash)?,
                    range: Some(find(range)?),
                })
            }
            [] => Err(Error::validation(
                "1 validation error detected: Value '[]' at 'keySchema' failed to satisfy constraint: Member must have length greater than or equal to 1",
            )),
            [first, ..] if first.key_type != "HASH" => Err(Error::validation(
                "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
            )),
            [_, second] if second.key_type != "RANGE" => Err(Error::validation(
                "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
            )),
            _ => Err(Error::validation(
                "1 validation error detected: Value at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2",
            )),
        }
    }

    /// The schema back in the model's form.
    pub fn schema(&self) -> Vec<KeySchemaElement> {
        std::iter::once(KeySchemaElement {
            attribute_name: self.hash.name.clone(),
            key_type: "HASH".to_owned(),
        })
        .chain(self.range.iter().map(|r| KeySchemaElement {
            attribute_name: r.name.clone(),
            key_type: "RANGE".to_owned(),
        }))
        .collect()
    }

    /// The key attributes' names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.hash.name.as_str()).chain(self.range.iter().map(|r| r.name.as_str()))
    }

    /// Whether `name` is one of the key attributes.
    pub fn is_key(&self, name: &str) -> bool {
        self.names().any(|n| n == name)
    }

    /// The key of an item being written: both key attributes present with
    /// their declared types.
    pub fn item_key(&self, item: &Item) -> Result<EncodedKey, Error> {
        let hash = self.item_part(item, &self.hash, MAX_HASH_KEY_BYTES, "hashkey")?;
        let range = match &self.range {
            Some(range) => self.item_part(item, range, MAX_RANGE_KEY_BYTES, "rangekey")?,
            None => Vec::new(),
        };
        Ok(EncodedKey::new(hash, range))
    }

    fn item_part(
        &self,
        item: &Item,
        attr: &KeyAttr,
        max: usize,
        label: &str,
    ) -> Result<Vec<u8>, Error> {
        let value = item.get(&attr.name).ok_or_else(|| {
            Error::validation(format!(
                "One or more parameter values were invalid: Missing the key {} in the item",
                attr.name
            ))
        })?;
        encode_part(value, attr, max, label)
    }

    /// The key a `Key` parameter names: exactly the key attributes, with
    /// their declared types.
    pub fn exact_key(&self, key: &Item) -> Result<EncodedKey, Error> {
        let mismatch = || Error::validation("The provided key element does not match the schema");
        let expected = if self.range.is_some() { 2 } else { 1 };
        if key.len() != expected {
            return Err(mismatch());
        }
        let part = |attr: &KeyAttr, max: usize, label: &str| -> Result<Vec<u8>, Error> {
            let value = key.get(&attr.name).ok_or_else(mismatch)?;
            if value.type_name() != attr.kind.as_str() {
                return Err(mismatch());
            }
            encode_part(value, attr, max, label)
        };
        let hash = part(&self.hash, MAX_HASH_KEY_BYTES, "hashkey")?;
        let range = match &self.range {
            Some(range) => part(range, MAX_RANGE_KEY_BYTES, "rangekey")?,
            None => Vec::new(),
        };
        Ok(EncodedKey::new(hash, range))
    }

    /// An index's key for an item, or `None` when the item lacks an index
    /// key attribute or has it with another type (the item is then not in
    /// the index: indexes are sparse).
    pub fn index_key(&self, item: &Item) -> Option<EncodedKey> {
        let part = |attr: &KeyAttr| {
            let value = item.get(&attr.name)?;
            (value.type_name() == attr.kind.as_str()).then(|| scalar_bytes(value))?
        };
        let hash = part(&self.hash)?;
        let range = match &self.range {
            Some(range) => part(range)?,
            None => Vec::new(),
        };
        Some(EncodedKey::new(hash, range))
    }

    /// The key attributes of an item, as a `Key`/`LastEvaluatedKey` shows them.
    pub fn key_of(&self, item: &Item) -> Item {
        self.names()
            .filter_map(|name| Some((name.to_owned(), item.get(name)?.clone())))
            .collect()
    }
}

impl EncodedKey {
    pub fn new(hash: Vec<u8>, range: Vec<u8>) -> Self {
        EncodedKey {
            bucket: bucket_of(&hash),
            hash,
            range,
        }
    }
}

/// The bytes of one scalar value in key order; `None` for non-scalars.
pub fn scalar_bytes(value: &AttributeValue) -> Option<Vec<u8>> {
    match value {
        AttributeValue::S(s) => Some(s.as_bytes().to_vec()),
        AttributeValue::B(b) => Some(b.clone()),
        AttributeValue::N(n) => Number::parse(n).ok().map(|n| n.key_bytes()),
        _ => None,
    }
}

fn encode_part(
    value: &AttributeValue,
    attr: &KeyAttr,
    max: usize,
    label: &str,
) -> Result<Vec<u8>, Error> {
    if value.type_name() != attr.kind.as_str() {
        return Err(Error::validation(format!(
            "One or more parameter values were invalid: Type mismatch for key {} expected: {} actual: {}",
            attr.name,
            attr.kind.as_str(),
            value.type_name()
        )));
    }
    match value {
        AttributeValue::S(s) if s.is_empty() => {
            return Err(Error::validation(format!(
                "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: {}",
                attr.name
            )));
        }
        AttributeValue::B(b) if b.is_empty() => {
            return Err(Error::validation(format!(
                "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: {}",
                attr.name
            )));
        }
        AttributeValue::S(s) if s.len() > max => {
            return Err(Error::validation(format!(
                "One or more parameter values were invalid: Size of {label} has exceeded the maximum size limit of{max} bytes"
            )));
        }
        AttributeValue::B(b) if b.len() > max => {
            return Err(Error::validation(format!(
                "One or more parameter values were invalid: Size of {label} has exceeded the maximum size limit of{max} bytes"
            )));
        }
        _ => {}
    }
    scalar_bytes(value)
        .ok_or_else(|| Error::validation("The provided key element does not match the schema"))
}

/// The partition key's bucket: FNV-1a over its bytes. Stable across
/// versions (it is stored), unlike `std`'s randomly seeded hasher.
pub fn bucket_of(hash: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for byte in hash {
        h ^= u32::from(*byte);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// The buckets of one parallel-scan segment: `[start, end)` as u64 so the
/// last segment's end (2^32) fits.
pub fn segment_buckets(segment: u32, total: u32) -> (u64, u64) {
    let span = 1u64 << 32;
    let total = u64::from(total.max(1));
    let start = (u64::from(segment) * span).div_ceil(total);
    let end = ((u64::from(segment) + 1) * span).div_ceil(total);
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(range: Option<ScalarType>) -> KeyDef {
        KeyDef {
            hash: KeyAttr {
                name: "pk".into(),
                kind: ScalarType::S,
            },
            range: range.map(|kind| KeyAttr {
                name: "sk".into(),
                kind,
            }),
        }
    }

    fn item(pairs: &[(&str, AttributeValue)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    #[test]
    fn keys_must_match_the_schema() {
        let key_def = def(Some(ScalarType::N));
        let good = item(&[
            ("pk", AttributeValue::S("a".into())),
            ("sk", AttributeValue::N("-1.5".into())),
        ]);
        assert!(key_def.exact_key(&good).is_ok());
        let mut extra = good.clone();
        extra.insert("x".into(), AttributeValue::BOOL(true));
        assert!(key_def.exact_key(&extra).is_err());
        assert!(key_def.item_key(&extra).is_ok());
        let wrong_type = item(&[
            ("pk", AttributeValue::S("a".into())),
            ("sk", AttributeValue::S("1".into())),
        ]);
        let err = key_def.item_key(&wrong_type).unwrap_err();
        assert!(
            err.to_string().contains("Type mismatch for key sk"),
            "{err}"
        );
        let empty = item(&[
            ("pk", AttributeValue::S(String::new())),
            ("sk", AttributeValue::N("1".into())),
        ]);
        assert!(key_def.item_key(&empty).is_err());
    }

    #[test]
    fn numeric_sort_keys_encode_in_order() {
        let key_def = def(Some(ScalarType::N));
        let keys: Vec<EncodedKey> = ["-100", "-2.5", "-2", "0", "0.001", "3", "10", "1e10"]
            .iter()
            .map(|n| {
                key_def
                    .item_key(&item(&[
                        ("pk", AttributeValue::S("p".into())),
                        ("sk", AttributeValue::N((*n).into())),
                    ]))
                    .unwrap()
            })
            .collect();
        for pair in keys.windows(2) {
            assert!(pair[0] < pair[1]);
        }
    }

    #[test]
    fn segments_cover_every_bucket_once() {
        for total in [1, 2, 3, 7, 1000] {
            let mut next = 0u64;
            for segment in 0..total {
                let (start, end) = segment_buckets(segment, total);
                assert_eq!(start, next);
                next = end;
            }
            assert_eq!(next, 1u64 << 32);
        }
    }
}
