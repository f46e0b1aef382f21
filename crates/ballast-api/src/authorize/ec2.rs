//! EC2: resources are named `arn:aws:ec2:REGION:ACCOUNT:TYPE/ID` from the
//! ids a request carries (images have no account), and carry the tags
//! EC2 keeps under their ids.

use ballast_core::ec2::launch_template::{self, TemplateRef};
use ballast_core::network::DEFAULT_VPC_ID;
use ballast_store::{StoreError, Tx};
use serde::Deserialize;

use super::{Access, Names, Resource, Unnamed};
use ballast_model::ec2::TagSpecification;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Params {
    /// A list in StartInstances and the like, one id in GetConsoleOutput,
    /// ModifyInstanceMetadataOptions and AssociateIamInstanceProfile.
    #[serde(rename = "InstanceId")]
    instance_ids: Option<OneOrMany>,
    #[serde(rename = "ResourceId")]
    resource_ids: Option<Vec<String>>,
    group_id: Option<String>,
    group_name: Option<String>,
    vpc_id: Option<String>,
    key_name: Option<String>,
    key_pair_id: Option<String>,
    launch_template_id: Option<String>,
    launch_template_name: Option<String>,
    image_id: Option<String>,
    subnet_id: Option<String>,
    #[serde(rename = "SecurityGroupId")]
    security_group_ids: Option<Vec<String>>,
    #[serde(rename = "SecurityGroup")]
    security_group_names: Option<Vec<String>>,
    launch_template: Option<TemplateSpec>,
    iam_instance_profile: Option<ProfileSpec>,
    association_id: Option<String>,
    /// One id in the volume calls, a list in DescribeVolumes.
    volume_id: Option<OneOrMany>,
    allocation_id: Option<String>,
    public_ip: Option<String>,
    network_interface_id: Option<String>,
    #[serde(rename = "TagSpecification")]
    tag_specifications: Option<Vec<TagSpecification>>,
}

/// A parameter that is a list in some operations and one value in others.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn iter(&self) -> impl Iterator<Item = &String> {
        match self {
            OneOrMany::One(one) => std::slice::from_ref(one).iter(),
            OneOrMany::Many(many) => many.iter(),
        }
    }
}

/// A `LaunchTemplate` parameter (EC2's and Auto Scaling's have the same
/// members).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct TemplateSpec {
    launch_template_id: Option<String>,
    launch_template_name: Option<String>,
    version: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct ProfileSpec {
    arn: Option<String>,
    name: Option<String>,
}

/// Every call but `Describe*` (decided on `*`) is decided on the
/// resources it names or creates, as the Service Authorization Reference
/// lists them for each EC2 action.
pub(super) fn access(names: &Names<'_>) -> Result<Access, Unnamed> {
    let operation = names.operation();
    let mut params: Params = names.params()?;
    let arns = Arns::new(names);
    let tx = names.tx;
    let request_tags = crate::tags::to_pairs(
        params
            .tag_specifications
            .take()
            .into_iter()
            .flatten()
            .flat_map(|spec| spec.tags.unwrap_or_default()),
    );
    let mut access = Access::default();
    match operation {
        "RunInstances" => {
            access.resources = run_instances(&arns, tx, &params)?;
            access.passed_roles = launch_roles(tx, &params)?;
        }
        "CreateSecurityGroup" => {
            let vpc = params.vpc_id.as_deref().unwrap_or(DEFAULT_VPC_ID);
            access.resources = vec![
                Resource::untagged(arns.of("security-group", "*")),
                arns.tagged(tx, "vpc", vpc)?,
            ];
        }
        "CreateKeyPair" | "ImportKeyPair" => {
            let name = params.key_name.as_deref().unwrap_or("*");
            access.resources = vec![Resource::untagged(arns.of("key-pair", name))];
        }
        "CreateVolume" => {
            access.resources = vec![Resource::untagged(arns.of("volume", "*"))];
        }
        "CreateLaunchTemplate" => {
            access.resources = vec![Resource::untagged(arns.of("launch-template", "*"))];
        }
        "CreateTags" | "DeleteTags" => {
            for id in params.resource_ids.iter().flatten() {
                access.resources.push(arns.by_id(tx, id)?);
            }
        }
        "AssociateIamInstanceProfile" | "ReplaceIamInstanceProfileAssociation" => {
            access.resources = association_instance(&arns, tx, &params)?;
            access.passed_roles = profile_roles(tx, params.iam_instance_profile.as_ref())?;
        }
        "DisassociateIamInstanceProfile" => {
            access.resources = association_instance(&arns, tx, &params)?;
        }
        "AllocateAddress" => {
            access.resources = vec![Resource::untagged(arns.of("elastic-ip", "*"))];
        }
        "AssociateAddress" | "DisassociateAddress" | "ReleaseAddress" => {
            access.resources = elastic_ip(&arns, tx, &params, operation)?;
        }
        _ => access.resources = named(&arns, tx, &params)?,
    }
    Ok(access.with_request_tags(request_tags))
}

