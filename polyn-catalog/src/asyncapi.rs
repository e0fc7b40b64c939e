//! The catalog as an AsyncAPI 3.0.0 document: one channel per message
//! (its NATS subject), a `send` operation per message a service publishes
//! and a `receive` operation per handler, and each message's payload as
//! the JSON Schema of its whole CloudEvent.

use serde_json::{Map, Value, json};

use crate::envelope::envelope_schema;
use crate::message::Message;
use crate::model::Model;
use crate::site::first_line;

/// The `schemaFormat` of every payload.
pub(crate) const SCHEMA_FORMAT: &str = "application/schema+json;version=draft-07";

/// The AsyncAPI 3.0.0 document of `model`.
pub(crate) fn document(model: &Model) -> Value {
    let mut channels = Map::new();
    let mut messages = Map::new();
    for message in model.messages.values() {
        channels.insert(message.name.clone(), channel(message));
        messages.insert(message.name.clone(), message_object(message));
    }
    let mut document = json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": model.title,
            "version": "0.0.0",
            "description": description(model),
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations(model),
        "components": { "messages": messages },
    });
    // The version changes whenever anything else in the document does.
    let digest = polyn::schemas::schema_digest(&document);
    document["info"]["version"] =
        Value::String(format!("0.0.0+{}", &digest[..12.min(digest.len())]));
    document
}

fn description(model: &Model) -> String {
    let schemas = model
        .messages
        .values()
        .filter(|message| message.schema.is_some())
        .count();
    format!(
        "The messages of {}: {} ({} with a schema), each a CloudEvent 1.0 in JSON on the NATS \
         subject its channel gives, as Polyn publishes it. The version's build metadata is a \
         digest of this document.",
        model.title,
        crate::site::count(model.messages.len(), "message"),
        schemas,
    )
}

/// The channel of a message: its subject, with the identity value as a
/// parameter when its schema has one.
fn channel(message: &Message) -> Value {
    let mut channel = Map::new();
    let reference =
        json!({ "$ref": format!("#/components/messages/{}", pointer_token(&message.name)) });
    match &message.identity {
        Some(identity) => {
            let parameter = parameter_name(identity);
            channel.insert(
                "address".to_owned(),
                Value::String(format!("{}.{{{parameter}}}", message.name)),
            );
            let mut parameters = Map::new();
            parameters.insert(
                parameter,
                json!({
                    "description": format!("The value of the payload's `{identity}` (the schema's `identity`)."),
                    "location": format!("$message.payload#/data/{}", pointer_token(identity)),
                }),
            );
            channel.insert("parameters".to_owned(), Value::Object(parameters));
        }
        None => {
            channel.insert("address".to_owned(), Value::String(message.name.clone()));
        }
    }
    channel.insert("title".to_owned(), Value::String(message.name.clone()));
    if let Some(description) = &message.description {
        channel.insert(
            "summary".to_owned(),
            Value::String(first_line(description).to_owned()),
        );
    }
    let mut messages = Map::new();
    messages.insert(message.name.clone(), reference);
    channel.insert("messages".to_owned(), Value::Object(messages));
    Value::Object(channel)
}

/// The message object: its envelope schema as payload, its example event.
fn message_object(message: &Message) -> Value {
    let mut object = Map::new();
    object.insert("name".to_owned(), Value::String(message.name.clone()));
    object.insert(
        "title".to_owned(),
        Value::String(
            message
                .title
                .clone()
                .unwrap_or_else(|| message.name.clone()),
        ),
    );
    let summary = match &message.description {
        Some(description) => first_line(description).to_owned(),
        None if message.schema.is_none() => {
            "No schema: a manifest names this message, but no schema was given.".to_owned()
        }
        None => format!("The message {}.", message.name),
    };
    object.insert("summary".to_owned(), Value::String(summary));
    if let Some(description) = &message.description {
        object.insert("description".to_owned(), Value::String(description.clone()));
    }
    object.insert(
        "contentType".to_owned(),
        Value::String("application/json".to_owned()),
    );
    if let Some(schema) = &message.schema {
        object.insert(
            "payload".to_owned(),
            json!({ "schemaFormat": SCHEMA_FORMAT, "schema": envelope_schema(&message.name, schema) }),
        );
    }
    if let Some(event) = &message.event {
        object.insert(
            "examples".to_owned(),
            json!([{ "name": "example", "summary": "An example event, as Polyn sends it.", "payload": event }]),
        );
    }
    Value::Object(object)
}

