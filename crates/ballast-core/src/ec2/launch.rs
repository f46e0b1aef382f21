//! Launching instances: the parameters of a launch, a launch template laid
//! under them, their checks, placement and the records a launch creates.
//!
//! RunInstances and Auto Scaling launch through this one path, so an
//! instance a group launches is checked, placed and recorded exactly as one
//! RunInstances would launch from the same template. What needs the store
//! (resolving `resolve:ssm:` images, security groups, key pairs, instance
//! profiles, free addresses) is done by `ballast_store::Tx::prepare_launch`
//! and `Tx::launch_instances`, which call in here for every rule.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use super::Error;
use super::instance::{
    self as inst, GroupRef, Instance, InstanceState, MetadataChange, MetadataOptions,
    ProfileAssociation,
};
use super::launch_template::{BlockDeviceMapping, IamInstanceProfile, TemplateData};
use super::volume::{self, Spec, SpecRequest};
use crate::Ids;
use crate::network::{DEFAULT_VPC_ID, default_subnets};

/// EC2's instance type when a request names none.
pub const DEFAULT_INSTANCE_TYPE: &str = "m1.small";

/// The tag EC2 puts on instances launched from a template: its id.
pub const TEMPLATE_ID_TAG: &str = "aws:ec2launchtemplate:id";

/// ... and the version used.
pub const TEMPLATE_VERSION_TAG: &str = "aws:ec2launchtemplate:version";

/// One `NetworkInterface` of a launch: the members that place an instance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InterfaceRequest {
    pub device_index: Option<i32>,
    pub subnet_id: Option<String>,
    /// Security group ids.
    pub groups: Option<Vec<String>>,
}

/// One `TagSpecification` of a launch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagRequest {
    pub resource_type: Option<String>,
    pub tags: Vec<(String, String)>,
}

/// The launch parameters of a RunInstances request (or of an Auto Scaling
/// launch), as given, before a template fills the gaps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LaunchRequest {
    pub image_id: Option<String>,
    pub instance_type: Option<String>,
    pub key_name: Option<String>,
    /// Base64, as given.
    pub user_data: Option<String>,
    pub iam_instance_profile: Option<IamInstanceProfile>,
    pub security_group_ids: Option<Vec<String>>,
    pub security_groups: Option<Vec<String>>,
    pub subnet_id: Option<String>,
    /// `Placement.AvailabilityZone`.
    pub zone: Option<String>,
    pub network_interfaces: Option<Vec<InterfaceRequest>>,
    pub metadata_options: Option<MetadataChange>,
    pub disable_api_termination: Option<bool>,
    /// `Monitoring.Enabled`: detailed monitoring.
    pub monitoring: Option<bool>,
    pub shutdown_behavior: Option<String>,
    pub tag_specifications: Option<Vec<TagRequest>>,
    pub block_device_mappings: Option<Vec<BlockDeviceMapping>>,
    pub min_count: Option<i32>,
    pub max_count: Option<i32>,
    pub client_token: Option<String>,
}

