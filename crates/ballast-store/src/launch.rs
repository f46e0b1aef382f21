//! Launching instances inside a transaction: what a launch needs from the
//! store (a template, `resolve:ssm:` images, security groups, key pairs,
//! instance profiles, free addresses), shared by RunInstances and Auto
//! Scaling so both launch the same way. The rules themselves are
//! `ballast_core::ec2::launch`.

use std::collections::HashSet;
use std::net::Ipv4Addr;

use ballast_core::Ids;
use ballast_core::address::InstanceAddresses;
use ballast_core::ec2::images::{self, ImageRef};
use ballast_core::ec2::instance::{GroupRef, Instance, ProfileAssociation};
use ballast_core::ec2::launch::{self, Launch, LaunchRequest, Placed};
use ballast_core::ec2::launch_template::{IamInstanceProfile, ProfileRef, TemplateRef};
use ballast_core::ec2::{self, Error as Rule, SecurityGroup};
use ballast_core::network::{DEFAULT_SECURITY_GROUP_ID, DEFAULT_VPC_ID};
use ballast_core::ssm::parameter::{Selector, SelectorVersion, key_of};

use crate::{StoreError, Tx};

/// The launch template a launch names: which template, and the version
/// asked for (`None` is `$Default`).
#[derive(Debug, Clone)]
pub struct TemplateChoice {
    pub template: TemplateRef,
    pub version: Option<String>,
}

/// A checked launch and the template version it came from, as
/// `(template id, version number)`.
#[derive(Debug, Clone)]
pub struct PreparedLaunch {
    pub launch: Launch,
    pub template: Option<(String, String)>,
}

/// What a launch's names resolved to in the store.
#[derive(Debug, Clone)]
pub struct LaunchResources {
    pub groups: Vec<GroupRef>,
    pub profile: Option<ProfileAssociation>,
}

