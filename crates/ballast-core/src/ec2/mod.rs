//! EC2 rules: the network catalogue (regions, zones, the default VPC and
//! subnets), security groups and their rules, images, key pairs, launch
//! templates, tags and `Describe*` filters.
//!
//! EC2 has no modelled errors: its codes are free strings
//! (`InvalidGroup.NotFound`, `InvalidAMIID.Malformed`), so [`Error`] has
//! one variant per code Ballast answers with.

pub mod address;
pub mod attributes;
pub mod filter;
pub mod fleet;
pub mod images;
pub mod instance;
pub mod instance_type;
pub mod interface;
pub mod key_pair;
pub mod launch;
pub mod launch_template;
pub mod network;
pub mod security_group;
pub mod volume;

pub use address::Address;
pub use filter::Filter;
pub use images::Image;
pub use instance::{Instance, InstanceState};
pub use key_pair::KeyPair;
pub use launch_template::{LaunchTemplate, LaunchTemplateVersion, TemplateData, TemplateRef};
pub use security_group::{Direction, GroupRule, Permission, Rule, SecurityGroup};
pub use volume::Volume;

/// Why an EC2 request was refused; each variant is one EC2 error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// `InvalidParameterValue`.
    #[error("{0}")]
    InvalidParameterValue(String),
    /// `InvalidParameterCombination`.
    #[error("{0}")]
    InvalidParameterCombination(String),
    /// `MissingParameter`: names the parameter.
    #[error("The request must contain the parameter {0}")]
    MissingParameter(String),
    /// `MissingParameter` with EC2's own sentence, where it explains more
    /// than a parameter name.
    #[error("{0}")]
    MissingParameterDetail(String),
    /// `DryRunOperation` (HTTP 412).
    #[error("Request would have succeeded, but DryRun flag is set.")]
    DryRunOperation,
    #[error("The vpc ID '{0}' does not exist")]
    VpcNotFound(String),
    #[error("The subnet ID '{0}' does not exist")]
    SubnetNotFound(String),
    /// `InvalidGroup.NotFound`: the message names the group.
    #[error("{0}")]
    GroupNotFound(String),
    #[error("Invalid id: \"{0}\" (expecting \"sg-...\")")]
    GroupIdMalformed(String),
    #[error("The security group '{0}' already exists for VPC '{1}'")]
    GroupDuplicate(String, String),
    /// `CannotDelete`: the default group.
    #[error("the specified group: \"{0}\" name: \"default\" cannot be deleted by a user")]
    CannotDelete(String),
    /// `DependencyViolation`.
    #[error("resource {0} has a dependent object")]
    DependencyViolation(String),
    /// `InvalidPermission.Duplicate`: describes the rule.
    #[error("the specified rule \"{0}\" already exists")]
    PermissionDuplicate(String),
    #[error("The specified rule does not exist in this security group.")]
    PermissionNotFound,
    /// `InvalidPermission.Malformed`.
    #[error("{0}")]
    PermissionMalformed(String),
    /// `InvalidSecurityGroupRuleId.NotFound`: an `sgr-` id the group (in
    /// that direction) or the account does not have.
    #[error("The security group rule ID '{0}' does not exist")]
    RuleIdNotFound(String),
    /// `InvalidSecurityGroupRuleId.Malformed`.
    #[error("Invalid id: \"{0}\" (expecting \"sgr-...\")")]
    RuleIdMalformed(String),
    /// `UnknownParameter`: a member the operation does not take, as the
    /// flat `CidrIp`/`IpProtocol`/… of the egress calls.
    #[error("The parameter {0} is not recognized")]
    UnknownParameter(String),
    #[error("The image id '[{0}]' does not exist")]
    AmiNotFound(String),
    #[error("Invalid id: \"{0}\" (expecting \"ami-...\")")]
    AmiMalformed(String),
    #[error("The key pair '{0}' does not exist")]
    KeyPairNotFound(String),
    #[error("The keypair '{0}' already exists.")]
    KeyPairDuplicate(String),
    /// `InvalidKeyPair.Format`.
    #[error("{0}")]
    KeyPairFormat(String),
    /// `InvalidID`: an id of no taggable kind.
    #[error("The ID '{0}' is not valid")]
    InvalidId(String),
    /// `TagLimitExceeded`.
    #[error("The maximum number of Tags for a resource has been reached.")]
    TagLimitExceeded,
    /// `InvalidInstanceID.NotFound`: the message names the instances.
    #[error("The instance ID{} '{}' do{} not exist", if .0.len() > 1 { "s" } else { "" }, .0.join("', '"), if .0.len() > 1 { "" } else { "es" })]
    InstanceNotFound(Vec<String>),
    #[error("Invalid id: \"{0}\" (expecting \"i-...\")")]
    InstanceIdMalformed(String),
    #[error("The volume '{0}' does not exist.")]
    VolumeNotFound(String),
    #[error("Invalid id: \"{0}\" (expecting \"vol-...\")")]
    VolumeIdMalformed(String),
    /// `VolumeInUse`.
    #[error("{0}")]
    VolumeInUse(String),
    #[error("The volume '{0}' is not in the same availability zone as instance '{1}'")]
    ZoneMismatch(String, String),
    /// `InvalidAttachment.NotFound`.
    #[error("{0}")]
    AttachmentNotFound(String),
    /// `IncorrectModificationState`.
    #[error("{0}")]
    IncorrectModificationState(String),
    #[error("The snapshot '{0}' does not exist.")]
    SnapshotNotFound(String),
    #[error("The zone '{0}' does not exist.")]
    ZoneNotFound(String),
    /// `InvalidBlockDeviceMapping`.
    #[error("{0}")]
    InvalidBlockDeviceMapping(String),
    /// `IncorrectInstanceState`.
    #[error("{0}")]
    IncorrectInstanceState(String),
    /// `OperationNotPermitted`.
    #[error("{0}")]
    OperationNotPermitted(String),
    /// `InsufficientInstanceCapacity`: Ballast's instance address block
    /// is full.
    #[error("{0}")]
    InsufficientInstanceCapacity(String),
    #[error("An association with ID {0} does not exist.")]
    AssociationNotFound(String),
    /// `IncorrectState`: e.g. a second profile association.
    #[error("{0}")]
    IncorrectState(String),
    #[error("Launch template name already in use.")]
    LaunchTemplateNameDuplicate,
    /// `InvalidLaunchTemplateName.MalformedException`.
    #[error(
        "The launch template name '{0}' is not valid. A launch template name must be between 3 and 128 characters, and may contain letters, numbers, and the following characters: - ( ) . / _"
    )]
    LaunchTemplateNameMalformed(String),
    /// `InvalidLaunchTemplateName.NotFoundException` for one named template.
    #[error("The specified launch template, with template name {0}, does not exist.")]
    LaunchTemplateNameNotFound(String),
    /// `InvalidLaunchTemplateName.NotFoundException` for a list of names.
    #[error("At least one of the launch templates specified in the request does not exist.")]
    LaunchTemplatesNotFound,
    /// `InvalidLaunchTemplateId.NotFound`.
    #[error("The specified launch template, with template ID {0}, does not exist.")]
    LaunchTemplateIdNotFound(String),
    /// `InvalidLaunchTemplateId.Malformed`.
    #[error(
        "The launch template ID '{0}' is malformed. Specify the launch template ID in the form lt-xxxxxxxxxxxxxxxxx."
    )]
    LaunchTemplateIdMalformed(String),
    /// `InvalidLaunchTemplateId.VersionNotFound`: the message names the
    /// version, worded per operation as EC2 words it.
    #[error("{0}")]
    LaunchTemplateVersionNotFound(String),
    /// `IdempotentParameterMismatch`: a `ClientToken` reused for another
    /// request.
    #[error("{0}")]
    IdempotentParameterMismatch(String),
    /// `InvalidUserData.Malformed`.
    #[error("{0}")]
    UserDataMalformed(String),
    /// `InvalidInstanceType`: DescribeInstanceTypes names types EC2 does
    /// not have.
    #[error("The following supplied instance types do not exist: [{}]", .0.join(", "))]
    InvalidInstanceType(Vec<String>),
    /// `InvalidAllocationID.NotFound`.
    #[error("The allocation ID '{0}' does not exist")]
    AllocationNotFound(String),
    /// `InvalidAllocationID.Malformed`.
    #[error("Invalid id: \"{0}\" (expecting \"eipalloc-...\")")]
    AllocationIdMalformed(String),
    /// `InvalidAddress.NotFound`: a `PublicIp` that is none of the
    /// account's Elastic IPs.
    #[error("Address '{0}' not found.")]
    AddressNotFound(String),
    /// `InvalidAssociationID.NotFound` for an Elastic IP's association.
    #[error("The association ID '{0}' does not exist")]
    AddressAssociationNotFound(String),
    /// `InvalidAssociationID.Malformed`.
    #[error("Invalid id: \"{0}\" (expecting \"eipassoc-...\")")]
    AddressAssociationIdMalformed(String),
    /// `Resource.AlreadyAssociated`: the allocation and its association.
    #[error("resource {0} is already associated with associate-id {1}")]
    AddressAlreadyAssociated(String, String),
    /// `InvalidIPAddress.InUse`: releasing an associated address, or
    /// allocating one that is taken.
    #[error("Address {0} is in use.")]
    AddressInUse(String),
    /// `AddressLimitExceeded`: the Elastic IP quota.
    #[error("The maximum number of addresses has been reached.")]
    AddressLimitExceeded,
    /// `InvalidNetworkInterfaceID.Malformed`.
    #[error("Invalid id: \"{0}\" (expecting \"eni-...\")")]
    NetworkInterfaceIdMalformed(String),
    /// `InvalidNetworkInterfaceID.NotFound`.
    #[error("The networkInterface ID '{0}' does not exist")]
    NetworkInterfaceNotFound(String),
    /// `InvalidInternetGatewayID.NotFound`.
    #[error("The internetGateway ID '{0}' does not exist")]
    InternetGatewayNotFound(String),
    /// `InvalidRouteTableID.NotFound`.
    #[error("The routeTable ID '{0}' does not exist")]
    RouteTableNotFound(String),
    /// `InvalidNetworkAclID.NotFound`.
    #[error("The networkAcl ID '{0}' does not exist")]
    NetworkAclNotFound(String),
    /// `InvalidDhcpOptionID.NotFound`.
    #[error("The dhcpOption ID '{0}' does not exist")]
    DhcpOptionsNotFound(String),
    /// `InsufficientAddressCapacity`: Ballast's public block is full.
    #[error("{0}")]
    InsufficientAddressCapacity(String),
}