impl LaunchRequest {
    /// The request laid over a template version's data: what the request
    /// sets wins, the template fills the rest; tag specifications are the
    /// template's, then the request's (one key in both is refused by the
    /// tag checks in [`check`], as RunInstances always did).
    pub fn over_template(mut self, data: TemplateData) -> LaunchRequest {
        self.image_id = self.image_id.or(data.image_id);
        self.instance_type = self.instance_type.or(data.instance_type);
        self.key_name = self.key_name.or(data.key_name);
        self.user_data = self.user_data.or(data.user_data);
        self.iam_instance_profile = self.iam_instance_profile.or(data.iam_instance_profile);
        if self.security_group_ids.is_none() && self.security_groups.is_none() {
            self.security_group_ids = data.security_group_ids;
            self.security_groups = data.security_groups;
        }
        if self.zone.is_none() {
            self.zone = data.placement.and_then(|p| p.availability_zone);
        }
        if self.network_interfaces.is_none() {
            self.network_interfaces = data.network_interfaces.map(|interfaces| {
                interfaces
                    .into_iter()
                    .map(|n| InterfaceRequest {
                        device_index: n.device_index.and_then(|i| i32::try_from(i).ok()),
                        subnet_id: n.subnet_id,
                        groups: n.groups,
                    })
                    .collect()
            });
        }
        if self.metadata_options.is_none() {
            self.metadata_options = data.metadata_options.map(|m| MetadataChange {
                http_tokens: m.http_tokens,
                http_put_response_hop_limit: m
                    .http_put_response_hop_limit
                    .and_then(|l| i32::try_from(l).ok()),
                http_endpoint: m.http_endpoint,
                instance_metadata_tags: m.instance_metadata_tags,
            });
        }
        self.disable_api_termination = self
            .disable_api_termination
            .or(data.disable_api_termination);
        self.monitoring = self.monitoring.or(data.monitoring.and_then(|m| m.enabled));
        self.block_device_mappings = self.block_device_mappings.or(data.block_device_mappings);
        self.shutdown_behavior = self
            .shutdown_behavior
            .or(data.instance_initiated_shutdown_behavior);
        let mut specs: Vec<TagRequest> = data
            .tag_specifications
            .unwrap_or_default()
            .into_iter()
            .map(|t| TagRequest {
                resource_type: Some(t.resource_type),
                tags: t.tags.into_iter().map(|tag| (tag.key, tag.value)).collect(),
            })
            .collect();
        specs.extend(self.tag_specifications.take().unwrap_or_default());
        self.tag_specifications = Some(specs);
        self
    }
}

/// Where and how the instances of one launch start, once every parameter
/// has been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// The AMI id, `resolve:ssm:` already resolved.
    pub image_id: String,
    pub instance_type: String,
    pub key_name: Option<String>,
    /// The requested zone; `None` lets Ballast pick the emptiest.
    pub zone: Option<String>,
    pub group_ids: Vec<String>,
    pub group_names: Vec<String>,
    pub user_data: Option<String>,
    pub profile: Option<IamInstanceProfile>,
    pub metadata: MetadataOptions,
    pub tags: LaunchTags,
    /// What `BlockDeviceMappings` changes of the image's root volume.
    pub root_volume: Option<MappedVolume>,
    /// The volumes `BlockDeviceMappings` adds to each instance.
    pub volumes: Vec<MappedVolume>,
    pub shutdown_behavior: String,
    pub disable_api_termination: bool,
    /// Detailed monitoring asked for at launch.
    pub monitoring: bool,
    pub min: u32,
    pub max: u32,
    pub client_token: Option<String>,
}

/// Checks every parameter of a (template-merged) request. `image_id` is
/// the request's image id with any `resolve:ssm:` alias resolved.
pub fn check(request: LaunchRequest, image_id: String, region: &str) -> Result<Launch, Error> {
    if !super::is_id(&image_id, "ami") {
        return Err(Error::AmiMalformed(image_id));
    }
    let image =
        super::images::find(&image_id).ok_or_else(|| Error::AmiNotFound(image_id.clone()))?;
    let instance_type = request
        .instance_type
        .unwrap_or_else(|| DEFAULT_INSTANCE_TYPE.to_owned());
    inst::validate_instance_type(&instance_type)?;
    let (min, max) = inst::counts(request.min_count, request.max_count)?;
    if let Some(data) = &request.user_data {
        inst::decode_user_data(data)?;
    }
    let interface = request
        .network_interfaces
        .unwrap_or_default()
        .into_iter()
        .find(|n| n.device_index.unwrap_or(0) == 0);
    let subnet = request
        .subnet_id
        .or_else(|| interface.as_ref().and_then(|n| n.subnet_id.clone()));
    let zone = placement_zone(region, subnet.as_deref(), request.zone)?;
    let mut metadata = MetadataOptions::default();
    // An AMI whose ImdsSupport is v2.0 launches with tokens required and
    // a hop limit of 2 (so containers on the instance still reach IMDS).
    if image.imds_v2_only {
        metadata.http_tokens = "required".to_owned();
        metadata.http_put_response_hop_limit = 2;
    }
    if let Some(options) = request.metadata_options {
        metadata.apply(options)?;
    }
    let shutdown_behavior = request
        .shutdown_behavior
        .unwrap_or_else(|| "stop".to_owned());
    if !matches!(shutdown_behavior.as_str(), "stop" | "terminate") {
        return Err(Error::InvalidParameterValue(format!(
            "Invalid value '{shutdown_behavior}' for instanceInitiatedShutdownBehavior"
        )));
    }
    let mut group_ids = request.security_group_ids.unwrap_or_default();
    group_ids.extend(interface.and_then(|n| n.groups).unwrap_or_default());
    let (root_volume, volumes) =
        mapped_volumes(image, request.block_device_mappings.unwrap_or_default())?;
    Ok(Launch {
        image_id,
        instance_type,
        key_name: request.key_name,
        zone,
        group_ids,
        group_names: request.security_groups.unwrap_or_default(),
        user_data: request.user_data,
        profile: request.iam_instance_profile,
        metadata,
        tags: launch_tags(request.tag_specifications)?,
        root_volume,
        volumes,
        shutdown_behavior,
        disable_api_termination: request.disable_api_termination.unwrap_or(false),
        monitoring: request.monitoring.unwrap_or(false),
        min,
        max,
        client_token: request.client_token.filter(|t| !t.is_empty()),
    })
}

