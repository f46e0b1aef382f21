//! Security group handlers: Describe, Create, Delete, their rules in both
//! directions (Authorize/Revoke Ingress/Egress share one path, told apart
//! by [`Direction`]), and DescribeSecurityGroupRules.

use ballast_core::Arn;
use ballast_core::ec2::security_group::{self as sg, Direction, GroupRule, Peer, Permission};
use ballast_core::ec2::{self, Error as Rule, filter};
use ballast_core::network::{DEFAULT_SECURITY_GROUP_ID, DEFAULT_VPC_ID};
use ballast_core::paging::page;
use ballast_store::Tx;

use ballast_model::ec2::{
    AuthorizeSecurityGroupEgressInput, AuthorizeSecurityGroupIngressInput,
    AuthorizeSecurityGroupIngressOutput, CreateSecurityGroupInput, CreateSecurityGroupOutput,
    DeleteSecurityGroupInput, DeleteSecurityGroupOutput, DescribeSecurityGroupRulesInput,
    DescribeSecurityGroupRulesOutput, DescribeSecurityGroupsInput, DescribeSecurityGroupsOutput,
    IpPermission, IpRange, ReferencedSecurityGroup, RevokeSecurityGroupEgressInput,
    RevokeSecurityGroupIngressInput, RevokeSecurityGroupIngressOutput, RevokedSecurityGroupRule,
    SecurityGroup, SecurityGroupRule, UserIdGroupPair,
};

use super::{Error, creation_tags, describe_page, dry_run, filters};
use crate::ApiState;

/// A security group by id: stored, or the default group before it has
/// ever changed.
pub(super) fn find(
    state: &ApiState,
    tx: &Tx<'_>,
    id: &str,
) -> Result<Option<ec2::SecurityGroup>, Error> {
    Ok(tx.security_group_or_default(id, &state.scope.account)?)
}

/// A security group by name in a VPC.
pub(super) fn find_by_name(
    state: &ApiState,
    tx: &Tx<'_>,
    vpc_id: &str,
    name: &str,
) -> Result<Option<ec2::SecurityGroup>, Error> {
    Ok(tx.security_group_by_name_or_default(vpc_id, name, &state.scope.account)?)
}

/// Every security group, by id.
fn all(state: &ApiState, tx: &Tx<'_>) -> Result<Vec<ec2::SecurityGroup>, Error> {
    let mut groups = tx.security_groups()?;
    if !groups.iter().any(|g| g.id == DEFAULT_SECURITY_GROUP_ID) {
        groups.push(ec2::SecurityGroup::default_group(&state.scope.account));
    }
    groups.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(groups)
}

fn check_group_id(id: &str) -> Result<(), Rule> {
    if id.starts_with("sg-") {
        Ok(())
    } else {
        Err(Rule::GroupIdMalformed(id.to_owned()))
    }
}

fn not_found_id(id: &str) -> Rule {
    Rule::GroupNotFound(format!("The security group '{id}' does not exist"))
}

fn not_found_name(name: &str) -> Rule {
    Rule::GroupNotFound(format!(
        "The security group '{name}' does not exist in default VPC '{DEFAULT_VPC_ID}'"
    ))
}

/// The group a request names by `GroupId` or (in the default VPC)
/// `GroupName`.
fn named_group(
    state: &ApiState,
    tx: &Tx<'_>,
    group_id: Option<&str>,
    group_name: Option<&str>,
) -> Result<ec2::SecurityGroup, Error> {
    match (group_id, group_name) {
        (Some(id), _) => {
            check_group_id(id)?;
            find(state, tx, id)?.ok_or_else(|| not_found_id(id).into())
        }
        (None, Some(name)) => find_by_name(state, tx, DEFAULT_VPC_ID, name)?
            .ok_or_else(|| not_found_name(name).into()),
        (None, None) => Err(Rule::MissingParameter("groupId or groupName".to_owned()).into()),
    }
}

fn arn(state: &ApiState, id: &str) -> String {
    Arn::new(
        "ec2",
        &state.scope.region,
        &state.scope.account,
        format!("security-group/{id}"),
    )
    .to_string()
}

