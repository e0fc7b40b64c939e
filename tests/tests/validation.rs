//! Validation of envelopes and payloads, and the protocol's error texts.

use polyn::schema::{Schema, Schemas};
use polyn::validation::{Problem, validate_envelope, validate_event};
use polyn::{Error, Event};
use serde_json::{Value, json};

const DOMAIN: &str = "com.test";

/// The example schemas of the repository's `schemas/` folder.
fn schemas() -> Schemas {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    let mut schemas = Schemas::new();
    for entry in std::fs::read_dir(&dir).expect("schemas folder") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("utf-8 name");
            let text = std::fs::read_to_string(&path).expect("readable");
            schemas.insert(Schema::from_json_str(name, &text).expect("example schema compiles"));
        }
    }
    assert!(schemas.get("widgets.created.v1").is_some());
    schemas
}

fn widget_event(data: Value) -> Value {
    json!({
        "specversion": "1.0",
        "id": "ev-1",
        "source": "com:test:user:backend",
        "type": "com.test.widgets.created.v1",
        "time": "2023-06-26T17:00:00Z",
        "data": data
    })
}

fn validation_error(
    result: Result<impl std::fmt::Debug, polyn::validation::ValidationError>,
) -> String {
    result.expect_err("should be invalid").to_string()
}

#[test]
fn a_good_event_passes_and_yields_its_schema() {
    let schemas = schemas();
    let schema = validate_event(
        &widget_event(json!({"id": "w1", "name": "Sprocket"})),
        DOMAIN,
        &schemas,
    )
    .expect("valid");
    assert_eq!(schema.name(), "widgets.created.v1");
}

#[test]
fn what_other_clients_send_is_accepted() {
    let schemas = schemas();
    let data = json!({"currency": "EUR", "amount": 12.5});
    let variants = [
        // Elixir: 1.0.1, dataschema null, microseconds.
        json!({"specversion": "1.0.1", "id": "1", "source": "com:test:user:backend",
               "type": "com.test.money.amount.v1", "dataschema": null,
               "time": "2023-06-26T17:00:00.123456Z", "data": data}),
        // Naive time without an offset (Elixir tests do this).
        json!({"specversion": "1.0", "id": "2", "source": "com:test:user:backend",
               "type": "com.test.money.amount.v1", "time": "2022-11-01T12:34:56.123456", "data": data}),
        // Offset instead of Z, dotted relative source, no polyndata.
        json!({"specversion": "1.0", "id": "3", "source": "com.test.foo",
               "type": "com.test.money.amount.v1", "time": "2023-06-26T19:00:00+02:00", "data": data}),
        // Old extensions still pass; polyndata checked when present.
        json!({"specversion": "1.0", "id": "4", "source": "com:test:user:backend",
               "type": "com.test.money.amount.v1", "polyntrace": [],
               "polyndata": {"clientlang": "ruby", "clientlangversion": "3.1", "clientversion": "0.4.0"},
               "data": data}),
    ];
    for event in variants {
        validate_event(&event, DOMAIN, &schemas).unwrap_or_else(|e| panic!("{event}: {e}"));
    }
}

#[test]
fn envelope_errors_list_every_violation_with_its_pointer() {
    let event = json!({
        "specversion": "2.0",
        "id": "",
        "type": "com.test.widgets.created.v1",
        "time": "yesterday",
        "polyndata": {"clientlang": "rust"},
        "data": {"id": "w1", "name": "n"}
    });
    let err = validate_envelope(&event).expect_err("invalid envelope");
    let text = err.to_string();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("Polyn event  from  is not valid"));
    for expected in [
        "Property: `#` - \"source\" is a required property",
        "Property: `#/specversion`",
        "Property: `#/id`",
        "Property: `#/time`",
        "Property: `#/polyndata` - \"clientlangversion\" is a required property",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(
        text.lines()
            .last()
            .is_some_and(|l| l.starts_with("Event data: {")),
        "{text}"
    );
    assert!(err.problems().len() >= 6, "{:?}", err.problems());
}

