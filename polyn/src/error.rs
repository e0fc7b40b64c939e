//! The one error type of the Polyn runtime.

use std::fmt;
use std::path::PathBuf;

use crate::compatibility::Incompatibility;
use crate::drift::Drift;
use crate::error_kind::ErrorKind;
use crate::outcome::BoxError;
use crate::protocol_text;
use crate::validation::ValidationError;

/// Everything that can go wrong in Polyn.
///
/// Each message says what was wrong, where, and what to do about it. Where
/// the Polyn protocol mandates a text (a missing schema store, a missing
/// schema, an undecodable message, a missing consumer) that text is used
/// verbatim.
///
/// [`Error::kind`] groups the variants by what a caller can do about them.
/// The cause of a failure (the serde, JSON Schema, NATS or I/O error) is
/// kept as the error's [`source`](std::error::Error::source), so it can be
/// downcast; the message also quotes it, so a log line of the message alone
/// is complete.
///
/// `Debug` prints the message and then each cause the message does not
/// already quote, so a `main` returning `Result<(), polyn::Error>` prints
/// words, not a struct; `{:#?}` adds the variant's name.
///
/// ```
/// let err = polyn::naming::validate_message_name("Bad Name").unwrap_err();
/// assert!(matches!(err, polyn::Error::InvalidMessageName { .. }));
/// assert_eq!(err.kind(), polyn::ErrorKind::Configuration);
/// assert!(format!("{err:?}").starts_with("Event names must be lowercase"));
/// ```
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A message name broke the naming rule (`user.created.v1`).
    #[error(
        "{}, got {name:?}; use lowercase letters and digits in dot-separated tokens, e.g. \
         `user.created.v1`",
        protocol_text::MESSAGE_NAME_RULE
    )]
    InvalidMessageName {
        /// The rejected name.
        name: String,
    },

    /// A source name (or source root) broke the naming rule.
    #[error("{}, got {name}", protocol_text::SOURCE_NAME_RULE)]
    InvalidSourceName {
        /// The rejected source.
        name: String,
    },

    /// A stream name broke the Polyn CLI's rule (`^[a-zA-Z0-9_]+$`).
    /// Protocol-mandated text.
    #[error("{} Got {name}", protocol_text::STREAM_NAME_RULE)]
    InvalidStreamName {
        /// The rejected name.
        name: String,
    },

    /// The value of a schema's `identity` property cannot be a subject token.
    #[error(
        "the identity value {value:?} of a `{name}` event cannot be used as a NATS subject token; \
         identity values must be non-empty and contain no `.`, `*`, `>` or whitespace"
    )]
    InvalidIdentity {
        /// The message name.
        name: String,
        /// The rejected identity value.
        value: String,
    },

    /// A CloudEvents extension attribute name broke the rule: lowercase
    /// letters and digits, and not the name of a core attribute.
    #[error(
        "{name:?} cannot be a CloudEvents extension attribute name; use lowercase letters and \
         digits only, and not the name of a core attribute"
    )]
    InvalidExtensionName {
        /// The rejected name.
        name: String,
    },

    /// A configuration value was missing or malformed.
    #[error("invalid Polyn configuration: {message}")]
    InvalidConfig {
        /// What was wrong and how to fix it.
        message: String,
    },

    /// An event (or its payload) did not pass validation.
    #[error(transparent)]
    Validation(#[from] Box<ValidationError>),

    /// The bytes received were not a JSON document. Protocol-mandated text.
    #[error("{}{message}\n{source}", protocol_text::UNDECODABLE)]
    Decode {
        /// The message as received (lossy UTF-8): at most its first 2 KiB,
        /// then its size in bytes.
        message: String,
        /// Why it could not be decoded, with line and column where the JSON
        /// itself is broken.
        #[source]
        source: serde_json::Error,
    },

    /// A valid event could not be turned into the requested Rust type: a
    /// value its schema allows but the type cannot hold (a number outside
    /// the integer's range, say), or types generated from another schema.
    #[error(
        "the `data` of event {id} ({event_type}) does not fit the Rust type `{rust_type}` at \
         `{path}`: {source}; the message is terminated. If the schema allows this value, \
         regenerate the types from the `schemas` codebase or widen the schema's bounds"
    )]
    DataType {
        /// The event id.
        id: String,
        /// The event `type`.
        event_type: String,
        /// The Rust type asked for.
        rust_type: &'static str,
        /// Where in `data` it failed, like `items[2].count` (`.` for `data` itself).
        path: String,
        /// What serde reported.
        #[source]
        source: serde_json::Error,
    },

    /// A handler returned an error; its `source()` is the handler's own error.
    #[error("the handler of `{name}` failed on event {id}: {source}")]
    Handler {
        /// The message name handled.
        name: String,
        /// The event id.
        id: String,
        /// The handler's error, as it returned it.
        #[source]
        source: BoxError,
    },

    /// A task running a handler's consumer ended without a result: it
    /// panicked outside a handler (which Polyn catches), or was cancelled.
    #[error(
        "the task running the handler of `{name}` ended without a result: {source}; the \
         service stopped it"
    )]
    TaskFailed {
        /// The message name handled.
        name: String,
        /// What the runtime reported.
        #[source]
        source: tokio::task::JoinError,
    },

    /// A handler (or hook) panicked; the panic was caught.
    #[error("the handler of `{name}` panicked on event {id}: {message}")]
    HandlerPanicked {
        /// The message name handled.
        name: String,
        /// The event id.
        id: String,
        /// The panic's message.
        message: String,
    },

    /// A handler was still running at the shutdown deadline: it was
    /// abandoned and its message given back (naked) for redelivery.
    #[error(
        "the handler of `{name}` was still running on event {id} at the shutdown deadline \
         ({deadline:?}); it was abandoned and the message given back for redelivery"
    )]
    Abandoned {
        /// The message name handled.
        name: String,
        /// The event id.
        id: String,
        /// The shutdown deadline.
        deadline: std::time::Duration,
    },

    /// A schema change would break the events or consumers of the old one.
    #[error(
        "You have made a backwards-incompatible change on schema {name}. If you need to make a \
         backwards-incompatible change you should create a new schema with a new name (usually \
         this means bumping the version number, here `{next}`). Producers should continue to \
         publish the old event until you are certain that there are no more Consumers \
         subscribing to it.\n{}",
        changes.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
    )]
    IncompatibleSchema {
        /// The message name.
        name: String,
        /// The name to publish the change as instead.
        next: String,
        /// Every breaking change.
        changes: Vec<Incompatibility>,
    },

    /// A schemas folder could not be read, or breaks the rules of a
    /// `schemas` codebase (see [`schemas::check_schemas`](crate::schemas::check_schemas)).
    #[error(transparent)]
    Schemas(#[from] polyn_schemas::Error),

    /// A schema push was refused because it would break schemas in the
    /// store; nothing was written.
    #[error(
        "nothing was pushed: {} would break the events or consumers of the stored version. \
         Publish each breaking change as a new version, or push with `--force` (`force: true`) \
         when nothing depends on the old one.\n{}",
        match breaking.len() { 1 => "one schema".to_owned(), n => format!("{n} schemas") },
        breaking.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
    )]
    PushRefused {
        /// An [`Error::IncompatibleSchema`] for each breaking schema.
        breaking: Vec<Error>,
    },

    /// The schema store holds other schemas than the ones this service's
    /// event types were generated from, and the drift policy refuses to go
    /// on.
    #[error(
        "{}\nRebuild the service from the `schemas` codebase the store holds, or push the \
         schemas it was built with (`polyn schemas diff bucket schemas` shows the differences)",
        drift.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
    )]
    SchemaDrift {
        /// Each drifted message.
        drift: Vec<Drift>,
    },

    /// A service manifest is not the JSON of a [`Manifest`](crate::manifest::Manifest).
    #[error(
        "the service manifest is not valid: {source}; write it with `Manifest::to_json` (fields \
         `service`, `domain`, `publishes`, `handles`)"
    )]
    InvalidManifest {
        /// What serde reported, with line and column.
        #[source]
        source: serde_json::Error,
    },

    /// A migration file is malformed, or cannot be rolled back.
    #[error("migration file `{file}` is invalid: {reason}")]
    MigrationFile {
        /// The file (or folder) at fault.
        file: String,
        /// What is wrong and how to fix it.
        reason: String,
    },

    /// A migration's operation failed on the server: it is not recorded,
    /// the migrations before it are.
    #[error(
        "migration `{file}` failed at {operation}: {source}; it is not recorded as run (the \
         migrations before it are): fix it and migrate again"
    )]
    Migration {
        /// The migration file.
        file: String,
        /// The operation that failed.
        operation: String,
        /// What the server (or the sandbox) reported.
        #[source]
        source: BoxError,
    },

    /// A file or folder could not be read.
    #[error("cannot read {what} {}: {source}; check that it exists and is readable", path.display())]
    Io {
        /// What was being read, like `the migrations folder`.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A request was answered with an error by the service (the
    /// `Nats-Service-Error` and `Nats-Service-Error-Code` headers of NATS
    /// services).
    #[error("the service answering {name} replied with error {code}: {description}")]
    Remote {
        /// The message name of the request.
        name: String,
        /// The error code (400: the request was invalid; 500: the handler
        /// failed or its reply was invalid; 503: it shut down first).
        code: u16,
        /// The service's description of the error.
        description: String,
    },

    /// A durable consumer's filter captures other message types than the
    /// handler's.
    #[error(
        "consumer `{consumer}` in stream `{stream}` filters {filters:?}, which captures other \
         messages than `{name}`: they would be terminated unhandled. Filter the consumer on \
         `{name}` (or `{name}.>` for a schema with an identity), or opt in with \
         `allow_other_types`"
    )]
    FilterTooWide {
        /// The message name handled.
        name: String,
        /// The consumer.
        consumer: String,
        /// The stream.
        stream: String,
        /// The consumer's filter subjects (the stream's subjects when it has none).
        filters: Vec<String>,
    },

    /// An event could not be encoded as JSON (a `Serialize` impl failed).
    #[error(
        "event {id} could not be encoded as JSON: {source}; check the `Serialize` impl of its \
         data (map keys must be strings)"
    )]
    Encode {
        /// The event id.
        id: String,
        /// What serde reported.
        #[source]
        source: serde_json::Error,
    },

    /// A payload schema could not be compiled.
    #[error(
        "{}, got an invalid schema for `{name}`: {reason}",
        protocol_text::INVALID_SCHEMA
    )]
    InvalidSchema {
        /// The message name the schema belongs to.
        name: String,
        /// What is wrong, and where in the schema.
        reason: String,
        /// What the JSON parser or the JSON Schema compiler reported, when
        /// one of them found the fault.
        #[source]
        source: Option<BoxError>,
    },

    /// The schema for a message is not in the schema store. Protocol-mandated text.
    #[error("{}", protocol_text::SchemaNotFound(name))]
    SchemaNotFound {
        /// The message name that has no schema.
        name: String,
    },

    /// The schema store's KV bucket does not exist. Protocol-mandated text.
    #[error(
        "{} (looked for the KV bucket `{bucket}`; `polyn schemas push` creates it and loads \
         your `schemas` folder)",
        protocol_text::NO_SCHEMA_STORE
    )]
    SchemaStoreNotFound {
        /// The bucket looked for.
        bucket: String,
    },

    /// The durable consumer a subscriber binds to does not exist. Protocol-mandated text.
    #[error(
        "{} (looked in stream `{stream}`): write its migration with `polyn gen consumer \
         <message>` and run `polyn migrate`",
        protocol_text::ConsumerNotFound(name)
    )]
    ConsumerNotFound {
        /// The consumer name.
        name: String,
        /// The stream searched.
        stream: String,
    },

    /// The consumer a handler binds to is a push consumer; Polyn consumers
    /// pull.
    #[error(
        "consumer `{consumer}` in stream `{stream}` is a push consumer; Polyn consumers bind to \
         pull consumers: delete it and create it again with `polyn migrate` (a consumer \
         migration makes a pull consumer)"
    )]
    NotPullConsumer {
        /// The consumer.
        consumer: String,
        /// The stream.
        stream: String,
    },

    /// Connecting to NATS failed.
    #[error(
        "could not connect to NATS at {servers}: {source}; check that the server runs and that \
         NATS_URL, the credentials and the TLS settings are right"
    )]
    Connect {
        /// The servers tried.
        servers: String,
        /// What `async-nats` reported.
        #[source]
        source: BoxError,
    },

    /// A NATS operation failed.
    #[error("NATS error while {operation}: {source}")]
    Nats {
        /// What Polyn was doing, naming the subject, stream or consumer.
        operation: String,
        /// What `async-nats` reported.
        #[source]
        source: BoxError,
    },

    /// A request got no reply in time.
    #[error(
        "request for {name} timed out after {timeout:?} without a reply; is a service answering \
         on `{subject}`?"
    )]
    Timeout {
        /// The message name of the request.
        name: String,
        /// The subject the request went to.
        subject: String,
        /// How long Polyn waited.
        timeout: std::time::Duration,
    },

    /// A request found nobody subscribed to its subject.
    #[error("request for {name} has no responders: nothing subscribes to `{subject}`")]
    NoResponders {
        /// The message name of the request.
        name: String,
        /// The subject the request went to.
        subject: String,
    },

    /// A message of one type arrived where another was expected.
    #[error(
        "expected a `{expected}` event but received event {id} of type `{received}`; check the \
         subject the sender used"
    )]
    UnexpectedEvent {
        /// The message name expected.
        expected: String,
        /// The `type` received.
        received: String,
        /// The id of the event received.
        id: String,
    },

    /// A reply was asked for a message that carried no reply subject.
    #[error(
        "event {id} was not sent as a request (it has no reply subject), so it cannot be answered"
    )]
    NoReplySubject {
        /// The id of the event.
        id: String,
    },

    /// A sandbox wait ran out of time.
    #[cfg(feature = "testing")]
    #[error(
        "nothing was settled within {timeout:?}; is a consumer for the event running on this \
         sandbox, and was it declared with `SandboxBuilder::consumer`?"
    )]
    SandboxTimeout {
        /// How long the sandbox waited.
        timeout: std::time::Duration,
    },

    /// A real server lacks streams or consumers the sandbox declares.
    #[cfg(feature = "testing")]
    #[error(
        "the server does not match the sandbox's streams and consumers:\n{}\ncreate them with \
         the service's migrations (`polyn migrate`)",
        problems.join("\n")
    )]
    TopologyMismatch {
        /// Every mismatch found.
        problems: Vec<String>,
    },

    /// The client has been closed or shut down.
    #[error("the Polyn client is closed")]
    Closed,

    /// No stream captures the subject of a message.
    #[error(
        "{}; create a stream whose subjects include `{subject}`: write its migration with \
         `polyn gen stream {subject}` and run `polyn migrate` (the runtime never creates streams \
         itself)",
        protocol_text::NoStream(subject)
    )]
    StreamNotFound {
        /// The subject no stream captures.
        subject: String,
    },

    /// A stream captures the subject, but no server stored the event before
    /// the publish deadline: the stream had no leader (a failover, or its
    /// servers are down), or JetStream did not answer. Every attempt sent
    /// the same `Nats-Msg-Id`, so an event stored late is stored once.
    #[error(
        "no server stored the event published on `{subject}` within {waited:?} (sent {attempts} times): \
         {reason}. The event may not be stored; publish it again with the same id \
         (`PublishOptions::id`), which stores it at most once, or allow a failover more time \
         (`ConfigBuilder::publish_retry`, POLYN_PUBLISH_RETRY)"
    )]
    StreamUnavailable {
        /// The subject published on.
        subject: String,
        /// The stream that captures it, when the server said which.
        stream: Option<String>,
        /// How long the publish kept trying.
        waited: std::time::Duration,
        /// How many times the event was sent.
        attempts: u32,
        /// What the last attempt met.
        reason: String,
    },
}

