//! [`Sandbox`]: an in-memory Polyn for application tests and local runs —
//! no server, isolated per instance, behind the same [`Client`] API.

mod provision;
mod transport;
mod world;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use self::transport::SandboxTransport;
use self::world::{ConsumerState, Shared, StreamState, World};
pub use self::world::{Settlement, SettlementKind};
use crate::client::Client;
use crate::config::Config;
use crate::error::Error;
use crate::event::Event;
use crate::event_type::EventType;
use crate::publish::PublishOptions;
use crate::schema::Schema;
use crate::schema::Schemas;
use crate::schema_store::SchemaStore;

/// Default time a sandbox consumer waits for an acknowledgement.
const DEFAULT_ACK_WAIT: Duration = Duration::from_secs(30);

/// An in-memory stand-in for NATS JetStream: streams, durable pull
/// consumers (ack, nak with delay, term, in-progress, redelivery up to a
/// maximum), core subscriptions with queue groups, and request/reply with
/// timeouts. Handlers run unchanged on a sandbox and on a real server.
///
/// Each sandbox is its own world — there is no global state — so tests run
/// concurrently without seeing each other's events. Schemas come from event
/// types or a schemas folder; no server is needed.
///
/// ```
/// # #[derive(serde::Serialize, serde::Deserialize)] struct WidgetsCreatedV1 { id: String }
/// # impl polyn::EventType for WidgetsCreatedV1 { const NAME: &'static str = "widgets.created.v1";
/// #     const SCHEMA: &'static str = r#"{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}"#; }
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), polyn::Error> {
/// let config = polyn::Config::builder().domain("com.test").source_root("user.backend").build()?;
/// let sandbox = polyn::testing::Sandbox::builder(config)
///     .event::<WidgetsCreatedV1>()?
///     .stream("WIDGETS", &["widgets.created.v1"])
///     .consumer("WIDGETS", "widgets.created.v1", None)?
///     .build();
/// let client = sandbox.client();
/// client.publish(WidgetsCreatedV1 { id: "w1".into() }).await?;
/// assert_eq!(sandbox.published::<WidgetsCreatedV1>()?[0].data().id, "w1");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Sandbox {
    shared: Arc<Shared>,
    client: Client,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("config", self.client.config())
            .finish_non_exhaustive()
    }
}

/// Declares the schemas, streams and consumers of a [`Sandbox`].
#[must_use]
pub struct SandboxBuilder {
    config: Config,
    schemas: Schemas,
    world: World,
    ack_wait: Duration,
    max_deliver: Option<u64>,
}

impl std::fmt::Debug for SandboxBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxBuilder")
            .field("config", &self.config)
            .field("schemas", &self.schemas.len())
            .finish_non_exhaustive()
    }
}

impl SandboxBuilder {
    /// Registers the schema of an event type.
    pub fn event<T: EventType>(mut self) -> Result<Self, Error> {
        self.schemas
            .insert(Schema::from_json_str(T::NAME, T::SCHEMA)?);
        Ok(self)
    }

    /// Registers one schema.
    pub fn schema(mut self, schema: Schema) -> Self {
        self.schemas.insert(schema);
        self
    }

    /// Registers every schema of a schemas folder, found as the build
    /// script and `polyn up` find them (`*.json` at any depth, named by file
    /// stem, hidden files and folders skipped, symlinks followed). A file
    /// that cannot be read is [`Error::Schemas`], two files for one message
    /// [`Error::InvalidConfig`], naming them.
    pub fn schemas_dir(mut self, dir: impl AsRef<Path>) -> Result<Self, Error> {
        let dir = dir.as_ref();
        let files = polyn_schemas::load_schemas(dir)?;
        let mut seen: std::collections::BTreeMap<&str, &Path> = std::collections::BTreeMap::new();
        for file in &files {
            if let Some(first) = seen.insert(file.name(), file.path()) {
                return Err(Error::InvalidConfig {
                    message: format!(
                        "two schema files for the message `{}` under {}: {} and {}; keep one",
                        file.name(),
                        dir.display(),
                        first.display(),
                        file.path().display()
                    ),
                });
            }
        }
        for file in &files {
            self.schemas
                .insert(Schema::from_json_str(file.name(), file.text())?);
        }
        Ok(self)
    }

