//! Auto Scaling's scheduled actions through aws-sdk-rust: a one-time
//! action really resizes the group when its time comes (instances launch,
//! with the cause AWS writes), a recurring one waits for its cron in its
//! zone, updates keep what they leave out, the batch calls report each
//! failure in its entry, and what was acknowledged survives `kill -9`.

use std::time::{Duration, SystemTime};

use aws_sdk_autoscaling::Client;
use aws_sdk_autoscaling::primitives::DateTime;
use aws_sdk_autoscaling::types::{LaunchTemplateSpecification, ScheduledUpdateGroupActionRequest};
use ballast_sdk_tests::fixtures::{al2023_template, group_in_service};
use ballast_sdk_tests::{Ballast, error_code, eventually, unique};

const WAIT: Duration = Duration::from_secs(30);

fn in_seconds(seconds: u64) -> DateTime {
    DateTime::from(SystemTime::now() + Duration::from_secs(seconds))
}

async fn group_with_template(ballast: &Ballast) -> String {
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
        .max_size(3)
        .desired_capacity(0)
        .availability_zones("us-east-1a")
        .availability_zones("us-east-1b")
        .send()
        .await
        .expect("CreateAutoScalingGroup");
    name
}

async fn action_names(asg: &Client, group: &str) -> Vec<String> {
    asg.describe_scheduled_actions()
        .auto_scaling_group_name(group)
        .send()
        .await
        .expect("DescribeScheduledActions")
        .scheduled_update_group_actions()
        .iter()
        .filter_map(|a| a.scheduled_action_name().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_action_resizes_the_group_when_its_time_comes() {
    let ballast = Ballast::start_with(&["--time-scale", "0.05"]);
    let asg = ballast.autoscaling();
    let name = group_with_template(&ballast).await;

    asg.put_scheduled_update_group_action()
        .auto_scaling_group_name(&name)
        .scheduled_action_name("morning")
        .start_time(in_seconds(3))
        .min_size(1)
        .desired_capacity(2)
        .send()
        .await
        .expect("PutScheduledUpdateGroupAction (one time)");
    asg.put_scheduled_update_group_action()
        .auto_scaling_group_name(&name)
        .scheduled_action_name("weeknights")
        .recurrence("0 22 * * 1-5")
        .time_zone("Europe/Paris")
        .min_size(0)
        .max_size(3)
        .desired_capacity(0)
        .send()
        .await
        .expect("PutScheduledUpdateGroupAction (recurring)");
    let described = asg
        .describe_scheduled_actions()
        .auto_scaling_group_name(&name)
        .scheduled_action_names("weeknights")
        .send()
        .await
        .expect("DescribeScheduledActions");
    let [nightly] = described.scheduled_update_group_actions() else {
        panic!("one action: {described:?}");
    };
    assert_eq!(nightly.recurrence(), Some("0 22 * * 1-5"));
    assert_eq!(nightly.time_zone(), Some("Europe/Paris"));
    let start = nightly.start_time().expect("the next run, as StartTime");
    assert!(start.secs() > DateTime::from(SystemTime::now()).secs());
    assert_eq!(nightly.time(), Some(start));
    // 22:00 in Paris is 21:00 or 20:00 UTC.
    assert!(
        matches!(start.secs() % 86_400, 75_600 | 72_000),
        "{start:?}"
    );
    let arn = nightly.scheduled_action_arn().unwrap_or_default();
    assert!(
        arn.contains(":scheduledUpdateGroupAction:")
            && arn.ends_with(&format!(
                "autoScalingGroupName/{name}:scheduledActionName/weeknights"
            )),
        "{arn}"
    );

    // The one-time action runs: two instances, and the action is gone.
    eventually("two instances InService", WAIT, || async {
        let (g, in_service) = group_in_service(&asg, &name).await;
        (in_service == 2 && g.min_size() == Some(1) && g.desired_capacity() == Some(2))
            .then_some(())
    })
    .await;
    assert_eq!(action_names(&asg, &name).await, ["weeknights"]);
    let activities = asg
        .describe_scaling_activities()
        .auto_scaling_group_name(&name)
        .send()
        .await
        .expect("DescribeScalingActivities");
    assert_eq!(activities.activities().len(), 2, "{activities:?}");
    for activity in activities.activities() {
        let cause = activity.cause().unwrap_or_default();
        assert!(
            cause.contains(
                "a scheduled action update of AutoScalingGroup constraints to min: 1, max: 3, desired: 2 changing the desired capacity from 0 to 2.  At "
            ),
            "{cause}"
        );
    }

    // An update keeps what it leaves out.
    asg.put_scheduled_update_group_action()
        .auto_scaling_group_name(&name)
        .scheduled_action_name("weeknights")
        .max_size(2)
        .send()
        .await
        .expect("update");
    let updated = asg
        .describe_scheduled_actions()
        .auto_scaling_group_name(&name)
        .send()
        .await
        .expect("DescribeScheduledActions");
    let updated = &updated.scheduled_update_group_actions()[0];
    assert_eq!(
        (
            updated.max_size(),
            updated.desired_capacity(),
            updated.recurrence()
        ),
        (Some(2), Some(0), Some("0 22 * * 1-5"))
    );
    assert_eq!(updated.scheduled_action_arn(), Some(arn));

    asg.delete_scheduled_action()
        .auto_scaling_group_name(&name)
        .scheduled_action_name("weeknights")
        .send()
        .await
        .expect("DeleteScheduledAction");
    assert!(action_names(&asg, &name).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_report_each_failure_and_bad_requests_are_refused() {
    let dir = tempfile::tempdir().expect("data dir");
    let mut first = Ballast::start_in(dir.path(), &[]);
    let name = group_with_template(&first).await;

    let request = |action: &str, start: DateTime| {
        ScheduledUpdateGroupActionRequest::builder()
            .scheduled_action_name(action)
            .start_time(start)
            .desired_capacity(1)
            .build()
    };
    let past = DateTime::from_secs(DateTime::from(SystemTime::now()).secs() - 3600);
    let put = first
        .autoscaling()
        .batch_put_scheduled_update_group_action()
        .auto_scaling_group_name(&name)
        .scheduled_update_group_actions(request("later", in_seconds(3600)))
        .scheduled_update_group_actions(request("before", past))
        .send()
        .await
        .expect("BatchPutScheduledUpdateGroupAction");
    let [failed] = put.failed_scheduled_update_group_actions() else {
        panic!("one failure: {put:?}");
    };
    assert_eq!(failed.scheduled_action_name(), Some("before"));
    assert_eq!(failed.error_code(), Some("ValidationError"));
    assert_eq!(
        failed.error_message(),
        Some("Given start time is in the past")
    );

    // An acknowledged action survives a crash.
    first.kill9();
    let ballast = Ballast::start_in(dir.path(), &[]);
    let asg = ballast.autoscaling();
    assert_eq!(action_names(&asg, &name).await, ["later"]);

    let deleted = asg
        .batch_delete_scheduled_action()
        .auto_scaling_group_name(&name)
        .scheduled_action_names("later")
        .scheduled_action_names("never-was")
        .send()
        .await
        .expect("BatchDeleteScheduledAction");
    let [missing] = deleted.failed_scheduled_actions() else {
        panic!("one failure: {deleted:?}");
    };
    assert_eq!(missing.scheduled_action_name(), Some("never-was"));
    assert_eq!(missing.error_code(), Some("ValidationError"));
    assert!(action_names(&asg, &name).await.is_empty());

    let put = |action: &str| {
        asg.put_scheduled_update_group_action()
            .auto_scaling_group_name(&name)
            .scheduled_action_name(action)
    };
    let refusals = [
        (
            "in the past",
            put("a").start_time(past).desired_capacity(1).send().await,
        ),
        ("no sizes", put("a").start_time(in_seconds(60)).send().await),
        ("no time", put("a").desired_capacity(1).send().await),
        (
            "bad cron",
            put("a")
                .recurrence("0 9 * *")
                .desired_capacity(1)
                .send()
                .await,
        ),
        (
            "bad zone",
            put("a")
                .recurrence("0 9 * * *")
                .time_zone("Nowhere/Special")
                .desired_capacity(1)
                .send()
                .await,
        ),
        (
            "min over max",
            put("a")
                .start_time(in_seconds(60))
                .min_size(3)
                .max_size(1)
                .send()
                .await,
        ),
        (
            "no such group",
            asg.put_scheduled_update_group_action()
                .auto_scaling_group_name("no-such-group")
                .scheduled_action_name("a")
                .start_time(in_seconds(60))
                .desired_capacity(1)
                .send()
                .await,
        ),
    ];
    for (why, result) in refusals {
        let error = result.expect_err(why);
        assert_eq!(error_code(&error), "ValidationError", "{why}");
    }
    let missing = asg
        .delete_scheduled_action()
        .auto_scaling_group_name(&name)
        .scheduled_action_name("never-was")
        .send()
        .await
        .expect_err("no such action");
    assert_eq!(error_code(&missing), "ValidationError");
    let too_many = asg
        .describe_scheduled_actions()
        .max_records(101)
        .send()
        .await
        .expect_err("at most 100 records");
    assert_eq!(error_code(&too_many), "ValidationError");
    assert!(
        action_names(&asg, &name).await.is_empty(),
        "refusals changed nothing"
    );
}
