//! EventBridge delivering to Lambda functions, with aws-sdk-rust: events
//! PutEvents accepts reach a rule's function targets, in the form the
//! target asks for, only when the function's policy lets EventBridge
//! invoke it; Auto Scaling's lifecycle actions arrive on the default
//! bus, where a function completes them (seed 003's pattern), with no
//! notification target on the hook, and so do the outcomes of launches
//! and terminations; so do EC2's state changes; and scheduled rules fire.

use std::time::Duration;

use aws_sdk_autoscaling::types::{LaunchTemplateSpecification, LifecycleState};
use aws_sdk_eventbridge::types::{InputTransformer, PutEventsRequestEntry, Target};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{FunctionCode, Runtime};
use ballast_sdk_tests::fixtures::{AL2023, al2023_template};
use ballast_sdk_tests::functions::{function_role, zip_of};
use ballast_sdk_tests::{Ballast, eventually, unique};

const WAIT: Duration = Duration::from_secs(30);

/// Writes the parameter the event names to the value it carries.
const RECORDER: &str = r#"
import boto3

def handler(event, context):
    boto3.client("ssm").put_parameter(
        Name=event["parameter"], Value=event["value"], Type="String", Overwrite=True
    )
"#;

/// Completes the lifecycle action the event is about, and notes it.
const COMPLETER: &str = r#"
import boto3

def handler(event, context):
    detail = event["detail"]
    boto3.client("autoscaling").complete_lifecycle_action(
        AutoScalingGroupName=detail["AutoScalingGroupName"],
        LifecycleHookName=detail["LifecycleHookName"],
        LifecycleActionToken=detail["LifecycleActionToken"],
        LifecycleActionResult="CONTINUE",
    )
    boto3.client("ssm").put_parameter(
        Name="/heal/" + detail["EC2InstanceId"], Value=event["detail-type"], Type="String"
    )
"#;

const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:PutParameter","autoscaling:CompleteLifecycleAction"],"Resource":"*"}]}"#;

async fn function(ballast: &Ballast, source: &str) -> (String, String) {
    let role = function_role(ballast, POLICY).await;
    let name = unique("target");
    let arn = ballast
        .lambda()
        .create_function()
        .function_name(&name)
        .runtime(Runtime::Python312)
        .handler("app.handler")
        .role(role)
        // Scaled by the tests' --time-scale, and still room for boto3.
        .timeout(300)
        .code(
            FunctionCode::builder()
                .zip_file(Blob::new(zip_of(&[("app.py", source, 0o644)])))
                .build(),
        )
        .send()
        .await
        .expect("CreateFunction")
        .function_arn()
        .expect("an ARN")
        .to_owned();
    (name, arn)
}

/// A rule on the default bus matching `pattern`, targeting `target`;
/// returns its ARN.
async fn rule(ballast: &Ballast, pattern: &str, target: Target) -> String {
    let (name, arn) = put_rule(ballast, |rule| rule.event_pattern(pattern)).await;
    add_target(ballast, &name, target).await;
    arn
}

type PutRule = aws_sdk_eventbridge::operation::put_rule::builders::PutRuleFluentBuilder;

/// A new rule on the default bus, as `settings` make it: `(name, ARN)`.
async fn put_rule(
    ballast: &Ballast,
    settings: impl FnOnce(PutRule) -> PutRule,
) -> (String, String) {
    let name = unique("rule");
    let arn = settings(ballast.eventbridge().put_rule().name(&name))
        .send()
        .await
        .expect("PutRule")
        .rule_arn()
        .expect("an ARN")
        .to_owned();
    (name, arn)
}

async fn add_target(ballast: &Ballast, rule: &str, target: Target) {
    ballast
        .eventbridge()
        .put_targets()
        .rule(rule)
        .targets(target)
        .send()
        .await
        .expect("PutTargets");
}

async fn permit(ballast: &Ballast, function: &str, rule_arn: &str) {
    ballast
        .lambda()
        .add_permission()
        .function_name(function)
        .statement_id(unique("events"))
        .action("lambda:InvokeFunction")
        .principal("events.amazonaws.com")
        .source_arn(rule_arn)
        .send()
        .await
        .expect("AddPermission");
}

/// A recording function, permitted, behind a new rule on the default bus
/// that matches `pattern` and gives the function what `paths` and
/// `template` make of each event.
async fn record_matches(ballast: &Ballast, pattern: &str, paths: &[(&str, &str)], template: &str) {
    let (name, arn) = function(ballast, RECORDER).await;
    let mut transformer = InputTransformer::builder().input_template(template);
    for (key, path) in paths {
        transformer = transformer.input_paths_map(*key, *path);
    }
    let target = Target::builder()
        .id("record")
        .arn(&arn)
        .input_transformer(transformer.build().expect("a transformer"))
        .build()
        .expect("a target");
    let rule_arn = rule(ballast, pattern, target).await;
    permit(ballast, &name, &rule_arn).await;
}

