//! Auto Scaling: a group's ARN
//! (`arn:aws:autoscaling:…:autoScalingGroup:UUID:autoScalingGroupName/NAME`)
//! and its tags, found by the group or instance a request names; a launch
//! configuration's ARN
//! (`arn:aws:autoscaling:…:launchConfiguration:UUID:launchConfigurationName/NAME`)
//! for the calls that create or delete one.

use ballast_store::{StoreError, Tx};
use serde::Deserialize;

use super::ec2::{TemplateSpec, instance_profile_roles, template_roles};
use super::{Access, Names, Resource, Unnamed};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Params {
    auto_scaling_group_name: Option<String>,
    instance_id: Option<String>,
    launch_template: Option<TemplateSpec>,
    launch_configuration_name: Option<String>,
    iam_instance_profile: Option<String>,
    tags: Option<Vec<Tag>>,
    policy_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Tag {
    resource_id: Option<String>,
    key: String,
    value: Option<String>,
}

/// (`Describe*` calls are decided on `*`.) CreateAutoScalingGroup
/// acts on the group it creates (its UUID is not known yet), the calls
/// that name an instance on that instance's group, CreateOrUpdateTags and
/// DeleteTags on each group their tags name, DeletePolicy and
/// ExecutePolicy with a policy ARN alone on the group it names, the rest
/// on the group they name. A group created or updated with a launch template whose
/// version names an instance profile also passes that profile's role.
/// CreateLaunchConfiguration and DeleteLaunchConfiguration act on the
/// configuration (`*` for the UUID of one not stored yet); creating one
/// with an instance profile passes that profile's role.
pub(super) fn access(names: &Names<'_>) -> Result<Access, Unnamed> {
    let operation = names.operation();
    let params: Params = names.params()?;
    let tx = names.tx;
    if matches!(
        operation,
        "CreateLaunchConfiguration" | "DeleteLaunchConfiguration"
    ) {
        let name = params.launch_configuration_name.unwrap_or_default();
        let arn = match tx.launch_configuration(&name)? {
            Some(found) => found.arn,
            None => configuration_arn(names, "*", &name),
        };
        let passed_roles = match &params.iam_instance_profile {
            Some(profile) if operation == "CreateLaunchConfiguration" => {
                instance_profile_roles(tx, profile)?
            }
            _ => Vec::new(),
        };
        return Ok(Access {
            resources: vec![Resource::untagged(arn)],
            request_tags: Vec::new(),
            passed_roles,
        });
    }
    let group = |name: &str| group(names, tx, name);
    let resources = match (&params.auto_scaling_group_name, &params.instance_id) {
        (Some(name), _) if operation == "CreateAutoScalingGroup" => {
            vec![Resource::untagged(arn(names, "*", name))]
        }
        (Some(name), _) => vec![group(name)?],
        (None, Some(instance)) => match tx.asg_group_of_instance(instance)? {
            Some(found) => vec![group(&found.name)?],
            None => Vec::new(),
        },
        // DeletePolicy and ExecutePolicy may name the policy by its ARN
        // alone, which names the group.
        (None, None) if matches!(operation, "DeletePolicy" | "ExecutePolicy") => params
            .policy_name
            .as_deref()
            .and_then(ballast_core::autoscaling::policy::group_of_arn)
            .map(group)
            .transpose()?
            .into_iter()
            .collect(),
        (None, None) if matches!(operation, "CreateOrUpdateTags" | "DeleteTags") => {
            // Each group a tag names (ResourceId), once.
            let mut named: Vec<&str> = params
                .tags
                .iter()
                .flatten()
                .filter_map(|t| t.resource_id.as_deref())
                .collect();
            named.sort_unstable();
            named.dedup();
            named.into_iter().map(group).collect::<Result<_, _>>()?
        }
        (None, None) => Vec::new(),
    };
    let passed_roles = match &params.launch_template {
        Some(spec)
            if matches!(
                operation,
                "CreateAutoScalingGroup" | "UpdateAutoScalingGroup"
            ) =>
        {
            template_roles(tx, spec)?
        }
        _ => Vec::new(),
    };
    // DeleteTags names tags to remove, not tags it sets.
    let sets_tags = operation != "DeleteTags";
    let request_tags = params
        .tags
        .into_iter()
        .flatten()
        .filter(|_| sets_tags)
        .map(|t| (t.key, t.value.unwrap_or_default()))
        .collect();
    Ok(Access {
        resources,
        request_tags,
        passed_roles,
    })
}

/// A group by name: its stored ARN and tags, or, for a group that does
/// not exist, the ARN with `*` for its UUID.
fn group(names: &Names<'_>, tx: &Tx<'_>, name: &str) -> Result<Resource, StoreError> {
    Ok(match tx.asg_group(name)? {
        Some(group) => Resource::with_tags(
            group.arn,
            group.tags.into_iter().map(|t| (t.key, t.value)).collect(),
        ),
        None => Resource::untagged(arn(names, "*", name)),
    })
}

fn arn(names: &Names<'_>, uuid: &str, name: &str) -> String {
    format!(
        "arn:aws:autoscaling:{}:{}:autoScalingGroup:{uuid}:autoScalingGroupName/{name}",
        names.region(),
        names.account()
    )
}

fn configuration_arn(names: &Names<'_>, uuid: &str, name: &str) -> String {
    ballast_core::autoscaling::configuration::arn(names.region(), names.account(), uuid, name)
}
