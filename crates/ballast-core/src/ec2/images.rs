//! The local image catalogue.
//!
//! Ballast boots instances as processes on this machine, so an image is a
//! name and a few facts clients look at, not a disk. The catalogue is fixed
//! and the same in every region; the SSM public parameters
//! (`/aws/service/ami-amazon-linux-latest/...`) and RunInstances resolve to
//! it.

use super::{Error, filter::Filterable};

/// The owner id of Amazon's public images.
pub const AMAZON_OWNER_ID: &str = "137112412989";

/// The owner id of Canonical's public images.
pub const CANONICAL_OWNER_ID: &str = "099720109477";

/// One image of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub owner_id: &'static str,
    /// `amazon` for Amazon's images, as `ImageOwnerAlias` reports.
    pub owner_alias: Option<&'static str>,
    pub architecture: &'static str,
    pub platform_details: &'static str,
    pub creation_date: &'static str,
    pub root_device_name: &'static str,
    /// The SSM public parameters (under `/aws/service/`) that name it.
    pub ssm_parameters: &'static [&'static str],
    /// `ImdsSupport: v2.0`: instances launched from it require IMDSv2
    /// tokens unless the launch says otherwise (Amazon Linux 2023).
    pub imds_v2_only: bool,
}

/// Amazon Linux 2023, x86_64: what the examples and seeds launch.
pub const AL2023_X86_64: &str = "ami-0ba11a5700a023086";

/// Every local image, ordered by id.
pub const IMAGES: &[Image] = &[
    Image {
        id: "ami-0ba11a5700a002086",
        name: "amzn2-ami-kernel-5.10-hvm-2.0.20250108.0-x86_64-gp2",
        description: "Amazon Linux 2 Kernel 5.10 AMI 2.0.20250108.0 x86_64 HVM gp2",
        owner_id: AMAZON_OWNER_ID,
        owner_alias: Some("amazon"),
        architecture: "x86_64",
        platform_details: "Linux/UNIX",
        creation_date: "2025-01-08T20:19:37.000Z",
        root_device_name: "/dev/xvda",
        ssm_parameters: &[
            "ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2",
            "ami-amazon-linux-latest/amzn2-ami-kernel-5.10-hvm-x86_64-gp2",
        ],
        imds_v2_only: false,
    },
    Image {
        id: AL2023_X86_64,
        name: "al2023-ami-2023.6.20250115.0-kernel-6.1-x86_64",
        description: "Amazon Linux 2023 AMI 2023.6.20250115.0 x86_64 HVM kernel-6.1",
        owner_id: AMAZON_OWNER_ID,
        owner_alias: Some("amazon"),
        architecture: "x86_64",
        platform_details: "Linux/UNIX",
        creation_date: "2025-01-15T22:52:10.000Z",
        root_device_name: "/dev/xvda",
        ssm_parameters: &[
            "ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
            "ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64",
        ],
        imds_v2_only: true,
    },
    Image {
        id: "ami-0ba11a5700a023a64",
        name: "al2023-ami-2023.6.20250115.0-kernel-6.1-arm64",
        description: "Amazon Linux 2023 AMI 2023.6.20250115.0 arm64 HVM kernel-6.1",
        owner_id: AMAZON_OWNER_ID,
        owner_alias: Some("amazon"),
        architecture: "arm64",
        platform_details: "Linux/UNIX",
        creation_date: "2025-01-15T22:52:11.000Z",
        root_device_name: "/dev/xvda",
        ssm_parameters: &[
            "ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
            "ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64",
        ],
        imds_v2_only: true,
    },
    Image {
        id: "ami-0ba11a5700c024086",
        name: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20250115",
        description: "Canonical, Ubuntu, 24.04, amd64 noble image",
        owner_id: CANONICAL_OWNER_ID,
        owner_alias: None,
        architecture: "x86_64",
        platform_details: "Linux/UNIX",
        creation_date: "2025-01-15T09:12:00.000Z",
        root_device_name: "/dev/sda1",
        ssm_parameters: &["canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id"],
        imds_v2_only: false,
    },
];

/// An image by id.
pub fn find(id: &str) -> Option<&'static Image> {
    IMAGES.iter().find(|i| i.id == id)
}

/// The image a public SSM parameter names (`/aws/service/...`).
pub fn by_ssm_parameter(name: &str) -> Option<&'static Image> {
    let suffix = name.strip_prefix("/aws/service/")?;
    IMAGES.iter().find(|i| i.ssm_parameters.contains(&suffix))
}

/// The prefix with which RunInstances and launch templates take a Systems
/// Manager parameter in place of an AMI id (`resolve:ssm:NAME`).
pub const SSM_ALIAS_PREFIX: &str = "resolve:ssm:";

