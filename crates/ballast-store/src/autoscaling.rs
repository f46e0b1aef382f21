//! Auto Scaling groups and scaling activities.
//!
//! A group is one record: its settings, its instances and their lifecycle
//! states, hooks, suspensions and instance refreshes, so every change the
//! API or the controller makes to a group is one row written in one
//! transaction. Activities are rows of their own, kept after the group is
//! deleted (`IncludeDeletedGroups`). Launch configurations are one
//! record each.

use ballast_core::autoscaling::{Activity, Group, LaunchConfiguration};
use rusqlite::{OptionalExtension, params};
use serde::de::DeserializeOwned;

use crate::{StoreError, Tx};

fn decode<T: DeserializeOwned>(record: &str) -> Result<T, StoreError> {
    Ok(serde_json::from_str(record)?)
}

impl Tx<'_> {
    /// A group by name.
    pub fn asg_group(&self, name: &str) -> Result<Option<Group>, StoreError> {
        let record: Option<String> = self
            .conn()
            .prepare_cached("SELECT record FROM asg_groups WHERE name = ?1")?
            .query_row(params![name], |row| row.get(0))
            .optional()?;
        record.as_deref().map(decode).transpose()
    }

    /// Every group, by name.
    pub fn asg_groups(&self) -> Result<Vec<Group>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT record FROM asg_groups ORDER BY name")?;
        let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
        rows.map(|r| decode(&r?)).collect()
    }

    /// How many groups and launch configurations there are (the account's
    /// usage DescribeAccountLimits reports and CreateAutoScalingGroup checks).
    pub fn asg_counts(&self) -> Result<(usize, usize), StoreError> {
        let count = |table: &str| -> Result<usize, StoreError> {
            let n: i64 = self
                .conn()
                .prepare_cached(&format!("SELECT COUNT(*) FROM {table}"))?
                .query_row([], |row| row.get(0))?;
            Ok(usize::try_from(n).unwrap_or(0))
        };
        Ok((count("asg_groups")?, count("asg_launch_configurations")?))
    }

    /// The group an instance belongs to, if any.
    pub fn asg_group_of_instance(&self, instance_id: &str) -> Result<Option<Group>, StoreError> {
        Ok(self
            .asg_groups()?
            .into_iter()
            .find(|g| g.member(instance_id).is_some()))
    }

    /// Inserts or replaces a group.
    pub fn save_asg_group(&self, group: &Group) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO asg_groups (name, seq, record)
             VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM asg_groups), ?2)
             ON CONFLICT (name) DO UPDATE SET record = excluded.record",
            params![group.name, serde_json::to_string(group)?],
        )?;
        Ok(())
    }

    /// Deletes a group (its activities stay); `false` if it did not exist.
    pub fn delete_asg_group(&self, name: &str) -> Result<bool, StoreError> {
        self.clear_tags(name)?;
        let n = self.execute("DELETE FROM asg_groups WHERE name = ?1", params![name])?;
        Ok(n > 0)
    }

    /// A scaling activity by id.
    pub fn activity(&self, id: &str) -> Result<Option<Activity>, StoreError> {
        self.record("SELECT record FROM asg_activities WHERE id = ?1", [id])
    }

    /// Inserts or updates a scaling activity. A launch or termination
    /// that this ends goes to EventBridge's default bus, as Auto Scaling
    /// sends it ([`Activity::outcome_event`]).
    pub fn save_activity(&self, activity: &Activity) -> Result<(), StoreError> {
        let was_final = self
            .activity(&activity.id)?
            .is_some_and(|before| before.status.is_final());
        if !was_final && activity.status.is_final() {
            let at = activity.end_millis.unwrap_or(activity.start_millis);
            self.emit(|scope, id| activity.outcome_event(id, scope), at)?;
        }
        self.execute(
            "INSERT INTO asg_activities (id, group_name, start_millis, seq, record)
             VALUES (?1, ?2, ?3, (SELECT COALESCE(MAX(seq), 0) + 1 FROM asg_activities), ?4)
             ON CONFLICT (id) DO UPDATE SET record = excluded.record",
            params![
                activity.id,
                activity.group_name,
                activity.start_millis,
                serde_json::to_string(activity)?
            ],
        )?;
        Ok(())
    }

    /// A launch configuration by name.
    pub fn launch_configuration(
        &self,
        name: &str,
    ) -> Result<Option<LaunchConfiguration>, StoreError> {
        let record: Option<String> = self
            .conn()
            .prepare_cached("SELECT record FROM asg_launch_configurations WHERE name = ?1")?
            .query_row(params![name], |row| row.get(0))
            .optional()?;
        record.as_deref().map(decode).transpose()
    }

    /// Every launch configuration, by name.
    pub fn launch_configurations(&self) -> Result<Vec<LaunchConfiguration>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT record FROM asg_launch_configurations ORDER BY name")?;
        let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
        rows.map(|r| decode(&r?)).collect()
    }

    /// Inserts a launch configuration (they are immutable); `false` if the
    /// name is taken.
    pub fn insert_launch_configuration(
        &self,
        config: &LaunchConfiguration,
    ) -> Result<bool, StoreError> {
        let n = self.execute(
            "INSERT INTO asg_launch_configurations (name, record) VALUES (?1, ?2)
             ON CONFLICT (name) DO NOTHING",
            params![config.name, serde_json::to_string(config)?],
        )?;
        Ok(n > 0)
    }

    /// Deletes a launch configuration; `false` if it did not exist.
    pub fn delete_launch_configuration(&self, name: &str) -> Result<bool, StoreError> {
        let n = self.execute(
            "DELETE FROM asg_launch_configurations WHERE name = ?1",
            params![name],
        )?;
        Ok(n > 0)
    }

    /// A group's activities (every group's without a name), newest first.
    pub fn activities(&self, group_name: Option<&str>) -> Result<Vec<Activity>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT record FROM asg_activities
             WHERE ?1 IS NULL OR group_name = ?1
             ORDER BY start_millis DESC, seq DESC",
        )?;
        let rows = stmt.query_map(params![group_name], |row| row.get::<_, String>(0))?;
        rows.map(|r| decode(&r?)).collect()
    }
}