impl Error {
    /// The EC2 error code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidParameterValue(_) => "InvalidParameterValue",
            Error::InvalidParameterCombination(_) => "InvalidParameterCombination",
            Error::MissingParameter(_) | Error::MissingParameterDetail(_) => "MissingParameter",
            Error::DryRunOperation => "DryRunOperation",
            Error::VpcNotFound(_) => "InvalidVpcID.NotFound",
            Error::SubnetNotFound(_) => "InvalidSubnetID.NotFound",
            Error::GroupNotFound(_) => "InvalidGroup.NotFound",
            Error::GroupIdMalformed(_) => "InvalidGroupId.Malformed",
            Error::GroupDuplicate(..) => "InvalidGroup.Duplicate",
            Error::CannotDelete(_) => "CannotDelete",
            Error::DependencyViolation(_) => "DependencyViolation",
            Error::PermissionDuplicate(_) => "InvalidPermission.Duplicate",
            Error::PermissionNotFound => "InvalidPermission.NotFound",
            Error::PermissionMalformed(_) => "InvalidPermission.Malformed",
            Error::RuleIdNotFound(_) => "InvalidSecurityGroupRuleId.NotFound",
            Error::RuleIdMalformed(_) => "InvalidSecurityGroupRuleId.Malformed",
            Error::UnknownParameter(_) => "UnknownParameter",
            Error::AmiNotFound(_) => "InvalidAMIID.NotFound",
            Error::AmiMalformed(_) => "InvalidAMIID.Malformed",
            Error::KeyPairNotFound(_) => "InvalidKeyPair.NotFound",
            Error::KeyPairDuplicate(_) => "InvalidKeyPair.Duplicate",
            Error::KeyPairFormat(_) => "InvalidKeyPair.Format",
            Error::InvalidId(_) => "InvalidID",
            Error::TagLimitExceeded => "TagLimitExceeded",
            Error::InstanceNotFound(_) => "InvalidInstanceID.NotFound",
            Error::VolumeNotFound(_) => "InvalidVolume.NotFound",
            Error::VolumeIdMalformed(_) => "InvalidVolumeID.Malformed",
            Error::InstanceIdMalformed(_) => "InvalidInstanceID.Malformed",
            Error::VolumeInUse(_) => "VolumeInUse",
            Error::ZoneMismatch(..) => "InvalidVolume.ZoneMismatch",
            Error::AttachmentNotFound(_) => "InvalidAttachment.NotFound",
            Error::IncorrectModificationState(_) => "IncorrectModificationState",
            Error::SnapshotNotFound(_) => "InvalidSnapshot.NotFound",
            Error::ZoneNotFound(_) => "InvalidZone.NotFound",
            Error::InvalidBlockDeviceMapping(_) => "InvalidBlockDeviceMapping",
            Error::IncorrectInstanceState(_) => "IncorrectInstanceState",
            Error::OperationNotPermitted(_) => "OperationNotPermitted",
            Error::InsufficientInstanceCapacity(_) => "InsufficientInstanceCapacity",
            Error::AssociationNotFound(_) => "InvalidAssociationID.NotFound",
            Error::IncorrectState(_) => "IncorrectState",
            Error::LaunchTemplateNameDuplicate => {
                "InvalidLaunchTemplateName.AlreadyExistsException"
            }
            Error::LaunchTemplateNameMalformed(_) => "InvalidLaunchTemplateName.MalformedException",
            Error::LaunchTemplateNameNotFound(_) | Error::LaunchTemplatesNotFound => {
                "InvalidLaunchTemplateName.NotFoundException"
            }
            Error::LaunchTemplateIdNotFound(_) => "InvalidLaunchTemplateId.NotFound",
            Error::LaunchTemplateIdMalformed(_) => "InvalidLaunchTemplateId.Malformed",
            Error::LaunchTemplateVersionNotFound(_) => "InvalidLaunchTemplateId.VersionNotFound",
            Error::IdempotentParameterMismatch(_) => "IdempotentParameterMismatch",
            Error::UserDataMalformed(_) => "InvalidUserData.Malformed",
            Error::InvalidInstanceType(_) => "InvalidInstanceType",
            Error::AllocationNotFound(_) => "InvalidAllocationID.NotFound",
            Error::AllocationIdMalformed(_) => "InvalidAllocationID.Malformed",
            Error::AddressNotFound(_) => "InvalidAddress.NotFound",
            Error::AddressAssociationNotFound(_) => "InvalidAssociationID.NotFound",
            Error::AddressAssociationIdMalformed(_) => "InvalidAssociationID.Malformed",
            Error::AddressAlreadyAssociated(..) => "Resource.AlreadyAssociated",
            Error::AddressInUse(_) => "InvalidIPAddress.InUse",
            Error::AddressLimitExceeded => "AddressLimitExceeded",
            Error::InsufficientAddressCapacity(_) => "InsufficientAddressCapacity",
            Error::NetworkInterfaceIdMalformed(_) => "InvalidNetworkInterfaceID.Malformed",
            Error::NetworkInterfaceNotFound(_) => "InvalidNetworkInterfaceID.NotFound",
            Error::InternetGatewayNotFound(_) => "InvalidInternetGatewayID.NotFound",
            Error::RouteTableNotFound(_) => "InvalidRouteTableID.NotFound",
            Error::NetworkAclNotFound(_) => "InvalidNetworkAclID.NotFound",
            Error::DhcpOptionsNotFound(_) => "InvalidDhcpOptionID.NotFound",
        }
    }
}

