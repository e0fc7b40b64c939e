//! [`Event<T>`]: the CloudEvents 1.0 JSON envelope every Polyn message travels in.

pub use crate::event_type::EventType;

use chrono::{DateTime, FixedOffset, NaiveDateTime, SecondsFormat, Utc};
use serde::de::{DeserializeOwned, Error as _};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::envelope::{self, ATTRIBUTES};
use crate::error::Error;

/// The `specversion` Polyn sends.
pub const SPEC_VERSION: &str = "1.0";
/// The `datacontenttype` Polyn sends.
pub const CONTENT_TYPE: &str = "application/json";

/// A CloudEvents 1.0 event whose `data` is a `T`: the envelope of every
/// Polyn message.
///
/// **On send** ([`Event::new`]) the envelope gets Polyn's defaults: a
/// lowercase UUID v4 `id`, `time` now in RFC 3339 UTC with a `Z`,
/// `specversion` `"1.0"`, `datacontenttype` `"application/json"` and a
/// `polyndata` extension naming this client. `dataschema` is not sent.
///
/// **On receive** decoding is lenient and lossless: any `1.x` specversion,
/// `dataschema: null`, `time` with or without offset or fraction, colon-style
/// sources, a missing `polyndata`, and unknown extension attributes are all
/// accepted, and every attribute is written back as it came (the incoming
/// `type`, `source`, `time` text and `polyndata` are kept, never re-derived).
///
/// `T` defaults to [`serde_json::Value`], the dynamic form.
///
/// ```
/// use polyn::Event;
/// use serde_json::json;
///
/// let event = Event::new("com.test.user.created.v1", "com:test:user:backend", json!({"name": "Mary"}));
/// assert_eq!(event.specversion(), "1.0");
/// assert_eq!(event.message_name("com.test"), "user.created.v1");
///
/// // An event from the Elixir client decodes as it is.
/// let elixir: Event = serde_json::from_str(r#"{"data":{"name":"Mary"},"datacontenttype":"application/json",
///     "dataschema":null,"id":"0b2a2c1e-0000-4000-8000-000000000000",
///     "polyndata":{"clientlang":"elixir","clientlangversion":"1.12.3","clientversion":"0.6.5"},
///     "source":"com:test:user:backend","specversion":"1.0.1","time":"2023-06-26T17:00:00.123456Z",
///     "type":"com.test.user.created.v1"}"#)?;
/// assert_eq!(elixir.specversion(), "1.0.1");
/// assert_eq!(elixir.polyndata().map(|p| p.clientlang.as_str()), Some("elixir"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Event<T = Value> {
    id: String,
    source: String,
    specversion: String,
    event_type: String,
    time: Option<String>,
    datacontenttype: Option<String>,
    dataschema: Option<String>,
    subject: Option<String>,
    polyndata: Option<PolynData>,
    /// Extension attributes, and known attributes that arrived as `null`,
    /// in arrival order.
    extensions: Map<String, Value>,
    data: T,
    /// The event arrived without a `data` attribute; do not invent one.
    data_absent: bool,
}

/// The `polyndata` extension: which client sent an event.
///
/// ```
/// let mine = polyn::event::PolynData::rust();
/// assert_eq!(mine.clientlang, "rust");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolynData {
    /// The language of the client, e.g. `"rust"`, `"elixir"`, `"ruby"`.
    pub clientlang: String,
    /// The version of that language.
    pub clientlangversion: String,
    /// The version of the Polyn client library.
    pub clientversion: String,
    /// Any further keys, kept as they came.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl PolynData {
    /// Reads a `polyndata` object; gives it back untouched when it lacks one
    /// of the three string keys.
    fn from_object(mut object: Map<String, Value>) -> Result<Self, Map<String, Value>> {
        let keys = ["clientlang", "clientlangversion", "clientversion"];
        if !keys
            .iter()
            .all(|key| matches!(object.get(*key), Some(Value::String(_))))
        {
            return Err(object);
        }
        let mut take = |key: &str| match object.shift_remove(key) {
            Some(Value::String(text)) => text,
            _ => String::new(),
        };
        let (clientlang, clientlangversion, clientversion) =
            (take(keys[0]), take(keys[1]), take(keys[2]));
        Ok(PolynData {
            clientlang,
            clientlangversion,
            clientversion,
            other: object,
        })
    }

    /// The `polyndata` this crate sends: `clientlang` `"rust"`, the `rustc`
    /// version it was compiled with, and the crate version.
    pub fn rust() -> Self {
        RUST_POLYNDATA.clone()
    }
}

