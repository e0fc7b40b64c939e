//! [`Client`]: the handle every Polyn operation goes through; connecting
//! ([`connect`]), publishing ([`publishing`]), requests and replies
//! ([`request`]), receiving ([`receive`]) and the spans they run in
//! ([`spans`]) each have their own file.

mod connect;
pub(crate) mod publishing;
mod receive;
pub(crate) mod request;
pub(crate) mod spans;

use self::connect::connect_nats_with;
use crate::config::Config;
use crate::error::Error;
use crate::schema_store::SchemaStore;
use crate::transport::Transport;
use crate::transport::nats::NatsTransport;
use std::sync::Arc;

/// A connection to NATS with the schema store loaded: the handle every
/// Polyn operation goes through. Cheap to clone and share across tasks;
/// reconnects on its own.
///
/// ```no_run
/// # async fn run() -> Result<(), polyn::Error> {
/// let client = polyn::Client::connect(polyn::Config::from_env()?).await?;
/// let ack = client
///     .publish_json("widgets.created.v1", serde_json::json!({"id": "w1", "name": "Sprocket"}))
///     .await?;
/// println!("stored as {} #{}", ack.stream, ack.sequence);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    transport: Arc<dyn Transport>,
    schemas: SchemaStore,
    /// The event `source` of a publish without a source of its own,
    /// built once.
    root_source: Option<String>,
    /// The OpenTelemetry instruments (none without the `otel` feature).
    metrics: crate::metrics::Metrics,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Connects to the configured servers (default `nats://127.0.0.1:4222`)
    /// with the configured credentials and TLS, then loads and watches the
    /// schema store.
    ///
    /// Fails with [`Error::SchemaStoreNotFound`] when the bucket does not
    /// exist.
    pub async fn connect(config: Config) -> Result<Client, Error> {
        let (reconnected, reconnects) = tokio::sync::watch::channel(0u64);
        let nats = connect_nats_with(&config, Some(reconnected)).await?;
        let transport = NatsTransport::new(nats, config.publish_retry(), Some(reconnects));
        let schemas = SchemaStore::watch(transport.jetstream(), config.schema_bucket()).await?;
        Ok(Client::from_parts(config, Arc::new(transport), schemas))
    }

    /// Uses an existing `async-nats` connection (its own options apply).
    pub async fn with_nats(config: Config, nats: async_nats::Client) -> Result<Client, Error> {
        let transport = NatsTransport::new(nats, config.publish_retry(), None);
        let schemas = SchemaStore::watch(transport.jetstream(), config.schema_bucket()).await?;
        Ok(Client::from_parts(config, Arc::new(transport), schemas))
    }

    pub(crate) fn from_parts(
        config: Config,
        transport: Arc<dyn Transport>,
        schemas: SchemaStore,
    ) -> Client {
        let root_source = config.full_source(None).ok();
        Client {
            inner: Arc::new(Inner {
                config,
                transport,
                schemas,
                root_source,
                metrics: crate::metrics::Metrics::new(),
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The schema store.
    pub fn schemas(&self) -> &SchemaStore {
        &self.inner.schemas
    }

    pub(crate) fn transport(&self) -> &Arc<dyn Transport> {
        &self.inner.transport
    }

    pub(crate) fn metrics(&self) -> &crate::metrics::Metrics {
        &self.inner.metrics
    }

    /// Waits until everything published has reached the server.
    pub async fn flush(&self) -> Result<(), Error> {
        self.inner.transport.flush().await
    }

    /// The URL of the server the client is connected to.
    pub fn server_url(&self) -> String {
        self.inner.transport.server_url().to_string()
    }
}