impl Error {
    /// Wraps a NATS error with what Polyn was doing.
    pub(crate) fn nats(operation: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Error::Nats {
            operation: operation.into(),
            source: source.into(),
        }
    }

    /// What kind of failure this is: see [`ErrorKind`].
    ///
    /// ```
    /// use polyn::{Error, ErrorKind};
    /// let err = Error::SchemaNotFound { name: "user.created.v1".into() };
    /// assert_eq!(err.kind(), ErrorKind::NotFound);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.describe().1
    }

    /// The variant's name, like `SchemaNotFound`: a stable, low-cardinality
    /// name for metrics and spans (`error.type`).
    pub(crate) fn variant(&self) -> &'static str {
        self.describe().0
    }

    fn describe(&self) -> (&'static str, ErrorKind) {
        use ErrorKind as K;
        match self {
            Error::InvalidMessageName { .. } => ("InvalidMessageName", K::Configuration),
            Error::InvalidSourceName { .. } => ("InvalidSourceName", K::Configuration),
            Error::InvalidStreamName { .. } => ("InvalidStreamName", K::Configuration),
            Error::InvalidExtensionName { .. } => ("InvalidExtensionName", K::Configuration),
            Error::InvalidConfig { .. } => ("InvalidConfig", K::Configuration),
            Error::Schemas(_) => ("Schemas", K::Configuration),
            Error::InvalidSchema { .. } => ("InvalidSchema", K::Configuration),
            Error::MigrationFile { .. } => ("MigrationFile", K::Configuration),
            Error::InvalidManifest { .. } => ("InvalidManifest", K::Configuration),
            Error::Io { .. } => ("Io", K::Configuration),
            Error::FilterTooWide { .. } => ("FilterTooWide", K::Configuration),
            Error::NotPullConsumer { .. } => ("NotPullConsumer", K::Configuration),
            Error::InvalidIdentity { .. } => ("InvalidIdentity", K::Validation),
            Error::Validation(_) => ("Validation", K::Validation),
            Error::Decode { .. } => ("Decode", K::Validation),
            Error::DataType { .. } => ("DataType", K::Validation),
            Error::Encode { .. } => ("Encode", K::Validation),
            Error::UnexpectedEvent { .. } => ("UnexpectedEvent", K::Validation),
            Error::NoReplySubject { .. } => ("NoReplySubject", K::Validation),
            Error::SchemaNotFound { .. } => ("SchemaNotFound", K::NotFound),
            Error::SchemaStoreNotFound { .. } => ("SchemaStoreNotFound", K::NotFound),
            Error::ConsumerNotFound { .. } => ("ConsumerNotFound", K::NotFound),
            Error::StreamNotFound { .. } => ("StreamNotFound", K::NotFound),
            #[cfg(feature = "testing")]
            Error::TopologyMismatch { .. } => ("TopologyMismatch", K::NotFound),
            Error::IncompatibleSchema { .. } => ("IncompatibleSchema", K::Incompatible),
            Error::PushRefused { .. } => ("PushRefused", K::Incompatible),
            Error::SchemaDrift { .. } => ("SchemaDrift", K::Incompatible),
            Error::Connect { .. } => ("Connect", K::Transport),
            Error::Nats { .. } => ("Nats", K::Transport),
            Error::StreamUnavailable { .. } => ("StreamUnavailable", K::Transport),
            Error::NoResponders { .. } => ("NoResponders", K::Transport),
            Error::Migration { .. } => ("Migration", K::Transport),
            Error::Timeout { .. } => ("Timeout", K::Timeout),
            #[cfg(feature = "testing")]
            Error::SandboxTimeout { .. } => ("SandboxTimeout", K::Timeout),
            Error::Handler { .. } => ("Handler", K::Handler),
            Error::HandlerPanicked { .. } => ("HandlerPanicked", K::Handler),
            Error::Abandoned { .. } => ("Abandoned", K::Handler),
            Error::TaskFailed { .. } => ("TaskFailed", K::Handler),
            Error::Remote { .. } => ("Remote", K::Remote),
            Error::Closed => ("Closed", K::Closed),
        }
    }
}

