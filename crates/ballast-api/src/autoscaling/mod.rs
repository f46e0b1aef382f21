//! EC2 Auto Scaling (awsQuery): groups, their instances, target groups and
//! traffic sources, suspended processes, lifecycle hooks, scaling
//! activities, instance refreshes, launch configurations, tags, metrics
//! collection, scheduled actions and scaling policies.
//!
//! Handlers change the group record (rules in `ballast_core::autoscaling`)
//! in one transaction and signal the controller
//! (`ballast_core::autoscaling::AutoScaling::changed`), which launches,
//! registers, drains and terminates; the API never touches an instance or a
//! target registration itself.

mod account;
mod configurations;
mod groups;
mod hooks;
mod instances;
mod policies;
mod processes;
mod refresh;
mod schedules;
mod tags;

use ballast_core::autoscaling::TemplateSpec;
use ballast_core::autoscaling::metrics::GRANULARITY;
use ballast_core::autoscaling::{self as asg, Activity, Error as Rule, Group, Member};
use ballast_core::ec2::launch_template::{self, TemplateRef};
use ballast_core::paging::{PageError, PageLimits, parse_page};
use ballast_store::Tx;
use ballast_wire::Timestamp;
use http::StatusCode;

use crate::ApiState;
use crate::dispatch::{call, call_no_output, routes};
use crate::error::{ErrorCode, HandlerError};
use ballast_model::autoscaling::*;

routes! {
    /// The Auto Scaling operations Ballast implements.
    pub enum Operation;

    /// Routes an Auto Scaling request to its handler.
    fn handle(state, ctx, request) {
        CreateAutoScalingGroup => call_no_output(ctx, request, |i| groups::create(state, i)),
        UpdateAutoScalingGroup => call_no_output(ctx, request, |i| groups::update(state, i)),
        DeleteAutoScalingGroup => call_no_output(ctx, request, |i| groups::delete(state, i)),
        DescribeAutoScalingGroups => call(ctx, request, |i| groups::describe(state, i)),
        DescribeAutoScalingInstances => {
            call(ctx, request, |i| groups::describe_instances(state, i))
        },
        SetDesiredCapacity => call_no_output(ctx, request, |i| groups::set_desired(state, i)),
        DescribeScalingActivities => call(ctx, request, |i| groups::describe_activities(state, i)),
        TerminateInstanceInAutoScalingGroup => {
            call(ctx, request, |i| instances::terminate(state, i))
        },
        SetInstanceHealth => call_no_output(ctx, request, |i| instances::set_health(state, i)),
        SetInstanceProtection => call(ctx, request, |i| instances::set_protection(state, i)),
        AttachInstances => call_no_output(ctx, request, |i| instances::attach(state, i)),
        DetachInstances => call(ctx, request, |i| instances::detach(state, i)),
        EnterStandby => call(ctx, request, |i| instances::enter_standby(state, i)),
        ExitStandby => call(ctx, request, |i| instances::exit_standby(state, i)),
        DescribeScalingProcessTypes => call(ctx, request, |_: DescribeScalingProcessTypesInput| {
            Ok::<_, Error>(processes::process_types())
        }),
        SuspendProcesses => call_no_output(ctx, request, |i| processes::suspend(state, i)),
        ResumeProcesses => call_no_output(ctx, request, |i| processes::resume(state, i)),
        AttachLoadBalancerTargetGroups => {
            call(ctx, request, |i| processes::attach_target_groups(state, i))
        },
        DetachLoadBalancerTargetGroups => {
            call(ctx, request, |i| processes::detach_target_groups(state, i))
        },
        DescribeLoadBalancerTargetGroups => call(ctx, request, |i| {
            processes::describe_target_groups(state, i)
        }),
        AttachTrafficSources => call(ctx, request, |i| processes::attach_traffic(state, i)),
        DetachTrafficSources => call(ctx, request, |i| processes::detach_traffic(state, i)),
        DescribeTrafficSources => call(ctx, request, |i| processes::describe_traffic(state, i)),
        PutLifecycleHook => call(ctx, request, |i| hooks::put(state, i)),
        DescribeLifecycleHooks => call(ctx, request, |i| hooks::describe(state, i)),
        DescribeLifecycleHookTypes => call(ctx, request, |_: DescribeLifecycleHookTypesInput| {
            Ok::<_, Error>(hooks::types())
        }),
        DeleteLifecycleHook => call(ctx, request, |i| hooks::delete(state, i)),
        CompleteLifecycleAction => call(ctx, request, |i| hooks::complete(state, i)),
        RecordLifecycleActionHeartbeat => call(ctx, request, |i| hooks::heartbeat(state, i)),
        StartInstanceRefresh => call(ctx, request, |i| refresh::start(state, i)),
        DescribeInstanceRefreshes => call(ctx, request, |i| refresh::describe(state, i)),
        CancelInstanceRefresh => call(ctx, request, |i| refresh::cancel(state, i)),
        RollbackInstanceRefresh => call(ctx, request, |i| refresh::roll_back(state, i)),
        CreateLaunchConfiguration => {
            call_no_output(ctx, request, |i| configurations::create(state, i))
        },
        DescribeLaunchConfigurations => call(ctx, request, |i| configurations::describe(state, i)),
        DeleteLaunchConfiguration => {
            call_no_output(ctx, request, |i| configurations::delete(state, i))
        },
        EnableMetricsCollection => call_no_output(ctx, request, |i| tags::enable_metrics(state, i)),
        DisableMetricsCollection => {
            call_no_output(ctx, request, |i| tags::disable_metrics(state, i))
        },
        DescribeMetricCollectionTypes => {
            call(ctx, request, |_: DescribeMetricCollectionTypesInput| {
                Ok::<_, Error>(tags::metric_collection_types())
            })
        },
        CreateOrUpdateTags => call_no_output(ctx, request, |i| tags::create_or_update(state, i)),
        DeleteTags => call_no_output(ctx, request, |i| tags::delete(state, i)),
        DescribeTags => call(ctx, request, |i| tags::describe(state, i)),
        PutScheduledUpdateGroupAction => {
            call_no_output(ctx, request, |i| schedules::put(state, i))
        },
        BatchPutScheduledUpdateGroupAction => {
            call(ctx, request, |i| schedules::batch_put(state, i))
        },
        DescribeScheduledActions => call(ctx, request, |i| schedules::describe(state, i)),
        DeleteScheduledAction => call_no_output(ctx, request, |i| schedules::delete(state, i)),
        BatchDeleteScheduledAction => call(ctx, request, |i| schedules::batch_delete(state, i)),
        PutScalingPolicy => call(ctx, request, |i| policies::put(state, i)),
        DescribePolicies => call(ctx, request, |i| policies::describe(state, i)),
        DeletePolicy => call_no_output(ctx, request, |i| policies::delete(state, i)),
        ExecutePolicy => call_no_output(ctx, request, |i| policies::execute(state, i)),
        DescribeAdjustmentTypes => call(ctx, request, |_: DescribeAdjustmentTypesInput| {
            Ok::<_, Error>(policies::adjustment_types())
        }),
        DescribeAccountLimits => call(ctx, request, |_: DescribeAccountLimitsInput| {
            account::limits(state)
        }),
        DescribeTerminationPolicyTypes => {
            call(ctx, request, |_: DescribeTerminationPolicyTypesInput| {
                Ok::<_, Error>(account::termination_policy_types())
            })
        },
        DescribeAutoScalingNotificationTypes => {
            call(ctx, request, |_: DescribeAutoScalingNotificationTypesInput| {
                Ok::<_, Error>(account::notification_types())
            })
        },
    }
}

