//! [`Consumer<T>`]: a pull consumer bound to its conventional durable
//! consumer, with bounded concurrency, backoff, invalid-message handling and
//! graceful shutdown.

use std::future::Future;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::Instrument;

use crate::transport::{AckKind, Acker, Delivery, PullConsumer, PullEvent};
use crate::{Client, Error, Event, EventType, IntoOutcome, Outcome};

/// Default number of messages handled at once per consumer.
pub const DEFAULT_CONCURRENCY: usize = 32;

/// The most messages a consumer handles at once; larger settings are capped.
pub const MAX_CONCURRENCY: usize = 1 << 20;

/// Metadata of one delivery, and the in-progress signal, for a handler.
#[derive(Clone)]
pub struct Context {
    subject: String,
    headers: Arc<[(String, String)]>,
    delivered: u64,
    stream_sequence: u64,
    acker: Arc<dyn Acker>,
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

/// A message the consumer terminated because it was invalid (or naked
/// because it did not fit the Rust type), as given to the
/// [`ConsumerBuilder::on_invalid`] hook.
#[derive(Debug)]
#[non_exhaustive]
pub struct InvalidMessage {
    /// Why it was rejected.
    pub error: Error,
    /// The subject it arrived on.
    pub subject: String,
    /// Its stream sequence number.
    pub stream_sequence: u64,
    /// The raw body.
    pub payload: Bytes,
}

/// Counts of what a consumer did, returned when it stops.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConsumerStats {
    /// Messages acknowledged.
    pub acked: u64,
    /// Messages naked (handler error, panic, explicit nak, or shutdown).
    pub naked: u64,
    /// Messages terminated (invalid, or the handler said so).
    pub termed: u64,
    /// Handler panics caught.
    pub panics: u64,
}

#[derive(Default)]
struct Counters {
    acked: AtomicU64,
    naked: AtomicU64,
    termed: AtomicU64,
    panics: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> ConsumerStats {
        ConsumerStats {
            acked: self.acked.load(Ordering::Relaxed),
            naked: self.naked.load(Ordering::Relaxed),
            termed: self.termed.load(Ordering::Relaxed),
            panics: self.panics.load(Ordering::Relaxed),
        }
    }
}

type InvalidHook = Arc<dyn Fn(&InvalidMessage) + Send + Sync>;

/// Configures a [`Consumer`]; see [`Client::consumer`].
#[must_use]
pub struct ConsumerBuilder<T> {
    client: Client,
    name: String,
    typed: bool,
    source: Option<String>,
    stream: Option<String>,
    consumer: Option<String>,
    concurrency: usize,
    batch: Option<usize>,
    backoff: (Duration, Duration),
    on_invalid: Option<InvalidHook>,
    _type: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for ConsumerBuilder<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsumerBuilder")
            .field("name", &self.name)
            .field("source", &self.source)
            .field("stream", &self.stream)
            .field("consumer", &self.consumer)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

impl<T: DeserializeOwned + Send + 'static> ConsumerBuilder<T> {
    /// A source that refines the consumer name
    /// (`<source_root>_<source>_<message>`).
    pub fn source(mut self, source: impl Into<String>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// The stream to bind in (default: the one stream whose subjects capture
    /// the message).
    pub fn stream(mut self, stream: impl Into<String>) -> Self {
        self.stream = Some(stream.into());
        self
    }

    /// An explicit durable consumer name instead of the conventional one.
    pub fn consumer_name(mut self, consumer: impl Into<String>) -> Self {
        self.consumer = Some(consumer.into());
        self
    }

    /// At most this many messages are handled at once (default
    /// [`DEFAULT_CONCURRENCY`]). Memory stays bounded by this plus the batch
    /// size, whatever the backlog. Between 1 and [`MAX_CONCURRENCY`].
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.clamp(1, MAX_CONCURRENCY);
        self
    }

    /// How many messages one pull asks for (default: the concurrency).
    pub fn batch(mut self, batch: usize) -> Self {
        self.batch = Some(batch.max(1));
        self
    }

