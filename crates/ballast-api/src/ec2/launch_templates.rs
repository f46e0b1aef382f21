//! Launch template handlers: create, version, describe, modify, delete.
//!
//! The rules (names, ids, `$Latest`/`$Default`, the `SourceVersion`
//! overlay, what may be deleted) are `ballast_core::ec2::launch_template`'s;
//! templates and versions are stored by `ballast_store` (`launch_templates`),
//! their tags in the `tags` table under the template id.

use std::collections::BTreeSet;

use ballast_core::ec2::images::SSM_ALIAS_PREFIX;
use ballast_core::ec2::launch_template::{self as lt, TemplateRef, VersionEntry, VersionSpec};
use ballast_core::ec2::{Error as Rule, filter, paging_within};
use ballast_core::paging::page;
use ballast_store::Tx;
use ballast_wire::Timestamp;

use super::images::resolve_image_id;
use ballast_model::XmlList;
use ballast_model::ec2::{
    CreateLaunchTemplateInput, CreateLaunchTemplateOutput, CreateLaunchTemplateVersionInput,
    CreateLaunchTemplateVersionOutput, DeleteLaunchTemplateInput, DeleteLaunchTemplateOutput,
    DeleteLaunchTemplateVersionsInput, DeleteLaunchTemplateVersionsOutput,
    DeleteLaunchTemplateVersionsResponseErrorItem, DeleteLaunchTemplateVersionsResponseSuccessItem,
    DescribeLaunchTemplateVersionsInput, DescribeLaunchTemplateVersionsOutput,
    DescribeLaunchTemplatesInput, DescribeLaunchTemplatesOutput, LaunchTemplate,
    LaunchTemplateBlockDeviceMapping, LaunchTemplateEbsBlockDevice,
    LaunchTemplateIamInstanceProfileSpecification, LaunchTemplateInstanceMetadataOptions,
    LaunchTemplateInstanceNetworkInterfaceSpecification, LaunchTemplatePlacement,
    LaunchTemplateTagSpecification, LaunchTemplateVersion, LaunchTemplatesMonitoring,
    ModifyLaunchTemplateInput, ModifyLaunchTemplateOutput, RequestLaunchTemplateData,
    ResponseError, ResponseLaunchTemplateData,
};

use super::{Error, creation_tags, dry_run, filters, non_empty};
use crate::{ApiState, RequestContext};

/// `MaxResults` of the Describe calls: 1–200.
const PAGE_SIZES: (i64, i64) = (1, 200);

/// EC2's explanation when DescribeLaunchTemplateVersions names no template
/// and asks for more than `$Latest`/`$Default`.
const ACROSS_TEMPLATES: &str = "To describe the launch template data for all your launch templates, for \u{2018}--versions\u{2019} specify \u{2018}$Latest\u{2019}, \u{2018}$Default\u{2019}, or both, and omit \u{2018}--launch-template-id\u{2019}, \u{2018}--launch-template-name\u{2019}, and version numbers. To describe the launch template data for a specific launch template, specify \u{2018}--launch-template-id\u{2019} or \u{2018}--launch-template-name\u{2019}, and for \u{2018}--versions\u{2019} specify one or more of the following values: \u{2018}$Latest\u{2019}, \u{2018}$Default\u{2019}, or one or more version numbers.";

// ---- conversions --------------------------------------------------------------

/// A model enum's wire text, as the core keeps it.
fn text<E: std::fmt::Display>(value: Option<E>) -> Option<String> {
    value.map(|v| v.to_string())
}

/// A number the core keeps as `i64` as the model's `Integer` shows it.
fn integer(value: Option<i64>) -> Option<i32> {
    value.and_then(|n| i32::try_from(n).ok())
}

