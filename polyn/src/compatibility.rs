//! Backward compatibility of a schema change: what a service may change in
//! place, and what needs a new version (`orders.placed.v2`) because
//! events or consumers of the old schema would break.
//!
//! A change is compatible when every event valid under the old schema is
//! valid under the new one, and the new one lets through nothing that
//! consumers built from the old one (generated Rust types, closed objects)
//! would reject. The rules, each reported with the JSON pointer into the
//! schema:
//!
//! | change | verdict |
//! |---|---|
//! | an optional property added, descriptions, titles, examples, defaults | compatible |
//! | a property removed (or renamed) | breaking |
//! | a required property added, or a property made required; one no longer required | breaking |
//! | `type` changed, narrowed or widened | breaking |
//! | `additionalProperties` closed (to `false`) or opened (from `false`) | breaking |
//! | `enum` values removed or added, `const` changed | breaking |
//! | `minimum`, `exclusiveMinimum`, `minLength`, `minItems`, `minProperties` raised or added | breaking |
//! | `maximum`, `exclusiveMaximum`, `maxLength`, `maxItems`, `maxProperties` lowered or added | breaking |
//! | `pattern`, `format`, `multipleOf`, `propertyNames`, `$ref` added or changed | breaking |
//! | any other keyword changed (`not`, `if`, `dependentRequired`, ...) | breaking: not provably safe |
//!
//! Nested schemas (`properties`, `items`, `additionalProperties`,
//! `definitions`/`$defs`, `oneOf`/`anyOf`/`allOf` alternatives) are
//! compared the same way, at any depth.

use serde_json::{Map, Value};

/// One breaking change.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Incompatibility {
    /// Where in the schema, as a JSON pointer (`/properties/lines/items`).
    pub path: String,
    /// What changed.
    pub change: String,
}

impl std::fmt::Display for Incompatibility {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(f, "at `{path}`: {}", self.change)
    }
}

/// Keywords that never change what is valid.
const ANNOTATIONS: &[&str] = &[
    "description",
    "title",
    "examples",
    "default",
    "$comment",
    "$schema",
    "$id",
    "deprecated",
    "readOnly",
    "writeOnly",
    "identity",
    "stream_config",
];

/// Keywords compared below by a rule of their own.
const HANDLED: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "enum",
    "const",
    "items",
    "definitions",
    "$defs",
    "oneOf",
    "anyOf",
    "allOf",
    "minimum",
    "exclusiveMinimum",
    "minLength",
    "minItems",
    "minProperties",
    "maximum",
    "exclusiveMaximum",
    "maxLength",
    "maxItems",
    "maxProperties",
];

/// Every breaking change from `old` to `new`, in schema order.
///
/// ```
/// use serde_json::json;
/// let old = json!({"type": "object", "properties": {"id": {"type": "string"}}});
/// let new = json!({"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]});
/// let breaks = polyn::schema::incompatibilities(&old, &new);
/// assert_eq!(breaks.len(), 2);
/// assert_eq!(breaks[0].path, "/properties/id");
/// ```
pub fn incompatibilities(old: &Value, new: &Value) -> Vec<Incompatibility> {
    let mut found = Vec::new();
    compare(old, new, "", &mut found);
    found
}

/// `Ok` when `new` can replace `old` in place; else
/// [`Error::IncompatibleSchema`](crate::Error::IncompatibleSchema), listing
/// every breaking change and naming the version to publish instead.
///
/// ```
/// use serde_json::json;
/// let old = json!({"type": "object", "properties": {"id": {"type": "string"}}});
/// let new = json!({"type": "object", "properties": {}});
/// let err = polyn::schema::check_compatibility("orders.placed.v1", &old, &new).unwrap_err();
/// assert!(err.to_string().contains("orders.placed.v2"));
/// ```
pub fn check_compatibility(
    name: &str,
    old: &Value,
    new: &Value,
) -> Result<(), crate::error::Error> {
    let changes = incompatibilities(old, new);
    if changes.is_empty() {
        return Ok(());
    }
    Err(crate::error::Error::IncompatibleSchema {
        name: name.to_owned(),
        next: crate::naming::next_version(name).unwrap_or_else(|| format!("{name}.v2")),
        changes,
    })
}

fn push(found: &mut Vec<Incompatibility>, path: &str, change: String) {
    found.push(Incompatibility {
        path: path.to_owned(),
        change,
    });
}

