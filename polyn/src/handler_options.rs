//! [`HandlerOptions`]: how a handler runs, the one set of settings shared by
//! [`ConsumerBuilder`](crate::consumer::ConsumerBuilder), [`HandlerSpec`](crate::consumer::HandlerSpec)
//! and `#[polyn::handler(...)]`.

use std::sync::Arc;
use std::time::Duration;

use crate::invalid_message::InvalidMessage;

/// Default number of messages handled at once per handler.
pub const DEFAULT_CONCURRENCY: usize = 32;

/// Default number of messages a pull consumer fetches ahead of its
/// handlers, so the server always has a pull to fill.
pub const DEFAULT_PREFETCH: usize = 256;

/// Default bound on the bytes a pull consumer fetches ahead of its
/// handlers (a single message larger than the bound is still fetched).
pub const DEFAULT_PREFETCH_BYTES: usize = 16 << 20;

/// The most messages a handler handles at once; larger settings are capped.
pub const MAX_CONCURRENCY: usize = 1 << 20;

/// A hook called with every message rejected as invalid.
pub(crate) type InvalidHook = Arc<dyn Fn(&InvalidMessage) + Send + Sync>;

/// How a handler runs: the same settings whether it is a
/// [`Consumer`](crate::Consumer), a handler given to
/// [`Client::serve`](crate::Client::serve) or a `#[polyn::handler]`.
///
/// ```
/// use std::time::Duration;
/// let options = polyn::HandlerOptions::new()
///     .concurrency(8)
///     .backoff(Duration::from_millis(200), Duration::from_secs(30))
///     .on_invalid(|invalid| eprintln!("rejected #{}: {}", invalid.stream_sequence, invalid.error));
/// assert_eq!(options.concurrency_limit(), 8);
/// assert_eq!(options.backoff_range(), (Duration::from_millis(200), Duration::from_secs(30)));
/// ```
#[derive(Clone)]
#[must_use]
pub struct HandlerOptions {
    pub(crate) concurrency: usize,
    pub(crate) batch: Option<usize>,
    pub(crate) prefetch: usize,
    pub(crate) prefetch_bytes: usize,
    pub(crate) backoff: (Duration, Duration),
    pub(crate) on_invalid: Option<InvalidHook>,
    pub(crate) keep_alive: bool,
    pub(crate) allow_other_types: bool,
    pub(crate) dead_letters: bool,
}

impl Default for HandlerOptions {
    fn default() -> Self {
        HandlerOptions {
            concurrency: DEFAULT_CONCURRENCY,
            batch: None,
            prefetch: DEFAULT_PREFETCH,
            prefetch_bytes: DEFAULT_PREFETCH_BYTES,
            backoff: (Duration::from_secs(1), Duration::from_secs(60)),
            on_invalid: None,
            keep_alive: true,
            allow_other_types: false,
            dead_letters: true,
        }
    }
}

impl HandlerOptions {
    /// The defaults: [`DEFAULT_CONCURRENCY`], [`DEFAULT_PREFETCH`],
    /// backoff 1 s to 60 s, keep-alive on, other message types on the
    /// consumer's filter rejected at bind time.
    pub fn new() -> Self {
        Self::default()
    }

