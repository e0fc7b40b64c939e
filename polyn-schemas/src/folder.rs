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
/// files and folders: what [`load_schemas`] reads (and a build script
/// watches).
///
/// ```no_run
/// for path in polyn_schemas::schema_paths("schemas".as_ref())? {
///     println!("cargo:rerun-if-changed={}", path.display());
/// }
/// # Ok::<(), polyn_schemas::Error>(())
/// ```
pub fn schema_paths(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut found = Vec::new();
    walk(dir, &mut found)?;
    found.sort();
    Ok(found)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), Error> {
    let io_error = |source| Error::Io {
        path: dir.to_owned(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io_error)? {
        let entry = entry.map_err(io_error)?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        // Follows symlinks, so a linked folder or file counts like a real one.
        let metadata = std::fs::metadata(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        if metadata.is_dir() {
            walk(&path, found)?;
        } else if path.extension().is_some_and(|ext| ext == "json") {
            found.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_json_at_any_depth_sorted() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("b/deep")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::write(root.join("z.v1.json"), "{}").unwrap();
        std::fs::write(root.join("b/deep/a.v1.json"), "{}").unwrap();
        std::fs::write(root.join("b/readme.md"), "").unwrap();
        std::fs::write(root.join(".git/x.v1.json"), "{}").unwrap();
        std::fs::write(root.join(".hidden.v1.json"), "{}").unwrap();

        let files = load_schemas(root).unwrap();
        let names: Vec<_> = files.iter().map(SchemaFile::name).collect();
        assert_eq!(names, ["a.v1", "z.v1"]);
        assert_eq!(files[0].path(), root.join("b/deep/a.v1.json"));
    }

    #[test]
    fn missing_folder_is_an_io_error_naming_it() {
        let err = load_schemas("/no/such/schemas").unwrap_err();
        assert!(matches!(err, Error::Io { .. }));
        assert!(err.to_string().contains("/no/such/schemas"), "{err}");
    }
}
