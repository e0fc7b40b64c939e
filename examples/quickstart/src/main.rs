//! Quickstart: two typed event handlers, a request handler and a publisher.
//! Runs on the in-memory sandbox, or on a real server when `NATS_URL` is
//! set.

mod events;
mod setup;

use std::time::Duration;

use events::{CalcMultRequestV1, CalcMultResponseV1, MoneyAmountV1, WidgetsCreatedV1};
use polyn::manifest::Manifest;
use polyn::{Client, Context, Event, State};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

type Error = Box<dyn std::error::Error + Send + Sync>;
/// Where handlers report what they did.
type Log = UnboundedSender<String>;

#[polyn::handler]
async fn on_widget(event: Event<WidgetsCreatedV1>, ctx: Context, State(log): State<Log>) {
    let widget = event.data();
    let delivery = ctx.delivered();
    log.send(format!("widget {} is called {} (delivery {delivery})", widget.id, widget.name)).ok();
}

#[polyn::handler(source = "billing", backoff = "500ms", max_backoff = "30s")]
async fn on_amount(event: Event<MoneyAmountV1>, State(log): State<Log>) -> Result<(), String> {
    let money = event.data();
    if money.amount < 0.0 {
        return Err(format!("negative amount in {}", event.id())); // nak: redelivered later
    }
    log.send(format!("{} {}", money.amount, money.currency)).ok();
    Ok(())
}

/// The product did not fit an `i64`.
#[derive(Debug)]
struct Overflow;

impl std::fmt::Display for Overflow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the product does not fit in 64 bits")
    }
}

impl std::error::Error for Overflow {}

/// Answers multiplication requests; the requester gets an error reply on overflow.
#[polyn::handler(queue_group = "calculators", concurrency = 4)]
async fn multiply(event: Event<CalcMultRequestV1>) -> Result<CalcMultResponseV1, Overflow> {
    let CalcMultRequestV1 { a, b } = *event.data();
    a.checked_mul(b).map(|product| CalcMultResponseV1 { product }).ok_or(Overflow)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    // Polyn logs through `tracing`: binding, serving, retries, dead letters,
    // shutdown. `RUST_LOG` picks what is shown (default: info).
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    // `--manifest <file>` writes what the service publishes and handles
    // (for `polyn catalog`) and stops.
    let mut args = std::env::args().skip(1);
    match (args.next().as_deref(), args.next()) {
        (None, _) => {}
        (Some("--manifest"), Some(file)) => {
            std::fs::write(&file, manifest()?.to_json())
                .map_err(|err| format!("cannot write the manifest to {file}: {err}"))?;
            println!("wrote the manifest of the service to {file}");
            return Ok(());
        }
        (Some(other), _) => {
            return Err(format!(
                "unexpected argument {other:?}: run the quickstart with no arguments, or with \
                 `--manifest <file>` to write its manifest"
            )
            .into());
        }
    }
    // On failure `main` prints the error's `Debug` form, which for a Polyn
    // error is its words (what went wrong, where, what to do) and then its
    // causes, and exits non-zero.
    run().await
}

/// What the service publishes and handles, from the handlers it serves.
fn manifest() -> Result<Manifest, polyn::Error> {
    Manifest::new(&setup::config().build()?)
        .handles::<Log>(&[&on_widget, &on_amount, &multiply])?
        .publishes::<WidgetsCreatedV1>()?
        .publishes::<MoneyAmountV1>()?
        .publishes::<CalcMultRequestV1>()
}

/// Connects (or starts the sandbox), serves the handlers while the demo
/// runs, and prints what each did.
async fn run() -> Result<(), Error> {
    let client = setup::client().await?;
    let (log, mut handled) = unbounded_channel();
    // Serve the handlers until the demo is over, then shut down gracefully.
    let service = client.service_with(log, &[&on_widget, &on_amount, &multiply]);
    let ready = service.monitor();
    let mut outcome = Ok(());
    let demo = async {
        ready.ready().await;
        outcome = demo(&client, &mut handled).await;
    };
    let stats = service.run(demo).await?;
    for handler in &stats.handlers {
        println!("{}: {} handled", handler.name, handler.stats.acked);
    }
    outcome
}

/// Publishes two events of each type, prints what the handlers did, then
/// asks for two products: one answered, one an error reply.
async fn demo(client: &Client, handled: &mut UnboundedReceiver<String>) -> Result<(), Error> {
    for (id, name) in [("w1", "Sprocket"), ("w2", "Gear")] {
        client.publish(WidgetsCreatedV1 { id: id.into(), name: name.into() }).await?;
    }
    for amount in [12.5, 99.0] {
        client.publish(MoneyAmountV1 { amount, currency: "EUR".into() }).await?;
    }
    for _ in 0..4 {
        println!("{}", handled.recv().await.ok_or("the handlers stopped")?);
    }
    let timeout = Duration::from_secs(5);
    let reply: Event<CalcMultResponseV1> =
        client.request(CalcMultRequestV1 { a: 6, b: 7 }, timeout).await?;
    println!("6 × 7 = {}", reply.data().product);
    let overflow = CalcMultRequestV1 { a: i64::MAX, b: 2 };
    match client.request::<_, CalcMultResponseV1>(overflow, timeout).await {
        Err(polyn::Error::Remote { code, description, .. }) => {
            println!("i64::MAX × 2: error {code}: {description}");
        }
        other => return Err(format!("expected an error reply, got {other:?}").into()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use polyn::EventType;

    fn config() -> polyn::Config {
        polyn::Config::builder()
            .domain("com.acme")
            .source_root("quickstart")
            .build()
            .expect("config")
    }

    #[tokio::test]
    async fn widgets_are_logged_with_their_delivery() {
        let (log, mut logged) = unbounded_channel();
        let widget = WidgetsCreatedV1 { id: "w1".into(), name: "Gear".into() };
        let event = config().event(WidgetsCreatedV1::NAME, widget).expect("event");
        let ctx = Context::new("widgets.created.v1").with_delivered(2);
        on_widget::call(event, ctx, State(log)).await;
        assert_eq!(logged.recv().await.as_deref(), Some("widget w1 is called Gear (delivery 2)"));
    }

    #[tokio::test]
    async fn products_that_overflow_are_errors() {
        let ask = |a, b| config().event(CalcMultRequestV1::NAME, CalcMultRequestV1 { a, b });
        let reply = multiply::call(ask(6, 7).expect("event")).await.expect("a product");
        assert_eq!(reply.product, 42);
        assert!(multiply::call(ask(i64::MAX, 2).expect("event")).await.is_err());
    }
}
