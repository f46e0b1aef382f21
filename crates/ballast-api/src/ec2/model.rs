//! EC2 inputs and outputs, named as in the ec2 model.
//!
//! Inputs use the query names (`Filter.1.Value.1`, `GroupId.1`,
//! `TagSpecification.1.Tag.1.Key`): a list member's `locationName` with its
//! first letter upper-cased. Outputs use the lowerCamel `locationName`s
//! (`vpcSet`, `securityGroupInfo`, `tagSet`); the wire layer writes lists as
//! `<item>`s with no result wrapper.

use ballast_wire::Timestamp;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

/// One `Filter.N` of a Describe request.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Filter {
    pub name: String,
    #[serde(rename = "Value", default)]
    pub values: Vec<String>,
}

/// A tag: `Key`/`Value` in requests, `key`/`value` in responses.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tag {
    #[serde(rename(serialize = "key", deserialize = "Key"))]
    pub key: String,
    #[serde(rename(serialize = "value", deserialize = "Value"), default)]
    pub value: String,
}

/// `TagSpecification.N`: tags for the resource a create call makes.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagSpecification {
    pub resource_type: Option<String>,
    #[serde(rename = "Tag", default)]
    pub tags: Vec<Tag>,
}

/// The `<return>true</return>` of EC2's mutating calls.
#[derive(Debug, Serialize)]
pub struct ReturnOutput {
    #[serde(rename = "return")]
    pub ok: bool,
}

// ---- regions and zones ----------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeRegionsInput {
    #[serde(rename = "RegionName")]
    pub region_names: Option<Vec<String>>,
    pub all_regions: Option<bool>,
    #[serde(rename = "Filter")]
    pub filters: Option<Vec<Filter>>,
    pub dry_run: Option<bool>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    pub region_name: String,
    #[serde(rename = "regionEndpoint")]
    pub endpoint: String,
    pub opt_in_status: String,
}

