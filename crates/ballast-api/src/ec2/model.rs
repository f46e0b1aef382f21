//! The one EC2 request shape Ballast still writes by hand: `TagSpecification.N`
//! as the authorization layer (`crate::authorize::ec2`) reads it to learn a
//! create call's request tags, with `Value` defaulting to empty. The
//! handlers take every input and output from `ballast_model::ec2`.

use serde::Deserialize;

/// A requested tag: `Key`/`Value`.
#[derive(Debug, Clone, Deserialize)]
pub struct Tag {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Value", default)]
    pub value: String,
}

/// `TagSpecification.N`: tags for the resource a create call makes.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagSpecification {
    pub resource_type: Option<String>,
    #[serde(rename = "Tag", default)]
    pub tags: Vec<Tag>,
}
