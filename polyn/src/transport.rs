//! The narrow seam between the Polyn runtime and the messaging system.
//!
//! Everything the runtime needs from NATS goes through [`Transport`]: a
//! JetStream publish whose acknowledgement arrives later, a core publish, a
//! request, a core subscription and a bound pull consumer. The NATS
//! implementation lives in [`nats`]; an in-memory one can stand in for it
//! without changing the public API.

pub(crate) mod nats;
mod pull_ledger;

pub(crate) use pull_ledger::PullLedger;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::error::Error;
use crate::publish::PublishAck;

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A message as received.
#[derive(Clone, Debug)]
pub(crate) struct Incoming {
    pub(crate) subject: String,
    pub(crate) reply: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) payload: Bytes,
}

/// A message to send.
#[derive(Clone, Debug)]
pub(crate) struct Outgoing {
    pub(crate) subject: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) payload: Bytes,
}

/// What to tell the server about a delivered JetStream message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AckKind {
    Ack,
    Nak(Option<Duration>),
    Term,
    Progress,
}

/// Acknowledges one delivered JetStream message.
pub(crate) trait Acker: Send + Sync {
    fn ack(&self, kind: AckKind) -> BoxFuture<'_, Result<(), Error>>;
}

/// One message delivered by a pull consumer.
pub(crate) struct Delivery {
    pub(crate) message: Incoming,
    /// How many times the server has delivered it (1 on first delivery).
    pub(crate) delivered: u64,
    pub(crate) stream_sequence: u64,
    pub(crate) acker: Arc<dyn Acker>,
}

/// A bound pull consumer.
pub(crate) trait PullConsumer: Send + Sync {
    /// Opens a session through which pulls are asked for and their
    /// messages arrive.
    fn open(&self) -> BoxFuture<'_, Result<Box<dyn PullSession>, Error>>;
    /// How long the server waits for an acknowledgement before redelivering.
    fn ack_wait(&self) -> Duration;
    /// How many times the server delivers a message at most (`None`: no limit).
    fn max_deliver(&self) -> Option<u64>;
    /// The subjects the consumer delivers: its filter subjects, or its
    /// stream's subjects when it has none.
    fn filter_subjects(&self) -> &[String];
    /// Whether the consumer and its stream still exist.
    fn presence(&self) -> BoxFuture<'_, Result<Presence, Error>>;
}

/// Whether a bound consumer is still there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Presence {
    Present,
    ConsumerMissing,
    StreamMissing,
}

/// What a [`PullSession`] yields.
pub(crate) enum PullEvent {
    /// A message that was asked for.
    Message(Delivery),
    /// This many of the messages asked for will not come (their pull
    /// expired or was ended), with the reason when that is a problem.
    Released {
        count: usize,
        problem: Option<String>,
    },
}

/// One consumer's stream of pulls: a pull asks for messages, and they
/// arrive, from whichever pull, through [`PullSession::next`].
pub(crate) trait PullSession: Send {
    /// Asks for at most `max` more messages of about `max_bytes` in all
    /// (a single larger message still comes), waiting up to a short expiry
    /// for them; those that do not come are [`PullEvent::Released`].
    fn pull(&mut self, max: usize, max_bytes: usize) -> BoxFuture<'_, Result<(), Error>>;
    /// Pulls that may still deliver.
    fn open_pulls(&self) -> usize;
    /// The next message or release; `None` once the session is closed for
    /// good. Cancel-safe.
    fn next(&mut self) -> BoxFuture<'_, Option<PullEvent>>;
    /// Ends the open pulls now, without waiting for them to expire, and
    /// returns the messages that had already arrived (for the caller to
    /// give back).
    fn close(&mut self) -> BoxFuture<'_, Vec<Delivery>>;
}

/// A core-NATS subscription.
pub(crate) trait Subscription: Send {
    fn next(&mut self) -> BoxFuture<'_, Option<Incoming>>;
}

/// Waits for a JetStream publish acknowledgement.
pub(crate) type PendingAck = BoxFuture<'static, Result<PublishAck, Error>>;

/// The messaging system under the runtime.
pub(crate) trait Transport: Send + Sync + 'static {
    /// Sends a JetStream publish; the returned future yields the ack.
    fn publish(&self, message: Outgoing) -> BoxFuture<'_, Result<PendingAck, Error>>;
    /// Sends a core-NATS publish.
    fn publish_core(&self, message: Outgoing) -> BoxFuture<'_, Result<(), Error>>;
    /// Sends a request and waits for one reply.
    fn request(
        &self,
        message: Outgoing,
        timeout: Duration,
    ) -> BoxFuture<'_, Result<Incoming, Error>>;
    /// Subscribes on core NATS, optionally in a queue group.
    fn subscribe(
        &self,
        subject: String,
        queue_group: Option<String>,
    ) -> BoxFuture<'_, Result<Box<dyn Subscription>, Error>>;
    /// Finds the one stream capturing `subject`.
    fn stream_for_subject(&self, subject: String) -> BoxFuture<'_, Result<String, Error>>;
    /// Binds to an existing durable pull consumer.
    fn bind(
        &self,
        stream: String,
        consumer: String,
    ) -> BoxFuture<'_, Result<Box<dyn PullConsumer>, Error>>;
    /// Waits until everything sent has reached the server.
    fn flush(&self) -> BoxFuture<'_, Result<(), Error>>;
    /// Waits until the server has processed everything sent before, a
    /// subscription included (a round trip; a flush only writes).
    fn round_trip(&self) -> BoxFuture<'_, Result<(), Error>> {
        self.flush()
    }
    /// The URL of the connected server, for tracing.
    fn server_url(&self) -> Arc<str>;
    /// The JetStream context of a real server, for what only a server
    /// offers (a [`Reader`](crate::reader::Reader)'s ordered consumer); `None` when
    /// there is no server (the sandbox).
    fn jetstream_context(&self) -> Option<&async_nats::jetstream::Context> {
        None
    }
}
