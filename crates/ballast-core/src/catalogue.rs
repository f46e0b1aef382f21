//! The local image catalogue: the images Ballast knows, as data.
//!
//! Ballast boots instances as processes on this machine, so an image is a
//! name and a few facts clients look at, not a disk. The catalogue is fixed
//! and the same in every region. It is a leaf module so that both its
//! readers can depend on it without a cycle: EC2 (`ec2::images`:
//! DescribeImages, launches, and `resolve:ssm:` image ids, which read SSM
//! parameter selectors) and SSM's public parameters (`ssm::public`, which
//! publish the catalogue under `/aws/service/`).

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
    /// The user cloud-init creates with the key pair's public key
    /// (`ec2-user` on Amazon Linux, `ubuntu` on Ubuntu).
    pub default_user: &'static str,
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
        default_user: "ec2-user",
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
        default_user: "ec2-user",
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
        default_user: "ec2-user",
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
        default_user: "ubuntu",
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
