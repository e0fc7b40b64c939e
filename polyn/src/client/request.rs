//! Request/reply: a request waits for its validated reply; a reply answers
//! a received request.

use super::Client;
use super::spans::{TEMPORARY, record_message_id};
use crate::core_runner::{SERVICE_ERROR, SERVICE_ERROR_CODE};
use crate::error::Error;
use crate::event::Event;
use crate::event_type::EventType;
use crate::publish::PublishOptions;
use crate::received::Received;
use crate::telemetry;
use crate::transport::Incoming;
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;
use tracing::Instrument;

/// Default time a request waits for its reply.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

impl Client {
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
