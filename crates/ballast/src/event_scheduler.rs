//! EventBridge's scheduled rules: each enabled rule with a
//! `ScheduleExpression` fires on its `rate(…)` (time-scaled) or at its
//! `cron(…)` times (UTC), sending its targets a `Scheduled Event`
//! (`Tx::fire_scheduled_rule`, queued with the firing in one transaction).
//!
//! It lives in the binary, like the TTL sweeper, because it needs only the
//! store, the clock and a nudge to Lambda's queue. When each rule fires
//! next is kept in memory: a rule first fires one period after it was
//! made or Ballast started, and a firing missed while Ballast was down is
//! not made up (what a firing queued is never lost).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use ballast_core::clock::epoch_millis;
use ballast_core::events::Rule;
use ballast_core::lambda::invoke::Functions;
use ballast_core::{Clock, Ids, Scope, TimeScale};
use ballast_store::{Store, StoreError};
use tokio::sync::watch;

/// The longest the scheduler sleeps, so new and changed rules are seen.
const TICK: Duration = Duration::from_secs(1);

/// What the scheduler needs.
pub struct Scheduler {
    pub store: Arc<Store>,
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<Ids>,
    pub scope: Scope,
    pub scale: TimeScale,
    pub functions: Arc<dyn Functions>,
}

/// Each scheduled rule's next firing, by `(bus, rule)`.
type Timetable = HashMap<(String, String), Due>;

/// A rule's next firing, with the expression it was computed from.
struct Due {
    expression: String,
    at_millis: i64,
}

impl Scheduler {
    /// Runs until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let this = Arc::new(self);
        let mut due = Timetable::new();
        while !*stop.borrow() {
            let pass = Arc::clone(&this);
            let known = std::mem::take(&mut due);
            let wait = match tokio::task::spawn_blocking(move || pass.pass(known)).await {
                Ok(Ok((next, wait))) => {
                    due = next;
                    wait
                }
                Ok(Err(error)) => {
                    tracing::error!(%error, "firing scheduled rules failed");
                    TICK
                }
                Err(error) => {
                    tracing::error!(%error, "the rule scheduler panicked");
                    TICK
                }
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// Fires the rules that are due and says when each fires next, and how
    /// long to sleep.
    fn pass(&self, mut known: Timetable) -> Result<(Timetable, Duration), StoreError> {
        let now = epoch_millis(self.clock.now());
        let rules = self.store.read(|tx| tx.scheduled_rules())?;
        let mut next = Timetable::new();
        let mut queued = 0;
        for rule in rules {
            let key = (rule.bus.clone(), rule.name.clone());
            let expression = rule.spec.schedule_expression.clone().unwrap_or_default();
            let at = match known.remove(&key) {
                Some(due) if due.expression == expression => due.at_millis,
                _ => match self.next_fire(&rule, now) {
                    Some(at) => at,
                    None => continue,
                },
            };
            let at = if at <= now {
                queued += self
                    .store
                    .write(|tx| tx.fire_scheduled_rule(&self.scope, &rule, &self.ids, now))?;
                tracing::debug!(rule = rule.name, bus = rule.bus, "scheduled rule fired");
                match self.next_fire(&rule, now) {
                    Some(at) => at,
                    None => continue,
                }
            } else {
                at
            };
            next.insert(
                key,
                Due {
                    expression,
                    at_millis: at,
                },
            );
        }
        if queued > 0 {
            self.functions.queued();
        }
        let soonest = next.values().map(|due| due.at_millis).min();
        let wait = soonest.map_or(TICK, |at| {
            Duration::from_millis(u64::try_from(at - now).unwrap_or(0)).min(TICK)
        });
        Ok((next, wait))
    }

    fn next_fire(&self, rule: &Rule, after: i64) -> Option<i64> {
        rule.next_fire(after, |d| self.scale.scale(d))
    }
}