/// The request's `LaunchTemplateData` as the core keeps it, checked.
fn template_data(d: RequestLaunchTemplateData) -> Result<lt::TemplateData, Rule> {
    let data = lt::TemplateData {
        image_id: d.image_id,
        instance_type: text(d.instance_type),
        key_name: d.key_name,
        user_data: d.user_data,
        iam_instance_profile: d.iam_instance_profile.map(|p| lt::IamInstanceProfile {
            arn: p.arn,
            name: p.name,
        }),
        security_group_ids: d.security_group_ids.map(XmlList::into_inner),
        security_groups: d.security_groups.map(XmlList::into_inner),
        tag_specifications: d.tag_specifications.map(|specs| {
            specs
                .into_iter()
                .map(|s| lt::LaunchTagSpecification {
                    resource_type: text(s.resource_type).unwrap_or_default(),
                    tags: crate::tags::to_core(s.tags.unwrap_or_default()),
                })
                .collect()
        }),
        metadata_options: d.metadata_options.map(|m| lt::MetadataOptions {
            http_tokens: text(m.http_tokens),
            http_put_response_hop_limit: m.http_put_response_hop_limit.map(i64::from),
            http_endpoint: text(m.http_endpoint),
            http_protocol_ipv6: text(m.http_protocol_ipv6),
            instance_metadata_tags: text(m.instance_metadata_tags),
        }),
        placement: d.placement.map(|p| lt::Placement {
            availability_zone: p.availability_zone,
            group_name: p.group_name,
            tenancy: text(p.tenancy),
        }),
        network_interfaces: d.network_interfaces.map(|nics| {
            nics.into_iter()
                .map(|n| lt::NetworkInterface {
                    device_index: n.device_index.map(i64::from),
                    subnet_id: n.subnet_id,
                    groups: n.groups.map(XmlList::into_inner),
                    associate_public_ip_address: n.associate_public_ip_address,
                    delete_on_termination: n.delete_on_termination,
                    description: n.description,
                    network_interface_id: n.network_interface_id,
                    private_ip_address: n.private_ip_address,
                })
                .collect()
        }),
        monitoring: d.monitoring.map(|m| lt::Monitoring { enabled: m.enabled }),
        disable_api_termination: d.disable_api_termination,
        instance_initiated_shutdown_behavior: text(d.instance_initiated_shutdown_behavior),
        block_device_mappings: d.block_device_mappings.map(|mappings| {
            mappings
                .into_iter()
                .map(|m| lt::BlockDeviceMapping {
                    device_name: m.device_name,
                    virtual_name: m.virtual_name,
                    no_device: m.no_device,
                    ebs: m.ebs.map(|e| lt::EbsBlockDevice {
                        encrypted: e.encrypted,
                        delete_on_termination: e.delete_on_termination,
                        iops: e.iops.map(i64::from),
                        kms_key_id: e.kms_key_id,
                        snapshot_id: e.snapshot_id,
                        volume_size: e.volume_size.map(i64::from),
                        volume_type: text(e.volume_type),
                        throughput: e.throughput.map(i64::from),
                    }),
                })
                .collect()
        }),
        ebs_optimized: d.ebs_optimized,
    };
    data.check()?;
    Ok(data)
}

