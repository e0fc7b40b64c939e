//! Quickstart: two handlers and a publisher. Runs on the in-memory sandbox,
//! or on a real server when `NATS_URL` is set.
//!
//! `cargo run -p polyn --example quickstart`

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use polyn::{Client, Config, Event, EventType};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

/// A widget was created (`schemas/widgets.created.v1.json`).
#[derive(Serialize, Deserialize)]
struct WidgetsCreatedV1 {
    id: String,
    name: String,
}

impl EventType for WidgetsCreatedV1 {
    const NAME: &'static str = "widgets.created.v1";
    const SCHEMA: &'static str = include_str!("../../schemas/widgets.created.v1.json");
}

static HANDLED: AtomicUsize = AtomicUsize::new(0);
static PROGRESS: Notify = Notify::const_new();

#[polyn::handler]
async fn on_widget(event: Event<WidgetsCreatedV1>) {
    println!(
        "widget {} is called {:?}",
        event.data().id,
        event.data().name
    );
    HANDLED.fetch_add(1, Ordering::SeqCst);
    PROGRESS.notify_waiters();
}

#[polyn::handler(event = "money.amount.v1")]
async fn on_amount(event: Event) -> Result<(), String> {
    let amount = event.data()["amount"].as_f64().ok_or("no amount")?;
    println!("{amount} {}", event.data()["currency"]);
    HANDLED.fetch_add(1, Ordering::SeqCst);
    PROGRESS.notify_waiters();
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::builder()
        .domain("com.acme")
        .source_root("quickstart");
    let client = match std::env::var("NATS_URL") {
        Ok(url) => {
            println!("using the NATS server at {}", polyn::redact_url(&url));
            setup::real_server(&url).await?;
            Client::connect(config.server(url).build()?).await?
        }
        Err(_) => {
            println!("NATS_URL is not set: using the in-memory sandbox");
            setup::sandbox(config.build()?)?.client()
        }
    };
    let serving = tokio::spawn({
        let client = client.clone();
        async move {
            let done = async {
                loop {
                    let progress = PROGRESS.notified();
                    if HANDLED.load(Ordering::SeqCst) >= 4 {
                        break;
                    }
                    let _ = tokio::time::timeout(Duration::from_secs(1), progress).await;
                }
            };
            client.serve(&[&on_widget, &on_amount], done).await
        }
    });
    for (id, name) in [("w1", "Sprocket"), ("w2", "Gear")] {
        let widget = WidgetsCreatedV1 {
            id: id.into(),
            name: name.into(),
        };
        client.publish(widget).await?;
    }
    for amount in [12.5, 99.0] {
        let data = serde_json::json!({"currency": "EUR", "amount": amount});
        client.publish_json("money.amount.v1", data).await?;
    }
    serving.await??;
    println!("handled {} events", HANDLED.load(Ordering::SeqCst));
    Ok(())
}

/// What the Polyn CLI or migrations would set up; Polyn itself never
/// creates streams, consumers or the schema store.
mod setup {
    use std::path::Path;

    const STREAMS: [(&str, &str); 2] = [
        ("WIDGETS", "widgets.created.v1"),
        ("MONEY", "money.amount.v1"),
    ];

    fn schemas_dir() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas")
    }

    pub(super) fn sandbox(config: polyn::Config) -> Result<polyn::Sandbox, polyn::Error> {
        let mut builder = polyn::Sandbox::builder(config).schemas_dir(schemas_dir())?;
        for (stream, subject) in STREAMS {
            builder = builder
                .stream(stream, &[subject])
                .consumer(stream, subject, None)?;
        }
        Ok(builder.build())
    }

    pub(super) async fn real_server(url: &str) -> Result<(), Box<dyn std::error::Error>> {
        use async_nats::jetstream::{self, consumer, kv, stream};
        let js = jetstream::new(async_nats::connect(url).await?);
        let store = js
            .create_or_update_key_value(kv::Config {
                bucket: "POLYN_SCHEMAS".into(),
                ..Default::default()
            })
            .await?;
        for entry in std::fs::read_dir(schemas_dir())? {
            let path = entry?.path();
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_owned();
            let schema: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)?;
            store.put(name, schema.to_string().into()).await?;
        }
        for (name, subject) in STREAMS {
            let config = stream::Config {
                name: name.into(),
                subjects: vec![subject.into()],
                ..Default::default()
            };
            let stream = js.get_or_create_stream(config).await?;
            let durable = format!("quickstart_{}", subject.replace('.', "_"));
            let consumer = consumer::pull::Config {
                durable_name: Some(durable),
                ..Default::default()
            };
            stream
                .get_or_create_consumer(
                    &format!("quickstart_{}", subject.replace('.', "_")),
                    consumer,
                )
                .await?;
        }
        Ok(())
    }
}
