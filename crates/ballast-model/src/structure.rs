//! `structure!`, the one definition of what every generated structure is.
//!
//! The generator writes one short invocation per shape; this macro turns
//! it into the struct with its serde renames, and for a structure an input
//! reaches, its `Validate` and `Echo` impls and its `REQUIRED_*` static.
//! Keeping that scaffolding here, written once by hand, leaves the
//! generated modules listing only what differs from shape to shape.

/// Defines a generated structure.
///
/// ```text
/// crate::structure! {
///     /// Docs and extra attributes (`#[derive(Default)]`) of the struct.
///     PutItemInput {
///         /// A required member: `name: Type = "Wire"`.
///         table_name: String = "TableName", "tableName";
///         /// An optional member (`Option<Type>`, skipped when absent).
///         expected?: BTreeMap<String, ExpectedAttributeValue> = "Expected", "expected";
///         /// Written and read under different names (EC2 inputs).
///         dry_run?: bool = "dryRun" | "DryRun", "dryRun";
///         /// Hidden in validation messages.
///         password?: String = "Password", "password" redacted;
///     }
///     // Only for structures an input reaches: the name messages echo and
///     // the body of `Validate::check`, the fields reached through `this`.
///     input "PutItemInput" |this, at, out| { /* checks */ }
///     // Only where the service validates: what the input requires.
///     required REQUIRED_PUT_ITEM_INPUT [RequiredMember { .. }]
/// }
/// ```
///
/// After each member's wire name comes its name in messages (`Echo`),
/// written for input structures only.
#[macro_export]
#[doc(hidden)]
macro_rules! structure {
    (
        $(#[$attr:meta])*
        $name:ident { $($fields:tt)* }
        $($rest:tt)*
    ) => {
        $crate::structure!(@munch [$(#[$attr])* $name] [$($rest)*] [] [] $($fields)*);
    };

    // One member at a time: its field, and its `Echo` entry if it has one.
    (@munch $head:tt $rest:tt [$($f:tt)*] [$($e:tt)*]
        $(#[$doc:meta])* $field:ident: $ty:ty = $wire:literal
        $(, $echo:literal $($hidden:ident)?)?; $($tail:tt)*
    ) => {
        $crate::structure!(@munch $head $rest
            [$($f)* $(#[$doc])* #[serde(rename = $wire)] pub $field: $ty,]
            [$($e)* $([$echo $field $($hidden)?])?] $($tail)*);
    };
    (@munch $head:tt $rest:tt [$($f:tt)*] [$($e:tt)*]
        $(#[$doc:meta])* $field:ident: $ty:ty = $wire:literal | $read:literal
        $(, $echo:literal $($hidden:ident)?)?; $($tail:tt)*
    ) => {
        $crate::structure!(@munch $head $rest
            [$($f)* $(#[$doc])* #[serde(rename(serialize = $wire, deserialize = $read))]
                pub $field: $ty,]
            [$($e)* $([$echo $field $($hidden)?])?] $($tail)*);
    };
    (@munch $head:tt $rest:tt [$($f:tt)*] [$($e:tt)*]
        $(#[$doc:meta])* $field:ident?: $ty:ty = $wire:literal
        $(, $echo:literal $($hidden:ident)?)?; $($tail:tt)*
    ) => {
        $crate::structure!(@munch $head $rest
            [$($f)* $(#[$doc])* #[serde(rename = $wire, skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,]
            [$($e)* $([$echo $field $($hidden)?])?] $($tail)*);
    };
    (@munch $head:tt $rest:tt [$($f:tt)*] [$($e:tt)*]
        $(#[$doc:meta])* $field:ident?: $ty:ty = $wire:literal | $read:literal
        $(, $echo:literal $($hidden:ident)?)?; $($tail:tt)*
    ) => {
        $crate::structure!(@munch $head $rest
            [$($f)* $(#[$doc])*
                #[serde(rename(serialize = $wire, deserialize = $read), skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,]
            [$($e)* $([$echo $field $($hidden)?])?] $($tail)*);
    };
    (@munch [$(#[$attr:meta])* $name:ident] [$($rest:tt)*] [$($f:tt)*] [$($e:tt)*]) => {
        $(#[$attr])*
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        pub struct $name { $($f)* }

        $crate::structure!(@impls $name [$($e)*] $($rest)*);
    };

    // An output-only structure: the struct is all.
    (@impls $name:ident [$($e:tt)*]) => {};
    (@impls $name:ident [$([$echo:literal $field:ident $($hidden:ident)?])*]
        input $shape:literal |$this:ident, $at:ident, $out:ident| { $($body:tt)* }
        $(required $required:ident [$($member:expr),* $(,)?])?
    ) => {
        impl $crate::Validate for $name {
            fn check(&self, $at: &str, $out: &mut Vec<::ballast_wire::Violation>) {
                #[allow(unused_variables)]
                let $this = self;
                let _ = (&$at, &$out);
                $($body)*
            }

            $(fn required() -> &'static $crate::Required {
                &$required
            })?
        }

        $(
            #[doc = concat!("What [`", stringify!($name), "`] requires, for reporting every missing member at once.")]
            pub static $required: $crate::Required = $crate::Required { members: &[$($member),*] };
        )?

        impl $crate::Echo for $name {
            fn echo(&self, out: &mut String) {
                $crate::rules::echo_struct(
                    out,
                    $shape,
                    &[$(($echo, $crate::structure!(@shown self $field $($hidden)?))),*],
                );
            }
        }
    };

    (@shown $this:tt $field:ident) => { &$this.$field };
    (@shown $this:tt $field:ident redacted) => { &$crate::rules::Redacted };
}
