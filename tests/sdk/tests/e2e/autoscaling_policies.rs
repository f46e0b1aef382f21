//! Auto Scaling's scaling policies through aws-sdk-rust: simple and step
//! policies run by ExecutePolicy really resize the group (instances
//! launch, with AWS's cause), within its bounds and cooldown; target
//! tracking policies are kept as given; refusals are AWS's.

use std::time::Duration;

use aws_sdk_autoscaling::Client;
use aws_sdk_autoscaling::types::{
    LaunchTemplateSpecification, MetricType, PredefinedMetricSpecification, StepAdjustment,
    TargetTrackingConfiguration,
};
use ballast_sdk_tests::fixtures::{al2023_template, group_in_service};
use ballast_sdk_tests::{Ballast, error_code, eventually, unique};

const WAIT: Duration = Duration::from_secs(30);

async fn group(ballast: &Ballast) -> String {
    let lt = al2023_template(&ballast.ec2()).await;
    let name = unique("asg");
    ballast
        .autoscaling()
        .create_auto_scaling_group()
        .auto_scaling_group_name(&name)
        .launch_template(
            LaunchTemplateSpecification::builder()
                .launch_template_name(lt)
                .build(),
        )
        .min_size(0)
        .max_size(6)
        .desired_capacity(0)
        .availability_zones("us-east-1a")
        .send()
        .await
        .expect("CreateAutoScalingGroup");
    name
}

