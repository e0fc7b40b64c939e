//! Options and results of publishing.

pub use crate::client::request::DEFAULT_REQUEST_TIMEOUT;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::error::Error;
use crate::transport::PendingAck;

/// Options for one publish or request.
///
/// ```
/// let options = polyn::PublishOptions::new()
///     .source("orders")
///     .header("x-tenant", "acme")
///     .id("order-42-created");
/// assert_eq!(options.id_override(), Some("order-42-created"));
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct PublishOptions {
    pub(crate) source: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) id: Option<String>,
}

impl PublishOptions {
    /// No options: the source root as source, a fresh UUID as id.
    pub fn new() -> Self {
        Self::default()
    }

    /// A source appended to the source root (`orders` →
    /// `com:acme:user:backend:orders`).
    pub fn source(mut self, source: impl Into<String>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// An extra NATS header. `Nats-Msg-Id` is always the event id; set it
    /// with [`PublishOptions::id`].
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// An explicit event id, which is also the `Nats-Msg-Id` the server
    /// deduplicates on: publishing twice with one id stores the event once.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// The explicit id, if one was set.
    pub fn id_override(&self) -> Option<&str> {
        self.id.as_deref()
    }
}

/// The server's acknowledgement of a JetStream publish.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PublishAck {
    /// The stream that stored the event.
    pub stream: String,
    /// Its sequence number in the stream.
    pub sequence: u64,
    /// True when the server had already stored an event with this id.
    pub duplicate: bool,
}

/// A publish that has been sent and whose acknowledgement has not arrived
/// yet. Await it to get the [`PublishAck`]; keep many in flight for
/// throughput.
///
/// Dropping it does not cancel the publish, but then nobody learns whether
/// the server stored the event.
#[must_use = "await the publish to learn whether the server stored the event"]
pub struct PendingPublish {
    id: String,
    ack: PendingAck,
}

impl PendingPublish {
    pub(crate) fn new(id: String, ack: PendingAck) -> Self {
        PendingPublish { id, ack }
    }

    /// The id of the event that was sent.
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl Future for PendingPublish {
    type Output = Result<PublishAck, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.ack.as_mut().poll(cx)
    }
}

impl std::fmt::Debug for PendingPublish {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingPublish")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}
