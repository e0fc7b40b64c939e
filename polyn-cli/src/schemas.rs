//! `polyn schemas …`: check a schemas folder, push it to the schema store
//! behind the backward-compatibility gate, diff two schema sets, delete a
//! schema by name, and the compatibility gate alone for CI.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use polyn::schema::Registry;
use polyn::schemas::{CheckedSchema, SchemasDiff};
use serde_json::{Value, json};

use crate::{Settings, config, max_replicas};

/// What `OLD`/`NEW` arguments name instead of a folder: the server's
/// schema store.
pub(crate) const BUCKET: &str = "bucket";

#[derive(Debug, Subcommand)]
pub(crate) enum SchemasCommand {
    /// Check a schemas folder: names (`<message name>.json`, ending in a
    /// version `.v<N>`), duplicates, JSON, the draft's meta-schema, unknown
    /// keywords, `$id` and `identity`.
    ///
    /// Example: `polyn schemas check` (the `schemas` folder).
    Check {
        /// The schemas folder.
        #[arg(default_value = "schemas")]
        dir: PathBuf,
    },
    /// Load a schemas folder into the schema store: checks it, creates the
    /// bucket when missing, adds and updates; never deletes. A breaking
    /// change refuses the whole push.
    ///
    /// Example: `polyn schemas push --dry-run` prints what would change.
    Push {
        /// The schemas folder.
        #[arg(default_value = "schemas")]
        dir: PathBuf,
        /// Print the plan; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Push backward-incompatible changes too.
        #[arg(long)]
        force: bool,
    },
    /// How NEW differs from OLD, each a folder or `bucket`: added, changed
    /// (with a JSON diff) and only in OLD.
    ///
    /// Example: `polyn schemas diff bucket schemas`.
    Diff {
        /// The schemas now: a folder, or `bucket`.
        old: String,
        /// The schemas to be: a folder, or `bucket`.
        new: String,
    },
    /// Delete a schema from the schema store: the only way one leaves it.
    ///
    /// Example: `polyn schemas delete orders.placed.v1`.
    Delete {
        /// The message name.
        name: String,
    },
    /// Check that every schema of NEW can replace the one of the same name
    /// in OLD without breaking events or consumers; each is a folder, or
    /// `bucket` for the server's `POLYN_SCHEMAS`.
    ///
    /// Example, in CI: `git worktree add /tmp/main origin/main && polyn
    /// schemas compat /tmp/main/schemas schemas`. Before a push: `polyn
    /// schemas compat bucket schemas`.
    Compat {
        /// The schemas now: a folder, or `bucket`.
        old: String,
        /// The schemas to be: a folder, or `bucket`.
        new: String,
    },
}

pub(crate) async fn run(settings: &Settings, command: &SchemasCommand) -> Result<(), String> {
    match command {
        SchemasCommand::Check { dir } => check(settings, dir),
        SchemasCommand::Push {
            dir,
            dry_run,
            force,
        } => push(settings, dir, *dry_run, *force).await,
        SchemasCommand::Diff { old, new } => diff(settings, old, new).await,
        SchemasCommand::Delete { name } => delete(settings, name).await,
        SchemasCommand::Compat { old, new } => compat(settings, old, new).await,
    }
}

/// The folder, checked; the error lists every problem.
fn checked(dir: &Path) -> Result<Vec<CheckedSchema>, String> {
    if !dir.is_dir() {
        return Err(format!(
            "no schemas folder at {}: give the folder holding your `<message name>.json` files",
            dir.display()
        ));
    }
    polyn::schemas::check_folder(dir).map_err(|err| err.to_string())
}

fn check(settings: &Settings, dir: &Path) -> Result<(), String> {
    let schemas = checked(dir)?;
    if settings.json {
        let names: Vec<_> = schemas.iter().map(CheckedSchema::name).collect();
        println!("{}", json!({ "checked": names }));
    } else {
        println!("{} schemas in {} are fine", schemas.len(), dir.display());
    }
    Ok(())
}

async fn registry(settings: &Settings) -> Result<Registry, String> {
    let config = config(settings)?;
    let nats = config.connect_nats().await.map_err(|err| err.to_string())?;
    let mut registry = Registry::new(&nats).bucket(config.schema_bucket());
    if let Some(max) = max_replicas(settings)? {
        registry = registry.max_replicas(max);
    }
    Ok(registry)
}

