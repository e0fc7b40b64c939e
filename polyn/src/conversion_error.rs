//! [`ConversionError`]: the error of the checked conversions in generated
//! event types, shared by every schema's module.
//!
//! This file stands alone (polyn-build's test stub of the runtime includes
//! it as it is).

use std::borrow::Cow;
use std::fmt;

/// Why a value could not become a constrained generated type: a string
/// outside its schema's length bounds, a string that is none of an enum's
/// values. It names the type, the constraint broken and the value. Every
/// module `polyn-build` generates names it as `error::ConversionError` too.
///
/// A generated type is named after the property it stands for
/// (`OrdersPlacedV1LinesItemSku` for `lines[].sku` of `orders.placed.v1`).
///
/// ```
/// use polyn::validation::{Constraint, ConversionError};
///
/// let err = ConversionError::new("OrdersPlacedV1LinesItemSku", Constraint::MaxLength(4), "gear-12");
/// assert_eq!(
///     err.to_string(),
///     "`OrdersPlacedV1LinesItemSku` must be at most 4 characters long: \"gear-12\" has 7",
/// );
/// assert_eq!(err.type_name(), Some("OrdersPlacedV1LinesItemSku"));
/// assert_eq!(err.constraint(), &Constraint::MaxLength(4));
/// assert_eq!(err.value(), Some("gear-12"));
/// let _: &dyn std::error::Error = &err;
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ConversionError {
    type_name: Option<&'static str>,
    constraint: Constraint,
    value: Option<String>,
}

/// The constraint a [`ConversionError`]'s value broke.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Constraint {
    /// `minLength`: at least this many characters.
    MinLength(usize),
    /// `maxLength`: at most this many characters.
    MaxLength(usize),
    /// `enum`: one of these strings.
    OneOf(&'static [&'static str]),
    /// Any other check, described.
    Other(Cow<'static, str>),
}

/// At most this many bytes of a rejected value are kept.
const VALUE_LIMIT: usize = 256;

impl ConversionError {
    /// `value` broke `constraint` of the generated type `type_name`.
    pub fn new(type_name: &'static str, constraint: Constraint, value: &str) -> Self {
        let mut end = value.len().min(VALUE_LIMIT);
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        ConversionError {
            type_name: Some(type_name),
            constraint,
            value: Some(value[..end].to_owned()),
        }
    }

    /// The generated type the value was to become, when known.
    pub fn type_name(&self) -> Option<&'static str> {
        self.type_name
    }

    /// The constraint the value broke.
    pub fn constraint(&self) -> &Constraint {
        &self.constraint
    }

    /// The value (its first 256 bytes), when known.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }
}

impl std::error::Error for ConversionError {}

impl fmt::Display for ConversionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(type_name) = self.type_name {
            write!(f, "`{type_name}` ")?;
        }
        let value = self.value.as_deref();
        let count = value.map(|value| value.chars().count());
        match (&self.constraint, value, count) {
            (Constraint::MinLength(min), Some(value), Some(count)) => write!(
                f,
                "must be at least {min} characters long: {value:?} has {count}"
            ),
            (Constraint::MaxLength(max), Some(value), Some(count)) => write!(
                f,
                "must be at most {max} characters long: {value:?} has {count}"
            ),
            (Constraint::MinLength(min), ..) => write!(f, "must be at least {min} characters long"),
            (Constraint::MaxLength(max), ..) => write!(f, "must be at most {max} characters long"),
            (Constraint::OneOf(values), value, _) => {
                f.write_str("must be one of ")?;
                for (index, allowed) in values.iter().enumerate() {
                    if index > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{allowed:?}")?;
                }
                match value {
                    Some(value) => write!(f, ": not {value:?}"),
                    None => Ok(()),
                }
            }
            (Constraint::Other(message), ..) => f.write_str(message),
        }
    }
}

impl fmt::Debug for ConversionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // What `main` returning an error prints: the readable form.
        fmt::Display::fmt(self, f)
    }
}

impl From<&'static str> for ConversionError {
    fn from(message: &'static str) -> Self {
        ConversionError {
            type_name: None,
            constraint: Constraint::Other(message.into()),
            value: None,
        }
    }
}

impl From<String> for ConversionError {
    fn from(message: String) -> Self {
        ConversionError {
            type_name: None,
            constraint: Constraint::Other(message.into()),
            value: None,
        }
    }
}
