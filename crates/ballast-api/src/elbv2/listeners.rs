//! Listener handlers.

use ballast_core::elbv2::{self, Error as Rule};
use ballast_core::paging::page;
use ballast_store::Tx;

use ballast_model::elbv2::*;

use super::{Error, actions, check_arn, creation_tags, load_balancers, paging, port};
use crate::ApiState;

/// Loads a listener or fails with `ListenerNotFound`.
pub(super) fn load(tx: &Tx<'_>, arn: &str) -> Result<elbv2::Listener, Error> {
    check_arn(arn, "listener", "listener")?;
    tx.listener(arn)?
        .ok_or_else(|| Rule::ListenerNotFound.into())
}

/// `…:listener/app/{lb name}/{lb id}/{id}` for a load balancer's ARN.
fn listener_arn(load_balancer_arn: &str, id: &str) -> String {
    format!(
        "{}/{id}",
        load_balancer_arn.replacen(":loadbalancer/", ":listener/", 1)
    )
}

/// `…:listener-rule/app/{lb name}/{lb id}/{listener id}/{id}` for a
/// listener's ARN.
pub(super) fn rule_arn(listener_arn: &str, id: &str) -> String {
    format!(
        "{}/{id}",
        listener_arn.replacen(":listener/", ":listener-rule/", 1)
    )
}

/// The ARN of the listener a rule ARN belongs to.
pub(super) fn listener_arn_of_rule(rule_arn: &str) -> Option<String> {
    let (listener_part, _) = rule_arn.rsplit_once('/')?;
    Some(listener_part.replacen(":listener-rule/", ":listener/", 1))
}

/// Checks a listener protocol: ALBs speak HTTP and HTTPS; Ballast serves
/// HTTP only for now. The model refuses names outside its enum.
fn check_protocol(protocol: &ProtocolEnum) -> Result<(), Rule> {
    match protocol {
        ProtocolEnum::Http => Ok(()),
        ProtocolEnum::Https => Err(Rule::UnsupportedProtocol(
            "Protocol 'HTTPS' is not supported by Ballast yet; use HTTP".to_owned(),
        )),
        other => Err(Rule::UnsupportedProtocol(format!(
            "Protocol '{other}' is not supported by load balancers of type 'application'"
        ))),
    }
}

/// Certificates, SSL policies and ALPN belong to HTTPS listeners.
fn check_no_tls(
    certificates: Option<&[Certificate]>,
    ssl_policy: Option<&str>,
    alpn: Option<&[String]>,
) -> Result<(), Rule> {
    if certificates.is_some_and(|c| !c.is_empty())
        || ssl_policy.is_some()
        || alpn.is_some_and(|a| !a.is_empty())
    {
        return Err(Rule::Validation(
            "Certificates, SSL policies and ALPN policies can be specified only for HTTPS listeners"
                .to_owned(),
        ));
    }
    Ok(())
}

pub(super) fn view(listener: &elbv2::Listener) -> Listener {
    Listener {
        listener_arn: Some(listener.arn.clone()),
        load_balancer_arn: Some(listener.load_balancer_arn.clone()),
        port: Some(i32::from(listener.port)),
        protocol: Some(ProtocolEnum::from(listener.protocol.as_str())),
        default_actions: Some(listener.default_actions.iter().map(actions::view).collect()),
        ..Listener::default()
    }
}

pub(super) fn create(
    state: &ApiState,
    input: CreateListenerInput,
) -> Result<CreateListenerOutput, Error> {
    check_arn(&input.load_balancer_arn, "loadbalancer", "load balancer")?;
    let protocol = input
        .protocol
        .ok_or_else(|| Rule::Validation("A listener protocol must be specified".to_owned()))?;
    check_protocol(&protocol)?;
    let protocol = protocol.as_str().to_owned();
    let port = port(
        input
            .port
            .ok_or_else(|| Rule::Validation("A listener port must be specified".to_owned()))?,
    );
    check_no_tls(
        input.certificates.as_deref(),
        input.ssl_policy.as_deref(),
        input.alpn_policy.as_deref(),
    )?;
    let default_actions = actions::to_core(&input.default_actions)?;
    let tags = creation_tags(input.tags)?;
    let id = state.ids.hex(16);
    let rule_id = state.ids.hex(16);
    let (listener, created) = state.store.write(|tx| -> Result<_, Error> {
        let lb = load_balancers::load(tx, &input.load_balancer_arn)?;
        if let Some(existing) = tx
            .listeners_of(&lb.arn)?
            .into_iter()
            .find(|l| l.port == port)
        {
            // CreateListener is idempotent for identical settings.
            return if existing.protocol == protocol && existing.default_actions == default_actions {
                Ok((existing, false))
            } else {
                Err(Rule::DuplicateListener.into())
            };
        }
        actions::check_target_groups(tx, &lb.arn, &default_actions)?;
        let arn = listener_arn(&lb.arn, &id);
        let listener = elbv2::Listener {
            default_rule_arn: rule_arn(&arn, &rule_id),
            arn,
            load_balancer_arn: lb.arn.clone(),
            port,
            protocol: protocol.clone(),
            default_actions: default_actions.clone(),
        };
        tx.save_listener(&listener)?;
        tx.put_tags(&listener.arn, &tags)?;
        Ok((listener, true))
    })?;
    if created {
        state.data_plane.changed();
    }
    Ok(CreateListenerOutput {
        listeners: Some(vec![view(&listener)]),
    })
}

