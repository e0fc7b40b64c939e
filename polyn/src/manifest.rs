//! [`Manifest`]: what a service publishes and handles, as a small JSON
//! document for tools such as `polyn catalog`.

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::error::Error;
use crate::event_type::EventType;
use crate::handler::{Handler, HandlerKind};

/// What a service publishes and what it handles (through which consumer,
/// subscription or request subject), as `polyn catalog` reads it.
///
/// A service builds it from the same handlers it serves and the event types
/// it publishes, and writes it as JSON at build time or on a command (the
/// quickstart writes it with `--manifest <file>`):
///
/// ```
/// use polyn::manifest::Manifest;
/// use polyn::consumer::{Binder, Bound, BoxFuture, HandlerSpec};
/// use polyn::{Config, Context, Event, Handler};
///
/// struct OnWidget;
/// impl Handler for OnWidget {
///     fn spec(&self) -> HandlerSpec {
///         HandlerSpec::new("widgets.created.v1")
///     }
///     fn bind(&self, binder: Binder<()>) -> BoxFuture<'static, Result<Bound, polyn::Error>> {
///         Box::pin(binder.pull(|_event: Event, _ctx: Context, _state: ()| async move {}))
///     }
/// }
///
/// let config = Config::builder().domain("com.acme").source_root("billing").build()?;
/// let manifest = Manifest::new(&config)
///     .handles(&[&OnWidget])?
///     .publishes_name("invoices.sent.v1")?;
/// assert_eq!(manifest.handles[0].consumer.as_deref(), Some("billing_widgets_created_v1"));
/// let json = manifest.to_json();
/// assert_eq!(Manifest::from_json(&json)?, manifest);
/// # Ok::<(), polyn::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Manifest {
    /// The service: its source root, like `user.backend`.
    pub service: String,
    /// The domain its events are typed in, like `com.acme`.
    pub domain: String,
    /// The message names it publishes (or requests), sorted, each once.
    #[serde(default)]
    pub publishes: Vec<String>,
    /// What it handles, one entry per handler.
    #[serde(default)]
    pub handles: Vec<Handled>,
}

/// One handler of a [`Manifest`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Handled {
    /// The message name handled.
    pub message: String,
    /// `pull` (a durable JetStream consumer), `core` (a subscription) or
    /// `request` (answers requests).
    pub kind: String,
    /// The durable consumer a pull handler binds to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumer: Option<String>,
    /// The stream named for a pull handler (otherwise found by subject).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<String>,
    /// The source refining a pull handler's consumer name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The queue group of a core or request handler.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_group: Option<String>,
    /// How many events it handles at once.
    pub concurrency: usize,
}

impl Manifest {
    /// An empty manifest of the service `config` describes.
    pub fn new(config: &Config) -> Self {
        Manifest {
            service: config.source_root().to_owned(),
            domain: config.domain().to_owned(),
            publishes: Vec::new(),
            handles: Vec::new(),
        }
    }

    /// Adds the handlers, with the consumer names they bind to; a bad name
    /// in a handler's spec is the error binding it would give.
    pub fn handles<S>(mut self, handlers: &[&dyn Handler<S>]) -> Result<Self, Error>
    where
        S: Clone + Send + Sync + 'static,
    {
        for handler in handlers {
            let spec = handler.spec();
            crate::naming::validate_message_name(&spec.name)?;
            let (kind, consumer) = match spec.kind {
                HandlerKind::Core => ("core", None),
                HandlerKind::Request => ("request", None),
                _ => {
                    let consumer = match &spec.consumer {
                        Some(consumer) => consumer.clone(),
                        None => crate::naming::consumer_name(
                            &self.domain,
                            &self.service,
                            &spec.name,
                            spec.source.as_deref(),
                        )?,
                    };
                    ("pull", Some(consumer))
                }
            };
            self.handles.push(Handled {
                message: spec.name,
                kind: kind.to_owned(),
                consumer,
                stream: spec.stream,
                source: spec.source,
                queue_group: spec.queue_group,
                concurrency: spec.options.concurrency_limit(),
            });
        }
        Ok(self)
    }

    /// Adds the event type `T` to what the service publishes.
    pub fn publishes<T: EventType>(self) -> Result<Self, Error> {
        self.publishes_name(T::NAME)
    }

    /// Adds the message `name` to what the service publishes.
    pub fn publishes_name(mut self, name: &str) -> Result<Self, Error> {
        crate::naming::validate_message_name(name)?;
        if let Err(at) = self
            .publishes
            .binary_search_by(|known| known.as_str().cmp(name))
        {
            self.publishes.insert(at, name.to_owned());
        }
        Ok(self)
    }

    /// The manifest as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // A struct of strings and numbers always serializes.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Reads a manifest from its JSON.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        serde_json::from_str(text).map_err(|source| Error::InvalidManifest { source })
    }
}
