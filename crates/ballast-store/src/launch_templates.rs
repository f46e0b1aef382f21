//! EC2 launch templates and their versions.
//!
//! A template row holds the template's record (default and latest version,
//! creator, client token); each version is its own row, deleted with the
//! template. RunInstances and Auto Scaling read a template with
//! [`Tx::find_launch_template`] and pick a version with
//! [`Tx::resolve_launch_template`], which applies the same `$Latest` /
//! `$Default` rules as the EC2 API (`ballast_core::ec2::launch_template`).

use ballast_core::ec2::launch_template::{
    self, LaunchTemplate, LaunchTemplateVersion, TemplateRef,
};
use rusqlite::params;

use crate::{StoreError, Tx};

impl Tx<'_> {
    /// A launch template by id.
    pub fn launch_template(&self, id: &str) -> Result<Option<LaunchTemplate>, StoreError> {
        self.record(
            "SELECT record FROM ec2_launch_templates WHERE id = ?1",
            [id],
        )
    }

    /// A launch template by name (names are unique and case-sensitive).
    pub fn launch_template_by_name(
        &self,
        name: &str,
    ) -> Result<Option<LaunchTemplate>, StoreError> {
        self.record(
            "SELECT record FROM ec2_launch_templates WHERE name = ?1",
            [name],
        )
    }

    /// A launch template by id or by name, as a request names it.
    pub fn find_launch_template(
        &self,
        by: &TemplateRef,
    ) -> Result<Option<LaunchTemplate>, StoreError> {
        match by {
            TemplateRef::Id(id) => self.launch_template(id),
            TemplateRef::Name(name) => self.launch_template_by_name(name),
        }
    }

    /// The launch template a CreateLaunchTemplate call with this
    /// `ClientToken` made, for idempotent retries.
    pub fn launch_template_by_client_token(
        &self,
        token: &str,
    ) -> Result<Option<LaunchTemplate>, StoreError> {
        self.record(
            "SELECT record FROM ec2_launch_templates WHERE client_token = ?1",
            [token],
        )
    }

    /// Every launch template, by name.
    pub fn launch_templates(&self) -> Result<Vec<LaunchTemplate>, StoreError> {
        self.records("SELECT record FROM ec2_launch_templates ORDER BY name", [])
    }

    /// Inserts a new template, or replaces the record of an existing one
    /// (its name and client token never change).
    pub fn save_launch_template(&self, template: &LaunchTemplate) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ec2_launch_templates (id, name, client_token, record)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET record = excluded.record",
            params![
                template.id,
                template.name,
                template.client_token,
                serde_json::to_string(template)?
            ],
        )?;
        Ok(())
    }

    /// Deletes a template and all its versions; `false` if it did not
    /// exist. Its tags are the caller's to clear.
    pub fn delete_launch_template(&self, id: &str) -> Result<bool, StoreError> {
        self.execute(
            "DELETE FROM ec2_launch_template_versions WHERE template_id = ?1",
            params![id],
        )?;
        let n = self.execute(
            "DELETE FROM ec2_launch_templates WHERE id = ?1",
            params![id],
        )?;
        Ok(n > 0)
    }

    /// Every version of a template, oldest first.
    pub fn launch_template_versions(
        &self,
        template_id: &str,
    ) -> Result<Vec<LaunchTemplateVersion>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT record FROM ec2_launch_template_versions
             WHERE template_id = ?1 ORDER BY version",
        )?;
        let rows = stmt.query_map(params![template_id], |row| row.get::<_, String>(0))?;
        rows.map(|r| Ok(serde_json::from_str(&r?)?)).collect()
    }

    /// One version of a template.
    pub fn launch_template_version(
        &self,
        template_id: &str,
        number: i64,
    ) -> Result<Option<LaunchTemplateVersion>, StoreError> {
        self.record(
            "SELECT record FROM ec2_launch_template_versions
             WHERE template_id = ?1 AND version = CAST(?2 AS INTEGER)",
            [template_id, &number.to_string()],
        )
    }

    /// Inserts a version (its template must exist).
    pub fn insert_launch_template_version(
        &self,
        version: &LaunchTemplateVersion,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ec2_launch_template_versions (template_id, version, record)
             VALUES (?1, ?2, ?3)",
            params![
                version.template_id,
                version.number,
                serde_json::to_string(version)?
            ],
        )?;
        Ok(())
    }

    /// Deletes one version; `false` if it did not exist.
    pub fn delete_launch_template_version(
        &self,
        template_id: &str,
        number: i64,
    ) -> Result<bool, StoreError> {
        let n = self.execute(
            "DELETE FROM ec2_launch_template_versions WHERE template_id = ?1 AND version = ?2",
            params![template_id, number],
        )?;
        Ok(n > 0)
    }

    /// The template a launch names and the version it asks for (`None`
    /// is `$Default`): what RunInstances and Auto Scaling launch from. A
    /// missing template or version is the EC2 error the API answers with
    /// (`InvalidLaunchTemplateId.NotFound`,
    /// `InvalidLaunchTemplateName.NotFoundException`,
    /// `InvalidLaunchTemplateId.VersionNotFound`); callers in other services
    /// map it to their own.
    pub fn resolve_launch_template<E>(
        &self,
        by: &TemplateRef,
        version: Option<&str>,
    ) -> Result<(LaunchTemplate, LaunchTemplateVersion), E>
    where
        E: From<StoreError> + From<ballast_core::ec2::Error>,
    {
        let template = self
            .find_launch_template(by)?
            .ok_or_else(|| by.not_found())?;
        let versions = self.launch_template_versions(&template.id)?;
        let chosen = launch_template::resolve(&template, &versions, version)?.clone();
        Ok((template, chosen))
    }
}

