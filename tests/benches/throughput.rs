//! Steady-state throughput of Polyn against raw `async-nats`, on the same
//! server in one run:
//!
//! - (a) pipelined JetStream publish of a ~370-byte CloudEvent carrying a
//!   typed payload. Raw: the service serializes the same envelope itself
//!   (fresh id and time, `serde_json::to_vec`) and sets a unique
//!   `Nats-Msg-Id`, as Polyn does; for reference, also raw re-sending one
//!   pre-encoded body. Polyn: validated `publish_pipelined`;
//! - (b) pull-consume-ack, raw pull consumer vs a Polyn consumer with a
//!   no-op handler;
//! - (c) validation cost per event.
//!
//! Run with `cargo bench -p polyn-tests --bench throughput`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_nats::HeaderMap;
use async_nats::jetstream::{self, consumer};
use futures_util::StreamExt;
use polyn::{Event, PublishOptions};
use polyn_tests::PolynEnv;
use polyn_tests::events::WidgetsCreatedV1;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::Notify;

const PUBLISH_N: usize = 60_000;
const CONSUME_N: usize = 60_000;
const WINDOW: usize = 2_000;
const NAME: &str = "widgets.created.v1";

fn data(n: usize) -> Value {
    json!({"id": format!("widget-{n:08}"), "name": "A sprocket of the finest make"})
}

/// The typed payload both publishers send.
fn widget(n: usize) -> WidgetsCreatedV1 {
    WidgetsCreatedV1 {
        id: format!("widget-{n:08}"),
        name: "A sprocket of the finest make".to_owned(),
    }
}

/// The envelope a service without Polyn would serialize itself.
#[derive(Serialize)]
struct RawEvent<'a, T> {
    specversion: &'a str,
    id: String,
    source: &'a str,
    #[serde(rename = "type")]
    event_type: &'a str,
    time: String,
    datacontenttype: &'a str,
    polyndata: &'a Value,
    data: T,
}

/// Pipelined raw publishes; `encode_each` serializes every event afresh,
/// otherwise one pre-encoded body is sent over and over.
async fn raw_publish(js: &jetstream::Context, subject: &str, n: usize, encode_each: bool) -> f64 {
    let polyndata = json!({"clientlang": "rust", "clientlangversion": "1.0", "clientversion": "0.1.0"});
    let event = |i: usize| {
        let event = RawEvent {
            specversion: "1.0",
            id: uuid::Uuid::new_v4().to_string(),
            source: "com:test:user:backend",
            event_type: "com.test.widgets.created.v1",
            time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            datacontenttype: "application/json",
            polyndata: &polyndata,
            data: widget(i),
        };
        bytes::Bytes::from(serde_json::to_vec(&event).expect("encode"))
    };
    let fixed = event(0);
    let start = Instant::now();
    let mut pending = Vec::with_capacity(WINDOW);
    for i in 0..n {
        let body = if encode_each { event(i) } else { fixed.clone() };
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Msg-Id", format!("raw-{subject}-{encode_each}-{i}").as_str());
        pending.push(
            js.publish_with_headers(subject.to_owned(), headers, body)
                .await
                .expect("publish"),
        );
        if pending.len() == WINDOW {
            for ack in pending.drain(..) {
                ack.await.expect("ack");
            }
        }
    }
    for ack in pending {
        ack.await.expect("ack");
    }
    n as f64 / start.elapsed().as_secs_f64()
}

async fn polyn_publish(client: &polyn::Client, n: usize) -> f64 {
    let start = Instant::now();
    let mut pending = Vec::with_capacity(WINDOW);
    for i in 0..n {
        pending.push(
            client
                .publish_pipelined(NAME, widget(i), PublishOptions::new())
                .await
                .expect("publish"),
        );
        if pending.len() == WINDOW {
            for ack in pending.drain(..) {
                ack.await.expect("ack");
            }
        }
    }
    for ack in pending {
        ack.await.expect("ack");
    }
    n as f64 / start.elapsed().as_secs_f64()
}

async fn durable(env: &PolynEnv, stream: &str, name: &str) {
    env.js
        .get_stream(stream)
        .await
        .expect("stream")
        .create_consumer(consumer::pull::Config {
            durable_name: Some(name.to_owned()),
            ack_policy: consumer::AckPolicy::Explicit,
            max_ack_pending: 10_000,
            ..Default::default()
        })
        .await
        .expect("consumer");
}

