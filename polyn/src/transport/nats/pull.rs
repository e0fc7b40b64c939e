//! Pulls from a JetStream consumer over one long-lived inbox subscription.
//!
//! Every pull request of a session names the same inbox, so a pull costs
//! one small publish instead of a subscription of its own; the session
//! counts what was asked for and what arrived, and turns the server's
//! end-of-pull statuses (and pulls lost with a server restart) into
//! [`PullEvent::Released`].

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, consumer::pull::BatchConfig};
use async_nats::{StatusCode, Subject};
use futures_util::{FutureExt, StreamExt};
use tokio::time::{Instant, Sleep};

use crate::error::Error;
use crate::transport::{
    AckKind, Acker, BoxFuture, Delivery, Presence, PullConsumer, PullEvent, PullLedger, PullSession,
};

/// How long one pull request waits for messages before the server ends it.
const PULL_EXPIRES: Duration = Duration::from_secs(1);

/// How long after its expiry a pull that the server never ended (because
/// the server restarted, say) is taken as lost.
const LOST_AFTER: Duration = Duration::from_secs(2);

pub(crate) struct NatsPullConsumer {
    jetstream: jetstream::Context,
    pull: jetstream::consumer::PullConsumer,
    stream: String,
    consumer: String,
    ack_wait: Duration,
    max_deliver: Option<u64>,
    filters: Vec<String>,
}

impl NatsPullConsumer {
    pub(crate) fn new(
        jetstream: jetstream::Context,
        pull: jetstream::consumer::PullConsumer,
        stream: String,
        consumer: String,
        (ack_wait, max_deliver): (Duration, i64),
        filters: Vec<String>,
    ) -> Self {
        NatsPullConsumer {
            jetstream,
            pull,
            stream,
            consumer,
            ack_wait,
            // The server takes 0 and -1 as no limit.
            max_deliver: u64::try_from(max_deliver).ok().filter(|max| *max > 0),
            filters,
        }
    }
}

impl PullConsumer for NatsPullConsumer {
    fn open(&self) -> BoxFuture<'_, Result<Box<dyn PullSession>, Error>> {
        async move {
            let client = self.jetstream.client();
            let inbox = Subject::from(client.new_inbox());
            let subscriber = client.subscribe(inbox.clone()).await.map_err(|err| {
                Error::nats(format!("pulling from consumer `{}`", self.consumer), err)
            })?;
            Ok(Box::new(NatsPullSession {
                pull: self.pull.clone(),
                client: Arc::new(client.clone()),
                largest: client.server_info().max_payload + 64 * 1024,
                consumer: self.consumer.clone(),
                inbox,
                subscriber,
                ledger: PullLedger::default(),
                lost_timer: Box::pin(tokio::time::sleep(LOST_AFTER)),
                lost_timer_at: None,
            }) as Box<dyn PullSession>)
        }
        .boxed()
    }

    fn ack_wait(&self) -> Duration {
        self.ack_wait
    }

    fn max_deliver(&self) -> Option<u64> {
        self.max_deliver
    }

    fn filter_subjects(&self) -> &[String] {
        &self.filters
    }

    fn presence(&self) -> BoxFuture<'_, Result<Presence, Error>> {
        async move {
            use jetstream::context::ConsumerInfoErrorKind as Kind;
            let handle = match self.jetstream.get_stream_no_info(&self.stream).await {
                Ok(handle) => handle,
                Err(err) => {
                    return Err(Error::nats(
                        format!("opening stream `{}`", self.stream),
                        err,
                    ));
                }
            };
            match handle.consumer_info(&self.consumer).await {
                Ok(_) => Ok(Presence::Present),
                Err(err) => match err.kind() {
                    Kind::StreamNotFound => Ok(Presence::StreamMissing),
                    Kind::NotFound => Ok(Presence::ConsumerMissing),
                    Kind::JetStream(js)
                        if js.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND =>
                    {
                        Ok(Presence::StreamMissing)
                    }
                    Kind::JetStream(js)
                        if js.error_code() == jetstream::ErrorCode::CONSUMER_NOT_FOUND =>
                    {
                        Ok(Presence::ConsumerMissing)
                    }
                    _ => Err(Error::nats(
                        format!(
                            "checking consumer `{}` in stream `{}`",
                            self.consumer, self.stream
                        ),
                        err,
                    )),
                },
            }
        }
        .boxed()
    }
}

