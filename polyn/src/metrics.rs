//! OpenTelemetry metrics (feature `otel`), after the messaging semantic
//! conventions: instruments made from the global meter `polyn` when a
//! [`Client`](crate::Client) is built, and recorded where messages are
//! published, settled and handled. Without the feature every type here is
//! zero-sized and every method does nothing, so call sites need no `cfg`.
//!
//! | Instrument | Kind | Attributes |
//! |---|---|---|
//! | `messaging.client.sent.messages` | `Counter<u64>` | `error.type` on a failed publish |
//! | `messaging.client.operation.duration` | `Histogram<f64>`, s | `messaging.operation.name` = `send`, `error.type` |
//! | `messaging.client.consumed.messages` | `Counter<u64>` | `polyn.outcome` |
//! | `messaging.process.duration` | `Histogram<f64>`, s | |
//! | `polyn.handlers.in_flight` | `UpDownCounter<i64>` | |
//! | `polyn.client.reconnects` | `Counter<u64>` | |
//! | `polyn.schema_store.reloads` | `Counter<u64>` | |
//!
//! All carry `messaging.system` = `nats`; the message instruments carry
//! `messaging.destination.name` (the message name), and a pull consumer's
//! `messaging.consumer.group.name` (the durable consumer).

#[cfg(feature = "otel")]
use opentelemetry::KeyValue;
#[cfg(feature = "otel")]
use opentelemetry::metrics::{Counter, Histogram, Meter};

/// `messaging.system`.
#[cfg(feature = "otel")]
fn system() -> KeyValue {
    KeyValue::new("messaging.system", "nats")
}

/// The meter every instrument comes from.
#[cfg(feature = "otel")]
fn meter() -> Meter {
    let scope = opentelemetry::InstrumentationScope::builder("polyn")
        .with_version(env!("CARGO_PKG_VERSION"))
        .build();
    opentelemetry::global::meter_with_scope(scope)
}

/// A client's instruments.
#[cfg(feature = "otel")]
#[derive(Clone)]
pub(crate) struct Metrics {
    meter: Meter,
    sent: Counter<u64>,
    operation_duration: Histogram<f64>,
    process_duration: Histogram<f64>,
}

/// A client's instruments (none without the `otel` feature).
#[cfg(not(feature = "otel"))]
#[derive(Clone)]
pub(crate) struct Metrics;

/// When a timed operation started (nothing without the `otel` feature).
#[cfg(feature = "otel")]
pub(crate) type Started = std::time::Instant;
/// When a timed operation started (nothing without the `otel` feature).
#[cfg(not(feature = "otel"))]
#[derive(Clone, Copy)]
pub(crate) struct Started;

/// Now, for [`Metrics::published`] and [`Consumed::processed`].
#[inline]
pub(crate) fn start() -> Started {
    #[cfg(feature = "otel")]
    return std::time::Instant::now();
    #[cfg(not(feature = "otel"))]
    Started
}

impl Metrics {
    /// The instruments, from the global meter provider installed now.
    pub(crate) fn new() -> Self {
        #[cfg(feature = "otel")]
        {
            let meter = meter();
            Metrics {
                meter: meter.clone(),
                sent: meter
                    .u64_counter("messaging.client.sent.messages")
                    .with_unit("{message}")
                    .with_description("Messages a producer attempted to send")
                    .build(),
                operation_duration: meter
                    .f64_histogram("messaging.client.operation.duration")
                    .with_unit("s")
                    .with_description("Duration of a publish, until its acknowledgement")
                    .build(),
                process_duration: meter
                    .f64_histogram("messaging.process.duration")
                    .with_unit("s")
                    .with_description("Duration of a handler's run on one message")
                    .build(),
            }
        }
        #[cfg(not(feature = "otel"))]
        Metrics
    }

    /// Records a publish of the message `destination` that `started` and
    /// ended with `result` (the acknowledgement, or the error before it).
    #[inline]
    pub(crate) fn published<T>(
        &self,
        destination: &str,
        started: Started,
        result: &Result<T, crate::error::Error>,
    ) {
        #[cfg(feature = "otel")]
        {
            let mut attributes = vec![
                system(),
                KeyValue::new("messaging.destination.name", destination.to_owned()),
            ];
            if let Err(error) = result {
                attributes.push(KeyValue::new(
                    "error.type",
                    crate::telemetry::error_type(error),
                ));
            }
            self.sent.add(1, &attributes);
            attributes.push(KeyValue::new("messaging.operation.name", "send"));
            self.operation_duration
                .record(started.elapsed().as_secs_f64(), &attributes);
        }
        #[cfg(not(feature = "otel"))]
        let _ = (destination, started, result);
    }

