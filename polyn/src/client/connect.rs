//! Opening the NATS connection a [`Client`] runs on.

use crate::config::Config;
use crate::credentials::Auth;
use crate::error::Error;
use std::time::Duration;

impl Config {
    /// Opens a plain `async-nats` connection with the configured servers,
    /// credentials and TLS, without loading the schema store: for tools
    /// such as a [`Migrator`](crate::migration::Migrator), which run before the store
    /// exists.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), polyn::Error> {
    /// let nats = polyn::Config::from_env()?.connect_nats().await?;
    /// # Ok(()) }
    /// ```
    pub async fn connect_nats(&self) -> Result<async_nats::Client, Error> {
        connect_nats_with(self, None).await
    }
}

/// Opens the `async-nats` connection described by the configuration.
///
/// With `reconnected`, every (re)connection bumps its value: a publish
/// waiting for an acknowledgement sends again at once, since what was in
/// flight on the lost connection will get no answer.
pub(super) async fn connect_nats_with(
    config: &Config,
    reconnected: Option<tokio::sync::watch::Sender<u64>>,
) -> Result<async_nats::Client, Error> {
    let servers: Vec<String> = if config.servers().is_empty() {
        vec!["nats://127.0.0.1:4222".to_owned()]
    } else {
        config.servers().to_vec()
    };
    let shown = servers
        .iter()
        .map(|s| crate::config::redact_url(s))
        .collect::<Vec<_>>()
        .join(", ");
    let fail = |source: Box<dyn std::error::Error + Send + Sync>| Error::Connect {
        servers: shown.clone(),
        source,
    };
    let mut options = async_nats::ConnectOptions::new()
        .name(config.connection_name())
        .max_reconnects(None);
    if let Some(reconnected) = reconnected {
        let reconnects = crate::metrics::Reconnects::new();
        options = options.event_callback(move |event| {
            if matches!(event, async_nats::Event::Connected) {
                reconnected.send_modify(|count| *count += 1);
                reconnects.connected();
            }
            std::future::ready(())
        });
    }
    options = match config.auth() {
        Auth::UserPassword { user, password } => {
            options.user_and_password(user.clone(), password.expose().to_owned())
        }
        Auth::Token(token) => options.token(token.expose().to_owned()),
        Auth::NKey(seed) => options.nkey(seed.expose().to_owned()),
        Auth::CredentialsFile(path) => options.credentials_file(path).await.map_err(|err| {
            fail(format!("cannot read the credentials file {}: {err}", path.display()).into())
        })?,
        _ => options,
    };
    let tls = config.tls();
    // Trusting a CA or presenting a certificate means TLS is wanted: never
    // fall back to plaintext (with the credentials) because a server's INFO
    // did not ask for TLS.
    if tls.required || tls.ca_file.is_some() || tls.client_cert.is_some() {
        options = options.require_tls(true);
    }
    if let Some(ca) = &tls.ca_file {
        options = options.add_root_certificates(ca.clone());
    }
    if let Some((cert, key)) = &tls.client_cert {
        options = options.add_client_certificate(cert.clone(), key.clone());
    }
    let addresses = servers
        .iter()
        .map(|s| s.parse::<async_nats::ServerAddr>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| fail(Box::new(err)))?;
    let deadline = tokio::time::Instant::now() + config.connect_retry();
    let mut pause = Duration::from_millis(100);
    let mut attempts = 1u32;
    loop {
        match options.clone().connect(addresses.clone()).await {
            Ok(client) => return Ok(client),
            Err(err) if unreachable(&err) && tokio::time::Instant::now() + pause < deadline => {
                tracing::info!(servers = %shown, error = %err, attempts,
                    "no NATS server answers yet; trying again");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
                attempts += 1;
            }
            Err(err) => return Err(fail(Box::new(err))),
        }
    }
}

/// Whether connecting failed because no server answered (worth trying
/// again), not because one refused the client.
fn unreachable(err: &async_nats::ConnectError) -> bool {
    use async_nats::ConnectErrorKind;
    matches!(
        err.kind(),
        ConnectErrorKind::Io | ConnectErrorKind::TimedOut | ConnectErrorKind::Dns
    )
}
