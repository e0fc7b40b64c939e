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
use opentelemetry::metrics::{Counter, Histogram, Meter, UpDownCounter};

use crate::transport::AckKind;

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
    sent: Counter<u64>,
    operation_duration: Histogram<f64>,
    consumed: Counter<u64>,
    process_duration: Histogram<f64>,
    in_flight: UpDownCounter<i64>,
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
                consumed: meter
                    .u64_counter("messaging.client.consumed.messages")
                    .with_unit("{message}")
                    .with_description("Messages a consumer settled, by outcome")
                    .build(),
                process_duration: meter
                    .f64_histogram("messaging.process.duration")
                    .with_unit("s")
                    .with_description("Duration of a handler's run on one message")
                    .build(),
                in_flight: meter
                    .i64_up_down_counter("polyn.handlers.in_flight")
                    .with_unit("{message}")
                    .with_description("Messages being handled")
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
        result: &Result<T, crate::Error>,
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
    pub(crate) fn consumer(&self, destination: &str, group: Option<&str>) -> Consumed {
        #[cfg(feature = "otel")]
        {
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
            Consumed {
                metrics: self.clone(),
                outcomes: [
                    with("acked"),
                    with("naked"),
                    with("termed"),
                    with("dead_lettered"),
                ],
                base,
            }
        }
        #[cfg(not(feature = "otel"))]
        {
            let _ = (destination, group);
            Consumed
        }
    }
}

/// How a consumed message was settled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Settled {
    Acked,
    Naked,
    Termed,
    /// Published to the dead-letter stream, then terminated.
    DeadLettered,
}

impl Settled {
    /// What settling with `kind` does; `None` for an in-progress signal.
    pub(crate) fn of(kind: AckKind) -> Option<Settled> {
        match kind {
            AckKind::Ack => Some(Settled::Acked),
            AckKind::Nak(_) => Some(Settled::Naked),
            AckKind::Term => Some(Settled::Termed),
            AckKind::Progress => None,
        }
    }
}

/// One consumer's instruments and attributes.
#[cfg(feature = "otel")]
pub(crate) struct Consumed {
    metrics: Metrics,
    /// `base` plus each `polyn.outcome`, in [`Settled`] order.
    outcomes: [Vec<KeyValue>; 4],
    base: Vec<KeyValue>,
}

/// One consumer's instruments (none without the `otel` feature).
#[cfg(not(feature = "otel"))]
pub(crate) struct Consumed;

impl Consumed {
    /// Counts a message settled as `settled`.
    #[inline]
    pub(crate) fn settled(&self, settled: Settled) {
        #[cfg(feature = "otel")]
        self.metrics
            .consumed
            .add(1, &self.outcomes[settled as usize]);
        #[cfg(not(feature = "otel"))]
        let _ = settled;
    }

    /// Records a handler's run that `started`.
    #[inline]
    pub(crate) fn processed(&self, started: Started) {
        #[cfg(feature = "otel")]
        self.metrics
            .process_duration
            .record(started.elapsed().as_secs_f64(), &self.base);
        #[cfg(not(feature = "otel"))]
        let _ = started;
    }

    /// A message starts (`1`) or stops (`-1`) being handled.
    #[inline]
    pub(crate) fn in_flight(&self, delta: i64) {
        #[cfg(feature = "otel")]
        self.metrics.in_flight.add(delta, &self.base);
        #[cfg(not(feature = "otel"))]
        let _ = delta;
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

/// Counts updates of the schema store applied after it was loaded.
#[cfg(feature = "otel")]
pub(crate) struct SchemaReloads(Counter<u64>);

/// Counts schema store updates (nothing without the `otel` feature).
#[cfg(not(feature = "otel"))]
pub(crate) struct SchemaReloads;

impl SchemaReloads {
    pub(crate) fn new() -> Self {
        #[cfg(feature = "otel")]
        return SchemaReloads(
            meter()
                .u64_counter("polyn.schema_store.reloads")
                .with_unit("{update}")
                .with_description("Schema store updates applied after the first load")
                .build(),
        );
        #[cfg(not(feature = "otel"))]
        SchemaReloads
    }

    /// An update was applied.
    #[inline]
    pub(crate) fn reloaded(&self) {
        #[cfg(feature = "otel")]
        self.0.add(1, &[system()]);
    }
}
