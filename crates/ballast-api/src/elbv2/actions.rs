//! Actions and rule conditions: from the API's shapes to the core's rules
//! and back, and the checks that need the store (target groups exist, speak
//! HTTP, and serve one load balancer).

use ballast_core::elbv2::{self, Condition, Error as Rule, WeightedTargetGroup};
use ballast_store::Tx;

use ballast_model::elbv2::*;

use super::{Error, check_arn, int, target_groups};

fn invalid(message: impl Into<String>) -> Rule {
    Rule::Validation(message.into())
}

/// The longest a forward action's stickiness may last (7 days).
const MAX_STICKINESS_SECONDS: i32 = 604_800;

/// Turns the API's actions into the core's, checking each the way ALB does
/// (the model bounds `Order` to 1–50000).
pub(super) fn to_core(actions: &[Action]) -> Result<Vec<elbv2::Action>, Rule> {
    let mut ordered: Vec<&Action> = actions.iter().collect();
    ordered.sort_by_key(|a| a.order.unwrap_or(i32::MAX));
    let actions = ordered
        .into_iter()
        .map(action_to_core)
        .collect::<Result<Vec<_>, _>>()?;
    elbv2::listener::validate_actions(&actions)?;
    Ok(actions)
}

fn action_to_core(action: &Action) -> Result<elbv2::Action, Rule> {
    match &action.r#type {
        ActionTypeEnum::Forward => forward_to_core(action),
        ActionTypeEnum::FixedResponse => {
            let config = action.fixed_response_config.as_ref().ok_or_else(|| {
                invalid("A fixed-response action must specify a FixedResponseConfig")
            })?;
            elbv2::Action::fixed_response(
                &config.status_code,
                config.content_type.clone(),
                config.message_body.clone(),
            )
        }
        ActionTypeEnum::Redirect => {
            let config = action
                .redirect_config
                .as_ref()
                .ok_or_else(|| invalid("A redirect action must specify a RedirectConfig"))?;
            let redirect = elbv2::Action::redirect(
                config.protocol.clone(),
                config.port.clone(),
                config.host.clone(),
                config.path.clone(),
                config.query.clone(),
                config.status_code.as_str(),
            )?;
            if let elbv2::Action::Redirect(r) = &redirect
                && r.protocol == "#{protocol}"
                && r.port == "#{port}"
                && r.host == "#{host}"
                && r.path == "/#{path}"
            {
                return Err(Rule::InvalidLoadBalancerAction(
                    "A redirect must change at least one of the protocol, port, host or path, or it would redirect to itself"
                        .to_owned(),
                ));
            }
            Ok(redirect)
        }
        // Action types ALB has that need HTTPS listeners and identity providers.
        other @ (ActionTypeEnum::AuthenticateOidc
        | ActionTypeEnum::AuthenticateCognito
        | ActionTypeEnum::JwtValidation) => Err(Rule::InvalidLoadBalancerAction(format!(
            "Action type '{other}' is not supported by Ballast yet: it needs HTTPS listeners"
        ))),
        // The model refuses types outside its enum before the handler runs.
        ActionTypeEnum::Unknown(other) => {
            Err(invalid(format!("Action type '{other}' is not valid")))
        }
    }
}

