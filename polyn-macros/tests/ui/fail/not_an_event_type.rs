#[path = "../events.rs"]
mod events;

use events::Plain;
use polyn::Event;

#[polyn::handler]
pub async fn on_plain(event: Event<Plain>) {
    println!("{}", event.data().id);
}

// Neither an event type nor deserializable: still one error.
#[polyn::handler]
pub async fn on_opaque(event: Event<events::Opaque>) {
    println!("{:?}", event.data());
}

fn main() {}
