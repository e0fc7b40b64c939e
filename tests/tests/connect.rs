//! Connecting while the server is not up yet: with
//! `Config::connect_retry`, `Client::connect` keeps trying until a server
//! answers; one that refuses the client fails at once; without it, one
//! attempt.

use std::time::Duration;

use polyn::{Client, Config, Error, ErrorKind};
use polyn_tests::NatsServer;
use polyn_tests::logs::Captured;
use polyn_tests::secured::{publishes, set_up};

fn config(server: &NatsServer, retry: Duration) -> Config {
    Config::builder()
        .domain("com.test")
        .source_root("connect.test")
        .server(server.url())
        .connect_retry(retry)
        .build()
        .expect("configuration")
}

#[tokio::test]
async fn connect_waits_for_a_server_that_is_starting() {
    let mut server = NatsServer::start();
    set_up(&server, async_nats::ConnectOptions::new()).await;
    server.stop();
    let (captured, _logging) = Captured::install();

    let connecting = tokio::spawn(Client::connect(config(&server, Duration::from_secs(60))));
    // The first attempt has failed once this is logged.
    assert!(
        captured
            .until_logged("no NATS server answers yet", Duration::from_secs(30))
            .await,
        "no retry was logged:\n{}",
        captured.text()
    );
    let server = tokio::task::spawn_blocking(move || {
        server.start_again();
        server
    })
    .await
    .expect("restart");
    let client = connecting
        .await
        .expect("the connecting task")
        .expect("connected once the server was up");
    publishes(&client).await;
    drop(server);
}

#[tokio::test]
async fn without_retry_an_absent_server_fails_at_once() {
    let mut server = NatsServer::start();
    server.stop();
    let err = Client::connect(config(&server, Duration::ZERO))
        .await
        .expect_err("nothing listens");
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Transport);
    // The client's own error is kept as the cause.
    let cause = std::error::Error::source(&err).expect("a cause");
    assert!(
        cause
            .downcast_ref::<polyn::async_nats::ConnectError>()
            .is_some(),
        "{cause:?}"
    );
}

#[tokio::test]
async fn a_server_that_refuses_the_client_is_not_retried() {
    let server = NatsServer::start_with_args(&["--user", "app", "--pass", "right"]);
    let config = Config::builder()
        .domain("com.test")
        .source_root("connect.test")
        .server(format!("nats://app:wrong@127.0.0.1:{}", server.port()))
        .connect_retry(Duration::from_secs(600))
        .build()
        .expect("configuration");
    // Retrying would take the whole 600 s; a refusal ends it at once.
    let result = tokio::time::timeout(Duration::from_secs(60), Client::connect(config)).await;
    let err = result
        .expect("a refused client must not be retried")
        .expect_err("the password is wrong");
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("wrong@"), "{err:?}");
}
