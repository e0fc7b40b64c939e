//! [`Binder`]: how a [`Handler`](crate::Handler) binds its typed function,
//! and [`Bound`], a bound handler ready to run.

use std::future::Future;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde::de::DeserializeOwned;
use tokio::sync::watch;

use crate::client::Client;
use crate::consumer::ConsumerStats;
use crate::consumer::Context;
use crate::error::Error;
use crate::event::Event;
use crate::event_type::EventType;
use crate::handler::HandlerKind;
use crate::handler::HandlerSpec;
use crate::monitor::Monitor;
use crate::outcome::BoxError;
use crate::outcome::IntoOutcome;

/// Handed to [`Handler::bind`](crate::Handler::bind) by
/// [`Client::serve`](crate::Client::serve): binds the handler's typed
/// function, on the same typed consumer as
/// [`Client::consumer`](crate::Client::consumer) (or a core subscription),
/// with the options of its [`HandlerSpec`].
pub struct Binder<S> {
    pub(crate) client: Client,
    pub(crate) spec: HandlerSpec,
    pub(crate) state: S,
    pub(crate) monitor: Monitor,
    pub(crate) stop: watch::Receiver<bool>,
    pub(crate) shutdown_deadline: Option<Duration>,
    pub(crate) missing_grace: Duration,
}

impl<S> std::fmt::Debug for Binder<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Binder")
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

/// A bound handler, ready to run until shutdown: what
/// [`Handler::bind`](crate::Handler::bind) returns.
#[must_use]
pub struct Bound {
    pub(crate) run: BoxFuture<'static, Result<ConsumerStats, Error>>,
}

impl std::fmt::Debug for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bound").finish_non_exhaustive()
    }
}

impl<S: Clone + Send + Sync + 'static> Binder<S> {
    /// The handler's spec.
    pub fn spec(&self) -> &HandlerSpec {
        &self.spec
    }

    /// The client serving it.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// A signal that completes when the service shuts down.
    fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut stop = self.stop.clone();
        async move {
            let _ = stop.wait_for(|stop| *stop).await;
        }
    }

    fn expect_kind(&self, kind: HandlerKind, method: &str) -> Result<(), Error> {
        if self.spec.kind == kind {
            return Ok(());
        }
        Err(Error::InvalidConfig {
            message: format!(
                "the handler of `{}` is declared {:?} in its spec but binds with \
                 `Binder::{method}`; make `Handler::spec` and `Handler::bind` agree",
                self.spec.name, self.spec.kind
            ),
        })
    }

    /// Binds `handler` to the durable pull consumer of the spec's message,
    /// decoding each event into `T` (`serde_json::Value` for dynamic
    /// events). See [`Consumer::run`](crate::Consumer::run) for how each
    /// message is settled.
    pub async fn pull<T, H, F, R>(self, handler: H) -> Result<Bound, Error>
    where
        T: DeserializeOwned + Send + 'static,
        H: Fn(Event<T>, Context, S) -> F + Send + Sync + 'static,
        F: Future<Output = R> + Send + 'static,
        R: IntoOutcome + Send + 'static,
    {
        self.expect_kind(HandlerKind::Pull, "pull")?;
        let spec = &self.spec;
        let mut builder = self
            .client
            .consumer_of::<T>(&spec.name)
            .options(spec.options.clone())
            .missing_grace(self.missing_grace)
            .monitor(self.monitor.clone());
        if let Some(source) = &spec.source {
            builder = builder.source(source.clone());
        }
        if let Some(stream) = &spec.stream {
            builder = builder.stream(stream.clone());
        }
        if let Some(consumer) = &spec.consumer {
            builder = builder.consumer_name(consumer.clone());
        }
        if let Some(deadline) = self.shutdown_deadline {
            builder = builder.shutdown_deadline(deadline);
        }
        let consumer = builder.bind().await?;
        let stopped = self.stopped();
        let state = self.state;
        Ok(Bound {
            run: Box::pin(consumer.run(
                move |event, context| handler(event, context, state.clone()),
                stopped,
            )),
        })
    }

    /// Binds `handler` to a core-NATS subscription of the spec's message
    /// (in its queue group, if any): no stream, no acknowledgement. Up to
    /// the concurrency run at once; an invalid message, an error or a
    /// panic is reported and the subscription goes on.
    pub async fn core<T, H, F, R>(self, handler: H) -> Result<Bound, Error>
    where
        T: DeserializeOwned + Send + 'static,
        H: Fn(Event<T>, Context, S) -> F + Send + Sync + 'static,
        F: Future<Output = R> + Send + 'static,
        R: IntoOutcome + Send + 'static,
    {
        self.expect_kind(HandlerKind::Core, "core")?;
        let subscription = self.subscribe().await?;
        let stopped = self.stopped();
        let run =
            crate::core_runner::run_core(self.runner(subscription), handler, self.state, stopped);
        Ok(Bound { run: Box::pin(run) })
    }

    /// Binds `handler` to answer requests for the spec's message on core
    /// NATS (in its queue group, if any). Its `Ok` reply is validated
    /// against the schema of `R` and sent; an invalid request, an invalid
    /// reply, a handler error or a panic is reported and answered with the
    /// `Nats-Service-Error` and `Nats-Service-Error-Code` headers of NATS
    /// services, so a Polyn requester gets [`Error::Remote`] at once.
    pub async fn request<Q, R, H, F, E>(self, handler: H) -> Result<Bound, Error>
    where
        Q: DeserializeOwned + Send + 'static,
        R: EventType + Send + 'static,
        E: Into<BoxError> + Send + 'static,
        H: Fn(Event<Q>, Context, S) -> F + Send + Sync + 'static,
        F: Future<Output = Result<R, E>> + Send + 'static,
    {
        self.expect_kind(HandlerKind::Request, "request")?;
        let subscription = self.subscribe().await?;
        let stopped = self.stopped();
        let run = crate::core_runner::run_requests(
            self.runner(subscription),
            handler,
            self.state,
            stopped,
        );
        Ok(Bound { run: Box::pin(run) })
    }

    async fn subscribe(&self) -> Result<Box<dyn crate::transport::Subscription>, Error> {
        let subscription = self
            .client
            .subscription(&self.spec.name, self.spec.queue_group.as_deref())
            .await?;
        // Ready only once the server has the subscription, or a request
        // sent at once from another connection could meet no responders.
        // Best effort: a server that does not answer the round trip (a
        // user not allowed to publish its subject, say) delays nothing more.
        if let Err(err) = self.client.transport().round_trip().await {
            tracing::debug!(name = %self.spec.name, error = %err,
                "no round trip after subscribing; going on");
        }
        self.monitor.set_bound();
        self.monitor.set_pulling(true);
        tracing::info!(name = %self.spec.name, kind = ?self.spec.kind,
            queue_group = ?self.spec.queue_group, concurrency = self.spec.options.concurrency,
            "subscribed on core NATS");
        Ok(subscription)
    }

    fn runner(
        &self,
        subscription: Box<dyn crate::transport::Subscription>,
    ) -> crate::core_runner::Runner {
        crate::core_runner::Runner {
            client: self.client.clone(),
            name: self.spec.name.clone(),
            options: self.spec.options.clone(),
            monitor: self.monitor.clone(),
            subscription,
            shutdown_deadline: self.shutdown_deadline,
        }
    }
}
