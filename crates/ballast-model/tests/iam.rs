//! IAM's generated types on the wire: the query form in and XML out,
//! checked byte for byte against the hand-written types they replaced
//! (kept verbatim in `old` below), and the validation the model now does
//! in place of the hand-written checks.

// Integration tests unwrap freely; the product code may not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ballast_model::Validate;
use ballast_model::iam::{self, *};
use ballast_wire::query::{from_node, parse_form};
use ballast_wire::{ApiError, Service, Timestamp, encode_output};
use serde::Serialize;

/// The hand-written `crates/ballast-api/src/iam/model.rs` as it was before
/// the migration (with `ballast_core::tags::Tag` inlined).
#[allow(dead_code)]
mod old {
    use ballast_wire::Timestamp;
    use serde::{Deserialize, Serialize};
    use serde_with::skip_serializing_none;

    /// `ballast_core::tags::Tag`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct Tag {
        pub key: String,
        #[serde(default)]
        pub value: String,
    }

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
}

fn xml<T: Serialize>(operation: &str, output: &T) -> String {
    let response = encode_output(Service::Iam, operation, "rid", Some(output)).unwrap();
    String::from_utf8(response.body).unwrap()
}

fn form<T: serde::de::DeserializeOwned>(body: &str) -> T {
    from_node(&parse_form(body.as_bytes()).unwrap()).unwrap()
}

fn message(input: &impl Validate) -> String {
    let violations = input.validate().expect_err("the input breaks a constraint");
    ApiError::invalid(Service::Iam, &violations).message
}

const CREATED: i64 = 1_700_000_000_123;

fn old_role(full: bool) -> old::Role {
    old::Role {
        path: "/app/".into(),
        role_name: "web".into(),
        role_id: "AROAEXAMPLE".into(),
        arn: "arn:aws:iam::000000000000:role/app/web".into(),
        create_date: Timestamp::from_millis(CREATED),
        assume_role_policy_document: Some("%7B%7D".into()),
        description: Some("d & <x>".into()),
        max_session_duration: Some(3600),
        permissions_boundary: full.then(|| old::AttachedPermissionsBoundary {
            permissions_boundary_type: "PermissionsBoundaryPolicy",
            permissions_boundary_arn: "arn:aws:iam::000000000000:policy/b".into(),
        }),
        tags: full.then(|| {
            vec![old::Tag {
                key: "team".into(),
                value: "ops".into(),
            }]
        }),
    }
}

fn new_role(full: bool) -> Role {
    Role {
        path: "/app/".into(),
        role_name: "web".into(),
        role_id: "AROAEXAMPLE".into(),
        arn: "arn:aws:iam::000000000000:role/app/web".into(),
        create_date: Timestamp::from_millis(CREATED),
        assume_role_policy_document: Some("%7B%7D".into()),
        description: Some("d & <x>".into()),
        max_session_duration: Some(3600),
        permissions_boundary: full.then(|| AttachedPermissionsBoundary {
            permissions_boundary_type: Some(
                PermissionsBoundaryAttachmentType::PermissionsBoundaryPolicy,
            ),
            permissions_boundary_arn: Some("arn:aws:iam::000000000000:policy/b".into()),
        }),
        tags: full.then(|| {
            vec![Tag {
                key: "team".into(),
                value: "ops".into(),
            }]
        }),
        role_last_used: None,
    }
}

fn old_policy(detail: bool) -> old::Policy {
    old::Policy {
        policy_name: "read".into(),
        policy_id: "ANPAEXAMPLE".into(),
        arn: "arn:aws:iam::000000000000:policy/read".into(),
        path: "/".into(),
        default_version_id: "v2".into(),
        attachment_count: 1,
        permissions_boundary_usage_count: 0,
        is_attachable: true,
        description: detail.then(|| "reads".into()),
        create_date: Timestamp::from_millis(CREATED),
        update_date: Timestamp::from_millis(CREATED + 1000),
        tags: detail.then(|| {
            vec![old::Tag {
                key: "k".into(),
                value: String::new(),
            }]
        }),
    }
}

