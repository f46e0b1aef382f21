use super::*;

const NOW: i64 = 1_704_067_200_000; // 2024-01-01T00:00:00Z

fn create(schedule: &str, duration: i32, cutoff: i32) -> Result<Window, Error> {
    CreateRequest {
        name: "patching".to_owned(),
        schedule: schedule.to_owned(),
        duration,
        cutoff,
        ..CreateRequest::default()
    }
    .apply("mw-0123456789abcdef0".to_owned(), NOW)
}

fn target(key: &str, values: &[&str]) -> Target {
    Target {
        key: key.to_owned(),
        values: values.iter().map(|v| (*v).to_owned()).collect(),
    }
}

fn task(task_type: TaskType, targets: Vec<Target>) -> WindowTask {
    WindowTask {
        window_id: "mw-0123456789abcdef0".to_owned(),
        id: "11111111-2222-4333-a444-555555555555".to_owned(),
        task_arn: "AWS-RunShellScript".to_owned(),
        task_type,
        targets,
        service_role_arn: None,
        task_parameters: None,
        invocation_parameters: None,
        priority: DEFAULT_PRIORITY,
        max_concurrency: Some("1".to_owned()),
        max_errors: Some("0".to_owned()),
        logging_info: None,
        name: None,
        description: None,
        cutoff_behavior: CutoffBehavior::default(),
        alarm_configuration: None,
    }
}

#[test]
fn a_new_window_is_enabled_and_knows_its_next_run() {
    let window = create("cron(0 2 ? * SUN *)", 4, 1).unwrap();
    assert!(window.enabled);
    assert_eq!(
        window.next_execution_time(NOW).as_deref(),
        Some("2024-01-07T02:00Z")
    );
    let start = window.next_execution(NOW).unwrap();
    assert_eq!(window.ends_at(start) - start, 4 * 3_600_000);
    assert_eq!(window.cutoff_at(start) - start, 3 * 3_600_000);
}

#[test]
fn cutoff_must_be_less_than_duration() {
    assert!(create("rate(1 day)", 2, 2).is_err());
    assert!(create("rate(1 day)", 2, 3).is_err());
    assert!(create("rate(1 day)", 1, 0).is_ok());
}

#[test]
fn bad_schedules_are_validation_errors() {
    let err = create("cron(0 2 * * SUN *)", 2, 1).unwrap_err();
    assert!(matches!(err, Error::Validation(_)), "{err:?}");
    assert!(create("weekly", 2, 1).is_err());
}

#[test]
fn a_disabled_window_has_no_next_run() {
    let window = create("rate(1 hour)", 2, 1).unwrap();
    let disabled = UpdateRequest {
        enabled: Some(false),
        ..UpdateRequest::default()
    }
    .apply(&window, NOW + 10)
    .unwrap();
    assert_eq!(disabled.next_execution(NOW), None);
    assert_eq!(disabled.next_execution_time(NOW), None);
    // Enabling again starts the count afresh.
    let enabled = UpdateRequest {
        enabled: Some(true),
        ..UpdateRequest::default()
    }
    .apply(&disabled, NOW + 20)
    .unwrap();
    assert_eq!(enabled.next_execution(NOW + 20), Some(NOW + 20 + 3_600_000));
}

#[test]
fn updates_keep_what_they_do_not_name_unless_replacing() {
    let mut request = CreateRequest {
        name: "patching".to_owned(),
        description: Some("weekly".to_owned()),
        schedule: "rate(1 day)".to_owned(),
        schedule_timezone: Some("Europe/Berlin".to_owned()),
        duration: 3,
        cutoff: 1,
        ..CreateRequest::default()
    };
    request.start_date = Some("2024-02-01T00:00:00Z".to_owned());
    let window = request
        .apply("mw-0123456789abcdef0".to_owned(), NOW)
        .unwrap();
    let renamed = UpdateRequest {
        name: Some("renamed".to_owned()),
        ..UpdateRequest::default()
    }
    .apply(&window, NOW + 1)
    .unwrap();
    assert_eq!(renamed.name, "renamed");
    assert_eq!(renamed.description.as_deref(), Some("weekly"));
    assert_eq!(renamed.schedule_timezone.as_deref(), Some("Europe/Berlin"));
    assert_eq!(renamed.modified_millis, NOW + 1);
    // Renaming does not restart the schedule.
    assert_eq!(renamed.schedule_since_millis, NOW);
    // An empty StartDate clears it.
    let cleared = UpdateRequest {
        start_date: Some(String::new()),
        ..UpdateRequest::default()
    }
    .apply(&window, NOW + 1)
    .unwrap();
    assert_eq!(cleared.start_date, None);
    assert_eq!(cleared.schedule_since_millis, NOW + 1);
    // Replace needs every member CreateMaintenanceWindow needs …
    let err = UpdateRequest {
        name: Some("x-y-z".to_owned()),
        replace: true,
        ..UpdateRequest::default()
    }
    .apply(&window, NOW + 1)
    .unwrap_err();
    assert!(matches!(err, Error::Validation(m) if m.contains("Schedule")));
    // … and clears the optional ones it does not name.
    let replaced = UpdateRequest {
        name: Some("x-y-z".to_owned()),
        schedule: Some("rate(2 days)".to_owned()),
        duration: Some(5),
        cutoff: Some(0),
        allow_unassociated_targets: Some(true),
        replace: true,
        ..UpdateRequest::default()
    }
    .apply(&window, NOW + 1)
    .unwrap();
    assert_eq!(replaced.description, None);
    assert_eq!(replaced.schedule_timezone, None);
    assert_eq!(replaced.start_date, None);
    assert!(replaced.allow_unassociated_targets);
    // An update is checked as a creation is.
    assert!(
        UpdateRequest {
            cutoff: Some(3),
            ..UpdateRequest::default()
        }
        .apply(&window, NOW + 1)
        .is_err()
    );
}