fn permission_views(rules: &[ec2::Rule]) -> Vec<IpPermission> {
    sg::permissions(rules)
        .into_iter()
        .map(|view| {
            let mut ip_ranges = Vec::new();
            let mut pairs = Vec::new();
            for rule in view.rules {
                match &rule.peer {
                    Peer::Cidr(cidr) => ip_ranges.push(IpRange {
                        cidr_ip: Some(cidr.clone()),
                        description: rule.description.clone(),
                    }),
                    Peer::Group { group_id, user_id } => pairs.push(UserIdGroupPair {
                        group_id: Some(group_id.clone()),
                        user_id: Some(user_id.clone()),
                        description: rule.description.clone(),
                        ..Default::default()
                    }),
                }
            }
            IpPermission {
                ip_protocol: Some(view.protocol.to_owned()),
                from_port: view.from_port,
                to_port: view.to_port,
                user_id_group_pairs: Some(pairs),
                ip_ranges: Some(ip_ranges),
                ipv6_ranges: Some(Vec::new()),
                prefix_list_ids: Some(Vec::new()),
            }
        })
        .collect()
}

fn view(
    state: &ApiState,
    group: &ec2::SecurityGroup,
    tags: Vec<(String, String)>,
) -> SecurityGroup {
    SecurityGroup {
        group_id: Some(group.id.clone()),
        group_name: Some(group.name.clone()),
        description: Some(group.description.clone()),
        vpc_id: Some(group.vpc_id.clone()),
        owner_id: Some(group.owner_id.clone()),
        security_group_arn: Some(arn(state, &group.id)),
        ip_permissions: Some(permission_views(&group.ingress)),
        ip_permissions_egress: Some(permission_views(&group.egress)),
        tags: Some(crate::tags::from_pairs(tags)),
    }
}

fn rule_arn(state: &ApiState, id: &str) -> String {
    Arn::new(
        "ec2",
        &state.scope.region,
        &state.scope.account,
        format!("security-group-rule/{id}"),
    )
    .to_string()
}

/// A rule as Authorize and DescribeSecurityGroupRules show it.
fn rule_view(state: &ApiState, rule: &GroupRule) -> SecurityGroupRule {
    let (cidr, referenced) = match &rule.rule.peer {
        Peer::Cidr(cidr) => (Some(cidr.clone()), None),
        Peer::Group { group_id, user_id } => (
            None,
            Some(ReferencedSecurityGroup {
                group_id: Some(group_id.clone()),
                user_id: Some(user_id.clone()),
                ..Default::default()
            }),
        ),
    };
    SecurityGroupRule {
        security_group_rule_id: Some(rule.rule.id.clone()),
        group_id: Some(rule.group_id.clone()),
        group_owner_id: Some(rule.owner_id.clone()),
        is_egress: Some(rule.direction.is_egress()),
        ip_protocol: Some(rule.rule.protocol.clone()),
        from_port: rule.rule.from_port,
        to_port: rule.rule.to_port,
        cidr_ipv4: cidr,
        referenced_group_info: referenced,
        description: rule.rule.description.clone(),
        security_group_rule_arn: Some(rule_arn(state, &rule.rule.id)),
        ..Default::default()
    }
}

/// A rule as the revoke calls show it.
fn revoked_view(rule: &GroupRule) -> RevokedSecurityGroupRule {
    let (cidr, referenced) = match &rule.rule.peer {
        Peer::Cidr(cidr) => (Some(cidr.clone()), None),
        Peer::Group { group_id, .. } => (None, Some(group_id.clone())),
    };
    RevokedSecurityGroupRule {
        security_group_rule_id: Some(rule.rule.id.clone()),
        group_id: Some(rule.group_id.clone()),
        is_egress: Some(rule.direction.is_egress()),
        ip_protocol: Some(rule.rule.protocol.clone()),
        from_port: rule.rule.from_port,
        to_port: rule.rule.to_port,
        cidr_ipv4: cidr,
        referenced_group_id: referenced,
        description: rule.rule.description.clone(),
        ..Default::default()
    }
}