fn new_policy(detail: bool) -> Policy {
    Policy {
        policy_name: Some("read".into()),
        policy_id: Some("ANPAEXAMPLE".into()),
        arn: Some("arn:aws:iam::000000000000:policy/read".into()),
        path: Some("/".into()),
        default_version_id: Some("v2".into()),
        attachment_count: Some(1),
        permissions_boundary_usage_count: Some(0),
        is_attachable: Some(true),
        description: detail.then(|| "reads".into()),
        create_date: Some(Timestamp::from_millis(CREATED)),
        update_date: Some(Timestamp::from_millis(CREATED + 1000)),
        tags: detail.then(|| {
            vec![Tag {
                key: "k".into(),
                value: String::new(),
            }]
        }),
    }
}

fn old_version(document: bool) -> old::PolicyVersion {
    old::PolicyVersion {
        document: document.then(|| "%7B%7D".into()),
        version_id: "v1".into(),
        is_default_version: false,
        create_date: Timestamp::from_millis(CREATED),
    }
}

fn new_version(document: bool) -> PolicyVersion {
    PolicyVersion {
        document: document.then(|| "%7B%7D".into()),
        version_id: Some("v1".into()),
        is_default_version: Some(false),
        create_date: Some(Timestamp::from_millis(CREATED)),
    }
}

fn old_profile(roles: usize, tags: bool) -> old::InstanceProfile {
    old::InstanceProfile {
        path: "/".into(),
        instance_profile_name: "web".into(),
        instance_profile_id: "AIPAEXAMPLE".into(),
        arn: "arn:aws:iam::000000000000:instance-profile/web".into(),
        create_date: Timestamp::from_millis(CREATED),
        roles: (0..roles).map(|_| old_role(false)).collect(),
        tags: tags.then(Vec::new),
    }
}

fn new_profile(roles: usize, tags: bool) -> InstanceProfile {
    InstanceProfile {
        path: "/".into(),
        instance_profile_name: "web".into(),
        instance_profile_id: "AIPAEXAMPLE".into(),
        arn: "arn:aws:iam::000000000000:instance-profile/web".into(),
        create_date: Timestamp::from_millis(CREATED),
        roles: (0..roles).map(|_| new_role(false)).collect(),
        tags: tags.then(Vec::new),
    }
}

#[test]
fn roles_write_what_the_hand_written_types_wrote() {
    for full in [true, false] {
        assert_eq!(
            xml(
                "CreateRole",
                &CreateRoleOutput {
                    role: new_role(full)
                }
            ),
            xml(
                "CreateRole",
                &old::CreateRoleOutput {
                    role: old_role(full)
                }
            ),
        );
        assert_eq!(
            xml(
                "GetRole",
                &GetRoleOutput {
                    role: new_role(full)
                }
            ),
            xml(
                "GetRole",
                &old::GetRoleOutput {
                    role: old_role(full)
                }
            ),
        );
    }
    let text = xml(
        "GetRole",
        &GetRoleOutput {
            role: new_role(true),
        },
    );
    assert!(
        text.contains(
            "<PermissionsBoundary><PermissionsBoundaryType>PermissionsBoundaryPolicy</PermissionsBoundaryType>"
        ),
        "{text}"
    );
    for (truncated, marker) in [(false, None), (true, Some("6162".to_owned()))] {
        assert_eq!(
            xml(
                "ListRoles",
                &ListRolesOutput {
                    roles: vec![new_role(false), new_role(false)],
                    is_truncated: Some(truncated),
                    marker: marker.clone(),
                }
            ),
            xml(
                "ListRoles",
                &old::ListRolesOutput {
                    roles: vec![old_role(false), old_role(false)],
                    is_truncated: truncated,
                    marker: marker.clone(),
                }
            ),
        );
        assert_eq!(
            xml(
                "ListRoleTags",
                &ListRoleTagsOutput {
                    tags: vec![],
                    is_truncated: Some(truncated),
                    marker: marker.clone(),
                }
            ),
            xml(
                "ListRoleTags",
                &old::ListRoleTagsOutput {
                    tags: vec![],
                    is_truncated: truncated,
                    marker,
                }
            ),
        );
    }
    assert_eq!(
        xml("UpdateRole", &UpdateRoleOutput {}),
        xml("UpdateRole", &old::UpdateRoleOutput {}),
    );
}

