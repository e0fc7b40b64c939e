//! One message of the catalog, joined from every source: its schema, the
//! services that publish and handle it, its example event and how it
//! compares with its previous version.

use std::collections::BTreeMap;

use polyn::manifest::{Handled, Manifest};
use serde_json::Value;

use crate::envelope::{EXAMPLE_DOMAIN, EXAMPLE_SOURCE_ROOT, example_event};
use crate::example::{Example, example};
use crate::properties::{Row, rows};

/// One message name and everything known about it.
#[derive(Clone, Debug)]
pub(crate) struct Message {
    pub(crate) name: String,
    /// The name without its version, like `widgets.created`.
    pub(crate) base: String,
    pub(crate) version: Option<u32>,
    /// `None` when a manifest names it but no schema was given.
    pub(crate) schema: Option<Value>,
    pub(crate) title: Option<String>,
    /// Its `description`, else its `title`.
    pub(crate) description: Option<String>,
    /// The payload property whose value ends the subject.
    pub(crate) identity: Option<String>,
    pub(crate) rows: Vec<Row>,
    /// Example data, with its problems when none validated.
    pub(crate) example: Option<Example>,
    /// The example CloudEvent.
    pub(crate) event: Option<Value>,
    /// The domain its events are typed in: a publisher's, else a handler's,
    /// else the first manifest's, else [`EXAMPLE_DOMAIN`].
    pub(crate) domain: String,
    pub(crate) publishers: Vec<Publisher>,
    pub(crate) handlers: Vec<HandlerOf>,
    pub(crate) compatibility: Compatibility,
}

/// A service publishing a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Publisher {
    pub(crate) service: String,
    pub(crate) domain: String,
}

/// A service handling a message, with the handler's manifest entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HandlerOf {
    pub(crate) service: String,
    pub(crate) domain: String,
    pub(crate) handled: Handled,
}

/// How a message compares with the previous version of its base name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Compatibility {
    /// No lower version is in the catalog.
    First,
    /// This message, or the previous one, has no schema to compare.
    Unknown { previous: String },
    /// Every event of `previous` is also valid here.
    Compatible { previous: String },
    /// What would break for events and consumers of `previous`.
    Breaking {
        previous: String,
        changes: Vec<String>,
    },
}

impl Message {
    /// The subject it is published on, with `<identity>` standing for the
    /// identity value when it has one.
    pub(crate) fn subject(&self) -> String {
        match &self.identity {
            Some(identity) => format!("{}.<{identity}>", self.name),
            None => self.name.clone(),
        }
    }
}

/// Every message named by a schema or a manifest, by name.
pub(crate) fn messages(
    schemas: &BTreeMap<String, Value>,
    manifests: &[Manifest],
) -> BTreeMap<String, Message> {
    let mut messages: BTreeMap<String, Message> = BTreeMap::new();
    for (name, schema) in schemas {
        let message = entry(&mut messages, name);
        message.title = text(schema, "title");
        message.description = text(schema, "description").or_else(|| message.title.clone());
        message.identity = text(schema, "identity");
        message.rows = rows(schema);
        message.schema = Some(schema.clone());
    }
    for manifest in manifests {
        for name in &manifest.publishes {
            let publisher = Publisher {
                service: manifest.service.clone(),
                domain: manifest.domain.clone(),
            };
            let message = entry(&mut messages, name);
            if !message.publishers.contains(&publisher) {
                message.publishers.push(publisher);
            }
        }
        for handled in &manifest.handles {
            entry(&mut messages, &handled.message)
                .handlers
                .push(HandlerOf {
                    service: manifest.service.clone(),
                    domain: manifest.domain.clone(),
                    handled: handled.clone(),
                });
        }
    }
    for message in messages.values_mut() {
        message.publishers.sort_by(|a, b| a.service.cmp(&b.service));
        message.handlers.sort_by(|a, b| {
            a.service
                .cmp(&b.service)
                .then(a.handled.kind.cmp(&b.handled.kind))
        });
        message.domain = message
            .publishers
            .first()
            .map(|publisher| publisher.domain.clone())
            .or_else(|| {
                message
                    .handlers
                    .first()
                    .map(|handler| handler.domain.clone())
            })
            .or_else(|| manifests.first().map(|manifest| manifest.domain.clone()))
            .unwrap_or_else(|| EXAMPLE_DOMAIN.to_owned());
        if let Some(schema) = &message.schema {
            let example = example(&message.name, schema);
            let source_root = message
                .publishers
                .first()
                .map_or(EXAMPLE_SOURCE_ROOT, |publisher| publisher.service.as_str());
            message.event = Some(example_event(
                &message.name,
                &message.domain,
                source_root,
                example.data.clone(),
            ));
            message.example = Some(example);
        }
    }
    let compatibility: Vec<(String, Compatibility)> = messages
        .values()
        .map(|message| (message.name.clone(), compatibility(message, &messages)))
        .collect();
    for (name, verdict) in compatibility {
        if let Some(message) = messages.get_mut(&name) {
            message.compatibility = verdict;
        }
    }
    messages
}

