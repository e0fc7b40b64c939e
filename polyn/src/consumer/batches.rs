//! [`Consumer::run_batches`]: a pull consumer's messages handed to one
//! handler call in batches, as Broadway batches and the Ruby client's
//! `fetch` do.
//!
//! A batch is whatever has arrived when it is full or when the first of it
//! has waited long enough. Every message is decoded in a `<name> receive`
//! span of its own (the child of its `traceparent`) linked to the batch's
//! `<name> process` span, in which the handler runs; a message's receive
//! span lasts until the message is settled, so it shows what became of it.
//! Invalid messages are terminated (or dead-lettered) and reported before
//! the handler sees the rest, whose acknowledgement follows the handler's
//! one outcome.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde::de::DeserializeOwned;
use tokio::sync::watch;
use tracing::Instrument;

use super::handling::{Failure, retry_or_give_up, settle, with_progress};
use super::{Consumer, ConsumerStats, Counters, MAX_OPEN_PULLS, Shared, finished, pause};
use crate::error::Error;
use crate::event::Event;
use crate::guard::guarded;
use crate::invalid_message::Action;
use crate::invalid_message::InvalidMessage;
use crate::invalid_message::report;
use crate::outcome::BoxError;
use crate::outcome::IntoOutcome;
use crate::outcome::Outcome;
use crate::telemetry::{self, LinkTo};
use crate::transport::{AckKind, Acker, Delivery, PullEvent};
use futures_util::future::BoxFuture;

