//! RunInstances.

use std::collections::HashMap;

use ballast_core::ec2::instance::{
    self as inst, GroupRef, Instance, InstanceState, MetadataChange, MetadataOptions,
    ProfileAssociation,
};
use ballast_core::ec2::{self, Error as Rule};
use ballast_core::network::{DEFAULT_SECURITY_GROUP_ID, DEFAULT_VPC_ID, default_subnets};
use ballast_store::Tx;

use ballast_core::ec2::instance::decode_user_data;
use ballast_core::ec2::launch_template::TemplateRef;

use super::model::*;
use super::{Error, view};
use crate::ApiState;
use crate::ec2::model::TagSpecification;
use crate::ec2::{dry_run, images, security_groups};

/// EC2's instance type when a request names none.
const DEFAULT_INSTANCE_TYPE: &str = "m1.small";

/// Where and how the instances of one request launch, once every
/// parameter has been checked.
#[derive(Debug)]
struct Launch {
    image_id: String,
    instance_type: String,
    key_name: Option<String>,
    /// The requested zone; `None` lets Ballast pick the emptiest.
    zone: Option<String>,
    group_ids: Vec<String>,
    group_names: Vec<String>,
    user_data: Option<String>,
    profile: Option<IamInstanceProfileSpecification>,
    metadata: MetadataOptions,
    tags: Vec<(String, String)>,
    shutdown_behavior: String,
    disable_api_termination: bool,
    min: u32,
    max: u32,
    client_token: Option<String>,
}

pub(crate) fn run(state: &ApiState, input: RunInstancesInput) -> Result<Reservation, Error> {
    let dry = input.dry_run;
    let (reservation, instances, tags) = state.store.write(|tx| -> Result<_, Error> {
        let (input, template) = with_template(tx, input)?;
        let mut launch = checked(state, tx, input)?;
        if let Some(from) = &template {
            // As EC2 does, instances launched from a template say which.
            launch
                .tags
                .push(("aws:ec2launchtemplate:id".to_owned(), from.0.clone()));
            launch
                .tags
                .push(("aws:ec2launchtemplate:version".to_owned(), from.1.clone()));
        }
        if let Some((reservation, existing)) =
            same_client_token(tx, launch.client_token.as_deref())?
        {
            return Ok((reservation, existing, launch.tags));
        }
        let groups = resolve_groups(state, tx, &launch)?;
        if let Some(key) = &launch.key_name
            && tx.key_pair_by_name(key)?.is_none()
        {
            return Err(Rule::KeyPairNotFound(key.clone()).into());
        }
        let profile = resolve_profile(state, tx, launch.profile.as_ref())?;
        dry_run(dry)?;
        let zone = match &launch.zone {
            Some(zone) => zone.clone(),
            None => emptiest_zone(state, tx)?,
        };
        let instances = create(state, tx, &launch, &zone, groups, profile, template)?;
        let reservation_id = instances
            .first()
            .map(|i| i.reservation_id.clone())
            .unwrap_or_default();
        Ok((reservation_id, instances, launch.tags))
    })?;
    state.fleet.changed();
    Ok(Reservation {
        reservation_id: reservation,
        owner_id: state.scope.account.clone(),
        groups: Vec::new(),
        instances: instances
            .iter()
            .map(|i| view(state, i, tags.clone()))
            .collect(),
    })
}