/// The entry of `name`, made empty when it is new.
fn entry<'a>(messages: &'a mut BTreeMap<String, Message>, name: &str) -> &'a mut Message {
    messages.entry(name.to_owned()).or_insert_with(|| Message {
        name: name.to_owned(),
        base: polyn::naming::trim_version_suffix(name),
        version: polyn::naming::version(name),
        schema: None,
        title: None,
        description: None,
        identity: None,
        rows: Vec::new(),
        example: None,
        event: None,
        domain: EXAMPLE_DOMAIN.to_owned(),
        publishers: Vec::new(),
        handlers: Vec::new(),
        compatibility: Compatibility::First,
    })
}

/// The nearest lower version of the same base name, if any.
pub(crate) fn previous<'a>(
    message: &Message,
    messages: &'a BTreeMap<String, Message>,
) -> Option<&'a Message> {
    let version = message.version?;
    messages
        .values()
        .filter(|other| other.base == message.base)
        .filter(|other| other.version.is_some_and(|v| v < version))
        .max_by_key(|other| other.version)
}

/// The other versions of the same base name, lowest first (this one included).
pub(crate) fn versions<'a>(
    message: &Message,
    messages: &'a BTreeMap<String, Message>,
) -> Vec<&'a Message> {
    let mut versions: Vec<&Message> = messages
        .values()
        .filter(|other| other.base == message.base)
        .collect();
    versions.sort_by_key(|other| (other.version, other.name.clone()));
    versions
}

fn compatibility(message: &Message, messages: &BTreeMap<String, Message>) -> Compatibility {
    let Some(previous) = previous(message, messages) else {
        return Compatibility::First;
    };
    let name = previous.name.clone();
    match (&previous.schema, &message.schema) {
        (Some(old), Some(new)) => {
            let changes: Vec<String> = polyn::schema::incompatibilities(old, new)
                .iter()
                .map(ToString::to_string)
                .collect();
            if changes.is_empty() {
                Compatibility::Compatible { previous: name }
            } else {
                Compatibility::Breaking {
                    previous: name,
                    changes,
                }
            }
        }
        _ => Compatibility::Unknown { previous: name },
    }
}

