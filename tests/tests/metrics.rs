//! OpenTelemetry metrics (feature `otel`), against a real nats-server: a
//! meter provider exporting to memory is installed globally before the
//! client is built, events are published and consumed with every outcome,
//! and the instruments are checked for their counts and attributes.

use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, Metric, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use polyn::{Context, Event, Outcome};
use polyn_tests::events::WidgetsCreatedV1;
use polyn_tests::{PolynEnv, Watched};
use serde_json::json;

const NAME: &str = "widgets.created.v1";

fn widget(id: &str) -> WidgetsCreatedV1 {
    WidgetsCreatedV1 {
        id: id.into(),
        name: "Sprocket".into(),
    }
}

/// The last (cumulative) export's metric `name`.
fn metric<'a>(exported: &'a [ResourceMetrics], name: &str) -> &'a Metric {
    exported
        .last()
        .expect("an export")
        .scope_metrics()
        .filter(|scope| scope.scope().name() == "polyn")
        .flat_map(|scope| scope.metrics())
        .find(|metric| metric.name() == name)
        .unwrap_or_else(|| panic!("no metric {name}"))
}

fn text(attributes: &[KeyValue], key: &str) -> Option<String> {
    attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.as_str().into_owned())
}

/// Whether `attributes` hold exactly `expected` (in any order).
fn exactly(attributes: &[KeyValue], expected: &[(&str, &str)]) -> bool {
    attributes.len() == expected.len()
        && expected
            .iter()
            .all(|(key, value)| text(attributes, key).as_deref() == Some(*value))
}

/// Each data point of a counter or up-down counter: attributes and value.
fn sums(metric: &Metric) -> Vec<(Vec<KeyValue>, i128)> {
    match metric.data() {
        AggregatedMetrics::U64(MetricData::Sum(sum)) => sum
            .data_points()
            .map(|p| (p.attributes().cloned().collect(), i128::from(p.value())))
            .collect(),
        AggregatedMetrics::I64(MetricData::Sum(sum)) => sum
            .data_points()
            .map(|p| (p.attributes().cloned().collect(), i128::from(p.value())))
            .collect(),
        other => panic!("{} is not a sum: {other:?}", metric.name()),
    }
}

/// Each data point of a histogram: attributes and count.
fn counts(metric: &Metric) -> Vec<(Vec<KeyValue>, u64)> {
    match metric.data() {
        AggregatedMetrics::F64(MetricData::Histogram(histogram)) => histogram
            .data_points()
            .map(|p| (p.attributes().cloned().collect(), p.count()))
            .collect(),
        other => panic!("{} is not a histogram: {other:?}", metric.name()),
    }
}

