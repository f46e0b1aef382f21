//! RunInstances: the request is turned into the shared launch parameters
//! (`ballast_core::ec2::launch::LaunchRequest`) and launched through the
//! store's launch path (`Tx::prepare_launch`, `Tx::launch_resources`,
//! `Tx::launch_instances`), the one Auto Scaling uses too.

use ballast_core::ec2::instance::{Instance, MetadataChange};
use ballast_core::ec2::launch::{InterfaceRequest, LaunchRequest, TagRequest};
use ballast_core::ec2::launch_template::{IamInstanceProfile, TemplateRef};
use ballast_store::{TemplateChoice, Tx};

use super::model::*;
use super::{Error, view};
use crate::ApiState;
use crate::ec2::dry_run;

pub(crate) fn run(state: &ApiState, input: RunInstancesInput) -> Result<Reservation, Error> {
    let dry = input.dry_run;
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
            return Ok((reservation, existing, launch.tags.clone()));
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
            &state.ids,
            now,
        )?;
        let reservation_id = instances
            .first()
            .map(|i| i.reservation_id.clone())
            .unwrap_or_default();
        Ok((reservation_id, instances, prepared.launch.tags))
    })?;
    state.fleet.changed();
    Ok(Reservation {
        reservation_id: reservation,
        owner_id: state.scope.account.clone(),
        groups: Vec::new(),
        instances: instances
            .iter()
            .map(|i| view(state, i, tags.clone()))
            .collect(),
    })
}

/// RunInstances' members as the shared launch parameters.
fn request(input: RunInstancesInput) -> LaunchRequest {
    LaunchRequest {
        image_id: input.image_id,
        instance_type: input.instance_type,
        key_name: input.key_name,
        user_data: input.user_data,
        iam_instance_profile: input.iam_instance_profile.map(|p| IamInstanceProfile {
            arn: p.arn,
            name: p.name,
        }),
        security_group_ids: input.security_group_ids,
        security_groups: input.security_groups,
        subnet_id: input.subnet_id,
        zone: input.placement.and_then(|p| p.availability_zone),
        network_interfaces: input.network_interfaces.map(|interfaces| {
            interfaces
                .into_iter()
                .map(|n| InterfaceRequest {
                    device_index: n.device_index,
                    subnet_id: n.subnet_id,
                    groups: n.groups,
                })
                .collect()
        }),
        metadata_options: input.metadata_options.map(|m| MetadataChange {
            http_tokens: m.http_tokens,
            http_put_response_hop_limit: m.http_put_response_hop_limit,
            http_endpoint: m.http_endpoint,
            instance_metadata_tags: m.instance_metadata_tags,
        }),
        disable_api_termination: input.disable_api_termination,
        shutdown_behavior: input.instance_initiated_shutdown_behavior,
        tag_specifications: input.tag_specifications.map(|specs| {
            specs
                .into_iter()
                .map(|s| TagRequest {
                    resource_type: s.resource_type,
                    tags: s.tags.into_iter().map(|t| (t.key, t.value)).collect(),
                })
                .collect()
        }),
        min_count: input.min_count,
        max_count: input.max_count,
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
