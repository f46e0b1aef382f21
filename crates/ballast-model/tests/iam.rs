//! IAM's generated types on the wire: the XML they write, kept as insta
//! snapshots (`tests/snapshots/`) taken when they were checked byte for
//! byte against the hand-written types they replaced; the query form read
//! into them; and the validation the model does in place of hand-written
//! checks.
//!
//! A change to what a snapshot holds is a change to what clients read:
//! review it (`cargo insta review`, or `INSTA_UPDATE=always` and
//! `git diff`) against AWS's answers before accepting it.

// Integration tests unwrap freely; the product code may not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ballast_model::Validate;
use ballast_model::iam::{self, *};
use ballast_wire::query::{from_node, parse_form};
use ballast_wire::{ApiError, Service, Timestamp, encode_output};
use insta::assert_snapshot;
use serde::Serialize;

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

fn role(full: bool) -> Role {
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

fn policy(detail: bool) -> Policy {
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

fn version(document: bool) -> PolicyVersion {
    PolicyVersion {
        document: document.then(|| "%7B%7D".into()),
        version_id: Some("v1".into()),
        is_default_version: Some(false),
        create_date: Some(Timestamp::from_millis(CREATED)),
    }
}

fn profile(roles: usize, tags: bool) -> InstanceProfile {
    InstanceProfile {
        path: "/".into(),
        instance_profile_name: "web".into(),
        instance_profile_id: "AIPAEXAMPLE".into(),
        arn: "arn:aws:iam::000000000000:instance-profile/web".into(),
        create_date: Timestamp::from_millis(CREATED),
        roles: (0..roles).map(|_| role(false)).collect(),
        tags: tags.then(Vec::new),
    }
}

#[test]
fn roles_on_the_wire() {
    for full in [true, false] {
        let role = || role(full);
        assert_snapshot!(
            format!("CreateRole-full-{full}"),
            xml("CreateRole", &CreateRoleOutput { role: role() })
        );
        assert_snapshot!(
            format!("GetRole-full-{full}"),
            xml("GetRole", &GetRoleOutput { role: role() })
        );
    }
    for (truncated, marker) in [(false, None), (true, Some("6162".to_owned()))] {
        assert_snapshot!(
            format!("ListRoles-truncated-{truncated}"),
            xml(
                "ListRoles",
                &ListRolesOutput {
                    roles: vec![role(false), role(false)],
                    is_truncated: Some(truncated),
                    marker: marker.clone(),
                }
            )
        );
        assert_snapshot!(
            format!("ListRoleTags-truncated-{truncated}"),
            xml(
                "ListRoleTags",
                &ListRoleTagsOutput {
                    tags: vec![],
                    is_truncated: Some(truncated),
                    marker,
                }
            )
        );
    }
    assert_snapshot!("UpdateRole", xml("UpdateRole", &UpdateRoleOutput {}));
}

#[test]
fn policies_on_the_wire() {
    assert_snapshot!(
        "CreatePolicy",
        xml(
            "CreatePolicy",
            &CreatePolicyOutput {
                policy: Some(policy(true))
            }
        )
    );
    assert_snapshot!(
        "GetPolicy",
        xml(
            "GetPolicy",
            &GetPolicyOutput {
                policy: Some(policy(true))
            }
        )
    );
    for policies in [0, 2] {
        assert_snapshot!(
            format!("ListPolicies-{policies}"),
            xml(
                "ListPolicies",
                &ListPoliciesOutput {
                    policies: Some((0..policies).map(|_| policy(false)).collect()),
                    is_truncated: Some(false),
                    marker: None,
                }
            )
        );
    }
    assert_snapshot!(
        "GetPolicyVersion",
        xml(
            "GetPolicyVersion",
            &GetPolicyVersionOutput {
                policy_version: Some(version(true))
            }
        )
    );
    assert_snapshot!(
        "CreatePolicyVersion",
        xml(
            "CreatePolicyVersion",
            &CreatePolicyVersionOutput {
                policy_version: Some(version(false))
            }
        )
    );
    assert_snapshot!(
        "ListPolicyVersions",
        xml(
            "ListPolicyVersions",
            &ListPolicyVersionsOutput {
                versions: Some(vec![version(false), version(false)]),
                is_truncated: Some(true),
                marker: Some("30".into()),
            }
        )
    );
}

#[test]
fn role_policies_and_profiles_on_the_wire() {
    assert_snapshot!(
        "ListAttachedRolePolicies",
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
        )
    );
    assert_snapshot!(
        "GetRolePolicy",
        xml(
            "GetRolePolicy",
            &GetRolePolicyOutput {
                role_name: "web".into(),
                policy_name: "inline".into(),
                policy_document: "%7B%7D".into(),
            }
        )
    );
    assert_snapshot!(
        "ListRolePolicies",
        xml(
            "ListRolePolicies",
            &ListRolePoliciesOutput {
                policy_names: vec!["a".into(), "b".into()],
                is_truncated: Some(false),
                marker: None,
            }
        )
    );
    for (roles, tags) in [(0, true), (1, false), (1, true)] {
        let profile = || profile(roles, tags);
        assert_snapshot!(
            format!("GetInstanceProfile-{roles}-roles-tags-{tags}"),
            xml(
                "GetInstanceProfile",
                &GetInstanceProfileOutput {
                    instance_profile: profile()
                }
            )
        );
        assert_snapshot!(
            format!("CreateInstanceProfile-{roles}-roles-tags-{tags}"),
            xml(
                "CreateInstanceProfile",
                &CreateInstanceProfileOutput {
                    instance_profile: profile()
                }
            )
        );
    }
    assert_snapshot!(
        "ListInstanceProfilesForRole",
        xml(
            "ListInstanceProfilesForRole",
            &ListInstanceProfilesForRoleOutput {
                instance_profiles: vec![profile(1, false)],
                is_truncated: Some(true),
                marker: Some("7765".into()),
            }
        )
    );
    assert_snapshot!(
        "ListInstanceProfiles",
        xml(
            "ListInstanceProfiles",
            &ListInstanceProfilesOutput {
                instance_profiles: vec![],
                is_truncated: Some(false),
                marker: None,
            }
        )
    );
}

#[test]
fn query_forms_read_into_the_inputs() {
    let body = "Action=CreateRole&Version=2010-05-08&RoleName=web&Path=%2Fapp%2F\
        &AssumeRolePolicyDocument=%7B%7D&Description=d&MaxSessionDuration=7200\
        &PermissionsBoundary=arn%3Aaws%3Aiam%3A%3A000000000000%3Apolicy%2Fb\
        &Tags.member.1.Key=team&Tags.member.1.Value=ops&Tags.member.2.Key=env&Tags.member.2.Value=";
    let input: CreateRoleInput = form(body);
    assert_eq!(input.role_name, "web");
    assert_eq!(input.path.as_deref(), Some("/app/"));
    assert_eq!(input.assume_role_policy_document, "{}");
    assert_eq!(input.description.as_deref(), Some("d"));
    assert_eq!(input.max_session_duration, Some(7200));
    assert_eq!(
        input.permissions_boundary.as_deref(),
        Some("arn:aws:iam::000000000000:policy/b")
    );
    let tags: Vec<(String, String)> = input
        .tags
        .unwrap()
        .into_iter()
        .map(|t| (t.key, t.value))
        .collect();
    assert_eq!(
        tags,
        [
            ("team".to_owned(), "ops".to_owned()),
            ("env".to_owned(), String::new())
        ]
    );

    let body = "Action=ListPolicies&Scope=Local&OnlyAttached=true&PathPrefix=%2Fapp%2F\
        &PolicyUsageFilter=PermissionsBoundary&Marker=6162&MaxItems=5";
    let input: ListPoliciesInput = form(body);
    assert_eq!(input.scope, Some(PolicyScopeType::Local));
    assert_eq!(input.only_attached, Some(true));
    assert_eq!(input.path_prefix.as_deref(), Some("/app/"));
    assert_eq!(
        input.policy_usage_filter,
        Some(PolicyUsageType::PermissionsBoundary)
    );
    assert_eq!(input.marker.as_deref(), Some("6162"));
    assert_eq!(input.max_items, Some(5));
    assert!(input.validate().is_ok());

    let input: UntagRoleInput = form("RoleName=web&TagKeys.member.1=a&TagKeys.member.2=b");
    assert_eq!(input.tag_keys, ["a", "b"]);
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
