//! Launch templates: names and ids, version specifiers (`$Latest`,
//! `$Default`, numbers), the template data an instance launches with, the
//! overlay CreateLaunchTemplateVersion lays over its `SourceVersion`, and
//! the resolution of a template and specifier to one version.
//!
//! RunInstances and Auto Scaling launch from templates: they read the
//! template with `Tx::find_launch_template` (or
//! `Tx::resolve_launch_template`) and pick the version with [`resolve`],
//! so both see the same `$Latest`/`$Default` rules as the EC2 API.
//!
//! EC2 checks little of a template when it is created: the AMI, key pair,
//! security groups, subnet and user data are checked when an instance
//! launches from it. [`TemplateData::check`] refuses only what EC2 refuses
//! up front: values outside an enumeration or a range, and members that
//! contradict each other.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Error, check_tags, filter::Filterable, invalid};
use crate::tags::Tag;

/// The shortest and longest launch template names.
pub const NAME_LENGTH: std::ops::RangeInclusive<usize> = 3..=128;
/// The longest `VersionDescription`.
pub const MAX_DESCRIPTION: usize = 255;
/// The longest `ClientToken`.
pub const MAX_CLIENT_TOKEN: usize = 128;
/// The most versions one DeleteLaunchTemplateVersions call may name.
pub const MAX_VERSIONS_PER_DELETE: usize = 200;
pub use super::instance::MAX_USER_DATA_BYTES;
/// The resource types a template's `TagSpecifications` may tag at launch.
pub const LAUNCH_TAGGABLE: &[&str] = &[
    "instance",
    "volume",
    "network-interface",
    "spot-instances-request",
];

/// Checks a name for CreateLaunchTemplate: 3–128 of letters, digits and
/// `( ) . - / _`, else `InvalidLaunchTemplateName.MalformedException`.
pub fn check_name(name: &str) -> Result<(), Error> {
    let ok = NAME_LENGTH.contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"().-/_".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::LaunchTemplateNameMalformed(name.to_owned()))
    }
}

/// Checks a launch template id's shape (`lt-` and 17 hex digits, or the
/// older 8), else `InvalidLaunchTemplateId.Malformed`.
pub fn check_id(id: &str) -> Result<(), Error> {
    if super::is_id(id, "lt") {
        Ok(())
    } else {
        Err(Error::LaunchTemplateIdMalformed(id.to_owned()))
    }
}

/// Checks a `VersionDescription` (at most 255 characters).
pub fn check_description(description: Option<&str>) -> Result<(), Error> {
    match description {
        Some(d) if d.chars().count() > MAX_DESCRIPTION => Err(invalid(format!(
            "The version description must be at most {MAX_DESCRIPTION} characters."
        ))),
        _ => Ok(()),
    }
}

/// Checks a `ClientToken` (at most 128 ASCII characters).
pub fn check_client_token(token: Option<&str>) -> Result<(), Error> {
    match token {
        Some(t) if t.len() > MAX_CLIENT_TOKEN || !t.is_ascii() => Err(invalid(format!(
            "The client token must be at most {MAX_CLIENT_TOKEN} ASCII characters."
        ))),
        _ => Ok(()),
    }
}

/// How a request names one launch template: by id or by name, never both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateRef {
    Id(String),
    Name(String),
}

impl TemplateRef {
    /// The template a request names with `LaunchTemplateId` or
    /// `LaunchTemplateName`. `purpose` completes EC2's message when both
    /// are given ("Either provide launch template ID or launch template
    /// name to {purpose}.").
    pub fn from_request(
        id: Option<String>,
        name: Option<String>,
        purpose: &str,
    ) -> Result<TemplateRef, Error> {
        TemplateRef::optional(id, name, purpose)?.ok_or_else(|| {
            Error::MissingParameter("launch template ID or launch template name".to_owned())
        })
    }

    /// Like [`TemplateRef::from_request`] where naming no template is
    /// allowed (DescribeLaunchTemplateVersions across templates).
    pub fn optional(
        id: Option<String>,
        name: Option<String>,
        purpose: &str,
    ) -> Result<Option<TemplateRef>, Error> {
        match (id, name) {
            (Some(_), Some(_)) => Err(Error::InvalidParameterCombination(format!(
                "Either provide launch template ID or launch template name to {purpose}."
            ))),
            (Some(id), None) => {
                check_id(&id)?;
                Ok(Some(TemplateRef::Id(id)))
            }
            (None, Some(name)) => Ok(Some(TemplateRef::Name(name))),
            (None, None) => Ok(None),
        }
    }

