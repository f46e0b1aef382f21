//! Target registrations and the rules every path that changes them keeps:
//! the ELBv2 API (RegisterTargets / DeregisterTargets), the Auto Scaling
//! controller (registering, draining and reaping its instances) and the
//! data plane's drain reaper. The store applies these plans in one place
//! (`ballast_store::Tx::{register_targets, deregister_targets,
//! reap_drained_targets}`); nothing else writes registrations.

use serde::{Deserialize, Serialize};

use super::{Error, HealthTracker, TargetGroup};
use crate::TimeScale;
use crate::ec2::InstanceState;

/// The most targets an ALB target group may hold (draining ones count).
pub const MAX_TARGETS: usize = 1000;

/// One registered target of a target group, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    pub target_group_arn: String,
    /// An instance id, or an IPv4 address for `ip` target groups.
    pub id: String,
    pub port: u16,
    pub availability_zone: Option<String>,
    pub registered_millis: i64,
    /// When deregistration began; the target drains until the group's
    /// deregistration delay has passed, then the registration is removed.
    pub draining_since_millis: Option<i64>,
}

/// A target someone asks to register: its id, the port it resolved to
/// (its own or the group's) and an optional zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetRequest {
    pub id: String,
    pub port: u16,
    pub availability_zone: Option<String>,
}

/// Where a registration is in its drain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drain {
    /// Not deregistered: it takes traffic.
    Active,
    /// Draining until this moment (epoch millis).
    Until(i64),
    /// The drain is over (or no load balancer uses its group, so there
    /// was nothing to drain): the registration is gone.
    Over,
}

/// A change to the stored registrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Insert or replace this registration.
    Save(Registration),
    /// Remove the registration of `(id, port)` from the group.
    Delete { id: String, port: u16 },
}

impl Registration {
    pub fn is_draining(&self) -> bool {
        self.draining_since_millis.is_some()
    }

    /// When draining ends, in epoch millis, for a delay of `delay_millis`
    /// (already scaled to wall-clock time).
    pub fn drained_at(&self, delay_millis: i64) -> Option<i64> {
        self.draining_since_millis
            .map(|since| since.saturating_add(delay_millis))
    }

    /// Where this registration's drain stands at `now_millis`, for a
    /// (scaled) deregistration delay and whether any load balancer uses
    /// its group: a draining target of an unused group is gone at once.
    pub fn drain(&self, delay_millis: i64, used: bool, now_millis: i64) -> Drain {
        match self.drained_at(delay_millis) {
            None => Drain::Active,
            Some(_) if !used => Drain::Over,
            Some(at) if now_millis >= at => Drain::Over,
            Some(at) => Drain::Until(at),
        }
    }

    fn is(&self, id: &str, port: u16) -> bool {
        self.id == id && self.port == port
    }
}

/// What registering `wanted` in the group `group_arn`, whose current
/// registrations are `existing`, changes: new targets are added; a
/// draining target registered again starts over as newly registered
/// (keeping its zone unless the request names one); a registered one is
/// left alone. Duplicates in `wanted` count once. Refused, changing
/// nothing, when the group would hold more than [`MAX_TARGETS`].
pub fn plan_register(
    group_arn: &str,
    existing: &[Registration],
    wanted: &[TargetRequest],
    now_millis: i64,
) -> Result<Vec<Change>, Error> {
    let mut changes: Vec<Change> = Vec::new();
    let mut count = existing.len();
    let mut seen: Vec<(&str, u16)> = Vec::with_capacity(wanted.len());
    for target in wanted {
        if seen.contains(&(target.id.as_str(), target.port)) {
            continue;
        }
        seen.push((target.id.as_str(), target.port));
        match existing.iter().find(|r| r.is(&target.id, target.port)) {
            Some(current) if current.is_draining() => changes.push(Change::Save(Registration {
                registered_millis: now_millis,
                draining_since_millis: None,
                availability_zone: target
                    .availability_zone
                    .clone()
                    .or_else(|| current.availability_zone.clone()),
                ..current.clone()
            })),
            Some(_) => {}
            None => {
                count += 1;
                changes.push(Change::Save(Registration {
                    target_group_arn: group_arn.to_owned(),
                    id: target.id.clone(),
                    port: target.port,
                    availability_zone: target.availability_zone.clone(),
                    registered_millis: now_millis,
                    draining_since_millis: None,
                }));
            }
        }
    }
    if count > MAX_TARGETS {
        return Err(Error::TooManyTargets);
    }
    Ok(changes)
}