/// An EBS volume a launch's `BlockDeviceMappings` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedVolume {
    pub device: String,
    pub spec: Spec,
    pub encrypted: bool,
    pub delete_on_termination: bool,
}

impl Launch {
    /// The volumes one instance of this launch starts with: the image's
    /// root volume (as the mappings change it) and the mapped ones, each
    /// attached from `now_millis` (the mapped ones `attaching`, until the
    /// fleet has put them in the instance).
    pub fn instance_volumes(
        &self,
        instance: &Instance,
        image: &crate::catalogue::Image,
        ids: &Ids,
        now_millis: i64,
    ) -> Vec<volume::Volume> {
        let new_id = || format!("vol-{}", ids.hex(17));
        let mut root =
            volume::Volume::root(new_id(), &instance.id, &instance.zone, image, now_millis);
        if let Some(mapped) = &self.root_volume {
            root.size_gib = mapped.spec.size_gib;
            root.volume_type = mapped.spec.volume_type.clone();
            root.iops = mapped.spec.iops;
            root.throughput = mapped.spec.throughput;
            root.encrypted = mapped.encrypted;
            if let Some(a) = root.attachment.as_mut() {
                a.delete_on_termination = mapped.delete_on_termination;
            }
        }
        let mut volumes = vec![root];
        for mapped in &self.volumes {
            let mut extra = volume::Volume::new(
                new_id(),
                &instance.zone,
                mapped.spec.clone(),
                mapped.encrypted,
                now_millis,
            );
            extra.created();
            extra.attachment = Some(volume::Attachment {
                instance_id: instance.id.clone(),
                device: mapped.device.clone(),
                attached_millis: now_millis,
                delete_on_termination: mapped.delete_on_termination,
                state: volume::AttachmentState::Attaching,
            });
            volumes.push(extra);
        }
        volumes
    }
}

