//! The CloudEvent envelope a message travels in: an example event as
//! Polyn sends it, and the JSON Schema of the whole envelope with the
//! message's schema as its `data`.

use polyn::Event;
use polyn::naming;
use serde_json::{Map, Value};

/// The `id` of every example event.
pub(crate) const EXAMPLE_ID: &str = "5f0c8a1e-3d2b-4c6a-9e7f-1a2b3c4d5e6f";
/// The `time` of every example event: 2026-05-17T09:30:00Z.
const EXAMPLE_TIME: i64 = 1_779_010_200;
/// The domain of a message no manifest mentions.
pub(crate) const EXAMPLE_DOMAIN: &str = "com.example";
/// The source root of a message no manifest publishes.
pub(crate) const EXAMPLE_SOURCE_ROOT: &str = "example";

/// The example event of the message `name`: a CloudEvent as Polyn sends
/// it, with `type` `<domain>.<name>`, `source` `<domain>:<source root>`
/// (dots turned into colons) and `data`.
pub(crate) fn example_event(name: &str, domain: &str, source_root: &str, data: Value) -> Value {
    // Names were checked when the sources were read; the fallbacks only
    // keep this total.
    let event_type = naming::full_type(domain, name).unwrap_or_else(|_| format!("{domain}.{name}"));
    let source = naming::full_source(domain, source_root, None)
        .unwrap_or_else(|_| naming::dot_to_colon(&format!("{domain}:{source_root}")));
    let mut event = Event::new(event_type, source, data).with_id(EXAMPLE_ID);
    if let Some(time) = chrono::DateTime::from_timestamp(EXAMPLE_TIME, 0) {
        event = event.with_time(time);
    }
    // A JSON value always encodes.
    event.to_json().unwrap_or_default()
}

/// The JSON Schema of the envelope carrying a message: the protocol's
/// CloudEvent schema (without its `$id`), with `data` required and described by `data_schema`
/// (its `$schema` and `$id` dropped and its local `$ref`s pointed at where
/// it now sits, `#/properties/data`).
pub(crate) fn envelope_schema(name: &str, data_schema: &Value) -> Value {
    let mut envelope: Map<String, Value> =
        match serde_json::from_str(polyn::validation::CLOUD_EVENT_SCHEMA) {
            Ok(Value::Object(envelope)) => envelope,
            _ => Map::new(),
        };
    // Another schema than the protocol's: not under its `$id`.
    envelope.shift_remove("$id");
    envelope.insert(
        "title".to_owned(),
        Value::String(format!("{name} in its Polyn CloudEvent envelope")),
    );
    let mut data = data_schema.clone();
    if let Value::Object(fields) = &mut data {
        fields.shift_remove("$schema");
        fields.shift_remove("$id");
    }
    relocate_refs(&mut data, "/properties/data");
    if let Some(Value::Object(properties)) = envelope.get_mut("properties") {
        properties.insert("data".to_owned(), data);
    }
    let mut required = match envelope.get("required") {
        Some(Value::Array(required)) => required.clone(),
        _ => Vec::new(),
    };
    if !required.iter().any(|key| key == "data") {
        required.push(Value::from("data"));
    }
    envelope.insert("required".to_owned(), Value::Array(required));
    Value::Object(envelope)
}

/// Rewrites every local JSON-pointer `$ref` (`#`, `#/definitions/X`) in
/// `schema` as if the schema were moved to `at` inside another document.
fn relocate_refs(schema: &mut Value, at: &str) {
    match schema {
        Value::Object(fields) => {
            for (key, value) in fields.iter_mut() {
                match value {
                    Value::String(reference) if key == "$ref" => {
                        if let Some(pointer) = reference.strip_prefix('#')
                            && (pointer.is_empty() || pointer.starts_with('/'))
                        {
                            *reference = format!("#{at}{pointer}");
                        }
                    }
                    other => relocate_refs(other, at),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| relocate_refs(item, at)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_example_event_is_what_polyn_sends() {
        let event = example_event(
            "widgets.created.v1",
            "com.acme",
            "acme.quickstart",
            json!({"id": "w1"}),
        );
        assert_eq!(event["specversion"], "1.0");
        assert_eq!(event["type"], "com.acme.widgets.created.v1");
        assert_eq!(event["source"], "com:acme:acme:quickstart");
        assert_eq!(event["datacontenttype"], "application/json");
        assert_eq!(event["polyndata"]["clientlang"], "rust");
        assert_eq!(event["data"], json!({"id": "w1"}));
        polyn::validation::validate_envelope(&event).expect("a valid envelope");
        let keys: Vec<&str> = event
            .as_object()
            .map(|fields| fields.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            [
                "specversion",
                "id",
                "source",
                "type",
                "time",
                "datacontenttype",
                "polyndata",
                "data"
            ]
        );
    }

    #[test]
    fn refs_follow_the_schema_into_the_envelope() {
        let mut schema = json!({
            "properties": {
                "a": { "$ref": "#/definitions/A" },
                "b": { "items": [{ "$ref": "#" }] },
                "c": { "$ref": "other.json#/x" },
                "d": { "$ref": "#anchor" }
            }
        });
        relocate_refs(&mut schema, "/properties/data");
        assert_eq!(
            schema["properties"]["a"]["$ref"],
            "#/properties/data/definitions/A"
        );
        assert_eq!(
            schema["properties"]["b"]["items"][0]["$ref"],
            "#/properties/data"
        );
        assert_eq!(schema["properties"]["c"]["$ref"], "other.json#/x");
        assert_eq!(schema["properties"]["d"]["$ref"], "#anchor");
    }

    #[test]
    fn the_envelope_schema_requires_data_of_the_message_schema() {
        let envelope = envelope_schema(
            "widgets.created.v1",
            &json!({
                "$schema": "http://json-schema.org/draft-07/schema#",
                "$id": "widgets:created:v1",
                "type": "object",
                "properties": { "id": { "type": "string" } },
                "required": ["id"]
            }),
        );
        assert!(envelope["required"].as_array().is_some_and(|required| {
            required.contains(&json!("data")) && required.contains(&json!("source"))
        }));
        assert_eq!(envelope["properties"]["data"]["required"], json!(["id"]));
        assert!(envelope["properties"]["data"].get("$id").is_none());
        assert!(envelope.get("$id").is_none());
        assert_eq!(
            envelope["title"],
            "widgets.created.v1 in its Polyn CloudEvent envelope"
        );
        assert!(envelope["properties"]["polyndata"].is_object());
    }
}