fn forward_to_core(action: &Action) -> Result<elbv2::Action, Rule> {
    let config = action.forward_config.as_ref();
    let tuples = config
        .and_then(|c| c.target_groups.as_deref())
        .unwrap_or_default();
    let mut groups = Vec::with_capacity(tuples.len().max(1));
    for tuple in tuples {
        let arn = tuple.target_group_arn.clone().ok_or_else(|| {
            invalid("Each target group of a forward configuration must have a TargetGroupArn")
        })?;
        check_arn(&arn, "targetgroup", "target group")?;
        let weight = match tuple.weight {
            None => 1,
            Some(w) => u32::try_from(w).ok().filter(|w| *w <= 999).ok_or_else(|| {
                invalid(format!(
                    "Target group weight '{w}' must be between 0 and 999"
                ))
            })?,
        };
        if groups.iter().any(|g: &WeightedTargetGroup| g.arn == arn) {
            return Err(invalid(format!(
                "Target group '{arn}' is specified more than once in the forward configuration"
            )));
        }
        groups.push(WeightedTargetGroup { arn, weight });
    }
    match (&action.target_group_arn, groups.as_slice()) {
        (None, []) => {
            return Err(invalid(
                "A forward action must specify a TargetGroupArn or a ForwardConfig with at least one target group",
            ));
        }
        (Some(arn), []) => {
            check_arn(arn, "targetgroup", "target group")?;
            groups.push(WeightedTargetGroup {
                arn: arn.clone(),
                weight: 1,
            });
        }
        (Some(arn), [only]) if *arn == only.arn => {}
        (Some(_), _) => {
            return Err(invalid(
                "You cannot specify both a TargetGroupArn and a ForwardConfig with other target groups",
            ));
        }
        (None, _) => {}
    }
    let stickiness = match config.and_then(|c| c.target_group_stickiness_config.as_ref()) {
        None => None,
        Some(s) => {
            let seconds = match s.duration_seconds {
                None => 3600,
                Some(d @ 1..=MAX_STICKINESS_SECONDS) => d.unsigned_abs(),
                Some(d) => {
                    return Err(invalid(format!(
                        "Target group stickiness duration '{d}' must be between 1 and {MAX_STICKINESS_SECONDS} seconds"
                    )));
                }
            };
            Some((s.enabled.unwrap_or(false), seconds))
        }
    };
    elbv2::Action::forward(groups, stickiness)
}

/// Checks the target groups actions forward to, against the store: each
/// exists, is an HTTP `instance` or `ip` group, and serves no other load
/// balancer than `load_balancer_arn`.
pub(super) fn check_target_groups(
    tx: &Tx<'_>,
    load_balancer_arn: &str,
    actions: &[elbv2::Action],
) -> Result<(), Error> {
    for arn in actions.iter().flat_map(elbv2::Action::target_group_arns) {
        let group = target_groups::load(tx, arn)?;
        match (group.protocol.as_deref(), group.target_type.as_str()) {
            (_, "lambda") => {
                return Err(Rule::InvalidConfigurationRequest(format!(
                    "Target group '{arn}' has target type 'lambda', which Ballast does not support yet"
                ))
                .into());
            }
            (Some("HTTP"), _) => {}
            (Some("HTTPS"), _) => {
                return Err(Rule::InvalidConfigurationRequest(format!(
                    "Target group '{arn}' uses protocol 'HTTPS', which Ballast does not support yet; use HTTP"
                ))
                .into());
            }
            (protocol, _) => {
                return Err(Rule::IncompatibleProtocols(format!(
                    "Target group '{arn}' uses protocol '{}', which an application load balancer cannot forward to",
                    protocol.unwrap_or("none")
                ))
                .into());
            }
        }
    }
    super::usage(tx)?.check_association(load_balancer_arn, actions)?;
    Ok(())
}

/// The API's view of a stored action. A forward names its group in
/// `TargetGroupArn` too when it has exactly one, as AWS does.
pub(super) fn view(action: &elbv2::Action) -> Action {
    let mut out = empty(match action {
        elbv2::Action::Forward(_) => ActionTypeEnum::Forward,
        elbv2::Action::FixedResponse(_) => ActionTypeEnum::FixedResponse,
        elbv2::Action::Redirect(_) => ActionTypeEnum::Redirect,
    });
    match action {
        elbv2::Action::Forward(forward) => {
            if let [only] = forward.target_groups.as_slice() {
                out.target_group_arn = Some(only.arn.clone());
            }
            out.forward_config = Some(ForwardActionConfig {
                target_groups: Some(
                    forward
                        .target_groups
                        .iter()
                        .map(|g| TargetGroupTuple {
                            target_group_arn: Some(g.arn.clone()),
                            weight: Some(int(g.weight)),
                        })
                        .collect(),
                ),
                target_group_stickiness_config: Some(TargetGroupStickinessConfig {
                    enabled: Some(forward.stickiness_enabled),
                    duration_seconds: forward
                        .stickiness_enabled
                        .then_some(int(forward.stickiness_seconds)),
                }),
            });
        }
        elbv2::Action::FixedResponse(fixed) => {
            out.fixed_response_config = Some(FixedResponseActionConfig {
                message_body: fixed.body.clone(),
                status_code: fixed.status_code.to_string(),
                content_type: fixed.content_type.clone(),
            });
        }
        elbv2::Action::Redirect(redirect) => {
            out.redirect_config = Some(RedirectActionConfig {
                protocol: Some(redirect.protocol.clone()),
                port: Some(redirect.port.clone()),
                host: Some(redirect.host.clone()),
                path: Some(redirect.path.clone()),
                query: Some(redirect.query.clone()),
                status_code: RedirectActionStatusCodeEnum::from(
                    format!("HTTP_{}", redirect.status_code).as_str(),
                ),
            });
        }
    }
    out
}