impl Error {
    /// `InvalidParameterValue` for an attribute name a Describe…Attribute
    /// call does not answer.
    pub fn unknown_attribute(name: &str) -> Error {
        Error::InvalidParameterValue(format!(
            "Value ({name}) for parameter attribute is invalid. Unknown attribute."
        ))
    }

    /// `InvalidGroup.NotFound` for a security group id.
    pub fn group_not_found(id: &str) -> Error {
        Error::GroupNotFound(format!("The security group '{id}' does not exist"))
    }

    /// `InvalidGroup.NotFound` for a security group name in a VPC.
    pub fn group_name_not_found(name: &str, vpc_id: &str) -> Error {
        Error::GroupNotFound(format!(
            "The security group '{name}' does not exist in default VPC '{vpc_id}'"
        ))
    }

    /// `InsufficientInstanceCapacity`: the instance address block has only
    /// `free` addresses left.
    pub fn address_block_full(block: impl std::fmt::Display, free: usize) -> Error {
        Error::InsufficientInstanceCapacity(format!(
            "There is not enough capacity to fulfil your request: Ballast's instance address block ({block}) has {free} free address(es) left."
        ))
    }
}

pub(crate) fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidParameterValue(message.into())
}

/// The most tags an EC2 resource may carry.
pub const MAX_TAGS: usize = 50;