#[test]
fn window_targets() {
    assert!(
        check_window_targets(
            "INSTANCE",
            &[target("InstanceIds", &["i-0123456789abcdef0"])]
        )
        .is_ok()
    );
    assert!(check_window_targets("INSTANCE", &[target("tag:Role", &["web"])]).is_ok());
    assert!(check_window_targets("INSTANCE", &[target("tag-key", &["Role"])]).is_ok());
    for bad in [
        vec![],
        vec![target("InstanceIds", &[])],
        vec![target("InstanceIds", &["vol-0123"])],
        vec![target("tag:", &["web"])],
        vec![target("Color", &["blue"])],
        vec![target("resource-groups:Name", &["group"])],
    ] {
        assert!(check_window_targets("INSTANCE", &bad).is_err(), "{bad:?}");
    }
    assert!(check_window_targets("RESOURCE_GROUP", &[target("tag:Role", &["web"])]).is_err());
}

#[test]
fn task_types() {
    assert_eq!(TaskType::parse("AUTOMATION"), Ok(TaskType::Automation));
    assert!(matches!(
        TaskType::parse("LAMBDA"),
        Err(Error::FeatureNotAvailable(_))
    ));
    assert!(matches!(
        TaskType::parse("STEP_FUNCTIONS"),
        Err(Error::FeatureNotAvailable(_))
    ));
    assert!(matches!(
        TaskType::parse("BATCH"),
        Err(Error::Validation(_))
    ));
}

#[test]
fn task_rules() {
    let mut window = create("rate(1 day)", 2, 1).unwrap();
    let registered = vec!["aaaaaaaa-2222-4333-a444-555555555555".to_owned()];
    let context = |w: &Window| -> (Window, Vec<String>) { (w.clone(), registered.clone()) };
    let check = |t: &mut WindowTask, members: InvocationMembers, w: &Window| {
        let (w, ids) = context(w);
        t.check(
            members,
            TaskContext {
                window: &w,
                window_target_ids: &ids,
            },
        )
    };
    let by_window_target = vec![target("WindowTargetIds", &[&registered[0]])];
    let run = InvocationMembers {
        run_command: true,
        ..InvocationMembers::default()
    };
    assert!(
        check(
            &mut task(TaskType::RunCommand, by_window_target.clone()),
            run,
            &window
        )
        .is_ok()
    );
    // Invocation parameters must match the type.
    assert!(
        check(
            &mut task(TaskType::Automation, by_window_target.clone()),
            run,
            &window
        )
        .is_err()
    );
    // An unknown window target does not exist.
    let err = check(
        &mut task(
            TaskType::RunCommand,
            vec![target(
                "WindowTargetIds",
                &["bbbbbbbb-2222-4333-a444-555555555555"],
            )],
        ),
        run,
        &window,
    )
    .unwrap_err();
    assert!(matches!(err, Error::DoesNotExist(_)));
    // Instances named directly need AllowUnassociatedTargets.
    let direct = vec![target("InstanceIds", &["i-0123456789abcdef0"])];
    assert!(
        check(
            &mut task(TaskType::RunCommand, direct.clone()),
            run,
            &window
        )
        .is_err()
    );
    window.allow_unassociated_targets = true;
    assert!(
        check(
            &mut task(TaskType::RunCommand, direct.clone()),
            run,
            &window
        )
        .is_ok()
    );
    // Rate controls are required with targets …
    let mut paced = task(TaskType::RunCommand, direct);
    paced.max_errors = None;
    assert!(check(&mut paced, run, &window).is_err());
    // … and a placeholder without.
    let mut targetless = task(TaskType::Automation, vec![]);
    targetless.max_concurrency = None;
    targetless.max_errors = None;
    check(&mut targetless, InvocationMembers::default(), &window).unwrap();
    assert_eq!(
        targetless.max_concurrency.as_deref(),
        Some(TARGETLESS_PLACEHOLDER)
    );
    // Run Command needs targets.
    assert!(check(&mut task(TaskType::RunCommand, vec![]), run, &window).is_err());
    // A service role is a role's ARN.
    let mut roled = task(TaskType::Automation, vec![]);
    roled.service_role_arn = Some("my-role".to_owned());
    assert!(check(&mut roled, InvocationMembers::default(), &window).is_err());
    roled.service_role_arn = Some("arn:aws:iam::123456789012:role/Maintenance".to_owned());
    assert!(check(&mut roled, InvocationMembers::default(), &window).is_ok());
}

#[test]
fn window_ids_and_arns() {
    let id = new_window_id(&Ids::seeded(4));
    assert!(id.starts_with("mw-") && id.len() == 20);
    assert_eq!(
        arn("us-east-1", "000000000000", &id),
        format!("arn:aws:ssm:us-east-1:000000000000:maintenancewindow/{id}")
    );
}
