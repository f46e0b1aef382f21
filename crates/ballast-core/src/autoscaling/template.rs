//! What a group (or one of its instances, or an instance refresh) launches
//! from: a launch template, or a launch configuration.
//!
//! A leaf module of its own: groups, members, instance refreshes and the
//! controller's decisions all name templates, and the group module uses
//! the other two, so the type cannot live in any of them without a
//! module cycle.

use serde::{Deserialize, Serialize};

/// A launch template as a group names it; `version` as given (`$Latest`,
/// `$Default`, a number; absent means `$Default`). When `configuration`
/// is set the group launches from that launch configuration instead, and
/// the template members are empty: one type for both sources keeps every
/// decision that compares "the group's current launch source" (scale-in's
/// `OldestLaunchTemplate`/`OldestLaunchConfiguration`, instance refresh)
/// one comparison, and old records (without the member) read unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateSpec {
    pub id: String,
    pub name: String,
    pub version: Option<String>,
    /// The launch configuration's name, for a group launching from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<String>,
}

impl TemplateSpec {
    /// A launch source that is the launch configuration `name`.
    pub fn configuration(name: impl Into<String>) -> TemplateSpec {
        TemplateSpec {
            configuration: Some(name.into()),
            ..TemplateSpec::default()
        }
    }

    /// The launch configuration this names, if it names one.
    pub fn configuration_name(&self) -> Option<&str> {
        self.configuration.as_deref()
    }
}
