//! Core-NATS handlers and request handlers: a subscription whose messages
//! are handled up to the concurrency at once, each under panic guard, with
//! the same reporting, shutdown deadline and counters as pull consumers.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::de::DeserializeOwned;
use tokio::sync::{Semaphore, watch};
use tracing::Instrument;

use crate::client::Client;
use crate::client::spans::{TEMPORARY, record_message_id};
use crate::consumer::ConsumerStats;
use crate::consumer::Context;
use crate::consumer::Counters;
use crate::error::Error;
use crate::event::Event;
use crate::event_type::EventType;
use crate::guard::{error_chain, guarded};
use crate::handler_options::HandlerOptions;
use crate::invalid_message::InvalidMessage;
use crate::invalid_message::report;
use crate::monitor::Monitor;
use crate::outcome::BoxError;
use crate::outcome::IntoOutcome;
use crate::publish::PublishOptions;
use crate::telemetry;
use crate::transport::{Incoming, Outgoing, Subscription};

/// The header a NATS service names an error in.
pub(crate) const SERVICE_ERROR: &str = "Nats-Service-Error";
/// The header a NATS service gives an error's code in.
pub(crate) const SERVICE_ERROR_CODE: &str = "Nats-Service-Error-Code";

/// What a core or request handler runs with.
pub(crate) struct Runner {
    pub(crate) client: Client,
    pub(crate) name: String,
    pub(crate) options: HandlerOptions,
    pub(crate) monitor: Monitor,
    pub(crate) subscription: Box<dyn Subscription>,
    pub(crate) shutdown_deadline: Option<Duration>,
}

/// What one message's task shares with the others.
struct Job {
    client: Client,
    name: String,
    options: HandlerOptions,
    monitor: Monitor,
    abandon: watch::Receiver<bool>,
    shutdown_deadline: Option<Duration>,
    /// The OpenTelemetry instruments of this handler.
    metrics: crate::metrics::Consumed,
}

impl Job {
    fn counters(&self) -> &Counters {
        self.monitor.counters()
    }

    fn report(&self, error: Error, message: &Incoming) {
        let invalid = InvalidMessage {
            error,
            subject: message.subject.clone(),
            stream_sequence: 0,
            delivered: 1,
            action: crate::invalid_message::Action::Reported,
            payload: message.payload.clone(),
        };
        report(&self.options, &self.monitor, &invalid);
    }

    /// Decodes the message (in its receive span, which gets the event id),
    /// or reports it as invalid.
    fn decode<T: DeserializeOwned + 'static>(&self, message: &Incoming) -> Result<Event<T>, Error> {
        let decoded = self
            .client
            .decode_typed::<T>(&message.payload, Some(&self.name));
        if let Ok(event) = &decoded {
            record_message_id(&tracing::Span::current(), event.id());
        }
        if let Err(error) = &decoded {
            Counters::bump(&self.counters().invalid);
            Counters::bump(&self.counters().termed);
            tracing::error!(name = %self.name, subject = %message.subject,
                error = %error_chain(error), "rejected an invalid message");
        }
        decoded
    }

    /// Runs the handler's future until it ends or is abandoned (`None`).
    async fn run<O>(
        &self,
        future: impl Future<Output = Result<O, String>>,
    ) -> Option<Result<O, String>> {
        let mut abandon = self.abandon.clone();
        let started = crate::metrics::start();
        let output = tokio::select! {
            output = future => Some(output),
            () = crate::guard::signalled(&mut abandon) => None,
        };
        self.metrics.processed(started);
        output
    }

    fn abandoned(&self, id: &str) -> Error {
        Counters::bump(&self.counters().abandoned);
        Error::Abandoned {
            name: self.name.clone(),
            id: id.to_owned(),
            deadline: self.shutdown_deadline.unwrap_or_default(),
        }
    }

    fn panicked(&self, id: &str, message: String) -> Error {
        Counters::bump(&self.counters().panics);
        Error::HandlerPanicked {
            name: self.name.clone(),
            id: id.to_owned(),
            message,
        }
    }

    fn failed(&self, id: &str, source: BoxError) -> Error {
        Counters::bump(&self.counters().failed);
        Error::Handler {
            name: self.name.clone(),
            id: id.to_owned(),
            source,
        }
    }

    /// Answers a request with an error, as NATS services do, in a
    /// `(temporary) send` span.
    async fn reply_error(&self, reply_to: Option<&str>, code: u16, error: &Error) {
        let Some(reply_to) = reply_to else {
            return;
        };
        // A header value is one line.
        let description: String = error_chain(error)
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let mut headers = vec![
            (SERVICE_ERROR.to_owned(), description),
            (SERVICE_ERROR_CODE.to_owned(), code.to_string()),
        ];
        let span = self.client.send_span(TEMPORARY);
        span.in_scope(|| telemetry::inject(&mut headers));
        let message = Outgoing {
            subject: reply_to.to_owned(),
            headers,
            payload: Bytes::new(),
        };
        let sent = self
            .client
            .transport()
            .publish_core(message)
            .instrument(span.clone())
            .await;
        match telemetry::recorded(&span, sent) {
            Ok(()) => Counters::bump(&self.counters().error_replies),
            Err(err) => {
                tracing::warn!(name = %self.name, error = %err, "could not send an error reply")
            }
        }
    }
}

