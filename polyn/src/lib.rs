//! # Polyn for Rust
//!
//! Typed, schema-validated events on NATS JetStream, wire-compatible with the
//! Elixir and Ruby Polyn clients.
//!
//! Every message is a CloudEvents 1.0 JSON envelope ([`Event`]) whose `data`
//! is validated against the message's JSON Schema, kept in the NATS KV bucket
//! `POLYN_SCHEMAS`. Names, sources, subjects and consumer names follow the
//! shared [`naming`] rules.
//!
//! ```
//! use polyn::{Config, Schema, Schemas, validate_event};
//! use serde_json::json;
//!
//! let config = Config::builder().domain("com.test").source_root("user.backend").build()?;
//! let mut schemas = Schemas::new();
//! schemas.insert(Schema::compile("user.created.v1", &json!({
//!     "type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}))?);
//!
//! let event = config.event("user.created.v1", json!({"name": "Mary"}))?;
//! assert_eq!(event.event_type(), "com.test.user.created.v1");
//! assert_eq!(event.source(), "com:test:user:backend");
//! validate_event(&event.to_json()?, config.domain(), &schemas)?;
//! # Ok::<(), polyn::Error>(())
//! ```

mod config;
mod error;
mod event;
pub mod naming;
mod schema;
mod validation;

pub use config::{Config, ConfigBuilder};
pub use error::Error;
pub use event::{CONTENT_TYPE, Event, PolynData, SPEC_VERSION};
pub use schema::{Schema, Schemas};
pub use validation::{
    CLOUD_EVENT_SCHEMA, Problem, ValidationError, validate_data, validate_envelope, validate_event,
};
