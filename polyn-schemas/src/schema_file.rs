//! [`SchemaFile`]: one message schema, as text, with the path it came from.

use std::path::{Path, PathBuf};

use crate::Error;

/// One message schema: the file's path (used in error messages), its message
/// name (the basename without `.json`) and its text.
///
/// [`load_schemas`](crate::load_schemas) reads a whole schemas folder into
/// these; tests and tools can also make them from strings and hand them to
/// the pure [`check_schemas`](crate::check_schemas) (or `polyn-build`'s
/// `generate`).
///
/// ```
/// let file = polyn_schemas::SchemaFile::new(
///     "schemas/widgets/widgets.created.v1.json",
///     r#"{"type": "object", "properties": {"id": {"type": "string"}}}"#,
/// );
/// assert_eq!(file.name(), "widgets.created.v1");
/// assert_eq!(file.path().to_str(), Some("schemas/widgets/widgets.created.v1.json"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaFile {
    path: PathBuf,
    name: String,
    text: String,
}

impl SchemaFile {
    /// A schema with the given path and text. The message name is the file
    /// name without a trailing `.json`; it is checked by
    /// [`check_schemas`](crate::check_schemas), not here.
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        let path = path.into();
        let file_name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = file_name
            .strip_suffix(".json")
            .map(str::to_owned)
            .unwrap_or(file_name);
        SchemaFile {
            path,
            name,
            text: text.into(),
        }
    }

    /// Reads the schema at `path`.
    ///
    /// ```no_run
    /// let file = polyn_schemas::SchemaFile::read("schemas/widgets.created.v1.json")?;
    /// # Ok::<(), polyn_schemas::Error>(())
    /// ```
    pub fn read(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Ok(SchemaFile::new(path, text))
    }

    /// The path the schema was read from (or was given).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The message name: the basename without `.json`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The schema's JSON text.
    pub fn text(&self) -> &str {
        &self.text
    }
}
