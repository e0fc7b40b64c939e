//! Support for generated code (`#[polyn::handler]`, `polyn-build`). Not a
//! public API: it may change in any release.

pub use serde_json::Value;
pub use std::sync::Arc;

// The crates `polyn-build` output names, so users depend on `polyn` only.
pub use chrono;
pub use serde;
pub use serde_json;
pub use uuid;

pub use std::time::Duration;

pub use crate::binder::{Binder, Bound};
pub use crate::consumer::Context;
pub use crate::conversion_error::{Constraint, ConversionError};
pub use crate::error::Error;
pub use crate::event::Event;
pub use crate::event_type::EventType;
pub use crate::handler::{Handler, HandlerSpec};
pub use crate::invalid_message::InvalidMessage;
pub use crate::outcome::{BoxError, IntoOutcome, Outcome};
pub use crate::state::State;
pub use crate::support::{SUPPORT_VERSION, require_support};
pub use futures_util::future::BoxFuture;

/// The message name of a handler's event type, noting that the process
/// handles it (for drift detection).
pub fn event_name<T: EventType>() -> &'static str {
    crate::drift::note::<T>();
    T::NAME
}

/// The outcome a handler's return value stands for.
pub fn outcome<R: IntoOutcome>(result: R) -> Result<Outcome, BoxError> {
    result.into_outcome()
}

/// A request handler's reply, with its error boxed.
pub fn reply<R: EventType, E: Into<BoxError>>(result: Result<R, E>) -> Result<R, BoxError> {
    result.map_err(Into::into)
}

// Conversions of the types `polyn-build` generates. polyn-build's test stub
// of this crate (`polyn-build/tests/fixtures/polyn-stub`) holds the same text
// from here to the end marker, and a test there keeps the two equal.
// BEGIN generated conversions

/// Checks that `value` has at least `min` and at most `max` characters;
/// the check of the generated string type `type_name` with `minLength` or
/// `maxLength`.
///
/// ```
/// use polyn::__private::check_length;
/// assert!(check_length("Code", "abcd", Some(1), Some(4)).is_ok());
/// let err = check_length("Code", "abcde", Some(1), Some(4)).unwrap_err();
/// assert_eq!(err.to_string(), "`Code` must be at most 4 characters long: \"abcde\" has 5");
/// let err = check_length("Code", "", Some(1), None).unwrap_err();
/// assert_eq!(err.to_string(), "`Code` must be at least 1 characters long: \"\" has 0");
/// ```
pub fn check_length(
    type_name: &'static str,
    value: &str,
    min: Option<usize>,
    max: Option<usize>,
) -> Result<(), ConversionError> {
    let count = value.chars().count();
    if let Some(max) = max
        && count > max
    {
        return Err(ConversionError::new(
            type_name,
            Constraint::MaxLength(max),
            value,
        ));
    }
    if let Some(min) = min
        && count < min
    {
        return Err(ConversionError::new(
            type_name,
            Constraint::MinLength(min),
            value,
        ));
    }
    Ok(())
}

/// The conversions of a generated string type whose length is bounded:
/// `Deref<Target = String>`, `From<Type> for String`, and `FromStr`,
/// `TryFrom<&str>`, `TryFrom<String>` and `Deserialize`, which check the
/// length (see [`check_length`]) and fail with [`ConversionError`].
///
/// `string_newtype!(Code, min = 2, max = 2)` for `pub struct Code(String);`;
/// either bound may be left out.
#[doc(hidden)]
#[macro_export]
macro_rules! __polyn_string_newtype {
    (@bound) => {
        ::core::option::Option::None
    };
    (@bound $value:literal) => {
        ::core::option::Option::Some($value)
    };
    ($name:ident $(, min = $min:literal)? $(, max = $max:literal)? $(,)?) => {
        impl ::core::ops::Deref for $name {
            type Target = ::std::string::String;
            fn deref(&self) -> &::std::string::String {
                &self.0
            }
        }
        impl ::core::convert::From<$name> for ::std::string::String {
            fn from(value: $name) -> Self {
                value.0
            }
        }
        impl ::core::str::FromStr for $name {
            type Err = $crate::__private::ConversionError;
            fn from_str(value: &str) -> ::core::result::Result<Self, Self::Err> {
                $crate::__private::check_length(
                    ::core::stringify!($name),
                    value,
                    $crate::__polyn_string_newtype!(@bound $($min)?),
                    $crate::__polyn_string_newtype!(@bound $($max)?),
                )?;
                ::core::result::Result::Ok(Self(::std::borrow::ToOwned::to_owned(value)))
            }
        }
        impl ::core::convert::TryFrom<&str> for $name {
            type Error = $crate::__private::ConversionError;
            fn try_from(value: &str) -> ::core::result::Result<Self, Self::Error> {
                <Self as ::core::str::FromStr>::from_str(value)
            }
        }
        impl ::core::convert::TryFrom<::std::string::String> for $name {
            type Error = $crate::__private::ConversionError;
            fn try_from(value: ::std::string::String) -> ::core::result::Result<Self, Self::Error> {
                $crate::__private::check_length(
                    ::core::stringify!($name),
                    &value,
                    $crate::__polyn_string_newtype!(@bound $($min)?),
                    $crate::__polyn_string_newtype!(@bound $($max)?),
                )?;
                ::core::result::Result::Ok(Self(value))
            }
        }
        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D>(deserializer: D) -> ::core::result::Result<Self, D::Error>
            where
                D: $crate::__private::serde::Deserializer<'de>,
            {
                let value: ::std::string::String =
                    $crate::__private::serde::Deserialize::deserialize(deserializer)?;
                <Self as ::core::convert::TryFrom<::std::string::String>>::try_from(value)
                    .map_err(<D::Error as $crate::__private::serde::de::Error>::custom)
            }
        }
    };
}

/// The conversions of a generated enum of strings: `Display` writes the
/// string of a variant, `FromStr`, `TryFrom<&str>` and `TryFrom<String>`
/// read it, failing with [`ConversionError`] for any other string.
///
/// `string_enum!(Status { Paid = "paid", Shipped = "shipped" })` for
/// `pub enum Status { Paid, Shipped }`.
#[doc(hidden)]
#[macro_export]
macro_rules! __polyn_string_enum {
    ($name:ident { $($variant:ident = $value:literal),+ $(,)? }) => {
        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(match *self {
                    $(Self::$variant => $value,)+
                })
            }
        }
        impl ::core::str::FromStr for $name {
            type Err = $crate::__private::ConversionError;
            fn from_str(value: &str) -> ::core::result::Result<Self, Self::Err> {
                match value {
                    $($value => ::core::result::Result::Ok(Self::$variant),)+
                    _ => ::core::result::Result::Err($crate::__private::ConversionError::new(
                        ::core::stringify!($name),
                        $crate::__private::Constraint::OneOf(&[$($value),+]),
                        value,
                    )),
                }
            }
        }
        impl ::core::convert::TryFrom<&str> for $name {
            type Error = $crate::__private::ConversionError;
            fn try_from(value: &str) -> ::core::result::Result<Self, Self::Error> {
                <Self as ::core::str::FromStr>::from_str(value)
            }
        }
        impl ::core::convert::TryFrom<::std::string::String> for $name {
            type Error = $crate::__private::ConversionError;
            fn try_from(value: ::std::string::String) -> ::core::result::Result<Self, Self::Error> {
                <Self as ::core::str::FromStr>::from_str(&value)
            }
        }
    };
}

pub use crate::{__polyn_string_enum as string_enum, __polyn_string_newtype as string_newtype};
// END generated conversions
