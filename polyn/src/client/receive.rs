//! Receiving: decoding and validating a message, in the protocol's order,
//! into an [`Event`] of JSON or of a Rust type.

use super::Client;
use crate::error::Error;
use crate::event::Event;
use serde::de::DeserializeOwned;
use serde_json::Value;

impl Client {
    /// Decodes and validates a received message, in the protocol's order.
    pub(crate) fn decode(&self, payload: &[u8]) -> Result<Event<Value>, Error> {
        let schemas = self.inner.schemas.current();
        crate::decode::decode_event(payload, self.inner.config.domain(), &schemas)
    }

    /// Decodes a received message into the event type `T`, checking that it
    /// is a `T` at all.
    pub(crate) fn decode_typed<T: DeserializeOwned + 'static>(
        &self,
        payload: &[u8],
        expected_name: Option<&str>,
    ) -> Result<Event<T>, Error> {
        let event = match self.decode(payload) {
            Ok(event) => event,
            Err(err) => {
                let drift = expected_name.and_then(|name| self.schemas().drift_of(name));
                return crate::drift::noted(Err(err), drift);
            }
        };
        if let Some(expected) = expected_name {
            let name = self.inner.config.message_name(event.event_type());
            if name != expected {
                return Err(Error::UnexpectedEvent {
                    expected: expected.to_owned(),
                    received: event.event_type().to_owned(),
                    id: event.id().to_owned(),
                });
            }
        }
        match event.into_typed_fast() {
            Some(event) => Ok(event),
            // Does not fit: decode again for the error, naming the field.
            None => self.decode(payload)?.into_typed(),
        }
    }
}
