#[path = "../events.rs"]
mod events;

use events::Plain;
use polyn::Event;

#[polyn::handler]
pub async fn on_plain(event: Event<Plain>) {
    println!("{}", event.data().id);
}

fn main() {}
