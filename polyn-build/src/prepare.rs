//! Adapting a checked message schema for typify. The schema text published
//! with the type (`EventType::SCHEMA`) is the original; only typify's input
//! is changed:
//!
//! - the root gets the Rust type name as its `title`, because typify names
//!   the root after its title and generates nothing without one; the
//!   original title and description move into the doc comment;
//! - `pattern` is dropped, and `patternProperties` becomes a plain map, so
//!   generated code does not need the `regress` crate;
//! - `contains` is dropped, as typify rejects it; the array stays a `Vec`;
//! - an integer whose least value is 1 (`minimum: 1`, `exclusiveMinimum: 0`)
//!   gets a least value of 0, so typify makes it a plain `u64` instead of a
//!   `NonZeroU64` (unless the builder opts in to `NonZero*` types).
//!
//! Runtime validation against the original schema still enforces them all.

use serde_json::{Map, Value};

use polyn_schemas::keywords;

/// Returns typify's input for the schema of `message`, whose root type is
/// to be called `type_name`; `non_zero` keeps typify's `NonZero*` integers.
pub(crate) fn for_typify(schema: &Value, message: &str, type_name: &str, non_zero: bool) -> Value {
    let mut schema = schema.clone();
    adapt(&mut schema, non_zero);
    if let Value::Object(root) = &mut schema {
        let doc = root_doc(root, message, type_name);
        root.insert("title".to_owned(), Value::String(type_name.to_owned()));
        root.insert("description".to_owned(), Value::String(doc));
    }
    schema
}

/// The root type's documentation: the schema's title (unless it merely
/// repeats the type name) and description, then the message it stands for.
fn root_doc(root: &Map<String, Value>, message: &str, type_name: &str) -> String {
    let mut parts = Vec::new();
    if let Some(title) = root.get("title").and_then(Value::as_str)
        && title != type_name
        && !title.trim().is_empty()
    {
        parts.push(title.trim().to_owned());
    }
    if let Some(description) = root.get("description").and_then(Value::as_str)
        && !description.trim().is_empty()
    {
        parts.push(description.trim().to_owned());
    }
    parts.push(format!(
        "The payload of the Polyn message `{message}`, generated from `{message}.json`."
    ));
    parts.join("\n\n")
}

/// An integer schema whose least value is 1 gets 0 instead (typify makes
/// least value 1, and only 1, a `NonZero*` type).
fn plain_integer(object: &mut Map<String, Value>) {
    let integer = match object.get("type") {
        Some(Value::String(name)) => name == "integer",
        Some(Value::Array(names)) => names.iter().any(|name| name == "integer"),
        _ => false,
    };
    if !integer {
        return;
    }
    let minimum = object.get("minimum").and_then(Value::as_f64);
    let exclusive = object.get("exclusiveMinimum").and_then(Value::as_f64);
    let least = match (minimum, exclusive) {
        (None, None) => return,
        (Some(minimum), None) => minimum,
        (None, Some(exclusive)) => exclusive + 1.0,
        (Some(minimum), Some(exclusive)) => minimum.max(exclusive + 1.0),
    };
    if least == 1.0 {
        object.remove("exclusiveMinimum");
        object.insert("minimum".to_owned(), Value::from(0));
    }
}