impl Tx<'_> {
    /// The AMI id an `ImageId` stands for: a plain id as given;
    /// `resolve:ssm:` and a public parameter from the catalogue;
    /// `resolve:ssm:` and a parameter of the account (`NAME`,
    /// `NAME:VERSION`, `NAME:LABEL`) from Parameter Store. An unresolvable
    /// parameter is `InvalidParameterValue`.
    pub fn resolve_image_id<E>(&self, image_id: &str) -> Result<String, E>
    where
        E: From<StoreError> + From<Rule>,
    {
        let raw = match images::image_ref(image_id)? {
            ImageRef::Id(id) => return Ok(id.to_owned()),
            ImageRef::Public(image) => return Ok(image.id.to_owned()),
            ImageRef::Parameter(raw) => raw,
        };
        let selector = Selector::parse(raw);
        let key = key_of(&selector.name);
        let found = match &selector.version {
            SelectorVersion::Latest => self.latest_parameter(&key)?,
            SelectorVersion::Number(n) => self.parameter_version(&key, *n)?,
            SelectorVersion::Label(label) => self
                .parameter_versions(&key)?
                .into_iter()
                .find(|v| v.labels.contains(label)),
        };
        found
            .map(|v| v.value)
            .ok_or_else(|| images::unresolvable_alias(image_id).into())
    }

    /// A security group by id, the default VPC's default group included
    /// (it exists before anything is stored about it).
    pub fn security_group_or_default(
        &self,
        id: &str,
        account: &str,
    ) -> Result<Option<SecurityGroup>, StoreError> {
        if let Some(group) = self.security_group(id)? {
            return Ok(Some(group));
        }
        Ok((id == DEFAULT_SECURITY_GROUP_ID).then(|| SecurityGroup::default_group(account)))
    }

    /// A security group by name in a VPC, the default group included.
    pub fn security_group_by_name_or_default(
        &self,
        vpc_id: &str,
        name: &str,
        account: &str,
    ) -> Result<Option<SecurityGroup>, StoreError> {
        if let Some(group) = self.security_group_by_name(vpc_id, name)? {
            return Ok(Some(group));
        }
        Ok(
            (vpc_id == DEFAULT_VPC_ID && name == ec2::security_group::DEFAULT_GROUP_NAME)
                .then(|| SecurityGroup::default_group(account)),
        )
    }

    /// The instance profile a launch or association names, as `(ARN, id)`;
    /// EC2's errors for both or neither given, or one IAM does not know.
    pub fn instance_profile_for_launch<E>(
        &self,
        spec: &IamInstanceProfile,
    ) -> Result<(String, String), E>
    where
        E: From<StoreError> + From<Rule>,
    {
        let reference = spec.reference()?;
        let found = match reference {
            ProfileRef::Arn(arn) => self.instance_profile_with_role_by_arn(arn)?,
            ProfileRef::Name(name) => self.instance_profile_with_role(name)?,
        };
        found
            .map(|f| (f.profile.arn, f.profile.id))
            .ok_or_else(|| reference.not_found().into())
    }

    /// Lays the request over the template it names (if any), resolves its
    /// image and checks every parameter. Instances launched from a
    /// template carry EC2's `aws:ec2launchtemplate:*` tags.
    pub fn prepare_launch<E>(
        &self,
        request: LaunchRequest,
        template: Option<&TemplateChoice>,
        region: &str,
    ) -> Result<PreparedLaunch, E>
    where
        E: From<StoreError> + From<Rule>,
    {
        let (request, from) = match template {
            None => (request, None),
            Some(choice) => {
                let (template, version) =
                    self.resolve_launch_template::<E>(&choice.template, choice.version.as_deref())?;
                (
                    request.over_template(version.data),
                    Some((template.id, version.number.to_string())),
                )
            }
        };
        let image_id = request
            .image_id
            .clone()
            .ok_or_else(|| Rule::MissingParameter("ImageId".to_owned()))?;
        let image_id = self.resolve_image_id::<E>(&image_id)?;
        let mut launch = launch::check(request, image_id, region)?;
        if let Some((id, version)) = &from {
            launch
                .tags
                .instance
                .push((launch::TEMPLATE_ID_TAG.to_owned(), id.clone()));
            launch
                .tags
                .instance
                .push((launch::TEMPLATE_VERSION_TAG.to_owned(), version.clone()));
        }
        Ok(PreparedLaunch {
            launch,
            template: from,
        })
    }

    /// Resolves what a checked launch names: its security groups (the
    /// VPC's default group if none), its key pair (which must exist) and
    /// its instance profile.
    pub fn launch_resources<E>(
        &self,
        launch: &Launch,
        account: &str,
        ids: &Ids,
        now_millis: i64,
    ) -> Result<LaunchResources, E>
    where
        E: From<StoreError> + From<Rule>,
    {
        let mut groups = Vec::new();
        for id in &launch.group_ids {
            let group = self
                .security_group_or_default(id, account)?
                .ok_or_else(|| Rule::group_not_found(id))?;
            groups.push(GroupRef {
                id: group.id,
                name: group.name,
            });
        }
        for name in &launch.group_names {
            let group = self
                .security_group_by_name_or_default(DEFAULT_VPC_ID, name, account)?
                .ok_or_else(|| Rule::group_name_not_found(name, DEFAULT_VPC_ID))?;
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
        if let Some(key) = &launch.key_name
            && self.key_pair_by_name(key)?.is_none()
        {
            return Err(Rule::KeyPairNotFound(key.clone()).into());
        }
        let profile = match &launch.profile {
            None => None,
            Some(spec) => {
                let (arn, id) = self.instance_profile_for_launch::<E>(spec)?;
                Some(ProfileAssociation {
                    id: format!("iip-assoc-{}", ids.hex(17)),
                    profile_arn: arn,
                    profile_id: id,
                    since_millis: now_millis,
                })
            }
        };
        Ok(LaunchResources { groups, profile })
    }

    /// The zone a launch without a placement goes to: the region's zone
    /// with the fewest live instances.
    pub fn emptiest_zone(&self, region: &str) -> Result<String, StoreError> {
        Ok(launch::emptiest_zone(region, &self.instances()?))
    }

    /// Creates between `min` and `max` instances of a checked launch in
    /// `zone`, as many as the zone's address block has free addresses for
    /// (fewer than `min` is `InsufficientInstanceCapacity`), with the
    /// launch's tags. Addresses in `busy` (used outside Ballast) are
    /// skipped.
    #[allow(clippy::too_many_arguments)]
    pub fn launch_instances<E>(
        &self,
        prepared: &PreparedLaunch,
        zone: &str,
        resources: LaunchResources,
        region: &str,
        addresses: InstanceAddresses,
        busy: &HashSet<Ipv4Addr>,
        ids: &Ids,
        now_millis: i64,
    ) -> Result<Vec<Instance>, E>
    where
        E: From<StoreError> + From<Rule>,
    {
        let launch = &prepared.launch;
        let block = addresses.block_for(region, zone);
        let mut taken = self.instance_addresses()?;
        taken.extend(busy);
        let mut addresses = Vec::new();
        while addresses.len() < launch.max as usize {
            let Some(address) = block.first_free(&taken) else {
                break;
            };
            taken.insert(address);
            addresses.push(address);
        }
        if addresses.len() < launch.min as usize {
            return Err(Rule::address_block_full(block, addresses.len()).into());
        }
        let placed = Placed {
            launch,
            zone,
            groups: resources.groups,
            profile: resources.profile,
            template: prepared.template.clone(),
        };
        let instances = launch::instances(&placed, region, addresses, ids, now_millis)?;
        let image = ballast_core::catalogue::find(&launch.image_id);
        for instance in &instances {
            self.save_instance(instance)?;
            self.put_tags(&instance.id, &launch.tags.instance)?;
            if let Some(image) = image {
                for volume in launch.instance_volumes(instance, image, ids, now_millis) {
                    self.save_volume(&volume)?;
                    self.put_tags(&volume.id, &launch.tags.volume)?;
                }
            }
        }
        Ok(instances)
    }
}
