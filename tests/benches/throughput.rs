//! Steady-state throughput of Polyn against raw `async-nats`, on the same
//! server in one run:
//!
//! - (a) pipelined JetStream publish of a ~300-byte CloudEvent, raw (with a
//!   unique `Nats-Msg-Id`, as Polyn always sets) vs Polyn's validated
//!   `publish_pipelined`;
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
use serde_json::{Value, json};
use tokio::sync::Notify;

const PUBLISH_N: usize = 60_000;
const CONSUME_N: usize = 60_000;
const WINDOW: usize = 2_000;
const NAME: &str = "widgets.created.v1";

fn data(n: usize) -> Value {
    json!({"id": format!("widget-{n:08}"), "name": "A sprocket of the finest make"})
}

async fn raw_publish(js: &jetstream::Context, subject: &str, n: usize) -> f64 {
    let body = polyn::Event::new(
        "com.test.widgets.created.v1",
        "com:test:user:backend",
        data(0),
    )
    .to_bytes()
    .expect("encode");
    let start = Instant::now();
    let mut pending = Vec::with_capacity(WINDOW);
    for i in 0..n {
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Msg-Id", format!("raw-{subject}-{i}").as_str());
        pending.push(
            js.publish_with_headers(subject.to_owned(), headers, body.clone().into())
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
                .publish_pipelined(NAME, data(i), PublishOptions::new())
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

    // Warm up both paths.
    raw_publish(&env.js, "bench.raw", 2_000).await;
    polyn_publish(&client, 2_000).await;

    // (a) publish, alternating to even out noise.
    let half = PUBLISH_N / 2;
    let raw1 = raw_publish(&env.js, "bench.raw", half).await;
    let polyn1 = polyn_publish(&client, half).await;
    let raw2 = raw_publish(&env.js, "bench.raw", half).await;
    let polyn2 = polyn_publish(&client, half).await;
    let (raw_pub, polyn_pub) = (best(raw1, raw2), best(polyn1, polyn2));

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

    // (d) the client-side cost of one Polyn publish, without the network:
    // build the envelope, encode to a JSON value, validate, encode to bytes.
    let config = client.config().clone();
    let start = Instant::now();
    for i in 0..rounds {
        let event = config.event(NAME, data(i as usize)).expect("event");
        let value = event.to_json().expect("json");
        polyn::validate_event(&value, "com.test", &schemas).expect("valid");
        std::hint::black_box(serde_json::to_vec(&value).expect("bytes"));
    }
    let prepare_ns = start.elapsed().as_nanos() as f64 / f64::from(rounds);
    let start = Instant::now();
    for i in 0..rounds {
        std::hint::black_box(data(i as usize));
    }
    let data_ns = start.elapsed().as_nanos() as f64 / f64::from(rounds);

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
        "| pull, consume, ack (msgs/s) | {raw_con:.0} | {polyn_con:.0} | {:.2} |",
        polyn_con / raw_con
    );
    println!("| validate envelope + payload (ns/event) | | {validate_ns:.0} | |");
    println!("| parse + validate (ns/event) | | {parse_validate_ns:.0} | |");
    println!("| build + encode + validate + encode, no network (ns/event) | | {prepare_ns:.0} | |");
    println!("| of which building the payload `json!` (ns/event) | | {data_ns:.0} | |");
    println!("\nwhole run: {:.1} s", total.elapsed().as_secs_f64());
}