pub(crate) static RUST_POLYNDATA: std::sync::LazyLock<PolynData> =
    std::sync::LazyLock::new(|| PolynData {
        clientlang: "rust".to_owned(),
        clientlangversion: env!("POLYN_RUSTC_VERSION").to_owned(),
        clientversion: env!("CARGO_PKG_VERSION").to_owned(),
        other: Map::new(),
    });

/// Formats a time the way Polyn sends it: RFC 3339, UTC, microseconds, `Z`.
pub(crate) fn format_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl<T> Event<T> {
    /// A new event with Polyn's send defaults (see the type's docs).
    ///
    /// `event_type` is the full type (`<domain>.<message name>`) and `source`
    /// the full source; [`Config::event`](crate::Config::event) derives both
    /// from a message name and checks them.
    ///
    /// ```
    /// let event = polyn::Event::new("com.test.ping.v1", "com:test:svc", ());
    /// assert_eq!(event.id().len(), 36);
    /// assert!(event.time().unwrap().ends_with('Z'));
    /// ```
    pub fn new(event_type: impl Into<String>, source: impl Into<String>, data: T) -> Self {
        Event {
            id: uuid::Uuid::new_v4().to_string(),
            source: source.into(),
            specversion: SPEC_VERSION.to_owned(),
            event_type: event_type.into(),
            time: Some(format_time(Utc::now())),
            datacontenttype: Some(CONTENT_TYPE.to_owned()),
            dataschema: None,
            subject: None,
            polyndata: Some(PolynData::rust()),
            extensions: Map::new(),
            data,
            data_absent: false,
        }
    }

    /// Replaces the generated `id` (the `Nats-Msg-Id` used for deduplication).
    ///
    /// ```
    /// let event = polyn::Event::new("com.test.ping.v1", "com:test:svc", ()).with_id("order-42");
    /// assert_eq!(event.id(), "order-42");
    /// ```
    #[must_use]
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    /// Replaces the `time` with the given instant (sent as RFC 3339 UTC).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// let at = Utc.with_ymd_and_hms(2023, 6, 26, 17, 0, 0).unwrap();
    /// let event = polyn::Event::new("com.test.ping.v1", "com:test:svc", ()).with_time(at);
    /// assert_eq!(event.time(), Some("2023-06-26T17:00:00.000000Z"));
    /// ```
    #[must_use]
    pub fn with_time(mut self, time: DateTime<Utc>) -> Self {
        self.time = Some(format_time(time));
        self
    }

    /// Sets the CloudEvents `subject` attribute (not the NATS subject).
    #[must_use]
    pub fn with_subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Adds an extension attribute.
    ///
    /// CloudEvents attribute names are lowercase ASCII letters and digits;
    /// names of the core attributes (and `data`) are refused.
    ///
    /// ```
    /// let event = polyn::Event::new("com.test.ping.v1", "com:test:svc", ())
    ///     .with_extension("tenant", "acme")?;
    /// assert_eq!(event.extension("tenant"), Some(&serde_json::json!("acme")));
    /// assert!(event.clone().with_extension("Bad-Name", 1).is_err());
    /// # Ok::<(), polyn::Error>(())
    /// ```
    pub fn with_extension(mut self, name: &str, value: impl Into<Value>) -> Result<Self, Error> {
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && !envelope::is_reserved(name);
        if !valid {
            return Err(Error::InvalidExtensionName {
                name: name.to_owned(),
            });
        }
        self.extensions.insert(name.to_owned(), value.into());
        Ok(self)
    }

    /// The event id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The event source, e.g. `com:test:user:backend`.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The CloudEvents spec version, as received (`"1.0"` on send).
    pub fn specversion(&self) -> &str {
        &self.specversion
    }

    /// The CloudEvent `type`, with its domain: `com.test.user.created.v1`.
    pub fn event_type(&self) -> &str {
        &self.event_type
    }

    /// The message name: the `type` without the given domain.
    ///
    /// ```
    /// let event = polyn::Event::new("com.test.user.created.v1", "com:test:svc", ());
    /// assert_eq!(event.message_name("com.test"), "user.created.v1");
    /// ```
    pub fn message_name(&self, domain: &str) -> &str {
        crate::naming::trim_domain_prefix(domain, &self.event_type)
    }

    /// The `time` attribute exactly as sent or received.
    pub fn time(&self) -> Option<&str> {
        self.time.as_deref()
    }

    /// The `time` attribute as an instant. A time without an offset (as some
    /// clients send) is read as UTC; `None` when absent or unreadable.
    ///
    /// ```
    /// let event: polyn::Event = serde_json::from_value(serde_json::json!({
    ///     "id": "1", "source": "s", "specversion": "1.0", "type": "t",
    ///     "time": "2022-11-01T12:34:56.123456"}))?;
    /// assert_eq!(event.timestamp().unwrap().to_rfc3339(), "2022-11-01T12:34:56.123456+00:00");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn timestamp(&self) -> Option<DateTime<Utc>> {
        let text = self.time.as_deref()?;
        DateTime::<FixedOffset>::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .ok()
            .or_else(|| {
                NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                    .ok()
                    .map(|naive| naive.and_utc())
            })
    }

    /// The `datacontenttype` attribute.
    pub fn datacontenttype(&self) -> Option<&str> {
        self.datacontenttype.as_deref()
    }

    /// The `dataschema` attribute (`None` when absent or `null`).
    pub fn dataschema(&self) -> Option<&str> {
        self.dataschema.as_deref()
    }

    /// The CloudEvents `subject` attribute.
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }

    /// The `polyndata` extension, when the sender included one.
    pub fn polyndata(&self) -> Option<&PolynData> {
        self.polyndata.as_ref()
    }

    /// One extension attribute.
    pub fn extension(&self, name: &str) -> Option<&Value> {
        self.extensions.get(name)
    }

    /// All extension attributes, in the order received.
    pub fn extensions(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.extensions.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The payload.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The payload, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.data
    }

    /// The payload, taking it out of the envelope.
    pub fn into_data(self) -> T {
        self.data
    }

    /// The same envelope around a new payload.
    ///
    /// ```
    /// let event = polyn::Event::new("com.test.count.v1", "com:test:svc", 2);
    /// let doubled = event.map(|n| n * 2);
    /// assert_eq!(*doubled.data(), 4);
    /// ```
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Event<U> {
        Event {
            id: self.id,
            source: self.source,
            specversion: self.specversion,
            event_type: self.event_type,
            time: self.time,
            datacontenttype: self.datacontenttype,
            dataschema: self.dataschema,
            subject: self.subject,
            polyndata: self.polyndata,
            extensions: self.extensions,
            data: f(self.data),
            data_absent: self.data_absent,
        }
    }
}

