//! Schema drift: the schema store holding another schema for a message
//! than the one its generated Rust type was compiled from.
//!
//! Every generated type carries the digest of its schema
//! ([`EventType::SCHEMA_DIGEST`]). The types a process uses (publishes,
//! consumes, handles, requests) are noted here, once each, and compared
//! with the store's schemas at start, on use and whenever the bucket
//! changes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Mutex, RwLock};

use crate::client::Client;
use crate::error::Error;
use crate::event_type::EventType;

/// What a client does when a type it uses has drifted from the schema
/// store. Set with [`ConfigBuilder::schema_drift`](crate::config::ConfigBuilder::schema_drift)
/// or `POLYN_SCHEMA_DRIFT` (`warn`, `refuse-start`, `refuse-publish`).
///
/// Whatever the policy, events are validated against the store's schema,
/// the drift shows in each handler's [`Health`](crate::serve::Health) and
/// [`Client::drift`](crate::Client::drift), and a validation error of a
/// drifted type says that the type and the store differ.
///
/// ```
/// let config = polyn::Config::builder()
///     .domain("com.acme")
///     .source_root("orders")
///     .schema_drift(polyn::config::DriftPolicy::RefuseStart)
///     .build()?;
/// assert_eq!(config.schema_drift(), polyn::config::DriftPolicy::RefuseStart);
/// assert_eq!("refuse-publish".parse(), Ok(polyn::config::DriftPolicy::RefusePublish));
/// # Ok::<(), polyn::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum DriftPolicy {
    /// Log a warning (once per change of the stored schema) and go on.
    #[default]
    Warn,
    /// [`Service::run`](crate::Service::run) and [`Client::expect`](crate::Client::expect)
    /// fail with [`Error::SchemaDrift`](crate::Error::SchemaDrift) when a
    /// type has drifted at start; later drift is logged.
    RefuseStart,
    /// Publishing (or requesting, replying with) a drifted type fails with
    /// [`Error::SchemaDrift`](crate::Error::SchemaDrift); starting does too.
    RefusePublish,
}

impl std::str::FromStr for DriftPolicy {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "warn" => Ok(DriftPolicy::Warn),
            "refuse-start" => Ok(DriftPolicy::RefuseStart),
            "refuse-publish" => Ok(DriftPolicy::RefusePublish),
            other => Err(format!(
                "unknown schema drift policy `{other}`: use `warn`, `refuse-start` or \
                 `refuse-publish`"
            )),
        }
    }
}

/// One drifted message: the digest its Rust type was generated with and
/// the digest of the schema the store holds.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Drift {
    /// The message name.
    pub name: String,
    /// The digest compiled into the Rust type.
    pub compiled: String,
    /// The digest of the store's schema.
    pub stored: String,
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the schema store's schema for `{}` differs from the one its Rust type was generated \
             from (store {}, type {})",
            self.name,
            short(&self.stored),
            short(&self.compiled)
        )
    }
}

fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

/// The schema digests of the generated types this process has used, by
/// message name.
static COMPILED: RwLock<BTreeMap<&'static str, &'static str>> = RwLock::new(BTreeMap::new());

/// Notes that the process uses `T`.
pub(crate) fn note<T: EventType>() {
    note_digest(T::NAME, T::SCHEMA_DIGEST);
}

pub(crate) fn note_digest(name: &'static str, digest: Option<&'static str>) {
    let Some(digest) = digest else {
        return; // Written by hand: nothing to compare.
    };
    let known = COMPILED
        .read()
        .map(|compiled| compiled.contains_key(name))
        .unwrap_or(true);
    if !known && let Ok(mut compiled) = COMPILED.write() {
        compiled.entry(name).or_insert(digest);
    }
}

/// The digest compiled into the type of `name`, if the process used one.
pub(crate) fn compiled(name: &str) -> Option<&'static str> {
    COMPILED
        .read()
        .ok()
        .and_then(|compiled| compiled.get(name).copied())
}

/// Every noted type: name and digest.
pub(crate) fn all_compiled() -> Vec<(&'static str, &'static str)> {
    COMPILED
        .read()
        .map(|compiled| compiled.iter().map(|(n, d)| (*n, *d)).collect())
        .unwrap_or_default()
}

/// The drifts already logged: each is logged once per stored schema.
static WARNED: Mutex<BTreeSet<(String, String)>> = Mutex::new(BTreeSet::new());

/// Logs `drift` at WARN, unless this very drift was logged before.
pub(crate) fn warn_once(drift: &Drift) {
    let first = WARNED
        .lock()
        .map(|mut warned| warned.insert((drift.name.clone(), drift.stored.clone())))
        .unwrap_or(true);
    if first {
        tracing::warn!(%drift, "schema drift: validating against the store's schema; rebuild \
            the service from the schemas the store holds, or push the ones it was built with");
    }
}

