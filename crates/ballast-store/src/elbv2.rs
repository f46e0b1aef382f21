//! ELBv2 target groups.

use ballast_core::elbv2::TargetGroup;
use rusqlite::{OptionalExtension, params};

use crate::{StoreError, Tx};

impl Tx<'_> {
    /// A target group by ARN.
    pub fn target_group(&self, arn: &str) -> Result<Option<TargetGroup>, StoreError> {
        self.one_target_group("SELECT record FROM elbv2_target_groups WHERE arn = ?1", arn)
    }

    /// A target group by name.
    pub fn target_group_by_name(&self, name: &str) -> Result<Option<TargetGroup>, StoreError> {
        self.one_target_group(
            "SELECT record FROM elbv2_target_groups WHERE name = ?1",
            name,
        )
    }

    fn one_target_group(&self, sql: &str, key: &str) -> Result<Option<TargetGroup>, StoreError> {
        let record: Option<String> = self
            .conn()
            .prepare_cached(sql)?
            .query_row(params![key], |row| row.get(0))
            .optional()?;
        record.map(|r| Ok(serde_json::from_str(&r)?)).transpose()
    }

    /// Every target group, in creation order.
    pub fn target_groups(&self) -> Result<Vec<TargetGroup>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT record FROM elbv2_target_groups ORDER BY seq")?;
        let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
        rows.map(|r| Ok(serde_json::from_str(&r?)?)).collect()
    }

    /// Inserts a new target group or saves changes to an existing one.
    pub fn save_target_group(&self, group: &TargetGroup) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO elbv2_target_groups (arn, name, seq, record)
             VALUES (?1, ?2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM elbv2_target_groups), ?3)
             ON CONFLICT (arn) DO UPDATE SET record = excluded.record",
            params![group.arn, group.name, serde_json::to_string(group)?],
        )?;
        Ok(())
    }

    /// Deletes a target group; `false` if it did not exist.
    pub fn delete_target_group(&self, arn: &str) -> Result<bool, StoreError> {
        let n = self.execute(
            "DELETE FROM elbv2_target_groups WHERE arn = ?1",
            params![arn],
        )?;
        Ok(n > 0)
    }
}

/// Load balancers, listeners, rules and target registrations.
mod routing {
    use ballast_core::TimeScale;
    use ballast_core::elbv2::target::{self, TargetRequest};
    use ballast_core::elbv2::{
        self, Listener, LoadBalancer, Registration, Rule, TargetChange, TargetGroupUsage,
    };
    use rusqlite::params;

    use crate::{StoreError, Tx};

    impl Tx<'_> {
        pub fn load_balancer(&self, arn: &str) -> Result<Option<LoadBalancer>, StoreError> {
            self.record(
                "SELECT record FROM elbv2_load_balancers WHERE arn = ?1",
                params![arn],
            )
        }

        pub fn load_balancer_by_name(
            &self,
            name: &str,
        ) -> Result<Option<LoadBalancer>, StoreError> {
            self.record(
                "SELECT record FROM elbv2_load_balancers WHERE name = ?1",
                params![name],
            )
        }

        /// Every load balancer, in creation order.
        pub fn load_balancers(&self) -> Result<Vec<LoadBalancer>, StoreError> {
            self.records("SELECT record FROM elbv2_load_balancers ORDER BY seq", [])
        }

        pub fn save_load_balancer(&self, lb: &LoadBalancer) -> Result<(), StoreError> {
            self.execute(
                "INSERT INTO elbv2_load_balancers (arn, name, address, seq, record)
                 VALUES (?1, ?2, ?3, (SELECT COALESCE(MAX(seq), 0) + 1 FROM elbv2_load_balancers), ?4)
                 ON CONFLICT (arn) DO UPDATE SET record = excluded.record",
                params![lb.arn, lb.name, lb.address.to_string(), serde_json::to_string(lb)?],
            )?;
            Ok(())
        }

