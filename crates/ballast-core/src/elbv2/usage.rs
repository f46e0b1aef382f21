//! Which load balancers send traffic to which target groups, through their
//! listeners' default actions and their rules.

use std::collections::{BTreeMap, BTreeSet};

use super::Error;
use super::listener::{Action, Listener};
use super::rule::Rule;

/// Target group → the load balancers whose listeners or rules forward to
/// it. An ALB target group may serve one load balancer only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetGroupUsage {
    by_group: BTreeMap<String, BTreeSet<String>>,
}

impl TargetGroupUsage {
    /// The usage every listener and rule implies. Rules of listeners not in
    /// `listeners` are ignored.
    pub fn new(listeners: &[Listener], rules: &[Rule]) -> Self {
        let load_balancer_of: BTreeMap<&str, &str> = listeners
            .iter()
            .map(|l| (l.arn.as_str(), l.load_balancer_arn.as_str()))
            .collect();
        let mut usage = TargetGroupUsage::default();
        for listener in listeners {
            usage.add(&listener.load_balancer_arn, &listener.default_actions);
        }
        for rule in rules {
            if let Some(lb) = load_balancer_of.get(rule.listener_arn.as_str()) {
                usage.add(lb, &rule.actions);
            }
        }
        usage
    }

    fn add(&mut self, load_balancer_arn: &str, actions: &[Action]) {
        for group in actions.iter().flat_map(Action::target_group_arns) {
            self.by_group
                .entry(group.to_owned())
                .or_default()
                .insert(load_balancer_arn.to_owned());
        }
    }

    /// The load balancers that send traffic to a target group, in ARN order.
    pub fn load_balancers(&self, target_group_arn: &str) -> Vec<String> {
        self.by_group
            .get(target_group_arn)
            .map(|set| set.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Whether any listener or rule forwards to the target group.
    pub fn is_used(&self, target_group_arn: &str) -> bool {
        self.by_group
            .get(target_group_arn)
            .is_some_and(|set| !set.is_empty())
    }

    /// The target groups a load balancer sends traffic to.
    pub fn target_groups_of(&self, load_balancer_arn: &str) -> Vec<String> {
        self.by_group
            .iter()
            .filter(|(_, lbs)| lbs.contains(load_balancer_arn))
            .map(|(group, _)| group.clone())
            .collect()
    }

    /// Checks that giving a listener or rule of `load_balancer_arn` these
    /// actions does not tie a target group to a second load balancer.
    pub fn check_association(
        &self,
        load_balancer_arn: &str,
        actions: &[Action],
    ) -> Result<(), Error> {
        let taken: BTreeSet<&str> = actions
            .iter()
            .flat_map(Action::target_group_arns)
            .filter(|group| {
                self.by_group
                    .get(*group)
                    .is_some_and(|lbs| lbs.iter().any(|lb| lb != load_balancer_arn))
            })
            .collect();
        if taken.is_empty() {
            Ok(())
        } else {
            Err(Error::TargetGroupAssociationLimit(
                taken.into_iter().collect::<Vec<_>>().join(", "),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elbv2::listener::WeightedTargetGroup;

    fn forward(groups: &[&str]) -> Vec<Action> {
        vec![
            Action::forward(
                groups
                    .iter()
                    .map(|g| WeightedTargetGroup {
                        arn: (*g).to_owned(),
                        weight: 1,
                    })
                    .collect(),
                None,
            )
            .unwrap(),
        ]
    }

    fn listener(arn: &str, lb: &str, groups: &[&str]) -> Listener {
        Listener {
            arn: arn.into(),
            load_balancer_arn: lb.into(),
            port: 80,
            protocol: "HTTP".into(),
            default_actions: if groups.is_empty() {
                vec![Action::fixed_response("200", None, None).unwrap()]
            } else {
                forward(groups)
            },
            default_rule_arn: format!("{arn}-default"),
        }
    }

    #[test]
    fn listeners_and_rules_both_count() {
        let listeners = vec![listener("l1", "lb1", &["tg1"]), listener("l2", "lb2", &[])];
        let rules = vec![Rule {
            arn: "r1".into(),
            listener_arn: "l2".into(),
            priority: 1,
            conditions: vec![],
            actions: forward(&["tg2", "tg1"]),
        }];
        let usage = TargetGroupUsage::new(&listeners, &rules);
        assert_eq!(usage.load_balancers("tg1"), ["lb1", "lb2"]);
        assert_eq!(usage.load_balancers("tg2"), ["lb2"]);
        assert!(!usage.is_used("tg3"));
        assert_eq!(usage.target_groups_of("lb2"), ["tg1", "tg2"]);
    }

    #[test]
    fn a_group_serves_one_load_balancer() {
        let usage = TargetGroupUsage::new(&[listener("l1", "lb1", &["tg1"])], &[]);
        assert!(usage.check_association("lb1", &forward(&["tg1"])).is_ok());
        assert!(usage.check_association("lb2", &forward(&["tg2"])).is_ok());
        assert_eq!(
            usage.check_association("lb2", &forward(&["tg1", "tg2"])),
            Err(Error::TargetGroupAssociationLimit("tg1".into()))
        );
    }
}
