//! The IAM policy language: parsing, validation and evaluation.
//!
//! [`PolicyDocument::parse`] accepts what IAM accepts for an identity
//! (permissions) policy or a role's trust policy and refuses the rest with
//! the reason IAM would give as `MalformedPolicyDocument`. [`evaluate`]
//! decides a request against identity policies with IAM's precedence: an
//! explicit `Deny` beats an `Allow`, which beats the implicit deny.
//!
//! Conditions are evaluated for the operators and keys Ballast can know
//! (see [`Operator`] and [`Context`]). A statement that uses anything else
//! (another operator, another key, a `ForAllValues:`/`ForAnyValue:` set
//! operator, a policy variable) **fails closed**: an `Allow` does not
//! apply, a `Deny` does. That errs towards refusing, never towards granting.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value};

/// Why a document is not a valid policy; the text is IAM's reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(pub String);

fn malformed(message: impl Into<String>) -> PolicyError {
    PolicyError(message.into())
}

/// What a document is for: the rules differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// A permissions policy (managed or inline): `Action`/`NotAction` and
    /// `Resource`/`NotResource` are required, `Principal` is forbidden.
    Identity,
    /// A role's trust (assume-role) policy: `Principal` is required,
    /// `Resource` is forbidden.
    Trust,
}

/// The policy language version (`Version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LanguageVersion {
    /// `2012-10-17`: the current language, with policy variables.
    V2012_10_17,
    /// `2008-10-17`, also the meaning of an absent `Version`.
    V2008_10_17,
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// A list of patterns an element names, or the complement of one
/// (`Action` vs `NotAction`, `Resource` vs `NotResource`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Patterns {
    /// Matches anything one of the patterns matches.
    Only(Vec<String>),
    /// Matches anything none of the patterns matches.
    AllBut(Vec<String>),
}

/// Who a trust policy statement names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// `"Principal": "*"`.
    Anyone,
    /// `{"AWS": […], "Service": […], …}`: principal type → values.
    Named(BTreeMap<String, Vec<String>>),
}

/// A principal that a trust policy may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalRef<'a> {
    /// An AWS service, e.g. `ec2.amazonaws.com`.
    Service(&'a str),
    /// An IAM principal by ARN (`arn:aws:iam::ACCOUNT:root`, a role's ARN).
    Aws(&'a str),
}

/// A condition operator, as far as Ballast evaluates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operator {
    /// One of the operators [`evaluate`] understands; `if_exists` is the
    /// `…IfExists` form (true when the key is absent).
    Supported { test: Test, if_exists: bool },
    /// A valid IAM operator Ballast does not evaluate (numeric, date, IP,
    /// binary, `Bool`, set operators): the statement fails closed.
    Unsupported(String),
}

/// The tests behind the supported operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Test {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    /// `Null`: `"true"` holds when the key is absent, `"false"` when present.
    Null,
}

impl Test {
    /// Negated tests hold when the key is absent (IAM's rule for
    /// `StringNotEquals`, `ArnNotLike`, …).
    fn is_negated(self) -> bool {
        matches!(
            self,
            Test::StringNotEquals
                | Test::StringNotEqualsIgnoreCase
                | Test::StringNotLike
                | Test::ArnNotEquals
                | Test::ArnNotLike
        )
    }
}

/// One `operator: { key: values }` test of a statement's `Condition`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub operator: Operator,
    /// The key as written (keys compare case-insensitively).
    pub key: String,
    pub values: Vec<String>,
}

/// One statement of a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    /// `Principal` (trust policies); `NotPrincipal` is accepted and kept in
    /// `not_principal`, and never makes a trust statement apply.
    pub principal: Option<Principal>,
    pub not_principal: Option<Principal>,
    pub actions: Patterns,
    /// Absent only in trust policies.
    pub resources: Option<Patterns>,
    pub conditions: Vec<Condition>,
    /// Whether a resource or condition value uses a `${…}` policy variable
    /// (2012-10-17 only), which Ballast does not substitute.
    pub uses_variables: bool,
}

/// A parsed, valid policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDocument {
    pub version: LanguageVersion,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
}

/// The outcome of evaluating a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Some statement allows it and none denies it.
    Allow,
    /// A `Deny` statement applies.
    ExplicitDeny,
    /// Nothing allows it.
    ImplicitDeny,
}

/// The condition keys Ballast can supply, by their IAM names. `…/tag-key`
/// stands for any tag key; `aws:ResourceTag` is also accepted with each
/// service's own prefix (`ec2:ResourceTag/…`, `autoscaling:ResourceTag/…`).
pub const SUPPORTED_KEYS: [&str; 7] = [
    "aws:RequestedRegion",
    "aws:PrincipalArn",
    "aws:PrincipalAccount",
    "aws:ResourceTag/tag-key",
    "aws:RequestTag/tag-key",
    "sts:ExternalId",
    "sts:RoleSessionName",
];

/// The service prefixes whose `PREFIX:ResourceTag/…` keys mean what
/// `aws:ResourceTag/…` means, for the resources Ballast names.
const RESOURCE_TAG_PREFIXES: [&str; 7] = [
    "aws",
    "ec2",
    "autoscaling",
    "elasticloadbalancing",
    "iam",
    "ssm",
    "dynamodb",
];

/// The request context conditions are evaluated against. Only the keys in
/// [`SUPPORTED_KEYS`] exist; a key left `None` (or a tag not in the lists)
/// is absent from the request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Context<'a> {
    /// `aws:RequestedRegion`: the region the request was signed for.
    pub requested_region: Option<&'a str>,
    /// `aws:PrincipalArn`: for a role session, the role's ARN (not the
    /// assumed-role session ARN), as AWS defines the key.
    pub principal_arn: Option<&'a str>,
    /// `aws:PrincipalAccount`: the calling principal's account id.
    pub principal_account: Option<&'a str>,
    /// `aws:ResourceTag/…`: the tags of the resource being decided (none
    /// for `*`, and none for a resource the request creates).
    pub resource_tags: &'a [(String, String)],
    /// `aws:RequestTag/…`: the tags the request itself sets.
    pub request_tags: &'a [(String, String)],
    /// `sts:ExternalId`: the external id an AssumeRole call passes, for
    /// the role's trust policy.
    pub external_id: Option<&'a str>,
    /// `sts:RoleSessionName`: the session name an AssumeRole call asks
    /// for, for the role's trust policy.
    pub role_session_name: Option<&'a str>,
}

/// What a context knows about one key.
enum Lookup<'a> {
    Present(&'a str),
    Absent,
    Unsupported,
}

