//! Test support for Polyn for Rust: a harness that runs a real `nats-server` with JetStream,
//! a ready Polyn environment on it, and event types for the example schemas.
//!
//! Polyn's end-to-end tests (in this crate's `tests/` folder) talk to a real server rather
//! than a mock. [`NatsServer`] starts one per test on a free loopback port, with its own
//! JetStream store in a temporary directory, and can stop, restart and start it again on the
//! same port and data, for fault-tolerance tests. See [`nats_server`] for how the binary is
//! found (`NATS_SERVER_BIN`, then `.tools/bin/nats-server` as installed by
//! `scripts/install-nats-server`, then `PATH`); it must be nats-server 2.10 or newer.
//!
//! ```no_run
//! use polyn_tests::NatsServer;
//!
//! let mut server = NatsServer::start();
//! // connect with `async_nats::connect(server.url())`, create streams and KV buckets, ...
//! server.restart(); // same URL, same JetStream data
//! ```

pub mod cluster;
pub mod env;
pub mod events;
pub mod logs;
pub mod nats_server;
pub mod secured;
pub mod watched;

pub use env::PolynEnv;
pub use nats_server::{HarnessError, NatsServer, NatsServerBinary, ServerVersion};
pub use watched::Watched;
