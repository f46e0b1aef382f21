//! EBS volumes.

use ballast_core::ec2::Volume;
use rusqlite::params;

use crate::{StoreError, Tx};

impl Tx<'_> {
    /// A volume by id.
    pub fn volume(&self, id: &str) -> Result<Option<Volume>, StoreError> {
        self.record("SELECT record FROM ec2_volumes WHERE id = ?1", [id])
    }

    /// Every volume, in creation order.
    pub fn volumes(&self) -> Result<Vec<Volume>, StoreError> {
        self.records("SELECT record FROM ec2_volumes ORDER BY seq", [])
    }

    /// The volumes attached to an instance, in creation order.
    pub fn instance_volumes(&self, instance_id: &str) -> Result<Vec<Volume>, StoreError> {
        self.records(
            "SELECT record FROM ec2_volumes WHERE instance_id = ?1 ORDER BY seq",
            [instance_id],
        )
    }

    /// Inserts or replaces a volume.
    pub fn save_volume(&self, volume: &Volume) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ec2_volumes (id, seq, instance_id, record)
             VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM ec2_volumes), ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET
             instance_id = excluded.instance_id, record = excluded.record",
            params![
                volume.id,
                volume.attachment.as_ref().map(|a| &a.instance_id),
                serde_json::to_string(volume)?
            ],
        )?;
        Ok(())
    }

    /// Deletes a volume and its tags (its disk is the fleet's to remove).
    pub fn delete_volume(&self, id: &str) -> Result<(), StoreError> {
        self.clear_tags(id)?;
        self.execute("DELETE FROM ec2_volumes WHERE id = ?1", params![id])?;
        Ok(())
    }

    /// Deletes the volumes a terminated instance takes with it (those
    /// attached with `DeleteOnTermination`), and their tags; the others
    /// are detached and become available.
    pub fn release_instance_volumes(&self, instance_id: &str) -> Result<(), StoreError> {
        for mut volume in self.instance_volumes(instance_id)? {
            if volume
                .attachment
                .as_ref()
                .is_some_and(|a| a.delete_on_termination)
            {
                self.delete_volume(&volume.id)?;
            } else {
                volume.attachment = None;
                self.save_volume(&volume)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use ballast_core::catalogue;
    use ballast_core::ec2::Volume;

    use crate::Store;

    #[test]
    fn terminating_deletes_what_goes_with_the_instance() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Store::open(dir.path()).expect("a store");
        let image = catalogue::find(catalogue::AL2023_X86_64).expect("AL2023");
        let root = Volume::root("vol-1".into(), "i-1", "us-east-1a", image, 0);
        let mut kept = Volume::root("vol-2".into(), "i-1", "us-east-1a", image, 0);
        if let Some(a) = kept.attachment.as_mut() {
            a.delete_on_termination = false;
            a.device = "/dev/xvdb".into();
        }
        let other = Volume::root("vol-3".into(), "i-2", "us-east-1a", image, 0);
        store
            .write(|tx| {
                for v in [&root, &kept, &other] {
                    tx.save_volume(v)?;
                }
                tx.release_instance_volumes("i-1")
            })
            .expect("writes");
        let left = store.read(|tx| tx.volumes()).expect("reads");
        let ids: Vec<_> = left.iter().map(|v| (v.id.as_str(), v.state())).collect();
        assert_eq!(ids, [("vol-2", "available"), ("vol-3", "in-use")]);
        let attached = store.read(|tx| tx.instance_volumes("i-1")).expect("reads");
        assert!(attached.is_empty());
    }
}
