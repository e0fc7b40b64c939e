#[path = "../events.rs"]
mod events;

use events::WidgetsCreatedV1;
use polyn::Event;

#[polyn::handler]
pub async fn on_any<T: polyn::EventType>(_event: Event<T>) {}

#[polyn::handler]
pub async fn on_widget<'a>(_event: Event<WidgetsCreatedV1>) {}

fn main() {}
