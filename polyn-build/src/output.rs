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

/// The folder of the modules' files next to the generated file `file_name`:
/// its name without `.rs` (`polyn_events.rs` → `polyn_events`), or with
/// `_modules` appended if it has no `.rs`.
pub(crate) fn modules_dir_name(file_name: &str) -> String {
    let name = Path::new(file_name)
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or(file_name);
    match name.strip_suffix(".rs") {
        Some(stem) if !stem.is_empty() => stem.to_owned(),
        _ => format!("{name}_modules"),
    }
}

/// Removes the `*.rs` files of `dir` that are not `<module>.rs` for one of
/// `modules`: modules of schemas that were removed or skipped.
pub(crate) fn remove_stale_modules<'a>(
    dir: &Path,
    modules: impl Iterator<Item = &'a String>,
) -> Result<(), Error> {
    let keep: std::collections::BTreeSet<String> =
        modules.map(|module| format!("{module}.rs")).collect();
    let io_error = |source| Error::Io {
        path: dir.to_owned(),
        source,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(io_error(err)),
    };
    for entry in entries {
        let path = entry.map_err(io_error)?.path();
        let stale = path.extension().is_some_and(|ext| ext == "rs")
            && path
                .file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| !keep.contains(name));
        if stale && path.is_file() {
            std::fs::remove_file(&path).map_err(|source| Error::Io { path, source })?;
        }
    }
    Ok(())
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

/// The `cargo:rustc-env` line that tells the crate's handler macro which
/// schemas folder the build script compiled (`POLYN_SCHEMAS_DIR`, absolute).
pub(crate) fn schemas_dir_env(dir: &Path) -> String {
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
    format!(
        "cargo:rustc-env={}={}\n",
        polyn_naming::SCHEMAS_DIR_ENV,
        dir.display()
    )
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
    fn modules_dir_is_named_after_the_file() {
        assert_eq!(modules_dir_name("polyn_events.rs"), "polyn_events");
        assert_eq!(modules_dir_name("gen/events.rs"), "events");
        assert_eq!(modules_dir_name("events"), "events_modules");
        assert_eq!(modules_dir_name(".rs"), ".rs_modules");
    }

    #[test]
    fn removes_only_stale_module_files() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a_v1.rs", "b_v1.rs", "notes.txt"] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        remove_stale_modules(dir.path(), [String::from("a_v1")].iter()).unwrap();
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["a_v1.rs", "notes.txt"]);
        remove_stale_modules(&dir.path().join("missing"), std::iter::empty()).unwrap();
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
