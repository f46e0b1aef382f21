//! EventBridge end to end with aws-sdk-rust: buses, rules and their
//! targets with every operation and its errors, PutEvents' per-entry
//! results, TestEventPattern with the pattern seed 003's rule uses, tags,
//! and rules that survive kill -9.

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::types::{
    InputTransformer, PutEventsRequestEntry, RetryPolicy, RuleState, Tag, Target,
};
use ballast_sdk_tests::{Ballast, error_code, unique};

/// Seed 003's rule: the launch lifecycle action of one Auto Scaling group.
fn lifecycle_pattern(group: &str) -> String {
    serde_json::json!({
        "source": ["aws.autoscaling"],
        "detail-type": ["EC2 Instance-launch Lifecycle Action"],
        "detail": {"AutoScalingGroupName": [group]}
    })
    .to_string()
}

/// A lifecycle event as Auto Scaling puts it on the default bus.
fn lifecycle_event(group: &str) -> String {
    serde_json::json!({
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "EC2 Instance-launch Lifecycle Action",
        "source": "aws.autoscaling",
        "account": "000000000000",
        "time": "2026-12-04T12:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "LifecycleActionToken": "87654321-4321-4321-4321-210987654321",
            "AutoScalingGroupName": group,
            "LifecycleHookName": "attach",
            "EC2InstanceId": "i-1234567890abcdef0",
            "LifecycleTransition": "autoscaling:EC2_INSTANCE_LAUNCHING"
        }
    })
    .to_string()
}

fn lambda(name: &str) -> String {
    format!("arn:aws:lambda:us-east-1:000000000000:function:{name}")
}

fn target(id: &str) -> Target {
    Target::builder()
        .id(id)
        .arn(lambda(id))
        .build()
        .expect("a target")
}

async fn test(client: &Client, pattern: &str, event: &str) -> bool {
    client
        .test_event_pattern()
        .event_pattern(pattern)
        .event(event)
        .send()
        .await
        .expect("TestEventPattern")
        .result()
}

