//! [`Context`]: what a handler learns about its delivery, and the
//! in-progress signal.

use std::sync::Arc;

use crate::Error;
use crate::transport::{AckKind, Acker};

/// Metadata of one delivery, and the in-progress signal, for a handler.
#[derive(Clone)]
pub struct Context {
    pub(super) subject: String,
    pub(super) headers: Arc<[(String, String)]>,
    pub(super) delivered: u64,
    pub(super) stream_sequence: u64,
    pub(super) acker: Arc<dyn Acker>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("subject", &self.subject)
            .field("delivered", &self.delivered)
            .field("stream_sequence", &self.stream_sequence)
            .finish_non_exhaustive()
    }
}

/// A context for a core-NATS message: nothing to acknowledge.
pub(crate) fn noop_context<T>(received: &crate::Received<T>) -> Context {
    Context {
        subject: received.subject.clone(),
        headers: received.headers.clone().into(),
        delivered: 1,
        stream_sequence: 0,
        acker: Arc::new(NoAck),
    }
}

struct NoAck;

impl Acker for NoAck {
    fn ack(&self, _kind: AckKind) -> crate::transport::BoxFuture<'_, Result<(), Error>> {
        Box::pin(async { Ok(()) })
    }
}

impl Context {
    /// The subject the message was published on.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The first value of a header (names compare case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::received::header(&self.headers, name)
    }

    /// How many times the server has delivered this message (1 the first time).
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// The message's sequence number in its stream (0 on core NATS).
    pub fn stream_sequence(&self) -> u64 {
        self.stream_sequence
    }

    /// Tells the server the message is still being worked on, resetting its
    /// redelivery timer. Polyn already does this on its own for handlers
    /// that run longer than half the consumer's `ack_wait`.
    pub async fn in_progress(&self) -> Result<(), Error> {
        self.acker.ack(AckKind::Progress).await
    }
}