/// A version's data as the API shows it; `image_id` replaces the stored
/// one when `ResolveAlias` resolved it.
fn data_view(d: lt::TemplateData, image_id: Option<String>) -> ResponseLaunchTemplateData {
    ResponseLaunchTemplateData {
        ebs_optimized: d.ebs_optimized,
        iam_instance_profile: d.iam_instance_profile.map(|p| {
            LaunchTemplateIamInstanceProfileSpecification {
                arn: p.arn,
                name: p.name,
            }
        }),
        block_device_mappings: d.block_device_mappings.map(|mappings| {
            mappings
                .into_iter()
                .map(|m| LaunchTemplateBlockDeviceMapping {
                    device_name: m.device_name,
                    virtual_name: m.virtual_name,
                    no_device: m.no_device,
                    ebs: m.ebs.map(|e| LaunchTemplateEbsBlockDevice {
                        encrypted: e.encrypted,
                        delete_on_termination: e.delete_on_termination,
                        iops: integer(e.iops),
                        kms_key_id: e.kms_key_id,
                        snapshot_id: e.snapshot_id,
                        volume_size: integer(e.volume_size),
                        volume_type: e.volume_type.as_deref().map(Into::into),
                        throughput: integer(e.throughput),
                        ..Default::default()
                    }),
                })
                .collect()
        }),
        network_interfaces: d.network_interfaces.map(|nics| {
            nics.into_iter()
                .map(|n| LaunchTemplateInstanceNetworkInterfaceSpecification {
                    associate_public_ip_address: n.associate_public_ip_address,
                    delete_on_termination: n.delete_on_termination,
                    description: n.description,
                    device_index: integer(n.device_index),
                    groups: n.groups.map(XmlList::from),
                    network_interface_id: n.network_interface_id,
                    private_ip_address: n.private_ip_address,
                    subnet_id: n.subnet_id,
                    ..Default::default()
                })
                .collect()
        }),
        image_id: image_id.or(d.image_id),
        instance_type: d.instance_type.as_deref().map(Into::into),
        key_name: d.key_name,
        monitoring: d
            .monitoring
            .map(|m| LaunchTemplatesMonitoring { enabled: m.enabled }),
        placement: d.placement.map(|p| LaunchTemplatePlacement {
            availability_zone: p.availability_zone,
            group_name: p.group_name,
            tenancy: p.tenancy.as_deref().map(Into::into),
            ..Default::default()
        }),
        disable_api_termination: d.disable_api_termination,
        instance_initiated_shutdown_behavior: d
            .instance_initiated_shutdown_behavior
            .as_deref()
            .map(Into::into),
        user_data: d.user_data,
        tag_specifications: d.tag_specifications.map(|specs| {
            specs
                .into_iter()
                .map(|s| LaunchTemplateTagSpecification {
                    resource_type: Some(s.resource_type.as_str().into()),
                    tags: Some(crate::tags::from_core(s.tags)),
                })
                .collect()
        }),
        security_group_ids: d.security_group_ids,
        security_groups: d.security_groups,
        metadata_options: d
            .metadata_options
            .map(|m| LaunchTemplateInstanceMetadataOptions {
                http_tokens: m.http_tokens.as_deref().map(Into::into),
                http_put_response_hop_limit: integer(m.http_put_response_hop_limit),
                http_endpoint: m.http_endpoint.as_deref().map(Into::into),
                http_protocol_ipv6: m.http_protocol_ipv6.as_deref().map(Into::into),
                instance_metadata_tags: m.instance_metadata_tags.as_deref().map(Into::into),
                state: None,
            }),
        ..Default::default()
    }
}

fn template_view(t: &lt::LaunchTemplate, tags: Vec<(String, String)>) -> LaunchTemplate {
    LaunchTemplate {
        launch_template_id: Some(t.id.clone()),
        launch_template_name: Some(t.name.clone()),
        create_time: Some(Timestamp::from_millis(t.created_millis)),
        created_by: Some(t.created_by.clone()),
        default_version_number: Some(t.default_version),
        latest_version_number: Some(t.latest_version),
        // Absent when the template has no tags, as EC2 shows it.
        tags: (!tags.is_empty()).then(|| crate::tags::from_pairs(tags)),
        operator: None,
    }
}

/// A version ready to show: its template, and the AMI id its alias
/// resolved to when `ResolveAlias` asked.
struct Shown {
    template: lt::LaunchTemplate,
    version: lt::LaunchTemplateVersion,
    image_id: Option<String>,
}

impl Shown {
    /// Reads what `ResolveAlias` shows: the AMI id behind a `resolve:ssm:`
    /// image id. One that does not resolve is shown as stored, as the
    /// template is only checked at launch.
    fn new(
        tx: &Tx<'_>,
        template: lt::LaunchTemplate,
        version: lt::LaunchTemplateVersion,
        resolve_alias: bool,
    ) -> Result<Shown, Error> {
        let image_id = match &version.data.image_id {
            Some(id) if resolve_alias && id.starts_with(SSM_ALIAS_PREFIX) => {
                match resolve_image_id(tx, id) {
                    Ok(resolved) => Some(resolved),
                    Err(Error::Rule(_)) => None,
                    Err(e) => return Err(e),
                }
            }
            _ => None,
        };
        Ok(Shown {
            template,
            version,
            image_id,
        })
    }

    fn view(self) -> LaunchTemplateVersion {
        let v = self.version;
        LaunchTemplateVersion {
            launch_template_id: Some(self.template.id.clone()),
            launch_template_name: Some(self.template.name.clone()),
            version_number: Some(v.number),
            version_description: v.description,
            create_time: Some(Timestamp::from_millis(v.created_millis)),
            created_by: Some(v.created_by),
            default_version: Some(v.number == self.template.default_version),
            launch_template_data: Some(data_view(v.data, self.image_id)),
            operator: None,
        }
    }
}

