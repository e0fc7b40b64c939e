//! [`Consumer<T>`]: a pull consumer bound to its conventional durable
//! consumer, with bounded concurrency, backoff, invalid-message handling and
//! graceful shutdown.

pub use crate::binder::{Binder, Bound};
pub use crate::handler::{Handler, HandlerKind, HandlerSpec};
pub use crate::handler_options::{
    DEFAULT_CONCURRENCY, DEFAULT_PREFETCH, DEFAULT_PREFETCH_BYTES, HandlerOptions, MAX_CONCURRENCY,
};
pub use crate::invalid_message::{Action, InvalidMessage};
/// A boxed, sendable future, as [`Handler::bind`] returns.
pub use futures_util::future::BoxFuture;

use std::collections::VecDeque;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

mod batches;
mod context;
mod handling;
mod slots;
mod stats;

pub use context::Context;
pub use stats::ConsumerStats;
pub(crate) use stats::Counters;

use handling::spawn_handler;
use slots::{release, take_one, take_slots, try_take_slots};

use crate::client::Client;
use crate::error::Error;
use crate::event::Event;
use crate::event_type::EventType;
use crate::monitor::Missing;
use crate::monitor::Monitor;
use crate::outcome::IntoOutcome;
use crate::transport::{AckKind, Delivery, Presence, PullConsumer, PullEvent};

/// How long a consumer or stream may be missing while a consumer runs
/// before [`Consumer::run`] ends with an error, by default.
pub const DEFAULT_MISSING_GRACE: Duration = Duration::from_secs(30);

/// Configures a [`Consumer`]; see [`Client::consumer`].
#[must_use]
pub struct ConsumerBuilder<T> {
    client: Client,
    name: String,
    source: Option<String>,
    stream: Option<String>,
    consumer: Option<String>,
    options: HandlerOptions,
    shutdown_deadline: Option<Duration>,
    missing_grace: Duration,
    monitor: Option<Monitor>,
    _type: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for ConsumerBuilder<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsumerBuilder")
            .field("name", &self.name)
            .field("source", &self.source)
            .field("stream", &self.stream)
            .field("consumer", &self.consumer)
            .field("options", &self.options)
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

    /// Replaces every handler option at once.
    pub fn options(mut self, options: HandlerOptions) -> Self {
        self.options = options;
        self
    }