fn adapt(schema: &mut Value, non_zero: bool) {
    let Value::Object(object) = schema else {
        return;
    };
    if !non_zero {
        plain_integer(object);
    }
    object.remove("pattern");
    object.remove("contains");
    if let Some(Value::Object(patterns)) = object.remove("patternProperties") {
        let has_properties = object
            .get("properties")
            .and_then(Value::as_object)
            .is_some_and(|properties| !properties.is_empty());
        let closed = object.get("additionalProperties") == Some(&Value::Bool(false));
        let mut values = patterns.into_iter().map(|(_, schema)| schema);
        let first = values.next();
        let all_same = first
            .as_ref()
            .is_some_and(|first| values.all(|other| &other == first));
        match first {
            // `{"patternProperties": {"^x": S}}`: a map of S.
            Some(value_schema)
                if all_same && !has_properties && !object.contains_key("additionalProperties") =>
            {
                object.insert("additionalProperties".to_owned(), value_schema);
            }
            // Otherwise keep the fixed properties; only stop rejecting the
            // properties the patterns allow.
            _ if closed => {
                object.remove("additionalProperties");
            }
            _ => {}
        }
    }
    for (key, value) in object.iter_mut() {
        let key = key.as_str();
        if keywords::SCHEMA_MAP.contains(&key) {
            if let Value::Object(map) = value {
                map.values_mut().for_each(|schema| adapt(schema, non_zero));
            }
        } else if keywords::SCHEMA_ARRAY.contains(&key) || key == "items" {
            match value {
                Value::Array(items) => items.iter_mut().for_each(|schema| adapt(schema, non_zero)),
                schema => adapt(schema, non_zero),
            }
        } else if keywords::SCHEMA.contains(&key) {
            adapt(value, non_zero);
        } else if key == "dependencies"
            && let Value::Object(map) = value
        {
            map.values_mut().for_each(|schema| adapt(schema, non_zero));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn names_the_root_and_keeps_its_title_in_the_docs() {
        let schema =
            json!({"title": "A user signed up", "description": "Sent once.", "type": "object"});
        let out = for_typify(&schema, "user.created.v1", "UserCreatedV1", false);
        assert_eq!(out["title"], "UserCreatedV1");
        assert_eq!(
            out["description"],
            "A user signed up\n\nSent once.\n\nThe payload of the Polyn message `user.created.v1`, \
             generated from `user.created.v1.json`."
        );
        let same = json!({"title": "UserCreatedV1"});
        let out = for_typify(&same, "user.created.v1", "UserCreatedV1", false);
        assert!(
            out["description"]
                .as_str()
                .unwrap()
                .starts_with("The payload")
        );
    }

    #[test]
    fn drops_patterns_only_in_schema_positions() {
        let schema = json!({
            "properties": {
                "pattern": {"type": "string", "pattern": "^a$"},
                "list": {"items": {"pattern": "^b$"}, "contains": {"const": "x"}},
                "any": {"anyOf": [{"pattern": "^c$"}, {"type": "null"}]}
            },
            "default": {"pattern": "kept"}
        });
        let out = for_typify(&schema, "a.v1", "AV1", false);
        assert_eq!(out["properties"]["pattern"], json!({"type": "string"}));
        assert_eq!(out["properties"]["list"], json!({"items": {}}));
        assert_eq!(out["properties"]["any"]["anyOf"][0], json!({}));
        assert_eq!(out["default"]["pattern"], "kept");
    }

    #[test]
    fn integers_least_one_become_plain_unless_non_zero_is_asked_for() {
        let schema = json!({"properties": {
            "quantity": {"type": "integer", "minimum": 1},
            "count": {"type": ["integer", "null"], "exclusiveMinimum": 0, "maximum": 9},
            "five": {"type": "integer", "minimum": 5},
            "ratio": {"type": "number", "minimum": 1},
            "list": {"type": "array", "items": {"type": "integer", "minimum": 1}}
        }});
        let out = for_typify(&schema, "a.v1", "AV1", false);
        let p = &out["properties"];
        assert_eq!(p["quantity"], json!({"type": "integer", "minimum": 0}));
        assert_eq!(
            p["count"],
            json!({"type": ["integer", "null"], "minimum": 0, "maximum": 9})
        );
        assert_eq!(p["five"], schema["properties"]["five"]);
        assert_eq!(p["ratio"], schema["properties"]["ratio"]);
        assert_eq!(p["list"]["items"], json!({"type": "integer", "minimum": 0}));
        let kept = for_typify(&schema, "a.v1", "AV1", true);
        assert_eq!(kept["properties"], schema["properties"]);
    }

    #[test]
    fn pattern_properties_become_maps() {
        let schema =
            json!({"properties": {"m": {"patternProperties": {"^x-": {"type": "integer"}}}}});
        let out = for_typify(&schema, "a.v1", "AV1", false);
        assert_eq!(
            out["properties"]["m"],
            json!({"additionalProperties": {"type": "integer"}})
        );
        let schema = json!({
            "properties": {"a": {}},
            "patternProperties": {"^x-": {}},
            "additionalProperties": false
        });
        let out = for_typify(&schema, "a.v1", "AV1", false);
        assert!(out.get("additionalProperties").is_none());
        assert!(out.get("patternProperties").is_none());
    }
}