/// `path` with one more JSON pointer token.
fn child(path: &str, token: &str) -> String {
    format!("{path}/{}", token.replace('~', "~0").replace('/', "~1"))
}

fn compare(old: &Value, new: &Value, path: &str, found: &mut Vec<Incompatibility>) {
    let (old, new) = match (old, new) {
        (Value::Object(old), Value::Object(new)) => (old, new),
        // `true`/`false` schemas, or a schema replaced by one.
        _ if old == new => return,
        _ => {
            return push(
                found,
                path,
                format!("the schema changed from {old} to {new}"),
            );
        }
    };
    types(old, new, path, found);
    properties(old, new, path, found);
    required(old, new, path, found);
    additional_properties(old, new, path, found);
    enums(old, new, path, found);
    bounds(old, new, path, found);
    for key in ["items", "definitions", "$defs"] {
        nested(key, old.get(key), new.get(key), path, found);
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        alternatives(key, old.get(key), new.get(key), path, found);
    }
    // Everything else must stay as it was.
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        if ANNOTATIONS.contains(&key.as_str()) || HANDLED.contains(&key.as_str()) {
            continue;
        }
        match (old.get(key), new.get(key)) {
            (Some(a), Some(b)) if a == b => {}
            (None, Some(value)) => push(found, path, format!("`{key}` was added ({value})")),
            (Some(value), None) => push(found, path, format!("`{key}` was removed ({value})")),
            (Some(a), Some(b)) => push(found, path, format!("`{key}` changed from {a} to {b}")),
            (None, None) => {}
        }
    }
}

/// A `type` as a sorted set (absent: any type).
fn type_set(schema: &Map<String, Value>) -> Option<Vec<String>> {
    let mut set: Vec<String> = match schema.get("type")? {
        Value::String(one) => vec![one.clone()],
        Value::Array(many) => many
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => return None,
    };
    set.sort();
    set.dedup();
    Some(set)
}

fn types(
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    path: &str,
    found: &mut Vec<Incompatibility>,
) {
    let (before, after) = (type_set(old), type_set(new));
    if before == after {
        return;
    }
    let show = |set: &Option<Vec<String>>| match set {
        None => "any type".to_owned(),
        Some(set) => set.join(" or "),
    };
    push(
        found,
        path,
        format!(
            "the `type` changed from {} to {}",
            show(&before),
            show(&after)
        ),
    );
}

fn object<'a>(schema: &'a Map<String, Value>, key: &str) -> Option<&'a Map<String, Value>> {
    schema.get(key).and_then(Value::as_object)
}

fn properties(
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    path: &str,
    found: &mut Vec<Incompatibility>,
) {
    let empty = Map::new();
    let before = object(old, "properties").unwrap_or(&empty);
    let after = object(new, "properties").unwrap_or(&empty);
    let at = child(path, "properties");
    for (name, schema) in before {
        match after.get(name) {
            Some(new_schema) => compare(schema, new_schema, &child(&at, name), found),
            None => push(
                found,
                &at,
                format!("the property `{name}` was removed (or renamed): consumers read it"),
            ),
        }
    }
}

fn string_set(schema: &Map<String, Value>, key: &str) -> Vec<String> {
    let mut set: Vec<String> = schema
        .get(key)
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    set.sort();
    set
}

fn required(
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    path: &str,
    found: &mut Vec<Incompatibility>,
) {
    let (before, after) = (string_set(old, "required"), string_set(new, "required"));
    let added: Vec<&String> = after.iter().filter(|name| !before.contains(name)).collect();
    let removed: Vec<&String> = before.iter().filter(|name| !after.contains(name)).collect();
    let at = child(path, "required");
    if !added.is_empty() {
        push(
            found,
            &at,
            format!(
                "required properties were added: {added:?}; events without them become invalid"
            ),
        );
    }
    if !removed.is_empty() {
        push(
            found,
            &at,
            format!("properties are no longer required: {removed:?}; consumers rely on them"),
        );
    }
}

