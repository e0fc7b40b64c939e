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
use crate::guard::{error_chain, guarded};
use crate::invalid_message::report;
use crate::transport::{AckKind, Acker, Delivery};
use crate::{Error, Event, IntoOutcome, InvalidMessage, Outcome};

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
            // it cannot help, so it is terminated and reported once.
            let kind = AckKind::Term;
            tracing::error!(name = %shared.name, subject = %message.subject, stream_sequence,
                error = %error_chain(&error), "terminated an invalid message");
            Counters::bump(&counters.invalid);
            match acker.ack(kind).await {
                Ok(()) => counters.count(kind),
                Err(err) => tracing::warn!(error = %err, "could not terminate a message"),
            }
            let invalid = InvalidMessage {
                error,
                subject: message.subject,
                stream_sequence,
                payload: message.payload,
            };
            report(&shared.options, &shared.monitor, &invalid);
            return;
        }
    };
    let id = event.id().to_owned();
    let context = Context {
        subject: message.subject.clone(),
        headers: message.headers.into(),
        delivered,
        stream_sequence,
        reply_to: None,
        acker: Some(acker.clone()),
    };
    let handled = guarded(|| (shared.handler)(event, context));
    let progress = shared.options.keep_alive.then_some(shared.ack_wait);
    let failure = match with_progress(handled, &acker, progress, &shared.abandon).await {
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
                Error::Handler {
                    name: shared.name.clone(),
                    id: id.clone(),
                    source,
                }
            }
        },
        Some(Err(message)) => {
            Counters::bump(&counters.panics);
            Error::HandlerPanicked {
                name: shared.name.clone(),
                id: id.clone(),
                message,
            }
        }
        None => {
            Counters::bump(&counters.abandoned);
            let error = Error::Abandoned {
                name: shared.name.clone(),
                id: id.clone(),
                deadline: shared.shutdown_deadline.unwrap_or_default(),
            };
            tracing::error!(name = %shared.name, id, error = %error, "abandoned a handler");
            settle(&acker, AckKind::Nak(None), counters, &id).await;
            report_failure(
                shared,
                error,
                message.subject,
                stream_sequence,
                message.payload,
            );
            return;
        }
    };
    let delay = backoff_for(delivered, shared.options.backoff);
    tracing::warn!(name = %shared.name, id, delivered, error = %error_chain(&failure), ?delay,
        "handler failed; the message will be redelivered");
    settle(&acker, AckKind::Nak(Some(delay)), counters, &id).await;
    report_failure(
        shared,
        failure,
        message.subject,
        stream_sequence,
        message.payload,
    );
}

fn report_failure<T, H>(
    shared: &Shared<T, H>,
    error: Error,
    subject: String,
    stream_sequence: u64,
    payload: bytes::Bytes,
) {
    let invalid = InvalidMessage {
        error,
        subject,
        stream_sequence,
        payload,
    };
    report(&shared.options, &shared.monitor, &invalid);
}

async fn settle(acker: &Arc<dyn Acker>, kind: AckKind, counters: &Counters, id: &str) {
    match acker.ack(kind).await {
        Ok(()) => counters.count(kind),
        Err(err) => tracing::warn!(id, error = %err, "could not acknowledge a message"),
    }
}

/// Runs a handler, telling the server it is in progress every half
/// `ack_wait` (when keep-alive is on) so a long handler does not cause a
/// redelivery. `None` when it was abandoned at the shutdown deadline.
async fn with_progress<O>(
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
