//! The sandbox's implementation of the transport seam.

use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::world::{InFlight, SettlementKind, Shared, Stored, StreamState, Sub};
use crate::error::Error;
use crate::publish::PublishAck;
use crate::transport::{
    AckKind, Acker, BoxFuture, Delivery, Incoming, Outgoing, PendingAck, Presence, PullConsumer,
    PullEvent, PullLedger, PullSession, Subscription, Transport,
};

/// How long one sandbox pull waits for messages, like a server's expiry.
const PULL_EXPIRES: Duration = Duration::from_millis(200);

pub(crate) struct SandboxTransport {
    pub(crate) shared: Arc<Shared>,
}

impl SandboxTransport {
    /// Stores a JetStream publish; the same logic as a server's.
    pub(crate) fn store(&self, message: Outgoing) -> Result<PublishAck, Error> {
        let mut world = self.shared.lock();
        let streams = world.streams_for(&message.subject);
        let [index] = streams[..] else {
            return Err(Error::StreamNotFound {
                subject: message.subject,
            });
        };
        let id =
            crate::received::header(&message.headers, crate::client::publishing::MSG_ID_HEADER)
                .map(str::to_owned);
        let stream: &mut StreamState = &mut world.streams[index];
        if let Some(sequence) = id.as_ref().and_then(|id| stream.ids.get(id)) {
            return Ok(PublishAck {
                stream: stream.name.clone(),
                sequence: *sequence,
                duplicate: true,
            });
        }
        let sequence = stream.messages.last().map_or(1, |m| m.sequence + 1);
        let stored = Stored {
            sequence,
            subject: message.subject.clone(),
            headers: message.headers.clone(),
            payload: message.payload.clone(),
        };
        stream.messages.push(stored.clone());
        if let Some(id) = id {
            stream.ids.insert(id, sequence);
        }
        let name = stream.name.clone();
        world.record_published(stored);
        world.fan_out(&Incoming {
            subject: message.subject,
            reply: None,
            headers: message.headers,
            payload: message.payload,
        });
        drop(world);
        self.shared.changed.notify_waiters();
        Ok(PublishAck {
            stream: name,
            sequence,
            duplicate: false,
        })
    }
}

impl Transport for SandboxTransport {
    fn publish(&self, message: Outgoing) -> BoxFuture<'_, Result<PendingAck, Error>> {
        let result = self.store(message);
        async move {
            let ack: PendingAck = Box::pin(async move { result });
            Ok(ack)
        }
        .boxed()
    }

    fn publish_core(&self, message: Outgoing) -> BoxFuture<'_, Result<(), Error>> {
        let mut world = self.shared.lock();
        world.record_published(Stored {
            sequence: 0,
            subject: message.subject.clone(),
            headers: message.headers.clone(),
            payload: message.payload.clone(),
        });
        world.fan_out(&Incoming {
            subject: message.subject,
            reply: None,
            headers: message.headers,
            payload: message.payload,
        });
        drop(world);
        self.shared.changed.notify_waiters();
        async { Ok(()) }.boxed()
    }

    fn request(
        &self,
        message: Outgoing,
        timeout: Duration,
    ) -> BoxFuture<'_, Result<Incoming, Error>> {
        async move {
            let (tx, rx) = oneshot::channel();
            let subject = message.subject.clone();
            let responders = {
                let mut world = self.shared.lock();
                world.next_inbox += 1;
                let inbox = format!("_INBOX.sandbox.{}", world.next_inbox);
                world.inboxes.insert(inbox.clone(), tx);
                world.record_published(Stored {
                    sequence: 0,
                    subject: message.subject.clone(),
                    headers: message.headers.clone(),
                    payload: message.payload.clone(),
                });
                let responders = world.fan_out(&Incoming {
                    subject: message.subject,
                    reply: Some(inbox.clone()),
                    headers: message.headers,
                    payload: message.payload,
                });
                if responders == 0 {
                    world.inboxes.remove(&inbox);
                }
                responders
            };
            if responders == 0 {
                return Err(Error::NoResponders {
                    name: subject.clone(),
                    subject,
                });
            }
            match tokio::time::timeout(timeout, rx).await {
                Ok(Ok(reply)) => Ok(reply),
                _ => Err(Error::Timeout {
                    name: subject.clone(),
                    subject,
                    timeout,
                }),
            }
        }
        .boxed()
    }

    fn subscribe(
        &self,
        subject: String,
        queue_group: Option<String>,
    ) -> BoxFuture<'_, Result<Box<dyn Subscription>, Error>> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.shared.lock().subs.push(Sub {
            pattern: subject,
            queue_group,
            tx,
        });
        async move { Ok(Box::new(SandboxSubscription(rx)) as Box<dyn Subscription>) }.boxed()
    }

    fn stream_for_subject(&self, subject: String) -> BoxFuture<'_, Result<String, Error>> {
        let world = self.shared.lock();
        let result = match world.streams_for(&subject)[..] {
            [index] => Ok(world.streams[index].name.clone()),
            _ => Err(Error::StreamNotFound { subject }),
        };
        async move { result }.boxed()
    }

    fn bind(
        &self,
        stream: String,
        consumer: String,
    ) -> BoxFuture<'_, Result<Box<dyn PullConsumer>, Error>> {
        let world = self.shared.lock();
        let result = match world.consumer_index(&stream, &consumer) {
            Some(index) => Ok(Box::new(SandboxConsumer {
                shared: self.shared.clone(),
                index,
                ack_wait: world.consumers[index].ack_wait,
                filters: vec![world.consumers[index].filter.clone()],
            }) as Box<dyn PullConsumer>),
            None => Err(Error::ConsumerNotFound {
                name: consumer,
                stream,
            }),
        };
        async move { result }.boxed()
    }

    fn flush(&self) -> BoxFuture<'_, Result<(), Error>> {
        async { Ok(()) }.boxed()
    }

    fn server_url(&self) -> std::sync::Arc<str> {
        std::sync::Arc::from("sandbox://in-memory")
    }
}

