//! [`Reader<T>`]: a typed replay of one message's events from its stream,
//! through an ordered ephemeral consumer: no durable consumer, no acks.

use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use async_nats::jetstream::{self, consumer::DeliverPolicy, consumer::pull::OrderedConfig};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::Client;
use crate::error::Error;
use crate::event::Event;
use crate::event_type::EventType;

/// Where a [`Reader`] starts in its stream; see [`ReaderBuilder::start`].
///
/// ```
/// use polyn::reader::ReadFrom;
///
/// assert_eq!(ReadFrom::default(), ReadFrom::Earliest);
/// let resume = ReadFrom::Sequence(42);
/// let since = ReadFrom::Time("2024-05-01T12:00:00Z".parse().expect("a time"));
/// # let _ = (resume, since);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReadFrom {
    /// The first event the stream still holds (the default).
    #[default]
    Earliest,
    /// Only events stored after the reader opened.
    Latest,
    /// The first event at or after this stream sequence (sequences start
    /// at 1; `0` reads from the first): to resume after
    /// [`Reader::last_sequence`], start at that sequence plus one.
    Sequence(u64),
    /// The first event the server stored at or after this time (the
    /// server's clock, not the event's `time`).
    Time(DateTime<Utc>),
}

/// Configures a [`Reader`]; see [`Client::reader`].
///
/// ```no_run
/// # #[derive(serde::Serialize, serde::Deserialize)] struct WidgetsCreatedV1 { id: String }
/// # impl polyn::EventType for WidgetsCreatedV1 { const NAME: &'static str = "widgets.created.v1"; const SCHEMA: &'static str = "{}"; }
/// # async fn run(client: polyn::Client) -> Result<(), polyn::Error> {
/// let mut widgets = client
///     .reader::<WidgetsCreatedV1>()
///     .start(polyn::reader::ReadFrom::Sequence(100))
///     .stream("WIDGETS")
///     .stop_at_end(true)
///     .open()
///     .await?;
/// while let Some(widget) = widgets.next().await {
///     println!("widget {}", widget?.data().id);
/// }
/// # Ok(()) }
/// ```
#[must_use]
pub struct ReaderBuilder<T> {
    client: Client,
    name: String,
    stream: Option<String>,
    start: ReadFrom,
    stop_at_end: bool,
    _type: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for ReaderBuilder<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReaderBuilder")
            .field("name", &self.name)
            .field("stream", &self.stream)
            .field("start", &self.start)
            .field("stop_at_end", &self.stop_at_end)
            .finish_non_exhaustive()
    }
}