/// The request laid over the launch template it names, if any: what the
/// request sets wins, the template fills the rest. Returns the template's
/// id and the version used.
fn with_template(
    tx: &Tx<'_>,
    mut input: RunInstancesInput,
) -> Result<(RunInstancesInput, Option<(String, String)>), Error> {
    let Some(spec) = input.launch_template.take() else {
        return Ok((input, None));
    };
    let by = TemplateRef::from_request(
        spec.launch_template_id,
        spec.launch_template_name,
        "launch an instance",
    )?;
    let (template, version) = tx.resolve_launch_template::<Error>(&by, spec.version.as_deref())?;
    let data = version.data;
    input.image_id = input.image_id.or(data.image_id);
    input.instance_type = input.instance_type.or(data.instance_type);
    input.key_name = input.key_name.or(data.key_name);
    input.user_data = input.user_data.or(data.user_data);
    if input.iam_instance_profile.is_none() {
        input.iam_instance_profile =
            data.iam_instance_profile
                .map(|p| IamInstanceProfileSpecification {
                    arn: p.arn,
                    name: p.name,
                });
    }
    if input.security_group_ids.is_none() && input.security_groups.is_none() {
        input.security_group_ids = data.security_group_ids;
        input.security_groups = data.security_groups;
    }
    if input.placement.is_none() {
        input.placement = data.placement.map(|p| Placement {
            availability_zone: p.availability_zone,
        });
    }
    if input.network_interfaces.is_none() {
        input.network_interfaces = data.network_interfaces.map(|interfaces| {
            interfaces
                .into_iter()
                .map(|n| NetworkInterfaceSpecification {
                    device_index: n.device_index.and_then(|i| i32::try_from(i).ok()),
                    subnet_id: n.subnet_id,
                    groups: n.groups,
                })
                .collect()
        });
    }
    if input.metadata_options.is_none() {
        input.metadata_options = data.metadata_options.map(|m| MetadataOptionsRequest {
            http_tokens: m.http_tokens,
            http_put_response_hop_limit: m
                .http_put_response_hop_limit
                .and_then(|l| i32::try_from(l).ok()),
            http_endpoint: m.http_endpoint,
            instance_metadata_tags: m.instance_metadata_tags,
        });
    }
    input.disable_api_termination = input
        .disable_api_termination
        .or(data.disable_api_termination);
    input.instance_initiated_shutdown_behavior = input
        .instance_initiated_shutdown_behavior
        .or(data.instance_initiated_shutdown_behavior);
    // Tags: the template's, then the request's (a key in both takes the
    // request's value).
    let mut specs: Vec<TagSpecification> = data
        .tag_specifications
        .unwrap_or_default()
        .into_iter()
        .map(|t| TagSpecification {
            resource_type: Some(t.resource_type),
            tags: t
                .tags
                .into_iter()
                .map(|tag| crate::ec2::model::Tag {
                    key: tag.key,
                    value: tag.value,
                })
                .collect(),
        })
        .collect();
    specs.extend(input.tag_specifications.take().unwrap_or_default());
    input.tag_specifications = Some(specs);
    Ok((input, Some((template.id, version.number.to_string()))))
}

/// Checks every parameter of the (template-merged) request, resolving a
/// `resolve:ssm:` image id.
fn checked(state: &ApiState, tx: &Tx<'_>, input: RunInstancesInput) -> Result<Launch, Error> {
    let image_id = input
        .image_id
        .ok_or_else(|| Rule::MissingParameter("ImageId".to_owned()))?;
    let image_id = images::resolve_image_id(tx, &image_id)?;
    if !ec2::is_id(&image_id, "ami") {
        return Err(Rule::AmiMalformed(image_id).into());
    }
    let image = ec2::images::find(&image_id).ok_or_else(|| Rule::AmiNotFound(image_id.clone()))?;
    let instance_type = input
        .instance_type
        .unwrap_or_else(|| DEFAULT_INSTANCE_TYPE.to_owned());
    inst::validate_instance_type(&instance_type)?;
    let (min, max) = inst::counts(input.min_count, input.max_count)?;
    if let Some(data) = &input.user_data {
        decode_user_data(data)?;
    }
    let interface = input
        .network_interfaces
        .unwrap_or_default()
        .into_iter()
        .find(|n| n.device_index.unwrap_or(0) == 0);
    let subnet = input
        .subnet_id
        .or_else(|| interface.as_ref().and_then(|n| n.subnet_id.clone()));
    let requested_zone = input.placement.and_then(|p| p.availability_zone);
    let zone = placement_zone(state, subnet.as_deref(), requested_zone)?;
    let mut metadata = MetadataOptions::default();
    if image.imds_v2_only {
        metadata.http_tokens = "required".to_owned();
    }
    if let Some(options) = input.metadata_options {
        metadata.apply(MetadataChange {
            http_tokens: options.http_tokens,
            http_put_response_hop_limit: options.http_put_response_hop_limit,
            http_endpoint: options.http_endpoint,
            instance_metadata_tags: options.instance_metadata_tags,
        })?;
    }
    let shutdown_behavior = input
        .instance_initiated_shutdown_behavior
        .unwrap_or_else(|| "stop".to_owned());
    if !matches!(shutdown_behavior.as_str(), "stop" | "terminate") {
        return Err(Rule::InvalidParameterValue(format!(
            "Invalid value '{shutdown_behavior}' for instanceInitiatedShutdownBehavior"
        ))
        .into());
    }
    let mut group_ids = input.security_group_ids.unwrap_or_default();
    group_ids.extend(interface.and_then(|n| n.groups).unwrap_or_default());
    Ok(Launch {
        image_id,
        instance_type,
        key_name: input.key_name,
        zone,
        group_ids,
        group_names: input.security_groups.unwrap_or_default(),
        user_data: input.user_data,
        profile: input.iam_instance_profile,
        metadata,
        tags: instance_tags(input.tag_specifications)?,
        shutdown_behavior,
        disable_api_termination: input.disable_api_termination.unwrap_or(false),
        min,
        max,
        client_token: input.client_token.filter(|t| !t.is_empty()),
    })
}