/// What deregistering the `(id, port)` targets in `wanted` changes: a
/// registered target starts draining where a load balancer uses the group
/// and is removed at once where none does; targets that are not
/// registered, or already draining, are left alone.
pub fn plan_deregister(
    existing: &[Registration],
    wanted: &[(String, u16)],
    used: bool,
    now_millis: i64,
) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut seen: Vec<(&str, u16)> = Vec::with_capacity(wanted.len());
    for (id, port) in wanted {
        if seen.contains(&(id.as_str(), *port)) {
            continue;
        }
        seen.push((id.as_str(), *port));
        let Some(current) = existing.iter().find(|r| r.is(id, *port)) else {
            continue;
        };
        if !used {
            changes.push(Change::Delete {
                id: current.id.clone(),
                port: current.port,
            });
        } else if !current.is_draining() {
            changes.push(Change::Save(Registration {
                draining_since_millis: Some(now_millis),
                ..current.clone()
            }));
        }
    }
    changes
}

/// A group's deregistration delay at `scale`, in wall-clock millis.
pub fn drain_delay_millis(group: &TargetGroup, scale: TimeScale) -> i64 {
    let wall = scale.scale(std::time::Duration::from_secs(
        group.attributes.deregistration_delay_seconds(),
    ));
    i64::try_from(wall.as_millis()).unwrap_or(i64::MAX)
}

/// The registrations in `existing` whose drain is over at `now_millis`
/// (see [`Registration::drain`]).
pub fn drained<'a>(
    existing: &'a [Registration],
    delay_millis: i64,
    used: bool,
    now_millis: i64,
) -> impl Iterator<Item = &'a Registration> + 'a {
    existing
        .iter()
        .filter(move |r| r.drain(delay_millis, used, now_millis) == Drain::Over)
}

/// What DescribeTargetHealth shows of one target: `State`, `Reason` and
/// `Description`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthReport {
    pub state: &'static str,
    pub reason: Option<&'static str>,
    pub description: Option<String>,
}

impl HealthReport {
    fn fixed(state: &'static str, reason: &'static str, description: &str) -> Self {
        HealthReport {
            state,
            reason: Some(reason),
            description: Some(description.to_owned()),
        }
    }

    /// A target that is not registered in the group.
    pub fn not_registered() -> Self {
        HealthReport::fixed(
            "unused",
            "Target.NotRegistered",
            "Target is not registered to the target group",
        )
    }