#[cfg(test)]
mod tests {
    use ballast_core::ec2::Error as Rule;
    use ballast_core::ec2::launch_template::{
        LaunchTemplate, LaunchTemplateVersion, TemplateData, TemplateRef,
    };

    use crate::{Store, StoreError};

    #[derive(Debug)]
    enum TestError {
        Store(#[allow(dead_code)] StoreError),
        Rule(Rule),
    }

    impl From<StoreError> for TestError {
        fn from(e: StoreError) -> Self {
            TestError::Store(e)
        }
    }

    impl From<Rule> for TestError {
        fn from(e: Rule) -> Self {
            TestError::Rule(e)
        }
    }

    fn version(template: &LaunchTemplate, number: i64, image: &str) -> LaunchTemplateVersion {
        LaunchTemplateVersion {
            template_id: template.id.clone(),
            number,
            description: None,
            created_millis: 0,
            created_by: "u".into(),
            data: TemplateData {
                image_id: Some(image.into()),
                ..TemplateData::default()
            },
            client_token: None,
        }
    }

    #[test]
    fn templates_versions_and_resolution() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut template = LaunchTemplate::new(
            "lt-0123456789abcdef0".into(),
            "web".into(),
            0,
            "u".into(),
            Some("token-1".into()),
        );
        store
            .write(|tx| -> Result<(), StoreError> {
                tx.save_launch_template(&template)?;
                tx.insert_launch_template_version(&version(&template, 1, "ami-1"))?;
                template.next_version();
                tx.insert_launch_template_version(&version(&template, 2, "ami-2"))?;
                tx.save_launch_template(&template)
            })
            .unwrap();

        let by_name = TemplateRef::Name("web".into());
        let (found, latest) = store
            .read(|tx| tx.resolve_launch_template::<TestError>(&by_name, Some("$Latest")))
            .unwrap();
        assert_eq!((found.latest_version, latest.number), (2, 2));
        let (_, default) = store
            .read(|tx| tx.resolve_launch_template::<TestError>(&by_name, None))
            .unwrap();
        assert_eq!(default.data.image_id.as_deref(), Some("ami-1"));
        assert!(matches!(
            store.read(|tx| tx.resolve_launch_template::<TestError>(&by_name, Some("7"))),
            Err(TestError::Rule(Rule::LaunchTemplateVersionNotFound(_)))
        ));
        let missing = TemplateRef::Id("lt-00000000000000000".into());
        assert!(matches!(
            store.read(|tx| tx.resolve_launch_template::<TestError>(&missing, None)),
            Err(TestError::Rule(Rule::LaunchTemplateIdNotFound(_)))
        ));
        let by_token = store
            .read(|tx| tx.launch_template_by_client_token("token-1"))
            .unwrap();
        assert_eq!(by_token.map(|t| t.id), Some(template.id.clone()));
        assert_eq!(
            store
                .read(|tx| tx.launch_template_version(&template.id, 2))
                .unwrap()
                .map(|v| v.number),
            Some(2)
        );

        // Names are unique; deleting a template takes its versions.
        let clash = LaunchTemplate::new("lt-1".into(), "web".into(), 0, "u".into(), None);
        assert!(store.write(|tx| tx.save_launch_template(&clash)).is_err());
        assert!(
            store
                .write(|tx| tx.delete_launch_template(&template.id))
                .unwrap()
        );
        assert!(
            store
                .read(|tx| tx.launch_template_versions(&template.id))
                .unwrap()
                .is_empty()
        );
        assert!(store.read(|tx| tx.launch_templates()).unwrap().is_empty());
    }
}
