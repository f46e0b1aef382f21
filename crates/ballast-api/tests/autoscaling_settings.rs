//! Auto Scaling groups' tags after creation, metrics collection and
//! scheduled actions, in process: what DescribeTags,
//! DescribeAutoScalingGroups and DescribeScheduledActions show after each
//! call, AWS's errors (with the store unchanged), and authorization per
//! group.

// Integration tests unwrap freely; the product code may not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::{Api, Call, Reply};

fn autoscaling(action: &str, params: &[(&str, &str)]) -> Call {
    Call::query("autoscaling", action, params)
}

async fn groups(api: &Api, names: &[&str]) {
    api.root(Call::query(
        "ec2",
        "CreateLaunchTemplate",
        &[
            ("LaunchTemplateName", "web"),
            ("LaunchTemplateData.ImageId", "ami-0ba11a5700a023086"),
            ("LaunchTemplateData.InstanceType", "t3.micro"),
        ],
    ))
    .await
    .ok();
    for name in names {
        api.root(autoscaling(
            "CreateAutoScalingGroup",
            &[
                ("AutoScalingGroupName", name),
                ("LaunchTemplate.LaunchTemplateName", "web"),
                ("MinSize", "0"),
                ("MaxSize", "2"),
                ("AvailabilityZones.member.1", "us-east-1a"),
                ("Tags.member.1.Key", "env"),
                ("Tags.member.1.Value", "dev"),
            ],
        ))
        .await
        .ok();
    }
}

/// The text of the first `<tag>` in a `<member>` of a reply, or "".
fn field(member: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    member
        .find(&open)
        .map(|i| {
            let rest = &member[i + open.len()..];
            rest[..rest.find('<').unwrap_or(rest.len())].to_owned()
        })
        .unwrap_or_default()
}

/// `(group, key, value, propagate)` for each tag DescribeTags lists.
fn listed(reply: &Reply) -> Vec<(String, String, String, String)> {
    reply
        .body
        .split("<member>")
        .skip(1)
        .map(|m| {
            (
                field(m, "ResourceId"),
                field(m, "Key"),
                field(m, "Value"),
                field(m, "PropagateAtLaunch"),
            )
        })
        .collect()
}

fn row(group: &str, key: &str, value: &str, propagate: bool) -> (String, String, String, String) {
    (
        group.into(),
        key.into(),
        value.into(),
        propagate.to_string(),
    )
}

fn tag<'a>(n: usize, group: &'a str, key: &'a str, value: &'a str) -> Vec<(String, &'a str)> {
    vec![
        (format!("Tags.member.{n}.ResourceId"), group),
        (
            format!("Tags.member.{n}.ResourceType"),
            "auto-scaling-group",
        ),
        (format!("Tags.member.{n}.Key"), key),
        (format!("Tags.member.{n}.Value"), value),
        (format!("Tags.member.{n}.PropagateAtLaunch"), "true"),
    ]
}

fn tag_call(action: &str, tags: &[Vec<(String, &str)>]) -> Call {
    let params: Vec<(String, &str)> = tags.iter().flatten().cloned().collect();
    let borrowed: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    autoscaling(action, &borrowed)
}

async fn describe_tags(
    api: &Api,
    params: &[(&str, &str)],
) -> Vec<(String, String, String, String)> {
    listed(&api.root(autoscaling("DescribeTags", params)).await.ok())
}

#[tokio::test]
async fn tags_are_set_replaced_listed_and_deleted() {
    let api = Api::new();
    groups(&api, &["api", "web"]).await;
    api.root(tag_call(
        "CreateOrUpdateTags",
        &[
            tag(1, "web", "team", "platform"),
            tag(2, "web", "env", "prod"),
            tag(3, "api", "team", "core"),
        ],
    ))
    .await
    .ok();
    assert_eq!(
        describe_tags(&api, &[]).await,
        [
            row("api", "env", "dev", false),
            row("api", "team", "core", true),
            row("web", "env", "prod", true),
            row("web", "team", "platform", true),
        ]
    );
    assert_eq!(
        describe_tags(
            &api,
            &[
                ("Filters.member.1.Name", "key"),
                ("Filters.member.1.Values.member.1", "team"),
                ("Filters.member.2.Name", "auto-scaling-group"),
                ("Filters.member.2.Values.member.1", "web"),
            ]
        )
        .await,
        [row("web", "team", "platform", true)]
    );
    let page = api
        .root(autoscaling("DescribeTags", &[("MaxRecords", "3")]))
        .await
        .ok();
    assert_eq!(listed(&page).len(), 3);
    let token = page.xml("NextToken").expect("a second page");
    assert_eq!(
        describe_tags(&api, &[("NextToken", &token)]).await,
        [row("web", "team", "platform", true)]
    );
    let group = api
        .root(autoscaling(
            "DescribeAutoScalingGroups",
            &[("AutoScalingGroupNames.member.1", "web")],
        ))
        .await
        .ok();
    assert!(
        group.body.contains("<Value>platform</Value>"),
        "{}",
        group.body
    );

    api.root(tag_call(
        "DeleteTags",
        &[tag(1, "web", "team", ""), tag(2, "web", "absent", "")],
    ))
    .await
    .ok();
    assert_eq!(
        describe_tags(
            &api,
            &[
                ("Filters.member.1.Name", "auto-scaling-group"),
                ("Filters.member.1.Values.member.1", "web")
            ]
        )
        .await,
        [row("web", "env", "prod", true)]
    );
}