impl<'a> Context<'a> {
    fn lookup(&self, key: &str) -> Lookup<'a> {
        let lower = key.to_ascii_lowercase();
        let value = match lower.as_str() {
            "aws:requestedregion" => self.requested_region,
            "aws:principalarn" => self.principal_arn,
            "aws:principalaccount" => self.principal_account,
            "sts:externalid" => self.external_id,
            "sts:rolesessionname" => self.role_session_name,
            _ => match tag_key(key) {
                Some(TagKey::Resource(tag)) => find_tag(self.resource_tags, tag),
                Some(TagKey::Request(tag)) => find_tag(self.request_tags, tag),
                None => return Lookup::Unsupported,
            },
        };
        value.map_or(Lookup::Absent, Lookup::Present)
    }
}

/// A tag condition key, with the tag key it names.
enum TagKey<'k> {
    Resource(&'k str),
    Request(&'k str),
}

/// Reads `aws:ResourceTag/K` (or `ec2:ResourceTag/K`, …) and
/// `aws:RequestTag/K`; condition key names are case-insensitive.
fn tag_key(key: &str) -> Option<TagKey<'_>> {
    let (prefix, rest) = key.split_once(':')?;
    let (kind, tag) = rest.split_once('/')?;
    if tag.is_empty() {
        return None;
    }
    let prefix_known = RESOURCE_TAG_PREFIXES
        .iter()
        .any(|p| p.eq_ignore_ascii_case(prefix));
    if kind.eq_ignore_ascii_case("ResourceTag") && prefix_known {
        Some(TagKey::Resource(tag))
    } else if kind.eq_ignore_ascii_case("RequestTag") && prefix.eq_ignore_ascii_case("aws") {
        Some(TagKey::Request(tag))
    } else {
        None
    }
}

/// A tag's value; tag keys in condition keys match case-insensitively, as
/// IAM's documentation of `aws:ResourceTag` says.
fn find_tag<'t>(tags: &'t [(String, String)], key: &str) -> Option<&'t str> {
    tags.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

/// One request to decide: an action such as `ssm:GetParameter`, the ARN of
/// the resource it touches (or `*` when the action has none), and the
/// condition context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    pub context: Context<'a>,
}