/// The Elastic IP an address call acts on (by allocation id, public
/// address or, for DisassociateAddress, association id) and the instance
/// or network interface it associates with or leaves.
fn elastic_ip(
    arns: &Arns<'_>,
    tx: &Tx<'_>,
    params: &Params,
    operation: &str,
) -> Result<Vec<Resource>, StoreError> {
    let address = match (
        &params.allocation_id,
        &params.public_ip,
        &params.association_id,
    ) {
        (Some(id), _, _) => tx.elastic_address(id)?,
        (None, Some(ip), _) => match ip.parse() {
            Ok(ip) => tx.public_address(ip)?.filter(|a| a.is_elastic()),
            Err(_) => None,
        },
        (None, None, Some(association)) => tx
            .elastic_addresses()?
            .into_iter()
            .find(|a| a.association.as_ref().and_then(|x| x.id.as_ref()) == Some(association)),
        _ => None,
    };
    let allocation_id = address
        .as_ref()
        .and_then(|a| a.allocation_id.clone())
        .or_else(|| params.allocation_id.clone())
        .unwrap_or_else(|| "*".to_owned());
    let mut resources = vec![arns.tagged(tx, "elastic-ip", &allocation_id)?];
    let instance = match operation {
        "AssociateAddress" => params
            .instance_ids
            .iter()
            .flat_map(OneOrMany::iter)
            .next()
            .cloned()
            .or_else(|| {
                params
                    .network_interface_id
                    .as_deref()
                    .and_then(ballast_core::ec2::interface::instance_of_interface)
            }),
        "DisassociateAddress" => address.and_then(|a| a.instance_id().map(str::to_owned)),
        _ => None,
    };
    if let Some(instance) = instance {
        resources.push(arns.tagged(tx, "instance", &instance)?);
        let eni = ballast_core::ec2::interface::interface_id(&instance);
        resources.push(Resource::untagged(arns.of("network-interface", &eni)));
    }
    Ok(resources)
}

/// The existing resources a call names by id: instances, a volume, a
/// security group, a key pair, a launch template.
fn named(arns: &Arns<'_>, tx: &Tx<'_>, params: &Params) -> Result<Vec<Resource>, StoreError> {
    let mut resources = Vec::new();
    for volume in params.volume_id.iter().flat_map(OneOrMany::iter) {
        resources.push(arns.tagged(tx, "volume", volume)?);
    }
    for id in params.instance_ids.iter().flat_map(OneOrMany::iter) {
        resources.push(arns.tagged(tx, "instance", id)?);
    }
    if let Some(group) = security_group_id(tx, params)? {
        resources.push(arns.tagged(tx, "security-group", &group)?);
    }
    if let Some(key) = key_pair(arns, tx, params)? {
        resources.push(key);
    }
    let template = template_ref(
        params.launch_template_id.as_ref(),
        params.launch_template_name.as_ref(),
    );
    if let Some(by) = template {
        resources.push(launch_template(arns, tx, &by)?);
    }
    Ok(resources)
}

