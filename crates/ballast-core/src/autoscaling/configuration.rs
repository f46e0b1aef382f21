//! Launch configurations: the older, immutable way to tell a group what to
//! launch.
//!
//! A configuration is turned into a launch template's data
//! ([`LaunchConfiguration::template_data`]) at launch, so an instance a
//! group launches from one goes through exactly the launch path (checks,
//! resolution, records, boot) of an instance launched from a template.

use serde::{Deserialize, Serialize};

use super::{Error, invalid};
use crate::ec2::launch_template::{
    BlockDeviceMapping, IamInstanceProfile, MetadataOptions, Monitoring, TemplateData,
};

/// Launch configurations per region, AWS's default quota.
pub const MAX_CONFIGURATIONS: usize = 200;

/// A launch configuration, as stored; members mirror the model's
/// `LaunchConfiguration`, with AWS's defaults already applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchConfiguration {
    pub name: String,
    pub arn: String,
    pub created_millis: i64,
    /// As given (an AMI id or a `resolve:ssm:` alias).
    pub image_id: String,
    pub instance_type: String,
    pub key_name: Option<String>,
    /// Security group ids, or names in the default VPC (not both).
    pub security_groups: Vec<String>,
    /// Base64, exactly as given (Describe returns it so).
    pub user_data: Option<String>,
    /// An instance profile's name or ARN, as given.
    pub iam_instance_profile: Option<String>,
    pub block_device_mappings: Vec<BlockDeviceMapping>,
    /// `InstanceMonitoring.Enabled`: detailed monitoring, true unless
    /// turned off, as on AWS.
    pub monitoring: bool,
    pub ebs_optimized: bool,
    pub associate_public_ip_address: Option<bool>,
    pub placement_tenancy: Option<String>,
    pub spot_price: Option<String>,
    pub kernel_id: Option<String>,
    pub ramdisk_id: Option<String>,
    pub metadata_options: Option<MetadataOptions>,
}

/// The members of a CreateLaunchConfiguration request, as given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigurationSpec {
    pub image_id: Option<String>,
    pub instance_type: Option<String>,
    pub key_name: Option<String>,
    pub security_groups: Vec<String>,
    pub user_data: Option<String>,
    pub iam_instance_profile: Option<String>,
    pub block_device_mappings: Vec<BlockDeviceMapping>,
    pub monitoring: Option<bool>,
    pub ebs_optimized: Option<bool>,
    pub associate_public_ip_address: Option<bool>,
    pub placement_tenancy: Option<String>,
    pub spot_price: Option<String>,
    pub kernel_id: Option<String>,
    pub ramdisk_id: Option<String>,
    pub metadata_options: Option<MetadataOptions>,
}

/// The ARN AWS gives a configuration (`uuid` is fresh per configuration).
pub fn arn(region: &str, account: &str, uuid: &str, name: &str) -> String {
    format!(
        "arn:aws:autoscaling:{region}:{account}:launchConfiguration:{uuid}:launchConfigurationName/{name}"
    )
}

/// `ValidationError` for a group or delete naming a configuration that
/// does not exist.
pub fn not_found(name: &str) -> Error {
    invalid(format!(
        "Launch configuration name not found - Launch configuration {name} not found"
    ))
}

/// `AlreadyExists` for a name taken in the region.
pub fn already_exists(name: &str) -> Error {
    Error::AlreadyExists(format!(
        "Launch Configuration by this name already exists - A launch configuration already exists with the name {name}"
    ))
}

/// `ResourceInUse` for deleting a configuration a group launches from.
pub fn in_use(name: &str, group: &str) -> Error {
    Error::ResourceInUse(format!(
        "Cannot delete launch configuration {name} because it is attached to AutoScalingGroup {group}"
    ))
}

/// Whether a security group entry is an id (`sg-…`) rather than a name.
pub fn is_group_id(entry: &str) -> bool {
    entry.starts_with("sg-")
}

impl LaunchConfiguration {
    /// A new configuration from a request, with AWS's defaults and the
    /// checks that need no store: an image and an instance type, security
    /// groups all by id or all by name, a valid instance type, user data
    /// that decodes, and block devices and metadata options EC2 accepts.
    /// What exists (the image, the key, the groups, the profile) is checked
    /// by the API against the store.
    pub fn create(
        name: String,
        arn: String,
        spec: ConfigurationSpec,
        now_millis: i64,
    ) -> Result<LaunchConfiguration, Error> {
        if name.contains(':') {
            return Err(invalid(format!(
                "The launch configuration name '{name}' is not valid: it may not contain ':'"
            )));
        }
        let (Some(image_id), Some(instance_type)) = (spec.image_id, spec.instance_type) else {
            return Err(invalid(
                "Valid requests must contain either the InstanceID parameter or both the ImageId and InstanceType parameters.",
            ));
        };
        crate::ec2::instance::validate_instance_type(&instance_type)
            .map_err(|e| invalid(e.to_string()))?;
        if let Some(data) = &spec.user_data {
            crate::ec2::instance::decode_user_data(data).map_err(|e| invalid(e.to_string()))?;
        }
        let by_id = spec
            .security_groups
            .iter()
            .filter(|g| is_group_id(g))
            .count();
        if by_id != 0 && by_id != spec.security_groups.len() {
            return Err(invalid(
                "Must use either use group-id or group-name for all the security groups, not both at the same time",
            ));
        }
        if let Some(tenancy) = &spec.placement_tenancy
            && !matches!(tenancy.as_str(), "default" | "dedicated")
        {
            return Err(invalid(format!(
                "Invalid PlacementTenancy '{tenancy}'. Valid values are default and dedicated"
            )));
        }
        let config = LaunchConfiguration {
            name,
            arn,
            created_millis: now_millis,
            image_id,
            instance_type,
            key_name: spec.key_name,
            security_groups: spec.security_groups,
            user_data: spec.user_data,
            iam_instance_profile: spec.iam_instance_profile,
            block_device_mappings: spec.block_device_mappings,
            monitoring: spec.monitoring.unwrap_or(true),
            ebs_optimized: spec.ebs_optimized.unwrap_or(false),
            associate_public_ip_address: spec.associate_public_ip_address,
            placement_tenancy: spec.placement_tenancy,
            spot_price: spec.spot_price,
            kernel_id: spec.kernel_id,
            ramdisk_id: spec.ramdisk_id,
            metadata_options: spec.metadata_options,
        };
        config
            .template_data()
            .check()
            .map_err(|e| invalid(e.to_string()))?;
        Ok(config)
    }