struct NatsPullSession {
    pull: jetstream::consumer::PullConsumer,
    /// What deliveries are acknowledged through.
    client: Arc<async_nats::Client>,
    /// The largest message the server takes, with room for its subject and
    /// headers: no pull asks for fewer bytes.
    largest: usize,
    consumer: String,
    inbox: Subject,
    subscriber: async_nats::Subscriber,
    /// Open pulls, each with when it is taken as lost.
    ledger: PullLedger,
    /// Fires when the newest pull is taken as lost; kept between calls so
    /// that waiting for a message sets no new timer.
    lost_timer: Pin<Box<Sleep>>,
    lost_timer_at: Option<Instant>,
}

impl NatsPullSession {
    /// Every pull is past its expiry and the server said nothing: release
    /// all that is outstanding.
    fn lost(&mut self) -> PullEvent {
        PullEvent::Released {
            count: self.ledger.release_all(),
            problem: Some("no answer to a pull; the server may have restarted".to_owned()),
        }
    }
}

impl PullSession for NatsPullSession {
    fn pull(&mut self, max: usize, max_bytes: usize) -> BoxFuture<'_, Result<(), Error>> {
        async move {
            // Never below the largest message the server takes (with room
            // for its subject and headers), or such a message would never
            // come.
            let largest = self.largest;
            let request = BatchConfig {
                batch: max.max(1),
                max_bytes: max_bytes.max(largest),
                expires: Some(PULL_EXPIRES),
                ..Default::default()
            };
            self.pull
                .request_batch(request, self.inbox.clone())
                .await
                .map_err(|err| {
                    Error::nats(format!("pulling from consumer `{}`", self.consumer), err)
                })?;
            self.ledger
                .asked(max, Instant::now() + PULL_EXPIRES + LOST_AFTER);
            Ok(())
        }
        .boxed()
    }

    fn open_pulls(&self) -> usize {
        self.ledger.open()
    }

    fn close(&mut self) -> BoxFuture<'_, Vec<Delivery>> {
        self.close_inbox().boxed()
    }

    fn next(&mut self) -> BoxFuture<'_, Option<PullEvent>> {
        async move {
            loop {
                // Pulls are sent in order, so the newest is the last to pass.
                let lost_at = self.ledger.newest_deadline();
                if let Some(at) = lost_at
                    && self.lost_timer_at != Some(at)
                {
                    self.lost_timer.as_mut().reset(at);
                    self.lost_timer_at = Some(at);
                }
                let message = tokio::select! {
                    message = self.subscriber.next() => message?,
                    () = self.lost_timer.as_mut(), if lost_at.is_some() => return Some(self.lost()),
                };
                match message.status {
                    None | Some(StatusCode::OK) => {
                        self.ledger.arrived();
                        match delivery(message, &self.client) {
                            Some(delivery) => return Some(PullEvent::Message(delivery)),
                            None => continue,
                        }
                    }
                    Some(StatusCode::IDLE_HEARTBEAT) => continue,
                    // Sent after the last message of a pull that asked for
                    // a byte bound: its last arrival already closed it.
                    Some(StatusCode::REQUEST_TERMINATED)
                        if message.description.as_deref() == Some("Batch Completed") =>
                    {
                        continue;
                    }
                    Some(status) => {
                        let description = message.description.unwrap_or_default();
                        // Expiry and completion are how pulls normally end.
                        let expected = status == StatusCode::TIMEOUT
                            || (status == StatusCode::REQUEST_TERMINATED
                                && matches!(
                                    description.as_str(),
                                    "Batch Completed" | "Message Size Exceeds MaxBytes"
                                ));
                        let problem = (!expected).then(|| {
                            let description = match description.as_str() {
                                "" if status == StatusCode::NO_RESPONDERS => {
                                    "no responders: the consumer or its stream may have been \
                                     deleted"
                                }
                                "" => "no description",
                                other => other,
                            };
                            format!(
                                "consumer `{}` ended a pull: {status} {description}",
                                self.consumer
                            )
                        });
                        let count = self.ledger.end_oldest();
                        return Some(PullEvent::Released { count, problem });
                    }
                }
            }
        }
        .boxed()
    }
}