impl<T: DeserializeOwned + 'static> ReaderBuilder<T> {
    /// Where to start (default [`ReadFrom::Earliest`]).
    ///
    /// ```no_run
    /// # async fn run(client: polyn::Client) -> Result<(), polyn::Error> {
    /// let since = chrono::Utc::now() - chrono::Duration::hours(1);
    /// let reader = client
    ///     .reader_json("widgets.created.v1")
    ///     .start(polyn::reader::ReadFrom::Time(since))
    ///     .open()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn start(mut self, start: ReadFrom) -> Self {
        self.start = start;
        self
    }

    /// The stream to read (default: the one stream whose subjects capture
    /// the message).
    ///
    /// ```no_run
    /// # async fn run(client: polyn::Client) -> Result<(), polyn::Error> {
    /// let reader = client.reader_json("widgets.created.v1").stream("WIDGETS").open().await?;
    /// # Ok(()) }
    /// ```
    pub fn stream(mut self, stream: impl Into<String>) -> Self {
        self.stream = Some(stream.into());
        self
    }

    /// When `true`, the reader ends after the last event the stream held
    /// when it opened (at once if there was none), instead of waiting for
    /// new ones: to replay history and be done. Default `false`: the
    /// reader follows the stream until it is dropped.
    ///
    /// ```no_run
    /// # async fn run(client: polyn::Client) -> Result<(), polyn::Error> {
    /// let mut history = client.reader_json("widgets.created.v1").stop_at_end(true).open().await?;
    /// let mut count = 0;
    /// while let Some(event) = history.next().await {
    ///     event?;
    ///     count += 1;
    /// }
    /// println!("{count} widgets so far");
    /// # Ok(()) }
    /// ```
    pub fn stop_at_end(mut self, stop: bool) -> Self {
        self.stop_at_end = stop;
        self
    }

    /// Finds the stream and creates the ordered ephemeral consumer that
    /// delivers the message's subject (`<name>.*` for a schema with an
    /// identity) from the start position.
    ///
    /// Polyn never creates streams: a stream that does not exist (by name,
    /// or none capturing the message) is [`Error::StreamNotFound`]. A
    /// stream named with [`stream`](Self::stream) whose subjects do not
    /// capture the message is [`Error::InvalidConfig`], and so is opening a
    /// reader on a sandbox client (`polyn::testing::Sandbox`), which has no streams
    /// to replay.
    ///
    /// ```no_run
    /// # async fn run(client: polyn::Client) -> Result<(), polyn::Error> {
    /// let reader = client.reader_json("widgets.created.v1").open().await?;
    /// println!("reading {}", reader.stream());
    /// # Ok(()) }
    /// ```
    pub async fn open(self) -> Result<Reader<T>, Error> {
        let Some(jetstream) = self.client.transport().jetstream_context().cloned() else {
            return Err(Error::InvalidConfig {
                message: format!(
                    "a reader of `{}` needs a NATS server, and this client is a sandbox, which \
                     keeps no stream to replay; open readers on a client from `Client::connect`, \
                     and look at `Sandbox::published` in sandbox tests",
                    self.name
                ),
            });
        };
        crate::naming::validate_message_name(&self.name)?;
        let has_identity = self
            .client
            .schemas()
            .snapshot()
            .get(&self.name)
            .is_some_and(|schema| schema.identity().is_some());
        let filter = crate::naming::stream_subject(&self.name, has_identity);
        // A subject the message is published on.
        let published_on = if has_identity {
            format!("{}.x", self.name)
        } else {
            self.name.clone()
        };
        let named = self.stream.is_some();
        let stream_name = match self.stream {
            Some(stream) => stream,
            None => {
                // The stream that captures it is the one to read, as for a
                // consumer.
                match self
                    .client
                    .transport()
                    .stream_for_subject(published_on.clone())
                    .await
                {
                    Err(Error::StreamNotFound { .. }) => {
                        return Err(Error::StreamNotFound {
                            subject: self.name.clone(),
                        });
                    }
                    other => other?,
                }
            }
        };
        let stream = match jetstream.get_stream(&stream_name).await {
            Ok(stream) => stream,
            Err(err) => return Err(stream_error(&self.name, &stream_name, err)),
        };
        if named {
            captures(&stream, &self.name, &published_on)?;
        }
        // Every event stored from here on has a higher sequence.
        let last = stream.cached_info().state.last_sequence;
        let (deliver_policy, floor, since) = match self.start {
            ReadFrom::Earliest => (DeliverPolicy::All, 0, None),
            ReadFrom::Latest => (DeliverPolicy::New, last.saturating_add(1), None),
            ReadFrom::Sequence(start) => {
                let start = start.max(1);
                let policy = DeliverPolicy::ByStartSequence {
                    start_sequence: start,
                };
                (policy, start, None)
            }
            ReadFrom::Time(time) => (
                by_start_time(&self.name, time)?,
                0,
                time.timestamp_nanos_opt().map(i128::from),
            ),
        };
        let consumer = stream
            .create_consumer(OrderedConfig {
                description: Some(format!("Polyn reader of {}", self.name)),
                filter_subject: filter.clone(),
                deliver_policy,
                ..Default::default()
            })
            .await
            .map_err(|err| {
                let opening = format!(
                    "opening a reader of `{}` in stream `{stream_name}`",
                    self.name
                );
                Error::nats(opening, err)
            })?;
        let info = consumer.cached_info();
        let consumer_name = info.name.clone();
        let caught_up = info.num_pending == 0;
        let mut reader = Reader {
            client: self.client,
            name: self.name,
            stream: stream_name,
            filter,
            jetstream,
            consumer: Some(consumer_name),
            messages: None,
            end: self.stop_at_end.then_some(last),
            floor,
            since,
            last_sequence: None,
            pending: None,
            _type: PhantomData,
        };
        if self.stop_at_end && caught_up {
            reader.finish();
            return Ok(reader);
        }
        match consumer.messages().await {
            Ok(messages) => reader.messages = Some(messages),
            Err(err) => return Err(Error::nats(reader.reading(), err)),
        }
        Ok(reader)
    }
}