#[tokio::test]
async fn refused_tag_calls_change_nothing() {
    let api = Api::new();
    groups(&api, &["web"]).await;
    let before = describe_tags(&api, &[]).await;

    // One group that does not exist refuses the whole call.
    let refused = api
        .root(tag_call(
            "CreateOrUpdateTags",
            &[tag(1, "web", "team", "a"), tag(2, "nope", "team", "b")],
        ))
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    refused.assert_code("ValidationError");
    assert!(
        refused.body.contains("AutoScalingGroup name not found"),
        "{}",
        refused.body
    );

    let mut wrong_type = tag(1, "web", "team", "a");
    wrong_type[1].1 = "instance";
    api.root(tag_call("CreateOrUpdateTags", &[wrong_type]))
        .await
        .assert_code("ValidationError");

    let keys: Vec<String> = (0..50).map(|i| format!("k{i}")).collect();
    let many: Vec<Vec<(String, &str)>> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| tag(i + 1, "web", k, "v"))
        .collect();
    api.root(tag_call("CreateOrUpdateTags", &many))
        .await
        .assert_code("LimitExceeded");

    let refused = api
        .root(autoscaling(
            "DescribeTags",
            &[
                ("Filters.member.1.Name", "tag-key"),
                ("Filters.member.1.Values.member.1", "x"),
            ],
        ))
        .await;
    refused.assert_code("ValidationError");
    assert!(
        refused.body.contains("Filter type tag-key is not correct"),
        "{}",
        refused.body
    );
    assert_eq!(describe_tags(&api, &[]).await, before);
}

fn enabled_metrics(reply: &Reply) -> Vec<String> {
    let Some(start) = reply.body.find("<EnabledMetrics>") else {
        return Vec::new();
    };
    let end = reply.body[start..].find("</EnabledMetrics>").unwrap() + start;
    reply.body[start..end]
        .split("<Metric>")
        .skip(1)
        .map(|m| m[..m.find('<').unwrap()].to_owned())
        .collect()
}

#[tokio::test]
async fn metrics_collection_is_enabled_disabled_and_shown() {
    let api = Api::new();
    groups(&api, &["web"]).await;
    let describe = || {
        autoscaling(
            "DescribeAutoScalingGroups",
            &[("AutoScalingGroupNames.member.1", "web")],
        )
    };
    assert!(enabled_metrics(&api.root(describe()).await.ok()).is_empty());

    api.root(autoscaling(
        "EnableMetricsCollection",
        &[
            ("AutoScalingGroupName", "web"),
            ("Granularity", "1Minute"),
            ("Metrics.member.1", "GroupTotalInstances"),
            ("Metrics.member.2", "GroupMinSize"),
        ],
    ))
    .await
    .ok();
    let shown = api.root(describe()).await.ok();
    assert_eq!(
        enabled_metrics(&shown),
        ["GroupMinSize", "GroupTotalInstances"]
    );
    assert!(
        shown.body.contains("<Granularity>1Minute</Granularity>"),
        "{}",
        shown.body
    );

    api.root(autoscaling(
        "EnableMetricsCollection",
        &[("AutoScalingGroupName", "web"), ("Granularity", "1Minute")],
    ))
    .await
    .ok();
    assert_eq!(
        enabled_metrics(&api.root(describe()).await.ok()).len(),
        20,
        "no metrics named: all of them"
    );
    api.root(autoscaling(
        "DisableMetricsCollection",
        &[
            ("AutoScalingGroupName", "web"),
            ("Metrics.member.1", "GroupMinSize"),
        ],
    ))
    .await
    .ok();
    assert_eq!(enabled_metrics(&api.root(describe()).await.ok()).len(), 19);
    api.root(autoscaling(
        "DisableMetricsCollection",
        &[("AutoScalingGroupName", "web")],
    ))
    .await
    .ok();
    assert!(enabled_metrics(&api.root(describe()).await.ok()).is_empty());

    for (params, says) in [
        (
            vec![("AutoScalingGroupName", "web"), ("Granularity", "5Minute")],
            "1Minute",
        ),
        (
            vec![
                ("AutoScalingGroupName", "web"),
                ("Granularity", "1Minute"),
                ("Metrics.member.1", "CPUUtilization"),
            ],
            "Invalid metrics: CPUUtilization",
        ),
        (
            vec![("AutoScalingGroupName", "nope"), ("Granularity", "1Minute")],
            "AutoScalingGroup name not found",
        ),
    ] {
        let refused = api
            .root(autoscaling("EnableMetricsCollection", &params))
            .await;
        refused.assert_code("ValidationError");
        assert!(refused.body.contains(says), "{says}: {}", refused.body);
    }
    assert!(enabled_metrics(&api.root(describe()).await.ok()).is_empty());

    let types = api
        .root(autoscaling("DescribeMetricCollectionTypes", &[]))
        .await
        .ok();
    assert_eq!(types.body.matches("<Metric>").count(), 20, "{}", types.body);
    assert!(types.body.contains("<Granularity>1Minute</Granularity>"));
}

