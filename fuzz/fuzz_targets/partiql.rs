//! DynamoDB PartiQL: the input, as text, is parsed as a statement with
//! three parameters bound; whatever parses is evaluated as DynamoDB would
//! run it against a small item (a SELECT's condition and projection, an
//! UPDATE's changes, the key a write pins). Nothing may panic; failures
//! are `ValidationException`s.
#![no_main]

use ballast_core::dynamodb::expr::{eval, update};
use ballast_core::dynamodb::key::{KeyAttr, KeyDef, ScalarType};
use ballast_core::dynamodb::partiql::{self, Statement};
use ballast_core::dynamodb::{AttributeValue, Item};
use libfuzzer_sys::fuzz_target;

fn item() -> Item {
    serde_json::from_str(
        r#"{"pk":{"S":"p"},"a":{"N":"5"},"l":{"L":[{"N":"1"},{"M":{"b":{"S":"v"}}}]},"s":{"SS":["a","b"]}}"#,
    )
    .unwrap_or_default()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parameters = [
        AttributeValue::S("p".into()),
        AttributeValue::N("5".into()),
        AttributeValue::L(vec![AttributeValue::NULL(true)]),
    ];
    let item = item();
    let key = KeyDef {
        hash: KeyAttr { name: "pk".into(), kind: ScalarType::S },
        range: Some(KeyAttr { name: "a".into(), kind: ScalarType::N }),
    };
    let head = partiql::target(text);
    for count in 0..=parameters.len() {
        let Ok(statement) = partiql::parse(text, &parameters[..count]) else {
            continue;
        };
        // Whatever parses names the table its head named, so
        // authorization decides on the table that is then used.
        match &head {
            Ok(head) => assert_eq!(head.table, statement.table()),
            Err(_) => panic!("a statement parsed whose head did not"),
        }
        match statement {
            Statement::Select { projection, condition, .. } => {
                if let Some(condition) = &condition {
                    let _ = eval::matches(condition, &item);
                    let _ = partiql::pinned_partition(condition, &key);
                }
                if let Some(paths) = &projection {
                    let _ = eval::project(&item, paths);
                }
            }
            Statement::Update { update: changes, condition, .. } => {
                let _ = partiql::pinned_key(&condition, &key);
                let _ = update::check_keys(&changes, &key);
                let _ = update::apply(&changes, &item);
            }
            Statement::Delete { condition, .. } => {
                let _ = partiql::pinned_key(&condition, &key);
                let _ = eval::matches(&condition, &item);
            }
            Statement::Insert { item: inserted, .. } => {
                let _ = key.item_key(&inserted);
            }
        }
    }
});
