//! awsQuery and ec2Query request decoding.
//!
//! A form body such as `Targets.member.1.Id=i-1&Targets.member.1.Port=80`
//! becomes a [`Node`] tree (see [`form`]), and [`de`] deserializes that tree
//! into any `serde` type: lists are recognised by their 1-based numeric keys
//! (with or without a `member`/`item` segment), scalars are parsed from text,
//! and an empty value stands for an empty list. No crate does this for AWS's
//! dotted form syntax (serde_qs speaks brackets), hence the hand-written
//! deserializer.

pub mod de;
pub mod form;

pub use de::{DecodeError, from_node};
pub use form::{FormError, Node, parse_form};
