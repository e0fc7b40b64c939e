#[path = "../events.rs"]
mod events;

use events::WidgetsCreatedV1;
use polyn::Event;

use std::rc::Rc;

#[polyn::handler]
pub async fn on_widget(event: Event<WidgetsCreatedV1>) {
    let id = Rc::new(event.data().id.clone());
    std::future::ready(()).await;
    println!("{id}");
}

fn main() {}