/// The root volume's changes and the new volumes a launch's
/// `BlockDeviceMappings` ask for. Instance-store (`VirtualName`) and
/// `NoDevice` entries add nothing: Ballast's images have no instance
/// store.
fn mapped_volumes(
    image: &crate::catalogue::Image,
    mappings: Vec<BlockDeviceMapping>,
) -> Result<(Option<MappedVolume>, Vec<MappedVolume>), Error> {
    let mut root = None;
    let mut volumes = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let bad = |message: String| Error::InvalidBlockDeviceMapping(message);
    for mapping in mappings {
        let Some(device) = mapping.device_name else {
            return Err(Error::MissingParameter(
                "BlockDeviceMapping.DeviceName".to_owned(),
            ));
        };
        let kernel = volume::kernel_name(&device);
        if seen.contains(&kernel) {
            return Err(bad(format!(
                "The device '{device}' is used in more than one block-device mapping"
            )));
        }
        seen.push(kernel);
        if mapping.ebs.is_none() && mapping.virtual_name.is_none() && mapping.no_device.is_none() {
            return Err(bad(format!(
                "The block-device mapping for {device} must specify Ebs, VirtualName or NoDevice"
            )));
        }
        let Some(ebs) = mapping.ebs.filter(|_| mapping.no_device.is_none()) else {
            continue;
        };
        let root_snapshot = volume::image_snapshot_id(image.id);
        let is_root = device == image.root_device_name;
        if let Some(snapshot) = &ebs.snapshot_id
            && !(is_root && *snapshot == root_snapshot)
        {
            return Err(Error::SnapshotNotFound(snapshot.clone()));
        }
        let number = |n: Option<i64>| n.and_then(|n| i32::try_from(n).ok());
        let request = SpecRequest {
            size_gib: number(ebs.volume_size),
            volume_type: ebs.volume_type.clone(),
            iops: number(ebs.iops),
            throughput: number(ebs.throughput),
        };
        let spec = if is_root {
            let base = Spec {
                size_gib: volume::ROOT_VOLUME_GIB,
                volume_type: "gp3".to_owned(),
                iops: Some(3_000),
                throughput: Some(125),
            };
            if request.size_gib.is_some_and(|size| size < base.size_gib) {
                return Err(bad(format!(
                    "Volume of size {}GB is smaller than snapshot '{root_snapshot}', expect size >= {}GB",
                    request.size_gib.unwrap_or_default(),
                    base.size_gib
                )));
            }
            request.check(Some(&base))?
        } else {
            if !volume::is_device_name(&device) {
                return Err(bad(format!("Invalid device name {device}")));
            }
            if request.size_gib.is_none() {
                return Err(bad(format!(
                    "The request must contain the parameter volumeSize or snapshotId for {device}"
                )));
            }
            request.check(None)?
        };
        let mapped = MappedVolume {
            device,
            spec,
            encrypted: ebs.encrypted.unwrap_or(false),
            delete_on_termination: ebs.delete_on_termination.unwrap_or(true),
        };
        if is_root {
            root = Some(mapped);
        } else {
            volumes.push(mapped);
        }
    }
    Ok((root, volumes))
}

/// The zone a request places its instances in: the subnet's (one of the
/// default subnets), else the requested zone, else `None`.
pub fn placement_zone(
    region: &str,
    subnet: Option<&str>,
    zone: Option<String>,
) -> Result<Option<String>, Error> {
    let subnets = default_subnets(region);
    if let Some(subnet) = subnet {
        let found = subnets
            .iter()
            .find(|s| s.id == subnet)
            .ok_or_else(|| Error::SubnetNotFound(subnet.to_owned()))?;
        if zone.as_ref().is_some_and(|z| *z != found.zone) {
            return Err(Error::InvalidParameterValue(format!(
                "Subnet '{subnet}' is in availability zone '{}', not the one requested",
                found.zone
            )));
        }
        return Ok(Some(found.zone.clone()));
    }
    match zone {
        Some(zone) if subnets.iter().any(|s| s.zone == zone) => Ok(Some(zone)),
        Some(zone) => Err(Error::InvalidParameterValue(format!(
            "Invalid availability zone: [{zone}]"
        ))),
        None => Ok(None),
    }
}

/// The tags a launch's `TagSpecification`s put on its instances and on
/// their volumes. Network interface tags are accepted (Ballast's instances
/// have none) and dropped; a key given twice keeps its last value.
pub fn launch_tags(specs: Option<Vec<TagRequest>>) -> Result<LaunchTags, Error> {
    let mut instance = Vec::new();
    let mut volume = Vec::new();
    for spec in specs.unwrap_or_default() {
        match spec.resource_type.as_deref() {
            Some("instance") => instance.extend(spec.tags),
            Some("volume") => volume.extend(spec.tags),
            Some("network-interface") => {}
            Some(other) => {
                return Err(Error::InvalidParameterValue(format!(
                    "'{other}' is not a valid taggable resource type for this operation."
                )));
            }
            None => {
                return Err(Error::MissingParameter(
                    "TagSpecification.ResourceType".to_owned(),
                ));
            }
        }
    }
    Ok(LaunchTags {
        instance: checked_tags(instance)?,
        volume: checked_tags(volume)?,
    })
}

