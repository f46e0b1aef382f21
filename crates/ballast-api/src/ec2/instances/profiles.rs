//! Instance profile associations: which role an instance's metadata
//! service hands credentials for.
//!
//! A change takes effect for the instance at its next credential fetch:
//! the metadata service issues credentials for the role the association
//! names now (`ballast-fleet`'s `credentials`).

use ballast_core::ec2::instance::{Instance, InstanceState, ProfileAssociation};
use ballast_core::ec2::launch_template::IamInstanceProfile;
use ballast_core::ec2::{self, Error as Rule, filter};
use ballast_core::paging::page;
use ballast_model::XmlList;
use ballast_model::ec2::{
    AssociateIamInstanceProfileInput, AssociateIamInstanceProfileOutput,
    DescribeIamInstanceProfileAssociationsInput, DescribeIamInstanceProfileAssociationsOutput,
    DisassociateIamInstanceProfileInput, DisassociateIamInstanceProfileOutput,
    IamInstanceProfile as ProfileView, IamInstanceProfileAssociation,
    IamInstanceProfileSpecification, ReplaceIamInstanceProfileAssociationInput,
    ReplaceIamInstanceProfileAssociationOutput,
};
use ballast_store::Tx;
use ballast_wire::Timestamp;

use super::{Error, one};
use crate::ApiState;
use crate::ec2::{core_filters, describe_page};

/// The instance profile a specification names, as `(ARN, id)`; it must
/// exist.
pub(super) fn find_profile(
    tx: &Tx<'_>,
    spec: &IamInstanceProfileSpecification,
) -> Result<(String, String), Error> {
    tx.instance_profile_for_launch::<Error>(&IamInstanceProfile {
        arn: spec.arn.clone(),
        name: spec.name.clone(),
    })
}

fn association_view(
    instance: &Instance,
    association: &ProfileAssociation,
    state: &'static str,
) -> IamInstanceProfileAssociation {
    IamInstanceProfileAssociation {
        association_id: Some(association.id.clone()),
        instance_id: Some(instance.id.clone()),
        iam_instance_profile: Some(ProfileView {
            arn: Some(association.profile_arn.clone()),
            id: Some(association.profile_id.clone()),
        }),
        state: Some(state.into()),
        timestamp: Some(Timestamp::from_millis(association.since_millis)),
    }
}

fn new_association(
    state: &ApiState,
    tx: &Tx<'_>,
    spec: Option<&IamInstanceProfileSpecification>,
) -> Result<ProfileAssociation, Error> {
    let spec = spec.ok_or_else(|| Rule::MissingParameter("IamInstanceProfile".to_owned()))?;
    let (profile_arn, profile_id) = find_profile(tx, spec)?;
    Ok(ProfileAssociation {
        id: format!("iip-assoc-{}", state.ids.hex(17)),
        profile_arn,
        profile_id,
        since_millis: state.now().millis(),
    })
}

/// The live instance holding an association.
fn holder(tx: &Tx<'_>, association_id: Option<&str>) -> Result<Instance, Error> {
    let id = association_id.ok_or_else(|| Rule::MissingParameter("AssociationId".to_owned()))?;
    tx.instances()?
        .into_iter()
        .find(|i| {
            i.state != InstanceState::Terminated && i.profile.as_ref().is_some_and(|p| p.id == id)
        })
        .ok_or_else(|| Rule::AssociationNotFound(id.to_owned()).into())
}

/// Gives `instance` a new association with `spec`'s profile (replacing
/// any) and saves it: AssociateIamInstanceProfile and
/// ReplaceIamInstanceProfileAssociation.
fn associate_with(
    state: &ApiState,
    tx: &Tx<'_>,
    mut instance: Instance,
    spec: &IamInstanceProfileSpecification,
) -> Result<(Instance, ProfileAssociation), Error> {
    let association = new_association(state, tx, Some(spec))?;
    instance.profile = Some(association.clone());
    tx.save_instance(&instance)?;
    Ok((instance, association))
}

