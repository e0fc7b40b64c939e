//! [`InvalidMessage`]: a message a handler rejected or failed on, as given
//! to the `on_invalid` hook, and how it is reported.

use bytes::Bytes;

use crate::consumer::Counters;
use crate::guard::{error_chain, guarded_sync};
use crate::{Error, HandlerOptions, Monitor};

/// A message that was rejected (invalid, of another type, not fitting the
/// Rust type) or whose handler failed (an error or a panic), as given to
/// the [`HandlerOptions::on_invalid`] hook. `error` says which.
///
/// ```
/// # fn hook(invalid: &polyn::InvalidMessage) {
/// match &invalid.error {
///     polyn::Error::Handler { source, .. } => eprintln!("handler failed: {source}"),
///     other => eprintln!("rejected #{} on {}: {other}", invalid.stream_sequence, invalid.subject),
/// }
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct InvalidMessage {
    /// Why it was rejected, or how its handler failed.
    pub error: Error,
    /// The subject it arrived on.
    pub subject: String,
    /// Its stream sequence number (0 on core NATS).
    pub stream_sequence: u64,
    /// The raw body.
    pub payload: Bytes,
}

/// Logs `invalid` with its whole error chain, records it as the last error
/// and gives it to the hook, catching a panic there.
pub(crate) fn report(options: &HandlerOptions, monitor: &Monitor, invalid: &InvalidMessage) {
    let chain = error_chain(&invalid.error);
    monitor.set_error(&chain);
    let Some(hook) = &options.on_invalid else {
        return;
    };
    if let Err(panic) = guarded_sync(|| hook(invalid)) {
        Counters::bump(&monitor.counters().panics);
        tracing::error!(name = %monitor.name(), subject = %invalid.subject, panic,
            "the on_invalid hook panicked; the handler goes on");
        monitor.set_error(format!("the on_invalid hook panicked: {panic}"));
    }
}
