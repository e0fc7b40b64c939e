//! [`Permanent`]: a handler error that retrying cannot fix, so the message
//! is dead-lettered (or terminated) at once instead of redelivered.

use std::fmt;

use crate::outcome::BoxError;

/// Marks a handler's error as permanent: the message is not redelivered
/// but dead-lettered at once (terminated and reported when the consumer has
/// no dead-letter stream). Build it with [`permanent`].
///
/// ```
/// use polyn::{BoxError, Permanent};
/// let err: BoxError = polyn::permanent(std::io::Error::other("unknown customer"));
/// assert!(err.downcast_ref::<Permanent>().is_some());
/// assert_eq!(err.to_string(), "unknown customer");
/// ```
#[derive(Debug)]
pub struct Permanent(BoxError);

impl Permanent {
    /// The error it marks.
    pub fn into_inner(self) -> BoxError {
        self.0
    }
}

impl fmt::Display for Permanent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Permanent {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// `error`, marked [`Permanent`], for a handler to return:
/// `return Err(polyn::permanent(err))`.
pub fn permanent(error: impl Into<BoxError>) -> BoxError {
    Box::new(Permanent(error.into()))
}

/// Whether a handler's error is marked permanent.
pub(crate) fn is_permanent(error: &BoxError) -> bool {
    error.downcast_ref::<Permanent>().is_some()
}
