//! Polyn's naming rules, the `schemas` folder lookup and "did you mean"
//! suggestions. Pure functions, except [`SchemaDir::find`] which reads the
//! file system.
//!
//! The message and source name rules come from `polyn-naming`, which
//! `polyn::naming` re-exports.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub(crate) use polyn_naming::{
    did_you_mean, is_message_name, is_nats_name, is_queue_group, is_source_name,
};

/// The message names of a schemas folder: the stems of its `**/*.json` files.
#[derive(Debug)]
pub(crate) struct SchemaDir {
    /// The folder.
    pub(crate) dir: PathBuf,
    /// Name → schema file.
    pub(crate) names: BTreeMap<String, PathBuf>,
}

/// At most this many known names are listed in an "unknown event" error.
const MAX_LISTED: usize = 12;

impl SchemaDir {
    /// The schemas folder of the crate in `manifest_dir`: `explicit`
    /// (relative to `manifest_dir`) when given, else `compiled`, the folder
    /// the crate's build script compiled (`POLYN_SCHEMAS_DIR`, which
    /// `polyn-build` sets). No parent folder is searched: the folder is
    /// the one the types come from, wherever the crate is built.
    pub(crate) fn find(
        manifest_dir: &Path,
        explicit: Option<&str>,
        compiled: Option<&Path>,
    ) -> Result<SchemaDir, String> {
        let dir = match (explicit, compiled) {
            (Some(path), _) => {
                let dir = manifest_dir.join(path);
                if !dir.is_dir() {
                    return Err(format!(
                        "schemas folder `{}` not found (the path is relative to `{}`)",
                        dir.display(),
                        manifest_dir.display()
                    ));
                }
                dir
            }
            (None, Some(dir)) => {
                if !dir.is_dir() {
                    return Err(format!(
                        "schemas folder `{}` (`{}`) not found",
                        dir.display(),
                        polyn_naming::SCHEMAS_DIR_ENV
                    ));
                }
                dir.to_owned()
            }
            (None, None) => {
                return Err(format!(
                    "no schemas folder to check the event name against: compile the schemas \
                     in this crate's build script (`polyn_build::compile_schemas(\"../schemas\")`, \
                     which tells this macro the folder), name the folder with \
                     `schemas = \"path/to/schemas\"` (relative to `{}`), or set `{}`",
                    manifest_dir.display(),
                    polyn_naming::SCHEMAS_DIR_ENV
                ));
            }
        };
        let files = polyn_naming::schema_files(&dir)
            .map_err(|err| format!("cannot read the schemas folder `{}`: {err}", dir.display()))?;
        let mut names = BTreeMap::new();
        for path in files {
            if let Some(name) = polyn_naming::schema_file_name(&path) {
                // A name used twice is the build script's error to report.
                names.entry(name.to_owned()).or_insert(path);
            }
        }
        Ok(SchemaDir { dir, names })
    }

    /// The schema file of `name`, or an error that suggests a close name and
    /// lists the known ones.
    pub(crate) fn check(&self, name: &str) -> Result<&Path, String> {
        if let Some(path) = self.names.get(name) {
            return Ok(path);
        }
        Err(unknown_event(
            name,
            &self.dir.display().to_string(),
            self.names.keys().map(String::as_str),
        ))
    }
}

