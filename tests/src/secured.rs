//! Helpers for tests against a server that authenticates or encrypts:
//! a configuration read from `NATS_*` variables as a deployed service
//! would, the widget schema and stream set up over an admin connection,
//! and a publish that proves a client is connected and authorised.

use async_nats::jetstream;
use polyn::{Client, Config, EventType};

use crate::NatsServer;
use crate::events::WidgetsCreatedV1;

/// A configuration read from `vars`, plus the domain `com.test`,
/// `source_root` and the server's URL.
pub fn config<V: AsRef<str>>(server: &NatsServer, source_root: &str, vars: &[(&str, V)]) -> Config {
    let url = server.url();
    Config::from_lookup(|name| match name {
        "POLYN_DOMAIN" => Some("com.test".to_owned()),
        "POLYN_SOURCE_ROOT" => Some(source_root.to_owned()),
        "NATS_URL" => Some(url.clone()),
        _ => vars
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_ref().to_owned()),
    })
    .expect("configuration")
}

/// Puts the widget schema in the schema store and creates the `WIDGETS`
/// stream, connecting with `options`.
pub async fn set_up(server: &NatsServer, options: async_nats::ConnectOptions) {
    let js = jetstream::new(
        options
            .connect(server.url())
            .await
            .expect("admin connection"),
    );
    widgets(&js, 1).await;
}

/// Puts the widget schema in the schema store and creates the `WIDGETS`
/// stream through `js`, both with `replicas` replicas.
pub async fn widgets(js: &jetstream::Context, replicas: usize) {
    let kv = js
        .create_key_value(jetstream::kv::Config {
            bucket: "POLYN_SCHEMAS".into(),
            num_replicas: replicas,
            ..Default::default()
        })
        .await
        .expect("schema bucket");
    kv.put(WidgetsCreatedV1::NAME, WidgetsCreatedV1::SCHEMA.into())
        .await
        .expect("schema");
    js.create_stream(jetstream::stream::Config {
        name: "WIDGETS".into(),
        subjects: vec!["widgets.created.v1".into()],
        num_replicas: replicas,
        ..Default::default()
    })
    .await
    .expect("stream");
}

/// Publishes a widget and checks the `WIDGETS` stream stored it: the
/// client is really connected and authorised.
pub async fn publishes(client: &Client) {
    let ack = client
        .publish(WidgetsCreatedV1 {
            id: "w1".into(),
            name: "Sprocket".into(),
        })
        .await
        .expect("publish");
    assert_eq!(ack.stream, "WIDGETS");
}
