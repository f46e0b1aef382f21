//! ELBv2 inputs and outputs, named as in the elasticloadbalancingv2 model.

use ballast_core::tags::Tag;
use ballast_wire::Timestamp;
use serde::{Deserialize, Serialize};
use serde_with::skip_serializing_none;

/// Which responses a health check counts as healthy.
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Matcher {
    pub http_code: Option<String>,
    pub grpc_code: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateTargetGroupInput {
    pub name: String,
    pub protocol: Option<String>,
    pub protocol_version: Option<String>,
    pub port: Option<i64>,
    pub vpc_id: Option<String>,
    pub health_check_protocol: Option<String>,
    pub health_check_port: Option<String>,
    pub health_check_enabled: Option<bool>,
    pub health_check_path: Option<String>,
    pub health_check_interval_seconds: Option<i64>,
    pub health_check_timeout_seconds: Option<i64>,
    pub healthy_threshold_count: Option<i64>,
    pub unhealthy_threshold_count: Option<i64>,
    pub matcher: Option<Matcher>,
    pub target_type: Option<String>,
    pub tags: Option<Vec<Tag>>,
    pub ip_address_type: Option<String>,
}

/// A target group as the API describes it.
#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetGroup {
    pub target_group_arn: String,
    pub target_group_name: String,
    pub protocol: Option<String>,
    pub port: Option<u16>,
    pub vpc_id: Option<String>,
    pub health_check_protocol: Option<String>,
    pub health_check_port: Option<String>,
    pub health_check_enabled: bool,
    pub health_check_interval_seconds: u32,
    pub health_check_timeout_seconds: u32,
    pub healthy_threshold_count: u32,
    pub unhealthy_threshold_count: u32,
    pub health_check_path: Option<String>,
    pub matcher: Option<Matcher>,
    pub load_balancer_arns: Vec<String>,
    pub target_type: String,
    pub protocol_version: Option<String>,
    pub ip_address_type: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateTargetGroupOutput {
    pub target_groups: Vec<TargetGroup>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeTargetGroupsInput {
    pub load_balancer_arn: Option<String>,
    pub target_group_arns: Option<Vec<String>>,
    pub names: Option<Vec<String>>,
    pub marker: Option<String>,
    pub page_size: Option<i64>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeTargetGroupsOutput {
    pub target_groups: Vec<TargetGroup>,
    pub next_marker: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModifyTargetGroupInput {
    pub target_group_arn: String,
    pub health_check_protocol: Option<String>,
    pub health_check_port: Option<String>,
    pub health_check_path: Option<String>,
    pub health_check_enabled: Option<bool>,
    pub health_check_interval_seconds: Option<i64>,
    pub health_check_timeout_seconds: Option<i64>,
    pub healthy_threshold_count: Option<i64>,
    pub unhealthy_threshold_count: Option<i64>,
    pub matcher: Option<Matcher>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModifyTargetGroupOutput {
    pub target_groups: Vec<TargetGroup>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteTargetGroupInput {
    pub target_group_arn: String,
}

#[derive(Debug, Serialize)]
pub struct DeleteTargetGroupOutput {}

/// One `Key`/`Value` attribute.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetGroupAttribute {
    pub key: String,
    #[serde(default)]
    pub value: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeTargetGroupAttributesInput {
    pub target_group_arn: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeTargetGroupAttributesOutput {
    pub attributes: Vec<TargetGroupAttribute>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModifyTargetGroupAttributesInput {
    pub target_group_arn: String,
    pub attributes: Vec<TargetGroupAttribute>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModifyTargetGroupAttributesOutput {
    pub attributes: Vec<TargetGroupAttribute>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddTagsInput {
    pub resource_arns: Vec<String>,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Serialize)]
pub struct AddTagsOutput {}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RemoveTagsInput {
    pub resource_arns: Vec<String>,
    pub tag_keys: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct RemoveTagsOutput {}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeTagsInput {
    pub resource_arns: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagDescription {
    pub resource_arn: String,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeTagsOutput {
    pub tag_descriptions: Vec<TagDescription>,
}

// ------------------------------------------------------------ load balancers

/// A subnet to attach a load balancer to (ALB: only `SubnetId` applies).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SubnetMapping {
    pub subnet_id: Option<String>,
    pub allocation_id: Option<String>,
    #[serde(rename = "PrivateIPv4Address")]
    pub private_ipv4_address: Option<String>,
    #[serde(rename = "IPv6Address")]
    pub ipv6_address: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateLoadBalancerInput {
    pub name: String,
    pub subnets: Option<Vec<String>>,
    pub subnet_mappings: Option<Vec<SubnetMapping>>,
    pub security_groups: Option<Vec<String>>,
    pub scheme: Option<String>,
    pub tags: Option<Vec<Tag>>,
    #[serde(rename = "Type")]
    pub lb_type: Option<String>,
    pub ip_address_type: Option<String>,
    pub customer_owned_ipv4_pool: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoadBalancerState {
    pub code: String,
    pub reason: Option<String>,
}

/// The addresses of a load balancer in one zone (empty for ALBs, as on AWS).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoadBalancerAddress {
    pub ip_address: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AvailabilityZone {
    pub zone_name: String,
    pub subnet_id: String,
    pub load_balancer_addresses: Vec<LoadBalancerAddress>,
}

/// A load balancer as the API describes it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoadBalancer {
    pub load_balancer_arn: String,
    #[serde(rename = "DNSName")]
    pub dns_name: String,
    pub canonical_hosted_zone_id: String,
    pub created_time: Timestamp,
    pub load_balancer_name: String,
    pub scheme: String,
    pub vpc_id: String,
    pub state: LoadBalancerState,
    #[serde(rename = "Type")]
    pub lb_type: String,
    pub availability_zones: Vec<AvailabilityZone>,
    pub security_groups: Vec<String>,
    pub ip_address_type: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateLoadBalancerOutput {
    pub load_balancers: Vec<LoadBalancer>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeLoadBalancersInput {
    pub load_balancer_arns: Option<Vec<String>>,
    pub names: Option<Vec<String>>,
    pub marker: Option<String>,
    pub page_size: Option<i64>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeLoadBalancersOutput {
    pub load_balancers: Vec<LoadBalancer>,
    pub next_marker: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteLoadBalancerInput {
    pub load_balancer_arn: String,
}

#[derive(Debug, Serialize)]
pub struct DeleteLoadBalancerOutput {}

/// One `Key`/`Value` load balancer attribute.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoadBalancerAttribute {
    pub key: String,
    #[serde(default)]
    pub value: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeLoadBalancerAttributesInput {
    pub load_balancer_arn: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeLoadBalancerAttributesOutput {
    pub attributes: Vec<LoadBalancerAttribute>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModifyLoadBalancerAttributesInput {
    pub load_balancer_arn: String,
    pub attributes: Vec<LoadBalancerAttribute>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModifyLoadBalancerAttributesOutput {
    pub attributes: Vec<LoadBalancerAttribute>,
}

// ------------------------------------------------------------ actions

/// A weighted target group of a forward action.
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetGroupTuple {
    pub target_group_arn: Option<String>,
    pub weight: Option<i64>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetGroupStickinessConfig {
    pub enabled: Option<bool>,
    pub duration_seconds: Option<i64>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ForwardActionConfig {
    pub target_groups: Option<Vec<TargetGroupTuple>>,
    pub target_group_stickiness_config: Option<TargetGroupStickinessConfig>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FixedResponseActionConfig {
    pub message_body: Option<String>,
    pub status_code: String,
    pub content_type: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RedirectActionConfig {
    pub protocol: Option<String>,
    pub port: Option<String>,
    pub host: Option<String>,
    pub path: Option<String>,
    pub query: Option<String>,
    pub status_code: String,
}

/// A listener or rule action. Authentication actions are recognised by
/// their `Type` and refused; their configurations are not modelled.
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Action {
    #[serde(rename = "Type")]
    pub action_type: String,
    pub target_group_arn: Option<String>,
    pub order: Option<i64>,
    pub redirect_config: Option<RedirectActionConfig>,
    pub fixed_response_config: Option<FixedResponseActionConfig>,
    pub forward_config: Option<ForwardActionConfig>,
}

// ------------------------------------------------------------ listeners

/// A server certificate (HTTPS listeners, which Ballast does not serve yet).
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Certificate {
    pub certificate_arn: Option<String>,
    pub is_default: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateListenerInput {
    pub load_balancer_arn: String,
    pub protocol: Option<String>,
    pub port: Option<i64>,
    pub ssl_policy: Option<String>,
    pub certificates: Option<Vec<Certificate>>,
    pub default_actions: Vec<Action>,
    pub alpn_policy: Option<Vec<String>>,
    pub tags: Option<Vec<Tag>>,
}

/// A listener as the API describes it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Listener {
    pub listener_arn: String,
    pub load_balancer_arn: String,
    pub port: u16,
    pub protocol: String,
    pub default_actions: Vec<Action>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateListenerOutput {
    pub listeners: Vec<Listener>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeListenersInput {
    pub load_balancer_arn: Option<String>,
    pub listener_arns: Option<Vec<String>>,
    pub marker: Option<String>,
    pub page_size: Option<i64>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeListenersOutput {
    pub listeners: Vec<Listener>,
    pub next_marker: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModifyListenerInput {
    pub listener_arn: String,
    pub port: Option<i64>,
    pub protocol: Option<String>,
    pub ssl_policy: Option<String>,
    pub certificates: Option<Vec<Certificate>>,
    pub default_actions: Option<Vec<Action>>,
    pub alpn_policy: Option<Vec<String>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModifyListenerOutput {
    pub listeners: Vec<Listener>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteListenerInput {
    pub listener_arn: String,
}

#[derive(Debug, Serialize)]
pub struct DeleteListenerOutput {}

// ------------------------------------------------------------ rules

#[skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HostHeaderConditionConfig {
    pub values: Option<Vec<String>>,
    pub regex_values: Option<Vec<String>>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PathPatternConditionConfig {
    pub values: Option<Vec<String>>,
    pub regex_values: Option<Vec<String>>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HttpHeaderConditionConfig {
    pub http_header_name: Option<String>,
    pub values: Option<Vec<String>>,
    pub regex_values: Option<Vec<String>>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HttpRequestMethodConditionConfig {
    pub values: Option<Vec<String>>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryStringKeyValuePair {
    pub key: Option<String>,
    pub value: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryStringConditionConfig {
    pub values: Option<Vec<QueryStringKeyValuePair>>,
}

#[skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SourceIpConditionConfig {
    pub values: Option<Vec<String>>,
}

/// One rule condition: `Field` with the legacy `Values`, or one of the
/// `*Config` members.
#[skip_serializing_none]
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuleCondition {
    pub field: Option<String>,
    pub values: Option<Vec<String>>,
    pub host_header_config: Option<HostHeaderConditionConfig>,
    pub path_pattern_config: Option<PathPatternConditionConfig>,
    pub http_header_config: Option<HttpHeaderConditionConfig>,
    pub query_string_config: Option<QueryStringConditionConfig>,
    pub http_request_method_config: Option<HttpRequestMethodConditionConfig>,
    pub source_ip_config: Option<SourceIpConditionConfig>,
    pub regex_values: Option<Vec<String>>,
}

/// A rule as the API describes it; `Priority` is text (`default` for the
/// listener's default rule).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Rule {
    pub rule_arn: String,
    pub priority: String,
    pub conditions: Vec<RuleCondition>,
    pub actions: Vec<Action>,
    pub is_default: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateRuleInput {
    pub listener_arn: String,
    pub conditions: Vec<RuleCondition>,
    pub priority: i64,
    pub actions: Vec<Action>,
    pub tags: Option<Vec<Tag>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateRuleOutput {
    pub rules: Vec<Rule>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeRulesInput {
    pub listener_arn: Option<String>,
    pub rule_arns: Option<Vec<String>>,
    pub marker: Option<String>,
    pub page_size: Option<i64>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeRulesOutput {
    pub rules: Vec<Rule>,
    pub next_marker: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModifyRuleInput {
    pub rule_arn: String,
    pub conditions: Option<Vec<RuleCondition>>,
    pub actions: Option<Vec<Action>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModifyRuleOutput {
    pub rules: Vec<Rule>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteRuleInput {
    pub rule_arn: String,
}

#[derive(Debug, Serialize)]
pub struct DeleteRuleOutput {}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RulePriorityPair {
    pub rule_arn: Option<String>,
    pub priority: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetRulePrioritiesInput {
    pub rule_priorities: Vec<RulePriorityPair>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetRulePrioritiesOutput {
    pub rules: Vec<Rule>,
}

// ------------------------------------------------------------ targets

/// A target: its id, and optionally its port and zone.
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetDescription {
    pub id: String,
    pub port: Option<i64>,
    pub availability_zone: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegisterTargetsInput {
    pub target_group_arn: String,
    pub targets: Vec<TargetDescription>,
}

#[derive(Debug, Serialize)]
pub struct RegisterTargetsOutput {}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeregisterTargetsInput {
    pub target_group_arn: String,
    pub targets: Vec<TargetDescription>,
}

#[derive(Debug, Serialize)]
pub struct DeregisterTargetsOutput {}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeTargetHealthInput {
    pub target_group_arn: String,
    pub targets: Option<Vec<TargetDescription>>,
    pub include: Option<Vec<String>>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetHealth {
    pub state: String,
    pub reason: Option<String>,
    pub description: Option<String>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetHealthDescription {
    pub target: TargetDescription,
    pub health_check_port: Option<String>,
    pub target_health: TargetHealth,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeTargetHealthOutput {
    pub target_health_descriptions: Vec<TargetHealthDescription>,
}