    /// At most this many messages are handled at once (default
    /// [`DEFAULT_CONCURRENCY`]). Between 1 and [`MAX_CONCURRENCY`].
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.clamp(1, MAX_CONCURRENCY);
        self
    }

    /// How many messages one pull asks for (default: half of the
    /// concurrency plus the prefetch, so two pulls in progress cover it).
    pub fn batch(mut self, batch: usize) -> Self {
        self.batch = Some(batch.max(1));
        self
    }

    /// How many messages a pull consumer fetches ahead of its handlers
    /// (default [`DEFAULT_PREFETCH`]): the server keeps sending while the
    /// handlers work, however few there are. Memory stays bounded by the
    /// concurrency plus the prefetch in messages, and by
    /// [`prefetch_bytes`](Self::prefetch_bytes), whatever the backlog.
    /// Fetched messages keep their ack deadline (the consumer tells the
    /// server they are in progress while they wait), and on shutdown those
    /// not started are given back at once. `0` fetches only for free
    /// handlers.
    ///
    /// ```
    /// let options = polyn::HandlerOptions::new().concurrency(1).prefetch(16);
    /// assert_eq!(options.prefetch_limit(), 16);
    /// ```
    pub fn prefetch(mut self, messages: usize) -> Self {
        self.prefetch = messages.min(MAX_CONCURRENCY);
        self
    }

    /// At most about this many bytes are fetched ahead of the handlers
    /// (default [`DEFAULT_PREFETCH_BYTES`]); a message larger than the
    /// bound still comes, alone.
    pub fn prefetch_bytes(mut self, bytes: usize) -> Self {
        self.prefetch_bytes = bytes.max(1);
        self
    }

    /// Redelivery delay after a handler error or panic: `base` doubled per
    /// delivery, at most `max` (default 1 s to 60 s), with jitter (each
    /// delay is drawn between half and all of that), asked of the server
    /// as a delayed NAK. Retries end at the consumer's `max_deliver`: the
    /// last delivery's failure dead-letters the message (see
    /// [`dead_letters`](Self::dead_letters)).
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.backoff = (base, max.max(base));
        self
    }

    /// Called for every message rejected because it is invalid, is of
    /// another type or does not fit the handler's Rust type (after it is
    /// terminated and logged). A panic in the hook is caught and logged.
    pub fn on_invalid(mut self, hook: impl Fn(&InvalidMessage) + Send + Sync + 'static) -> Self {
        self.on_invalid = Some(Arc::new(hook));
        self
    }

    /// Whether a handler that runs longer than half the consumer's
    /// `ack_wait` tells the server it is still working, every half
    /// `ack_wait`, so the message is not redelivered meanwhile (default
    /// on).
    pub fn keep_alive(mut self, keep_alive: bool) -> Self {
        self.keep_alive = keep_alive;
        self
    }

    /// Whether a pull consumer dead-letters the messages it gives up on —
    /// invalid ones, those whose handler failed on the consumer's last
    /// delivery (`max_deliver`) or with a [`permanent`](crate::permanent)
    /// error — publishing a [`DeadLetter`](crate::DeadLetter) to the
    /// dead-letter stream before terminating them (default on). It applies
    /// only when a stream captures `polyn.deadletter.v1.<consumer>` when
    /// the consumer binds (`polyn gen dead-letters` provisions
    /// [`DEAD_LETTER_STREAM`](crate::dead_letter::DEAD_LETTER_STREAM)); without one,
    /// such messages are terminated and reported.
    pub fn dead_letters(mut self, on: bool) -> Self {
        self.dead_letters = on;
        self
    }

    /// Binds even when the durable consumer's filter captures other message
    /// types than the handler's, with a warning; they are terminated and
    /// reported to `on_invalid` when they arrive. By default such a filter
    /// is an error at bind time.
    pub fn allow_other_types(mut self) -> Self {
        self.allow_other_types = true;
        self
    }

    /// The concurrency set.
    pub fn concurrency_limit(&self) -> usize {
        self.concurrency
    }

    /// The batch size set, if any (default: half of the concurrency plus
    /// the prefetch).
    pub fn batch_size(&self) -> Option<usize> {
        self.batch
    }

    /// The prefetch set, in messages.
    pub fn prefetch_limit(&self) -> usize {
        self.prefetch
    }

    /// The prefetch bound, in bytes.
    pub fn prefetch_bytes_limit(&self) -> usize {
        self.prefetch_bytes
    }

    /// The backoff range, `(base, max)`.
    pub fn backoff_range(&self) -> (Duration, Duration) {
        self.backoff
    }

    /// Whether an `on_invalid` hook is set.
    pub fn has_on_invalid(&self) -> bool {
        self.on_invalid.is_some()
    }

    /// Whether keep-alive is on.
    pub fn keeps_alive(&self) -> bool {
        self.keep_alive
    }

    /// Whether other message types on the filter are allowed.
    pub fn allows_other_types(&self) -> bool {
        self.allow_other_types
    }

    /// Whether dead letters are on.
    pub fn dead_letters_on(&self) -> bool {
        self.dead_letters
    }
}

impl std::fmt::Debug for HandlerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandlerOptions")
            .field("concurrency", &self.concurrency)
            .field("batch", &self.batch)
            .field("prefetch", &self.prefetch)
            .field("prefetch_bytes", &self.prefetch_bytes)
            .field("backoff", &self.backoff)
            .field("on_invalid", &self.on_invalid.is_some())
            .field("keep_alive", &self.keep_alive)
            .field("allow_other_types", &self.allow_other_types)
            .field("dead_letters", &self.dead_letters)
            .finish()
    }
}

/// Options are equal when their settings are, and their `on_invalid`
/// hooks are the same hook (or both absent).
impl PartialEq for HandlerOptions {
    fn eq(&self, other: &Self) -> bool {
        let same_hook = match (&self.on_invalid, &other.on_invalid) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        same_hook
            && self.concurrency == other.concurrency
            && self.batch == other.batch
            && self.prefetch == other.prefetch
            && self.prefetch_bytes == other.prefetch_bytes
            && self.backoff == other.backoff
            && self.keep_alive == other.keep_alive
            && self.allow_other_types == other.allow_other_types
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_clamped_to_what_makes_sense() {
        let options = HandlerOptions::new()
            .concurrency(0)
            .batch(0)
            .backoff(Duration::from_secs(5), Duration::from_secs(1));
        assert_eq!(options.concurrency_limit(), 1);
        assert_eq!(options.batch_size(), Some(1));
        assert_eq!(
            options.backoff_range(),
            (Duration::from_secs(5), Duration::from_secs(5))
        );
        assert_eq!(
            HandlerOptions::new()
                .concurrency(usize::MAX)
                .concurrency_limit(),
            MAX_CONCURRENCY
        );
    }

    #[test]
    fn hooks_compare_by_identity() {
        let hooked = HandlerOptions::new().on_invalid(|_| {});
        assert_eq!(hooked, hooked.clone());
        assert_ne!(hooked, HandlerOptions::new().on_invalid(|_| {}));
        assert_ne!(hooked, HandlerOptions::new());
        assert_eq!(HandlerOptions::new(), HandlerOptions::default());
    }
}
