//! Golden tests: every `tests/golden/<name>.json` generates exactly the Rust
//! in `tests/golden/<name>.rs`, a snapshot to review like any other code.
//!
//! After an intended change to the generator, rewrite the snapshots with
//!
//! ```sh
//! POLYN_BLESS=1 cargo test -p polyn-build --test golden
//! ```
//!
//! and review the diff. `tests/user_crate.rs` proves the snapshots compile
//! and pass clippy in a user crate.

use std::path::{Path, PathBuf};

use polyn_build::SchemaFile;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn schemas() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(golden_dir())
        .expect("golden folder")
        .map(|entry| entry.expect("golden entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    paths
}

#[test]
fn generated_code_matches_the_snapshots() {
    let bless = std::env::var_os("POLYN_BLESS").is_some_and(|value| value != "0");
    let paths = schemas();
    assert!(paths.len() >= 5, "the golden schemas are missing");
    let mut failures = Vec::new();
    for path in paths {
        let file = SchemaFile::read(&path).unwrap();
        let code = polyn_build::generate(&[file]).unwrap_or_else(|err| panic!("{err}"));
        let snapshot = path.with_extension("rs");
        let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
        if code == expected {
            continue;
        }
        if bless {
            std::fs::write(&snapshot, &code).unwrap();
            eprintln!("blessed {}", snapshot.display());
        } else {
            failures.push(format!(
                "{} differs from what {} generates (- snapshot, + generated):\n{}",
                snapshot.display(),
                path.display(),
                diff(&expected, &code)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n\nIf the change is intended, run `POLYN_BLESS=1 cargo test -p polyn-build --test golden` and review the diff.",
        failures.join("\n\n")
    );
}

/// Every snapshot has a schema, so a renamed fixture leaves no stale file.
#[test]
fn every_snapshot_has_a_schema() {
    for entry in std::fs::read_dir(golden_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "rs") {
            assert!(
                path.with_extension("json").exists(),
                "{} has no schema next to it",
                path.display()
            );
        }
    }
}

/// Generating the same schemas twice, in any order, gives the same bytes.
#[test]
fn output_is_deterministic() {
    let mut files: Vec<SchemaFile> = schemas()
        .iter()
        .map(|path| SchemaFile::read(path).unwrap())
        .collect();
    let first = polyn_build::generate(&files).unwrap();
    files.reverse();
    assert_eq!(first, polyn_build::generate(&files).unwrap());
}

/// A small line diff: the changed region with three lines of context.
fn diff(expected: &str, actual: &str) -> String {
    let old: Vec<&str> = expected.lines().collect();
    let new: Vec<&str> = actual.lines().collect();
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let start = prefix.saturating_sub(3);
    let mut out = format!("@@ line {} @@\n", start + 1);
    for line in &old[start..prefix] {
        out.push_str(&format!("  {line}\n"));
    }
    for line in &old[prefix..old.len() - suffix] {
        out.push_str(&format!("- {line}\n"));
    }
    for line in &new[prefix..new.len() - suffix] {
        out.push_str(&format!("+ {line}\n"));
    }
    for line in new[new.len() - suffix..].iter().take(3) {
        out.push_str(&format!("  {line}\n"));
    }
    out
}
