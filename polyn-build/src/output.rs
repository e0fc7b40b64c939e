//! Build-script output: the generated file, written only when it changed,
//! and the `cargo:rerun-if-changed` lines.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::Error;

/// Writes `contents` to `path` unless the file already holds exactly that,
/// so an unchanged schema tree leaves the file's modification time alone and
/// does not make cargo recompile the crate. Returns whether it wrote.
pub(crate) fn write_if_changed(path: &Path, contents: &str) -> Result<bool, Error> {
    if std::fs::read(path).is_ok_and(|old| old == contents.as_bytes()) {
        return Ok(false);
    }
    let io_error = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io_error)?;
    }
    std::fs::write(path, contents).map_err(io_error)?;
    Ok(true)
}

/// The `cargo:rerun-if-changed` lines for a schemas folder and its files.
///
/// Watching the folder catches added and removed files (cargo compares the
/// newest modification time under a folder); watching each file is explicit
/// about what the build depends on.
pub(crate) fn rerun_if_changed(dir: &Path, files: &[PathBuf]) -> String {
    let mut out = String::new();
    for path in std::iter::once(dir).chain(files.iter().map(PathBuf::as_path)) {
        // Writing to a String cannot fail.
        let _ = writeln!(out, "cargo:rerun-if-changed={}", path.display());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_only_when_changed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/out.rs");
        assert!(write_if_changed(&path, "a").unwrap());
        assert!(!write_if_changed(&path, "a").unwrap());
        assert!(write_if_changed(&path, "b").unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "b");
    }

    #[test]
    fn rerun_lines_cover_folder_and_files() {
        let lines = rerun_if_changed(
            Path::new("schemas"),
            &[
                PathBuf::from("schemas/a.v1.json"),
                PathBuf::from("schemas/x/b.v1.json"),
            ],
        );
        assert_eq!(
            lines,
            "cargo:rerun-if-changed=schemas\n\
             cargo:rerun-if-changed=schemas/a.v1.json\n\
             cargo:rerun-if-changed=schemas/x/b.v1.json\n"
        );
    }
}