impl NatsPullSession {
    /// Unsubscribes from the inbox, so the server drops the open pulls
    /// (it delivers only to a pull someone listens to), and collects what
    /// had already arrived.
    async fn close_inbox(&mut self) -> Vec<Delivery> {
        if let Err(err) = self.subscriber.unsubscribe().await {
            tracing::debug!(consumer = %self.consumer, error = %err, "unsubscribing a pull inbox");
        }
        self.ledger.release_all();
        let mut arrived = Vec::new();
        while let Some(message) = self.subscriber.next().await {
            if matches!(message.status, None | Some(StatusCode::OK))
                && let Some(delivery) = delivery(message, &self.client)
            {
                arrived.push(delivery);
            }
        }
        arrived
    }
}

/// A delivered message, acknowledged on its reply subject. `None` for a
/// message without one (not from JetStream).
///
/// The delivery count and stream sequence are read from the reply subject
/// and the acknowledgement is a publish on it through the one client, so a
/// message costs no JetStream context of its own.
fn delivery(
    mut message: async_nats::Message,
    client: &Arc<async_nats::Client>,
) -> Option<Delivery> {
    let reply = message.reply.take()?;
    let (delivered, stream_sequence) = ack_info(reply.as_str()).unwrap_or((1, 0));
    Some(Delivery {
        message: super::incoming(message),
        delivered,
        stream_sequence,
        acker: Arc::new(NatsAcker {
            client: client.clone(),
            reply,
        }),
    })
}

/// The delivery count and stream sequence in a JetStream ack subject:
/// `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.…` (9 tokens), or
/// with a domain and account hash after `$JS.ACK` (12 or more).
fn ack_info(reply: &str) -> Option<(u64, u64)> {
    let rest = reply.strip_prefix("$JS.ACK.")?;
    let at = match rest.bytes().filter(|&b| b == b'.').count() + 1 {
        7 => 2,
        n if n >= 10 => 4,
        _ => return None,
    };
    let mut tokens = rest.split('.').skip(at);
    let delivered = tokens.next()?.parse().ok()?;
    let stream_sequence = tokens.next()?.parse().ok()?;
    Some((delivered, stream_sequence))
}

struct NatsAcker {
    client: Arc<async_nats::Client>,
    reply: Subject,
}

impl Acker for NatsAcker {
    fn ack(&self, kind: AckKind) -> BoxFuture<'_, Result<(), Error>> {
        async move {
            let payload = match kind {
                AckKind::Ack => bytes::Bytes::from_static(b"+ACK"),
                AckKind::Nak(None) => bytes::Bytes::from_static(b"-NAK"),
                AckKind::Nak(Some(delay)) => {
                    bytes::Bytes::from(format!("-NAK {{\"delay\":{}}}", delay.as_nanos()))
                }
                AckKind::Term => bytes::Bytes::from_static(b"+TERM"),
                AckKind::Progress => bytes::Bytes::from_static(b"+WPI"),
            };
            self.client
                .publish(self.reply.clone(), payload)
                .await
                .map_err(|err| Error::nats("acknowledging a message", err))
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::ack_info;

    #[test]
    fn ack_subjects_give_the_delivery_count_and_stream_sequence() {
        assert_eq!(
            ack_info("$JS.ACK.ORDERS.svc_orders.3.1042.1040.1733150000000000000.7"),
            Some((3, 1042))
        );
        assert_eq!(
            ack_info("$JS.ACK.hub.ACCHASH.ORDERS.svc_orders.1.9.9.1733150000000000000.0.token"),
            Some((1, 9))
        );
        assert_eq!(ack_info("_INBOX.abc"), None);
        assert_eq!(ack_info("$JS.ACK.ORDERS.c.x.1.1.1.1"), None);
    }
}