/// Whether text is `prefix-` followed by 8 or 17 lowercase hex digits, the
/// shape of every EC2 id.
pub fn is_id(text: &str, prefix: &str) -> bool {
    text.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|hex| {
            matches!(hex.len(), 8 | 17)
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

/// The kinds of resource EC2 tags can be put on, by id prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    Vpc,
    Subnet,
    SecurityGroup,
    KeyPair,
    Image,
    Instance,
    LaunchTemplate,
    Volume,
    ElasticIp,
    InternetGateway,
    RouteTable,
    NetworkAcl,
    DhcpOptions,
    NetworkInterface,
}

impl ResourceKind {
    /// Every taggable kind.
    pub const ALL: [ResourceKind; 14] = [
        ResourceKind::Vpc,
        ResourceKind::Subnet,
        ResourceKind::SecurityGroup,
        ResourceKind::KeyPair,
        ResourceKind::Image,
        ResourceKind::Instance,
        ResourceKind::LaunchTemplate,
        ResourceKind::Volume,
        ResourceKind::ElasticIp,
        ResourceKind::InternetGateway,
        ResourceKind::RouteTable,
        ResourceKind::NetworkAcl,
        ResourceKind::DhcpOptions,
        ResourceKind::NetworkInterface,
    ];

    /// The id prefix, with its dash.
    pub fn prefix(self) -> &'static str {
        match self {
            ResourceKind::Vpc => "vpc-",
            ResourceKind::Subnet => "subnet-",
            ResourceKind::SecurityGroup => "sg-",
            ResourceKind::KeyPair => "key-",
            ResourceKind::Image => "ami-",
            ResourceKind::Instance => "i-",
            ResourceKind::LaunchTemplate => "lt-",
            ResourceKind::Volume => "vol-",
            ResourceKind::ElasticIp => "eipalloc-",
            ResourceKind::InternetGateway => "igw-",
            ResourceKind::RouteTable => "rtb-",
            ResourceKind::NetworkAcl => "acl-",
            ResourceKind::DhcpOptions => "dopt-",
            ResourceKind::NetworkInterface => "eni-",
        }
    }

    /// The `ResourceType` EC2 reports (`security-group`, `key-pair`, …).
    pub fn resource_type(self) -> &'static str {
        match self {
            ResourceKind::Vpc => "vpc",
            ResourceKind::Subnet => "subnet",
            ResourceKind::SecurityGroup => "security-group",
            ResourceKind::KeyPair => "key-pair",
            ResourceKind::Image => "image",
            ResourceKind::Instance => "instance",
            ResourceKind::LaunchTemplate => "launch-template",
            ResourceKind::Volume => "volume",
            ResourceKind::ElasticIp => "elastic-ip",
            ResourceKind::InternetGateway => "internet-gateway",
            ResourceKind::RouteTable => "route-table",
            ResourceKind::NetworkAcl => "network-acl",
            ResourceKind::DhcpOptions => "dhcp-options",
            ResourceKind::NetworkInterface => "network-interface",
        }
    }

    /// The kind of a resource id, by its prefix.
    pub fn of_id(id: &str) -> Option<ResourceKind> {
        ResourceKind::ALL
            .into_iter()
            .find(|k| id.starts_with(k.prefix()))
    }

    /// The not-found error of this kind for an id.
    pub fn not_found(self, id: &str) -> Error {
        match self {
            ResourceKind::Vpc => Error::VpcNotFound(id.to_owned()),
            ResourceKind::Subnet => Error::SubnetNotFound(id.to_owned()),
            ResourceKind::SecurityGroup => Error::group_not_found(id),
            ResourceKind::KeyPair => Error::KeyPairNotFound(id.to_owned()),
            ResourceKind::Image => Error::AmiNotFound(id.to_owned()),
            ResourceKind::Instance => Error::InstanceNotFound(vec![id.to_owned()]),
            ResourceKind::LaunchTemplate => Error::LaunchTemplateIdNotFound(id.to_owned()),
            ResourceKind::Volume => Error::VolumeNotFound(id.to_owned()),
            ResourceKind::ElasticIp => Error::AllocationNotFound(id.to_owned()),
            ResourceKind::InternetGateway => Error::InternetGatewayNotFound(id.to_owned()),
            ResourceKind::RouteTable => Error::RouteTableNotFound(id.to_owned()),
            ResourceKind::NetworkAcl => Error::NetworkAclNotFound(id.to_owned()),
            ResourceKind::DhcpOptions => Error::DhcpOptionsNotFound(id.to_owned()),
            ResourceKind::NetworkInterface => Error::NetworkInterfaceNotFound(id.to_owned()),
        }
    }
}

