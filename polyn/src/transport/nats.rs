//! The NATS JetStream transport, over `async-nats`.

use std::sync::Arc;
use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::{
    self,
    context::{GetStreamByNameErrorKind, PublishErrorKind},
};
use futures_util::{FutureExt, StreamExt};
use tokio::sync::watch;

mod pull;

use super::{BoxFuture, Incoming, Outgoing, PendingAck, PullConsumer, Subscription, Transport};
use crate::error::Error;
use crate::publish::PublishAck;

/// NATS through `async-nats`: a core client and its JetStream context.
#[derive(Clone, Debug)]
pub(crate) struct NatsTransport {
    client: async_nats::Client,
    /// Shared with every publish waiting for its acknowledgement (which
    /// may need to send again): one reference count, not a client clone.
    jetstream: Arc<jetstream::Context>,
    /// How long a publish keeps trying while its stream has no leader.
    publish_retry: Duration,
    /// Bumped on every (re)connection, when the client was connected by
    /// Polyn (a connection given to [`Client::with_nats`](crate::Client::with_nats)
    /// has its own event callback).
    reconnects: Option<watch::Receiver<u64>>,
    /// The server URL as of the connection numbered with it (every span
    /// names it; reading it from the client clones the whole server info).
    url: Arc<std::sync::Mutex<(u64, Arc<str>)>>,
}

impl NatsTransport {
    pub(crate) fn new(
        client: async_nats::Client,
        publish_retry: Duration,
        reconnects: Option<watch::Receiver<u64>>,
    ) -> Self {
        let jetstream = Arc::new(jetstream::new(client.clone()));
        NatsTransport {
            url: Arc::new(std::sync::Mutex::new((u64::MAX, Arc::from("")))),
            client,
            jetstream,
            publish_retry,
            reconnects,
        }
    }

    pub(crate) fn jetstream(&self) -> &jetstream::Context {
        &self.jetstream
    }
}

fn header_map(headers: &[(String, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.append(name.as_str(), value.as_str());
    }
    map
}

fn header_list(headers: Option<&HeaderMap>) -> Vec<(String, String)> {
    let Some(headers) = headers else {
        return Vec::new();
    };
    let mut list = Vec::with_capacity(headers.len());
    {
        for (name, values) in headers.iter() {
            for value in values {
                list.push((
                    AsRef::<str>::as_ref(name).to_owned(),
                    value.as_str().to_owned(),
                ));
            }
        }
    }
    list
}

pub(super) fn incoming(message: async_nats::Message) -> Incoming {
    Incoming {
        headers: header_list(message.headers.as_ref()),
        subject: message.subject.as_str().to_owned(),
        reply: message.reply.map(|r| r.as_str().to_owned()),
        payload: message.payload,
    }
}

/// What it takes to send a JetStream publish again, and how long to keep
/// trying: a publish that meets no stream leader (a 503 "no responders"
/// while an R3 stream elects one) or no acknowledgement in time is sent
/// again with the same `Nats-Msg-Id` until the deadline, so the server
/// stores it once; only a stream that is really missing (asked for by
/// subject) is [`Error::StreamNotFound`].
struct Resend {
    jetstream: Arc<jetstream::Context>,
    subject: String,
    headers: Vec<(String, String)>,
    payload: bytes::Bytes,
    deadline: Duration,
    /// Changes when the client reconnects: what was in flight is lost.
    reconnects: Option<watch::Receiver<u64>>,
}

/// What waiting for a publish's acknowledgement ended with.
enum Waited {
    Answer(Result<jetstream::publish::PublishAck, jetstream::context::PublishError>),
    /// The connection was lost and made again meanwhile.
    Reconnected,
}

/// What JetStream said about the stream of a subject.
enum Lookup {
    Found(String),
    Missing,
    /// No answer in time, or an error.
    Unknown(String),
}

impl Resend {
    /// Which stream captures the subject, asked with a short deadline.
    async fn stream_of_subject(&self) -> Lookup {
        let ask = self.jetstream.stream_by_subject(self.subject.clone());
        match tokio::time::timeout(Duration::from_secs(1), ask).await {
            Ok(Ok(name)) => Lookup::Found(name),
            Ok(Err(err)) if matches!(err.kind(), GetStreamByNameErrorKind::NotFound) => {
                Lookup::Missing
            }
            Ok(Err(err)) => Lookup::Unknown(err.to_string()),
            Err(_) => Lookup::Unknown("no answer within 1 s".to_owned()),
        }
    }

    async fn wait(&mut self, pending: jetstream::context::PublishAckFuture) -> Waited {
        let Some(reconnects) = self.reconnects.as_mut() else {
            return Waited::Answer(pending.await);
        };
        tokio::select! {
            answer = pending => Waited::Answer(answer),
            Ok(()) = reconnects.changed() => Waited::Reconnected,
        }
    }

    async fn settle(
        mut self,
        first: jetstream::context::PublishAckFuture,
    ) -> Result<PublishAck, Error> {
        let started = tokio::time::Instant::now();
        let mut pending = first;
        // The stream that captures the subject, once JetStream said.
        let mut stream: Option<String> = None;
        let mut asked = false;
        let mut attempts = 1u32;
        let mut pause = Duration::from_millis(25);
        loop {
            let err = match self.wait(pending).await {
                Waited::Answer(Ok(ack)) => {
                    return Ok(PublishAck {
                        stream: ack.stream,
                        sequence: ack.sequence,
                        duplicate: ack.duplicate,
                    });
                }
                Waited::Answer(Err(err)) => Some(err),
                Waited::Reconnected => None,
            };
            let (stream, reason) = match err.as_ref().map(|err| err.kind()) {
                None => (
                    None,
                    "the connection was lost before the acknowledgement came".to_owned(),
                ),
                Some(PublishErrorKind::StreamNotFound) => {
                    // Asked once: while a failover also moves the meta
                    // leader, the question itself waits.
                    if stream.is_none() && !asked {
                        asked = true;
                        match self.stream_of_subject().await {
                            Lookup::Found(name) => stream = Some(name),
                            Lookup::Missing => {
                                return Err(Error::StreamNotFound {
                                    subject: self.subject,
                                });
                            }
                            Lookup::Unknown(why) => {
                                tracing::debug!(subject = %self.subject, why,
                                    "could not learn which stream captures the subject");
                            }
                        }
                    }
                    let reason = match &stream {
                        Some(name) => format!("stream `{name}` has no leader to store it"),
                        None => "no stream answered, and JetStream could not say which stream \
                                 captures the subject"
                            .to_owned(),
                    };
                    (stream.clone(), reason)
                }
                Some(PublishErrorKind::TimedOut) => {
                    (None, "no acknowledgement came in time".to_owned())
                }
                Some(_) => {
                    let context = format!(
                        "waiting for the acknowledgement of a publish on `{}`",
                        self.subject
                    );
                    return Err(match err {
                        Some(err) => Error::nats(context, err),
                        None => Error::nats(context, "no answer"),
                    });
                }
            };
            let waited = started.elapsed();
            if waited + pause > self.deadline {
                // A last look: a stream deleted meanwhile, or one that never
                // was while JetStream could not say, is missing.
                if stream.is_none()
                    && let Lookup::Missing = self.stream_of_subject().await
                {
                    return Err(Error::StreamNotFound {
                        subject: self.subject,
                    });
                }
                return Err(Error::StreamUnavailable {
                    subject: self.subject,
                    stream,
                    waited,
                    attempts,
                    reason,
                });
            }
            tracing::debug!(subject = %self.subject, attempts, reason, "publishing again");
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(1));
            attempts += 1;
            pending = self
                .jetstream
                .publish_with_headers(
                    self.subject.clone(),
                    header_map(&self.headers),
                    self.payload.clone(),
                )
                .await
                .map_err(|err| Error::nats(format!("publishing on `{}`", self.subject), err))?;
        }
    }
}

