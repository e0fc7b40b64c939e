#[path = "../events.rs"]
mod events;

use events::WidgetsCreatedV1;
use polyn::Event;

// One mistake in the options is one error: the handler is still a
// handler, and its function is still callable.
#[polyn::handler(concurrency = "lots")]
pub async fn on_widget(event: Event<WidgetsCreatedV1>, ctx: polyn::Context) -> Result<(), String> {
    println!("{} {}", event.data().id, ctx.subject());
    Ok(())
}

pub async fn run(client: polyn::Client, event: Event<WidgetsCreatedV1>, ctx: polyn::Context) -> Result<(), polyn::Error> {
    on_widget::call(event, ctx).await.ok();
    client.serve(&[&on_widget], std::future::pending()).await?;
    Ok(())
}

fn main() {}
