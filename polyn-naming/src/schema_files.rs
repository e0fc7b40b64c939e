//! The schema files of a schemas folder, found one way by everything that
//! reads one: the build script (`polyn-build`), the handler macro, the
//! runtime's sandbox and the CLI.
//!
//! Every `*.json` file under the folder, at any depth, in sorted path
//! order; hidden files and folders (names starting with `.`) are skipped;
//! symlinks are followed, so a linked file or folder counts like a real
//! one; an unreadable entry is an error naming it. The file stem is the
//! message name; what to do with names used twice is the caller's rule
//! (the build script and the sandbox refuse them).

use std::fmt;
use std::path::{Path, PathBuf};

/// The environment variable that names the schemas folder a crate's build
/// script compiled (`polyn-build` sets it for the crate with
/// `cargo:rustc-env`), for the handler macro to read the same folder.
pub const SCHEMAS_DIR_ENV: &str = "POLYN_SCHEMAS_DIR";

/// A schemas folder entry that could not be read.
#[derive(Debug)]
pub struct WalkError {
    /// The folder or file.
    pub path: PathBuf,
    /// Why.
    pub source: std::io::Error,
}

impl fmt::Display for WalkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot read `{}`: {}", self.path.display(), self.source)
    }
}

impl std::error::Error for WalkError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// The paths of the schema files under `dir` (see the module's rules).
///
/// ```no_run
/// for path in polyn_naming::schema_files("schemas".as_ref())? {
///     println!("{}", path.display());
/// }
/// # Ok::<(), polyn_naming::WalkError>(())
/// ```
pub fn schema_files(dir: &Path) -> Result<Vec<PathBuf>, WalkError> {
    let mut found = Vec::new();
    walk(dir, &mut found)?;
    found.sort();
    Ok(found)
}

/// The message name a schema file stands for: its stem.
///
/// ```
/// let name = polyn_naming::schema_file_name("schemas/users/user.created.v1.json".as_ref());
/// assert_eq!(name, Some("user.created.v1"));
/// ```
pub fn schema_file_name(path: &Path) -> Option<&str> {
    path.file_stem().and_then(|stem| stem.to_str())
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), WalkError> {
    let failed = |path: &Path| {
        let path = path.to_owned();
        move |source| WalkError { path, source }
    };
    for entry in std::fs::read_dir(dir).map_err(failed(dir))? {
        let entry = entry.map_err(failed(dir))?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let metadata = std::fs::metadata(&path).map_err(failed(&path))?;
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
    fn finds_json_at_any_depth_sorted_skipping_hidden_entries() {
        let root = std::env::temp_dir().join(format!("polyn-naming-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("b/deep")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::write(root.join("z.v1.json"), "{}").unwrap();
        std::fs::write(root.join("b/deep/a.v1.json"), "{}").unwrap();
        std::fs::write(root.join("b/readme.md"), "").unwrap();
        std::fs::write(root.join(".git/x.v1.json"), "{}").unwrap();
        std::fs::write(root.join(".hidden.v1.json"), "{}").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("b/deep"), root.join("linked")).unwrap();

        let files = schema_files(&root).unwrap();
        let mut expected = vec![root.join("b/deep/a.v1.json"), root.join("z.v1.json")];
        #[cfg(unix)]
        expected.insert(1, root.join("linked/a.v1.json"));
        assert_eq!(files, expected);
        assert_eq!(schema_file_name(&files[0]), Some("a.v1"));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_missing_folder_is_an_error_naming_it() {
        let err = schema_files("/no/such/schemas".as_ref()).unwrap_err();
        assert_eq!(err.path, Path::new("/no/such/schemas"));
        assert!(
            err.to_string()
                .starts_with("cannot read `/no/such/schemas`: "),
            "{err}"
        );
    }
}