        /// Deletes a load balancer with its listeners and rules.
        pub fn delete_load_balancer(&self, arn: &str) -> Result<bool, StoreError> {
            let n = self.execute(
                "DELETE FROM elbv2_load_balancers WHERE arn = ?1",
                params![arn],
            )?;
            Ok(n > 0)
        }

        pub fn listener(&self, arn: &str) -> Result<Option<Listener>, StoreError> {
            self.record(
                "SELECT record FROM elbv2_listeners WHERE arn = ?1",
                params![arn],
            )
        }

        /// The listeners of one load balancer, by port.
        pub fn listeners_of(&self, load_balancer_arn: &str) -> Result<Vec<Listener>, StoreError> {
            self.records(
                "SELECT record FROM elbv2_listeners WHERE load_balancer_arn = ?1 ORDER BY port",
                params![load_balancer_arn],
            )
        }

        /// Every listener.
        pub fn listeners(&self) -> Result<Vec<Listener>, StoreError> {
            self.records(
                "SELECT record FROM elbv2_listeners ORDER BY load_balancer_arn, port",
                [],
            )
        }

        pub fn save_listener(&self, listener: &Listener) -> Result<(), StoreError> {
            self.execute(
                "INSERT INTO elbv2_listeners (arn, load_balancer_arn, port, record) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (arn) DO UPDATE SET port = excluded.port, record = excluded.record",
                params![
                    listener.arn,
                    listener.load_balancer_arn,
                    listener.port,
                    serde_json::to_string(listener)?
                ],
            )?;
            Ok(())
        }

        /// Deletes a listener with its rules.
        pub fn delete_listener(&self, arn: &str) -> Result<bool, StoreError> {
            let n = self.execute("DELETE FROM elbv2_listeners WHERE arn = ?1", params![arn])?;
            Ok(n > 0)
        }

        pub fn rule(&self, arn: &str) -> Result<Option<Rule>, StoreError> {
            self.record(
                "SELECT record FROM elbv2_rules WHERE arn = ?1",
                params![arn],
            )
        }

        /// The non-default rules of a listener, by priority.
        pub fn rules_of(&self, listener_arn: &str) -> Result<Vec<Rule>, StoreError> {
            self.records(
                "SELECT record FROM elbv2_rules WHERE listener_arn = ?1 ORDER BY priority",
                params![listener_arn],
            )
        }

        /// Every non-default rule.
        pub fn rules(&self) -> Result<Vec<Rule>, StoreError> {
            self.records(
                "SELECT record FROM elbv2_rules ORDER BY listener_arn, priority",
                [],
            )
        }

        /// Saves a rule; fails on a priority another rule of the listener
        /// holds (the caller checks first to report `PriorityInUse`).
        pub fn save_rule(&self, rule: &Rule) -> Result<(), StoreError> {
            self.execute(
                "INSERT INTO elbv2_rules (arn, listener_arn, priority, record) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (arn) DO UPDATE SET priority = excluded.priority, record = excluded.record",
                params![rule.arn, rule.listener_arn, rule.priority, serde_json::to_string(rule)?],
            )?;
            Ok(())
        }

        pub fn delete_rule(&self, arn: &str) -> Result<bool, StoreError> {
            let n = self.execute("DELETE FROM elbv2_rules WHERE arn = ?1", params![arn])?;
            Ok(n > 0)
        }

        /// The registrations of one target group (draining ones included).
        pub fn targets_of(&self, target_group_arn: &str) -> Result<Vec<Registration>, StoreError> {
            self.records(
                "SELECT record FROM elbv2_targets WHERE target_group_arn = ?1 ORDER BY id, port",
                params![target_group_arn],
            )
        }

        /// Every registration.
        pub fn targets(&self) -> Result<Vec<Registration>, StoreError> {
            self.records(
                "SELECT record FROM elbv2_targets ORDER BY target_group_arn, id, port",
                [],
            )
        }

