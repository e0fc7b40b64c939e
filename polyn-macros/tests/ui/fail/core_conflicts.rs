#[path = "../events.rs"]
mod events;

use events::WidgetsCreatedV1;
use polyn::Event;

#[polyn::handler(core, batch = 4, concurrency = 4)]
pub async fn core_with_batch(_event: Event<WidgetsCreatedV1>) {}

#[polyn::handler(queue_group = "workers")]
pub async fn group_without_core(_event: Event<WidgetsCreatedV1>) {}

fn main() {}