    /// The instance profile as a launch names it: by ARN when the
    /// configuration gave an ARN, else by name.
    pub fn profile(&self) -> Option<IamInstanceProfile> {
        self.iam_instance_profile.as_ref().map(|p| {
            if p.starts_with("arn:") {
                IamInstanceProfile {
                    arn: Some(p.clone()),
                    name: None,
                }
            } else {
                IamInstanceProfile {
                    arn: None,
                    name: Some(p.clone()),
                }
            }
        })
    }

    /// The configuration as a launch template's data, which the one launch
    /// path (`ballast_core::ec2::launch::LaunchRequest::over_template`)
    /// lays a group's launch request over.
    pub fn template_data(&self) -> TemplateData {
        let (ids, names): (Vec<String>, Vec<String>) = self
            .security_groups
            .iter()
            .cloned()
            .partition(|g| is_group_id(g));
        TemplateData {
            image_id: Some(self.image_id.clone()),
            instance_type: Some(self.instance_type.clone()),
            key_name: self.key_name.clone(),
            user_data: self.user_data.clone(),
            iam_instance_profile: self.profile(),
            security_group_ids: (!ids.is_empty()).then_some(ids),
            security_groups: (!names.is_empty()).then_some(names),
            metadata_options: self.metadata_options.clone(),
            monitoring: Some(Monitoring {
                enabled: Some(self.monitoring),
            }),
            block_device_mappings: (!self.block_device_mappings.is_empty())
                .then(|| self.block_device_mappings.clone()),
            ebs_optimized: Some(self.ebs_optimized),
            ..TemplateData::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ec2::launch_template::EbsBlockDevice;

    fn spec() -> ConfigurationSpec {
        ConfigurationSpec {
            image_id: Some("ami-0ba11a5700a023086".into()),
            instance_type: Some("t3.micro".into()),
            ..ConfigurationSpec::default()
        }
    }

    fn create(spec: ConfigurationSpec) -> Result<LaunchConfiguration, Error> {
        LaunchConfiguration::create("lc".into(), "arn".into(), spec, 5)
    }

    #[test]
    fn defaults_follow_aws() {
        let c = create(spec()).unwrap();
        assert!(c.monitoring);
        assert!(!c.ebs_optimized);
        assert_eq!(c.created_millis, 5);
        assert_eq!(
            arn("us-east-1", "123", "u", "web"),
            "arn:aws:autoscaling:us-east-1:123:launchConfiguration:u:launchConfigurationName/web"
        );
    }

    #[test]
    fn refuses_what_aws_refuses() {
        let no_type = ConfigurationSpec {
            instance_type: None,
            ..spec()
        };
        assert!(matches!(create(no_type), Err(Error::Validation(m)) if m.contains("InstanceType")));
        let mixed = ConfigurationSpec {
            security_groups: vec!["sg-1".into(), "web".into()],
            ..spec()
        };
        assert!(matches!(create(mixed), Err(Error::Validation(m)) if m.contains("not both")));
        let bad_data = ConfigurationSpec {
            user_data: Some("%%%".into()),
            ..spec()
        };
        assert!(create(bad_data).is_err());
        let bad_volume = ConfigurationSpec {
            block_device_mappings: vec![BlockDeviceMapping {
                device_name: Some("/dev/xvdb".into()),
                ebs: Some(EbsBlockDevice {
                    volume_type: Some("floppy".into()),
                    ..EbsBlockDevice::default()
                }),
                ..BlockDeviceMapping::default()
            }],
            ..spec()
        };
        assert!(create(bad_volume).is_err());
        assert!(
            LaunchConfiguration::create("a:b".into(), "arn".into(), spec(), 0).is_err(),
            "':' is reserved for ARNs"
        );
    }

    #[test]
    fn becomes_template_data() {
        let c = create(ConfigurationSpec {
            security_groups: vec!["sg-1".into(), "sg-2".into()],
            iam_instance_profile: Some("arn:aws:iam::123:instance-profile/web".into()),
            user_data: Some("ZWNobyBoaQ==".into()),
            key_name: Some("k".into()),
            ..spec()
        })
        .unwrap();
        let data = c.template_data();
        assert_eq!(
            data.security_group_ids,
            Some(vec!["sg-1".into(), "sg-2".into()])
        );
        assert_eq!(data.security_groups, None);
        assert_eq!(
            data.iam_instance_profile.and_then(|p| p.arn).as_deref(),
            Some("arn:aws:iam::123:instance-profile/web")
        );
        assert_eq!(data.user_data.as_deref(), Some("ZWNobyBoaQ=="));
        let by_name = create(ConfigurationSpec {
            security_groups: vec!["default".into()],
            iam_instance_profile: Some("web".into()),
            ..spec()
        })
        .unwrap()
        .template_data();
        assert_eq!(by_name.security_groups, Some(vec!["default".into()]));
        assert_eq!(
            by_name.iam_instance_profile.and_then(|p| p.name).as_deref(),
            Some("web")
        );
    }
}