#[test]
fn policies_write_what_the_hand_written_types_wrote() {
    assert_eq!(
        xml(
            "CreatePolicy",
            &CreatePolicyOutput {
                policy: Some(new_policy(true))
            }
        ),
        xml(
            "CreatePolicy",
            &old::CreatePolicyOutput {
                policy: old_policy(true)
            }
        ),
    );
    assert_eq!(
        xml(
            "GetPolicy",
            &GetPolicyOutput {
                policy: Some(new_policy(true))
            }
        ),
        xml(
            "GetPolicy",
            &old::GetPolicyOutput {
                policy: old_policy(true)
            }
        ),
    );
    for policies in [0, 2] {
        assert_eq!(
            xml(
                "ListPolicies",
                &ListPoliciesOutput {
                    policies: Some((0..policies).map(|_| new_policy(false)).collect()),
                    is_truncated: Some(false),
                    marker: None,
                }
            ),
            xml(
                "ListPolicies",
                &old::ListPoliciesOutput {
                    policies: (0..policies).map(|_| old_policy(false)).collect(),
                    is_truncated: false,
                    marker: None,
                }
            ),
        );
    }
    assert_eq!(
        xml(
            "GetPolicyVersion",
            &GetPolicyVersionOutput {
                policy_version: Some(new_version(true))
            }
        ),
        xml(
            "GetPolicyVersion",
            &old::GetPolicyVersionOutput {
                policy_version: old_version(true)
            }
        ),
    );
    assert_eq!(
        xml(
            "CreatePolicyVersion",
            &CreatePolicyVersionOutput {
                policy_version: Some(new_version(false))
            }
        ),
        xml(
            "CreatePolicyVersion",
            &old::CreatePolicyVersionOutput {
                policy_version: old_version(false)
            }
        ),
    );
    assert_eq!(
        xml(
            "ListPolicyVersions",
            &ListPolicyVersionsOutput {
                versions: Some(vec![new_version(false), new_version(false)]),
                is_truncated: Some(true),
                marker: Some("30".into()),
            }
        ),
        xml(
            "ListPolicyVersions",
            &old::ListPolicyVersionsOutput {
                versions: vec![old_version(false), old_version(false)],
                is_truncated: true,
                marker: Some("30".into()),
            }
        ),
    );
}

#[test]
fn role_policies_and_profiles_write_what_the_hand_written_types_wrote() {
    assert_eq!(
        xml(
            "ListAttachedRolePolicies",
            &ListAttachedRolePoliciesOutput {
                attached_policies: Some(vec![AttachedPolicy {
                    policy_name: Some("read".into()),
                    policy_arn: Some("arn:aws:iam::aws:policy/ReadOnlyAccess".into()),
                }]),
                is_truncated: Some(false),
                marker: None,
            }
        ),
        xml(
            "ListAttachedRolePolicies",
            &old::ListAttachedRolePoliciesOutput {
                attached_policies: vec![old::AttachedPolicy {
                    policy_name: "read".into(),
                    policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess".into(),
                }],
                is_truncated: false,
                marker: None,
            }
        ),
    );
    assert_eq!(
        xml(
            "GetRolePolicy",
            &GetRolePolicyOutput {
                role_name: "web".into(),
                policy_name: "inline".into(),
                policy_document: "%7B%7D".into(),
            }
        ),
        xml(
            "GetRolePolicy",
            &old::GetRolePolicyOutput {
                role_name: "web".into(),
                policy_name: "inline".into(),
                policy_document: "%7B%7D".into(),
            }
        ),
    );
    assert_eq!(
        xml(
            "ListRolePolicies",
            &ListRolePoliciesOutput {
                policy_names: vec!["a".into(), "b".into()],
                is_truncated: Some(false),
                marker: None,
            }
        ),
        xml(
            "ListRolePolicies",
            &old::ListRolePoliciesOutput {
                policy_names: vec!["a".into(), "b".into()],
                is_truncated: false,
                marker: None,
            }
        ),
    );
    for (roles, tags) in [(0, true), (1, false), (1, true)] {
        assert_eq!(
            xml(
                "GetInstanceProfile",
                &GetInstanceProfileOutput {
                    instance_profile: new_profile(roles, tags)
                }
            ),
            xml(
                "GetInstanceProfile",
                &old::GetInstanceProfileOutput {
                    instance_profile: old_profile(roles, tags)
                }
            ),
        );
        assert_eq!(
            xml(
                "CreateInstanceProfile",
                &CreateInstanceProfileOutput {
                    instance_profile: new_profile(roles, tags)
                }
            ),
            xml(
                "CreateInstanceProfile",
                &old::CreateInstanceProfileOutput {
                    instance_profile: old_profile(roles, tags)
                }
            ),
        );
    }
    // ListInstanceProfilesForRole answered with ListInstanceProfiles' shape.
    assert_eq!(
        xml(
            "ListInstanceProfilesForRole",
            &ListInstanceProfilesForRoleOutput {
                instance_profiles: vec![new_profile(1, false)],
                is_truncated: Some(true),
                marker: Some("7765".into()),
            }
        ),
        xml(
            "ListInstanceProfilesForRole",
            &old::ListInstanceProfilesOutput {
                instance_profiles: vec![old_profile(1, false)],
                is_truncated: true,
                marker: Some("7765".into()),
            }
        ),
    );
    assert_eq!(
        xml(
            "ListInstanceProfiles",
            &ListInstanceProfilesOutput {
                instance_profiles: vec![],
                is_truncated: Some(false),
                marker: None,
            }
        ),
        xml(
            "ListInstanceProfiles",
            &old::ListInstanceProfilesOutput {
                instance_profiles: vec![],
                is_truncated: false,
                marker: None,
            }
        ),
    );
}

