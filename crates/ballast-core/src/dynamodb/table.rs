//! Tables and their secondary indexes: what CreateTable and UpdateTable
//! accept, the stored record, and the status a table shows over time.
//!
//! Status is a function of the record and the clock, not a timer: a table
//! is CREATING for [`TRANSITION`] (scaled) after it is created, then
//! ACTIVE; UPDATING for as long after an UpdateTable; DELETING for as long
//! after DeleteTable, then gone. The waiters `table_exists` and
//! `table_not_exists` therefore really wait, and nothing needs to run in
//! the background.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Error;
use super::key::{AttributeDefinition, KeyDef, KeySchemaElement};
use super::value::Item;

/// How long (at time scale 1) a table or index stays CREATING, UPDATING
/// or DELETING. AWS takes seconds to tens of seconds; one second keeps
/// the transitions visible without slowing scripts down.
pub const TRANSITION: Duration = Duration::from_secs(1);
/// The most global secondary indexes per table (AWS's default quota).
pub const MAX_GSIS: usize = 20;
/// The most local secondary indexes per table.
pub const MAX_LSIS: usize = 5;
/// The most non-key attributes all of a table's indexes may project.
pub const MAX_PROJECTED_ATTRIBUTES: usize = 100;

/// `ProvisionedThroughput` as requests carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Throughput {
    pub read_capacity_units: i64,
    pub write_capacity_units: i64,
}

/// `Projection` as requests carry it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Projection {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projection_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub non_key_attributes: Option<Vec<String>>,
}

/// A secondary index as CreateTable and UpdateTable's `Create` carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IndexSpec {
    pub index_name: String,
    pub key_schema: Vec<KeySchemaElement>,
    pub projection: Projection,
    #[serde(default)]
    pub provisioned_throughput: Option<Throughput>,
}

/// How a table is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BillingMode {
    #[serde(rename = "PROVISIONED")]
    Provisioned,
    #[serde(rename = "PAY_PER_REQUEST")]
    PayPerRequest,
}

impl BillingMode {
    pub fn parse(text: Option<&str>) -> Result<BillingMode, Error> {
        match text {
            None | Some("PROVISIONED") => Ok(BillingMode::Provisioned),
            Some("PAY_PER_REQUEST") => Ok(BillingMode::PayPerRequest),
            Some(other) => Err(Error::validation(format!(
                "1 validation error detected: Value '{other}' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BillingMode::Provisioned => "PROVISIONED",
            BillingMode::PayPerRequest => "PAY_PER_REQUEST",
        }
    }
}

/// What an index copies from the table's items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProjectionKind {
    All,
    KeysOnly,
    Include(Vec<String>),
}

/// A secondary index, stored with its table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    pub name: String,
    pub key: KeyDef,
    pub projection: ProjectionKind,
    pub throughput: Option<Throughput>,
    pub created_millis: i64,
    /// Set when UpdateTable deleted the index: it shows DELETING for a
    /// while and then disappears.
    pub deleting_millis: Option<i64>,
}

/// A table, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub name: String,
    /// `TableId`: a UUID.
    pub id: String,
    pub arn: String,
    pub attribute_definitions: Vec<AttributeDefinition>,
    pub key: KeyDef,
    pub billing_mode: BillingMode,
    pub throughput: Throughput,
    pub created_millis: i64,
    pub updated_millis: Option<i64>,
    pub deleting_millis: Option<i64>,
    pub billing_mode_changed_millis: Option<i64>,
    pub global_indexes: Vec<Index>,
    pub local_indexes: Vec<Index>,
    #[serde(default)]
    pub deletion_protection: bool,
    /// The Time to Live attribute, when TTL is enabled
    /// ([`super::ttl`]). Records from before TTL existed have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_to_live: Option<String>,
}

/// A table's status at some moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Creating,
    Active,
    Updating,
    Deleting,
    /// Deleted and past DELETING: the table no longer exists.
    Gone,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Creating => "CREATING",
            Status::Active | Status::Gone => "ACTIVE",
            Status::Updating => "UPDATING",
            Status::Deleting => "DELETING",
        }
    }
}

/// What CreateTable asks for, decoded.
#[derive(Debug, Clone)]
pub struct CreateSpec<'a> {
    pub name: &'a str,
    pub attribute_definitions: &'a [AttributeDefinition],
    pub key_schema: &'a [KeySchemaElement],
    pub billing_mode: Option<&'a str>,
    pub throughput: Option<Throughput>,
    pub global_indexes: &'a [IndexSpec],
    pub local_indexes: &'a [IndexSpec],
    pub deletion_protection: bool,
}