/// Decides `request` against a principal's identity policies: an explicit
/// deny wins, then an allow, else the implicit deny.
pub fn evaluate(policies: &[PolicyDocument], request: &Request<'_>) -> Decision {
    let mut allowed = false;
    for statement in policies.iter().flat_map(|p| &p.statements) {
        match (statement.effect, statement.applies(request)) {
            (Effect::Deny, Applies::Yes | Applies::Unknown) => return Decision::ExplicitDeny,
            (Effect::Allow, Applies::Yes) => allowed = true,
            _ => {}
        }
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

/// Whether a statement applies to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Applies {
    Yes,
    No,
    /// It would depend on something Ballast does not evaluate.
    Unknown,
}

impl Statement {
    fn applies(&self, request: &Request<'_>) -> Applies {
        if !self.actions.matches(request.action, action_matches) {
            return Applies::No;
        }
        if self.uses_variables {
            return Applies::Unknown;
        }
        if let Some(resources) = &self.resources
            && !resources.matches(request.resource, resource_matches)
        {
            return Applies::No;
        }
        self.conditions_hold(&request.context)
    }

    fn conditions_hold(&self, context: &Context<'_>) -> Applies {
        let mut holds = true;
        for condition in &self.conditions {
            match condition.holds(context) {
                Some(true) => {}
                Some(false) => holds = false,
                None => return Applies::Unknown,
            }
        }
        if holds { Applies::Yes } else { Applies::No }
    }

    fn names_principal(&self, principal: PrincipalRef<'_>) -> bool {
        match &self.principal {
            None => false,
            Some(Principal::Anyone) => true,
            Some(Principal::Named(map)) => {
                let (kind, id) = match principal {
                    PrincipalRef::Service(s) => ("Service", s),
                    PrincipalRef::Aws(arn) => ("AWS", arn),
                };
                map.get(kind).is_some_and(|values| {
                    values.iter().any(|v| {
                        v == "*"
                            || v == id
                            || (kind == "AWS"
                                && whole_account(v).is_some_and(|a| arn_account(id) == Some(a)))
                    })
                })
            }
        }
    }
}

impl Condition {
    /// `Some(true|false)`, or `None` when Ballast cannot evaluate it.
    fn holds(&self, context: &Context<'_>) -> Option<bool> {
        let Operator::Supported { test, if_exists } = &self.operator else {
            return None;
        };
        let value = match context.lookup(&self.key) {
            Lookup::Unsupported => return None,
            Lookup::Absent => None,
            Lookup::Present(v) => Some(v),
        };
        if *test == Test::Null {
            let absent = value.is_none();
            return Some(self.values.iter().any(|v| match v.as_str() {
                "true" => absent,
                "false" => !absent,
                _ => false,
            }));
        }
        let Some(value) = value else {
            return Some(*if_exists || test.is_negated());
        };
        let any = |f: &dyn Fn(&str) -> bool| self.values.iter().any(|p| f(p));
        Some(match test {
            Test::StringEquals => any(&|p| p == value),
            Test::StringNotEquals => !any(&|p| p == value),
            Test::StringEqualsIgnoreCase => any(&|p| p.eq_ignore_ascii_case(value)),
            Test::StringNotEqualsIgnoreCase => !any(&|p| p.eq_ignore_ascii_case(value)),
            Test::StringLike => any(&|p| glob(p, value, false)),
            Test::StringNotLike => !any(&|p| glob(p, value, false)),
            Test::ArnEquals | Test::ArnLike => any(&|p| arn_like(p, value)),
            Test::ArnNotEquals | Test::ArnNotLike => !any(&|p| arn_like(p, value)),
            Test::Null => false,
        })
    }
}

impl Patterns {
    fn matches(&self, text: &str, matcher: fn(&str, &str) -> bool) -> bool {
        match self {
            Patterns::Only(patterns) => patterns.iter().any(|p| matcher(p, text)),
            Patterns::AllBut(patterns) => !patterns.iter().any(|p| matcher(p, text)),
        }
    }
}

/// Actions match case-insensitively, with `*` and `?`.
fn action_matches(pattern: &str, action: &str) -> bool {
    glob(pattern, action, true)
}

/// Resources match case-sensitively, with `*` and `?`.
fn resource_matches(pattern: &str, resource: &str) -> bool {
    glob(pattern, resource, false)
}

/// `ArnLike`/`ArnEquals`: each of the six colon-separated parts matches
/// separately (the last part may itself hold colons), so a wildcard never
/// spans a part boundary.
pub fn arn_like(pattern: &str, arn: &str) -> bool {
    let pattern: Vec<&str> = pattern.splitn(6, ':').collect();
    let arn: Vec<&str> = arn.splitn(6, ':').collect();
    pattern.len() == 6 && arn.len() == 6 && pattern.iter().zip(&arn).all(|(p, a)| glob(p, a, false))
}

/// Wildcard matching: `*` is any run of characters (also none), `?` exactly
/// one. Linear backtracking on the last `*`, so no input is exponential.
pub fn glob(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let norm = |c: char| {
        if ignore_case {
            c.to_ascii_lowercase()
        } else {
            c
        }
    };
    let p: Vec<char> = pattern.chars().map(norm).collect();
    let t: Vec<char> = text.chars().map(norm).collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || (p[pi] != '*' && p[pi] == t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// The account a principal value names as a whole: a bare account id, or
/// its root ARN (`arn:aws:iam::ACCOUNT:root`), which in a trust or
/// resource policy stands for every principal of the account, not only
/// the root user.
fn whole_account(value: &str) -> Option<&str> {
    if is_account_id(value) {
        return Some(value);
    }
    let account = value.strip_prefix("arn:aws:iam::")?.strip_suffix(":root")?;
    is_account_id(account).then_some(account)
}

fn arn_account(arn: &str) -> Option<&str> {
    arn.split(':').nth(4)
}

impl PolicyDocument {
    /// Parses and validates a policy document of the given kind.
    pub fn parse(text: &str, kind: DocumentKind) -> Result<PolicyDocument, PolicyError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|_| malformed("This policy contains invalid Json"))?;
        let Value::Object(top) = value else {
            return Err(malformed("This policy contains invalid Json"));
        };
        for key in top.keys() {
            if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
                return Err(malformed(format!(
                    "Syntax errors in policy: unknown element {key}"
                )));
            }
        }
        let version = match top.get("Version") {
            None => LanguageVersion::V2008_10_17,
            Some(Value::String(v)) if v == "2012-10-17" => LanguageVersion::V2012_10_17,
            Some(Value::String(v)) if v == "2008-10-17" => LanguageVersion::V2008_10_17,
            Some(other) => {
                return Err(malformed(format!(
                    "The policy version {other} is not valid: use 2012-10-17 or 2008-10-17"
                )));
            }
        };
        let id = match top.get("Id") {
            None => None,
            Some(Value::String(id)) => Some(id.clone()),
            Some(_) => return Err(malformed("Syntax errors in policy: Id must be a string")),
        };
        let raw_statements = match top.get("Statement") {
            Some(Value::Array(list)) => list.iter().collect::<Vec<_>>(),
            Some(one @ Value::Object(_)) => vec![one],
            Some(_) => {
                return Err(malformed(
                    "Syntax errors in policy: Statement must be an object or a list of objects",
                ));
            }
            None => return Err(malformed("Syntax errors in policy: missing Statement")),
        };
        let mut sids = HashSet::new();
        let mut statements = Vec::with_capacity(raw_statements.len());
        for raw in raw_statements {
            let Value::Object(fields) = raw else {
                return Err(malformed(
                    "Syntax errors in policy: a statement must be an object",
                ));
            };
            let statement = parse_statement(fields, kind, version)?;
            if let Some(sid) = statement.sid.as_deref().filter(|s| !s.is_empty())
                && !sids.insert(sid.to_owned())
            {
                return Err(malformed(
                    "Statement IDs (SID) in a single policy must be unique.",
                ));
            }
            statements.push(statement);
        }
        Ok(PolicyDocument {
            version,
            id,
            statements,
        })
    }

    /// Whether this trust policy lets `principal` perform `action` in the
    /// request `context` (an AssumeRole call's `sts:ExternalId`, …): an
    /// `Allow` naming the principal and action whose conditions hold
    /// applies, and no `Deny` does. A condition Ballast cannot evaluate
    /// keeps an `Allow` from applying and makes a `Deny` apply, as in
    /// [`evaluate`].
    pub fn trusts_with(
        &self,
        principal: PrincipalRef<'_>,
        action: &str,
        context: &Context<'_>,
    ) -> bool {
        let mut allowed = false;
        for statement in &self.statements {
            if !statement.names_principal(principal)
                || !statement.actions.matches(action, action_matches)
            {
                continue;
            }
            let applies = if statement.uses_variables {
                Applies::Unknown
            } else {
                statement.conditions_hold(context)
            };
            match (statement.effect, applies) {
                (Effect::Deny, Applies::Yes | Applies::Unknown) => return false,
                (Effect::Allow, Applies::Yes) => allowed = true,
                _ => {}
            }
        }
        allowed
    }

    /// Whether this trust policy lets `principal` perform `action` (e.g.
    /// `sts:AssumeRole`): an `Allow` naming the principal and action
    /// applies, and no `Deny` does. Any condition keeps an `Allow` from
    /// applying: the services that check trust this way have no request
    /// context to evaluate it in.
    pub fn trusts(&self, principal: PrincipalRef<'_>, action: &str) -> bool {
        let mut allowed = false;
        for statement in &self.statements {
            if !statement.names_principal(principal)
                || !statement.actions.matches(action, action_matches)
            {
                continue;
            }
            let unconditional = statement.conditions.is_empty() && !statement.uses_variables;
            match statement.effect {
                Effect::Deny => return false,
                Effect::Allow if unconditional => allowed = true,
                Effect::Allow => {}
            }
        }
        allowed
    }
}

const STATEMENT_ELEMENTS: [&str; 9] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