/// The "unknown event" message for `name`, given the folder and its names.
pub(crate) fn unknown_event<'a>(
    name: &str,
    dir: &str,
    known: impl IntoIterator<Item = &'a str> + Clone,
) -> String {
    let mut message = format!("no schema named `{name}` in `{dir}`");
    if let Some(close) = did_you_mean(name, known.clone()) {
        let _ = write!(message, "; did you mean `{close}`?");
    }
    let known: Vec<&str> = known.into_iter().collect();
    if known.is_empty() {
        message.push_str("\nthe folder has no `*.json` schema");
    } else if known.len() <= MAX_LISTED {
        let _ = write!(message, "\nknown events: `{}`", known.join("`, `"));
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names() {
        assert!(is_message_name("user.created.v1"));
        assert!(is_message_name("a"));
        for bad in [
            "",
            "User.created",
            "user..created",
            ".user",
            "user.",
            "user created",
            "a:b",
        ] {
            assert!(!is_message_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn source_names() {
        assert!(is_source_name("billing"));
        assert!(is_source_name("orders:new.fast"));
        for bad in ["", "Billing", "a::b", ":a", "a:", "a b", "a_b"] {
            assert!(!is_source_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn unknown_event_messages() {
        let known = ["user.created.v1", "widgets.created.v1"];
        assert_eq!(
            unknown_event("user.created.v2", "/s", known),
            "no schema named `user.created.v2` in `/s`; did you mean `user.created.v1`?\n\
             known events: `user.created.v1`, `widgets.created.v1`"
        );
        assert_eq!(
            unknown_event("billing.paid.v1", "/s", known),
            "no schema named `billing.paid.v1` in `/s`\n\
             known events: `user.created.v1`, `widgets.created.v1`"
        );
        assert!(unknown_event("a.b", "/s", Vec::<&str>::new()).ends_with("has no `*.json` schema"));
        let many: Vec<String> = (0..20).map(|n| format!("e{n}.v1")).collect();
        let message = unknown_event("e1.v2", "/s", many.iter().map(String::as_str));
        assert_eq!(
            message,
            "no schema named `e1.v2` in `/s`; did you mean `e1.v1`?"
        );
    }

    fn workspace() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("workspace")
            .to_owned()
    }

    #[test]
    fn reads_the_folder_the_build_script_compiled() {
        let member = Path::new(env!("CARGO_MANIFEST_DIR"));
        let compiled = workspace().join("schemas");
        let schemas = SchemaDir::find(member, None, Some(&compiled)).expect("found");
        assert_eq!(schemas.dir, compiled);
        assert!(schemas.names.contains_key("widgets.created.v1"));
        assert_eq!(
            schemas.check("user.created.v1").expect("known"),
            workspace().join("schemas/user.created.v1.json")
        );
        let err = schemas.check("user.created.v2").expect_err("unknown");
        assert!(err.contains("did you mean `user.created.v1`?"), "{err}");
        let err = SchemaDir::find(member, None, Some(Path::new("/no/such/schemas")))
            .expect_err("missing");
        assert!(
            err.contains("`/no/such/schemas` (`POLYN_SCHEMAS_DIR`) not found"),
            "{err}"
        );
    }

    #[test]
    fn no_parent_folder_is_searched() {
        // The workspace has a `schemas` folder above this crate; without a
        // compiled or named folder it is not used.
        let member = Path::new(env!("CARGO_MANIFEST_DIR"));
        let err = SchemaDir::find(member, None, None).expect_err("no folder");
        assert!(
            err.starts_with("no schemas folder to check the event name against"),
            "{err}"
        );
        assert!(err.contains("polyn_build::compile_schemas"), "{err}");
    }

    #[test]
    fn an_explicit_folder_is_relative_to_the_manifest_and_wins() {
        let member = Path::new(env!("CARGO_MANIFEST_DIR"));
        let elsewhere = Path::new("/no/such/schemas");
        let schemas = SchemaDir::find(member, Some("../schemas"), Some(elsewhere)).expect("found");
        assert!(schemas.names.contains_key("money.amount.v1"));
        let err = SchemaDir::find(member, Some("no-such-folder"), None).expect_err("missing");
        assert!(err.starts_with("schemas folder `"), "{err}");
        assert!(err.contains("no-such-folder"), "{err}");
    }

    #[test]
    fn scans_nested_folders_skipping_hidden_ones() {
        let root = std::env::temp_dir().join(format!("polyn-macros-scan-{}", std::process::id()));
        let nested = root.join("schemas/billing");
        std::fs::create_dir_all(&nested).expect("mkdir");
        std::fs::create_dir_all(root.join("schemas/.old")).expect("mkdir");
        std::fs::write(nested.join("invoice.paid.v1.json"), "{}").expect("write");
        std::fs::write(root.join("schemas/.old/invoice.paid.v0.json"), "{}").expect("write");
        std::fs::write(root.join("schemas/readme.md"), "").expect("write");
        let crate_dir = root.join("crate");
        std::fs::create_dir_all(&crate_dir).expect("mkdir");
        let schemas = SchemaDir::find(&crate_dir, Some("../schemas"), None).expect("found");
        let names: Vec<&String> = schemas.names.keys().collect();
        assert_eq!(names, ["invoice.paid.v1"]);
        std::fs::remove_dir_all(&root).expect("cleanup");
    }
}
