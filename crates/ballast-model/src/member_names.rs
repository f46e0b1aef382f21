//! JSON in the model's member names for a service whose wire names differ.
//!
//! EC2's generated shapes carry its query names (`InstanceId` for the
//! member `InstanceIds`) and its XML names (`instancesSet`, `instanceState`)
//! because those are what its protocol speaks. Automation's
//! `aws:executeAwsApi` speaks the member names instead (`InstanceIds` in,
//! `$.Reservations[0].Instances[0].State.Name` out), as boto3 does. The
//! generator writes a table of every structure's members with both
//! spellings ([`Field`]); these walks rename a JSON document's keys from
//! one to the other, structure by structure, since one XML name can stand
//! for different members in different structures (`groupSet`).

use serde_json::{Map, Value};

/// One member of a generated structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The model's member name (`Reservations`).
    pub member: &'static str,
    /// How the struct serializes it (`reservationSet`).
    pub written: &'static str,
    /// How the struct deserializes it (`InstanceId` for `InstanceIds`).
    pub read: &'static str,
    /// The generated structure the member holds, itself or as list items
    /// or map values; empty when it holds none.
    pub holds: &'static str,
    /// Whether the member is a map (its keys are data, not names).
    pub map: bool,
}

/// Every structure's fields, sorted by the structure's generated name.
pub type Shapes = &'static [(&'static str, &'static [Field])];

/// `value`, an instance of the structure `root` as the struct serialized
/// it, with each key in its member name.
pub fn to_members(shapes: Shapes, root: &str, value: Value) -> Value {
    rename(shapes, root, value, |f, key| f.written == key, |f| f.member)
}

/// `value`, an instance of the structure `root` in member names, with
/// each key as the struct deserializes it.
pub fn from_members(shapes: Shapes, root: &str, value: Value) -> Value {
    rename(shapes, root, value, |f, key| f.member == key, |f| f.read)
}

fn fields(shapes: Shapes, name: &str) -> Option<&'static [Field]> {
    shapes
        .binary_search_by(|(shape, _)| (*shape).cmp(name))
        .ok()
        .map(|i| shapes[i].1)
}

fn rename(
    shapes: Shapes,
    shape: &str,
    value: Value,
    matches: fn(&Field, &str) -> bool,
    to: fn(&Field) -> &'static str,
) -> Value {
    match value {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| rename(shapes, shape, item, matches, to))
                .collect(),
        ),
        Value::Object(object) => {
            let Some(fields) = fields(shapes, shape) else {
                return Value::Object(object);
            };
            let mut renamed = Map::new();
            for (key, inner) in object {
                match fields.iter().find(|f| matches(f, &key)) {
                    Some(field) => {
                        let inner = holding(shapes, field, inner, matches, to);
                        renamed.insert(to(field).to_owned(), inner);
                    }
                    None => {
                        renamed.insert(key, inner);
                    }
                }
            }
            Value::Object(renamed)
        }
        other => other,
    }
}

/// A member's value renamed as the structure it holds.
fn holding(
    shapes: Shapes,
    field: &Field,
    value: Value,
    matches: fn(&Field, &str) -> bool,
    to: fn(&Field) -> &'static str,
) -> Value {
    if field.holds.is_empty() {
        return value;
    }
    match (field.map, value) {
        (true, Value::Object(entries)) => Value::Object(
            entries
                .into_iter()
                .map(|(k, v)| (k, rename(shapes, field.holds, v, matches, to)))
                .collect(),
        ),
        (_, value) => rename(shapes, field.holds, value, matches, to),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const fn field(
        member: &'static str,
        written: &'static str,
        read: &'static str,
        holds: &'static str,
    ) -> Field {
        Field {
            member,
            written,
            read,
            holds,
            map: false,
        }
    }

    static SHAPES: Shapes = &[
        ("Group", &[field("GroupId", "groupId", "GroupId", "")]),
        (
            "Instance",
            &[
                field("InstanceId", "instanceId", "InstanceId", ""),
                field("SecurityGroups", "groupSet", "GroupSet", "Group"),
            ],
        ),
        (
            "Request",
            &[field("InstanceIds", "InstanceId", "InstanceId", "")],
        ),
        (
            "Reservation",
            &[
                field("Groups", "groupSet", "GroupSet", "Group"),
                field("Instances", "instancesSet", "InstancesSet", "Instance"),
            ],
        ),
    ];

    #[test]
    fn keys_are_renamed_structure_by_structure() {
        let written = json!({
            "groupSet": [{"groupId": "sg-1"}],
            "instancesSet": [{"instanceId": "i-1", "groupSet": [{"groupId": "sg-2"}], "extra": 1}],
        });
        assert_eq!(
            to_members(SHAPES, "Reservation", written),
            json!({
                "Groups": [{"GroupId": "sg-1"}],
                "Instances": [{"InstanceId": "i-1", "SecurityGroups": [{"GroupId": "sg-2"}], "extra": 1}],
            })
        );
    }

    #[test]
    fn input_in_member_names_is_read_as_the_struct_reads_it() {
        assert_eq!(
            from_members(SHAPES, "Request", json!({"InstanceIds": ["i-1"]})),
            json!({"InstanceId": ["i-1"]})
        );
        // An unknown structure is left alone.
        assert_eq!(
            from_members(SHAPES, "Nope", json!({"InstanceIds": ["i-1"]})),
            json!({"InstanceIds": ["i-1"]})
        );
    }

    #[test]
    fn ec2_describe_instances_reads_and_writes_member_names() {
        let shapes = crate::ec2::MEMBER_NAMES;
        assert!(shapes.windows(2).all(|w| w[0].0 < w[1].0), "sorted");
        assert_eq!(
            from_members(
                shapes,
                "DescribeInstancesInput",
                json!({"InstanceIds": ["i-1"]})
            ),
            json!({"InstanceId": ["i-1"]})
        );
        let written =
            json!({"reservationSet": [{"instancesSet": [{"instanceState": {"name": "running"}}]}]});
        assert_eq!(
            to_members(shapes, "DescribeInstancesOutput", written),
            json!({"Reservations": [{"Instances": [{"State": {"Name": "running"}}]}]})
        );
    }
}
