//! [`EventType`]: a Rust payload type that names its message and carries its schema.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A payload type bound to one Polyn message.
///
/// Publishing a value of such a type fixes the event name, so there is no
/// string to mistype, and consuming one decodes straight into it. The
/// `polyn-build` code generator implements this trait for every schema in a
/// `schemas` codebase; it can also be written by hand.
///
/// ```
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct WidgetsCreatedV1 { id: String, name: String }
///
/// impl polyn::EventType for WidgetsCreatedV1 {
///     const NAME: &'static str = "widgets.created.v1";
///     const SCHEMA: &'static str = r#"{"type":"object","properties":{"id":{"type":"string"},
///         "name":{"type":"string"}},"required":["id","name"]}"#;
/// }
///
/// assert_eq!(<WidgetsCreatedV1 as polyn::EventType>::NAME, "widgets.created.v1");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Polyn event type",
    label = "not generated from a schema",
    note = "generate event types from your `schemas` codebase with `polyn_build::compile_schemas(\"schemas\")` in build.rs, or implement `polyn::EventType` by hand"
)]
pub trait EventType: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The message name, e.g. `widgets.created.v1`.
    const NAME: &'static str;
    /// The payload JSON Schema the type was generated from.
    const SCHEMA: &'static str;
    /// SHA-256 (hex) of the schema's canonical JSON, when the type was
    /// generated: compare it with the schema a registry holds to detect drift.
    const SCHEMA_DIGEST: Option<&'static str> = None;
}