async fn raw_consume(env: &PolynEnv, stream: &str, name: &str, n: usize) -> f64 {
    let pull: consumer::PullConsumer = env
        .js
        .get_stream(stream)
        .await
        .expect("stream")
        .get_consumer(name)
        .await
        .expect("consumer");
    let start = Instant::now();
    let mut messages = pull
        .stream()
        .max_messages_per_batch(256)
        .messages()
        .await
        .expect("messages");
    let mut seen = 0;
    while seen < n {
        let message = messages.next().await.expect("open").expect("message");
        // Decode as a consumer would, then ack.
        let _: Value = serde_json::from_slice(&message.payload).expect("json");
        message.ack().await.expect("ack");
        seen += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

async fn polyn_consume(client: &polyn::Client, stream: &str, name: &str, n: usize) -> f64 {
    let handled = Arc::new(AtomicUsize::new(0));
    let notify = Arc::new(Notify::new());
    let consumer = client
        .consumer_json(NAME)
        .stream(stream)
        .consumer_name(name)
        .concurrency(256)
        .bind()
        .await
        .expect("bind");
    let start = Instant::now();
    consumer
        .run(
            {
                let (handled, notify) = (handled.clone(), notify.clone());
                move |_event: Event, _ctx| {
                    let (handled, notify) = (handled.clone(), notify.clone());
                    async move {
                        if handled.fetch_add(1, Ordering::Relaxed) + 1 >= n {
                            notify.notify_one();
                        }
                    }
                }
            },
            async move { notify.notified().await },
        )
        .await
        .expect("run");
    n as f64 / start.elapsed().as_secs_f64()
}

fn best(a: f64, b: f64) -> f64 {
    a.max(b)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let total = Instant::now();
    let env = PolynEnv::start().await;
    for (name, subject) in [("RAW", "bench.raw"), ("POLYN", NAME)] {
        env.js
            .create_stream(jetstream::stream::Config {
                name: name.into(),
                subjects: vec![subject.into()],
                duplicate_window: Duration::from_secs(120),
                ..Default::default()
            })
            .await
            .expect("stream");
    }
    let client = env.client().await;

    // `POLYN_BENCH_PROFILE=publish|raw-publish|consume`: one side of one
    // measure, for longer, to run under a profiler.
    match std::env::var("POLYN_BENCH_PROFILE").as_deref() {
        Ok("publish") => {
            println!("{:.0} msgs/s", polyn_publish(&client, 5 * PUBLISH_N).await);
            return;
        }
        Ok("raw-publish") => {
            let rate = raw_publish(&env.js, "bench.raw", 5 * PUBLISH_N, true).await;
            println!("{rate:.0} msgs/s");
            return;
        }
        Ok("consume") => {
            polyn_publish(&client, 5 * CONSUME_N).await;
            durable(&env, "POLYN", "profile").await;
            let rate = polyn_consume(&client, "POLYN", "profile", 5 * CONSUME_N).await;
            println!("{rate:.0} msgs/s");
            return;
        }
        _ => {}
    }

    // Warm up both paths.
    raw_publish(&env.js, "bench.raw", 2_000, true).await;
    polyn_publish(&client, 2_000).await;

    // (a) publish, alternating to even out noise.
    let half = PUBLISH_N / 2;
    let raw1 = raw_publish(&env.js, "bench.raw", half, true).await;
    let polyn1 = polyn_publish(&client, half).await;
    let fixed1 = raw_publish(&env.js, "bench.raw", half, false).await;
    let raw2 = raw_publish(&env.js, "bench.raw", half, true).await;
    let polyn2 = polyn_publish(&client, half).await;
    let fixed2 = raw_publish(&env.js, "bench.raw", half, false).await;
    let (raw_pub, polyn_pub) = (best(raw1, raw2), best(polyn1, polyn2));
    let fixed_pub = best(fixed1, fixed2);

    // (b) consume: both consumers read the same Polyn-published events.
    let consume_n = CONSUME_N.min(PUBLISH_N);
    for consumer in ["raw_a", "raw_b", "polyn_a", "polyn_b"] {
        durable(&env, "POLYN", consumer).await;
    }
    let raw_c1 = raw_consume(&env, "POLYN", "raw_a", consume_n).await;
    let polyn_c1 = polyn_consume(&client, "POLYN", "polyn_a", consume_n).await;
    let raw_c2 = raw_consume(&env, "POLYN", "raw_b", consume_n).await;
    let polyn_c2 = polyn_consume(&client, "POLYN", "polyn_b", consume_n).await;
    let (raw_con, polyn_con) = (best(raw_c1, raw_c2), best(polyn_c1, polyn_c2));

    // (c) validation cost.
    let mut schemas = polyn::Schemas::new();
    let text =
        std::fs::read_to_string(polyn_tests::env::schemas_dir().join(format!("{NAME}.json")))
            .expect("schema");
    schemas.insert(polyn::Schema::from_json_str(NAME, &text).expect("compile"));
    let event = polyn::Event::new(
        "com.test.widgets.created.v1",
        "com:test:user:backend",
        data(1),
    );
    let bytes = event.to_bytes().expect("encode");
    let value: Value = serde_json::from_slice(&bytes).expect("json");
    let rounds = 200_000u32;
    let start = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(polyn::validate_event(&value, "com.test", &schemas).is_ok());
    }
    let validate_ns = start.elapsed().as_nanos() as f64 / f64::from(rounds);
    let start = Instant::now();
    for _ in 0..rounds {
        let value: Value = serde_json::from_slice(std::hint::black_box(&bytes)).expect("json");
        std::hint::black_box(polyn::validate_event(&value, "com.test", &schemas).is_ok());
    }
    let parse_validate_ns = start.elapsed().as_nanos() as f64 / f64::from(rounds);

    println!(
        "\nPolyn vs raw async-nats, one nats-server, {} B events",
        bytes.len()
    );
    println!("| measure | raw async-nats | Polyn | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| publish, pipelined (msgs/s) | {raw_pub:.0} | {polyn_pub:.0} | {:.2} |",
        polyn_pub / raw_pub
    );
    println!(
        "| publish, pipelined, raw re-sending one pre-encoded body (msgs/s) | {fixed_pub:.0} | {polyn_pub:.0} | {:.2} |",
        polyn_pub / fixed_pub
    );
    println!(
        "| pull, consume, ack (msgs/s) | {raw_con:.0} | {polyn_con:.0} | {:.2} |",
        polyn_con / raw_con
    );
    println!("| validate envelope + payload (ns/event) | | {validate_ns:.0} | |");
    println!("| parse + validate (ns/event) | | {parse_validate_ns:.0} | |");
    println!("\nwhole run: {:.1} s", total.elapsed().as_secs_f64());
}
