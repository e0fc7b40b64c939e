//! The in-memory state of one sandbox: streams, consumers, subscriptions
//! and the record of every acknowledgement.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{Notify, mpsc, oneshot};
use tokio::time::Instant;

use crate::naming::subject_matches;
use crate::transport::Incoming;

/// How a delivered message was settled by a consumer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SettlementKind {
    /// Acknowledged.
    Acked,
    /// Negatively acknowledged (it will be redelivered).
    Naked,
    /// Terminated (never redelivered).
    Termed,
    /// Not acknowledged in time (it will be redelivered).
    Expired,
    /// Given up on: the maximum number of deliveries was reached.
    MaxDeliveries,
}

/// One settlement of a delivered message, as recorded by a
/// [`Sandbox`](crate::testing::Sandbox).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Settlement {
    /// The event id (from `Nats-Msg-Id`), when the message had one.
    pub id: Option<String>,
    /// The subject the message was published on.
    pub subject: String,
    /// The durable consumer that settled it.
    pub consumer: String,
    /// The stream sequence.
    pub stream_sequence: u64,
    /// How many times it had been delivered.
    pub delivered: u64,
    /// What happened.
    pub kind: SettlementKind,
}

#[derive(Clone, Debug)]
pub(crate) struct Stored {
    pub(crate) sequence: u64,
    pub(crate) subject: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) payload: bytes::Bytes,
}

impl Stored {
    pub(crate) fn id(&self) -> Option<String> {
        crate::received::header(&self.headers, crate::client::publishing::MSG_ID_HEADER)
            .map(str::to_owned)
    }
}

#[derive(Debug)]
pub(crate) struct StreamState {
    pub(crate) name: String,
    pub(crate) subjects: Vec<String>,
    /// In sequence order (1, 2, 3, …): found by sequence in one step.
    pub(crate) messages: Vec<Stored>,
    pub(crate) ids: HashMap<String, u64>,
}

impl StreamState {
    /// The stored message `seq`.
    pub(crate) fn message(&self, seq: u64) -> Option<&Stored> {
        let first = self.messages.first()?.sequence;
        let index = usize::try_from(seq.checked_sub(first)?).ok()?;
        self.messages.get(index).filter(|m| m.sequence == seq)
    }
}

#[derive(Debug)]
pub(crate) struct InFlight {
    pub(crate) delivered: u64,
    pub(crate) deadline: Instant,
}

#[derive(Debug)]
pub(crate) struct ConsumerState {
    pub(crate) stream: String,
    pub(crate) name: String,
    pub(crate) filter: String,
    pub(crate) ack_wait: Duration,
    pub(crate) max_deliver: Option<u64>,
    /// Index into the stream of the next message never delivered.
    pub(crate) next_new: usize,
    /// Messages to deliver again, and from when.
    pub(crate) redeliver: Vec<(u64, Instant)>,
    pub(crate) in_flight: HashMap<u64, InFlight>,
    pub(crate) deliveries: HashMap<u64, u64>,
}

pub(crate) struct Sub {
    pub(crate) pattern: String,
    pub(crate) queue_group: Option<String>,
    pub(crate) tx: mpsc::UnboundedSender<Incoming>,
}

/// How many publishes and settlements a sandbox remembers, by default.
pub(crate) const DEFAULT_HISTORY: usize = 10_000;

pub(crate) struct World {
    pub(crate) streams: Vec<StreamState>,
    pub(crate) consumers: Vec<ConsumerState>,
    pub(crate) subs: Vec<Sub>,
    pub(crate) inboxes: HashMap<String, oneshot::Sender<Incoming>>,
    pub(crate) next_inbox: u64,
    pub(crate) round_robin: u64,
    /// The latest settlements, oldest first, at most `history` of them.
    pub(crate) settlements: VecDeque<Settlement>,
    /// The latest messages published, JetStream or core, oldest first, at
    /// most `history` of them.
    pub(crate) published: VecDeque<Stored>,
    pub(crate) history: usize,
}

impl Default for World {
    fn default() -> Self {
        World {
            streams: Vec::new(),
            consumers: Vec::new(),
            subs: Vec::new(),
            inboxes: HashMap::new(),
            next_inbox: 0,
            round_robin: 0,
            settlements: VecDeque::new(),
            published: VecDeque::new(),
            history: DEFAULT_HISTORY,
        }
    }
}

/// The shared state of one sandbox and the signal that it changed.
#[derive(Default)]
pub(crate) struct Shared {
    world: Mutex<World>,
    pub(crate) changed: Notify,
}

