//! The public parameters AWS publishes under `/aws/service/`, which every
//! account can read and none can write: here, the names of the local image
//! catalogue (`/aws/service/ami-amazon-linux-latest/...`), each answering
//! the catalogue image's id.
//!
//! They are not stored: they are derived from
//! [`crate::catalogue::IMAGES`], so they always agree with DescribeImages
//! and with the `resolve:ssm:` image ids RunInstances and launch templates
//! accept.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::parameter::{DataType, ParameterType, ParameterVersion, Tier};
use crate::catalogue::IMAGES;

/// Where AWS's public parameters live.
pub const PREFIX: &str = "/aws/service/";

/// Whether a parameter name (or path) is in AWS's namespace (`/aws/...`),
/// which only the public parameters occupy: an account's own parameters
/// cannot be named `aws…` at all.
pub fn is_public_name(name: &str) -> bool {
    name == "/aws" || name.starts_with("/aws/")
}

/// A public parameter's ARN: AWS's, with no account
/// (`arn:aws:ssm:REGION::parameter/aws/service/...`).
pub fn arn(region: &str, name: &str) -> String {
    format!(
        "arn:aws:ssm:{region}::parameter/{}",
        name.trim_start_matches('/')
    )
}

/// A public parameter by its full name, as GetParameter returns it:
/// a `String` at version 1, data type `text` (what AWS reports for the AMI
/// parameters), last modified when its image was created.
pub fn find(name: &str) -> Option<ParameterVersion> {
    all().into_iter().find(|p| p.name == name)
}

/// Every public parameter, in name order (the order GetParametersByPath
/// pages in).
pub fn all() -> Vec<ParameterVersion> {
    let mut out: Vec<ParameterVersion> = IMAGES
        .iter()
        .flat_map(|image| {
            let modified = OffsetDateTime::parse(image.creation_date, &Rfc3339)
                .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
                .unwrap_or(0);
            image
                .ssm_parameters
                .iter()
                .map(move |suffix| ParameterVersion {
                    name: format!("{PREFIX}{suffix}"),
                    version: 1,
                    parameter_type: ParameterType::String,
                    value: image.id.to_owned(),
                    description: None,
                    key_id: None,
                    allowed_pattern: None,
                    tier: Tier::Standard,
                    data_type: DataType::DEFAULT.to_owned(),
                    labels: Vec::new(),
                    modified_millis: modified,
                    modified_user: String::new(),
                })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{AL2023_X86_64, by_ssm_parameter};

    #[test]
    fn every_catalogue_name_answers_its_image() {
        let all = all();
        assert!(all.windows(2).all(|w| w[0].name < w[1].name));
        for p in &all {
            assert_eq!(
                by_ssm_parameter(&p.name).map(|i| i.id),
                Some(p.value.as_str())
            );
            assert_eq!((p.version, p.data_type.as_str()), (1, "text"));
            assert!(p.modified_millis > 0);
        }
        let al2023 =
            find("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64").unwrap();
        assert_eq!(al2023.value, AL2023_X86_64);
        assert!(find("/aws/service/ami-amazon-linux-latest/nope").is_none());
    }

    #[test]
    fn namespace_and_arns() {
        assert!(is_public_name("/aws/service/x"));
        assert!(is_public_name("/aws"));
        assert!(!is_public_name("/awsome/x"));
        assert!(!is_public_name("aws/service/x"));
        assert_eq!(
            arn("eu-west-1", "/aws/service/a/b"),
            "arn:aws:ssm:eu-west-1::parameter/aws/service/a/b"
        );
    }
}
