//! EC2 (ec2Query): the region, its zones, the default VPC with its
//! subnets, gateway, route table, network ACL and DHCP options, security
//! groups, images, key pairs, launch templates, tags, instances with their
//! network interfaces and volumes, Elastic IPs.

mod addresses;
mod images;
mod instance_types;
mod instances;
mod key_pairs;
mod launch_templates;
mod network;
mod network_interfaces;
mod security_groups;
mod tags;
mod volumes;

pub(crate) use instances::Listing;

use ballast_core::ec2::{self, Direction, Error as Rule, filter};
use ballast_store::Tx;

use crate::ApiState;
use crate::dispatch::{call, call_no_output, routes};
use crate::error::{ErrorCode, HandlerError};
use ballast_model::XmlList;
use ballast_model::ec2::{
    AuthorizeSecurityGroupEgressInput, AuthorizeSecurityGroupIngressInput, Filter, ItemsFilter,
    RevokeSecurityGroupEgressInput, RevokeSecurityGroupIngressInput, TagSpecification,
};

routes! {
    /// The EC2 operations Ballast implements.
    pub enum Operation;

    /// Routes an EC2 request to its handler.
    fn handle(state, ctx, request) {
        DescribeRegions => call(ctx, request, |i| network::describe_regions(state, i)),
        DescribeAvailabilityZones => call(ctx, request, |i| network::describe_zones(state, i)),
        DescribeVpcs => call(ctx, request, |i| network::describe_vpcs(state, i)),
        DescribeVpcAttribute => call(ctx, request, |i| network::describe_vpc_attribute(state, i)),
        DescribeSubnets => call(ctx, request, |i| network::describe_subnets(state, i)),
        DescribeInternetGateways => {
            call(ctx, request, |i| network::describe_internet_gateways(state, i))
        },
        DescribeRouteTables => call(ctx, request, |i| network::describe_route_tables(state, i)),
        DescribeNetworkAcls => call(ctx, request, |i| network::describe_network_acls(state, i)),
        DescribeDhcpOptions => call(ctx, request, |i| network::describe_dhcp_options(state, i)),
        DescribeNetworkInterfaces => {
            call(ctx, request, |i| network_interfaces::describe(state, i))
        },
        DescribeSecurityGroups => call(ctx, request, |i| security_groups::describe(state, i)),
        CreateSecurityGroup => call(ctx, request, |i| security_groups::create(state, i)),
        DeleteSecurityGroup => call(ctx, request, |i| security_groups::delete(state, i)),
        AuthorizeSecurityGroupIngress => {
            call(ctx, request, |i: AuthorizeSecurityGroupIngressInput| {
                security_groups::authorize(state, Direction::Ingress, i.into())
            })
        },
        RevokeSecurityGroupIngress => call(ctx, request, |i: RevokeSecurityGroupIngressInput| {
            security_groups::revoke(state, Direction::Ingress, i.into())
        }),
        AuthorizeSecurityGroupEgress => {
            call(ctx, request, |i: AuthorizeSecurityGroupEgressInput| {
                security_groups::authorize(state, Direction::Egress, i.into())
            })
        },
        RevokeSecurityGroupEgress => call(ctx, request, |i: RevokeSecurityGroupEgressInput| {
            security_groups::revoke(state, Direction::Egress, i.into())
        }),
        DescribeSecurityGroupRules => {
            call(ctx, request, |i| security_groups::describe_rules(state, i))
        },
        DescribeImages => call(ctx, request, |i| images::describe(state, i)),
        CreateKeyPair => call(ctx, request, |i| key_pairs::create(state, i)),
        ImportKeyPair => call(ctx, request, |i| key_pairs::import(state, i)),
        DescribeKeyPairs => call(ctx, request, |i| key_pairs::describe(state, i)),
        DeleteKeyPair => call(ctx, request, |i| key_pairs::delete(state, i)),
        CreateLaunchTemplate => call(ctx, request, |i| launch_templates::create(state, ctx, i)),
        CreateLaunchTemplateVersion => call(ctx, request, |i| {
            launch_templates::create_version(state, ctx, i)
        }),
        DescribeLaunchTemplates => call(ctx, request, |i| launch_templates::describe(state, i)),
        DescribeLaunchTemplateVersions => call(ctx, request, |i| {
            launch_templates::describe_versions(state, i)
        }),
        ModifyLaunchTemplate => call(ctx, request, |i| launch_templates::modify(state, i)),
        DeleteLaunchTemplate => call(ctx, request, |i| launch_templates::delete(state, i)),
        DeleteLaunchTemplateVersions => call(ctx, request, |i| {
            launch_templates::delete_versions(state, i)
        }),
        CreateTags => call_no_output(ctx, request, |i| tags::create(state, i)),
        DeleteTags => call_no_output(ctx, request, |i| tags::delete(state, i)),
        DescribeTags => call(ctx, request, |i| tags::describe(state, i)),
        RunInstances => call(ctx, request, |i| instances::run(state, i)),
        DescribeInstances => call(ctx, request, |i| {
            instances::describe(state, instances::Form::of(ctx), i)
        }),
        DescribeInstanceStatus => call(ctx, request, |i| instances::describe_status(state, i)),
        StartInstances => call(ctx, request, |i| instances::start(state, i)),
        StopInstances => call(ctx, request, |i| instances::stop(state, i)),
        RebootInstances => call_no_output(ctx, request, |i| instances::reboot(state, i)),
        TerminateInstances => call(ctx, request, |i| instances::terminate(state, i)),
        GetConsoleOutput => call(ctx, request, |i| instances::console_output(state, i)),
        DescribeInstanceTypes => call(ctx, request, |i| instance_types::describe(state, i)),
        DescribeVolumes => call(ctx, request, |i| volumes::describe(state, i)),
        CreateVolume => call(ctx, request, |i| volumes::create(state, i)),
        AttachVolume => call(ctx, request, |i| volumes::attach(state, i)),
        DetachVolume => call(ctx, request, |i| volumes::detach(state, i)),
        DeleteVolume => call_no_output(ctx, request, |i| volumes::delete(state, i)),
        ModifyVolume => call(ctx, request, |i| volumes::modify(state, i)),
        DescribeVolumeStatus => call(ctx, request, |i| volumes::describe_status(state, i)),
        DescribeVolumesModifications => {
            call(ctx, request, |i| volumes::describe_modifications(state, i))
        },
        AllocateAddress => call(ctx, request, |i| addresses::allocate(state, i)),
        DescribeAddresses => call(ctx, request, |i| addresses::describe(state, i)),
        AssociateAddress => call(ctx, request, |i| addresses::associate(state, i)),
        DisassociateAddress => call_no_output(ctx, request, |i| addresses::disassociate(state, i)),
        ReleaseAddress => call_no_output(ctx, request, |i| addresses::release(state, i)),
        ModifyInstanceMetadataOptions => call(ctx, request, |i| {
            instances::modify_metadata_options(state, i)
        }),
        DescribeInstanceAttribute => call(ctx, request, |i| instances::describe_attribute(state, i)),
        MonitorInstances => call(ctx, request, |i| instances::monitor(state, i)),
        UnmonitorInstances => call(ctx, request, |i| instances::unmonitor(state, i)),
        ModifyInstanceAttribute => {
            call_no_output(ctx, request, |i| instances::modify_attribute(state, i))
        },
        AssociateIamInstanceProfile => call(ctx, request, |i| instances::associate(state, i)),
        DescribeIamInstanceProfileAssociations => {
            call(ctx, request, |i| instances::describe_associations(state, i))
        },
        ReplaceIamInstanceProfileAssociation => {
            call(ctx, request, |i| instances::replace(state, i))
        },
        DisassociateIamInstanceProfile => call(ctx, request, |i| instances::disassociate(state, i)),
    }
}

