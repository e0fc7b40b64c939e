#[path = "../events.rs"]
mod events;

use events::WidgetsCreatedV1;
use polyn::Event;

#[polyn::handler]
pub fn on_widget(event: Event<WidgetsCreatedV1>) {
    println!("{}", event.data().id);
}

fn main() {}
