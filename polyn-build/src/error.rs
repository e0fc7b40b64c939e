//! [`Error`]: everything that can go wrong while turning schemas into Rust.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Why `polyn-build` could not generate event types.
///
/// Every variant that concerns one schema names its file, so a build-script
/// failure points straight at the schema to fix. Where the problem has a
/// place inside the file, the message also carries the line (and column) and
/// the JSON pointer, e.g.
/// `schemas/orders.placed.v1.json:7: invalid JSON Schema at /properties/qty/type: ...`.
///
/// ```
/// let files = [polyn_build::SchemaFile::new("schemas/User.Created.json", "{}")];
/// let err = polyn_build::generate(&files).unwrap_err();
/// assert!(matches!(err, polyn_build::Error::InvalidName { .. }));
/// assert!(err.to_string().contains("schemas/User.Created.json"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `OUT_DIR` is not set: the builder runs outside a build script and no
    /// output directory was given with [`Builder::out_dir`](crate::Builder::out_dir).
    #[error(
        "OUT_DIR is not set: run polyn-build from a build script (build.rs), or give an output directory with `polyn_build::configure().out_dir(..)`"
    )]
    OutDirNotSet,

    /// Reading a schema or the schemas folder, or writing the output, failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// A schema file's basename (its message name) breaks the naming rule.
    #[error(
        "{}: Message names must be lowercase, alphanumeric and dot separated, got `{name}` (rename the file to e.g. `user.created.v1.json`)",
        path.display()
    )]
    InvalidName {
        /// The schema file.
        path: PathBuf,
        /// The offending message name.
        name: String,
    },

    /// Two schema files share a basename, so they would define the same message.
    #[error(
        "There can only be one of each schema name. The following schemas were duplicated:\n{name}\n{}\n{}",
        first.display(),
        second.display()
    )]
    DuplicateName {
        /// The message name both files claim.
        name: String,
        /// The first file with that name (in sorted path order).
        first: PathBuf,
        /// The second file with that name.
        second: PathBuf,
    },

    /// Two different message names map to the same Rust type name (e.g.
    /// `a.1b` and `a1b` both give `A1b`).
    #[error(
        "{} and {}: both messages would generate the Rust type `{type_name}`; rename one of them",
        first.display(),
        second.display()
    )]
    TypeNameCollision {
        /// The Rust type name both would get.
        type_name: String,
        /// The first schema file.
        first: PathBuf,
        /// The second schema file.
        second: PathBuf,
    },

    /// A schema file is not valid JSON.
    #[error("{}:{line}:{column}: not valid JSON: {message}", path.display())]
    InvalidJson {
        /// The schema file.
        path: PathBuf,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What the JSON parser expected.
        message: String,
    },

    /// A schema file is JSON but not a JSON Schema.
    #[error("{}: invalid JSON Schema at {}: {message}", Located(path, *line), pointer_text(pointer))]
    InvalidSchema {
        /// The schema file.
        path: PathBuf,
        /// JSON pointer to the offending value (`""` is the whole document).
        pointer: String,
        /// 1-based line of the offending value, when it could be found.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },

    /// A schema uses a JSON Schema feature the generator cannot express.
    /// Such schemas are still valid for runtime validation; they cannot be
    /// turned into Rust types.
    #[error("{}: unsupported at {}: {message}", Located(path, *line), pointer_text(pointer))]
    Unsupported {
        /// The schema file.
        path: PathBuf,
        /// JSON pointer to the unsupported keyword.
        pointer: String,
        /// 1-based line of the keyword, when it could be found.
        line: Option<usize>,
        /// What is not supported, and what to do instead.
        message: String,
    },

    /// The code generator (typify) rejected or failed on a schema.
    #[error("{}: cannot generate Rust types: {message}", path.display())]
    Generation {
        /// The schema file.
        path: PathBuf,
        /// typify's error, or the message of its panic.
        message: String,
    },

    /// A builder option is invalid, e.g. [`Builder::skip`](crate::Builder::skip)
    /// names a message that has no schema file.
    #[error("invalid polyn-build option: {message}")]
    InvalidOption {
        /// What is wrong with the option.
        message: String,
    },

    /// The schemas break the rules of a `schemas` codebase (see
    /// `polyn_schemas::check_schemas`): a message name without a version
    /// token, an unknown keyword, a `$id` naming another message, a bad
    /// `identity`, a document its draft's meta-schema rejects.
    #[error("{}", polyn_schemas::Error::Check { problems: problems.clone() })]
    Schemas {
        /// Every problem found, in file order.
        problems: Vec<polyn_schemas::Problem>,
    },

    /// A Rust-first schema could not be exported.
    #[error("cannot export the schema of `{name}`: {message}")]
    Export {
        /// The message name asked for.
        name: String,
        /// What went wrong.
        message: String,
    },
}

impl Error {
    /// The schema file the error is about, if it is about one.
    ///
    /// ```
    /// use std::path::Path;
    /// let files = [polyn_build::SchemaFile::new("schemas/bad.v1.json", "{ nope")];
    /// let err = polyn_build::generate(&files).unwrap_err();
    /// assert_eq!(err.path(), Some(Path::new("schemas/bad.v1.json")));
    /// ```
    pub fn path(&self) -> Option<&Path> {
        match self {
            Error::Io { path, .. }
            | Error::InvalidName { path, .. }
            | Error::InvalidJson { path, .. }
            | Error::InvalidSchema { path, .. }
            | Error::Unsupported { path, .. }
            | Error::Generation { path, .. } => Some(path),
            Error::DuplicateName { first, .. } | Error::TypeNameCollision { first, .. } => {
                Some(first)
            }
            Error::Schemas { problems } => problems.first().map(|problem| problem.path.as_path()),
            Error::OutDirNotSet | Error::InvalidOption { .. } | Error::Export { .. } => None,
        }
    }
}

impl From<polyn_schemas::Error> for Error {
    fn from(err: polyn_schemas::Error) -> Self {
        match err {
            polyn_schemas::Error::Io { path, source } => Error::Io { path, source },
            polyn_schemas::Error::Check { problems } => Error::Schemas { problems },
            other => Error::Io {
                path: PathBuf::new(),
                source: io::Error::other(other.to_string()),
            },
        }
    }
}

/// `path` or `path:line`.
struct Located<'a>(&'a Path, Option<usize>);

impl fmt::Display for Located<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Some(line) => write!(f, "{}:{line}", self.0.display()),
            None => write!(f, "{}", self.0.display()),
        }
    }
}

fn pointer_text(pointer: &str) -> String {
    if pointer.is_empty() {
        "the root".to_owned()
    } else {
        pointer.to_owned()
    }
}