    /// The error for a template that does not exist, by how it was named.
    pub fn not_found(&self) -> Error {
        match self {
            TemplateRef::Id(id) => Error::LaunchTemplateIdNotFound(id.clone()),
            TemplateRef::Name(name) => Error::LaunchTemplateNameNotFound(name.clone()),
        }
    }
}

/// Which version a request means: `$Latest`, `$Default` or a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionSpec {
    Latest,
    Default,
    Number(i64),
}

impl VersionSpec {
    /// Parses `$Latest`, `$Default` (either in any case) or a positive
    /// decimal number.
    pub fn parse(text: &str) -> Result<VersionSpec, Error> {
        if text.eq_ignore_ascii_case("$Latest") {
            return Ok(VersionSpec::Latest);
        }
        if text.eq_ignore_ascii_case("$Default") {
            return Ok(VersionSpec::Default);
        }
        match text.parse::<i64>() {
            Ok(n) if n >= 1 && text.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(VersionSpec::Number(n))
            }
            _ => Err(invalid(format!(
                "The launch template version '{text}' is not valid. Specify a version number, $Latest or $Default."
            ))),
        }
    }

    /// Whether this is `$Latest` or `$Default` rather than a number.
    pub fn is_alias(self) -> bool {
        !matches!(self, VersionSpec::Number(_))
    }
}

impl fmt::Display for VersionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionSpec::Latest => f.write_str("$Latest"),
            VersionSpec::Default => f.write_str("$Default"),
            VersionSpec::Number(n) => write!(f, "{n}"),
        }
    }
}

/// A launch template, as stored. Its versions are stored beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchTemplate {
    pub id: String,
    pub name: String,
    pub created_millis: i64,
    /// The ARN of the principal that created it (`CreatedBy`).
    pub created_by: String,
    pub default_version: i64,
    /// The highest version that exists (`LatestVersionNumber`, `$Latest`).
    pub latest_version: i64,
    /// The highest version ever given out: numbers of deleted versions are
    /// never reused, as on EC2.
    pub last_assigned_version: i64,
    /// The `ClientToken` of the CreateLaunchTemplate call that made it.
    pub client_token: Option<String>,
}

impl LaunchTemplate {
    /// A new template whose only version is 1, the default.
    pub fn new(
        id: String,
        name: String,
        created_millis: i64,
        created_by: String,
        client_token: Option<String>,
    ) -> LaunchTemplate {
        LaunchTemplate {
            id,
            name,
            created_millis,
            created_by,
            default_version: 1,
            latest_version: 1,
            last_assigned_version: 1,
            client_token,
        }
    }

    /// The number a specifier means for this template (which may not
    /// exist when it is a number).
    pub fn version_number(&self, spec: VersionSpec) -> i64 {
        match spec {
            VersionSpec::Latest => self.latest_version,
            VersionSpec::Default => self.default_version,
            VersionSpec::Number(n) => n,
        }
    }

    /// Gives out the next version number and makes it the latest.
    pub fn next_version(&mut self) -> i64 {
        self.last_assigned_version += 1;
        self.latest_version = self.last_assigned_version;
        self.last_assigned_version
    }

    /// `InvalidLaunchTemplateId.VersionNotFound` as DescribeLaunchTemplateVersions
    /// and CreateLaunchTemplateVersion's `SourceVersion` word it.
    pub fn version_not_found(&self, version: &str) -> Error {
        Error::LaunchTemplateVersionNotFound(format!(
            "Could not find the specified version {version} for the launch template with ID {}.",
            self.id
        ))
    }
}

/// One version of a launch template, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchTemplateVersion {
    pub template_id: String,
    pub number: i64,
    pub description: Option<String>,
    pub created_millis: i64,
    pub created_by: String,
    pub data: TemplateData,
    /// The `ClientToken` of the call that made it, for idempotent retries.
    pub client_token: Option<String>,
}

/// The version of `template` that `spec` names (`None` means `$Default`,
/// as RunInstances and Auto Scaling default), among its stored `versions`.
pub fn resolve<'v>(
    template: &LaunchTemplate,
    versions: &'v [LaunchTemplateVersion],
    spec: Option<&str>,
) -> Result<&'v LaunchTemplateVersion, Error> {
    let parsed = match spec {
        None => VersionSpec::Default,
        Some(text) => VersionSpec::parse(text)?,
    };
    let number = template.version_number(parsed);
    versions
        .iter()
        .find(|v| v.number == number)
        .ok_or_else(|| template.version_not_found(spec.unwrap_or("$Default")))
}

