//! Lambda end to end with aws-sdk-rust over restJson1: functions made,
//! read, listed, updated and deleted, their resource policies, the errors
//! AWS answers, and functions that survive kill -9. (Functions that run
//! are `lambda_invoke`'s.)

use aws_sdk_lambda::Client;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Environment, FunctionCode, Runtime, State};
use ballast_sdk_tests::{Ballast, error_code, unique};

/// An empty zip archive: its end-of-central-directory record alone.
const EMPTY_ZIP: &[u8] = b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

const TRUST_LAMBDA: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const TRUST_EC2: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

async fn role(ballast: &Ballast, name: &str, trust: &str) -> String {
    ballast
        .iam()
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust)
        .send()
        .await
        .expect("CreateRole")
        .role()
        .map(|r| r.arn().to_owned())
        .expect("a role")
}

fn zip(bytes: &[u8]) -> FunctionCode {
    FunctionCode::builder().zip_file(Blob::new(bytes)).build()
}

async fn create(client: &Client, name: &str, role: &str) {
    client
        .create_function()
        .function_name(name)
        .runtime(Runtime::Python312)
        .handler("index.handler")
        .role(role)
        .code(zip(EMPTY_ZIP))
        .send()
        .await
        .expect("CreateFunction");
}

#[tokio::test]
async fn functions_are_created_read_updated_and_deleted() {
    let ballast = Ballast::start();
    let role = role(&ballast, "attach", TRUST_LAMBDA).await;
    let client = ballast.lambda();
    let name = unique("attach");
    let created = client
        .create_function()
        .function_name(&name)
        .runtime(Runtime::Python312)
        .handler("index.handler")
        .role(&role)
        .code(zip(EMPTY_ZIP))
        .environment(Environment::builder().variables("VOLUME", "vol-1").build())
        .tags("seed", "003")
        .send()
        .await
        .expect("CreateFunction");
    assert_eq!(
        created.function_arn(),
        Some(format!("arn:aws:lambda:us-east-1:000000000000:function:{name}").as_str())
    );
    assert_eq!(created.timeout(), Some(3));
    assert_eq!(created.memory_size(), Some(128));
    assert_eq!(created.code_size(), EMPTY_ZIP.len() as i64);
    assert_eq!(created.state(), Some(&State::Active));

    let got = client
        .get_function()
        .function_name(&name)
        .send()
        .await
        .expect("GetFunction");
    let configuration = got.configuration().expect("a configuration");
    assert_eq!(configuration.handler(), Some("index.handler"));
    assert_eq!(
        configuration
            .environment()
            .and_then(|e| e.variables())
            .and_then(|v| v.get("VOLUME"))
            .map(String::as_str),
        Some("vol-1")
    );
    assert_eq!(
        got.tags().and_then(|t| t.get("seed")).map(String::as_str),
        Some("003")
    );
    // Code.Location downloads the package, unsigned, as a presigned URL does.
    let code = got.code().expect("a Code");
    assert_eq!(code.repository_type(), Some("S3"));
    let location = code.location().expect("a Location");
    let download = reqwest::get(location).await.expect("GET Code.Location");
    assert_eq!(download.status(), 200);
    let package = download.bytes().await.expect("the package");
    assert_eq!(&package[..], EMPTY_ZIP);
    let (bare, _) = location.split_once('?').expect("a token");
    assert_eq!(reqwest::get(bare).await.expect("GET").status(), 403);
    let by_arn = client
        .get_function_configuration()
        .function_name(created.function_arn().expect("an ARN"))
        .send()
        .await
        .expect("GetFunctionConfiguration by ARN");
    assert_eq!(by_arn.function_name(), Some(name.as_str()));

    let updated = client
        .update_function_configuration()
        .function_name(&name)
        .timeout(30)
        .memory_size(256)
        .send()
        .await
        .expect("UpdateFunctionConfiguration");
    assert_eq!(
        (updated.timeout(), updated.memory_size()),
        (Some(30), Some(256))
    );
    assert_ne!(updated.revision_id(), created.revision_id());
    let stale = client
        .update_function_configuration()
        .function_name(&name)
        .timeout(5)
        .revision_id(created.revision_id().expect("a revision"))
        .send()
        .await
        .expect_err("an old revision");
    assert_eq!(error_code(&stale), "PreconditionFailedException");
    let code = client
        .update_function_code()
        .function_name(&name)
        .zip_file(Blob::new(b"PK\x05\x06 with a comment of sorts".as_slice()))
        .send()
        .await
        .expect("UpdateFunctionCode");
    assert_ne!(code.code_sha256(), created.code_sha256());

    create(&client, &format!("{name}-b"), &role).await;
    let first = client
        .list_functions()
        .max_items(1)
        .send()
        .await
        .expect("ListFunctions");
    assert_eq!(first.functions().len(), 1);
    let rest = client
        .list_functions()
        .marker(first.next_marker().expect("a marker"))
        .send()
        .await
        .expect("the next page");
    assert_eq!(rest.functions().len(), 1);
    assert_eq!(rest.next_marker(), None);

    client
        .delete_function()
        .function_name(&name)
        .send()
        .await
        .expect("DeleteFunction");
    let gone = client
        .get_function()
        .function_name(&name)
        .send()
        .await
        .expect_err("deleted");
    assert_eq!(error_code(&gone), "ResourceNotFoundException");
}