struct SandboxSubscription(mpsc::UnboundedReceiver<Incoming>);

impl Subscription for SandboxSubscription {
    fn next(&mut self) -> BoxFuture<'_, Option<Incoming>> {
        self.0.recv().boxed()
    }
}

struct SandboxConsumer {
    shared: Arc<Shared>,
    index: usize,
    ack_wait: Duration,
    filters: Vec<String>,
}

impl PullConsumer for SandboxConsumer {
    fn open(&self) -> BoxFuture<'_, Result<Box<dyn PullSession>, Error>> {
        let session = SandboxSession {
            shared: self.shared.clone(),
            index: self.index,
            ledger: PullLedger::default(),
        };
        async move { Ok(Box::new(session) as Box<dyn PullSession>) }.boxed()
    }

    fn ack_wait(&self) -> Duration {
        self.ack_wait
    }

    fn max_deliver(&self) -> Option<u64> {
        None
    }

    fn filter_subjects(&self) -> &[String] {
        &self.filters
    }

    fn presence(&self) -> BoxFuture<'_, Result<Presence, Error>> {
        // Sandbox consumers live as long as the sandbox.
        async { Ok(Presence::Present) }.boxed()
    }
}

/// Pulls of one sandbox consumer, served oldest first.
struct SandboxSession {
    shared: Arc<Shared>,
    index: usize,
    /// Open pulls, each with when it expires.
    ledger: PullLedger,
}

impl PullSession for SandboxSession {
    fn pull(&mut self, max: usize, _max_bytes: usize) -> BoxFuture<'_, Result<(), Error>> {
        self.ledger.asked(max, Instant::now() + PULL_EXPIRES);
        async { Ok(()) }.boxed()
    }

    fn open_pulls(&self) -> usize {
        self.ledger.open()
    }

    fn close(&mut self) -> BoxFuture<'_, Vec<Delivery>> {
        // Messages are taken from the sandbox only when asked for: nothing
        // is on its way.
        self.ledger.release_all();
        async { Vec::new() }.boxed()
    }

    fn next(&mut self) -> BoxFuture<'_, Option<PullEvent>> {
        async move {
            loop {
                let Some(expires) = self.ledger.oldest_deadline() else {
                    // Nothing asked for: nothing will come until a pull.
                    return std::future::pending().await;
                };
                let notified = self.shared.changed.notified();
                let mut notified = std::pin::pin!(notified);
                notified.as_mut().enable();
                let now = Instant::now();
                if now >= expires {
                    return Some(PullEvent::Released {
                        count: self.ledger.end_oldest(),
                        problem: None,
                    });
                }
                let wake = {
                    let mut world = self.shared.lock();
                    let wake = world.expire(self.index, now);
                    if let Some((message, delivered)) = world.take(self.index, now) {
                        self.ledger.arrived();
                        return Some(PullEvent::Message(Delivery {
                            message: Incoming {
                                subject: message.subject,
                                reply: None,
                                headers: message.headers,
                                payload: message.payload,
                            },
                            delivered,
                            stream_sequence: message.sequence,
                            acker: Arc::new(SandboxAcker {
                                shared: self.shared.clone(),
                                index: self.index,
                                sequence: message.sequence,
                            }),
                        }));
                    }
                    wake
                };
                let until = wake.map_or(expires, |w| w.min(expires));
                tokio::select! {
                    () = &mut notified => {}
                    () = tokio::time::sleep_until(until) => {}
                }
            }
        }
        .boxed()
    }
}

struct SandboxAcker {
    shared: Arc<Shared>,
    index: usize,
    sequence: u64,
}

impl Acker for SandboxAcker {
    fn ack(&self, kind: AckKind) -> BoxFuture<'_, Result<(), Error>> {
        {
            let now = Instant::now();
            let mut world = self.shared.lock();
            let state = &mut world.consumers[self.index];
            if let Some(flight) = state.in_flight.remove(&self.sequence) {
                let delivered = flight.delivered;
                match kind {
                    AckKind::Progress => {
                        state.in_flight.insert(
                            self.sequence,
                            InFlight {
                                delivered,
                                deadline: now + state.ack_wait,
                            },
                        );
                    }
                    AckKind::Ack => {
                        world.settle(self.index, self.sequence, delivered, SettlementKind::Acked);
                    }
                    AckKind::Term => {
                        world.settle(self.index, self.sequence, delivered, SettlementKind::Termed);
                    }
                    AckKind::Nak(delay) => {
                        world.settle(self.index, self.sequence, delivered, SettlementKind::Naked);
                        let at = now + delay.unwrap_or_default();
                        world.requeue(self.index, self.sequence, delivered, at);
                    }
                }
            }
        }
        self.shared.changed.notify_waiters();
        async { Ok(()) }.boxed()
    }
}
