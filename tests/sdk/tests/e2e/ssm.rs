//! Parameter Store through aws-sdk-ssm.

use aws_sdk_ssm::types::{ParameterStringFilter, ParameterTier, ParameterType, Tag};
use ballast_sdk_tests::{Ballast, error_code, unique};

#[tokio::test]
async fn put_get_overwrite_and_versions() {
    let ballast = Ballast::start();
    let ssm = ballast.ssm();
    let name = format!("/{}/db-url", unique("app"));

    let put = ssm
        .put_parameter()
        .name(&name)
        .value("postgres://one")
        .r#type(ParameterType::String)
        .description("where the database is")
        .send()
        .await
        .unwrap();
    assert_eq!(put.version(), 1);
    assert_eq!(put.tier(), Some(&ParameterTier::Standard));

    let again = ssm
        .put_parameter()
        .name(&name)
        .value("postgres://two")
        .r#type(ParameterType::String)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&again), "ParameterAlreadyExists");

    let v2 = ssm
        .put_parameter()
        .name(&name)
        .value("postgres://two")
        .overwrite(true)
        .send()
        .await
        .unwrap();
    assert_eq!(v2.version(), 2);

    let got = ssm.get_parameter().name(&name).send().await.unwrap();
    let p = got.parameter().unwrap();
    assert_eq!(p.value(), Some("postgres://two"));
    assert_eq!(p.version(), 2);
    assert_eq!(p.r#type(), Some(&ParameterType::String));
    assert!(p.arn().unwrap().ends_with(&format!("parameter{name}")));
    assert!(p.last_modified_date().is_some());

    let old = ssm
        .get_parameter()
        .name(format!("{name}:1"))
        .send()
        .await
        .unwrap();
    assert_eq!(old.parameter().unwrap().value(), Some("postgres://one"));
    assert_eq!(old.parameter().unwrap().selector(), Some(":1"));

    let missing_version = ssm
        .get_parameter()
        .name(format!("{name}:9"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&missing_version), "ParameterVersionNotFound");

    let history = ssm
        .get_parameter_history()
        .name(&name)
        .send()
        .await
        .unwrap();
    let versions: Vec<_> = history.parameters().iter().map(|h| h.version()).collect();
    assert_eq!(versions, [1, 2]);
    assert_eq!(
        history.parameters()[0].description(),
        Some("where the database is")
    );
}

#[tokio::test]
async fn secure_strings_need_decryption_to_be_read() {
    let ballast = Ballast::start();
    let ssm = ballast.ssm();
    let name = format!("/{}/password", unique("app"));
    ssm.put_parameter()
        .name(&name)
        .value("hunter2")
        .r#type(ParameterType::SecureString)
        .send()
        .await
        .unwrap();
    let sealed = ssm.get_parameter().name(&name).send().await.unwrap();
    assert_ne!(sealed.parameter().unwrap().value(), Some("hunter2"));
    let open = ssm
        .get_parameter()
        .name(&name)
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    assert_eq!(open.parameter().unwrap().value(), Some("hunter2"));
    let described = ssm.describe_parameters().send().await.unwrap();
    let meta = described
        .parameters()
        .iter()
        .find(|m| m.name() == Some(name.as_str()))
        .unwrap();
    assert_eq!(meta.key_id(), Some("alias/aws/ssm"));
}

#[tokio::test]
async fn get_parameters_reports_missing_names() {
    let ballast = Ballast::start();
    let ssm = ballast.ssm();
    let name = format!("/{}/a", unique("app"));
    ssm.put_parameter()
        .name(&name)
        .value("1,2,3")
        .r#type(ParameterType::StringList)
        .send()
        .await
        .unwrap();
    let got = ssm
        .get_parameters()
        .names(&name)
        .names("/does/not/exist")
        .send()
        .await
        .unwrap();
    assert_eq!(got.parameters().len(), 1);
    assert_eq!(got.parameters()[0].value(), Some("1,2,3"));
    assert_eq!(got.invalid_parameters(), ["/does/not/exist"]);
}

#[tokio::test]
async fn path_queries_page_and_respect_recursion() {
    let ballast = Ballast::start();
    let ssm = ballast.ssm();
    let root = format!("/{}", unique("tree"));
    for leaf in ["a", "b", "c", "d", "sub/e", "sub/f"] {
        ssm.put_parameter()
            .name(format!("{root}/{leaf}"))
            .value(leaf)
            .r#type(ParameterType::String)
            .send()
            .await
            .unwrap();
    }
    let one_level: Vec<String> = ssm
        .get_parameters_by_path()
        .path(&root)
        .max_results(1)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .iter()
        .flat_map(|page| page.parameters())
        .filter_map(|p| p.value().map(str::to_owned))
        .collect();
    assert_eq!(one_level, ["a", "b", "c", "d"]);

    let all = ssm
        .get_parameters_by_path()
        .path(&root)
        .recursive(true)
        .max_results(2)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert!(
        all.len() >= 3,
        "max_results 2 over 6 parameters gives several pages"
    );
    assert_eq!(
        all.iter()
            .map(|page| page.parameters().len())
            .sum::<usize>(),
        6
    );

    let too_many = ssm
        .get_parameters_by_path()
        .path(&root)
        .max_results(11)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&too_many), "ValidationException");
}