pub(crate) fn associate(
    state: &ApiState,
    input: AssociateIamInstanceProfileInput,
) -> Result<AssociateIamInstanceProfileOutput, Error> {
    let (instance, association) = state.store.write(|tx| -> Result<_, Error> {
        let instance = one(tx, Some(input.instance_id.as_str()))?;
        if instance.state == InstanceState::Terminated {
            return Err(Rule::IncorrectInstanceState(format!(
                "The instance '{}' is not in a valid state for this operation.",
                instance.id
            ))
            .into());
        }
        if instance.profile.is_some() {
            return Err(Rule::IncorrectState(format!(
                "There is an existing association for instance {}",
                instance.id
            ))
            .into());
        }
        associate_with(state, tx, instance, &input.iam_instance_profile)
    })?;
    Ok(AssociateIamInstanceProfileOutput {
        iam_instance_profile_association: Some(association_view(
            &instance,
            &association,
            "associating",
        )),
    })
}

pub(crate) fn replace(
    state: &ApiState,
    input: ReplaceIamInstanceProfileAssociationInput,
) -> Result<ReplaceIamInstanceProfileAssociationOutput, Error> {
    let (instance, association) = state.store.write(|tx| -> Result<_, Error> {
        let instance = holder(tx, Some(input.association_id.as_str()))?;
        associate_with(state, tx, instance, &input.iam_instance_profile)
    })?;
    Ok(ReplaceIamInstanceProfileAssociationOutput {
        iam_instance_profile_association: Some(association_view(
            &instance,
            &association,
            "associating",
        )),
    })
}

pub(crate) fn disassociate(
    state: &ApiState,
    input: DisassociateIamInstanceProfileInput,
) -> Result<DisassociateIamInstanceProfileOutput, Error> {
    let (instance, association) = state.store.write(|tx| -> Result<_, Error> {
        let mut instance = holder(tx, Some(input.association_id.as_str()))?;
        let association = instance
            .profile
            .take()
            .ok_or_else(|| Rule::AssociationNotFound(input.association_id.clone()))?;
        tx.save_instance(&instance)?;
        Ok((instance, association))
    })?;
    Ok(DisassociateIamInstanceProfileOutput {
        iam_instance_profile_association: Some(association_view(
            &instance,
            &association,
            "disassociating",
        )),
    })
}

/// The facts DescribeIamInstanceProfileAssociations filters on.
struct AssociationRow<'a>(&'a Instance);

impl filter::Filterable for AssociationRow<'_> {
    const FILTERS: &'static [&'static str] = &["instance-id", "state"];
    const TAGGED: bool = false;

    fn values(&self, name: &str) -> Vec<String> {
        match name {
            "instance-id" => vec![self.0.id.clone()],
            "state" => vec!["associated".to_owned()],
            _ => Vec::new(),
        }
    }
}

pub(crate) fn describe_associations(
    state: &ApiState,
    input: DescribeIamInstanceProfileAssociationsInput,
) -> Result<DescribeIamInstanceProfileAssociationsOutput, Error> {
    let filters: Vec<ec2::Filter> = core_filters(input.filters)?;
    filter::check::<AssociationRow<'_>>(&filters)?;
    let (size, after) = describe_page(input.max_results, input.next_token.as_deref())?;
    let wanted = input
        .association_ids
        .map(XmlList::into_inner)
        .unwrap_or_default();
    let instances = state.store.read(|tx| tx.instances())?;
    let mut rows: Vec<(Instance, ProfileAssociation)> = instances
        .into_iter()
        .filter(|i| i.state != InstanceState::Terminated)
        .filter_map(|i| {
            let association = i.profile.clone()?;
            Some((i, association))
        })
        .collect();
    for id in &wanted {
        if !rows.iter().any(|(_, a)| &a.id == id) {
            return Err(Rule::AssociationNotFound(id.clone()).into());
        }
    }
    rows.retain(|(i, a)| {
        (wanted.is_empty() || wanted.contains(&a.id))
            && filter::matches(&AssociationRow(i), &[], &filters)
    });
    rows.sort_by(|a, b| a.1.id.cmp(&b.1.id));
    let (rows, next_token) = page(rows, |(_, a)| a.id.as_str(), after.as_deref(), size);
    Ok(DescribeIamInstanceProfileAssociationsOutput {
        iam_instance_profile_associations: Some(
            rows.iter()
                .map(|(i, a)| association_view(i, a, "associated"))
                .collect(),
        ),
        next_token,
    })
}
