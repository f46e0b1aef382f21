//! Tags between the services' wire types and the core's one
//! [`Tag`](ballast_core::tags::Tag): the single conversion the EC2, ELBv2,
//! IAM, SSM and DynamoDB handlers share (the store keeps `(key, value)`
//! pairs: [`ballast_core::tags::pairs`] / [`ballast_core::tags::from_pairs`]).

use ballast_core::tags::Tag;

/// A service's key/value tag type.
pub(crate) trait WireTag: Sized {
    fn into_core(self) -> Tag;
    fn from_core(tag: Tag) -> Self;
}

impl WireTag for Tag {
    fn into_core(self) -> Tag {
        self
    }

    fn from_core(tag: Tag) -> Self {
        tag
    }
}

impl WireTag for ballast_model::ec2::Tag {
    fn into_core(self) -> Tag {
        Tag::new(self.key.unwrap_or_default(), self.value.unwrap_or_default())
    }

    fn from_core(tag: Tag) -> Self {
        ballast_model::ec2::Tag {
            key: Some(tag.key),
            value: Some(tag.value),
        }
    }
}

impl WireTag for ballast_model::elbv2::Tag {
    fn into_core(self) -> Tag {
        Tag::new(self.key, self.value.unwrap_or_default())
    }

    fn from_core(tag: Tag) -> Self {
        ballast_model::elbv2::Tag {
            key: tag.key,
            value: Some(tag.value),
        }
    }
}

/// The services whose tags, like the core's, carry a required key and a
/// required value.
macro_rules! plain_wire_tags {
    ($($wire:ty),*) => {$(
        impl WireTag for $wire {
            fn into_core(self) -> Tag {
                Tag::new(self.key, self.value)
            }

            fn from_core(tag: Tag) -> Self {
                Self {
                    key: tag.key,
                    value: tag.value,
                }
            }
        }
    )*};
}

plain_wire_tags!(
    ballast_model::iam::Tag,
    ballast_model::dynamodb::Tag,
    ballast_model::ssm::Tag,
    ballast_model::events::Tag
);

/// Request tags as the core's.
pub(crate) fn to_core<T: WireTag>(tags: impl IntoIterator<Item = T>) -> Vec<Tag> {
    tags.into_iter().map(WireTag::into_core).collect()
}

/// Request tags as the `(key, value)` pairs the store keeps (an absent
/// `Value` is empty).
pub(crate) fn to_pairs<T: WireTag>(tags: impl IntoIterator<Item = T>) -> Vec<(String, String)> {
    tags.into_iter()
        .map(|t| {
            let tag = t.into_core();
            (tag.key, tag.value)
        })
        .collect()
}

/// Core tags as a service's.
pub(crate) fn from_core<T: WireTag>(tags: impl IntoIterator<Item = Tag>) -> Vec<T> {
    tags.into_iter().map(T::from_core).collect()
}

/// Stored `(key, value)` pairs as a service's tags.
pub(crate) fn from_pairs<T: WireTag>(pairs: impl IntoIterator<Item = (String, String)>) -> Vec<T> {
    pairs
        .into_iter()
        .map(|pair| T::from_core(pair.into()))
        .collect()
}