/// The zone a request places its instances in: the subnet's (one of the
/// default subnets), else the requested zone, else `None`.
fn placement_zone(
    state: &ApiState,
    subnet: Option<&str>,
    zone: Option<String>,
) -> Result<Option<String>, Rule> {
    let subnets = default_subnets(&state.scope.region);
    if let Some(subnet) = subnet {
        let found = subnets
            .iter()
            .find(|s| s.id == subnet)
            .ok_or_else(|| Rule::SubnetNotFound(subnet.to_owned()))?;
        if zone.as_ref().is_some_and(|z| *z != found.zone) {
            return Err(Rule::InvalidParameterValue(format!(
                "Subnet '{subnet}' is in availability zone '{}', not the one requested",
                found.zone
            )));
        }
        return Ok(Some(found.zone.clone()));
    }
    match zone {
        Some(zone) if subnets.iter().any(|s| s.zone == zone) => Ok(Some(zone)),
        Some(zone) => Err(Rule::InvalidParameterValue(format!(
            "Invalid availability zone: [{zone}]"
        ))),
        None => Ok(None),
    }
}

/// The instance tags of `TagSpecification`s. Volume and network interface
/// tags are accepted (Ballast's instances have neither) and dropped.
fn instance_tags(
    specs: Option<Vec<crate::ec2::model::TagSpecification>>,
) -> Result<Vec<(String, String)>, Rule> {
    let specs: Vec<_> = specs
        .unwrap_or_default()
        .into_iter()
        .filter(|s| {
            !matches!(
                s.resource_type.as_deref(),
                Some("volume" | "network-interface")
            )
        })
        .collect();
    let tags = crate::ec2::creation_tags(Some(specs), "instance")?;
    // A key given twice keeps its last value.
    let mut merged: Vec<(String, String)> = Vec::with_capacity(tags.len());
    for (key, value) in tags {
        merged.retain(|(k, _)| *k != key);
        merged.push((key, value));
    }
    Ok(merged)
}

/// A retried request with the same `ClientToken` gets the instances the
/// first one launched.
fn same_client_token(
    tx: &Tx<'_>,
    token: Option<&str>,
) -> Result<Option<(String, Vec<Instance>)>, Error> {
    let Some(token) = token else {
        return Ok(None);
    };
    let instances: Vec<Instance> = tx
        .instances()?
        .into_iter()
        .filter(|i| i.client_token.as_deref() == Some(token))
        .collect();
    Ok(instances
        .first()
        .map(|first| first.reservation_id.clone())
        .map(|reservation| (reservation, instances)))
}

/// The groups the instances join: the named ones (which must exist in
/// the default VPC), or the VPC's default group.
fn resolve_groups(state: &ApiState, tx: &Tx<'_>, launch: &Launch) -> Result<Vec<GroupRef>, Error> {
    let mut groups = Vec::new();
    for id in &launch.group_ids {
        let group = security_groups::find(state, tx, id)?.ok_or_else(|| {
            Rule::GroupNotFound(format!("The security group '{id}' does not exist"))
        })?;
        groups.push(GroupRef {
            id: group.id,
            name: group.name,
        });
    }
    for name in &launch.group_names {
        let group =
            security_groups::find_by_name(state, tx, DEFAULT_VPC_ID, name)?.ok_or_else(|| {
                Rule::GroupNotFound(format!(
                    "The security group '{name}' does not exist in default VPC '{DEFAULT_VPC_ID}'"
                ))
            })?;
        groups.push(GroupRef {
            id: group.id,
            name: group.name,
        });
    }
    if groups.is_empty() {
        groups.push(GroupRef {
            id: DEFAULT_SECURITY_GROUP_ID.to_owned(),
            name: ec2::security_group::DEFAULT_GROUP_NAME.to_owned(),
        });
    }
    groups.dedup_by(|a, b| a.id == b.id);
    Ok(groups)
}