/// An action of a type with no member set.
fn empty(action_type: ActionTypeEnum) -> Action {
    Action {
        r#type: action_type,
        target_group_arn: None,
        authenticate_oidc_config: None,
        authenticate_cognito_config: None,
        order: None,
        redirect_config: None,
        fixed_response_config: None,
        forward_config: None,
        jwt_validation_config: None,
    }
}

/// Fields a rule may use at most once (http-header and query-string may
/// repeat).
const SINGLE_FIELDS: &[&str] = &["host-header", "path-pattern", "http-request-method"];

/// Turns the API's conditions into the core's.
pub(super) fn conditions_to_core(conditions: &[RuleCondition]) -> Result<Vec<Condition>, Rule> {
    if conditions.is_empty() {
        return Err(invalid("A rule must have at least one condition"));
    }
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::with_capacity(conditions.len());
    for condition in conditions {
        let field = condition
            .field
            .as_deref()
            .ok_or_else(|| invalid("Each condition must specify a Field"))?;
        if SINGLE_FIELDS.contains(&field) && seen.contains(&field) {
            return Err(invalid(format!(
                "A rule can have only one '{field}' condition"
            )));
        }
        seen.push(field);
        let core = condition_to_core(field, condition)?;
        core.validate()?;
        out.push(core);
    }
    Ok(out)
}

fn condition_to_core(field: &str, c: &RuleCondition) -> Result<Condition, Rule> {
    let regex = c.regex_values.is_some()
        || c.host_header_config
            .as_ref()
            .is_some_and(|h| h.regex_values.is_some())
        || c.path_pattern_config
            .as_ref()
            .is_some_and(|p| p.regex_values.is_some())
        || c.http_header_config
            .as_ref()
            .is_some_and(|h| h.regex_values.is_some());
    if regex {
        return Err(Rule::InvalidConfigurationRequest(
            "Regular-expression condition values (RegexValues) are not supported by Ballast yet"
                .to_owned(),
        ));
    }
    let configs = [
        ("host-header", c.host_header_config.is_some()),
        ("path-pattern", c.path_pattern_config.is_some()),
        ("http-header", c.http_header_config.is_some()),
        ("query-string", c.query_string_config.is_some()),
        (
            "http-request-method",
            c.http_request_method_config.is_some(),
        ),
        ("source-ip", c.source_ip_config.is_some()),
    ];
    if let Some((other, _)) = configs.iter().find(|(f, given)| *given && *f != field) {
        return Err(invalid(format!(
            "A '{field}' condition cannot have the configuration of a '{other}' condition"
        )));
    }
    let no_legacy_values = || {
        if c.values.is_some() {
            Err(invalid(format!(
                "A '{field}' condition must use its configuration member, not Values"
            )))
        } else {
            Ok(())
        }
    };
    match field {
        "path-pattern" => values(
            field,
            &c.values,
            c.path_pattern_config
                .as_ref()
                .and_then(|p| p.values.as_ref()),
        )
        .map(Condition::PathPattern),
        "host-header" => values(
            field,
            &c.values,
            c.host_header_config
                .as_ref()
                .and_then(|h| h.values.as_ref()),
        )
        .map(Condition::HostHeader),
        "http-header" => {
            no_legacy_values()?;
            let config = c.http_header_config.as_ref().ok_or_else(|| {
                invalid("An 'http-header' condition must specify an HttpHeaderConfig")
            })?;
            let name = config.http_header_name.clone().ok_or_else(|| {
                invalid("An 'http-header' condition must specify an HttpHeaderName")
            })?;
            Ok(Condition::HttpHeader {
                name,
                values: config.values.clone().unwrap_or_default(),
            })
        }
        "http-request-method" => {
            no_legacy_values()?;
            let config = c.http_request_method_config.as_ref().ok_or_else(|| {
                invalid(
                    "An 'http-request-method' condition must specify an HttpRequestMethodConfig",
                )
            })?;
            Ok(Condition::HttpRequestMethod(
                config.values.clone().unwrap_or_default(),
            ))
        }
        "query-string" => {
            no_legacy_values()?;
            let config = c.query_string_config.as_ref().ok_or_else(|| {
                invalid("A 'query-string' condition must specify a QueryStringConfig")
            })?;
            let pairs = config
                .values
                .as_deref()
                .unwrap_or_default()
                .iter()
                .map(|pair| {
                    let value = pair.value.clone().ok_or_else(|| {
                        invalid("Each query-string key/value pair must specify a Value")
                    })?;
                    Ok((pair.key.clone(), value))
                })
                .collect::<Result<Vec<_>, Rule>>()?;
            Ok(Condition::QueryString(pairs))
        }
        "source-ip" => Err(Rule::InvalidConfigurationRequest(
            "The 'source-ip' condition is not supported by Ballast yet".to_owned(),
        )),
        other => Err(invalid(format!(
            "Condition field '{other}' is not valid; use one of host-header, path-pattern, http-header, http-request-method, query-string, source-ip"
        ))),
    }
}