    /// Redelivery delay after a handler error or panic: `base` doubled per
    /// delivery, at most `max` (default 1 s to 60 s).
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.backoff = (base, max.max(base));
        self
    }

    /// Called for every message that is terminated because it is invalid
    /// (after it is logged). Never blocks the messages around it.
    pub fn on_invalid(mut self, hook: impl Fn(&InvalidMessage) + Send + Sync + 'static) -> Self {
        self.on_invalid = Some(Arc::new(hook));
        self
    }

    /// Finds the stream and binds to the existing durable consumer. Polyn
    /// never creates streams or consumers: a missing one is
    /// [`Error::StreamNotFound`] or [`Error::ConsumerNotFound`].
    pub async fn bind(self) -> Result<Consumer<T>, Error> {
        let config = self.client.config();
        let consumer = match self.consumer {
            Some(name) => name,
            None => config.consumer_name(&self.name, self.source.as_deref())?,
        };
        let stream = match self.stream {
            Some(stream) => stream,
            None => {
                let has_identity = self
                    .client
                    .schemas()
                    .snapshot()
                    .get(&self.name)
                    .is_some_and(|schema| schema.identity().is_some());
                let subject = if has_identity {
                    format!("{}.x", self.name)
                } else {
                    self.name.clone()
                };
                match self.client.transport().stream_for_subject(subject).await {
                    Err(Error::StreamNotFound { .. }) => {
                        return Err(Error::StreamNotFound {
                            subject: self.name.clone(),
                        });
                    }
                    other => other?,
                }
            }
        };
        let batch = self.batch.unwrap_or(self.concurrency);
        let pull = self
            .client
            .transport()
            .bind(stream.clone(), consumer.clone())
            .await?;
        Ok(Consumer {
            client: self.client,
            name: self.name,
            typed: self.typed,
            stream,
            consumer,
            concurrency: self.concurrency,
            batch,
            backoff: self.backoff,
            on_invalid: self.on_invalid,
            pull,
            _type: PhantomData,
        })
    }
}

/// A bound pull consumer. Run it with a handler until a shutdown signal.
///
/// ```no_run
/// # #[derive(serde::Serialize, serde::Deserialize)] struct WidgetsCreatedV1 { id: String }
/// # impl polyn::EventType for WidgetsCreatedV1 { const NAME: &'static str = "widgets.created.v1"; const SCHEMA: &'static str = "{}"; }
/// # async fn run(client: polyn::Client) -> Result<(), polyn::Error> {
/// let consumer = client.consumer::<WidgetsCreatedV1>().concurrency(16).bind().await?;
/// let stats = consumer
///     .run(
///         |event: polyn::Event<WidgetsCreatedV1>, _ctx| async move {
///             println!("widget {}", event.data().id);
///             Ok::<_, std::io::Error>(())
///         },
///         async { tokio::signal::ctrl_c().await.ok(); },
///     )
///     .await?;
/// println!("acked {}", stats.acked);
/// # Ok(()) }
/// ```
pub struct Consumer<T> {
    client: Client,
    name: String,
    typed: bool,
    stream: String,
    consumer: String,
    concurrency: usize,
    batch: usize,
    backoff: (Duration, Duration),
    on_invalid: Option<InvalidHook>,
    pull: Box<dyn PullConsumer>,
    _type: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Consumer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("name", &self.name)
            .field("stream", &self.stream)
            .field("consumer", &self.consumer)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

struct Shared<T, H> {
    client: Client,
    name: String,
    typed: bool,
    handler: H,
    backoff: (Duration, Duration),
    ack_wait: Duration,
    on_invalid: Option<InvalidHook>,
    counters: Counters,
    _type: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned + Send + 'static> Consumer<T> {
    /// The stream the consumer is bound in.
    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// The durable consumer name.
    pub fn consumer_name(&self) -> &str {
        &self.consumer
    }