fn additional_properties(
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    path: &str,
    found: &mut Vec<Incompatibility>,
) {
    let at = child(path, "additionalProperties");
    let closed = |value: Option<&Value>| value == Some(&Value::Bool(false));
    match (
        old.get("additionalProperties"),
        new.get("additionalProperties"),
    ) {
        (before, after) if closed(before) && !closed(after) => push(
            found,
            &at,
            "additional properties were allowed (opened from `false`): consumers of the closed \
             schema reject them"
                .to_owned(),
        ),
        (before, after) if !closed(before) && closed(after) => push(
            found,
            &at,
            "additional properties were forbidden (closed to `false`): events with other \
             properties become invalid"
                .to_owned(),
        ),
        (Some(before @ Value::Object(_)), Some(after @ Value::Object(_))) => {
            compare(before, after, &at, found);
        }
        (Some(Value::Object(_)), None | Some(Value::Bool(true))) => push(
            found,
            &at,
            "the schema of additional properties was removed: they are no longer checked"
                .to_owned(),
        ),
        (None | Some(Value::Bool(true)), Some(after @ Value::Object(_))) => push(
            found,
            &at,
            format!("additional properties must now match {after}"),
        ),
        _ => {}
    }
}

fn enums(
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    path: &str,
    found: &mut Vec<Incompatibility>,
) {
    match (
        old.get("enum").and_then(Value::as_array),
        new.get("enum").and_then(Value::as_array),
    ) {
        (Some(before), Some(after)) => {
            let removed: Vec<&Value> = before.iter().filter(|v| !after.contains(v)).collect();
            let added: Vec<&Value> = after.iter().filter(|v| !before.contains(v)).collect();
            let at = child(path, "enum");
            if !removed.is_empty() {
                push(
                    found,
                    &at,
                    format!("`enum` values were removed: {removed:?}"),
                );
            }
            if !added.is_empty() {
                push(
                    found,
                    &at,
                    format!(
                        "`enum` values were added: {added:?}; consumers' generated types reject them"
                    ),
                );
            }
        }
        (None, Some(after)) => push(found, path, format!("an `enum` was added: {after:?}")),
        (Some(_), None) => push(found, path, "the `enum` was removed".to_owned()),
        (None, None) => {}
    }
    match (old.get("const"), new.get("const")) {
        (a, b) if a == b => {}
        (a, b) => push(
            found,
            &child(path, "const"),
            format!("`const` changed from {} to {}", show(a), show(b)),
        ),
    }
}

fn show(value: Option<&Value>) -> String {
    value.map_or_else(|| "nothing".to_owned(), Value::to_string)
}

fn bounds(
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    path: &str,
    found: &mut Vec<Incompatibility>,
) {
    const LOWER: &[&str] = &[
        "minimum",
        "exclusiveMinimum",
        "minLength",
        "minItems",
        "minProperties",
    ];
    const UPPER: &[&str] = &[
        "maximum",
        "exclusiveMaximum",
        "maxLength",
        "maxItems",
        "maxProperties",
    ];
    for (keys, tighter) in [(LOWER, true), (UPPER, false)] {
        for key in keys {
            let number = |schema: &Map<String, Value>| schema.get(*key).and_then(Value::as_f64);
            let (before, after) = (number(old), number(new));
            let tightened = match (before, after) {
                (None, Some(_)) => true,
                (Some(a), Some(b)) => (tighter && b > a) || (!tighter && b < a),
                _ => false,
            };
            let loosened_past_consumers = matches!((before, after), (Some(_), None))
                || matches!((before, after), (Some(a), Some(b)) if (tighter && b < a) || (!tighter && b > a));
            if tightened {
                push(
                    found,
                    &child(path, key),
                    format!(
                        "`{key}` was tightened from {} to {}",
                        show(old.get(*key)),
                        show(new.get(*key))
                    ),
                );
            } else if loosened_past_consumers {
                push(
                    found,
                    &child(path, key),
                    format!(
                        "`{key}` was loosened from {} to {}: consumers built on the old bound reject the new values",
                        show(old.get(*key)),
                        show(new.get(*key))
                    ),
                );
            }
        }
    }
}

