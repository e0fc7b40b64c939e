//! The CloudEvents envelope: what other Polyn clients send decodes, and
//! nothing is lost on the way back out.

use polyn::{Config, Event};
use serde_json::{Value, json};

fn config() -> Config {
    Config::builder()
        .domain("com.test")
        .source_root("user.backend")
        .build()
        .expect("valid test configuration")
}

/// Exactly what the Elixir client 0.6.5 sends: alphabetical keys,
/// specversion "1.0.1", `dataschema: null`, microsecond time.
const ELIXIR: &str = r#"{"data":{"name":"Mary"},"datacontenttype":"application/json","dataschema":null,"id":"0b2a6c0e-8f0e-4b8c-9a43-4d2b1f7f2c11","polyndata":{"clientlang":"elixir","clientlangversion":"1.12.3","clientversion":"0.6.5"},"source":"com:test:user:backend","specversion":"1.0.1","time":"2023-06-26T17:00:00.123456Z","type":"com.test.user.created.v1"}"#;

/// What the Ruby client 0.4.0 sends: insertion order, specversion "1.0",
/// whole-second time, no `dataschema`.
const RUBY: &str = r#"{"specversion":"1.0","type":"com.test.calc.mult.v1","source":"com:test:user:backend:calculation:engine","id":"8b7b9d0f-2f6e-4c1a-9a4e-0d6a1e2b3c4d","time":"2023-06-26T17:00:00Z","datacontenttype":"application/json","data":{"a":2,"b":3},"polyndata":{"clientlang":"ruby","clientlangversion":"3.1.2","clientversion":"0.4.0"}}"#;

#[test]
fn elixir_events_decode_as_sent() {
    let event: Event = serde_json::from_str(ELIXIR).expect("Elixir event decodes");
    assert_eq!(event.id(), "0b2a6c0e-8f0e-4b8c-9a43-4d2b1f7f2c11");
    assert_eq!(event.specversion(), "1.0.1");
    assert_eq!(event.event_type(), "com.test.user.created.v1");
    assert_eq!(event.message_name("com.test"), "user.created.v1");
    assert_eq!(event.source(), "com:test:user:backend");
    assert_eq!(event.time(), Some("2023-06-26T17:00:00.123456Z"));
    assert_eq!(
        event.timestamp().map(|t| t.timestamp_micros()),
        Some(1_687_798_800_123_456)
    );
    assert_eq!(event.dataschema(), None);
    assert_eq!(event.datacontenttype(), Some("application/json"));
    let polyndata = event.polyndata().expect("polyndata kept");
    assert_eq!(
        (
            polyndata.clientlang.as_str(),
            polyndata.clientlangversion.as_str(),
            polyndata.clientversion.as_str()
        ),
        ("elixir", "1.12.3", "0.6.5")
    );
    assert_eq!(event.data(), &json!({"name": "Mary"}));
}

#[test]
fn ruby_events_decode_as_sent() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Mult {
        a: i64,
        b: i64,
    }
    let event: Event<Mult> = serde_json::from_str(RUBY).expect("Ruby event decodes into a type");
    assert_eq!(event.specversion(), "1.0");
    assert_eq!(event.source(), "com:test:user:backend:calculation:engine");
    assert_eq!(event.time(), Some("2023-06-26T17:00:00Z"));
    assert_eq!(event.data(), &Mult { a: 2, b: 3 });
    assert_eq!(
        event.polyndata().map(|p| p.clientlang.as_str()),
        Some("ruby")
    );
}

#[test]
fn decode_then_encode_loses_nothing() {
    let with_extensions = json!({
        "specversion": "1.0",
        "id": "e1",
        "source": "com.other.svc",
        "type": "com.other.thing.happened.v1",
        "time": "2022-11-01T12:34:56.123456",
        "dataschema": null,
        "subject": "thing-42",
        "tenant": "acme",
        "traceinfo": {"hops": [1, 2]},
        "polyntrace": [{"id": "x", "type": "y", "time": "2022-01-01T00:00:00Z"}],
        "polyndata": {"clientlang": "go", "clientlangversion": "1.21", "clientversion": "9", "extra": true},
        "data": [1, "two", {"three": 3.5}]
    });
    for original in [
        serde_json::from_str::<Value>(ELIXIR).expect("json"),
        serde_json::from_str::<Value>(RUBY).expect("json"),
        with_extensions,
        // No data at all, and no polyndata: stays without them.
        json!({"specversion": "1.0", "id": "e2", "source": "s", "type": "t"}),
    ] {
        let event: Event = serde_json::from_value(original.clone()).expect("decodes");
        let encoded = serde_json::to_value(&event).expect("encodes");
        assert_eq!(encoded, original, "round trip changed the event");
        // And through bytes, as on the wire.
        let bytes = event.to_bytes().expect("encodes");
        let again: Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(again, original);
    }
}

