//! [`Context`]: what a handler learns about its delivery, and the
//! in-progress signal.

use std::sync::Arc;

use crate::error::Error;
use crate::transport::{AckKind, Acker, Incoming};

/// Metadata of one delivery, and the in-progress signal, for a handler.
///
/// Polyn builds one for every message; a unit test builds its own, to call
/// a handler function directly:
///
/// ```
/// let ctx = polyn::Context::new("widgets.created.v1")
///     .with_header("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
///     .with_delivered(2);
/// assert_eq!(ctx.subject(), "widgets.created.v1");
/// assert_eq!(ctx.delivered(), 2);
/// assert!(ctx.header("TraceParent").is_some());
/// ```
#[derive(Clone)]
pub struct Context {
    pub(crate) subject: String,
    pub(crate) headers: Arc<[(String, String)]>,
    pub(crate) delivered: u64,
    pub(crate) stream_sequence: u64,
    pub(crate) reply_to: Option<String>,
    pub(crate) acker: Option<Arc<dyn Acker>>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("subject", &self.subject)
            .field("delivered", &self.delivered)
            .field("stream_sequence", &self.stream_sequence)
            .field("reply_to", &self.reply_to)
            .finish_non_exhaustive()
    }
}

impl Context {
    /// A context for a message on `subject`, delivered once, with no
    /// headers and nothing to acknowledge (in-progress signals do
    /// nothing): for unit tests.
    pub fn new(subject: impl Into<String>) -> Self {
        Context {
            subject: subject.into(),
            headers: Arc::new([]),
            delivered: 1,
            stream_sequence: 0,
            reply_to: None,
            acker: None,
        }
    }

    /// Adds a header.
    #[must_use]
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let mut headers = self.headers.to_vec();
        headers.push((name.into(), value.into()));
        self.headers = headers.into();
        self
    }

    /// Sets the delivery count.
    #[must_use]
    pub fn with_delivered(mut self, delivered: u64) -> Self {
        self.delivered = delivered;
        self
    }

    /// Sets the stream sequence number.
    #[must_use]
    pub fn with_stream_sequence(mut self, stream_sequence: u64) -> Self {
        self.stream_sequence = stream_sequence;
        self
    }

    /// A context for a core-NATS message: nothing to acknowledge.
    pub(crate) fn core(message: &Incoming) -> Self {
        Context {
            subject: message.subject.clone(),
            headers: message.headers.clone().into(),
            delivered: 1,
            stream_sequence: 0,
            reply_to: message.reply.clone(),
            acker: None,
        }
    }

    /// The subject the message was published on.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The first value of a header (names compare case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::received::header(&self.headers, name)
    }

    /// Every header, in order.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// How many times the server has delivered this message (1 the first time).
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// The message's sequence number in its stream (0 on core NATS).
    pub fn stream_sequence(&self) -> u64 {
        self.stream_sequence
    }

    /// The subject a request's reply goes to (request handlers).
    pub fn reply_to(&self) -> Option<&str> {
        self.reply_to.as_deref()
    }

    /// Tells the server the message is still being worked on, resetting its
    /// redelivery timer. Polyn already does this on its own for handlers
    /// that run longer than half the consumer's `ack_wait` (see
    /// [`HandlerOptions::keep_alive`](crate::HandlerOptions::keep_alive)).
    /// Does nothing on core NATS.
    pub async fn in_progress(&self) -> Result<(), Error> {
        match &self.acker {
            Some(acker) => acker.ack(AckKind::Progress).await,
            None => Ok(()),
        }
    }
}