/// One tag of one resource, as DescribeTags lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagEntry {
    pub resource_id: String,
    pub resource_type: &'static str,
    pub key: String,
    pub value: String,
}

impl TagEntry {
    /// The order DescribeTags lists tags in, and its paging key: resource
    /// id, then key.
    pub fn sort_key(&self) -> String {
        format!("{}\u{0}{}", self.resource_id, self.key)
    }
}

impl filter::Filterable for TagEntry {
    const FILTERS: &'static [&'static str] = &["key", "resource-id", "resource-type", "value"];
    const TAGGED: bool = false;

    fn values(&self, name: &str) -> Vec<String> {
        let value = match name {
            "key" => self.key.as_str(),
            "resource-id" => &self.resource_id,
            "resource-type" => self.resource_type,
            "value" => &self.value,
            _ => return Vec::new(),
        };
        vec![value.to_owned()]
    }
}

/// Checks the tags of a create or CreateTags request: AWS's key and value
/// rules, and at most [`MAX_TAGS`].
pub fn check_tags(tags: &[crate::tags::Tag]) -> Result<(), Error> {
    crate::tags::validate(tags).map_err(|e| invalid(e.to_string()))?;
    if tags.len() > MAX_TAGS {
        return Err(Error::TagLimitExceeded);
    }
    Ok(())
}