fn text(schema: &Value, key: &str) -> Option<String> {
    schema
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn manifest(json: &str) -> Manifest {
        Manifest::from_json(json).expect("a valid manifest")
    }

    fn schemas(list: &[(&str, Value)]) -> BTreeMap<String, Value> {
        list.iter()
            .map(|(name, schema)| ((*name).to_owned(), schema.clone()))
            .collect()
    }

    #[test]
    fn schemas_and_manifests_are_joined_by_name() {
        let messages = messages(
            &schemas(&[(
                "widgets.created.v1",
                json!({"title": "W", "description": "A widget was created.", "type": "object"}),
            )]),
            &[manifest(
                r#"{"service": "acme.shop", "domain": "com.acme", "publishes": ["widgets.created.v1", "orders.placed.v1"],
                    "handles": [{"message": "widgets.created.v1", "kind": "pull", "consumer": "acme_shop_widgets_created_v1", "concurrency": 4}]}"#,
            )],
        );
        assert_eq!(messages.len(), 2);
        let widgets = &messages["widgets.created.v1"];
        assert_eq!(
            widgets.description.as_deref(),
            Some("A widget was created.")
        );
        assert_eq!(widgets.base, "widgets.created");
        assert_eq!(widgets.version, Some(1));
        assert_eq!(widgets.publishers[0].service, "acme.shop");
        assert_eq!(widgets.handlers[0].handled.concurrency, 4);
        let event = widgets.event.as_ref().expect("an example event");
        assert_eq!(event["type"], "com.acme.widgets.created.v1");
        assert_eq!(event["source"], "com:acme:acme:shop");
        let orders = &messages["orders.placed.v1"];
        assert!(orders.schema.is_none());
        assert!(orders.event.is_none());
    }

    #[test]
    fn a_message_no_manifest_publishes_comes_from_an_example_source() {
        let messages = messages(
            &schemas(&[("money.amount.v1", json!({"type": "object"}))]),
            &[manifest(
                r#"{"service": "billing", "domain": "com.bank", "handles": [{"message": "money.amount.v1", "kind": "core", "concurrency": 1}]}"#,
            )],
        );
        let event = messages["money.amount.v1"].event.clone().expect("an event");
        assert_eq!(event["type"], "com.bank.money.amount.v1");
        assert_eq!(event["source"], "com:bank:example");

        let unmentioned = super::messages(
            &schemas(&[("orders.placed.v1", json!({"type": "object"}))]),
            &[manifest(r#"{"service": "billing", "domain": "com.bank"}"#)],
        );
        let event = unmentioned["orders.placed.v1"]
            .event
            .clone()
            .expect("an event");
        assert_eq!(event["type"], "com.bank.orders.placed.v1");
        assert_eq!(event["source"], "com:bank:example");

        let alone = super::messages(
            &schemas(&[("money.amount.v1", json!({"type": "object"}))]),
            &[],
        );
        let event = alone["money.amount.v1"].event.clone().expect("an event");
        assert_eq!(event["type"], "com.example.money.amount.v1");
        assert_eq!(event["source"], "com:example:example");
    }

    #[test]
    fn versions_are_compared_with_the_one_before() {
        let v1 =
            json!({"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]});
        let v2 = json!({"type": "object", "properties": {"id": {"type": "string"}, "note": {"type": "string"}}, "required": ["id"]});
        let v3 = json!({"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]});
        let messages = messages(
            &schemas(&[
                ("orders.placed.v1", v1),
                ("orders.placed.v2", v2),
                ("orders.placed.v3", v3),
            ]),
            &[],
        );
        assert_eq!(
            messages["orders.placed.v1"].compatibility,
            Compatibility::First
        );
        assert_eq!(
            messages["orders.placed.v2"].compatibility,
            Compatibility::Compatible {
                previous: "orders.placed.v1".to_owned()
            }
        );
        let Compatibility::Breaking { previous, changes } =
            &messages["orders.placed.v3"].compatibility
        else {
            panic!(
                "v3 breaks v2: {:?}",
                messages["orders.placed.v3"].compatibility
            );
        };
        assert_eq!(previous, "orders.placed.v2");
        assert!(
            changes
                .iter()
                .any(|change| change.contains("/properties/id")),
            "{changes:?}"
        );
        let names: Vec<&str> = versions(&messages["orders.placed.v2"], &messages)
            .iter()
            .map(|m| m.name.as_str())
            .collect();
        assert_eq!(
            names,
            ["orders.placed.v1", "orders.placed.v2", "orders.placed.v3"]
        );
    }

    #[test]
    fn versions_are_ordered_by_number_not_text() {
        let object = json!({"type": "object"});
        let messages = messages(
            &schemas(&[
                ("a.b.v10", object.clone()),
                ("a.b.v9", object.clone()),
                ("a.b.v2", object),
            ]),
            &[],
        );
        let v10 = &messages["a.b.v10"];
        assert_eq!(
            previous(v10, &messages).map(|m| m.name.as_str()),
            Some("a.b.v9")
        );
        let names: Vec<&str> = versions(v10, &messages)
            .iter()
            .map(|m| m.name.as_str())
            .collect();
        assert_eq!(names, ["a.b.v2", "a.b.v9", "a.b.v10"]);
    }

    #[test]
    fn an_identity_ends_the_subject() {
        let messages = messages(
            &schemas(&[(
                "user.created.v1",
                json!({"type": "object", "identity": "id"}),
            )]),
            &[],
        );
        assert_eq!(
            messages["user.created.v1"].subject(),
            "user.created.v1.<id>"
        );
    }
}
