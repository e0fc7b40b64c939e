//! TLS settings reach the server: against a real nats-server that requires
//! TLS (and, with `--tlsverify`, client certificates), a client configured
//! through `NATS_TLS_*` variables connects and publishes, while a client that
//! does not trust the CA, or lacks the client certificate the server demands,
//! gets a prompt `Connect` error that names the server. The certificates are
//! made for each test by the `openssl` command in a temporary directory.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use polyn::{Client, Config, Error};
use polyn_tests::NatsServer;
use polyn_tests::secured::{self, publishes, set_up};
use tempfile::TempDir;

/// How long a refused connection may take; a longer wait is a hang.
const REFUSAL_DEADLINE: Duration = Duration::from_secs(20);

/// A test CA with a server certificate (for `localhost` and `127.0.0.1`)
/// and a client certificate, all X.509 v3, in a temporary directory.
struct Certs {
    dir: TempDir,
}

impl Certs {
    fn generate() -> Certs {
        let dir = tempfile::tempdir().expect("temp dir");
        let new_key = "-nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1";
        openssl(
            dir.path(),
            &format!(
                "req -x509 {new_key} -keyout ca.key -out ca.pem -days 2 -subj /CN=polyn-test-ca \
                 -addext basicConstraints=critical,CA:TRUE \
                 -addext keyUsage=critical,keyCertSign,cRLSign"
            ),
        );
        for (name, usage) in [
            (
                "server",
                "serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1",
            ),
            ("client", "clientAuth"),
        ] {
            let extensions = format!(
                "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n\
                 extendedKeyUsage={usage}\n"
            );
            std::fs::write(dir.path().join(format!("{name}.ext")), extensions)
                .expect("write the extensions");
            openssl(
                dir.path(),
                &format!("req {new_key} -keyout {name}.key -out {name}.csr -subj /CN={name}"),
            );
            openssl(
                dir.path(),
                &format!(
                    "x509 -req -in {name}.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
                     -days 2 -extfile {name}.ext -out {name}.pem"
                ),
            );
        }
        Certs { dir }
    }

    /// The path of a generated file, e.g. `ca.pem`.
    fn path(&self, file: &str) -> String {
        let path = self.dir.path().join(file);
        path.to_str().expect("UTF-8 path").to_owned()
    }

    /// A nats-server that requires TLS with the server certificate, plus `extra` arguments.
    fn start_server(&self, extra: &[&str]) -> NatsServer {
        let (cert, key) = (self.path("server.pem"), self.path("server.key"));
        let mut args = vec!["--tls", "--tlscert", &cert, "--tlskey", &key];
        args.extend(extra);
        NatsServer::start_with_args(&args)
    }

    /// Admin connect options trusting the CA (and presenting the client certificate).
    fn admin(&self, client_cert: bool) -> async_nats::ConnectOptions {
        let options = async_nats::ConnectOptions::new()
            .add_root_certificates(self.path("ca.pem").into())
            .require_tls(true);
        if client_cert {
            let (cert, key) = (self.path("client.pem"), self.path("client.key"));
            return options.add_client_certificate(cert.into(), key.into());
        }
        options
    }
}

/// Runs `openssl` with these (whitespace-separated) arguments in `dir`;
/// panics with the command and its stderr if it fails.
fn openssl(dir: &Path, args: &str) {
    let output = Command::new("openssl")
        .args(args.split_whitespace())
        .current_dir(dir)
        .output()
        .unwrap_or_else(|err| panic!("cannot run `openssl {args}`: {err}"));
    assert!(
        output.status.success(),
        "`openssl {args}` failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A configuration read from these variables (plus the domain and root).
fn config(server: &NatsServer, vars: &[(&str, String)]) -> Config {
    secured::config(server, "tls.test", vars)
}

/// Connecting with this configuration fails promptly with a `Connect` error
/// that names the server and mentions `expected` (any case); returns its text.
async fn refused(server: &NatsServer, config: Config, expected: &str) -> String {
    let result = tokio::time::timeout(REFUSAL_DEADLINE, Client::connect(config))
        .await
        .expect("a refused connection must fail, not hang");
    let err = result.expect_err("the connection must be refused");
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
    let shown = format!("{err} | {err:?}");
    assert!(shown.contains(&server.url()), "{shown}");
    assert!(shown.to_lowercase().contains(expected), "{shown}");
    shown
}

#[tokio::test]
async fn connects_to_a_server_that_requires_tls() {
    let certs = Certs::generate();
    let server = certs.start_server(&[]);
    set_up(&server, certs.admin(false)).await;

    let vars = [
        ("NATS_TLS_CA", certs.path("ca.pem")),
        ("NATS_TLS_REQUIRED", "true".to_owned()),
    ];
    let client = Client::connect(config(&server, &vars))
        .await
        .expect("connect over TLS");
    publishes(&client).await;
}

#[tokio::test]
async fn mutual_tls_needs_the_client_certificate() {
    let certs = Certs::generate();
    let server = certs.start_server(&["--tlsverify", "--tlscacert", &certs.path("ca.pem")]);
    set_up(&server, certs.admin(true)).await;

    let trust = [
        ("NATS_TLS_CA", certs.path("ca.pem")),
        ("NATS_TLS_REQUIRED", "true".to_owned()),
    ];
    let mut with_cert = trust.to_vec();
    with_cert.push(("NATS_TLS_CERT", certs.path("client.pem")));
    with_cert.push(("NATS_TLS_KEY", certs.path("client.key")));
    let client = Client::connect(config(&server, &with_cert))
        .await
        .expect("connect with mutual TLS");
    publishes(&client).await;

    // TLS 1.3: the server's refusal arrives as an alert after the client's handshake.
    let shown = refused(&server, config(&server, &trust), "certificaterequired").await;
    let key = std::fs::read_to_string(certs.path("client.key")).expect("client key");
    let key_line = key.lines().nth(1).expect("a PEM body line");
    assert!(!shown.contains(key_line), "the client key leaked: {shown}");
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_ca_is_refused() {
    let certs = Certs::generate();
    let server = certs.start_server(&[]);
    // The server asks for TLS, so the client uses it even without NATS_TLS_REQUIRED,
    // and rejects a certificate signed by a CA it does not know.
    refused(&server, config(&server, &[]), "unknownissuer").await;
    let required = [("NATS_TLS_REQUIRED", "true".to_owned())];
    refused(&server, config(&server, &required), "unknownissuer").await;
}

#[tokio::test]
async fn requiring_tls_refuses_a_plaintext_server() {
    let server = NatsServer::start();
    set_up(&server, async_nats::ConnectOptions::new()).await;
    let client = Client::connect(config(&server, &[]))
        .await
        .expect("plaintext connect");
    publishes(&client).await;

    // The server does not speak TLS, so the client's handshake gets a plain `-ERR` back.
    let required = [("NATS_TLS_REQUIRED", "true".to_owned())];
    refused(&server, config(&server, &required), "corrupt message").await;

    // Trusting a CA means TLS is wanted: no quiet fall back to plaintext.
    let certs = Certs::generate();
    let trusting = [("NATS_TLS_CA", certs.path("ca.pem"))];
    refused(&server, config(&server, &trusting), "corrupt message").await;
}
