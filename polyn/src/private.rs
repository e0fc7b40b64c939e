//! Support for generated code (`#[polyn::handler]`, `polyn-build`). Not a
//! public API: it may change in any release.

pub use serde_json::Value;
pub use std::sync::Arc;

// The crates `polyn-build` output names, so users depend on `polyn` only.
pub use chrono;
pub use serde;
pub use serde_json;
pub use uuid;

pub use crate::conversion_error::ConversionError;
pub use crate::{
    BoxFuture, Context, Event, EventType, Handler, HandlerSpec, IntoOutcome, Outcome, State,
};

/// Converts a validated dynamic event to the handler's event type.
pub fn typed_event<T: serde::de::DeserializeOwned + 'static>(
    event: Event<Value>,
) -> Result<Event<T>, String> {
    event.into_typed::<T>().map_err(|err| err.to_string())
}

/// The outcome a handler's return value stands for.
pub fn outcome<R: IntoOutcome>(result: R) -> Result<Outcome, String> {
    result.into_outcome()
}