impl Event<Value> {
    /// Builds an event from a decoded JSON object, keeping every attribute.
    ///
    /// Attributes of the wrong JSON type are kept as extension attributes so
    /// that nothing is lost; validate first (see
    /// [`validate_event`](crate::validation::validate_event)) to reject them.
    ///
    /// ```
    /// let event = polyn::Event::from_json(serde_json::json!({
    ///     "id": "1", "source": "com:test", "specversion": "1.0", "type": "com.test.a.v1",
    ///     "tenant": "acme", "data": {"n": 1}}))?;
    /// assert_eq!(event.extension("tenant"), Some(&serde_json::json!("acme")));
    /// # Ok::<(), polyn::Error>(())
    /// ```
    pub fn from_json(value: Value) -> Result<Self, Error> {
        let Value::Object(map) = value else {
            return Err(Error::Decode {
                message: crate::excerpt::excerpt(value.to_string().as_bytes()),
                source: serde::de::Error::custom("a CloudEvent must be a JSON object"),
            });
        };
        // One pass over the attributes, moving each where it belongs.
        let mut known: [Option<String>; 8] = Default::default();
        let mut polyndata = None;
        let mut data = None;
        let mut extensions = Map::new();
        for (key, value) in map {
            let slot = envelope::slot(&key);
            match (slot, value) {
                (Some(slot), Value::String(text)) => known[slot] = Some(text),
                (None, Value::Object(object)) if key == envelope::POLYNDATA => {
                    match PolynData::from_object(object) {
                        Ok(parsed) => polyndata = Some(parsed),
                        Err(object) => {
                            extensions.insert(key, Value::Object(object));
                        }
                    }
                }
                (None, value) if key == envelope::DATA => data = Some(value),
                (_, value) => {
                    extensions.insert(key, value);
                }
            }
        }
        if known[..envelope::REQUIRED].iter().any(Option::is_none) {
            // Put the object back together for the error.
            let mut object: Map<String, Value> = ATTRIBUTES
                .iter()
                .zip(known)
                .filter_map(|(attribute, text)| {
                    Some((attribute.name.to_owned(), Value::String(text?)))
                })
                .collect();
            if let Some(polyndata) = polyndata.and_then(|p| serde_json::to_value(p).ok()) {
                object.insert(envelope::POLYNDATA.to_owned(), polyndata);
            }
            object.extend(extensions);
            if let Some(data) = data {
                object.insert(envelope::DATA.to_owned(), data);
            }
            return Err(Error::Decode {
                message: crate::excerpt::excerpt(Value::Object(object).to_string().as_bytes()),
                source: serde::de::Error::custom(
                    "a CloudEvent needs the string attributes `id`, `source`, `specversion` and \
                     `type`",
                ),
            });
        }
        Ok(Event::assemble(known, polyndata, extensions, data))
    }