fn nested(
    key: &str,
    old: Option<&Value>,
    new: Option<&Value>,
    path: &str,
    found: &mut Vec<Incompatibility>,
) {
    let at = child(path, key);
    match (old, new) {
        (Some(Value::Object(before)), Some(Value::Object(after))) if key != "items" => {
            // `definitions`/`$defs`: the same name, compared; others as `$ref` changes show.
            for (name, schema) in before {
                if let Some(new_schema) = after.get(name) {
                    compare(schema, new_schema, &child(&at, name), found);
                }
            }
        }
        (Some(Value::Array(before)), Some(Value::Array(after))) => {
            if before.len() != after.len() {
                push(
                    found,
                    &at,
                    format!(
                        "the tuple `items` changed from {} to {} entries",
                        before.len(),
                        after.len()
                    ),
                );
            }
            for (index, (a, b)) in before.iter().zip(after).enumerate() {
                compare(a, b, &child(&at, &index.to_string()), found);
            }
        }
        (Some(before), Some(after)) => compare(before, after, &at, found),
        (None, Some(after)) if key == "items" => {
            push(found, path, format!("array items must now match {after}"));
        }
        (Some(_), None) if key == "items" => {
            push(
                found,
                path,
                "the schema of array items was removed".to_owned(),
            );
        }
        _ => {}
    }
}

