//! Choosing a target: ALB's algorithms, and fail-open.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use ballast_core::Clock;
use ballast_core::elbv2::{Algorithm, Eligibility};
use rand::Rng;
use smallvec::SmallVec;

use crate::registry::{Target, epoch_millis};
use crate::snapshot::GroupRoute;

/// The targets one request may go to. Inline up to eight, so choosing
/// among a usual group's targets allocates nothing.
pub type Candidates<'g> = SmallVec<[&'g Arc<Target>; 8]>;

/// The targets a request may go to: the healthy ones not held by passive
/// health, or, when there is none, the unhealthy and held ones (fail-open).
/// Initial targets are never picked. `tried` targets are left out.
pub fn candidates<'g>(group: &'g GroupRoute, tried: &[SocketAddr]) -> Candidates<'g> {
    let tier = if group
        .targets
        .iter()
        .any(|t| t.eligibility() == Eligibility::InRotation)
    {
        Eligibility::InRotation
    } else {
        Eligibility::FailOpen
    };
    group
        .targets
        .iter()
        .filter(|t| t.eligibility() == tier && !tried.contains(&t.addr))
        .collect()
}

/// Picks one target from `candidates` with the group's algorithm, after
/// slow start has thinned out targets still warming up.
/// `clock` is read only when the group has slow start on.
pub fn pick<'g>(
    group: &GroupRoute,
    candidates: &[&'g Arc<Target>],
    clock: &dyn Clock,
) -> Option<&'g Arc<Target>> {
    if candidates.is_empty() {
        return None;
    }
    let warmed = slow_start(group, candidates, clock);
    let candidates = warmed.as_deref().unwrap_or(candidates);
    let turn = group.cursor.fetch_add(1, Ordering::Relaxed);
    let chosen = match group.algorithm {
        Algorithm::RoundRobin => candidates[turn % candidates.len()],
        Algorithm::WeightedRandom => candidates[rand::rng().random_range(0..candidates.len())],
        Algorithm::LeastOutstandingRequests => {
            // Start the scan at a rotating offset so ties spread evenly.
            let n = candidates.len();
            (0..n)
                .map(|i| candidates[(turn + i) % n])
                .min_by_key(|t| t.in_flight())
                .unwrap_or(candidates[0])
        }
    };
    Some(chosen)
}

/// Slow start: a target that became healthy less than the slow-start
/// duration ago keeps each request with a probability equal to how far
/// through its ramp it is, so its share rises linearly. Applies only while
/// at least one fully warm target exists to take the rest, as on ALB.
fn slow_start<'g>(
    group: &GroupRoute,
    candidates: &[&'g Arc<Target>],
    clock: &dyn Clock,
) -> Option<Vec<&'g Arc<Target>>> {
    if group.slow_start.is_zero() {
        return None;
    }
    let now = epoch_millis(clock.now());
    let warmth: Vec<f64> = candidates
        .iter()
        .map(|t| t.warmth(group.slow_start, now))
        .collect();
    if warmth.iter().all(|w| *w >= 1.0) || !warmth.iter().any(|w| *w >= 1.0) {
        return None;
    }
    let mut rng = rand::rng();
    Some(
        candidates
            .iter()
            .zip(warmth)
            .filter(|(_, w)| *w >= 1.0 || rng.random_bool(w.clamp(0.0, 1.0)))
            .map(|(t, _)| *t)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use ballast_core::SystemClock;
    use ballast_core::elbv2::CheckOutcome;

    use super::*;
    use crate::registry::Registry;

    fn group(algorithm: Algorithm, n: u16) -> GroupRoute {
        let registry = Registry::new(Arc::new(SystemClock));
        let targets = (0..n)
            .map(|i| {
                let addr: SocketAddr = format!("127.0.0.1:{}", 1000 + i).parse().unwrap();
                registry.entry(("tg".into(), i.to_string(), 1000 + i), addr, 0)
            })
            .collect();
        GroupRoute {
            algorithm,
            targets,
            cursor: AtomicUsize::new(0),
            slow_start: std::time::Duration::ZERO,
        }
    }

    fn healthy(g: &GroupRoute) {
        for t in &g.targets {
            pass(t);
        }
    }

    fn pass(t: &Target) {
        t.record(t.check_started(), CheckOutcome::Success, 5, 2);
    }

    fn fail(t: &Target) {
        t.record(t.check_started(), CheckOutcome::Failed, 5, 1);
    }

    #[test]
    fn round_robin_spreads_evenly() {
        let g = group(Algorithm::RoundRobin, 3);
        healthy(&g);
        let mut counts = [0; 3];
        for _ in 0..300 {
            let c = candidates(&g, &[]);
            let t = pick(&g, &c, &SystemClock).unwrap();
            counts[t.id.parse::<usize>().unwrap()] += 1;
        }
        assert_eq!(counts, [100, 100, 100]);
    }

    #[test]
    fn least_outstanding_avoids_busy_targets() {
        let g = group(Algorithm::LeastOutstandingRequests, 3);
        healthy(&g);
        let _busy = [g.targets[0].begin_request(), g.targets[1].begin_request()];
        for _ in 0..10 {
            let c = candidates(&g, &[]);
            assert_eq!(pick(&g, &c, &SystemClock).unwrap().id, "2");
        }
    }

    #[test]
    fn initial_targets_are_never_picked_and_unhealthy_only_when_failing_open() {
        let g = group(Algorithm::RoundRobin, 3);
        assert!(
            candidates(&g, &[]).is_empty(),
            "all initial: nothing to route to"
        );
        fail(&g.targets[0]);
        pass(&g.targets[1]);
        let c = candidates(&g, &[]);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].id, "1");
        fail(&g.targets[1]);
        let c = candidates(&g, &[]);
        let ids: Vec<_> = c.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(
            ids,
            ["0", "1"],
            "fail-open routes to every unhealthy target"
        );
    }

    #[test]
    fn slow_start_gives_a_new_target_a_small_share() {
        let mut g = group(Algorithm::RoundRobin, 2);
        g.slow_start = std::time::Duration::from_secs(3600);
        pass(&g.targets[0]);
        g.targets[0].skip_slow_start();
        pass(&g.targets[1]);
        let mut new_target = 0;
        for _ in 0..1000 {
            let c = candidates(&g, &[]);
            if pick(&g, &c, &SystemClock).unwrap().id == "1" {
                new_target += 1;
            }
        }
        assert!(
            new_target < 50,
            "a target 0% into its ramp got {new_target}/1000"
        );
    }

    #[test]
    fn tried_targets_are_skipped() {
        let g = group(Algorithm::RoundRobin, 2);
        healthy(&g);
        let c = candidates(&g, &[g.targets[0].addr]);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].id, "1");
    }

    #[test]
    fn passively_held_targets_are_skipped_while_another_is_in_rotation() {
        let g = group(Algorithm::RoundRobin, 3);
        healthy(&g);
        g.targets[0].mark_unreachable();
        for _ in 0..10 {
            let c = candidates(&g, &[]);
            assert_ne!(pick(&g, &c, &SystemClock).unwrap().id, "0");
        }
        pass(&g.targets[0]);
        let ids: Vec<_> = candidates(&g, &[]).iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["0", "1", "2"], "a later passing check ends the hold");
    }

    #[test]
    fn fail_open_includes_held_and_unhealthy_targets() {
        let g = group(Algorithm::RoundRobin, 3);
        healthy(&g);
        g.targets[0].mark_unreachable();
        g.targets[1].mark_unreachable();
        fail(&g.targets[2]);
        let ids: Vec<_> = candidates(&g, &[]).iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["0", "1", "2"]);
    }
}
