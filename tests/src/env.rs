//! A ready Polyn environment on a real server: the schema store filled from
//! `schemas/`, and helpers to create the streams and consumers that the
//! Polyn CLI or migrations would create in production.

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};

use crate::NatsServer;

/// The domain every test uses.
pub const DOMAIN: &str = "com.test";
/// The source root every test uses.
pub const SOURCE_ROOT: &str = "user.backend";

/// The repository's example `schemas/` folder.
pub fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas")
}

/// A running server with the `POLYN_SCHEMAS` bucket filled from `schemas/`.
#[derive(Debug)]
pub struct PolynEnv {
    /// The server (dropping the environment stops it).
    pub server: NatsServer,
    /// A raw connection, for setting up and for raw publishing.
    pub nats: async_nats::Client,
    /// Its JetStream context.
    pub js: jetstream::Context,
}

impl PolynEnv {
    /// Starts a server and loads every example schema into `POLYN_SCHEMAS`,
    /// as `polyn up` would: key = file stem, value = compact JSON.
    pub async fn start() -> PolynEnv {
        let server = NatsServer::start();
        let nats = async_nats::connect(server.url())
            .await
            .expect("connect to the test server");
        let js = jetstream::new(nats.clone());
        let kv = js
            .create_key_value(jetstream::kv::Config {
                bucket: "POLYN_SCHEMAS".into(),
                history: 5,
                ..Default::default()
            })
            .await
            .expect("create POLYN_SCHEMAS");
        for entry in std::fs::read_dir(schemas_dir()).expect("schemas folder") {
            let path = entry.expect("dir entry").path();
            if path.extension().is_some_and(|e| e == "json") {
                let name = path
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .expect("utf-8 file name")
                    .to_owned();
                let text = std::fs::read_to_string(&path).expect("schema file");
                let json: serde_json::Value = serde_json::from_str(&text).expect("schema JSON");
                kv.put(name, json.to_string().into())
                    .await
                    .expect("put schema");
            }
        }
        PolynEnv { server, nats, js }
    }

    /// The Polyn configuration for this server.
    pub fn config(&self) -> polyn::Config {
        polyn::Config::builder()
            .domain(DOMAIN)
            .source_root(SOURCE_ROOT)
            .server(self.server.url())
            .build()
            .expect("test configuration")
    }

    /// A connected Polyn client.
    pub async fn client(&self) -> polyn::Client {
        polyn::Client::connect(self.config())
            .await
            .expect("polyn client connects")
    }

    /// Creates a file-backed stream capturing `subjects`.
    pub async fn stream(&self, name: &str, subjects: &[&str]) -> stream::Stream {
        self.js
            .create_stream(stream::Config {
                name: name.into(),
                subjects: subjects.iter().map(|s| (*s).to_owned()).collect(),
                storage: stream::StorageType::File,
                ..Default::default()
            })
            .await
            .expect("create stream")
    }

    /// Creates the durable pull consumer Polyn binds to for `message`
    /// (optionally refined by `source`), filtered on `filter`.
    pub async fn consumer(
        &self,
        stream: &str,
        message: &str,
        source: Option<&str>,
        filter: &str,
        ack_wait: Duration,
        max_deliver: i64,
    ) -> String {
        let name = self
            .config()
            .consumer_name(message, source)
            .expect("consumer name");
        self.js
            .get_stream(stream)
            .await
            .expect("stream exists")
            .create_consumer(consumer::pull::Config {
                durable_name: Some(name.clone()),
                filter_subject: filter.to_owned(),
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait,
                max_deliver,
                ..Default::default()
            })
            .await
            .expect("create consumer");
        name
    }
}