fn alternatives(
    key: &str,
    old: Option<&Value>,
    new: Option<&Value>,
    path: &str,
    found: &mut Vec<Incompatibility>,
) {
    let at = child(path, key);
    match (old.and_then(Value::as_array), new.and_then(Value::as_array)) {
        (Some(before), Some(after)) if before.len() == after.len() => {
            for (index, (a, b)) in before.iter().zip(after).enumerate() {
                compare(a, b, &child(&at, &index.to_string()), found);
            }
        }
        (None, None) => {}
        (before, after) => push(
            found,
            &at,
            format!(
                "the `{key}` alternatives changed from {} to {}",
                before.map_or(0, Vec::len),
                after.map_or(0, Vec::len)
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn base() -> Value {
        json!({
            "type": "object",
            "description": "An order",
            "properties": {
                "id": {"type": "string"},
                "status": {"type": "string", "enum": ["pending", "paid"]},
                "lines": {"type": "array", "items": {
                    "type": "object",
                    "properties": {"quantity": {"type": "integer", "minimum": 1}, "sku": {"type": "string", "maxLength": 20}},
                    "required": ["quantity"]
                }},
                "note": {"type": "string"}
            },
            "required": ["id"]
        })
    }

    /// The paths of the breaking changes after `change`.
    fn breaks(change: impl FnOnce(&mut Value)) -> Vec<(String, String)> {
        let mut new = base();
        change(&mut new);
        incompatibilities(&base(), &new)
            .into_iter()
            .map(|i| (i.path, i.change))
            .collect()
    }

    fn paths(change: impl FnOnce(&mut Value)) -> Vec<String> {
        breaks(change).into_iter().map(|(path, _)| path).collect()
    }

    #[test]
    fn compatible_changes() {
        assert!(paths(|_| {}).is_empty());
        assert!(paths(|s| s["properties"]["extra"] = json!({"type": "string"})).is_empty());
        assert!(paths(|s| s["description"] = json!("Changed")).is_empty());
        assert!(paths(|s| s["properties"]["id"]["description"] = json!("The id")).is_empty());
        assert!(paths(|s| s["required"] = json!(["id"])).is_empty());
    }

    #[test]
    fn properties_removed_or_renamed() {
        assert_eq!(
            paths(|s| {
                s["properties"].as_object_mut().map(|p| p.remove("note"));
            }),
            ["/properties"]
        );
        let deep = breaks(|s| {
            s["properties"]["lines"]["items"]["properties"]
                .as_object_mut()
                .map(|p| p.remove("sku"));
        });
        assert_eq!(deep[0].0, "/properties/lines/items/properties");
        assert!(deep[0].1.contains("`sku` was removed"), "{deep:?}");
    }

    #[test]
    fn required_added_or_removed() {
        let added = breaks(|s| s["required"] = json!(["id", "note"]));
        assert_eq!(added[0].0, "/required");
        assert!(added[0].1.contains("\"note\""));
        assert_eq!(paths(|s| s["required"] = json!([])), ["/required"]);
        assert_eq!(
            paths(|s| s["properties"]["lines"]["items"]["required"] = json!(["quantity", "sku"])),
            ["/properties/lines/items/required"]
        );
    }

    #[test]
    fn types_changed_narrowed_or_widened() {
        assert_eq!(
            paths(|s| s["properties"]["id"]["type"] = json!("integer")),
            ["/properties/id"]
        );
        assert_eq!(
            paths(|s| s["properties"]["id"]["type"] = json!(["string", "null"])),
            ["/properties/id"]
        );
        let narrowed = breaks(|s| {
            s["properties"]["lines"]["items"]["properties"]["quantity"]["type"] = json!("number")
        });
        assert_eq!(narrowed[0].0, "/properties/lines/items/properties/quantity");
        assert!(narrowed[0].1.contains("from integer to number"));
        assert!(
            paths(|s| s["properties"]["id"]["type"] = json!(["string"])).is_empty(),
            "the same set"
        );
    }

    #[test]
    fn additional_properties_closed_or_opened() {
        assert_eq!(
            paths(|s| s["additionalProperties"] = json!(false)),
            ["/additionalProperties"]
        );
        let mut closed = base();
        closed["additionalProperties"] = json!(false);
        let opened = incompatibilities(&closed, &base());
        assert_eq!(opened[0].path, "/additionalProperties");
        assert!(opened[0].change.contains("opened"));
        assert!(
            paths(|s| s["additionalProperties"] = json!(true)).is_empty(),
            "nil to true"
        );
    }

    #[test]
    fn enums_and_const() {
        assert_eq!(
            paths(|s| s["properties"]["status"]["enum"] = json!(["pending"])),
            ["/properties/status/enum"]
        );
        let added =
            breaks(|s| s["properties"]["status"]["enum"] = json!(["pending", "paid", "lost"]));
        assert!(added[0].1.contains("added"), "{added:?}");
        assert!(
            paths(|s| s["properties"]["status"]["enum"] = json!(["paid", "pending"])).is_empty(),
            "order"
        );
        assert_eq!(
            paths(|s| s["properties"]["note"]["const"] = json!("x")),
            ["/properties/note/const"]
        );
    }

    #[test]
    fn bounds_tightened_or_loosened() {
        let quantity = "/properties/lines/items/properties/quantity";
        assert_eq!(
            paths(
                |s| s["properties"]["lines"]["items"]["properties"]["quantity"]["minimum"] =
                    json!(2)
            ),
            [format!("{quantity}/minimum")]
        );
        assert_eq!(
            paths(
                |s| s["properties"]["lines"]["items"]["properties"]["sku"]["maxLength"] = json!(10)
            ),
            ["/properties/lines/items/properties/sku/maxLength"]
        );
        assert_eq!(
            paths(|s| s["properties"]["id"]["minLength"] = json!(1)),
            ["/properties/id/minLength"]
        );
        let loosened = breaks(|s| {
            s["properties"]["lines"]["items"]["properties"]["sku"]["maxLength"] = json!(40)
        });
        assert!(loosened[0].1.contains("loosened"), "{loosened:?}");
    }

    #[test]
    fn pattern_format_and_unknown_keywords() {
        assert_eq!(
            paths(|s| s["properties"]["id"]["pattern"] = json!("^o-")),
            ["/properties/id"]
        );
        assert_eq!(
            paths(|s| s["properties"]["id"]["format"] = json!("uuid")),
            ["/properties/id"]
        );
        assert_eq!(paths(|s| s["not"] = json!({"required": ["x"]})), [""]);
        assert_eq!(
            paths(|s| s["propertyNames"] = json!({"pattern": "^[a-z]+$"})),
            [""]
        );
    }

    #[test]
    fn alternatives_and_definitions() {
        let old = json!({"definitions": {"A": {"type": "string"}}, "oneOf": [{"type": "string"}, {"type": "integer"}]});
        let new = json!({"definitions": {"A": {"type": "integer"}}, "oneOf": [{"type": "string"}]});
        let found: Vec<String> = incompatibilities(&old, &new)
            .into_iter()
            .map(|i| i.path)
            .collect();
        assert_eq!(found, ["/definitions/A", "/oneOf"]);
        let new = json!({"definitions": {"A": {"type": "string"}}, "oneOf": [{"type": "string"}, {"type": "number"}]});
        let found: Vec<String> = incompatibilities(&old, &new)
            .into_iter()
            .map(|i| i.path)
            .collect();
        assert_eq!(found, ["/oneOf/1"]);
    }

    #[test]
    fn pointer_tokens_are_escaped() {
        let old = json!({"properties": {"a/b": {"type": "string"}}});
        let new = json!({"properties": {"a/b": {"type": "integer"}}});
        assert_eq!(incompatibilities(&old, &new)[0].path, "/properties/a~1b");
    }
}
