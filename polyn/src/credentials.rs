//! How a client proves who it is to NATS, and how it secures the connection.
//! Secrets never appear in `Debug` output, logs or errors.

use std::fmt;
use std::path::PathBuf;

/// A secret string (password, token, NKey seed). Its `Debug` and `Display`
/// print `***`; read it with [`Secret::expose`].
///
/// ```
/// let token = polyn::config::Secret::new("s3cr3t");
/// assert_eq!(format!("{token:?}"), "Secret(***)");
/// assert_eq!(token.expose(), "s3cr3t");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Secret(secret.into())
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How the client authenticates. Passed through to `async-nats`.
///
/// ```
/// let auth = polyn::config::Auth::UserPassword { user: "app".into(), password: polyn::config::Secret::new("pw") };
/// assert!(!format!("{auth:?}").contains("pw\""));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Auth {
    /// No credentials.
    #[default]
    None,
    /// User name and password.
    UserPassword {
        /// The user.
        user: String,
        /// The password.
        password: Secret,
    },
    /// A token.
    Token(Secret),
    /// An NKey seed (`SU…`).
    NKey(Secret),
    /// A `.creds` file (JWT and NKey seed), as issued by `nsc`.
    CredentialsFile(PathBuf),
}

/// TLS settings. Passed through to `async-nats`.
///
/// ```
/// let tls = polyn::config::Tls::default().require().ca_file("ca.pem");
/// assert!(tls.required);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tls {
    /// Require TLS even if the server does not ask for it. A CA file or a
    /// client certificate requires it too.
    pub required: bool,
    /// PEM file of root certificates to trust (instead of the system's).
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate and its key, for mutual TLS.
    pub client_cert: Option<(PathBuf, PathBuf)>,
}

impl Tls {
    /// Requires TLS.
    #[must_use]
    pub fn require(mut self) -> Self {
        self.required = true;
        self
    }

    /// Trusts the root certificates in a PEM file.
    #[must_use]
    pub fn ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }

    /// Presents a client certificate and key (PEM files), for mutual TLS.
    #[must_use]
    pub fn client_cert(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.client_cert = Some((cert.into(), key.into()));
        self
    }
}