/// What [`launch_tags`] found, by the kind of resource they go on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LaunchTags {
    pub instance: Vec<(String, String)>,
    pub volume: Vec<(String, String)>,
}

/// Tags checked against EC2's limits, a repeated key keeping its last
/// value.
fn checked_tags(tags: Vec<(String, String)>) -> Result<Vec<(String, String)>, Error> {
    let core_tags = crate::tags::from_pairs(tags.iter().cloned());
    super::check_tags(&core_tags)?;
    let mut merged: Vec<(String, String)> = Vec::with_capacity(tags.len());
    for (key, value) in tags {
        merged.retain(|(k, _)| *k != key);
        merged.push((key, value));
    }
    Ok(merged)
}

/// The zone with the fewest instances that are not terminated, so
/// launches without a placement spread across the region.
pub fn emptiest_zone(region: &str, instances: &[Instance]) -> String {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for instance in instances {
        if instance.state != InstanceState::Terminated {
            *counts.entry(instance.zone.as_str()).or_default() += 1;
        }
    }
    default_subnets(region)
        .into_iter()
        .min_by_key(|s| counts.get(s.zone.as_str()).copied().unwrap_or(0))
        .map(|s| s.zone)
        .unwrap_or_default()
}

/// What a launch resolved from the store: where, in which groups, with
/// which profile, from which template.
#[derive(Debug, Clone)]
pub struct Placed<'a> {
    pub launch: &'a Launch,
    pub zone: &'a str,
    pub groups: Vec<GroupRef>,
    pub profile: Option<ProfileAssociation>,
    /// The template and version the launch came from.
    pub template: Option<(String, String)>,
}

