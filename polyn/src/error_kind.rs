//! What kind of failure an [`Error`](crate::Error) is, for callers that act
//! on the kind rather than on each variant.

/// The kinds of [`Error`](crate::Error), grouped by what a caller can do
/// about them.
///
/// ```
/// use polyn::ErrorKind;
///
/// let err = polyn::naming::validate_message_name("Bad Name").unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Configuration);
/// match err.kind() {
///     ErrorKind::Transport | ErrorKind::Timeout => { /* try again later */ }
///     ErrorKind::Validation => { /* the event is wrong: fix it, do not retry */ }
///     _ => { /* fix the setup */ }
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// What the service was given is wrong: a name breaking the naming
    /// rules, a bad setting, a schema or migration file that is not
    /// valid, a consumer that does not fit its handler. Retrying does not
    /// help; fix the configuration or the code.
    Configuration,
    /// An event, received or to be sent, is not valid: it breaks its
    /// schema, is not JSON, does not fit its Rust type, or is of another
    /// type than expected. Retrying the same event does not help.
    Validation,
    /// Something the service needs is not on the server: the schema store,
    /// a schema, a stream or a consumer. Provision it (`polyn migrate`,
    /// `polyn schemas push`) and try again.
    NotFound,
    /// A schema change was refused because it would break the events or
    /// consumers of the stored schema, or the store holds other schemas
    /// than the service was built from.
    Incompatible,
    /// Talking to NATS failed: no connection, an operation the server
    /// refused or did not answer, a stream with no leader, no responders.
    /// Often transient: worth retrying.
    Transport,
    /// A request got no reply in time (or a sandbox wait ran out).
    Timeout,
    /// A handler failed, panicked or was abandoned at shutdown.
    Handler,
    /// The service answering a request replied with an error.
    Remote,
    /// The client was closed.
    Closed,
}