#[test]
fn unknown_extensions_are_readable() {
    let event: Event = serde_json::from_value(json!({
        "specversion": "1.0", "id": "e1", "source": "s", "type": "t", "tenant": "acme"
    }))
    .expect("decodes");
    assert_eq!(event.extension("tenant"), Some(&json!("acme")));
    assert_eq!(
        event.extensions().map(|(k, _)| k).collect::<Vec<_>>(),
        ["tenant"]
    );
}

#[test]
fn send_defaults_follow_the_protocol() {
    let event = config()
        .event("user.created.v1", json!({"name": "Mary"}))
        .expect("event");
    let sent = event.to_json().expect("encodes");
    assert_eq!(sent["specversion"], "1.0");
    assert_eq!(sent["type"], "com.test.user.created.v1");
    assert_eq!(sent["source"], "com:test:user:backend");
    assert_eq!(sent["datacontenttype"], "application/json");
    assert!(sent.get("dataschema").is_none(), "no dataschema is sent");
    assert_eq!(sent["polyndata"]["clientlang"], "rust");
    assert_eq!(
        sent["polyndata"]["clientversion"],
        env!("CARGO_PKG_VERSION")
    );
    assert!(
        sent["polyndata"]["clientlangversion"]
            .as_str()
            .is_some_and(|v| v.split('.').count() == 3),
        "rustc version recorded: {}",
        sent["polyndata"]["clientlangversion"]
    );

    let id = sent["id"].as_str().expect("id");
    let uuid = uuid_parts(id);
    assert_eq!(uuid, [8, 4, 4, 4, 12], "hyphenated UUID: {id}");
    assert_eq!(id, id.to_lowercase());
    assert_eq!(&id[14..15], "4", "UUID version 4: {id}");

    let time = sent["time"].as_str().expect("time");
    assert!(time.ends_with('Z'), "{time}");
    let parsed = chrono::DateTime::parse_from_rfc3339(time).expect("RFC 3339");
    let age = chrono::Utc::now().signed_duration_since(parsed);
    assert!(age.num_seconds().abs() < 60, "time is now: {time}");

    let other = config().event("user.created.v1", ()).expect("event");
    assert_ne!(other.id(), event.id(), "ids are unique");
}

fn uuid_parts(id: &str) -> Vec<usize> {
    id.split('-').map(str::len).collect()
}

#[test]
fn typed_events_round_trip() {
    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq, Clone)]
    struct Widget {
        id: String,
        name: String,
    }
    let widget = Widget {
        id: "w1".into(),
        name: "Sprocket".into(),
    };
    let event = config()
        .event_from("widgets.created.v1", Some("factory"), widget.clone())
        .expect("event");
    let bytes = event.to_bytes().expect("encodes");
    let back: Event<Widget> = serde_json::from_slice(&bytes).expect("decodes");
    assert_eq!(back, event);
    assert_eq!(back.into_data(), widget);
}

#[test]
fn payloads_that_do_not_fit_the_type_say_so() {
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Widget {
        id: String,
    }
    let event = config()
        .event("widgets.created.v1", json!({"id": 7}))
        .expect("event");
    let err = event.into_typed::<Widget>().expect_err("wrong type");
    let text = err.to_string();
    assert!(text.contains("does not fit the Rust type"), "{text}");
    assert!(text.contains("Widget"), "{text}");
    assert!(text.contains("com.test.widgets.created.v1"), "{text}");
}

#[test]
fn non_objects_do_not_decode() {
    let err = Event::from_json(json!(123)).expect_err("not an object");
    assert!(
        err.to_string()
            .starts_with("Polyn was unable to decode the following message: \n123"),
        "{err}"
    );
    assert!(serde_json::from_str::<Event>("[1,2]").is_err());
}