#[cfg(test)]
mod tests {
    use ballast_core::autoscaling::TemplateSpec;
    use ballast_core::autoscaling::group::GroupSpec;
    use ballast_core::autoscaling::{Activity, ActivityStatus, Group};

    use crate::Store;

    fn group(name: &str) -> Group {
        Group::create(
            name.into(),
            format!("arn:{name}"),
            "us-east-1",
            TemplateSpec::default(),
            GroupSpec {
                max_size: Some(2),
                zones: Some(vec!["us-east-1a".into()]),
                ..GroupSpec::default()
            },
            Vec::new(),
            Vec::new(),
            Vec::new(),
            0,
        )
        .unwrap()
    }

    #[test]
    fn groups_and_activities_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store
            .write(|tx| {
                tx.save_asg_group(&group("b"))?;
                tx.save_asg_group(&group("a"))?;
                let mut first =
                    Activity::start("1".into(), "a", "arn:a", "d".into(), "c".into(), 5);
                tx.save_activity(&first)?;
                tx.save_activity(&Activity::start(
                    "2".into(),
                    "a",
                    "arn:a",
                    "d".into(),
                    "c".into(),
                    9,
                ))?;
                first.set(ActivityStatus::Successful, 10);
                tx.save_activity(&first)
            })
            .unwrap();
        let names: Vec<String> = store
            .read(|tx| tx.asg_groups())
            .unwrap()
            .into_iter()
            .map(|g| g.name)
            .collect();
        assert_eq!(names, ["a", "b"]);
        let activities = store.read(|tx| tx.activities(Some("a"))).unwrap();
        assert_eq!(activities.len(), 2);
        assert_eq!(activities[0].id, "2", "newest first");
        assert_eq!(activities[1].status, ActivityStatus::Successful);
        store.write(|tx| tx.delete_asg_group("a")).unwrap();
        assert!(store.read(|tx| tx.asg_group("a")).unwrap().is_none());
        assert_eq!(store.read(|tx| tx.activities(None)).unwrap().len(), 2);
    }

    #[test]
    fn launch_configurations_are_unique_by_name() {
        use ballast_core::autoscaling::LaunchConfiguration;
        use ballast_core::autoscaling::configuration::ConfigurationSpec;
        let config = |name: &str| {
            LaunchConfiguration::create(
                name.into(),
                format!("arn:{name}"),
                ConfigurationSpec {
                    image_id: Some("ami-0ba11a5700a023086".into()),
                    instance_type: Some("t3.micro".into()),
                    ..ConfigurationSpec::default()
                },
                1,
            )
            .unwrap()
        };
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let (first, again) = store
            .write(|tx| {
                let first = tx.insert_launch_configuration(&config("b"))?;
                tx.insert_launch_configuration(&config("a"))?;
                Ok::<_, crate::StoreError>((first, tx.insert_launch_configuration(&config("b"))?))
            })
            .unwrap();
        assert!(first && !again, "a taken name is refused");
        drop(store);
        // Survives a reopen.
        let store = Store::open(dir.path()).unwrap();
        let names: Vec<String> = store
            .read(|tx| tx.launch_configurations())
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, ["a", "b"]);
        assert!(
            store
                .write(|tx| tx.delete_launch_configuration("a"))
                .unwrap()
        );
        assert!(
            !store
                .write(|tx| tx.delete_launch_configuration("a"))
                .unwrap()
        );
        assert!(
            store
                .read(|tx| tx.launch_configuration("a"))
                .unwrap()
                .is_none()
        );
    }
}