/// The instance records of a launch, one per free address, all in one
/// new reservation, `pending` from `now_millis`.
pub fn instances(
    placed: &Placed<'_>,
    region: &str,
    addresses: Vec<Ipv4Addr>,
    ids: &Ids,
    now_millis: i64,
) -> Result<Vec<Instance>, Error> {
    let subnet = default_subnets(region)
        .into_iter()
        .find(|s| s.zone == placed.zone)
        .ok_or_else(|| {
            Error::InvalidParameterValue(format!("Invalid availability zone: [{}]", placed.zone))
        })?;
    let launch = placed.launch;
    let reservation_id = format!("r-{}", ids.hex(17));
    Ok(addresses
        .into_iter()
        .enumerate()
        .map(|(index, address)| Instance {
            id: format!("i-{}", ids.hex(17)),
            reservation_id: reservation_id.clone(),
            image_id: launch.image_id.clone(),
            instance_type: launch.instance_type.clone(),
            key_name: launch.key_name.clone(),
            zone: placed.zone.to_owned(),
            subnet_id: subnet.id.to_owned(),
            vpc_id: DEFAULT_VPC_ID.to_owned(),
            private_ip: address,
            security_groups: placed.groups.clone(),
            state: InstanceState::Pending,
            state_since_millis: now_millis,
            transition_reason: String::new(),
            state_reason: None,
            launch_millis: now_millis,
            ami_launch_index: i32::try_from(index).unwrap_or(i32::MAX),
            client_token: launch.client_token.clone(),
            user_data: launch.user_data.clone(),
            profile: placed.profile.clone().map(|p| ProfileAssociation {
                id: format!("iip-assoc-{}", ids.hex(17)),
                ..p
            }),
            metadata: launch.metadata.clone(),
            boot_generation: 1,
            shutdown_behavior: launch.shutdown_behavior.clone(),
            disable_api_termination: launch.disable_api_termination,
            launch_template: placed.template.clone(),
            impaired: false,
            disable_api_stop: false,
            ebs_optimized: false,
            source_dest_check: true,
            ena_support: true,
            monitoring: launch.monitoring,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ec2::launch_template::{LaunchTagSpecification, Monitoring, Placement};
    use crate::tags::Tag;

    const AL2023: &str = "ami-0ba11a5700a023086";

    fn request() -> LaunchRequest {
        LaunchRequest {
            min_count: Some(1),
            max_count: Some(1),
            ..LaunchRequest::default()
        }
    }

    #[test]
    fn the_request_wins_over_the_template() {
        let data = TemplateData {
            image_id: Some(AL2023.into()),
            instance_type: Some("t3.micro".into()),
            placement: Some(Placement {
                availability_zone: Some("us-east-1b".into()),
                ..Placement::default()
            }),
            tag_specifications: Some(vec![LaunchTagSpecification {
                resource_type: "instance".into(),
                tags: vec![Tag {
                    key: "a".into(),
                    value: "template".into(),
                }],
            }]),
            monitoring: Some(Monitoring {
                enabled: Some(true),
            }),
            ..TemplateData::default()
        };
        let merged = LaunchRequest {
            instance_type: Some("t3.large".into()),
            tag_specifications: Some(vec![TagRequest {
                resource_type: Some("instance".into()),
                tags: vec![("b".into(), "request".into())],
            }]),
            ..request()
        }
        .over_template(data);
        assert_eq!(merged.image_id.as_deref(), Some(AL2023));
        assert_eq!(merged.instance_type.as_deref(), Some("t3.large"));
        assert_eq!(merged.zone.as_deref(), Some("us-east-1b"));
        let launch = check(merged, AL2023.into(), "us-east-1").unwrap();
        assert_eq!(
            launch.tags.instance,
            [
                ("a".to_owned(), "template".to_owned()),
                ("b".to_owned(), "request".to_owned())
            ]
        );
        assert_eq!(launch.zone.as_deref(), Some("us-east-1b"));
        assert!(launch.metadata.tokens_required(), "AL2023 is IMDSv2 only");
        assert_eq!(launch.metadata.http_put_response_hop_limit, 2);
        assert!(launch.monitoring, "the template's detailed monitoring");
        assert!(
            !check(request(), AL2023.into(), "us-east-1")
                .unwrap()
                .monitoring
        );
    }

    #[test]
    fn checks_refuse_bad_parameters() {
        assert!(matches!(
            check(request(), "ami-0123456789abcdef0".into(), "us-east-1"),
            Err(Error::AmiNotFound(_))
        ));
        assert!(matches!(
            check(request(), "nope".into(), "us-east-1"),
            Err(Error::AmiMalformed(_))
        ));
        let bad_zone = LaunchRequest {
            zone: Some("mars-1a".into()),
            ..request()
        };
        assert!(check(bad_zone, AL2023.into(), "us-east-1").is_err());
        let by_kind = launch_tags(Some(vec![
            TagRequest {
                resource_type: Some("volume".into()),
                tags: vec![("k".into(), "v".into())],
            },
            TagRequest {
                resource_type: Some("network-interface".into()),
                tags: vec![("n".into(), "v".into())],
            },
        ]))
        .unwrap();
        assert!(by_kind.instance.is_empty());
        assert_eq!(by_kind.volume, [("k".to_owned(), "v".to_owned())]);
    }

    #[test]
    fn records_share_a_reservation() {
        let launch = check(request(), AL2023.into(), "us-east-1").unwrap();
        let placed = Placed {
            launch: &launch,
            zone: "us-east-1c",
            groups: Vec::new(),
            profile: None,
            template: None,
        };
        let ids = Ids::seeded(1);
        let made = instances(
            &placed,
            "us-east-1",
            vec![Ipv4Addr::new(127, 101, 0, 1), Ipv4Addr::new(127, 101, 0, 2)],
            &ids,
            7,
        )
        .unwrap();
        assert_eq!(made.len(), 2);
        assert_eq!(made[0].reservation_id, made[1].reservation_id);
        assert_eq!(made[1].ami_launch_index, 1);
        assert_eq!(made[0].subnet_id, "subnet-0ba11a5700000000c");
        assert_eq!(made[0].state, InstanceState::Pending);
    }
}