pub(super) fn describe(
    state: &ApiState,
    input: DescribeListenersInput,
) -> Result<DescribeListenersOutput, Error> {
    let (size, after) = paging(input.page_size, input.marker.as_deref())?;
    let mut listeners = state.store.read(|tx| -> Result<_, Error> {
        match (&input.load_balancer_arn, &input.listener_arns) {
            (Some(lb), None) => {
                let lb = load_balancers::load(tx, lb)?;
                Ok(tx.listeners_of(&lb.arn)?)
            }
            (None, Some(arns)) => arns.iter().map(|arn| load(tx, arn)).collect(),
            _ => Err(Rule::Validation(
                "You must specify either listener ARNs or a load balancer ARN".to_owned(),
            )
            .into()),
        }
    })?;
    let key = |l: &elbv2::Listener| format!("{}/{:05}", l.load_balancer_arn, l.port);
    listeners.sort_by_key(key);
    listeners.dedup_by(|a, b| a.arn == b.arn);
    let keyed: Vec<(String, elbv2::Listener)> =
        listeners.into_iter().map(|l| (key(&l), l)).collect();
    let (listeners, next_marker) = page(keyed, |(k, _)| k.as_str(), after.as_deref(), size);
    Ok(DescribeListenersOutput {
        listeners: Some(listeners.iter().map(|(_, l)| view(l)).collect()),
        next_marker,
    })
}

pub(super) fn modify(
    state: &ApiState,
    input: ModifyListenerInput,
) -> Result<ModifyListenerOutput, Error> {
    if let Some(protocol) = &input.protocol {
        check_protocol(protocol)?;
    }
    let port = input.port.map(port);
    check_no_tls(
        input.certificates.as_deref(),
        input.ssl_policy.as_deref(),
        input.alpn_policy.as_deref(),
    )?;
    let default_actions = input
        .default_actions
        .as_deref()
        .map(actions::to_core)
        .transpose()?;
    let listener = state.store.write(|tx| -> Result<_, Error> {
        let mut listener = load(tx, &input.listener_arn)?;
        if let Some(port) = port
            && port != listener.port
        {
            let taken = tx
                .listeners_of(&listener.load_balancer_arn)?
                .iter()
                .any(|l| l.port == port);
            if taken {
                return Err(Rule::DuplicateListener.into());
            }
            listener.port = port;
        }
        if let Some(protocol) = &input.protocol {
            listener.protocol = protocol.as_str().to_owned();
        }
        if let Some(actions) = default_actions {
            actions::check_target_groups(tx, &listener.load_balancer_arn, &actions)?;
            listener.default_actions = actions;
        }
        tx.save_listener(&listener)?;
        Ok(listener)
    })?;
    state.data_plane.changed();
    Ok(ModifyListenerOutput {
        listeners: Some(vec![view(&listener)]),
    })
}

pub(super) fn delete(
    state: &ApiState,
    input: DeleteListenerInput,
) -> Result<DeleteListenerOutput, Error> {
    state.store.write(|tx| -> Result<_, Error> {
        let listener = load(tx, &input.listener_arn)?;
        for rule in tx.rules_of(&listener.arn)? {
            tx.clear_tags(&rule.arn)?;
        }
        tx.clear_tags(&listener.default_rule_arn)?;
        tx.clear_tags(&listener.arn)?;
        // Its rules go with it (ON DELETE CASCADE).
        tx.delete_listener(&listener.arn)?;
        Ok(())
    })?;
    state.data_plane.changed();
    Ok(DeleteListenerOutput {})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_nest() {
        let lb = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/00000000000000aa";
        let listener = listener_arn(lb, "00000000000000bb");
        assert_eq!(
            listener,
            "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/web/00000000000000aa/00000000000000bb"
        );
        let rule = rule_arn(&listener, "00000000000000cc");
        assert_eq!(
            rule,
            "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/web/00000000000000aa/00000000000000bb/00000000000000cc"
        );
        assert_eq!(
            listener_arn_of_rule(&rule).as_deref(),
            Some(listener.as_str())
        );
    }
}
