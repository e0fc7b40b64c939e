#[path = "../events.rs"]
mod events;

use events::WidgetsCreatedV1;
use polyn::Event;

pub struct Service;

impl Service {
    #[polyn::handler]
    pub async fn on_widget(&self, _event: Event<WidgetsCreatedV1>) {}
}

fn main() {}