#[tokio::test]
async fn describe_filters_by_name_and_type() {
    let ballast = Ballast::start();
    let ssm = ballast.ssm();
    let root = format!("/{}", unique("desc"));
    for (leaf, ty) in [
        ("x", ParameterType::String),
        ("y", ParameterType::SecureString),
    ] {
        ssm.put_parameter()
            .name(format!("{root}/{leaf}"))
            .value("v")
            .r#type(ty)
            .send()
            .await
            .unwrap();
    }
    let begins = ssm
        .describe_parameters()
        .parameter_filters(
            ParameterStringFilter::builder()
                .key("Name")
                .option("BeginsWith")
                .values(&root)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(begins.parameters().len(), 2);
    let secure = ssm
        .describe_parameters()
        .parameter_filters(
            ParameterStringFilter::builder()
                .key("Path")
                .values(&root)
                .build()
                .unwrap(),
        )
        .parameter_filters(
            ParameterStringFilter::builder()
                .key("Type")
                .values("SecureString")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let names: Vec<_> = secure
        .parameters()
        .iter()
        .filter_map(|p| p.name())
        .collect();
    assert_eq!(names, [format!("{root}/y")]);
    // Outside the model's key pattern: refused by validation.
    let bad_key = ssm
        .describe_parameters()
        .parameter_filters(
            ParameterStringFilter::builder()
                .key("Colour")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&bad_key), "ValidationException");
    // A key the pattern allows that DescribeParameters does not take.
    let bad_key = ssm
        .describe_parameters()
        .parameter_filters(
            ParameterStringFilter::builder()
                .key("Label")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&bad_key), "InvalidFilterKey");
}