#[test]
fn payload_errors_list_every_violation_under_data() {
    let schemas = schemas();
    let err = validate_event(&widget_event(json!({"id": 5})), DOMAIN, &schemas)
        .expect_err("invalid payload");
    let text = err.to_string();
    assert!(
        text.starts_with("Polyn event ev-1 from com:test:user:backend is not valid\n"),
        "{text}"
    );
    assert!(
        text.contains("Property: `#/data/id` - 5 is not of type \"string\""),
        "{text}"
    );
    assert!(
        text.contains("Property: `#/data` - \"name\" is a required property"),
        "{text}"
    );
    assert!(
        text.ends_with(&format!("Event data: {}", widget_event(json!({"id": 5})))),
        "{text}"
    );
    assert_eq!(err.problems().len(), 2);
    assert_eq!(err.id(), Some("ev-1"));
    assert_eq!(err.source(), Some("com:test:user:backend"));
}

#[test]
fn missing_data_validates_as_null() {
    let schemas = schemas();
    let mut event = widget_event(Value::Null);
    event.as_object_mut().expect("object").remove("data");
    let text = validation_error(validate_event(&event, DOMAIN, &schemas));
    assert!(
        text.contains("Property: `#/data` - null is not of type \"object\""),
        "{text}"
    );
}

#[test]
fn a_message_that_is_not_an_object_follows_the_cloudevent_header() {
    let text = validation_error(validate_event(&json!(123), DOMAIN, &schemas()));
    assert!(
        text.starts_with("Polyn events need to follow the CloudEvent spec\nProperty: `#` - 123 is not of type \"object\""),
        "{text}"
    );
    assert!(text.ends_with("\nMessage received: 123"), "{text}");
}

#[test]
fn a_bad_message_name_is_reported() {
    let mut event = widget_event(json!({}));
    event["type"] = json!("com.test.Widgets Created");
    let err = validate_event(&event, DOMAIN, &schemas()).expect_err("bad name");
    assert_eq!(
        err.problems(),
        [Problem::InvalidName {
            name: "Widgets Created".into()
        }]
    );
    assert!(
        err.to_string()
            .contains("Event names must be lowercase, alphanumeric and dot separated"),
        "{err}"
    );
}

#[test]
fn the_four_protocol_texts_are_verbatim() {
    // 1. Schema store missing.
    let text = Error::SchemaStoreNotFound {
        bucket: "POLYN_SCHEMAS".into(),
    }
    .to_string();
    assert!(text.starts_with("The Schema Store has not been setup on your NATS server. Make sure you use the Polyn CLI to create it"), "{text}");

    // 2. Schema missing, from validation and from a lookup.
    let mut event = widget_event(json!({}));
    event["type"] = json!("com.test.nobody.knows.v1");
    let err = validate_event(&event, DOMAIN, &schemas()).expect_err("no schema");
    assert!(err.is_schema_not_found());
    const MISSING: &str = "Schema for nobody.knows.v1 does not exist. Make sure it's been added to your `schemas` codebase and has been loaded into the schema store on your NATS server";
    assert!(err.to_string().contains(MISSING), "{err}");
    assert!(
        err.to_string()
            .starts_with("Polyn event ev-1 from com:test:user:backend is not valid\n")
    );
    let lookup = schemas()
        .require("nobody.knows.v1")
        .map(|_| ())
        .expect_err("no schema");
    assert_eq!(lookup.to_string(), MISSING);

    // 3. Undecodable message.
    let err = polyn::Event::from_json(json!("just a string")).expect_err("not an event");
    assert!(
        err.to_string()
            .starts_with("Polyn was unable to decode the following message: \n\"just a string\""),
        "{err}"
    );

    // 4. Consumer missing.
    let text = Error::ConsumerNotFound {
        name: "user_backend_foo_bar_v1".into(),
        stream: "FOO".into(),
    }
    .to_string();
    assert!(text.starts_with("Consumer user_backend_foo_bar_v1 does not exist. Use polyn-cli to create it before attempting to subscribe"), "{text}");
}

#[test]
fn polyn_events_validate_and_decode_end_to_end() {
    let config = polyn::Config::builder()
        .domain(DOMAIN)
        .source_root("user.backend")
        .build()
        .expect("config");
    let schemas = schemas();
    let event = config
        .event("money.amount.v1", json!({"currency": "USD", "amount": 3}))
        .expect("event");
    let wire = event.to_bytes().expect("encodes");
    let value: Value = serde_json::from_slice(&wire).expect("json");
    validate_event(&value, config.domain(), &schemas).expect("valid");
    let back = Event::from_json(value).expect("decodes");
    assert_eq!(back, event);
}
