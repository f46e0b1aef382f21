//! Instance inputs and outputs, named as in the ec2 model (see
//! `super::super::model` for the naming rules of ec2Query).

use ballast_wire::Timestamp;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

use crate::ec2::model::{Filter, Tag, TagSpecification};

// ---- requests ---------------------------------------------------------------

/// `IamInstanceProfile`: by ARN or by name.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IamInstanceProfileSpecification {
    pub arn: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Placement {
    pub availability_zone: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetadataOptionsRequest {
    pub http_tokens: Option<String>,
    pub http_put_response_hop_limit: Option<i32>,
    pub http_endpoint: Option<String>,
    pub instance_metadata_tags: Option<String>,
}

/// `NetworkInterface.N`: only the members that place an instance.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkInterfaceSpecification {
    pub device_index: Option<i32>,
    pub subnet_id: Option<String>,
    #[serde(rename = "SecurityGroupId")]
    pub groups: Option<Vec<String>>,
}

/// `LaunchTemplate`: which template and version to launch from.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplateSpecification {
    pub launch_template_id: Option<String>,
    pub launch_template_name: Option<String>,
    pub version: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RunInstancesInput {
    pub image_id: Option<String>,
    pub instance_type: Option<String>,
    pub key_name: Option<String>,
    pub min_count: Option<i32>,
    pub max_count: Option<i32>,
    pub placement: Option<Placement>,
    #[serde(rename = "SecurityGroupId")]
    pub security_group_ids: Option<Vec<String>>,
    #[serde(rename = "SecurityGroup")]
    pub security_groups: Option<Vec<String>>,
    pub subnet_id: Option<String>,
    pub user_data: Option<String>,
    #[serde(rename = "TagSpecification")]
    pub tag_specifications: Option<Vec<TagSpecification>>,
    pub launch_template: Option<LaunchTemplateSpecification>,
    pub metadata_options: Option<MetadataOptionsRequest>,
    pub iam_instance_profile: Option<IamInstanceProfileSpecification>,
    #[serde(rename = "NetworkInterface")]
    pub network_interfaces: Option<Vec<NetworkInterfaceSpecification>>,
    pub disable_api_termination: Option<bool>,
    pub instance_initiated_shutdown_behavior: Option<String>,
    pub client_token: Option<String>,
    pub dry_run: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeInstancesInput {
    #[serde(rename = "InstanceId")]
    pub instance_ids: Option<Vec<String>>,
    #[serde(rename = "Filter")]
    pub filters: Option<Vec<Filter>>,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
    pub dry_run: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeInstanceStatusInput {
    #[serde(rename = "InstanceId")]
    pub instance_ids: Option<Vec<String>>,
    #[serde(rename = "Filter")]
    pub filters: Option<Vec<Filter>>,
    pub include_all_instances: Option<bool>,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
    pub dry_run: Option<bool>,
}

/// Start, Stop, Reboot and TerminateInstances: a list of ids.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceIdsInput {
    #[serde(rename = "InstanceId")]
    pub instance_ids: Option<Vec<String>>,
    pub dry_run: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetConsoleOutputInput {
    pub instance_id: Option<String>,
    pub dry_run: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AssociateIamInstanceProfileInput {
    pub iam_instance_profile: Option<IamInstanceProfileSpecification>,
    pub instance_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplaceIamInstanceProfileAssociationInput {
    pub iam_instance_profile: Option<IamInstanceProfileSpecification>,
    pub association_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DisassociateIamInstanceProfileInput {
    pub association_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeIamInstanceProfileAssociationsInput {
    #[serde(rename = "AssociationId")]
    pub association_ids: Option<Vec<String>>,
    #[serde(rename = "Filter")]
    pub filters: Option<Vec<Filter>>,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModifyInstanceMetadataOptionsInput {
    pub instance_id: Option<String>,
    pub http_tokens: Option<String>,
    pub http_put_response_hop_limit: Option<i32>,
    pub http_endpoint: Option<String>,
    pub instance_metadata_tags: Option<String>,
    pub dry_run: Option<bool>,
}

// ---- responses --------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct InstanceStateView {
    pub code: i32,
    pub name: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct StateReasonView {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlacementView {
    pub availability_zone: String,
    pub availability_zone_id: String,
    pub group_name: String,
    pub tenancy: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupIdentifier {
    pub group_id: String,
    pub group_name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct IamInstanceProfileView {
    pub arn: String,
    pub id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MonitoringView {
    pub state: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetadataOptionsView {
    pub state: &'static str,
    pub http_tokens: String,
    pub http_put_response_hop_limit: i32,
    pub http_endpoint: String,
    pub http_protocol_ipv6: &'static str,
    pub instance_metadata_tags: String,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceView {
    pub instance_id: String,
    pub image_id: String,
    #[serde(rename = "instanceState")]
    pub state: InstanceStateView,
    pub private_dns_name: String,
    #[serde(rename = "dnsName")]
    pub public_dns_name: String,
    #[serde(rename = "reason")]
    pub state_transition_reason: String,
    pub key_name: Option<String>,
    pub ami_launch_index: i32,
    pub instance_type: String,
    pub launch_time: Timestamp,
    pub placement: PlacementView,
    pub monitoring: MonitoringView,
    pub subnet_id: String,
    pub vpc_id: String,
    pub private_ip_address: String,
    pub architecture: &'static str,
    pub root_device_type: &'static str,
    pub root_device_name: &'static str,
    pub virtualization_type: &'static str,
    pub hypervisor: &'static str,
    pub client_token: Option<String>,
    pub iam_instance_profile: Option<IamInstanceProfileView>,
    pub ebs_optimized: bool,
    pub ena_support: bool,
    pub source_dest_check: bool,
    #[serde(rename = "groupSet")]
    pub security_groups: Vec<GroupIdentifier>,
    pub state_reason: Option<StateReasonView>,
    #[serde(rename = "tagSet")]
    pub tags: Vec<Tag>,
    pub metadata_options: MetadataOptionsView,
    pub platform_details: &'static str,
    pub usage_operation: &'static str,
    pub boot_mode: &'static str,
    pub current_instance_boot_mode: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reservation {
    pub reservation_id: String,
    pub owner_id: String,
    #[serde(rename = "groupSet")]
    pub groups: Vec<GroupIdentifier>,
    #[serde(rename = "instancesSet")]
    pub instances: Vec<InstanceView>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeInstancesOutput {
    #[serde(rename = "reservationSet")]
    pub reservations: Vec<Reservation>,
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceStateChange {
    pub instance_id: String,
    pub current_state: InstanceStateView,
    pub previous_state: InstanceStateView,
}

#[derive(Debug, Serialize)]
pub struct InstanceStateChangesOutput {
    #[serde(rename = "instancesSet")]
    pub instances: Vec<InstanceStateChange>,
}

#[derive(Debug, Serialize)]
pub struct StatusDetail {
    pub name: &'static str,
    pub status: &'static str,
}

#[derive(Debug, Serialize)]
pub struct StatusSummary {
    pub status: &'static str,
    pub details: Vec<StatusDetail>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceStatus {
    pub instance_id: String,
    pub availability_zone: String,
    #[serde(rename = "eventsSet")]
    pub events: Vec<()>,
    pub instance_state: InstanceStateView,
    pub instance_status: StatusSummary,
    pub system_status: StatusSummary,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeInstanceStatusOutput {
    #[serde(rename = "instanceStatusSet")]
    pub statuses: Vec<InstanceStatus>,
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetConsoleOutputOutput {
    pub instance_id: String,
    pub timestamp: Timestamp,
    pub output: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IamInstanceProfileAssociation {
    pub association_id: String,
    pub instance_id: String,
    pub iam_instance_profile: IamInstanceProfileView,
    pub state: &'static str,
    pub timestamp: Timestamp,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IamInstanceProfileAssociationOutput {
    pub iam_instance_profile_association: IamInstanceProfileAssociation,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeIamInstanceProfileAssociationsOutput {
    #[serde(rename = "iamInstanceProfileAssociationSet")]
    pub associations: Vec<IamInstanceProfileAssociation>,
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModifyInstanceMetadataOptionsOutput {
    pub instance_id: String,
    pub instance_metadata_options: MetadataOptionsView,
}
