//! IAM groups: a name for a set of users. A group holds permissions
//! policies (attached and inline) as a user does, and every member is
//! allowed what its groups' policies allow; a group is not a principal
//! itself, so nothing signs as a group and no trust policy names one.

use serde::{Deserialize, Serialize};

use crate::Ids;

use super::{Error, IdKind, new_id};

/// How many groups one user may belong to (IAM's `GroupsPerUser` quota).
pub const MAX_GROUPS_PER_USER: usize = 10;
/// How many managed policies a group may have attached (`PoliciesPerGroup`).
pub const MAX_ATTACHED_POLICIES_PER_GROUP: usize = 10;
/// The characters a group's inline policies may hold together (IAM's
/// quota, white space not counted).
pub const MAX_GROUP_INLINE_POLICY_CHARS: usize = 5120;

/// A group, as stored. Its members and policies live in their own tables,
/// keyed by the group's stored name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    /// `AGPA…`.
    pub id: String,
    pub arn: String,
    pub path: String,
    /// Creation time, epoch milliseconds.
    pub created: i64,
}

impl Group {
    pub fn new(ids: &Ids, account: &str, path: String, name: String, now_millis: i64) -> Group {
        Group {
            arn: group_arn(account, &path, &name),
            id: new_id(ids, IdKind::Group),
            name,
            path,
            created: now_millis,
        }
    }
}

/// A group's ARN.
pub fn group_arn(account: &str, path: &str, name: &str) -> String {
    super::arn(account, "group", path, name)
}

/// Whether a user who belongs to `memberships` groups may join one more.
pub fn check_can_join(memberships: usize) -> Result<(), Error> {
    if memberships >= MAX_GROUPS_PER_USER {
        return Err(Error::LimitExceeded(format!(
            "Cannot exceed quota for GroupsPerUser: {MAX_GROUPS_PER_USER}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_look_like_iams() {
        let ids = Ids::seeded(3);
        let group = Group::new(&ids, "000000000000", "/ops/".into(), "admins".into(), 9);
        assert_eq!(group.arn, "arn:aws:iam::000000000000:group/ops/admins");
        assert!(group.id.starts_with("AGPA") && group.id.len() == 21);
    }

    #[test]
    fn a_user_joins_at_most_ten_groups() {
        assert!(check_can_join(9).is_ok());
        assert!(matches!(
            check_can_join(10),
            Err(Error::LimitExceeded(m)) if m == "Cannot exceed quota for GroupsPerUser: 10"
        ));
    }
}