/// Why one version of a DeleteLaunchTemplateVersions call was not deleted:
/// a `ResponseError` (`code` is the model's `LaunchTemplateErrorCode`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionNotDeleted {
    pub code: &'static str,
    pub message: String,
}

impl VersionNotDeleted {
    /// The refusal for every version when the template itself is missing
    /// or misnamed.
    pub fn template(error: &Error) -> VersionNotDeleted {
        let code = match error {
            Error::LaunchTemplateIdMalformed(_) => "launchTemplateIdMalformed",
            Error::LaunchTemplateIdNotFound(_) => "launchTemplateIdDoesNotExist",
            Error::LaunchTemplateNameNotFound(_) | Error::LaunchTemplatesNotFound => {
                "launchTemplateNameDoesNotExist"
            }
            Error::LaunchTemplateNameMalformed(_) => "launchTemplateNameMalformed",
            _ => "unexpectedError",
        };
        VersionNotDeleted {
            code,
            message: error.to_string(),
        }
    }
}

/// Whether version `requested` of `template` may be deleted, given the
/// numbers that exist: the default version never may (EC2 asks for
/// another default first, or DeleteLaunchTemplate).
pub fn check_version_delete(
    template: &LaunchTemplate,
    existing: &[i64],
    requested: &str,
) -> Result<i64, VersionNotDeleted> {
    let missing = || VersionNotDeleted {
        code: "launchTemplateVersionDoesNotExist",
        message: format!(
            "The specified launch template version {requested} does not exist for launch template {}.",
            template.id
        ),
    };
    let number = match VersionSpec::parse(requested) {
        Ok(VersionSpec::Number(n)) => n,
        _ => return Err(missing()),
    };
    if !existing.contains(&number) {
        return Err(missing());
    }
    if number == template.default_version {
        return Err(VersionNotDeleted {
            code: "unexpectedError",
            message: "Cannot delete the default version of a launch template. Set another version as the default first, or delete the launch template.".to_owned(),
        });
    }
    Ok(number)
}

pub use super::instance::decode_user_data;

// ---- template data ----------------------------------------------------------

/// What a launch template version holds: the parameters an instance is
/// launched with (the model's `RequestLaunchTemplateData`, the members
/// Ballast keeps). Stored as JSON; members added later default to absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TemplateData {
    /// An AMI id or a `resolve:ssm:` parameter
    /// ([`super::images::image_ref`]), as given.
    pub image_id: Option<String>,
    pub instance_type: Option<String>,
    pub key_name: Option<String>,
    /// Base64, exactly as given; [`decode_user_data`] at launch.
    pub user_data: Option<String>,
    pub iam_instance_profile: Option<IamInstanceProfile>,
    pub security_group_ids: Option<Vec<String>>,
    pub security_groups: Option<Vec<String>>,
    /// Tags for the resources a launch creates (not for the template).
    pub tag_specifications: Option<Vec<LaunchTagSpecification>>,
    pub metadata_options: Option<MetadataOptions>,
    pub placement: Option<Placement>,
    pub network_interfaces: Option<Vec<NetworkInterface>>,
    pub monitoring: Option<Monitoring>,
    pub disable_api_termination: Option<bool>,
    /// `stop` or `terminate`.
    pub instance_initiated_shutdown_behavior: Option<String>,
    pub block_device_mappings: Option<Vec<BlockDeviceMapping>>,
    pub ebs_optimized: Option<bool>,
}

/// `IamInstanceProfile`: an instance profile by ARN or by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IamInstanceProfile {
    pub arn: Option<String>,
    pub name: Option<String>,
}

/// Which instance profile an [`IamInstanceProfile`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileRef<'a> {
    Arn(&'a str),
    Name(&'a str),
}

impl IamInstanceProfile {
    /// The profile this names: exactly one of the ARN and the name, as EC2
    /// requires (`InvalidParameterCombination` for both,
    /// `MissingParameter` for neither).
    pub fn reference(&self) -> Result<ProfileRef<'_>, Error> {
        match (&self.arn, &self.name) {
            (Some(_), Some(_)) => Err(Error::InvalidParameterCombination(
                "The parameter 'iamInstanceProfile.name' may not be used in combination with 'iamInstanceProfile.arn'".to_owned(),
            )),
            (None, None) => Err(Error::MissingParameter(
                "iamInstanceProfile.arn or iamInstanceProfile.name".to_owned(),
            )),
            (Some(arn), None) => Ok(ProfileRef::Arn(arn)),
            (None, Some(name)) => Ok(ProfileRef::Name(name)),
        }
    }
}

