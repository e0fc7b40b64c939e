//! Trace context on NATS headers: what carries a trace from one service to
//! the next, as the W3C `traceparent` header (with `tracestate` and
//! `baggage` where the propagator emits them) that the Elixir and Ruby
//! clients send and read too.
//!
//! With the `otel` feature, [`inject`] writes the current span's
//! OpenTelemetry context into an outgoing message's headers with the
//! globally installed text-map propagator, [`set_parent`] makes a receive
//! span the child of the context a received message carries, and
//! [`record_error`] records a failure on a span as an OpenTelemetry
//! exception event and error status; [`LinkTo`] links a batch's messages
//! to its process span. Without the feature they do nothing.

#[cfg(feature = "otel")]
use opentelemetry::propagation::{Extractor, Injector};
#[cfg(feature = "otel")]
use opentelemetry::trace::TraceContextExt;
#[cfg(feature = "otel")]
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::error::Error;

/// Writes the current span's trace context into `headers`, replacing a
/// header of the same name (compared case-insensitively). Writes nothing
/// when there is no OpenTelemetry span or no propagator is installed
/// (`opentelemetry::global::set_text_map_propagator`).
pub(crate) fn inject(headers: &mut Vec<(String, String)>) {
    #[cfg(feature = "otel")]
    {
        let context = tracing::Span::current().context();
        opentelemetry::global::get_text_map_propagator(|propagator| {
            propagator.inject_context(&context, &mut Headers(headers));
        });
    }
    #[cfg(not(feature = "otel"))]
    let _ = headers;
}

/// Makes `span` the child of the trace context in `headers` (names compared
/// case-insensitively), before it starts. A message without one, or with a
/// malformed one, leaves the span's parent as it was.
pub(crate) fn set_parent(span: &tracing::Span, headers: &[(String, String)]) {
    #[cfg(feature = "otel")]
    {
        if headers.is_empty() || span.is_disabled() {
            return;
        }
        let context = opentelemetry::global::get_text_map_propagator(|propagator| {
            propagator.extract(&ReceivedHeaders(headers))
        });
        if context.span().span_context().is_valid() {
            // Fails only when no OpenTelemetry layer sees the span.
            let _ = span.set_parent(context);
        }
    }
    #[cfg(not(feature = "otel"))]
    let _ = (span, headers);
}

/// Records `error` (with its whole chain) on `span`: an `exception` event
/// with `exception.type` (the `polyn::Error` variant) and
/// `exception.message`, and an error status with the same message.
pub(crate) fn record_error(span: &tracing::Span, error: &Error) {
    #[cfg(feature = "otel")]
    {
        if span.is_disabled() {
            return;
        }
        let message = crate::guard::error_chain(error);
        span.add_event(
            "exception",
            vec![
                opentelemetry::KeyValue::new("exception.type", error_type(error)),
                opentelemetry::KeyValue::new("exception.message", message.clone()),
            ],
        );
        span.set_status(opentelemetry::trace::Status::error(message));
    }
    #[cfg(not(feature = "otel"))]
    let _ = (span, error);
}

/// A span others link to: a batch's process span, which each of its
/// messages' receive spans links to. Nothing without the `otel` feature.
pub(crate) struct LinkTo {
    #[cfg(feature = "otel")]
    context: Option<opentelemetry::trace::SpanContext>,
}

impl LinkTo {
    /// A link to `span` (which starts it, when an OpenTelemetry layer sees
    /// it).
    pub(crate) fn span(span: &tracing::Span) -> Self {
        #[cfg(feature = "otel")]
        {
            let context = (!span.is_disabled())
                .then(|| span.context().span().span_context().clone())
                .filter(opentelemetry::trace::SpanContext::is_valid);
            LinkTo { context }
        }
        #[cfg(not(feature = "otel"))]
        {
            let _ = span;
            LinkTo {}
        }
    }

    /// Adds the link to `span`, before it starts.
    pub(crate) fn add_to(&self, span: &tracing::Span) {
        #[cfg(feature = "otel")]
        if let Some(context) = &self.context {
            span.add_link(context.clone());
        }
        #[cfg(not(feature = "otel"))]
        let _ = span;
    }
}

/// `result`, its error recorded on `span` first.
pub(crate) fn recorded<T>(span: &tracing::Span, result: Result<T, Error>) -> Result<T, Error> {
    if let Err(error) = &result {
        record_error(span, error);
    }
    result
}

/// `polyn::Error::<Variant>`, the `error.type` of a failure.
#[cfg(feature = "otel")]
pub(crate) fn error_type(error: &Error) -> String {
    format!("polyn::Error::{}", error.variant())
}

/// Outgoing headers, for the propagator to write into.
#[cfg(feature = "otel")]
struct Headers<'a>(&'a mut Vec<(String, String)>);

#[cfg(feature = "otel")]
impl Injector for Headers<'_> {
    fn set(&mut self, key: &str, value: String) {
        match self.0.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(key)) {
            Some((_, existing)) => *existing = value,
            None => self.0.push((key.to_owned(), value)),
        }
    }
}

/// Received headers, for the propagator to read.
#[cfg(feature = "otel")]
struct ReceivedHeaders<'a>(&'a [(String, String)]);

#[cfg(feature = "otel")]
impl Extractor for ReceivedHeaders<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        crate::received::header(self.0, key)
    }

    fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|(k, _)| k.as_str()).collect()
    }
}

#[cfg(all(test, feature = "otel"))]
mod tests {
    use super::*;

    #[test]
    fn the_error_type_is_the_variant() {
        let error = Error::NoReplySubject { id: "1".into() };
        assert_eq!(error_type(&error), "polyn::Error::NoReplySubject");
        assert_eq!(error_type(&Error::Closed), "polyn::Error::Closed");
    }

    #[test]
    fn injected_headers_replace_their_namesakes_and_keep_the_rest() {
        let mut headers = vec![
            ("Nats-Msg-Id".to_owned(), "1".to_owned()),
            ("TraceParent".to_owned(), "old".to_owned()),
        ];
        Headers(&mut headers).set("traceparent", "new".to_owned());
        Headers(&mut headers).set("tracestate", "a=b".to_owned());
        assert_eq!(
            headers,
            [
                ("Nats-Msg-Id".to_owned(), "1".to_owned()),
                ("TraceParent".to_owned(), "new".to_owned()),
                ("tracestate".to_owned(), "a=b".to_owned()),
            ]
        );
        let received = ReceivedHeaders(&headers);
        assert_eq!(received.get("TRACEPARENT"), Some("new"));
        assert_eq!(received.keys().len(), 3);
    }
}