impl<T: DeserializeOwned + Send + 'static> Consumer<T> {
    /// Handles messages in batches until `shutdown` completes: `handler`
    /// gets up to `size` valid events at once, those that arrived until the
    /// batch was full or its first had waited `wait`, and its one return
    /// value settles them all (see [`IntoOutcome`]).
    ///
    /// Invalid messages (and those of another type or not fitting `T`)
    /// never reach the handler: they are terminated, or dead-lettered, and
    /// reported, as [`run`](Self::run) does, while the valid ones of the
    /// same batch are handled. When the handler fails or panics, each of
    /// its messages is retried with backoff (naked), or given up on at its
    /// last delivery, as one message is under `run`. While the handler
    /// runs, the next batch is already asked for, and with
    /// [`keep_alive`](super::ConsumerBuilder::keep_alive) the batch's
    /// messages keep their ack deadline.
    ///
    /// One batch is handled at a time. On shutdown the batch in hand is
    /// finished (up to the [shutdown deadline](super::ConsumerBuilder::shutdown_deadline))
    /// and what was fetched for the next is given back at once.
    ///
    /// ```no_run
    /// # #[derive(serde::Serialize, serde::Deserialize)] struct WidgetsCreatedV1 { id: String }
    /// # impl polyn::EventType for WidgetsCreatedV1 { const NAME: &'static str = "widgets.created.v1"; const SCHEMA: &'static str = "{}"; }
    /// # async fn run(client: polyn::Client) -> Result<(), polyn::Error> {
    /// use std::time::Duration;
    ///
    /// let consumer = client.consumer::<WidgetsCreatedV1>().bind().await?;
    /// let stats = consumer
    ///     .run_batches(
    ///         100,
    ///         Duration::from_millis(50),
    ///         |widgets: Vec<polyn::Event<WidgetsCreatedV1>>| async move {
    ///             // e.g. one database insert for the whole batch
    ///             println!("{} widgets", widgets.len());
    ///             Ok::<_, std::io::Error>(())
    ///         },
    ///         async { tokio::signal::ctrl_c().await.ok(); },
    ///     )
    ///     .await?;
    /// println!("acked {}", stats.acked);
    /// # Ok(()) }
    /// ```
    pub async fn run_batches<H, F, R>(
        self,
        size: usize,
        wait: Duration,
        handler: H,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<ConsumerStats, Error>
    where
        H: Fn(Vec<Event<T>>) -> F + Send + Sync + 'static,
        F: Future<Output = R> + Send + 'static,
        R: IntoOutcome + Send + 'static,
    {
        let monitor = self.monitor.clone();
        let result = self
            .run_batches_inner(size.max(1), wait, handler, shutdown)
            .await;
        finished(&monitor, result)
    }

    async fn run_batches_inner<H, F, R>(
        self,
        size: usize,
        wait: Duration,
        handler: H,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<ConsumerStats, Error>
    where
        H: Fn(Vec<Event<T>>) -> F + Send + Sync + 'static,
        F: Future<Output = R> + Send + 'static,
        R: IntoOutcome + Send + 'static,
    {
        let (abandon_tx, abandon) = watch::channel(false);
        let shared = self.shared(handler, abandon);
        let counters = self.monitor.counters();
        let pull_bytes = self.options.prefetch_bytes.max(1);
        let mut session = self.pull.open().await?;
        let mut shutdown = std::pin::pin!(shutdown);
        let (mut stopping, mut failures, mut fatal) = (false, 0u32, None);
        let mut pulling = false;
        // Arrived, not yet handed to the handler, and how many more the
        // open pulls asked for.
        let mut arrived: Vec<Delivery> = Vec::with_capacity(size);
        let mut asked = 0usize;
        'batches: loop {
            // When the batch in the making closes, however full.
            let mut closes: Option<tokio::time::Instant> = None;
            while arrived.len() < size && !stopping {
                let wanted = size - arrived.len();
                if asked < wanted && session.open_pulls() < MAX_OPEN_PULLS {
                    match session.pull(wanted - asked, pull_bytes).await {
                        Ok(()) => {
                            asked = wanted;
                            if failures == 0 && !pulling {
                                pulling = true;
                                self.monitor.set_pulling(true);
                            }
                        }
                        Err(err) => {
                            tracing::warn!(consumer = %self.consumer, error = %err, "pull failed; retrying");
                            if let Some(error) = self.pull_trouble(&err, &mut pulling).await {
                                fatal = Some(error);
                                break 'batches;
                            }
                            pause(&mut shutdown, &mut stopping, &mut failures).await;
                            continue;
                        }
                    }
                }
                counters
                    .pulls
                    .store(session.open_pulls(), Ordering::Relaxed);
                counters.requested.store(asked, Ordering::Relaxed);
                tokio::select! {
                    biased;
                    () = &mut shutdown => stopping = true,
                    () = tokio::time::sleep_until(closes.unwrap_or_else(tokio::time::Instant::now)),
                        if closes.is_some() => break,
                    event = session.next() => match event {
                        Some(PullEvent::Message(delivery)) => {
                            failures = 0;
                            asked = asked.saturating_sub(1);
                            closes.get_or_insert_with(|| tokio::time::Instant::now() + wait);
                            arrived.push(delivery);
                        }
                        Some(PullEvent::Released { count, problem }) => {
                            asked = asked.saturating_sub(count);
                            if let Some(problem) = problem {
                                tracing::warn!(consumer = %self.consumer, problem, "pull interrupted");
                                if let Some(error) = self.pull_trouble(&problem, &mut pulling).await {
                                    fatal = Some(error);
                                    break 'batches;
                                }
                                pause(&mut shutdown, &mut stopping, &mut failures).await;
                            }
                        }
                        None => break 'batches,
                    },
                }
            }
            if stopping {
                break;
            }
            let batch = std::mem::replace(&mut arrived, Vec::with_capacity(size));
            // The next batch is asked for while this one is handled.
            if asked == 0 && session.open_pulls() < MAX_OPEN_PULLS {
                match session.pull(size, pull_bytes).await {
                    Ok(()) => asked = size,
                    Err(err) => {
                        tracing::debug!(consumer = %self.consumer, error = %err, "could not ask for the next batch");
                    }
                }
            }
            let mut handling = std::pin::pin!(handle_batch(&shared, batch));
            tokio::select! {
                () = &mut handling => continue,
                () = &mut shutdown => {}
            }
            // Shut down while a batch is handled: it finishes, up to the
            // deadline, then is told to give up.
            self.monitor.set_stopping();
            match self.shutdown_deadline {
                None => handling.await,
                Some(deadline) => {
                    if tokio::time::timeout(deadline, &mut handling).await.is_err() {
                        let _ = abandon_tx.send(true);
                        handling.await;
                    }
                }
            }
            break;
        }
        self.monitor.set_stopping();
        // Give back at once everything fetched but not handled.
        let returned = session.close().await;
        for delivery in arrived.into_iter().chain(returned) {
            let kind = AckKind::Nak(None);
            if delivery.acker.ack(kind).await.is_ok() {
                counters.count(kind);
            }
        }
        counters.pulls.store(0, Ordering::Relaxed);
        counters.requested.store(0, Ordering::Relaxed);
        if let Err(err) = self.client.flush().await {
            tracing::warn!(consumer = %self.consumer, error = %err, "could not flush the last acknowledgements");
        }
        match fatal {
            Some(error) => Err(error),
            None => Ok(counters.snapshot()),
        }
    }
}

/// Makes the error of the message with this event id.
type ErrorFor = dyn Fn(&str) -> Error + Send;

/// One valid message of a batch, kept until it is settled.
struct Kept {
    id: String,
    subject: String,
    payload: bytes::Bytes,
    delivered: u64,
    stream_sequence: u64,
    acker: Arc<dyn Acker>,
    /// Its receive span, open until it is settled.
    span: tracing::Span,
}