/// `rules` of `group` in `direction`, each with its group and direction.
fn in_group(
    group: &ec2::SecurityGroup,
    direction: Direction,
    rules: Vec<ec2::Rule>,
) -> Vec<GroupRule> {
    rules
        .into_iter()
        .map(|rule| GroupRule {
            group_id: group.id.clone(),
            owner_id: group.owner_id.clone(),
            direction,
            rule,
        })
        .collect()
}

pub(super) fn describe(
    state: &ApiState,
    input: DescribeSecurityGroupsInput,
) -> Result<DescribeSecurityGroupsOutput, Error> {
    dry_run(input.dry_run)?;
    let filters = filters::<ec2::SecurityGroup>(input.filters)?;
    let (size, after) = describe_page(input.max_results, input.next_token.as_deref())?;
    for id in input.group_ids.iter().flatten() {
        check_group_id(id)?;
    }
    let groups = state.store.read(|tx| -> Result<_, Error> {
        let groups = all(state, tx)?;
        for id in input.group_ids.iter().flatten() {
            if !groups.iter().any(|g| g.id == *id) {
                return Err(not_found_id(id).into());
            }
        }
        for name in input.group_names.iter().flatten() {
            if !groups
                .iter()
                .any(|g| g.vpc_id == DEFAULT_VPC_ID && g.name == *name)
            {
                return Err(not_found_name(name).into());
            }
        }
        let mut out = Vec::new();
        for group in groups {
            if input
                .group_ids
                .as_ref()
                .is_some_and(|ids| !ids.contains(&group.id))
                || input.group_names.as_ref().is_some_and(|names| {
                    group.vpc_id != DEFAULT_VPC_ID || !names.contains(&group.name)
                })
            {
                continue;
            }
            let tags = tx.tags(&group.id)?;
            if filter::matches(&group, &tags, &filters) {
                out.push((group, tags));
            }
        }
        Ok(out)
    })?;
    let (groups, next_token) = page(groups, |(g, _)| g.id.as_str(), after.as_deref(), size);
    Ok(DescribeSecurityGroupsOutput {
        security_groups: Some(
            groups
                .into_iter()
                .map(|(g, tags)| view(state, &g, tags))
                .collect(),
        ),
        next_token,
    })
}

pub(super) fn create(
    state: &ApiState,
    input: CreateSecurityGroupInput,
) -> Result<CreateSecurityGroupOutput, Error> {
    let name = input.group_name;
    let description = input.description;
    let vpc_id = input.vpc_id.unwrap_or_else(|| DEFAULT_VPC_ID.to_owned());
    if vpc_id != DEFAULT_VPC_ID {
        return Err(Rule::VpcNotFound(vpc_id).into());
    }
    let tags = creation_tags(input.tag_specifications, "security-group")?;
    let group = ec2::SecurityGroup::create(
        format!("sg-{}", state.ids.hex(17)),
        &name,
        &description,
        &vpc_id,
        &state.scope.account,
        format!("sgr-{}", state.ids.hex(17)),
    )?;
    dry_run(input.dry_run)?;
    state.store.write(|tx| -> Result<_, Error> {
        if find_by_name(state, tx, &vpc_id, &name)?.is_some() {
            return Err(Rule::GroupDuplicate(name.clone(), vpc_id.clone()).into());
        }
        tx.save_security_group(&group)?;
        tx.put_tags(&group.id, &tags)?;
        Ok(())
    })?;
    Ok(CreateSecurityGroupOutput {
        security_group_arn: Some(arn(state, &group.id)),
        group_id: Some(group.id),
        tags: Some(crate::tags::from_pairs(tags)),
    })
}