/// A failure inside an EC2 handler.
pub(crate) type Error = HandlerError<Rule>;

impl ErrorCode for Rule {
    fn code(&self) -> &'static str {
        Rule::code(self)
    }

    const SERVICE: ballast_wire::Service = ballast_wire::Service::Ec2;

    fn status(&self) -> http::StatusCode {
        match self {
            Rule::DryRunOperation => http::StatusCode::PRECONDITION_FAILED,
            _ => http::StatusCode::BAD_REQUEST,
        }
    }
}

/// `DryRun=true`: the request was valid, so it would have succeeded.
pub(super) fn dry_run(flag: Option<bool>) -> Result<(), Rule> {
    if flag == Some(true) {
        Err(Rule::DryRunOperation)
    } else {
        Ok(())
    }
}

/// `MaxResults` and `NextToken` of the Describe calls that page by id:
/// each takes 5 to 1000 results (everything when absent).
pub(super) fn describe_page(
    max_results: Option<i32>,
    next_token: Option<&str>,
) -> Result<(usize, Option<String>), Rule> {
    ec2::paging(max_results.map(i64::from), next_token, 5)
}

/// The request's filters, checked against what the resource kind supports.
pub(super) fn filters<T: filter::Filterable>(
    filters: Option<XmlList<Filter, ItemsFilter>>,
) -> Result<Vec<ec2::Filter>, Rule> {
    let filters = core_filters(filters)?;
    filter::check::<T>(&filters)?;
    Ok(filters)
}

