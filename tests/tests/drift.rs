//! Schema drift on a real nats-server: the schema store holds another
//! schema for a message than the one its generated type was built from.
//! Each policy (warn, refuse to start, refuse to publish), the health
//! report, drift appearing while running, and the validation error that
//! names it.

use std::time::Duration;

use polyn::config::DriftPolicy;
use polyn::{Context, Error, Event};
use polyn_tests::PolynEnv;
use polyn_tests::events::{CalcMultRequestV1, WidgetsCreatedV1};
use serde_json::{Value, json};

fn widget() -> WidgetsCreatedV1 {
    WidgetsCreatedV1 {
        id: "w1".into(),
        name: "Sprocket".into(),
    }
}

/// Stores `schema` for `name`, and waits until `client` sees it.
async fn store(env: &PolynEnv, client: &polyn::Client, name: &str, schema: Value) {
    let kv = env.js.get_key_value("POLYN_SCHEMAS").await.expect("bucket");
    kv.put(name, schema.to_string().into()).await.expect("put");
    let digest = polyn::schemas::schema_digest(&schema);
    let seen = client.schemas().wait_until(|schemas| {
        schemas
            .get(name)
            .is_some_and(|schema| schema.digest() == digest)
    });
    tokio::time::timeout(Duration::from_secs(10), seen)
        .await
        .expect("the client sees the new schema");
}

fn widget_schema(extra: Value) -> Value {
    let mut schema: Value =
        serde_json::from_str(<WidgetsCreatedV1 as polyn::EventType>::SCHEMA).expect("JSON");
    if let Value::Object(extra) = extra {
        schema.as_object_mut().expect("an object").extend(extra);
    }
    schema
}

async fn client(env: &PolynEnv, policy: DriftPolicy) -> polyn::Client {
    let config = polyn::Config::builder()
        .domain("com.test")
        .source_root("user.backend")
        .server(env.server.url())
        .schema_drift(policy)
        .build()
        .expect("config");
    polyn::Client::connect(config).await.expect("connect")
}

#[tokio::test]
async fn warn_publishes_and_reports_the_drift() {
    let env = PolynEnv::start().await;
    env.stream("WIDGETS", &["widgets.created.v1"]).await;
    let client = client(&env, DriftPolicy::Warn).await;
    client.publish(widget()).await.expect("publish");
    assert!(client.drift().is_empty(), "{:?}", client.drift());
    client.expect::<WidgetsCreatedV1>().expect("no drift yet");

    // A compatible change in the store, made while the client runs.
    store(
        &env,
        &client,
        "widgets.created.v1",
        widget_schema(json!({"title": "Widgets"})),
    )
    .await;
    let drift = client.drift();
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert_eq!(drift[0].name, "widgets.created.v1");
    assert_eq!(
        Some(drift[0].compiled.as_str()),
        <WidgetsCreatedV1 as polyn::EventType>::SCHEMA_DIGEST
    );
    client.expect::<WidgetsCreatedV1>().expect("warn goes on");
    client
        .publish(widget())
        .await
        .expect("warn still publishes");

    // A breaking change: the error says the type and the store differ.
    let mut breaking = widget_schema(json!({}));
    breaking["required"] = json!(["id", "name", "tracking"]);
    store(&env, &client, "widgets.created.v1", breaking).await;
    let err = client.publish(widget()).await.unwrap_err();
    let Error::Validation(validation) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        validation.drift().map(|d| d.name.as_str()),
        Some("widgets.created.v1")
    );
    let text = err.to_string();
    assert!(
        text.contains("\"tracking\" is a required property"),
        "{text}"
    );
    assert!(
        text.contains(
            "Note: the schema store's schema for `widgets.created.v1` differs from the \
                       one its Rust type was generated from"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn refuse_publish_sends_nothing_of_a_drifted_type() {
    let env = PolynEnv::start().await;
    let stream = env.stream("WIDGETS", &["widgets.created.v1"]).await;
    let client = client(&env, DriftPolicy::RefusePublish).await;
    store(
        &env,
        &client,
        "widgets.created.v1",
        widget_schema(json!({"title": "Widgets"})),
    )
    .await;

    let err = client.publish(widget()).await.unwrap_err();
    assert!(
        matches!(&err, Error::SchemaDrift { drift } if drift.len() == 1),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("polyn schemas diff bucket schemas"),
        "{err}"
    );
    let mut stream = stream;
    assert_eq!(stream.info().await.expect("info").state.messages, 0);
    // Dynamic events carry no compiled schema: not refused.
    client
        .publish_json("widgets.created.v1", json!({"id": "w2", "name": "x"}))
        .await
        .expect("a dynamic publish");
}

#[polyn::handler(queue_group = "calculators")]
async fn multiply(
    event: Event<CalcMultRequestV1>,
    _ctx: Context,
) -> Result<polyn_tests::events::CalcMultResponseV1, std::io::Error> {
    let CalcMultRequestV1 { a, b } = *event.data();
    Ok(polyn_tests::events::CalcMultResponseV1 { product: a * b })
}

#[tokio::test]
async fn refuse_start_stops_a_service_whose_handled_type_drifted() {
    let env = PolynEnv::start().await;
    let client = client(&env, DriftPolicy::RefuseStart).await;
    let mut schema: Value =
        serde_json::from_str(<CalcMultRequestV1 as polyn::EventType>::SCHEMA).unwrap();
    schema["description"] = json!("Multiplies two integers (edited in the store)");
    store(&env, &client, "calc.mult.request.v1", schema).await;

    let service = client.service(&[&multiply]);
    let monitor = service.monitor();
    let err = tokio::time::timeout(Duration::from_secs(10), service.run(std::future::pending()))
        .await
        .expect("run returns at once")
        .unwrap_err();
    let Error::SchemaDrift { drift } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(drift[0].name, "calc.mult.request.v1");
    let health = &monitor.health()[0];
    assert!(health.finished);
    assert_eq!(
        health.drift.as_ref().map(|d| d.name.as_str()),
        Some("calc.mult.request.v1")
    );
    assert!(client.expect::<CalcMultRequestV1>().is_err());
}

#[tokio::test]
async fn without_drift_each_policy_serves_and_health_shows_none() {
    let env = PolynEnv::start().await;
    let client = client(&env, DriftPolicy::RefuseStart).await;
    let service = client.service(&[&multiply]);
    let monitor = service.monitor();
    let serving = tokio::spawn(service.run(std::future::pending()));
    assert!(monitor.ready().await, "{:?}", monitor.health());
    assert!(monitor.health()[0].drift.is_none());
    let reply: Event<polyn_tests::events::CalcMultResponseV1> = client
        .request(CalcMultRequestV1 { a: 6, b: 7 }, Duration::from_secs(5))
        .await
        .expect("request");
    assert_eq!(reply.data().product, 42);
    serving.abort();
}
