#[path = "../events.rs"]
mod events;

use events::WidgetsCreatedV1;
use polyn::Event;

#[polyn::handler(concurrency = 0, batch = "8", core = true, source)]
pub async fn on_widget(_event: Event<WidgetsCreatedV1>) {}

fn main() {}