/// RunInstances acts on the image, the subnet, the security groups, the
/// key pair and the launch template it names, and on the instances,
/// volumes and network interfaces it creates.
fn run_instances(
    arns: &Arns<'_>,
    tx: &Tx<'_>,
    params: &Params,
) -> Result<Vec<Resource>, StoreError> {
    let mut resources = vec![
        Resource::untagged(arns.of("instance", "*")),
        Resource::untagged(arns.of("volume", "*")),
        Resource::untagged(arns.of("network-interface", "*")),
    ];
    if let Some(image) = params.image_id.as_deref().filter(|i| i.starts_with("ami-")) {
        resources.push(Resource::tagged(tx, arns.image(image), image)?);
    }
    if let Some(subnet) = &params.subnet_id {
        resources.push(arns.tagged(tx, "subnet", subnet)?);
    }
    for group in params.security_group_ids.iter().flatten() {
        resources.push(arns.tagged(tx, "security-group", group)?);
    }
    for name in params.security_group_names.iter().flatten() {
        let id = tx
            .security_group_by_name(DEFAULT_VPC_ID, name)?
            .map_or_else(|| name.clone(), |g| g.id);
        resources.push(arns.tagged(tx, "security-group", &id)?);
    }
    if let Some(key) = key_pair(arns, tx, params)? {
        resources.push(key);
    }
    if let Some(by) = params
        .launch_template
        .as_ref()
        .and_then(TemplateSpec::template)
    {
        resources.push(launch_template(arns, tx, &by)?);
    }
    Ok(resources)
}

/// The roles a launch hands to its instances: the instance profile's,
/// given directly or by the launch template's version.
fn launch_roles(tx: &Tx<'_>, params: &Params) -> Result<Vec<String>, StoreError> {
    if params.iam_instance_profile.is_some() {
        return profile_roles(tx, params.iam_instance_profile.as_ref());
    }
    let Some(spec) = &params.launch_template else {
        return Ok(Vec::new());
    };
    template_roles(tx, spec)
}

/// The role of the instance profile a launch template's version names.
pub(super) fn template_roles(tx: &Tx<'_>, spec: &TemplateSpec) -> Result<Vec<String>, StoreError> {
    let Some(by) = spec.template() else {
        return Ok(Vec::new());
    };
    let Some(template) = tx.find_launch_template(&by)? else {
        return Ok(Vec::new());
    };
    let versions = tx.launch_template_versions(&template.id)?;
    let Ok(version) = launch_template::resolve(&template, &versions, spec.version.as_deref())
    else {
        return Ok(Vec::new());
    };
    let Some(profile) = &version.data.iam_instance_profile else {
        return Ok(Vec::new());
    };
    let spec = ProfileSpec {
        arn: profile.arn.clone(),
        name: profile.name.clone(),
    };
    profile_roles(tx, Some(&spec))
}

/// The role of an instance profile a launch configuration names by name
/// or ARN, if it has one.
pub(super) fn instance_profile_roles(
    tx: &Tx<'_>,
    name_or_arn: &str,
) -> Result<Vec<String>, StoreError> {
    let spec = if name_or_arn.starts_with("arn:") {
        ProfileSpec {
            arn: Some(name_or_arn.to_owned()),
            name: None,
        }
    } else {
        ProfileSpec {
            arn: None,
            name: Some(name_or_arn.to_owned()),
        }
    };
    profile_roles(tx, Some(&spec))
}

/// The role of an instance profile named by ARN or name, if it has one.
fn profile_roles(tx: &Tx<'_>, spec: Option<&ProfileSpec>) -> Result<Vec<String>, StoreError> {
    let Some(spec) = spec else {
        return Ok(Vec::new());
    };
    let found = match (&spec.arn, &spec.name) {
        (Some(arn), _) => tx.instance_profile_with_role_by_arn(arn)?,
        (None, Some(name)) => tx.instance_profile_with_role(name)?,
        (None, None) => None,
    };
    Ok(found
        .and_then(|p| p.role)
        .map(|r| r.arn)
        .into_iter()
        .collect())
}

/// The instance an association call acts on: `InstanceId`, or the
/// instance an `AssociationId` belongs to.
fn association_instance(
    arns: &Arns<'_>,
    tx: &Tx<'_>,
    params: &Params,
) -> Result<Vec<Resource>, StoreError> {
    let mut ids: Vec<String> = params
        .instance_ids
        .iter()
        .flat_map(OneOrMany::iter)
        .cloned()
        .collect();
    if let Some(association) = &params.association_id {
        ids.extend(
            tx.instances()?
                .into_iter()
                .filter(|i| i.profile.as_ref().is_some_and(|p| &p.id == association))
                .map(|i| i.id),
        );
    }
    ids.iter()
        .map(|id| arns.tagged(tx, "instance", id))
        .collect()
}

