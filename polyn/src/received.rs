//! [`Received<T>`]: an event with the metadata of the message that carried it.

use crate::event::Event;

/// A validated event as it arrived, with its NATS subject, headers and
/// reply subject.
///
/// ```no_run
/// # async fn run(client: polyn::Client) -> Result<(), polyn::Error> {
/// let mut subscription = client.subscribe_json("widgets.created.v1", None).await?;
/// if let Some(Ok(received)) = subscription.next().await {
///     println!("{} on {}", received.event().id(), received.subject());
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Received<T> {
    pub(crate) event: Event<T>,
    pub(crate) subject: String,
    pub(crate) reply_to: Option<String>,
    pub(crate) headers: Vec<(String, String)>,
}

impl<T> Received<T> {
    /// The event.
    pub fn event(&self) -> &Event<T> {
        &self.event
    }

    /// The event, taking it out.
    pub fn into_event(self) -> Event<T> {
        self.event
    }

    /// The NATS subject it arrived on.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The subject to reply to, when it was sent as a request.
    pub fn reply_to(&self) -> Option<&str> {
        self.reply_to.as_deref()
    }

    /// The first value of a header (names compare case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// Every header, in order.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

pub(crate) fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}