fn parse_statement(
    fields: &Map<String, Value>,
    kind: DocumentKind,
    version: LanguageVersion,
) -> Result<Statement, PolicyError> {
    for key in fields.keys() {
        if !STATEMENT_ELEMENTS.contains(&key.as_str()) {
            return Err(malformed(format!(
                "Syntax errors in policy: unknown statement element {key}"
            )));
        }
    }
    let sid = match fields.get("Sid") {
        None => None,
        Some(Value::String(sid)) => {
            if !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(malformed(
                    "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*",
                ));
            }
            Some(sid.clone())
        }
        Some(_) => return Err(malformed("Syntax errors in policy: Sid must be a string")),
    };
    let effect = match fields.get("Effect") {
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        Some(_) => return Err(malformed("Invalid effect: Effect must be Allow or Deny")),
        None => return Err(malformed("Missing required field Effect")),
    };

    let principal = fields.get("Principal").map(parse_principal).transpose()?;
    let not_principal = fields
        .get("NotPrincipal")
        .map(parse_principal)
        .transpose()?;
    match kind {
        DocumentKind::Identity if principal.is_some() || not_principal.is_some() => {
            return Err(malformed("Policy document should not specify a principal."));
        }
        DocumentKind::Trust if principal.is_none() && not_principal.is_none() => {
            return Err(malformed("Missing required field Principal"));
        }
        _ => {}
    }

    let actions = match (fields.get("Action"), fields.get("NotAction")) {
        (Some(_), Some(_)) => {
            return Err(malformed(
                "Syntax errors in policy: a statement cannot have both Action and NotAction",
            ));
        }
        (Some(a), None) => Patterns::Only(parse_actions(a)?),
        (None, Some(a)) => Patterns::AllBut(parse_actions(a)?),
        (None, None) => return Err(malformed("Policy statement must contain actions.")),
    };

    let resources = match (fields.get("Resource"), fields.get("NotResource")) {
        (Some(_), Some(_)) => {
            return Err(malformed(
                "Syntax errors in policy: a statement cannot have both Resource and NotResource",
            ));
        }
        (Some(_), None) if kind == DocumentKind::Trust => {
            return Err(malformed("Has prohibited field Resource"));
        }
        (None, Some(_)) if kind == DocumentKind::Trust => {
            return Err(malformed("Has prohibited field NotResource"));
        }
        (Some(r), None) => Some(Patterns::Only(parse_resources(r)?)),
        (None, Some(r)) => Some(Patterns::AllBut(parse_resources(r)?)),
        (None, None) if kind == DocumentKind::Identity => {
            return Err(malformed("Policy statement must contain resources."));
        }
        (None, None) => None,
    };

    let conditions = match fields.get("Condition") {
        None => Vec::new(),
        Some(c) => parse_conditions(c)?,
    };

    let has_variable = |s: &String| s.contains("${");
    let uses_variables = version == LanguageVersion::V2012_10_17
        && (match &resources {
            Some(Patterns::Only(r) | Patterns::AllBut(r)) => r.iter().any(has_variable),
            None => false,
        } || conditions.iter().any(|c| c.values.iter().any(has_variable)));

    Ok(Statement {
        sid,
        effect,
        principal,
        not_principal,
        actions,
        resources,
        conditions,
        uses_variables,
    })
}

/// A string or a non-empty list of strings.
fn string_list(value: &Value, element: &str) -> Result<Vec<String>, PolicyError> {
    let invalid = || {
        malformed(format!(
            "Syntax errors in policy: {element} must be a string or a list of strings"
        ))
    };
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned).ok_or_else(invalid))
            .collect(),
        _ => Err(invalid()),
    }
}

fn parse_actions(value: &Value) -> Result<Vec<String>, PolicyError> {
    let actions = string_list(value, "Action")?;
    for action in &actions {
        let valid = action == "*"
            || action.split_once(':').is_some_and(|(vendor, name)| {
                !vendor.is_empty()
                    && !name.is_empty()
                    && vendor
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !name.contains(char::is_whitespace)
            });
        if !valid {
            return Err(malformed(format!(
                "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc. (got {action})"
            )));
        }
    }
    Ok(actions)
}

fn parse_resources(value: &Value) -> Result<Vec<String>, PolicyError> {
    let resources = string_list(value, "Resource")?;
    for resource in &resources {
        if resource != "*" && !resource.starts_with("arn:") {
            return Err(malformed(format!(
                "Resource {resource} must be in ARN format or \"*\"."
            )));
        }
    }
    Ok(resources)
}

fn parse_principal(value: &Value) -> Result<Principal, PolicyError> {
    let invalid = |detail: &str| malformed(format!("Invalid principal in policy: {detail}"));
    match value {
        Value::String(s) if s == "*" => Ok(Principal::Anyone),
        Value::Object(map) if !map.is_empty() => {
            let mut out = BTreeMap::new();
            for (kind, values) in map {
                if !matches!(
                    kind.as_str(),
                    "AWS" | "Service" | "Federated" | "CanonicalUser"
                ) {
                    return Err(invalid(&format!("unknown principal type {kind}")));
                }
                let values = string_list(values, "Principal")?;
                for v in &values {
                    let ok = match kind.as_str() {
                        "AWS" => v == "*" || is_account_id(v) || v.starts_with("arn:"),
                        _ => !v.is_empty(),
                    };
                    if !ok {
                        return Err(invalid(&format!("\"{kind}\":\"{v}\"")));
                    }
                }
                out.insert(kind.clone(), values);
            }
            Ok(Principal::Named(out))
        }
        _ => Err(invalid(
            "a principal is \"*\" or an object of principal types",
        )),
    }
}

/// The condition operators IAM knows, without `IfExists` or a set prefix.
const KNOWN_OPERATORS: [&str; 27] = [
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
];

fn parse_operator(name: &str) -> Result<Operator, PolicyError> {
    let invalid = || malformed(format!("Invalid Condition type : {name}"));
    let (set, rest) = match name.split_once(':') {
        Some((set @ ("ForAllValues" | "ForAnyValue"), rest)) => (Some(set), rest),
        Some(_) => return Err(invalid()),
        None => (None, name),
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (rest, false),
    };
    if !KNOWN_OPERATORS.contains(&base) || (base == "Null" && if_exists) {
        return Err(invalid());
    }
    if set.is_some() {
        return Ok(Operator::Unsupported(name.to_owned()));
    }
    let test = match base {
        "StringEquals" => Test::StringEquals,
        "StringNotEquals" => Test::StringNotEquals,
        "StringEqualsIgnoreCase" => Test::StringEqualsIgnoreCase,
        "StringNotEqualsIgnoreCase" => Test::StringNotEqualsIgnoreCase,
        "StringLike" => Test::StringLike,
        "StringNotLike" => Test::StringNotLike,
        "ArnEquals" => Test::ArnEquals,
        "ArnLike" => Test::ArnLike,
        "ArnNotEquals" => Test::ArnNotEquals,
        "ArnNotLike" => Test::ArnNotLike,
        "Null" => Test::Null,
        _ => return Ok(Operator::Unsupported(name.to_owned())),
    };
    Ok(Operator::Supported { test, if_exists })
}

