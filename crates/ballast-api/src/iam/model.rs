//! IAM inputs and outputs, named as in the iam 2010-05-08 model.
//!
//! Operations the model gives no output shape (`DeleteRole`,
//! `AttachRolePolicy`, …) have no output struct: their responses carry only
//! `ResponseMetadata`.

use ballast_core::tags::Tag;
use ballast_wire::Timestamp;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

// ------------------------------------------------------------------ shapes

/// A role as IAM describes it. `Tags`, `PermissionsBoundary` and
/// `RoleLastUsed` appear only where the operation returns them (GetRole,
/// CreateRole), as on AWS.
#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Role {
    pub path: String,
    pub role_name: String,
    pub role_id: String,
    pub arn: String,
    pub create_date: Timestamp,
    /// URL-encoded (RFC 3986), as IAM returns every policy document.
    pub assume_role_policy_document: Option<String>,
    pub description: Option<String>,
    pub max_session_duration: Option<u32>,
    pub permissions_boundary: Option<AttachedPermissionsBoundary>,
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttachedPermissionsBoundary {
    pub permissions_boundary_type: &'static str,
    pub permissions_boundary_arn: String,
}

/// A managed policy (AWS's or the account's).
#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Policy {
    pub policy_name: String,
    pub policy_id: String,
    pub arn: String,
    pub path: String,
    pub default_version_id: String,
    pub attachment_count: u32,
    pub permissions_boundary_usage_count: u32,
    pub is_attachable: bool,
    pub description: Option<String>,
    pub create_date: Timestamp,
    pub update_date: Timestamp,
    pub tags: Option<Vec<Tag>>,
}

/// One version of a managed policy; `Document` only from GetPolicyVersion.
#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyVersion {
    pub document: Option<String>,
    pub version_id: String,
    pub is_default_version: bool,
    pub create_date: Timestamp,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttachedPolicy {
    pub policy_name: String,
    pub policy_arn: String,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceProfile {
    pub path: String,
    pub instance_profile_name: String,
    pub instance_profile_id: String,
    pub arn: String,
    pub create_date: Timestamp,
    pub roles: Vec<Role>,
    pub tags: Option<Vec<Tag>>,
}

// ------------------------------------------------------------------- roles

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateRoleInput {
    pub path: Option<String>,
    pub role_name: String,
    pub assume_role_policy_document: String,
    pub description: Option<String>,
    pub max_session_duration: Option<i64>,
    pub permissions_boundary: Option<String>,
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateRoleOutput {
    pub role: Role,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRoleInput {
    pub role_name: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRoleOutput {
    pub role: Role,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteRoleInput {
    pub role_name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListRolesInput {
    pub path_prefix: Option<String>,
    pub marker: Option<String>,
    pub max_items: Option<i64>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListRolesOutput {
    pub roles: Vec<Role>,
    pub is_truncated: bool,
    pub marker: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateRoleInput {
    pub role_name: String,
    pub description: Option<String>,
    pub max_session_duration: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct UpdateRoleOutput {}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagRoleInput {
    pub role_name: String,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagRoleInput {
    pub role_name: String,
    pub tag_keys: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListRoleTagsInput {
    pub role_name: String,
    pub marker: Option<String>,
    pub max_items: Option<i64>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListRoleTagsOutput {
    pub tags: Vec<Tag>,
    pub is_truncated: bool,
    pub marker: Option<String>,
}

// -------------------------------------------------------- managed policies

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreatePolicyInput {
    pub policy_name: String,
    pub path: Option<String>,
    pub policy_document: String,
    pub description: Option<String>,
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreatePolicyOutput {
    pub policy: Policy,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetPolicyInput {
    pub policy_arn: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetPolicyOutput {
    pub policy: Policy,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeletePolicyInput {
    pub policy_arn: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListPoliciesInput {
    pub scope: Option<String>,
    pub only_attached: Option<bool>,
    pub path_prefix: Option<String>,
    pub policy_usage_filter: Option<String>,
    pub marker: Option<String>,
    pub max_items: Option<i64>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListPoliciesOutput {
    pub policies: Vec<Policy>,
    pub is_truncated: bool,
    pub marker: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetPolicyVersionInput {
    pub policy_arn: String,
    pub version_id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetPolicyVersionOutput {
    pub policy_version: PolicyVersion,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreatePolicyVersionInput {
    pub policy_arn: String,
    pub policy_document: String,
    pub set_as_default: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreatePolicyVersionOutput {
    pub policy_version: PolicyVersion,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListPolicyVersionsInput {
    pub policy_arn: String,
    pub marker: Option<String>,
    pub max_items: Option<i64>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListPolicyVersionsOutput {
    pub versions: Vec<PolicyVersion>,
    pub is_truncated: bool,
    pub marker: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetDefaultPolicyVersionInput {
    pub policy_arn: String,
    pub version_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeletePolicyVersionInput {
    pub policy_arn: String,
    pub version_id: String,
}

// ------------------------------------------------------------ role policies

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttachRolePolicyInput {
    pub role_name: String,
    pub policy_arn: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DetachRolePolicyInput {
    pub role_name: String,
    pub policy_arn: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAttachedRolePoliciesInput {
    pub role_name: String,
    pub path_prefix: Option<String>,
    pub marker: Option<String>,
    pub max_items: Option<i64>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAttachedRolePoliciesOutput {
    pub attached_policies: Vec<AttachedPolicy>,
    pub is_truncated: bool,
    pub marker: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRolePolicyInput {
    pub role_name: String,
    pub policy_name: String,
    pub policy_document: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRolePolicyInput {
    pub role_name: String,
    pub policy_name: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRolePolicyOutput {
    pub role_name: String,
    pub policy_name: String,
    /// URL-encoded (RFC 3986).
    pub policy_document: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteRolePolicyInput {
    pub role_name: String,
    pub policy_name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListRolePoliciesInput {
    pub role_name: String,
    pub marker: Option<String>,
    pub max_items: Option<i64>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListRolePoliciesOutput {
    pub policy_names: Vec<String>,
    pub is_truncated: bool,
    pub marker: Option<String>,
}

// -------------------------------------------------------- instance profiles

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateInstanceProfileInput {
    pub instance_profile_name: String,
    pub path: Option<String>,
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateInstanceProfileOutput {
    pub instance_profile: InstanceProfile,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetInstanceProfileInput {
    pub instance_profile_name: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetInstanceProfileOutput {
    pub instance_profile: InstanceProfile,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteInstanceProfileInput {
    pub instance_profile_name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListInstanceProfilesInput {
    pub path_prefix: Option<String>,
    pub marker: Option<String>,
    pub max_items: Option<i64>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListInstanceProfilesOutput {
    pub instance_profiles: Vec<InstanceProfile>,
    pub is_truncated: bool,
    pub marker: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListInstanceProfilesForRoleInput {
    pub role_name: String,
    pub marker: Option<String>,
    pub max_items: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddRoleToInstanceProfileInput {
    pub instance_profile_name: String,
    pub role_name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RemoveRoleFromInstanceProfileInput {
    pub instance_profile_name: String,
    pub role_name: String,
}