/// A `send` operation per message a service publishes, a `receive`
/// operation per handler, named `<service>.send.<message>` and
/// `<service>.receive.<message>`.
fn operations(model: &Model) -> Map<String, Value> {
    let mut operations = Map::new();
    for manifest in &model.manifests {
        for name in &manifest.publishes {
            let operation = json!({
                "action": "send",
                "channel": channel_ref(name),
                "messages": [message_ref(name)],
                "summary": format!("{} publishes {name}.", manifest.service),
                "x-polyn": { "service": manifest.service, "domain": manifest.domain },
            });
            insert_unique(
                &mut operations,
                format!("{}.send.{name}", manifest.service),
                operation,
            );
        }
        for handled in &manifest.handles {
            let name = &handled.message;
            let mut handler = Map::new();
            handler.insert(
                "service".to_owned(),
                Value::String(manifest.service.clone()),
            );
            handler.insert("domain".to_owned(), Value::String(manifest.domain.clone()));
            handler.insert("kind".to_owned(), Value::String(handled.kind.clone()));
            for (key, value) in [
                ("consumer", &handled.consumer),
                ("stream", &handled.stream),
                ("source", &handled.source),
                ("queue_group", &handled.queue_group),
            ] {
                if let Some(value) = value {
                    handler.insert(key.to_owned(), Value::String(value.clone()));
                }
            }
            handler.insert("concurrency".to_owned(), Value::from(handled.concurrency));
            let mut operation = json!({
                "action": "receive",
                "channel": channel_ref(name),
                "messages": [message_ref(name)],
                "summary": format!("{} handles {name} ({}).", manifest.service, handled.kind),
                "x-polyn": handler,
            });
            if let Some(group) = &handled.queue_group {
                operation["bindings"] =
                    json!({ "nats": { "queue": group, "bindingVersion": "0.1.0" } });
            }
            insert_unique(
                &mut operations,
                format!("{}.receive.{name}", manifest.service),
                operation,
            );
        }
    }
    operations
}

fn channel_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/channels/{}", pointer_token(name)) })
}

fn message_ref(name: &str) -> Value {
    let token = pointer_token(name);
    json!({ "$ref": format!("#/channels/{token}/messages/{token}") })
}

/// Inserts under `key`, or `key.2`, `key.3`... when it is taken (a
/// service handling a message twice, from two sources).
fn insert_unique(map: &mut Map<String, Value>, key: String, value: Value) {
    if !map.contains_key(&key) {
        map.insert(key, value);
        return;
    }
    let mut index = 2;
    while map.contains_key(&format!("{key}.{index}")) {
        index += 1;
    }
    map.insert(format!("{key}.{index}"), value);
}