async fn desired(asg: &Client, name: &str) -> i32 {
    asg.describe_auto_scaling_groups()
        .auto_scaling_group_names(name)
        .send()
        .await
        .expect("DescribeAutoScalingGroups")
        .auto_scaling_groups()[0]
        .desired_capacity()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policies_resize_the_group_when_executed() {
    let ballast = Ballast::start_with(&["--time-scale", "0.05"]);
    let asg = ballast.autoscaling();
    let name = group(&ballast).await;

    let types = asg
        .describe_adjustment_types()
        .send()
        .await
        .expect("DescribeAdjustmentTypes");
    let types: Vec<&str> = types
        .adjustment_types()
        .iter()
        .filter_map(|t| t.adjustment_type())
        .collect();
    assert_eq!(
        types,
        [
            "ChangeInCapacity",
            "ExactCapacity",
            "PercentChangeInCapacity"
        ]
    );

    let out = asg
        .put_scaling_policy()
        .auto_scaling_group_name(&name)
        .policy_name("out")
        .adjustment_type("ChangeInCapacity")
        .scaling_adjustment(2)
        .cooldown(600)
        .send()
        .await
        .expect("PutScalingPolicy (simple)");
    let arn = out.policy_arn().unwrap_or_default().to_owned();
    assert!(
        arn.contains(":scalingPolicy:")
            && arn.ends_with(&format!("autoScalingGroupName/{name}:policyName/out")),
        "{arn}"
    );
    asg.put_scaling_policy()
        .auto_scaling_group_name(&name)
        .policy_name("steps")
        .policy_type("StepScaling")
        .adjustment_type("ChangeInCapacity")
        .step_adjustments(
            StepAdjustment::builder()
                .metric_interval_lower_bound(0.0)
                .metric_interval_upper_bound(20.0)
                .scaling_adjustment(1)
                .build(),
        )
        .step_adjustments(
            StepAdjustment::builder()
                .metric_interval_lower_bound(20.0)
                .scaling_adjustment(3)
                .build(),
        )
        .send()
        .await
        .expect("PutScalingPolicy (step)");
    asg.put_scaling_policy()
        .auto_scaling_group_name(&name)
        .policy_name("cpu")
        .policy_type("TargetTrackingScaling")
        .target_tracking_configuration(
            TargetTrackingConfiguration::builder()
                .predefined_metric_specification(
                    PredefinedMetricSpecification::builder()
                        .predefined_metric_type(MetricType::AsgAverageCpuUtilization)
                        .build(),
                )
                .target_value(50.0)
                .build(),
        )
        .send()
        .await
        .expect("PutScalingPolicy (target tracking)");

    let described = asg
        .describe_policies()
        .auto_scaling_group_name(&name)
        .send()
        .await
        .expect("DescribePolicies");
    let names: Vec<&str> = described
        .scaling_policies()
        .iter()
        .filter_map(|p| p.policy_name())
        .collect();
    assert_eq!(names, ["cpu", "out", "steps"]);
    let tracking = asg
        .describe_policies()
        .policy_types("TargetTrackingScaling")
        .send()
        .await
        .expect("DescribePolicies by type");
    let [cpu] = tracking.scaling_policies() else {
        panic!("one policy: {tracking:?}");
    };
    let config = cpu
        .target_tracking_configuration()
        .expect("its configuration");
    assert_eq!(config.target_value(), Some(50.0));
    let by_arn = asg
        .describe_policies()
        .policy_names(&arn)
        .send()
        .await
        .expect("DescribePolicies by ARN");
    let [simple] = by_arn.scaling_policies() else {
        panic!("one policy: {by_arn:?}");
    };
    assert_eq!(
        (
            simple.scaling_adjustment(),
            simple.cooldown(),
            simple.enabled()
        ),
        (Some(2), Some(600), Some(true))
    );

    // ExecutePolicy: two instances launch, with the policy in their cause.
    asg.execute_policy()
        .auto_scaling_group_name(&name)
        .policy_name("out")
        .send()
        .await
        .expect("ExecutePolicy");
    eventually("two instances InService", WAIT, || async {
        let (_, up) = group_in_service(&asg, &name).await;
        (up == 2).then_some(())
    })
    .await;
    let activities = asg
        .describe_scaling_activities()
        .auto_scaling_group_name(&name)
        .send()
        .await
        .expect("DescribeScalingActivities");
    assert_eq!(activities.activities().len(), 2);
    for activity in activities.activities() {
        let cause = activity.cause().unwrap_or_default();
        assert!(
            cause.contains(
                "a user request executed policy out changing the desired capacity from 0 to 2.  At "
            ),
            "{cause}"
        );
    }

    // Within the policy's cooldown, honouring it is refused.
    let cooling = asg
        .execute_policy()
        .auto_scaling_group_name(&name)
        .policy_name("out")
        .honor_cooldown(true)
        .send()
        .await
        .expect_err("in cooldown");
    assert_eq!(error_code(&cooling), "ScalingActivityInProgress");
    // A step policy takes the step holding the metric's distance from
    // the threshold: 5 is in [0, 20), so one more.
    asg.execute_policy()
        .auto_scaling_group_name(&name)
        .policy_name("steps")
        .metric_value(55.0)
        .breach_threshold(50.0)
        .send()
        .await
        .expect("ExecutePolicy (step)");
    assert_eq!(desired(&asg, &name).await, 3);

    for (why, result) in [
        (
            "no metric for a step policy",
            asg.execute_policy()
                .auto_scaling_group_name(&name)
                .policy_name("steps")
                .send()
                .await,
        ),
        (
            "target tracking is not executed",
            asg.execute_policy()
                .auto_scaling_group_name(&name)
                .policy_name("cpu")
                .send()
                .await,
        ),
        (
            "no such policy",
            asg.execute_policy()
                .auto_scaling_group_name(&name)
                .policy_name("none")
                .send()
                .await,
        ),
    ] {
        let error = result.expect_err(why);
        assert_eq!(error_code(&error), "ValidationError", "{why}");
    }
    assert_eq!(desired(&asg, &name).await, 3, "refusals change nothing");

    asg.delete_policy()
        .policy_name(&arn)
        .send()
        .await
        .expect("DeletePolicy by ARN");
    let missing = asg
        .delete_policy()
        .auto_scaling_group_name(&name)
        .policy_name("out")
        .send()
        .await
        .expect_err("already deleted");
    assert_eq!(error_code(&missing), "ValidationError");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_policies_are_refused_and_change_nothing() {
    let ballast = Ballast::start();
    let asg = ballast.autoscaling();
    let name = group(&ballast).await;
    let put = |policy: &str| {
        asg.put_scaling_policy()
            .auto_scaling_group_name(&name)
            .policy_name(policy)
    };
    let no_increment = put("a")
        .adjustment_type("ChangeInCapacity")
        .send()
        .await
        .expect_err("a simple policy needs its increment");
    assert_eq!(error_code(&no_increment), "ValidationError");
    assert_eq!(
        no_increment
            .as_service_error()
            .and_then(|e| e.meta().message()),
        Some("Scaling increment must be specified for a SimpleScaling policy")
    );
    let refusals = [
        (
            "no adjustment type",
            put("a").scaling_adjustment(1).send().await,
        ),
        (
            "unknown adjustment type",
            put("a")
                .adjustment_type("Doubling")
                .scaling_adjustment(1)
                .send()
                .await,
        ),
        (
            "a step policy without steps",
            put("a")
                .policy_type("StepScaling")
                .adjustment_type("ChangeInCapacity")
                .send()
                .await,
        ),
        (
            "a bounded top step",
            put("a")
                .policy_type("StepScaling")
                .adjustment_type("ChangeInCapacity")
                .step_adjustments(
                    StepAdjustment::builder()
                        .metric_interval_lower_bound(0.0)
                        .metric_interval_upper_bound(10.0)
                        .scaling_adjustment(1)
                        .build(),
                )
                .send()
                .await,
        ),
        (
            "target tracking without its configuration",
            put("a").policy_type("TargetTrackingScaling").send().await,
        ),
        (
            "no such group",
            asg.put_scaling_policy()
                .auto_scaling_group_name("no-such-group")
                .policy_name("a")
                .adjustment_type("ChangeInCapacity")
                .scaling_adjustment(1)
                .send()
                .await,
        ),
    ];
    for (why, result) in refusals {
        let error = result.expect_err(why);
        assert_eq!(error_code(&error), "ValidationError", "{why}");
    }
    let listed = asg
        .describe_policies()
        .send()
        .await
        .expect("DescribePolicies");
    assert!(listed.scaling_policies().is_empty(), "{listed:?}");
    let too_many = asg
        .describe_policies()
        .max_records(101)
        .send()
        .await
        .expect_err("at most 100");
    assert_eq!(error_code(&too_many), "ValidationError");
}
