//! Tests of the real-nats-server harness itself: JetStream and KV work, data survives a
//! restart, servers are isolated from each other and clean up after themselves, and a
//! missing or outdated binary gives an error that says what to do.

use std::io::ErrorKind;
use std::net::{Ipv4Addr, TcpStream};
use std::path::Path;
use std::time::Duration;

use async_nats::jetstream::{self, kv, stream};
use bytes::Bytes;
use polyn_tests::NatsServer;
use polyn_tests::nats_server::{BinarySource, HarnessError, NatsServerBinary};

/// Asserts that nothing accepts connections on the loopback `port`.
fn assert_port_refuses(port: u16) {
    match TcpStream::connect((Ipv4Addr::LOCALHOST, port)) {
        Ok(_) => panic!("port {port} still accepts connections"),
        Err(err) => assert_eq!(
            err.kind(),
            ErrorKind::ConnectionRefused,
            "port {port}: {err}"
        ),
    }
}

#[tokio::test]
async fn jetstream_stream_and_kv_survive_a_restart() {
    let mut server = NatsServer::start();
    let url = server.url();
    assert_eq!(url, format!("nats://127.0.0.1:{}", server.port()));
    assert!(server.is_running());

    let client = async_nats::connect(&url).await.expect("connect");
    let js = jetstream::new(client);

    let events = js
        .create_stream(stream::Config {
            name: "EVENTS".into(),
            subjects: vec!["events.>".into()],
            ..Default::default()
        })
        .await
        .expect("create stream");
    let ack = js
        .publish("events.user.created", Bytes::from_static(b"hello"))
        .await
        .expect("publish")
        .await
        .expect("publish ack");
    assert_eq!(ack.stream, "EVENTS");
    assert_eq!(ack.sequence, 1);
    let message = events.get_raw_message(1).await.expect("read back");
    assert_eq!(message.payload, Bytes::from_static(b"hello"));

    let schemas = js
        .create_key_value(kv::Config {
            bucket: "POLYN_SCHEMAS".into(),
            ..Default::default()
        })
        .await
        .expect("create KV bucket");
    schemas
        .put(
            "user.created.v1",
            Bytes::from_static(b"{\"type\":\"object\"}"),
        )
        .await
        .expect("kv put");
    assert_eq!(
        schemas.get("user.created.v1").await.expect("kv get"),
        Some(Bytes::from_static(b"{\"type\":\"object\"}"))
    );
    drop((events, schemas, js));

    let port = server.port();
    let store_dir = server.store_dir().to_path_buf();
    server.restart();
    assert_eq!(server.port(), port, "restart keeps the port");
    assert_eq!(server.store_dir(), store_dir, "restart keeps the store");
    assert_eq!(server.url(), url);

    let js = jetstream::new(async_nats::connect(&url).await.expect("reconnect"));
    let schemas = js
        .get_key_value("POLYN_SCHEMAS")
        .await
        .expect("KV bucket survives the restart");
    assert_eq!(
        schemas.get("user.created.v1").await.expect("kv get"),
        Some(Bytes::from_static(b"{\"type\":\"object\"}")),
        "KV value survives the restart"
    );
    let events = js
        .get_stream("EVENTS")
        .await
        .expect("stream survives the restart");
    let message = events.get_raw_message(1).await.expect("read back");
    assert_eq!(message.subject.as_str(), "events.user.created");
    assert_eq!(message.payload, Bytes::from_static(b"hello"));

    // The restarted server takes new messages after the old ones.
    let ack = js
        .publish("events.user.created", Bytes::from_static(b"again"))
        .await
        .expect("publish")
        .await
        .expect("publish ack");
    assert_eq!(ack.sequence, 2);
}

#[tokio::test]
async fn stop_keeps_the_server_down_until_start_again() {
    let mut server = NatsServer::start();
    let client = async_nats::connect(server.url()).await.expect("connect");
    let js = jetstream::new(client.clone());
    js.create_key_value(kv::Config {
        bucket: "DOWNTIME".into(),
        ..Default::default()
    })
    .await
    .expect("create KV bucket")
    .put("k", Bytes::from_static(b"v"))
    .await
    .expect("kv put");

    server.stop();
    assert!(!server.is_running());
    assert_port_refuses(server.port());
    assert!(
        async_nats::connect(server.url()).await.is_err(),
        "no new connections while stopped"
    );
    server.stop(); // stopping twice is harmless

    server.start_again();
    assert!(server.is_running());
    server.start_again(); // starting a running server is a no-op
    assert!(server.is_running());

    // The client connected before the outage reconnects on its own.
    let store = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match js.get_key_value("DOWNTIME").await {
                Ok(store) => break store,
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    })
    .await
    .expect("the old client reconnects within 30 s");
    assert_eq!(
        store.get("k").await.expect("kv get"),
        Some(Bytes::from_static(b"v"))
    );
}

