//! [`Handler`] and [`Client::serve`]: run many event handlers until shutdown.
//! `#[polyn::handler]` generates `Handler` implementations; they can also be
//! written by hand.

use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::consumer::noop_context;
use crate::{Client, Context, Error, Event, Outcome};

/// Where and how a [`Handler`] receives its events.
///
/// ```
/// let spec = polyn::HandlerSpec::new("widgets.created.v1").source("billing").concurrency(8);
/// assert_eq!(spec.name, "widgets.created.v1");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
#[must_use]
pub struct HandlerSpec {
    /// The message name handled.
    pub name: String,
    /// A source refining the consumer name.
    pub source: Option<String>,
    /// An explicit stream (default: found by subject).
    pub stream: Option<String>,
    /// An explicit durable consumer name (default: by convention).
    pub consumer: Option<String>,
    /// Messages handled at once (default [`DEFAULT_CONCURRENCY`](crate::DEFAULT_CONCURRENCY)).
    pub concurrency: Option<usize>,
    /// Messages per pull (default: the concurrency).
    pub batch: Option<usize>,
    /// Receive on core NATS (no stream, no acknowledgement) instead of a pull consumer.
    pub core: bool,
    /// The queue group for core NATS.
    pub queue_group: Option<String>,
}

impl HandlerSpec {
    /// A pull-consumer handler for the message `name`.
    pub fn new(name: impl Into<String>) -> Self {
        HandlerSpec {
            name: name.into(),
            ..Self::default()
        }
    }

    /// Sets the source.
    pub fn source(mut self, source: impl Into<String>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Sets the stream.
    pub fn stream(mut self, stream: impl Into<String>) -> Self {
        self.stream = Some(stream.into());
        self
    }

    /// Sets the durable consumer name.
    pub fn consumer(mut self, consumer: impl Into<String>) -> Self {
        self.consumer = Some(consumer.into());
        self
    }

    /// Sets the concurrency.
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = Some(concurrency);
        self
    }

    /// Sets the batch size.
    pub fn batch(mut self, batch: usize) -> Self {
        self.batch = Some(batch);
        self
    }

    /// Receives on core NATS, optionally in a queue group.
    pub fn core(mut self, queue_group: Option<String>) -> Self {
        self.core = true;
        self.queue_group = queue_group;
        self
    }
}

/// An event handler that [`Client::serve`] can run: what it listens to, and
/// what it does with a validated event.
///
/// `S` is shared application state, cloned into each call.
///
/// ```
/// use polyn::{BoxFuture, Context, Event, Handler, HandlerSpec, Outcome};
/// use std::sync::Arc;
///
/// #[derive(Clone, Copy)]
/// struct LogWidgets;
///
/// impl Handler for LogWidgets {
///     fn spec(&self) -> HandlerSpec {
///         HandlerSpec::new("widgets.created.v1")
///     }
///     fn call(&self, event: Event, _ctx: Context, _state: ()) -> BoxFuture<'static, Result<Outcome, String>> {
///         Box::pin(async move {
///             println!("widget {}", event.data()["id"]);
///             Ok(Outcome::Ack)
///         })
///     }
///     fn shared(&self) -> Arc<dyn Handler> {
///         Arc::new(*self)
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Polyn handler",
    note = "annotate an `async fn` taking a `polyn::Event<T>` with `#[polyn::handler]`, or implement `polyn::Handler`"
)]
pub trait Handler<S = ()>: Send + Sync + 'static {
    /// Where and how the handler receives events.
    fn spec(&self) -> HandlerSpec;

    /// Handles one validated event.
    fn call(
        &self,
        event: Event<Value>,
        context: Context,
        state: S,
    ) -> BoxFuture<'static, Result<Outcome, String>>;

    /// An owned, shareable copy of the handler.
    fn shared(&self) -> Arc<dyn Handler<S>>;
}

impl Client {
    /// Runs every handler until `shutdown` completes, then shuts each down
    /// gracefully (see [`Consumer::run`](crate::Consumer::run)).
    ///
    /// Binding errors (a missing stream or consumer) are returned before
    /// anything runs.
    ///
    /// ```no_run
    /// # async fn run(client: polyn::Client, on_widget: &dyn polyn::Handler) -> Result<(), polyn::Error> {
    /// client.serve(&[on_widget], async { tokio::signal::ctrl_c().await.ok(); }).await?;
    /// # Ok(()) }
    /// ```
    pub async fn serve(
        &self,
        handlers: &[&dyn Handler],
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), Error> {
        self.serve_with((), handlers, shutdown).await
    }

    /// [`Client::serve`] with shared application state.
    pub async fn serve_with<S: Clone + Send + Sync + 'static>(
        &self,
        state: S,
        handlers: &[&dyn Handler<S>],
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), Error> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut runs = JoinSet::new();
        for handler in handlers {
            let handler = handler.shared();
            let spec = handler.spec();
            let state = state.clone();
            let mut stop = stop_rx.clone();
            let stopped = async move {
                let _ = stop.wait_for(|stop| *stop).await;
            };
            if spec.core {
                let mut subscriber = self
                    .subscribe_json(&spec.name, spec.queue_group.as_deref())
                    .await?;
                runs.spawn(async move {
                    let mut stopped = std::pin::pin!(stopped);
                    loop {
                        let received = tokio::select! {
                            () = &mut stopped => return Ok(()),
                            next = subscriber.next() => next,
                        };
                        match received {
                            None => return Ok(()),
                            Some(Err(_)) => {} // logged by the subscriber
                            Some(Ok(received)) => {
                                let context = noop_context(&received);
                                let result = handler
                                    .call(received.into_event(), context, state.clone())
                                    .await;
                                if let Err(err) = result {
                                    tracing::warn!(name = %spec.name, error = %err, "handler failed");
                                }
                            }
                        }
                    }
                });
            } else {
                let mut builder = self.consumer_json(&spec.name);
                if let Some(source) = &spec.source {
                    builder = builder.source(source.clone());
                }
                if let Some(stream) = &spec.stream {
                    builder = builder.stream(stream.clone());
                }
                if let Some(consumer) = &spec.consumer {
                    builder = builder.consumer_name(consumer.clone());
                }
                if let Some(concurrency) = spec.concurrency {
                    builder = builder.concurrency(concurrency);
                }
                if let Some(batch) = spec.batch {
                    builder = builder.batch(batch);
                }
                let consumer = builder.bind().await?;
                runs.spawn(async move {
                    consumer
                        .run(
                            move |event, context| handler.call(event, context, state.clone()),
                            stopped,
                        )
                        .await
                        .map(|_| ())
                });
            }
        }
        let mut shutdown = std::pin::pin!(shutdown);
        let mut result = Ok(());
        tokio::select! {
            () = &mut shutdown => {}
            Some(done) = runs.join_next() => {
                result = flatten(done);
            }
        }
        let _ = stop_tx.send(true);
        while let Some(done) = runs.join_next().await {
            if result.is_ok() {
                result = flatten(done);
            }
        }
        result
    }
}

fn flatten(done: Result<Result<(), Error>, tokio::task::JoinError>) -> Result<(), Error> {
    done.map_err(|err| Error::nats("running a handler", err))?
}
