//! Auto Scaling inputs and outputs, named as in the autoscaling 2011-01-01
//! model. Members whose names are not plain PascalCase (`TargetGroupARNs`,
//! `VPCZoneIdentifier`, …) are renamed one by one.

use ballast_wire::Timestamp;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

// ------------------------------------------------------------------ shapes

/// `LaunchTemplateSpecification`.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplateSpecification {
    pub launch_template_id: Option<String>,
    pub launch_template_name: Option<String>,
    pub version: Option<String>,
}

/// `Tag` (requests) and `TagDescription` (responses).
#[skip_serializing_none]
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub resource_id: Option<String>,
    pub resource_type: Option<String>,
    #[serde(default)]
    pub key: String,
    pub value: Option<String>,
    pub propagate_at_launch: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Filter {
    pub name: Option<String>,
    pub values: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleHookSpecification {
    pub lifecycle_hook_name: String,
    pub lifecycle_transition: String,
    pub notification_metadata: Option<String>,
    pub heartbeat_timeout: Option<i32>,
    pub default_result: Option<String>,
    #[serde(rename = "NotificationTargetARN")]
    pub notification_target_arn: Option<String>,
    #[serde(rename = "RoleARN")]
    pub role_arn: Option<String>,
}

/// `TrafficSourceIdentifier`.
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TrafficSourceIdentifier {
    pub identifier: String,
    pub r#type: Option<String>,
}

/// An instance of a group, as DescribeAutoScalingGroups shows it.
#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Instance {
    pub instance_id: String,
    pub instance_type: String,
    pub availability_zone: String,
    pub availability_zone_id: Option<String>,
    pub lifecycle_state: String,
    pub health_status: String,
    pub launch_template: Option<LaunchTemplateSpecification>,
    pub image_id: Option<String>,
    pub protected_from_scale_in: bool,
}

/// `AutoScalingInstanceDetails`.
#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AutoScalingInstanceDetails {
    pub instance_id: String,
    pub instance_type: String,
    pub auto_scaling_group_name: String,
    pub availability_zone: String,
    pub availability_zone_id: Option<String>,
    pub lifecycle_state: String,
    pub health_status: String,
    pub launch_template: Option<LaunchTemplateSpecification>,
    pub image_id: Option<String>,
    pub protected_from_scale_in: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SuspendedProcess {
    pub process_name: String,
    pub suspension_reason: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessType {
    pub process_name: String,
}

/// A group, as DescribeAutoScalingGroups shows it.
#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AutoScalingGroup {
    pub auto_scaling_group_name: String,
    #[serde(rename = "AutoScalingGroupARN")]
    pub auto_scaling_group_arn: String,
    pub launch_template: Option<LaunchTemplateSpecification>,
    pub min_size: u32,
    pub max_size: u32,
    pub desired_capacity: u32,
    pub default_cooldown: u32,
    pub availability_zones: Vec<String>,
    pub load_balancer_names: Vec<String>,
    #[serde(rename = "TargetGroupARNs")]
    pub target_group_arns: Vec<String>,
    pub health_check_type: String,
    pub health_check_grace_period: u32,
    pub instances: Vec<Instance>,
    pub created_time: Timestamp,
    pub suspended_processes: Vec<SuspendedProcess>,
    #[serde(rename = "VPCZoneIdentifier")]
    pub vpc_zone_identifier: Option<String>,
    pub enabled_metrics: Vec<String>,
    pub status: Option<String>,
    pub tags: Vec<Tag>,
    pub termination_policies: Vec<String>,
    pub new_instances_protected_from_scale_in: bool,
    #[serde(rename = "ServiceLinkedRoleARN")]
    pub service_linked_role_arn: String,
    pub max_instance_lifetime: Option<u32>,
    pub capacity_rebalance: bool,
    pub default_instance_warmup: Option<u32>,
    pub traffic_sources: Vec<TrafficSourceIdentifier>,
}

