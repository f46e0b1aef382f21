//! Form body → [`Node`] tree.

use std::collections::BTreeMap;

/// Maximum number of form fields in one request.
pub const MAX_FIELDS: usize = 10_000;
/// Maximum number of dotted segments in one field name.
pub const MAX_DEPTH: usize = 16;

/// One level of a decoded form: a text value, or named children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Leaf(String),
    Branch(BTreeMap<String, Node>),
}

impl Node {
    /// The text of a leaf, or `None` for a branch.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Node::Leaf(s) => Some(s),
            Node::Branch(_) => None,
        }
    }

    /// A child of a branch by name.
    pub fn get(&self, name: &str) -> Option<&Node> {
        match self {
            Node::Branch(children) => children.get(name),
            Node::Leaf(_) => None,
        }
    }

    /// A list's elements in index order (with or without a `member`/`item`
    /// segment); none for a value or a branch that is not a list.
    pub fn items(&self) -> Vec<&Node> {
        super::de::list_items(self).unwrap_or_default()
    }

    /// The text of a top-level field such as `Action` or `Version`.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Node::as_text)
    }
}

/// Why a form body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("the request has more than {MAX_FIELDS} parameters")]
    TooManyFields,
    #[error("parameter name '{0}' is nested more than {MAX_DEPTH} levels deep")]
    TooDeep(String),
    #[error("parameter name '{0}' has an empty segment")]
    EmptySegment(String),
    #[error("parameter '{0}' is given both as a value and as a structure")]
    Conflict(String),
}

/// Decodes `application/x-www-form-urlencoded` bytes (or a query string) into
/// a tree. Decoding is lenient as AWS's is: `+` and `%20` are both spaces,
/// invalid UTF-8 is replaced, and parameter order does not matter.
pub fn parse_form(body: &[u8]) -> Result<Node, FormError> {
    let mut root = BTreeMap::new();
    for (count, (key, value)) in form_urlencoded::parse(body).enumerate() {
        if count >= MAX_FIELDS {
            return Err(FormError::TooManyFields);
        }
        if key.is_empty() {
            continue;
        }
        insert(&mut root, &key, value.into_owned())?;
    }
    Ok(Node::Branch(root))
}

fn insert(root: &mut BTreeMap<String, Node>, key: &str, value: String) -> Result<(), FormError> {
    let segments: Vec<&str> = key.split('.').collect();
    if segments.len() > MAX_DEPTH {
        return Err(FormError::TooDeep(key.to_owned()));
    }
    if segments.iter().any(|s| s.is_empty()) {
        return Err(FormError::EmptySegment(key.to_owned()));
    }
    let (last, parents) = match segments.split_last() {
        Some(split) => split,
        None => return Ok(()),
    };
    let mut level = root;
    for segment in parents {
        let node = level
            .entry((*segment).to_owned())
            .or_insert_with(|| Node::Branch(BTreeMap::new()));
        // `Names=` (an empty list) followed by `Names.member.1=x` is fine:
        // the members win over the empty marker.
        if matches!(node, Node::Leaf(s) if s.is_empty()) {
            *node = Node::Branch(BTreeMap::new());
        }
        level = match node {
            Node::Branch(children) => children,
            Node::Leaf(_) => return Err(FormError::Conflict(key.to_owned())),
        };
    }
    match level.get(*last) {
        Some(Node::Branch(_)) if value.is_empty() => {}
        Some(Node::Branch(_)) => return Err(FormError::Conflict(key.to_owned())),
        _ => {
            level.insert((*last).to_owned(), Node::Leaf(value));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nests_dotted_names() {
        let node = parse_form(b"Action=X&Targets.member.1.Id=a&Targets.member.1.Port=80").unwrap();
        assert_eq!(node.text_of("Action"), Some("X"));
        let id = node
            .get("Targets")
            .and_then(|n| n.get("member"))
            .and_then(|n| n.get("1"))
            .and_then(|n| n.text_of("Id"));
        assert_eq!(id, Some("a"));
    }

    #[test]
    fn plus_and_percent_20_are_spaces() {
        let node = parse_form(b"A=x+y&B=x%20y").unwrap();
        assert_eq!(node.text_of("A"), Some("x y"));
        assert_eq!(node.text_of("B"), Some("x y"));
    }

    #[test]
    fn rejects_leaf_then_branch_conflict() {
        assert!(matches!(
            parse_form(b"A=x&A.b=y"),
            Err(FormError::Conflict(_))
        ));
    }

    #[test]
    fn empty_list_marker_yields_to_members() {
        let node = parse_form(b"Names=&Names.member.1=a").unwrap();
        assert!(node.get("Names").and_then(|n| n.get("member")).is_some());
    }

    #[test]
    fn rejects_empty_segments() {
        assert!(parse_form(b"A..b=1").is_err());
    }
}
