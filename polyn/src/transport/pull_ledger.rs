//! [`PullLedger`]: what a consumer's open pulls still count for.

use std::collections::VecDeque;

use tokio::time::Instant;

/// The open pulls of one session, oldest first, each with its deadline and
/// the messages it still counts for.
///
/// Which pull a delivered message answers is not on the wire, so a message
/// is counted against the oldest open pull; what matters is the total,
/// which is always the sum over the open pulls (a message counted against
/// an older pull that in fact answered a younger one is made up when the
/// younger one ends). No pull is open exactly when nothing is outstanding.
#[derive(Debug, Default)]
pub(crate) struct PullLedger {
    pulls: VecDeque<(Instant, usize)>,
    outstanding: usize,
}

impl PullLedger {
    /// A pull for `count` messages (at least one) was sent; it ends by
    /// `deadline`.
    pub(crate) fn asked(&mut self, count: usize, deadline: Instant) {
        let count = count.max(1);
        self.pulls.push_back((deadline, count));
        self.outstanding += count;
    }

    /// A message arrived. `false` when no pull counted for it (a pull
    /// released as lost delivered after all).
    pub(crate) fn arrived(&mut self) -> bool {
        let Some(oldest) = self.pulls.front_mut() else {
            return false;
        };
        oldest.1 -= 1;
        self.outstanding -= 1;
        if oldest.1 == 0 {
            self.pulls.pop_front();
        }
        true
    }

    /// The oldest pull ended (it expired or the server ended it): returns
    /// how many messages it still counted for, which will not come.
    pub(crate) fn end_oldest(&mut self) -> usize {
        let count = self.pulls.pop_front().map_or(0, |(_, remaining)| remaining);
        self.outstanding -= count;
        count
    }

    /// Every open pull is given up: returns what they counted for.
    pub(crate) fn release_all(&mut self) -> usize {
        self.pulls.clear();
        std::mem::take(&mut self.outstanding)
    }

    /// How many pulls are open.
    pub(crate) fn open(&self) -> usize {
        self.pulls.len()
    }

    /// The deadline of the oldest open pull.
    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn oldest_deadline(&self) -> Option<Instant> {
        self.pulls.front().map(|(deadline, _)| *deadline)
    }

    /// The deadline of the newest open pull (pulls are sent in order, so
    /// the last to pass).
    pub(crate) fn newest_deadline(&self) -> Option<Instant> {
        self.pulls.back().map(|(deadline, _)| *deadline)
    }

    /// Messages asked for that have neither arrived nor been released.
    #[cfg(test)]
    fn outstanding(&self) -> usize {
        self.outstanding
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn sum(ledger: &PullLedger) -> usize {
        ledger.pulls.iter().map(|(_, remaining)| remaining).sum()
    }

    #[test]
    fn counts_messages_against_the_oldest_pull() {
        let now = Instant::now();
        let mut ledger = PullLedger::default();
        ledger.asked(2, now);
        ledger.asked(3, now + Duration::from_secs(1));
        assert_eq!((ledger.open(), ledger.outstanding()), (2, 5));
        assert!(ledger.arrived());
        assert!(ledger.arrived());
        // The first pull is complete by count, so only the second is open.
        assert_eq!((ledger.open(), ledger.outstanding()), (1, 3));
        assert_eq!(ledger.oldest_deadline(), Some(now + Duration::from_secs(1)));
        assert_eq!(ledger.newest_deadline(), ledger.oldest_deadline());
        assert_eq!(ledger.end_oldest(), 3);
        assert_eq!((ledger.open(), ledger.outstanding()), (0, 0));
        assert!(!ledger.arrived(), "a message no pull counts for");
        assert_eq!(ledger.outstanding(), 0);
        assert_eq!(ledger.end_oldest(), 0);
    }

    #[test]
    fn outstanding_is_always_the_sum_over_open_pulls() {
        let now = Instant::now();
        let mut ledger = PullLedger::default();
        // A fixed interleaving of asks, arrivals, ends and releases.
        for step in 0..200u32 {
            match step % 7 {
                0 | 3 => ledger.asked((step % 5) as usize, now),
                1 | 2 | 4 | 5 => {
                    ledger.arrived();
                }
                _ if step % 21 == 6 => {
                    ledger.release_all();
                }
                _ => {
                    ledger.end_oldest();
                }
            }
            assert_eq!(ledger.outstanding(), sum(&ledger), "step {step}");
            assert_eq!(ledger.open() == 0, ledger.outstanding() == 0, "step {step}");
        }
    }

    #[test]
    fn release_all_gives_back_everything() {
        let now = Instant::now();
        let mut ledger = PullLedger::default();
        ledger.asked(0, now);
        ledger.asked(4, now);
        assert_eq!(ledger.release_all(), 5, "a pull asks for at least one");
        assert_eq!((ledger.open(), ledger.outstanding()), (0, 0));
    }
}
