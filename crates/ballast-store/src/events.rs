//! EventBridge buses and rules.

use ballast_core::events::{EventBus, Rule, delivery};
use ballast_core::{Ids, Scope};
use rusqlite::params;

use crate::{StoreError, Tx};

impl Tx<'_> {
    /// A custom bus by name.
    pub fn event_bus(&self, name: &str) -> Result<Option<EventBus>, StoreError> {
        self.record("SELECT record FROM events_buses WHERE name = ?1", [name])
    }

    /// Every custom bus, by name.
    pub fn event_buses(&self) -> Result<Vec<EventBus>, StoreError> {
        self.records("SELECT record FROM events_buses ORDER BY name", [])
    }

    /// Inserts a bus; `false` when one by that name exists.
    pub fn insert_event_bus(&self, bus: &EventBus) -> Result<bool, StoreError> {
        let inserted = self.execute(
            "INSERT INTO events_buses (name, record) VALUES (?1, ?2)
             ON CONFLICT (name) DO NOTHING",
            params![bus.name, serde_json::to_string(bus)?],
        )?;
        Ok(inserted == 1)
    }

    /// Deletes a bus with its rules (and their tags, held under ARNs the
    /// caller passes); `false` when there was none.
    pub fn delete_event_bus(&self, name: &str) -> Result<bool, StoreError> {
        self.execute("DELETE FROM events_rules WHERE bus = ?1", [name])?;
        Ok(self.execute("DELETE FROM events_buses WHERE name = ?1", [name])? == 1)
    }

    /// A rule on a bus.
    pub fn event_rule(&self, bus: &str, name: &str) -> Result<Option<Rule>, StoreError> {
        self.record(
            "SELECT record FROM events_rules WHERE bus = ?1 AND name = ?2",
            [bus, name],
        )
    }

    /// A bus's rules, by name.
    pub fn event_rules(&self, bus: &str) -> Result<Vec<Rule>, StoreError> {
        self.records(
            "SELECT record FROM events_rules WHERE bus = ?1 ORDER BY name",
            [bus],
        )
    }

    /// Inserts or replaces a rule.
    pub fn save_event_rule(&self, rule: &Rule) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO events_rules (bus, name, record) VALUES (?1, ?2, ?3)
             ON CONFLICT (bus, name) DO UPDATE SET record = excluded.record",
            params![rule.bus, rule.name, serde_json::to_string(rule)?],
        )?;
        Ok(())
    }

    /// Deletes a rule; `false` when there was none.
    pub fn delete_event_rule(&self, bus: &str, name: &str) -> Result<bool, StoreError> {
        Ok(self.execute(
            "DELETE FROM events_rules WHERE bus = ?1 AND name = ?2",
            [bus, name],
        )? == 1)
    }

    /// Puts an event on `bus`: each Lambda target of each matching rule
    /// gets an asynchronous invocation in Lambda's queue, in this
    /// transaction (so an acknowledged event is never lost). Returns how
    /// many were queued; targets that get nothing are logged, as
    /// EventBridge counts them only as failed invocations.
    pub fn put_event(
        &self,
        scope: &Scope,
        bus: &str,
        event: &serde_json::Value,
        ids: &Ids,
        now_millis: i64,
    ) -> Result<usize, StoreError> {
        let rules = self.event_rules(bus)?;
        self.deliver(|function| {
            delivery::invocations(
                scope,
                event,
                &rules,
                function,
                || ids.request_id(),
                now_millis,
            )
        })
    }

    /// Puts an event AWS sends by itself on the default bus, built by
    /// `event` from the store's [`Emitter`](crate::Emitter)'s scope and a
    /// new event id (nothing without an emitter, or when `event` makes
    /// none).
    pub(crate) fn emit(
        &self,
        event: impl FnOnce(&Scope, &str) -> Option<serde_json::Value>,
        at_millis: i64,
    ) -> Result<(), StoreError> {
        let Some(emitter) = self.emitter else {
            return Ok(());
        };
        let Some(event) = event(&emitter.scope, &emitter.ids.request_id()) else {
            return Ok(());
        };
        self.put_event(
            &emitter.scope,
            ballast_core::events::bus::DEFAULT,
            &event,
            &emitter.ids,
            at_millis,
        )?;
        Ok(())
    }

    /// Fires a scheduled rule: its targets get the rule's `Scheduled
    /// Event`, queued in this transaction. Returns how many were queued.
    pub fn fire_scheduled_rule(
        &self,
        scope: &Scope,
        rule: &Rule,
        ids: &Ids,
        now_millis: i64,
    ) -> Result<usize, StoreError> {
        let event = delivery::scheduled_event(scope, rule, &ids.request_id(), now_millis);
        self.deliver(|function| {
            delivery::rule_invocations(
                scope,
                &event,
                rule,
                function,
                || ids.request_id(),
                now_millis,
            )
        })
    }

    /// Queues what `plan` decides, looking functions up in this
    /// transaction; logs what gets nothing.
    fn deliver(
        &self,
        plan: impl FnOnce(
            &mut dyn FnMut(
                ballast_core::lambda::Named<'_>,
            ) -> Option<ballast_core::lambda::ResourcePolicy>,
        ) -> (
            Vec<ballast_core::lambda::invoke::Queued>,
            Vec<delivery::Undelivered>,
        ),
    ) -> Result<usize, StoreError> {
        let mut lookup_error = None;
        let (queued, undelivered) = plan(&mut |named| match self.resource_policy(named) {
            Ok(found) => found,
            Err(error) => {
                lookup_error = Some(error);
                None
            }
        });
        if let Some(error) = lookup_error {
            return Err(error);
        }
        for reason in &undelivered {
            tracing::warn!(%reason, "an event was not delivered");
        }
        for invocation in &queued {
            self.queue_invocation(invocation)?;
        }
        Ok(queued.len())
    }

    /// Every enabled rule with a schedule, on any bus.
    pub fn scheduled_rules(&self) -> Result<Vec<Rule>, StoreError> {
        Ok(self
            .records::<Rule>("SELECT record FROM events_rules ORDER BY bus, name", [])?
            .into_iter()
            .filter(|rule| rule.spec.schedule_expression.is_some() && rule.spec.state.is_enabled())
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use ballast_core::events::rule::RuleSpec;
    use ballast_core::events::{EventBus, Rule};

    use crate::Store;

    #[test]
    fn deleting_a_bus_takes_its_rules() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Store::open(dir.path()).expect("a store");
        let spec = RuleSpec {
            event_pattern: Some(r#"{"source":["shop"]}"#.to_owned()),
            ..RuleSpec::default()
        };
        store
            .write(|tx| -> Result<(), crate::StoreError> {
                let bus = EventBus::new("orders", None, 0).expect("a bus");
                assert!(tx.insert_event_bus(&bus)?);
                assert!(!tx.insert_event_bus(&bus)?);
                for on in ["orders", "default"] {
                    let rule = Rule::put(None, "r", on, spec.clone(), 0).expect("a rule");
                    tx.save_event_rule(&rule)?;
                }
                assert!(tx.delete_event_bus("orders")?);
                assert!(tx.event_rule("orders", "r")?.is_none());
                assert!(tx.event_rule("default", "r")?.is_some());
                Ok(())
            })
            .expect("the write");
    }
}