    /// [`Metrics::published`] once `ack` resolves.
    #[cfg(feature = "otel")]
    pub(crate) fn timed_ack(
        &self,
        destination: &str,
        started: Started,
        ack: crate::transport::PendingAck,
    ) -> crate::transport::PendingAck {
        let (metrics, destination) = (self.clone(), destination.to_owned());
        Box::pin(async move {
            let result = ack.await;
            metrics.published(&destination, started, &result);
            result
        })
    }

    /// The instruments of one consumer of the message `destination`, with
    /// their attributes built once; `group` is the durable consumer.
    pub(crate) fn consumer(
        &self,
        destination: &str,
        group: Option<&str>,
        monitor: &crate::monitor::Monitor,
    ) -> Consumed {
        #[cfg(feature = "otel")]
        {
            use std::sync::atomic::Ordering;
            let mut base = vec![
                system(),
                KeyValue::new("messaging.destination.name", destination.to_owned()),
            ];
            if let Some(group) = group {
                base.push(KeyValue::new(
                    "messaging.consumer.group.name",
                    group.to_owned(),
                ));
            }
            let with = |outcome: &'static str| {
                let mut attributes = base.clone();
                attributes.push(KeyValue::new("polyn.outcome", outcome));
                attributes
            };
            let outcomes = [
                with("acked"),
                with("naked"),
                with("termed"),
                with("dead_lettered"),
                with("failed"),
            ];
            // Read from the consumer's own counters when metrics are
            // collected: nothing is recorded per message.
            let (counted, pull) = (monitor.clone(), group.is_some());
            let consumed = self
                .meter
                .u64_observable_counter("messaging.client.consumed.messages")
                .with_unit("{message}")
                .with_description("Messages a consumer settled, by outcome")
                .with_callback(move |observer| {
                    let counters = counted.counters();
                    let load =
                        |counter: &std::sync::atomic::AtomicU64| counter.load(Ordering::Relaxed);
                    let dead_lettered = load(&counters.dead_lettered);
                    // A dead letter is terminated too; it counts once.
                    let termed = load(&counters.termed).saturating_sub(dead_lettered);
                    // On core NATS a failed message is neither naked nor
                    // terminated: it is only reported.
                    let failed = load(&counters.failed)
                        .saturating_add(load(&counters.panics))
                        .saturating_add(load(&counters.abandoned));
                    let values = [
                        load(&counters.acked),
                        load(&counters.naked),
                        termed,
                        dead_lettered,
                        failed,
                    ];
                    let observed = if pull { 4 } else { 5 };
                    for (value, attributes) in values.into_iter().zip(&outcomes).take(observed) {
                        observer.observe(value, attributes);
                    }
                })
                .build();
            let (counted, attributes) = (monitor.clone(), base.clone());
            let in_flight = self
                .meter
                .i64_observable_up_down_counter("polyn.handlers.in_flight")
                .with_unit("{message}")
                .with_description("Messages being handled")
                .with_callback(move |observer| {
                    let in_flight = counted.counters().in_flight.load(Ordering::Relaxed);
                    observer.observe(i64::try_from(in_flight).unwrap_or(i64::MAX), &attributes);
                })
                .build();
            let (counted, attributes) = (monitor.clone(), base.clone());
            let pulls = pull.then(|| {
                self.meter
                    .i64_observable_up_down_counter("polyn.consumer.pulls.outstanding")
                    .with_unit("{request}")
                    .with_description("Pull requests a consumer has open")
                    .with_callback(move |observer| {
                        let pulls = counted.counters().pulls.load(Ordering::Relaxed);
                        observer.observe(i64::try_from(pulls).unwrap_or(i64::MAX), &attributes);
                    })
                    .build()
            });
            let (counted, attributes) = (monitor.clone(), base.clone());
            let requested = pull.then(|| {
                self.meter
                    .i64_observable_up_down_counter("polyn.consumer.messages.requested")
                    .with_unit("{message}")
                    .with_description("Messages a consumer's open pulls asked for, not yet arrived")
                    .with_callback(move |observer| {
                        let requested = counted.counters().requested.load(Ordering::Relaxed);
                        observer.observe(i64::try_from(requested).unwrap_or(i64::MAX), &attributes);
                    })
                    .build()
            });
            Consumed {
                metrics: self.clone(),
                base,
                _observed: (
                    consumed,
                    [Some(in_flight), pulls, requested]
                        .into_iter()
                        .flatten()
                        .collect(),
                ),
            }
        }
        #[cfg(not(feature = "otel"))]
        {
            let _ = (destination, group, monitor);
            Consumed
        }
    }
}

