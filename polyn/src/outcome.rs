//! [`Outcome`]: what a handler decided about a message, and what handler
//! return types mean.

use std::time::Duration;

/// A handler's error, as it was returned: boxed, with its
/// [`source`](std::error::Error::source) chain, so `on_invalid` hooks, logs
/// and the live [`Health`](crate::serve::Health) see the whole cause.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What to tell the server about a handled JetStream message.
///
/// ```
/// use polyn::Outcome;
/// let later = Outcome::nak_after(std::time::Duration::from_secs(5));
/// assert_eq!(later, Outcome::Nak { delay: Some(std::time::Duration::from_secs(5)) });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Done: the server will not deliver it again.
    Ack,
    /// Not done: deliver it again, after `delay` when given.
    Nak {
        /// How long the server should wait before redelivering.
        delay: Option<Duration>,
    },
    /// Never deliver it again, though it was not handled.
    Term,
}

impl Outcome {
    /// Redeliver after `delay`.
    pub fn nak_after(delay: Duration) -> Self {
        Outcome::Nak { delay: Some(delay) }
    }
}

/// What a handler's return value means. Implemented for:
///
/// | return type | meaning |
/// |---|---|
/// | `()` | ack |
/// | [`Outcome`] | as given |
/// | `Result<(), E>` / `Result<Outcome, E>` | `Ok` as above; `Err` naks with backoff and reports the error |
///
/// `E` is any error that converts into a [`BoxError`]: every
/// `std::error::Error + Send + Sync + 'static`, `anyhow::Error`, `String`
/// and `&'static str`. It is kept as it was, with its `source()` chain.
///
/// ```
/// use polyn::{IntoOutcome, Outcome};
/// assert_eq!(().into_outcome().ok(), Some(Outcome::Ack));
/// let err = Err::<(), _>(std::io::Error::other("db down")).into_outcome().unwrap_err();
/// assert!(err.downcast_ref::<std::io::Error>().is_some());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid return type for a Polyn handler",
    note = "return `()`, `polyn::Outcome`, `Result<(), E>` or `Result<polyn::Outcome, E>` where \
            `E: Into<polyn::BoxError>` (any `std::error::Error + Send + Sync + 'static`)"
)]
pub trait IntoOutcome {
    /// The decision, or the handler's error (which naks with backoff).
    fn into_outcome(self) -> Result<Outcome, BoxError>;
}

impl IntoOutcome for () {
    fn into_outcome(self) -> Result<Outcome, BoxError> {
        Ok(Outcome::Ack)
    }
}

impl IntoOutcome for Outcome {
    fn into_outcome(self) -> Result<Outcome, BoxError> {
        Ok(self)
    }
}

impl<E: Into<BoxError>> IntoOutcome for Result<(), E> {
    fn into_outcome(self) -> Result<Outcome, BoxError> {
        self.map(|()| Outcome::Ack).map_err(Into::into)
    }
}

impl<E: Into<BoxError>> IntoOutcome for Result<Outcome, E> {
    fn into_outcome(self) -> Result<Outcome, BoxError> {
        self.map_err(Into::into)
    }
}