async fn push(settings: &Settings, dir: &Path, dry_run: bool, force: bool) -> Result<(), String> {
    let schemas = checked(dir)?;
    let registry = registry(settings).await?;
    let plan = if dry_run {
        registry.plan(&schemas).await
    } else {
        registry.push(&schemas, force).await
    }
    .map_err(|err| err.to_string())?;
    if settings.json {
        let updated: Vec<_> = plan
            .updated
            .iter()
            .map(|(name, changes)| json!({"name": name, "changes": changes_json(changes)}))
            .collect();
        let breaking: Vec<_> = plan.breaking.iter().map(|(name, _)| name).collect();
        println!(
            "{}",
            json!({"dry_run": dry_run, "create_bucket": plan.create_bucket, "added": plan.added,
                   "updated": updated, "unchanged": plan.unchanged,
                   "only_in_bucket": plan.only_in_bucket, "breaking": breaking})
        );
    } else {
        let verb = |done: &'static str, would: &'static str| if dry_run { would } else { done };
        if let Some(replicas) = plan.create_bucket {
            println!(
                "{} the schema store with {replicas} replica(s)",
                verb("created", "would create")
            );
        }
        for name in &plan.added {
            println!("{} {name}", verb("added", "would add"));
        }
        for (name, changes) in &plan.updated {
            let breaking = plan.breaking.iter().any(|(broken, _)| broken == name);
            let note = if breaking {
                " (backward-incompatible)"
            } else {
                ""
            };
            println!("{} {name}{note}", verb("updated", "would update"));
            for change in changes {
                println!("  {change}");
            }
        }
        for name in &plan.only_in_bucket {
            println!(
                "kept {name}: in the schema store, not in {} (delete it with `polyn schemas \
                 delete {name}`)",
                dir.display()
            );
        }
        if plan.is_empty() {
            println!(
                "the schema store already holds every schema of {}",
                dir.display()
            );
        }
    }
    if dry_run && !plan.breaking.is_empty() && !force {
        return Err(format!(
            "the push would be refused: {} backward-incompatible; see `polyn schemas compat \
             bucket {}`, or push with --force",
            plan.breaking
                .iter()
                .map(|(name, _)| format!("`{name}`"))
                .collect::<Vec<_>>()
                .join(", "),
            dir.display()
        ));
    }
    Ok(())
}

fn changes_json(changes: &[polyn::schemas::JsonChange]) -> Vec<Value> {
    use polyn::schemas::JsonChange;
    changes
        .iter()
        .map(|change| match change {
            JsonChange::Added { pointer, new } => json!({"op": "add", "path": pointer, "new": new}),
            JsonChange::Removed { pointer, old } => {
                json!({"op": "remove", "path": pointer, "old": old})
            }
            JsonChange::Changed { pointer, old, new } => {
                json!({"op": "replace", "path": pointer, "old": old, "new": new})
            }
            other => json!({"path": other.pointer()}),
        })
        .collect()
}

async fn diff(settings: &Settings, old: &str, new: &str) -> Result<(), String> {
    let diff = SchemasDiff::between(
        &schema_set(settings, old).await?,
        &schema_set(settings, new).await?,
    );
    if settings.json {
        let changed: Vec<_> = diff
            .changed
            .iter()
            .map(|(name, changes)| json!({"name": name, "changes": changes_json(changes)}))
            .collect();
        println!(
            "{}",
            json!({"added": diff.added, "changed": changed, "only_in_old": diff.only_in_old,
                   "unchanged": diff.unchanged})
        );
        return Ok(());
    }
    for name in &diff.added {
        println!("added {name}");
    }
    for (name, changes) in &diff.changed {
        println!("changed {name}");
        for change in changes {
            println!("  {change}");
        }
    }
    for name in &diff.only_in_old {
        println!("only in {old}: {name}");
    }
    if diff.is_empty() {
        println!(
            "{old} and {new} hold the same {} schemas",
            diff.unchanged.len()
        );
    }
    Ok(())
}

async fn delete(settings: &Settings, name: &str) -> Result<(), String> {
    polyn::naming::validate_message_name(name).map_err(|err| err.to_string())?;
    registry(settings)
        .await?
        .delete(name)
        .await
        .map_err(|err| err.to_string())?;
    if settings.json {
        println!("{}", json!({ "deleted": name }));
    } else {
        println!("deleted {name}");
    }
    Ok(())
}

