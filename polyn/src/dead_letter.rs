//! [`DeadLetter`]: what a consumer records about a message it gives up on
//! (its last delivery failed, its handler called the failure permanent, or
//! it is invalid), published as a Polyn event of its own to the dead-letter
//! stream before the original is terminated, so nothing is lost.
//!
//! Dead letters are events named [`DEAD_LETTER_NAME`] on the subject
//! `polyn.deadletter.v1.<consumer>` (the consumer's name is the identity),
//! kept in the stream [`DEAD_LETTER_STREAM`] (subjects
//! `polyn.deadletter.v1.>`), which `polyn gen dead-letters` provisions as a
//! migration. A consumer dead-letters when that stream exists when it binds;
//! otherwise it terminates and reports, as before.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::Client;
use crate::client::publishing::MSG_ID_HEADER;
use crate::error::Error;
use crate::publish::PublishAck;
use crate::transport::Outgoing;

/// The message name of dead letters.
pub const DEAD_LETTER_NAME: &str = "polyn.deadletter.v1";

/// The conventional stream of dead letters, on `polyn.deadletter.v1.>`.
pub const DEAD_LETTER_STREAM: &str = "POLYN_DEAD_LETTERS";

/// The JSON Schema of a dead letter's `data` (draft-07), for a schema store
/// that should hold it too (`polyn dlq` and the runtime do not need it).
pub const DEAD_LETTER_SCHEMA: &str = include_str!("dead_letter.schema.json");

/// Why a message was dead-lettered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeadLetterReason {
    /// Its handler failed (an error or a panic) on the consumer's last
    /// delivery (`max_deliver`).
    Exhausted,
    /// Its handler failed with an error marked [`permanent`](crate::permanent),
    /// so it was not retried.
    Permanent,
    /// It is not a valid event of the handler's type (envelope, schema, or
    /// a value the Rust type cannot hold): no retry can help.
    Invalid,
}

/// The `data` of a dead-letter event: the original message, why it was
/// given up on, and where it came from.
///
/// ```
/// use polyn::DeadLetter;
/// use polyn::dead_letter::DeadLetterReason;
/// let letter = DeadLetter::new(b"{\"id\":\"1\"}", DeadLetterReason::Invalid);
/// assert_eq!(letter.event, Some(serde_json::json!({"id": "1"})));
/// assert_eq!(letter.original_payload(), b"{\"id\":\"1\"}");
/// assert_eq!(DeadLetter::subject("billing_orders_placed_v1"), "polyn.deadletter.v1.billing_orders_placed_v1");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeadLetter {
    /// Why it was dead-lettered.
    pub reason: DeadLetterReason,
    /// The error, as displayed.
    pub error: String,
    /// The error and each of its sources, outermost first.
    #[serde(default)]
    pub error_chain: Vec<String>,
    /// The durable consumer that gave up.
    pub consumer: String,
    /// The stream it read from.
    pub stream: String,
    /// The original's sequence number in that stream.
    pub stream_sequence: u64,
    /// The subject the original was published on.
    pub subject: String,
    /// How many times it was delivered.
    pub delivered: u64,
    /// The original event, when its body is a JSON document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<Value>,
    /// The original body, base64, when it is not a JSON document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_base64: Option<String>,
}

impl DeadLetter {
    /// A dead letter of the body `payload`, the other fields empty.
    pub fn new(payload: &[u8], reason: DeadLetterReason) -> DeadLetter {
        let (event, payload_base64) = match serde_json::from_slice::<Value>(payload) {
            Ok(event) => (Some(event), None),
            Err(_) => (
                None,
                Some(base64::engine::general_purpose::STANDARD.encode(payload)),
            ),
        };
        DeadLetter {
            reason,
            error: String::new(),
            error_chain: Vec::new(),
            consumer: String::new(),
            stream: String::new(),
            stream_sequence: 0,
            subject: String::new(),
            delivered: 0,
            event,
            payload_base64,
        }
    }

    /// The subject of the dead letters of `consumer`.
    pub fn subject(consumer: &str) -> String {
        format!("{DEAD_LETTER_NAME}.{consumer}")
    }

    /// The original body: the event as compact JSON, or the decoded base64.
    pub fn original_payload(&self) -> Vec<u8> {
        if let Some(event) = &self.event {
            return serde_json::to_vec(event).unwrap_or_default();
        }
        self.payload_base64
            .as_deref()
            .and_then(|text| base64::engine::general_purpose::STANDARD.decode(text).ok())
            .unwrap_or_default()
    }
}

impl Client {
    /// Publishes `letter` as a Polyn event on the dead-letter subject of its
    /// consumer and waits for the stream to store it. Its `data` is built
    /// here, not by a user, so it is not checked against the schema store
    /// (which need not hold [`DEAD_LETTER_SCHEMA`]).
    pub(crate) async fn publish_dead_letter(
        &self,
        letter: &DeadLetter,
    ) -> Result<PublishAck, Error> {
        let event = self.config().event(DEAD_LETTER_NAME, letter)?;
        let payload = event.to_bytes()?;
        let mut headers = vec![(MSG_ID_HEADER.to_owned(), event.id().to_owned())];
        // The trace goes on from the receive span of the message given up on.
        crate::telemetry::inject(&mut headers);
        let message = Outgoing {
            subject: DeadLetter::subject(&letter.consumer),
            headers,
            payload: payload.into(),
        };
        self.transport().publish(message).await?.await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_that_are_not_json_survive_byte_for_byte() {
        let body = [0xff, 0x00, b'{', 0x80];
        let letter = DeadLetter::new(&body, DeadLetterReason::Invalid);
        assert_eq!(letter.event, None);
        assert_eq!(letter.original_payload(), body);
        let json = serde_json::to_value(&letter).unwrap();
        assert_eq!(json["reason"], "invalid");
        let back: DeadLetter = serde_json::from_value(json).unwrap();
        assert_eq!(back, letter);
    }

    #[test]
    fn the_bundled_schema_accepts_a_dead_letter() {
        let schema: Value = serde_json::from_str(DEAD_LETTER_SCHEMA).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let mut letter = DeadLetter::new(b"{\"id\":\"1\"}", DeadLetterReason::Exhausted);
        letter.consumer = "svc_orders_placed_v1".into();
        letter.error = "boom".into();
        assert!(validator.is_valid(&serde_json::to_value(&letter).unwrap()));
        assert!(!validator.is_valid(&serde_json::json!({"reason": "exhausted"})));
    }
}