#[tokio::test]
async fn test_event_pattern_matches_as_eventbridge_does() {
    let ballast = Ballast::start();
    let client = ballast.eventbridge();
    let pattern = lifecycle_pattern("autoheal");
    assert!(test(&client, &pattern, &lifecycle_event("autoheal")).await);
    assert!(!test(&client, &pattern, &lifecycle_event("other")).await);
    let prefix =
        r#"{"detail":{"LifecycleHookName":[{"prefix":"att"}],"EC2InstanceId":[{"exists":true}]}}"#;
    assert!(test(&client, prefix, &lifecycle_event("x")).await);
    let anything_but = r#"{"source":[{"anything-but":["aws.autoscaling"]}]}"#;
    assert!(!test(&client, anything_but, &lifecycle_event("x")).await);

    let invalid = client
        .test_event_pattern()
        .event_pattern(r#"{"source":"aws.autoscaling"}"#)
        .event(lifecycle_event("x"))
        .send()
        .await
        .expect_err("a leaf that is not an array");
    assert_eq!(error_code(&invalid), "InvalidEventPatternException");
    let no_envelope = client
        .test_event_pattern()
        .event_pattern(&pattern)
        .event(r#"{"source":"aws.autoscaling"}"#)
        .send()
        .await
        .expect_err("an event without id, time, …");
    assert_eq!(error_code(&no_envelope), "ValidationException");
}

#[tokio::test]
async fn rules_and_targets_are_put_listed_switched_and_deleted() {
    let ballast = Ballast::start();
    let client = ballast.eventbridge();
    let name = unique("heal");
    let arn = client
        .put_rule()
        .name(&name)
        .event_pattern(lifecycle_pattern("autoheal"))
        .description("attach the volume and address")
        .tags(
            Tag::builder()
                .key("seed")
                .value("003")
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("PutRule")
        .rule_arn()
        .expect("an ARN")
        .to_owned();
    assert_eq!(
        arn,
        format!("arn:aws:events:us-east-1:000000000000:rule/{name}")
    );
    let described = client
        .describe_rule()
        .name(&name)
        .send()
        .await
        .expect("DescribeRule");
    assert_eq!(described.state(), Some(&RuleState::Enabled));
    assert_eq!(described.event_bus_name(), Some("default"));
    assert_eq!(
        described.description(),
        Some("attach the volume and address")
    );

    client
        .put_targets()
        .rule(&name)
        .targets(target("attach"))
        .targets(
            Target::builder()
                .id("notify")
                .arn(lambda("notify"))
                .input_transformer(
                    InputTransformer::builder()
                        .input_paths_map("instance", "$.detail.EC2InstanceId")
                        .input_template(r#"{"id": <instance>}"#)
                        .build()
                        .expect("a transformer"),
                )
                .retry_policy(RetryPolicy::builder().maximum_retry_attempts(3).build())
                .build()
                .expect("a target"),
        )
        .send()
        .await
        .expect("PutTargets");
    let targets = client
        .list_targets_by_rule()
        .rule(&name)
        .send()
        .await
        .expect("ListTargetsByRule");
    let ids: Vec<&str> = targets.targets().iter().map(Target::id).collect();
    assert_eq!(ids, ["attach", "notify"]);
    let notify = &targets.targets()[1];
    assert_eq!(
        notify
            .input_transformer()
            .and_then(|t| t.input_paths_map())
            .and_then(|m| m.get("instance"))
            .map(String::as_str),
        Some("$.detail.EC2InstanceId")
    );
    assert_eq!(
        notify
            .retry_policy()
            .and_then(RetryPolicy::maximum_retry_attempts),
        Some(3)
    );
    let by_target = client
        .list_rule_names_by_target()
        .target_arn(lambda("attach"))
        .send()
        .await
        .expect("ListRuleNamesByTarget");
    assert_eq!(by_target.rule_names(), std::slice::from_ref(&name));

    // Switched off and on; PutRule again keeps the targets.
    client
        .disable_rule()
        .name(&name)
        .send()
        .await
        .expect("DisableRule");
    let listed = client
        .list_rules()
        .name_prefix("heal")
        .send()
        .await
        .expect("ListRules");
    assert_eq!(listed.rules().len(), 1);
    assert_eq!(listed.rules()[0].state(), Some(&RuleState::Disabled));
    client
        .enable_rule()
        .name(&name)
        .send()
        .await
        .expect("EnableRule");
    client
        .put_rule()
        .name(&name)
        .schedule_expression("rate(5 minutes)")
        .send()
        .await
        .expect("PutRule again");
    let described = client
        .describe_rule()
        .name(&name)
        .send()
        .await
        .expect("DescribeRule");
    assert_eq!(described.schedule_expression(), Some("rate(5 minutes)"));
    assert_eq!(described.event_pattern(), None);
    let still = client
        .list_targets_by_rule()
        .rule(&name)
        .send()
        .await
        .expect("ListTargetsByRule");
    assert_eq!(still.targets().len(), 2);

    // A rule with targets is not deleted until they are removed.
    let in_use = client
        .delete_rule()
        .name(&name)
        .send()
        .await
        .expect_err("targets left");
    assert_eq!(error_code(&in_use), "ValidationException");
    client
        .remove_targets()
        .rule(&name)
        .ids("attach")
        .ids("notify")
        .send()
        .await
        .expect("RemoveTargets");
    client
        .delete_rule()
        .name(&name)
        .send()
        .await
        .expect("DeleteRule");
    let gone = client
        .describe_rule()
        .name(&name)
        .send()
        .await
        .expect_err("deleted");
    assert_eq!(error_code(&gone), "ResourceNotFoundException");
    let tags = client
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .expect_err("the rule's tags went with it");
    assert_eq!(error_code(&tags), "ResourceNotFoundException");
}

#[tokio::test]
async fn rule_and_target_calls_answer_aws_errors() {
    let ballast = Ballast::start();
    let client = ballast.eventbridge();
    let neither = client
        .put_rule()
        .name("empty")
        .send()
        .await
        .expect_err("no pattern, no schedule");
    assert_eq!(error_code(&neither), "ValidationException");
    let bad_pattern = client
        .put_rule()
        .name("bad")
        .event_pattern("{}")
        .send()
        .await
        .expect_err("an empty pattern");
    assert_eq!(error_code(&bad_pattern), "InvalidEventPatternException");
    let bad_schedule = client
        .put_rule()
        .name("bad")
        .schedule_expression("every day")
        .send()
        .await
        .expect_err("not a schedule");
    assert_eq!(error_code(&bad_schedule), "ValidationException");
    let bad_name = client
        .put_rule()
        .name("no spaces")
        .event_pattern(lifecycle_pattern("x"))
        .send()
        .await
        .expect_err("a name outside the model's pattern");
    assert_eq!(error_code(&bad_name), "ValidationException");
    let no_bus = client
        .put_rule()
        .name("r")
        .event_bus_name("missing")
        .event_pattern(lifecycle_pattern("x"))
        .send()
        .await
        .expect_err("no such bus");
    assert_eq!(error_code(&no_bus), "ResourceNotFoundException");
    let no_rule = client
        .put_targets()
        .rule("missing")
        .targets(target("a"))
        .send()
        .await
        .expect_err("no such rule");
    assert_eq!(error_code(&no_rule), "ResourceNotFoundException");
    let missing_enable = client
        .enable_rule()
        .name("missing")
        .send()
        .await
        .expect_err("no such rule");
    assert_eq!(error_code(&missing_enable), "ResourceNotFoundException");
    // Deleting what is not there succeeds, as on AWS.
    client
        .delete_rule()
        .name("missing")
        .send()
        .await
        .expect("DeleteRule of nothing");

    client
        .put_rule()
        .name("full")
        .event_pattern(lifecycle_pattern("x"))
        .send()
        .await
        .expect("PutRule");
    let mut six = client.put_targets().rule("full");
    for i in 0..6 {
        six = six.targets(target(&format!("t{i}")));
    }
    let too_many = six.send().await.expect_err("six targets");
    assert_eq!(error_code(&too_many), "LimitExceededException");
    let both_inputs = client
        .put_targets()
        .rule("full")
        .targets(
            Target::builder()
                .id("both")
                .arn(lambda("both"))
                .input("{}")
                .input_path("$.detail")
                .build()
                .expect("a target"),
        )
        .send()
        .await
        .expect_err("Input and InputPath");
    assert_eq!(error_code(&both_inputs), "ValidationException");
    let bad_limit = client
        .list_rules()
        .limit(0)
        .send()
        .await
        .expect_err("a zero limit");
    assert_eq!(error_code(&bad_limit), "ValidationException");
    let empty = client
        .list_targets_by_rule()
        .rule("full")
        .send()
        .await
        .expect("ListTargetsByRule");
    assert!(
        empty.targets().is_empty(),
        "refused requests changed nothing"
    );
}

#[tokio::test]
async fn buses_put_events_and_tags() {
    let ballast = Ballast::start();
    let client = ballast.eventbridge();
    let created = client
        .create_event_bus()
        .name("orders")
        .description("the shop's events")
        .tags(
            Tag::builder()
                .key("team")
                .value("shop")
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("CreateEventBus");
    let bus_arn = created.event_bus_arn().expect("an ARN").to_owned();
    assert_eq!(
        bus_arn,
        "arn:aws:events:us-east-1:000000000000:event-bus/orders"
    );
    let again = client
        .create_event_bus()
        .name("orders")
        .send()
        .await
        .expect_err("exists");
    assert_eq!(error_code(&again), "ResourceAlreadyExistsException");
    let default = client
        .create_event_bus()
        .name("default")
        .send()
        .await
        .expect_err("default exists");
    assert_eq!(error_code(&default), "ResourceAlreadyExistsException");
    let described = client
        .describe_event_bus()
        .name(&bus_arn)
        .send()
        .await
        .expect("DescribeEventBus by ARN");
    assert_eq!(described.name(), Some("orders"));
    assert_eq!(described.description(), Some("the shop's events"));
    let buses = client
        .list_event_buses()
        .send()
        .await
        .expect("ListEventBuses");
    let names: Vec<&str> = buses
        .event_buses()
        .iter()
        .filter_map(|b| b.name())
        .collect();
    assert_eq!(names, ["default", "orders"]);

    // A rule on the custom bus has the bus in its ARN.
    let rule_arn = client
        .put_rule()
        .name("placed")
        .event_bus_name("orders")
        .event_pattern(r#"{"source":["shop"],"detail":{"total":[{"numeric":[">",100]}]}}"#)
        .send()
        .await
        .expect("PutRule on orders")
        .rule_arn()
        .expect("an ARN")
        .to_owned();
    assert_eq!(
        rule_arn,
        "arn:aws:events:us-east-1:000000000000:rule/orders/placed"
    );
    let on_default = client
        .list_rules()
        .send()
        .await
        .expect("ListRules on default");
    assert!(on_default.rules().is_empty());
    let scheduled = client
        .put_rule()
        .name("tick")
        .event_bus_name("orders")
        .schedule_expression("rate(1 hour)")
        .send()
        .await
        .expect_err("schedules only on default");
    assert_eq!(error_code(&scheduled), "ValidationException");

    // Entries succeed or fail one by one.
    let entry = |source: &str, detail: &str, bus: &str| {
        PutEventsRequestEntry::builder()
            .source(source)
            .detail_type("Order Placed")
            .detail(detail)
            .event_bus_name(bus)
            .build()
    };
    let put = client
        .put_events()
        .entries(entry("shop", r#"{"total":150}"#, "orders"))
        .entries(entry("aws.ec2", "{}", "default"))
        .entries(entry("shop", "[1,2]", "default"))
        .entries(entry("shop", "{}", "missing"))
        .send()
        .await
        .expect("PutEvents");
    assert_eq!(put.failed_entry_count(), 3);
    let results = put.entries();
    assert!(results[0].event_id().is_some_and(|id| id.len() == 36));
    assert_eq!(
        results[1].error_code(),
        Some("NotAuthorizedForSourceException")
    );
    assert_eq!(results[2].error_code(), Some("InvalidArgument"));
    assert_eq!(results[3].error_code(), Some("ResourceNotFoundException"));
    let none = client.put_events().send().await.expect_err("no entries");
    assert_eq!(error_code(&none), "ValidationException");

    // Tags on buses and rules.
    client
        .tag_resource()
        .resource_arn(&rule_arn)
        .tags(
            Tag::builder()
                .key("env")
                .value("test")
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("TagResource");
    let tags = client
        .list_tags_for_resource()
        .resource_arn(&bus_arn)
        .send()
        .await
        .expect("the bus's tags");
    assert_eq!(tags.tags().len(), 1);
    assert_eq!(tags.tags()[0].key(), "team");
    client
        .untag_resource()
        .resource_arn(&rule_arn)
        .tag_keys("env")
        .send()
        .await
        .expect("UntagResource");
    let tags = client
        .list_tags_for_resource()
        .resource_arn(&rule_arn)
        .send()
        .await
        .expect("the rule's tags");
    assert!(tags.tags().is_empty());
    let unknown = client
        .tag_resource()
        .resource_arn("arn:aws:events:us-east-1:000000000000:rule/missing")
        .tags(Tag::builder().key("k").value("v").build().expect("tag"))
        .send()
        .await
        .expect_err("no such rule");
    assert_eq!(error_code(&unknown), "ResourceNotFoundException");

    // Deleting a bus takes its rules; the default bus stays.
    let keep = client
        .delete_event_bus()
        .name("default")
        .send()
        .await
        .expect_err("the default bus");
    assert_eq!(error_code(&keep), "ValidationException");
    client
        .delete_event_bus()
        .name("orders")
        .send()
        .await
        .expect("DeleteEventBus");
    let gone = client
        .describe_rule()
        .name("placed")
        .event_bus_name("orders")
        .send()
        .await
        .expect_err("the bus is gone");
    assert_eq!(error_code(&gone), "ResourceNotFoundException");
}

#[tokio::test]
async fn rules_survive_kill_9() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut ballast = Ballast::start_in(dir.path(), &[]);
    let client = ballast.eventbridge();
    client
        .create_event_bus()
        .name("orders")
        .send()
        .await
        .expect("CreateEventBus");
    client
        .put_rule()
        .name("heal")
        .event_pattern(lifecycle_pattern("autoheal"))
        .state(RuleState::Disabled)
        .send()
        .await
        .expect("PutRule");
    client
        .put_targets()
        .rule("heal")
        .targets(target("attach"))
        .send()
        .await
        .expect("PutTargets");
    ballast.kill9();

    let ballast = Ballast::start_in(dir.path(), &[]);
    let client = ballast.eventbridge();
    let rule = client
        .describe_rule()
        .name("heal")
        .send()
        .await
        .expect("DescribeRule after kill -9");
    assert_eq!(rule.state(), Some(&RuleState::Disabled));
    let targets = client
        .list_targets_by_rule()
        .rule("heal")
        .send()
        .await
        .expect("ListTargetsByRule");
    assert_eq!(targets.targets().len(), 1);
    client
        .describe_event_bus()
        .name("orders")
        .send()
        .await
        .expect("the bus after kill -9");
}