    /// Declares a stream capturing `subjects` (wildcards allowed).
    pub fn stream(mut self, name: &str, subjects: &[&str]) -> Self {
        self.world.streams.push(StreamState {
            name: name.to_owned(),
            subjects: subjects.iter().map(|s| (*s).to_owned()).collect(),
            messages: Vec::new(),
            ids: Default::default(),
        });
        self
    }

    /// How long consumers declared after this wait for an acknowledgement
    /// before redelivering (default 30 s).
    pub fn ack_wait(mut self, ack_wait: Duration) -> Self {
        self.ack_wait = ack_wait;
        self
    }

    /// How many publishes and settlements the sandbox remembers for
    /// [`Sandbox::published`], [`Sandbox::settlements`] and
    /// [`Sandbox::wait_for`] (default 10 000): beyond that the oldest are
    /// forgotten, so a long run's memory stays bounded.
    ///
    /// ```
    /// # let config = polyn::Config::builder().domain("com.test").source_root("svc").build()?;
    /// let sandbox = polyn::testing::Sandbox::builder(config).history(100).build();
    /// # Ok::<(), polyn::Error>(())
    /// ```
    pub fn history(mut self, events: usize) -> Self {
        self.world.history = events.max(1);
        self
    }

    /// How many times consumers declared after this deliver a message
    /// before giving up (default: no limit).
    pub fn max_deliver(mut self, max_deliver: u64) -> Self {
        self.max_deliver = Some(max_deliver.max(1));
        self
    }

    /// Declares the conventional durable consumer of `message` (refined by
    /// `source`) in `stream`, filtered on the message's subject.
    pub fn consumer(
        self,
        stream: &str,
        message: &str,
        source: Option<&str>,
    ) -> Result<Self, Error> {
        let name = self.config.consumer_name(message, source)?;
        let has_identity = self
            .schemas
            .get(message)
            .is_some_and(|schema| schema.identity().is_some());
        let filter = crate::naming::stream_subject(message, has_identity);
        Ok(self.consumer_named(stream, &name, &filter))
    }

    /// Declares a durable consumer with an explicit name and filter subject.
    pub fn consumer_named(mut self, stream: &str, name: &str, filter: &str) -> Self {
        self.world.consumers.push(ConsumerState {
            stream: stream.to_owned(),
            name: name.to_owned(),
            filter: filter.to_owned(),
            ack_wait: self.ack_wait,
            max_deliver: self.max_deliver,
            next_new: 0,
            redeliver: Vec::new(),
            in_flight: Default::default(),
            deliveries: Default::default(),
        });
        self
    }

    /// Builds the sandbox.
    pub fn build(self) -> Sandbox {
        let shared = Shared::new(self.world);
        let transport = SandboxTransport {
            shared: shared.clone(),
        };
        let client = Client::from_parts(
            self.config,
            Arc::new(transport),
            SchemaStore::fixed(self.schemas),
        );
        Sandbox { shared, client }
    }
}

impl Sandbox {
    /// Starts declaring a sandbox for a service with this configuration.
    pub fn builder(config: Config) -> SandboxBuilder {
        SandboxBuilder {
            config,
            schemas: Schemas::new(),
            world: World::default(),
            ack_wait: DEFAULT_ACK_WAIT,
            max_deliver: None,
        }
    }

    /// A client connected to this sandbox. Clones share the sandbox.
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// The events of `T` published so far (JetStream and core), in order,
    /// among the last [`history`](SandboxBuilder::history) publishes.
    pub fn published<T: EventType>(&self) -> Result<Vec<Event<T>>, Error> {
        self.published_json(T::NAME)?
            .into_iter()
            .map(Event::into_typed)
            .collect()
    }

    /// Every event of the message `name` published so far, as dynamic events.
    pub fn published_json(&self, name: &str) -> Result<Vec<Event<Value>>, Error> {
        let world = self.shared.lock();
        world
            .published
            .iter()
            .filter(|m| {
                m.subject == name
                    || m.subject
                        .strip_prefix(name)
                        .is_some_and(|rest| rest.starts_with('.') && !rest[1..].contains('.'))
            })
            .map(|m| {
                let value: Value =
                    serde_json::from_slice(&m.payload).map_err(|err| Error::Decode {
                        message: crate::excerpt::excerpt(&m.payload),
                        source: err,
                    })?;
                Event::from_json(value)
            })
            .collect()
    }

