//! Credentials reach the server: token and user/password authentication
//! against a real nats-server, configured through `NATS_*` variables as a
//! deployed service would be; a wrong secret or an unreachable server is a
//! `Connect` error that names the server and never shows the secret.
//! Credentials in `NATS_URL` authenticate too, and no log line shows them.

use polyn::{Client, Config, Error};
use polyn_tests::NatsServer;
use polyn_tests::logs::Captured;
use polyn_tests::secured::{self, publishes, set_up};

const TOKEN: &str = "s3cret-token";
const PASSWORD: &str = "s3cret-password";

/// A configuration read from these variables (plus the domain and root).
fn config(server: &NatsServer, vars: &[(&str, &str)]) -> Config {
    secured::config(server, "auth.test", vars)
}

fn assert_connect_error(result: Result<Client, Error>, server: &NatsServer, secrets: &[&str]) {
    let err = result.expect_err("the connection must be refused");
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
    let shown = format!("{err} | {err:?}");
    assert!(shown.contains(&server.url()), "{shown}");
    for secret in secrets {
        assert!(!shown.contains(secret), "the secret leaked: {shown}");
    }
}

#[tokio::test]
async fn token_authentication() {
    let server = NatsServer::start_with_args(&["--auth", TOKEN]);
    set_up(
        &server,
        async_nats::ConnectOptions::with_token(TOKEN.into()),
    )
    .await;

    let client = Client::connect(config(&server, &[("NATS_TOKEN", TOKEN)]))
        .await
        .expect("connect with the token");
    publishes(&client).await;

    let wrong = Client::connect(config(&server, &[("NATS_TOKEN", "not-the-token")])).await;
    assert_connect_error(wrong, &server, &["not-the-token", TOKEN]);
    let none = Client::connect(config(&server, &[])).await;
    assert_connect_error(none, &server, &[TOKEN]);
}

#[tokio::test]
async fn user_and_password_authentication() {
    let server = NatsServer::start_with_args(&["--user", "app", "--pass", PASSWORD]);
    set_up(
        &server,
        async_nats::ConnectOptions::with_user_and_password("app".into(), PASSWORD.into()),
    )
    .await;

    let vars = [("NATS_USER", "app"), ("NATS_PASSWORD", PASSWORD)];
    let client = Client::connect(config(&server, &vars))
        .await
        .expect("connect with user and password");
    publishes(&client).await;

    let wrong = [("NATS_USER", "app"), ("NATS_PASSWORD", "wrong-password")];
    let refused = Client::connect(config(&server, &wrong)).await;
    assert_connect_error(refused, &server, &["wrong-password", PASSWORD]);
}

#[tokio::test]
async fn an_unreachable_server_is_a_connect_error() {
    let mut server = NatsServer::start();
    server.stop();
    let result = Client::connect(config(&server, &[])).await;
    assert_connect_error(result, &server, &[]);
}

/// The configuration of a deployed service whose `NATS_URL` is `url`.
fn config_with_url(url: &str) -> Config {
    Config::from_lookup(|name| match name {
        "POLYN_DOMAIN" => Some("com.test".to_owned()),
        "POLYN_SOURCE_ROOT" => Some("auth.test".to_owned()),
        "NATS_URL" => Some(url.to_owned()),
        _ => None,
    })
    .expect("configuration")
}

// The runtime is single-threaded, so the thread's default subscriber sees
// what every task logs, async-nats's connection tasks included.
#[tokio::test]
async fn credentials_in_the_url_authenticate_and_are_never_logged() {
    let server = NatsServer::start_with_args(&["--user", "app", "--pass", PASSWORD]);
    set_up(
        &server,
        async_nats::ConnectOptions::with_user_and_password("app".into(), PASSWORD.into()),
    )
    .await;
    let (captured, _logging) = Captured::install();

    let url = format!("nats://app:{PASSWORD}@127.0.0.1:{}", server.port());
    let config = config_with_url(&url);
    assert_eq!(config.servers(), [server.url()]);
    assert!(!format!("{config:?}").contains(PASSWORD));
    let client = Client::connect(config)
        .await
        .expect("connect with the credentials of the URL");
    publishes(&client).await;

    let wrong = format!("nats://app:wrong-password@127.0.0.1:{}", server.port());
    let refused = Client::connect(config_with_url(&wrong)).await;
    assert_connect_error(refused, &server, &["wrong-password", PASSWORD]);

    let token = format!("nats://{TOKEN}@127.0.0.1:{}", server.port());
    let refused = Client::connect(config_with_url(&token)).await;
    assert_connect_error(refused, &server, &[TOKEN]);

    let logs = captured.text();
    assert!(
        logs.contains("127.0.0.1") && logs.contains("TRACE"),
        "the capture saw no connection logs:\n{logs}"
    );
    for secret in [PASSWORD, "wrong-password", TOKEN] {
        assert!(
            !logs.contains(secret),
            "a log line shows `{secret}`:\n{logs}"
        );
    }
}