    /// Handles messages until `shutdown` completes, then stops fetching,
    /// lets the handlers in flight finish and acknowledges them, naks what
    /// was fetched but not started (so it is redelivered at once), and
    /// returns what it did.
    ///
    /// Each message is validated; an invalid one is terminated, logged and
    /// given to the `on_invalid` hook. A valid one goes to `handler`, whose
    /// return value decides (see [`IntoOutcome`]). A handler error or panic
    /// naks with backoff; the consumer keeps running.
    ///
    /// A handler that finishes without waiting runs on the consumer's own
    /// task; one that awaits continues as a task of its own, so up to the
    /// concurrency run at once. Move heavy CPU work to
    /// `tokio::task::spawn_blocking`, as in any async code.
    pub async fn run<H, F, R>(
        self,
        handler: H,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<ConsumerStats, Error>
    where
        H: Fn(Event<T>, Context) -> F + Send + Sync + 'static,
        F: Future<Output = R> + Send + 'static,
        R: IntoOutcome + Send + 'static,
    {
        let shared = Arc::new(Shared {
            client: self.client.clone(),
            name: self.name.clone(),
            typed: self.typed,
            handler,
            backoff: self.backoff,
            ack_wait: self.pull.ack_wait(),
            on_invalid: self.on_invalid.clone(),
            counters: Counters::default(),
            _type: PhantomData,
        });
        // One permit per message in flight: a pull asks only for as many
        // messages as there are free permits, so nothing waits in a buffer.
        // Each handler holds its permit until it has acked (on this task if
        // it finishes at its first poll, else as a task of its own), so
        // once every permit is back, every handler has finished.
        let slots = Arc::new(Semaphore::new(self.concurrency));
        // Permits of messages asked for and not yet arrived.
        let mut reserved: Option<OwnedSemaphorePermit> = None;
        let mut session = self.pull.open().await?;
        // A second pull starts as soon as half a batch of slots is free
        // (before the messages already here are handled), so the server
        // fills it while this side works through the first: the two sides
        // overlap instead of taking turns.
        let low_water = (self.batch / 2).max(1);
        let mut shutdown = std::pin::pin!(shutdown);
        let mut stopping = false;
        let mut failures: u32 = 0;
        loop {
            let open = session.open_pulls();
            if stopping && open == 0 {
                break;
            }
            let fetch_more = !stopping && open < MAX_OPEN_PULLS;
            let min = if open == 0 { 1 } else { low_water };
            // Slots free for a pull right now: ask before taking the next
            // message, so the server is never left without a pull it could
            // fill. Otherwise wait for a message, a release, enough free
            // slots or shutdown.
            let ready = if fetch_more {
                try_take_slots(&slots, min, self.batch)
            } else {
                None
            };
            let permit = match ready {
                Some(permit) => permit,
                None => tokio::select! {
                    biased;
                    () = &mut shutdown, if !stopping => {
                        stopping = true;
                        continue;
                    }
                    event = session.next(), if open > 0 => {
                        match event {
                            Some(PullEvent::Message(delivery)) if stopping => {
                                drop(take_one(&mut reserved));
                                // Fetched but not started: give it back at once.
                                if delivery.acker.ack(AckKind::Nak(None)).await.is_ok() {
                                    shared.counters.naked.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                            Some(PullEvent::Message(delivery)) => {
                                failures = 0;
                                let permit = match take_one(&mut reserved) {
                                    Some(permit) => permit,
                                    // More came than the count says (a pull
                                    // taken as lost delivered after all): wait
                                    // for a slot, so the bound holds whatever
                                    // happens.
                                    None => match slots.clone().acquire_owned().await {
                                        Ok(permit) => permit,
                                        Err(_) => break,
                                    },
                                };
                                spawn_handler(&shared, delivery, permit);
                            }
                            Some(PullEvent::Released { count, problem }) => {
                                if let Some(reserved) = reserved.as_mut() {
                                    drop(reserved.split(count.min(reserved.num_permits())));
                                }
                                if let Some(problem) = problem {
                                    failures = failures.saturating_add(1);
                                    tracing::warn!(consumer = %self.consumer, problem, "pull interrupted");
                                    pause(&mut shutdown, &mut stopping, failures).await;
                                }
                            }
                            None => break,
                        }
                        continue;
                    }
                    permit = take_slots(&slots, min, self.batch), if fetch_more => match permit {
                        Some(permit) => permit,
                        None => break,
                    },
                },
            };
            match session.pull(permit.num_permits()).await {
                Ok(()) => match reserved.as_mut() {
                    Some(reserved) => reserved.merge(permit),
                    None => reserved = Some(permit),
                },
                Err(err) => {
                    drop(permit);
                    failures = failures.saturating_add(1);
                    tracing::warn!(consumer = %self.consumer, error = %err, "pull failed; retrying");
                    pause(&mut shutdown, &mut stopping, failures).await;
                }
            }
        }
        drop(reserved);
        // Let the handlers in flight finish and acknowledge.
        let all = u32::try_from(self.concurrency).unwrap_or(u32::MAX);
        let _all_back = slots.acquire_many(all).await;
        // Every ack and nak has reached the server when `run` returns.
        if let Err(err) = self.client.flush().await {
            tracing::warn!(consumer = %self.consumer, error = %err, "could not flush the last acknowledgements");
        }
        Ok(shared.counters.snapshot())
    }
}

/// Takes at least `min` and up to `max` free slots as one permit, if `min`
/// are free now.
fn try_take_slots(slots: &Arc<Semaphore>, min: usize, max: usize) -> Option<OwnedSemaphorePermit> {
    let free = slots.available_permits();
    if free < min.min(max) {
        return None;
    }
    let take = u32::try_from(free.min(max)).ok()?;
    slots.clone().try_acquire_many_owned(take).ok()
}

/// Waits for `min` free slots, then takes as many more as are free, up to
/// `max`, as one permit. `None` only if the semaphore was closed.
async fn take_slots(
    slots: &Arc<Semaphore>,
    min: usize,
    max: usize,
) -> Option<OwnedSemaphorePermit> {
    let min = u32::try_from(min.min(max)).unwrap_or(u32::MAX);
    let mut permit = slots.clone().acquire_many_owned(min).await.ok()?;
    let more = slots
        .available_permits()
        .min(max.saturating_sub(permit.num_permits()));
    if let Ok(extra) = u32::try_from(more)
        && extra > 0
        && let Ok(extra) = slots.clone().try_acquire_many_owned(extra)
    {
        permit.merge(extra);
    }
    Some(permit)
}

/// At most this many pulls are in progress at once per consumer.
const MAX_OPEN_PULLS: usize = 2;

/// One permit of the reserved ones, if any are left.
fn take_one(reserved: &mut Option<OwnedSemaphorePermit>) -> Option<OwnedSemaphorePermit> {
    let permit = reserved.as_mut()?;
    if permit.num_permits() > 1 {
        permit.split(1)
    } else {
        reserved.take()
    }
}

/// Waits a little longer after each failure in a row (at most 2 s), or
/// until shutdown.
async fn pause(
    shutdown: &mut std::pin::Pin<&mut (impl Future<Output = ()> + Send)>,
    stopping: &mut bool,
    failures: u32,
) {
    let pause = Duration::from_millis(50 * u64::from(failures.min(40)));
    if *stopping {
        return;
    }
    tokio::select! {
        () = shutdown.as_mut() => *stopping = true,
        () = tokio::time::sleep(pause) => {}
    }
}

/// Handles one message, holding its slot: on the consumer's task when the
/// handler finishes at its first poll (no task to schedule), otherwise the
/// rest runs as a task of its own, so slow handlers overlap.
fn spawn_handler<T, H, F, R>(
    shared: &Arc<Shared<T, H>>,
    delivery: Delivery,
    permit: OwnedSemaphorePermit,
) where
    T: DeserializeOwned + Send + 'static,
    H: Fn(Event<T>, Context) -> F + Send + Sync + 'static,
    F: Future<Output = R> + Send + 'static,
    R: IntoOutcome + Send + 'static,
{
    let shared = shared.clone();
    let span = tracing::info_span!(
        "receive",
        otel.name = %format_args!("{} receive", shared.name),
        otel.kind = "consumer",
        messaging.system = "NATS",
        messaging.protocol = "Polyn",
        messaging.destination = %shared.name,
        messaging.message_payload_size_bytes = delivery.message.payload.len(),
        messaging.nats.stream_sequence = delivery.stream_sequence,
        messaging.nats.delivered = delivery.delivered,
    );
    let mut task = Box::pin(
        async move {
            process(shared, delivery).await;
            drop(permit);
        }
        .instrument(span),
    );
    if (&mut task).now_or_never().is_none() {
        tokio::spawn(task);
    }
}

fn backoff_for(delivered: u64, (base, max): (Duration, Duration)) -> Duration {
    let exponent = u32::try_from(delivered.saturating_sub(1).min(20)).unwrap_or(20);
    base.saturating_mul(2u32.saturating_pow(exponent)).min(max)
}

async fn process<T, H, F, R>(shared: Arc<Shared<T, H>>, delivery: Delivery)
where
    T: DeserializeOwned + Send + 'static,
    H: Fn(Event<T>, Context) -> F + Send + Sync + 'static,
    F: Future<Output = R> + Send + 'static,
    R: IntoOutcome + Send + 'static,
{
    let Delivery {
        message,
        delivered,
        stream_sequence,
        acker,
    } = delivery;
    let expected = shared.typed.then_some(shared.name.as_str());
    let event = match shared.client.decode_typed::<T>(&message.payload, expected) {
        Ok(event) => event,
        Err(error) => {
            // Valid on the wire but not for this Rust type: keep it for a fixed build.
            let kind = if matches!(error, Error::DataType { .. }) {
                AckKind::Nak(Some(shared.backoff.1))
            } else {
                AckKind::Term
            };
            tracing::error!(name = %shared.name, subject = %message.subject, stream_sequence,
                error = %error, action = ?kind, "rejected an invalid message");
            let acked = acker.ack(kind).await;
            match (kind, &acked) {
                (_, Err(err)) => tracing::warn!(error = %err, "could not reject a message"),
                (AckKind::Term, Ok(())) => {
                    shared.counters.termed.fetch_add(1, Ordering::Relaxed);
                }
                (_, Ok(())) => {
                    shared.counters.naked.fetch_add(1, Ordering::Relaxed);
                }
            }
            if let Some(hook) = &shared.on_invalid {
                hook(&InvalidMessage {
                    error,
                    subject: message.subject,
                    stream_sequence,
                    payload: message.payload,
                });
            }
            return;
        }
    };
    let context = Context {
        subject: message.subject,
        headers: message.headers.into(),
        delivered,
        stream_sequence,
        acker: acker.clone(),
    };
    let id = event.id().to_owned();
    let handled = std::panic::catch_unwind(AssertUnwindSafe(|| (shared.handler)(event, context)))
        .map(|future| AssertUnwindSafe(future).catch_unwind());
    let result = match handled {
        Ok(future) => with_progress(future, &acker, shared.ack_wait).await,
        Err(panic) => Err(panic),
    };
    let kind = match result {
        Ok(outcome) => match outcome.into_outcome() {
            Ok(Outcome::Ack) => AckKind::Ack,
            Ok(Outcome::Nak { delay }) => AckKind::Nak(delay),
            Ok(Outcome::Term) => AckKind::Term,
            Err(error) => {
                let delay = backoff_for(delivered, shared.backoff);
                tracing::warn!(name = %shared.name, id, delivered, error, ?delay,
                    "handler failed; the message will be redelivered");
                AckKind::Nak(Some(delay))
            }
        },
        Err(panic) => {
            shared.counters.panics.fetch_add(1, Ordering::Relaxed);
            let text = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic".to_owned());
            let delay = backoff_for(delivered, shared.backoff);
            tracing::error!(name = %shared.name, id, delivered, panic = text, ?delay,
                "handler panicked; the message will be redelivered");
            AckKind::Nak(Some(delay))
        }
    };
    match acker.ack(kind).await {
        Ok(()) => {
            let counter = match kind {
                AckKind::Ack => &shared.counters.acked,
                AckKind::Term => &shared.counters.termed,
                _ => &shared.counters.naked,
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
        Err(err) => tracing::warn!(id, error = %err, "could not acknowledge a message"),
    }
}

/// Runs a handler, telling the server it is in progress every half
/// `ack_wait` so a long handler does not cause a redelivery.
async fn with_progress<O>(
    future: impl Future<Output = O>,
    acker: &Arc<dyn Acker>,
    ack_wait: Duration,
) -> O {
    let mut future = std::pin::pin!(future);
    // Most handlers finish at their first poll: no timer for them.
    if let Some(output) = (&mut future).now_or_never() {
        return output;
    }
    let period = (ack_wait / 2).max(Duration::from_millis(50));
    loop {
        tokio::select! {
            output = &mut future => return output,
            () = tokio::time::sleep(period) => {
                if let Err(err) = acker.ack(AckKind::Progress).await {
                    tracing::warn!(error = %err, "could not signal in-progress");
                }
            }
        }
    }
}

impl Client {
    /// A pull consumer of the events of `T`, bound to the durable consumer
    /// named by convention (see [`Config::consumer_name`](crate::Config::consumer_name)).
    pub fn consumer<T: EventType>(&self) -> ConsumerBuilder<T> {
        self.consumer_inner(T::NAME, true)
    }

    /// A pull consumer of the message `name`, as dynamic events.
    pub fn consumer_json(&self, name: &str) -> ConsumerBuilder<Value> {
        self.consumer_inner(name, false)
    }

    fn consumer_inner<T>(&self, name: &str, typed: bool) -> ConsumerBuilder<T> {
        ConsumerBuilder {
            client: self.clone(),
            name: name.to_owned(),
            typed,
            source: None,
            stream: None,
            consumer: None,
            concurrency: DEFAULT_CONCURRENCY,
            batch: None,
            backoff: (Duration::from_secs(1), Duration::from_secs(60)),
            on_invalid: None,
            _type: PhantomData,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let b = (Duration::from_millis(100), Duration::from_secs(1));
        assert_eq!(backoff_for(1, b), Duration::from_millis(100));
        assert_eq!(backoff_for(2, b), Duration::from_millis(200));
        assert_eq!(backoff_for(4, b), Duration::from_millis(800));
        assert_eq!(backoff_for(5, b), Duration::from_secs(1));
        assert_eq!(backoff_for(u64::MAX, b), Duration::from_secs(1));
        assert_eq!(backoff_for(0, b), Duration::from_millis(100));
    }
}