pub(super) fn delete(
    state: &ApiState,
    input: DeleteSecurityGroupInput,
) -> Result<DeleteSecurityGroupOutput, Error> {
    let id = state.store.write(|tx| -> Result<_, Error> {
        let group = named_group(
            state,
            tx,
            input.group_id.as_deref(),
            input.group_name.as_deref(),
        )?;
        if group.is_default() {
            return Err(Rule::CannotDelete(group.id).into());
        }
        if all(state, tx)?
            .iter()
            .any(|other| other.id != group.id && other.references(&group.id))
        {
            return Err(Rule::DependencyViolation(group.id).into());
        }
        dry_run(input.dry_run)?;
        tx.delete_security_group(&group.id)?;
        tx.clear_tags(&group.id)?;
        Ok(group.id)
    })?;
    Ok(DeleteSecurityGroupOutput {
        r#return: Some(true),
        group_id: Some(id),
    })
}

/// The request of AuthorizeSecurityGroupIngress/Egress and
/// RevokeSecurityGroupIngress/Egress, as the handlers read it: the four
/// share their members (`IpPermissions`, the flat `IpProtocol`/`CidrIp`/…
/// and, for revokes, `SecurityGroupRuleId.N`). The egress calls take no
/// `GroupName`; their flat members are refused by [`check_members`].
pub(super) struct SecurityGroupRulesInput {
    group_id: Option<String>,
    group_name: Option<String>,
    ip_permissions: Option<Vec<IpPermission>>,
    ip_protocol: Option<String>,
    from_port: Option<i64>,
    to_port: Option<i64>,
    cidr_ip: Option<String>,
    source_security_group_name: Option<String>,
    source_security_group_owner_id: Option<String>,
    security_group_rule_ids: Option<Vec<String>>,
    dry_run: Option<bool>,
}

/// The four requests' members, read into [`SecurityGroupRulesInput`]: they
/// differ only in how the group is named (the egress calls take no
/// `GroupName`) and whether rules can be named by id (revokes only).
macro_rules! rules_input {
    ($input:ty, |$i:ident| $group_id:expr, $group_name:expr, $rule_ids:expr) => {
        impl From<$input> for SecurityGroupRulesInput {
            fn from($i: $input) -> Self {
                SecurityGroupRulesInput {
                    group_id: $group_id,
                    group_name: $group_name,
                    ip_permissions: $i.ip_permissions,
                    ip_protocol: $i.ip_protocol,
                    from_port: $i.from_port.map(i64::from),
                    to_port: $i.to_port.map(i64::from),
                    cidr_ip: $i.cidr_ip,
                    source_security_group_name: $i.source_security_group_name,
                    source_security_group_owner_id: $i.source_security_group_owner_id,
                    security_group_rule_ids: $rule_ids,
                    dry_run: $i.dry_run,
                }
            }
        }
    };
}

rules_input!(
    AuthorizeSecurityGroupIngressInput,
    |i| i.group_id,
    i.group_name,
    None
);
rules_input!(
    AuthorizeSecurityGroupEgressInput,
    |i| Some(i.group_id),
    None,
    None
);
rules_input!(
    RevokeSecurityGroupIngressInput,
    |i| i.group_id,
    i.group_name,
    i.security_group_rule_ids
);
rules_input!(
    RevokeSecurityGroupEgressInput,
    |i| Some(i.group_id),
    None,
    i.security_group_rule_ids
);

/// Refuses what a direction's calls do not take. The egress calls name
/// the group by `GroupId` only and their rules by `IpPermissions` only:
/// EC2 answers `UnknownParameter` for the flat `CidrIp`, `IpProtocol`, …
/// that the model lists for them but documents as not supported.
fn check_members(direction: Direction, input: &SecurityGroupRulesInput) -> Result<(), Rule> {
    if direction == Direction::Ingress {
        return Ok(());
    }
    let unsupported = [
        ("GroupName", input.group_name.is_some()),
        ("IpProtocol", input.ip_protocol.is_some()),
        ("FromPort", input.from_port.is_some()),
        ("ToPort", input.to_port.is_some()),
        ("CidrIp", input.cidr_ip.is_some()),
        (
            "SourceSecurityGroupName",
            input.source_security_group_name.is_some(),
        ),
        (
            "SourceSecurityGroupOwnerId",
            input.source_security_group_owner_id.is_some(),
        ),
    ];
    if let Some((name, _)) = unsupported.iter().find(|(_, given)| *given) {
        return Err(Rule::UnknownParameter((*name).to_owned()));
    }
    if input.group_id.is_none() {
        return Err(Rule::MissingParameter("GroupId".to_owned()));
    }
    Ok(())
}