#[test]
fn servers_are_isolated_and_clean_up_on_drop() {
    let (first, second) = std::thread::scope(|scope| {
        let first = scope.spawn(NatsServer::start);
        let second = scope.spawn(NatsServer::start);
        (
            first.join().expect("first server starts"),
            second.join().expect("second server starts"),
        )
    });
    assert_ne!(first.port(), second.port());
    assert_ne!(first.store_dir(), second.store_dir());
    assert_ne!(first.server_name(), second.server_name());
    assert!(first.store_dir().is_dir());
    assert!(second.store_dir().is_dir());
    assert!(first.log_path().is_file());
    assert!(first.store_dir().starts_with(first.temp_dir()));
    assert!(first.log_path().starts_with(first.temp_dir()));

    let (port, temp_dir, store_dir) = (
        first.port(),
        first.temp_dir().to_path_buf(),
        first.store_dir().to_path_buf(),
    );
    TcpStream::connect((Ipv4Addr::LOCALHOST, port)).expect("first server is listening");
    drop(first);
    assert!(!store_dir.exists(), "store dir removed on drop");
    assert!(!temp_dir.exists(), "temp dir removed on drop");
    assert_port_refuses(port);

    TcpStream::connect((Ipv4Addr::LOCALHOST, second.port())).expect("second server is unaffected");
}

#[test]
fn located_binary_is_recent_enough() {
    let binary = NatsServerBinary::locate().unwrap_or_else(|err| panic!("{err}"));
    assert!(binary.version().is_supported(), "{}", binary.version());
    assert_ne!(binary.source(), BinarySource::Explicit);
    // The harness runs what `locate` finds.
    let server = NatsServer::start();
    assert_eq!(server.binary().path(), binary.path());
}

#[test]
fn missing_binary_gives_a_clear_error() {
    let err = NatsServerBinary::check("/nonexistent/bin/nats-server").expect_err("no such file");
    assert!(
        matches!(
            err,
            HarnessError::BinaryNotRunnable {
                origin: BinarySource::Explicit,
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("/nonexistent/bin/nats-server"),
        "{message}"
    );
    assert!(message.contains("2.10 or newer"), "{message}");
    assert!(message.contains("scripts/install-nats-server"), "{message}");
    assert!(message.contains("NATS_SERVER_BIN"), "{message}");
}

/// Writes an executable shell script standing in for nats-server.
#[cfg(unix)]
fn fake_server(dir: &Path, script: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;

    let path = dir.join("nats-server");
    std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).expect("write fake nats-server");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

#[cfg(unix)]
#[test]
fn outdated_binary_gives_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = fake_server(dir.path(), "echo 'nats-server: v2.9.10'");
    let err = NatsServerBinary::check(&path).expect_err("2.9 is too old");
    assert!(matches!(err, HarnessError::VersionTooOld { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "nats-server at {} is version 2.9.10, but Polyn's tests need 2.10 or newer \
             (async-nats 0.51 cannot create a KV bucket on older servers). Run \
             `scripts/install-nats-server` to install a pinned one into .tools/, or set \
             NATS_SERVER_BIN.",
            path.display()
        )
    );
}

#[cfg(unix)]
#[test]
fn binary_without_a_version_gives_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = fake_server(dir.path(), "echo 'something else entirely'; exit 3");
    let err = NatsServerBinary::check(&path).expect_err("no version");
    assert!(
        matches!(err, HarnessError::UnrecognisedVersion { .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("something else entirely"), "{message}");
    assert!(message.contains("scripts/install-nats-server"), "{message}");
}

#[cfg(unix)]
#[test]
fn server_that_dies_at_startup_reports_its_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Claims a good version, but fails like a real server whose options are rejected.
    let path = fake_server(
        dir.path(),
        "if [ \"$1\" = --version ]; then echo 'nats-server: v2.10.22'; exit 0; fi\n\
         echo 'nats-server: fatal: cannot start (fake)' >&2; exit 1",
    );
    let binary = NatsServerBinary::check(&path).expect("version is fine");
    let err = NatsServer::start_with(binary).expect_err("the fake server exits");
    let HarnessError::StartFailed {
        ref reason,
        ref log_tail,
        ..
    } = err
    else {
        panic!("expected StartFailed, got {err:?}");
    };
    assert!(reason.contains("exited"), "{reason}");
    assert!(
        log_tail.contains("cannot start (fake)"),
        "log tail: {log_tail}"
    );
    assert!(err.to_string().contains("cannot start (fake)"), "{err}");
}

#[test]
fn start_again_on_a_taken_port_fails_with_the_server_log() {
    let mut server = NatsServer::start();
    server.stop();
    let squatter = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, server.port()))
        .expect("take the stopped server's port");

    let err = server
        .try_start_again()
        .expect_err("the port is taken by someone else");
    let HarnessError::StartFailed {
        port, ref log_tail, ..
    } = err
    else {
        panic!("expected StartFailed, got {err:?}");
    };
    assert_eq!(port, server.port());
    assert!(log_tail.contains("address already in use"), "{log_tail}");
    assert!(!server.is_running());

    drop(squatter);
    server.start_again();
    assert!(server.is_running());
}