fn parse_conditions(value: &Value) -> Result<Vec<Condition>, PolicyError> {
    let Value::Object(operators) = value else {
        return Err(malformed(
            "Syntax errors in policy: Condition must be an object",
        ));
    };
    let mut out = Vec::new();
    for (name, block) in operators {
        let operator = parse_operator(name)?;
        let Value::Object(keys) = block else {
            return Err(malformed(format!(
                "Syntax errors in policy: Condition {name} must be an object of keys"
            )));
        };
        for (key, values) in keys {
            let scalar = |v: &Value| match v {
                Value::String(s) => Some(s.clone()),
                Value::Bool(b) => Some(b.to_string()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            };
            let values = match values {
                Value::Array(items) => items.iter().map(scalar).collect::<Option<Vec<_>>>(),
                other => scalar(other).map(|v| vec![v]),
            }
            .ok_or_else(|| {
                malformed(format!(
                    "Syntax errors in policy: the values of condition key {key} must be strings, numbers or booleans"
                ))
            })?;
            out.push(Condition {
                operator: operator.clone(),
                key: key.clone(),
                values,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(text: &str) -> PolicyDocument {
        PolicyDocument::parse(text, DocumentKind::Identity).unwrap()
    }

    fn error(text: &str, kind: DocumentKind) -> String {
        PolicyDocument::parse(text, kind).unwrap_err().0
    }

    fn request<'a>(action: &'a str, resource: &'a str) -> Request<'a> {
        Request {
            action,
            resource,
            context: Context {
                requested_region: Some("us-east-1"),
                principal_arn: Some("arn:aws:iam::000000000000:role/web"),
                principal_account: Some("000000000000"),
                ..Context::default()
            },
        }
    }

    fn decide(policies: &[&str], action: &str, resource: &str) -> Decision {
        let docs: Vec<_> = policies.iter().map(|p| identity(p)).collect();
        evaluate(&docs, &request(action, resource))
    }

    const PARAM: &str = "arn:aws:ssm:us-east-1:000000000000:parameter/app/db";
    const ALLOW_ALL_SSM: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ssm:*","Resource":"*"}}"#;

    // ------------------------------------------------------------- parsing

    #[test]
    fn parses_single_and_listed_statements() {
        let one = identity(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
        );
        assert_eq!(one.version, LanguageVersion::V2012_10_17);
        assert_eq!(one.statements.len(), 1);
        assert_eq!(
            one.statements[0].actions,
            Patterns::Only(vec!["s3:GetObject".into()])
        );
        let two = identity(
            r#"{"Id":"x","Statement":[
                {"Sid":"A1","Effect":"Allow","NotAction":["iam:*","sts:*"],"NotResource":"arn:aws:s3:::b"},
                {"Sid":"D1","Effect":"Deny","Action":"*","Resource":["*"]}]}"#,
        );
        assert_eq!(two.version, LanguageVersion::V2008_10_17);
        assert_eq!(two.id.as_deref(), Some("x"));
        assert_eq!(
            two.statements[0].actions,
            Patterns::AllBut(vec!["iam:*".into(), "sts:*".into()])
        );
        assert_eq!(
            two.statements[0].resources,
            Some(Patterns::AllBut(vec!["arn:aws:s3:::b".into()]))
        );
    }

    #[test]
    fn refuses_what_iam_refuses() {
        use DocumentKind::Identity as I;
        let cases = [
            ("not json", "invalid Json"),
            ("[]", "invalid Json"),
            (r#"{"Version":"2012-10-17"}"#, "missing Statement"),
            (r#"{"Version":"2020-01-01","Statement":[]}"#, "version"),
            (r#"{"Statement":[],"Extra":1}"#, "unknown element"),
            (r#"{"Statement":"x"}"#, "Statement must be"),
            (r#"{"Statement":[1]}"#, "must be an object"),
            (
                r#"{"Statement":{"Action":"s3:*","Resource":"*"}}"#,
                "Missing required field Effect",
            ),
            (
                r#"{"Statement":{"Effect":"allow","Action":"s3:*","Resource":"*"}}"#,
                "Invalid effect",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Resource":"*"}}"#,
                "must contain actions",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"s3:*"}}"#,
                "must contain resources",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"s3:*","NotAction":"s3:x","Resource":"*"}}"#,
                "both Action and NotAction",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","NotResource":"*"}}"#,
                "both Resource and NotResource",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"GetObject","Resource":"*"}}"#,
                "prefaced by a vendor",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}"#,
                "list of strings",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}}"#,
                "ARN format",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Principal":"*"}}"#,
                "should not specify a principal",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Whatever":1}}"#,
                "unknown statement element",
            ),
            (
                r#"{"Statement":{"Sid":"a-b","Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
                "alpha-numeric",
            ),
            (
                r#"{"Statement":[{"Sid":"a","Effect":"Allow","Action":"s3:*","Resource":"*"},
                                 {"Sid":"a","Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#,
                "must be unique",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"aws:x":"y"}}}}"#,
                "Invalid Condition type",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":"y"}}}"#,
                "must be an object of keys",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"k":{"a":1}}}}}"#,
                "must be strings",
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NullIfExists":{"k":"true"}}}}"#,
                "Invalid Condition type",
            ),
        ];
        for (text, reason) in cases {
            let message = error(text, I);
            assert!(message.contains(reason), "{text}: {message}");
        }
    }

    #[test]
    fn trust_policies_need_a_principal_and_no_resource() {
        use DocumentKind::Trust as T;
        let ok = PolicyDocument::parse(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com"]},"Action":"sts:AssumeRole"}]}"#,
            T,
        )
        .unwrap();
        assert!(ok.statements[0].resources.is_none());
        assert!(
            error(
                r#"{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}"#,
                T
            )
            .contains("Missing required field Principal")
        );
        assert!(
            error(
                r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}}"#,
                T
            )
            .contains("prohibited field Resource")
        );
        for bad in [
            r#""Principal":"someone""#,
            r#""Principal":{}"#,
            r#""Principal":{"Robot":"x"}"#,
            r#""Principal":{"AWS":"not-an-account"}"#,
        ] {
            let text =
                format!(r#"{{"Statement":{{"Effect":"Allow",{bad},"Action":"sts:AssumeRole"}}}}"#);
            assert!(error(&text, T).contains("Invalid principal"), "{bad}");
        }
    }

    #[test]
    fn trust_decisions() {
        let doc = PolicyDocument::parse(
            r#"{"Statement":[
                {"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com","AWS":"000000000000"},"Action":"sts:AssumeRole"},
                {"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::000000000000:role/bad"},"Action":"sts:*"}]}"#,
            DocumentKind::Trust,
        )
        .unwrap();
        assert!(doc.trusts(PrincipalRef::Service("ec2.amazonaws.com"), "sts:AssumeRole"));
        assert!(doc.trusts(PrincipalRef::Service("ec2.amazonaws.com"), "STS:assumerole"));
        assert!(!doc.trusts(PrincipalRef::Service("ec2.amazonaws.com"), "sts:TagSession"));
        assert!(!doc.trusts(
            PrincipalRef::Service("lambda.amazonaws.com"),
            "sts:AssumeRole"
        ));
        assert!(doc.trusts(
            PrincipalRef::Aws("arn:aws:iam::000000000000:role/ok"),
            "sts:AssumeRole"
        ));
        assert!(!doc.trusts(
            PrincipalRef::Aws("arn:aws:iam::000000000000:role/bad"),
            "sts:AssumeRole"
        ));
        assert!(!doc.trusts(
            PrincipalRef::Aws("arn:aws:iam::111111111111:role/ok"),
            "sts:AssumeRole"
        ));
        let conditional = PolicyDocument::parse(
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}}}"#,
            DocumentKind::Trust,
        )
        .unwrap();
        assert!(!conditional.trusts(PrincipalRef::Service("ec2.amazonaws.com"), "sts:AssumeRole"));
    }

    // ---------------------------------------------------------- evaluation

    #[test]
    fn nothing_allows_by_default() {
        assert_eq!(
            decide(&[], "ssm:GetParameter", PARAM),
            Decision::ImplicitDeny
        );
        assert_eq!(
            decide(
                &[r#"{"Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*"}}"#],
                "ssm:GetParameter",
                PARAM
            ),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn deny_beats_allow_beats_implicit_deny() {
        let allow = r#"{"Statement":{"Effect":"Allow","Action":"ssm:*","Resource":"*"}}"#;
        let deny = r#"{"Statement":{"Effect":"Deny","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:*:*:parameter/app/*"}}"#;
        assert_eq!(decide(&[allow], "ssm:GetParameter", PARAM), Decision::Allow);
        assert_eq!(
            decide(&[allow, deny], "ssm:GetParameter", PARAM),
            Decision::ExplicitDeny
        );
        assert_eq!(
            decide(&[deny, allow], "ssm:GetParameter", PARAM),
            Decision::ExplicitDeny
        );
        assert_eq!(
            decide(&[allow, deny], "ssm:PutParameter", PARAM),
            Decision::Allow
        );
        // A Deny alone never allows anything.
        assert_eq!(
            decide(&[deny], "ssm:PutParameter", PARAM),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn actions_match_case_insensitively_with_wildcards() {
        let p = r#"{"Statement":{"Effect":"Allow","Action":["ssm:Get*","ec2:Describe?nstances"],"Resource":"*"}}"#;
        for action in [
            "ssm:GetParameter",
            "SSM:getparameters",
            "ssm:GetParametersByPath",
            "ec2:DescribeInstances",
            "ec2:describeinstances",
        ] {
            assert_eq!(decide(&[p], action, "*"), Decision::Allow, "{action}");
        }
        for action in [
            "ssm:PutParameter",
            "ec2:DescribeImages",
            "ec2:DescribeXXnstances",
            "ssmx:GetParameter",
        ] {
            assert_eq!(
                decide(&[p], action, "*"),
                Decision::ImplicitDeny,
                "{action}"
            );
        }
        let everything = r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
        assert_eq!(
            decide(&[everything], "iam:CreateRole", "*"),
            Decision::Allow
        );
    }

    #[test]
    fn resources_match_case_sensitively_with_wildcards() {
        let p = r#"{"Statement":{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:us-east-1:000000000000:parameter/app/*"}}"#;
        assert_eq!(decide(&[p], "ssm:GetParameter", PARAM), Decision::Allow);
        assert_eq!(
            decide(
                &[p],
                "ssm:GetParameter",
                "arn:aws:ssm:us-east-1:000000000000:parameter/App/db"
            ),
            Decision::ImplicitDeny
        );
        assert_eq!(
            decide(
                &[p],
                "ssm:GetParameter",
                "arn:aws:ssm:eu-west-1:000000000000:parameter/app/db"
            ),
            Decision::ImplicitDeny
        );
        let q = r#"{"Statement":{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:us-east-?:*:parameter/app/d?"}}"#;
        assert_eq!(decide(&[q], "ssm:GetParameter", PARAM), Decision::Allow);
    }

    #[test]
    fn not_action_and_not_resource_are_complements() {
        let p = r#"{"Statement":{"Effect":"Allow","NotAction":"iam:*","NotResource":"arn:aws:ssm:*:*:parameter/secret/*"}}"#;
        assert_eq!(decide(&[p], "ssm:GetParameter", PARAM), Decision::Allow);
        assert_eq!(decide(&[p], "iam:CreateRole", "*"), Decision::ImplicitDeny);
        assert_eq!(
            decide(
                &[p],
                "ssm:GetParameter",
                "arn:aws:ssm:us-east-1:000000000000:parameter/secret/k"
            ),
            Decision::ImplicitDeny
        );
        // NotAction in a Deny: deny everything except reads.
        let allow_all = r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
        let deny_writes = r#"{"Statement":{"Effect":"Deny","NotAction":["ssm:Get*","ssm:Describe*"],"Resource":"*"}}"#;
        assert_eq!(
            decide(&[allow_all, deny_writes], "ssm:GetParameter", PARAM),
            Decision::Allow
        );
        assert_eq!(
            decide(&[allow_all, deny_writes], "ssm:DeleteParameter", PARAM),
            Decision::ExplicitDeny
        );
    }

    fn with_condition(effect: &str, condition: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"{effect}","Action":"ssm:*","Resource":"*","Condition":{condition}}}}}"#
        )
    }

    fn decide_in(policy: &str, context: Context<'_>) -> Decision {
        evaluate(
            &[identity(policy)],
            &Request {
                action: "ssm:GetParameter",
                resource: PARAM,
                context,
            },
        )
    }

    fn region(r: &str) -> Context<'_> {
        Context {
            requested_region: Some(r),
            ..Context::default()
        }
    }

    #[test]
    fn string_conditions() {
        let eq = with_condition(
            "Allow",
            r#"{"StringEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}"#,
        );
        assert_eq!(decide_in(&eq, region("eu-west-1")), Decision::Allow);
        assert_eq!(decide_in(&eq, region("EU-WEST-1")), Decision::ImplicitDeny);
        assert_eq!(decide_in(&eq, region("ap-south-1")), Decision::ImplicitDeny);
        // Keys compare case-insensitively.
        let lower = with_condition(
            "Allow",
            r#"{"StringEquals":{"AWS:requestedregion":"us-east-1"}}"#,
        );
        assert_eq!(decide_in(&lower, region("us-east-1")), Decision::Allow);

        let ne = with_condition(
            "Allow",
            r#"{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}"#,
        );
        assert_eq!(decide_in(&ne, region("eu-west-1")), Decision::ImplicitDeny);
        assert_eq!(decide_in(&ne, region("ap-south-1")), Decision::Allow);

        let ic = with_condition(
            "Allow",
            r#"{"StringEqualsIgnoreCase":{"aws:RequestedRegion":"US-EAST-1"}}"#,
        );
        assert_eq!(decide_in(&ic, region("us-east-1")), Decision::Allow);

        let like = with_condition("Allow", r#"{"StringLike":{"aws:RequestedRegion":"eu-*"}}"#);
        assert_eq!(decide_in(&like, region("eu-west-1")), Decision::Allow);
        assert_eq!(
            decide_in(&like, region("us-east-1")),
            Decision::ImplicitDeny
        );
        let not_like = with_condition(
            "Allow",
            r#"{"StringNotLike":{"aws:RequestedRegion":"eu-*"}}"#,
        );
        assert_eq!(
            decide_in(&not_like, region("eu-west-1")),
            Decision::ImplicitDeny
        );
        assert_eq!(decide_in(&not_like, region("us-east-1")), Decision::Allow);
    }

    fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn resource_tag_conditions_read_the_resource_tags() {
        let team = tags(&[("Team", "web")]);
        let other = tags(&[("Team", "db")]);
        let on = |resource_tags| Context {
            resource_tags,
            ..Context::default()
        };
        for key in [
            "aws:ResourceTag/Team",
            "ec2:ResourceTag/Team",
            "autoscaling:ResourceTag/team",
            "elasticloadbalancing:resourcetag/TEAM",
        ] {
            let allow =
                with_condition("Allow", &format!(r#"{{"StringEquals":{{"{key}":"web"}}}}"#));
            assert_eq!(decide_in(&allow, on(&team)), Decision::Allow, "{key}");
            assert_eq!(
                decide_in(&allow, on(&other)),
                Decision::ImplicitDeny,
                "{key}"
            );
            // An untagged resource (or `*`) lacks the key: StringEquals fails.
            assert_eq!(decide_in(&allow, on(&[])), Decision::ImplicitDeny, "{key}");
        }
        // A Deny on a tag applies only where the tag is.
        let deny = with_condition("Deny", r#"{"StringEquals":{"ec2:ResourceTag/Team":"db"}}"#);
        let docs = [identity(&deny), identity(ALLOW_ALL_SSM)];
        let decide = |resource_tags| {
            evaluate(
                &docs,
                &Request {
                    action: "ssm:GetParameter",
                    resource: PARAM,
                    context: on(resource_tags),
                },
            )
        };
        assert_eq!(decide(&other), Decision::ExplicitDeny);
        assert_eq!(decide(&team), Decision::Allow);
        // Null tells tagged from untagged.
        let untagged = with_condition("Allow", r#"{"Null":{"aws:ResourceTag/Team":"true"}}"#);
        assert_eq!(decide_in(&untagged, on(&[])), Decision::Allow);
        assert_eq!(decide_in(&untagged, on(&team)), Decision::ImplicitDeny);
    }

    #[test]
    fn request_tag_conditions_read_the_tags_the_request_sets() {
        let allow = with_condition("Allow", r#"{"StringLike":{"aws:RequestTag/env":"prod-*"}}"#);
        let request_tags = tags(&[("env", "prod-eu")]);
        let with = Context {
            request_tags: &request_tags,
            ..Context::default()
        };
        assert_eq!(decide_in(&allow, with), Decision::Allow);
        assert_eq!(
            decide_in(&allow, Context::default()),
            Decision::ImplicitDeny
        );
        // Only `aws:` spells RequestTag; another prefix is a key Ballast
        // does not know, so the statement fails closed.
        let odd = with_condition("Allow", r#"{"StringLike":{"ec2:RequestTag/env":"prod-*"}}"#);
        assert_eq!(decide_in(&odd, with), Decision::ImplicitDeny);
    }

    #[test]
    fn conditions_and_keys_all_must_hold() {
        let both = with_condition(
            "Allow",
            r#"{"StringEquals":{"aws:RequestedRegion":"us-east-1","aws:PrincipalAccount":"000000000000"},
                "ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/web*"}}"#,
        );
        let ctx = Context {
            requested_region: Some("us-east-1"),
            principal_arn: Some("arn:aws:iam::000000000000:role/web-1"),
            principal_account: Some("000000000000"),
            ..Context::default()
        };
        assert_eq!(decide_in(&both, ctx), Decision::Allow);
        let other_role = Context {
            principal_arn: Some("arn:aws:iam::000000000000:role/db"),
            ..ctx
        };
        assert_eq!(decide_in(&both, other_role), Decision::ImplicitDeny);
        let other_region = Context {
            requested_region: Some("eu-west-1"),
            ..ctx
        };
        assert_eq!(decide_in(&both, other_region), Decision::ImplicitDeny);
    }

    #[test]
    fn arn_conditions_match_part_by_part() {
        let ctx = |arn| Context {
            principal_arn: Some(arn),
            ..Context::default()
        };
        let like = with_condition(
            "Allow",
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::000000000000:role/*"}}"#,
        );
        assert_eq!(
            decide_in(&like, ctx("arn:aws:iam::000000000000:role/a/b")),
            Decision::Allow
        );
        assert_eq!(
            decide_in(&like, ctx("arn:aws:iam::111111111111:role/a")),
            Decision::ImplicitDeny
        );
        // A wildcard does not span the colon between account and resource.
        let spanning = with_condition(
            "Allow",
            r#"{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::*"}}"#,
        );
        assert_eq!(
            decide_in(&spanning, ctx("arn:aws:iam::000000000000:role/a")),
            Decision::ImplicitDeny
        );
        let not_like = with_condition(
            "Deny",
            r#"{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin"}}"#,
        );
        assert_eq!(
            decide_in(&not_like, ctx("arn:aws:iam::000000000000:role/web")),
            Decision::ExplicitDeny
        );
        assert_eq!(
            decide_in(&not_like, ctx("arn:aws:iam::000000000000:role/admin")),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn absent_keys_and_if_exists() {
        let none = Context::default();
        let eq = with_condition(
            "Allow",
            r#"{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}"#,
        );
        assert_eq!(decide_in(&eq, none), Decision::ImplicitDeny);
        let eq_if = with_condition(
            "Allow",
            r#"{"StringEqualsIfExists":{"aws:RequestedRegion":"us-east-1"}}"#,
        );
        assert_eq!(decide_in(&eq_if, none), Decision::Allow);
        assert_eq!(
            decide_in(&eq_if, region("eu-west-1")),
            Decision::ImplicitDeny
        );
        assert_eq!(decide_in(&eq_if, region("us-east-1")), Decision::Allow);
        // Negated operators hold when the key is absent.
        let ne = with_condition(
            "Allow",
            r#"{"StringNotEquals":{"aws:RequestedRegion":"us-east-1"}}"#,
        );
        assert_eq!(decide_in(&ne, none), Decision::Allow);
        let arn_if = with_condition(
            "Allow",
            r#"{"ArnLikeIfExists":{"aws:PrincipalArn":"arn:aws:iam::*:role/web"}}"#,
        );
        assert_eq!(decide_in(&arn_if, none), Decision::Allow);
        let null = with_condition("Allow", r#"{"Null":{"aws:RequestedRegion":"true"}}"#);
        assert_eq!(decide_in(&null, none), Decision::Allow);
        assert_eq!(
            decide_in(&null, region("us-east-1")),
            Decision::ImplicitDeny
        );
    }

    #[test]
    fn unsupported_conditions_fail_closed() {
        let any = region("us-east-1");
        for condition in [
            // An operator Ballast does not evaluate.
            r#"{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}"#,
            r#"{"Bool":{"aws:SecureTransport":true}}"#,
            r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#,
            r#"{"ForAnyValue:StringEquals":{"aws:RequestedRegion":"us-east-1"}}"#,
            // A supported operator on a key Ballast does not know.
            r#"{"StringEquals":{"aws:SourceVpc":"vpc-1"}}"#,
            r#"{"StringEqualsIfExists":{"ec2:InstanceType":"t3.micro"}}"#,
            // A supported condition next to an unsupported one.
            r#"{"StringEquals":{"aws:RequestedRegion":"us-east-1","aws:SourceVpc":"vpc-1"}}"#,
        ] {
            let allow = with_condition("Allow", condition);
            assert_eq!(
                decide_in(&allow, any),
                Decision::ImplicitDeny,
                "{condition}"
            );
            let deny = with_condition("Deny", condition);
            let everything = r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
            let decision = evaluate(
                &[identity(everything), identity(&deny)],
                &Request {
                    action: "ssm:GetParameter",
                    resource: PARAM,
                    context: any,
                },
            );
            assert_eq!(decision, Decision::ExplicitDeny, "{condition}");
        }
    }

    #[test]
    fn unsupported_deny_still_needs_its_action() {
        let everything = r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
        let deny = r#"{"Statement":{"Effect":"Deny","Action":"iam:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}}"#;
        assert_eq!(
            decide(&[everything, deny], "ssm:GetParameter", PARAM),
            Decision::Allow
        );
        assert_eq!(
            decide(&[everything, deny], "iam:CreateRole", "*"),
            Decision::ExplicitDeny
        );
    }

    #[test]
    fn policy_variables_fail_closed_in_2012_and_are_literal_in_2008() {
        let modern = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ssm:*","Resource":"arn:aws:ssm:*:*:parameter/${aws:username}/*"}}"#;
        assert_eq!(
            decide(
                &[modern],
                "ssm:GetParameter",
                "arn:aws:ssm:us-east-1:0:parameter/${aws:username}/x"
            ),
            Decision::ImplicitDeny
        );
        let legacy = r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"ssm:*","Resource":"arn:aws:ssm:*:*:parameter/${aws:username}/*"}}"#;
        assert_eq!(
            decide(
                &[legacy],
                "ssm:GetParameter",
                "arn:aws:ssm:us-east-1:0:parameter/${aws:username}/x"
            ),
            Decision::Allow
        );
    }

    /// Random mutations of valid documents and random patterns never panic
    /// the parser, the evaluator or the glob matcher.
    #[test]
    fn random_input_never_panics() {
        use rand::rngs::StdRng;
        use rand::{Rng, SeedableRng};

        let seeds = [
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":["ssm:Get*"],"Resource":"arn:aws:ssm:*:*:parameter/*","Condition":{"StringLikeIfExists":{"aws:RequestedRegion":["eu-*",1,true]},"ArnNotLike":{"aws:PrincipalArn":"arn:*:iam::*:role/?"}}}]}"#,
            r#"{"Statement":{"Effect":"Deny","NotAction":"iam:*","NotResource":["*"],"Condition":{"Null":{"aws:PrincipalAccount":"false"}}}}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["000000000000","*"],"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        ];
        let alphabet: Vec<char> = "{}[]\":,*?$ aA:/-_.\\\u{e9}\u{0}0123456789"
            .chars()
            .collect();
        let mut rng = StdRng::seed_from_u64(7);
        for round in 0..3000 {
            let mut text: Vec<char> = seeds[round % seeds.len()].chars().collect();
            for _ in 0..rng.random_range(1..6) {
                let at = rng.random_range(0..=text.len());
                match rng.random_range(0..3) {
                    0 if at < text.len() => {
                        text.remove(at);
                    }
                    1 if at < text.len() => {
                        text[at] = alphabet[rng.random_range(0..alphabet.len())]
                    }
                    _ => text.insert(at, alphabet[rng.random_range(0..alphabet.len())]),
                }
            }
            let text: String = text.into_iter().collect();
            for kind in [DocumentKind::Identity, DocumentKind::Trust] {
                if let Ok(doc) = PolicyDocument::parse(&text, kind) {
                    let _ = evaluate(
                        std::slice::from_ref(&doc),
                        &request("ssm:GetParameter", PARAM),
                    );
                    let _ =
                        doc.trusts(PrincipalRef::Service("ec2.amazonaws.com"), "sts:AssumeRole");
                }
            }
            let pattern: String = (0..rng.random_range(0..12))
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect();
            let _ = glob(&pattern, &text, rng.random_bool(0.5));
            let _ = arn_like(&pattern, &text);
        }
    }

    #[test]
    fn globs() {
        assert!(glob("*", "", false));
        assert!(glob("a*b*c", "aXXbYYc", false));
        assert!(!glob("a*b*c", "aXXbYY", false));
        assert!(glob("a?c", "abc", false));
        assert!(!glob("a?c", "ac", false));
        assert!(glob("A*", "abc", true));
        assert!(!glob("A*", "abc", false));
        assert!(glob("**a", "bba", false));
        assert!(glob("é?", "éx", false));
        // Pathological patterns stay fast.
        let text = "a".repeat(2000);
        assert!(!glob(&format!("{}b", "*a".repeat(50)), &text, false));
    }
}
