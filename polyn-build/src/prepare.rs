//! Adapting a checked message schema for typify. The schema text published
//! with the type (`EventType::SCHEMA`) is the original; only typify's input
//! is changed:
//!
//! - the root gets the Rust type name as its `title`, because typify names
//!   the root after its title and generates nothing without one; the
//!   original title and description move into the doc comment;
//! - `pattern` is dropped, and `patternProperties` becomes a plain map, so
//!   generated code does not need the `regress` crate;
//! - `contains` is dropped, as typify rejects it; the array stays a `Vec`.
//!
//! Runtime validation against the original schema still enforces all three.

use serde_json::{Map, Value};

use polyn_schemas::keywords;

/// Returns typify's input for the schema of `message`, whose root type is
/// to be called `type_name`.
pub(crate) fn for_typify(schema: &Value, message: &str, type_name: &str) -> Value {
    let mut schema = schema.clone();
    strip_patterns(&mut schema);
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

fn strip_patterns(schema: &mut Value) {
    let Value::Object(object) = schema else {
        return;
    };
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
                map.values_mut().for_each(strip_patterns);
            }
        } else if keywords::SCHEMA_ARRAY.contains(&key) || key == "items" {
            match value {
                Value::Array(items) => items.iter_mut().for_each(strip_patterns),
                schema => strip_patterns(schema),
            }
        } else if keywords::SCHEMA.contains(&key) {
            strip_patterns(value);
        } else if key == "dependencies"
            && let Value::Object(map) = value
        {
            map.values_mut().for_each(strip_patterns);
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
        let out = for_typify(&schema, "user.created.v1", "UserCreatedV1");
        assert_eq!(out["title"], "UserCreatedV1");
        assert_eq!(
            out["description"],
            "A user signed up\n\nSent once.\n\nThe payload of the Polyn message `user.created.v1`, \
             generated from `user.created.v1.json`."
        );
        let same = json!({"title": "UserCreatedV1"});
        let out = for_typify(&same, "user.created.v1", "UserCreatedV1");
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
        let out = for_typify(&schema, "a.v1", "AV1");
        assert_eq!(out["properties"]["pattern"], json!({"type": "string"}));
        assert_eq!(out["properties"]["list"], json!({"items": {}}));
        assert_eq!(out["properties"]["any"]["anyOf"][0], json!({}));
        assert_eq!(out["default"]["pattern"], "kept");
    }

    #[test]
    fn pattern_properties_become_maps() {
        let schema =
            json!({"properties": {"m": {"patternProperties": {"^x-": {"type": "integer"}}}}});
        let out = for_typify(&schema, "a.v1", "AV1");
        assert_eq!(
            out["properties"]["m"],
            json!({"additionalProperties": {"type": "integer"}})
        );
        let schema = json!({
            "properties": {"a": {}},
            "patternProperties": {"^x-": {}},
            "additionalProperties": false
        });
        let out = for_typify(&schema, "a.v1", "AV1");
        assert!(out.get("additionalProperties").is_none());
        assert!(out.get("patternProperties").is_none());
    }
}