/// The instance profile a request names, as an association to record.
fn resolve_profile(
    state: &ApiState,
    tx: &Tx<'_>,
    spec: Option<&IamInstanceProfileSpecification>,
) -> Result<Option<ProfileAssociation>, Error> {
    let Some(spec) = spec else {
        return Ok(None);
    };
    let (arn, id) = super::profiles::find_profile(tx, spec)?;
    Ok(Some(ProfileAssociation {
        id: format!("iip-assoc-{}", state.ids.hex(17)),
        profile_arn: arn,
        profile_id: id,
        since_millis: state.now().millis(),
    }))
}

/// The zone with the fewest instances that are not terminated, so
/// launches without a placement spread across the region.
fn emptiest_zone(state: &ApiState, tx: &Tx<'_>) -> Result<String, Error> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for instance in tx.instances()? {
        if instance.state != InstanceState::Terminated {
            *counts.entry(instance.zone).or_default() += 1;
        }
    }
    Ok(default_subnets(&state.scope.region)
        .into_iter()
        .min_by_key(|s| counts.get(&s.zone).copied().unwrap_or(0))
        .map(|s| s.zone)
        .unwrap_or_default())
}

/// Creates between `min` and `max` instances, as many as there are free
/// addresses for.
fn create(
    state: &ApiState,
    tx: &Tx<'_>,
    launch: &Launch,
    zone: &str,
    groups: Vec<GroupRef>,
    profile: Option<ProfileAssociation>,
    template: Option<(String, String)>,
) -> Result<Vec<Instance>, Error> {
    let subnet = default_subnets(&state.scope.region)
        .into_iter()
        .find(|s| s.zone == zone)
        .ok_or_else(|| {
            Rule::InvalidParameterValue(format!("Invalid availability zone: [{zone}]"))
        })?;
    let mut taken = tx.instance_addresses()?;
    let mut addresses = Vec::new();
    while addresses.len() < launch.max as usize {
        let Some(address) = state.instance_addresses.first_free(&taken) else {
            break;
        };
        taken.insert(address);
        addresses.push(address);
    }
    if addresses.len() < launch.min as usize {
        return Err(Rule::InsufficientInstanceCapacity(format!(
            "There is not enough capacity to fulfil your request: Ballast's instance address block ({}) has {} free address(es) left.",
            state.instance_addresses,
            addresses.len()
        ))
        .into());
    }
    let reservation_id = format!("r-{}", state.ids.hex(17));
    let now = state.now().millis();
    let mut instances = Vec::with_capacity(addresses.len());
    for (index, address) in addresses.into_iter().enumerate() {
        let instance = Instance {
            id: format!("i-{}", state.ids.hex(17)),
            reservation_id: reservation_id.clone(),
            image_id: launch.image_id.clone(),
            instance_type: launch.instance_type.clone(),
            key_name: launch.key_name.clone(),
            zone: zone.to_owned(),
            subnet_id: subnet.id.to_owned(),
            vpc_id: DEFAULT_VPC_ID.to_owned(),
            private_ip: address,
            security_groups: groups.clone(),
            state: InstanceState::Pending,
            state_since_millis: now,
            transition_reason: String::new(),
            state_reason: None,
            launch_millis: now,
            ami_launch_index: i32::try_from(index).unwrap_or(i32::MAX),
            client_token: launch.client_token.clone(),
            user_data: launch.user_data.clone(),
            profile: profile.clone().map(|p| ProfileAssociation {
                id: format!("iip-assoc-{}", state.ids.hex(17)),
                ..p
            }),
            metadata: launch.metadata.clone(),
            boot_generation: 1,
            shutdown_behavior: launch.shutdown_behavior.clone(),
            disable_api_termination: launch.disable_api_termination,
            launch_template: template.clone(),
        };
        tx.save_instance(&instance)?;
        tx.put_tags(&instance.id, &launch.tags)?;
        instances.push(instance);
    }
    Ok(instances)
}