impl Shared {
    pub(crate) fn new(world: World) -> Arc<Self> {
        Arc::new(Shared {
            world: Mutex::new(world),
            changed: Notify::new(),
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, World> {
        // A panic while holding the lock cannot leave the world half-updated
        // in a way that matters to tests; keep going.
        self.world
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

impl World {
    /// Remembers a publish, forgetting the oldest beyond the history.
    pub(crate) fn record_published(&mut self, stored: Stored) {
        if self.published.len() >= self.history {
            self.published.pop_front();
        }
        self.published.push_back(stored);
    }

    /// Delivers a message to matching core subscriptions (one member per
    /// queue group). Returns how many received it.
    pub(crate) fn fan_out(&mut self, message: &Incoming) -> usize {
        if let Some(inbox) = self.inboxes.remove(&message.subject) {
            return usize::from(inbox.send(message.clone()).is_ok());
        }
        self.subs.retain(|sub| !sub.tx.is_closed());
        let mut delivered = 0;
        let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
        for (index, sub) in self.subs.iter().enumerate() {
            if !subject_matches(&message.subject, &sub.pattern) {
                continue;
            }
            match &sub.queue_group {
                Some(group) => groups.entry(group.as_str()).or_default().push(index),
                None => delivered += usize::from(sub.tx.send(message.clone()).is_ok()),
            }
        }
        let mut picks = Vec::new();
        for members in groups.values() {
            self.round_robin = self.round_robin.wrapping_add(1);
            let pick = members[usize::try_from(self.round_robin).unwrap_or(0) % members.len()];
            picks.push(pick);
        }
        for pick in picks {
            delivered += usize::from(self.subs[pick].tx.send(message.clone()).is_ok());
        }
        delivered
    }

    /// The streams whose subjects capture `subject`.
    pub(crate) fn streams_for(&self, subject: &str) -> Vec<usize> {
        (0..self.streams.len())
            .filter(|&i| {
                self.streams[i]
                    .subjects
                    .iter()
                    .any(|pattern| subject_matches(subject, pattern))
            })
            .collect()
    }

    pub(crate) fn consumer_index(&self, stream: &str, name: &str) -> Option<usize> {
        self.consumers
            .iter()
            .position(|c| c.stream == stream && c.name == name)
    }

    pub(crate) fn stream_index(&self, name: &str) -> Option<usize> {
        self.streams.iter().position(|s| s.name == name)
    }

    /// Moves expired in-flight messages back to redelivery (or gives up on
    /// them) and returns the earliest moment anything changes by itself.
    pub(crate) fn expire(&mut self, consumer: usize, now: Instant) -> Option<Instant> {
        let mut expired = Vec::new();
        {
            let state = &mut self.consumers[consumer];
            state.in_flight.retain(|&seq, flight| {
                if flight.deadline <= now {
                    expired.push((seq, flight.delivered));
                    false
                } else {
                    true
                }
            });
        }
        for (seq, delivered) in expired {
            self.settle(consumer, seq, delivered, SettlementKind::Expired);
            self.requeue(consumer, seq, delivered, now);
        }
        let state = &self.consumers[consumer];
        let next_redelivery = state.redeliver.iter().map(|(_, at)| *at).min();
        let next_deadline = state.in_flight.values().map(|f| f.deadline).min();
        match (next_redelivery, next_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Queues a message for redelivery at `at`, unless it reached the
    /// maximum number of deliveries.
    pub(crate) fn requeue(&mut self, consumer: usize, seq: u64, delivered: u64, at: Instant) {
        let state = &mut self.consumers[consumer];
        if state.max_deliver.is_some_and(|max| delivered >= max) {
            self.settle(consumer, seq, delivered, SettlementKind::MaxDeliveries);
        } else {
            state.redeliver.push((seq, at));
        }
    }

    pub(crate) fn settle(
        &mut self,
        consumer: usize,
        seq: u64,
        delivered: u64,
        kind: SettlementKind,
    ) {
        let state = &self.consumers[consumer];
        let message = self
            .stream_index(&state.stream)
            .and_then(|s| self.streams[s].message(seq));
        let settlement = Settlement {
            id: message.and_then(Stored::id),
            subject: message.map(|m| m.subject.clone()).unwrap_or_default(),
            consumer: state.name.clone(),
            stream_sequence: seq,
            delivered,
            kind,
        };
        if self.settlements.len() >= self.history {
            self.settlements.pop_front();
        }
        self.settlements.push_back(settlement);
    }

    /// Takes the next message for a consumer, if one is available now.
    pub(crate) fn take(&mut self, consumer: usize, now: Instant) -> Option<(Stored, u64)> {
        let stream = self.stream_index(&self.consumers[consumer].stream)?;
        let state = &mut self.consumers[consumer];
        let ready = state
            .redeliver
            .iter()
            .enumerate()
            .filter(|(_, (_, at))| *at <= now)
            .min_by_key(|(_, (seq, _))| *seq)
            .map(|(i, _)| i);
        let seq = match ready {
            Some(i) => state.redeliver.swap_remove(i).0,
            None => {
                let messages = &self.streams[stream].messages;
                let mut found = None;
                while state.next_new < messages.len() {
                    let candidate = &messages[state.next_new];
                    state.next_new += 1;
                    if subject_matches(&candidate.subject, &state.filter) {
                        found = Some(candidate.sequence);
                        break;
                    }
                }
                found?
            }
        };
        let delivered = state.deliveries.entry(seq).or_insert(0);
        *delivered += 1;
        let delivered = *delivered;
        state.in_flight.insert(
            seq,
            InFlight {
                delivered,
                deadline: now + state.ack_wait,
            },
        );
        let message = self.streams[stream].message(seq)?.clone();
        Some((message, delivered))
    }
}
