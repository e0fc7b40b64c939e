//! What one span costs, on one thread and without a server (the throughput
//! bench's `telemetry` profile measures tracing over NATS), under the
//! `tracing-opentelemetry` layer at its defaults over an SDK tracer
//! provider with no exporter, and over a no-op tracer:
//!
//! - the floor: a span with no fields, entered once;
//! - a span with the fields of a Polyn receive span (the list in
//!   `Client::receive_span`: the Polyn and the current messaging attribute
//!   names, the event id recorded once decoded), entered twice as a handler
//!   polled twice is.
//!
//! Rounds alternate the order; medians and ranges are printed.
//! `cargo bench -p polyn-tests --bench span_cost`

use std::time::Instant;

use opentelemetry::trace::TracerProvider as _;
use tracing_subscriber::layer::SubscriberExt as _;

const ROUNDS: usize = 7;
const SPANS: u32 = 200_000;

fn layer<T>(tracer: T) -> tracing::Dispatch
where
    T: opentelemetry::trace::Tracer + Send + Sync + 'static,
    T::Span: Send + Sync,
{
    tracing::Dispatch::new(
        tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(tracer)),
    )
}

/// Nanoseconds per bare span under `dispatch`.
fn bare_spans(dispatch: &tracing::Dispatch) -> f64 {
    let _default = tracing::dispatcher::set_default(dispatch);
    let started = Instant::now();
    for _ in 0..SPANS {
        let span = tracing::info_span!("receive");
        drop(span.enter());
    }
    started.elapsed().as_nanos() as f64 / f64::from(SPANS)
}

/// Nanoseconds per span with a Polyn receive span's fields under `dispatch`.
fn receive_spans(dispatch: &tracing::Dispatch) -> f64 {
    let _default = tracing::dispatcher::set_default(dispatch);
    let (destination, url, size) = ("widgets.created.v1", "nats://127.0.0.1:4222", 230i64);
    let started = Instant::now();
    for sequence in 0..SPANS {
        let span = tracing::info_span!(
            "receive",
            otel.name = %format_args!("{destination} receive"),
            otel.kind = "consumer",
            messaging.system = "NATS",
            messaging.protocol = "Polyn",
            messaging.destination = %destination,
            messaging.destination.name = %destination,
            messaging.operation.type = "process",
            messaging.url = url,
            messaging.message_id = tracing::field::Empty,
            messaging.message.id = tracing::field::Empty,
            messaging.message_payload_size_bytes = size,
            messaging.message.body.size = size,
            messaging.nats.stream_sequence = i64::from(sequence),
            messaging.nats.delivered = 1i64,
        );
        let id = "0b7c1f2a-3d4e-4f50-8a6b-7c8d9e0f1a2b";
        span.record("messaging.message_id", id);
        span.record("messaging.message.id", id);
        drop(span.enter());
        drop(span.enter());
    }
    started.elapsed().as_nanos() as f64 / f64::from(SPANS)
}

fn summary(mut values: Vec<f64>) -> String {
    values.sort_by(f64::total_cmp);
    format!(
        "{:.0} ns ({:.0}–{:.0})",
        values[values.len() / 2],
        values[0],
        values[values.len() - 1]
    )
}

fn main() {
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    let traced = layer(provider.tracer("polyn-bench"));
    let noop = layer(opentelemetry::trace::noop::NoopTracer::new());
    let (mut floor, mut floor_noop) = (Vec::new(), Vec::new());
    let (mut polyn, mut polyn_noop) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let first = round % 2 == 0;
        for sdk in [first, !first] {
            if sdk {
                floor.push(bare_spans(&traced));
                polyn.push(receive_spans(&traced));
            } else {
                floor_noop.push(bare_spans(&noop));
                polyn_noop.push(receive_spans(&noop));
            }
        }
    }
    println!("one span, median (range) of {ROUNDS} rounds of {SPANS}:");
    println!("no fields, SDK tracer:           {}", summary(floor));
    println!("no fields, no-op tracer:         {}", summary(floor_noop));
    println!("a receive span's, SDK tracer:    {}", summary(polyn));
    println!("a receive span's, no-op tracer:  {}", summary(polyn_noop));
    let _ = provider.shutdown();
}
