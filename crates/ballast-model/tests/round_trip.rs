//! The generated types on the wire: SSM's JSON both ways, STS's query form
//! in and XML out, and validation messages, checked against the bytes the
//! hand-written types produced before them.

// Integration tests unwrap freely; the product code may not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ballast_model::ssm::{
    DescribeParametersInput, GetParametersInput, Parameter, ParameterStringFilter, ParameterTier,
    ParameterType, PutParameterInput, PutParameterOutput, Tag,
};
use ballast_model::sts::{
    AssumeRoleInput, AssumeRoleOutput, AssumedRoleUser, Credentials, GetCallerIdentityInput,
    GetCallerIdentityOutput,
};
use ballast_model::{Validate, ssm, sts};
use ballast_wire::query::{from_node, parse_form};
use ballast_wire::{ApiError, Service, Timestamp, encode_output};

fn message(input: &impl Validate) -> String {
    let violations = input.validate().expect_err("the input breaks a constraint");
    ApiError::invalid(Service::Ssm, &violations).message
}

#[test]
fn ssm_input_reads_the_wire_names() {
    let input: PutParameterInput = serde_json::from_str(
        r#"{"Name":"/a","Value":"v","Type":"SecureString","Tier":"Intelligent-Tiering",
            "Tags":[{"Key":"team","Value":"ops"}],"Overwrite":false}"#,
    )
    .unwrap();
    assert_eq!(input.name, "/a");
    assert_eq!(input.r#type, Some(ParameterType::SecureString));
    assert_eq!(input.tier, Some(ParameterTier::IntelligentTiering));
    assert_eq!(
        input.tags,
        Some(vec![Tag {
            key: "team".into(),
            value: "ops".into()
        }])
    );
    assert_eq!(input.overwrite, Some(false));
    assert!(input.validate().is_ok());
}