impl TemplateSpec {
    fn template(&self) -> Option<TemplateRef> {
        template_ref(
            self.launch_template_id.as_ref(),
            self.launch_template_name.as_ref(),
        )
    }
}

/// The template an id or a name names (the id when both are given).
fn template_ref(id: Option<&String>, name: Option<&String>) -> Option<TemplateRef> {
    match (id, name) {
        (Some(id), _) => Some(TemplateRef::Id(id.clone())),
        (None, Some(name)) => Some(TemplateRef::Name(name.clone())),
        (None, None) => None,
    }
}

/// A launch template's ARN ends in its id; one named by a name that
/// matches no template is decided as `launch-template/*`.
fn launch_template(arns: &Arns<'_>, tx: &Tx<'_>, by: &TemplateRef) -> Result<Resource, StoreError> {
    let id = match (tx.find_launch_template(by)?, by) {
        (Some(template), _) => template.id,
        (None, TemplateRef::Id(id)) => id.clone(),
        (None, TemplateRef::Name(_)) => "*".to_owned(),
    };
    arns.tagged(tx, "launch-template", &id)
}

/// `GroupId`, or the id of the group `GroupName` names.
fn security_group_id(tx: &Tx<'_>, params: &Params) -> Result<Option<String>, StoreError> {
    if let Some(id) = &params.group_id {
        return Ok(Some(id.clone()));
    }
    let Some(name) = &params.group_name else {
        return Ok(None);
    };
    Ok(Some(
        tx.security_group_by_name(params.vpc_id.as_deref().unwrap_or(DEFAULT_VPC_ID), name)?
            .map_or_else(|| name.clone(), |g| g.id),
    ))
}

/// A key pair named by `KeyName` or `KeyPairId`: its ARN ends in its
/// name, its tags are kept under its id.
fn key_pair(arns: &Arns<'_>, tx: &Tx<'_>, params: &Params) -> Result<Option<Resource>, StoreError> {
    let found = match (&params.key_name, &params.key_pair_id) {
        (Some(name), _) => tx.key_pair_by_name(name)?,
        (None, Some(id)) => tx.key_pair(id)?,
        (None, None) => return Ok(None),
    };
    let arn = |name: &str| arns.of("key-pair", name);
    Ok(Some(match found {
        Some(key) => Resource::with_tags(arn(&key.name), tx.tags(&key.id)?),
        None => Resource::untagged(arn(params.key_name.as_deref().unwrap_or("*"))),
    }))
}

/// Builds EC2 ARNs in the server's region and account.
struct Arns<'n> {
    region: &'n str,
    account: &'n str,
}

impl<'n> Arns<'n> {
    fn new(names: &'n Names<'_>) -> Self {
        Arns {
            region: names.region(),
            account: names.account(),
        }
    }

    fn of(&self, kind: &str, id: &str) -> String {
        format!("arn:aws:ec2:{}:{}:{kind}/{id}", self.region, self.account)
    }

    /// Images are public resources: their ARNs have no account.
    fn image(&self, id: &str) -> String {
        format!("arn:aws:ec2:{}::image/{id}", self.region)
    }

    fn tagged(&self, tx: &Tx<'_>, kind: &str, id: &str) -> Result<Resource, StoreError> {
        Resource::tagged(tx, self.of(kind, id), id)
    }

    /// A resource of any kind by its id, its kind read from the prefix.
    fn by_id(&self, tx: &Tx<'_>, id: &str) -> Result<Resource, StoreError> {
        let kind = match id.split_once('-').map(|(prefix, _)| prefix) {
            Some("i") => "instance",
            Some("sg") => "security-group",
            Some("sgr") => "security-group-rule",
            Some("lt") => "launch-template",
            Some("vpc") => "vpc",
            Some("subnet") => "subnet",
            Some("vol") => "volume",
            Some("eni") => "network-interface",
            Some("eipalloc") => "elastic-ip",
            Some("igw") => "internet-gateway",
            Some("rtb") => "route-table",
            Some("acl") => "network-acl",
            Some("dopt") => "dhcp-options",
            Some("ami") => return Resource::tagged(tx, self.image(id), id),
            Some("key") => {
                let name = tx.key_pair(id)?.map_or_else(|| id.to_owned(), |k| k.name);
                return Resource::tagged(tx, self.of("key-pair", &name), id);
            }
            _ => "*",
        };
        self.tagged(tx, kind, id)
    }
}