/// What a failed stream lookup by name means.
fn stream_error(name: &str, stream: &str, err: jetstream::context::GetStreamError) -> Error {
    use jetstream::context::GetStreamErrorKind as Kind;
    match err.kind() {
        Kind::JetStream(js) if js.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND => {
            Error::StreamNotFound {
                subject: name.to_owned(),
            }
        }
        Kind::EmptyName | Kind::InvalidStreamName => Error::InvalidStreamName {
            name: stream.to_owned(),
        },
        _ => Error::nats(format!("opening stream `{stream}` to read `{name}`"), err),
    }
}

/// Whether a stream named by the caller holds the message: the server
/// accepts a consumer whose filter its stream never stores, which would
/// read nothing, silently. A mirror or a stream with sources holds what
/// other streams captured, so it is taken at its word.
fn captures(stream: &jetstream::stream::Stream, name: &str, subject: &str) -> Result<(), Error> {
    let config = &stream.cached_info().config;
    let sourced = config.mirror.is_some() || config.sources.as_ref().is_some_and(|s| !s.is_empty());
    if sourced
        || config
            .subjects
            .iter()
            .any(|pattern| crate::naming::subject_matches(subject, pattern))
    {
        return Ok(());
    }
    Err(Error::InvalidConfig {
        message: format!(
            "stream `{}` does not capture `{name}` (its subjects: {:?}), so a reader of it would \
             read nothing; name the stream that captures the message, or leave `stream(..)` out \
             to find it by subject",
            config.name, config.subjects
        ),
    })
}

/// The deliver policy starting at `time`. Built from its wire form (the
/// RFC 3339 text JetStream reads), which needs no second date-time crate.
fn by_start_time(name: &str, time: DateTime<Utc>) -> Result<DeliverPolicy, Error> {
    let text = time.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    serde_json::from_value(serde_json::json!({
        "deliver_policy": "by_start_time",
        "opt_start_time": text,
    }))
    .map_err(|err| Error::InvalidConfig {
        message: format!(
            "a reader of `{name}` cannot start at {text}: {err}; start at a time between the \
             years 0 and 9999"
        ),
    })
}

