//! DescribeImages over the fixed local catalogue (`ballast_core::ec2::images`),
//! and the resolution of `resolve:ssm:` image ids.

use ballast_core::ec2::images::{self, IMAGES};
use ballast_core::ec2::{self, filter, paging};
use ballast_core::paging::page;
use ballast_store::Tx;

use super::model::*;
use super::{Error, dry_run, filters, tag_view};
use crate::ApiState;

/// The smallest `MaxResults` of DescribeImages.
const MIN_PAGE: i64 = 5;

fn view(image: &ec2::Image, tags: Vec<(String, String)>) -> Image {
    Image {
        image_id: image.id.to_owned(),
        image_location: format!(
            "{}/{}",
            image.owner_alias.unwrap_or(image.owner_id),
            image.name
        ),
        state: "available".to_owned(),
        owner_id: image.owner_id.to_owned(),
        creation_date: image.creation_date.to_owned(),
        public: true,
        architecture: image.architecture.to_owned(),
        image_type: "machine".to_owned(),
        platform_details: image.platform_details.to_owned(),
        usage_operation: "RunInstances".to_owned(),
        image_owner_alias: image.owner_alias.map(str::to_owned),
        name: image.name.to_owned(),
        description: image.description.to_owned(),
        root_device_type: "ebs".to_owned(),
        root_device_name: image.root_device_name.to_owned(),
        block_device_mappings: vec![BlockDeviceMapping {
            device_name: image.root_device_name.to_owned(),
            ebs: EbsBlockDevice {
                delete_on_termination: true,
                snapshot_id: format!("snap-{}", &image.id[4..]),
                volume_size: 8,
                volume_type: "gp3".to_owned(),
                encrypted: false,
            },
        }],
        virtualization_type: "hvm".to_owned(),
        hypervisor: "xen".to_owned(),
        ena_support: true,
        sriov_net_support: "simple".to_owned(),
        boot_mode: "uefi-preferred".to_owned(),
        imds_support: image.imds_v2_only.then(|| "v2.0".to_owned()),
        tags: tag_view(tags),
    }
}

/// The AMI id an `ImageId` stands for, as RunInstances and launch
/// templates resolve it: a plain id as given; `resolve:ssm:` and a public
/// parameter from the catalogue; `resolve:ssm:` and a parameter of the
/// account (`NAME`, `NAME:VERSION`, `NAME:LABEL`) from Parameter Store, read
/// in the caller's transaction. An unresolvable parameter is
/// `InvalidParameterValue`.
pub(super) fn resolve_image_id(tx: &Tx<'_>, image_id: &str) -> Result<String, Error> {
    tx.resolve_image_id::<Error>(image_id)
}

pub(super) fn describe(
    state: &ApiState,
    input: DescribeImagesInput,
) -> Result<DescribeImagesOutput, Error> {
    dry_run(input.dry_run)?;
    let filters = filters::<ec2::Image>(input.filters)?;
    let (size, after) = paging(input.max_results, input.next_token.as_deref(), MIN_PAGE)?;
    if let Some(ids) = &input.image_ids {
        for id in ids {
            images::check_id(id)?;
        }
        if let Some(unknown) = ids.iter().find(|id| images::find(id).is_none()) {
            return Err(ec2::Error::AmiNotFound(unknown.clone()).into());
        }
    }
    let account = &state.scope.account;
    let selected = state.store.read(|tx| -> Result<_, Error> {
        let mut out = Vec::new();
        for image in IMAGES {
            if input
                .image_ids
                .as_ref()
                .is_some_and(|ids| !ids.iter().any(|i| i == image.id))
                || input.owners.as_ref().is_some_and(|owners| {
                    !owners.iter().any(|o| images::owned_by(image, o, account))
                })
            {
                continue;
            }
            let tags = tx.tags(image.id)?;
            if filter::matches(image, &tags, &filters) {
                out.push((image, tags));
            }
        }
        Ok(out)
    })?;
    let (selected, next_token) = page(selected, |(i, _)| i.id, after.as_deref(), size);
    Ok(DescribeImagesOutput {
        images: selected
            .into_iter()
            .map(|(i, tags)| view(i, tags))
            .collect(),
        next_token,
    })
}
