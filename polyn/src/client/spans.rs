//! The spans a client's messages are sent, received and processed in.

use super::Client;
use crate::telemetry;
use crate::transport::Incoming;

/// The destination of a reply in span names and attributes: an inbox, named
/// as the Polyn observability conventions name it.
pub(crate) const TEMPORARY: &str = "(temporary)";

impl Client {
    /// The `<destination> send` producer span of the Polyn observability
    /// conventions (`destination` is a message name without its domain, or
    /// [`TEMPORARY`] for a reply); [`Client::prepare_traced`] records the
    /// event id and size.
    pub(crate) fn send_span(&self, destination: &str) -> tracing::Span {
        tracing::info_span!(
            "send",
            otel.name = %format_args!("{destination} send"),
            otel.kind = "producer",
            messaging.system = "NATS",
            messaging.protocol = "Polyn",
            messaging.destination = %destination,
            messaging.destination.name = %destination,
            messaging.operation.type = "send",
            messaging.url = &*self.inner.transport.server_url(),
            messaging.message_id = tracing::field::Empty,
            messaging.message.id = tracing::field::Empty,
            messaging.message_payload_size_bytes = tracing::field::Empty,
            messaging.message.body.size = tracing::field::Empty,
        )
    }

    /// The `<destination> receive` consumer span of the Polyn observability
    /// conventions for `message`, the child of the trace context in its
    /// headers. `operation` is the `messaging.operation.type`: `"process"`
    /// where a handler processes it, `"receive"` for a request's reply. The
    /// event id is recorded once decoded ([`record_message_id`]); a pull
    /// consumer's message has its `pulled` consumer, stream sequence and
    /// delivery count as `messaging.consumer.group.name` and
    /// `messaging.nats.*` (so every log line of its handling names them).
    pub(crate) fn receive_span(
        &self,
        destination: &str,
        operation: &'static str,
        message: &Incoming,
        pulled: Option<(&str, u64, u64)>,
    ) -> tracing::Span {
        let span = tracing::info_span!(
            "receive",
            otel.name = %format_args!("{destination} receive"),
            otel.kind = "consumer",
            messaging.system = "NATS",
            messaging.protocol = "Polyn",
            messaging.destination = %destination,
            messaging.destination.name = %destination,
            messaging.operation.type = operation,
            messaging.url = &*self.inner.transport.server_url(),
            messaging.message_id = tracing::field::Empty,
            messaging.message.id = tracing::field::Empty,
            messaging.message_payload_size_bytes = span_int(message.payload.len()),
            messaging.message.body.size = span_int(message.payload.len()),
            messaging.consumer.group.name = pulled.map(|(consumer, ..)| consumer),
            messaging.nats.stream_sequence = pulled.map(|(_, sequence, _)| span_int(sequence)),
            messaging.nats.delivered = pulled.map(|(.., delivered)| span_int(delivered)),
        );
        telemetry::set_parent(&span, &message.headers);
        span
    }

    /// The `<destination> process` consumer span of a batch of `count`
    /// messages, which each message's receive span links to.
    pub(crate) fn process_span(&self, destination: &str, count: usize) -> tracing::Span {
        tracing::info_span!(
            "process",
            otel.name = %format_args!("{destination} process"),
            otel.kind = "consumer",
            messaging.system = "NATS",
            messaging.protocol = "Polyn",
            messaging.destination = %destination,
            messaging.destination.name = %destination,
            messaging.operation.type = "process",
            messaging.url = &*self.inner.transport.server_url(),
            messaging.batch.message_count = span_int(count),
        )
    }
}

/// Records the event id of a span's message.
pub(crate) fn record_message_id(span: &tracing::Span, id: &str) {
    span.record("messaging.message_id", id);
    span.record("messaging.message.id", id);
}

/// A count as a span attribute: OpenTelemetry integers are `i64`, and
/// `tracing-opentelemetry` records a `u64` as text.
pub(crate) fn span_int(count: impl TryInto<i64>) -> i64 {
    count.try_into().unwrap_or(i64::MAX)
}