async fn put(ballast: &Ballast, detail: &str) {
    let out = ballast
        .eventbridge()
        .put_events()
        .entries(
            PutEventsRequestEntry::builder()
                .source("shop")
                .detail_type("order")
                .detail(detail)
                .build(),
        )
        .send()
        .await
        .expect("PutEvents");
    assert_eq!(out.failed_entry_count(), 0);
}

async fn parameter(ballast: &Ballast, name: &str) -> Option<String> {
    let out = ballast.ssm().get_parameter().name(name).send().await.ok()?;
    out.parameter()?.value().map(str::to_owned)
}

#[tokio::test]
async fn a_rule_delivers_matched_events_to_a_permitted_function() {
    let ballast = Ballast::start();
    let (name, arn) = function(&ballast, RECORDER).await;
    let target = Target::builder()
        .id("record")
        .arn(&arn)
        .input_transformer(
            InputTransformer::builder()
                .input_paths_map("order", "$.detail.order")
                .input_template(
                    r#"{"parameter": "/orders/<order>", "value": "<aws.events.rule-name>"}"#,
                )
                .build()
                .expect("a transformer"),
        )
        .build()
        .expect("a target");
    let rule_arn = rule(
        &ballast,
        r#"{"source":["shop"],"detail":{"paid":[true]}}"#,
        target,
    )
    .await;
    let rule_name = rule_arn.rsplit('/').next().expect("a rule name").to_owned();

    // Without a permission for EventBridge, the function is not invoked.
    put(&ballast, r#"{"order": "early", "paid": true}"#).await;
    permit(&ballast, &name, &rule_arn).await;
    // An event the pattern does not match goes nowhere.
    put(&ballast, r#"{"order": "unpaid", "paid": false}"#).await;
    put(&ballast, r#"{"order": "42", "paid": true}"#).await;
    let value = eventually("the function to record order 42", WAIT, || async {
        parameter(&ballast, "/orders/42").await
    })
    .await;
    assert_eq!(value, rule_name);
    // Neither of the others was ever queued, so neither runs later.
    assert_eq!(parameter(&ballast, "/orders/early").await, None);
    assert_eq!(parameter(&ballast, "/orders/unpaid").await, None);
}

#[tokio::test]
async fn a_function_completes_the_lifecycle_action_auto_scaling_puts_on_the_bus() {
    let ballast = Ballast::start_with(&["--time-scale", "0.05"]);
    let (name, arn) = function(&ballast, COMPLETER).await;
    let pattern =
        r#"{"source":["aws.autoscaling"],"detail-type":["EC2 Instance-launch Lifecycle Action"]}"#;
    let target = Target::builder()
        .id("complete")
        .arn(&arn)
        .build()
        .expect("a target");
    let rule_arn = rule(&ballast, pattern, target).await;
    permit(&ballast, &name, &rule_arn).await;
    // And the outcomes of the launch and of the termination asked for
    // later, to another function.
    let outcome = [
        ("instance", "$.detail.EC2InstanceId"),
        ("kind", "$['detail-type']"),
    ];
    record_matches(
        &ballast,
        r#"{"source":["aws.autoscaling"],"detail-type":["EC2 Instance Launch Successful"]}"#,
        &outcome,
        r#"{"parameter": "/launched/<instance>", "value": "<kind>"}"#,
    )
    .await;
    record_matches(
        &ballast,
        r#"{"source":["aws.autoscaling"],"detail-type":[{"prefix":"EC2 Instance Terminate"}]}"#,
        &outcome,
        r#"{"parameter": "/terminated/<instance>", "value": "<kind>"}"#,
    )
    .await;

    let (asg, ec2) = (ballast.autoscaling(), ballast.ec2());
    let template = al2023_template(&ec2).await;
    let group = unique("healed");
    asg.create_auto_scaling_group()
        .auto_scaling_group_name(&group)
        .launch_template(
            LaunchTemplateSpecification::builder()
                .launch_template_name(&template)
                .build(),
        )
        .min_size(0)
        .max_size(1)
        .availability_zones("us-east-1a")
        .send()
        .await
        .expect("CreateAutoScalingGroup");
    // No notification target: the action goes to EventBridge, as on AWS.
    // An hour's heartbeat, so only the function can let the instance in.
    asg.put_lifecycle_hook()
        .auto_scaling_group_name(&group)
        .lifecycle_hook_name("attach")
        .lifecycle_transition("autoscaling:EC2_INSTANCE_LAUNCHING")
        .heartbeat_timeout(3600)
        .send()
        .await
        .expect("PutLifecycleHook");
    asg.set_desired_capacity()
        .auto_scaling_group_name(&group)
        .desired_capacity(1)
        .send()
        .await
        .expect("SetDesiredCapacity");

    let instance = eventually("the instance in service", WAIT, || async {
        let out = asg
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(&group)
            .send()
            .await
            .ok()?;
        let member = out
            .auto_scaling_groups()
            .first()?
            .instances()
            .first()?
            .clone();
        (member.lifecycle_state() == Some(&LifecycleState::InService))
            .then(|| member.instance_id().map(str::to_owned))
            .flatten()
    })
    .await;
    // The function notes the action after completing it.
    let noted = eventually("the function's note", WAIT, || async {
        parameter(&ballast, &format!("/heal/{instance}")).await
    })
    .await;
    assert_eq!(noted, "EC2 Instance-launch Lifecycle Action");
    let launched = eventually("the launch's outcome event", WAIT, || async {
        parameter(&ballast, &format!("/launched/{instance}")).await
    })
    .await;
    assert_eq!(launched, "EC2 Instance Launch Successful");

    // A termination the user asks for ends in its own outcome event.
    asg.terminate_instance_in_auto_scaling_group()
        .instance_id(&instance)
        .should_decrement_desired_capacity(true)
        .send()
        .await
        .expect("TerminateInstanceInAutoScalingGroup");
    let terminated = eventually("the termination's outcome event", WAIT, || async {
        parameter(&ballast, &format!("/terminated/{instance}")).await
    })
    .await;
    assert_eq!(terminated, "EC2 Instance Terminate Successful");
}

#[tokio::test]
async fn every_state_an_instance_enters_is_a_state_change_notification() {
    let ballast = Ballast::start_with(&["--time-scale", "0.05"]);
    record_matches(
        &ballast,
        r#"{"source":["aws.ec2"],"detail-type":["EC2 Instance State-change Notification"]}"#,
        &[
            ("instance", "$.detail.instance-id"),
            ("state", "$.detail.state"),
            ("arn", "$.resources[0]"),
        ],
        r#"{"parameter": "/ec2/<instance>/<state>", "value": "<arn>"}"#,
    )
    .await;
    let ec2 = ballast.ec2();
    let instance = ec2
        .run_instances()
        .image_id(AL2023)
        .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .expect("RunInstances")
        .instances()
        .first()
        .and_then(|i| i.instance_id())
        .expect("an instance id")
        .to_owned();
    let arn = format!("arn:aws:ec2:us-east-1:000000000000:instance/{instance}");
    for state in ["pending", "running"] {
        let value = eventually(&format!("the {state} notification"), WAIT, || async {
            parameter(&ballast, &format!("/ec2/{instance}/{state}")).await
        })
        .await;
        assert_eq!(value, arn);
    }
    ec2.terminate_instances()
        .instance_ids(&instance)
        .send()
        .await
        .expect("TerminateInstances");
    for state in ["shutting-down", "terminated"] {
        eventually(&format!("the {state} notification"), WAIT, || async {
            parameter(&ballast, &format!("/ec2/{instance}/{state}")).await
        })
        .await;
    }
}

#[tokio::test]
async fn a_scheduled_rule_sends_its_targets_a_scheduled_event() {
    // rate(1 minute) at this scale fires every 1.2 s.
    let ballast = Ballast::start_with(&["--time-scale", "0.02"]);
    let (name, arn) = function(&ballast, RECORDER).await;
    let (rule_name, rule_arn) =
        put_rule(&ballast, |rule| rule.schedule_expression("rate(1 minute)")).await;
    permit(&ballast, &name, &rule_arn).await;
    let target = Target::builder()
        .id("record")
        .arn(&arn)
        .input_transformer(
            InputTransformer::builder()
                .input_paths_map("kind", "$['detail-type']")
                .input_paths_map("rule", "$.resources[0]")
                .input_template(r#"{"parameter": "/tick", "value": "<kind> from <rule>"}"#)
                .build()
                .expect("a transformer"),
        )
        .build()
        .expect("a target");
    add_target(&ballast, &rule_name, target).await;
    let value = eventually("the rule to fire", WAIT, || async {
        parameter(&ballast, "/tick").await
    })
    .await;
    assert_eq!(value, format!("Scheduled Event from {rule_arn}"));
}
