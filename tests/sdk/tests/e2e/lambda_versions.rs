//! Lambda's published versions and aliases with aws-sdk-rust: each
//! version keeps the code it was published with and runs it, an alias
//! with a routing configuration really splits invocations between two
//! versions (a canary deploy), the errors AWS answers, and versions and
//! aliases that survive kill -9.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_lambda::Client;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{AliasRoutingConfiguration, FunctionCode, InvocationType, Runtime};
use ballast_sdk_tests::functions::{function_role, zip_of};
use ballast_sdk_tests::{Ballast, error_code, eventually, unique};
use serde_json::{Value, json};

/// What the function's role may do: write parameters under `/fn/`.
const PUT_FN_PARAMETERS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:PutParameter","Resource":"arn:aws:ssm:*:*:parameter/fn/*"}]}"#;

/// A handler that says which release of the code it is and which version
/// Lambda says it runs; given a parameter name, it writes both there.
fn handler(release: &str) -> String {
    format!(
        r#"
import os
import boto3

def handler(event, context):
    seen = {{"release": "{release}", "version": os.environ["AWS_LAMBDA_FUNCTION_VERSION"],
            "arn": context.invoked_function_arn}}
    if "parameter" in event:
        boto3.client("ssm").put_parameter(
            Name=event["parameter"], Value=seen["release"] + "@" + seen["version"],
            Type="String", Overwrite=True)
    return seen
"#
    )
}

fn code(release: &str) -> Blob {
    Blob::new(zip_of(&[("app.py", &handler(release), 0o644)]))
}

async fn create(client: &Client, role: &str, release: &str) -> String {
    let name = unique("versioned");
    client
        .create_function()
        .function_name(&name)
        .runtime(Runtime::Python312)
        .handler("app.handler")
        .role(role)
        .code(FunctionCode::builder().zip_file(code(release)).build())
        .send()
        .await
        .expect("CreateFunction");
    name
}

async fn update_code(client: &Client, name: &str, release: &str) {
    client
        .update_function_code()
        .function_name(name)
        .zip_file(code(release))
        .send()
        .await
        .expect("UpdateFunctionCode");
}

async fn publish(client: &Client, name: &str) -> String {
    client
        .publish_version()
        .function_name(name)
        .send()
        .await
        .expect("PublishVersion")
        .version()
        .expect("a version")
        .to_owned()
}

/// Invokes `name` (qualified by `qualifier`, if any): the function's answer
/// and the version Lambda reports it ran.
async fn invoke(client: &Client, name: &str, qualifier: Option<&str>) -> (Value, String) {
    let output = client
        .invoke()
        .function_name(name)
        .set_qualifier(qualifier.map(str::to_owned))
        .payload(Blob::new("{}"))
        .send()
        .await
        .expect("Invoke");
    assert_eq!(output.function_error(), None, "{output:?}");
    let body: Value =
        serde_json::from_slice(output.payload().expect("a payload").as_ref()).expect("JSON");
    (
        body,
        output.executed_version().unwrap_or_default().to_owned(),
    )
}

fn weights(version: &str, weight: f64) -> AliasRoutingConfiguration {
    AliasRoutingConfiguration::builder()
        .additional_version_weights(version, weight)
        .build()
}

#[tokio::test]
async fn versions_keep_their_code_and_aliases_split_invocations() {
    let ballast = Ballast::start();
    let role = function_role(&ballast, PUT_FN_PARAMETERS).await;
    let client = ballast.lambda();
    let name = create(&client, &role, "blue").await;
    let arn = format!("arn:aws:lambda:us-east-1:000000000000:function:{name}");

    assert_eq!(publish(&client, &name).await, "1");
    assert_eq!(
        publish(&client, &name).await,
        "1",
        "an unchanged function publishes no new version"
    );
    update_code(&client, &name, "green").await;
    let two = client
        .publish_version()
        .function_name(&name)
        .description("green release")
        .send()
        .await
        .expect("PublishVersion");
    assert_eq!(two.version(), Some("2"));
    assert_eq!(two.function_arn(), Some(format!("{arn}:2").as_str()));
    assert_eq!(two.description(), Some("green release"));

    let listed = client
        .list_versions_by_function()
        .function_name(&name)
        .send()
        .await
        .expect("ListVersionsByFunction");
    let listed: Vec<_> = listed
        .versions()
        .iter()
        .map(|v| {
            (
                v.version().unwrap_or_default(),
                v.function_arn().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("$LATEST", format!("{arn}:$LATEST").as_str()),
            ("1", format!("{arn}:1").as_str()),
            ("2", format!("{arn}:2").as_str()),
        ]
    );
    let paged = client
        .list_versions_by_function()
        .function_name(&name)
        .max_items(2)
        .send()
        .await
        .expect("a first page");
    let rest = client
        .list_versions_by_function()
        .function_name(&name)
        .marker(paged.next_marker().expect("a marker"))
        .send()
        .await
        .expect("the next page");
    assert_eq!(
        rest.versions()
            .iter()
            .map(|v| v.version())
            .collect::<Vec<_>>(),
        [Some("2")]
    );
    let one = client
        .get_function_configuration()
        .function_name(&name)
        .qualifier("1")
        .send()
        .await
        .expect("GetFunctionConfiguration of version 1");
    assert_eq!(
        (one.version(), one.function_arn()),
        (Some("1"), Some(format!("{arn}:1").as_str()))
    );

    // Each version runs the code it was published with.
    let (body, ran) = invoke(&client, &name, Some("1")).await;
    assert_eq!(
        (body["release"].as_str(), ran.as_str()),
        (Some("blue"), "1")
    );
    assert_eq!(body["version"], "1");
    assert_eq!(body["arn"], format!("{arn}:1"));
    let (body, ran) = invoke(&client, &format!("{name}:2"), None).await;
    assert_eq!(
        (body["release"].as_str(), ran.as_str()),
        (Some("green"), "2")
    );
    update_code(&client, &name, "next").await;
    let (body, ran) = invoke(&client, &name, None).await;
    assert_eq!(
        (body["release"].as_str(), ran.as_str()),
        (Some("next"), "$LATEST")
    );

    // A canary: live runs version 1, and sends half its invocations to 2.
    let live = client
        .create_alias()
        .function_name(&name)
        .name("live")
        .function_version("1")
        .routing_config(weights("2", 0.5))
        .send()
        .await
        .expect("CreateAlias");
    assert_eq!(live.alias_arn(), Some(format!("{arn}:live").as_str()));
    let mut ran: BTreeMap<String, u32> = BTreeMap::new();
    for _ in 0..40 {
        let (body, version) = invoke(&client, &name, Some("live")).await;
        let expected = if version == "1" { "blue" } else { "green" };
        assert_eq!(
            body["release"], expected,
            "version {version} ran its own code"
        );
        assert_eq!(body["arn"], format!("{arn}:live"));
        *ran.entry(version).or_default() += 1;
    }
    assert_eq!(
        ran.keys().collect::<Vec<_>>(),
        ["1", "2"],
        "both versions ran: {ran:?}"
    );

    // Promotion: every invocation goes to 2.
    let revision = live.revision_id().expect("a revision").to_owned();
    let promoted = client
        .update_alias()
        .function_name(&name)
        .name("live")
        .function_version("2")
        .routing_config(AliasRoutingConfiguration::builder().build())
        .revision_id(&revision)
        .send()
        .await
        .expect("UpdateAlias");
    assert_eq!(promoted.function_version(), Some("2"));
    assert_eq!(promoted.routing_config(), None);
    for _ in 0..5 {
        let (_, version) = invoke(&client, &format!("{arn}:live"), None).await;
        assert_eq!(version, "2");
    }
    let stale = client
        .update_alias()
        .function_name(&name)
        .name("live")
        .description("late")
        .revision_id(&revision)
        .send()
        .await
        .expect_err("a stale revision");
    assert_eq!(error_code(&stale), "PreconditionFailedException");

    let got = client
        .get_alias()
        .function_name(&name)
        .name("live")
        .send()
        .await
        .expect("GetAlias");
    assert_eq!(got.function_version(), Some("2"));
    let by_alias = client
        .get_function()
        .function_name(&name)
        .qualifier("live")
        .send()
        .await
        .expect("GetFunction by alias");
    let configuration = by_alias.configuration().expect("a configuration");
    assert_eq!(configuration.version(), Some("2"));
    assert_eq!(
        configuration.function_arn(),
        Some(format!("{arn}:live").as_str())
    );
    client
        .create_alias()
        .function_name(&name)
        .name("old")
        .function_version("1")
        .send()
        .await
        .expect("a second alias");
    let on_one = client
        .list_aliases()
        .function_name(&name)
        .function_version("1")
        .send()
        .await
        .expect("ListAliases");
    let names: Vec<_> = on_one.aliases().iter().map(|a| a.name()).collect();
    assert_eq!(names, [Some("old")]);
}

#[tokio::test]
async fn versions_and_aliases_refuse_what_aws_refuses() {
    let ballast = Ballast::start();
    let role = function_role(&ballast, PUT_FN_PARAMETERS).await;
    let client = ballast.lambda();
    let name = create(&client, &role, "blue").await;
    publish(&client, &name).await;
    update_code(&client, &name, "green").await;
    publish(&client, &name).await;

    let alias = |alias: &str, version: &str| {
        client
            .create_alias()
            .function_name(&name)
            .name(alias)
            .function_version(version)
    };
    alias("live", "1").send().await.expect("CreateAlias");
    let cases = [
        (alias("live", "2"), "ResourceConflictException"),
        (alias("ghost", "9"), "ResourceNotFoundException"),
        (alias("123", "1"), "ValidationException"),
        (
            alias("mixed", "$LATEST").routing_config(weights("2", 0.1)),
            "InvalidParameterValueException",
        ),
        (
            alias("self", "1").routing_config(weights("1", 0.1)),
            "InvalidParameterValueException",
        ),
    ];
    for (request, code) in cases {
        let error = request.send().await.expect_err(code);
        assert_eq!(error_code(&error), code);
    }
    let missing = client
        .get_alias()
        .function_name(&name)
        .name("ghost")
        .send()
        .await
        .expect_err("no such alias");
    assert_eq!(error_code(&missing), "ResourceNotFoundException");
    let wrong_code = client
        .publish_version()
        .function_name(&name)
        .code_sha256("not-the-code")
        .send()
        .await
        .expect_err("a different CodeSha256");
    assert_eq!(error_code(&wrong_code), "InvalidParameterValueException");
    for qualifier in ["9", "ghost"] {
        let error = client
            .invoke()
            .function_name(&name)
            .qualifier(qualifier)
            .send()
            .await
            .expect_err("no such version or alias");
        assert_eq!(
            error_code(&error),
            "ResourceNotFoundException",
            "{qualifier}"
        );
    }
    let mismatch = client
        .get_function_configuration()
        .function_name(format!("{name}:1"))
        .qualifier("2")
        .send()
        .await
        .expect_err("two qualifiers");
    assert_eq!(error_code(&mismatch), "InvalidParameterValueException");

    // A version an alias uses stays; once the alias goes, it may go.
    let in_use = client
        .delete_function()
        .function_name(&name)
        .qualifier("1")
        .send()
        .await
        .expect_err("live uses version 1");
    assert_eq!(error_code(&in_use), "ResourceConflictException");
    let latest = client
        .delete_function()
        .function_name(&name)
        .qualifier("$LATEST")
        .send()
        .await
        .expect_err("$LATEST goes with the function");
    assert_eq!(error_code(&latest), "InvalidParameterValueException");
    client
        .delete_alias()
        .function_name(&name)
        .name("live")
        .send()
        .await
        .expect("DeleteAlias");
    client
        .delete_alias()
        .function_name(&name)
        .name("live")
        .send()
        .await
        .expect("deleting an alias that is gone succeeds");
    client
        .delete_function()
        .function_name(&name)
        .qualifier("1")
        .send()
        .await
        .expect("DeleteFunction of version 1");
    let gone = client
        .invoke()
        .function_name(&name)
        .qualifier("1")
        .send()
        .await
        .expect_err("version 1 is gone");
    assert_eq!(error_code(&gone), "ResourceNotFoundException");
    // Numbers are never given twice.
    update_code(&client, &name, "third").await;
    assert_eq!(publish(&client, &name).await, "3");
    // Any change to $LATEST makes the next publish a new version, its
    // description among them.
    client
        .update_function_configuration()
        .function_name(&name)
        .description("described")
        .send()
        .await
        .expect("UpdateFunctionConfiguration");
    assert_eq!(publish(&client, &name).await, "4");

    // Only $LATEST's own spelling names a version; operations on $LATEST
    // alone refuse a qualified name.
    let padded = client
        .invoke()
        .function_name(&name)
        .qualifier("03")
        .send()
        .await
        .expect_err("03 is not version 3");
    assert_eq!(error_code(&padded), "ResourceNotFoundException");
    let qualified = client
        .update_function_configuration()
        .function_name(format!("{name}:3"))
        .timeout(9)
        .send()
        .await
        .expect_err("a version cannot be configured");
    assert_eq!(error_code(&qualified), "InvalidParameterValueException");
    let on_latest = client
        .add_permission()
        .function_name(&name)
        .qualifier("$LATEST")
        .statement_id("s")
        .action("lambda:InvokeFunction")
        .principal("events.amazonaws.com")
        .send()
        .await
        .expect_err("no policies on $LATEST by qualifier");
    assert_eq!(error_code(&on_latest), "InvalidParameterValueException");
    let bad_name = client
        .get_alias()
        .function_name(&name)
        .name("123")
        .send()
        .await
        .expect_err("an all-digit alias name");
    assert_eq!(error_code(&bad_name), "ValidationException");
    let too_heavy = client
        .create_alias()
        .function_name(&name)
        .name("heavy")
        .function_version("3")
        .routing_config(weights("4", 1.5))
        .send()
        .await
        .expect_err("a weight over 1");
    assert_eq!(error_code(&too_heavy), "ValidationException");

    // Reserved concurrency is the function's: 0 switches every version
    // and alias off.
    client
        .put_function_concurrency()
        .function_name(&name)
        .reserved_concurrent_executions(0)
        .send()
        .await
        .expect("PutFunctionConcurrency");
    client
        .create_alias()
        .function_name(&name)
        .name("current")
        .function_version("4")
        .send()
        .await
        .expect("CreateAlias");
    for qualifier in ["3", "current"] {
        let throttled = client
            .invoke()
            .function_name(&name)
            .qualifier(qualifier)
            .payload(Blob::new("{}"))
            .send()
            .await
            .expect_err("no concurrency left");
        assert_eq!(
            error_code(&throttled),
            "TooManyRequestsException",
            "{qualifier}"
        );
    }
    let shown = client
        .get_function()
        .function_name(&name)
        .qualifier("3")
        .send()
        .await
        .expect("GetFunction of version 3");
    assert_eq!(
        shown
            .concurrency()
            .and_then(|c| c.reserved_concurrent_executions()),
        Some(0)
    );

    // ListFunctions with FunctionVersion ALL lists every version too.
    let all = client
        .list_functions()
        .function_version(aws_sdk_lambda::types::FunctionVersion::All)
        .send()
        .await
        .expect("ListFunctions ALL");
    let listed: Vec<_> = all
        .functions()
        .iter()
        .filter(|f| f.function_name() == Some(name.as_str()))
        .map(|f| f.version().unwrap_or_default())
        .collect();
    assert_eq!(listed, ["$LATEST", "2", "3", "4"]);
    let latest_only = client.list_functions().send().await.expect("ListFunctions");
    assert!(
        latest_only
            .functions()
            .iter()
            .all(|f| f.version() == Some("$LATEST"))
    );
}

#[tokio::test]
async fn versions_and_aliases_survive_kill_9_and_route_queued_events() {
    let temp = tempfile::tempdir().expect("a data directory");
    let mut ballast = Ballast::start_in(temp.path(), &[]);
    let role = function_role(&ballast, PUT_FN_PARAMETERS).await;
    let client = ballast.lambda();
    let name = create(&client, &role, "blue").await;
    let created = client
        .update_function_code()
        .function_name(&name)
        .zip_file(code("green"))
        .publish(true)
        .send()
        .await
        .expect("UpdateFunctionCode with Publish");
    assert_eq!(created.version(), Some("1"));
    client
        .create_alias()
        .function_name(&name)
        .name("live")
        .function_version("1")
        .send()
        .await
        .expect("CreateAlias");
    ballast.kill9();

    let ballast = Ballast::start_in(temp.path(), &[]);
    let client = ballast.lambda();
    let live = client
        .get_alias()
        .function_name(&name)
        .name("live")
        .send()
        .await
        .expect("the alias survived");
    assert_eq!(live.function_version(), Some("1"));
    let queued = client
        .invoke()
        .function_name(&name)
        .qualifier("live")
        .invocation_type(InvocationType::Event)
        .payload(Blob::new(json!({"parameter": "/fn/live"}).to_string()))
        .send()
        .await
        .expect("an Event invoke of the alias");
    assert_eq!(queued.status_code(), 202);
    let ssm = ballast.ssm();
    eventually(
        "the queued event to run version 1",
        Duration::from_secs(30),
        || async {
            let got = ssm.get_parameter().name("/fn/live").send().await.ok()?;
            (got.parameter()?.value()? == "green@1").then_some(())
        },
    )
    .await;
}

#[tokio::test]
async fn an_eventbridge_rule_invokes_an_alias_its_own_policy_lets_in() {
    let ballast = Ballast::start();
    let role = function_role(&ballast, PUT_FN_PARAMETERS).await;
    let client = ballast.lambda();
    let name = create(&client, &role, "blue").await;
    publish(&client, &name).await;
    update_code(&client, &name, "green").await;
    client
        .create_alias()
        .function_name(&name)
        .name("live")
        .function_version("1")
        .send()
        .await
        .expect("CreateAlias");
    let events = ballast.eventbridge();
    let rule = unique("to-alias");
    let rule_arn = events
        .put_rule()
        .name(&rule)
        .event_pattern(r#"{"source":["shop"]}"#)
        .send()
        .await
        .expect("PutRule")
        .rule_arn()
        .expect("an ARN")
        .to_owned();
    let alias_arn = format!("arn:aws:lambda:us-east-1:000000000000:function:{name}:live");
    events
        .put_targets()
        .rule(&rule)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("live")
                .arn(&alias_arn)
                .input_path("$.detail")
                .build()
                .expect("a target"),
        )
        .send()
        .await
        .expect("PutTargets");
    let permit = |qualifier: Option<&str>| {
        client
            .add_permission()
            .function_name(&name)
            .set_qualifier(qualifier.map(str::to_owned))
            .statement_id("events")
            .action("lambda:InvokeFunction")
            .principal("events.amazonaws.com")
            .source_arn(&rule_arn)
            .send()
    };
    let put = |parameter: &'static str| {
        events
            .put_events()
            .entries(
                aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                    .source("shop")
                    .detail_type("order")
                    .detail(json!({"parameter": parameter}).to_string())
                    .build(),
            )
            .send()
    };

    // The function's own permission does not cover its alias: this event
    // is decided, and dropped, when it is put.
    permit(None).await.expect("AddPermission on the function");
    put("/fn/unqualified").await.expect("PutEvents");
    let statement = permit(Some("live"))
        .await
        .expect("AddPermission on the alias");
    let statement: Value =
        serde_json::from_str(statement.statement().expect("a statement")).expect("JSON");
    assert_eq!(statement["Resource"], alias_arn);
    let policy = client
        .get_policy()
        .function_name(&name)
        .qualifier("live")
        .send()
        .await
        .expect("GetPolicy of the alias");
    let policy: Value = serde_json::from_str(policy.policy().expect("a policy")).expect("JSON");
    assert_eq!(policy["Statement"][0]["Resource"], alias_arn);

    put("/fn/alias").await.expect("PutEvents");
    let ssm = ballast.ssm();
    eventually(
        "the rule to run the alias's version",
        Duration::from_secs(30),
        || async {
            let got = ssm.get_parameter().name("/fn/alias").send().await.ok()?;
            (got.parameter()?.value()? == "blue@1").then_some(())
        },
    )
    .await;
    let dropped = ssm.get_parameter().name("/fn/unqualified").send().await;
    assert!(dropped.is_err(), "the first event was never delivered");

    client
        .remove_permission()
        .function_name(&name)
        .qualifier("live")
        .statement_id("events")
        .send()
        .await
        .expect("RemovePermission on the alias");
    let none = client
        .get_policy()
        .function_name(&name)
        .qualifier("live")
        .send()
        .await
        .expect_err("the alias has no policy left");
    assert_eq!(error_code(&none), "ResourceNotFoundException");
    let missing = client
        .add_permission()
        .function_name(&name)
        .qualifier("ghost")
        .statement_id("events")
        .action("lambda:InvokeFunction")
        .principal("events.amazonaws.com")
        .send()
        .await
        .expect_err("no such alias");
    assert_eq!(error_code(&missing), "ResourceNotFoundException");
}
