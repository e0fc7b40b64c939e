//! [`ConsumerStats`]: what a handler did, counted as it runs.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::transport::AckKind;

/// Counts of what a handler did, returned when it stops and read live
/// through its [`Monitor`](crate::serve::Monitor).
///
/// On core NATS and for request handlers nothing is acknowledged: `acked`
/// counts messages handled successfully and `termed` those rejected as
/// invalid.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConsumerStats {
    /// Messages acknowledged (handled).
    pub acked: u64,
    /// Messages naked (handler error, panic, explicit nak, or shutdown).
    pub naked: u64,
    /// Messages terminated (invalid, or the handler said so).
    pub termed: u64,
    /// Messages rejected as invalid: undecodable, invalid by their schema,
    /// of another type, or not fitting the Rust type.
    pub invalid: u64,
    /// Handler errors returned.
    pub failed: u64,
    /// Panics caught, in handlers and in `on_invalid` hooks.
    pub panics: u64,
    /// Handlers abandoned at the shutdown deadline (their messages naked).
    pub abandoned: u64,
    /// Replies sent by a request handler.
    pub replied: u64,
    /// Error replies sent by a request handler (invalid request, invalid
    /// reply, handler error, panic).
    pub error_replies: u64,
    /// Messages published to the dead-letter stream (then terminated, so
    /// also counted in `termed`).
    pub dead_lettered: u64,
}

#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) acked: AtomicU64,
    pub(crate) naked: AtomicU64,
    pub(crate) termed: AtomicU64,
    pub(crate) invalid: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) panics: AtomicU64,
    pub(crate) abandoned: AtomicU64,
    pub(crate) replied: AtomicU64,
    pub(crate) error_replies: AtomicU64,
    pub(crate) dead_lettered: AtomicU64,
    pub(crate) in_flight: AtomicUsize,
    /// A pull consumer's pull requests open now.
    pub(crate) pulls: AtomicUsize,
    /// Messages a pull consumer asked for that have not arrived yet.
    pub(crate) requested: AtomicUsize,
}

impl Counters {
    /// Counts a message settled with `kind`; in-progress settles nothing.
    pub(crate) fn count(&self, kind: AckKind) {
        let counter = match kind {
            AckKind::Ack => &self.acked,
            AckKind::Nak(_) => &self.naked,
            AckKind::Term => &self.termed,
            AckKind::Progress => return,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds one to `counter`.
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> ConsumerStats {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        ConsumerStats {
            acked: load(&self.acked),
            naked: load(&self.naked),
            termed: load(&self.termed),
            invalid: load(&self.invalid),
            failed: load(&self.failed),
            panics: load(&self.panics),
            abandoned: load(&self.abandoned),
            replied: load(&self.replied),
            error_replies: load(&self.error_replies),
            dead_lettered: load(&self.dead_lettered),
        }
    }
}
