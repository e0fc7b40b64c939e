//! [`Client`]: connect, publish, request and reply.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tracing::Instrument;

use crate::core_runner::{SERVICE_ERROR, SERVICE_ERROR_CODE};
use crate::encode::{self, Envelope};
use crate::telemetry;
use crate::transport::nats::NatsTransport;
use crate::transport::{Incoming, Outgoing, Transport};
use crate::{
    Auth, Config, Error, Event, EventType, PendingPublish, PublishAck, PublishOptions, Received,
    Schema, SchemaStore, Schemas, naming, validate_event,
};

/// The header JetStream deduplicates on; always the event id.
pub(crate) const MSG_ID_HEADER: &str = "Nats-Msg-Id";

/// The destination of a reply in span names and attributes: an inbox, named
/// as the Polyn observability conventions name it.
pub(crate) const TEMPORARY: &str = "(temporary)";

/// Default time a request waits for its reply.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection to NATS with the schema store loaded: the handle every
/// Polyn operation goes through. Cheap to clone and share across tasks;
/// reconnects on its own.
///
/// ```no_run
/// # async fn run() -> Result<(), polyn::Error> {
/// let client = polyn::Client::connect(polyn::Config::from_env()?).await?;
/// let ack = client
///     .publish_json("widgets.created.v1", serde_json::json!({"id": "w1", "name": "Sprocket"}))
///     .await?;
/// println!("stored as {} #{}", ack.stream, ack.sequence);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    transport: Arc<dyn Transport>,
    schemas: SchemaStore,
    /// The event `source` of a publish without a source of its own,
    /// built once.
    root_source: Option<String>,
    /// The OpenTelemetry instruments (none without the `otel` feature).
    metrics: crate::metrics::Metrics,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Connects to the configured servers (default `nats://127.0.0.1:4222`)
    /// with the configured credentials and TLS, then loads and watches the
    /// schema store.
    ///
    /// Fails with [`Error::SchemaStoreNotFound`] when the bucket does not
    /// exist.
    pub async fn connect(config: Config) -> Result<Client, Error> {
        let (reconnected, reconnects) = tokio::sync::watch::channel(0u64);
        let nats = connect_nats_with(&config, Some(reconnected)).await?;
        let transport = NatsTransport::new(nats, config.publish_retry(), Some(reconnects));
        let schemas = SchemaStore::watch(transport.jetstream(), config.schema_bucket()).await?;
        Ok(Client::from_parts(config, Arc::new(transport), schemas))
    }

    /// Uses an existing `async-nats` connection (its own options apply).
    pub async fn with_nats(config: Config, nats: async_nats::Client) -> Result<Client, Error> {
        let transport = NatsTransport::new(nats, config.publish_retry(), None);
        let schemas = SchemaStore::watch(transport.jetstream(), config.schema_bucket()).await?;
        Ok(Client::from_parts(config, Arc::new(transport), schemas))
    }

    pub(crate) fn from_parts(
        config: Config,
        transport: Arc<dyn Transport>,
        schemas: SchemaStore,
    ) -> Client {
        let root_source = config.full_source(None).ok();
        Client {
            inner: Arc::new(Inner {
                config,
                transport,
                schemas,
                root_source,
                metrics: crate::metrics::Metrics::new(),
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The schema store.
    pub fn schemas(&self) -> &SchemaStore {
        &self.inner.schemas
    }

    pub(crate) fn transport(&self) -> &Arc<dyn Transport> {
        &self.inner.transport
    }

    pub(crate) fn metrics(&self) -> &crate::metrics::Metrics {
        &self.inner.metrics
    }

    /// Builds, validates and encodes an event; nothing is sent.
    ///
    /// The envelope is Polyn's own: its type and source pass the naming
    /// rules and the rest is valid by construction, so on the fast path only
    /// `data` is checked against its schema and the envelope is encoded
    /// straight to bytes. Whenever a check fails, the whole event goes
    /// through [`validate_event`] to report it in the protocol's order and
    /// words. Debug builds re-validate every event they send against the same
    /// schemas snapshot, and log (never panic) if that disagrees. The current
    /// span's trace context goes into the headers: call it in the message's
    /// send span ([`Client::prepare_traced`]).
    pub(crate) fn prepare<T: Serialize>(
        &self,
        name: &str,
        data: T,
        options: PublishOptions,
    ) -> Result<(String, Outgoing), Error> {
        let config = &self.inner.config;
        let event_type = config.full_type(name)?;
        // The message name without a domain prefix the caller may have given.
        let name = config.message_name(&event_type);
        let source = match (options.source.as_deref(), &self.inner.root_source) {
            (None, Some(root)) => std::borrow::Cow::Borrowed(root.as_str()),
            (source, _) => std::borrow::Cow::Owned(config.full_source(source)?),
        };
        let id = options
            .id
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let data = serde_json::to_value(data).map_err(|err| Error::Encode {
            id: id.clone(),
            reason: err.to_string(),
        })?;
        let envelope = Envelope {
            id: &id,
            source: &source,
            event_type: &event_type,
            time: &encode::now(),
        };
        let schemas = self.inner.schemas.current();
        let schema = match schemas.get(name) {
            Some(schema) if !id.is_empty() && schema.is_valid(&data) => schema,
            _ => self.full_validation(&envelope, &data, &schemas)?,
        };
        let subject = match schema.identity() {
            None => naming::subject(name, None)?,
            Some(property) => {
                let token = match data.get(property) {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    other => {
                        return Err(Error::InvalidIdentity {
                            name: name.to_owned(),
                            value: other.map_or_else(|| "nothing".to_owned(), Value::to_string),
                        });
                    }
                };
                naming::subject(name, Some(&token))?
            }
        };
        let payload = encode::encode(&envelope, &data).map_err(|err| Error::Encode {
            id: id.clone(),
            reason: err.to_string(),
        })?;
        #[cfg(debug_assertions)]
        self.check_encoded(&payload, &schemas);
        let mut headers: Vec<(String, String)> = options
            .headers
            .into_iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case(MSG_ID_HEADER))
            .collect();
        headers.push((MSG_ID_HEADER.to_owned(), id.clone()));
        telemetry::inject(&mut headers);
        Ok((
            id,
            Outgoing {
                subject,
                headers,
                payload: Bytes::from(payload),
            },
        ))
    }

    /// [`Client::prepare`] in `span`, a send span: the trace context in the
    /// headers is the span's, and the span gets the event id and size, or
    /// the error.
    pub(crate) fn prepare_traced<T: Serialize>(
        &self,
        span: &tracing::Span,
        name: &str,
        data: T,
        options: PublishOptions,
    ) -> Result<(String, Outgoing), Error> {
        let prepared =
            telemetry::recorded(span, span.in_scope(|| self.prepare(name, data, options)));
        if let Ok((id, message)) = &prepared {
            record_message(span, id, message.payload.len());
        }
        prepared
    }

    /// Validates the whole event the slow way, for its error.
    fn full_validation<'s>(
        &self,
        envelope: &Envelope<'_>,
        data: &Value,
        schemas: &'s Schemas,
    ) -> Result<&'s Arc<Schema>, Error> {
        let event = Event::new(envelope.event_type, envelope.source, data)
            .with_id(envelope.id)
            .to_json()?;
        Ok(validate_event(&event, self.inner.config.domain(), schemas)?)
    }

    /// Debug builds: what [`Client::prepare`] encoded passes full validation
    /// against the same snapshot of the schemas it was checked with (a
    /// schema updated meanwhile cannot make it fail); a failure is a Polyn
    /// bug, logged, and the publish goes on.
    #[cfg(debug_assertions)]
    fn check_encoded(&self, payload: &[u8], schemas: &Schemas) {
        let event: Value = serde_json::from_slice(payload).unwrap_or(Value::Null);
        if let Err(err) = validate_event(&event, self.inner.config.domain(), schemas) {
            tracing::error!(error = %err, "Polyn encoded an event that fails full validation \
                (a Polyn bug: please report it with this line)");
        }
    }

    /// Decodes and validates a received message, in the protocol's order.
    pub(crate) fn decode(&self, payload: &[u8]) -> Result<Event<Value>, Error> {
        let schemas = self.inner.schemas.current();
        crate::decode::decode_event(payload, self.inner.config.domain(), &schemas)
    }

    /// Decodes a received message into the event type `T`, checking that it
    /// is a `T` at all.
    pub(crate) fn decode_typed<T: DeserializeOwned + 'static>(
        &self,
        payload: &[u8],
        expected_name: Option<&str>,
    ) -> Result<Event<T>, Error> {
        let event = match self.decode(payload) {
            Ok(event) => event,
            Err(err) => {
                let drift = expected_name.and_then(|name| self.schemas().drift_of(name));
                return crate::drift::noted(Err(err), drift);
            }
        };
        if let Some(expected) = expected_name {
            let name = self.inner.config.message_name(event.event_type());
            if name != expected {
                return Err(Error::UnexpectedEvent {
                    expected: expected.to_owned(),
                    received: event.event_type().to_owned(),
                    id: event.id().to_owned(),
                });
            }
        }
        match event.into_typed_fast() {
            Some(event) => Ok(event),
            // Does not fit: decode again for the error, naming the field.
            None => self.decode(payload)?.into_typed(),
        }
    }

    /// Publishes an event and waits for the server to store it.
    ///
    /// The payload is validated against its schema first; when it is
    /// invalid nothing is sent. The subject is the message name (plus the
    /// identity value when the schema declares one), and `Nats-Msg-Id` is the
    /// event id, so a retried publish is stored once.
    ///
    /// ```no_run
    /// # #[derive(serde::Serialize, serde::Deserialize)] struct WidgetsCreatedV1 { id: String, name: String }
    /// # impl polyn::EventType for WidgetsCreatedV1 { const NAME: &'static str = "widgets.created.v1"; const SCHEMA: &'static str = "{}"; }
    /// # async fn run(client: polyn::Client) -> Result<(), polyn::Error> {
    /// client.publish(WidgetsCreatedV1 { id: "w1".into(), name: "Sprocket".into() }).await?;
    /// # Ok(()) }
    /// ```
    pub async fn publish<T: EventType>(&self, data: T) -> Result<PublishAck, Error> {
        self.publish_with(data, PublishOptions::new()).await
    }

    /// [`Client::publish`] with options (source, headers, explicit id).
    pub async fn publish_with<T: EventType>(
        &self,
        data: T,
        options: PublishOptions,
    ) -> Result<PublishAck, Error> {
        let drift = self.send_drift::<T>()?;
        let pending =
            crate::drift::noted(self.publish_pipelined(T::NAME, data, options).await, drift)?;
        pending.await
    }

    /// Publishes a dynamic payload for the message `name` and waits for the
    /// server to store it.
    ///
    /// ```no_run
    /// # async fn run(client: polyn::Client) -> Result<(), polyn::Error> {
    /// client.publish_json("widgets.created.v1", serde_json::json!({"id": "w1", "name": "Sprocket"})).await?;
    /// # Ok(()) }
    /// ```
    pub async fn publish_json(&self, name: &str, data: Value) -> Result<PublishAck, Error> {
        self.publish_pipelined(name, data, PublishOptions::new())
            .await?
            .await
    }

    /// Validates and sends an event without waiting for the acknowledgement,
    /// which the returned [`PendingPublish`] yields later. Keep many in
    /// flight for throughput:
    ///
    /// ```no_run
    /// # async fn run(client: polyn::Client) -> Result<(), polyn::Error> {
    /// let mut pending = Vec::new();
    /// for n in 0..1000 {
    ///     let data = serde_json::json!({"id": format!("w{n}"), "name": "Sprocket"});
    ///     pending.push(client.publish_pipelined("widgets.created.v1", data, Default::default()).await?);
    /// }
    /// for publish in pending {
    ///     publish.await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn publish_pipelined<T: Serialize>(
        &self,
        name: &str,
        data: T,
        options: PublishOptions,
    ) -> Result<PendingPublish, Error> {
        let started = crate::metrics::start();
        let destination = self.inner.config.message_name(name);
        let span = self.send_span(destination);
        let sent = match self.prepare_traced(&span, name, data, options) {
            Ok((id, message)) => self
                .inner
                .transport
                .publish(message)
                .instrument(span.clone())
                .await
                .map(|ack| (id, ack)),
            Err(error) => return self.publish_failed(destination, started, Err(error)),
        };
        let (id, ack) = match telemetry::recorded(&span, sent) {
            Ok(sent) => sent,
            Err(error) => return self.publish_failed(destination, started, Err(error)),
        };
        #[cfg(feature = "otel")]
        let ack = self.inner.metrics.timed_ack(destination, started, ack);
        Ok(PendingPublish::new(id, ack))
    }

    /// A publish that failed before its acknowledgement, recorded.
    #[cold]
    fn publish_failed<T>(
        &self,
        destination: &str,
        started: crate::metrics::Started,
        failed: Result<T, Error>,
    ) -> Result<T, Error> {
        self.inner.metrics.published(destination, started, &failed);
        failed
    }

    /// The `<destination> send` producer span of the Polyn observability
    /// conventions (`destination` is a message name without its domain, or
    /// [`TEMPORARY`] for a reply); [`Client::prepare_traced`] records the
    /// event id and size.
    pub(crate) fn send_span(&self, destination: &str) -> tracing::Span {
        tracing::info_span!(
            "send",
            otel.name = %format_args!("{destination} send"),
            otel.kind = "producer",
            messaging.system = "NATS",
            messaging.protocol = "Polyn",
            messaging.destination = %destination,
            messaging.destination.name = %destination,
            messaging.operation.type = "send",
            messaging.url = &*self.inner.transport.server_url(),
            messaging.message_id = tracing::field::Empty,
            messaging.message.id = tracing::field::Empty,
            messaging.message_payload_size_bytes = tracing::field::Empty,
            messaging.message.body.size = tracing::field::Empty,
        )
    }

    /// The `<destination> receive` consumer span of the Polyn observability
    /// conventions for `message`, the child of the trace context in its
    /// headers. `operation` is the `messaging.operation.type`: `"process"`
    /// where a handler processes it, `"receive"` for a request's reply. The
    /// event id is recorded once decoded ([`record_message_id`]); a pull
    /// consumer's message has its `pulled` consumer, stream sequence and
    /// delivery count as `messaging.consumer.group.name` and
    /// `messaging.nats.*` (so every log line of its handling names them).
    pub(crate) fn receive_span(
        &self,
        destination: &str,
        operation: &'static str,
        message: &Incoming,
        pulled: Option<(&str, u64, u64)>,
    ) -> tracing::Span {
        let span = tracing::info_span!(
            "receive",
            otel.name = %format_args!("{destination} receive"),
            otel.kind = "consumer",
            messaging.system = "NATS",
            messaging.protocol = "Polyn",
            messaging.destination = %destination,
            messaging.destination.name = %destination,
            messaging.operation.type = operation,
            messaging.url = &*self.inner.transport.server_url(),
            messaging.message_id = tracing::field::Empty,
            messaging.message.id = tracing::field::Empty,
            messaging.message_payload_size_bytes = span_int(message.payload.len()),
            messaging.message.body.size = span_int(message.payload.len()),
            messaging.consumer.group.name = pulled.map(|(consumer, ..)| consumer),
            messaging.nats.stream_sequence = pulled.map(|(_, sequence, _)| span_int(sequence)),
            messaging.nats.delivered = pulled.map(|(.., delivered)| span_int(delivered)),
        );
        telemetry::set_parent(&span, &message.headers);
        span
    }

    /// The `<destination> process` consumer span of a batch of `count`
    /// messages, which each message's receive span links to.
    pub(crate) fn process_span(&self, destination: &str, count: usize) -> tracing::Span {
        tracing::info_span!(
            "process",
            otel.name = %format_args!("{destination} process"),
            otel.kind = "consumer",
            messaging.system = "NATS",
            messaging.protocol = "Polyn",
            messaging.destination = %destination,
            messaging.destination.name = %destination,
            messaging.operation.type = "process",
            messaging.url = &*self.inner.transport.server_url(),
            messaging.batch.message_count = span_int(count),
        )
    }

    /// Validates and publishes an event on core NATS, with no stream and no
    /// acknowledgement: for subjects no stream captures.
    pub async fn publish_core<T: Serialize>(
        &self,
        name: &str,
        data: T,
        options: PublishOptions,
    ) -> Result<(), Error> {
        let span = self.send_span(self.inner.config.message_name(name));
        let (_, message) = self.prepare_traced(&span, name, data, options)?;
        let sent = self
            .inner
            .transport
            .publish_core(message)
            .instrument(span.clone())
            .await;
        telemetry::recorded(&span, sent)
    }

    /// Sends a validated request and waits (up to `timeout`) for a reply,
    /// which is validated against its own type's schema and must be a `R`.
    /// A service that answers with an error (a Polyn request handler whose
    /// request was invalid or whose handler failed, or any NATS service) is
    /// [`Error::Remote`] with its code and description.
    ///
    /// ```no_run
    /// # #[derive(serde::Serialize, serde::Deserialize)] struct Q;
    /// # impl polyn::EventType for Q { const NAME: &'static str = "calc.mult.request.v1"; const SCHEMA: &'static str = "{}"; }
    /// # #[derive(serde::Serialize, serde::Deserialize)] struct A;
    /// # impl polyn::EventType for A { const NAME: &'static str = "calc.mult.response.v1"; const SCHEMA: &'static str = "{}"; }
    /// # async fn run(client: polyn::Client) -> Result<(), polyn::Error> {
    /// let reply: polyn::Event<A> = client.request(Q, std::time::Duration::from_secs(2)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn request<Q: EventType, R: EventType>(
        &self,
        data: Q,
        timeout: Duration,
    ) -> Result<Event<R>, Error> {
        let drift = self.send_drift::<Q>()?;
        crate::drift::note::<R>();
        let reply = crate::drift::noted(
            self.request_raw(Q::NAME, data, PublishOptions::new(), timeout)
                .await,
            drift,
        )?;
        reply.decode(|payload| self.decode_typed(payload, Some(R::NAME)))
    }

    /// Sends a validated dynamic request for the message `name`; the reply is
    /// validated against the schema of its own `type`.
    pub async fn request_json(
        &self,
        name: &str,
        data: Value,
        timeout: Duration,
    ) -> Result<Event<Value>, Error> {
        let reply = self
            .request_raw(name, data, PublishOptions::new(), timeout)
            .await?;
        reply.decode(|payload| self.decode(payload))
    }

    /// Sends a request in its `<name> send` span and waits for the reply,
    /// which is handled in a `(temporary) receive` span.
    async fn request_raw<T: Serialize>(
        &self,
        name: &str,
        data: T,
        options: PublishOptions,
        timeout: Duration,
    ) -> Result<Reply, Error> {
        let send = self.send_span(self.inner.config.message_name(name));
        let (_, message) = self.prepare_traced(&send, name, data, options)?;
        let sent = self
            .inner
            .transport
            .request(message, timeout)
            .instrument(send.clone())
            .await;
        let reply = match sent {
            Err(Error::Timeout {
                subject, timeout, ..
            }) => Err(Error::Timeout {
                name: name.to_owned(),
                subject,
                timeout,
            }),
            Err(Error::NoResponders { subject, .. }) => Err(Error::NoResponders {
                name: name.to_owned(),
                subject,
            }),
            other => other,
        };
        let reply = telemetry::recorded(&send, reply)?;
        // Without a trace context in the reply, its span is the request's child.
        let span = send.in_scope(|| self.receive_span(TEMPORARY, "receive", &reply, None));
        // A service that failed says so in headers, as NATS services do.
        if let Some(description) = crate::received::header(&reply.headers, SERVICE_ERROR) {
            let code = crate::received::header(&reply.headers, SERVICE_ERROR_CODE)
                .and_then(|code| code.trim().parse().ok())
                .unwrap_or(500);
            let error = Error::Remote {
                name: name.to_owned(),
                code,
                description: description.to_owned(),
            };
            return telemetry::recorded(&span, Err(error));
        }
        Ok(Reply {
            message: reply,
            span,
            _send: send,
        })
    }

    /// Answers a received request with a validated event of type `R`, and
    /// returns once the reply has reached the server.
    ///
    /// ```no_run
    /// # #[derive(serde::Serialize, serde::Deserialize)] struct Q;
    /// # impl polyn::EventType for Q { const NAME: &'static str = "calc.mult.request.v1"; const SCHEMA: &'static str = "{}"; }
    /// # #[derive(serde::Serialize, serde::Deserialize)] struct A;
    /// # impl polyn::EventType for A { const NAME: &'static str = "calc.mult.response.v1"; const SCHEMA: &'static str = "{}"; }
    /// # async fn run(client: polyn::Client) -> Result<(), polyn::Error> {
    /// let mut requests = client.subscribe::<Q>(None).await?;
    /// while let Some(request) = requests.next().await {
    ///     client.reply(&request?, A).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn reply<Q, R: EventType>(
        &self,
        request: &Received<Q>,
        data: R,
    ) -> Result<(), Error> {
        let drift = self.send_drift::<R>()?;
        crate::drift::noted(self.reply_json(request, R::NAME, data).await, drift)
    }

    /// Answers a received request with a validated event of the message `name`.
    pub async fn reply_json<Q, R: Serialize>(
        &self,
        request: &Received<Q>,
        name: &str,
        data: R,
    ) -> Result<(), Error> {
        let Some(reply_to) = request.reply_to() else {
            return Err(Error::NoReplySubject {
                id: request.event().id().to_owned(),
            });
        };
        let span = self.send_span(TEMPORARY);
        let (_, mut message) = self.prepare_traced(&span, name, data, PublishOptions::new())?;
        message.subject = reply_to.to_owned();
        let sent = async {
            self.inner.transport.publish_core(message).await?;
            // Returns once the reply is on the server: a replier may exit next.
            self.inner.transport.flush().await
        }
        .instrument(span.clone())
        .await;
        telemetry::recorded(&span, sent)
    }

    /// Waits until everything published has reached the server.
    pub async fn flush(&self) -> Result<(), Error> {
        self.inner.transport.flush().await
    }

    /// The URL of the server the client is connected to.
    pub fn server_url(&self) -> String {
        self.inner.transport.server_url().to_string()
    }
}

