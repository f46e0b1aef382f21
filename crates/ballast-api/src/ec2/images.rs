//! DescribeImages over the fixed local catalogue (`ballast_core::ec2::images`),
//! and the resolution of `resolve:ssm:` image ids.

use ballast_core::ec2::images::{self, IMAGES};
use ballast_core::ec2::{self, filter};
use ballast_core::paging::page;
use ballast_store::Tx;

use ballast_model::ec2::{
    BlockDeviceMapping, DescribeImagesInput, DescribeImagesOutput, EbsBlockDevice, Image,
};

use super::{Error, describe_page, dry_run, filters};
use crate::ApiState;

fn view(image: &ec2::Image, tags: Vec<(String, String)>) -> Image {
    Image {
        image_id: Some(image.id.to_owned()),
        image_location: Some(format!(
            "{}/{}",
            image.owner_alias.unwrap_or(image.owner_id),
            image.name
        )),
        state: Some("available".into()),
        owner_id: Some(image.owner_id.to_owned()),
        creation_date: Some(image.creation_date.to_owned()),
        public: Some(true),
        architecture: Some(image.architecture.into()),
        image_type: Some("machine".into()),
        platform_details: Some(image.platform_details.to_owned()),
        usage_operation: Some("RunInstances".to_owned()),
        image_owner_alias: image.owner_alias.map(str::to_owned),
        name: Some(image.name.to_owned()),
        description: Some(image.description.to_owned()),
        root_device_type: Some("ebs".into()),
        root_device_name: Some(image.root_device_name.to_owned()),
        block_device_mappings: Some(vec![BlockDeviceMapping {
            device_name: Some(image.root_device_name.to_owned()),
            ebs: Some(EbsBlockDevice {
                delete_on_termination: Some(true),
                snapshot_id: Some(ec2::volume::image_snapshot_id(image.id)),
                volume_size: Some(ec2::volume::ROOT_VOLUME_GIB),
                volume_type: Some("gp3".into()),
                encrypted: Some(false),
                ..Default::default()
            }),
            ..Default::default()
        }]),
        virtualization_type: Some("hvm".into()),
        hypervisor: Some("xen".into()),
        ena_support: Some(true),
        sriov_net_support: Some("simple".to_owned()),
        boot_mode: Some("uefi-preferred".into()),
        imds_support: image.imds_v2_only.then(|| "v2.0".into()),
        tags: Some(crate::tags::from_pairs(tags)),
        ..Default::default()
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
    let (size, after) = describe_page(input.max_results, input.next_token.as_deref())?;
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
        images: Some(
            selected
                .into_iter()
                .map(|(i, tags)| view(i, tags))
                .collect(),
        ),
        next_token,
    })
}
