//! `Client::deserialize`: raw message bytes, received outside Polyn's
//! consumers, to a validated event, with the protocol's errors, against the
//! schema store of a real nats-server.

use std::time::Duration;

use futures_util::StreamExt as _;
use polyn::Error;
use polyn::validation::Problem;
use polyn_tests::PolynEnv;
use polyn_tests::events::WidgetsCreatedV1;
use serde_json::{Value, json};

/// A widget event as another client would send it.
fn widget_event(id: &str, data: Value) -> Value {
    json!({
        "specversion": "1.0.1",
        "id": id,
        "source": "com:test:other",
        "type": "com.test.widgets.created.v1",
        "time": "2023-06-26T17:00:00.123456Z",
        "dataschema": null,
        "tenant": "acme",
        "polyndata": {"clientlang": "elixir", "clientlangversion": "1.14.0", "clientversion": "0.6.5"},
        "data": data
    })
}

fn bytes(event: &Value) -> Vec<u8> {
    serde_json::to_vec(event).expect("encode")
}

/// Sends `body` on a raw subscription and returns the bytes that arrive,
/// as code reading NATS directly sees them.
async fn through_nats(env: &PolynEnv, body: Vec<u8>) -> bytes::Bytes {
    let mut subscription = env.nats.subscribe("raw.widgets").await.expect("subscribe");
    env.nats
        .publish("raw.widgets", body.into())
        .await
        .expect("publish raw");
    tokio::time::timeout(Duration::from_secs(5), subscription.next())
        .await
        .expect("message in time")
        .expect("subscription open")
        .payload
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_message_decodes_losslessly() {
    let env = PolynEnv::start().await;
    let client = env.client().await;
    let payload = through_nats(
        &env,
        bytes(&widget_event(
            "ev-1",
            json!({"id": "w1", "name": "Sprocket"}),
        )),
    )
    .await;

    let event = client.deserialize(&payload).expect("valid");
    assert_eq!(event.id(), "ev-1");
    assert_eq!(event.event_type(), "com.test.widgets.created.v1");
    assert_eq!(event.source(), "com:test:other");
    assert_eq!(event.specversion(), "1.0.1");
    assert_eq!(event.extension("tenant"), Some(&json!("acme")));
    assert_eq!(
        event.polyndata().map(|p| p.clientlang.as_str()),
        Some("elixir")
    );
    assert_eq!(event.data(), &json!({"id": "w1", "name": "Sprocket"}));

    let typed = client
        .deserialize_as::<WidgetsCreatedV1>(&payload)
        .expect("a widget");
    assert_eq!(typed.id(), "ev-1");
    assert_eq!(typed.data().name, "Sprocket");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_polyn_stored_in_a_stream_decodes() {
    let env = PolynEnv::start().await;
    env.stream("WIDGETS", &["widgets.created.v1"]).await;
    let client = env.client().await;
    let ack = client
        .publish(WidgetsCreatedV1 {
            id: "w7".into(),
            name: "Gear".into(),
        })
        .await
        .expect("publish");
    let stored = env
        .js
        .get_stream("WIDGETS")
        .await
        .expect("stream")
        .get_raw_message(ack.sequence)
        .await
        .expect("stored");
    let event = client.deserialize(&stored.payload).expect("valid");
    assert_eq!(event.data()["id"], "w7");
    assert_eq!(
        event.polyndata().map(|p| p.clientlang.as_str()),
        Some("rust")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kind_of_bad_message_is_its_protocol_error() {
    let env = PolynEnv::start().await;
    let client = env.client().await;

    // Not JSON at all.
    let payload = through_nats(&env, b"this is not json".to_vec()).await;
    let err = client.deserialize(&payload).expect_err("not JSON");
    // The JSON parser's error is the cause, with where it stopped.
    let Error::Decode { source, .. } = &err else {
        panic!("{err:?}");
    };
    assert!(source.is_syntax() && source.line() == 1, "{source}");
    assert_eq!(err.kind(), polyn::ErrorKind::Validation);
    assert!(
        err.to_string()
            .starts_with("Polyn was unable to decode the following message: \nthis is not json\n"),
        "{err}"
    );
    assert!(err.to_string().contains("line 1 column"), "{err}");

    // JSON, but not an object.
    let err = client.deserialize(b"[1, 2]").expect_err("not an object");
    assert!(
        err.to_string()
            .starts_with("Polyn events need to follow the CloudEvent spec"),
        "{err}"
    );

    // An envelope without its required attributes.
    let mut event = widget_event("ev-2", json!({"id": "w1", "name": "Sprocket"}));
    if let Some(map) = event.as_object_mut() {
        map.remove("specversion");
    }
    event["source"] = json!(7);
    let payload = through_nats(&env, bytes(&event)).await;
    let err = client.deserialize(&payload).expect_err("bad envelope");
    let Error::Validation(validation) = &err else {
        panic!("expected a validation error: {err:?}");
    };
    assert!(
        validation.problems().iter().any(
            |p| matches!(p, Problem::Property { message, .. } if message.contains("specversion"))
        ),
        "{err}"
    );
    assert!(
        validation
            .problems()
            .iter()
            .any(|p| matches!(p, Problem::Property { pointer, .. } if pointer == "/source")),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("Polyn event ev-2 from  is not valid\n"),
        "{err}"
    );

    // A message nobody has a schema for.
    let mut event = widget_event("ev-3", json!({}));
    event["type"] = json!("com.test.nobody.knows.v1");
    let payload = through_nats(&env, bytes(&event)).await;
    let err = client.deserialize(&payload).expect_err("no schema");
    let Error::Validation(validation) = &err else {
        panic!("expected a validation error: {err:?}");
    };
    assert!(validation.is_schema_not_found(), "{err}");
    assert!(
        err.to_string().contains(
            "Schema for nobody.knows.v1 does not exist. Make sure it's been added to your \
             `schemas` codebase and has been loaded into the schema store on your NATS server"
        ),
        "{err}"
    );

    // Data its schema rejects.
    let payload = through_nats(&env, bytes(&widget_event("ev-4", json!({"id": 1})))).await;
    let err = client.deserialize(&payload).expect_err("invalid data");
    let text = err.to_string();
    assert!(
        text.starts_with("Polyn event ev-4 from com:test:other is not valid\n"),
        "{text}"
    );
    assert!(text.contains("Property: `#/data/id`"), "{text}");
    assert!(text.contains("Property: `#/data` - "), "{text}");
    assert!(text.contains("Event data: {"), "{text}");
    // The typed call reports the same, before anything else.
    let typed = client
        .deserialize_as::<WidgetsCreatedV1>(&payload)
        .expect_err("invalid data");
    assert_eq!(typed.to_string(), text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_typed_call_wants_its_own_type() {
    let env = PolynEnv::start().await;
    let client = env.client().await;
    let money = json!({
        "specversion": "1.0",
        "id": "ev-5",
        "source": "com:test:other",
        "type": "com.test.money.amount.v1",
        "data": {"currency": "EUR", "amount": 3}
    });
    let payload = through_nats(&env, bytes(&money)).await;
    assert!(client.deserialize(&payload).is_ok());
    let err = client
        .deserialize_as::<WidgetsCreatedV1>(&payload)
        .expect_err("not a widget");
    assert!(matches!(err, Error::UnexpectedEvent { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with(
            "expected a `widgets.created.v1` event but received event ev-5 of type \
             `com.test.money.amount.v1`"
        ),
        "{err}"
    );
}