impl Transport for NatsTransport {
    fn publish(&self, message: Outgoing) -> BoxFuture<'_, Result<PendingAck, Error>> {
        async move {
            let Outgoing {
                subject,
                headers,
                payload,
            } = message;
            let pending = self
                .jetstream
                .publish_with_headers(subject.clone(), header_map(&headers), payload.clone())
                .await
                .map_err(|err| Error::nats(format!("publishing on `{subject}`"), err))?;
            let reconnects = self.reconnects.clone().map(|mut reconnects| {
                reconnects.borrow_and_update();
                reconnects
            });
            let retry = Resend {
                jetstream: self.jetstream.clone(),
                subject,
                headers,
                payload,
                deadline: self.publish_retry,
                reconnects,
            };
            let ack: PendingAck = Box::pin(retry.settle(pending));
            Ok(ack)
        }
        .boxed()
    }

    fn publish_core(&self, message: Outgoing) -> BoxFuture<'_, Result<(), Error>> {
        async move {
            let subject = message.subject;
            self.client
                .publish_with_headers(
                    subject.clone(),
                    header_map(&message.headers),
                    message.payload,
                )
                .await
                .map_err(|err| Error::nats(format!("publishing on `{subject}`"), err))
        }
        .boxed()
    }

    fn request(
        &self,
        message: Outgoing,
        timeout: Duration,
    ) -> BoxFuture<'_, Result<Incoming, Error>> {
        async move {
            let subject = message.subject;
            let request = async_nats::Request::new()
                .payload(message.payload)
                .headers(header_map(&message.headers))
                .timeout(Some(timeout));
            match self.client.send_request(subject.clone(), request).await {
                Ok(reply) => Ok(incoming(reply)),
                Err(err) => Err(match err.kind() {
                    async_nats::RequestErrorKind::TimedOut => Error::Timeout {
                        name: subject.clone(),
                        subject,
                        timeout,
                    },
                    async_nats::RequestErrorKind::NoResponders => Error::NoResponders {
                        name: subject.clone(),
                        subject,
                    },
                    _ => Error::nats(format!("requesting on `{subject}`"), err),
                }),
            }
        }
        .boxed()
    }

    fn subscribe(
        &self,
        subject: String,
        queue_group: Option<String>,
    ) -> BoxFuture<'_, Result<Box<dyn Subscription>, Error>> {
        async move {
            let subscriber = match queue_group {
                Some(group) => self.client.queue_subscribe(subject.clone(), group).await,
                None => self.client.subscribe(subject.clone()).await,
            }
            .map_err(|err| Error::nats(format!("subscribing to `{subject}`"), err))?;
            Ok(Box::new(NatsSubscription(subscriber)) as Box<dyn Subscription>)
        }
        .boxed()
    }

    fn stream_for_subject(&self, subject: String) -> BoxFuture<'_, Result<String, Error>> {
        async move {
            match self.jetstream.stream_by_subject(subject.clone()).await {
                Ok(stream) => Ok(stream),
                Err(err)
                    if matches!(
                        err.kind(),
                        jetstream::context::GetStreamByNameErrorKind::NotFound
                    ) =>
                {
                    Err(Error::StreamNotFound { subject })
                }
                Err(err) => Err(Error::nats(
                    format!("looking up the stream for `{subject}`"),
                    err,
                )),
            }
        }
        .boxed()
    }

    fn bind(
        &self,
        stream: String,
        consumer: String,
    ) -> BoxFuture<'_, Result<Box<dyn PullConsumer>, Error>> {
        async move {
            let handle = self
                .jetstream
                .get_stream_no_info(&stream)
                .await
                .map_err(|err| Error::nats(format!("opening stream `{stream}`"), err))?;
            let info = match handle.consumer_info(&consumer).await {
                Ok(info) => info.clone(),
                Err(err) => {
                    use jetstream::context::ConsumerInfoErrorKind as Kind;
                    let missing = match err.kind() {
                        Kind::NotFound | Kind::StreamNotFound => true,
                        Kind::JetStream(js) => {
                            js.error_code() == jetstream::ErrorCode::CONSUMER_NOT_FOUND
                                || js.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND
                        }
                        _ => false,
                    };
                    return Err(if missing {
                        Error::ConsumerNotFound {
                            name: consumer,
                            stream,
                        }
                    } else {
                        Error::nats(
                            format!("looking up consumer `{consumer}` in stream `{stream}`"),
                            err,
                        )
                    });
                }
            };
            if info.config.deliver_subject.is_some() {
                return Err(Error::NotPullConsumer { consumer, stream });
            }
            let mut filters = if info.config.filter_subjects.is_empty() {
                vec![info.config.filter_subject.clone()]
            } else {
                info.config.filter_subjects.clone()
            };
            filters.retain(|filter| !filter.is_empty());
            if filters.is_empty() {
                filters = self
                    .jetstream
                    .get_stream(&stream)
                    .await
                    .map_err(|err| Error::nats(format!("reading stream `{stream}`"), err))?
                    .cached_info()
                    .config
                    .subjects
                    .clone();
            }
            let pull: jetstream::consumer::PullConsumer = handle
                .get_consumer(&consumer)
                .await
                .map_err(|err| Error::nats(format!("binding to consumer `{consumer}`"), err))?;
            Ok(Box::new(pull::NatsPullConsumer::new(
                (*self.jetstream).clone(),
                pull,
                stream,
                consumer,
                (info.config.ack_wait, info.config.max_deliver),
                filters,
            )) as Box<dyn PullConsumer>)
        }
        .boxed()
    }

    fn flush(&self) -> BoxFuture<'_, Result<(), Error>> {
        async move {
            self.client
                .flush()
                .await
                .map_err(|err| Error::nats("flushing", err))
        }
        .boxed()
    }

    fn round_trip(&self) -> BoxFuture<'_, Result<(), Error>> {
        async move {
            // A request nobody answers: the server replies "no responders"
            // after it has processed every earlier command of this
            // connection, in order.
            let subject = format!("_POLYN.PING.{}", self.client.new_inbox().replace('.', "_"));
            let request = async_nats::Request::new().timeout(Some(Duration::from_secs(2)));
            match self.client.send_request(subject, request).await {
                Ok(_) => Ok(()),
                Err(err) if matches!(err.kind(), async_nats::RequestErrorKind::NoResponders) => {
                    Ok(())
                }
                Err(err) => Err(Error::nats(
                    "waiting for the server to take a subscription",
                    err,
                )),
            }
        }
        .boxed()
    }

    fn server_url(&self) -> Arc<str> {
        let read = || {
            let info = self.client.server_info();
            Arc::from(format!("nats://{}:{}", info.host, info.port))
        };
        // Without Polyn's own event callback, nothing says when the server
        // changes: read it every time.
        let Some(reconnects) = &self.reconnects else {
            return read();
        };
        let connection = *reconnects.borrow();
        let mut url = self
            .url
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if url.0 != connection {
            *url = (connection, read());
        }
        url.1.clone()
    }

    fn jetstream_context(&self) -> Option<&jetstream::Context> {
        Some(&self.jetstream)
    }
}

struct NatsSubscription(async_nats::Subscriber);

impl Subscription for NatsSubscription {
    fn next(&mut self) -> BoxFuture<'_, Option<Incoming>> {
        async move { self.0.next().await.map(incoming) }.boxed()
    }
}
