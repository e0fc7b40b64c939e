//! [`Subscriber<T>`]: validated events from a core-NATS subscription.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::Client;
use crate::error::Error;
use crate::event_type::EventType;
use crate::received::Received;
use crate::transport::Subscription;

/// A core-NATS subscription (no stream, no acknowledgements) that yields
/// validated events. Messages that fail validation come out as errors, and
/// the subscription goes on.
///
/// ```no_run
/// # #[derive(serde::Serialize, serde::Deserialize)] struct Ping;
/// # impl polyn::EventType for Ping { const NAME: &'static str = "ping.v1"; const SCHEMA: &'static str = "{}"; }
/// # async fn run(client: polyn::Client) -> Result<(), polyn::Error> {
/// let mut pings = client.subscribe::<Ping>(Some("pingers")).await?;
/// while let Some(ping) = pings.next().await {
///     match ping {
///         Ok(ping) => println!("ping {}", ping.event().id()),
///         Err(invalid) => eprintln!("{invalid}"),
///     }
/// }
/// # Ok(()) }
/// ```
pub struct Subscriber<T> {
    client: Client,
    name: String,
    subscription: Box<dyn Subscription>,
    typed: bool,
    _type: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Subscriber<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriber")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl<T: DeserializeOwned + 'static> Subscriber<T> {
    /// The next event; `None` when the connection is closed for good.
    pub async fn next(&mut self) -> Option<Result<Received<T>, Error>> {
        let message = self.subscription.next().await?;
        let expected = self.typed.then_some(self.name.as_str());
        let result = self
            .client
            .decode_typed::<T>(&message.payload, expected)
            .map(|event| Received {
                event,
                subject: message.subject,
                reply_to: message.reply,
                headers: message.headers,
            });
        if let Err(err) = &result {
            tracing::warn!(name = %self.name, error = %err, "invalid message on a subscription");
        }
        Some(result)
    }
}

impl Client {
    /// Subscribes on core NATS to the events of `T`, optionally in a queue
    /// group (each event goes to one member of the group).
    pub async fn subscribe<T: EventType>(
        &self,
        queue_group: Option<&str>,
    ) -> Result<Subscriber<T>, Error> {
        crate::drift::note::<T>();
        self.subscribe_inner(T::NAME, queue_group, true).await
    }

    /// Subscribes on core NATS to the message `name`, as dynamic events.
    /// A name with a wildcard (`orders.>`) receives every matching message.
    pub async fn subscribe_json(
        &self,
        name: &str,
        queue_group: Option<&str>,
    ) -> Result<Subscriber<Value>, Error> {
        self.subscribe_inner(name, queue_group, false).await
    }

    async fn subscribe_inner<T>(
        &self,
        name: &str,
        queue_group: Option<&str>,
        typed: bool,
    ) -> Result<Subscriber<T>, Error> {
        let subscription = self.subscription(name, queue_group).await?;
        Ok(Subscriber {
            client: self.clone(),
            name: name.to_owned(),
            subscription,
            typed,
            _type: PhantomData,
        })
    }

    /// A core subscription to the subject of the message `name`.
    pub(crate) async fn subscription(
        &self,
        name: &str,
        queue_group: Option<&str>,
    ) -> Result<Box<dyn Subscription>, Error> {
        let has_identity = self
            .schemas()
            .snapshot()
            .get(name)
            .is_some_and(|schema| schema.identity().is_some());
        let subject = crate::naming::stream_subject(name, has_identity);
        self.transport()
            .subscribe(subject, queue_group.map(str::to_owned))
            .await
    }
}