#[test]
fn ssm_required_members_are_required() {
    let missing = serde_json::from_str::<PutParameterInput>(r#"{"Value":"v"}"#).unwrap_err();
    assert!(
        missing.to_string().starts_with("missing field `Name`"),
        "{missing}"
    );
}

#[test]
fn ssm_enums_keep_unknown_values_and_validation_refuses_them() {
    let input: PutParameterInput =
        serde_json::from_str(r#"{"Name":"/a","Value":"v","Type":"Number"}"#).unwrap();
    assert_eq!(input.r#type, Some(ParameterType::Unknown("Number".into())));
    assert_eq!(
        message(&input),
        "1 validation error detected: Value 'Number' at 'type' failed to satisfy constraint: \
         Member must satisfy enum value set: [SecureString, StringList, String]"
    );
    assert_eq!(
        serde_json::to_string(&ParameterType::Unknown("Number".into())).unwrap(),
        r#""Number""#
    );
}

#[test]
fn ssm_output_writes_what_the_hand_written_types_wrote() {
    let out = PutParameterOutput {
        version: Some(3),
        tier: Some(ParameterTier::Standard),
    };
    assert_eq!(
        serde_json::to_string(&out).unwrap(),
        r#"{"Version":3,"Tier":"Standard"}"#
    );
    let parameter = Parameter {
        name: Some("/a".into()),
        r#type: Some(ParameterType::String),
        value: Some("v".into()),
        version: Some(1),
        selector: None,
        source_result: None,
        last_modified_date: Some(Timestamp::from_millis(1_500)),
        arn: Some("arn:aws:ssm:us-east-1:000000000000:parameter/a".into()),
        data_type: Some("text".into()),
    };
    assert_eq!(
        serde_json::to_string(&parameter).unwrap(),
        r#"{"Name":"/a","Type":"String","Value":"v","Version":1,"LastModifiedDate":1.5,"ARN":"arn:aws:ssm:us-east-1:000000000000:parameter/a","DataType":"text"}"#
    );
    let back: serde_json::Value = serde_json::to_value(&parameter).unwrap();
    assert!(back.get("Selector").is_none());
}

#[test]
fn ssm_validation_reports_every_violation_in_model_member_order() {
    // DescribeParametersRequest lists ParameterFilters before MaxResults.
    let input = GetParametersInput {
        names: (0..11).map(|i| format!("n{i}")).collect(),
        with_decryption: None,
    };
    assert_eq!(
        message(&input),
        "1 validation error detected: Value '[n0, n1, n2, n3, n4, n5, n6, n7, n8, n9, n10]' at \
         'names' failed to satisfy constraint: Member must have length less than or equal to 10"
    );
    let input = DescribeParametersInput {
        max_results: Some(51),
        parameter_filters: Some(vec![ParameterStringFilter {
            key: "Bogus".into(),
            option: None,
            values: Some(vec![]),
        }]),
        ..Default::default()
    };
    assert_eq!(
        message(&input),
        "3 validation errors detected: \
         Value 'Bogus' at 'parameterFilters.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType; \
         Value '[]' at 'parameterFilters.1.member.values' failed to satisfy constraint: Member must have length greater than or equal to 1; \
         Value '51' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50"
    );
}

#[test]
fn ssm_sensitive_values_stay_out_of_messages() {
    // PSParameterValue is sensitive; the Value itself has no length bound in
    // the model, but a Tag list of structures echoes as Java prints them.
    let input = PutParameterInput {
        name: "/a".into(),
        description: None,
        value: "secret".into(),
        r#type: None,
        key_id: Some("bad key!".into()),
        overwrite: None,
        allowed_pattern: None,
        tags: None,
        tier: None,
        policies: None,
        data_type: None,
    };
    let text = message(&input);
    assert!(!text.contains("secret"), "{text}");
    assert!(text.contains("at 'keyId'"), "{text}");
}

#[test]
fn ssm_error_shapes_carry_code_status_and_fault() {
    let not_found = ssm::errors::PARAMETER_NOT_FOUND;
    assert_eq!(
        (not_found.code, not_found.status),
        ("ParameterNotFound", 400)
    );
    assert_eq!(not_found.fault, ballast_wire::Fault::Sender);
    let internal = ssm::errors::INTERNAL_SERVER_ERROR;
    assert_eq!(
        (internal.status, internal.fault),
        (500, ballast_wire::Fault::Receiver)
    );
    assert!(ssm::OPERATIONS.contains(&"LabelParameterVersion"));
}

#[test]
fn sts_query_form_in_and_xml_out() {
    let form = parse_form(b"Action=GetCallerIdentity&Version=2011-06-15").unwrap();
    let input: GetCallerIdentityInput = from_node(&form).unwrap();
    assert!(input.validate().is_ok());
    let output = GetCallerIdentityOutput {
        user_id: Some("AIDA".into()),
        account: Some("000000000000".into()),
        arn: Some("arn:aws:iam::000000000000:root".into()),
    };
    let response = encode_output(Service::Sts, "GetCallerIdentity", "rid", Some(&output)).unwrap();
    assert_eq!(
        String::from_utf8(response.body).unwrap(),
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
         <GetCallerIdentityResult><UserId>AIDA</UserId><Account>000000000000</Account>\
         <Arn>arn:aws:iam::000000000000:root</Arn></GetCallerIdentityResult>\
         <ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
    );
    assert_eq!(
        sts::OPERATIONS,
        ["GetCallerIdentity", "AssumeRole", "GetSessionToken"]
    );
}

#[test]
fn sts_assume_role_lists_and_timestamps() {
    let form = parse_form(
        b"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fops\
          &RoleSessionName=s1&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess\
          &Tags.member.1.Key=team&Tags.member.1.Value=web&DurationSeconds=900",
    )
    .unwrap();
    let input: AssumeRoleInput = from_node(&form).unwrap();
    assert!(input.validate().is_ok());
    assert_eq!(input.role_arn, "arn:aws:iam::000000000000:role/ops");
    assert_eq!(input.duration_seconds, Some(900));
    let arns: Vec<_> = input
        .policy_arns
        .iter()
        .flatten()
        .map(|p| p.arn.as_deref())
        .collect();
    assert_eq!(arns, [Some("arn:aws:iam::aws:policy/ReadOnlyAccess")]);
    assert_eq!(input.tags.map(|t| t.len()), Some(1));

    let output = AssumeRoleOutput {
        credentials: Some(Credentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: "s".into(),
            session_token: "t".into(),
            expiration: Timestamp::from_millis(1_700_000_000_000),
        }),
        assumed_role_user: Some(AssumedRoleUser {
            assumed_role_id: "AROAEXAMPLE:s1".into(),
            arn: "arn:aws:sts::000000000000:assumed-role/ops/s1".into(),
        }),
        packed_policy_size: Some(3),
        source_identity: None,
    };
    let response = encode_output(Service::Sts, "AssumeRole", "rid", Some(&output)).unwrap();
    let body = String::from_utf8(response.body).unwrap();
    assert!(
        body.contains("<Expiration>2023-11-14T22:13:20.000Z</Expiration>"),
        "{body}"
    );
    assert!(
        body.contains("<PackedPolicySize>3</PackedPolicySize>"),
        "{body}"
    );
    assert!(body.starts_with("<AssumeRoleResponse"), "{body}");
}

#[test]
fn every_generated_pattern_compiles() {
    // A pattern `regex` cannot compile is silently unchecked; none of the
    // generated services' patterns should be.
    for (name, pattern) in ssm::PATTERNS.iter().chain(sts::PATTERNS) {
        assert!(pattern.compiles(), "{name}: {}", pattern.text());
    }
}
