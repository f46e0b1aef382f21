//! `Describe*` filters: `Filter.N.Name` with `Filter.N.Value.M`.
//!
//! Filters are ANDed, the values of one filter ORed; values may use `*`
//! (any run of characters) and `?` (one character), as on EC2. `tag:KEY`
//! matches a tag's value, `tag-key` a tag's key and `tag-value` any value.

use super::{Error, invalid};

/// One filter of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub name: String,
    pub values: Vec<String>,
}

/// What a resource offers for filtering: its values for a filter name
/// (empty when it has none), and its tags.
pub trait Filterable {
    /// The names of the filters this kind of resource supports, beyond the
    /// tag filters.
    const FILTERS: &'static [&'static str];

    /// Whether tag filters apply.
    const TAGGED: bool = true;

    /// The resource's values for a supported filter name.
    fn values(&self, name: &str) -> Vec<String>;
}

/// Checks that every filter is one the resource kind supports.
pub fn check<T: Filterable>(filters: &[Filter]) -> Result<(), Error> {
    for filter in filters {
        let name = filter.name.as_str();
        let tag_filter = name.starts_with("tag:") || matches!(name, "tag-key" | "tag-value");
        if !(T::FILTERS.contains(&name) || (T::TAGGED && tag_filter)) {
            return Err(invalid(format!("The filter '{name}' is invalid")));
        }
    }
    Ok(())
}

/// Whether a resource with `tags` passes every filter.
pub fn matches<T: Filterable>(item: &T, tags: &[(String, String)], filters: &[Filter]) -> bool {
    filters.iter().all(|filter| {
        let name = filter.name.as_str();
        let candidates: Vec<String> = if let Some(key) = name.strip_prefix("tag:") {
            tags.iter()
                .filter(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .collect()
        } else if name == "tag-key" {
            tags.iter().map(|(k, _)| k.clone()).collect()
        } else if name == "tag-value" {
            tags.iter().map(|(_, v)| v.clone()).collect()
        } else {
            item.values(name)
        };
        filter
            .values
            .iter()
            .any(|pattern| candidates.iter().any(|c| glob(pattern, c)))
    })
}

/// `*` matches any run of characters, `?` exactly one; `\` escapes either.
pub fn glob(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    glob_at(&pattern, &text)
}

fn glob_at(pattern: &[char], text: &[char]) -> bool {
    // Iterative matching with backtracking to the last star.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
                continue;
            }
            Some('?') => {
                p += 1;
                t += 1;
                continue;
            }
            Some('\\') if pattern.get(p + 1).is_some_and(|c| *c == text[t]) => {
                p += 2;
                t += 1;
                continue;
            }
            Some(c) if *c == text[t] && *c != '\\' => {
                p += 1;
                t += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, st)) => {
                p = sp + 1;
                t = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Thing(&'static str);

    impl Filterable for Thing {
        const FILTERS: &'static [&'static str] = &["name"];
        fn values(&self, name: &str) -> Vec<String> {
            match name {
                "name" => vec![self.0.to_owned()],
                _ => Vec::new(),
            }
        }
    }

    fn f(name: &str, values: &[&str]) -> Filter {
        Filter {
            name: name.into(),
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        }
    }

    #[test]
    fn globs() {
        assert!(glob(
            "al2023-ami-*-x86_64",
            "al2023-ami-2023.6-kernel-6.1-x86_64"
        ));
        assert!(glob("web?", "web1"));
        assert!(!glob("web?", "web12"));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "aXXbYYc"));
        assert!(!glob("a*b*c", "aXXbYY"));
        assert!(glob("a\\*", "a*"));
        assert!(!glob("a\\*", "ab"));
    }

    #[test]
    fn filters_and_across_or_within() {
        let tags = vec![("env".to_owned(), "prod".to_owned())];
        let thing = Thing("web");
        assert!(matches(&thing, &tags, &[f("name", &["api", "web"])]));
        assert!(!matches(
            &thing,
            &tags,
            &[f("name", &["web"]), f("tag:env", &["dev"])]
        ));
        assert!(matches(
            &thing,
            &tags,
            &[f("tag-key", &["env"]), f("tag:env", &["p*"])]
        ));
        assert!(check::<Thing>(&[f("tag:x", &[])]).is_ok());
        assert!(check::<Thing>(&[f("colour", &[])]).is_err());
    }
}