#[tokio::test]
async fn tag_calls_are_decided_on_each_group_they_name() {
    let api = Api::new();
    groups(&api, &["api", "web"]).await;
    api.root(tag_call(
        "CreateOrUpdateTags",
        &[tag(1, "api", "env", "prod")],
    ))
    .await
    .ok();
    // May tag dev groups only.
    let role = api
        .session(
            "tagger",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["autoscaling:CreateOrUpdateTags","autoscaling:EnableMetricsCollection"],"Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/env":"dev"}}}]}"#,
        )
        .await;
    api.call(
        &role,
        tag_call("CreateOrUpdateTags", &[tag(1, "web", "team", "a")]),
    )
    .await
    .ok();
    let refused = api
        .call(
            &role,
            tag_call(
                "CreateOrUpdateTags",
                &[tag(1, "web", "team", "b"), tag(2, "api", "team", "b")],
            ),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    refused.assert_code("AccessDenied");
    assert!(
        refused.body.contains("autoScalingGroupName/api"),
        "{}",
        refused.body
    );
    let refused = api
        .call(
            &role,
            autoscaling(
                "EnableMetricsCollection",
                &[("AutoScalingGroupName", "api"), ("Granularity", "1Minute")],
            ),
        )
        .await;
    refused.assert_code("AccessDenied");
    assert_eq!(
        describe_tags(
            &api,
            &[
                ("Filters.member.1.Name", "key"),
                ("Filters.member.1.Values.member.1", "team")
            ]
        )
        .await,
        [row("web", "team", "a", true)]
    );
}

/// `(group, action, StartTime)` for each action DescribeScheduledActions
/// lists.
async fn scheduled(
    api: &Api,
    params: &[(&str, &str)],
) -> (Vec<(String, String, String)>, Option<String>) {
    let reply = api
        .root(autoscaling("DescribeScheduledActions", params))
        .await
        .ok();
    let rows = reply
        .body
        .split("<member>")
        .skip(1)
        .map(|m| {
            (
                field(m, "AutoScalingGroupName"),
                field(m, "ScheduledActionName"),
                field(m, "StartTime"),
            )
        })
        .collect();
    (rows, reply.xml("NextToken"))
}

fn put_action(group: &str, name: &str, start: &str) -> Call {
    autoscaling(
        "PutScheduledUpdateGroupAction",
        &[
            ("AutoScalingGroupName", group),
            ("ScheduledActionName", name),
            ("StartTime", start),
            ("DesiredCapacity", "1"),
        ],
    )
}

