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

pub use crate::conversion_error::ConversionError;
pub use crate::{
    Binder, Bound, BoxError, BoxFuture, Context, Error, Event, EventType, Handler, HandlerSpec,
    IntoOutcome, InvalidMessage, Outcome, State,
};

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