/// Records the event id of a span's message.
pub(crate) fn record_message_id(span: &tracing::Span, id: &str) {
    span.record("messaging.message_id", id);
    span.record("messaging.message.id", id);
}

/// Records the event id and the size of the whole serialized envelope of a
/// send span's message.
fn record_message(span: &tracing::Span, id: &str, size: usize) {
    record_message_id(span, id);
    span.record("messaging.message_payload_size_bytes", span_int(size));
    span.record("messaging.message.body.size", span_int(size));
}

/// A count as a span attribute: OpenTelemetry integers are `i64`, and
/// `tracing-opentelemetry` records a `u64` as text.
pub(crate) fn span_int(count: impl TryInto<i64>) -> i64 {
    count.try_into().unwrap_or(i64::MAX)
}

/// A request's reply, with the spans it is traced in.
struct Reply {
    message: Incoming,
    /// The `(temporary) receive` span handling it.
    span: tracing::Span,
    /// The request's `<name> send` span: it ends after the reply's.
    _send: tracing::Span,
}

impl Reply {
    /// Decodes the reply with `decode` in its span, recording the event id
    /// or the error there.
    fn decode<T>(
        self,
        decode: impl FnOnce(&[u8]) -> Result<Event<T>, Error>,
    ) -> Result<Event<T>, Error> {
        let decoded = telemetry::recorded(
            &self.span,
            self.span.in_scope(|| decode(&self.message.payload)),
        );
        if let Ok(event) = &decoded {
            record_message_id(&self.span, event.id());
        }
        decoded
    }
}