    /// An event from its attributes: the strings in the order of
    /// [`ATTRIBUTES`], of which the first [`REQUIRED`](envelope::REQUIRED)
    /// are required.
    pub(crate) fn assemble(
        known: [Option<String>; 8],
        polyndata: Option<PolynData>,
        extensions: Map<String, Value>,
        data: Option<Value>,
    ) -> Self {
        let [
            specversion,
            id,
            source,
            event_type,
            time,
            datacontenttype,
            dataschema,
            subject,
        ] = known;
        Event {
            id: id.unwrap_or_default(),
            source: source.unwrap_or_default(),
            specversion: specversion.unwrap_or_default(),
            event_type: event_type.unwrap_or_default(),
            time,
            datacontenttype,
            dataschema,
            subject,
            polyndata,
            extensions,
            data_absent: data.is_none(),
            data: data.unwrap_or(Value::Null),
        }
    }

    /// Converts the payload to a Rust type.
    ///
    /// ```
    /// #[derive(serde::Deserialize)]
    /// struct Ping { n: u32 }
    /// let event = polyn::Event::new("com.test.ping.v1", "com:test:svc", serde_json::json!({"n": 7}));
    /// let typed = event.into_typed::<Ping>()?;
    /// assert_eq!(typed.data().n, 7);
    /// # Ok::<(), polyn::Error>(())
    /// ```
    pub fn into_typed<U: DeserializeOwned + 'static>(self) -> Result<Event<U>, Error> {
        let mut data = Value::Null;
        let shell = self.map(|d| data = d);
        // Already the dynamic form: no conversion.
        let mut slot = Some(data);
        if let Some(same) = (&mut slot as &mut dyn std::any::Any).downcast_mut::<Option<U>>()
            && let Some(same) = same.take()
        {
            return Ok(shell.map(|()| same));
        }
        let data = slot.unwrap_or(Value::Null);
        match crate::typed_data::from_data::<U>(data) {
            Ok(typed) => Ok(shell.map(|()| typed)),
            Err(misfit) => Err(Error::DataType {
                id: shell.id,
                event_type: shell.event_type,
                rust_type: std::any::type_name::<U>(),
                path: misfit.path,
                source: misfit.source,
            }),
        }
    }

    /// [`Event::into_typed`] without the error: the data moves into `U`
    /// (no copies), and `None` says it does not fit, for the caller to ask
    /// `into_typed` why on a fresh copy.
    pub(crate) fn into_typed_fast<U: DeserializeOwned + 'static>(self) -> Option<Event<U>> {
        let mut data = Value::Null;
        let shell = self.map(|d| data = d);
        let mut slot = Some(data);
        if let Some(same) = (&mut slot as &mut dyn std::any::Any).downcast_mut::<Option<U>>()
            && let Some(same) = same.take()
        {
            return Some(shell.map(|()| same));
        }
        let data = slot.unwrap_or(Value::Null);
        let typed = crate::typed_data::from_data_fast::<U>(data)?;
        Some(shell.map(|()| typed))
    }
}