/// The values of a path or host condition, given in `Values` or in the
/// configuration member (both is fine when they agree, as in what
/// DescribeRules returns).
fn values(
    field: &str,
    legacy: &Option<Vec<String>>,
    config: Option<&Vec<String>>,
) -> Result<Vec<String>, Rule> {
    match (legacy, config) {
        (Some(a), Some(b)) if a != b => Err(invalid(format!(
            "A '{field}' condition cannot specify different Values and configuration values"
        ))),
        (Some(v), _) | (None, Some(v)) => Ok(v.clone()),
        (None, None) => Err(invalid(format!(
            "A '{field}' condition must specify at least one value"
        ))),
    }
}

/// The API's view of a stored condition: path and host conditions fill
/// both `Values` and their configuration member, as AWS does.
pub(super) fn condition_view(condition: &Condition) -> RuleCondition {
    let field = |name: &str| Some(name.to_owned());
    match condition {
        Condition::PathPattern(v) => RuleCondition {
            field: field("path-pattern"),
            values: Some(v.clone()),
            path_pattern_config: Some(PathPatternConditionConfig {
                values: Some(v.clone()),
                regex_values: None,
            }),
            ..RuleCondition::default()
        },
        Condition::HostHeader(v) => RuleCondition {
            field: field("host-header"),
            values: Some(v.clone()),
            host_header_config: Some(HostHeaderConditionConfig {
                values: Some(v.clone()),
                regex_values: None,
            }),
            ..RuleCondition::default()
        },
        Condition::HttpHeader { name, values } => RuleCondition {
            field: field("http-header"),
            http_header_config: Some(HttpHeaderConditionConfig {
                http_header_name: Some(name.clone()),
                values: Some(values.clone()),
                regex_values: None,
            }),
            ..RuleCondition::default()
        },
        Condition::HttpRequestMethod(v) => RuleCondition {
            field: field("http-request-method"),
            http_request_method_config: Some(HttpRequestMethodConditionConfig {
                values: Some(v.clone()),
            }),
            ..RuleCondition::default()
        },
        Condition::QueryString(pairs) => RuleCondition {
            field: field("query-string"),
            query_string_config: Some(QueryStringConditionConfig {
                values: Some(
                    pairs
                        .iter()
                        .map(|(key, value)| QueryStringKeyValuePair {
                            key: key.clone(),
                            value: Some(value.clone()),
                        })
                        .collect(),
                ),
            }),
            ..RuleCondition::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TG: &str =
        "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123456789abcdef";

    fn action(action_type: &str) -> Action {
        empty(ActionTypeEnum::from(action_type))
    }

    fn forward_to(arn: &str) -> Action {
        Action {
            target_group_arn: Some(arn.to_owned()),
            ..action("forward")
        }
    }

    #[test]
    fn forwards_round_trip_with_aws_shape() {
        let core = to_core(&[forward_to(TG)]).unwrap();
        let out = view(&core[0]);
        assert_eq!(out.target_group_arn.as_deref(), Some(TG));
        let groups = out.forward_config.unwrap().target_groups.unwrap();
        assert_eq!(groups[0].weight, Some(1));
        // What DescribeListeners returns can be sent back unchanged.
        let again = to_core(&[view(&core[0])]).unwrap();
        assert_eq!(again, core);
    }

    #[test]
    fn forward_needs_a_group_and_valid_weights() {
        assert!(matches!(
            to_core(&[action("forward")]),
            Err(Rule::Validation(_))
        ));
        let heavy = Action {
            forward_config: Some(ForwardActionConfig {
                target_groups: Some(vec![TargetGroupTuple {
                    target_group_arn: Some(TG.to_owned()),
                    weight: Some(1000),
                }]),
                target_group_stickiness_config: None,
            }),
            ..action("forward")
        };
        assert!(to_core(&[heavy]).is_err());
        assert!(to_core(&[forward_to("web")]).is_err());
    }

    #[test]
    fn action_kinds_and_counts() {
        assert!(matches!(
            to_core(&[action("authenticate-oidc")]),
            Err(Rule::InvalidLoadBalancerAction(_))
        ));
        assert!(matches!(
            to_core(&[action("teleport")]),
            Err(Rule::Validation(_))
        ));
        assert!(matches!(
            to_core(&[forward_to(TG), forward_to(TG)]),
            Err(Rule::InvalidLoadBalancerAction(_))
        ));
        let self_redirect = Action {
            redirect_config: Some(RedirectActionConfig {
                protocol: None,
                port: None,
                host: None,
                path: None,
                query: Some("x=1".to_owned()),
                status_code: RedirectActionStatusCodeEnum::Http301,
            }),
            ..action("redirect")
        };
        assert!(matches!(
            to_core(&[self_redirect]),
            Err(Rule::InvalidLoadBalancerAction(_))
        ));
    }

    fn condition(field: &str, values: &[&str]) -> RuleCondition {
        RuleCondition {
            field: Some(field.to_owned()),
            values: Some(values.iter().map(|v| (*v).to_owned()).collect()),
            ..RuleCondition::default()
        }
    }

    #[test]
    fn conditions_accept_values_or_config_and_round_trip() {
        let core = conditions_to_core(&[condition("path-pattern", &["/api/*"])]).unwrap();
        assert_eq!(core, [Condition::PathPattern(vec!["/api/*".to_owned()])]);
        let described = condition_view(&core[0]);
        assert!(described.path_pattern_config.is_some() && described.values.is_some());
        assert_eq!(conditions_to_core(&[described]).unwrap(), core);
        let mut disagree = condition("host-header", &["a.test"]);
        disagree.host_header_config = Some(HostHeaderConditionConfig {
            values: Some(vec!["b.test".to_owned()]),
            regex_values: None,
        });
        assert!(conditions_to_core(&[disagree]).is_err());
    }

    #[test]
    fn condition_rules() {
        assert!(conditions_to_core(&[]).is_err());
        assert!(
            conditions_to_core(&[
                condition("path-pattern", &["/a"]),
                condition("path-pattern", &["/b"])
            ])
            .is_err()
        );
        assert!(matches!(
            conditions_to_core(&[condition("source-ip", &["10.0.0.0/8"])]),
            Err(Rule::InvalidConfigurationRequest(_))
        ));
        assert!(conditions_to_core(&[condition("http-request-method", &["GET"])]).is_err());
        assert!(conditions_to_core(&[condition("cookie", &["x"])]).is_err());
    }
}