/// A scaling activity.
#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Activity {
    pub activity_id: String,
    pub auto_scaling_group_name: String,
    pub description: String,
    pub cause: String,
    pub start_time: Timestamp,
    pub end_time: Option<Timestamp>,
    pub status_code: String,
    pub status_message: Option<String>,
    pub progress: i32,
    pub details: String,
    #[serde(rename = "AutoScalingGroupARN")]
    pub auto_scaling_group_arn: String,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleHook {
    pub lifecycle_hook_name: String,
    pub auto_scaling_group_name: String,
    pub lifecycle_transition: String,
    #[serde(rename = "NotificationTargetARN")]
    pub notification_target_arn: Option<String>,
    #[serde(rename = "RoleARN")]
    pub role_arn: Option<String>,
    pub notification_metadata: Option<String>,
    pub heartbeat_timeout: u32,
    pub global_timeout: u64,
    pub default_result: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoadBalancerTargetGroupState {
    #[serde(rename = "LoadBalancerTargetGroupARN")]
    pub load_balancer_target_group_arn: String,
    pub state: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TrafficSourceState {
    pub traffic_source: String,
    pub state: String,
    pub identifier: String,
    pub r#type: String,
}

/// `RefreshPreferences`.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RefreshPreferences {
    pub min_healthy_percentage: Option<i32>,
    pub max_healthy_percentage: Option<i32>,
    pub instance_warmup: Option<i32>,
    pub checkpoint_percentages: Option<Vec<i32>>,
    pub checkpoint_delay: Option<i32>,
    pub skip_matching: Option<bool>,
    pub auto_rollback: Option<bool>,
    pub scale_in_protected_instances: Option<String>,
    pub standby_instances: Option<String>,
}

/// `DesiredConfiguration`.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DesiredConfiguration {
    pub launch_template: Option<LaunchTemplateSpecification>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LivePoolProgress {
    pub percentage_complete: u32,
    pub instances_to_update: u32,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProgressDetails {
    pub live_pool_progress: LivePoolProgress,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceRefresh {
    pub instance_refresh_id: String,
    pub auto_scaling_group_name: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub start_time: Timestamp,
    pub end_time: Option<Timestamp>,
    pub percentage_complete: u32,
    pub instances_to_update: u32,
    pub progress_details: ProgressDetails,
    pub preferences: RefreshPreferences,
    pub desired_configuration: Option<DesiredConfiguration>,
    pub strategy: String,
}

// ------------------------------------------------------------------ groups

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateAutoScalingGroupInput {
    pub auto_scaling_group_name: String,
    pub launch_configuration_name: Option<String>,
    pub launch_template: Option<LaunchTemplateSpecification>,
    pub instance_id: Option<String>,
    pub min_size: i32,
    pub max_size: i32,
    pub desired_capacity: Option<i32>,
    pub default_cooldown: Option<i32>,
    pub availability_zones: Option<Vec<String>>,
    pub load_balancer_names: Option<Vec<String>>,
    #[serde(rename = "TargetGroupARNs")]
    pub target_group_arns: Option<Vec<String>>,
    pub health_check_type: Option<String>,
    pub health_check_grace_period: Option<i32>,
    #[serde(rename = "VPCZoneIdentifier")]
    pub vpc_zone_identifier: Option<String>,
    pub termination_policies: Option<Vec<String>>,
    pub new_instances_protected_from_scale_in: Option<bool>,
    pub capacity_rebalance: Option<bool>,
    pub lifecycle_hook_specification_list: Option<Vec<LifecycleHookSpecification>>,
    pub tags: Option<Vec<Tag>>,
    pub max_instance_lifetime: Option<i32>,
    pub default_instance_warmup: Option<i32>,
    pub traffic_sources: Option<Vec<TrafficSourceIdentifier>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateAutoScalingGroupInput {
    pub auto_scaling_group_name: String,
    pub launch_configuration_name: Option<String>,
    pub launch_template: Option<LaunchTemplateSpecification>,
    pub min_size: Option<i32>,
    pub max_size: Option<i32>,
    pub desired_capacity: Option<i32>,
    pub default_cooldown: Option<i32>,
    pub availability_zones: Option<Vec<String>>,
    pub health_check_type: Option<String>,
    pub health_check_grace_period: Option<i32>,
    #[serde(rename = "VPCZoneIdentifier")]
    pub vpc_zone_identifier: Option<String>,
    pub termination_policies: Option<Vec<String>>,
    pub new_instances_protected_from_scale_in: Option<bool>,
    pub max_instance_lifetime: Option<i32>,
    pub capacity_rebalance: Option<bool>,
    pub default_instance_warmup: Option<i32>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteAutoScalingGroupInput {
    pub auto_scaling_group_name: String,
    pub force_delete: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeAutoScalingGroupsInput {
    pub auto_scaling_group_names: Option<Vec<String>>,
    pub include_instances: Option<bool>,
    pub next_token: Option<String>,
    pub max_records: Option<i32>,
    pub filters: Option<Vec<Filter>>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeAutoScalingGroupsOutput {
    pub auto_scaling_groups: Vec<AutoScalingGroup>,
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeAutoScalingInstancesInput {
    pub instance_ids: Option<Vec<String>>,
    pub max_records: Option<i32>,
    pub next_token: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeAutoScalingInstancesOutput {
    pub auto_scaling_instances: Vec<AutoScalingInstanceDetails>,
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetDesiredCapacityInput {
    pub auto_scaling_group_name: String,
    pub desired_capacity: i32,
    pub honor_cooldown: Option<bool>,
}

// ------------------------------------------------------------- instances

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TerminateInstanceInAutoScalingGroupInput {
    pub instance_id: String,
    pub should_decrement_desired_capacity: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ActivityOutput {
    pub activity: Activity,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ActivitiesOutput {
    pub activities: Vec<Activity>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetInstanceHealthInput {
    pub instance_id: String,
    pub health_status: String,
    pub should_respect_grace_period: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetInstanceProtectionInput {
    pub instance_ids: Vec<String>,
    pub auto_scaling_group_name: String,
    pub protected_from_scale_in: bool,
}

#[derive(Debug, Serialize)]
pub struct Empty {}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttachInstancesInput {
    pub instance_ids: Option<Vec<String>>,
    pub auto_scaling_group_name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DetachInstancesInput {
    pub instance_ids: Option<Vec<String>>,
    pub auto_scaling_group_name: String,
    pub should_decrement_desired_capacity: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnterStandbyInput {
    pub instance_ids: Option<Vec<String>>,
    pub auto_scaling_group_name: String,
    pub should_decrement_desired_capacity: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExitStandbyInput {
    pub instance_ids: Option<Vec<String>>,
    pub auto_scaling_group_name: String,
}

// ------------------------------------------------------------- processes

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScalingProcessQuery {
    pub auto_scaling_group_name: String,
    pub scaling_processes: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
pub struct NoInput {}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessesOutput {
    pub processes: Vec<ProcessType>,
}

// ---------------------------------------------------------- target groups

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetGroupsInput {
    pub auto_scaling_group_name: String,
    #[serde(rename = "TargetGroupARNs")]
    pub target_group_arns: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeLoadBalancerTargetGroupsInput {
    pub auto_scaling_group_name: String,
    pub next_token: Option<String>,
    pub max_records: Option<i32>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeLoadBalancerTargetGroupsOutput {
    pub load_balancer_target_groups: Vec<LoadBalancerTargetGroupState>,
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TrafficSourcesInput {
    pub auto_scaling_group_name: String,
    pub traffic_sources: Vec<TrafficSourceIdentifier>,
    pub skip_zonal_shift_validation: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeTrafficSourcesInput {
    pub auto_scaling_group_name: String,
    pub traffic_source_type: Option<String>,
    pub next_token: Option<String>,
    pub max_records: Option<i32>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeTrafficSourcesOutput {
    pub traffic_sources: Vec<TrafficSourceState>,
    pub next_token: Option<String>,
}

// ------------------------------------------------------------- activities

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeScalingActivitiesInput {
    pub activity_ids: Option<Vec<String>>,
    pub auto_scaling_group_name: Option<String>,
    pub include_deleted_groups: Option<bool>,
    pub max_records: Option<i32>,
    pub next_token: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeScalingActivitiesOutput {
    pub activities: Vec<Activity>,
    pub next_token: Option<String>,
}

// ------------------------------------------------------------------ hooks

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutLifecycleHookInput {
    pub lifecycle_hook_name: String,
    pub auto_scaling_group_name: String,
    pub lifecycle_transition: Option<String>,
    #[serde(rename = "RoleARN")]
    pub role_arn: Option<String>,
    #[serde(rename = "NotificationTargetARN")]
    pub notification_target_arn: Option<String>,
    pub notification_metadata: Option<String>,
    pub heartbeat_timeout: Option<i32>,
    pub default_result: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeLifecycleHooksInput {
    pub auto_scaling_group_name: String,
    pub lifecycle_hook_names: Option<Vec<String>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeLifecycleHooksOutput {
    pub lifecycle_hooks: Vec<LifecycleHook>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeLifecycleHookTypesOutput {
    pub lifecycle_hook_types: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteLifecycleHookInput {
    pub lifecycle_hook_name: String,
    pub auto_scaling_group_name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CompleteLifecycleActionInput {
    pub lifecycle_hook_name: String,
    pub auto_scaling_group_name: String,
    pub lifecycle_action_token: Option<String>,
    pub lifecycle_action_result: String,
    pub instance_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RecordLifecycleActionHeartbeatInput {
    pub lifecycle_hook_name: String,
    pub auto_scaling_group_name: String,
    pub lifecycle_action_token: Option<String>,
    pub instance_id: Option<String>,
}

// ------------------------------------------------------------- refreshes

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartInstanceRefreshInput {
    pub auto_scaling_group_name: String,
    pub strategy: Option<String>,
    pub desired_configuration: Option<DesiredConfiguration>,
    pub preferences: Option<RefreshPreferences>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceRefreshIdOutput {
    pub instance_refresh_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeInstanceRefreshesInput {
    pub auto_scaling_group_name: String,
    pub instance_refresh_ids: Option<Vec<String>>,
    pub next_token: Option<String>,
    pub max_records: Option<i32>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeInstanceRefreshesOutput {
    pub instance_refreshes: Vec<InstanceRefresh>,
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CancelInstanceRefreshInput {
    pub auto_scaling_group_name: String,
    pub wait_for_transitioning_instances: Option<bool>,
}
