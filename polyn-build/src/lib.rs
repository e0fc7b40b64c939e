//! # polyn-build
//!
//! Typed Rust events generated from a Polyn `schemas` codebase at build
//! time: one struct per message schema, implementing `polyn::EventType`, so
//! a payload that does not match its schema does not compile.
//!
//! ```toml
//! [dependencies]
//! polyn = "0.1"
//!
//! [build-dependencies]
//! polyn-build = "0.1"
//! ```
//!
//! ```no_run
//! // build.rs: `fn main` of the build script
//! polyn_build::compile_schemas("schemas").unwrap_or_else(|err| panic!("{err}"));
//! ```
//!
//! ```ignore
//! // src/lib.rs
//! polyn::include_events!();
//!
//! # async fn run(client: polyn::Client) -> Result<(), polyn::Error> {
//! client.publish(WidgetsCreatedV1 { id: "w1".into(), name: "Sprocket".into() }).await?;
//! # Ok(()) }
//! ```
//!
//! ## What is generated
//!
//! For every `*.json` under the folder (any depth; the basename is the
//! message name and must be unique):
//!
//! - a module named after the message (`user.created.v1` → `user_created_v1`)
//!   holding everything generated from that schema, so definitions of two
//!   schemas never collide;
//! - its root type (`UserCreatedV1`), re-exported next to the module, with
//!   an implementation of `polyn::EventType`: `NAME`, `SCHEMA` (the schema
//!   as compact JSON) and `SCHEMA_DIGEST` (see [`schema_digest`]);
//! - doc comments from the schemas' `title` and `description`.
//!
//! [`compile_schemas`] writes the modules' items to one file per schema
//! (`polyn_events/user_created_v1.rs` next to `polyn_events.rs`), so editing
//! a schema recompiles little; [`generate`] returns the same code in one
//! string.
//!
//! Generated code reaches serde, serde_json, chrono and uuid through
//! `polyn::__private`, so a crate using it depends on `polyn` only.
//!
//! The JSON Schema → Rust step is [typify](https://docs.rs/typify). What it
//! turns into types, and what it leaves to runtime validation, is listed in
//! the crate README; schemas it cannot handle fail with [`Error::Unsupported`]
//! or [`Error::Generation`], naming the file (or can be left out with
//! [`Builder::skip`]).
//!
//! ## Rust-first events
//!
//! A type deriving `schemars::JsonSchema` can be written to the schemas
//! folder with [`export_schema`], so an event authored in Rust still has a
//! JSON Schema for the other Polyn clients and the schema store.

mod builder;
mod check;
mod conversion_error;
mod error;
mod export;
mod fold;
mod generate;
mod load;
mod module;
mod naming;
mod output;
mod prepare;
mod reroute;
mod short_names;
mod shorten;

pub use builder::{Builder, DEFAULT_FILE_NAME, compile_schemas, configure};
pub use error::Error;
pub use export::{export_schema, rust_schema};
pub use generate::generate;
pub use load::load_schemas;
pub use naming::{is_message_name, type_name};
pub use polyn_schemas::{
    JsonChange, Problem, ProblemKind, SchemaFile, canonical_json, json_diff, schema_digest,
};
