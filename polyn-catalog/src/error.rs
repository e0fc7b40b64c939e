//! [`Error`]: what can be wrong with the sources of a catalog, or with
//! writing it.

use std::path::PathBuf;

/// Why a catalog could not be built or written; each variant names what
/// was wrong and where.
///
/// ```
/// use polyn_catalog::{Error, Sources};
///
/// let err = Sources::new("Acme")
///     .schema("widgets.created.v1", serde_json::json!(["not", "a", "schema"]))
///     .build()
///     .unwrap_err();
/// assert!(matches!(err, Error::SchemaNotObject { .. }));
/// assert!(err.to_string().contains("`widgets.created.v1`"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A message schema that is not a JSON object.
    #[error(
        "the schema of `{name}` is {found}, not a JSON object; a message schema is an object \
         like {{\"type\": \"object\", \"properties\": {{...}}}}"
    )]
    SchemaNotObject {
        /// The message name it was given for.
        name: String,
        /// What it is instead, like `an array`.
        found: &'static str,
    },
    /// The same message name given two schemas.
    #[error("the schema of `{name}` is given twice; give each message one schema")]
    DuplicateSchema {
        /// The message name.
        name: String,
    },
    /// A message name that does not follow the naming rule.
    #[error(
        "`{name}` in {place} is not a message name: message names are lowercase, alphanumeric \
         and dot separated, like `widgets.created.v1`"
    )]
    InvalidMessageName {
        /// The name.
        name: String,
        /// Where it was found, like `the schemas` or `the manifest of \`billing\``.
        place: String,
    },
    /// A migration that cannot be replayed after the ones before it.
    #[error("migration `{file}`, operation {operation}: {reason}")]
    Migration {
        /// The migration file.
        file: String,
        /// The operation, like ``update_stream `WIDGETS` ``.
        operation: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A manifest whose service or domain is not a valid name.
    #[error("the manifest of `{service}`: {reason}")]
    Manifest {
        /// The service it describes.
        service: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A file or folder of the catalog could not be written.
    #[error("cannot write {}: {source}; check that the folder is writable", path.display())]
    Write {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_errors_name_the_file_and_the_operation() {
        let err = Error::Migration {
            file: "20260101000000_more.toml".to_owned(),
            operation: "update_stream `NOPE`".to_owned(),
            reason: "no earlier migration creates the stream `NOPE`".to_owned(),
        };
        assert_eq!(
            err.to_string(),
            "migration `20260101000000_more.toml`, operation update_stream `NOPE`: no earlier \
             migration creates the stream `NOPE`"
        );
    }
}
