//! Images as EC2 shows and takes them: the catalogue
//! ([`crate::catalogue`], re-exported here), `Describe*` filters, id and
//! owner checks, and what an `ImageId` names (`resolve:ssm:` parameters,
//! read with SSM's selector rules).

use super::{Error, filter::Filterable};

pub use crate::catalogue::{
    AL2023_X86_64, AMAZON_OWNER_ID, CANONICAL_OWNER_ID, IMAGES, Image, by_ssm_parameter, find,
};

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