/// A failure inside an Auto Scaling handler.
pub(crate) type Error = HandlerError<Rule>;

impl ErrorCode for Rule {
    fn code(&self) -> &'static str {
        Rule::code(self)
    }

    const SERVICE: ballast_wire::Service = ballast_wire::Service::AutoScaling;

    fn status(&self) -> StatusCode {
        StatusCode::from_u16(Rule::status(self)).unwrap_or(StatusCode::BAD_REQUEST)
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Rule::Validation(message.into()).into()
}

/// A group by name, which must exist.
fn load(tx: &Tx<'_>, name: &str) -> Result<Group, Error> {
    tx.asg_group(name)?.ok_or_else(|| {
        invalid(format!(
            "AutoScalingGroup name not found - AutoScalingGroup '{name}' not found"
        ))
    })
}

/// The group a Describe call names (which must exist), or every group.
fn named_or_all(state: &ApiState, name: Option<&str>) -> Result<Vec<Group>, Error> {
    state.store.read(|tx| match name {
        Some(name) => Ok(vec![load(tx, name)?]),
        None => Ok(tx.asg_groups()?),
    })
}

/// A group by name, which must exist and not be being deleted.
fn live(tx: &Tx<'_>, name: &str) -> Result<Group, Error> {
    let group = load(tx, name)?;
    if group.deleting {
        return Err(invalid(format!(
            "AutoScalingGroup name not found - AutoScalingGroup {name} is pending delete"
        )));
    }
    Ok(group)
}

