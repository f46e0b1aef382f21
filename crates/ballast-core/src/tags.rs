//! Resource tags, with the limits AWS applies to them.

use serde::{Deserialize, Serialize};

/// A key/value tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    #[serde(default)]
    pub value: String,
}

impl Tag {
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Tag {
            key: key.into(),
            value: value.into(),
        }
    }

    /// The tag as the `(key, value)` pair the store keeps.
    pub fn pair(&self) -> (String, String) {
        (self.key.clone(), self.value.clone())
    }
}

impl From<(String, String)> for Tag {
    fn from((key, value): (String, String)) -> Self {
        Tag { key, value }
    }
}

impl From<Tag> for (String, String) {
    fn from(tag: Tag) -> Self {
        (tag.key, tag.value)
    }
}

/// Tags as the `(key, value)` pairs the store keeps.
pub fn pairs(tags: &[Tag]) -> Vec<(String, String)> {
    tags.iter().map(Tag::pair).collect()
}

/// Stored `(key, value)` pairs as tags.
pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Vec<Tag> {
    pairs.into_iter().map(Tag::from).collect()
}

/// Why a tag set was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    #[error(
        "Tag key '{0}' is invalid: it must be 1 to 128 characters and must not start with 'aws:'"
    )]
    InvalidKey(String),
    #[error("Tag value for key '{0}' is longer than 256 characters")]
    InvalidValue(String),
    #[error("Tag key '{0}' appears more than once")]
    DuplicateKey(String),
    #[error("A resource can have at most {0} tags")]
    TooMany(usize),
}

/// Checks one batch of tags: key and value lengths, the reserved `aws:`
/// prefix, and duplicate keys within the batch.
pub fn validate(tags: &[Tag]) -> Result<(), TagError> {
    let mut seen = std::collections::HashSet::new();
    for tag in tags {
        let key_len = tag.key.chars().count();
        if key_len == 0 || key_len > 128 || tag.key.to_ascii_lowercase().starts_with("aws:") {
            return Err(TagError::InvalidKey(tag.key.clone()));
        }
        if tag.value.chars().count() > 256 {
            return Err(TagError::InvalidValue(tag.key.clone()));
        }
        if !seen.insert(tag.key.as_str()) {
            return Err(TagError::DuplicateKey(tag.key.clone()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert!(validate(&[Tag::new("Name", "web")]).is_ok());
        assert!(matches!(
            validate(&[Tag::new("aws:x", "")]),
            Err(TagError::InvalidKey(_))
        ));
        assert!(matches!(
            validate(&[Tag::new("", "")]),
            Err(TagError::InvalidKey(_))
        ));
        assert!(matches!(
            validate(&[Tag::new("a", ""), Tag::new("a", "b")]),
            Err(TagError::DuplicateKey(_))
        ));
        assert!(matches!(
            validate(&[Tag::new("a", "x".repeat(257))]),
            Err(TagError::InvalidValue(_))
        ));
    }
}