#[cfg(feature = "otel")]
pub(crate) struct Consumed {
    metrics: Metrics,
    base: Vec<KeyValue>,
    /// The consumer's observed instruments, read from its counters.
    _observed: (
        opentelemetry::metrics::ObservableCounter<u64>,
        Vec<opentelemetry::metrics::ObservableUpDownCounter<i64>>,
    ),
}

/// One consumer's instruments (none without the `otel` feature).
#[cfg(not(feature = "otel"))]
pub(crate) struct Consumed;

impl Consumed {
    /// Records how long a handler ran on one message.
    #[inline]
    pub(crate) fn processed(&self, started: Started) {
        #[cfg(feature = "otel")]
        self.metrics
            .process_duration
            .record(started.elapsed().as_secs_f64(), &self.base);
        #[cfg(not(feature = "otel"))]
        let _ = started;
    }
}

/// Counts reconnections of one connection: every `Connected` event but the
/// first, which is the initial connect.
#[cfg(feature = "otel")]
pub(crate) struct Reconnects {
    counter: Counter<u64>,
    connects: std::sync::atomic::AtomicU64,
}

/// Counts reconnections (nothing without the `otel` feature).
#[cfg(not(feature = "otel"))]
pub(crate) struct Reconnects;

impl Reconnects {
    pub(crate) fn new() -> Self {
        #[cfg(feature = "otel")]
        return Reconnects {
            counter: meter()
                .u64_counter("polyn.client.reconnects")
                .with_unit("{reconnect}")
                .with_description("Reconnections to NATS after the first connect")
                .build(),
            connects: std::sync::atomic::AtomicU64::new(0),
        };
        #[cfg(not(feature = "otel"))]
        Reconnects
    }

    /// The connection is up.
    #[inline]
    pub(crate) fn connected(&self) {
        #[cfg(feature = "otel")]
        if self
            .connects
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            > 0
        {
            self.counter.add(1, &[system()]);
        }
    }
}

/// Counts updates of the schema store applied after it was loaded, and
/// observes how many of the generated types this process uses have
/// drifted from it.
#[cfg(feature = "otel")]
pub(crate) struct SchemaReloads {
    reloads: Counter<u64>,
    _drifted: opentelemetry::metrics::ObservableGauge<u64>,
}

/// Counts schema store updates (nothing without the `otel` feature).
#[cfg(not(feature = "otel"))]
pub(crate) struct SchemaReloads;

impl SchemaReloads {
    /// The instruments of the store whose schemas are `current` (held
    /// weakly: once the store is gone, nothing is observed).
    pub(crate) fn new(current: std::sync::Weak<arc_swap::ArcSwap<crate::schema::Schemas>>) -> Self {
        #[cfg(feature = "otel")]
        {
            let meter = meter();
            let reloads = meter
                .u64_counter("polyn.schema_store.reloads")
                .with_unit("{update}")
                .with_description("Schema store updates applied after the first load")
                .build();
            let drifted = meter
                .u64_observable_gauge("polyn.schema_store.drifted")
                .with_unit("{type}")
                .with_description(
                    "Generated types in use whose schema differs from the schema store's",
                )
                .with_callback(move |observer| {
                    if let Some(current) = current.upgrade() {
                        let schemas = current.load();
                        let drifted = crate::drift::all_compiled()
                            .into_iter()
                            .filter(|(name, digest)| {
                                crate::schema_store::drift_in(&schemas, name, digest).is_some()
                            })
                            .count();
                        observer.observe(u64::try_from(drifted).unwrap_or(u64::MAX), &[system()]);
                    }
                })
                .build();
            SchemaReloads {
                reloads,
                _drifted: drifted,
            }
        }
        #[cfg(not(feature = "otel"))]
        {
            let _ = current;
            SchemaReloads
        }
    }

    /// An update was applied.
    #[inline]
    pub(crate) fn reloaded(&self) {
        #[cfg(feature = "otel")]
        self.reloads.add(1, &[system()]);
    }
}
