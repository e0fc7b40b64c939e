//! [`Handler`] and [`HandlerSpec`]: what [`Client::serve`](crate::Client::serve)
//! runs. `#[polyn::handler]` generates `Handler` implementations; they can
//! also be written by hand.

use std::time::Duration;

use crate::binder::Binder;
use crate::binder::Bound;
use crate::error::Error;
use crate::handler_options::HandlerOptions;
use crate::invalid_message::InvalidMessage;
use futures_util::future::BoxFuture;

/// How a handler receives its events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandlerKind {
    /// A JetStream durable pull consumer: acknowledged, redelivered on error.
    #[default]
    Pull,
    /// A core-NATS subscription: no stream, no acknowledgement.
    Core,
    /// Requests on core NATS, each answered with a reply event.
    Request,
}

/// Where and how a [`Handler`] receives its events.
///
/// ```
/// let spec = polyn::consumer::HandlerSpec::new("widgets.created.v1").source("billing").concurrency(8);
/// assert_eq!(spec.name, "widgets.created.v1");
/// assert_eq!(spec.options.concurrency_limit(), 8);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
#[must_use]
pub struct HandlerSpec {
    /// The message name handled.
    pub name: String,
    /// Pull consumer, core subscription or request handler.
    pub kind: HandlerKind,
    /// A source refining the consumer name (pull handlers).
    pub source: Option<String>,
    /// An explicit stream (default: found by subject; pull handlers).
    pub stream: Option<String>,
    /// An explicit durable consumer name (default: by convention; pull handlers).
    pub consumer: Option<String>,
    /// The queue group (core and request handlers).
    pub queue_group: Option<String>,
    /// How the handler runs.
    pub options: HandlerOptions,
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

    /// Receives on core NATS, optionally in a queue group.
    pub fn core(mut self, queue_group: Option<String>) -> Self {
        self.kind = HandlerKind::Core;
        self.queue_group = queue_group;
        self
    }

    /// Answers requests on core NATS, optionally in a queue group.
    pub fn request(mut self, queue_group: Option<String>) -> Self {
        self.kind = HandlerKind::Request;
        self.queue_group = queue_group;
        self
    }

    /// Replaces every option at once.
    pub fn options(mut self, options: HandlerOptions) -> Self {
        self.options = options;
        self
    }

    /// Sets the concurrency (see [`HandlerOptions::concurrency`]).
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.options = self.options.concurrency(concurrency);
        self
    }

    /// Sets the batch size (see [`HandlerOptions::batch`]).
    pub fn batch(mut self, batch: usize) -> Self {
        self.options = self.options.batch(batch);
        self
    }

    /// Sets the prefetch (see [`HandlerOptions::prefetch`]).
    pub fn prefetch(mut self, messages: usize) -> Self {
        self.options = self.options.prefetch(messages);
        self
    }

    /// Sets the backoff (see [`HandlerOptions::backoff`]).
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.options = self.options.backoff(base, max);
        self
    }

    /// Sets the invalid-message hook (see [`HandlerOptions::on_invalid`]).
    pub fn on_invalid(mut self, hook: impl Fn(&InvalidMessage) + Send + Sync + 'static) -> Self {
        self.options = self.options.on_invalid(hook);
        self
    }

    /// Turns keep-alive on or off (see [`HandlerOptions::keep_alive`]).
    pub fn keep_alive(mut self, keep_alive: bool) -> Self {
        self.options = self.options.keep_alive(keep_alive);
        self
    }

    /// Turns dead letters on or off (see [`HandlerOptions::dead_letters`]).
    pub fn dead_letters(mut self, on: bool) -> Self {
        self.options = self.options.dead_letters(on);
        self
    }

    /// Allows other message types on the consumer's filter (see
    /// [`HandlerOptions::allow_other_types`]).
    pub fn allow_other_types(mut self) -> Self {
        self.options = self.options.allow_other_types();
        self
    }
}

/// An event handler that [`Client::serve`](crate::Client::serve) can run:
/// what it listens to ([`Handler::spec`]), and how it binds, given a
/// [`Binder`] that runs a typed function on the same typed consumer as
/// [`Client::consumer`](crate::Client::consumer).
///
/// `S` is shared application state, cloned into each call.
///
/// ```
/// use polyn::{Context, Error, Event, Handler};
/// use polyn::consumer::{Binder, BoxFuture, Bound, HandlerSpec};
///
/// #[derive(Clone, Copy)]
/// struct LogWidgets;
///
/// impl Handler for LogWidgets {
///     fn spec(&self) -> HandlerSpec {
///         HandlerSpec::new("widgets.created.v1")
///     }
///     fn bind(&self, binder: Binder<()>) -> BoxFuture<'static, Result<Bound, Error>> {
///         Box::pin(binder.pull(|event: Event, _ctx: Context, _state: ()| async move {
///             println!("widget {}", event.data()["id"]);
///         }))
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a Polyn handler",
    note = "annotate an `async fn` taking a `polyn::Event<T>` with `#[polyn::handler]`, or implement `polyn::Handler`"
)]
pub trait Handler<S = ()>: Send + Sync + 'static
where
    S: Clone + Send + Sync + 'static,
{
    /// Where and how the handler receives events.
    fn spec(&self) -> HandlerSpec;

    /// Binds the handler with one of the [`Binder`]'s methods
    /// ([`pull`](Binder::pull), [`core`](Binder::core),
    /// [`request`](Binder::request)); the [`Bound`] handler runs until
    /// shutdown.
    fn bind(&self, binder: Binder<S>) -> BoxFuture<'static, Result<Bound, Error>>;
}
