//! Publishing: building, validating and encoding an event, and sending it
//! through JetStream (acknowledged or pipelined) or core NATS.

use super::Client;
use super::spans::{record_message_id, span_int};
use crate::encode::{self, Envelope};
use crate::error::Error;
use crate::event::Event;
use crate::event_type::EventType;
use crate::naming;
use crate::publish::PendingPublish;
use crate::publish::PublishAck;
use crate::publish::PublishOptions;
use crate::schema::Schema;
use crate::schema::Schemas;
use crate::telemetry;
use crate::transport::Outgoing;
use crate::validation::validate_event;
use bytes::Bytes;
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;
use tracing::Instrument;

/// The header JetStream deduplicates on; always the event id.
pub(crate) const MSG_ID_HEADER: &str = "Nats-Msg-Id";

impl Client {
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
            source: err,
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
            source: err,
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
}

/// Records the event id and the size of the whole serialized envelope of a
/// send span's message.
fn record_message(span: &tracing::Span, id: &str, size: usize) {
    record_message_id(span, id);
    span.record("messaging.message_payload_size_bytes", span_int(size));
    span.record("messaging.message.body.size", span_int(size));
}

impl Client {
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
}
