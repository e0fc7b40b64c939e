//! `POLYN_BENCH_PROFILE=telemetry`: what OpenTelemetry tracing and metrics
//! cost. Polyn with both on — the `tracing-opentelemetry` layer over an SDK
//! tracer provider with no exporter (spans are built, recorded and ended,
//! then dropped), the W3C propagator (every publish carries a
//! `traceparent`, every receive extracts it), and an SDK meter provider
//! whose reader never exports — against Polyn with no subscriber and no
//! meter provider, on the same server, alternating which goes first.

use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use polyn_tests::PolynEnv;
use tracing_subscriber::layer::SubscriberExt as _;

use super::{
    CONSUME_N, NAME, PUBLISH_N, ROUNDS, durable, median, polyn_consume, polyn_publish, raw_publish,
};

pub(super) async fn run(env: &PolynEnv) {
    // `POLYN_BENCH_TELEMETRY=traces` or `metrics` turns on one of the two;
    // `none` neither.
    let part = std::env::var("POLYN_BENCH_TELEMETRY").unwrap_or_default();
    let (traces, metrics) = match part.as_str() {
        "traces" => (true, false),
        "metrics" => (false, true),
        // Both clients alike: what the comparison itself is worth.
        "none" => (false, false),
        _ => (true, true),
    };
    let tracer_provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
    let reader = opentelemetry_sdk::metrics::PeriodicReader::builder(
        opentelemetry_sdk::metrics::InMemoryMetricExporter::default(),
    )
    .with_interval(Duration::from_secs(3600))
    .build();
    let meter_provider = opentelemetry_sdk::metrics::SdkMeterProvider::builder()
        .with_reader(reader)
        .build();
    // Two clients made alike, one before the meter provider is installed
    // (its instruments are no-ops) and one after.
    let off = &env.client().await;
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    if metrics {
        opentelemetry::global::set_meter_provider(meter_provider.clone());
    }
    // Its instruments come from the meter provider now installed.
    let on = env.client().await;
    let dispatch = if traces {
        tracing::Dispatch::new(tracing_subscriber::registry().with(
            tracing_opentelemetry::layer().with_tracer(tracer_provider.tracer("polyn-bench")),
        ))
    } else {
        tracing::Dispatch::none()
    };

    // Both sides run under a thread-scoped dispatcher (a scoped one costs
    // on its own, next to the global fast path), the off side's discarding
    // everything.
    let untraced = tracing::Dispatch::none();
    // Enough events for the first round's consumers.
    raw_publish(&env.js, NAME, CONSUME_N, true).await;
    let (mut publish_on, mut publish_off) = (Vec::new(), Vec::new());
    let (mut consume_on, mut consume_off) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let on_first = round % 2 == 0;
        for telemetry in [on_first, !on_first] {
            if telemetry {
                let _traced = tracing::dispatcher::set_default(&dispatch);
                publish_on.push(polyn_publish(&on, PUBLISH_N).await);
            } else {
                let _untraced = tracing::dispatcher::set_default(&untraced);
                publish_off.push(polyn_publish(off, PUBLISH_N).await);
            }
        }
        for telemetry in [on_first, !on_first] {
            let name = format!("telemetry_{telemetry}_{round}");
            durable(env, "POLYN", &name).await;
            if telemetry {
                let _traced = tracing::dispatcher::set_default(&dispatch);
                consume_on.push(polyn_consume(&on, "POLYN", &name, CONSUME_N, None).await.0);
            } else {
                let _untraced = tracing::dispatcher::set_default(&untraced);
                consume_off.push(polyn_consume(off, "POLYN", &name, CONSUME_N, None).await.0);
            }
        }
    }
    let ratio = |on: &[f64], off: &[f64]| {
        let ratios: Vec<f64> = on.iter().zip(off).map(|(on, off)| on / off).collect();
        let (low, high) = ratios.iter().fold((f64::MAX, f64::MIN), |(low, high), r| {
            (low.min(*r), high.max(*r))
        });
        format!("{:.2} ({low:.2}–{high:.2})", median(ratios))
    };
    println!(
        "telemetry (traces {traces}, metrics {metrics}) on / off, median (range) of {ROUNDS} rounds:"
    );
    println!(
        "publish, pipelined: {:.0} / {:.0} msgs/s, ratio {}",
        median(publish_on.clone()),
        median(publish_off.clone()),
        ratio(&publish_on, &publish_off)
    );
    println!(
        "consume, defaults:  {:.0} / {:.0} msgs/s, ratio {}",
        median(consume_on.clone()),
        median(consume_off.clone()),
        ratio(&consume_on, &consume_off)
    );
    let _ = meter_provider.shutdown();
    let _ = tracer_provider.shutdown();
}