#[tokio::test]
async fn scheduled_actions_page_filter_and_refuse_without_changing_anything() {
    let api = Api::new();
    groups(&api, &["api", "web"]).await;
    for (group, name, start) in [
        ("web", "b", "2099-01-03T00:00:00Z"),
        ("web", "a", "2099-01-01T00:00:00Z"),
        ("api", "c", "2099-01-02T00:00:00Z"),
    ] {
        api.root(put_action(group, name, start)).await.ok();
    }
    let row = |g: &str, n: &str, day: u8| {
        (
            g.to_owned(),
            n.to_owned(),
            format!("2099-01-{day:02}T00:00:00.000Z"),
        )
    };
    let (first, token) = scheduled(&api, &[("MaxRecords", "2")]).await;
    assert_eq!(first, [row("api", "c", 2), row("web", "a", 1)]);
    let token = token.expect("a second page");
    let (rest, none) = scheduled(&api, &[("MaxRecords", "2"), ("NextToken", &token)]).await;
    assert_eq!((rest, none), (vec![row("web", "b", 3)], None));
    // The time filters take the next run; names override them.
    let (between, _) = scheduled(
        &api,
        &[
            ("StartTime", "2099-01-02T00:00:00Z"),
            ("EndTime", "2099-01-02T12:00:00Z"),
        ],
    )
    .await;
    assert_eq!(between, [row("api", "c", 2)]);
    let (named, _) = scheduled(
        &api,
        &[
            ("AutoScalingGroupName", "web"),
            ("ScheduledActionNames.member.1", "b"),
            ("StartTime", "2099-01-02T00:00:00Z"),
            ("EndTime", "2099-01-02T12:00:00Z"),
        ],
    )
    .await;
    assert_eq!(named, [row("web", "b", 3)]);

    for refused in [
        put_action("web", "late", "2000-01-01T00:00:00Z"),
        put_action("nope", "x", "2099-01-01T00:00:00Z"),
        autoscaling(
            "PutScheduledUpdateGroupAction",
            &[
                ("AutoScalingGroupName", "web"),
                ("ScheduledActionName", "a"),
                ("Recurrence", "61 * * * *"),
            ],
        ),
        autoscaling(
            "PutScheduledUpdateGroupAction",
            &[
                ("AutoScalingGroupName", "web"),
                ("ScheduledActionName", "a"),
                ("Time", "2099-01-01T00:00:00Z"),
                ("StartTime", "2099-02-01T00:00:00Z"),
            ],
        ),
        autoscaling(
            "DeleteScheduledAction",
            &[
                ("AutoScalingGroupName", "web"),
                ("ScheduledActionName", "zz"),
            ],
        ),
        autoscaling("DescribeScheduledActions", &[("NextToken", "not-a-token")]),
    ] {
        let reply = api.root(refused).await;
        assert_eq!(reply.status, 400, "{}", reply.body);
        assert!(
            matches!(
                reply.code().as_deref(),
                Some("ValidationError" | "InvalidNextToken")
            ),
            "{}",
            reply.body
        );
    }
    let (all, _) = scheduled(&api, &[]).await;
    assert_eq!(
        all,
        [row("api", "c", 2), row("web", "a", 1), row("web", "b", 3)]
    );
}

#[tokio::test]
async fn scheduled_action_calls_are_decided_on_their_group() {
    let api = Api::new();
    groups(&api, &["api", "web"]).await;
    let role = api
        .session(
            "scheduler",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"autoscaling:PutScheduledUpdateGroupAction","Resource":"arn:aws:autoscaling:*:*:autoScalingGroup:*:autoScalingGroupName/web"}]}"#,
        )
        .await;
    api.call(&role, put_action("web", "a", "2099-01-01T00:00:00Z"))
        .await
        .ok();
    let refused = api
        .call(&role, put_action("api", "a", "2099-01-01T00:00:00Z"))
        .await;
    refused.assert_code("AccessDenied");
    let (all, _) = scheduled(&api, &[]).await;
    assert_eq!(all.len(), 1, "{all:?}");
}

#[tokio::test]
async fn policy_calls_are_decided_on_their_group_even_by_arn_alone() {
    let api = Api::new();
    groups(&api, &["api", "web"]).await;
    let mut arns = Vec::new();
    for group in ["api", "web"] {
        let reply = api
            .root(autoscaling(
                "PutScalingPolicy",
                &[
                    ("AutoScalingGroupName", group),
                    ("PolicyName", "out"),
                    ("AdjustmentType", "ChangeInCapacity"),
                    ("ScalingAdjustment", "1"),
                ],
            ))
            .await
            .ok();
        arns.push(reply.xml("PolicyARN").expect("its ARN"));
    }
    let role = api
        .session(
            "scaler",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["autoscaling:ExecutePolicy","autoscaling:DeletePolicy"],"Resource":"arn:aws:autoscaling:*:*:autoScalingGroup:*:autoScalingGroupName/web"}]}"#,
        )
        .await;
    let by_arn = |action: &str, arn: &str| autoscaling(action, &[("PolicyName", arn)]);
    api.call(&role, by_arn("ExecutePolicy", &arns[1]))
        .await
        .ok();
    let refused = api.call(&role, by_arn("ExecutePolicy", &arns[0])).await;
    refused.assert_code("AccessDenied");
    let refused = api.call(&role, by_arn("DeletePolicy", &arns[0])).await;
    refused.assert_code("AccessDenied");
    api.call(&role, by_arn("DeletePolicy", &arns[1])).await.ok();
    let left = api.root(autoscaling("DescribePolicies", &[])).await.ok();
    assert_eq!(
        left.body.matches("<PolicyName>").count(),
        1,
        "{}",
        left.body
    );
    let group = api
        .root(autoscaling(
            "DescribeAutoScalingGroups",
            &[("AutoScalingGroupNames.member.1", "web")],
        ))
        .await
        .ok();
    assert_eq!(group.xml("DesiredCapacity").as_deref(), Some("1"));
}
