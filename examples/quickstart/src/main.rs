//! Quickstart: two typed handlers and a publisher. Runs on the in-memory
//! sandbox, or on a real server when `NATS_URL` is set.

mod events;
mod setup;

use events::{MoneyAmountV1, WidgetsCreatedV1};
use polyn::{Client, Event, State};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

type Error = Box<dyn std::error::Error + Send + Sync>;
/// Where handlers report what they did.
type Log = UnboundedSender<String>;

#[polyn::handler]
async fn on_widget(event: Event<WidgetsCreatedV1>, State(log): State<Log>) {
    let widget = event.data();
    log.send(format!("widget {} is called {}", widget.id, widget.name)).ok();
}

#[polyn::handler(source = "billing")]
async fn on_amount(event: Event<MoneyAmountV1>, State(log): State<Log>) -> Result<(), String> {
    let money = event.data();
    if money.amount < 0.0 {
        return Err(format!("negative amount in {}", event.id())); // nak: redelivered later
    }
    log.send(format!("{} {}", money.amount, money.currency)).ok();
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let client = setup::client().await?;
    let (log, mut handled) = unbounded_channel();
    // Serve both handlers until the demo is over, then shut down gracefully.
    let mut outcome = Ok(());
    let demo = async { outcome = publish_and_wait(&client, &mut handled).await };
    client.serve_with(log, &[&on_widget, &on_amount], demo).await?;
    outcome
}

/// Publishes two events of each type and prints what the handlers did.
async fn publish_and_wait(
    client: &Client,
    handled: &mut UnboundedReceiver<String>,
) -> Result<(), Error> {
    for (id, name) in [("w1", "Sprocket"), ("w2", "Gear")] {
        client.publish(WidgetsCreatedV1 { id: id.into(), name: name.into() }).await?;
    }
    for amount in [12.5, 99.0] {
        client.publish(MoneyAmountV1 { amount, currency: "EUR".into() }).await?;
    }
    for _ in 0..4 {
        println!("{}", handled.recv().await.ok_or("the handlers stopped")?);
    }
    Ok(())
}