/// Handles a subscription's messages with `handle` until `stopped`.
async fn serve_loop<H, Fut>(
    mut runner: Runner,
    stopped: impl Future<Output = ()> + Send,
    handle: H,
) -> Result<ConsumerStats, Error>
where
    H: Fn(Arc<Job>, Incoming) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (abandon_tx, abandon) = watch::channel(false);
    let job = Arc::new(Job {
        client: runner.client.clone(),
        name: runner.name.clone(),
        options: runner.options.clone(),
        monitor: runner.monitor.clone(),
        abandon,
        shutdown_deadline: runner.shutdown_deadline,
        metrics: runner
            .client
            .metrics()
            .consumer(&runner.name, None, &runner.monitor),
    });
    let monitor = runner.monitor.clone();
    let concurrency = runner.options.concurrency;
    let slots = Arc::new(Semaphore::new(concurrency));
    let mut stopped = std::pin::pin!(stopped);
    loop {
        let permit = tokio::select! {
            biased;
            () = &mut stopped => break,
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let message = tokio::select! {
            biased;
            () = &mut stopped => break,
            message = runner.subscription.next() => match message {
                Some(message) => message,
                None => break,
            },
        };
        let counters = monitor.clone();
        counters
            .counters()
            .in_flight
            .fetch_add(1, Ordering::Relaxed);
        let task = handle(job.clone(), message);
        tokio::spawn(async move {
            task.await;
            counters
                .counters()
                .in_flight
                .fetch_sub(1, Ordering::Relaxed);
            drop(permit);
        });
    }
    let stopped_at = Instant::now();
    monitor.set_stopping();
    // No more messages: what is in flight finishes (or is abandoned).
    drop(runner.subscription);
    let all = u32::try_from(concurrency).unwrap_or(u32::MAX);
    let drained = slots.acquire_many(all);
    match runner.shutdown_deadline {
        None => drop(drained.await),
        Some(deadline) => {
            let left = deadline.saturating_sub(stopped_at.elapsed());
            if tokio::time::timeout(left, drained).await.is_err() {
                let _ = abandon_tx.send(true);
                drop(slots.acquire_many(all).await);
            }
        }
    }
    if let Err(err) = runner.client.flush().await {
        tracing::warn!(name = %runner.name, error = %err, "could not flush the last replies");
    }
    monitor.set_finished();
    Ok(monitor.stats())
}