    /// See [`HandlerOptions::concurrency`].
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.options = self.options.concurrency(concurrency);
        self
    }

    /// See [`HandlerOptions::batch`].
    pub fn batch(mut self, batch: usize) -> Self {
        self.options = self.options.batch(batch);
        self
    }

    /// See [`HandlerOptions::prefetch`].
    pub fn prefetch(mut self, messages: usize) -> Self {
        self.options = self.options.prefetch(messages);
        self
    }

    /// See [`HandlerOptions::backoff`].
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.options = self.options.backoff(base, max);
        self
    }

    /// See [`HandlerOptions::dead_letters`].
    pub fn dead_letters(mut self, on: bool) -> Self {
        self.options = self.options.dead_letters(on);
        self
    }

    /// See [`HandlerOptions::on_invalid`].
    pub fn on_invalid(mut self, hook: impl Fn(&InvalidMessage) + Send + Sync + 'static) -> Self {
        self.options = self.options.on_invalid(hook);
        self
    }

    /// See [`HandlerOptions::keep_alive`].
    pub fn keep_alive(mut self, keep_alive: bool) -> Self {
        self.options = self.options.keep_alive(keep_alive);
        self
    }

    /// See [`HandlerOptions::allow_other_types`].
    pub fn allow_other_types(mut self) -> Self {
        self.options = self.options.allow_other_types();
        self
    }

    /// After shutdown begins, wait at most this long for the handlers in
    /// flight; those still running are then abandoned, their messages
    /// naked (for redelivery at once) and reported. Default: wait for them.
    pub fn shutdown_deadline(mut self, deadline: Duration) -> Self {
        self.shutdown_deadline = Some(deadline);
        self
    }

    /// How long the consumer or its stream may be missing while running
    /// (deleted, say) before [`Consumer::run`] ends with
    /// [`Error::ConsumerNotFound`] or [`Error::StreamNotFound`] (default
    /// [`DEFAULT_MISSING_GRACE`]). Meanwhile the [`Monitor`]'s health shows
    /// it, and the consumer resumes if it comes back.
    pub fn missing_grace(mut self, grace: Duration) -> Self {
        self.missing_grace = grace;
        self
    }

    pub(crate) fn monitor(mut self, monitor: Monitor) -> Self {
        self.monitor = Some(monitor);
        self
    }

    /// Finds the stream and binds to the existing durable consumer. Polyn
    /// never creates streams or consumers: a missing one is
    /// [`Error::StreamNotFound`] or [`Error::ConsumerNotFound`].
    ///
    /// A consumer whose filter captures other message types than this one
    /// is [`Error::FilterTooWide`], unless
    /// [`allow_other_types`](Self::allow_other_types) is set: then it binds
    /// with a warning, and the other messages are terminated and reported
    /// when they arrive.
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
        let pull = self
            .client
            .transport()
            .bind(stream.clone(), consumer.clone())
            .await?;
        let filters = pull.filter_subjects();
        if !filters
            .iter()
            .all(|filter| crate::naming::filter_holds_only(&self.name, filter))
        {
            let error = Error::FilterTooWide {
                name: self.name.clone(),
                consumer: consumer.clone(),
                stream: stream.clone(),
                filters: filters.to_vec(),
            };
            if !self.options.allow_other_types {
                return Err(error);
            }
            tracing::warn!(%error, "binding anyway (allow_other_types)");
        }
        let dead_letters = if self.options.dead_letters {
            match self
                .client
                .transport()
                .stream_for_subject(crate::dead_letter::DeadLetter::subject(&consumer))
                .await
            {
                Ok(stream) => Some(stream),
                Err(Error::StreamNotFound { .. }) => None,
                Err(err) => {
                    tracing::warn!(consumer, error = %err,
                        "could not look for a dead-letter stream; giving up on a message terminates it");
                    None
                }
            }
        } else {
            None
        };
        let monitor = self
            .monitor
            .unwrap_or_else(|| Monitor::new(&self.name, HandlerKind::Pull));
        monitor.watch_schemas(self.client.schemas());
        monitor.set_bound();
        tracing::info!(name = %self.name, %consumer, %stream, filters = ?pull.filter_subjects(),
            max_deliver = ?pull.max_deliver(), dead_letter_stream = ?dead_letters,
            concurrency = self.options.concurrency, prefetch = self.options.prefetch,
            "bound a consumer");
        Ok(Consumer {
            dead_letters,
            client: self.client,
            name: self.name,
            stream,
            consumer,
            options: self.options,
            shutdown_deadline: self.shutdown_deadline,
            missing_grace: self.missing_grace,
            monitor,
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
    stream: String,
    consumer: String,
    options: HandlerOptions,
    shutdown_deadline: Option<Duration>,
    missing_grace: Duration,
    monitor: Monitor,
    pull: Box<dyn PullConsumer>,
    /// The stream dead letters go to, when there is one.
    dead_letters: Option<String>,
    _type: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Consumer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("name", &self.name)
            .field("stream", &self.stream)
            .field("consumer", &self.consumer)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

struct Shared<T, H> {
    client: Client,
    name: String,
    /// The durable consumer and its stream, as dead letters name them.
    consumer: String,
    stream: String,
    /// The consumer's `max_deliver`: the last delivery gives up.
    max_deliver: Option<u64>,
    /// The dead-letter stream, when the consumer dead-letters.
    dead_letters: Option<String>,
    handler: H,
    options: HandlerOptions,
    ack_wait: Duration,
    monitor: Monitor,
    /// The OpenTelemetry instruments of this consumer.
    metrics: crate::metrics::Consumed,
    /// Turns true at the shutdown deadline: unfinished handlers give up.
    abandon: watch::Receiver<bool>,
    shutdown_deadline: Option<Duration>,
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

    /// The live view of this consumer: counters and health while it runs.
    pub fn monitor(&self) -> Monitor {
        self.monitor.clone()
    }

    /// Handles messages until `shutdown` completes, then stops fetching,
    /// lets the handlers in flight finish (up to the
    /// [shutdown deadline](ConsumerBuilder::shutdown_deadline)) and
    /// acknowledges them, naks what was fetched but not started (so it is
    /// redelivered at once), and returns what it did.
    ///
    /// Each message is validated and decoded into `T`; one that is invalid,
    /// of another type or does not fit `T` is terminated, logged and given
    /// to the `on_invalid` hook. A valid one goes to `handler`, whose
    /// return value decides (see [`IntoOutcome`]). A handler error or panic
    /// naks with backoff and is reported; the consumer keeps running.
    ///
    /// When the consumer or its stream is deleted while running, the
    /// [`Monitor`] shows it at once; after the
    /// [grace period](ConsumerBuilder::missing_grace) `run` ends with
    /// [`Error::ConsumerNotFound`] or [`Error::StreamNotFound`].
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
        let monitor = self.monitor.clone();
        finished(&monitor, self.run_inner(handler, shutdown).await)
    }

    async fn run_inner<H, F, R>(
        self,
        handler: H,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<ConsumerStats, Error>
    where
        H: Fn(Event<T>, Context) -> F + Send + Sync + 'static,
        F: Future<Output = R> + Send + 'static,
        R: IntoOutcome + Send + 'static,
    {
        let (abandon_tx, abandon) = watch::channel(false);
        let shared = self.shared(handler, abandon);
        let counters = self.monitor.counters();
        let concurrency = self.options.concurrency;
        // Messages asked for, waiting or being handled: the handlers plus
        // the prefetch. Pulls are sized by this, not by free handlers, so
        // the server keeps sending while few handlers work.
        let window = concurrency.saturating_add(self.options.prefetch);
        let batch = self
            .options
            .batch
            .unwrap_or((window / MAX_OPEN_PULLS).max(1))
            .min(window);
        let pull_bytes = (self.options.prefetch_bytes / MAX_OPEN_PULLS).max(1);
        // One permit per handler running. Each handler holds its permit
        // until it has acked (on this task if it finishes at its first
        // poll, else as a task of its own), so once every permit is back,
        // every handler has finished.
        let slots = Arc::new(Semaphore::new(concurrency));
        // One permit per message asked for, waiting or being handled.
        let budget = Arc::new(Semaphore::new(window));
        // Budget of messages asked for and not yet arrived.
        let mut reserved: Option<OwnedSemaphorePermit> = None;
        // Arrived, waiting for a handler: in order, each with its budget
        // permit and when the server last heard of it.
        let mut waiting: VecDeque<(Delivery, OwnedSemaphorePermit, Instant)> = VecDeque::new();
        // Waiting messages tell the server they are in progress this
        // often, so they keep their ack deadline however long they wait.
        let refresh_every = (self.pull.ack_wait() / 3).max(Duration::from_millis(100));
        let mut refresh = std::pin::pin!(tokio::time::sleep(refresh_every));
        let mut session = self.pull.open().await?;
        // A second pull starts as soon as half a batch of budget is free
        // (before the messages already here are handled), so the server
        // fills it while this side works through the first: the two sides
        // overlap instead of taking turns.
        let low_water = (batch / 2).max(1);
        let mut shutdown = std::pin::pin!(shutdown);
        let mut stopping = false;
        let mut stopped_at: Option<Instant> = None;
        let mut fatal: Option<Error> = None;
        let mut failures: u32 = 0;
        // What the monitor shows, kept here so a pull touches it only on a change.
        let mut pulling = false;
        loop {
            if stopping {
                stopped_at = Some(Instant::now());
                self.monitor.set_stopping();
                // End the open pulls now, and give back at once everything
                // fetched but not started.
                let arrived = session.close().await;
                let unstarted = waiting.drain(..).map(|(delivery, _, _)| delivery);
                for delivery in unstarted.chain(arrived) {
                    let kind = AckKind::Nak(None);
                    if delivery.acker.ack(kind).await.is_ok() {
                        counters.count(kind);
                    }
                }
                break;
            }
            // Start what waits, while handlers are free.
            while !waiting.is_empty() {
                let Ok(slot) = slots.clone().try_acquire_owned() else {
                    break;
                };
                if let Some((delivery, budget, _)) = waiting.pop_front() {
                    spawn_handler(&shared, delivery, (slot, budget));
                }
            }
            let open = session.open_pulls();
            // For the metrics: what the pulls are waiting for now.
            counters.pulls.store(open, Ordering::Relaxed);
            counters.requested.store(
                reserved
                    .as_ref()
                    .map_or(0, OwnedSemaphorePermit::num_permits),
                Ordering::Relaxed,
            );
            let fetch_more = open < MAX_OPEN_PULLS;
            let min = if open == 0 && waiting.is_empty() {
                1
            } else {
                low_water
            };
            // Budget free for a pull right now: ask before taking the next
            // message, so the server is never left without a pull it could
            // fill. Otherwise wait for a message, a free handler, enough
            // budget, a refresh or shutdown.
            let ready = if fetch_more {
                try_take_slots(&budget, min, batch)
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
                    slot = slots.clone().acquire_owned(), if !waiting.is_empty() => {
                        let Ok(slot) = slot else { break };
                        if let Some((delivery, budget, _)) = waiting.pop_front() {
                            spawn_handler(&shared, delivery, (slot, budget));
                        }
                        continue;
                    }
                    event = session.next(), if open > 0 => {
                        match event {
                            Some(PullEvent::Message(delivery)) => {
                                failures = 0;
                                let permit = match take_one(&mut reserved) {
                                    Some(permit) => permit,
                                    // More came than the count says (a pull
                                    // taken as lost delivered after all): wait
                                    // for budget, so the bound holds whatever
                                    // happens.
                                    None => match budget.clone().acquire_owned().await {
                                        Ok(permit) => permit,
                                        Err(_) => break,
                                    },
                                };
                                match slots.clone().try_acquire_owned() {
                                    Ok(slot) if waiting.is_empty() => {
                                        spawn_handler(&shared, delivery, (slot, permit));
                                    }
                                    _ => waiting.push_back((delivery, permit, Instant::now())),
                                }
                            }
                            Some(PullEvent::Released { count, problem }) => {
                                release(&mut reserved, count);
                                if let Some(problem) = problem {
                                    tracing::warn!(consumer = %self.consumer, problem, "pull interrupted");
                                    if let Some(error) = self.pull_trouble(&problem, &mut pulling).await {
                                        fatal = Some(error);
                                        stopping = true;
                                        continue;
                                    }
                                    pause(&mut shutdown, &mut stopping, &mut failures).await;
                                }
                            }
                            None => break,
                        }
                        continue;
                    }
                    () = &mut refresh, if !waiting.is_empty() => {
                        refresh_waiting(&mut waiting, refresh_every).await;
                        refresh
                            .as_mut()
                            .reset(tokio::time::Instant::now() + refresh_every);
                        continue;
                    }
                    permit = take_slots(&budget, min, batch), if fetch_more => match permit {
                        Some(permit) => permit,
                        None => break,
                    },
                },
            };
            match session.pull(permit.num_permits(), pull_bytes).await {
                Ok(()) => {
                    if failures == 0 && !pulling {
                        pulling = true;
                        self.monitor.set_pulling(true);
                    }
                    match reserved.as_mut() {
                        Some(reserved) => reserved.merge(permit),
                        None => reserved = Some(permit),
                    }
                }
                Err(err) => {
                    drop(permit);
                    tracing::warn!(consumer = %self.consumer, error = %err, "pull failed; retrying");
                    if let Some(error) = self.pull_trouble(&err, &mut pulling).await {
                        fatal = Some(error);
                        stopping = true;
                        continue;
                    }
                    pause(&mut shutdown, &mut stopping, &mut failures).await;
                }
            }
        }
        drop(reserved);
        counters.pulls.store(0, Ordering::Relaxed);
        counters.requested.store(0, Ordering::Relaxed);
        // Let the handlers in flight finish and acknowledge; at the
        // deadline, tell those still running to give up, and wait for that.
        let all = u32::try_from(concurrency).unwrap_or(u32::MAX);
        let drained = slots.acquire_many(all);
        let left = self.shutdown_deadline.map(|deadline| {
            deadline.saturating_sub(stopped_at.map_or(Duration::ZERO, |at| at.elapsed()))
        });
        match left {
            None => drop(drained.await),
            Some(left) => {
                if tokio::time::timeout(left, drained).await.is_err() {
                    let _ = abandon_tx.send(true);
                    drop(slots.acquire_many(all).await);
                }
            }
        }
        // Every ack and nak has reached the server when `run` returns.
        if let Err(err) = self.client.flush().await {
            tracing::warn!(consumer = %self.consumer, error = %err, "could not flush the last acknowledgements");
        }
        match fatal {
            Some(error) => Err(error),
            None => Ok(counters.snapshot()),
        }
    }

    /// What every handler run of this consumer shares.
    fn shared<H>(&self, handler: H, abandon: watch::Receiver<bool>) -> Arc<Shared<T, H>> {
        Arc::new(Shared {
            client: self.client.clone(),
            name: self.name.clone(),
            consumer: self.consumer.clone(),
            stream: self.stream.clone(),
            max_deliver: self.pull.max_deliver(),
            dead_letters: self.dead_letters.clone(),
            handler,
            options: self.options.clone(),
            ack_wait: self.pull.ack_wait(),
            monitor: self.monitor.clone(),
            metrics: self.client.metrics().consumer(
                &self.name,
                Some(&self.consumer),
                &self.monitor,
            ),
            abandon,
            shutdown_deadline: self.shutdown_deadline,
            _type: PhantomData,
        })
    }

    /// After a failed or interrupted pull: shows `problem` in the health,
    /// marks the consumer not pulling, and returns the error that ends the
    /// run when the consumer or its stream has been missing too long.
    async fn pull_trouble(
        &self,
        problem: &(dyn std::fmt::Display + Sync),
        pulling: &mut bool,
    ) -> Option<Error> {
        self.monitor.set_error(problem);
        *pulling = false;
        self.monitor.set_pulling(false);
        self.check_presence().await
    }

    /// After a failed pull: whether the consumer and its stream are still
    /// there. A missing one shows in the health at once; past the grace
    /// period it is the error that ends the run.
    async fn check_presence(&self) -> Option<Error> {
        let presence = match self.pull.presence().await {
            Ok(presence) => presence,
            Err(err) => {
                tracing::debug!(consumer = %self.consumer, error = %err, "could not check the consumer");
                return None;
            }
        };
        let missing = match presence {
            Presence::Present => None,
            Presence::ConsumerMissing => Some(Missing::Consumer {
                stream: self.stream.clone(),
                consumer: self.consumer.clone(),
            }),
            Presence::StreamMissing => Some(Missing::Stream {
                stream: self.stream.clone(),
            }),
        };
        let since = self.monitor.set_missing(missing)?;
        if since.elapsed() < self.missing_grace {
            tracing::error!(consumer = %self.consumer, stream = %self.stream, ?presence,
                grace = ?self.missing_grace, "the consumer is missing; waiting for it to come back");
            return None;
        }
        Some(match presence {
            Presence::StreamMissing => Error::StreamNotFound {
                subject: self.name.clone(),
            },
            _ => Error::ConsumerNotFound {
                name: self.consumer.clone(),
                stream: self.stream.clone(),
            },
        })
    }
}

/// A run's result, shown by its monitor.
fn finished(
    monitor: &Monitor,
    result: Result<ConsumerStats, Error>,
) -> Result<ConsumerStats, Error> {
    monitor.set_finished();
    if let Err(error) = &result {
        monitor.set_error(error);
    }
    result
}

/// Tells the server that waiting messages it has not heard of for
/// `every` are still in progress, so they keep their ack deadline.
async fn refresh_waiting(
    waiting: &mut VecDeque<(Delivery, OwnedSemaphorePermit, Instant)>,
    every: Duration,
) {
    let now = Instant::now();
    for (delivery, _, touched) in waiting.iter_mut() {
        if now.duration_since(*touched) >= every {
            if let Err(err) = delivery.acker.ack(AckKind::Progress).await {
                tracing::debug!(error = %err, "could not extend a waiting message's ack deadline");
            }
            *touched = now;
        }
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
        crate::drift::note::<T>();
        self.consumer_of(T::NAME)
    }

    /// A pull consumer of the message `name`, as dynamic events. Messages
    /// of other types on its filter are terminated, as for
    /// [`Client::consumer`].
    pub fn consumer_json(&self, name: &str) -> ConsumerBuilder<Value> {
        self.consumer_of(name)
    }

    /// A pull consumer of the message `name` decoded as `T`.
    pub(crate) fn consumer_of<T>(&self, name: &str) -> ConsumerBuilder<T> {
        ConsumerBuilder {
            client: self.clone(),
            name: name.to_owned(),
            source: None,
            stream: None,
            consumer: None,
            options: HandlerOptions::default(),
            shutdown_deadline: None,
            missing_grace: DEFAULT_MISSING_GRACE,
            monitor: None,
            _type: PhantomData,
        }
    }
}