impl Client {
    /// Every generated type this process has used (published, consumed,
    /// handled, requested or [`expect`](Self::expect)ed) whose schema
    /// differs from the one the schema store holds now.
    ///
    /// ```no_run
    /// # async fn run(client: polyn::Client) {
    /// for drift in client.drift() {
    ///     eprintln!("{drift}");
    /// }
    /// # }
    /// ```
    pub fn drift(&self) -> Vec<Drift> {
        self.schemas().drift()
    }

    /// Declares that the service uses `T` and checks it against the schema
    /// store now, by the client's [`DriftPolicy`]: under
    /// [`Warn`](DriftPolicy::Warn) a drift is logged and this returns
    /// `Ok`; otherwise it is [`Error::SchemaDrift`]. Call it at start for
    /// the types a service publishes, so a drifted one stops it before it
    /// serves ([`Service::run`](crate::Service::run) checks the handled
    /// types itself).
    ///
    /// ```no_run
    /// # #[derive(serde::Serialize, serde::Deserialize)] struct OrdersPlacedV1 { id: String }
    /// # impl polyn::EventType for OrdersPlacedV1 { const NAME: &'static str = "orders.placed.v1"; const SCHEMA: &'static str = "{}"; }
    /// # async fn run(client: polyn::Client) -> Result<(), polyn::Error> {
    /// client.expect::<OrdersPlacedV1>()?;
    /// # Ok(()) }
    /// ```
    pub fn expect<T: EventType>(&self) -> Result<(), Error> {
        note::<T>();
        self.refuse_or_warn(self.schemas().drift_of(T::NAME).into_iter().collect())
    }

    /// At start: `drift` refused by the policy, or logged.
    pub(crate) fn refuse_or_warn(&self, drift: Vec<Drift>) -> Result<(), Error> {
        if drift.is_empty() {
            return Ok(());
        }
        match self.config().schema_drift() {
            DriftPolicy::Warn => {
                drift.iter().for_each(warn_once);
                Ok(())
            }
            DriftPolicy::RefuseStart | DriftPolicy::RefusePublish => {
                Err(Error::SchemaDrift { drift })
            }
        }
    }

    /// Before sending an event of `T`: its drift, if any (logged once), or
    /// [`Error::SchemaDrift`] under [`DriftPolicy::RefusePublish`].
    pub(crate) fn send_drift<T: EventType>(&self) -> Result<Option<Drift>, Error> {
        let Some(digest) = T::SCHEMA_DIGEST else {
            return Ok(None);
        };
        note_digest(T::NAME, Some(digest));
        let Some(drift) = crate::schema_store::drift_in(&self.schemas().current(), T::NAME, digest)
        else {
            return Ok(None);
        };
        if self.config().schema_drift() == DriftPolicy::RefusePublish {
            return Err(Error::SchemaDrift { drift: vec![drift] });
        }
        warn_once(&drift);
        Ok(Some(drift))
    }
}

/// `result`, with a validation error noting `drift`.
pub(crate) fn noted<T>(result: Result<T, Error>, drift: Option<Drift>) -> Result<T, Error> {
    match (result, drift) {
        (Err(Error::Validation(error)), Some(drift)) => {
            Err(Error::Validation(Box::new(error.with_drift(drift))))
        }
        (result, _) => result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse_and_reject_unknown_names() {
        assert_eq!("warn".parse(), Ok(DriftPolicy::Warn));
        assert_eq!("refuse-start".parse(), Ok(DriftPolicy::RefuseStart));
        let err = "refuse".parse::<DriftPolicy>().unwrap_err();
        assert!(
            err.contains("`warn`, `refuse-start` or `refuse-publish`"),
            "{err}"
        );
    }

    #[test]
    fn a_noted_digest_is_kept_and_hand_written_types_are_not_noted() {
        note_digest("drift.test.a.v1", Some("aaaa"));
        note_digest("drift.test.a.v1", Some("bbbb"));
        note_digest("drift.test.b.v1", None);
        assert_eq!(compiled("drift.test.a.v1"), Some("aaaa"));
        assert_eq!(compiled("drift.test.b.v1"), None);
        assert!(all_compiled().contains(&("drift.test.a.v1", "aaaa")));
    }

    #[test]
    fn drift_names_the_message_and_both_digests() {
        let drift = Drift {
            name: "a.v1".into(),
            compiled: "0123456789abcdef".into(),
            stored: "fedcba9876543210".into(),
        };
        assert_eq!(
            drift.to_string(),
            "the schema store's schema for `a.v1` differs from the one its Rust type was \
             generated from (store fedcba987654, type 0123456789ab)"
        );
    }
}