/// Whether a request names rules by their properties (`IpPermissions` or
/// the flat members) rather than by id.
fn names_permissions(input: &SecurityGroupRulesInput) -> bool {
    input.ip_permissions.as_ref().is_some_and(|p| !p.is_empty())
        || input.ip_protocol.is_some()
        || input.cidr_ip.is_some()
        || input.source_security_group_name.is_some()
}

/// The permissions a request names: `IpPermissions`, or (ingress only,
/// see [`check_members`]) the flat
/// `IpProtocol`/`FromPort`/`ToPort`/`CidrIp`/`SourceSecurityGroupName`.
fn requested_permissions(
    state: &ApiState,
    tx: &Tx<'_>,
    group: &ec2::SecurityGroup,
    input: &SecurityGroupRulesInput,
) -> Result<Vec<Permission>, Error> {
    let mut permissions = Vec::new();
    for p in input.ip_permissions.iter().flatten() {
        if p.ipv6_ranges.as_ref().is_some_and(|r| !r.is_empty())
            || p.prefix_list_ids.as_ref().is_some_and(|r| !r.is_empty())
        {
            return Err(Rule::InvalidParameterValue(
                "IPv6 ranges and prefix lists are not supported by Ballast yet".to_owned(),
            )
            .into());
        }
        let mut peers = Vec::new();
        for range in p.ip_ranges.iter().flatten() {
            let cidr = range
                .cidr_ip
                .clone()
                .ok_or_else(|| Rule::MissingParameter("IpRanges.CidrIp".to_owned()))?;
            peers.push((Peer::Cidr(cidr), range.description.clone()));
        }
        for pair in p.user_id_group_pairs.iter().flatten() {
            let peer = match (&pair.group_id, &pair.group_name) {
                (Some(id), _) => {
                    check_group_id(id)?;
                    find(state, tx, id)?.ok_or_else(|| Error::from(not_found_id(id)))?
                }
                (None, Some(name)) => find_by_name(state, tx, &group.vpc_id, name)?
                    .ok_or_else(|| Error::from(not_found_name(name)))?,
                (None, None) => {
                    return Err(Rule::MissingParameter("Groups.GroupId".to_owned()).into());
                }
            };
            peers.push((
                Peer::Group {
                    group_id: peer.id,
                    user_id: pair
                        .user_id
                        .clone()
                        .unwrap_or_else(|| state.scope.account.clone()),
                },
                pair.description.clone(),
            ));
        }
        permissions.push(Permission {
            protocol: p.ip_protocol.clone(),
            from_port: p.from_port.map(i64::from),
            to_port: p.to_port.map(i64::from),
            peers,
        });
    }
    if input.ip_protocol.is_some()
        || input.cidr_ip.is_some()
        || input.source_security_group_name.is_some()
    {
        let mut peers = Vec::new();
        if let Some(cidr) = &input.cidr_ip {
            peers.push((Peer::Cidr(cidr.clone()), None));
        }
        if let Some(name) = &input.source_security_group_name {
            let source = find_by_name(state, tx, &group.vpc_id, name)?
                .ok_or_else(|| Error::from(not_found_name(name)))?;
            peers.push((
                Peer::Group {
                    group_id: source.id,
                    user_id: state.scope.account.clone(),
                },
                None,
            ));
        }
        // A source group without a protocol means all traffic, as on EC2.
        let protocol = input.ip_protocol.clone().or_else(|| {
            input
                .source_security_group_name
                .as_ref()
                .map(|_| "-1".to_owned())
        });
        permissions.push(Permission {
            protocol,
            from_port: input.from_port,
            to_port: input.to_port,
            peers,
        });
    }
    Ok(permissions)
}

