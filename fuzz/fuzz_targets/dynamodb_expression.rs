//! DynamoDB expressions: the input, as text, is parsed as every expression
//! kind (condition, key condition, update, projection) with a fixed set of
//! placeholders; whatever parses is then evaluated or applied against a
//! small item, and a key condition is reduced against a key schema, and a
//! number parse of the text is tried. Nothing may panic; failures are
//! `ValidationException`s.
#![no_main]

use std::collections::BTreeMap;

use ballast_core::dynamodb::expr::{Kind, Placeholders, eval, key_condition, parse, update};
use ballast_core::dynamodb::key::{KeyAttr, KeyDef, ScalarType};
use ballast_core::dynamodb::{AttributeValue, Item, Number};
use libfuzzer_sys::fuzz_target;

fn values() -> BTreeMap<String, AttributeValue> {
    [
        (":n", AttributeValue::N("1.5".into())),
        (":s", AttributeValue::S("x".into())),
        (":l", AttributeValue::L(vec![AttributeValue::N("1".into())])),
        (":ss", AttributeValue::SS(vec!["a".into()])),
        (":t", AttributeValue::S("N".into())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn names() -> BTreeMap<String, String> {
    [("#a", "a"), ("#s", "status")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

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
    let (names, values) = (names(), values());
    let item = item();
    let key = KeyDef {
        hash: KeyAttr { name: "pk".into(), kind: ScalarType::S },
        range: Some(KeyAttr { name: "a".into(), kind: ScalarType::N }),
    };
    let _ = Number::parse(text);
    for kind in [Kind::Condition, Kind::KeyCondition] {
        let Ok(mut p) = Placeholders::new(Some(&names), Some(&values)) else {
            return;
        };
        if let Ok(condition) = parse::condition(text, kind, &mut p) {
            let _ = eval::matches(&condition, &item);
            let _ = key_condition::reduce(&condition, &key);
            let _ = p.finish();
        }
    }
    if let Ok(mut p) = Placeholders::new(Some(&names), Some(&values))
        && let Ok(parsed) = parse::update(text, &mut p)
    {
        let _ = update::check_keys(&parsed, &key);
        let _ = update::apply(&parsed, &item);
    }
    if let Ok(mut p) = Placeholders::new(Some(&names), Some(&values))
        && let Ok(paths) = parse::projection(text, &mut p)
    {
        let _ = eval::project(&item, &paths);
    }
});
