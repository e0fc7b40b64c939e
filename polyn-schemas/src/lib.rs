//! # polyn-schemas
//!
//! The rules of a Polyn `schemas` codebase, shared by the `polyn` runtime,
//! `polyn-build` and the `polyn` CLI: reading a folder of schema files
//! ([`load_schemas`]), checking it ([`check_schemas`], [`check_folder`];
//! one document against its draft's meta-schema: [`validate_meta_schema`]),
//! the digest generated types carry ([`schema_digest`], over RFC 8785
//! canonical JSON; its documentation lists the few schemas whose digest
//! differs from the earlier sorted-keys form), and diffs between schemas
//! ([`json_diff`], [`SchemasDiff`]).
//!
//! ```
//! use polyn_schemas::{SchemaFile, check_schemas};
//! let files = [SchemaFile::new(
//!     "schemas/widgets.created.v1.json",
//!     r#"{"type": "object", "requried": ["id"]}"#,
//! )];
//! let err = check_schemas(&files).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "schemas/widgets.created.v1.json:1 at `/requried`: unknown keyword `requried`: did you \
//!      mean `required`? JSON Schema ignores unknown keywords, so as written it has no effect"
//! );
//! ```

mod check;
mod diff;
mod digest;
mod error;
mod folder;
mod json_kind;
pub mod keywords;
mod locate;
mod meta;
mod problem;
mod schema_file;

pub use check::{CheckedSchema, check_folder, check_schemas, problems};
pub use diff::{JsonChange, SchemasDiff, json_diff};
pub use digest::{canonical_json, schema_digest};
pub use error::Error;
pub use folder::{load_schemas, schema_paths};
pub use json_kind::json_kind;
pub use locate::line_of;
pub use meta::{MetaSchemaError, validate_meta_schema};
pub use problem::{Problem, ProblemKind};
pub use schema_file::SchemaFile;