/// The request's filters as the core reads them, unchecked; a filter
/// without `Name` is `MissingParameter`, as EC2 answers.
pub(super) fn core_filters(
    filters: Option<XmlList<Filter, ItemsFilter>>,
) -> Result<Vec<ec2::Filter>, Rule> {
    filters
        .map(XmlList::into_inner)
        .unwrap_or_default()
        .into_iter()
        .map(|f| {
            Ok(ec2::Filter {
                name: f
                    .name
                    .ok_or_else(|| Rule::MissingParameter("Name".to_owned()))?,
                values: f.values.unwrap_or_default(),
            })
        })
        .collect()
}

/// A list the model requires, which the wire may still carry empty
/// (`ResourceId=`): EC2 calls that missing too.
pub(super) fn non_empty<T>(list: Vec<T>, parameter: &str) -> Result<Vec<T>, Rule> {
    if list.is_empty() {
        Err(Rule::MissingParameter(parameter.to_owned()))
    } else {
        Ok(list)
    }
}

/// The tags a create call's `TagSpecifications` give the resource of
/// `resource_type`; a specification for another type is refused.
pub(super) fn creation_tags(
    specs: Option<Vec<TagSpecification>>,
    resource_type: &str,
) -> Result<Vec<(String, String)>, Rule> {
    let mut tags = Vec::new();
    for spec in specs.unwrap_or_default() {
        match spec.resource_type.as_ref().map(|t| t.as_str()) {
            Some(t) if t == resource_type => {}
            Some(other) => {
                return Err(Rule::InvalidParameterValue(format!(
                    "'{other}' is not a valid taggable resource type for this operation."
                )));
            }
            None => {
                return Err(Rule::MissingParameter(
                    "TagSpecification.ResourceType".to_owned(),
                ));
            }
        }
        tags.extend(crate::tags::to_pairs(spec.tags.unwrap_or_default()));
    }
    ec2::check_tags(&ballast_core::tags::from_pairs(tags.clone()))?;
    Ok(tags)
}

/// Whether a tagged resource exists: the fixed network and image catalogue,
/// or a stored group, key pair or launch template.
pub(super) fn resource_exists(
    state: &ApiState,
    tx: &Tx<'_>,
    kind: ec2::ResourceKind,
    id: &str,
) -> Result<bool, Error> {
    use ec2::ResourceKind::*;
    Ok(match kind {
        Vpc => id == ballast_core::network::DEFAULT_VPC_ID,
        Subnet => ballast_core::network::DEFAULT_SUBNET_IDS.contains(&id),
        SecurityGroup => security_groups::find(state, tx, id)?.is_some(),
        KeyPair => tx.key_pair(id)?.is_some(),
        Image => ec2::images::find(id).is_some(),
        Instance => tx.instance(id)?.is_some(),
        LaunchTemplate => tx.launch_template(id)?.is_some(),
        Volume => tx.volume(id)?.is_some(),
        ElasticIp => tx.elastic_address(id)?.is_some(),
        InternetGateway => id == ballast_core::network::DEFAULT_INTERNET_GATEWAY_ID,
        RouteTable => id == ballast_core::network::DEFAULT_ROUTE_TABLE_ID,
        NetworkAcl => id == ballast_core::network::DEFAULT_NETWORK_ACL_ID,
        DhcpOptions => id == ballast_core::network::DEFAULT_DHCP_OPTIONS_ID,
        NetworkInterface => match ec2::interface::instance_of_interface(id) {
            Some(instance) => tx
                .instance(&instance)?
                .is_some_and(|i| ec2::interface::has_interface(&i)),
            None => false,
        },
    })
}