#[tokio::test]
async fn resource_policies_say_who_may_invoke() {
    let ballast = Ballast::start();
    let role = role(&ballast, "attach", TRUST_LAMBDA).await;
    let client = ballast.lambda();
    create(&client, "attach", &role).await;
    let none = client
        .get_policy()
        .function_name("attach")
        .send()
        .await
        .expect_err("no policy yet");
    assert_eq!(error_code(&none), "ResourceNotFoundException");
    let rule = "arn:aws:events:us-east-1:000000000000:rule/heal";
    let added = client
        .add_permission()
        .function_name("attach")
        .statement_id("events-invoke")
        .action("lambda:InvokeFunction")
        .principal("events.amazonaws.com")
        .source_arn(rule)
        .send()
        .await
        .expect("AddPermission");
    let statement: serde_json::Value =
        serde_json::from_str(added.statement().expect("a statement")).expect("JSON");
    assert_eq!(statement["Principal"]["Service"], "events.amazonaws.com");
    let again = client
        .add_permission()
        .function_name("attach")
        .statement_id("events-invoke")
        .action("lambda:InvokeFunction")
        .principal("events.amazonaws.com")
        .send()
        .await
        .expect_err("the same statement id");
    assert_eq!(error_code(&again), "ResourceConflictException");
    let policy = client
        .get_policy()
        .function_name("attach")
        .send()
        .await
        .expect("GetPolicy");
    let document: serde_json::Value =
        serde_json::from_str(policy.policy().expect("a policy")).expect("JSON");
    assert_eq!(
        document["Statement"][0]["Condition"]["ArnLike"]["AWS:SourceArn"],
        rule
    );
    client
        .remove_permission()
        .function_name("attach")
        .statement_id("events-invoke")
        .send()
        .await
        .expect("RemovePermission");
    let missing = client
        .remove_permission()
        .function_name("attach")
        .statement_id("events-invoke")
        .send()
        .await
        .expect_err("removed already");
    assert_eq!(error_code(&missing), "ResourceNotFoundException");
}

#[tokio::test]
async fn function_calls_answer_aws_errors() {
    let ballast = Ballast::start();
    let lambda_role = role(&ballast, "attach", TRUST_LAMBDA).await;
    let ec2_role = role(&ballast, "web", TRUST_EC2).await;
    let client = ballast.lambda();
    let attempt = |name: &str, role: &str, runtime: Runtime, code: &[u8]| {
        client
            .create_function()
            .function_name(name)
            .runtime(runtime)
            .handler("index.handler")
            .role(role)
            .code(zip(code))
            .send()
    };
    let untrusted = attempt("f", &ec2_role, Runtime::Python312, EMPTY_ZIP)
        .await
        .expect_err("a role that does not trust Lambda");
    assert_eq!(error_code(&untrusted), "InvalidParameterValueException");
    let missing_role = attempt(
        "f",
        "arn:aws:iam::000000000000:role/none",
        Runtime::Python312,
        EMPTY_ZIP,
    )
    .await
    .expect_err("no such role");
    assert_eq!(error_code(&missing_role), "InvalidParameterValueException");
    let not_zip = attempt("f", &lambda_role, Runtime::Python312, b"hello")
        .await
        .expect_err("not a zip");
    assert_eq!(error_code(&not_zip), "InvalidParameterValueException");
    let node = attempt("f", &lambda_role, Runtime::Nodejs20x, EMPTY_ZIP)
        .await
        .expect_err("a runtime Ballast does not run");
    assert_eq!(error_code(&node), "InvalidParameterValueException");
    let bad_name = attempt(
        "no spaces allowed",
        &lambda_role,
        Runtime::Python312,
        EMPTY_ZIP,
    )
    .await
    .expect_err("a name outside the model's pattern");
    assert_eq!(error_code(&bad_name), "ValidationException");

    create(&client, "f", &lambda_role).await;
    let twice = attempt("f", &lambda_role, Runtime::Python312, EMPTY_ZIP)
        .await
        .expect_err("exists");
    assert_eq!(error_code(&twice), "ResourceConflictException");
    let too_long = client
        .update_function_configuration()
        .function_name("f")
        .timeout(901)
        .send()
        .await
        .expect_err("over 900 s");
    assert_eq!(error_code(&too_long), "ValidationException");
    let version = client
        .get_function()
        .function_name("f")
        .qualifier("7")
        .send()
        .await
        .expect_err("no published versions");
    assert_eq!(error_code(&version), "ResourceNotFoundException");
    let missing = client
        .delete_function()
        .function_name("nope")
        .send()
        .await
        .expect_err("no such function");
    assert_eq!(error_code(&missing), "ResourceNotFoundException");
    let unchanged = client
        .get_function_configuration()
        .function_name("f")
        .send()
        .await
        .expect("the function");
    assert_eq!(
        unchanged.timeout(),
        Some(3),
        "refused requests changed nothing"
    );
}