/// The template a request names, or its not-found error.
fn find(tx: &Tx<'_>, by: &TemplateRef) -> Result<lt::LaunchTemplate, Error> {
    tx.find_launch_template(by)?
        .ok_or_else(|| by.not_found().into())
}

// ---- handlers -----------------------------------------------------------------

pub(super) fn create(
    state: &ApiState,
    ctx: &RequestContext,
    input: CreateLaunchTemplateInput,
) -> Result<CreateLaunchTemplateOutput, Error> {
    let name = input.launch_template_name;
    lt::check_name(&name)?;
    let data = template_data(input.launch_template_data)?;
    lt::check_description(input.version_description.as_deref())?;
    lt::check_client_token(input.client_token.as_deref())?;
    let tags = creation_tags(input.tag_specifications, "launch-template")?;
    let now = state.now().millis();
    let id = format!("lt-{}", state.ids.hex(17));
    let (template, tags) = state.store.write(|tx| -> Result<_, Error> {
        // A retry with the same token answers what the first call made.
        if let Some(token) = &input.client_token
            && let Some(existing) = tx.launch_template_by_client_token(token)?
        {
            if existing.name != name {
                return Err(Rule::IdempotentParameterMismatch(format!(
                    "The client token '{token}' was already used for launch template '{}'.",
                    existing.name
                ))
                .into());
            }
            let tags = tx.tags(&existing.id)?;
            return Ok((existing, tags));
        }
        if tx.launch_template_by_name(&name)?.is_some() {
            return Err(Rule::LaunchTemplateNameDuplicate.into());
        }
        dry_run(input.dry_run)?;
        let template = lt::LaunchTemplate::new(
            id,
            name,
            now,
            ctx.principal_arn.clone(),
            input.client_token.clone(),
        );
        tx.save_launch_template(&template)?;
        tx.insert_launch_template_version(&lt::LaunchTemplateVersion {
            template_id: template.id.clone(),
            number: 1,
            description: input.version_description,
            created_millis: now,
            created_by: ctx.principal_arn.clone(),
            data,
            client_token: None,
        })?;
        tx.put_tags(&template.id, &tags)?;
        Ok((template, tags))
    })?;
    Ok(CreateLaunchTemplateOutput {
        launch_template: Some(template_view(&template, tags)),
        warning: None,
    })
}

pub(super) fn create_version(
    state: &ApiState,
    ctx: &RequestContext,
    input: CreateLaunchTemplateVersionInput,
) -> Result<CreateLaunchTemplateVersionOutput, Error> {
    let by = TemplateRef::from_request(
        input.launch_template_id,
        input.launch_template_name,
        "create a launch template version",
    )?;
    let data = template_data(input.launch_template_data)?;
    lt::check_description(input.version_description.as_deref())?;
    lt::check_client_token(input.client_token.as_deref())?;
    let source = input
        .source_version
        .as_deref()
        .map(|text| VersionSpec::parse(text).map(|spec| (text, spec)))
        .transpose()?;
    let now = state.now().millis();
    let resolve_alias = input.resolve_alias == Some(true);
    let shown = state.store.write(|tx| -> Result<_, Error> {
        let mut template = find(tx, &by)?;
        if let Some(token) = &input.client_token
            && let Some(existing) = tx
                .launch_template_versions(&template.id)?
                .into_iter()
                .find(|v| v.client_token.as_ref() == Some(token))
        {
            return Shown::new(tx, template, existing, resolve_alias);
        }
        let data = match source {
            Some((text, spec)) => {
                let number = template.version_number(spec);
                let base = tx
                    .launch_template_version(&template.id, number)?
                    .ok_or_else(|| template.version_not_found(text))?;
                data.overlay(&base.data)
            }
            None => data,
        };
        dry_run(input.dry_run)?;
        let version = lt::LaunchTemplateVersion {
            template_id: template.id.clone(),
            number: template.next_version(),
            description: input.version_description,
            created_millis: now,
            created_by: ctx.principal_arn.clone(),
            data,
            client_token: input.client_token.clone(),
        };
        tx.insert_launch_template_version(&version)?;
        tx.save_launch_template(&template)?;
        Shown::new(tx, template, version, resolve_alias)
    })?;
    Ok(CreateLaunchTemplateVersionOutput {
        launch_template_version: Some(shown.view()),
        warning: None,
    })
}