/// The value of the one point with exactly `attributes`, 0 if none.
fn value_of<V: Copy + Default>(points: &[(Vec<KeyValue>, V)], attributes: &[(&str, &str)]) -> V {
    let matching: Vec<_> = points
        .iter()
        .filter(|(kv, _)| exactly(kv, attributes))
        .collect();
    assert!(matching.len() <= 1, "two points with {attributes:?}");
    matching.first().map(|(_, v)| *v).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishes_and_consumption_are_measured() {
    let exporter = InMemoryMetricExporter::default();
    let provider = SdkMeterProvider::builder()
        .with_reader(PeriodicReader::builder(exporter.clone()).build())
        .build();
    opentelemetry::global::set_meter_provider(provider.clone());

    let env = PolynEnv::start().await;
    env.stream("WIDGETS", &[NAME]).await;
    // One delivery each: the failing message is given up on at once.
    let consumer = env
        .consumer("WIDGETS", NAME, None, NAME, Duration::from_secs(30), 1)
        .await;
    let client = env.client().await;

    let ids = ["a1", "a2", "a3", "nak", "fail"];
    for id in ids {
        client.publish(widget(id)).await.expect("publish");
    }
    let invalid = client
        .publish_json(NAME, json!({"id": 1, "name": "Sprocket"}))
        .await
        .expect_err("invalid data is not sent");
    assert!(
        matches!(invalid, polyn::Error::Validation(_)),
        "{invalid:?}"
    );
    // `error.type` is the variant's path.
    let invalid_type = "polyn::Error::Validation".to_owned();
    let raw = br#"{"id":"x","source":"s","type":"com.test.widgets.created.v1","specversion":"1.0","data":{"id":1}}"#;
    env.js
        .publish(NAME, raw.as_slice().into())
        .await
        .expect("publish raw")
        .await
        .expect("stored");

    // Handled: a1..a3 acked, nak naked (not redelivered: max_deliver 1),
    // fail termed (no dead-letter stream); the raw one is invalid: termed.
    let (acked, naked, termed) = (3, 1, 2);
    let handled = ids.len() as u64;
    let settled = acked + naked + termed;
    let bound = client
        .consumer::<WidgetsCreatedV1>()
        .bind()
        .await
        .expect("bind");
    let monitor = bound.monitor();
    let during = Watched::new(None::<(i128, i128)>);
    let stats = bound
        .run(
            |event: Event<WidgetsCreatedV1>, _ctx: Context| async move {
                match event.data().id.as_str() {
                    "nak" => Ok(Outcome::Nak { delay: None }),
                    "fail" => Err(polyn::BoxError::from(std::io::Error::other("down"))),
                    _ => Ok(Outcome::Ack),
                }
            },
            {
                let (provider, exporter, during) =
                    (provider.clone(), exporter.clone(), during.clone());
                async move {
                    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
                    loop {
                        let s = monitor.stats();
                        if s.acked + s.naked + s.termed >= settled
                            || tokio::time::Instant::now() > deadline
                        {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    // Idle and running: a pull waits for more.
                    provider.force_flush().expect("flush");
                    let exported = exporter.get_finished_metrics().expect("metrics");
                    let total = |name: &str| -> i128 {
                        sums(metric(&exported, name)).iter().map(|(_, n)| n).sum()
                    };
                    during.update(|during| {
                        *during = Some((
                            total("polyn.consumer.pulls.outstanding"),
                            total("polyn.consumer.messages.requested"),
                        ));
                    });
                }
            },
        )
        .await
        .expect("run");
    assert_eq!(
        (stats.acked, stats.naked, stats.termed),
        (acked, naked, termed),
        "{stats:?}"
    );

    provider.force_flush().expect("flush");
    let exported = exporter.get_finished_metrics().expect("metrics");

    let system = ("messaging.system", "nats");
    let destination = ("messaging.destination.name", NAME);
    let group = ("messaging.consumer.group.name", consumer.as_str());
    let failed = ("error.type", invalid_type.as_str());
    let send = ("messaging.operation.name", "send");

    let sent = sums(metric(&exported, "messaging.client.sent.messages"));
    assert_eq!(
        value_of(&sent, &[system, destination]),
        ids.len() as i128,
        "{sent:?}"
    );
    assert_eq!(
        value_of(&sent, &[system, destination, failed]),
        1,
        "{sent:?}"
    );
    assert_eq!(sent.len(), 2, "{sent:?}");

    let durations = counts(metric(&exported, "messaging.client.operation.duration"));
    assert_eq!(
        value_of(&durations, &[system, destination, send]),
        ids.len() as u64
    );
    assert_eq!(
        value_of(&durations, &[system, destination, send, failed]),
        1
    );
    assert_eq!(durations.len(), 2, "{durations:?}");

    let consumed = sums(metric(&exported, "messaging.client.consumed.messages"));
    for (outcome, expected) in [
        ("acked", acked),
        ("naked", naked),
        ("termed", termed),
        ("dead_lettered", 0),
    ] {
        let attributes = [system, destination, group, ("polyn.outcome", outcome)];
        assert_eq!(
            value_of(&consumed, &attributes),
            i128::from(expected),
            "{outcome}: {consumed:?}"
        );
    }
    let total: i128 = consumed.iter().map(|(_, n)| n).sum();
    assert_eq!(total, i128::from(settled), "{consumed:?}");

    let processed = counts(metric(&exported, "messaging.process.duration"));
    assert_eq!(processed.len(), 1, "{processed:?}");
    assert_eq!(value_of(&processed, &[system, destination, group]), handled);

    let in_flight = sums(metric(&exported, "polyn.handlers.in_flight"));
    assert_eq!(in_flight.len(), 1, "{in_flight:?}");
    assert_eq!(value_of(&in_flight, &[system, destination, group]), 0);

    let (pulls, requested) = during.get().expect("measured while running");
    assert!(pulls >= 1, "{pulls} pulls open while idle");
    assert!(requested >= 1, "{requested} messages asked for while idle");
    // Stopped: nothing asked for.
    let pulls = sums(metric(&exported, "polyn.consumer.pulls.outstanding"));
    assert_eq!(
        value_of(&pulls, &[system, destination, group]),
        0,
        "{pulls:?}"
    );

    // Connected once, never reconnected: nothing counted yet.
    let reconnects = exported
        .last()
        .expect("an export")
        .scope_metrics()
        .flat_map(|scope| scope.metrics())
        .find(|metric| metric.name() == "polyn.client.reconnects")
        .map_or(0, |metric| sums(metric).iter().map(|(_, n)| *n).sum());
    assert_eq!(reconnects, 0);

    // The schema store changes under the running client: one reload, and
    // the type it publishes has drifted.
    let drifted = |exported: &[ResourceMetrics]| -> i128 {
        match metric(exported, "polyn.schema_store.drifted").data() {
            AggregatedMetrics::U64(MetricData::Gauge(gauge)) => {
                gauge.data_points().map(|p| i128::from(p.value())).sum()
            }
            other => panic!("not a gauge: {other:?}"),
        }
    };
    assert_eq!(drifted(&exported), 0);
    let mut schema: serde_json::Value =
        serde_json::from_str(<WidgetsCreatedV1 as polyn::EventType>::SCHEMA).expect("JSON");
    schema["description"] = json!("changed in the store");
    let kv = env.js.get_key_value("POLYN_SCHEMAS").await.expect("bucket");
    kv.put(NAME, schema.to_string().into()).await.expect("put");
    let digest = polyn::schemas::schema_digest(&schema);
    let seen = client.schemas().wait_until(|schemas| {
        schemas
            .get(NAME)
            .is_some_and(|schema| schema.digest() == digest)
    });
    tokio::time::timeout(Duration::from_secs(10), seen)
        .await
        .expect("the client sees the new schema");
    provider.force_flush().expect("flush");
    let exported = exporter.get_finished_metrics().expect("metrics");
    assert_eq!(drifted(&exported), 1);
    let reloads = sums(metric(&exported, "polyn.schema_store.reloads"));
    assert_eq!(value_of(&reloads, &[system]), 1, "{reloads:?}");

    let scope = exported
        .last()
        .expect("an export")
        .scope_metrics()
        .find(|scope| scope.scope().name() == "polyn")
        .expect("the polyn scope");
    assert_eq!(
        scope.scope().version(),
        Some(env!("CARGO_PKG_VERSION")),
        "the crate version"
    );
    provider.shutdown().expect("shutdown");
}
