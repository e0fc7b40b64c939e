//! [`ConversionError`]: the error of the checked conversions in generated
//! event types, shared by every schema's module.

use std::borrow::Cow;
use std::fmt;

/// Why a value could not become a constrained generated type (a string
/// outside its length bounds, an unknown enum variant, …). Every module
/// `polyn-build` generates names it as `error::ConversionError`.
///
/// ```
/// let err = polyn::__private::ConversionError::from("longer than 8 characters");
/// assert_eq!(err.to_string(), "longer than 8 characters");
/// ```
pub struct ConversionError(Cow<'static, str>);

impl std::error::Error for ConversionError {}

impl fmt::Display for ConversionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for ConversionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl From<&'static str> for ConversionError {
    fn from(value: &'static str) -> Self {
        Self(value.into())
    }
}

impl From<String> for ConversionError {
    fn from(value: String) -> Self {
        Self(value.into())
    }
}
