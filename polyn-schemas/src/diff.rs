//! Differences between two JSON documents, and between two sets of
//! schemas (a folder and the schema store, or two folders).

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

/// One difference between two JSON documents, at a JSON pointer.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum JsonChange {
    /// Only the new document has a value here.
    Added {
        /// Where.
        pointer: String,
        /// The new value.
        new: Value,
    },
    /// Only the old document has a value here.
    Removed {
        /// Where.
        pointer: String,
        /// The old value.
        old: Value,
    },
    /// Both have a value here, and they differ.
    Changed {
        /// Where.
        pointer: String,
        /// The old value.
        old: Value,
        /// The new value.
        new: Value,
    },
}

impl JsonChange {
    /// The JSON pointer of the change.
    pub fn pointer(&self) -> &str {
        match self {
            JsonChange::Added { pointer, .. }
            | JsonChange::Removed { pointer, .. }
            | JsonChange::Changed { pointer, .. } => pointer,
        }
    }
}

impl fmt::Display for JsonChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = |pointer: &str| {
            if pointer.is_empty() {
                "/".to_owned()
            } else {
                pointer.to_owned()
            }
        };
        match self {
            JsonChange::Added { pointer, new } => write!(f, "+ {}: {new}", at(pointer)),
            JsonChange::Removed { pointer, old } => write!(f, "- {}: {old}", at(pointer)),
            JsonChange::Changed { pointer, old, new } => {
                write!(f, "~ {}: {old} -> {new}", at(pointer))
            }
        }
    }
}

/// Every difference between `old` and `new`, deepest first within each
/// object, in key order. Object member order does not count; array items
/// are compared by position.
///
/// ```
/// use serde_json::json;
/// use polyn_schemas::json_diff;
/// let old = json!({"type": "object", "required": ["id"], "title": "A"});
/// let new = json!({"title": "A", "type": "object", "required": ["id", "name"]});
/// let changes: Vec<String> = json_diff(&old, &new).iter().map(ToString::to_string).collect();
/// assert_eq!(changes, [r#"+ /required/1: "name""#]);
/// ```
pub fn json_diff(old: &Value, new: &Value) -> Vec<JsonChange> {
    let mut changes = Vec::new();
    diff_at(old, new, &mut String::new(), &mut changes);
    changes
}

fn diff_at(old: &Value, new: &Value, pointer: &mut String, changes: &mut Vec<JsonChange>) {
    match (old, new) {
        (Value::Object(old), Value::Object(new)) => {
            let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
            keys.sort_unstable();
            keys.dedup();
            for key in keys {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                match (old.get(key), new.get(key)) {
                    (Some(old), Some(new)) => diff_at(old, new, pointer, changes),
                    (Some(old), None) => changes.push(JsonChange::Removed {
                        pointer: pointer.clone(),
                        old: old.clone(),
                    }),
                    (None, Some(new)) => changes.push(JsonChange::Added {
                        pointer: pointer.clone(),
                        new: new.clone(),
                    }),
                    (None, None) => {}
                }
                pointer.truncate(len);
            }
        }
        (Value::Array(old), Value::Array(new)) => {
            for index in 0..old.len().max(new.len()) {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&index.to_string());
                match (old.get(index), new.get(index)) {
                    (Some(old), Some(new)) => diff_at(old, new, pointer, changes),
                    (Some(old), None) => changes.push(JsonChange::Removed {
                        pointer: pointer.clone(),
                        old: old.clone(),
                    }),
                    (None, Some(new)) => changes.push(JsonChange::Added {
                        pointer: pointer.clone(),
                        new: new.clone(),
                    }),
                    (None, None) => {}
                }
                pointer.truncate(len);
            }
        }
        (old, new) if old != new => changes.push(JsonChange::Changed {
            pointer: pointer.clone(),
            old: old.clone(),
            new: new.clone(),
        }),
        _ => {}
    }
}

/// How two sets of schemas, keyed by message name, differ: which are only
/// in the new set, which changed (and how), which are only in the old set.
///
/// ```
/// use std::collections::BTreeMap;
/// use serde_json::json;
/// let bucket = BTreeMap::from([
///     ("a.v1".to_owned(), json!({"type": "object"})),
///     ("gone.v1".to_owned(), json!({})),
/// ]);
/// let folder = BTreeMap::from([
///     ("a.v1".to_owned(), json!({"type": "object", "title": "A"})),
///     ("b.v1".to_owned(), json!({})),
/// ]);
/// let diff = polyn_schemas::SchemasDiff::between(&bucket, &folder);
/// assert_eq!(diff.added, ["b.v1"]);
/// assert_eq!(diff.changed[0].0, "a.v1");
/// assert_eq!(diff.only_in_old, ["gone.v1"]);
/// assert!(!diff.is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct SchemasDiff {
    /// Names only the new set has.
    pub added: Vec<String>,
    /// Names both have, with different schemas, and the differences.
    pub changed: Vec<(String, Vec<JsonChange>)>,
    /// Names only the old set has.
    pub only_in_old: Vec<String>,
    /// Names both have, with equal schemas.
    pub unchanged: Vec<String>,
}

impl SchemasDiff {
    /// Compares `old` with `new`.
    pub fn between(old: &BTreeMap<String, Value>, new: &BTreeMap<String, Value>) -> Self {
        let mut diff = SchemasDiff::default();
        for (name, schema) in new {
            match old.get(name) {
                None => diff.added.push(name.clone()),
                Some(before) => {
                    let changes = json_diff(before, schema);
                    if changes.is_empty() {
                        diff.unchanged.push(name.clone());
                    } else {
                        diff.changed.push((name.clone(), changes));
                    }
                }
            }
        }
        diff.only_in_old = old
            .keys()
            .filter(|name| !new.contains_key(*name))
            .cloned()
            .collect();
        diff
    }

    /// Nothing added, changed or only in the old set.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.only_in_old.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reports_each_kind_of_change_with_its_pointer() {
        let old = json!({"a": 1, "b": {"c": [1, 2]}, "d/e": true});
        let new = json!({"a": 2, "b": {"c": [1]}, "f": null});
        assert_eq!(
            json_diff(&old, &new),
            [
                JsonChange::Changed {
                    pointer: "/a".into(),
                    old: json!(1),
                    new: json!(2)
                },
                JsonChange::Removed {
                    pointer: "/b/c/1".into(),
                    old: json!(2)
                },
                JsonChange::Removed {
                    pointer: "/d~1e".into(),
                    old: json!(true)
                },
                JsonChange::Added {
                    pointer: "/f".into(),
                    new: json!(null)
                },
            ]
        );
    }

    #[test]
    fn key_order_is_not_a_change_and_a_root_change_prints_slash() {
        assert!(json_diff(&json!({"a": 1, "b": 2}), &json!({"b": 2, "a": 1})).is_empty());
        let change = &json_diff(&json!(true), &json!({}))[0];
        assert_eq!(change.to_string(), "~ /: true -> {}");
        assert_eq!(change.pointer(), "");
    }

    #[test]
    fn equal_sets_are_empty() {
        let set = BTreeMap::from([("a.v1".to_owned(), json!({}))]);
        let diff = SchemasDiff::between(&set, &set);
        assert!(diff.is_empty());
        assert_eq!(diff.unchanged, ["a.v1"]);
    }
}
