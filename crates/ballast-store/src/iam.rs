//! IAM: roles, users and their access keys, groups and their members,
//! customer managed policies and their versions, the policies attached to
//! roles, users and groups and their inline policies, and instance
//! profiles.
//!
//! Names are looked up regardless of case, as IAM does (`GetRole` with
//! `webrole` finds `WebRole`); every row that refers to a role or user
//! holds its stored name. Besides the accessors the IAM API uses, this
//! module answers what the rest of Ballast asks of IAM:
//!
//! - [`Tx::policy_documents`]: every permissions document of a role or
//!   user (a user's groups' included), ready for `ballast_core::iam::policy`;
//! - [`Tx::access_key`]: the key a request is signed with;
//! - [`Tx::instance_profile_with_role`] and
//!   [`Tx::instance_profile_with_role_by_arn`]: a profile and its role, for
//!   RunInstances and the instance metadata service;
//! - [`Tx::role`]: a role by name.

use std::collections::HashMap;

use ballast_core::iam::{
    AccessKey, Group, InstanceProfile, ManagedPolicy, PolicyVersion, Role, User, managed,
};
use rusqlite::{OptionalExtension, params};

use crate::{StoreError, Tx};

/// Who holds permissions policies (attached and inline): a role, a user
/// or a group, by stored name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder<'a> {
    Role(&'a str),
    User(&'a str),
    Group(&'a str),
}

impl Holder<'_> {
    fn name(&self) -> &str {
        match self {
            Holder::Role(name) | Holder::User(name) | Holder::Group(name) => name,
        }
    }

    fn column(&self) -> &'static str {
        match self {
            Holder::Role(_) => "role_name",
            Holder::User(_) => "user_name",
            Holder::Group(_) => "group_name",
        }
    }

    fn attachments(&self) -> &'static str {
        match self {
            Holder::Role(_) => "iam_role_attachments",
            Holder::User(_) => "iam_user_attachments",
            Holder::Group(_) => "iam_group_attachments",
        }
    }

    fn inline(&self) -> &'static str {
        match self {
            Holder::Role(_) => "iam_role_inline_policies",
            Holder::User(_) => "iam_user_inline_policies",
            Holder::Group(_) => "iam_group_inline_policies",
        }
    }
}

/// Who a managed policy is attached to, by stored name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyHolders {
    pub roles: Vec<String>,
    pub users: Vec<String>,
    pub groups: Vec<String>,
}

/// An instance profile with the role it holds (at most one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileWithRole {
    pub profile: InstanceProfile,
    /// The role; `None` while the profile is empty. Its `name`, `arn` and
    /// `id` are what instance credentials are issued for.
    pub role: Option<Role>,
}