impl<T: Serialize> Event<T> {
    /// The event as a JSON value (the envelope with its `data`).
    pub fn to_json(&self) -> Result<Value, Error> {
        serde_json::to_value(self).map_err(|err| Error::Encode {
            id: self.id.clone(),
            source: err,
        })
    }

    /// The event encoded as JSON bytes, as it travels on NATS.
    ///
    /// ```
    /// let event = polyn::Event::new("com.test.ping.v1", "com:test:svc", serde_json::json!({"n": 1}));
    /// let bytes = event.to_bytes()?;
    /// let back: polyn::Event = serde_json::from_slice(&bytes).unwrap();
    /// assert_eq!(back, event);
    /// # Ok::<(), polyn::Error>(())
    /// ```
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        serde_json::to_vec(self).map_err(|err| Error::Encode {
            id: self.id.clone(),
            source: err,
        })
    }
}

impl<T> Event<T> {
    /// The string attributes, in the order of [`ATTRIBUTES`].
    fn attributes(&self) -> [Option<&str>; 8] {
        [
            Some(self.specversion.as_str()),
            Some(self.id.as_str()),
            Some(self.source.as_str()),
            Some(self.event_type.as_str()),
            self.time.as_deref(),
            self.datacontenttype.as_deref(),
            self.dataschema.as_deref(),
            self.subject.as_deref(),
        ]
    }
}

impl<T: Serialize> Serialize for Event<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (attribute, value) in ATTRIBUTES.iter().zip(self.attributes()) {
            if let Some(value) = value {
                map.serialize_entry(attribute.name, value)?;
            }
        }
        if let Some(polyndata) = &self.polyndata {
            map.serialize_entry(envelope::POLYNDATA, polyndata)?;
        }
        for (key, value) in &self.extensions {
            map.serialize_entry(key, value)?;
        }
        if !self.data_absent {
            map.serialize_entry(envelope::DATA, &self.data)?;
        }
        map.end()
    }
}

impl<'de, T: DeserializeOwned + 'static> Deserialize<'de> for Event<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Event::from_json(value)
            .and_then(Event::into_typed)
            .map_err(D::Error::custom)
    }
}
