#[path = "../events.rs"]
mod events;

use events::WidgetsCreatedV1;
use polyn::Event;

#[polyn::handler]
pub async fn on_widgets(_first: Event<WidgetsCreatedV1>, _second: Event<WidgetsCreatedV1>) {}

fn main() {}