/// A typed replay of one message's events from its stream: a
/// [`Stream`] of [`Event<T>`]s in stream order,
/// through an ordered ephemeral consumer (no durable consumer is created,
/// nothing is acknowledged, and other consumers are not affected).
///
/// Each message is validated and decoded as a typed consumer does. An
/// invalid one (not an event, failing its schema, of another type, or not
/// fitting `T`) comes out as an `Err` item, and **the reader goes on** with
/// the next message: a bad message in the history does not stop a replay.
/// [`last_sequence`](Reader::last_sequence) then tells which message it was.
/// An error reading from the server ends the reader, as its last item.
///
/// The reader follows the stream until dropped, or, with
/// [`stop_at_end`](ReaderBuilder::stop_at_end), ends after the last event
/// the stream held when it opened. Dropping it (or reaching the end)
/// deletes its consumer in the background; the server would otherwise
/// remove it after 30 s without a reader.
///
/// ```no_run
/// # #[derive(serde::Serialize, serde::Deserialize)] struct WidgetsCreatedV1 { id: String }
/// # impl polyn::EventType for WidgetsCreatedV1 { const NAME: &'static str = "widgets.created.v1"; const SCHEMA: &'static str = "{}"; }
/// # async fn run(client: polyn::Client) -> Result<(), polyn::Error> {
/// let mut widgets = client.reader::<WidgetsCreatedV1>().stop_at_end(true).open().await?;
/// while let Some(widget) = widgets.next().await {
///     match widget {
///         Ok(widget) => println!("widget {}", widget.data().id),
///         Err(invalid) => eprintln!("skipping message #{:?}: {invalid}", widgets.last_sequence()),
///     }
/// }
/// # Ok(()) }
/// ```
pub struct Reader<T> {
    client: Client,
    name: String,
    stream: String,
    filter: String,
    jetstream: jetstream::Context,
    /// The server-side consumer, until it is deleted. The ordered consumer
    /// recreates itself under another name after a gap; each message says
    /// which one delivered it.
    consumer: Option<String>,
    /// `None` once the reader has ended.
    messages: Option<jetstream::consumer::pull::Ordered>,
    /// With `stop_at_end`: the stream's last sequence when it opened.
    end: Option<u64>,
    /// The lowest sequence still to read. The ordered consumer, recreated
    /// before its first message, starts from the beginning of the stream:
    /// what it delivers again is skipped.
    floor: u64,
    /// With [`ReadFrom::Time`], until the first message: its Unix time in
    /// nanoseconds, below which messages are skipped (see `floor`).
    since: Option<i128>,
    last_sequence: Option<u64>,
    pending: Option<u64>,
    _type: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Reader<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("name", &self.name)
            .field("stream", &self.stream)
            .field("filter", &self.filter)
            .field("consumer", &self.consumer)
            .field("last_sequence", &self.last_sequence)
            .field("pending", &self.pending)
            .field("ended", &self.messages.is_none())
            .finish_non_exhaustive()
    }
}

impl<T> Reader<T> {
    /// The stream read.
    ///
    /// ```no_run
    /// # async fn run(client: polyn::Client) -> Result<(), polyn::Error> {
    /// let reader = client.reader_json("widgets.created.v1").open().await?;
    /// assert_eq!(reader.stream(), "WIDGETS");
    /// # Ok(()) }
    /// ```
    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// The stream sequence of the last message read, valid or not (`None`
    /// before the first): resume later with
    /// `ReadFrom::Sequence(last + 1)`.
    ///
    /// ```no_run
    /// # async fn run(client: polyn::Client) -> Result<(), polyn::Error> {
    /// let mut reader = client.reader_json("widgets.created.v1").stop_at_end(true).open().await?;
    /// while let Some(event) = reader.next().await {
    ///     if let Err(invalid) = event {
    ///         eprintln!("message #{:?} is invalid: {invalid}", reader.last_sequence());
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn last_sequence(&self) -> Option<u64> {
        self.last_sequence
    }

    /// How many more messages of the filter the stream held when the last
    /// one was read (`None` before the first): `Some(0)` means caught up.
    ///
    /// ```no_run
    /// # async fn run(client: polyn::Client) -> Result<(), polyn::Error> {
    /// let mut reader = client.reader_json("widgets.created.v1").open().await?;
    /// while let Some(event) = reader.next().await {
    ///     event?;
    ///     if reader.pending() == Some(0) {
    ///         println!("caught up; now following new events");
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn pending(&self) -> Option<u64> {
        self.pending
    }

    fn reading(&self) -> String {
        format!("reading `{}` from stream `{}`", self.name, self.stream)
    }

    /// Ends the reader: no more pulls, and its consumer is deleted in the
    /// background (when there is a runtime to do it on).
    fn finish(&mut self) {
        self.messages = None;
        let Some(consumer) = self.consumer.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let jetstream = self.jetstream.clone();
        let stream = self.stream.clone();
        runtime.spawn(async move {
            if let Err(err) = jetstream
                .delete_consumer_from_stream(&consumer, &stream)
                .await
            {
                tracing::debug!(%stream, %consumer, error = %err,
                    "could not delete a reader's consumer; the server removes it when inactive");
            }
        });
    }
}

