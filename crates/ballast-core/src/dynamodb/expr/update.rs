//! Applying an UpdateExpression to an item.
//!
//! Every SET value is computed from the item as it was before the update
//! (as DynamoDB does), then the actions are applied: SET, REMOVE (higher
//! list indexes first, so indexes refer to the original list), ADD,
//! DELETE.

use std::collections::BTreeSet;

use super::eval::get;
use super::{Path, PathElem, SetOperand, SetValue, Update};
use crate::dynamodb::Error;
use crate::dynamodb::key::KeyDef;
use crate::dynamodb::number::Number;
use crate::dynamodb::value::{AttributeValue, Item};

fn invalid_path() -> Error {
    Error::validation("The document path provided in the update expression is invalid for update")
}

fn wrong_type() -> Error {
    Error::validation("An operand in the update expression has an incorrect data type")
}

/// Refuses updates that touch a key attribute.
pub fn check_keys(update: &Update, key: &KeyDef) -> Result<(), Error> {
    for path in update.paths() {
        if key.is_key(path.top()) {
            return Err(Error::validation(format!(
                "One or more parameter values were invalid: Cannot update attribute {}. This attribute is part of the key",
                path.top()
            )));
        }
    }
    Ok(())
}

/// The top-level attributes an update touches (for `UPDATED_OLD` and
/// `UPDATED_NEW`).
pub fn touched(update: &Update) -> BTreeSet<String> {
    update.paths().map(|p| p.top().to_owned()).collect()
}

/// The item after `update`; `old` is the current item (or just its key
/// when it does not exist yet).
pub fn apply(update: &Update, old: &Item) -> Result<Item, Error> {
    let mut values = Vec::with_capacity(update.set.len());
    for (path, value) in &update.set {
        values.push((path, set_value(old, value)?));
    }
    let mut item = old.clone();
    for (path, value) in values {
        set_path(&mut item, path, value)?;
    }
    let mut removes: Vec<&Path> = update.remove.iter().collect();
    removes.sort_by(|a, b| b.cmp(a));
    for path in removes {
        remove_path(&mut item, path);
    }
    for (path, value) in &update.add {
        add(&mut item, path, value)?;
    }
    for (path, value) in &update.delete {
        delete(&mut item, path, value)?;
    }
    Ok(item)
}

fn set_value(old: &Item, value: &SetValue) -> Result<AttributeValue, Error> {
    match value {
        SetValue::Operand(op) => set_operand(old, op),
        SetValue::Plus(a, b) | SetValue::Minus(a, b) => {
            let (a, b) = (set_operand(old, a)?, set_operand(old, b)?);
            let (Some(a), Some(b)) = (a.as_number(), b.as_number()) else {
                return Err(wrong_type());
            };
            let result = if matches!(value, SetValue::Plus(..)) {
                a.add(&b)
            } else {
                a.sub(&b)
            };
            result
                .map(|n| AttributeValue::N(n.to_string()))
                .map_err(|e| Error::validation(e.to_string()))
        }
    }
}

fn set_operand(old: &Item, op: &SetOperand) -> Result<AttributeValue, Error> {
    match op {
        SetOperand::Path(path) => get(old, path).cloned().ok_or_else(|| {
            Error::validation(
                "The provided expression refers to an attribute that does not exist in the item",
            )
        }),
        SetOperand::Value(value) => Ok(value.clone()),
        SetOperand::IfNotExists(path, fallback) => match get(old, path) {
            Some(value) => Ok(value.clone()),
            None => set_operand(old, fallback),
        },
        SetOperand::ListAppend(a, b) => match (set_operand(old, a)?, set_operand(old, b)?) {
            (AttributeValue::L(mut a), AttributeValue::L(b)) => {
                a.extend(b);
                Ok(AttributeValue::L(a))
            }
            _ => Err(wrong_type()),
        },
    }
}

/// The parent container of the path's last element, and that element.
fn parent_mut<'i>(
    item: &'i mut Item,
    path: &'i Path,
) -> Result<Option<(&'i mut AttributeValue, &'i PathElem)>, Error> {
    let Some((last, init)) = path.0.split_last() else {
        return Err(invalid_path());
    };
    let Some((PathElem::Name(top), middle)) = init.split_first() else {
        return Ok(None);
    };
    let Some(mut current) = item.get_mut(top) else {
        return Err(invalid_path());
    };
    for elem in middle {
        current = match (elem, current) {
            (PathElem::Name(name), AttributeValue::M(map)) => {
                map.get_mut(name).ok_or_else(invalid_path)?
            }
            (PathElem::Index(i), AttributeValue::L(list)) => {
                list.get_mut(*i).ok_or_else(invalid_path)?
            }
            _ => return Err(invalid_path()),
        };
    }
    Ok(Some((current, last)))
}

fn set_path(item: &mut Item, path: &Path, value: AttributeValue) -> Result<(), Error> {
    if let [PathElem::Name(name)] = path.0.as_slice() {
        item.insert(name.clone(), value);
        return Ok(());
    }
    let Some((parent, last)) = parent_mut(item, path)? else {
        return Err(invalid_path());
    };
    match (last, parent) {
        (PathElem::Name(name), AttributeValue::M(map)) => {
            map.insert(name.clone(), value);
        }
        (PathElem::Index(i), AttributeValue::L(list)) => {
            if *i < list.len() {
                list[*i] = value;
            } else {
                list.push(value);
            }
        }
        _ => return Err(invalid_path()),
    }
    Ok(())
}

