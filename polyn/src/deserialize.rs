//! [`Client::deserialize`]: a validated [`Event`] from the raw bytes of a
//! message, for code that receives messages outside Polyn's consumers and
//! subscribers (a raw `async-nats` subscription, a message read back from a
//! stream, a message relayed by another system).

use serde_json::Value;

use crate::client::Client;
use crate::error::Error;
use crate::event::Event;
use crate::event_type::EventType;

impl Client {
    /// Decodes the bytes of a received message and validates it, as Polyn's
    /// consumers do: the envelope against the bundled cloud-event schema,
    /// then the `type` against the naming rule, then the schema lookup in
    /// the schema store, then `data` against that schema.
    ///
    /// Each failure is the protocol's error:
    ///
    /// - bytes that are not a JSON document: [`Error::Decode`], `Polyn was
    ///   unable to decode the following message: \n…` with the message and
    ///   where the JSON broke;
    /// - JSON that is not a CloudEvent (not an object, a required attribute
    ///   missing or malformed): [`Error::Validation`], `Polyn events need to
    ///   follow the CloudEvent spec` for a non-object, else `Polyn event
    ///   <id> from <source> is not valid` with one ``Property: `#<pointer>` ``
    ///   line per problem;
    /// - a `type` with no schema in the store: [`Error::Validation`] whose
    ///   [`is_schema_not_found`](crate::validation::ValidationError::is_schema_not_found)
    ///   is true, `Schema for <name> does not exist. …`;
    /// - `data` its schema rejects: [`Error::Validation`], one
    ///   ``Property: `#/data/…` `` line per violation.
    ///
    /// The incoming `type`, `source`, `polyndata` and unknown extension
    /// attributes are kept as they came.
    ///
    #[cfg_attr(feature = "testing", doc = "```")]
    #[cfg_attr(not(feature = "testing"), doc = "```ignore")]
    /// use polyn::testing::Sandbox;
    /// use polyn::Config;
    /// use polyn::schema::Schema;
    /// use serde_json::json;
    ///
    /// let config = Config::builder().domain("com.test").source_root("user.backend").build()?;
    /// let schema = json!({"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}});
    /// let client = Sandbox::builder(config.clone())
    ///     .schema(Schema::compile("widgets.created.v1", &schema)?)
    ///     .build()
    ///     .client();
    ///
    /// // The bytes of a message, as another client sent it.
    /// let bytes = config.event("widgets.created.v1", json!({"id": "w1"}))?.to_bytes()?;
    /// let event = client.deserialize(&bytes)?;
    /// assert_eq!(event.event_type(), "com.test.widgets.created.v1");
    /// assert_eq!(event.data()["id"], "w1");
    ///
    /// let err = client.deserialize(b"not json").unwrap_err();
    /// assert!(err.to_string().starts_with("Polyn was unable to decode the following message: \nnot json"));
    ///
    /// let invalid = config.event("widgets.created.v1", json!({"id": 7}))?.to_bytes()?;
    /// let err = client.deserialize(&invalid).unwrap_err();
    /// assert!(err.to_string().contains("Property: `#/data/id`"), "{err}");
    /// # Ok::<(), polyn::Error>(())
    /// ```
    ///
    /// On a raw subscription, next to Polyn:
    ///
    /// ```no_run
    /// use futures_util::StreamExt as _;
    ///
    /// # async fn run(client: polyn::Client, nats: polyn::async_nats::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let mut messages = nats.subscribe("widgets.created.v1").await?;
    /// while let Some(message) = messages.next().await {
    ///     match client.deserialize(&message.payload) {
    ///         Ok(event) => println!("{} {}", event.id(), event.data()),
    ///         Err(invalid) => eprintln!("{invalid}"),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn deserialize(&self, payload: &[u8]) -> Result<Event<Value>, Error> {
        self.decode(payload)
    }

    /// [`Client::deserialize`] into the event type `T`: the message must be
    /// a `T` (its `type`, without the domain, is `T::NAME`) and valid
    /// against the schema in the store, and its `data` must fit `T`.
    ///
    /// Besides the errors of [`Client::deserialize`], a message of another
    /// type is [`Error::UnexpectedEvent`], naming both types, and valid
    /// `data` that `T` cannot hold (a number beyond its integer's range,
    /// say) is [`Error::DataType`], naming the field.
    ///
    #[cfg_attr(feature = "testing", doc = "```")]
    #[cfg_attr(not(feature = "testing"), doc = "```ignore")]
    /// use polyn::testing::Sandbox;
    /// use polyn::{Config, EventType};
    /// use serde_json::json;
    ///
    /// #[derive(serde::Serialize, serde::Deserialize)]
    /// struct WidgetsCreatedV1 { id: String }
    /// impl EventType for WidgetsCreatedV1 {
    ///     const NAME: &'static str = "widgets.created.v1";
    ///     const SCHEMA: &'static str =
    ///         r#"{"type":"object","required":["id"],"properties":{"id":{"type":"string"}}}"#;
    /// }
    ///
    /// let config = Config::builder().domain("com.test").source_root("user.backend").build()?;
    /// let client = Sandbox::builder(config.clone()).event::<WidgetsCreatedV1>()?.build().client();
    ///
    /// let bytes = config.event("widgets.created.v1", json!({"id": "w1"}))?.to_bytes()?;
    /// let event = client.deserialize_as::<WidgetsCreatedV1>(&bytes)?;
    /// assert_eq!(event.data().id, "w1");
    /// # Ok::<(), polyn::Error>(())
    /// ```
    pub fn deserialize_as<T: EventType>(&self, payload: &[u8]) -> Result<Event<T>, Error> {
        self.decode_typed(payload, Some(T::NAME))
    }
}