impl ProfileRef<'_> {
    /// `InvalidParameterValue` for a profile IAM does not know.
    pub fn not_found(self) -> Error {
        let (member, value) = match self {
            ProfileRef::Arn(arn) => ("arn", arn),
            ProfileRef::Name(name) => ("name", name),
        };
        Error::InvalidParameterValue(format!(
            "Value ({value}) for parameter iamInstanceProfile.{member} is invalid. Invalid IAM Instance Profile {member}"
        ))
    }
}

/// One `TagSpecifications` entry of the template data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LaunchTagSpecification {
    pub resource_type: String,
    pub tags: Vec<Tag>,
}

/// `MetadataOptions`: how the instance metadata service answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MetadataOptions {
    /// `optional` or `required` (IMDSv2 only).
    pub http_tokens: Option<String>,
    /// 1–64.
    pub http_put_response_hop_limit: Option<i64>,
    /// `enabled` or `disabled`.
    pub http_endpoint: Option<String>,
    /// `enabled` or `disabled`.
    pub http_protocol_ipv6: Option<String>,
    /// `enabled` or `disabled`.
    pub instance_metadata_tags: Option<String>,
}

/// `Placement`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Placement {
    pub availability_zone: Option<String>,
    pub group_name: Option<String>,
    /// `default`, `dedicated` or `host`.
    pub tenancy: Option<String>,
}

/// One `NetworkInterfaces` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetworkInterface {
    pub device_index: Option<i64>,
    pub subnet_id: Option<String>,
    /// Security group ids.
    pub groups: Option<Vec<String>>,
    pub associate_public_ip_address: Option<bool>,
    pub delete_on_termination: Option<bool>,
    pub description: Option<String>,
    pub network_interface_id: Option<String>,
    pub private_ip_address: Option<String>,
}

/// `Monitoring`: detailed monitoring on or off.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Monitoring {
    pub enabled: Option<bool>,
}

/// One `BlockDeviceMappings` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BlockDeviceMapping {
    pub device_name: Option<String>,
    pub virtual_name: Option<String>,
    pub no_device: Option<String>,
    pub ebs: Option<EbsBlockDevice>,
}

/// The EBS volume of a block device mapping.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EbsBlockDevice {
    pub encrypted: Option<bool>,
    pub delete_on_termination: Option<bool>,
    pub iops: Option<i64>,
    pub kms_key_id: Option<String>,
    pub snapshot_id: Option<String>,
    pub volume_size: Option<i64>,
    pub volume_type: Option<String>,
    pub throughput: Option<i64>,
}

/// EBS volume types, as the model enumerates them.
const VOLUME_TYPES: &[&str] = &["standard", "io1", "io2", "gp2", "sc1", "st1", "gp3"];

fn one_of(parameter: &str, value: &str, allowed: &[&str]) -> Result<(), Error> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(invalid(format!(
            "Value ({value}) for parameter {parameter} is invalid. Valid values: {}.",
            allowed.join(", ")
        )))
    }
}

fn optional_one_of(parameter: &str, value: Option<&str>, allowed: &[&str]) -> Result<(), Error> {
    value.map_or(Ok(()), |v| one_of(parameter, v, allowed))
}

fn in_range(
    parameter: &str,
    value: Option<i64>,
    range: std::ops::RangeInclusive<i64>,
) -> Result<(), Error> {
    match value {
        Some(v) if !range.contains(&v) => Err(invalid(format!(
            "Value ({v}) for parameter {parameter} is invalid. It must be between {} and {}.",
            range.start(),
            range.end()
        ))),
        _ => Ok(()),
    }
}

const NON_NEGATIVE_I32: std::ops::RangeInclusive<i64> = 0..=i32::MAX as i64;