impl<T: DeserializeOwned + 'static> Reader<T> {
    /// The next event in stream order, or the error of an invalid message
    /// (after which the reader goes on); `None` once the reader has ended.
    /// The same as [`StreamExt::next`],
    /// without importing it.
    ///
    /// ```no_run
    /// # async fn run(client: polyn::Client) -> Result<(), polyn::Error> {
    /// let mut reader = client.reader_json("widgets.created.v1").open().await?;
    /// if let Some(first) = reader.next().await {
    ///     println!("first widget: {}", first?.data());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn next(&mut self) -> Option<Result<Event<T>, Error>> {
        StreamExt::next(self).await
    }
}

impl<T: DeserializeOwned + 'static> Stream for Reader<T> {
    type Item = Result<Event<T>, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            let Some(messages) = this.messages.as_mut() else {
                return Poll::Ready(None);
            };
            let message = match messages.poll_next_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => {
                    this.finish();
                    return Poll::Ready(None);
                }
                Poll::Ready(Some(Err(err))) => {
                    let error = Error::nats(this.reading(), err);
                    this.finish();
                    return Poll::Ready(Some(Err(error)));
                }
                Poll::Ready(Some(Ok(message))) => message,
            };
            let info = match message.info() {
                Ok(info) => info,
                Err(err) => {
                    let error = Error::nats(this.reading(), err);
                    this.finish();
                    return Poll::Ready(Some(Err(error)));
                }
            };
            let sequence = info.stream_sequence;
            let early = this
                .since
                .is_some_and(|since| info.published.unix_timestamp_nanos() < since);
            if sequence < this.floor || early {
                continue;
            }
            if this.end.is_some_and(|end| sequence > end) {
                this.finish();
                return Poll::Ready(None);
            }
            if this.consumer.as_deref().is_some_and(|c| c != info.consumer) {
                this.consumer = Some(info.consumer.to_owned());
            }
            let pending = info.pending;
            this.floor = sequence.saturating_add(1);
            this.since = None;
            this.last_sequence = Some(sequence);
            this.pending = Some(pending);
            if this.end.is_some_and(|end| pending == 0 || sequence >= end) {
                this.finish();
            }
            let result = this
                .client
                .decode_typed::<T>(&message.payload, Some(&this.name));
            if let Err(err) = &result {
                tracing::warn!(name = %this.name, stream = %this.stream, sequence, error = %err,
                    "invalid message in a reader; going on with the next");
            }
            return Poll::Ready(Some(result));
        }
    }
}

impl<T> Drop for Reader<T> {
    fn drop(&mut self) {
        self.finish();
    }
}

impl Client {
    /// A typed replay of the events of `T` from their stream, with no
    /// durable consumer: see [`Reader`]. Starts at the first event the
    /// stream holds unless told otherwise.
    ///
    /// ```no_run
    /// # #[derive(serde::Serialize, serde::Deserialize)] struct WidgetsCreatedV1 { id: String }
    /// # impl polyn::EventType for WidgetsCreatedV1 { const NAME: &'static str = "widgets.created.v1"; const SCHEMA: &'static str = "{}"; }
    /// # async fn run(client: polyn::Client) -> Result<(), polyn::Error> {
    /// let mut widgets = client.reader::<WidgetsCreatedV1>().stop_at_end(true).open().await?;
    /// while let Some(widget) = widgets.next().await {
    ///     println!("widget {}", widget?.data().id);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn reader<T: EventType>(&self) -> ReaderBuilder<T> {
        crate::drift::note::<T>();
        self.reader_of(T::NAME)
    }

    /// A replay of the message `name` as dynamic events; messages of other
    /// types are errors, as for [`Client::reader`].
    ///
    /// ```no_run
    /// # async fn run(client: polyn::Client) -> Result<(), polyn::Error> {
    /// let mut widgets = client.reader_json("widgets.created.v1").stop_at_end(true).open().await?;
    /// while let Some(widget) = widgets.next().await {
    ///     println!("{}", widget?.data()["id"]);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn reader_json(&self, name: &str) -> ReaderBuilder<Value> {
        self.reader_of(name)
    }

    fn reader_of<T>(&self, name: &str) -> ReaderBuilder<T> {
        ReaderBuilder {
            client: self.clone(),
            name: name.to_owned(),
            stream: None,
            start: ReadFrom::default(),
            stop_at_end: false,
            _type: PhantomData,
        }
    }
}
