//! Finding the schema files of a schemas folder.

use std::path::{Path, PathBuf};

use crate::{Error, SchemaFile};

/// Reads every `*.json` file under `dir`, at any depth, in sorted path order.
///
/// Hidden files and folders (names starting with `.`) are skipped, as are
/// files with other extensions. Names are not checked here:
/// [`check_schemas`](crate::check_schemas) checks them and reports
/// duplicates.
///
/// ```no_run
/// let files = polyn_schemas::load_schemas("schemas")?;
/// let checked = polyn_schemas::check_schemas(&files)?;
/// # Ok::<(), polyn_schemas::Error>(())
/// ```
pub fn load_schemas(dir: impl AsRef<Path>) -> Result<Vec<SchemaFile>, Error> {
    schema_paths(dir.as_ref())?
        .into_iter()
        .map(SchemaFile::read)
        .collect()
}

/// The paths of every `*.json` file under `dir`, sorted, skipping hidden
/// files and folders and following symlinks (`polyn_naming::schema_files`,
/// the one walk every Polyn tool uses): what [`load_schemas`] reads (and a
/// build script watches).
///
/// ```no_run
/// for path in polyn_schemas::schema_paths("schemas".as_ref())? {
///     println!("cargo:rerun-if-changed={}", path.display());
/// }
/// # Ok::<(), polyn_schemas::Error>(())
/// ```
pub fn schema_paths(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    polyn_naming::schema_files(dir).map_err(|err| Error::Io {
        path: err.path,
        source: err.source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_files_polyn_naming_finds() {
        // The walk's rules (depth, order, hidden entries, symlinks) are
        // polyn_naming::schema_files' and tested there.
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("b")).unwrap();
        std::fs::write(root.join("z.v1.json"), "{}").unwrap();
        std::fs::write(root.join("b/a.v1.json"), r#"{"type": "object"}"#).unwrap();

        let files = load_schemas(root).unwrap();
        let names: Vec<_> = files.iter().map(SchemaFile::name).collect();
        assert_eq!(names, ["a.v1", "z.v1"]);
        assert_eq!(files[0].path(), root.join("b/a.v1.json"));
        assert_eq!(files[0].text(), r#"{"type": "object"}"#);
    }

    #[test]
    fn missing_folder_is_an_io_error_naming_it() {
        let err = load_schemas("/no/such/schemas").unwrap_err();
        assert!(matches!(err, Error::Io { .. }));
        assert!(err.to_string().contains("/no/such/schemas"), "{err}");
    }
}
