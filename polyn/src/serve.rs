//! [`Service`] and [`Client::serve`]: run many handlers until shutdown,
//! with a live [`ServiceMonitor`] and the stats of every handler at the end.

pub use crate::monitor::{Health, Missing, Monitor, ServiceMonitor};

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::binder::Binder;
use crate::client::Client;
use crate::consumer::ConsumerStats;
use crate::consumer::DEFAULT_MISSING_GRACE;
use crate::error::Error;
use crate::handler::Handler;

/// What one handler did, as [`Service::run`] returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HandlerStats {
    /// The message name handled.
    pub name: String,
    /// Its counters.
    pub stats: ConsumerStats,
}

/// What every handler of a service did, in the order they were given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServeStats {
    /// One entry per handler.
    pub handlers: Vec<HandlerStats>,
}

impl ServeStats {
    /// The counters of the handler of `name` (the first, if several).
    pub fn of(&self, name: &str) -> Option<&ConsumerStats> {
        self.handlers
            .iter()
            .find(|handler| handler.name == name)
            .map(|handler| &handler.stats)
    }
}

/// Handlers to run together until shutdown; see [`Client::service`].
///
/// ```no_run
/// # async fn run(client: polyn::Client, on_widget: &dyn polyn::Handler) -> Result<(), polyn::Error> {
/// let service = client
///     .service(&[on_widget])
///     .shutdown_deadline(std::time::Duration::from_secs(20));
/// let monitor = service.monitor();
/// tokio::spawn(async move {
///     monitor.ready().await;
///     println!("ready: {:?}", monitor.health());
/// });
/// let stats = service.run(async { tokio::signal::ctrl_c().await.ok(); }).await?;
/// println!("{:?}", stats.of("widgets.created.v1"));
/// # Ok(()) }
/// ```
#[must_use]
pub struct Service<'h, S: Clone + Send + Sync + 'static> {
    client: Client,
    state: S,
    handlers: Vec<&'h dyn Handler<S>>,
    monitors: Arc<[Monitor]>,
    shutdown_deadline: Option<Duration>,
    missing_grace: Duration,
}

impl<S: Clone + Send + Sync + 'static> std::fmt::Debug for Service<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("handlers", &self.monitors)
            .field("shutdown_deadline", &self.shutdown_deadline)
            .field("missing_grace", &self.missing_grace)
            .finish_non_exhaustive()
    }
}

impl<'h, S: Clone + Send + Sync + 'static> Service<'h, S> {
    /// After shutdown begins, wait at most this long for the handlers in
    /// flight; those still running are then abandoned and reported, their
    /// messages naked for redelivery at once (requests are answered with
    /// error 503). Default: wait for them.
    pub fn shutdown_deadline(mut self, deadline: Duration) -> Self {
        self.shutdown_deadline = Some(deadline);
        self
    }

    /// How long a handler's consumer or stream may be missing while
    /// running before the service ends with that error (default 30 s).
    /// The health shows it at once.
    pub fn missing_grace(mut self, grace: Duration) -> Self {
        self.missing_grace = grace;
        self
    }

    /// The live view of every handler: readiness, health and counters.
    pub fn monitor(&self) -> ServiceMonitor {
        ServiceMonitor {
            handlers: self.monitors.clone(),
        }
    }

    /// Binds every handler (a binding error, such as a missing stream or
    /// consumer, is returned before anything runs), runs them until
    /// `shutdown` completes, then shuts each down gracefully (see
    /// [`Consumer::run`](crate::Consumer::run)) and returns what each did.
    ///
    /// If a handler ends with an error while running (its consumer was
    /// deleted and did not come back within the grace period), the others
    /// are shut down and that error is returned.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> Result<ServeStats, Error> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut bound = Vec::with_capacity(self.handlers.len());
        for (handler, monitor) in self.handlers.iter().zip(self.monitors.iter()) {
            monitor.watch_schemas(self.client.schemas());
            let binder = Binder {
                client: self.client.clone(),
                spec: handler.spec(),
                state: self.state.clone(),
                monitor: monitor.clone(),
                stop: stop_rx.clone(),
                shutdown_deadline: self.shutdown_deadline,
                missing_grace: self.missing_grace,
            };
            match handler.bind(binder).await {
                Ok(handler) => bound.push(handler),
                Err(error) => {
                    for monitor in self.monitors.iter() {
                        monitor.set_error(&error);
                        monitor.set_finished();
                    }
                    return Err(error);
                }
            }
        }
        // The handled types against the schema store, by the drift policy.
        let mut names: Vec<&str> = self.monitors.iter().map(Monitor::name).collect();
        names.sort_unstable();
        names.dedup();
        let drift = names
            .into_iter()
            .filter_map(|name| self.client.schemas().drift_of(name))
            .collect();
        if let Err(error) = self.client.refuse_or_warn(drift) {
            for monitor in self.monitors.iter() {
                monitor.set_error(&error);
                monitor.set_finished();
            }
            return Err(error);
        }
        tracing::info!(handlers = self.monitors.len(),
            names = ?self.monitors.iter().map(Monitor::name).collect::<Vec<_>>(),
            "serving: every handler is bound");
        let started = std::time::Instant::now();
        let mut runs = JoinSet::new();
        let mut tasks = std::collections::HashMap::new();
        for (index, handler) in bound.into_iter().enumerate() {
            let run = handler.run;
            let task = runs.spawn(async move { (index, run.await) });
            tasks.insert(task.id(), self.monitors[index].name().to_owned());
        }
        let mut results: Vec<Option<ConsumerStats>> = vec![None; self.monitors.len()];
        let mut failure = None;
        let mut shutdown = std::pin::pin!(shutdown);
        tokio::select! {
            () = &mut shutdown => {}
            Some(done) = runs.join_next() => record(done, &tasks, &mut results, &mut failure),
        }
        let _ = stop_tx.send(true);
        while let Some(done) = runs.join_next().await {
            record(done, &tasks, &mut results, &mut failure);
        }
        if let Some(error) = failure {
            tracing::error!(error = %crate::guard::error_chain(&error),
                "a handler failed; the service stopped");
            return Err(error);
        }
        let handlers: Vec<HandlerStats> = self
            .monitors
            .iter()
            .zip(results)
            .map(|(monitor, stats)| HandlerStats {
                name: monitor.name().to_owned(),
                stats: stats.unwrap_or_else(|| monitor.stats()),
            })
            .collect();
        for handler in &handlers {
            let stats = &handler.stats;
            tracing::info!(name = %handler.name, acked = stats.acked, naked = stats.naked,
                termed = stats.termed, invalid = stats.invalid, failed = stats.failed,
                panics = stats.panics, dead_lettered = stats.dead_lettered,
                abandoned = stats.abandoned, "handler stopped");
        }
        tracing::info!(handlers = handlers.len(), ran = ?started.elapsed(), "service stopped");
        Ok(ServeStats { handlers })
    }
}

