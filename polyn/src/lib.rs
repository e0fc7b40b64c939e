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

mod binder;
mod client;
mod compatibility;
mod config;
mod consumer;
mod conversion_error;
mod core_runner;
mod credentials;
mod dead_letter;
mod decode;
mod deserialize;
mod drift;
mod encode;
mod error;
mod event;
mod event_type;
mod excerpt;
mod guard;
mod handler;
mod handler_options;
mod include_events;
mod invalid_message;
mod metrics;
mod migration;
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
mod publish;
mod reader;
mod received;
mod registry;
mod sandbox;
mod schema;
mod schema_store;
mod serve;
mod server_url;
mod state;
mod subscriber;
mod support;
mod telemetry;
mod transport;
mod typed_data;
mod validation;

/// The NATS client Polyn runs on, re-exported so a service can use the same
/// version for what Polyn does not cover (e.g. [`Client::with_nats`], or
/// reading what [`Migrator`] provisioned).
pub use async_nats;
pub use binder::{Binder, Bound};
pub use client::{Client, DEFAULT_REQUEST_TIMEOUT};
pub use compatibility::{Incompatibility, check_compatibility, incompatibilities};
pub use config::{Config, ConfigBuilder, redact_url};
pub use consumer::{Consumer, ConsumerBuilder, ConsumerStats, Context, DEFAULT_MISSING_GRACE};
pub use conversion_error::{Constraint, ConversionError};
pub use credentials::{Auth, Secret, Tls};
pub use dead_letter::{
    DEAD_LETTER_NAME, DEAD_LETTER_SCHEMA, DEAD_LETTER_STREAM, DeadLetter, DeadLetterReason,
};
pub use drift::{Drift, DriftPolicy};
pub use error::Error;
pub use event::{CONTENT_TYPE, Event, PolynData, SPEC_VERSION};
pub use event_type::EventType;
/// A boxed, sendable future, as [`Handler::bind`] returns.
pub use futures_util::future::BoxFuture;
pub use handler::{Handler, HandlerKind, HandlerSpec};
pub use handler_options::{
    DEFAULT_CONCURRENCY, DEFAULT_PREFETCH, DEFAULT_PREFETCH_BYTES, HandlerOptions, MAX_CONCURRENCY,
};
pub use invalid_message::{Action, InvalidMessage};
pub use migration::{
    MIGRATIONS_BUCKET, Migration, MigrationStatus, Migrations, Migrator, Operation,
};
pub use monitor::{Health, Missing, Monitor, ServiceMonitor};
pub use outcome::{BoxError, IntoOutcome, Outcome};
pub use permanent::{Permanent, permanent};
#[cfg(feature = "macros")]
pub use polyn_macros::{handler, migrations};
/// The rules of a `schemas` codebase: reading and checking a folder
/// ([`schemas::check_folder`]), schema digests and diffs; shared with
/// `polyn-build` and the `polyn` CLI.
pub use polyn_schemas as schemas;
pub use publish::{PendingPublish, PublishAck, PublishOptions};
pub use reader::{ReadFrom, Reader, ReaderBuilder};
pub use received::Received;
pub use registry::{PushPlan, Registry, SCHEMAS_BUCKET};
pub use sandbox::{Sandbox, SandboxBuilder, Settlement, SettlementKind};
pub use schema::{Schema, Schemas};
pub use schema_store::SchemaStore;
pub use serve::{HandlerStats, ServeStats, Service};
pub use state::State;
pub use subscriber::Subscriber;
pub use validation::{
    CLOUD_EVENT_SCHEMA, Problem, ValidationError, validate_data, validate_envelope, validate_event,
};
