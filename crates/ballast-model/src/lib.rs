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
pub mod required;
pub mod rules;
mod services;
mod xml_list;

pub use blob::Blob;
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

/// The parts every generated enum shares: wire text both ways through
/// serde, `Display`, and how validation and messages see it.
#[macro_export]
#[doc(hidden)]
macro_rules! model_enum {
    ($name:ident) => {
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
}
