#[path = "../events.rs"]
mod events;

use events::WidgetsCreatedV1;
use polyn::Event;

#[polyn::handler(keep_alive = "no")]
pub async fn keep_alive_string(_event: Event<WidgetsCreatedV1>) {}

#[polyn::handler(keep_alive)]
pub async fn keep_alive_alone(_event: Event<WidgetsCreatedV1>) {}

#[polyn::handler(allow_other_types = true)]
pub async fn other_types_with_a_value(_event: Event<WidgetsCreatedV1>) {}

#[polyn::handler(core, allow_other_types, keep_alive = false)]
pub async fn other_types_on_core(_event: Event<WidgetsCreatedV1>) {}

fn main() {}
