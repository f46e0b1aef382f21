//! EC2 security groups and key pairs.
//!
//! The default VPC's `default` group is stored the first time it changes;
//! until then the API shows the core's [`SecurityGroup::default_group`].

use ballast_core::ec2::{KeyPair, SecurityGroup};
use rusqlite::params;

use crate::{StoreError, Tx};

impl Tx<'_> {
    /// A stored security group by id.
    pub fn security_group(&self, id: &str) -> Result<Option<SecurityGroup>, StoreError> {
        self.record("SELECT record FROM ec2_security_groups WHERE id = ?1", [id])
    }

    /// A stored security group by VPC and name.
    pub fn security_group_by_name(
        &self,
        vpc_id: &str,
        name: &str,
    ) -> Result<Option<SecurityGroup>, StoreError> {
        self.record(
            "SELECT record FROM ec2_security_groups WHERE vpc_id = ?1 AND name = ?2",
            [vpc_id, name],
        )
    }

    /// Every stored security group, by id.
    pub fn security_groups(&self) -> Result<Vec<SecurityGroup>, StoreError> {
        self.records("SELECT record FROM ec2_security_groups ORDER BY id", [])
    }

    /// Inserts or replaces a security group.
    pub fn save_security_group(&self, group: &SecurityGroup) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ec2_security_groups (id, vpc_id, name, record) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET record = excluded.record",
            params![
                group.id,
                group.vpc_id,
                group.name,
                serde_json::to_string(group)?
            ],
        )?;
        Ok(())
    }

    /// Deletes a security group; `false` if it was not stored.
    pub fn delete_security_group(&self, id: &str) -> Result<bool, StoreError> {
        let n = self.execute("DELETE FROM ec2_security_groups WHERE id = ?1", params![id])?;
        Ok(n > 0)
    }

    /// A key pair by name.
    pub fn key_pair_by_name(&self, name: &str) -> Result<Option<KeyPair>, StoreError> {
        self.record("SELECT record FROM ec2_key_pairs WHERE name = ?1", [name])
    }

    /// A key pair by id.
    pub fn key_pair(&self, id: &str) -> Result<Option<KeyPair>, StoreError> {
        self.record("SELECT record FROM ec2_key_pairs WHERE id = ?1", [id])
    }

    /// Every key pair, by name.
    pub fn key_pairs(&self) -> Result<Vec<KeyPair>, StoreError> {
        self.records("SELECT record FROM ec2_key_pairs ORDER BY name", [])
    }

    /// Inserts a key pair.
    pub fn insert_key_pair(&self, key: &KeyPair) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ec2_key_pairs (id, name, record) VALUES (?1, ?2, ?3)",
            params![key.id, key.name, serde_json::to_string(key)?],
        )?;
        Ok(())
    }

    /// Deletes a key pair by id; `false` if it did not exist.
    pub fn delete_key_pair(&self, id: &str) -> Result<bool, StoreError> {
        let n = self.execute("DELETE FROM ec2_key_pairs WHERE id = ?1", params![id])?;
        Ok(n > 0)
    }
}

#[cfg(test)]
mod tests {
    use ballast_core::ec2::SecurityGroup;

    use crate::Store;

    #[test]
    fn groups_are_unique_per_vpc_and_name() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let group =
            SecurityGroup::create("sg-1".into(), "web", "d", "vpc-1", "0", "sgr-1".into()).unwrap();
        store.write(|tx| tx.save_security_group(&group)).unwrap();
        let mut clash = group.clone();
        clash.id = "sg-2".into();
        assert!(store.write(|tx| tx.save_security_group(&clash)).is_err());
        let found = store
            .read(|tx| tx.security_group_by_name("vpc-1", "web"))
            .unwrap();
        assert_eq!(found, Some(group));
    }
}
