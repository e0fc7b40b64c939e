//! [`ConsumerStats`]: what a consumer did, counted as it runs.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::transport::AckKind;

/// Counts of what a consumer did, returned when it stops.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConsumerStats {
    /// Messages acknowledged.
    pub acked: u64,
    /// Messages naked (handler error, panic, explicit nak, or shutdown).
    pub naked: u64,
    /// Messages terminated (invalid, or the handler said so).
    pub termed: u64,
    /// Handler panics caught.
    pub panics: u64,
}

#[derive(Default)]
pub(super) struct Counters {
    pub(super) acked: AtomicU64,
    pub(super) naked: AtomicU64,
    pub(super) termed: AtomicU64,
    pub(super) panics: AtomicU64,
}

impl Counters {
    /// Counts a message settled with `kind`; in-progress settles nothing.
    pub(super) fn count(&self, kind: AckKind) {
        let counter = match kind {
            AckKind::Ack => &self.acked,
            AckKind::Nak(_) => &self.naked,
            AckKind::Term => &self.termed,
            AckKind::Progress => return,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn snapshot(&self) -> ConsumerStats {
        ConsumerStats {
            acked: self.acked.load(Ordering::Relaxed),
            naked: self.naked.load(Ordering::Relaxed),
            termed: self.termed.load(Ordering::Relaxed),
            panics: self.panics.load(Ordering::Relaxed),
        }
    }
}