/// What an `ImageId` given to RunInstances or a launch template names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageRef<'a> {
    /// An AMI id, as given: its shape and existence are checked at launch.
    Id(&'a str),
    /// A public parameter (`resolve:ssm:/aws/service/...`), resolved to the
    /// catalogue image it names.
    Public(&'static Image),
    /// A parameter of the caller's account (`resolve:ssm:NAME`,
    /// `NAME:VERSION`, `NAME:LABEL` or its ARN): Parameter Store resolves
    /// it, so the caller looks it up in the store.
    Parameter(&'a str),
}

impl ImageRef<'_> {
    /// The AMI id, when no Parameter Store lookup is needed.
    pub fn image_id(&self) -> Option<&str> {
        match self {
            ImageRef::Id(id) => Some(id),
            ImageRef::Public(image) => Some(image.id),
            ImageRef::Parameter(_) => None,
        }
    }
}

/// Reads an `ImageId` as RunInstances and launch templates accept it: a
/// plain AMI id, or `resolve:ssm:` and a parameter. A public parameter
/// (`/aws/service/...`, at its only version, 1) resolves here, against the
/// catalogue; an unknown one is `InvalidParameterValue`, as is an empty
/// parameter name. Parameters of the account are left to the caller.
pub fn image_ref(image_id: &str) -> Result<ImageRef<'_>, Error> {
    let Some(parameter) = image_id.strip_prefix(SSM_ALIAS_PREFIX) else {
        return Ok(ImageRef::Id(image_id));
    };
    let unresolvable = || unresolvable_alias(image_id);
    let selector = crate::ssm::Selector::parse(parameter);
    if selector.name.is_empty() {
        return Err(unresolvable());
    }
    if crate::ssm::public::is_public_name(&selector.name) {
        let first_version = matches!(
            selector.version,
            crate::ssm::parameter::SelectorVersion::Latest
                | crate::ssm::parameter::SelectorVersion::Number(1)
        );
        return by_ssm_parameter(&selector.name)
            .filter(|_| first_version)
            .map(ImageRef::Public)
            .ok_or_else(unresolvable);
    }
    Ok(ImageRef::Parameter(parameter))
}

/// The error for a `resolve:ssm:` image id whose parameter does not exist
/// (or has no such version or label): `InvalidParameterValue`.
pub fn unresolvable_alias(image_id: &str) -> Error {
    let parameter = image_id.strip_prefix(SSM_ALIAS_PREFIX).unwrap_or(image_id);
    Error::InvalidParameterValue(format!(
        "Invalid value '{image_id}' for ImageId: the Systems Manager parameter '{parameter}' does not exist or does not hold an image ID."
    ))
}

/// Checks an image id's shape: `InvalidAMIID.Malformed` otherwise.
pub fn check_id(id: &str) -> Result<(), Error> {
    if super::is_id(id, "ami") {
        Ok(())
    } else {
        Err(Error::AmiMalformed(id.to_owned()))
    }
}

/// Whether an image belongs to an `Owners` entry: `self` (the account),
/// `amazon`, or an account id.
pub fn owned_by(image: &Image, owner: &str, account: &str) -> bool {
    match owner {
        "self" => image.owner_id == account,
        "amazon" => image.owner_alias == Some("amazon"),
        other => image.owner_id == other,
    }
}

impl Filterable for Image {
    const FILTERS: &'static [&'static str] = &[
        "architecture",
        "description",
        "image-id",
        "image-type",
        "is-public",
        "name",
        "owner-alias",
        "owner-id",
        "platform-details",
        "root-device-name",
        "root-device-type",
        "state",
        "virtualization-type",
        "hypervisor",
    ];

    fn values(&self, name: &str) -> Vec<String> {
        let one = |v: &str| vec![v.to_owned()];
        match name {
            "architecture" => one(self.architecture),
            "description" => one(self.description),
            "image-id" => one(self.id),
            "image-type" => one("machine"),
            "is-public" => one("true"),
            "name" => one(self.name),
            "owner-alias" => self.owner_alias.map(one).unwrap_or_default(),
            "owner-id" => one(self.owner_id),
            "platform-details" => one(self.platform_details),
            "root-device-name" => one(self.root_device_name),
            "root-device-type" => one("ebs"),
            "state" => one("available"),
            "virtualization-type" => one("hvm"),
            "hypervisor" => one("xen"),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_ids_are_well_formed_sorted_and_unique() {
        for image in IMAGES {
            assert!(check_id(image.id).is_ok(), "{}", image.id);
        }
        assert!(IMAGES.windows(2).all(|w| w[0].id < w[1].id));
    }

    #[test]
    fn amazon_linux_2023_is_there() {
        let image = find(AL2023_X86_64).unwrap();
        assert!(image.name.starts_with("al2023-ami-2023."));
        assert!(image.name.ends_with("-kernel-6.1-x86_64"));
        assert_eq!(
            by_ssm_parameter(
                "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
            ),
            Some(image)
        );
        assert!(owned_by(image, "amazon", "000000000000"));
        assert!(!owned_by(image, "self", "000000000000"));
    }

    #[test]
    fn ssm_aliases_resolve_public_parameters() {
        let al2023 =
            "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
        assert_eq!(image_ref(al2023).unwrap().image_id(), Some(AL2023_X86_64));
        assert_eq!(
            image_ref(&format!("{al2023}:1")).unwrap().image_id(),
            Some(AL2023_X86_64)
        );
        let arn = "resolve:ssm:arn:aws:ssm:us-east-1::parameter/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64";
        assert_eq!(
            image_ref(arn).unwrap().image_id(),
            Some("ami-0ba11a5700a023a64")
        );
        assert_eq!(
            image_ref("ami-0123456789abcdef0"),
            Ok(ImageRef::Id("ami-0123456789abcdef0"))
        );
        assert_eq!(
            image_ref("resolve:ssm:/golden/ami:3"),
            Ok(ImageRef::Parameter("/golden/ami:3"))
        );
        for bad in [
            "resolve:ssm:",
            "resolve:ssm:/aws/service/ami-amazon-linux-latest/nope",
            &format!("{al2023}:2"),
        ] {
            assert!(
                matches!(image_ref(bad), Err(Error::InvalidParameterValue(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn malformed_ids() {
        assert!(matches!(check_id("ami-xyz"), Err(Error::AmiMalformed(_))));
        assert!(matches!(
            check_id("i-0123456789abcdef0"),
            Err(Error::AmiMalformed(_))
        ));
    }
}