    /// The settlements (ack, nak, term, expiry, give-up) so far, in order:
    /// the last [`history`](SandboxBuilder::history) of them.
    pub fn settlements(&self) -> Vec<Settlement> {
        self.shared.lock().settlements.iter().cloned().collect()
    }

    /// Publishes raw bytes on a subject, as a foreign or faulty publisher
    /// would (no validation), and returns the stream sequence.
    pub fn publish_raw(&self, subject: &str, body: impl Into<bytes::Bytes>) -> Result<u64, Error> {
        let transport = SandboxTransport {
            shared: self.shared.clone(),
        };
        transport
            .store(crate::transport::Outgoing {
                subject: subject.to_owned(),
                headers: Vec::new(),
                payload: body.into(),
            })
            .map(|ack| ack.sequence)
    }

    /// Publishes an event and waits (up to `timeout`) until a consumer has
    /// settled it, returning the first settlement: the way to "deliver an
    /// event to the handlers and wait for it to be handled" without sleeps.
    pub async fn deliver<T: EventType>(
        &self,
        data: T,
        timeout: Duration,
    ) -> Result<Settlement, Error> {
        let id = uuid::Uuid::new_v4().to_string();
        self.client
            .publish_with(data, PublishOptions::new().id(id.clone()))
            .await?;
        self.wait_for(timeout, |s| s.id.as_deref() == Some(id.as_str()))
            .await
    }

    /// Waits (up to `timeout`) for the first settlement matching `predicate`,
    /// including ones that already happened.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        predicate: impl Fn(&Settlement) -> bool,
    ) -> Result<Settlement, Error> {
        let deadline = Instant::now() + timeout;
        loop {
            let notified = self.shared.changed.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            if let Some(found) = self.shared.lock().settlements.iter().find(|s| predicate(s)) {
                return Ok(found.clone());
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Err(Error::SandboxTimeout { timeout });
            }
        }
    }

    /// Checks that a real server has the streams and consumers this sandbox
    /// declares, with the same subjects and filters — so tests on the sandbox
    /// do not pass against a topology production lacks. Returns every
    /// mismatch.
    pub async fn verify_against(&self, nats: &async_nats::Client) -> Result<(), Error> {
        let js = async_nats::jetstream::new(nats.clone());
        let (streams, consumers) = {
            let world = self.shared.lock();
            let streams: Vec<(String, Vec<String>)> = world
                .streams
                .iter()
                .map(|s| (s.name.clone(), s.subjects.clone()))
                .collect();
            let consumers: Vec<(String, String, String)> = world
                .consumers
                .iter()
                .map(|c| (c.stream.clone(), c.name.clone(), c.filter.clone()))
                .collect();
            (streams, consumers)
        };
        let mut problems = Vec::new();
        for (name, subjects) in streams {
            match js.get_stream(&name).await {
                Err(err) => problems.push(format!("stream `{name}` is missing: {err}")),
                Ok(stream) => {
                    for subject in subjects {
                        if !stream.cached_info().config.subjects.contains(&subject) {
                            problems.push(format!(
                                "stream `{name}` does not capture `{subject}` (its subjects: {:?})",
                                stream.cached_info().config.subjects
                            ));
                        }
                    }
                }
            }
        }
        for (stream, name, filter) in consumers {
            let info = match js.get_stream(&stream).await {
                Ok(handle) => handle.consumer_info(&name).await,
                Err(err) => {
                    problems.push(format!(
                        "consumer `{name}` cannot be checked: stream `{stream}` is missing: {err}"
                    ));
                    continue;
                }
            };
            match info {
                Err(err) => problems.push(format!(
                    "consumer `{name}` is missing from stream `{stream}`: {err}"
                )),
                Ok(info) => {
                    let filters: Vec<String> = if info.config.filter_subjects.is_empty() {
                        vec![info.config.filter_subject.clone()]
                    } else {
                        info.config.filter_subjects.clone()
                    };
                    if !filters.iter().any(|f| f == &filter || f.is_empty()) {
                        problems.push(format!(
                            "consumer `{name}` in stream `{stream}` filters {filters:?}, not `{filter}`"
                        ));
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::TopologyMismatch { problems })
        }
    }
}
