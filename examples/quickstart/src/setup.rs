//! The client, on the sandbox or a real server, and what the Polyn CLI would
//! set up before services start: the schema store, a stream per event and
//! the handlers' durable consumers. Polyn itself never creates these.

use polyn::async_nats::jetstream::{self, consumer, kv, stream};
use polyn::{Client, Config, ConfigBuilder, EventType, Sandbox};

use crate::events::{CalcMultRequestV1, CalcMultResponseV1, MoneyAmountV1, WidgetsCreatedV1};

/// Stream, message, schema and consumer source of each handler.
const TOPOLOGY: [(&str, &str, &str, Option<&str>); 2] = [
    ("WIDGETS", WidgetsCreatedV1::NAME, WidgetsCreatedV1::SCHEMA, None),
    ("MONEY", MoneyAmountV1::NAME, MoneyAmountV1::SCHEMA, Some("billing")),
];

/// Message and schema of the request handler's request and reply: core
/// NATS, so no stream and no consumer.
const REQUEST_REPLY: [(&str, &str); 2] = [
    (CalcMultRequestV1::NAME, CalcMultRequestV1::SCHEMA),
    (CalcMultResponseV1::NAME, CalcMultResponseV1::SCHEMA),
];

/// A client on the server at `NATS_URL`, or on the in-memory sandbox.
pub(crate) async fn client() -> Result<Client, crate::Error> {
    let config = Config::builder().domain("com.acme").source_root("quickstart");
    match std::env::var("NATS_URL") {
        Ok(url) => {
            println!("using the NATS server at {}", polyn::redact_url(&url));
            let config = config.server(url.as_str()).build()?;
            set_up_server(&url, &config).await?;
            Ok(Client::connect(config).await?)
        }
        Err(_) => {
            println!("NATS_URL is not set: using the in-memory sandbox");
            Ok(sandbox(config)?.client())
        }
    }
}

fn sandbox(config: ConfigBuilder) -> Result<Sandbox, polyn::Error> {
    let mut builder = Sandbox::builder(config.build()?)
        .event::<WidgetsCreatedV1>()?
        .event::<MoneyAmountV1>()?
        .event::<CalcMultRequestV1>()?
        .event::<CalcMultResponseV1>()?;
    for (stream, message, _, source) in TOPOLOGY {
        builder = builder.stream(stream, &[message]).consumer(stream, message, source)?;
    }
    Ok(builder.build())
}

async fn set_up_server(url: &str, config: &Config) -> Result<(), crate::Error> {
    let js = jetstream::new(polyn::async_nats::connect(url).await?);
    let bucket = kv::Config { bucket: "POLYN_SCHEMAS".into(), ..Default::default() };
    let schemas = js.create_or_update_key_value(bucket).await?;
    for (stream, message, schema, source) in TOPOLOGY {
        schemas.put(message, schema.into()).await?;
        let subjects = vec![message.to_owned()];
        let stream = stream::Config { name: stream.into(), subjects, ..Default::default() };
        let stream = js.get_or_create_stream(stream).await?;
        let name = config.consumer_name(message, source)?;
        let durable =
            consumer::pull::Config { durable_name: Some(name.clone()), ..Default::default() };
        stream.get_or_create_consumer(&name, durable).await?;
    }
    for (message, schema) in REQUEST_REPLY {
        schemas.put(message, schema.into()).await?;
    }
    Ok(())
}
