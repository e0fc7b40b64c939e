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
    /// (relative to `manifest_dir`) when given, else the first `schemas`
    /// folder found in `manifest_dir` or one of its parents.
    pub(crate) fn find(manifest_dir: &Path, explicit: Option<&str>) -> Result<SchemaDir, String> {
        let dir = match explicit {
            Some(path) => {
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
            None => manifest_dir
                .ancestors()
                .map(|ancestor| ancestor.join("schemas"))
                .find(|dir| dir.is_dir())
                .ok_or_else(|| {
                    format!(
                        "no `schemas` folder found in `{}` or its parents; \
                         name the folder with `schemas = \"path/to/schemas\"`",
                        manifest_dir.display()
                    )
                })?,
        };
        let mut names = BTreeMap::new();
        scan(&dir, &mut names)
            .map_err(|err| format!("cannot read the schemas folder `{}`: {err}", dir.display()))?;
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

fn scan(dir: &Path, names: &mut BTreeMap<String, PathBuf>) -> std::io::Result<()> {
    let mut entries = std::fs::read_dir(dir)?.collect::<Result<Vec<_>, _>>()?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            scan(&path, names)?;
        } else if path
            .extension()
            .is_some_and(|extension| extension == "json")
            && let Some(stem) = path.file_stem().and_then(|stem| stem.to_str())
        {
            names.entry(stem.to_owned()).or_insert(path);
        }
    }
    Ok(())
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
    fn finds_the_workspace_schemas_from_a_member() {
        let member = Path::new(env!("CARGO_MANIFEST_DIR"));
        let schemas = SchemaDir::find(member, None).expect("found");
        assert_eq!(schemas.dir, workspace().join("schemas"));
        assert!(schemas.names.contains_key("widgets.created.v1"));
        assert_eq!(
            schemas.check("user.created.v1").expect("known"),
            workspace().join("schemas/user.created.v1.json")
        );
        let err = schemas.check("user.created.v2").expect_err("unknown");
        assert!(err.contains("did you mean `user.created.v1`?"), "{err}");
    }

    #[test]
    fn an_explicit_folder_is_relative_to_the_manifest() {
        let member = Path::new(env!("CARGO_MANIFEST_DIR"));
        let schemas = SchemaDir::find(member, Some("../schemas")).expect("found");
        assert!(schemas.names.contains_key("money.amount.v1"));
        let err = SchemaDir::find(member, Some("no-such-folder")).expect_err("missing");
        assert!(err.starts_with("schemas folder `"), "{err}");
        assert!(err.contains("no-such-folder"), "{err}");
    }

    #[test]
    fn scans_nested_folders() {
        let root = std::env::temp_dir().join(format!("polyn-macros-scan-{}", std::process::id()));
        let nested = root.join("schemas/billing");
        std::fs::create_dir_all(&nested).expect("mkdir");
        std::fs::write(nested.join("invoice.paid.v1.json"), "{}").expect("write");
        std::fs::write(root.join("schemas/readme.md"), "").expect("write");
        let crate_dir = root.join("crate");
        std::fs::create_dir_all(&crate_dir).expect("mkdir");
        let schemas = SchemaDir::find(&crate_dir, None).expect("found");
        let names: Vec<&String> = schemas.names.keys().collect();
        assert_eq!(names, ["invoice.paid.v1"]);
        std::fs::remove_dir_all(&root).expect("cleanup");
    }
}
