//! EC2 instances.

use std::collections::HashSet;
use std::net::Ipv4Addr;

use ballast_core::ec2::{Instance, InstanceState};
use rusqlite::{OptionalExtension, params};

use crate::{StoreError, Tx};

impl Tx<'_> {
    /// An instance by id.
    pub fn instance(&self, id: &str) -> Result<Option<Instance>, StoreError> {
        self.record("SELECT record FROM ec2_instances WHERE id = ?1", [id])
    }

    /// An instance's state alone, without reading its whole record (the
    /// load balancer's health reports need no more).
    pub fn instance_state(&self, id: &str) -> Result<Option<InstanceState>, StoreError> {
        let name: Option<String> = self
            .conn()
            .prepare_cached("SELECT state FROM ec2_instances WHERE id = ?1")?
            .query_row([id], |row| row.get(0))
            .optional()?;
        Ok(name.and_then(|name| InstanceState::ALL.into_iter().find(|s| s.name() == name)))
    }

    /// Every instance, in launch order.
    pub fn instances(&self) -> Result<Vec<Instance>, StoreError> {
        self.records("SELECT record FROM ec2_instances ORDER BY seq", [])
    }

    /// The instance holding a private address, unless it is terminated.
    pub fn instance_at(&self, address: Ipv4Addr) -> Result<Option<Instance>, StoreError> {
        self.record(
            "SELECT record FROM ec2_instances WHERE address = ?1 AND state != 'terminated'",
            [&address.to_string()],
        )
    }

    /// The private addresses instances hold (terminated ones gave theirs
    /// back).
    pub fn instance_addresses(&self) -> Result<HashSet<Ipv4Addr>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT address FROM ec2_instances WHERE state != 'terminated'")?;
        let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
        let mut taken = HashSet::new();
        for row in rows {
            if let Ok(address) = row?.parse() {
                taken.insert(address);
            }
        }
        Ok(taken)
    }

    /// Inserts or replaces an instance. Saving it terminated releases its
    /// volumes (see [`Tx::release_instance_volumes`]), so that every way an
    /// instance ends (TerminateInstances, Auto Scaling, a shutdown from
    /// inside) takes its root volume with it. Saving it down (stopping,
    /// stopped, …) gives its automatic public address back, and
    /// terminated also disassociates its Elastic IPs. Saving it in a new
    /// state sends EC2's state-change notification.
    pub fn save_instance(&self, instance: &Instance) -> Result<(), StoreError> {
        let state_before: Option<String> = self
            .conn()
            .prepare_cached("SELECT state FROM ec2_instances WHERE id = ?1")?
            .query_row([&instance.id], |row| row.get(0))
            .optional()?;
        if state_before.as_deref() != Some(instance.state.name()) {
            self.emit(
                |scope, id| Some(instance.state_change_event(id, scope)),
                instance.state_since_millis,
            )?;
        }
        if instance.state == InstanceState::Terminated {
            self.release_instance_volumes(&instance.id)?;
        }
        self.release_instance_addresses(instance)?;
        self.execute(
            "INSERT INTO ec2_instances (id, seq, state, address, record)
             VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM ec2_instances), ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET
             state = excluded.state, address = excluded.address, record = excluded.record",
            params![
                instance.id,
                instance.state.name(),
                instance.private_ip.to_string(),
                serde_json::to_string(instance)?
            ],
        )?;
        Ok(())
    }

    /// Forgets an instance and its tags (a terminated instance that has
    /// been visible long enough).
    pub fn delete_instance(&self, id: &str) -> Result<bool, StoreError> {
        self.clear_tags(id)?;
        let n = self.execute("DELETE FROM ec2_instances WHERE id = ?1", params![id])?;
        Ok(n > 0)
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use ballast_core::ec2::instance::MetadataOptions;
    use ballast_core::ec2::{Instance, InstanceState};

    use crate::Store;

    fn instance(id: &str, last_octet: u8) -> Instance {
        Instance {
            id: id.into(),
            reservation_id: "r-1".into(),
            image_id: "ami-1".into(),
            instance_type: "t3.micro".into(),
            key_name: None,
            zone: "us-east-1a".into(),
            subnet_id: "subnet-1".into(),
            vpc_id: "vpc-1".into(),
            private_ip: Ipv4Addr::new(127, 101, 0, last_octet),
            security_groups: Vec::new(),
            state: InstanceState::Pending,
            state_since_millis: 0,
            transition_reason: String::new(),
            state_reason: None,
            launch_millis: 0,
            ami_launch_index: 0,
            client_token: None,
            user_data: None,
            profile: None,
            metadata: MetadataOptions::default(),
            boot_generation: 1,
            shutdown_behavior: "stop".into(),
            disable_api_termination: false,
            launch_template: None,
            impaired: false,
            disable_api_stop: false,
            ebs_optimized: false,
            source_dest_check: true,
            ena_support: true,
            monitoring: false,
        }
    }

    #[test]
    fn an_instance_state_is_read_alone_and_matches_the_record() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut a = instance("i-a", 1);
        for state in InstanceState::ALL {
            a.state = state;
            store.write(|tx| tx.save_instance(&a)).unwrap();
            let alone = store.read(|tx| tx.instance_state("i-a")).unwrap();
            assert_eq!(alone, Some(state));
        }
        assert_eq!(store.read(|tx| tx.instance_state("i-none")).unwrap(), None);
    }

    #[test]
    fn addresses_are_unique_until_terminated() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut a = instance("i-a", 1);
        store.write(|tx| tx.save_instance(&a)).unwrap();
        let b = instance("i-b", 1);
        assert!(store.write(|tx| tx.save_instance(&b)).is_err());
        a.state = InstanceState::Terminated;
        store.write(|tx| tx.save_instance(&a)).unwrap();
        store.write(|tx| tx.save_instance(&b)).unwrap();
        let found = store
            .read(|tx| tx.instance_at(Ipv4Addr::new(127, 101, 0, 1)))
            .unwrap();
        assert_eq!(found.map(|i| i.id), Some("i-b".to_owned()));
        let order: Vec<_> = store
            .read(|tx| tx.instances())
            .unwrap()
            .into_iter()
            .map(|i| i.id)
            .collect();
        assert_eq!(order, ["i-a", "i-b"]);
    }

    #[test]
    fn each_new_state_sends_one_state_change_notification() {
        use ballast_core::events::rule::{RuleSpec, Target};
        use ballast_core::lambda::{Code, Function, Settings, Statement};

        let dir = tempfile::tempdir().unwrap();
        let scope = ballast_core::Scope::new("us-east-1");
        let store = Store::open(dir.path())
            .unwrap()
            .with_emitter(crate::Emitter {
                scope: scope.clone(),
                ids: std::sync::Arc::new(ballast_core::Ids::seeded(7)),
            });
        let spec = RuleSpec {
            event_pattern: Some(r#"{"source":["aws.ec2"]}"#.to_owned()),
            ..RuleSpec::default()
        };
        let mut rule = ballast_core::events::Rule::put(None, "states", "default", spec, 0).unwrap();
        rule.put_targets(vec![Target {
            id: "t".into(),
            arn: "arn:aws:lambda:us-east-1:000000000000:function:watch".into(),
            ..Target::default()
        }])
        .unwrap();
        let settings = Settings {
            runtime: Some("python3.12".into()),
            handler: Some("app.handler".into()),
            role: Some("arn:aws:iam::000000000000:role/r".into()),
            ..Settings::default()
        };
        let code = Code::of_zip(b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0").unwrap();
        let mut function = Function::new("watch", settings, code, 0, "rev".into()).unwrap();
        function
            .policy
            .add(Statement {
                sid: "events".into(),
                action: "lambda:InvokeFunction".into(),
                principal: "events.amazonaws.com".into(),
                source_arn: Some(rule.arn(&scope)),
                source_account: None,
            })
            .unwrap();
        store
            .write(|tx| {
                tx.save_event_rule(&rule)?;
                tx.save_function(&function)
            })
            .unwrap();

        let mut i = instance("i-a", 1);
        store.write(|tx| tx.save_instance(&i)).unwrap();
        i.transition_reason = "saved again, still pending".into();
        store.write(|tx| tx.save_instance(&i)).unwrap();
        i.state = InstanceState::Running;
        i.state_since_millis = 5;
        store.write(|tx| tx.save_instance(&i)).unwrap();

        let queued = store.read(|tx| tx.due_invocations(10, 10)).unwrap();
        let states: Vec<String> = queued
            .iter()
            .map(|q| {
                let event: serde_json::Value = serde_json::from_str(&q.payload).unwrap();
                assert_eq!(
                    event["detail-type"],
                    "EC2 Instance State-change Notification"
                );
                assert_eq!(event["detail"]["instance-id"], "i-a");
                event["detail"]["state"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(states, ["pending", "running"]);
    }
}
