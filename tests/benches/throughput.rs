//! Steady-state throughput of Polyn against raw `async-nats`, on the same
//! server in one run:
//!
//! - (a) pipelined JetStream publish of a ~370-byte CloudEvent carrying a
//!   typed payload, both sides to the same subject of the same stream (so
//!   both meet the same stream size and deduplication window). Raw: the
//!   service serializes the same envelope itself
//!   (a fresh UUID id and time, `serde_json::to_vec`) and sets the id as
//!   `Nats-Msg-Id`, as Polyn does; for reference, also raw re-sending one
//!   pre-encoded body with sequential ids. Polyn: validated
//!   `publish_pipelined`;
//! - (b) pull-consume-ack: a raw pull consumer decoding each event into a
//!   serde struct (and, for reference, into a `serde_json::Value`) against
//!   a Polyn typed consumer with a no-op handler, at the default settings
//!   and at concurrency 1, 8, 32, 64 and 256; and how long `run` takes to
//!   return after the last event is handled;
//! - (c) validation cost per event.
//!
//! Every round alternates which side runs first. Run with `cargo bench -p
//! polyn-tests --bench throughput`; `POLYN_BENCH_PROFILE=rss` (or
//! `raw-rss`) consumes 1 000 000 events and prints the peak RSS, and
//! `POLYN_BENCH_PROFILE=telemetry` compares Polyn with OpenTelemetry
//! tracing and metrics on and off.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_nats::HeaderMap;
use async_nats::jetstream::{self, consumer};
use futures_util::StreamExt;
use polyn::{Event, PublishOptions};
use polyn_tests::PolynEnv;
use polyn_tests::events::WidgetsCreatedV1;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::Notify;

#[path = "throughput/telemetry.rs"]
mod telemetry;

/// Rounds of each measure.
const ROUNDS: usize = 9;
/// Events per publish run; the Polyn runs leave `ROUNDS * PUBLISH_N` events
/// in the stream the consumers read.
const PUBLISH_N: usize = 12_000;
/// Events per consume run.
const CONSUME_N: usize = 30_000;
/// The concurrency settings the consume measure runs at (`None`: the
/// default settings).
const CONSUME_SETTINGS: [Option<usize>; 6] =
    [None, Some(1), Some(8), Some(32), Some(64), Some(256)];
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