impl Config {
    /// Opens a plain `async-nats` connection with the configured servers,
    /// credentials and TLS, without loading the schema store: for tools
    /// such as a [`Migrator`](crate::Migrator), which run before the store
    /// exists.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), polyn::Error> {
    /// let nats = polyn::Config::from_env()?.connect_nats().await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect_nats(&self) -> Result<async_nats::Client, Error> {
        connect_nats_with(self, None).await
    }
}

/// Opens the `async-nats` connection described by the configuration.
///
/// With `reconnected`, every (re)connection bumps its value: a publish
/// waiting for an acknowledgement sends again at once, since what was in
/// flight on the lost connection will get no answer.
async fn connect_nats_with(
    config: &Config,
    reconnected: Option<tokio::sync::watch::Sender<u64>>,
) -> Result<async_nats::Client, Error> {
    let servers: Vec<String> = if config.servers().is_empty() {
        vec!["nats://127.0.0.1:4222".to_owned()]
    } else {
        config.servers().to_vec()
    };
    let shown = servers
        .iter()
        .map(|s| crate::config::redact_url(s))
        .collect::<Vec<_>>()
        .join(", ");
    let fail = |source: Box<dyn std::error::Error + Send + Sync>| Error::Connect {
        servers: shown.clone(),
        source,
    };
    let mut options = async_nats::ConnectOptions::new()
        .name(config.connection_name())
        .max_reconnects(None);
    if let Some(reconnected) = reconnected {
        let reconnects = crate::metrics::Reconnects::new();
        options = options.event_callback(move |event| {
            if matches!(event, async_nats::Event::Connected) {
                reconnected.send_modify(|count| *count += 1);
                reconnects.connected();
            }
            std::future::ready(())
        });
    }
    options = match config.auth() {
        Auth::UserPassword { user, password } => {
            options.user_and_password(user.clone(), password.expose().to_owned())
        }
        Auth::Token(token) => options.token(token.expose().to_owned()),
        Auth::NKey(seed) => options.nkey(seed.expose().to_owned()),
        Auth::CredentialsFile(path) => options.credentials_file(path).await.map_err(|err| {
            fail(format!("cannot read the credentials file {}: {err}", path.display()).into())
        })?,
        _ => options,
    };
    let tls = config.tls();
    // Trusting a CA or presenting a certificate means TLS is wanted: never
    // fall back to plaintext (with the credentials) because a server's INFO
    // did not ask for TLS.
    if tls.required || tls.ca_file.is_some() || tls.client_cert.is_some() {
        options = options.require_tls(true);
    }
    if let Some(ca) = &tls.ca_file {
        options = options.add_root_certificates(ca.clone());
    }
    if let Some((cert, key)) = &tls.client_cert {
        options = options.add_client_certificate(cert.clone(), key.clone());
    }
    let addresses = servers
        .iter()
        .map(|s| s.parse::<async_nats::ServerAddr>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| fail(Box::new(err)))?;
    let deadline = tokio::time::Instant::now() + config.connect_retry();
    let mut pause = Duration::from_millis(100);
    let mut attempts = 1u32;
    loop {
        match options.clone().connect(addresses.clone()).await {
            Ok(client) => return Ok(client),
            Err(err) if unreachable(&err) && tokio::time::Instant::now() + pause < deadline => {
                tracing::info!(servers = %shown, error = %err, attempts,
                    "no NATS server answers yet; trying again");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
                attempts += 1;
            }
            Err(err) => return Err(fail(Box::new(err))),
        }
    }
}

/// Whether connecting failed because no server answered (worth trying
/// again), not because one refused the client.
fn unreachable(err: &async_nats::ConnectError) -> bool {
    use async_nats::ConnectErrorKind;
    matches!(
        err.kind(),
        ConnectErrorKind::Io | ConnectErrorKind::TimedOut | ConnectErrorKind::Dns
    )
}
