//! A cluster of real nats-servers on loopback ports, for failover tests:
//! every server routes to every other, JetStream on each, each with its
//! own store directory (removed when the cluster is dropped).

use std::time::Duration;

use async_nats::jetstream;

use crate::NatsServer;
use crate::nats_server::free_loopback_port;

/// Servers in one cluster; dropping it stops them all.
pub struct Cluster {
    servers: Vec<NatsServer>,
}

impl Cluster {
    /// Starts `size` servers routed to each other, and waits until
    /// JetStream answers through them (a meta leader is elected).
    ///
    /// # Panics
    ///
    /// If a server does not start, or JetStream is not ready in 60 s.
    pub async fn start(size: usize) -> Cluster {
        let ports: Vec<u16> = (0..size)
            .map(|_| free_loopback_port().unwrap_or_else(|err| panic!("{err}")))
            .collect();
        let routes = ports
            .iter()
            .map(|port| format!("nats://127.0.0.1:{port}"))
            .collect::<Vec<_>>()
            .join(",");
        let servers = ports
            .iter()
            .map(|port| {
                let listen = format!("nats://127.0.0.1:{port}");
                NatsServer::start_with_args(&[
                    "--cluster_name",
                    "polyn-test",
                    "--cluster",
                    &listen,
                    "--routes",
                    &routes,
                ])
            })
            .collect();
        let cluster = Cluster { servers };
        cluster.until_jetstream_ready().await;
        cluster
    }

    /// The client URLs, comma-separated as `NATS_URL` takes them.
    pub fn urls(&self) -> String {
        self.servers
            .iter()
            .map(NatsServer::url)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The servers.
    pub fn servers(&self) -> &[NatsServer] {
        &self.servers
    }

    /// The server named `name`, to stop or restart it.
    pub fn server_mut(&mut self, name: &str) -> Option<&mut NatsServer> {
        self.servers
            .iter_mut()
            .find(|server| server.server_name() == name)
    }

    /// A JetStream context over a connection to every server.
    pub async fn jetstream(&self) -> jetstream::Context {
        let addresses: Vec<async_nats::ServerAddr> = self
            .servers
            .iter()
            .map(|server| server.url().parse().expect("a server URL"))
            .collect();
        let client = async_nats::connect(addresses)
            .await
            .expect("connect to the cluster");
        jetstream::new(client)
    }

    /// Asks for the account info until the cluster answers it: JetStream
    /// works once a meta leader is elected, and nothing signals that.
    async fn until_jetstream_ready(&self) {
        let js = self.jetstream().await;
        let ready = async {
            loop {
                if js.query_account().await.is_ok() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(60), ready)
            .await
            .expect("the cluster's JetStream answered within 60 s");
    }
}