/// A schema set: the server's store for `bucket`, else a folder. A folder
/// on the new side of a comparison must pass every check; the old side
/// (e.g. a checkout of main) only has to be readable JSON.
pub(crate) async fn schema_set(
    settings: &Settings,
    source: &str,
) -> Result<BTreeMap<String, Value>, String> {
    if source == BUCKET {
        return registry(settings)
            .await?
            .read()
            .await
            .map_err(|err| err.to_string());
    }
    let dir = Path::new(source);
    if !dir.is_dir() {
        return Err(format!(
            "no schemas folder at {source}: give a folder of schemas, or `{BUCKET}` for the \
             server's schema store"
        ));
    }
    let files = polyn::schemas::load_schemas(dir).map_err(|err| err.to_string())?;
    let mut set = BTreeMap::new();
    for file in &files {
        let schema: Value = serde_json::from_str(file.text())
            .map_err(|err| format!("{} is not JSON: {err}", file.path().display()))?;
        if set.insert(file.name().to_owned(), schema).is_some() {
            // The protocol's text, from the folder check.
            let duplicate = polyn::schemas::problems(&files)
                .into_iter()
                .find(|problem| problem.kind == polyn::schemas::ProblemKind::Duplicate);
            return Err(duplicate.map_or_else(
                || format!("two schemas are named `{}` under {source}", file.name()),
                |problem| problem.to_string().replace('\n', " "),
            ));
        }
    }
    Ok(set)
}

/// What comparing two schema sets found.
#[derive(Debug, Default)]
struct Report {
    /// Names in both, compatible.
    compatible: Vec<String>,
    /// Names only in the new set.
    added: Vec<String>,
    /// Names only in the old set (never deleted implicitly).
    only_old: Vec<String>,
    /// Names in both whose change breaks, with every breaking change.
    breaking: Vec<(String, Vec<polyn::schema::Incompatibility>)>,
}

/// Compares every schema of `new` with the same name in `old`.
fn compare(old: &BTreeMap<String, Value>, new: &BTreeMap<String, Value>) -> Report {
    let diff = SchemasDiff::between(old, new);
    let mut report = Report {
        compatible: diff.unchanged,
        added: diff.added,
        only_old: diff.only_in_old,
        breaking: Vec::new(),
    };
    for (name, _) in diff.changed {
        let changes = polyn::schema::incompatibilities(&old[&name], &new[&name]);
        if changes.is_empty() {
            report.compatible.push(name);
        } else {
            report.breaking.push((name, changes));
        }
    }
    report.compatible.sort();
    report
}

async fn compat(settings: &Settings, old: &str, new: &str) -> Result<(), String> {
    let report = compare(
        &schema_set(settings, old).await?,
        &schema_set(settings, new).await?,
    );
    if settings.json {
        let breaking: Vec<_> = report
            .breaking
            .iter()
            .map(|(name, changes)| {
                let changes: Vec<_> = changes
                    .iter()
                    .map(|c| json!({"path": c.path, "change": c.change}))
                    .collect();
                json!({"name": name, "next": polyn::naming::next_version(name), "changes": changes})
            })
            .collect();
        println!(
            "{}",
            json!({"compatible": report.compatible, "added": report.added,
                   "only_old": report.only_old, "breaking": breaking})
        );
    } else {
        for (name, changes) in &report.breaking {
            let next = polyn::naming::next_version(name).unwrap_or_else(|| format!("{name}.v2"));
            println!("breaking {name} (publish it as `{next}` instead):");
            for change in changes {
                println!("  {change}");
            }
        }
        println!(
            "{} compatible, {} new, {} breaking{}",
            report.compatible.len(),
            report.added.len(),
            report.breaking.len(),
            if report.only_old.is_empty() {
                String::new()
            } else {
                format!(
                    ", {} only in {old} (never deleted implicitly)",
                    report.only_old.len()
                )
            }
        );
    }
    if report.breaking.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} schema(s) have backwards-incompatible changes; publish each as a new version",
            report.breaking.len()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_sorts_names_by_what_happened() {
        let old = BTreeMap::from([
            ("a.v1".to_owned(), json!({"type": "string"})),
            ("b.v1".to_owned(), json!({"type": "string"})),
            ("gone.v1".to_owned(), json!({})),
        ]);
        let new = BTreeMap::from([
            (
                "a.v1".to_owned(),
                json!({"type": "string", "description": "A"}),
            ),
            ("b.v1".to_owned(), json!({"type": "integer"})),
            ("c.v1".to_owned(), json!({})),
        ]);
        let report = compare(&old, &new);
        assert_eq!(report.compatible, ["a.v1"]);
        assert_eq!(report.added, ["c.v1"]);
        assert_eq!(report.only_old, ["gone.v1"]);
        assert_eq!(report.breaking.len(), 1);
        assert_eq!(report.breaking[0].0, "b.v1");
    }
}