impl TemplateData {
    /// Refuses what EC2 refuses when a template or version is created:
    /// an instance profile named both by ARN and by name, enumeration
    /// members outside their sets, out-of-range numbers, launch tags for a
    /// resource type a launch cannot tag, and invalid tags. The AMI, key,
    /// groups, subnet and user data are checked at launch, as on EC2.
    pub fn check(&self) -> Result<(), Error> {
        if let Some(profile) = &self.iam_instance_profile
            && profile.arn.is_some()
            && profile.name.is_some()
        {
            return Err(Error::InvalidParameterCombination(
                "The parameter iamInstanceProfile.name may not be used in combination with iamInstanceProfile.arn".to_owned(),
            ));
        }
        optional_one_of(
            "InstanceInitiatedShutdownBehavior",
            self.instance_initiated_shutdown_behavior.as_deref(),
            &["stop", "terminate"],
        )?;
        if let Some(m) = &self.metadata_options {
            optional_one_of(
                "MetadataOptions.HttpTokens",
                m.http_tokens.as_deref(),
                &["optional", "required"],
            )?;
            optional_one_of(
                "MetadataOptions.HttpEndpoint",
                m.http_endpoint.as_deref(),
                &["enabled", "disabled"],
            )?;
            optional_one_of(
                "MetadataOptions.HttpProtocolIpv6",
                m.http_protocol_ipv6.as_deref(),
                &["enabled", "disabled"],
            )?;
            optional_one_of(
                "MetadataOptions.InstanceMetadataTags",
                m.instance_metadata_tags.as_deref(),
                &["enabled", "disabled"],
            )?;
            in_range(
                "MetadataOptions.HttpPutResponseHopLimit",
                m.http_put_response_hop_limit,
                1..=64,
            )?;
        }
        if let Some(p) = &self.placement {
            optional_one_of(
                "Placement.Tenancy",
                p.tenancy.as_deref(),
                &["default", "dedicated", "host"],
            )?;
        }
        for spec in self.tag_specifications.iter().flatten() {
            if spec.resource_type.is_empty() {
                return Err(Error::MissingParameter(
                    "TagSpecification.ResourceType".to_owned(),
                ));
            }
            if !LAUNCH_TAGGABLE.contains(&spec.resource_type.as_str()) {
                return Err(invalid(format!(
                    "'{}' is not a valid taggable resource type for this operation. Valid values: {}.",
                    spec.resource_type,
                    LAUNCH_TAGGABLE.join(", ")
                )));
            }
            check_tags(&spec.tags)?;
        }
        for nic in self.network_interfaces.iter().flatten() {
            in_range(
                "NetworkInterface.DeviceIndex",
                nic.device_index,
                NON_NEGATIVE_I32,
            )?;
        }
        for mapping in self.block_device_mappings.iter().flatten() {
            if let Some(ebs) = &mapping.ebs {
                optional_one_of(
                    "BlockDeviceMapping.Ebs.VolumeType",
                    ebs.volume_type.as_deref(),
                    VOLUME_TYPES,
                )?;
                in_range(
                    "BlockDeviceMapping.Ebs.VolumeSize",
                    ebs.volume_size,
                    NON_NEGATIVE_I32,
                )?;
                in_range("BlockDeviceMapping.Ebs.Iops", ebs.iops, NON_NEGATIVE_I32)?;
                in_range(
                    "BlockDeviceMapping.Ebs.Throughput",
                    ebs.throughput,
                    NON_NEGATIVE_I32,
                )?;
            }
        }
        Ok(())
    }

    /// The data of a version made from `source` (CreateLaunchTemplateVersion's
    /// `SourceVersion`) with `self` laid over it: every member this request
    /// gives replaces the source's member whole (a given `MetadataOptions`
    /// or `NetworkInterfaces` list replaces the source's, it is not merged),
    /// and every member it leaves out is inherited.
    pub fn overlay(self, source: &TemplateData) -> TemplateData {
        // Destructured so that a member added later cannot be forgotten.
        let TemplateData {
            image_id,
            instance_type,
            key_name,
            user_data,
            iam_instance_profile,
            security_group_ids,
            security_groups,
            tag_specifications,
            metadata_options,
            placement,
            network_interfaces,
            monitoring,
            disable_api_termination,
            instance_initiated_shutdown_behavior,
            block_device_mappings,
            ebs_optimized,
        } = self;
        TemplateData {
            image_id: image_id.or_else(|| source.image_id.clone()),
            instance_type: instance_type.or_else(|| source.instance_type.clone()),
            key_name: key_name.or_else(|| source.key_name.clone()),
            user_data: user_data.or_else(|| source.user_data.clone()),
            iam_instance_profile: iam_instance_profile
                .or_else(|| source.iam_instance_profile.clone()),
            security_group_ids: security_group_ids.or_else(|| source.security_group_ids.clone()),
            security_groups: security_groups.or_else(|| source.security_groups.clone()),
            tag_specifications: tag_specifications.or_else(|| source.tag_specifications.clone()),
            metadata_options: metadata_options.or_else(|| source.metadata_options.clone()),
            placement: placement.or_else(|| source.placement.clone()),
            network_interfaces: network_interfaces.or_else(|| source.network_interfaces.clone()),
            monitoring: monitoring.or_else(|| source.monitoring.clone()),
            disable_api_termination: disable_api_termination.or(source.disable_api_termination),
            instance_initiated_shutdown_behavior: instance_initiated_shutdown_behavior
                .or_else(|| source.instance_initiated_shutdown_behavior.clone()),
            block_device_mappings: block_device_mappings
                .or_else(|| source.block_device_mappings.clone()),
            ebs_optimized: ebs_optimized.or(source.ebs_optimized),
        }
    }
}

