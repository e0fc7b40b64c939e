//! [`Monitor`]: the live view of a running handler (counters and health),
//! and [`ServiceMonitor`], the same for every handler of a service.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use tokio::sync::watch;

use crate::consumer::ConsumerStats;
use crate::consumer::Counters;
use crate::handler::HandlerKind;

/// A server-side resource a running handler found missing.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Missing {
    /// The durable consumer was deleted (its stream is still there).
    Consumer {
        /// The stream.
        stream: String,
        /// The consumer.
        consumer: String,
    },
    /// The stream itself was deleted.
    Stream {
        /// The stream.
        stream: String,
    },
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Missing::Consumer { stream, consumer } => {
                write!(f, "consumer `{consumer}` is missing from stream `{stream}`")
            }
            Missing::Stream { stream } => write!(f, "stream `{stream}` is missing"),
        }
    }
}

/// A snapshot of a handler's health.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Health {
    /// The message name handled.
    pub name: String,
    /// How it receives messages.
    pub kind: HandlerKind,
    /// Bound to its consumer or subscription.
    pub bound: bool,
    /// Pulling (or subscribed) and not stopping.
    pub pulling: bool,
    /// Messages being handled right now.
    pub in_flight: usize,
    /// The last problem: a handler error or panic, a failed pull, an
    /// invalid message.
    pub last_error: Option<String>,
    /// A consumer or stream found missing while running, and since when.
    pub missing: Option<(Missing, Instant)>,
    /// The schema store holds another schema for the message than the one
    /// the handler's Rust type was generated from.
    pub drift: Option<crate::drift::Drift>,
    /// Shutdown has begun.
    pub stopping: bool,
    /// The handler has stopped running.
    pub finished: bool,
    /// What it has done so far.
    pub stats: ConsumerStats,
}

impl Health {
    /// Bound, pulling, nothing missing, not finished: what a readiness
    /// probe asks.
    pub fn is_healthy(&self) -> bool {
        self.bound && self.pulling && self.missing.is_none() && !self.finished
    }
}

#[derive(Clone, Debug, Default)]
struct State {
    bound: bool,
    pulling: bool,
    last_error: Option<String>,
    missing: Option<(Missing, Instant)>,
    stopping: bool,
    finished: bool,
}

struct Inner {
    name: String,
    kind: HandlerKind,
    counters: Counters,
    state: watch::Sender<State>,
    schemas: std::sync::OnceLock<crate::schema_store::SchemaStore>,
}

/// The live view of one running handler: its counters and its health,
/// read at any time, and signals to wait on (readiness, any change of
/// health) instead of sleeping.
///
/// ```no_run
/// # #[derive(serde::Serialize, serde::Deserialize)] struct WidgetsCreatedV1 { id: String }
/// # impl polyn::EventType for WidgetsCreatedV1 { const NAME: &'static str = "widgets.created.v1"; const SCHEMA: &'static str = "{}"; }
/// # async fn run(client: polyn::Client) -> Result<(), polyn::Error> {
/// let consumer = client.consumer::<WidgetsCreatedV1>().bind().await?;
/// let monitor = consumer.monitor();
/// tokio::spawn(async move {
///     if monitor.ready().await {
///         println!("pulling; handled so far: {}", monitor.stats().acked);
///     }
/// });
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Monitor {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("name", &self.inner.name)
            .field("health", &*self.inner.state.borrow())
            .finish_non_exhaustive()
    }
}

impl Monitor {
    pub(crate) fn new(name: &str, kind: HandlerKind) -> Self {
        Monitor {
            inner: Arc::new(Inner {
                name: name.to_owned(),
                kind,
                counters: Counters::default(),
                state: watch::Sender::new(State::default()),
                schemas: std::sync::OnceLock::new(),
            }),
        }
    }

    /// The message name handled.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// What the handler has done so far.
    pub fn stats(&self) -> ConsumerStats {
        self.inner.counters.snapshot()
    }

    /// Its health now.
    pub fn health(&self) -> Health {
        let state = self.inner.state.borrow().clone();
        self.health_of(state)
    }

    fn health_of(&self, state: State) -> Health {
        Health {
            name: self.inner.name.clone(),
            kind: self.inner.kind,
            bound: state.bound,
            pulling: state.pulling,
            in_flight: self.inner.counters.in_flight.load(Ordering::Relaxed),
            last_error: state.last_error,
            missing: state.missing,
            drift: self
                .inner
                .schemas
                .get()
                .and_then(|schemas| schemas.drift_of(&self.inner.name)),
            stopping: state.stopping,
            finished: state.finished,
            stats: self.stats(),
        }
    }

    /// Waits until the handler is bound and pulling (or subscribed):
    /// `true`; or until it has finished without getting there: `false`.
    pub async fn ready(&self) -> bool {
        let health = self
            .wait_for(|health| (health.bound && health.pulling) || health.finished)
            .await;
        health.bound && health.pulling
    }

