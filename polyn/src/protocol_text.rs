//! The texts the Polyn protocol mandates, in one place: [`Error`]s and
//! validation [`Problem`]s both write them from here, so the two never
//! disagree on a word.
//!
//! [`Error`]: crate::Error
//! [`Problem`]: crate::Problem

use std::fmt;

/// The lead of the message-name rule's error.
pub(crate) const MESSAGE_NAME_RULE: &str =
    "Event names must be lowercase, alphanumeric and dot separated";

/// The lead of the source-name rule's error.
pub(crate) const SOURCE_NAME_RULE: &str =
    "Event source must be lowercase, alphanumeric and dot/colon separated";

/// The lead of the stream-name rule's error (the Polyn CLI's).
pub(crate) const STREAM_NAME_RULE: &str =
    "Stream name must be all alphanumeric, uppercase, and underscore separated.";

/// The lead of an undecodable message's error, before the message.
pub(crate) const UNDECODABLE: &str = "Polyn was unable to decode the following message: \n";

/// The lead of an invalid schema's error.
pub(crate) const INVALID_SCHEMA: &str = "Schemas must be valid JSONSchema documents";

/// The lead of the error of a missing schema store.
pub(crate) const NO_SCHEMA_STORE: &str = "The Schema Store has not been setup on your NATS server. \
                                          Make sure you use the Polyn CLI to create it";

/// `Schema for <name> does not exist. …`
pub(crate) struct SchemaNotFound<'a>(pub(crate) &'a str);

impl fmt::Display for SchemaNotFound<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Schema for {} does not exist. Make sure it's been added to your `schemas` codebase \
             and has been loaded into the schema store on your NATS server",
            self.0
        )
    }
}

/// `Consumer <name> does not exist. …`
pub(crate) struct ConsumerNotFound<'a>(pub(crate) &'a str);

impl fmt::Display for ConsumerNotFound<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Consumer {} does not exist. Use polyn-cli to create it before attempting to subscribe",
            self.0
        )
    }
}

/// `Could not find any streams for type <subject>`
pub(crate) struct NoStream<'a>(pub(crate) &'a str);

impl fmt::Display for NoStream<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Could not find any streams for type {}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The texts as the Elixir and Ruby clients write them.
    #[test]
    fn texts_are_the_protocols() {
        assert_eq!(
            SchemaNotFound("a.v1").to_string(),
            "Schema for a.v1 does not exist. Make sure it's been added to your `schemas` \
             codebase and has been loaded into the schema store on your NATS server"
        );
        assert_eq!(
            ConsumerNotFound("svc_a_v1").to_string(),
            "Consumer svc_a_v1 does not exist. Use polyn-cli to create it before attempting to \
             subscribe"
        );
        assert_eq!(
            NoStream("a.v1").to_string(),
            "Could not find any streams for type a.v1"
        );
        assert!(NO_SCHEMA_STORE.starts_with("The Schema Store has not been setup on your NATS"));
    }
}