pub(super) fn describe(
    state: &ApiState,
    input: DescribeLaunchTemplatesInput,
) -> Result<DescribeLaunchTemplatesOutput, Error> {
    dry_run(input.dry_run)?;
    let filters = filters::<lt::LaunchTemplate>(input.filters)?;
    let (size, after) = paging_within(
        input.max_results.map(i64::from),
        input.next_token.as_deref(),
        PAGE_SIZES.0,
        PAGE_SIZES.1,
    )?;
    for id in input.launch_template_ids.iter().flatten() {
        lt::check_id(id)?;
    }
    let selected = state.store.read(|tx| -> Result<_, Error> {
        let templates = tx.launch_templates()?;
        for id in input.launch_template_ids.iter().flatten() {
            if !templates.iter().any(|t| t.id == *id) {
                return Err(Rule::LaunchTemplateIdNotFound(id.clone()).into());
            }
        }
        for name in input.launch_template_names.iter().flatten() {
            if !templates.iter().any(|t| t.name == *name) {
                return Err(Rule::LaunchTemplatesNotFound.into());
            }
        }
        let mut out = Vec::new();
        for template in templates {
            let unnamed = input
                .launch_template_ids
                .as_ref()
                .is_some_and(|ids| !ids.is_empty() && !ids.contains(&template.id))
                || input
                    .launch_template_names
                    .as_ref()
                    .is_some_and(|names| !names.is_empty() && !names.contains(&template.name));
            if unnamed {
                continue;
            }
            let tags = tx.tags(&template.id)?;
            if filter::matches(&template, &tags, &filters) {
                out.push((template, tags));
            }
        }
        Ok(out)
    })?;
    let (selected, next_token) = page(selected, |(t, _)| t.name.as_str(), after.as_deref(), size);
    Ok(DescribeLaunchTemplatesOutput {
        launch_templates: Some(
            selected
                .into_iter()
                .map(|(t, tags)| template_view(&t, tags))
                .collect(),
        ),
        next_token,
    })
}

/// A `MinVersion`/`MaxVersion`: a version number.
fn version_bound(text: Option<&str>, parameter: &str) -> Result<Option<i64>, Rule> {
    match text.map(VersionSpec::parse) {
        None => Ok(None),
        Some(Ok(VersionSpec::Number(n))) => Ok(Some(n)),
        Some(_) => Err(Rule::InvalidParameterValue(format!(
            "The value for {parameter} must be a version number."
        ))),
    }
}

/// The paging key of a version: templates by name, newest version first,
/// as EC2 lists them.
fn version_key(template: &lt::LaunchTemplate, number: i64) -> String {
    format!("{}\u{0}{:020}", template.name, i64::MAX - number)
}

