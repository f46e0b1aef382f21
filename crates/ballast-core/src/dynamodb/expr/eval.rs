//! Evaluating conditions and projections against an item.
//!
//! As in DynamoDB, a comparison involving a missing attribute is false
//! (except `<>`, which is true), ordered comparisons need two values of the
//! same scalar type, and functions given values of the wrong type are
//! false rather than errors.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::{Comparator, Condition, Operand, Path, PathElem};
use crate::dynamodb::value::{AttributeValue, Item};

/// The value at `path` in `item`, if there is one.
pub fn get<'i>(item: &'i Item, path: &Path) -> Option<&'i AttributeValue> {
    let mut elems = path.0.iter();
    let mut current = match elems.next()? {
        PathElem::Name(name) => item.get(name)?,
        PathElem::Index(_) => return None,
    };
    for elem in elems {
        current = match (elem, current) {
            (PathElem::Name(name), AttributeValue::M(map)) => map.get(name)?,
            (PathElem::Index(i), AttributeValue::L(list)) => list.get(*i)?,
            _ => return None,
        };
    }
    Some(current)
}

fn operand<'i>(item: &'i Item, op: &'i Operand) -> Option<Cow<'i, AttributeValue>> {
    match op {
        Operand::Path(path) => get(item, path).map(Cow::Borrowed),
        Operand::Value(value) => Some(Cow::Borrowed(value)),
        Operand::Size(path) => size_of(get(item, path)?).map(Cow::Owned),
    }
}

/// `size(path)`: a string's length in characters, a binary's in bytes,
/// the number of elements of a set, list or map.
fn size_of(value: &AttributeValue) -> Option<AttributeValue> {
    let n = match value {
        AttributeValue::S(s) => s.chars().count(),
        AttributeValue::B(b) => b.len(),
        AttributeValue::SS(s) => s.len(),
        AttributeValue::NS(s) => s.len(),
        AttributeValue::BS(s) => s.len(),
        AttributeValue::L(l) => l.len(),
        AttributeValue::M(m) => m.len(),
        _ => return None,
    };
    Some(AttributeValue::N(n.to_string()))
}

/// Whether `condition` holds for `item` (an empty item when none exists).
pub fn matches(condition: &Condition, item: &Item) -> bool {
    match condition {
        Condition::And(a, b) => matches(a, item) && matches(b, item),
        Condition::Or(a, b) => matches(a, item) || matches(b, item),
        Condition::Not(inner) => !matches(inner, item),
        Condition::Exists(path) => get(item, path).is_some(),
        Condition::NotExists(path) => get(item, path).is_none(),
        Condition::Compare(left, comparator, right) => {
            let (left, right) = (operand(item, left), operand(item, right));
            match (left, right) {
                (Some(l), Some(r)) => compare(&l, *comparator, &r),
                _ => *comparator == Comparator::Ne,
            }
        }
        Condition::Between(value, low, high) => {
            let (Some(v), Some(l), Some(h)) = (
                operand(item, value),
                operand(item, low),
                operand(item, high),
            ) else {
                return false;
            };
            compare(&v, Comparator::Ge, &l) && compare(&v, Comparator::Le, &h)
        }
        Condition::In(value, list) => {
            let Some(v) = operand(item, value) else {
                return false;
            };
            list.iter()
                .filter_map(|candidate| operand(item, candidate))
                .any(|c| v.same_as(&c))
        }
        Condition::Type(path, type_name) => {
            let wanted = operand(item, type_name);
            let (Some(value), Some(AttributeValue::S(name))) = (get(item, path), wanted.as_deref())
            else {
                return false;
            };
            value.type_name() == name
        }
        Condition::BeginsWith(value, prefix) => {
            let (value, prefix) = (operand(item, value), operand(item, prefix));
            match (value.as_deref(), prefix.as_deref()) {
                (Some(AttributeValue::S(s)), Some(AttributeValue::S(p))) => {
                    s.starts_with(p.as_str())
                }
                (Some(AttributeValue::B(b)), Some(AttributeValue::B(p))) => b.starts_with(p),
                _ => false,
            }
        }
        Condition::Contains(container, element) => {
            let (Some(c), Some(e)) = (operand(item, container), operand(item, element)) else {
                return false;
            };
            contains(&c, &e)
        }
    }
}

fn contains(container: &AttributeValue, element: &AttributeValue) -> bool {
    use AttributeValue::*;
    match (container, element) {
        (S(s), S(e)) => s.contains(e.as_str()),
        (B(b), B(e)) => e.is_empty() || b.windows(e.len()).any(|w| w == e.as_slice()),
        (SS(set), S(e)) => set.contains(e),
        (BS(set), B(e)) => set.contains(e),
        (NS(set), N(_)) => set.iter().any(|n| N(n.clone()).same_as(element)),
        (L(list), e) => list.iter().any(|v| v.same_as(e)),
        _ => false,
    }
}