/// Pipelined raw publishes. With `encode_each`, every event is serialized
/// afresh with a new UUID as its id and `Nats-Msg-Id`, as a service would;
/// otherwise one pre-encoded body is sent over and over with sequential ids
/// (a lower bound: the server deduplicates sequential ids faster than
/// random ones).
async fn raw_publish(js: &jetstream::Context, subject: &str, n: usize, encode_each: bool) -> f64 {
    let polyndata =
        json!({"clientlang": "rust", "clientlangversion": "1.0", "clientversion": "0.1.0"});
    let event = |i: usize| {
        let id = uuid::Uuid::new_v4().to_string();
        let event = RawEvent {
            specversion: "1.0",
            id: id.clone(),
            source: "com:test:user:backend",
            event_type: "com.test.widgets.created.v1",
            time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            datacontenttype: "application/json",
            polyndata: &polyndata,
            data: widget(i),
        };
        (
            id,
            bytes::Bytes::from(serde_json::to_vec(&event).expect("encode")),
        )
    };
    let (_, fixed) = event(0);
    let start = Instant::now();
    let mut pending = Vec::with_capacity(WINDOW);
    for i in 0..n {
        let (id, body) = if encode_each {
            event(i)
        } else {
            (format!("raw-{subject}-{i}"), fixed.clone())
        };
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Msg-Id", id.as_str());
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

/// The event as a service without Polyn would decode it.
#[derive(Deserialize)]
#[allow(dead_code)]
struct ReceivedEvent {
    specversion: String,
    id: String,
    source: String,
    #[serde(rename = "type")]
    event_type: String,
    time: String,
    data: WidgetsCreatedV1,
}

/// How the raw consumer decodes each event.
#[derive(Clone, Copy)]
enum RawDecode {
    /// Into [`ReceivedEvent`], the typed struct a Rust user would write.
    Struct,
    /// Into a `serde_json::Value`.
    Value,
}

/// A raw pull consumer at async-nats's default settings: decode, then ack.
async fn raw_consume(env: &PolynEnv, stream: &str, name: &str, n: usize, decode: RawDecode) -> f64 {
    let pull: consumer::PullConsumer = env
        .js
        .get_stream(stream)
        .await
        .expect("stream")
        .get_consumer(name)
        .await
        .expect("consumer");
    let start = Instant::now();
    let mut messages = pull.messages().await.expect("messages");
    let mut seen = 0;
    while seen < n {
        let message = messages.next().await.expect("open").expect("message");
        match decode {
            RawDecode::Struct => {
                let event: ReceivedEvent =
                    serde_json::from_slice(&message.payload).expect("an event");
                std::hint::black_box(event);
            }
            RawDecode::Value => {
                let event: Value = serde_json::from_slice(&message.payload).expect("json");
                std::hint::black_box(event);
            }
        }
        message.ack().await.expect("ack");
        seen += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// A Polyn typed consumer at `concurrency` (the default settings for
/// `None`): the rate until the `n`th event is handled, and how long `run`
/// took to return after it (graceful shutdown is not throughput).
async fn polyn_consume(
    client: &polyn::Client,
    stream: &str,
    name: &str,
    n: usize,
    concurrency: Option<usize>,
) -> (f64, Duration) {
    let handled = Arc::new(AtomicUsize::new(0));
    let notify = Arc::new(Notify::new());
    let finished = Arc::new(std::sync::OnceLock::new());
    let mut builder = client
        .consumer::<WidgetsCreatedV1>()
        .stream(stream)
        .consumer_name(name);
    if let Some(concurrency) = concurrency {
        builder = builder.concurrency(concurrency);
    }
    let consumer = builder.bind().await.expect("bind");
    let start = Instant::now();
    consumer
        .run(
            {
                let (handled, notify, finished) =
                    (handled.clone(), notify.clone(), finished.clone());
                move |event: Event<WidgetsCreatedV1>, _ctx| {
                    let (handled, notify, finished) =
                        (handled.clone(), notify.clone(), finished.clone());
                    async move {
                        std::hint::black_box(event);
                        if handled.fetch_add(1, Ordering::Relaxed) + 1 == n {
                            let _ = finished.set(Instant::now());
                            notify.notify_one();
                        }
                    }
                }
            },
            async move { notify.notified().await },
        )
        .await
        .expect("run");
    let returned = Instant::now();
    let last = finished.get().copied().expect("all events handled");
    (
        n as f64 / (last - start).as_secs_f64(),
        returned.duration_since(last),
    )
}

/// Peak RSS of this process since the last [`reset_peak_rss`], in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Starts measuring the peak RSS afresh (Linux: `clear_refs` 5).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// With `POLYN_PERF_CTL=<fifo>`, tells a `perf record --control fifo:<fifo>
/// -D -1` to start or stop sampling, so a profile covers one phase only.
fn perf_control(command: &str) {
    if let Some(fifo) = std::env::var_os("POLYN_PERF_CTL") {
        let _ = std::fs::write(fifo, format!("{command}\n"));
    }
}

/// CPU time this process has used (Linux, 10 ms resolution), to tell the
/// client's cost apart from the server's.
fn cpu_time() -> Duration {
    process_cpu_time("self")
}

/// CPU time of the process `pid` (`"self"` or a number), as [`cpu_time`].
fn process_cpu_time(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields of the whole line, in clock ticks (100 Hz).
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|n| n.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    }
}

/// A table row: median rates and the median (min–max) of the per-round ratios.
fn row(measure: &str, raw: &[f64], polyn: &[f64]) -> String {
    let ratios: Vec<f64> = raw.iter().zip(polyn).map(|(r, p)| p / r).collect();
    let (low, high) = ratios
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
    format!(
        "| {measure} | {:.0} | {:.0} | {:.2} ({low:.2}–{high:.2}) |",
        median(raw.to_vec()),
        median(polyn.to_vec()),
        median(ratios)
    )
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

    // `POLYN_BENCH_PROFILE=publish|raw-publish|consume|raw-consume`: one side of one
    // measure, for longer, to run under a profiler.
    match std::env::var("POLYN_BENCH_PROFILE").as_deref() {
        Ok(side @ ("publish" | "raw-publish")) => {
            let n = 5 * PUBLISH_N;
            let cpu = cpu_time();
            perf_control("enable");
            let rate = if side == "publish" {
                polyn_publish(&client, n).await
            } else {
                raw_publish(&env.js, NAME, n, true).await
            };
            perf_control("disable");
            let client = (cpu_time() - cpu).as_nanos() as f64 / n as f64;
            println!("{rate:.0} msgs/s; client CPU per message {client:.0} ns");
            return;
        }
        Ok(side @ ("consume" | "raw-consume")) => {
            // The same raw-published events for both sides.
            let n = 20 * CONSUME_N;
            raw_publish(&env.js, NAME, n, true).await;
            durable(&env, "POLYN", "profile").await;
            let server_pid = env
                .server
                .pid()
                .map(|pid| pid.to_string())
                .unwrap_or_default();
            perf_control("enable");
            let (cpu, server_cpu) = (cpu_time(), process_cpu_time(&server_pid));
            let rate = if side == "consume" {
                polyn_consume(&client, "POLYN", "profile", n, None).await.0
            } else {
                raw_consume(&env, "POLYN", "profile", n, RawDecode::Struct).await
            };
            perf_control("disable");
            let per_message = |d: Duration| d.as_nanos() as f64 / n as f64;
            let client = per_message(cpu_time() - cpu);
            let server = per_message(process_cpu_time(&server_pid) - server_cpu);
            println!(
                "{rate:.0} msgs/s; CPU per message: client {client:.0} ns, server {server:.0} ns"
            );
            return;
        }
        Ok("telemetry") => {
            telemetry::run(&env).await;
            return;
        }
        Ok(side @ ("rss" | "raw-rss")) => {
            let n = 1_000_000;
            raw_publish(&env.js, NAME, n, true).await;
            durable(&env, "POLYN", "rss").await;
            reset_peak_rss();
            let before = peak_rss_kib();
            let rate = if side == "rss" {
                polyn_consume(&client, "POLYN", "rss", n, None).await.0
            } else {
                raw_consume(&env, "POLYN", "rss", n, RawDecode::Struct).await
            };
            println!(
                "{side}: {n} events at {rate:.0} msgs/s; peak RSS {:.1} MB (at the start {:.1} MB)",
                peak_rss_kib() as f64 / 1024.0,
                before as f64 / 1024.0
            );
            return;
        }
        _ => {}
    }

    // Warm up both paths.
    raw_publish(&env.js, NAME, 2_000, true).await;
    polyn_publish(&client, 2_000).await;

    // Rounds alternate raw and Polyn so that both see the same machine:
    // a shared 2-core host drifts by tens of percent between seconds, so each
    // ratio is taken within a round and the median of the rounds reported.
    // (a) publish; even rounds run Polyn first, odd rounds raw first.
    let (mut raw_pub, mut polyn_pub, mut fixed_pub) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        if round % 2 == 0 {
            polyn_pub.push(polyn_publish(&client, PUBLISH_N).await);
            raw_pub.push(raw_publish(&env.js, NAME, PUBLISH_N, true).await);
        } else {
            raw_pub.push(raw_publish(&env.js, NAME, PUBLISH_N, true).await);
            polyn_pub.push(polyn_publish(&client, PUBLISH_N).await);
        }
        fixed_pub.push(raw_publish(&env.js, "bench.raw", PUBLISH_N, false).await);
    }

    // (b) consume: every consumer reads the same Polyn-published events,
    // from a durable of its own; each setting runs its rounds with the
    // order alternating.
    let mut consume_rows = Vec::new();
    let mut shutdowns = Vec::new();
    let (mut value_raw, mut value_polyn) = (Vec::new(), Vec::new());
    for (setting, concurrency) in CONSUME_SETTINGS.into_iter().enumerate() {
        let (mut raw_con, mut polyn_con) = (Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            let (raw, polyn) = (
                format!("raw_{setting}_{round}"),
                format!("polyn_{setting}_{round}"),
            );
            durable(&env, "POLYN", &raw).await;
            durable(&env, "POLYN", &polyn).await;
            let polyn_first = (round + setting) % 2 == 0;
            if polyn_first {
                let (rate, shutdown) =
                    polyn_consume(&client, "POLYN", &polyn, CONSUME_N, concurrency).await;
                polyn_con.push(rate);
                shutdowns.push(shutdown.as_secs_f64() * 1000.0);
            }
            raw_con.push(raw_consume(&env, "POLYN", &raw, CONSUME_N, RawDecode::Struct).await);
            if !polyn_first {
                let (rate, shutdown) =
                    polyn_consume(&client, "POLYN", &polyn, CONSUME_N, concurrency).await;
                polyn_con.push(rate);
                shutdowns.push(shutdown.as_secs_f64() * 1000.0);
            }
            if concurrency.is_none() {
                // The raw consumer decoding into a `Value`, against the same
                // round's Polyn rate.
                let value = format!("value_{round}");
                durable(&env, "POLYN", &value).await;
                value_raw
                    .push(raw_consume(&env, "POLYN", &value, CONSUME_N, RawDecode::Value).await);
                value_polyn.push(*polyn_con.last().expect("a rate"));
            }
        }
        let label = match concurrency {
            None => format!(
                "consume, defaults (concurrency {})",
                polyn::consumer::DEFAULT_CONCURRENCY
            ),
            Some(c) => format!("consume, concurrency {c}"),
        };
        consume_rows.push(row(&format!("{label} (msgs/s)"), &raw_con, &polyn_con));
    }

    // (c) validation cost.
    let mut schemas = polyn::schema::Schemas::new();
    let text =
        std::fs::read_to_string(polyn_tests::env::schemas_dir().join(format!("{NAME}.json")))
            .expect("schema");
    schemas.insert(polyn::schema::Schema::from_json_str(NAME, &text).expect("compile"));
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
        std::hint::black_box(
            polyn::validation::validate_event(&value, "com.test", &schemas).is_ok(),
        );
    }
    let validate_ns = start.elapsed().as_nanos() as f64 / f64::from(rounds);
    let start = Instant::now();
    for _ in 0..rounds {
        let value: Value = serde_json::from_slice(std::hint::black_box(&bytes)).expect("json");
        std::hint::black_box(
            polyn::validation::validate_event(&value, "com.test", &schemas).is_ok(),
        );
    }
    let parse_validate_ns = start.elapsed().as_nanos() as f64 / f64::from(rounds);

    println!(
        "\nPolyn vs raw async-nats, one nats-server, {} B events",
        bytes.len()
    );
    println!(
        "| measure | raw async-nats (serde struct) | Polyn (typed) | ratio, median (range) of {ROUNDS} rounds |"
    );
    println!("|---|---|---|---|");
    println!(
        "{}",
        row("publish, pipelined (msgs/s)", &raw_pub, &polyn_pub)
    );
    println!(
        "{}",
        row(
            "publish, pipelined, raw re-sending one pre-encoded body (msgs/s)",
            &fixed_pub,
            &polyn_pub
        )
    );
    for consume in &consume_rows {
        println!("{consume}");
    }
    println!(
        "{}",
        row(
            "consume, defaults, raw decoding into a `Value` (msgs/s)",
            &value_raw,
            &value_polyn
        )
    );
    let (low, high) = shutdowns
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    println!(
        "| `run` returns after the last event is handled (ms) | | {:.1} ({low:.1}–{high:.1}) | |",
        median(shutdowns.clone())
    );
    println!("| validate envelope + payload (ns/event) | | {validate_ns:.0} | |");
    println!("| parse + validate (ns/event) | | {parse_validate_ns:.0} | |");
    println!("\nwhole run: {:.1} s", total.elapsed().as_secs_f64());
}