#[test]
fn query_forms_read_as_the_hand_written_inputs_read_them() {
    let body = "Action=CreateRole&Version=2010-05-08&RoleName=web&Path=%2Fapp%2F\
        &AssumeRolePolicyDocument=%7B%7D&Description=d&MaxSessionDuration=7200\
        &PermissionsBoundary=arn%3Aaws%3Aiam%3A%3A000000000000%3Apolicy%2Fb\
        &Tags.member.1.Key=team&Tags.member.1.Value=ops&Tags.member.2.Key=env&Tags.member.2.Value=";
    let new: CreateRoleInput = form(body);
    let old: old::CreateRoleInput = form(body);
    assert_eq!(new.role_name, old.role_name);
    assert_eq!(new.path, old.path);
    assert_eq!(
        new.assume_role_policy_document,
        old.assume_role_policy_document
    );
    assert_eq!(new.description, old.description);
    assert_eq!(
        new.max_session_duration.map(i64::from),
        old.max_session_duration
    );
    assert_eq!(new.permissions_boundary, old.permissions_boundary);
    let pairs = |tags: Vec<(String, String)>| tags;
    assert_eq!(
        pairs(
            new.tags
                .unwrap()
                .into_iter()
                .map(|t| (t.key, t.value))
                .collect()
        ),
        pairs(
            old.tags
                .unwrap()
                .into_iter()
                .map(|t| (t.key, t.value))
                .collect()
        ),
    );

    let body = "Action=ListPolicies&Scope=Local&OnlyAttached=true&PathPrefix=%2Fapp%2F\
        &PolicyUsageFilter=PermissionsBoundary&Marker=6162&MaxItems=5";
    let new: ListPoliciesInput = form(body);
    let old: old::ListPoliciesInput = form(body);
    assert_eq!(
        new.scope.as_ref().map(PolicyScopeType::as_str),
        old.scope.as_deref()
    );
    assert_eq!(new.scope, Some(PolicyScopeType::Local));
    assert_eq!(new.only_attached, old.only_attached);
    assert_eq!(new.path_prefix, old.path_prefix);
    assert_eq!(
        new.policy_usage_filter
            .as_ref()
            .map(PolicyUsageType::as_str),
        old.policy_usage_filter.as_deref()
    );
    assert_eq!(new.marker, old.marker);
    assert_eq!(new.max_items.map(i64::from), old.max_items);
    assert!(new.validate().is_ok());

    let new: UntagRoleInput = form("RoleName=web&TagKeys.member.1=a&TagKeys.member.2=b");
    let old: old::UntagRoleInput = form("RoleName=web&TagKeys.member.1=a&TagKeys.member.2=b");
    assert_eq!(new.tag_keys, old.tag_keys);
}