fn remove_path(item: &mut Item, path: &Path) {
    if let [PathElem::Name(name)] = path.0.as_slice() {
        item.remove(name);
        return;
    }
    if let Ok(Some((parent, last))) = parent_mut(item, path) {
        match (last, parent) {
            (PathElem::Name(name), AttributeValue::M(map)) => {
                map.remove(name);
            }
            (PathElem::Index(i), AttributeValue::L(list)) if *i < list.len() => {
                list.remove(*i);
            }
            _ => {}
        }
    }
}

fn get_mut<'i>(item: &'i mut Item, path: &Path) -> Option<&'i mut AttributeValue> {
    let mut elems = path.0.iter();
    let mut current = match elems.next()? {
        PathElem::Name(name) => item.get_mut(name)?,
        PathElem::Index(_) => return None,
    };
    for elem in elems {
        current = match (elem, current) {
            (PathElem::Name(name), AttributeValue::M(map)) => map.get_mut(name)?,
            (PathElem::Index(i), AttributeValue::L(list)) => list.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(current)
}

fn add(item: &mut Item, path: &Path, value: &AttributeValue) -> Result<(), Error> {
    let Some(existing) = get_mut(item, path) else {
        return set_path(item, path, value.clone());
    };
    match (existing, value) {
        (AttributeValue::N(current), AttributeValue::N(delta)) => {
            let sum = Number::parse(current)
                .and_then(|c| Number::parse(delta).and_then(|d| c.add(&d)))
                .map_err(|e| Error::validation(e.to_string()))?;
            *current = sum.to_string();
        }
        (AttributeValue::SS(set), AttributeValue::SS(more)) => union(set, more),
        (AttributeValue::BS(set), AttributeValue::BS(more)) => union(set, more),
        (AttributeValue::NS(set), AttributeValue::NS(more)) => {
            for n in more {
                if !set
                    .iter()
                    .any(|m| AttributeValue::N(m.clone()).same_as(&AttributeValue::N(n.clone())))
                {
                    set.push(n.clone());
                }
            }
        }
        _ => return Err(wrong_type()),
    }
    Ok(())
}

fn union<T: PartialEq + Clone>(set: &mut Vec<T>, more: &[T]) {
    for element in more {
        if !set.contains(element) {
            set.push(element.clone());
        }
    }
}

fn delete(item: &mut Item, path: &Path, value: &AttributeValue) -> Result<(), Error> {
    let Some(existing) = get_mut(item, path) else {
        return Ok(());
    };
    let now_empty = match (existing, value) {
        (AttributeValue::SS(set), AttributeValue::SS(less)) => {
            set.retain(|e| !less.contains(e));
            set.is_empty()
        }
        (AttributeValue::BS(set), AttributeValue::BS(less)) => {
            set.retain(|e| !less.contains(e));
            set.is_empty()
        }
        (AttributeValue::NS(set), AttributeValue::NS(less)) => {
            set.retain(|e| {
                !less
                    .iter()
                    .any(|l| AttributeValue::N(l.clone()).same_as(&AttributeValue::N(e.clone())))
            });
            set.is_empty()
        }
        _ => return Err(wrong_type()),
    };
    if now_empty {
        remove_path(item, path);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::{Placeholders, parse};
    use super::*;

    fn run(item: &str, expression: &str) -> Result<String, Error> {
        let values: BTreeMap<String, AttributeValue> = serde_json::from_str(
            r#"{":one":{"N":"1"},":half":{"N":"0.5"},":s":{"S":"s"},":l":{"L":[{"N":"9"}]},
                ":ss":{"SS":["b","c"]},":ns":{"NS":["2"]}}"#,
        )
        .unwrap();
        let mut p = Placeholders::new(None, Some(&values)).unwrap();
        let update = parse::update(expression, &mut p)?;
        let item: Item = serde_json::from_str(item).unwrap();
        Ok(serde_json::to_string(&apply(&update, &item)?).unwrap())
    }

    #[test]
    fn applies_every_action() {
        assert_eq!(
            run(
                r#"{"n":{"N":"1"}}"#,
                "SET n = n + :half, m = if_not_exists(m, :one)"
            )
            .unwrap(),
            r#"{"m":{"N":"1"},"n":{"N":"1.5"}}"#
        );
        assert_eq!(
            run(r#"{"l":{"L":[{"N":"1"}]}}"#, "SET l = list_append(l, :l)").unwrap(),
            r#"{"l":{"L":[{"N":"1"},{"N":"9"}]}}"#
        );
        assert_eq!(
            run(
                r#"{"l":{"L":[{"N":"1"},{"N":"2"},{"N":"3"}]}}"#,
                "REMOVE l[0], l[2]"
            )
            .unwrap(),
            r#"{"l":{"L":[{"N":"2"}]}}"#
        );
        assert_eq!(
            run(r#"{"s":{"SS":["a","b"]}}"#, "ADD s :ss, c :one").unwrap(),
            r#"{"c":{"N":"1"},"s":{"SS":["a","b","c"]}}"#
        );
        assert_eq!(
            run(r#"{"s":{"SS":["b","c"]}}"#, "DELETE s :ss").unwrap(),
            r#"{}"#
        );
        assert_eq!(
            run(r#"{"m":{"M":{}}}"#, "SET m.a = :s, l2 = :l").unwrap(),
            r#"{"l2":{"L":[{"N":"9"}]},"m":{"M":{"a":{"S":"s"}}}}"#
        );
    }

    #[test]
    fn refuses_what_dynamodb_refuses() {
        assert!(run("{}", "SET a.b = :s").is_err());
        assert!(run(r#"{"a":{"S":"x"}}"#, "SET a = a + :one").is_err());
        assert!(run("{}", "SET a = missing").is_err());
        assert!(run(r#"{"a":{"S":"x"}}"#, "ADD a :one").is_err());
        assert!(run(r#"{"a":{"SS":["x"]}}"#, "DELETE a :ns").is_err());
    }
}