/// AuthorizeSecurityGroupIngress and AuthorizeSecurityGroupEgress.
pub(super) fn authorize(
    state: &ApiState,
    direction: Direction,
    input: SecurityGroupRulesInput,
) -> Result<AuthorizeSecurityGroupIngressOutput, Error> {
    check_members(direction, &input)?;
    let added = state.store.write(|tx| -> Result<_, Error> {
        let mut group = named_group(
            state,
            tx,
            input.group_id.as_deref(),
            input.group_name.as_deref(),
        )?;
        let permissions = requested_permissions(state, tx, &group, &input)?;
        let added = group.authorize(direction, &permissions, || {
            format!("sgr-{}", state.ids.hex(17))
        })?;
        dry_run(input.dry_run)?;
        tx.save_security_group(&group)?;
        Ok(in_group(&group, direction, added))
    })?;
    Ok(AuthorizeSecurityGroupIngressOutput {
        r#return: Some(true),
        security_group_rules: Some(added.iter().map(|r| rule_view(state, r)).collect()),
    })
}

/// RevokeSecurityGroupIngress and RevokeSecurityGroupEgress: by
/// `SecurityGroupRuleId.N` or by permissions, not both in one request.
pub(super) fn revoke(
    state: &ApiState,
    direction: Direction,
    input: SecurityGroupRulesInput,
) -> Result<RevokeSecurityGroupIngressOutput, Error> {
    check_members(direction, &input)?;
    let rule_ids = input.security_group_rule_ids.as_deref().unwrap_or_default();
    if !rule_ids.is_empty() && names_permissions(&input) {
        return Err(Rule::InvalidParameterCombination(
            "Specify either SecurityGroupRuleIds or IpPermissions, not both".to_owned(),
        )
        .into());
    }
    let removed = state.store.write(|tx| -> Result<_, Error> {
        let mut group = named_group(
            state,
            tx,
            input.group_id.as_deref(),
            input.group_name.as_deref(),
        )?;
        let removed = if rule_ids.is_empty() {
            let permissions = requested_permissions(state, tx, &group, &input)?;
            group.revoke(direction, &permissions)?
        } else {
            group.revoke_ids(direction, rule_ids)?
        };
        dry_run(input.dry_run)?;
        tx.save_security_group(&group)?;
        Ok(in_group(&group, direction, removed))
    })?;
    // `unknownIpPermissionSet` is never written: a revoke that matches
    // nothing is an error in Ballast.
    Ok(RevokeSecurityGroupIngressOutput {
        r#return: Some(true),
        unknown_ip_permissions: None,
        revoked_security_group_rules: Some(removed.iter().map(revoked_view).collect()),
    })
}

/// DescribeSecurityGroupRules: every group's ingress and egress rules,
/// ordered (and paged) by rule id.
pub(super) fn describe_rules(
    state: &ApiState,
    input: DescribeSecurityGroupRulesInput,
) -> Result<DescribeSecurityGroupRulesOutput, Error> {
    dry_run(input.dry_run)?;
    let filters = filters::<GroupRule>(input.filters)?;
    let (size, after) = describe_page(input.max_results, input.next_token.as_deref())?;
    let ids = input.security_group_rule_ids.unwrap_or_default();
    for id in &ids {
        sg::check_rule_id(id)?;
    }
    let groups = state.store.read(|tx| all(state, tx))?;
    let mut rules: Vec<GroupRule> = groups.iter().flat_map(|g| g.group_rules()).collect();
    rules.sort_by(|a, b| a.rule.id.cmp(&b.rule.id));
    if let Some(missing) = ids
        .iter()
        .find(|id| !rules.iter().any(|r| r.rule.id == **id))
    {
        return Err(Rule::RuleIdNotFound(missing.clone()).into());
    }
    // Rules carry no tags in Ballast, so tag filters match none.
    rules.retain(|r| {
        (ids.is_empty() || ids.contains(&r.rule.id)) && filter::matches(r, &[], &filters)
    });
    let (rules, next_token) = page(rules, |r| r.rule.id.as_str(), after.as_deref(), size);
    Ok(DescribeSecurityGroupRulesOutput {
        security_group_rules: Some(rules.iter().map(|r| rule_view(state, r)).collect()),
        next_token,
    })
}