/// Runs a core-NATS handler.
pub(crate) async fn run_core<T, H, F, R, S>(
    runner: Runner,
    handler: H,
    state: S,
    stopped: impl Future<Output = ()> + Send,
) -> Result<ConsumerStats, Error>
where
    T: DeserializeOwned + Send + 'static,
    H: Fn(Event<T>, Context, S) -> F + Send + Sync + 'static,
    F: Future<Output = R> + Send + 'static,
    R: IntoOutcome + Send + 'static,
    S: Clone + Send + Sync + 'static,
{
    let handler = Arc::new(handler);
    serve_loop(runner, stopped, move |job, message| {
        let handler = handler.clone();
        let state = state.clone();
        let span = job
            .client
            .receive_span(&job.name, "process", &message, None);
        async move {
            let event = match job.decode::<T>(&message) {
                Ok(event) => event,
                Err(error) => return job.report(error, &message),
            };
            let id = event.id().to_owned();
            let context = Context::core(&message);
            let failure = match job.run(guarded(|| handler(event, context, state))).await {
                Some(Ok(output)) => match output.into_outcome() {
                    Ok(_) => {
                        Counters::bump(&job.counters().acked);
                        return;
                    }
                    Err(source) => job.failed(&id, source),
                },
                Some(Err(panic)) => job.panicked(&id, panic),
                None => job.abandoned(&id),
            };
            tracing::warn!(name = %job.name, id, error = %error_chain(&failure), "handler failed");
            job.report(failure, &message);
        }
        .instrument(span)
    })
    .await
}

/// Runs a request handler.
pub(crate) async fn run_requests<Q, R, H, F, E, S>(
    runner: Runner,
    handler: H,
    state: S,
    stopped: impl Future<Output = ()> + Send,
) -> Result<ConsumerStats, Error>
where
    Q: DeserializeOwned + Send + 'static,
    R: EventType + Send + 'static,
    E: Into<BoxError> + Send + 'static,
    H: Fn(Event<Q>, Context, S) -> F + Send + Sync + 'static,
    F: Future<Output = Result<R, E>> + Send + 'static,
    S: Clone + Send + Sync + 'static,
{
    let handler = Arc::new(handler);
    serve_loop(runner, stopped, move |job, message| {
        let handler = handler.clone();
        let state = state.clone();
        let span = job
            .client
            .receive_span(&job.name, "process", &message, None);
        async move {
            let reply_to = message.reply.clone();
            let reply_to = reply_to.as_deref();
            if reply_to.is_none() {
                tracing::warn!(name = %job.name, subject = %message.subject,
                    "a request without a reply subject: it is handled, but nothing can answer it");
            }
            let event = match job.decode::<Q>(&message) {
                Ok(event) => event,
                Err(error) => {
                    job.reply_error(reply_to, 400, &error).await;
                    return job.report(error, &message);
                }
            };
            let id = event.id().to_owned();
            let context = Context::core(&message);
            let (code, failure) = match job.run(guarded(|| handler(event, context, state))).await {
                Some(Ok(Ok(reply))) => {
                    // A child of this receive span, as the conventions have it.
                    let send = job.client.send_span(TEMPORARY);
                    let prepared = job.client.send_drift::<R>().and_then(|drift| {
                        crate::drift::noted(
                            job.client
                                .prepare_traced(&send, R::NAME, reply, PublishOptions::new()),
                            drift,
                        )
                    });
                    match prepared {
                        Ok((_, mut answer)) => {
                            let Some(reply_to) = reply_to else {
                                Counters::bump(&job.counters().acked);
                                return;
                            };
                            answer.subject = reply_to.to_owned();
                            let sent = job
                                .client
                                .transport()
                                .publish_core(answer)
                                .instrument(send.clone())
                                .await;
                            match telemetry::recorded(&send, sent) {
                                Ok(()) => {
                                    Counters::bump(&job.counters().acked);
                                    Counters::bump(&job.counters().replied);
                                    return;
                                }
                                Err(error) => (None, error),
                            }
                        }
                        // The handler's reply breaks its schema.
                        Err(error) => (Some(500), error),
                    }
                }
                Some(Ok(Err(source))) => (Some(500), job.failed(&id, source.into())),
                Some(Err(panic)) => (Some(500), job.panicked(&id, panic)),
                None => (Some(503), job.abandoned(&id)),
            };
            tracing::warn!(name = %job.name, id, error = %error_chain(&failure), "request failed");
            if let Some(code) = code {
                job.reply_error(reply_to, code, &failure).await;
            }
            job.report(failure, &message);
        }
        .instrument(span)
    })
    .await
}
