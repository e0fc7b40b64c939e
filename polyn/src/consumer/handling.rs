//! Handling one delivered message: decode and validate it, call the
//! handler (catching panics, signalling progress), and acknowledge what it
//! decided.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::FutureExt;
use serde::de::DeserializeOwned;
use tokio::sync::OwnedSemaphorePermit;
use tracing::Instrument;

use super::{Context, InvalidMessage, Shared};
use crate::transport::{AckKind, Acker, Delivery};
use crate::{Error, Event, IntoOutcome, Outcome};

/// Handles one message, holding its slot: on the consumer's task when the
/// handler finishes at its first poll (no task to schedule), otherwise the
/// rest runs as a task of its own, so slow handlers overlap.
pub(super) fn spawn_handler<T, H, F, R>(
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
            match acker.ack(kind).await {
                Ok(()) => shared.counters.count(kind),
                Err(err) => tracing::warn!(error = %err, "could not reject a message"),
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
        Ok(()) => shared.counters.count(kind),
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