pub(super) fn describe_versions(
    state: &ApiState,
    input: DescribeLaunchTemplateVersionsInput,
) -> Result<DescribeLaunchTemplateVersionsOutput, Error> {
    dry_run(input.dry_run)?;
    let filters = filters::<VersionEntry<'static>>(input.filters)?;
    let (size, after) = paging_within(
        input.max_results.map(i64::from),
        input.next_token.as_deref(),
        PAGE_SIZES.0,
        PAGE_SIZES.1,
    )?;
    let by = TemplateRef::optional(
        input.launch_template_id,
        input.launch_template_name,
        "describe its versions",
    )?;
    let min = version_bound(input.min_version.as_deref(), "MinVersion")?;
    let max = version_bound(input.max_version.as_deref(), "MaxVersion")?;
    let requested = input.versions.unwrap_or_default();
    // Across templates only `$Latest` and `$Default` may be asked for.
    let across: Vec<VersionSpec> = if by.is_none() {
        if requested.is_empty() {
            return Err(Rule::MissingParameterDetail(ACROSS_TEMPLATES.to_owned()).into());
        }
        let specs: Vec<VersionSpec> = requested
            .iter()
            .filter_map(|text| VersionSpec::parse(text).ok().filter(|s| s.is_alias()))
            .collect();
        if specs.len() != requested.len() || min.is_some() || max.is_some() {
            return Err(Rule::InvalidParameterValue(ACROSS_TEMPLATES.to_owned()).into());
        }
        specs
    } else {
        Vec::new()
    };
    let resolve_alias = input.resolve_alias == Some(true);
    let (shown, next_token) = state.store.read(|tx| -> Result<_, Error> {
        let mut chosen: Vec<(lt::LaunchTemplate, lt::LaunchTemplateVersion)> = Vec::new();
        match &by {
            Some(by) => {
                let template = find(tx, by)?;
                let versions = tx.launch_template_versions(&template.id)?;
                let mut wanted = BTreeSet::new();
                for text in &requested {
                    let number = template.version_number(VersionSpec::parse(text)?);
                    if !versions.iter().any(|v| v.number == number) {
                        return Err(template.version_not_found(text).into());
                    }
                    wanted.insert(number);
                }
                for version in versions {
                    let n = version.number;
                    if (!wanted.is_empty() && !wanted.contains(&n))
                        || min.is_some_and(|m| n < m)
                        || max.is_some_and(|m| n > m)
                    {
                        continue;
                    }
                    chosen.push((template.clone(), version));
                }
            }
            None => {
                for template in tx.launch_templates()? {
                    let numbers: BTreeSet<i64> = across
                        .iter()
                        .map(|spec| template.version_number(*spec))
                        .collect();
                    for n in numbers {
                        if let Some(version) = tx.launch_template_version(&template.id, n)? {
                            chosen.push((template.clone(), version));
                        }
                    }
                }
            }
        }
        chosen.retain(|(template, version)| {
            let entry = VersionEntry {
                version,
                is_default: version.number == template.default_version,
            };
            filter::matches(&entry, &[], &filters)
        });
        let mut keyed: Vec<(String, _)> = chosen
            .into_iter()
            .map(|(t, v)| (version_key(&t, v.number), (t, v)))
            .collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        let (page, next_token) = page(keyed, |(k, _)| k.as_str(), after.as_deref(), size);
        let shown = page
            .into_iter()
            .map(|(_, (t, v))| Shown::new(tx, t, v, resolve_alias))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((shown, next_token))
    })?;
    Ok(DescribeLaunchTemplateVersionsOutput {
        launch_template_versions: Some(shown.into_iter().map(Shown::view).collect()),
        next_token,
    })
}