#[tokio::test]
async fn labels_move_between_versions() {
    let ballast = Ballast::start();
    let ssm = ballast.ssm();
    let name = format!("/{}/release", unique("app"));
    for value in ["v1", "v2"] {
        ssm.put_parameter()
            .name(&name)
            .value(value)
            .r#type(ParameterType::String)
            .overwrite(true)
            .send()
            .await
            .unwrap();
    }
    let labelled = ssm
        .label_parameter_version()
        .name(&name)
        .parameter_version(1)
        .labels("prod")
        .labels("1bad")
        .send()
        .await
        .unwrap();
    assert_eq!(labelled.invalid_labels(), ["1bad"]);
    let prod = ssm
        .get_parameter()
        .name(format!("{name}:prod"))
        .send()
        .await
        .unwrap();
    assert_eq!(prod.parameter().unwrap().value(), Some("v1"));

    ssm.label_parameter_version()
        .name(&name)
        .labels("prod")
        .send()
        .await
        .unwrap();
    let prod = ssm
        .get_parameter()
        .name(format!("{name}:prod"))
        .send()
        .await
        .unwrap();
    assert_eq!(prod.parameter().unwrap().value(), Some("v2"));
    let history = ssm
        .get_parameter_history()
        .name(&name)
        .send()
        .await
        .unwrap();
    assert!(history.parameters()[0].labels().is_empty());

    let missing = ssm
        .label_parameter_version()
        .name(&name)
        .parameter_version(7)
        .labels("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&missing), "ParameterVersionNotFound");
}

#[tokio::test]
async fn deletes_and_their_errors() {
    let ballast = Ballast::start();
    let ssm = ballast.ssm();
    let a = format!("/{}/a", unique("del"));
    let b = format!("/{}/b", unique("del"));
    for name in [&a, &b] {
        ssm.put_parameter()
            .name(name)
            .value("v")
            .r#type(ParameterType::String)
            .tags(Tag::builder().key("team").value("web").build().unwrap())
            .send()
            .await
            .unwrap();
    }
    ssm.delete_parameter().name(&a).send().await.unwrap();
    let gone = ssm.get_parameter().name(&a).send().await.unwrap_err();
    assert_eq!(error_code(&gone), "ParameterNotFound");
    let again = ssm.delete_parameter().name(&a).send().await.unwrap_err();
    assert_eq!(error_code(&again), "ParameterNotFound");

    let many = ssm
        .delete_parameters()
        .names(&b)
        .names(&a)
        .send()
        .await
        .unwrap();
    assert_eq!(many.deleted_parameters(), std::slice::from_ref(&b));
    assert_eq!(many.invalid_parameters(), std::slice::from_ref(&a));
}

#[tokio::test]
async fn names_values_and_types_are_validated_and_nothing_is_stored() {
    let ballast = Ballast::start();
    let ssm = ballast.ssm();
    let cases: Vec<(String, String, Option<&str>)> = vec![
        ("/aws/reserved".into(), "v".into(), Some("String")),
        ("ssm-thing".into(), "v".into(), Some("String")),
        ("/has space".into(), "v".into(), Some("String")),
        ("relative/path".into(), "v".into(), Some("String")),
        (
            format!("/{}/big", unique("v")),
            "x".repeat(4097),
            Some("String"),
        ),
        (format!("/{}/untyped", unique("v")), "v".into(), None),
    ];
    for (name, value, ty) in cases {
        let mut put = ssm.put_parameter().name(&name).value(value);
        if let Some(ty) = ty {
            put = put.r#type(ParameterType::from(ty));
        }
        let error = put.send().await.unwrap_err();
        assert_eq!(error_code(&error), "ValidationException", "{name}");
        let lookup = ssm.get_parameter().name(&name).send().await.unwrap_err();
        assert_eq!(
            error_code(&lookup),
            "ParameterNotFound",
            "{name} was stored"
        );
    }
    let bogus_type = ssm
        .put_parameter()
        .name(format!("/{}", unique("t")))
        .value("v")
        .r#type(ParameterType::from("Number"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&bogus_type), "ValidationException");
}

#[tokio::test]
async fn leading_slash_is_optional_for_first_level_names() {
    let ballast = Ballast::start();
    let ssm = ballast.ssm();
    let bare = unique("flat");
    ssm.put_parameter()
        .name(format!("/{bare}"))
        .value("v")
        .r#type(ParameterType::String)
        .send()
        .await
        .unwrap();
    let got = ssm.get_parameter().name(&bare).send().await.unwrap();
    assert_eq!(got.parameter().unwrap().value(), Some("v"));
}

/// AWS's public AMI parameters: read-only, account-less ARNs, `text`, the
/// local image ids.
#[tokio::test]
async fn public_ami_parameters_answer_the_image_catalogue() {
    const AL2023: &str = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
    let ballast = Ballast::start();
    let ssm = ballast.ssm();

    let got = ssm.get_parameter().name(AL2023).send().await.unwrap();
    let p = got.parameter().unwrap();
    assert_eq!(p.name(), Some(AL2023));
    assert_eq!(p.value(), Some("ami-0ba11a5700a023086"));
    assert_eq!(p.r#type(), Some(&ParameterType::String));
    assert_eq!(p.version(), 1);
    assert_eq!(p.data_type(), Some("text"));
    assert_eq!(
        p.arn(),
        Some(format!("arn:aws:ssm:us-east-1::parameter{AL2023}").as_str())
    );
    assert!(p.last_modified_date().is_some());
    let first = ssm
        .get_parameter()
        .name(format!("{AL2023}:1"))
        .send()
        .await
        .unwrap();
    assert_eq!(first.parameter().unwrap().selector(), Some(":1"));
    let err = ssm
        .get_parameter()
        .name(format!("{AL2023}:2"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "ParameterVersionNotFound");
    let err = ssm
        .get_parameter()
        .name("/aws/service/ami-amazon-linux-latest/no-such-image")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "ParameterNotFound");

    let many = ssm
        .get_parameters()
        .names(AL2023)
        .names("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64")
        .names("/aws/service/ami-amazon-linux-latest/no-such-image")
        .send()
        .await
        .unwrap();
    let values: Vec<_> = many.parameters().iter().filter_map(|p| p.value()).collect();
    assert_eq!(values, ["ami-0ba11a5700a023086", "ami-0ba11a5700a023a64"]);
    assert_eq!(
        many.invalid_parameters(),
        ["/aws/service/ami-amazon-linux-latest/no-such-image"]
    );

    // By path: one level, paged; the whole of /aws/service recursively.
    let mut names = Vec::new();
    let mut token = None;
    loop {
        let page = ssm
            .get_parameters_by_path()
            .path("/aws/service/ami-amazon-linux-latest")
            .max_results(2)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        names.extend(
            page.parameters()
                .iter()
                .filter_map(|p| p.name().map(str::to_owned)),
        );
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(names.len(), 6);
    assert!(names.windows(2).all(|w| w[0] < w[1]));
    assert!(names.iter().any(|n| n == AL2023));
    let shallow = ssm
        .get_parameters_by_path()
        .path("/aws/service")
        .send()
        .await
        .unwrap();
    assert!(shallow.parameters().is_empty());
    let deep = ssm
        .get_parameters_by_path()
        .path("/aws/service")
        .recursive(true)
        .max_results(10)
        .send()
        .await
        .unwrap();
    assert_eq!(deep.parameters().len(), 7);
    assert!(
        deep.parameters()
            .iter()
            .any(|p| p.value() == Some("ami-0ba11a5700c024086"))
    );
    let filtered = ssm
        .get_parameters_by_path()
        .path("/aws/service/ami-amazon-linux-latest")
        .parameter_filters(
            ParameterStringFilter::builder()
                .key("Type")
                .values("SecureString")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert!(filtered.parameters().is_empty());

    // Read-only: the names are reserved; nothing is stored or listed.
    let err = ssm
        .put_parameter()
        .name(AL2023)
        .value("ami-0123456789abcdef0")
        .r#type(ParameterType::String)
        .overwrite(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "ValidationException");
    let err = ssm
        .delete_parameter()
        .name(AL2023)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "ValidationException");
    let out = ssm.delete_parameters().names(AL2023).send().await.unwrap();
    assert_eq!(out.invalid_parameters(), [AL2023]);
    let again = ssm.get_parameter().name(AL2023).send().await.unwrap();
    assert_eq!(
        again.parameter().unwrap().value(),
        Some("ami-0ba11a5700a023086")
    );
    let described = ssm.describe_parameters().send().await.unwrap();
    assert!(described.parameters().is_empty());
}
