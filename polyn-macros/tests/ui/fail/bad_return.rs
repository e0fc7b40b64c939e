#[path = "../events.rs"]
mod events;

use events::WidgetsCreatedV1;
use polyn::Event;

#[polyn::handler]
pub async fn on_widget(event: Event<WidgetsCreatedV1>) -> String {
    event.data().id.clone()
}

fn main() {}
