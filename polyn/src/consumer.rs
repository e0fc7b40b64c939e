//! [`Consumer<T>`]: a pull consumer bound to its conventional durable
//! consumer, with bounded concurrency, backoff, invalid-message handling and
//! graceful shutdown.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

mod context;
mod handling;
mod slots;
mod stats;

pub use context::Context;
pub(crate) use context::noop_context;
pub use stats::ConsumerStats;

use handling::spawn_handler;
use slots::{release, take_one, take_slots, try_take_slots};
use stats::Counters;

use crate::transport::{AckKind, PullConsumer, PullEvent};
use crate::{Client, Error, Event, EventType, IntoOutcome};

/// Default number of messages handled at once per consumer.
pub const DEFAULT_CONCURRENCY: usize = 32;

/// The most messages a consumer handles at once; larger settings are capped.
pub const MAX_CONCURRENCY: usize = 1 << 20;

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
    /// A handler starts on the consumer's own task and, when it has to
    /// wait, continues as a task of its own, so up to the concurrency run at
    /// once; one that finishes without waiting needs no task at all (this
    /// measured faster on current-thread and multi-thread runtimes alike).
    /// Handlers should not block: move heavy CPU work to
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
                                let kind = AckKind::Nak(None);
                                if delivery.acker.ack(kind).await.is_ok() {
                                    shared.counters.count(kind);
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
                                release(&mut reserved, count);
                                if let Some(problem) = problem {
                                    tracing::warn!(consumer = %self.consumer, problem, "pull interrupted");
                                    pause(&mut shutdown, &mut stopping, &mut failures).await;
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
                    tracing::warn!(consumer = %self.consumer, error = %err, "pull failed; retrying");
                    pause(&mut shutdown, &mut stopping, &mut failures).await;
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

/// At most this many pulls are in progress at once per consumer.
const MAX_OPEN_PULLS: usize = 2;

/// Counts one more failure in a row and waits a little longer for each (at
/// most 2 s), or until shutdown.
async fn pause(
    shutdown: &mut std::pin::Pin<&mut (impl Future<Output = ()> + Send)>,
    stopping: &mut bool,
    failures: &mut u32,
) {
    *failures = failures.saturating_add(1);
    if *stopping {
        return;
    }
    let pause = Duration::from_millis(50 * u64::from((*failures).min(40)));
    tokio::select! {
        () = shutdown.as_mut() => *stopping = true,
        () = tokio::time::sleep(pause) => {}
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
