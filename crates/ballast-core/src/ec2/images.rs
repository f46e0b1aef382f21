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
    fn malformed_ids() {
        assert!(matches!(check_id("ami-xyz"), Err(Error::AmiMalformed(_))));
        assert!(matches!(
            check_id("i-0123456789abcdef0"),
            Err(Error::AmiMalformed(_))
        ));
    }
}