impl Tx<'_> {
    fn iam_delete(&self, sql: &str, args: impl rusqlite::Params) -> Result<bool, StoreError> {
        Ok(self.execute(sql, args)? > 0)
    }

    // ------------------------------------------------------------ roles

    /// A role by name, whatever the case of `name`.
    pub fn role(&self, name: &str) -> Result<Option<Role>, StoreError> {
        self.record(
            "SELECT record FROM iam_roles WHERE name = ?1",
            params![name],
        )
    }

    /// The role an ARN names (`arn:aws:iam::ACCOUNT:role/PATH/NAME`), if
    /// the account has it.
    pub fn role_by_arn(&self, arn: &str) -> Result<Option<Role>, StoreError> {
        let Some((_, path_and_name)) = arn.split_once(":role/") else {
            return Ok(None);
        };
        let name = path_and_name.rsplit('/').next().unwrap_or(path_and_name);
        self.role(name)
    }

    /// Every role, in no particular order.
    pub fn roles(&self) -> Result<Vec<Role>, StoreError> {
        self.records("SELECT record FROM iam_roles", [])
    }

    /// Inserts a role or saves changes to an existing one (same name).
    pub fn save_role(&self, role: &Role) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO iam_roles (name, arn, record) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET record = excluded.record",
            params![role.name, role.arn, serde_json::to_string(role)?],
        )?;
        Ok(())
    }

    /// Deletes a role with its attachments and inline policies; `false` if
    /// it did not exist. Fails while an instance profile holds it.
    pub fn delete_role(&self, name: &str) -> Result<bool, StoreError> {
        self.iam_delete("DELETE FROM iam_roles WHERE name = ?1", params![name])
    }

    // ------------------------------------------------- managed policies

    /// A customer managed policy by ARN.
    pub fn managed_policy(&self, arn: &str) -> Result<Option<ManagedPolicy>, StoreError> {
        self.record(
            "SELECT record FROM iam_policies WHERE arn = ?1",
            params![arn],
        )
    }

    /// A customer managed policy by name, whatever its path or the case.
    pub fn managed_policy_by_name(&self, name: &str) -> Result<Option<ManagedPolicy>, StoreError> {
        self.record(
            "SELECT record FROM iam_policies WHERE name = ?1",
            params![name],
        )
    }

    /// Every customer managed policy, in no particular order.
    pub fn managed_policies(&self) -> Result<Vec<ManagedPolicy>, StoreError> {
        self.records("SELECT record FROM iam_policies", [])
    }

    /// Inserts a customer managed policy or saves changes to it.
    pub fn save_managed_policy(&self, policy: &ManagedPolicy) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO iam_policies (arn, name, record) VALUES (?1, ?2, ?3)
             ON CONFLICT (arn) DO UPDATE SET record = excluded.record",
            params![policy.arn, policy.name, serde_json::to_string(policy)?],
        )?;
        Ok(())
    }

    /// Deletes a customer managed policy with its versions.
    pub fn delete_managed_policy(&self, arn: &str) -> Result<bool, StoreError> {
        self.iam_delete("DELETE FROM iam_policies WHERE arn = ?1", params![arn])
    }

    /// The versions of a customer managed policy, oldest first.
    pub fn policy_versions(&self, policy_arn: &str) -> Result<Vec<PolicyVersion>, StoreError> {
        self.records(
            "SELECT record FROM iam_policy_versions WHERE policy_arn = ?1 ORDER BY version",
            params![policy_arn],
        )
    }

    /// One version of a customer managed policy.
    pub fn policy_version(
        &self,
        policy_arn: &str,
        number: u32,
    ) -> Result<Option<PolicyVersion>, StoreError> {
        self.record(
            "SELECT record FROM iam_policy_versions WHERE policy_arn = ?1 AND version = ?2",
            params![policy_arn, number],
        )
    }

    /// Adds a version to a stored customer managed policy.
    pub fn insert_policy_version(
        &self,
        policy_arn: &str,
        version: &PolicyVersion,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO iam_policy_versions (policy_arn, version, record) VALUES (?1, ?2, ?3)",
            params![policy_arn, version.number, serde_json::to_string(version)?],
        )?;
        Ok(())
    }

    /// Deletes one version; `false` if it did not exist.
    pub fn delete_policy_version(&self, policy_arn: &str, number: u32) -> Result<bool, StoreError> {
        self.iam_delete(
            "DELETE FROM iam_policy_versions WHERE policy_arn = ?1 AND version = ?2",
            params![policy_arn, number],
        )
    }

    // ------------------------------------------------------------ users

    /// A user by name, whatever the case of `name`.
    pub fn user(&self, name: &str) -> Result<Option<User>, StoreError> {
        self.record(
            "SELECT record FROM iam_users WHERE name = ?1",
            params![name],
        )
    }

    /// Every user, in no particular order.
    pub fn users(&self) -> Result<Vec<User>, StoreError> {
        self.records("SELECT record FROM iam_users", [])
    }

    /// Inserts a user or saves changes to an existing one (same name).
    pub fn save_user(&self, user: &User) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO iam_users (name, arn, record) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET record = excluded.record",
            params![user.name, user.arn, serde_json::to_string(user)?],
        )?;
        Ok(())
    }

    /// Deletes a user (with any keys and policies left); `false` if it did
    /// not exist.
    pub fn delete_user(&self, name: &str) -> Result<bool, StoreError> {
        self.iam_delete("DELETE FROM iam_users WHERE name = ?1", params![name])
    }

    // ----------------------------------------------------------- groups

    /// A group by name, whatever the case of `name`.
    pub fn group(&self, name: &str) -> Result<Option<Group>, StoreError> {
        self.record(
            "SELECT record FROM iam_groups WHERE name = ?1",
            params![name],
        )
    }

    /// Every group, in no particular order.
    pub fn groups(&self) -> Result<Vec<Group>, StoreError> {
        self.records("SELECT record FROM iam_groups", [])
    }

    /// Inserts a group or saves changes to an existing one (same name).
    pub fn save_group(&self, group: &Group) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO iam_groups (name, arn, record) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET record = excluded.record",
            params![group.name, group.arn, serde_json::to_string(group)?],
        )?;
        Ok(())
    }

    /// Deletes a group (with any members and policies left); `false` if it
    /// did not exist.
    pub fn delete_group(&self, name: &str) -> Result<bool, StoreError> {
        self.iam_delete("DELETE FROM iam_groups WHERE name = ?1", params![name])
    }

    /// The users of a stored group.
    pub fn group_members(&self, group_name: &str) -> Result<Vec<User>, StoreError> {
        self.records(
            "SELECT u.record FROM iam_group_members m JOIN iam_users u ON u.name = m.user_name
             WHERE m.group_name = ?1",
            params![group_name],
        )
    }

    /// The groups a stored user belongs to.
    pub fn groups_of_user(&self, user_name: &str) -> Result<Vec<Group>, StoreError> {
        self.records(
            "SELECT g.record FROM iam_group_members m JOIN iam_groups g ON g.name = m.group_name
             WHERE m.user_name = ?1",
            params![user_name],
        )
    }

    /// Makes a stored user a member of a stored group; `false` if it was.
    pub fn add_group_member(&self, group_name: &str, user_name: &str) -> Result<bool, StoreError> {
        Ok(self.execute(
            "INSERT INTO iam_group_members (group_name, user_name) VALUES (?1, ?2)
             ON CONFLICT DO NOTHING",
            params![group_name, user_name],
        )? > 0)
    }

    /// Removes a user from a group; `false` if it was not a member.
    pub fn remove_group_member(
        &self,
        group_name: &str,
        user_name: &str,
    ) -> Result<bool, StoreError> {
        self.iam_delete(
            "DELETE FROM iam_group_members WHERE group_name = ?1 AND user_name = ?2",
            params![group_name, user_name],
        )
    }

    /// An access key by id, whoever holds it.
    pub fn access_key(&self, access_key_id: &str) -> Result<Option<AccessKey>, StoreError> {
        self.record(
            "SELECT record FROM iam_access_keys WHERE access_key_id = ?1",
            params![access_key_id],
        )
    }

    /// A user's access keys, oldest first.
    pub fn access_keys(&self, user_name: &str) -> Result<Vec<AccessKey>, StoreError> {
        let mut keys: Vec<AccessKey> = self.records(
            "SELECT record FROM iam_access_keys WHERE user_name = ?1",
            params![user_name],
        )?;
        keys.sort_by(|a, b| (a.created, &a.access_key_id).cmp(&(b.created, &b.access_key_id)));
        Ok(keys)
    }

    /// Inserts an access key or saves a change to one (its status).
    pub fn save_access_key(&self, key: &AccessKey) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO iam_access_keys (access_key_id, user_name, record) VALUES (?1, ?2, ?3)
             ON CONFLICT (access_key_id) DO UPDATE SET record = excluded.record",
            params![
                key.access_key_id,
                key.user_name,
                serde_json::to_string(key)?
            ],
        )?;
        Ok(())
    }

    /// Deletes an access key; `false` if there was none.
    pub fn delete_access_key(&self, access_key_id: &str) -> Result<bool, StoreError> {
        self.iam_delete(
            "DELETE FROM iam_access_keys WHERE access_key_id = ?1",
            params![access_key_id],
        )
    }

    // ------------------------------------------------------ attachments

    /// The ARNs of the managed policies (AWS's and the account's) attached
    /// to a role, user or group, by ARN.
    pub fn attached_policy_arns(&self, holder: Holder<'_>) -> Result<Vec<String>, StoreError> {
        let sql = format!(
            "SELECT policy_arn FROM {} WHERE {} = ?1 ORDER BY policy_arn",
            holder.attachments(),
            holder.column()
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(params![holder.name()], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Attaches a managed policy to a stored role, user or group; `false`
    /// if it already was.
    pub fn attach_policy(&self, holder: Holder<'_>, policy_arn: &str) -> Result<bool, StoreError> {
        let sql = format!(
            "INSERT INTO {} ({}, policy_arn) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            holder.attachments(),
            holder.column()
        );
        Ok(self.execute(&sql, params![holder.name(), policy_arn])? > 0)
    }

    /// Detaches a managed policy; `false` if it was not attached.
    pub fn detach_policy(&self, holder: Holder<'_>, policy_arn: &str) -> Result<bool, StoreError> {
        let sql = format!(
            "DELETE FROM {} WHERE {} = ?1 AND policy_arn = ?2",
            holder.attachments(),
            holder.column()
        );
        self.iam_delete(&sql, params![holder.name(), policy_arn])
    }

    /// The stored names of the roles, users and groups a managed policy is
    /// attached to, each list by name.
    pub fn policy_holders(&self, policy_arn: &str) -> Result<PolicyHolders, StoreError> {
        let names = |holder: Holder<'_>| -> Result<Vec<String>, StoreError> {
            let sql = format!(
                "SELECT {column} FROM {table} WHERE policy_arn = ?1 ORDER BY {column}",
                column = holder.column(),
                table = holder.attachments(),
            );
            let mut stmt = self.conn().prepare_cached(&sql)?;
            let rows = stmt.query_map(params![policy_arn], |row| row.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        };
        Ok(PolicyHolders {
            roles: names(Holder::Role(""))?,
            users: names(Holder::User(""))?,
            groups: names(Holder::Group(""))?,
        })
    }

    /// How many roles, users and groups each attached managed policy is
    /// attached to, by ARN.
    pub fn policy_attachment_counts(&self) -> Result<HashMap<String, u32>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT policy_arn, COUNT(*) FROM (
                 SELECT policy_arn FROM iam_role_attachments
                 UNION ALL SELECT policy_arn FROM iam_user_attachments
                 UNION ALL SELECT policy_arn FROM iam_group_attachments
             ) GROUP BY policy_arn",
        )?;
        let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many roles, users and groups a managed policy is attached to.
    pub fn policy_attachment_count(&self, policy_arn: &str) -> Result<u32, StoreError> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT (SELECT COUNT(*) FROM iam_role_attachments WHERE policy_arn = ?1)
                      + (SELECT COUNT(*) FROM iam_user_attachments WHERE policy_arn = ?1)
                      + (SELECT COUNT(*) FROM iam_group_attachments WHERE policy_arn = ?1)",
            )?
            .query_row(params![policy_arn], |row| row.get(0))?)
    }

    // -------------------------------------------------- inline policies

    /// One inline policy of a role, user or group: its stored name and
    /// document.
    pub fn inline_policy(
        &self,
        holder: Holder<'_>,
        policy_name: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        let sql = format!(
            "SELECT name, document FROM {} WHERE {} = ?1 AND name = ?2",
            holder.inline(),
            holder.column()
        );
        Ok(self
            .conn()
            .prepare_cached(&sql)?
            .query_row(params![holder.name(), policy_name], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()?)
    }

    /// Every inline policy of a role, user or group as (name, document), by
    /// name.
    pub fn inline_policies(&self, holder: Holder<'_>) -> Result<Vec<(String, String)>, StoreError> {
        let sql = format!(
            "SELECT name, document FROM {} WHERE {} = ?1 ORDER BY name COLLATE BINARY",
            holder.inline(),
            holder.column()
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(params![holder.name()], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Adds or replaces an inline policy of a stored role, user or group. A
    /// replacement keeps the name's stored spelling.
    pub fn put_inline_policy(
        &self,
        holder: Holder<'_>,
        policy_name: &str,
        document: &str,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO {} ({}, name, document) VALUES (?1, ?2, ?3)
             ON CONFLICT ({}, name) DO UPDATE SET document = excluded.document",
            holder.inline(),
            holder.column(),
            holder.column()
        );
        self.execute(&sql, params![holder.name(), policy_name, document])?;
        Ok(())
    }

    /// Deletes an inline policy; `false` if there was none by that name.
    pub fn delete_inline_policy(
        &self,
        holder: Holder<'_>,
        policy_name: &str,
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "DELETE FROM {} WHERE {} = ?1 AND name = ?2",
            holder.inline(),
            holder.column()
        );
        self.iam_delete(&sql, params![holder.name(), policy_name])
    }

    /// The permissions documents that apply to a role, user or group, as
    /// stored JSON: the default version of each attached customer managed
    /// policy, the catalogue document of each attached AWS managed policy
    /// (`ballast_core::iam::managed`), and every inline policy; for a user,
    /// its groups' too, as IAM evaluates them. Parse each with
    /// `PolicyDocument::parse(_, DocumentKind::Identity)` and decide with
    /// `ballast_core::iam::policy::evaluate`.
    ///
    /// One that does not exist has no documents (so everything is
    /// implicitly denied). The permissions boundary is not included.
    pub fn policy_documents(&self, holder: Holder<'_>) -> Result<Vec<String>, StoreError> {
        let mut documents = self.own_policy_documents(holder)?;
        if let Holder::User(user) = holder {
            for group in self.groups_of_user(user)? {
                documents.extend(self.own_policy_documents(Holder::Group(&group.name))?);
            }
        }
        Ok(documents)
    }

    /// The documents attached to or inline in `holder` itself.
    fn own_policy_documents(&self, holder: Holder<'_>) -> Result<Vec<String>, StoreError> {
        let mut documents = Vec::new();
        for arn in self.attached_policy_arns(holder)? {
            documents.extend(self.managed_policy_document(&arn)?);
        }
        documents.extend(
            self.inline_policies(holder)?
                .into_iter()
                .map(|(_, document)| document),
        );
        Ok(documents)
    }

    /// The document of a managed policy now: an AWS managed policy's from
    /// the catalogue, a customer managed policy's default version; `None`
    /// when no such policy exists.
    pub fn managed_policy_document(&self, arn: &str) -> Result<Option<String>, StoreError> {
        if let Some(aws) = managed::by_arn(arn) {
            return Ok(Some(aws.document.to_owned()));
        }
        let Some(policy) = self.managed_policy(arn)? else {
            return Ok(None);
        };
        Ok(self
            .policy_version(arn, policy.default_version)?
            .map(|version| version.document))
    }

    // ------------------------------------------------- instance profiles

    /// An instance profile by name, whatever the case of `name`.
    pub fn instance_profile(&self, name: &str) -> Result<Option<InstanceProfile>, StoreError> {
        self.record(
            "SELECT record FROM iam_instance_profiles WHERE name = ?1",
            params![name],
        )
    }

    /// An instance profile by ARN.
    pub fn instance_profile_by_arn(
        &self,
        arn: &str,
    ) -> Result<Option<InstanceProfile>, StoreError> {
        self.record(
            "SELECT record FROM iam_instance_profiles WHERE arn = ?1",
            params![arn],
        )
    }

    /// Every instance profile, in no particular order.
    pub fn instance_profiles(&self) -> Result<Vec<InstanceProfile>, StoreError> {
        self.records("SELECT record FROM iam_instance_profiles", [])
    }

    /// The instance profiles holding a role.
    pub fn instance_profiles_for_role(
        &self,
        role_name: &str,
    ) -> Result<Vec<InstanceProfile>, StoreError> {
        self.records(
            "SELECT record FROM iam_instance_profiles WHERE role_name = ?1",
            params![role_name],
        )
    }

    /// Inserts an instance profile or saves changes to it (its role).
    pub fn save_instance_profile(&self, profile: &InstanceProfile) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO iam_instance_profiles (name, arn, role_name, record) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO UPDATE SET role_name = excluded.role_name, record = excluded.record",
            params![
                profile.name,
                profile.arn,
                profile.role_name,
                serde_json::to_string(profile)?
            ],
        )?;
        Ok(())
    }

    /// Deletes an instance profile; `false` if it did not exist.
    pub fn delete_instance_profile(&self, name: &str) -> Result<bool, StoreError> {
        self.iam_delete(
            "DELETE FROM iam_instance_profiles WHERE name = ?1",
            params![name],
        )
    }

    /// An instance profile by name with its role: what RunInstances'
    /// `IamInstanceProfile.Name` and the metadata service resolve.
    pub fn instance_profile_with_role(
        &self,
        name: &str,
    ) -> Result<Option<ProfileWithRole>, StoreError> {
        self.instance_profile(name)?
            .map(|p| self.with_role(p))
            .transpose()
    }

    /// An instance profile by ARN with its role (`IamInstanceProfile.Arn`).
    pub fn instance_profile_with_role_by_arn(
        &self,
        arn: &str,
    ) -> Result<Option<ProfileWithRole>, StoreError> {
        self.instance_profile_by_arn(arn)?
            .map(|p| self.with_role(p))
            .transpose()
    }

    fn with_role(&self, profile: InstanceProfile) -> Result<ProfileWithRole, StoreError> {
        let role = match &profile.role_name {
            Some(name) => self.role(name)?,
            None => None,
        };
        Ok(ProfileWithRole { profile, role })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    fn role(name: &str) -> Role {
        Role {
            name: name.into(),
            id: format!("AROA{name}"),
            arn: format!("arn:aws:iam::000000000000:role/{name}"),
            path: "/".into(),
            assume_role_policy_document: "{}".into(),
            description: None,
            max_session_duration: 3600,
            permissions_boundary: None,
            created: 0,
        }
    }

    fn policy(name: &str) -> ManagedPolicy {
        ManagedPolicy {
            name: name.into(),
            id: format!("ANPA{name}"),
            arn: format!("arn:aws:iam::000000000000:policy/{name}"),
            path: "/".into(),
            description: None,
            default_version: 1,
            next_version: 2,
            created: 0,
            updated: 0,
        }
    }

    fn version(number: u32, document: &str) -> PolicyVersion {
        PolicyVersion {
            number,
            document: document.into(),
            created: 0,
        }
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        (dir, store)
    }

    #[test]
    fn names_are_unique_and_found_regardless_of_case() {
        let (_dir, store) = store();
        store.write(|tx| tx.save_role(&role("WebRole"))).unwrap();
        let found = store.read(|tx| tx.role("webrole")).unwrap().unwrap();
        assert_eq!(found.name, "WebRole");
        let mut clash = role("WEBROLE");
        clash.arn = "arn:aws:iam::000000000000:role/other/WEBROLE".into();
        // Same name in another case is the same key: an update, not a second role.
        store.write(|tx| tx.save_role(&clash)).unwrap();
        assert_eq!(store.read(|tx| tx.roles()).unwrap().len(), 1);
    }

    #[test]
    fn policy_documents_gathers_every_kind_for_roles_and_users() {
        let (_dir, store) = store();
        let p = policy("Custom");
        let user = User {
            name: "Builder".into(),
            id: "AIDAEXAMPLE".into(),
            arn: "arn:aws:iam::000000000000:user/Builder".into(),
            path: "/".into(),
            permissions_boundary: None,
            created: 0,
            login_profile: None,
            ssh_public_keys: Vec::new(),
        };
        store
            .write(|tx| {
                tx.save_role(&role("web"))?;
                tx.save_user(&user)?;
                tx.save_managed_policy(&p)?;
                tx.insert_policy_version(&p.arn, &version(1, "old"))?;
                tx.insert_policy_version(&p.arn, &version(2, "new"))?;
                let mut p2 = p.clone();
                p2.default_version = 2;
                tx.save_managed_policy(&p2)?;
                tx.attach_policy(Holder::Role("WEB"), &p.arn)?;
                tx.attach_policy(
                    Holder::Role("web"),
                    "arn:aws:iam::aws:policy/ReadOnlyAccess",
                )?;
                tx.put_inline_policy(Holder::Role("web"), "inline", "mine")?;
                tx.attach_policy(Holder::User("builder"), &p.arn)?;
                tx.put_inline_policy(Holder::User("BUILDER"), "own", "theirs")
            })
            .unwrap();
        let docs = store
            .read(|tx| tx.policy_documents(Holder::Role("web")))
            .unwrap();
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[0], "new", "the default version's document");
        assert!(docs[1].contains("ec2:Describe*"), "the catalogue document");
        assert_eq!(docs[2], "mine");
        let docs = store
            .read(|tx| tx.policy_documents(Holder::User("builder")))
            .unwrap();
        assert_eq!(docs, ["new", "theirs"]);
        assert!(
            store
                .read(|tx| tx.policy_documents(Holder::Role("nobody")))
                .unwrap()
                .is_empty()
        );
        let counts = store.read(|tx| tx.policy_attachment_counts()).unwrap();
        assert_eq!(counts.get(&p.arn), Some(&2), "one role and one user");
        assert_eq!(
            store.read(|tx| tx.policy_attachment_count(&p.arn)).unwrap(),
            2
        );
    }

    #[test]
    fn a_users_documents_include_its_groups_until_it_leaves_them() {
        let (_dir, store) = store();
        let user = User {
            name: "Dev".into(),
            id: "AIDAEXAMPLE".into(),
            arn: "arn:aws:iam::000000000000:user/Dev".into(),
            path: "/".into(),
            permissions_boundary: None,
            created: 0,
            login_profile: None,
            ssh_public_keys: Vec::new(),
        };
        let group = Group {
            name: "Readers".into(),
            id: "AGPAEXAMPLE".into(),
            arn: "arn:aws:iam::000000000000:group/Readers".into(),
            path: "/".into(),
            created: 0,
        };
        store
            .write(|tx| {
                tx.save_user(&user)?;
                tx.save_group(&group)?;
                tx.put_inline_policy(Holder::User("dev"), "own", "mine")?;
                tx.put_inline_policy(Holder::Group("readers"), "shared", "ours")?;
                tx.attach_policy(
                    Holder::Group("READERS"),
                    "arn:aws:iam::aws:policy/ReadOnlyAccess",
                )?;
                assert!(tx.add_group_member("readers", "DEV")?);
                assert!(!tx.add_group_member("Readers", "dev")?, "already a member");
                Ok::<_, StoreError>(())
            })
            .unwrap();
        let docs = store
            .read(|tx| tx.policy_documents(Holder::User("dev")))
            .unwrap();
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[0], "mine");
        assert!(
            docs[1].contains("ec2:Describe*"),
            "the group's attached policy"
        );
        assert_eq!(docs[2], "ours");
        let members = store.read(|tx| tx.group_members("Readers")).unwrap();
        assert_eq!(members, [user]);
        let counts = store.read(|tx| tx.policy_attachment_counts()).unwrap();
        assert_eq!(
            counts.get("arn:aws:iam::aws:policy/ReadOnlyAccess"),
            Some(&1)
        );

        assert!(
            store
                .write(|tx| tx.remove_group_member("Readers", "Dev"))
                .unwrap()
        );
        let docs = store
            .read(|tx| tx.policy_documents(Holder::User("dev")))
            .unwrap();
        assert_eq!(docs, ["mine"]);
        store
            .write(|tx| tx.add_group_member("Readers", "Dev").map(drop))
            .unwrap();
        assert!(store.write(|tx| tx.delete_group("readers")).unwrap());
        assert!(
            store
                .read(|tx| tx.groups_of_user("Dev"))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn access_keys_are_found_by_id_and_listed_by_user() {
        let (_dir, store) = store();
        let user = User {
            name: "ci".into(),
            id: "AIDAEXAMPLE".into(),
            arn: "arn:aws:iam::000000000000:user/ci".into(),
            path: "/".into(),
            permissions_boundary: None,
            created: 0,
            login_profile: None,
            ssh_public_keys: Vec::new(),
        };
        let ids = ballast_core::Ids::seeded(4);
        let first = AccessKey::issue(&ids, "ci", 0, 1).unwrap();
        let second = AccessKey::issue(&ids, "ci", 1, 2).unwrap();
        store
            .write(|tx| {
                tx.save_user(&user)?;
                tx.save_access_key(&second)?;
                tx.save_access_key(&first)
            })
            .unwrap();
        let listed = store.read(|tx| tx.access_keys("CI")).unwrap();
        assert_eq!(listed, [first.clone(), second.clone()], "oldest first");
        assert_eq!(
            store
                .read(|tx| tx.access_key(&second.access_key_id))
                .unwrap(),
            Some(second.clone())
        );
        assert!(
            store
                .write(|tx| tx.delete_access_key(&first.access_key_id))
                .unwrap()
        );
        assert!(
            !store
                .write(|tx| tx.delete_access_key(&first.access_key_id))
                .unwrap()
        );
        assert_eq!(store.read(|tx| tx.access_keys("ci")).unwrap(), [second]);
    }

    #[test]
    fn instance_profiles_resolve_their_role_by_name_and_arn() {
        let (_dir, store) = store();
        let profile = InstanceProfile {
            name: "web".into(),
            id: "AIPAweb".into(),
            arn: "arn:aws:iam::000000000000:instance-profile/web".into(),
            path: "/".into(),
            created: 0,
            role_name: Some("WebRole".into()),
        };
        store
            .write(|tx| {
                tx.save_role(&role("WebRole"))?;
                tx.save_instance_profile(&profile)
            })
            .unwrap();
        let by_name = store
            .read(|tx| tx.instance_profile_with_role("WEB"))
            .unwrap()
            .unwrap();
        assert_eq!(
            by_name.role.unwrap().arn,
            "arn:aws:iam::000000000000:role/WebRole"
        );
        let by_arn = store
            .read(|tx| tx.instance_profile_with_role_by_arn(&profile.arn))
            .unwrap()
            .unwrap();
        assert_eq!(by_arn.profile, profile);
        // The database refuses to delete a role a profile still holds.
        assert!(store.write(|tx| tx.delete_role("WebRole")).is_err());
        let empty = InstanceProfile {
            role_name: None,
            ..profile
        };
        store.write(|tx| tx.save_instance_profile(&empty)).unwrap();
        assert!(store.write(|tx| tx.delete_role("WebRole")).unwrap());
        let without = store
            .read(|tx| tx.instance_profile_with_role("web"))
            .unwrap()
            .unwrap();
        assert!(without.role.is_none());
        assert_eq!(
            store
                .read(|tx| tx.instance_profile_with_role("nope"))
                .unwrap(),
            None
        );
    }

    #[test]
    fn deleting_a_policy_takes_its_versions() {
        let (_dir, store) = store();
        let p = policy("P");
        store
            .write(|tx| {
                tx.save_managed_policy(&p)?;
                tx.insert_policy_version(&p.arn, &version(1, "d"))
            })
            .unwrap();
        assert!(store.write(|tx| tx.delete_managed_policy(&p.arn)).unwrap());
        assert!(
            store
                .read(|tx| tx.policy_versions(&p.arn))
                .unwrap()
                .is_empty()
        );
    }
}