/// Changes one group in one transaction and tells the controller.
fn change<T>(
    state: &ApiState,
    name: &str,
    f: impl FnOnce(&Tx<'_>, &mut Group) -> Result<T, Error>,
) -> Result<T, Error> {
    let out = state.store.write(|tx| -> Result<T, Error> {
        let mut group = live(tx, name)?;
        let out = f(tx, &mut group)?;
        tx.save_asg_group(&group)?;
        Ok(out)
    })?;
    state.autoscaling.changed();
    Ok(out)
}

/// A group's ARN, as AWS builds it (with a UUID).
fn group_arn(state: &ApiState, name: &str) -> String {
    new_arn(
        state,
        "autoScalingGroup",
        &format!("autoScalingGroupName/{name}"),
    )
}

/// An Auto Scaling ARN with a new UUID, as AWS builds them for groups,
/// scheduled actions and policies: `arn:aws:autoscaling:R:A:KIND:UUID:PATH`.
fn new_arn(state: &ApiState, kind: &str, path: &str) -> String {
    format!(
        "arn:aws:autoscaling:{}:{}:{kind}:{}:{path}",
        state.scope.region,
        state.scope.account,
        state.ids.request_id()
    )
}

/// The launch template a request names, which must exist with the version
/// asked for: AWS's `ValidationError` otherwise.
fn template_spec(tx: &Tx<'_>, spec: &LaunchTemplateSpecification) -> Result<TemplateSpec, Error> {
    let by = TemplateRef::optional(
        spec.launch_template_id.clone(),
        spec.launch_template_name.clone(),
        "use it",
    )
    .map_err(|_| {
        invalid("Valid requests must contain either launchTemplateId or LaunchTemplateName")
    })?
    .ok_or_else(|| {
        invalid("Valid requests must contain either launchTemplateId or LaunchTemplateName")
    })?;
    let missing = |what: &str| {
        invalid(format!(
            "You must use a valid fully-formed launch template. The specified launch template, with {what}, does not exist."
        ))
    };
    let template = tx.find_launch_template(&by)?.ok_or_else(|| match &by {
        TemplateRef::Id(id) => missing(&format!("template ID {id}")),
        TemplateRef::Name(name) => missing(&format!("template name {name}")),
    })?;
    let versions = tx.launch_template_versions(&template.id)?;
    launch_template::resolve(&template, &versions, spec.version.as_deref()).map_err(|_| {
        invalid(format!(
            "You must use a valid fully-formed launch template. The launch template version {} of template {} does not exist.",
            spec.version.as_deref().unwrap_or("$Default"),
            template.id
        ))
    })?;
    Ok(TemplateSpec {
        id: template.id,
        name: template.name,
        version: spec.version.clone(),
        configuration: None,
    })
}

/// Checks that target groups exist and take instance targets.
fn check_target_groups(tx: &Tx<'_>, arns: &[String]) -> Result<(), Error> {
    for arn in arns {
        match tx.target_group(arn)? {
            Some(group) if group.target_type == "instance" => {}
            Some(_) => {
                return Err(invalid(format!(
                    "Target group {arn} has a target type other than 'instance'; Auto Scaling groups attach only instance target groups"
                )));
            }
            None => {
                return Err(invalid(
                    "Provided Target Groups may not be valid. Please ensure they exist and try again.",
                ));
            }
        }
    }
    Ok(())
}

/// A new activity for an instance, started now.
fn activity(state: &ApiState, group: &Group, description: String, cause: String) -> Activity {
    Activity::start(
        state.ids.request_id(),
        &group.name,
        &group.arn,
        description,
        cause,
        state.now().millis(),
    )
}

/// Checks `MaxRecords` (1–`max`, default `default`) and decodes
/// `NextToken`.
fn paging(
    max_records: Option<i32>,
    next_token: Option<&str>,
    default: usize,
    max: i32,
) -> Result<(usize, Option<String>), Error> {
    let limits = PageLimits {
        min: 1,
        max: i64::from(max),
        default,
    };
    parse_page(max_records.map(i64::from), next_token, limits).map_err(|e| match e {
        PageError::Size { value, .. } => invalid(format!(
            "1 validation error detected: Value '{value}' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to {max}"
        )),
        PageError::Token(_) => Rule::InvalidNextToken("The token is not valid".to_owned()).into(),
    })
}

fn zone_id(state: &ApiState, zone: &str) -> Option<String> {
    ballast_core::network::zone_id_of(&state.scope.region, zone)
}

/// The launch template a source names; `None` for a launch
/// configuration (shown as `LaunchConfigurationName` instead).
fn template_view(spec: &TemplateSpec) -> Option<LaunchTemplateSpecification> {
    if spec.configuration.is_some() {
        return None;
    }
    Some(LaunchTemplateSpecification {
        launch_template_id: Some(spec.id.clone()),
        launch_template_name: Some(spec.name.clone()),
        version: Some(
            spec.version
                .clone()
                .unwrap_or_else(|| "$Default".to_owned()),
        ),
    })
}

/// A count the core keeps unsigned, as the model's `Integer`.
fn int(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn instance_view(state: &ApiState, m: &Member) -> Instance {
    Instance {
        instance_id: m.instance_id.clone(),
        instance_type: Some(m.instance_type.clone()),
        availability_zone: m.zone.clone(),
        availability_zone_id: zone_id(state, &m.zone),
        lifecycle_state: LifecycleState::from(m.lifecycle.name()),
        health_status: m.health.name().to_owned(),
        launch_configuration_name: m
            .launch_template
            .as_ref()
            .and_then(|t| t.configuration.clone()),
        launch_template: m.launch_template.as_ref().and_then(template_view),
        image_id: Some(m.image_id.clone()),
        protected_from_scale_in: m.protected,
        weighted_capacity: None,
    }
}

fn activity_view(a: &Activity) -> ballast_model::autoscaling::Activity {
    ballast_model::autoscaling::Activity {
        activity_id: a.id.clone(),
        auto_scaling_group_name: a.group_name.clone(),
        description: Some(a.description.clone()),
        cause: a.cause.clone(),
        start_time: Timestamp::from_millis(a.start_millis),
        end_time: a.end_millis.map(Timestamp::from_millis),
        status_code: ScalingActivityStatusCode::from(a.status.name()),
        status_message: a.status_message.clone(),
        progress: Some(a.progress),
        details: Some(a.details.clone()),
        auto_scaling_group_state: None,
        auto_scaling_group_arn: Some(a.group_arn.clone()),
    }
}

fn tag_view(group: &Group, tag: &asg::GroupTag) -> TagDescription {
    TagDescription {
        resource_id: Some(group.name.clone()),
        resource_type: Some("auto-scaling-group".to_owned()),
        key: Some(tag.key.clone()),
        value: Some(tag.value.clone()),
        propagate_at_launch: Some(tag.propagate),
    }
}

fn group_view(state: &ApiState, group: &Group) -> AutoScalingGroup {
    let target_groups: Vec<String> = group
        .target_groups
        .iter()
        .map(|a| a.target_group_arn.clone())
        .collect();
    AutoScalingGroup {
        auto_scaling_group_name: group.name.clone(),
        auto_scaling_group_arn: Some(group.arn.clone()),
        launch_configuration_name: group.launch_template.configuration.clone(),
        launch_template: template_view(&group.launch_template),
        mixed_instances_policy: None,
        min_size: int(group.min_size),
        max_size: int(group.max_size),
        desired_capacity: int(group.desired),
        predicted_capacity: None,
        default_cooldown: int(group.default_cooldown),
        availability_zones: group.zones.clone(),
        availability_zone_ids: None,
        load_balancer_names: Some(Vec::new()),
        traffic_sources: Some(
            target_groups
                .iter()
                .map(|arn| TrafficSourceIdentifier {
                    identifier: arn.clone(),
                    r#type: Some("elbv2".to_owned()),
                })
                .collect(),
        ),
        target_group_arns: Some(target_groups),
        health_check_type: group.health_check_type.clone(),
        health_check_grace_period: Some(int(group.health_check_grace_period)),
        instances: Some(
            group
                .instances
                .iter()
                .map(|m| instance_view(state, m))
                .collect(),
        ),
        created_time: Timestamp::from_millis(group.created_millis),
        suspended_processes: Some(
            group
                .suspended
                .iter()
                .map(|s| SuspendedProcess {
                    process_name: Some(s.process.clone()),
                    suspension_reason: Some(s.reason.clone()),
                })
                .collect(),
        ),
        placement_group: None,
        vpc_zone_identifier: group.vpc_zone_identifier.clone(),
        enabled_metrics: Some(
            group
                .enabled_metrics
                .iter()
                .map(|metric| EnabledMetric {
                    metric: Some(metric.clone()),
                    granularity: Some(GRANULARITY.to_owned()),
                })
                .collect(),
        ),
        status: group.status().map(str::to_owned),
        tags: Some(group.tags.iter().map(|t| tag_view(group, t)).collect()),
        termination_policies: Some(group.termination_policies.clone()),
        new_instances_protected_from_scale_in: Some(group.new_instances_protected),
        service_linked_role_arn: Some(format!(
            "arn:aws:iam::{}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
            state.scope.account
        )),
        max_instance_lifetime: group.max_instance_lifetime.map(int),
        capacity_rebalance: Some(group.capacity_rebalance),
        warm_pool_configuration: None,
        warm_pool_size: None,
        context: None,
        desired_capacity_type: None,
        default_instance_warmup: group.default_instance_warmup.map(int),
        instance_maintenance_policy: None,
        deletion_protection: None,
        availability_zone_distribution: None,
        availability_zone_impairment_policy: None,
        capacity_reservation_specification: None,
        instance_lifecycle_policy: None,
    }
}
