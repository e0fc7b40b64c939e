#[path = "../events.rs"]
mod events;

use events::{CalcMultRequestV1, CalcMultResponseV1};
use polyn::Event;

// A `Result<Reply, E>` makes a request handler: its reply must be an event type.
#[polyn::handler]
pub async fn plain_reply(event: Event<CalcMultRequestV1>) -> Result<events::Plain, String> {
    Ok(events::Plain { id: event.data().a.to_string() })
}

#[derive(Debug)]
pub struct NotAnError;

// And its error must convert into a `polyn::BoxError`.
#[polyn::handler]
pub async fn odd_error(event: Event<CalcMultRequestV1>) -> Result<CalcMultResponseV1, NotAnError> {
    let CalcMultRequestV1 { a, b } = *event.data();
    Ok(CalcMultResponseV1 { product: a * b })
}

fn main() {}
