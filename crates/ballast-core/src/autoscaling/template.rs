//! The launch template a group (or one of its instances, or an instance
//! refresh) names.
//!
//! A leaf module of its own: groups, members, instance refreshes and the
//! controller's decisions all name templates, and the group module uses
//! the other two, so the type cannot live in any of them without a
//! module cycle.

use serde::{Deserialize, Serialize};

/// A launch template as a group names it; `version` as given (`$Latest`,
/// `$Default`, a number; absent means `$Default`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateSpec {
    pub id: String,
    pub name: String,
    pub version: Option<String>,
}
