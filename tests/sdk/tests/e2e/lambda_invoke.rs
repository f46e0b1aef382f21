//! Lambda functions that really run, invoked with aws-sdk-rust: the
//! handler's result, its role's credentials and Ballast's endpoint inside,
//! warm reuse and a fresh environment after an update, failures reported
//! as Lambda reports them (an exception, a timeout, an import error, a
//! crash), a `provided` runtime speaking the Runtime API itself,
//! `Event` invocations run from the queue, across kill -9, and reserved
//! concurrency throttling both kinds.
//!
//! Python functions run under `BALLAST_LAMBDA_PYTHON`, which `scripts/test`
//! points at a virtualenv with boto3.

use std::time::Duration;

use aws_sdk_lambda::Client;
use aws_sdk_lambda::operation::RequestId as _;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Environment, FunctionCode, InvocationType, LogType, Runtime};
use ballast_sdk_tests::functions::{function_role, zip_of};
use ballast_sdk_tests::{Ballast, error_code, eventually, unique};
use base64::Engine as _;
use serde_json::{Value, json};

/// What the function's role may do: write parameters under `/fn/`.
const PUT_FN_PARAMETERS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:PutParameter","Resource":"arn:aws:ssm:*:*:parameter/fn/*"}]}"#;

/// A handler that reports who and where it runs, writes the parameter an
/// event names, and fails or hangs when asked.
const HANDLER: &str = r#"
import os
import time
import boto3

def handler(event, context):
    print("event", event)
    if event.get("raise"):
        raise ValueError("asked to fail")
    if event.get("spin"):
        while True:
            pass
    if event.get("exit"):
        os._exit(3)
    if event.get("quick"):
        return {"pid": os.getpid()}
    if "sleep" in event:
        time.sleep(event["sleep"])
        return {"slept": event["sleep"]}
    if "parameter" in event:
        boto3.client("ssm").put_parameter(
            Name=event["parameter"], Value=event.get("value", "set"), Type="String", Overwrite=True
        )
    who = boto3.client("sts").get_caller_identity()["Arn"]
    return {
        "who": who,
        "pid": os.getpid(),
        "request": context.aws_request_id,
        "colour": os.environ.get("COLOUR"),
        "function": os.environ["AWS_LAMBDA_FUNCTION_NAME"],
        "remaining": context.get_remaining_time_in_millis(),
    }
"#;

/// A `provided.al2023` runtime: its own `bootstrap` polls the Runtime API
/// and answers with the event reversed.
const BOOTSTRAP: &str = r#"#!/usr/bin/env python3
import json, os, urllib.request
api = "http://%s/2018-06-01/runtime" % os.environ["AWS_LAMBDA_RUNTIME_API"]
while True:
    with urllib.request.urlopen(api + "/invocation/next") as r:
        event, rid = json.loads(r.read()), r.headers["Lambda-Runtime-Aws-Request-Id"]
    body = json.dumps({"reversed": event["text"][::-1], "handler": os.environ["_HANDLER"]}).encode()
    urllib.request.urlopen(urllib.request.Request(api + "/invocation/%s/response" % rid, data=body, method="POST")).read()
"#;

async fn python_function(client: &Client, role: &str, handler: &str, timeout: i32) -> String {
    let name = unique("fn");
    client
        .create_function()
        .function_name(&name)
        .runtime(Runtime::Python312)
        .handler(handler)
        .role(role)
        .timeout(timeout)
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(zip_of(&[("app.py", HANDLER, 0o644)])))
                .build(),
        )
        .send()
        .await
        .expect("CreateFunction");
    name
}

/// Invokes `name` synchronously with `event`, returning the output.
async fn invoke(
    client: &Client,
    name: &str,
    event: Value,
) -> aws_sdk_lambda::operation::invoke::InvokeOutput {
    client
        .invoke()
        .function_name(name)
        .payload(Blob::new(event.to_string()))
        .log_type(LogType::Tail)
        .send()
        .await
        .expect("Invoke")
}

fn body(output: &aws_sdk_lambda::operation::invoke::InvokeOutput) -> Value {
    serde_json::from_slice(output.payload().expect("a payload").as_ref()).expect("JSON")
}

#[tokio::test]
async fn a_function_runs_as_its_role_and_stays_warm() {
    let ballast = Ballast::start();
    let role = function_role(&ballast, PUT_FN_PARAMETERS).await;
    let client = ballast.lambda();
    let name = python_function(&client, &role, "app.handler", 30).await;

    let first = invoke(
        &client,
        &name,
        json!({"parameter": "/fn/first", "value": "one"}),
    )
    .await;
    assert_eq!(first.status_code(), 200);
    assert_eq!(first.function_error(), None);
    assert_eq!(first.executed_version(), Some("$LATEST"));
    let result = body(&first);
    let role_name = role.rsplit('/').next().expect("a role name");
    assert_eq!(
        result["who"],
        format!("arn:aws:sts::000000000000:assumed-role/{role_name}/{name}")
    );
    assert_eq!(result["function"], name.as_str());
    // The function's request id is the Invoke request's.
    assert_eq!(result["request"].as_str(), first.request_id());
    assert!(
        result["remaining"]
            .as_i64()
            .is_some_and(|ms| ms > 0 && ms <= 30_000)
    );
    // What the handler wrote with its role's credentials is there.
    let written = ballast
        .ssm()
        .get_parameter()
        .name("/fn/first")
        .send()
        .await
        .expect("the function's parameter");
    assert_eq!(written.parameter().and_then(|p| p.value()), Some("one"));
    // The log's tail has the platform's lines around the handler's.
    let log = base64::engine::general_purpose::STANDARD
        .decode(first.log_result().expect("a log tail"))
        .expect("base64");
    let log = String::from_utf8(log).expect("text");
    assert!(log.starts_with("START RequestId: "), "{log}");
    assert!(
        log.contains("event {'parameter': '/fn/first', 'value': 'one'}"),
        "{log}"
    );
    assert!(log.contains("REPORT RequestId: "), "{log}");

    // The same environment answers the next invocation.
    let second = body(&invoke(&client, &name, json!({})).await);
    assert_eq!(second["pid"], result["pid"]);
    assert_eq!(second["colour"], Value::Null);

    // An update retires it: the next invocation sees the new settings.
    client
        .update_function_configuration()
        .function_name(&name)
        .environment(Environment::builder().variables("COLOUR", "blue").build())
        .send()
        .await
        .expect("UpdateFunctionConfiguration");
    let third = body(&invoke(&client, &name, json!({})).await);
    assert_eq!(third["colour"], "blue");
    assert_ne!(third["pid"], result["pid"]);

    // IAM decides what the function may do.
    let denied = invoke(&client, &name, json!({"parameter": "/elsewhere"})).await;
    assert_eq!(denied.function_error(), Some("Unhandled"));
    let error = body(&denied);
    assert_eq!(error["errorType"], "AccessDeniedException");
    assert!(
        error["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("when calling the PutParameter operation")),
        "{error}"
    );
}

#[tokio::test]
async fn failures_are_reported_as_lambda_reports_them() {
    let ballast = Ballast::start();
    let role = function_role(&ballast, PUT_FN_PARAMETERS).await;
    let client = ballast.lambda();
    let name = python_function(&client, &role, "app.handler", 1).await;

    let raised = invoke(&client, &name, json!({"raise": true})).await;
    assert_eq!(raised.status_code(), 200);
    assert_eq!(raised.function_error(), Some("Unhandled"));
    let error = body(&raised);
    assert_eq!(error["errorType"], "ValueError");
    assert_eq!(error["errorMessage"], "asked to fail");
    assert!(
        error["stackTrace"]
            .as_array()
            .is_some_and(|t| !t.is_empty())
    );

    let spun = invoke(&client, &name, json!({"spin": true})).await;
    assert_eq!(spun.function_error(), Some("Unhandled"));
    let error = body(&spun);
    assert_eq!(error["errorType"], "Sandbox.Timedout");
    let request = spun.request_id().expect("a request id");
    assert_eq!(
        error["errorMessage"],
        format!("RequestId: {request} Error: Task timed out after 1.00 seconds")
    );

    let exited = invoke(&client, &name, json!({"exit": true})).await;
    let error = body(&exited);
    assert_eq!(error["errorType"], "Runtime.ExitError");
    let request = exited.request_id().expect("a request id");
    assert_eq!(
        error["errorMessage"],
        format!("RequestId: {request} Error: Runtime exited with error: exit status 3")
    );

    // After each failure a fresh environment serves the next call (one
    // that returns at once: this function's timeout is a second).
    let fine = invoke(&client, &name, json!({"quick": true})).await;
    assert_eq!(fine.function_error(), None);

    let missing = python_function(&client, &role, "nowhere.handler", 3).await;
    let import = body(&invoke(&client, &missing, json!({})).await);
    assert_eq!(import["errorType"], "Runtime.ImportModuleError");
    assert!(
        import["errorMessage"]
            .as_str()
            .is_some_and(|m| m.starts_with("Unable to import module 'nowhere'")),
        "{import}"
    );

    let dry = client
        .invoke()
        .function_name(&name)
        .invocation_type(InvocationType::DryRun)
        .send()
        .await
        .expect("a dry run");
    assert_eq!(dry.status_code(), 204);

    let not_json = client
        .invoke()
        .function_name(&name)
        .payload(Blob::new("not json"))
        .send()
        .await
        .expect_err("not JSON");
    assert_eq!(error_code(&not_json), "InvalidRequestContentException");
    let too_large = client
        .invoke()
        .function_name(&name)
        .payload(Blob::new(format!("\"{}\"", "x".repeat(6 * 1024 * 1024))))
        .send()
        .await
        .expect_err("too large");
    assert_eq!(error_code(&too_large), "RequestTooLargeException");
    let absent = client
        .invoke()
        .function_name("absent")
        .send()
        .await
        .expect_err("no such function");
    assert_eq!(error_code(&absent), "ResourceNotFoundException");
}

#[tokio::test]
async fn a_provided_runtime_speaks_the_runtime_api_itself() {
    let ballast = Ballast::start();
    let role = function_role(&ballast, PUT_FN_PARAMETERS).await;
    let client = ballast.lambda();
    let name = unique("provided");
    client
        .create_function()
        .function_name(&name)
        .runtime(Runtime::Providedal2023)
        .handler("any.thing")
        .role(&role)
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(zip_of(&[("bootstrap", BOOTSTRAP, 0o755)])))
                .build(),
        )
        .send()
        .await
        .expect("CreateFunction");
    let output = invoke(&client, &name, json!({"text": "ballast"})).await;
    assert_eq!(output.function_error(), None);
    assert_eq!(
        body(&output),
        json!({"reversed": "tsallab", "handler": "any.thing"})
    );
}

#[tokio::test]
async fn event_invocations_run_from_the_queue_across_kill_9() {
    let temp = tempfile::tempdir().expect("a data directory");
    let mut ballast = Ballast::start_in(temp.path(), &[]);
    let role = function_role(&ballast, PUT_FN_PARAMETERS).await;
    let client = ballast.lambda();
    let name = python_function(&client, &role, "app.handler", 30).await;

    let queued = client
        .invoke()
        .function_name(&name)
        .invocation_type(InvocationType::Event)
        .payload(Blob::new(
            json!({"parameter": "/fn/async", "value": "queued"}).to_string(),
        ))
        .send()
        .await
        .expect("an Event invoke");
    assert_eq!(queued.status_code(), 202);
    assert_eq!(queued.payload().map(|p| p.as_ref().len()).unwrap_or(0), 0);
    wait_for_parameter(&ballast, "/fn/async", "queued").await;

    // Queued, then the server dies at once: the event still runs.
    client
        .invoke()
        .function_name(&name)
        .invocation_type(InvocationType::Event)
        .payload(Blob::new(
            json!({"parameter": "/fn/after-crash", "value": "kept"}).to_string(),
        ))
        .send()
        .await
        .expect("an Event invoke");
    ballast.kill9();
    let ballast = Ballast::start_in(temp.path(), &[]);
    wait_for_parameter(&ballast, "/fn/after-crash", "kept").await;
}

#[tokio::test]
async fn reserved_concurrency_throttles_calls_and_holds_events() {
    let ballast = Ballast::start();
    let role = function_role(&ballast, PUT_FN_PARAMETERS).await;
    let client = ballast.lambda();
    let name = python_function(&client, &role, "app.handler", 30).await;

    let put = client
        .put_function_concurrency()
        .function_name(&name)
        .reserved_concurrent_executions(1)
        .send()
        .await
        .expect("PutFunctionConcurrency");
    assert_eq!(put.reserved_concurrent_executions(), Some(1));
    let got = client
        .get_function()
        .function_name(&name)
        .send()
        .await
        .expect("GetFunction");
    assert_eq!(
        got.concurrency()
            .and_then(|c| c.reserved_concurrent_executions()),
        Some(1)
    );
    let account = client
        .get_account_settings()
        .send()
        .await
        .expect("GetAccountSettings");
    let limit = account.account_limit().expect("AccountLimit");
    assert_eq!(limit.concurrent_executions(), 1000);
    assert_eq!(limit.unreserved_concurrent_executions(), Some(999));
    let usage = account.account_usage().expect("AccountUsage");
    assert_eq!(usage.function_count(), 1);
    assert_eq!(
        usage.total_code_size(),
        got.configuration()
            .map(|c| c.code_size())
            .unwrap_or_default()
    );

    // One invocation sleeps; while it runs, a second is refused. The
    // probe's quick calls below may take the one slot before the sleeper
    // does; then the sleeper is the one refused, and tries again as a
    // client would after a 429.
    let sleeper = {
        let client = client.clone();
        let name = name.clone();
        tokio::spawn(async move {
            eventually(
                "the sleeping invocation to start",
                Duration::from_secs(20),
                || async {
                    match client
                        .invoke()
                        .function_name(&name)
                        .payload(Blob::new(json!({"sleep": 3}).to_string()))
                        .send()
                        .await
                    {
                        Ok(output) => Some(output),
                        Err(error) if error_code(&error) == "TooManyRequestsException" => None,
                        Err(error) => panic!("Invoke: {error:?}"),
                    }
                },
            )
            .await
        })
    };
    eventually(
        "a second invocation to be throttled",
        Duration::from_secs(20),
        || async {
            let error = client
                .invoke()
                .function_name(&name)
                .payload(Blob::new(json!({"quick": true}).to_string()))
                .send()
                .await
                .err()?;
            (error_code(&error) == "TooManyRequestsException").then_some(())
        },
    )
    .await;
    let slept = sleeper.await.expect("the sleeping invocation");
    assert_eq!(body(&slept)["slept"], 3);
    assert_eq!(
        invoke(&client, &name, json!({"quick": true}))
            .await
            .function_error(),
        None,
        "the slot is free again"
    );

    // Reserved to none, the function is switched off: calls are refused
    // at once and events wait, to run when the reservation goes.
    client
        .put_function_concurrency()
        .function_name(&name)
        .reserved_concurrent_executions(0)
        .send()
        .await
        .expect("PutFunctionConcurrency 0");
    let refused = client
        .invoke()
        .function_name(&name)
        .payload(Blob::new(json!({"quick": true}).to_string()))
        .send()
        .await
        .expect_err("throttled");
    assert_eq!(error_code(&refused), "TooManyRequestsException");
    let throttle = refused.as_service_error().and_then(|e| match e {
        aws_sdk_lambda::operation::invoke::InvokeError::TooManyRequestsException(t) => Some(t),
        _ => None,
    });
    assert_eq!(
        throttle.and_then(|t| t.reason()),
        Some(&aws_sdk_lambda::types::ThrottleReason::ReservedFunctionConcurrentInvocationLimitExceeded)
    );
    let queued = client
        .invoke()
        .function_name(&name)
        .invocation_type(InvocationType::Event)
        .payload(Blob::new(
            json!({"parameter": "/fn/held", "value": "ran"}).to_string(),
        ))
        .send()
        .await
        .expect("an Event invoke");
    assert_eq!(queued.status_code(), 202);
    assert_eq!(
        client
            .get_function_concurrency()
            .function_name(&name)
            .send()
            .await
            .expect("GetFunctionConcurrency")
            .reserved_concurrent_executions(),
        Some(0)
    );
    client
        .delete_function_concurrency()
        .function_name(&name)
        .send()
        .await
        .expect("DeleteFunctionConcurrency");
    wait_for_parameter(&ballast, "/fn/held", "ran").await;
    let none = client
        .get_function_concurrency()
        .function_name(&name)
        .send()
        .await
        .expect("GetFunctionConcurrency");
    assert_eq!(none.reserved_concurrent_executions(), None);

    let too_many = client
        .put_function_concurrency()
        .function_name(&name)
        .reserved_concurrent_executions(901)
        .send()
        .await
        .expect_err("more than the account can spare");
    assert_eq!(error_code(&too_many), "InvalidParameterValueException");
    let missing = client
        .get_function_concurrency()
        .function_name("missing")
        .send()
        .await
        .expect_err("no such function");
    assert_eq!(error_code(&missing), "ResourceNotFoundException");
    let missing = client
        .delete_function_concurrency()
        .function_name("missing")
        .send()
        .await
        .expect_err("no such function");
    assert_eq!(error_code(&missing), "ResourceNotFoundException");
}

async fn wait_for_parameter(ballast: &Ballast, name: &str, value: &str) {
    let ssm = ballast.ssm();
    eventually(
        &format!("{name} to be {value}"),
        Duration::from_secs(30),
        || async {
            let got = ssm.get_parameter().name(name).send().await.ok()?;
            (got.parameter()?.value()? == value).then_some(())
        },
    )
    .await;
}
