//! Publishing, the schema store and request/reply against a real nats-server.

use std::time::Duration;

use async_nats::jetstream;
use polyn::{Error, Event, PublishOptions};
use polyn_tests::PolynEnv;
use polyn_tests::events::{CalcMultRequestV1, CalcMultResponseV1, UserCreatedV1, WidgetsCreatedV1};
use serde_json::{Value, json};

fn widget(id: &str) -> WidgetsCreatedV1 {
    WidgetsCreatedV1 {
        id: id.into(),
        name: "sprocket".into(),
    }
}

async fn stored(env: &PolynEnv, stream: &str, seq: u64) -> jetstream::message::StreamMessage {
    env.js
        .get_stream(stream)
        .await
        .expect("stream")
        .get_raw_message(seq)
        .await
        .expect("stored message")
}

async fn count(env: &PolynEnv, stream: &str) -> u64 {
    env.js
        .get_stream(stream)
        .await
        .expect("stream")
        .info()
        .await
        .expect("info")
        .state
        .messages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_publish_stores_a_polyn_cloud_event() {
    let env = PolynEnv::start().await;
    env.stream("WIDGETS", &["widgets.created.v1"]).await;
    let client = env.client().await;
    let ack = client.publish(widget("w1")).await.expect("publish");
    assert_eq!(
        (ack.stream.as_str(), ack.sequence, ack.duplicate),
        ("WIDGETS", 1, false)
    );

    let message = stored(&env, "WIDGETS", 1).await;
    assert_eq!(message.subject.as_str(), "widgets.created.v1");
    let body: Value = serde_json::from_slice(&message.payload).expect("json");
    assert_eq!(body["type"], "com.test.widgets.created.v1");
    assert_eq!(body["source"], "com:test:user:backend");
    assert_eq!(body["specversion"], "1.0");
    assert_eq!(body["polyndata"]["clientlang"], "rust");
    assert_eq!(body["data"], json!({"id": "w1", "name": "sprocket"}));
    let msg_id = message
        .headers
        .get("Nats-Msg-Id")
        .map(|v| v.as_str().to_owned());
    assert_eq!(
        msg_id.as_deref(),
        body["id"].as_str(),
        "Nats-Msg-Id is the event id"
    );

    // A name given with the domain prefix is the same message, on the same subject.
    let ack = client
        .publish_json(
            "com.test.widgets.created.v1",
            json!({"id": "w2", "name": "gear"}),
        )
        .await
        .expect("publish with the domain prefix");
    let message = stored(&env, "WIDGETS", ack.sequence).await;
    assert_eq!(message.subject.as_str(), "widgets.created.v1");
    let body: Value = serde_json::from_slice(&message.payload).expect("json");
    assert_eq!(body["type"], "com.test.widgets.created.v1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_ids_headers_and_deduplication() {
    let env = PolynEnv::start().await;
    env.stream("WIDGETS", &["widgets.created.v1"]).await;
    let client = env.client().await;
    let options = PublishOptions::new()
        .source("orders")
        .header("x-tenant", "acme")
        .header("Nats-Msg-Id", "ignored")
        .id("order-42");
    let first = client
        .publish_with(widget("w1"), options.clone())
        .await
        .expect("publish");
    let again = client
        .publish_with(widget("w1"), options)
        .await
        .expect("publish");
    assert!(!first.duplicate);
    assert!(again.duplicate, "the same id is stored once");
    assert_eq!(count(&env, "WIDGETS").await, 1);
    let message = stored(&env, "WIDGETS", 1).await;
    assert_eq!(
        message.headers.get("Nats-Msg-Id").map(|v| v.as_str()),
        Some("order-42")
    );
    assert_eq!(
        message.headers.get("x-tenant").map(|v| v.as_str()),
        Some("acme")
    );
    let body: Value = serde_json::from_slice(&message.payload).expect("json");
    assert_eq!(body["id"], "order-42");
    assert_eq!(body["source"], "com:test:user:backend:orders");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_events_are_never_sent() {
    let env = PolynEnv::start().await;
    env.stream("WIDGETS", &["widgets.created.v1", "nobody.knows.v1"])
        .await;
    let client = env.client().await;
    let err = client
        .publish_json("widgets.created.v1", json!({"id": 7}))
        .await
        .expect_err("invalid");
    let Error::Validation(invalid) = &err else {
        panic!("expected a validation error, got {err:?}")
    };
    assert_eq!(invalid.problems().len(), 2, "{err}");
    assert!(err.to_string().contains("Property: `#/data/id`"), "{err}");
    let err = client
        .publish_json("nobody.knows.v1", json!({}))
        .await
        .expect_err("no schema");
    assert!(err.to_string().contains(
        "Schema for nobody.knows.v1 does not exist. Make sure it's been added to your `schemas` codebase"
    ));
    assert_eq!(count(&env, "WIDGETS").await, 0, "nothing was stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_subjects_and_missing_streams() {
    let env = PolynEnv::start().await;
    let client = env.client().await;
    let err = client.publish(widget("w1")).await.expect_err("no stream");
    assert!(
        err.to_string()
            .starts_with("Could not find any streams for type widgets.created.v1"),
        "{err}"
    );

    env.stream("USERS", &["user.created.v1.*"]).await;
    let ack = client
        .publish(UserCreatedV1 {
            id: "abc123".parse().expect("a valid id"),
            email: "mary@example.com".into(),
            name: None,
            created_at: None,
        })
        .await
        .expect("publish");
    let message = stored(&env, "USERS", ack.sequence).await;
    assert_eq!(message.subject.as_str(), "user.created.v1.abc123");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_publishes_all_arrive_in_order() {
    let env = PolynEnv::start().await;
    env.stream("WIDGETS", &["widgets.created.v1"]).await;
    let client = env.client().await;
    let mut pending = Vec::new();
    for n in 0..1000 {
        pending.push(
            client
                .publish_pipelined(
                    "widgets.created.v1",
                    widget(&format!("w{n}")),
                    PublishOptions::new(),
                )
                .await
                .expect("sent"),
        );
    }
    let mut sequences = Vec::new();
    for publish in pending {
        sequences.push(publish.await.expect("acked").sequence);
    }
    assert_eq!(sequences, (1..=1000).collect::<Vec<u64>>());
    assert_eq!(count(&env, "WIDGETS").await, 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schema_store_follows_the_bucket_live() {
    let env = PolynEnv::start().await;
    env.stream("THINGS", &["thing.made.v1"]).await;
    let client = env.client().await;
    let kv = env.js.get_key_value("POLYN_SCHEMAS").await.expect("bucket");
    let publish = || client.publish_json("thing.made.v1", json!({"n": 1}));
    assert!(matches!(publish().await, Err(Error::Validation(e)) if e.is_schema_not_found()));

    // Added: picked up without a restart.
    kv.put("thing.made.v1", r#"{"type":"object"}"#.into())
        .await
        .expect("put");
    eventually(|| async { publish().await.is_ok() }).await;
    // Changed to something stricter: starts rejecting.
    kv.put(
        "thing.made.v1",
        r#"{"type":"object","properties":{"n":{"type":"string"}}}"#.into(),
    )
    .await
    .expect("put");
    eventually(|| async { publish().await.is_err() }).await;
    // An invalid schema value does not break the others.
    kv.put("broken.v1", "{not json".into()).await.expect("put");
    client
        .publish(widget("w1"))
        .await
        .expect_err("no WIDGETS stream, but the schema is known");
    // Deleted: stops validating.
    kv.delete("thing.made.v1").await.expect("delete");
    eventually(|| async {
        matches!(publish().await, Err(Error::Validation(e)) if e.is_schema_not_found())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_schema_bucket_is_the_protocol_error() {
    let env = PolynEnv::start().await;
    let config = polyn::Config::builder()
        .domain("com.test")
        .source_root("user.backend")
        .server(env.server.url())
        .schema_bucket("NOPE")
        .build()
        .expect("config");
    let err = polyn::Client::connect(config).await.expect_err("no bucket");
    assert!(
        err.to_string().starts_with(
            "The Schema Store has not been setup on your NATS server. Make sure you use the Polyn CLI to create it"
        ),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_and_reply_are_validated_both_ways() {
    let env = PolynEnv::start().await;
    let client = env.client().await;
    let mut requests = client
        .subscribe::<CalcMultRequestV1>(Some("calc"))
        .await
        .expect("subscribe");
    client.flush().await.expect("flush");
    let responder = tokio::spawn({
        let client = client.clone();
        async move {
            let request = requests.next().await.expect("open").expect("valid");
            let product = request.event().data().a * request.event().data().b;
            client
                .reply(&request, CalcMultResponseV1 { product })
                .await
                .expect("reply");
            // Second request: answered with the wrong type of event.
            let request = requests.next().await.expect("open").expect("valid");
            client
                .reply(&request, widget("not an answer"))
                .await
                .expect("reply");
            // Third: never answered.
            let _ignored = requests.next().await;
        }
    });
    let reply: Event<CalcMultResponseV1> = client
        .request(CalcMultRequestV1 { a: 6, b: 7 }, Duration::from_secs(5))
        .await
        .expect("reply");
    assert_eq!(reply.data().product, 42);
    let err = client
        .request::<_, CalcMultResponseV1>(CalcMultRequestV1 { a: 1, b: 2 }, Duration::from_secs(5))
        .await
        .expect_err("wrong reply type");
    assert!(matches!(err, Error::UnexpectedEvent { .. }), "{err:?}");
    let err = client
        .request::<_, CalcMultResponseV1>(
            CalcMultRequestV1 { a: 1, b: 2 },
            Duration::from_millis(200),
        )
        .await
        .expect_err("timeout");
    assert!(
        matches!(&err, Error::Timeout { name, .. } if name == "calc.mult.request.v1"),
        "{err:?}"
    );
    let err = client
        .request_json(
            "calc.mult.request.v1",
            json!({"a": "x"}),
            Duration::from_secs(1),
        )
        .await
        .expect_err("invalid request");
    assert!(matches!(err, Error::Validation(_)), "{err:?}");
    responder.await.expect("responder");
}

/// Polls `check` until it holds, for up to five seconds (the schema store
/// watch is asynchronous and offers no signal to the test).
async fn eventually<F, Fut>(check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition never held"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