    /// A registration, in this order: draining; an instance target whose
    /// instance is not running (`instance_state`, `None` for `ip` targets
    /// or unknown instances); a group no listener or rule forwards to
    /// (`used`); what the data plane's active checks say (`checked`); and,
    /// before the data plane has picked the target up, registering.
    pub fn of(
        registration: &Registration,
        instance_state: Option<InstanceState>,
        used: bool,
        checked: Option<HealthTracker>,
    ) -> Self {
        if registration.is_draining() {
            return HealthReport::fixed(
                "draining",
                "Target.DeregistrationInProgress",
                "Target deregistration is in progress",
            );
        }
        if let Some(state) = instance_state.filter(|s| *s != InstanceState::Running) {
            return HealthReport {
                state: "unused",
                reason: Some("Target.InvalidState"),
                description: Some(format!("Target is in the {} state", state.name())),
            };
        }
        if !used {
            return HealthReport::fixed(
                "unused",
                "Target.NotInUse",
                "Target group is not configured to receive traffic from the load balancer",
            );
        }
        match checked {
            Some(tracker) => {
                let (state, reason, description) = tracker.describe();
                HealthReport {
                    state,
                    reason,
                    description,
                }
            }
            None => HealthReport::fixed(
                "initial",
                "Elb.RegistrationInProgress",
                "Target registration is in progress",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:tg";

    fn reg(id: &str, port: u16, draining: Option<i64>) -> Registration {
        Registration {
            target_group_arn: ARN.to_owned(),
            id: id.to_owned(),
            port,
            availability_zone: Some("us-east-1a".to_owned()),
            registered_millis: 1,
            draining_since_millis: draining,
        }
    }

    fn want(id: &str, port: u16) -> TargetRequest {
        TargetRequest {
            id: id.to_owned(),
            port,
            availability_zone: None,
        }
    }

    #[test]
    fn register_adds_new_targets_once() {
        let changes = plan_register(ARN, &[], &[want("i-1", 80), want("i-1", 80)], 7).unwrap();
        assert_eq!(changes.len(), 1);
        let Change::Save(r) = &changes[0] else {
            panic!("expected a save: {changes:?}");
        };
        assert_eq!((r.id.as_str(), r.port, r.registered_millis), ("i-1", 80, 7));
        assert_eq!(r.target_group_arn, ARN);
    }

    #[test]
    fn register_leaves_registered_targets_alone() {
        let existing = [reg("i-1", 80, None)];
        assert!(
            plan_register(ARN, &existing, &[want("i-1", 80)], 7)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn registering_a_draining_target_starts_it_over() {
        let existing = [reg("i-1", 80, Some(5))];
        let changes = plan_register(ARN, &existing, &[want("i-1", 80)], 9).unwrap();
        assert_eq!(
            changes,
            vec![Change::Save(Registration {
                registered_millis: 9,
                draining_since_millis: None,
                ..existing[0].clone()
            })]
        );
    }

    #[test]
    fn register_refuses_past_the_limit() {
        let existing: Vec<_> = (0..MAX_TARGETS)
            .map(|i| reg(&format!("i-{i}"), 80, None))
            .collect();
        // Already registered: no new target, no error.
        assert!(plan_register(ARN, &existing, &[want("i-0", 80)], 1).is_ok());
        // A draining target counts, and registering it again adds nothing.
        assert!(plan_register(ARN, &existing[..MAX_TARGETS - 1], &[want("x", 80)], 1).is_ok());
        assert_eq!(
            plan_register(ARN, &existing, &[want("new", 80)], 1),
            Err(Error::TooManyTargets)
        );
    }

    #[test]
    fn deregister_drains_where_used_and_removes_where_not() {
        let existing = [reg("i-1", 80, None), reg("i-2", 80, Some(3))];
        let wanted = [
            ("i-1".to_owned(), 80),
            ("i-2".to_owned(), 80),
            ("i-3".to_owned(), 80),
        ];
        assert_eq!(
            plan_deregister(&existing, &wanted, true, 10),
            vec![Change::Save(reg("i-1", 80, Some(10)))]
        );
        assert_eq!(
            plan_deregister(&existing, &wanted, false, 10),
            vec![
                Change::Delete {
                    id: "i-1".to_owned(),
                    port: 80
                },
                Change::Delete {
                    id: "i-2".to_owned(),
                    port: 80
                },
            ]
        );
    }

    #[test]
    fn health_reports_in_order_of_precedence() {
        let active = reg("i-1", 80, None);
        let draining = reg("i-1", 80, Some(3));
        let mut healthy = HealthTracker::new();
        healthy.record(super::super::CheckOutcome::Success, 5, 2);
        let stopped = Some(InstanceState::Stopped);
        let running = Some(InstanceState::Running);
        assert_eq!(
            HealthReport::of(&draining, stopped, false, Some(healthy)).state,
            "draining"
        );
        let report = HealthReport::of(&active, stopped, true, Some(healthy));
        assert_eq!(report.reason, Some("Target.InvalidState"));
        assert_eq!(
            report.description.as_deref(),
            Some("Target is in the stopped state")
        );
        assert_eq!(
            HealthReport::of(&active, running, false, Some(healthy)).reason,
            Some("Target.NotInUse")
        );
        assert_eq!(
            HealthReport::of(&active, running, true, Some(healthy)),
            HealthReport {
                state: "healthy",
                reason: None,
                description: None
            }
        );
        assert_eq!(
            HealthReport::of(&active, None, true, None).reason,
            Some("Elb.RegistrationInProgress")
        );
        assert_eq!(HealthReport::not_registered().state, "unused");
    }

    #[test]
    fn a_drain_ends_after_the_delay_or_when_unused() {
        let active = reg("i-1", 80, None);
        let draining = reg("i-2", 80, Some(1_000));
        assert_eq!(active.drain(500, true, 10_000), Drain::Active);
        assert_eq!(active.drain(500, false, 10_000), Drain::Active);
        assert_eq!(draining.drain(500, true, 1_499), Drain::Until(1_500));
        assert_eq!(draining.drain(500, true, 1_500), Drain::Over);
        assert_eq!(draining.drain(500, false, 1_000), Drain::Over);
        let both = [active, draining];
        assert_eq!(drained(&both, 500, true, 2_000).count(), 1);
        assert_eq!(drained(&both, 500, true, 1_000).count(), 0);
    }
}