        /// Saves a registration as it is, with none of the rules: for test
        /// fixtures. Product paths change registrations through
        /// [`Tx::register_targets`], [`Tx::deregister_targets`] and
        /// [`Tx::reap_drained_targets`].
        pub fn save_target(&self, target: &Registration) -> Result<(), StoreError> {
            self.execute(
                "INSERT INTO elbv2_targets (target_group_arn, id, port, record) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (target_group_arn, id, port) DO UPDATE SET record = excluded.record",
                params![
                    target.target_group_arn,
                    target.id,
                    target.port,
                    serde_json::to_string(target)?
                ],
            )?;
            Ok(())
        }

        fn delete_target(
            &self,
            target_group_arn: &str,
            id: &str,
            port: u16,
        ) -> Result<bool, StoreError> {
            let n = self.execute(
                "DELETE FROM elbv2_targets WHERE target_group_arn = ?1 AND id = ?2 AND port = ?3",
                params![target_group_arn, id, port],
            )?;
            Ok(n > 0)
        }

        fn apply_target_changes(
            &self,
            target_group_arn: &str,
            changes: &[TargetChange],
        ) -> Result<(), StoreError> {
            for change in changes {
                match change {
                    TargetChange::Save(registration) => self.save_target(registration)?,
                    TargetChange::Delete { id, port } => {
                        self.delete_target(target_group_arn, id, *port)?;
                    }
                }
            }
            Ok(())
        }

        /// Which target groups a listener or rule forwards to.
        pub fn target_group_usage(&self) -> Result<TargetGroupUsage, StoreError> {
            Ok(TargetGroupUsage::new(&self.listeners()?, &self.rules()?))
        }

        /// Registers targets in a group by the core's rules
        /// (`ballast_core::elbv2::target::plan_register`: the target limit,
        /// a draining target starting over); the number of registrations
        /// written. Refused with the rule's error, writing nothing.
        pub fn register_targets<E>(
            &self,
            target_group_arn: &str,
            wanted: &[TargetRequest],
            now_millis: i64,
        ) -> Result<usize, E>
        where
            E: From<StoreError> + From<elbv2::Error>,
        {
            let existing = self.targets_of(target_group_arn)?;
            let changes = target::plan_register(target_group_arn, &existing, wanted, now_millis)?;
            self.apply_target_changes(target_group_arn, &changes)?;
            Ok(changes.len())
        }

        /// Deregisters `(id, port)` targets from a group by the core's
        /// rules (`plan_deregister`: draining where a load balancer uses
        /// the group, removed where none does); the number of
        /// registrations changed.
        pub fn deregister_targets(
            &self,
            target_group_arn: &str,
            wanted: &[(String, u16)],
            now_millis: i64,
        ) -> Result<usize, StoreError> {
            let used = self.target_group_usage()?.is_used(target_group_arn);
            let existing = self.targets_of(target_group_arn)?;
            let changes = target::plan_deregister(&existing, wanted, used, now_millis);
            self.apply_target_changes(target_group_arn, &changes)?;
            Ok(changes.len())
        }

        /// Removes the registrations whose drain is over at `now_millis`
        /// (`Registration::drain`: the group's deregistration delay,
        /// scaled, has passed, or no load balancer uses the group), in one
        /// group or (`None`) in all; the registrations removed.
        pub fn reap_drained_targets(
            &self,
            target_group_arn: Option<&str>,
            scale: TimeScale,
            now_millis: i64,
        ) -> Result<Vec<Registration>, StoreError> {
            let groups = match target_group_arn {
                Some(arn) => self.target_group(arn)?.into_iter().collect(),
                None => self.target_groups()?,
            };
            let usage = self.target_group_usage()?;
            let mut reaped = Vec::new();
            for group in groups {
                let existing = self.targets_of(&group.arn)?;
                if !existing.iter().any(Registration::is_draining) {
                    continue;
                }
                let delay = target::drain_delay_millis(&group, scale);
                let used = usage.is_used(&group.arn);
                for registration in target::drained(&existing, delay, used, now_millis) {
                    self.delete_target(&group.arn, &registration.id, registration.port)?;
                    reaped.push(registration.clone());
                }
            }
            Ok(reaped)
        }
    }
}
