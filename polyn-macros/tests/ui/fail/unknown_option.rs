#[path = "../events.rs"]
mod events;

use events::WidgetsCreatedV1;
use polyn::Event;

#[polyn::handler(concurency = 4)]
pub async fn misspelt(_event: Event<WidgetsCreatedV1>) {}

#[polyn::handler(flavor = "multi_thread")]
pub async fn foreign(_event: Event<WidgetsCreatedV1>) {}

fn main() {}
