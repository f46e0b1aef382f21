//! The one conversion between DynamoDB's generated wire types
//! (`ballast_model::dynamodb`) and the core's: attribute values and items,
//! key schemas, attribute definitions, index specs and throughput. Handlers
//! convert at their edge with these; `ballast_core` never sees a wire type.

use std::collections::BTreeMap;

use ballast_core::dynamodb::key::{AttributeDefinition, KeySchemaElement};
use ballast_core::dynamodb::table::{IndexSpec, Projection, Throughput};
use ballast_core::dynamodb::{AttributeValue, Item};
use ballast_model::Blob;
use ballast_model::dynamodb as wire;

/// An item (or key) as the wire carries it.
pub(super) type WireItem = BTreeMap<String, wire::AttributeValue>;

/// A wire attribute value as the core's.
pub(super) fn value(v: wire::AttributeValue) -> AttributeValue {
    use wire::AttributeValue as W;
    match v {
        W::S(s) => AttributeValue::S(s),
        W::N(n) => AttributeValue::N(n),
        W::B(Blob(b)) => AttributeValue::B(b),
        W::Ss(set) => AttributeValue::SS(set),
        W::Ns(set) => AttributeValue::NS(set),
        W::Bs(set) => AttributeValue::BS(set.into_iter().map(|Blob(b)| b).collect()),
        W::M(map) => AttributeValue::M(item(map)),
        W::L(list) => AttributeValue::L(list.into_iter().map(value).collect()),
        W::Null(flag) => AttributeValue::NULL(flag),
        W::Bool(flag) => AttributeValue::BOOL(flag),
    }
}

/// A wire item (or key, or `ExpressionAttributeValues`) as the core's.
pub(super) fn item(item: WireItem) -> Item {
    item.into_iter().map(|(k, v)| (k, value(v))).collect()
}

/// An optional wire item as the core's.
pub(super) fn item_opt(item_: Option<WireItem>) -> Option<Item> {
    item_.map(item)
}

/// A core attribute value as the wire's.
pub(super) fn wire_value(v: AttributeValue) -> wire::AttributeValue {
    use wire::AttributeValue as W;
    match v {
        AttributeValue::S(s) => W::S(s),
        AttributeValue::N(n) => W::N(n),
        AttributeValue::B(b) => W::B(Blob(b)),
        AttributeValue::SS(set) => W::Ss(set),
        AttributeValue::NS(set) => W::Ns(set),
        AttributeValue::BS(set) => W::Bs(set.into_iter().map(Blob).collect()),
        AttributeValue::M(map) => W::M(wire_item(map)),
        AttributeValue::L(list) => W::L(list.into_iter().map(wire_value).collect()),
        AttributeValue::NULL(flag) => W::Null(flag),
        AttributeValue::BOOL(flag) => W::Bool(flag),
    }
}

/// A core item as the wire's.
pub(super) fn wire_item(item: Item) -> WireItem {
    item.into_iter().map(|(k, v)| (k, wire_value(v))).collect()
}

pub(super) fn key_schema(schema: Vec<wire::KeySchemaElement>) -> Vec<KeySchemaElement> {
    schema
        .into_iter()
        .map(|e| KeySchemaElement {
            attribute_name: e.attribute_name,
            key_type: e.key_type.as_str().to_owned(),
        })
        .collect()
}

pub(super) fn wire_key_schema(schema: Vec<KeySchemaElement>) -> Vec<wire::KeySchemaElement> {
    schema
        .into_iter()
        .map(|e| wire::KeySchemaElement {
            attribute_name: e.attribute_name,
            key_type: wire::KeyType::from(e.key_type.as_str()),
        })
        .collect()
}

pub(super) fn definitions(definitions: Vec<wire::AttributeDefinition>) -> Vec<AttributeDefinition> {
    definitions
        .into_iter()
        .map(|d| AttributeDefinition {
            attribute_name: d.attribute_name,
            attribute_type: d.attribute_type.as_str().to_owned(),
        })
        .collect()
}

pub(super) fn wire_definitions(
    definitions: &[AttributeDefinition],
) -> Vec<wire::AttributeDefinition> {
    definitions
        .iter()
        .map(|d| wire::AttributeDefinition {
            attribute_name: d.attribute_name.clone(),
            attribute_type: wire::ScalarAttributeType::from(d.attribute_type.as_str()),
        })
        .collect()
}

pub(super) fn throughput(t: wire::ProvisionedThroughput) -> Throughput {
    Throughput {
        read_capacity_units: t.read_capacity_units,
        write_capacity_units: t.write_capacity_units,
    }
}

pub(super) fn projection(p: wire::Projection) -> Projection {
    Projection {
        projection_type: p.projection_type.map(|t| t.as_str().to_owned()),
        non_key_attributes: p.non_key_attributes,
    }
}

pub(super) fn wire_projection(p: Projection) -> wire::Projection {
    wire::Projection {
        projection_type: p
            .projection_type
            .map(|t| wire::ProjectionType::from(t.as_str())),
        non_key_attributes: p.non_key_attributes,
    }
}

/// A secondary index to create: CreateTable's global or local index, or
/// UpdateTable's `Create`.
pub(super) fn index_spec(
    index_name: String,
    key: Vec<wire::KeySchemaElement>,
    projection_: wire::Projection,
    provisioned: Option<wire::ProvisionedThroughput>,
) -> IndexSpec {
    IndexSpec {
        index_name,
        key_schema: key_schema(key),
        projection: projection(projection_),
        provisioned_throughput: provisioned.map(throughput),
    }
}

pub(super) fn global_index(i: wire::GlobalSecondaryIndex) -> IndexSpec {
    index_spec(
        i.index_name,
        i.key_schema,
        i.projection,
        i.provisioned_throughput,
    )
}

pub(super) fn local_index(i: wire::LocalSecondaryIndex) -> IndexSpec {
    index_spec(i.index_name, i.key_schema, i.projection, None)
}

pub(super) fn created_index(i: wire::CreateGlobalSecondaryIndexAction) -> IndexSpec {
    index_spec(
        i.index_name,
        i.key_schema,
        i.projection,
        i.provisioned_throughput,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_converts_both_ways() {
        // Keys in order, as a `BTreeMap` writes them.
        let json = r#"{"b":{"B":"AAE="},"bs":{"BS":["AA=="]},"l":{"L":[{"NULL":true}]},"m":{"M":{"a":{"BOOL":true}}},"n":{"N":"1.5"},"ns":{"NS":["1"]},"s":{"S":"x"},"ss":{"SS":["a"]}}"#;
        let wire_in: WireItem = serde_json::from_str(json).unwrap();
        let core = item(wire_in.clone());
        assert_eq!(core, serde_json::from_str::<Item>(json).unwrap());
        assert_eq!(wire_item(core), wire_in);
        assert_eq!(serde_json::to_string(&wire_in).unwrap(), json);
    }

    #[test]
    fn a_value_with_no_type_or_two_does_not_decode() {
        assert!(serde_json::from_str::<wire::AttributeValue>("{}").is_err());
        assert!(serde_json::from_str::<wire::AttributeValue>(r#"{"S":"a","N":"1"}"#).is_err());
    }
}