#[derive(Debug, Serialize)]
pub struct DescribeRegionsOutput {
    #[serde(rename = "regionInfo")]
    pub regions: Vec<Region>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeAvailabilityZonesInput {
    #[serde(rename = "ZoneName")]
    pub zone_names: Option<Vec<String>>,
    #[serde(rename = "ZoneId")]
    pub zone_ids: Option<Vec<String>>,
    pub all_availability_zones: Option<bool>,
    #[serde(rename = "Filter")]
    pub filters: Option<Vec<Filter>>,
    pub dry_run: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AvailabilityZone {
    pub opt_in_status: String,
    #[serde(rename = "messageSet")]
    pub messages: Vec<()>,
    pub region_name: String,
    pub zone_name: String,
    pub zone_id: String,
    pub group_name: String,
    pub network_border_group: String,
    pub zone_type: String,
    #[serde(rename = "zoneState")]
    pub state: String,
}

#[derive(Debug, Serialize)]
pub struct DescribeAvailabilityZonesOutput {
    #[serde(rename = "availabilityZoneInfo")]
    pub availability_zones: Vec<AvailabilityZone>,
}

// ---- VPCs and subnets -----------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeVpcsInput {
    #[serde(rename = "Filter")]
    pub filters: Option<Vec<Filter>>,
    #[serde(rename = "VpcId")]
    pub vpc_ids: Option<Vec<String>>,
    pub next_token: Option<String>,
    pub max_results: Option<i64>,
    pub dry_run: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CidrBlockState {
    pub state: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VpcCidrBlockAssociation {
    pub association_id: String,
    pub cidr_block: String,
    pub cidr_block_state: CidrBlockState,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Vpc {
    pub vpc_id: String,
    pub owner_id: String,
    pub state: String,
    pub cidr_block: String,
    pub cidr_block_association_set: Vec<VpcCidrBlockAssociation>,
    pub dhcp_options_id: String,
    pub instance_tenancy: String,
    pub is_default: bool,
    #[serde(rename = "tagSet")]
    pub tags: Vec<Tag>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
pub struct DescribeVpcsOutput {
    #[serde(rename = "vpcSet")]
    pub vpcs: Vec<Vpc>,
    #[serde(rename = "nextToken")]
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeSubnetsInput {
    #[serde(rename = "Filter")]
    pub filters: Option<Vec<Filter>>,
    #[serde(rename = "SubnetId")]
    pub subnet_ids: Option<Vec<String>>,
    pub next_token: Option<String>,
    pub max_results: Option<i64>,
    pub dry_run: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Subnet {
    pub subnet_id: String,
    pub subnet_arn: String,
    pub state: String,
    pub vpc_id: String,
    pub owner_id: String,
    pub cidr_block: String,
    pub available_ip_address_count: i32,
    pub availability_zone: String,
    pub availability_zone_id: String,
    pub default_for_az: bool,
    pub map_public_ip_on_launch: bool,
    pub assign_ipv6_address_on_creation: bool,
    pub ipv6_native: bool,
    pub enable_dns64: bool,
    pub map_customer_owned_ip_on_launch: bool,
    #[serde(rename = "tagSet")]
    pub tags: Vec<Tag>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
pub struct DescribeSubnetsOutput {
    #[serde(rename = "subnetSet")]
    pub subnets: Vec<Subnet>,
    #[serde(rename = "nextToken")]
    pub next_token: Option<String>,
}

// ---- security groups ------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeSecurityGroupsInput {
    #[serde(rename = "GroupId")]
    pub group_ids: Option<Vec<String>>,
    #[serde(rename = "GroupName")]
    pub group_names: Option<Vec<String>>,
    #[serde(rename = "Filter")]
    pub filters: Option<Vec<Filter>>,
    pub next_token: Option<String>,
    pub max_results: Option<i64>,
    pub dry_run: Option<bool>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IpRange {
    #[serde(rename(serialize = "cidrIp", deserialize = "CidrIp"))]
    pub cidr_ip: Option<String>,
    #[serde(rename(serialize = "description", deserialize = "Description"))]
    pub description: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserIdGroupPair {
    #[serde(rename(serialize = "groupId", deserialize = "GroupId"))]
    pub group_id: Option<String>,
    #[serde(rename(serialize = "groupName", deserialize = "GroupName"))]
    pub group_name: Option<String>,
    #[serde(rename(serialize = "userId", deserialize = "UserId"))]
    pub user_id: Option<String>,
    #[serde(rename(serialize = "vpcId", deserialize = "VpcId"))]
    pub vpc_id: Option<String>,
    #[serde(rename(serialize = "description", deserialize = "Description"))]
    pub description: Option<String>,
}

/// An IPv6 range; Ballast refuses them (IPv4 only).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ipv6Range {
    pub cidr_ipv6: Option<String>,
}

/// A prefix list reference; Ballast refuses them.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrefixListId {
    pub prefix_list_id: Option<String>,
}

/// `IpPermissions.N` in requests (`Groups.M`, `IpRanges.M`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpPermissionInput {
    pub ip_protocol: Option<String>,
    pub from_port: Option<i64>,
    pub to_port: Option<i64>,
    pub ip_ranges: Option<Vec<IpRange>>,
    #[serde(rename = "Groups")]
    pub user_id_group_pairs: Option<Vec<UserIdGroupPair>>,
    pub ipv6_ranges: Option<Vec<Ipv6Range>>,
    #[serde(rename = "PrefixListIds")]
    pub prefix_list_ids: Option<Vec<PrefixListId>>,
}

/// An `IpPermission` as Describe shows it.
#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IpPermission {
    pub ip_protocol: String,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    #[serde(rename = "groups")]
    pub user_id_group_pairs: Vec<UserIdGroupPair>,
    pub ip_ranges: Vec<IpRange>,
    pub ipv6_ranges: Vec<()>,
    pub prefix_list_ids: Vec<()>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityGroup {
    pub group_id: String,
    pub group_name: String,
    #[serde(rename = "groupDescription")]
    pub description: String,
    pub vpc_id: String,
    pub owner_id: String,
    pub security_group_arn: String,
    pub ip_permissions: Vec<IpPermission>,
    pub ip_permissions_egress: Vec<IpPermission>,
    #[serde(rename = "tagSet")]
    pub tags: Vec<Tag>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
pub struct DescribeSecurityGroupsOutput {
    #[serde(rename = "securityGroupInfo")]
    pub security_groups: Vec<SecurityGroup>,
    #[serde(rename = "nextToken")]
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateSecurityGroupInput {
    #[serde(rename = "GroupDescription")]
    pub description: Option<String>,
    pub group_name: Option<String>,
    pub vpc_id: Option<String>,
    #[serde(rename = "TagSpecification")]
    pub tag_specifications: Option<Vec<TagSpecification>>,
    pub dry_run: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateSecurityGroupOutput {
    pub group_id: String,
    pub security_group_arn: String,
    #[serde(rename = "tagSet")]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteSecurityGroupInput {
    pub group_id: Option<String>,
    pub group_name: Option<String>,
    pub dry_run: Option<bool>,
}

#[derive(Debug, Serialize)]
pub struct DeleteSecurityGroupOutput {
    #[serde(rename = "return")]
    pub ok: bool,
    #[serde(rename = "groupId")]
    pub group_id: String,
}

/// The request of AuthorizeSecurityGroupIngress/Egress and
/// RevokeSecurityGroupIngress/Egress: the four share their members
/// (`IpPermissions`, the flat `IpProtocol`/`CidrIp`/… and, for revokes,
/// `SecurityGroupRuleId.N`). The egress calls take neither `GroupName` nor
/// the flat members; the handler refuses them there.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroupRulesInput {
    pub group_id: Option<String>,
    pub group_name: Option<String>,
    pub ip_permissions: Option<Vec<IpPermissionInput>>,
    pub ip_protocol: Option<String>,
    pub from_port: Option<i64>,
    pub to_port: Option<i64>,
    pub cidr_ip: Option<String>,
    pub source_security_group_name: Option<String>,
    pub source_security_group_owner_id: Option<String>,
    #[serde(rename = "TagSpecification")]
    pub tag_specifications: Option<Vec<TagSpecification>>,
    #[serde(rename = "SecurityGroupRuleId")]
    pub security_group_rule_ids: Option<Vec<String>>,
    pub dry_run: Option<bool>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityGroupRule {
    pub security_group_rule_id: String,
    pub group_id: String,
    pub group_owner_id: String,
    pub is_egress: bool,
    pub ip_protocol: String,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    pub cidr_ipv4: Option<String>,
    pub referenced_group_info: Option<ReferencedSecurityGroup>,
    pub description: Option<String>,
    pub security_group_rule_arn: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferencedSecurityGroup {
    pub group_id: String,
    pub user_id: String,
}

/// A rule as the revoke calls report it: the referenced group by id only,
/// and no owner.
#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RevokedSecurityGroupRule {
    pub security_group_rule_id: String,
    pub group_id: String,
    pub is_egress: bool,
    pub ip_protocol: String,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    pub cidr_ipv4: Option<String>,
    pub referenced_group_id: Option<String>,
    pub description: Option<String>,
}

/// AuthorizeSecurityGroupIngressResult and
/// AuthorizeSecurityGroupEgressResult: the same members.
#[derive(Debug, Serialize)]
pub struct AuthorizeSecurityGroupRulesOutput {
    #[serde(rename = "return")]
    pub ok: bool,
    #[serde(rename = "securityGroupRuleSet")]
    pub security_group_rules: Vec<SecurityGroupRule>,
}

/// RevokeSecurityGroupIngressResult and RevokeSecurityGroupEgressResult:
/// the same members. `unknownIpPermissionSet` is never written, because a
/// revoke that matches nothing is an error in Ballast.
#[derive(Debug, Serialize)]
pub struct RevokeSecurityGroupRulesOutput {
    #[serde(rename = "return")]
    pub ok: bool,
    #[serde(rename = "revokedSecurityGroupRuleSet")]
    pub revoked_security_group_rules: Vec<RevokedSecurityGroupRule>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeSecurityGroupRulesInput {
    #[serde(rename = "SecurityGroupRuleId")]
    pub security_group_rule_ids: Option<Vec<String>>,
    #[serde(rename = "Filter")]
    pub filters: Option<Vec<Filter>>,
    pub next_token: Option<String>,
    pub max_results: Option<i64>,
    pub dry_run: Option<bool>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
pub struct DescribeSecurityGroupRulesOutput {
    #[serde(rename = "securityGroupRuleSet")]
    pub security_group_rules: Vec<SecurityGroupRule>,
    #[serde(rename = "nextToken")]
    pub next_token: Option<String>,
}

// ---- images ---------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeImagesInput {
    #[serde(rename = "ImageId")]
    pub image_ids: Option<Vec<String>>,
    #[serde(rename = "Owner")]
    pub owners: Option<Vec<String>>,
    #[serde(rename = "ExecutableBy")]
    pub executable_users: Option<Vec<String>>,
    #[serde(rename = "Filter")]
    pub filters: Option<Vec<Filter>>,
    pub include_deprecated: Option<bool>,
    pub include_disabled: Option<bool>,
    pub next_token: Option<String>,
    pub max_results: Option<i64>,
    pub dry_run: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EbsBlockDevice {
    pub delete_on_termination: bool,
    pub snapshot_id: String,
    pub volume_size: i32,
    pub volume_type: String,
    pub encrypted: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockDeviceMapping {
    pub device_name: String,
    pub ebs: EbsBlockDevice,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Image {
    pub image_id: String,
    pub image_location: String,
    #[serde(rename = "imageState")]
    pub state: String,
    #[serde(rename = "imageOwnerId")]
    pub owner_id: String,
    pub creation_date: String,
    #[serde(rename = "isPublic")]
    pub public: bool,
    pub architecture: String,
    pub image_type: String,
    pub platform_details: String,
    pub usage_operation: String,
    pub image_owner_alias: Option<String>,
    pub name: String,
    pub description: String,
    pub root_device_type: String,
    pub root_device_name: String,
    #[serde(rename = "blockDeviceMapping")]
    pub block_device_mappings: Vec<BlockDeviceMapping>,
    pub virtualization_type: String,
    pub hypervisor: String,
    pub ena_support: bool,
    pub sriov_net_support: String,
    pub boot_mode: String,
    pub imds_support: Option<String>,
    #[serde(rename = "tagSet")]
    pub tags: Vec<Tag>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
pub struct DescribeImagesOutput {
    #[serde(rename = "imagesSet")]
    pub images: Vec<Image>,
    #[serde(rename = "nextToken")]
    pub next_token: Option<String>,
}

// ---- key pairs ------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateKeyPairInput {
    pub key_name: Option<String>,
    pub key_type: Option<String>,
    pub key_format: Option<String>,
    #[serde(rename = "TagSpecification")]
    pub tag_specifications: Option<Vec<TagSpecification>>,
    pub dry_run: Option<bool>,
}

/// CreateKeyPair's output (the model's `KeyPair`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateKeyPairOutput {
    pub key_pair_id: String,
    pub key_name: String,
    pub key_fingerprint: String,
    pub key_material: String,
    #[serde(rename = "tagSet")]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportKeyPairInput {
    pub key_name: Option<String>,
    /// Base64 of the OpenSSH public key line.
    pub public_key_material: Option<String>,
    #[serde(rename = "TagSpecification")]
    pub tag_specifications: Option<Vec<TagSpecification>>,
    pub dry_run: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportKeyPairOutput {
    pub key_pair_id: String,
    pub key_name: String,
    pub key_fingerprint: String,
    #[serde(rename = "tagSet")]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeKeyPairsInput {
    #[serde(rename = "KeyName")]
    pub key_names: Option<Vec<String>>,
    #[serde(rename = "KeyPairId")]
    pub key_pair_ids: Option<Vec<String>>,
    pub include_public_key: Option<bool>,
    #[serde(rename = "Filter")]
    pub filters: Option<Vec<Filter>>,
    pub dry_run: Option<bool>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyPairInfo {
    pub key_pair_id: String,
    pub key_name: String,
    pub key_fingerprint: String,
    pub key_type: String,
    pub public_key: Option<String>,
    pub create_time: Timestamp,
    #[serde(rename = "tagSet")]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Serialize)]
pub struct DescribeKeyPairsOutput {
    #[serde(rename = "keySet")]
    pub key_pairs: Vec<KeyPairInfo>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteKeyPairInput {
    pub key_name: Option<String>,
    pub key_pair_id: Option<String>,
    pub dry_run: Option<bool>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
pub struct DeleteKeyPairOutput {
    #[serde(rename = "return")]
    pub ok: bool,
    #[serde(rename = "keyPairId")]
    pub key_pair_id: Option<String>,
}

// ---- tags -----------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateTagsInput {
    #[serde(rename = "ResourceId")]
    pub resources: Option<Vec<String>>,
    #[serde(rename = "Tag")]
    pub tags: Option<Vec<Tag>>,
    pub dry_run: Option<bool>,
}

/// DeleteTags: a tag without `Value` deletes the key whatever its value.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagToDelete {
    pub key: String,
    pub value: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteTagsInput {
    #[serde(rename = "ResourceId")]
    pub resources: Option<Vec<String>>,
    #[serde(rename = "Tag")]
    pub tags: Option<Vec<TagToDelete>>,
    pub dry_run: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeTagsInput {
    #[serde(rename = "Filter")]
    pub filters: Option<Vec<Filter>>,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
    pub dry_run: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TagDescription {
    pub resource_id: String,
    pub resource_type: String,
    pub key: String,
    pub value: String,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
pub struct DescribeTagsOutput {
    #[serde(rename = "tagSet")]
    pub tags: Vec<TagDescription>,
    #[serde(rename = "nextToken")]
    pub next_token: Option<String>,
}

// ---- launch templates -------------------------------------------------------

/// `LaunchTemplateData.IamInstanceProfile`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplateIamInstanceProfileSpecificationRequest {
    pub arn: Option<String>,
    pub name: Option<String>,
}

/// `LaunchTemplateData.BlockDeviceMapping.N.Ebs`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplateEbsBlockDeviceRequest {
    pub encrypted: Option<bool>,
    pub delete_on_termination: Option<bool>,
    pub iops: Option<i64>,
    pub kms_key_id: Option<String>,
    pub snapshot_id: Option<String>,
    pub volume_size: Option<i64>,
    pub volume_type: Option<String>,
    pub throughput: Option<i64>,
}

/// `LaunchTemplateData.BlockDeviceMapping.N`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplateBlockDeviceMappingRequest {
    pub device_name: Option<String>,
    pub virtual_name: Option<String>,
    pub ebs: Option<LaunchTemplateEbsBlockDeviceRequest>,
    pub no_device: Option<String>,
}

/// `LaunchTemplateData.NetworkInterface.N` (`SecurityGroupId.M` is the
/// model's `Groups`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplateInstanceNetworkInterfaceSpecificationRequest {
    pub associate_public_ip_address: Option<bool>,
    pub delete_on_termination: Option<bool>,
    pub description: Option<String>,
    pub device_index: Option<i64>,
    #[serde(rename = "SecurityGroupId")]
    pub groups: Option<Vec<String>>,
    pub network_interface_id: Option<String>,
    pub private_ip_address: Option<String>,
    pub subnet_id: Option<String>,
}

/// `LaunchTemplateData.Monitoring`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplatesMonitoringRequest {
    pub enabled: Option<bool>,
}

/// `LaunchTemplateData.Placement`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplatePlacementRequest {
    pub availability_zone: Option<String>,
    pub group_name: Option<String>,
    pub tenancy: Option<String>,
}

/// `LaunchTemplateData.MetadataOptions`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplateInstanceMetadataOptionsRequest {
    pub http_tokens: Option<String>,
    pub http_put_response_hop_limit: Option<i64>,
    pub http_endpoint: Option<String>,
    pub http_protocol_ipv6: Option<String>,
    pub instance_metadata_tags: Option<String>,
}

/// `LaunchTemplateData`: the members Ballast keeps. Other members of the
/// model's `RequestLaunchTemplateData` (CPU options, credit
/// specifications, …) are accepted and not kept.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RequestLaunchTemplateData {
    pub ebs_optimized: Option<bool>,
    pub iam_instance_profile: Option<LaunchTemplateIamInstanceProfileSpecificationRequest>,
    #[serde(rename = "BlockDeviceMapping")]
    pub block_device_mappings: Option<Vec<LaunchTemplateBlockDeviceMappingRequest>>,
    #[serde(rename = "NetworkInterface")]
    pub network_interfaces: Option<Vec<LaunchTemplateInstanceNetworkInterfaceSpecificationRequest>>,
    pub image_id: Option<String>,
    pub instance_type: Option<String>,
    pub key_name: Option<String>,
    pub monitoring: Option<LaunchTemplatesMonitoringRequest>,
    pub placement: Option<LaunchTemplatePlacementRequest>,
    pub disable_api_termination: Option<bool>,
    pub instance_initiated_shutdown_behavior: Option<String>,
    pub user_data: Option<String>,
    #[serde(rename = "TagSpecification")]
    pub tag_specifications: Option<Vec<TagSpecification>>,
    #[serde(rename = "SecurityGroupId")]
    pub security_group_ids: Option<Vec<String>>,
    #[serde(rename = "SecurityGroup")]
    pub security_groups: Option<Vec<String>>,
    pub metadata_options: Option<LaunchTemplateInstanceMetadataOptionsRequest>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateLaunchTemplateInput {
    pub client_token: Option<String>,
    pub launch_template_name: Option<String>,
    pub version_description: Option<String>,
    pub launch_template_data: Option<RequestLaunchTemplateData>,
    #[serde(rename = "TagSpecification")]
    pub tag_specifications: Option<Vec<TagSpecification>>,
    pub dry_run: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateLaunchTemplateVersionInput {
    pub client_token: Option<String>,
    pub launch_template_id: Option<String>,
    pub launch_template_name: Option<String>,
    pub source_version: Option<String>,
    pub version_description: Option<String>,
    pub launch_template_data: Option<RequestLaunchTemplateData>,
    pub resolve_alias: Option<bool>,
    pub dry_run: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeLaunchTemplatesInput {
    #[serde(rename = "LaunchTemplateId")]
    pub launch_template_ids: Option<Vec<String>>,
    #[serde(rename = "LaunchTemplateName")]
    pub launch_template_names: Option<Vec<String>>,
    #[serde(rename = "Filter")]
    pub filters: Option<Vec<Filter>>,
    pub next_token: Option<String>,
    pub max_results: Option<i64>,
    pub dry_run: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeLaunchTemplateVersionsInput {
    pub launch_template_id: Option<String>,
    pub launch_template_name: Option<String>,
    #[serde(rename = "LaunchTemplateVersion")]
    pub versions: Option<Vec<String>>,
    pub min_version: Option<String>,
    pub max_version: Option<String>,
    pub next_token: Option<String>,
    pub max_results: Option<i64>,
    #[serde(rename = "Filter")]
    pub filters: Option<Vec<Filter>>,
    pub resolve_alias: Option<bool>,
    pub dry_run: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModifyLaunchTemplateInput {
    pub client_token: Option<String>,
    pub launch_template_id: Option<String>,
    pub launch_template_name: Option<String>,
    /// The model's `DefaultVersion`.
    #[serde(rename = "SetDefaultVersion")]
    pub default_version: Option<String>,
    pub dry_run: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteLaunchTemplateInput {
    pub launch_template_id: Option<String>,
    pub launch_template_name: Option<String>,
    pub dry_run: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteLaunchTemplateVersionsInput {
    pub launch_template_id: Option<String>,
    pub launch_template_name: Option<String>,
    #[serde(rename = "LaunchTemplateVersion")]
    pub versions: Option<Vec<String>>,
    pub dry_run: Option<bool>,
}

/// A launch template (the model's `LaunchTemplate`).
#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchTemplate {
    pub launch_template_id: String,
    pub launch_template_name: String,
    pub create_time: Timestamp,
    pub created_by: String,
    pub default_version_number: i64,
    pub latest_version_number: i64,
    /// Absent when the template has no tags, as EC2 shows it.
    #[serde(rename = "tagSet")]
    pub tags: Option<Vec<Tag>>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchTemplateIamInstanceProfileSpecification {
    pub arn: Option<String>,
    pub name: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchTemplateEbsBlockDevice {
    pub encrypted: Option<bool>,
    pub delete_on_termination: Option<bool>,
    pub iops: Option<i64>,
    pub kms_key_id: Option<String>,
    pub snapshot_id: Option<String>,
    pub volume_size: Option<i64>,
    pub volume_type: Option<String>,
    pub throughput: Option<i64>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchTemplateBlockDeviceMapping {
    pub device_name: Option<String>,
    pub virtual_name: Option<String>,
    pub ebs: Option<LaunchTemplateEbsBlockDevice>,
    pub no_device: Option<String>,
}

/// `groupSet`: the model names its members `groupId`, not `item`, and
/// aws-sdk-rust reads only members of that name.
#[derive(Debug)]
pub struct GroupIdSet(pub Vec<String>);

impl Serialize for GroupIdSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        // A struct whose every field is `groupId` writes one `<groupId>`
        // element per id.
        let mut out = serializer.serialize_struct("GroupIdSet", self.0.len())?;
        for id in &self.0 {
            out.serialize_field("groupId", id)?;
        }
        out.end()
    }
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchTemplateInstanceNetworkInterfaceSpecification {
    pub associate_public_ip_address: Option<bool>,
    pub delete_on_termination: Option<bool>,
    pub description: Option<String>,
    pub device_index: Option<i64>,
    #[serde(rename = "groupSet")]
    pub groups: Option<GroupIdSet>,
    pub network_interface_id: Option<String>,
    pub private_ip_address: Option<String>,
    pub subnet_id: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchTemplatesMonitoring {
    pub enabled: Option<bool>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchTemplatePlacement {
    pub availability_zone: Option<String>,
    pub group_name: Option<String>,
    pub tenancy: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchTemplateTagSpecification {
    pub resource_type: String,
    #[serde(rename = "tagSet")]
    pub tags: Vec<Tag>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchTemplateInstanceMetadataOptions {
    pub http_tokens: Option<String>,
    pub http_put_response_hop_limit: Option<i64>,
    pub http_endpoint: Option<String>,
    pub http_protocol_ipv6: Option<String>,
    pub instance_metadata_tags: Option<String>,
}

/// The model's `ResponseLaunchTemplateData`: what a version holds.
#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseLaunchTemplateData {
    pub ebs_optimized: Option<bool>,
    pub iam_instance_profile: Option<LaunchTemplateIamInstanceProfileSpecification>,
    #[serde(rename = "blockDeviceMappingSet")]
    pub block_device_mappings: Option<Vec<LaunchTemplateBlockDeviceMapping>>,
    #[serde(rename = "networkInterfaceSet")]
    pub network_interfaces: Option<Vec<LaunchTemplateInstanceNetworkInterfaceSpecification>>,
    pub image_id: Option<String>,
    pub instance_type: Option<String>,
    pub key_name: Option<String>,
    pub monitoring: Option<LaunchTemplatesMonitoring>,
    pub placement: Option<LaunchTemplatePlacement>,
    pub disable_api_termination: Option<bool>,
    pub instance_initiated_shutdown_behavior: Option<String>,
    pub user_data: Option<String>,
    #[serde(rename = "tagSpecificationSet")]
    pub tag_specifications: Option<Vec<LaunchTemplateTagSpecification>>,
    #[serde(rename = "securityGroupIdSet")]
    pub security_group_ids: Option<Vec<String>>,
    #[serde(rename = "securityGroupSet")]
    pub security_groups: Option<Vec<String>>,
    pub metadata_options: Option<LaunchTemplateInstanceMetadataOptions>,
}

/// One version of a launch template (the model's `LaunchTemplateVersion`).
#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchTemplateVersion {
    pub launch_template_id: String,
    pub launch_template_name: String,
    pub version_number: i64,
    pub version_description: Option<String>,
    pub create_time: Timestamp,
    pub created_by: String,
    pub default_version: bool,
    pub launch_template_data: ResponseLaunchTemplateData,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateLaunchTemplateOutput {
    pub launch_template: LaunchTemplate,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateLaunchTemplateVersionOutput {
    pub launch_template_version: LaunchTemplateVersion,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeLaunchTemplatesOutput {
    pub launch_templates: Vec<LaunchTemplate>,
    pub next_token: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeLaunchTemplateVersionsOutput {
    #[serde(rename = "launchTemplateVersionSet")]
    pub launch_template_versions: Vec<LaunchTemplateVersion>,
    pub next_token: Option<String>,
}

/// ModifyLaunchTemplate's and DeleteLaunchTemplate's output.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchTemplateOutput {
    pub launch_template: LaunchTemplate,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteLaunchTemplateVersionsResponseSuccessItem {
    pub launch_template_id: String,
    pub launch_template_name: String,
    pub version_number: i64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseError {
    pub code: String,
    pub message: String,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteLaunchTemplateVersionsResponseErrorItem {
    pub launch_template_id: Option<String>,
    pub launch_template_name: Option<String>,
    pub version_number: Option<i64>,
    pub response_error: ResponseError,
}

#[derive(Debug, Serialize)]
pub struct DeleteLaunchTemplateVersionsOutput {
    #[serde(rename = "successfullyDeletedLaunchTemplateVersionSet")]
    pub deleted: Vec<DeleteLaunchTemplateVersionsResponseSuccessItem>,
    #[serde(rename = "unsuccessfullyDeletedLaunchTemplateVersionSet")]
    pub not_deleted: Vec<DeleteLaunchTemplateVersionsResponseErrorItem>,
}