/// The message, then each cause it does not already quote.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            write!(f, "polyn::Error::{}: ", self.variant())?;
        }
        let mut shown = self.to_string();
        f.write_str(&shown)?;
        let mut heading = false;
        let mut cause = std::error::Error::source(self);
        while let Some(error) = cause {
            let text = error.to_string();
            if !shown.contains(&text) {
                if !heading {
                    f.write_str("\n\nCaused by:")?;
                    heading = true;
                }
                write!(f, "\n    {text}")?;
                shown.push_str(&text);
            }
            cause = error.source();
        }
        Ok(())
    }
}

impl From<ValidationError> for Error {
    fn from(error: ValidationError) -> Self {
        Error::Validation(Box::new(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("the disk is on fire")]
    struct Deeper;

    #[derive(Debug, thiserror::Error)]
    #[error("the write failed")]
    struct Cause(#[source] Deeper);

    #[test]
    fn debug_prints_the_message_and_the_causes_it_does_not_quote() {
        let err = Error::nats("publishing on `a.v1`", Cause(Deeper));
        assert_eq!(
            format!("{err:?}"),
            "NATS error while publishing on `a.v1`: the write failed\n\nCaused by:\n    the disk \
             is on fire"
        );
        assert!(format!("{err:#?}").starts_with("polyn::Error::Nats: NATS error while"));
        let quoted = Error::nats("flushing", "connection reset");
        assert_eq!(
            format!("{quoted:?}"),
            "NATS error while flushing: connection reset"
        );
    }

    #[test]
    fn causes_are_kept() {
        let json = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
        let err = Error::Decode {
            message: "{".to_owned(),
            source: json,
        };
        let source = std::error::Error::source(&err).expect("a source");
        assert!(source.downcast_ref::<serde_json::Error>().is_some());
        assert_eq!(err.kind(), ErrorKind::Validation);
        assert_eq!(err.variant(), "Decode");
    }
}
