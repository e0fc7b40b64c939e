#[path = "../events.rs"]
mod events;

use events::WidgetsCreatedV1;
use polyn::Event;

#[derive(Clone)]
pub struct Db;

#[polyn::handler]
pub async fn on_widget(_event: Event<WidgetsCreatedV1>, polyn::State(_db): polyn::State<Db>) {}

pub async fn run(client: polyn::Client) -> Result<(), polyn::Error> {
    client.serve(&[&on_widget], std::future::pending()).await?;
    Ok(())
}

fn main() {}