/// Checks a table name (also used for index names).
pub fn validate_name(name: &str, member: &str) -> Result<(), Error> {
    if name.len() < 3 {
        return Err(Error::validation(format!(
            "1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must have length greater than or equal to 3"
        )));
    }
    if name.len() > 255 {
        return Err(Error::validation(format!(
            "1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must have length less than or equal to 255"
        )));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
    {
        return Err(Error::validation(format!(
            "1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        )));
    }
    Ok(())
}

fn validate_throughput(throughput: &Throughput, member: &str) -> Result<(), Error> {
    for (value, field) in [
        (throughput.read_capacity_units, "readCapacityUnits"),
        (throughput.write_capacity_units, "writeCapacityUnits"),
    ] {
        if value < 1 {
            return Err(Error::validation(format!(
                "1 validation error detected: Value '{value}' at '{member}.{field}' failed to satisfy constraint: Member must have value greater than or equal to 1"
            )));
        }
    }
    Ok(())
}

/// Checks the throughput against the billing mode: required with
/// PROVISIONED, refused with PAY_PER_REQUEST. Returns what to store.
pub fn throughput_for(
    mode: BillingMode,
    throughput: Option<Throughput>,
    member: &str,
) -> Result<Option<Throughput>, Error> {
    match (mode, throughput) {
        (BillingMode::Provisioned, Some(t)) => {
            validate_throughput(&t, member)?;
            Ok(Some(t))
        }
        (BillingMode::Provisioned, None) => Err(Error::validation(
            "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
        )),
        (BillingMode::PayPerRequest, Some(_)) => Err(Error::validation(
            "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
        )),
        (BillingMode::PayPerRequest, None) => Ok(None),
    }
}

fn projection_kind(projection: &Projection) -> Result<ProjectionKind, Error> {
    let attrs = projection.non_key_attributes.as_deref();
    match (projection.projection_type.as_deref(), attrs) {
        (Some("ALL"), None) => Ok(ProjectionKind::All),
        (Some("KEYS_ONLY"), None) => Ok(ProjectionKind::KeysOnly),
        (Some("INCLUDE"), Some(attrs)) if !attrs.is_empty() => {
            Ok(ProjectionKind::Include(attrs.to_vec()))
        }
        (Some("INCLUDE"), _) => Err(Error::validation(
            "One or more parameter values were invalid: ProjectionType is INCLUDE, but NonKeyAttributes is not specified",
        )),
        (Some("ALL" | "KEYS_ONLY"), Some(_)) => Err(Error::validation(format!(
            "One or more parameter values were invalid: ProjectionType is {}, but NonKeyAttributes is specified",
            projection.projection_type.as_deref().unwrap_or_default()
        ))),
        (None, _) => Err(Error::validation(
            "One or more parameter values were invalid: Unknown ProjectionType: null",
        )),
        (Some(other), _) => Err(Error::validation(format!(
            "1 validation error detected: Value '{other}' at 'projection.projectionType' failed to satisfy constraint: Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]"
        ))),
    }
}

/// Builds a global secondary index from its spec.
pub fn global_index(
    spec: &IndexSpec,
    definitions: &[AttributeDefinition],
    mode: BillingMode,
    now_millis: i64,
) -> Result<Index, Error> {
    validate_name(&spec.index_name, "indexName")?;
    let key = KeyDef::resolve(&spec.key_schema, definitions)?;
    let throughput = match (mode, spec.provisioned_throughput) {
        (BillingMode::Provisioned, None) => {
            return Err(Error::validation(format!(
                "One or more parameter values were invalid: ProvisionedThroughput must be specified for index: {}",
                spec.index_name
            )));
        }
        (mode, t) => throughput_for(mode, t, "provisionedThroughput")?,
    };
    Ok(Index {
        name: spec.index_name.clone(),
        key,
        projection: projection_kind(&spec.projection)?,
        throughput,
        created_millis: now_millis,
        deleting_millis: None,
    })
}

impl Table {
    /// Validates a CreateTable request and builds the table.
    pub fn create(
        spec: &CreateSpec<'_>,
        id: String,
        arn: String,
        now_millis: i64,
    ) -> Result<Table, Error> {
        validate_name(spec.name, "tableName")?;
        let definitions = spec.attribute_definitions;
        for (i, d) in definitions.iter().enumerate() {
            if definitions[..i]
                .iter()
                .any(|e| e.attribute_name == d.attribute_name)
            {
                return Err(Error::validation(
                    "Cannot have two attributes with the same name",
                ));
            }
        }
        let key = KeyDef::resolve(spec.key_schema, definitions)?;
        let billing_mode = BillingMode::parse(spec.billing_mode)?;
        let throughput = throughput_for(billing_mode, spec.throughput, "provisionedThroughput")?
            .unwrap_or(Throughput {
                read_capacity_units: 0,
                write_capacity_units: 0,
            });
        if spec.global_indexes.len() > MAX_GSIS {
            return Err(Error::LimitExceeded(format!(
                "One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GSIS}"
            )));
        }
        if spec.local_indexes.len() > MAX_LSIS {
            return Err(Error::validation(format!(
                "One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds per-table limit of {MAX_LSIS}"
            )));
        }
        let mut global_indexes = Vec::new();
        for gsi in spec.global_indexes {
            global_indexes.push(global_index(gsi, definitions, billing_mode, now_millis)?);
        }
        let mut local_indexes = Vec::new();
        for lsi in spec.local_indexes {
            validate_name(&lsi.index_name, "indexName")?;
            let Some(_) = &key.range else {
                return Err(Error::validation(
                    "One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
                ));
            };
            let index_key = KeyDef::resolve(&lsi.key_schema, definitions)?;
            if index_key.hash != key.hash || index_key.range.is_none() {
                return Err(Error::validation(format!(
                    "One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: {}. index hash key: {}, table hash key: {}",
                    lsi.index_name, index_key.hash.name, key.hash.name
                )));
            }
            local_indexes.push(Index {
                name: lsi.index_name.clone(),
                key: index_key,
                projection: projection_kind(&lsi.projection)?,
                throughput: None,
                created_millis: now_millis,
                deleting_millis: None,
            });
        }
        let all_names: Vec<&str> = global_indexes
            .iter()
            .chain(&local_indexes)
            .map(|i| i.name.as_str())
            .collect();
        for (i, name) in all_names.iter().enumerate() {
            if all_names[..i].contains(name) {
                return Err(Error::validation(format!(
                    "One or more parameter values were invalid: Duplicate index name: {name}"
                )));
            }
        }
        let projected: usize = global_indexes
            .iter()
            .chain(&local_indexes)
            .map(|i| match &i.projection {
                ProjectionKind::Include(attrs) => attrs.len(),
                _ => 0,
            })
            .sum();
        if projected > MAX_PROJECTED_ATTRIBUTES {
            return Err(Error::LimitExceeded(format!(
                "One or more parameter values were invalid: The number of projected attributes across all secondary indexes exceeds the limit of {MAX_PROJECTED_ATTRIBUTES}"
            )));
        }
        let table = Table {
            name: spec.name.to_owned(),
            id,
            arn,
            attribute_definitions: definitions.to_vec(),
            key,
            billing_mode,
            throughput,
            created_millis: now_millis,
            updated_millis: None,
            deleting_millis: None,
            billing_mode_changed_millis: None,
            global_indexes,
            local_indexes,
            deletion_protection: spec.deletion_protection,
            time_to_live: None,
        };
        table.check_definitions_used()?;
        Ok(table)
    }

    /// Every attribute definition must be a key of the table or an index.
    pub fn check_definitions_used(&self) -> Result<(), Error> {
        let used = |name: &str| {
            self.key.is_key(name)
                || self
                    .global_indexes
                    .iter()
                    .chain(&self.local_indexes)
                    .filter(|i| i.deleting_millis.is_none())
                    .any(|i| i.key.is_key(name))
        };
        if self
            .attribute_definitions
            .iter()
            .any(|d| !used(&d.attribute_name))
        {
            return Err(Error::validation(
                "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
            ));
        }
        Ok(())
    }

    /// The table's status at `now_millis`, with transitions lasting
    /// `transition` (the scaled [`TRANSITION`]).
    pub fn status(&self, now_millis: i64, transition: Duration) -> Status {
        let span = transition.as_millis() as i64;
        if let Some(deleting) = self.deleting_millis {
            return if now_millis < deleting + span {
                Status::Deleting
            } else {
                Status::Gone
            };
        }
        if now_millis < self.created_millis + span {
            return Status::Creating;
        }
        if self.updated_millis.is_some_and(|u| now_millis < u + span) {
            return Status::Updating;
        }
        Status::Active
    }

    /// A global or local index by name, if it exists and is not deleted.
    pub fn index(&self, name: &str) -> Option<&Index> {
        self.global_indexes
            .iter()
            .chain(&self.local_indexes)
            .find(|i| i.name == name && i.deleting_millis.is_none())
    }

    /// Every live index (global and local), for maintaining index rows.
    pub fn live_indexes(&self) -> impl Iterator<Item = &Index> {
        self.global_indexes
            .iter()
            .chain(&self.local_indexes)
            .filter(|i| i.deleting_millis.is_none())
    }

    /// Drops indexes whose DELETING period is over.
    pub fn forget_deleted_indexes(&mut self, now_millis: i64, transition: Duration) {
        let span = transition.as_millis() as i64;
        self.global_indexes
            .retain(|i| i.deleting_millis.is_none_or(|d| now_millis < d + span));
    }
}

impl Index {
    /// The index's status: CREATING while it backfills, DELETING after
    /// UpdateTable removed it, else ACTIVE.
    pub fn status(&self, now_millis: i64, transition: Duration) -> &'static str {
        let span = transition.as_millis() as i64;
        if self.deleting_millis.is_some() {
            "DELETING"
        } else if now_millis < self.created_millis + span {
            "CREATING"
        } else {
            "ACTIVE"
        }
    }

    /// What the index holds of `item`: everything, the keys, or the keys
    /// and the included attributes.
    pub fn project(&self, table_key: &KeyDef, item: &Item) -> Item {
        match &self.projection {
            ProjectionKind::All => item.clone(),
            ProjectionKind::KeysOnly | ProjectionKind::Include(_) => item
                .iter()
                .filter(|(name, _)| {
                    table_key.is_key(name)
                        || self.key.is_key(name)
                        || matches!(&self.projection, ProjectionKind::Include(a) if a.contains(name))
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    /// The projection back in the model's form.
    pub fn projection_model(&self) -> Projection {
        match &self.projection {
            ProjectionKind::All => Projection {
                projection_type: Some("ALL".to_owned()),
                non_key_attributes: None,
            },
            ProjectionKind::KeysOnly => Projection {
                projection_type: Some("KEYS_ONLY".to_owned()),
                non_key_attributes: None,
            },
            ProjectionKind::Include(attrs) => Projection {
                projection_type: Some("INCLUDE".to_owned()),
                non_key_attributes: Some(attrs.clone()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defs(list: &[(&str, &str)]) -> Vec<AttributeDefinition> {
        list.iter()
            .map(|(n, t)| AttributeDefinition {
                attribute_name: (*n).into(),
                attribute_type: (*t).into(),
            })
            .collect()
    }

    fn schema(list: &[(&str, &str)]) -> Vec<KeySchemaElement> {
        list.iter()
            .map(|(n, t)| KeySchemaElement {
                attribute_name: (*n).into(),
                key_type: (*t).into(),
            })
            .collect()
    }

    fn spec<'a>(
        definitions: &'a [AttributeDefinition],
        key_schema: &'a [KeySchemaElement],
    ) -> CreateSpec<'a> {
        CreateSpec {
            name: "table",
            attribute_definitions: definitions,
            key_schema,
            billing_mode: Some("PAY_PER_REQUEST"),
            throughput: None,
            global_indexes: &[],
            local_indexes: &[],
            deletion_protection: false,
        }
    }

    #[test]
    fn creates_and_transitions() {
        let d = defs(&[("pk", "S"), ("sk", "N")]);
        let s = schema(&[("pk", "HASH"), ("sk", "RANGE")]);
        let table = Table::create(&spec(&d, &s), "id".into(), "arn".into(), 1000).unwrap();
        assert_eq!(table.status(1000, TRANSITION), Status::Creating);
        assert_eq!(table.status(2000, TRANSITION), Status::Active);
    }

    #[test]
    fn refuses_bad_schemas() {
        let d = defs(&[("pk", "S"), ("extra", "S")]);
        let s = schema(&[("pk", "HASH")]);
        let err = Table::create(&spec(&d, &s), "id".into(), "arn".into(), 0).unwrap_err();
        assert!(err.to_string().contains("does not exactly match"), "{err}");
        let d = defs(&[("pk", "S")]);
        let s = schema(&[("pk", "RANGE")]);
        assert!(Table::create(&spec(&d, &s), "id".into(), "arn".into(), 0).is_err());
        let s = schema(&[("missing", "HASH")]);
        assert!(Table::create(&spec(&d, &s), "id".into(), "arn".into(), 0).is_err());
        let s = schema(&[("pk", "HASH")]);
        let mut provisioned = spec(&d, &s);
        provisioned.billing_mode = None;
        assert!(Table::create(&provisioned, "id".into(), "arn".into(), 0).is_err());
        assert!(validate_name("ab", "tableName").is_err());
        assert!(validate_name("a b c", "tableName").is_err());
    }
}