/// Decodes a batch's messages, reports the invalid ones, runs the handler
/// on the rest in the batch's process span and settles them by its outcome.
async fn handle_batch<T, H, F, R>(shared: &Shared<T, H>, batch: Vec<Delivery>)
where
    T: DeserializeOwned + Send + 'static,
    H: Fn(Vec<Event<T>>) -> F + Send + Sync + 'static,
    F: Future<Output = R> + Send + 'static,
    R: IntoOutcome + Send + 'static,
{
    let counters = shared.monitor.counters();
    let process = shared.client.process_span(&shared.name, batch.len());
    let link = LinkTo::span(&process);
    let mut events = Vec::with_capacity(batch.len());
    let mut kept = Vec::with_capacity(batch.len());
    for delivery in batch {
        let Delivery {
            message,
            delivered,
            stream_sequence,
            acker,
        } = delivery;
        let span = shared.client.receive_span(
            &shared.name,
            "receive",
            &message,
            Some((&shared.consumer, stream_sequence, delivered)),
        );
        link.add_to(&span);
        let decoded = span.in_scope(|| {
            shared
                .client
                .decode_typed::<T>(&message.payload, Some(&shared.name))
        });
        match decoded {
            Ok(event) => {
                crate::client::spans::record_message_id(&span, event.id());
                kept.push(Kept {
                    id: event.id().to_owned(),
                    subject: message.subject,
                    payload: message.payload,
                    delivered,
                    stream_sequence,
                    acker,
                    span,
                });
                events.push(event);
            }
            Err(error) => {
                Counters::bump(&counters.invalid);
                let message = (message.subject, message.payload);
                let position = (delivered, stream_sequence);
                retry_or_give_up(shared, message, position, &acker, Failure::Invalid(error))
                    .instrument(span)
                    .await;
            }
        }
    }
    if kept.is_empty() {
        return;
    }
    let count = kept.len();
    counters.in_flight.fetch_add(count, Ordering::Relaxed);
    let started = crate::metrics::start();
    let ackers = Arc::new(Ackers(kept.iter().map(|kept| kept.acker.clone()).collect()));
    let progress = shared.options.keep_alive.then_some(shared.ack_wait);
    let handled = guarded(|| (shared.handler)(events));
    let handled: Option<Result<R, String>> = {
        let ackers: Arc<dyn Acker> = ackers;
        with_progress(handled, &ackers, progress, &shared.abandon)
            .instrument(process.clone())
            .await
    };
    shared.metrics.processed(started);
    counters.in_flight.fetch_sub(count, Ordering::Relaxed);
    let name = &shared.name;
    // What each message's error is, once the batch failed, and whether
    // it is permanent.
    let (failed, permanent): (Box<ErrorFor>, bool) = match handled {
        Some(Ok(outcome)) => match outcome.into_outcome() {
            Ok(outcome) => {
                let kind = match outcome {
                    Outcome::Ack => AckKind::Ack,
                    Outcome::Nak { delay } => AckKind::Nak(delay),
                    Outcome::Term => AckKind::Term,
                };
                for kept in kept {
                    settle(&kept.acker, kind, counters, &kept.id)
                        .instrument(kept.span)
                        .await;
                }
                return;
            }
            Err(source) => {
                Counters::bump(&counters.failed);
                let permanent = crate::permanent::is_permanent(&source);
                let source = Arc::new(BatchFailed(source));
                let name = name.clone();
                let failed = move |id: &str| Error::Handler {
                    name: name.clone(),
                    id: id.to_owned(),
                    source: Box::new(source.clone()),
                };
                (Box::new(failed), permanent)
            }
        },
        Some(Err(message)) => {
            Counters::bump(&counters.panics);
            let name = name.clone();
            let failed = move |id: &str| Error::HandlerPanicked {
                name: name.clone(),
                id: id.to_owned(),
                message: message.clone(),
            };
            (Box::new(failed), false)
        }
        None => {
            Counters::bump(&counters.abandoned);
            let deadline = shared.shutdown_deadline.unwrap_or_default();
            tracing::error!(%name, consumer = %shared.consumer, count,
                "abandoned a batch handler at the shutdown deadline");
            for kept in kept {
                let error = Error::Abandoned {
                    name: name.clone(),
                    id: kept.id.clone(),
                    deadline,
                };
                settle(&kept.acker, AckKind::Nak(None), counters, &kept.id)
                    .instrument(kept.span.clone())
                    .await;
                let invalid = InvalidMessage {
                    error,
                    subject: kept.subject,
                    stream_sequence: kept.stream_sequence,
                    delivered: kept.delivered,
                    action: Action::Retried { delay: None },
                    payload: kept.payload,
                };
                kept.span
                    .in_scope(|| report(&shared.options, &shared.monitor, &invalid));
            }
            return;
        }
    };
    // The handler's failure, once on the batch's span; each message is
    // retried or given up on by its own delivery count.
    if let Some(first) = kept.first() {
        telemetry::record_error(&process, &failed(&first.id));
    }
    for kept in kept {
        let failure = Failure::Handler {
            error: failed(&kept.id),
            permanent,
        };
        let message = (kept.subject, kept.payload);
        let position = (kept.delivered, kept.stream_sequence);
        retry_or_give_up(shared, message, position, &kept.acker, failure)
            .instrument(kept.span)
            .await;
    }
}

/// A batch handler's error, shared by the errors of all its messages: it
/// shows as the error itself, with the same sources.
#[derive(Debug)]
struct BatchFailed(BoxError);

impl std::fmt::Display for BatchFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for BatchFailed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// The ackers of a batch's messages, for signalling them all in progress.
struct Ackers(Vec<Arc<dyn Acker>>);

impl Acker for Ackers {
    fn ack(&self, kind: AckKind) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            for acker in &self.0 {
                acker.ack(kind).await?;
            }
            Ok(())
        })
    }
}
