//! `polyn schemas compat OLD NEW`: the backward-compatibility gate between
//! two schema sets, each a folder or the server's `POLYN_SCHEMAS` bucket.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

/// The schemas of a folder (any depth), by file stem, or an error naming
/// the file at fault.
pub(crate) fn read_folder(dir: &Path) -> Result<BTreeMap<String, Value>, String> {
    let mut schemas = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let entries = std::fs::read_dir(&folder)
            .map_err(|err| format!("cannot read the schemas folder {}: {err}", folder.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().is_none_or(|ext| ext != "json") {
                continue;
            }
            let name = path
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = std::fs::read_to_string(&path)
                .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
            let schema: Value = serde_json::from_str(&text)
                .map_err(|err| format!("{} is not JSON: {err}", path.display()))?;
            if schemas.insert(name.clone(), schema).is_some() {
                return Err(format!(
                    "two schemas are named `{name}` under {}; a message has one schema",
                    dir.display()
                ));
            }
        }
    }
    Ok(schemas)
}

/// What comparing two schema sets found.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// Names in both, compatible.
    pub(crate) compatible: Vec<String>,
    /// Names only in the new set.
    pub(crate) added: Vec<String>,
    /// Names only in the old set (never deleted implicitly).
    pub(crate) only_old: Vec<String>,
    /// Names in both whose change breaks, with every breaking change.
    pub(crate) breaking: Vec<(String, Vec<polyn::Incompatibility>)>,
}

/// Compares every schema of `new` with the same name in `old`.
pub(crate) fn compare(old: &BTreeMap<String, Value>, new: &BTreeMap<String, Value>) -> Report {
    let mut report = Report::default();
    for (name, schema) in new {
        match old.get(name) {
            None => report.added.push(name.clone()),
            Some(before) => {
                let changes = polyn::incompatibilities(before, schema);
                if changes.is_empty() {
                    report.compatible.push(name.clone());
                } else {
                    report.breaking.push((name.clone(), changes));
                }
            }
        }
    }
    report.only_old = old
        .keys()
        .filter(|name| !new.contains_key(*name))
        .cloned()
        .collect();
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