fn record(
    done: Result<(usize, Result<ConsumerStats, Error>), tokio::task::JoinError>,
    tasks: &std::collections::HashMap<tokio::task::Id, String>,
    results: &mut [Option<ConsumerStats>],
    failure: &mut Option<Error>,
) {
    match done {
        Ok((index, Ok(stats))) => {
            if let Some(slot) = results.get_mut(index) {
                *slot = Some(stats);
            }
        }
        Ok((_, Err(error))) => {
            failure.get_or_insert(error);
        }
        Err(join) => {
            let name = tasks.get(&join.id()).cloned().unwrap_or_default();
            failure.get_or_insert(Error::TaskFailed { name, source: join });
        }
    }
}

impl Client {
    /// Handlers to run together, with options and a live monitor; see
    /// [`Service`]. [`Client::serve`] is the short form.
    pub fn service<'h>(&self, handlers: &[&'h dyn Handler]) -> Service<'h, ()> {
        self.service_with((), handlers)
    }

    /// [`Client::service`] with shared application state, cloned into
    /// every call.
    pub fn service_with<'h, S: Clone + Send + Sync + 'static>(
        &self,
        state: S,
        handlers: &[&'h dyn Handler<S>],
    ) -> Service<'h, S> {
        let monitors = handlers
            .iter()
            .map(|handler| {
                let spec = handler.spec();
                Monitor::new(&spec.name, spec.kind)
            })
            .collect();
        Service {
            client: self.clone(),
            state,
            handlers: handlers.to_vec(),
            monitors,
            shutdown_deadline: None,
            missing_grace: DEFAULT_MISSING_GRACE,
        }
    }

    /// Runs every handler until `shutdown` completes, then shuts each down
    /// gracefully, and returns what each did (see [`Service::run`]).
    ///
    /// ```no_run
    /// # async fn run(client: polyn::Client, on_widget: &dyn polyn::Handler) -> Result<(), polyn::Error> {
    /// let stats = client.serve(&[on_widget], async { tokio::signal::ctrl_c().await.ok(); }).await?;
    /// # Ok(()) }
    /// ```
    pub async fn serve(
        &self,
        handlers: &[&dyn Handler],
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<ServeStats, Error> {
        self.service(handlers).run(shutdown).await
    }

    /// [`Client::serve`] with shared application state.
    pub async fn serve_with<S: Clone + Send + Sync + 'static>(
        &self,
        state: S,
        handlers: &[&dyn Handler<S>],
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<ServeStats, Error> {
        self.service_with(state, handlers).run(shutdown).await
    }
}
