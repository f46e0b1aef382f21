//! RunInstances: the request is turned into the shared launch parameters
//! (`ballast_core::ec2::launch::LaunchRequest`) and launched through the
//! store's launch path (`Tx::prepare_launch`, `Tx::launch_resources`,
//! `Tx::launch_instances`), the one Auto Scaling uses too.

use ballast_core::ec2::instance::{Instance, MetadataChange};
use ballast_core::ec2::launch::{InterfaceRequest, LaunchRequest, TagRequest};
use ballast_core::ec2::launch_template::{
    BlockDeviceMapping, EbsBlockDevice, IamInstanceProfile, TemplateRef,
};
use ballast_model::XmlList;
use ballast_model::ec2::{RunInstancesInput, RunInstancesOutput};
use ballast_store::{TemplateChoice, Tx};

use super::{Error, view};
use crate::ApiState;
use crate::ec2::dry_run;

/// RunInstances: its output is the model's `Reservation`.
pub(crate) fn run(state: &ApiState, input: RunInstancesInput) -> Result<RunInstancesOutput, Error> {
    let dry = input.dry_run;
    let busy = state.fleet.addresses_in_use();
    let (reservation, instances, tags) = state.store.write(|tx| -> Result<_, Error> {
        let template = match &input.launch_template {
            None => None,
            Some(spec) => Some(TemplateChoice {
                template: TemplateRef::from_request(
                    spec.launch_template_id.clone(),
                    spec.launch_template_name.clone(),
                    "launch an instance",
                )?,
                version: spec.version.clone(),
            }),
        };
        let region = &state.scope.region;
        let prepared = tx.prepare_launch::<Error>(request(input), template.as_ref(), region)?;
        let launch = &prepared.launch;
        if let Some((reservation, existing)) =
            same_client_token(tx, launch.client_token.as_deref())?
        {
            return Ok((reservation, existing, launch.tags.instance.clone()));
        }
        let now = state.now().millis();
        let resources =
            tx.launch_resources::<Error>(launch, &state.scope.account, &state.ids, now)?;
        dry_run(dry)?;
        let zone = match &launch.zone {
            Some(zone) => zone.clone(),
            None => tx.emptiest_zone(region)?,
        };
        let instances = tx.launch_instances::<Error>(
            &prepared,
            &zone,
            resources,
            region,
            state.instance_addresses,
            &busy,
            &state.ids,
            now,
        )?;
        let reservation_id = instances
            .first()
            .map(|i| i.reservation_id.clone())
            .unwrap_or_default();
        Ok((
            reservation_id,
            instances,
            prepared.launch.tags.instance.clone(),
        ))
    })?;
    state.fleet.changed();
    Ok(RunInstancesOutput {
        reservation_id: Some(reservation),
        owner_id: Some(state.scope.account.clone()),
        groups: Some(Vec::new()),
        instances: Some(
            instances
                .iter()
                .map(|i| view(state, i, tags.clone()).into())
                .collect(),
        ),
        requester_id: None,
    })
}

/// RunInstances' members as the shared launch parameters.
fn request(input: RunInstancesInput) -> LaunchRequest {
    LaunchRequest {
        image_id: input.image_id,
        instance_type: input.instance_type.map(|t| t.to_string()),
        key_name: input.key_name,
        user_data: input.user_data,
        iam_instance_profile: input.iam_instance_profile.map(|p| IamInstanceProfile {
            arn: p.arn,
            name: p.name,
        }),
        security_group_ids: input.security_group_ids.map(XmlList::into_inner),
        security_groups: input.security_groups.map(XmlList::into_inner),
        subnet_id: input.subnet_id,
        zone: input.placement.and_then(|p| p.availability_zone),
        network_interfaces: input.network_interfaces.map(|interfaces| {
            interfaces
                .into_iter()
                .map(|n| InterfaceRequest {
                    device_index: n.device_index,
                    subnet_id: n.subnet_id,
                    groups: n.groups.map(XmlList::into_inner),
                })
                .collect()
        }),
        metadata_options: input.metadata_options.map(|m| MetadataChange {
            http_tokens: m.http_tokens.map(|v| v.to_string()),
            http_put_response_hop_limit: m.http_put_response_hop_limit,
            http_endpoint: m.http_endpoint.map(|v| v.to_string()),
            instance_metadata_tags: m.instance_metadata_tags.map(|v| v.to_string()),
        }),
        disable_api_termination: input.disable_api_termination,
        monitoring: input.monitoring.map(|m| m.enabled),
        shutdown_behavior: input
            .instance_initiated_shutdown_behavior
            .map(|b| b.to_string()),
        tag_specifications: input.tag_specifications.map(|specs| {
            specs
                .into_iter()
                .map(|s| TagRequest {
                    resource_type: s.resource_type.map(|t| t.to_string()),
                    tags: crate::tags::to_pairs(s.tags.unwrap_or_default()),
                })
                .collect()
        }),
        block_device_mappings: input.block_device_mappings.map(|mappings| {
            mappings
                .into_iter()
                .map(|m| BlockDeviceMapping {
                    device_name: m.device_name,
                    virtual_name: m.virtual_name,
                    no_device: m.no_device,
                    ebs: m.ebs.map(|e| EbsBlockDevice {
                        encrypted: e.encrypted,
                        delete_on_termination: e.delete_on_termination,
                        iops: e.iops.map(i64::from),
                        kms_key_id: e.kms_key_id,
                        snapshot_id: e.snapshot_id,
                        volume_size: e.volume_size.map(i64::from),
                        volume_type: e.volume_type.map(|t| t.to_string()),
                        throughput: e.throughput.map(i64::from),
                    }),
                })
                .collect()
        }),
        min_count: Some(input.min_count),
        max_count: Some(input.max_count),
        client_token: input.client_token,
    }
}

/// A retried request with the same `ClientToken` gets the instances the
/// first one launched.
fn same_client_token(
    tx: &Tx<'_>,
    token: Option<&str>,
) -> Result<Option<(String, Vec<Instance>)>, Error> {
    let Some(token) = token else {
        return Ok(None);
    };
    let instances: Vec<Instance> = tx
        .instances()?
        .into_iter()
        .filter(|i| i.client_token.as_deref() == Some(token))
        .collect();
    Ok(instances
        .first()
        .map(|first| first.reservation_id.clone())
        .map(|reservation| (reservation, instances)))
}
