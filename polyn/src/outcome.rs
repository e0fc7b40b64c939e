//! [`Outcome`]: what a handler decided about a message, and what handler
//! return types mean.

use std::fmt::Display;
use std::time::Duration;

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
/// | `Result<(), E>` / `Result<Outcome, E>` | `Ok` as above; `Err` naks with backoff and logs the error |
///
/// ```
/// use polyn::{IntoOutcome, Outcome};
/// assert_eq!(().into_outcome(), Ok(Outcome::Ack));
/// assert!(Err::<(), _>("db down").into_outcome().is_err());
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a valid return type for a Polyn handler",
    note = "return `()`, `polyn::Outcome`, `Result<(), E>` or `Result<polyn::Outcome, E>` where `E: Display`"
)]
pub trait IntoOutcome {
    /// The decision, or the handler's error (which naks with backoff).
    fn into_outcome(self) -> Result<Outcome, String>;
}

impl IntoOutcome for () {
    fn into_outcome(self) -> Result<Outcome, String> {
        Ok(Outcome::Ack)
    }
}

impl IntoOutcome for Outcome {
    fn into_outcome(self) -> Result<Outcome, String> {
        Ok(self)
    }
}

impl<E: Display> IntoOutcome for Result<(), E> {
    fn into_outcome(self) -> Result<Outcome, String> {
        self.map(|()| Outcome::Ack).map_err(|err| err.to_string())
    }
}

impl<E: Display> IntoOutcome for Result<Outcome, E> {
    fn into_outcome(self) -> Result<Outcome, String> {
        self.map_err(|err| err.to_string())
    }
}