fn compare(left: &AttributeValue, comparator: Comparator, right: &AttributeValue) -> bool {
    match comparator {
        Comparator::Eq => left.same_as(right),
        Comparator::Ne => !left.same_as(right),
        ordered => match left.compare(right) {
            None => false,
            Some(order) => match ordered {
                Comparator::Lt => order == Ordering::Less,
                Comparator::Le => order != Ordering::Greater,
                Comparator::Gt => order == Ordering::Greater,
                Comparator::Ge => order != Ordering::Less,
                Comparator::Eq | Comparator::Ne => false,
            },
        },
    }
}

/// The part of `item` a ProjectionExpression asks for. Nested paths keep
/// their structure; list elements picked by index are gathered, in the
/// order asked, into a list.
pub fn project(item: &Item, paths: &[Path]) -> Item {
    let mut out = Item::new();
    for path in paths {
        let Some(value) = get(item, path) else {
            continue;
        };
        let mut elems = path.0.iter();
        let Some(PathElem::Name(top)) = elems.next() else {
            continue;
        };
        let rest: Vec<&PathElem> = elems.collect();
        if rest.is_empty() {
            out.insert(top.clone(), value.clone());
            continue;
        }
        let slot = out
            .entry(top.clone())
            .or_insert_with(|| empty_container(rest[0]));
        place(slot, &rest, value);
    }
    out
}

fn empty_container(next: &PathElem) -> AttributeValue {
    match next {
        PathElem::Name(_) => AttributeValue::M(Default::default()),
        PathElem::Index(_) => AttributeValue::L(Vec::new()),
    }
}

fn place(slot: &mut AttributeValue, rest: &[&PathElem], value: &AttributeValue) {
    let Some((first, tail)) = rest.split_first() else {
        *slot = value.clone();
        return;
    };
    match (first, slot) {
        (PathElem::Name(name), AttributeValue::M(map)) => {
            if tail.is_empty() {
                map.insert(name.clone(), value.clone());
            } else {
                let child = map
                    .entry(name.clone())
                    .or_insert_with(|| empty_container(tail[0]));
                place(child, tail, value);
            }
        }
        (PathElem::Index(_), AttributeValue::L(list)) => {
            if tail.is_empty() {
                list.push(value.clone());
            } else {
                list.push(empty_container(tail[0]));
                if let Some(child) = list.last_mut() {
                    place(child, tail, value);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::parse;
    use super::super::{Kind, Placeholders};
    use super::*;

    fn item() -> Item {
        serde_json::from_str(
            r#"{"a":{"N":"5"},"s":{"S":"hello"},"tags":{"SS":["x","y"]},
                "doc":{"M":{"lst":{"L":[{"N":"1"},{"M":{"deep":{"S":"v"}}}]}}}}"#,
        )
        .unwrap()
    }

    fn check(text: &str) -> bool {
        let values: BTreeMap<String, AttributeValue> = serde_json::from_str(
            r#"{":five":{"N":"5.0"},":ten":{"N":"10"},":he":{"S":"he"},":x":{"S":"x"},
                ":v":{"S":"v"},":S":{"S":"S"},":two":{"N":"2"}}"#,
        )
        .unwrap();
        let mut p = Placeholders::new(None, Some(&values)).unwrap();
        let c = parse::condition(text, Kind::Condition, &mut p).unwrap();
        matches(&c, &item())
    }

    #[test]
    fn evaluates_like_dynamodb() {
        assert!(check("a = :five"));
        assert!(check("a < :ten AND a BETWEEN :five AND :ten"));
        assert!(!check("absent = :five"));
        assert!(check("absent <> :five"));
        assert!(!check("s < :ten"));
        assert!(check("begins_with(s, :he) AND contains(tags, :x)"));
        assert!(check("contains(s, :he)"));
        assert!(check("size(tags) = :two AND size(s) = :five"));
        assert!(check(
            "attribute_type(s, :S) AND attribute_exists(doc.lst[1].deep)"
        ));
        assert!(check("doc.lst[1].deep = :v"));
        assert!(check("attribute_not_exists(doc.lst[2])"));
        assert!(check("a IN (:ten, :five)"));
        assert!(check("NOT a = :ten"));
    }

    #[test]
    fn projects_nested_paths() {
        let mut p = Placeholders::new(None, None).unwrap();
        let paths = parse::projection("a, doc.lst[1].deep, nope", &mut p).unwrap();
        let out = project(&item(), &paths);
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            r#"{"a":{"N":"5"},"doc":{"M":{"lst":{"L":[{"M":{"deep":{"S":"v"}}}]}}}}"#
        );
    }
}
