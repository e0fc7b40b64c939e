#[path = "../events.rs"]
mod events;

use events::WidgetsCreatedV1;
use polyn::Event;

#[polyn::handler(source = "billing", concurrency = 4, source = "shipping")]
pub async fn on_widget(_event: Event<WidgetsCreatedV1>) {}

fn main() {}
