//! Handling one delivered message: decode and validate it, call the
//! handler (catching panics, signalling progress), and acknowledge what it
//! decided.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::FutureExt;
use serde::de::DeserializeOwned;
use tokio::sync::{OwnedSemaphorePermit, watch};
use tracing::Instrument;

use super::{Context, Counters, Shared};
use crate::dead_letter::DeadLetter;
use crate::dead_letter::DeadLetterReason;
use crate::error::Error;
use crate::event::Event;
use crate::guard::{error_chain, error_lines, guarded};
use crate::invalid_message::Action;
use crate::invalid_message::InvalidMessage;
use crate::invalid_message::report;
use crate::outcome::IntoOutcome;
use crate::outcome::Outcome;
use crate::transport::{AckKind, Acker, Delivery};

/// Handles one message, holding its slot: on the consumer's task when the
/// handler finishes at its first poll (no task to schedule), otherwise the
/// rest runs as a task of its own, so slow handlers overlap.
pub(super) fn spawn_handler<T, H, F, R>(
    shared: &Arc<Shared<T, H>>,
    delivery: Delivery,
    permit: (OwnedSemaphorePermit, OwnedSemaphorePermit),
) where
    T: DeserializeOwned + Send + 'static,
    H: Fn(Event<T>, Context) -> F + Send + Sync + 'static,
    F: Future<Output = R> + Send + 'static,
    R: IntoOutcome + Send + 'static,
{
    let shared = shared.clone();
    let pulled = (
        &*shared.consumer,
        delivery.stream_sequence,
        delivery.delivered,
    );
    let span = shared
        .client
        .receive_span(&shared.name, "process", &delivery.message, Some(pulled));
    shared
        .monitor
        .counters()
        .in_flight
        .fetch_add(1, Ordering::Relaxed);
    let mut task = Box::pin(
        async move {
            process(&shared, delivery).await;
            shared
                .monitor
                .counters()
                .in_flight
                .fetch_sub(1, Ordering::Relaxed);
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

/// [`backoff_for`] with "equal jitter": a delay drawn between half and all
/// of it, so messages that failed together do not come back together.
fn jittered(delay: Duration, random: u64) -> Duration {
    let half = delay / 2;
    let spread = u64::try_from((delay - half).as_nanos()).unwrap_or(u64::MAX);
    half + Duration::from_nanos(random.checked_rem(spread.saturating_add(1)).unwrap_or(0))
}

/// A random number for the jitter (the UUID generator's fast RNG).
fn random() -> u64 {
    let bits = uuid::Uuid::new_v4().as_u128();
    (bits as u64) ^ ((bits >> 64) as u64)
}

/// What went wrong with a message.
pub(super) enum Failure {
    /// It is not a valid event of the handler's type.
    Invalid(Error),
    /// Its handler returned an error or panicked.
    Handler { error: Error, permanent: bool },
}

impl Failure {
    fn error(&self) -> &Error {
        match self {
            Failure::Invalid(error) | Failure::Handler { error, .. } => error,
        }
    }

    fn into_error(self) -> Error {
        match self {
            Failure::Invalid(error) | Failure::Handler { error, .. } => error,
        }
    }

    /// Why the runtime gives up on the message at this delivery, or `None`
    /// when it retries.
    fn give_up(&self, last_delivery: bool) -> Option<DeadLetterReason> {
        match self {
            Failure::Invalid(_) => Some(DeadLetterReason::Invalid),
            Failure::Handler {
                permanent: true, ..
            } => Some(DeadLetterReason::Permanent),
            Failure::Handler { .. } => last_delivery.then_some(DeadLetterReason::Exhausted),
        }
    }
}

/// Retries a failed message (a delayed NAK), or gives up on it:
/// dead-letters it when the consumer has a dead-letter stream, then
/// terminates it. A dead letter that cannot be published leaves the
/// message to be redelivered, unless this was its last delivery. Reports
/// what was done.
pub(super) async fn retry_or_give_up<T, H>(
    shared: &Shared<T, H>,
    (subject, payload): (String, bytes::Bytes),
    (delivered, stream_sequence): (u64, u64),
    acker: &Arc<dyn Acker>,
    failure: Failure,
) {
    let counters = shared.monitor.counters();
    let last = shared.max_deliver.is_some_and(|max| delivered >= max);
    let retry = || jittered(backoff_for(delivered, shared.options.backoff), random());
    let chain = error_chain(failure.error());
    let (name, consumer) = (&shared.name, &shared.consumer);
    let action = match failure.give_up(last) {
        None => {
            let delay = retry();
            tracing::warn!(%name, %consumer, stream_sequence, delivered, error = %chain, ?delay,
                "handler failed; the message will be redelivered");
            settle(acker, AckKind::Nak(Some(delay)), counters, "").await;
            Action::Retried { delay: Some(delay) }
        }
        Some(reason) => match &shared.dead_letters {
            None => {
                tracing::error!(%name, %consumer, stream_sequence, delivered, ?reason,
                    error = %chain, "terminated a message (no dead-letter stream)");
                settle(acker, AckKind::Term, counters, "").await;
                Action::Terminated
            }
            Some(stream) => {
                let mut letter = DeadLetter::new(&payload, reason);
                letter.error = failure.error().to_string();
                letter.error_chain = error_lines(failure.error());
                letter.consumer = consumer.clone();
                letter.stream = shared.stream.clone();
                letter.stream_sequence = stream_sequence;
                letter.subject = subject.clone();
                letter.delivered = delivered;
                match shared.client.publish_dead_letter(&letter).await {
                    Ok(ack) => {
                        Counters::bump(&counters.dead_lettered);
                        tracing::warn!(%name, %consumer, stream_sequence, delivered, ?reason,
                            error = %chain, dead_letter_stream = %ack.stream,
                            dead_letter_sequence = ack.sequence, "dead-lettered a message");
                        settle(acker, AckKind::Term, counters, "").await;
                        Action::DeadLettered {
                            stream: ack.stream,
                            sequence: ack.sequence,
                        }
                    }
                    Err(err) if !last => {
                        let delay = retry();
                        tracing::error!(%name, %consumer, stream_sequence,
                            dead_letter_stream = %stream, error = %err, ?delay,
                            "could not dead-letter a message; it will be redelivered");
                        settle(acker, AckKind::Nak(Some(delay)), counters, "").await;
                        Action::Retried { delay: Some(delay) }
                    }
                    Err(err) => {
                        tracing::error!(%name, %consumer, stream_sequence,
                            dead_letter_stream = %stream, error = %err,
                            "could not dead-letter the last delivery of a message; terminated it");
                        settle(acker, AckKind::Term, counters, "").await;
                        Action::Terminated
                    }
                }
            }
        },
    };
    let invalid = InvalidMessage {
        error: failure.into_error(),
        subject,
        stream_sequence,
        delivered,
        action,
        payload,
    };
    report(&shared.options, &shared.monitor, &invalid);
}

async fn process<T, H, F, R>(shared: &Shared<T, H>, delivery: Delivery)
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
    let counters = shared.monitor.counters();
    let event = match shared
        .client
        .decode_typed::<T>(&message.payload, Some(&shared.name))
    {
        Ok(event) => event,
        Err(error) => {
            // Invalid, of another type, or not fitting `T`: redelivering
            // it cannot help, so it is dead-lettered (or terminated) and
            // reported once.
            Counters::bump(&counters.invalid);
            let position = (delivered, stream_sequence);
            let message = (message.subject, message.payload);
            retry_or_give_up(shared, message, position, &acker, Failure::Invalid(error)).await;
            return;
        }
    };
    let id = event.id().to_owned();
    crate::client::spans::record_message_id(&tracing::Span::current(), &id);
    let context = Context {
        subject: message.subject.clone(),
        headers: message.headers.into(),
        delivered,
        stream_sequence,
        reply_to: None,
        acker: Some(acker.clone()),
    };
    let started = crate::metrics::start();
    let handled = guarded(|| (shared.handler)(event, context));
    let progress = shared.options.keep_alive.then_some(shared.ack_wait);
    let handled = with_progress(handled, &acker, progress, &shared.abandon).await;
    shared.metrics.processed(started);
    let failure = match handled {
        Some(Ok(outcome)) => match outcome.into_outcome() {
            Ok(outcome) => {
                let kind = match outcome {
                    Outcome::Ack => AckKind::Ack,
                    Outcome::Nak { delay } => AckKind::Nak(delay),
                    Outcome::Term => AckKind::Term,
                };
                settle(&acker, kind, counters, &id).await;
                return;
            }
            Err(source) => {
                Counters::bump(&counters.failed);
                let permanent = crate::permanent::is_permanent(&source);
                Failure::Handler {
                    error: Error::Handler {
                        name: shared.name.clone(),
                        id: id.clone(),
                        source,
                    },
                    permanent,
                }
            }
        },
        Some(Err(message)) => {
            Counters::bump(&counters.panics);
            Failure::Handler {
                error: Error::HandlerPanicked {
                    name: shared.name.clone(),
                    id: id.clone(),
                    message,
                },
                permanent: false,
            }
        }
        None => {
            Counters::bump(&counters.abandoned);
            let error = Error::Abandoned {
                name: shared.name.clone(),
                id: id.clone(),
                deadline: shared.shutdown_deadline.unwrap_or_default(),
            };
            tracing::error!(name = %shared.name, consumer = %shared.consumer, stream_sequence,
                delivered, id, error = %error, "abandoned a handler at the shutdown deadline");
            settle(&acker, AckKind::Nak(None), counters, &id).await;
            let invalid = InvalidMessage {
                error,
                subject: message.subject,
                stream_sequence,
                delivered,
                action: Action::Retried { delay: None },
                payload: message.payload,
            };
            report(&shared.options, &shared.monitor, &invalid);
            return;
        }
    };
    let position = (delivered, stream_sequence);
    let message = (message.subject, message.payload);
    retry_or_give_up(shared, message, position, &acker, failure).await;
}

pub(super) async fn settle(acker: &Arc<dyn Acker>, kind: AckKind, counters: &Counters, id: &str) {
    match acker.ack(kind).await {
        Ok(()) => counters.count(kind),
        Err(err) => tracing::warn!(id, error = %err, "could not acknowledge a message"),
    }
}

/// Runs a handler, telling the server it is in progress every half
/// `ack_wait` (when keep-alive is on) so a long handler does not cause a
/// redelivery. `None` when it was abandoned at the shutdown deadline.
pub(super) async fn with_progress<O>(
    future: impl Future<Output = O>,
    acker: &Arc<dyn Acker>,
    ack_wait: Option<Duration>,
    abandon: &watch::Receiver<bool>,
) -> Option<O> {
    let mut future = std::pin::pin!(future);
    // Most handlers finish at their first poll: no timer for them.
    if let Some(output) = (&mut future).now_or_never() {
        return Some(output);
    }
    let mut abandon = abandon.clone();
    let period = ack_wait.map(|ack_wait| (ack_wait / 2).max(Duration::from_millis(50)));
    let mut tick =
        period.map(|period| tokio::time::interval_at(tokio::time::Instant::now() + period, period));
    loop {
        tokio::select! {
            output = &mut future => return Some(output),
            () = crate::guard::signalled(&mut abandon) => return None,
            _ = async { tick.as_mut()?.tick().await; Some(()) }, if tick.is_some() => {
                if let Err(err) = acker.ack(AckKind::Progress).await {
                    tracing::warn!(error = %err, "could not signal in-progress");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_between_half_and_all_of_the_delay() {
        let delay = Duration::from_millis(800);
        for random in [0, 1, 399_999_999, 400_000_000, u64::MAX, super::random()] {
            let jittered = jittered(delay, random);
            assert!(jittered >= delay / 2 && jittered <= delay, "{jittered:?}");
        }
        assert_eq!(jittered(Duration::ZERO, 7), Duration::ZERO);
        let spread: std::collections::BTreeSet<_> =
            (0..32).map(|_| jittered(delay, super::random())).collect();
        assert!(spread.len() > 16, "the jitter does not spread: {spread:?}");
    }

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
