#[path = "../events.rs"]
mod events;

use events::WidgetsCreatedV1;
use polyn::Event;

#[polyn::handler]
pub async fn nameless(_event: Event) {}

#[polyn::handler(event = "widgets.created.v1")]
pub async fn named_twice(_event: Event<WidgetsCreatedV1>) {}

fn main() {}