// ---- filters ------------------------------------------------------------------

impl Filterable for LaunchTemplate {
    const FILTERS: &'static [&'static str] = &["create-time", "launch-template-name"];

    fn values(&self, name: &str) -> Vec<String> {
        match name {
            "create-time" => vec![crate::iso8601_millis(self.created_millis)],
            "launch-template-name" => vec![self.name.clone()],
            _ => Vec::new(),
        }
    }
}

/// A version as DescribeLaunchTemplateVersions filters it: with whether it
/// is its template's default.
#[derive(Debug, Clone, Copy)]
pub struct VersionEntry<'a> {
    pub version: &'a LaunchTemplateVersion,
    pub is_default: bool,
}

impl Filterable for VersionEntry<'_> {
    /// Every filter EC2 documents; those naming members Ballast does not
    /// keep (kernels, RAM disks, licences, host resource groups) match
    /// nothing rather than being refused.
    const FILTERS: &'static [&'static str] = &[
        "create-time",
        "ebs-optimized",
        "http-endpoint",
        "http-protocol-ipv4",
        "host-resource-group-arn",
        "http-tokens",
        "iam-instance-profile",
        "image-id",
        "instance-type",
        "is-default-version",
        "kernel-id",
        "license-configuration-arn",
        "network-card-index",
        "ram-disk-id",
    ];
    const TAGGED: bool = false;

    fn values(&self, name: &str) -> Vec<String> {
        let data = &self.version.data;
        let metadata = data.metadata_options.as_ref();
        let owned = |v: Option<&String>| v.cloned().into_iter().collect();
        match name {
            "create-time" => vec![crate::iso8601_millis(self.version.created_millis)],
            "ebs-optimized" => data
                .ebs_optimized
                .map(|b| b.to_string())
                .into_iter()
                .collect(),
            "http-endpoint" => owned(metadata.and_then(|m| m.http_endpoint.as_ref())),
            "http-tokens" => owned(metadata.and_then(|m| m.http_tokens.as_ref())),
            "iam-instance-profile" => owned(
                data.iam_instance_profile
                    .as_ref()
                    .and_then(|p| p.arn.as_ref().or(p.name.as_ref())),
            ),
            "image-id" => owned(data.image_id.as_ref()),
            "instance-type" => owned(data.instance_type.as_ref()),
            "is-default-version" => vec![self.is_default.to_string()],
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ec2::filter;

    #[test]
    fn an_instance_profile_names_one_of_arn_and_name() {
        let both = IamInstanceProfile {
            arn: Some("arn:aws:iam::000000000000:instance-profile/p".into()),
            name: Some("p".into()),
        };
        assert!(matches!(
            both.reference(),
            Err(Error::InvalidParameterCombination(_))
        ));
        assert!(matches!(
            IamInstanceProfile::default().reference(),
            Err(Error::MissingParameter(_))
        ));
        let by_name = IamInstanceProfile {
            name: Some("p".into()),
            ..IamInstanceProfile::default()
        };
        let reference = by_name.reference().unwrap();
        assert_eq!(reference, ProfileRef::Name("p"));
        assert_eq!(
            reference.not_found().to_string(),
            "Value (p) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name"
        );
    }

    fn template() -> LaunchTemplate {
        LaunchTemplate::new(
            "lt-0123456789abcdef0".into(),
            "web".into(),
            0,
            "arn:aws:iam::000000000000:root".into(),
            None,
        )
    }

    fn version(number: i64, image: &str) -> LaunchTemplateVersion {
        LaunchTemplateVersion {
            template_id: "lt-0123456789abcdef0".into(),
            number,
            description: None,
            created_millis: 0,
            created_by: "u".into(),
            data: TemplateData {
                image_id: Some(image.into()),
                ..TemplateData::default()
            },
            client_token: None,
        }
    }

    #[test]
    fn names() {
        assert!(check_name("web-servers_(v1)/blue.2").is_ok());
        assert!(matches!(
            check_name("ab"),
            Err(Error::LaunchTemplateNameMalformed(_))
        ));
        assert!(check_name(&"a".repeat(128)).is_ok());
        assert!(check_name(&"a".repeat(129)).is_err());
        assert!(check_name("has space").is_err());
        assert!(check_name("émoji").is_err());
    }

    #[test]
    fn ids_and_references() {
        assert!(check_id("lt-0123456789abcdef0").is_ok());
        assert!(matches!(
            check_id("lt-xyz"),
            Err(Error::LaunchTemplateIdMalformed(_))
        ));
        let both = TemplateRef::from_request(Some("lt-1".into()), Some("n".into()), "modify");
        assert!(matches!(both, Err(Error::InvalidParameterCombination(_))));
        assert!(matches!(
            TemplateRef::from_request(None, None, "modify"),
            Err(Error::MissingParameter(_))
        ));
        assert_eq!(TemplateRef::optional(None, None, "x"), Ok(None));
        assert!(matches!(
            TemplateRef::from_request(Some("lt-nope".into()), None, "x"),
            Err(Error::LaunchTemplateIdMalformed(_))
        ));
        assert!(matches!(
            TemplateRef::Name("n".into()).not_found(),
            Error::LaunchTemplateNameNotFound(_)
        ));
    }

    #[test]
    fn version_specifiers() {
        assert_eq!(VersionSpec::parse("$Latest"), Ok(VersionSpec::Latest));
        assert_eq!(VersionSpec::parse("$default"), Ok(VersionSpec::Default));
        assert_eq!(VersionSpec::parse("12"), Ok(VersionSpec::Number(12)));
        for bad in ["0", "-1", "+2", "two", "", "1.5"] {
            assert!(VersionSpec::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(VersionSpec::Number(3).to_string(), "3");
        assert!(VersionSpec::Default.is_alias());
    }

    #[test]
    fn resolving_latest_default_and_numbers() {
        let mut t = template();
        let versions = vec![
            version(1, "ami-1"),
            version(2, "ami-2"),
            version(3, "ami-3"),
        ];
        t.latest_version = 3;
        t.last_assigned_version = 3;
        t.default_version = 2;
        let image = |spec| {
            resolve(&t, &versions, spec).map(|v| v.data.image_id.clone().unwrap_or_default())
        };
        assert_eq!(image(None), Ok("ami-2".into()));
        assert_eq!(image(Some("$Default")), Ok("ami-2".into()));
        assert_eq!(image(Some("$Latest")), Ok("ami-3".into()));
        assert_eq!(image(Some("1")), Ok("ami-1".into()));
        assert!(matches!(
            image(Some("4")),
            Err(Error::LaunchTemplateVersionNotFound(m)) if m.contains("version 4") && m.contains(&t.id)
        ));
        assert!(matches!(
            image(Some("x")),
            Err(Error::InvalidParameterValue(_))
        ));
    }

    #[test]
    fn version_numbers_are_never_reused() {
        let mut t = template();
        assert_eq!(t.next_version(), 2);
        assert_eq!(t.next_version(), 3);
        // Version 3 deleted: the latest is 2 again, the next is still 4.
        t.latest_version = 2;
        assert_eq!(t.next_version(), 4);
        assert_eq!(t.latest_version, 4);
    }

    #[test]
    fn deleting_versions() {
        let mut t = template();
        t.default_version = 2;
        let existing = [1, 2, 3];
        assert_eq!(check_version_delete(&t, &existing, "3"), Ok(3));
        assert_eq!(
            check_version_delete(&t, &existing, "2").map_err(|e| e.code),
            Err("unexpectedError")
        );
        assert_eq!(
            check_version_delete(&t, &existing, "9").map_err(|e| e.code),
            Err("launchTemplateVersionDoesNotExist")
        );
        assert_eq!(
            check_version_delete(&t, &existing, "$Latest").map_err(|e| e.code),
            Err("launchTemplateVersionDoesNotExist")
        );
        assert_eq!(
            VersionNotDeleted::template(&Error::LaunchTemplateIdNotFound("lt-1".into())).code,
            "launchTemplateIdDoesNotExist"
        );
    }

    #[test]
    fn overlay_replaces_given_members_whole_and_inherits_the_rest() {
        let source = TemplateData {
            image_id: Some("ami-1".into()),
            instance_type: Some("t3.micro".into()),
            security_group_ids: Some(vec!["sg-1".into(), "sg-2".into()]),
            metadata_options: Some(MetadataOptions {
                http_tokens: Some("required".into()),
                http_put_response_hop_limit: Some(2),
                ..MetadataOptions::default()
            }),
            disable_api_termination: Some(true),
            ..TemplateData::default()
        };
        let new = TemplateData {
            instance_type: Some("t3.large".into()),
            security_group_ids: Some(vec!["sg-3".into()]),
            metadata_options: Some(MetadataOptions {
                http_endpoint: Some("disabled".into()),
                ..MetadataOptions::default()
            }),
            ..TemplateData::default()
        };
        let merged = new.overlay(&source);
        assert_eq!(merged.image_id.as_deref(), Some("ami-1"));
        assert_eq!(merged.instance_type.as_deref(), Some("t3.large"));
        assert_eq!(merged.security_group_ids, Some(vec!["sg-3".to_owned()]));
        let metadata = merged.metadata_options.unwrap();
        assert_eq!(metadata.http_endpoint.as_deref(), Some("disabled"));
        assert_eq!(metadata.http_tokens, None);
        assert_eq!(merged.disable_api_termination, Some(true));
    }

    #[test]
    fn checks_refuse_what_ec2_refuses_up_front() {
        let ok = TemplateData {
            image_id: Some("resolve:ssm:/nope".into()),
            user_data: Some("not base64 at all".into()),
            ..TemplateData::default()
        };
        assert!(ok.check().is_ok(), "AMI and user data wait for launch");
        let both = TemplateData {
            iam_instance_profile: Some(IamInstanceProfile {
                arn: Some("arn:aws:iam::000000000000:instance-profile/p".into()),
                name: Some("p".into()),
            }),
            ..TemplateData::default()
        };
        assert!(matches!(
            both.check(),
            Err(Error::InvalidParameterCombination(_))
        ));
        let shutdown = TemplateData {
            instance_initiated_shutdown_behavior: Some("explode".into()),
            ..TemplateData::default()
        };
        assert!(matches!(
            shutdown.check(),
            Err(Error::InvalidParameterValue(_))
        ));
        let hops = TemplateData {
            metadata_options: Some(MetadataOptions {
                http_put_response_hop_limit: Some(65),
                ..MetadataOptions::default()
            }),
            ..TemplateData::default()
        };
        assert!(hops.check().is_err());
        let tags = TemplateData {
            tag_specifications: Some(vec![LaunchTagSpecification {
                resource_type: "launch-template".into(),
                tags: vec![],
            }]),
            ..TemplateData::default()
        };
        assert!(tags.check().is_err());
        let volume = TemplateData {
            block_device_mappings: Some(vec![BlockDeviceMapping {
                ebs: Some(EbsBlockDevice {
                    volume_type: Some("floppy".into()),
                    ..EbsBlockDevice::default()
                }),
                ..BlockDeviceMapping::default()
            }]),
            ..TemplateData::default()
        };
        assert!(volume.check().is_err());
    }

    #[test]
    fn user_data_is_decoded_at_launch() {
        assert_eq!(decode_user_data("aGVsbG8="), Ok(b"hello".to_vec()));
        assert!(matches!(
            decode_user_data("not base64!"),
            Err(Error::UserDataMalformed(_))
        ));
        use base64::Engine as _;
        let big = base64::engine::general_purpose::STANDARD.encode(vec![0u8; 16 * 1024 + 1]);
        assert!(decode_user_data(&big).is_err());
    }

    #[test]
    fn data_survives_a_json_round_trip_and_old_records_read() {
        let data = TemplateData {
            image_id: Some("ami-1".into()),
            network_interfaces: Some(vec![NetworkInterface {
                device_index: Some(0),
                groups: Some(vec!["sg-1".into()]),
                ..NetworkInterface::default()
            }]),
            ..TemplateData::default()
        };
        let json = serde_json::to_string(&data).unwrap();
        assert_eq!(serde_json::from_str::<TemplateData>(&json).unwrap(), data);
        let sparse: TemplateData = serde_json::from_str(r#"{"image_id":"ami-2"}"#).unwrap();
        assert_eq!(sparse.image_id.as_deref(), Some("ami-2"));
    }

    #[test]
    fn filters() {
        let mut t = template();
        t.created_millis = 1_700_000_000_000;
        let f = |name: &str, v: &str| filter::Filter {
            name: name.into(),
            values: vec![v.into()],
        };
        assert!(filter::matches(&t, &[], &[f("launch-template-name", "w*")]));
        assert!(filter::matches(
            &t,
            &[],
            &[f("create-time", "2023-11-14T*")]
        ));
        let v = version(1, "ami-1");
        let entry = VersionEntry {
            version: &v,
            is_default: true,
        };
        assert!(filter::matches(
            &entry,
            &[],
            &[f("is-default-version", "true")]
        ));
        assert!(!filter::matches(&entry, &[], &[f("kernel-id", "*")]));
        assert!(filter::check::<VersionEntry<'_>>(&[f("tag:x", "y")]).is_err());
    }
}
