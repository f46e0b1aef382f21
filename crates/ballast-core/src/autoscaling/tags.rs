//! A group's tags after creation: CreateOrUpdateTags and DeleteTags, and
//! the filters DescribeTags reads.

use super::group::check_tags;
use super::{Error, Group, GroupTag, invalid};

/// The only `ResourceType` Auto Scaling tags.
pub const RESOURCE_TYPE: &str = "auto-scaling-group";

/// DescribeTags' filter names.
pub const FILTERS: [&str; 4] = ["auto-scaling-group", "key", "value", "propagate-at-launch"];

/// Checks a tag's `ResourceType` (absent, or `auto-scaling-group`) and
/// returns the group it names.
pub fn tagged_group<'a>(
    resource_id: Option<&'a str>,
    resource_type: Option<&str>,
) -> Result<&'a str, Error> {
    if let Some(kind) = resource_type.filter(|k| *k != RESOURCE_TYPE) {
        return Err(invalid(format!(
            "Invalid resource type {kind}: the only taggable resource type is {RESOURCE_TYPE}"
        )));
    }
    resource_id
        .filter(|id| !id.is_empty())
        .ok_or_else(|| invalid("A tag must name its Auto Scaling group in ResourceId"))
}

impl Group {
    /// CreateOrUpdateTags: sets each tag, replacing the value and
    /// `PropagateAtLaunch` of a key the group already has. The group keeps
    /// its tags when the result breaks a rule (the 50-tag limit, a
    /// reserved `aws:` key).
    pub fn put_tags(&mut self, tags: &[GroupTag]) -> Result<(), Error> {
        let mut next = self.tags.clone();
        for tag in tags {
            match next.iter_mut().find(|t| t.key == tag.key) {
                Some(existing) => *existing = tag.clone(),
                None => next.push(tag.clone()),
            }
        }
        check_tags(&next)?;
        self.tags = next;
        Ok(())
    }

    /// DeleteTags: removes the tags with these keys (a key the group does
    /// not have is no error, as on AWS).
    pub fn remove_tags(&mut self, keys: &[&str]) {
        self.tags.retain(|t| !keys.contains(&t.key.as_str()));
    }
}

/// DescribeTags' filters. Filters of one name are one filter with every
/// value (AWS merges them); a tag passes when it matches a value of every
/// filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagFilter {
    groups: Option<Vec<String>>,
    keys: Option<Vec<String>>,
    values: Option<Vec<String>>,
    propagate: Option<Vec<String>>,
}

impl TagFilter {
    pub fn parse(filters: &[(String, Vec<String>)]) -> Result<TagFilter, Error> {
        let mut filter = TagFilter::default();
        for (name, values) in filters {
            let slot = match name.as_str() {
                "auto-scaling-group" => &mut filter.groups,
                "key" => &mut filter.keys,
                "value" => &mut filter.values,
                "propagate-at-launch" => &mut filter.propagate,
                other => {
                    return Err(invalid(format!(
                        "Filter type {other} is not correct. Allowed Filter types are: {}",
                        FILTERS.join(" ")
                    )));
                }
            };
            slot.get_or_insert_with(Vec::new)
                .extend(values.iter().cloned());
        }
        Ok(filter)
    }

    pub fn matches(&self, group: &str, tag: &GroupTag) -> bool {
        let passes = |filter: &Option<Vec<String>>, value: &str| {
            filter
                .as_ref()
                .is_none_or(|values| values.iter().any(|v| v == value))
        };
        passes(&self.groups, group)
            && passes(&self.keys, &tag.key)
            && passes(&self.values, &tag.value)
            && passes(
                &self.propagate,
                if tag.propagate { "true" } else { "false" },
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::autoscaling::group::tests::group;

    fn tag(key: &str, value: &str, propagate: bool) -> GroupTag {
        GroupTag {
            key: key.into(),
            value: value.into(),
            propagate,
        }
    }

    #[test]
    fn a_tag_names_its_group_as_an_auto_scaling_group() {
        assert_eq!(tagged_group(Some("web"), Some(RESOURCE_TYPE)), Ok("web"));
        assert_eq!(tagged_group(Some("web"), None), Ok("web"));
        assert!(tagged_group(Some("web"), Some("instance")).is_err());
        assert!(tagged_group(None, Some(RESOURCE_TYPE)).is_err());
    }

    #[test]
    fn putting_tags_adds_and_replaces_and_keeps_the_limit() {
        let mut g = group(0, 1, None);
        g.put_tags(&[tag("team", "web", true), tag("env", "dev", false)])
            .unwrap();
        g.put_tags(&[tag("env", "prod", true)]).unwrap();
        assert_eq!(g.tags, [tag("team", "web", true), tag("env", "prod", true)]);
        let many: Vec<GroupTag> = (0..50).map(|i| tag(&format!("k{i}"), "v", false)).collect();
        assert!(matches!(g.put_tags(&many), Err(Error::LimitExceeded(_))));
        assert_eq!(g.tags.len(), 2, "a refused call changes nothing");
        assert!(g.put_tags(&[tag("aws:reserved", "v", false)]).is_err());
        g.remove_tags(&["team", "absent"]);
        assert_eq!(g.tags, [tag("env", "prod", true)]);
    }

    #[test]
    fn filters_of_one_name_merge_and_all_names_must_match() {
        let filter = TagFilter::parse(&[
            ("key".into(), vec!["env".into()]),
            ("value".into(), vec!["dev".into()]),
            ("value".into(), vec!["prod".into()]),
        ])
        .unwrap();
        assert!(filter.matches("web", &tag("env", "prod", false)));
        assert!(filter.matches("web", &tag("env", "dev", false)));
        assert!(!filter.matches("web", &tag("env", "test", false)));
        assert!(!filter.matches("web", &tag("team", "prod", false)));
        let by_group = TagFilter::parse(&[
            ("auto-scaling-group".into(), vec!["api".into()]),
            ("propagate-at-launch".into(), vec!["true".into()]),
        ])
        .unwrap();
        assert!(by_group.matches("api", &tag("k", "v", true)));
        assert!(!by_group.matches("api", &tag("k", "v", false)));
        assert!(!by_group.matches("web", &tag("k", "v", true)));
        assert!(TagFilter::default().matches("any", &tag("k", "v", false)));
        assert!(matches!(
            TagFilter::parse(&[("tag-key".into(), vec![])]),
            Err(Error::Validation(m)) if m.contains("Filter type tag-key is not correct")
        ));
    }
}
