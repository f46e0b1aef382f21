//! Ballast's wire types, generated from AWS's own service models.
//!
//! `src/services/` is written by `crates/ballast-codegen` (run
//! `scripts/codegen`) from the botocore version `operations.toml` pins: one
//! module per service with a struct per input, output and nested structure
//! (serde names are the wire names), an enum per model enum (with an
//! `Unknown` arm), [`Validate`] for everything an input reaches, and the
//! service's error shapes. This file and [`rules`] are the hand-written
//! runtime those modules use.

mod blob;
pub mod member_names;
mod prewritten;
pub mod required;
pub mod rules;
mod services;
mod structure;
mod xml_list;

pub use blob::Blob;
pub use prewritten::Prewritten;
pub use required::{Inner, Required, RequiredMember};
pub use rules::{Echo, Pattern, Validate};
pub use services::*;
pub use xml_list::{Flattened, Spelling, XmlList};

use ballast_wire::Fault;

/// An error shape from the model: its code on the wire, HTTP status and
/// who is at fault, as its `error` traits say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorShape {
    /// The shape's name in the model.
    pub shape: &'static str,
    /// The code clients read (`ParameterNotFound`).
    pub code: &'static str,
    pub status: u16,
    pub fault: Fault,
}

/// A generated enum, from its variants and their wire values: the type
/// (with an `Unknown` arm for values this model version does not list),
/// `VALUES`, `as_str`, `From<&str>`, wire text both ways through serde,
/// `Display`, and how validation and messages see it. The generator lists
/// each variant once; `order` is given where AWS's messages list the values
/// otherwise than the model.
#[macro_export]
#[doc(hidden)]
macro_rules! model_enum {
    (
        $(#[$attr:meta])*
        $name:ident { $($variant:ident = $value:literal),* $(,)? }
        $(order [$($ordered:literal),* $(,)?])?
    ) => {
        $(#[$attr])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $(#[doc = concat!("`", $value, "`")] $variant,)*
            /// A value this model version does not list (refused by validation).
            Unknown(String),
        }

        impl $name {
            /// The model's values, in the order AWS's messages list them.
            pub const VALUES: &'static [&'static str] =
                $crate::model_enum!(@values [$($value),*] $([$($ordered),*])?);

            /// The value as the wire carries it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $value,)*
                    Self::Unknown(v) => v,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($value => Self::$variant,)*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <String as ::serde::Deserialize>::deserialize(d)?;
                Ok($name::from(text.as_str()))
            }
        }

        impl $crate::rules::ModelEnum for $name {
            fn values() -> &'static [&'static str] {
                $name::VALUES
            }

            fn is_known(&self) -> bool {
                !matches!(self, $name::Unknown(_))
            }

            fn wire(&self) -> &str {
                self.as_str()
            }
        }

        impl $crate::rules::Echo for $name {
            fn echo(&self, out: &mut String) {
                out.push_str(self.as_str());
            }
        }
    };

    (@values [$($value:literal),*]) => { &[$($value),*] };
    (@values [$($value:literal),*] [$($ordered:literal),*]) => { &[$($ordered),*] };
}