/// Checks `MaxResults` (`min`–1000; absent means everything) and decodes
/// `NextToken` into the key after which the page starts.
pub fn paging(
    max_results: Option<i64>,
    next_token: Option<&str>,
    min: i64,
) -> Result<(usize, Option<String>), Error> {
    paging_within(max_results, next_token, min, 1000)
}

/// [`paging`] for operations whose `MaxResults` tops out below 1000
/// (the launch template calls allow 1–200).
pub fn paging_within(
    max_results: Option<i64>,
    next_token: Option<&str>,
    min: i64,
    max: i64,
) -> Result<(usize, Option<String>), Error> {
    let limits = crate::paging::PageLimits {
        min,
        max,
        default: usize::MAX,
    };
    crate::paging::parse_page(max_results, next_token, limits).map_err(|e| match e {
        crate::paging::PageError::Size { value, .. } => invalid(format!(
            "Value ( {value} ) for parameter maxResults is invalid. Parameter must be between {min} and {max}."
        )),
        crate::paging::PageError::Token(token) => {
            invalid(format!("Invalid value '{token}' for nextToken"))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_eight_or_seventeen_hex_digits() {
        assert!(is_id("sg-0123456789abcdef0", "sg"));
        assert!(is_id("sg-12345678", "sg"));
        assert!(!is_id("sg-123", "sg"));
        assert!(!is_id("sg-0123456789ABCDEF0", "sg"));
        assert!(!is_id("ami-0123456789abcdef0", "sg"));
    }

    #[test]
    fn kinds_by_prefix() {
        assert_eq!(
            ResourceKind::of_id("sg-1"),
            Some(ResourceKind::SecurityGroup)
        );
        assert_eq!(ResourceKind::of_id("subnet-1"), Some(ResourceKind::Subnet));
        assert_eq!(ResourceKind::of_id("i-1"), Some(ResourceKind::Instance));
        assert_eq!(ResourceKind::of_id("x-1"), None);
    }

    #[test]
    fn page_sizes() {
        assert!(paging(Some(4), None, 5).is_err());
        assert!(paging(Some(1001), None, 5).is_err());
        assert_eq!(paging(Some(5), None, 5).unwrap().0, 5);
        assert!(paging(None, Some("zz"), 5).is_err());
    }
}