/// ModifyLaunchTemplate and DeleteLaunchTemplate: `apply` to the template
/// `by` names in one write; the template as it then is, with the tags it
/// had (read first, as a delete clears them).
fn change(
    state: &ApiState,
    by: &TemplateRef,
    apply: impl FnOnce(&Tx<'_>, &mut lt::LaunchTemplate) -> Result<(), Error>,
) -> Result<LaunchTemplate, Error> {
    state.store.write(|tx| {
        let mut template = find(tx, by)?;
        let tags = tx.tags(&template.id)?;
        apply(tx, &mut template)?;
        Ok(template_view(&template, tags))
    })
}

pub(super) fn modify(
    state: &ApiState,
    input: ModifyLaunchTemplateInput,
) -> Result<ModifyLaunchTemplateOutput, Error> {
    let by = TemplateRef::from_request(
        input.launch_template_id,
        input.launch_template_name,
        "modify the template",
    )?;
    lt::check_client_token(input.client_token.as_deref())?;
    let shown = change(state, &by, |tx, template| {
        if let Some(text) = &input.default_version {
            let not_found = || {
                Rule::LaunchTemplateVersionNotFound(format!(
                    "The launch template version {text} is not found for the specified launch template."
                ))
            };
            let number = VersionSpec::parse(text)
                .map(|spec| template.version_number(spec))
                .map_err(|_| not_found())?;
            if tx.launch_template_version(&template.id, number)?.is_none() {
                return Err(not_found().into());
            }
            dry_run(input.dry_run)?;
            template.default_version = number;
            tx.save_launch_template(template)?;
        } else {
            dry_run(input.dry_run)?;
        }
        Ok(())
    })?;
    Ok(ModifyLaunchTemplateOutput {
        launch_template: Some(shown),
    })
}

pub(super) fn delete(
    state: &ApiState,
    input: DeleteLaunchTemplateInput,
) -> Result<DeleteLaunchTemplateOutput, Error> {
    let by = TemplateRef::from_request(
        input.launch_template_id,
        input.launch_template_name,
        "delete the template",
    )?;
    let shown = change(state, &by, |tx, template| {
        dry_run(input.dry_run)?;
        tx.delete_launch_template(&template.id)?;
        tx.clear_tags(&template.id)?;
        Ok(())
    })?;
    Ok(DeleteLaunchTemplateOutput {
        launch_template: Some(shown),
    })
}

pub(super) fn delete_versions(
    state: &ApiState,
    input: DeleteLaunchTemplateVersionsInput,
) -> Result<DeleteLaunchTemplateVersionsOutput, Error> {
    let (given_id, given_name) = (input.launch_template_id, input.launch_template_name);
    if given_id.is_some() && given_name.is_some() {
        return Err(Rule::InvalidParameterCombination(
            "Either provide launch template ID or launch template name to delete its versions."
                .to_owned(),
        )
        .into());
    }
    let requested = non_empty(input.versions, "LaunchTemplateVersion")?;
    if requested.len() > lt::MAX_VERSIONS_PER_DELETE {
        return Err(Rule::InvalidParameterValue(format!(
            "You can delete at most {} launch template versions in one request.",
            lt::MAX_VERSIONS_PER_DELETE
        ))
        .into());
    }
    // A missing or malformed template fails each version, not the call.
    let by = match (&given_id, &given_name) {
        (Some(id), _) => lt::check_id(id).map(|()| TemplateRef::Id(id.clone())),
        (None, Some(name)) => Ok(TemplateRef::Name(name.clone())),
        (None, None) => {
            return Err(Rule::MissingParameter(
                "launch template ID or launch template name".to_owned(),
            )
            .into());
        }
    };
    state.store.write(|tx| -> Result<_, Error> {
        let found = match &by {
            Ok(by) => tx.find_launch_template(by)?.ok_or_else(|| by.not_found()),
            Err(e) => Err(e.clone()),
        };
        let mut template = match found {
            Ok(template) => template,
            Err(error) => {
                dry_run(input.dry_run)?;
                let refusal = lt::VersionNotDeleted::template(&error);
                return Ok(DeleteLaunchTemplateVersionsOutput {
                    successfully_deleted_launch_template_versions: Some(Vec::new()),
                    unsuccessfully_deleted_launch_template_versions: Some(
                        requested
                            .iter()
                            .map(|text| DeleteLaunchTemplateVersionsResponseErrorItem {
                                launch_template_id: given_id.clone(),
                                launch_template_name: given_name.clone(),
                                version_number: text.parse().ok(),
                                response_error: Some(ResponseError {
                                    code: Some(refusal.code.into()),
                                    message: Some(refusal.message.clone()),
                                }),
                            })
                            .collect(),
                    ),
                });
            }
        };
        dry_run(input.dry_run)?;
        let mut existing: Vec<i64> = tx
            .launch_template_versions(&template.id)?
            .iter()
            .map(|v| v.number)
            .collect();
        let mut deleted = Vec::new();
        let mut not_deleted = Vec::new();
        for text in &requested {
            match lt::check_version_delete(&template, &existing, text) {
                Ok(number) => {
                    tx.delete_launch_template_version(&template.id, number)?;
                    existing.retain(|n| *n != number);
                    deleted.push(DeleteLaunchTemplateVersionsResponseSuccessItem {
                        launch_template_id: Some(template.id.clone()),
                        launch_template_name: Some(template.name.clone()),
                        version_number: Some(number),
                    });
                }
                Err(refusal) => not_deleted.push(DeleteLaunchTemplateVersionsResponseErrorItem {
                    launch_template_id: Some(template.id.clone()),
                    launch_template_name: Some(template.name.clone()),
                    version_number: text.parse().ok(),
                    response_error: Some(ResponseError {
                        code: Some(refusal.code.into()),
                        message: Some(refusal.message),
                    }),
                }),
            }
        }
        if !deleted.is_empty() {
            // The default version always remains, so there is a latest.
            template.latest_version = existing
                .iter()
                .copied()
                .max()
                .unwrap_or(template.default_version);
            tx.save_launch_template(&template)?;
        }
        Ok(DeleteLaunchTemplateVersionsOutput {
            successfully_deleted_launch_template_versions: Some(deleted),
            unsuccessfully_deleted_launch_template_versions: Some(not_deleted),
        })
    })
}
