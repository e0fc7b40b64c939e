//! # Polyn for Rust
//!
//! Typed, schema-validated events on NATS JetStream, wire-compatible with the
//! Elixir and Ruby Polyn clients.
//!
//! Every message is a CloudEvents 1.0 JSON envelope ([`Event`]) whose `data`
//! is validated against the message's JSON Schema, kept in the NATS KV bucket
//! `POLYN_SCHEMAS`. Names, sources, subjects and consumer names follow the
//! shared [`naming`] rules. A [`Client`] publishes (awaiting the JetStream
//! acknowledgement, or pipelined), requests and replies, subscribes, and runs
//! pull [`Consumer`]s with bounded concurrency and graceful shutdown.
//!
//! ```
//! use polyn::Config;
//! use polyn::schema::{Schema, Schemas};
//! use polyn::validation::validate_event;
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
//!
//! ## Tracing
//!
//! Every publish, request and reply runs in a `<name> send` (or
//! `(temporary) send`) producer span and every handled message in a
//! `<name> receive` consumer span, with the messaging attributes of the
//! Polyn conventions. With the `otel` feature, the W3C trace context
//! (`traceparent`) goes into the headers of what is sent and is taken from
//! what is received, so a trace continues across services (Elixir and Ruby
//! ones included), and failures are recorded on the spans as exceptions;
//! install a `tracing-opentelemetry` layer and a text-map propagator to
//! export them.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod binder;
mod client;
mod compatibility;
pub mod config;
pub mod consumer;
mod conversion_error;
mod core_runner;
mod credentials;
pub mod dead_letter;
mod decode;
mod deserialize;
mod drift;
mod encode;
mod envelope;
mod error;
mod error_kind;
pub mod event;
mod event_type;
mod excerpt;
mod guard;
mod handler;
mod handler_options;
mod include_events;
mod invalid_message;
pub mod manifest;
mod metrics;
pub mod migration;
mod monitor;
pub mod naming;
mod outcome;
mod permanent;
#[doc(hidden)]
pub mod __private {
    //! Support for generated code; not a public API.
    pub use crate::private::*;
}
mod private;
mod protocol_text;
pub mod publish;
pub mod reader;
mod received;
mod registry;
#[cfg(feature = "testing")]
mod sandbox;
pub mod schema;
mod schema_store;
pub mod serve;
mod server_url;
mod state;
mod subscriber;
mod support;
mod telemetry;
mod transport;
mod typed_data;
pub mod validation;

/// The NATS client Polyn runs on, re-exported so a service can use the same
/// version for what Polyn does not cover (e.g. [`Client::with_nats`], or
/// reading what [`Migrator`](migration::Migrator) provisioned).
pub use async_nats;
pub use client::Client;
pub use config::Config;
pub use consumer::{Consumer, Context, HandlerOptions, InvalidMessage};
pub use dead_letter::DeadLetter;
pub use error::Error;
pub use error_kind::ErrorKind;
pub use event::{Event, EventType};
pub use handler::Handler;
pub use outcome::{BoxError, IntoOutcome, Outcome};
pub use permanent::{Permanent, permanent};
#[cfg(feature = "macros")]
pub use polyn_macros::{handler, migrations};
/// The rules of a `schemas` codebase: reading and checking a folder
/// ([`schemas::check_folder`]), schema digests and diffs; shared with
/// `polyn-build` and the `polyn` CLI.
pub use polyn_schemas as schemas;
pub use publish::PublishOptions;
pub use received::Received;
pub use serve::Service;
pub use state::State;
pub use subscriber::Subscriber;

#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing {
    //! The in-memory [`Sandbox`]: a Polyn behind the same [`Client`](crate::Client)
    //! API with no server, for a service's tests and local runs. Enable the
    //! `testing` feature for it, usually in `[dev-dependencies]`:
    //!
    //! ```toml
    //! [dev-dependencies]
    //! polyn = { version = "0.1", features = ["testing"] }
    //! ```
    pub use crate::sandbox::{Sandbox, SandboxBuilder, Settlement, SettlementKind};
}