/// A name as one JSON-pointer token (`~` and `/` escaped).
fn pointer_token(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// A channel parameter name (letters, digits, `_` and `-`).
fn parameter_name(identity: &str) -> String {
    let name: String = identity
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        "identity".to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use crate::Sources;
    use polyn::manifest::Manifest;
    use serde_json::json;

    fn document(sources: Sources) -> serde_json::Value {
        sources.build().expect("builds").asyncapi().clone()
    }

    #[test]
    fn each_message_has_a_channel_on_its_subject_and_a_message() {
        let doc = document(
            Sources::new("Acme")
                .schema(
                    "widgets.created.v1",
                    json!({"description": "A widget.", "type": "object"}),
                )
                .schema(
                    "user.created.v1",
                    json!({"type": "object", "identity": "id"}),
                ),
        );
        assert_eq!(doc["asyncapi"], "3.0.0");
        assert_eq!(doc["info"]["title"], "Acme");
        assert!(
            doc["info"]["version"]
                .as_str()
                .is_some_and(|v| v.starts_with("0.0.0+"))
        );
        assert_eq!(doc["defaultContentType"], "application/json");
        let widgets = &doc["channels"]["widgets.created.v1"];
        assert_eq!(widgets["address"], "widgets.created.v1");
        assert_eq!(
            widgets["messages"]["widgets.created.v1"]["$ref"],
            "#/components/messages/widgets.created.v1"
        );
        let user = &doc["channels"]["user.created.v1"];
        assert_eq!(user["address"], "user.created.v1.{id}");
        assert_eq!(
            user["parameters"]["id"]["location"],
            "$message.payload#/data/id"
        );
        let message = &doc["components"]["messages"]["widgets.created.v1"];
        assert_eq!(message["summary"], "A widget.");
        assert_eq!(message["contentType"], "application/json");
        assert_eq!(message["payload"]["schemaFormat"], super::SCHEMA_FORMAT);
        assert_eq!(
            message["payload"]["schema"]["properties"]["data"]["type"],
            "object"
        );
        assert_eq!(
            message["examples"][0]["payload"]["type"],
            "com.example.widgets.created.v1"
        );
        assert_eq!(doc["operations"], json!({}));
    }

    #[test]
    fn manifests_give_send_and_receive_operations() {
        let manifest = Manifest::from_json(
            r#"{"service": "calc", "domain": "com.acme", "publishes": ["calc.mult.request.v1"],
                "handles": [
                  {"message": "calc.mult.request.v1", "kind": "request", "queue_group": "calculators", "concurrency": 2},
                  {"message": "calc.mult.request.v1", "kind": "pull", "consumer": "calc_audit_calc_mult_request_v1", "source": "audit", "concurrency": 1}
                ]}"#,
        )
        .expect("parses");
        let doc = document(
            Sources::new("t")
                .schema("calc.mult.request.v1", json!({"type": "object"}))
                .manifest(manifest),
        );
        let send = &doc["operations"]["calc.send.calc.mult.request.v1"];
        assert_eq!(send["action"], "send");
        assert_eq!(send["channel"]["$ref"], "#/channels/calc.mult.request.v1");
        assert_eq!(
            send["messages"][0]["$ref"],
            "#/channels/calc.mult.request.v1/messages/calc.mult.request.v1"
        );
        let receive = &doc["operations"]["calc.receive.calc.mult.request.v1"];
        assert_eq!(receive["action"], "receive");
        assert_eq!(receive["bindings"]["nats"]["queue"], "calculators");
        assert_eq!(receive["x-polyn"]["kind"], "request");
        let audit = &doc["operations"]["calc.receive.calc.mult.request.v1.2"];
        assert_eq!(
            audit["x-polyn"]["consumer"],
            "calc_audit_calc_mult_request_v1"
        );
    }

    #[test]
    fn a_message_without_a_schema_has_no_payload() {
        let manifest = Manifest::from_json(
            r#"{"service": "shop", "domain": "com.acme", "publishes": ["orders.placed.v1"]}"#,
        )
        .expect("parses");
        let doc = document(Sources::new("t").manifest(manifest));
        let message = &doc["components"]["messages"]["orders.placed.v1"];
        assert!(message.get("payload").is_none());
        assert!(
            message["summary"]
                .as_str()
                .is_some_and(|s| s.contains("No schema"))
        );
    }

    #[test]
    fn pointer_tokens_and_parameters_are_safe() {
        assert_eq!(super::pointer_token("a/b~c"), "a~1b~0c");
        assert_eq!(super::parameter_name("user.id"), "user_id");
        assert_eq!(super::parameter_name(""), "identity");
    }
}