#[test]
fn the_model_checks_what_the_hand_written_checks_did() {
    let get = |name: &str| GetRoleInput {
        role_name: name.into(),
    };
    for ok in ["web-role_1+=,.@", &"r".repeat(64)] {
        assert!(get(ok).validate().is_ok(), "{ok}");
    }
    // `\w` is Java's ASCII class, as the hand-written check had it.
    for bad in ["", "has space", "slash/", "rôle", &"r".repeat(65)] {
        assert!(get(bad).validate().is_err(), "{bad}");
    }
    assert_eq!(
        message(&get("a b")),
        "1 validation error detected: Value 'a b' at 'roleName' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [\\w+=,.@-]+"
    );

    let profile = |path: &str| CreateInstanceProfileInput {
        instance_profile_name: "p".into(),
        path: Some(path.into()),
        tags: None,
    };
    for ok in ["/", "/app/", "/a/b-c/", "/x~y/"] {
        assert!(profile(ok).validate().is_ok(), "{ok}");
    }
    for bad in ["", "app/", "/app", "//", "/a b/"] {
        assert!(profile(bad).validate().is_err(), "{bad}");
    }
    let policy = |path: &str| CreatePolicyInput {
        policy_name: "p".into(),
        path: Some(path.into()),
        policy_document: "{}".into(),
        description: None,
        tags: None,
    };
    for ok in ["/", "/app/", "/a/b/"] {
        assert!(policy(ok).validate().is_ok(), "{ok}");
    }
    for bad in ["", "//", "/a//b/", "/a~/", "app/"] {
        assert!(policy(bad).validate().is_err(), "{bad}");
    }
    let document = CreatePolicyInput {
        policy_document: "{\"a\": \"\u{100}\"}".into(),
        ..policy("/")
    };
    assert!(message(&document).contains("at 'policyDocument'"));

    let roles = |prefix: &str, max: i32| ListRolesInput {
        path_prefix: Some(prefix.into()),
        marker: None,
        max_items: Some(max),
    };
    assert!(roles("/", 1000).validate().is_ok());
    assert!(roles("/app", 1).validate().is_ok());
    assert!(roles("app", 1).validate().is_err());
    assert_eq!(
        message(&roles("/", 0)),
        "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: \
         Member must have value greater than or equal to 1"
    );
    assert!(roles("/", 1001).validate().is_err());

    let create = |seconds: i32| CreateRoleInput {
        path: None,
        role_name: "r".into(),
        assume_role_policy_document: "{}".into(),
        description: None,
        max_session_duration: Some(seconds),
        permissions_boundary: None,
        tags: Some(vec![]),
    };
    for (seconds, ok) in [(3600, true), (43200, true), (3599, false), (43201, false)] {
        assert_eq!(create(seconds).validate().is_ok(), ok, "{seconds}");
    }
    let too_many = CreateRoleInput {
        tags: Some(
            (0..51)
                .map(|i| Tag {
                    key: format!("k{i}"),
                    value: String::new(),
                })
                .collect(),
        ),
        ..create(3600)
    };
    assert!(message(&too_many).contains("Member must have length less than or equal to 50"));

    let version = |id: &str| SetDefaultPolicyVersionInput {
        policy_arn: "arn:aws:iam::000000000000:policy/p".into(),
        version_id: id.into(),
    };
    assert!(version("v12").validate().is_ok());
    for bad in ["1", "v0", "v01", "v", "vx", "V1"] {
        assert!(version(bad).validate().is_err(), "{bad}");
    }

    let scope = ListPoliciesInput {
        scope: Some(PolicyScopeType::from("Mine")),
        only_attached: None,
        path_prefix: None,
        policy_usage_filter: None,
        marker: None,
        max_items: None,
    };
    assert_eq!(
        message(&scope),
        "1 validation error detected: Value 'Mine' at 'scope' failed to satisfy constraint: \
         Member must satisfy enum value set: [All, AWS, Local]"
    );
}

#[test]
fn iam_error_shapes_keep_the_statuses_clients_read() {
    for (shape, code, status) in [
        (iam::errors::NO_SUCH_ENTITY_EXCEPTION, "NoSuchEntity", 404),
        (
            iam::errors::ENTITY_ALREADY_EXISTS_EXCEPTION,
            "EntityAlreadyExists",
            409,
        ),
        (
            iam::errors::DELETE_CONFLICT_EXCEPTION,
            "DeleteConflict",
            409,
        ),
        (iam::errors::LIMIT_EXCEEDED_EXCEPTION, "LimitExceeded", 409),
        (iam::errors::INVALID_INPUT_EXCEPTION, "InvalidInput", 400),
        (
            iam::errors::MALFORMED_POLICY_DOCUMENT_EXCEPTION,
            "MalformedPolicyDocument",
            400,
        ),
    ] {
        assert_eq!((shape.code, shape.status), (code, status));
    }
    for (name, pattern) in iam::PATTERNS {
        assert!(pattern.compiles(), "{name}: {}", pattern.text());
    }
}
