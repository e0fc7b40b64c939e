//! The typed consumer settles every message by the handler's Rust type:
//! a filter that captures other types is refused at bind time (unless
//! allowed), other types and data that does not fit the type are
//! terminated once and reported, whole floats fill integer fields, and a
//! panicking `on_invalid` hook does not stop the consumer.

use std::time::Duration;

use polyn::{Context, Error, Event, InvalidMessage};
use polyn_tests::events::{CalcMultRequestV1, CalcMultResponseV1, WidgetsCreatedV1};
use polyn_tests::{PolynEnv, Watched};
use serde_json::json;

/// Publishes an event as another client would, with `data` as given.
async fn publish_raw(env: &PolynEnv, name: &str, data: serde_json::Value) {
    let body = env
        .config()
        .event(name, data)
        .expect("event")
        .to_json()
        .expect("json")
        .to_string();
    env.js
        .publish(name.to_owned(), body.into())
        .await
        .expect("publish")
        .await
        .expect("stored");
}

/// What a hook was given: the error's variant and text.
fn describe(invalid: &InvalidMessage) -> (&'static str, String) {
    let kind = match &invalid.error {
        Error::UnexpectedEvent { .. } => "other type",
        Error::DataType { path, .. } if path == "a" => "misfit at a",
        _ => "other",
    };
    (kind, invalid.error.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_types_and_misfits_are_terminated_once_and_whole_floats_fit() {
    let env = PolynEnv::start().await;
    env.stream("CALC", &["calc.>"]).await;
    let name = env
        .consumer(
            "CALC",
            "calc.mult.request.v1",
            None,
            "calc.>",
            Duration::from_secs(30),
            -1,
        )
        .await;
    let client = env.client().await;

    let refused = client
        .consumer::<CalcMultRequestV1>()
        .bind()
        .await
        .expect_err("the filter captures responses too");
    assert!(matches!(refused, Error::FilterTooWide { .. }), "{refused}");
    assert!(refused.to_string().contains("\"calc.>\""), "{refused}");

    client
        .publish(CalcMultRequestV1 { a: 2, b: 3 })
        .await
        .expect("publish");
    client
        .publish(CalcMultResponseV1 { product: 6 })
        .await
        .expect("publish");
    // Valid by the schema (`2.0` is an integer in JSON Schema), as clients
    // whose numbers are all floats send it.
    publish_raw(&env, "calc.mult.request.v1", json!({"a": 4.0, "b": 5})).await;
    // Valid by the schema, but no `i64` holds it.
    publish_raw(&env, "calc.mult.request.v1", json!({"a": 1e20, "b": 1})).await;
    client
        .publish(CalcMultResponseV1 { product: 20 })
        .await
        .expect("publish");

    let handled = Watched::new(Vec::new());
    let reports = Watched::new(Vec::new());
    let consumer = client
        .consumer::<CalcMultRequestV1>()
        .allow_other_types()
        .on_invalid({
            let reports = reports.clone();
            move |invalid| reports.update(|r| r.push(describe(invalid)))
        })
        .bind()
        .await
        .expect("bind, allowed");
    let stats = consumer
        .run(
            {
                let handled = handled.clone();
                move |event: Event<CalcMultRequestV1>, _ctx: Context| {
                    let handled = handled.clone();
                    async move { handled.update(|h| h.push((event.data().a, event.data().b))) }
                }
            },
            {
                let handled = handled.clone();
                let reports = reports.clone();
                async move {
                    handled.until(|h| h.len() >= 2).await;
                    reports.until(|r| r.len() >= 3).await;
                }
            },
        )
        .await
        .expect("run");
    let mut handled = handled.get();
    handled.sort_unstable();
    assert_eq!(handled, [(2, 3), (4, 5)]);
    let mut kinds: Vec<_> = reports.get().into_iter().map(|(kind, _)| kind).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["misfit at a", "other type", "other type"]);
    let misfit = reports
        .get()
        .into_iter()
        .find(|(kind, _)| *kind == "misfit at a")
        .map(|(_, text)| text)
        .unwrap_or_default();
    assert!(misfit.contains("at `a`"), "{misfit}");
    assert_eq!(
        (stats.acked, stats.termed, stats.invalid, stats.naked),
        (2, 3, 3, 0),
        "{stats:?}"
    );

    // Settled once each: nothing pending, nothing redelivered.
    let stream = env.js.get_stream("CALC").await.expect("stream");
    let mut consumer: async_nats::jetstream::consumer::PullConsumer =
        stream.get_consumer(&name).await.expect("consumer");
    let info = consumer.info().await.expect("info");
    assert_eq!(
        (info.num_pending, info.num_ack_pending, info.num_redelivered),
        (0, 0, 0),
        "{info:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_on_invalid_hook_leaves_the_consumer_running() {
    let env = PolynEnv::start().await;
    env.stream("WIDGETS", &["widgets.created.v1"]).await;
    env.consumer(
        "WIDGETS",
        "widgets.created.v1",
        None,
        "widgets.created.v1",
        Duration::from_secs(30),
        -1,
    )
    .await;
    let client = env.client().await;
    env.js
        .publish("widgets.created.v1", "{\"not\": \"an event\"}".into())
        .await
        .expect("publish")
        .await
        .expect("stored");
    client
        .publish(WidgetsCreatedV1 {
            id: "w1".into(),
            name: "sprocket".into(),
        })
        .await
        .expect("publish");
    let handled = Watched::new(0);
    let hooked = Watched::new(0);
    let consumer = client
        .consumer::<WidgetsCreatedV1>()
        .concurrency(1)
        .on_invalid({
            let hooked = hooked.clone();
            move |_| {
                hooked.update(|n| *n += 1);
                panic!("the hook is broken");
            }
        })
        .bind()
        .await
        .expect("bind");
    let monitor = consumer.monitor();
    let stats = consumer
        .run(
            {
                let handled = handled.clone();
                move |_event: Event<WidgetsCreatedV1>, _ctx: Context| {
                    let handled = handled.clone();
                    async move { handled.update(|n| *n += 1) }
                }
            },
            {
                let handled = handled.clone();
                let hooked = hooked.clone();
                async move {
                    handled.until(|n| *n >= 1).await;
                    hooked.until(|n| *n >= 1).await;
                }
            },
        )
        .await
        .expect("run");
    assert_eq!(
        (stats.acked, stats.termed, stats.panics),
        (1, 1, 1),
        "{stats:?}"
    );
    let health = monitor.health();
    assert!(health.finished);
    assert!(
        health
            .last_error
            .is_some_and(|e| e.contains("the hook is broken")),
        "the panic is reported"
    );
}
