//! [`InvalidMessage`]: a message a handler rejected or failed on, as given
//! to the `on_invalid` hook, and how it is reported.

use std::time::Duration;

use bytes::Bytes;

use crate::consumer::Counters;
use crate::error::Error;
use crate::guard::{error_chain, guarded_sync};
use crate::handler_options::HandlerOptions;
use crate::monitor::Monitor;

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
    /// How many times the server has delivered it (1 on core NATS).
    pub delivered: u64,
    /// What was done with it.
    pub action: Action,
    /// The raw body.
    pub payload: Bytes,
}

/// What a handler runtime did with a message it rejected or whose handler
/// failed, as [`InvalidMessage::action`] reports.
///
/// ```
/// # fn hook(invalid: &polyn::InvalidMessage) {
/// match &invalid.action {
///     polyn::consumer::Action::Retried { delay } => eprintln!("delivery {} failed; again in {delay:?}", invalid.delivered),
///     polyn::consumer::Action::DeadLettered { stream, sequence } => eprintln!("dead letter {stream} #{sequence}"),
///     other => eprintln!("{other}"),
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Negatively acknowledged: the server delivers it again, after
    /// `delay` when given.
    Retried {
        /// The backoff asked of the server.
        delay: Option<Duration>,
    },
    /// Published to the dead-letter stream, then terminated.
    DeadLettered {
        /// The dead-letter stream.
        stream: String,
        /// The dead letter's sequence number there.
        sequence: u64,
    },
    /// Terminated: the server will not deliver it again.
    Terminated,
    /// Nothing to acknowledge (core NATS); a request was answered with the
    /// error.
    Reported,
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::Retried { delay: Some(delay) } => write!(f, "redelivered after {delay:?}"),
            Action::Retried { delay: None } => f.write_str("redelivered"),
            Action::DeadLettered { stream, sequence } => {
                write!(f, "dead-lettered to {stream} #{sequence} and terminated")
            }
            Action::Terminated => f.write_str("terminated"),
            Action::Reported => f.write_str("reported (core NATS: nothing to acknowledge)"),
        }
    }
}

/// Logs `invalid` with its whole error chain, records it as the last error
/// and on the current span (the message's receive span), and gives it to
/// the hook, catching a panic there.
pub(crate) fn report(options: &HandlerOptions, monitor: &Monitor, invalid: &InvalidMessage) {
    crate::telemetry::record_error(&tracing::Span::current(), &invalid.error);
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