    /// Waits until `condition` holds for the health, checking it now and
    /// at every change of bound, pulling, last error, missing, stopping or
    /// finished (counters alone signal nothing), and returns that health.
    pub async fn wait_for(&self, mut condition: impl FnMut(&Health) -> bool) -> Health {
        let mut receiver = self.inner.state.subscribe();
        loop {
            let state = receiver.borrow_and_update().clone();
            let health = self.health_of(state);
            if condition(&health) || receiver.changed().await.is_err() {
                return health;
            }
        }
    }

    /// The schema store the health compares the handled type with.
    pub(crate) fn watch_schemas(&self, schemas: &crate::schema_store::SchemaStore) {
        let _ = self.inner.schemas.set(schemas.clone());
    }

    pub(crate) fn counters(&self) -> &Counters {
        &self.inner.counters
    }

    pub(crate) fn set_bound(&self) {
        self.inner.state.send_modify(|state| state.bound = true);
    }

    pub(crate) fn set_pulling(&self, pulling: bool) {
        self.inner.state.send_if_modified(|state| {
            let changed = state.pulling != pulling;
            state.pulling = pulling;
            changed
        });
    }

    pub(crate) fn set_error(&self, error: impl std::fmt::Display) {
        let error = error.to_string();
        self.inner
            .state
            .send_modify(|state| state.last_error = Some(error));
    }

    /// Records `missing` (keeping the first time it was seen) or clears it;
    /// returns since when it has been missing.
    pub(crate) fn set_missing(&self, missing: Option<Missing>) -> Option<Instant> {
        let mut since = None;
        self.inner.state.send_if_modified(|state| match missing {
            None => state.missing.take().is_some(),
            Some(missing) => match &state.missing {
                Some((same, at)) if *same == missing => {
                    since = Some(*at);
                    false
                }
                _ => {
                    let now = Instant::now();
                    since = Some(now);
                    state.last_error = Some(missing.to_string());
                    state.missing = Some((missing, now));
                    true
                }
            },
        });
        since
    }

    pub(crate) fn set_stopping(&self) {
        self.inner.state.send_modify(|state| {
            state.stopping = true;
            state.pulling = false;
        });
    }

    pub(crate) fn set_finished(&self) {
        self.inner.state.send_modify(|state| {
            state.finished = true;
            state.pulling = false;
        });
    }
}

/// The live view of every handler of a [`Service`](crate::Service), taken
/// before it runs.
///
/// ```no_run
/// # async fn run(client: polyn::Client, on_widget: &dyn polyn::Handler) -> Result<(), polyn::Error> {
/// let service = client.service(&[on_widget]);
/// let monitor = service.monitor();
/// tokio::spawn(async move {
///     if monitor.ready().await {
///         println!("every handler is bound");
///     }
/// });
/// service.run(async { tokio::signal::ctrl_c().await.ok(); }).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct ServiceMonitor {
    pub(crate) handlers: Arc<[Monitor]>,
}

impl ServiceMonitor {
    /// One monitor per handler, in the order they were given.
    pub fn handlers(&self) -> &[Monitor] {
        &self.handlers
    }

    /// The health of every handler.
    pub fn health(&self) -> Vec<Health> {
        self.handlers.iter().map(Monitor::health).collect()
    }

    /// Whether every handler is healthy.
    pub fn is_healthy(&self) -> bool {
        self.handlers.iter().all(|m| m.health().is_healthy())
    }

    /// Waits until every handler is bound and pulling (`true`), or one of
    /// them has finished without getting there (`false`).
    pub async fn ready(&self) -> bool {
        for handler in self.handlers.iter() {
            if !handler.ready().await {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_keeps_the_time_it_was_first_seen() {
        let monitor = Monitor::new("a.b.v1", HandlerKind::Pull);
        let gone = Missing::Consumer {
            stream: "S".into(),
            consumer: "c".into(),
        };
        let first = monitor.set_missing(Some(gone.clone())).expect("since");
        let again = monitor.set_missing(Some(gone)).expect("since");
        assert_eq!(first, again);
        let health = monitor.health();
        assert_eq!(
            health.last_error.as_deref(),
            Some("consumer `c` is missing from stream `S`")
        );
        assert!(!health.is_healthy());
        assert!(monitor.set_missing(None).is_none());
        assert!(monitor.health().missing.is_none());
    }

    #[tokio::test]
    async fn ready_resolves_when_pulling_or_finished() {
        let monitor = Monitor::new("a.b.v1", HandlerKind::Pull);
        let waiting = tokio::spawn({
            let monitor = monitor.clone();
            async move { monitor.ready().await }
        });
        monitor.set_bound();
        monitor.set_pulling(true);
        assert!(waiting.await.expect("task"));
        let other = Monitor::new("a.b.v1", HandlerKind::Core);
        other.set_finished();
        assert!(!other.ready().await);
    }
}