#[tokio::test]
async fn functions_survive_kill_9() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut ballast = Ballast::start_in(dir.path(), &[]);
    let role = role(&ballast, "attach", TRUST_LAMBDA).await;
    let client = ballast.lambda();
    create(&client, "attach", &role).await;
    client
        .add_permission()
        .function_name("attach")
        .statement_id("events-invoke")
        .action("lambda:InvokeFunction")
        .principal("events.amazonaws.com")
        .send()
        .await
        .expect("AddPermission");
    ballast.kill9();

    let ballast = Ballast::start_in(dir.path(), &[]);
    let client = ballast.lambda();
    let function = client
        .get_function_configuration()
        .function_name("attach")
        .send()
        .await
        .expect("the function after kill -9");
    assert_eq!(function.code_size(), EMPTY_ZIP.len() as i64);
    client
        .get_policy()
        .function_name("attach")
        .send()
        .await
        .expect("its policy after kill -9");
}

#[tokio::test]
async fn tags_versions_aliases_and_mappings_read_back() {
    let ballast = Ballast::start();
    let role = role(&ballast, "tagged", TRUST_LAMBDA).await;
    let client = ballast.lambda();
    let name = unique("tagged");
    create(&client, &name, &role).await;
    let arn = format!("arn:aws:lambda:us-east-1:000000000000:function:{name}");

    client
        .tag_resource()
        .resource(&arn)
        .tags("team", "web")
        .tags("stage", "test")
        .send()
        .await
        .expect("TagResource");
    client
        .untag_resource()
        .resource(&arn)
        .tag_keys("stage")
        .send()
        .await
        .expect("UntagResource");
    let tags = client
        .list_tags()
        .resource(&arn)
        .send()
        .await
        .expect("ListTags");
    let tags: Vec<_> = tags.tags().into_iter().flatten().collect();
    assert_eq!(tags, [(&"team".to_owned(), &"web".to_owned())]);
    let missing = client
        .list_tags()
        .resource(format!("{arn}-gone"))
        .send()
        .await
        .expect_err("no such function");
    assert_eq!(error_code(&missing), "ResourceNotFoundException");

    let versions = client
        .list_versions_by_function()
        .function_name(&name)
        .send()
        .await
        .expect("ListVersionsByFunction");
    let listed: Vec<_> = versions
        .versions()
        .iter()
        .map(|v| {
            (
                v.version(),
                v.function_arn().map(|a| a.ends_with(":$LATEST")),
            )
        })
        .collect();
    assert_eq!(listed, [(Some("$LATEST"), Some(true))]);
    let aliases = client
        .list_aliases()
        .function_name(&name)
        .send()
        .await
        .expect("ListAliases");
    assert!(aliases.aliases().is_empty());
    let mappings = client
        .list_event_source_mappings()
        .function_name(&name)
        .send()
        .await
        .expect("ListEventSourceMappings");
    assert!(mappings.event_source_mappings().is_empty());
    let unknown = client
        .list_aliases()
        .function_name("nothing-here")
        .send()
        .await
        .expect_err("no such function");
    assert_eq!(error_code(&unknown), "ResourceNotFoundException");
}
