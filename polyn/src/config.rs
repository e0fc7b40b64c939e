//! [`Config`]: who this service is (domain, source root) and where NATS is.

pub use crate::credentials::{Auth, Secret, Tls};
pub use crate::drift::DriftPolicy;

use std::path::PathBuf;
use std::time::Duration;

use crate::error::Error;
use crate::event::Event;
use crate::naming;
use crate::protocol_text;

/// The default schema store bucket.
const DEFAULT_SCHEMA_BUCKET: &str = "POLYN_SCHEMAS";

/// How long a publish keeps trying while its stream has no leader.
const DEFAULT_PUBLISH_RETRY: Duration = Duration::from_secs(15);

/// A validated Polyn configuration.
///
/// `domain` (reverse DNS, e.g. `com.acme`) prefixes every event `type`;
/// `source_root` (e.g. `user.backend`) names this service in every event
/// `source` and every consumer name. Both must follow the source-name rule
/// and are checked when the configuration is built, so a bad value is an
/// error at start-up rather than a failure later.
///
/// ```
/// let config = polyn::Config::builder()
///     .domain("com.test")
///     .source_root("user.backend")
///     .server("nats://127.0.0.1:4222")
///     .build()?;
/// assert_eq!(config.full_source(Some("orders"))?, "com:test:user:backend:orders");
///
/// let err = polyn::Config::builder().domain("com.my_app").source_root("svc").build().unwrap_err();
/// assert!(err.to_string().contains("You must configure the `domain` for Polyn"));
/// # Ok::<(), polyn::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    domain: String,
    source_root: String,
    servers: Vec<String>,
    schema_bucket: String,
    auth: Auth,
    tls: Tls,
    name: Option<String>,
    schema_drift: DriftPolicy,
    connect_retry: Duration,
    publish_retry: Duration,
}

/// Builds a [`Config`]; see [`Config::builder`].
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ConfigBuilder {
    domain: Option<String>,
    source_root: Option<String>,
    servers: Vec<String>,
    schema_bucket: Option<String>,
    auth: Auth,
    tls: Tls,
    name: Option<String>,
    schema_drift: DriftPolicy,
    connect_retry: Duration,
    publish_retry: Option<Duration>,
}

impl ConfigBuilder {
    /// The reverse-DNS domain of the organisation, e.g. `com.acme`.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// The name of this service, e.g. `user.backend`.
    pub fn source_root(mut self, source_root: impl Into<String>) -> Self {
        self.source_root = Some(source_root.into());
        self
    }

    /// Adds a NATS server URL (call again for a cluster). Defaults to none,
    /// meaning `nats://127.0.0.1:4222` when a client connects.
    ///
    /// Credentials in a URL (`nats://user:password@host`, `nats://token@host`,
    /// percent-escaped) are taken out of it when the configuration is built
    /// and used to authenticate; the URL kept, logged and shown in errors
    /// has none. Give them in one place only: in the URLs or through
    /// [`auth`](ConfigBuilder::auth).
    ///
    /// ```
    /// let config = polyn::Config::builder()
    ///     .domain("com.test")
    ///     .source_root("svc")
    ///     .server("nats://app:s3cret@nats.internal:4222")
    ///     .build()?;
    /// assert_eq!(config.servers(), ["nats://nats.internal:4222"]);
    /// assert!(matches!(config.auth(), polyn::config::Auth::UserPassword { user, .. } if user == "app"));
    /// # Ok::<(), polyn::Error>(())
    /// ```
    pub fn server(mut self, url: impl Into<String>) -> Self {
        self.servers.push(url.into());
        self
    }

    /// The KV bucket of the schema store (default `POLYN_SCHEMAS`).
    pub fn schema_bucket(mut self, bucket: impl Into<String>) -> Self {
        self.schema_bucket = Some(bucket.into());
        self
    }

    /// How to authenticate (default: no credentials).
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// TLS settings (default: TLS when the server asks for it).
    pub fn tls(mut self, tls: Tls) -> Self {
        self.tls = tls;
        self
    }

    /// The connection name shown by the server's monitoring (default: the source root).
    pub fn connection_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// What to do when the schema store's schema for a type this service
    /// uses differs from the one the type was generated from (default:
    /// [`DriftPolicy::Warn`]).
    pub fn schema_drift(mut self, policy: DriftPolicy) -> Self {
        self.schema_drift = policy;
        self
    }

    /// How long [`Client::connect`](crate::Client::connect) keeps trying
    /// while no server answers (a server that is still starting, as in a
    /// container started alongside it), waiting 100 ms, then twice as long
    /// each time up to 2 s, between attempts. A server that refuses the
    /// credentials or the TLS settings fails at once. Default: zero, one
    /// attempt.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let config = polyn::Config::builder()
    ///     .domain("com.test")
    ///     .source_root("svc")
    ///     .connect_retry(Duration::from_secs(30))
    ///     .build()?;
    /// assert_eq!(config.connect_retry(), Duration::from_secs(30));
    /// # Ok::<(), polyn::Error>(())
    /// ```
    pub fn connect_retry(mut self, retry: Duration) -> Self {
        self.connect_retry = retry;
        self
    }

    /// How long a JetStream publish keeps sending an event again while its
    /// stream has no leader (an R3 stream electing a new one after a
    /// server went away) or no acknowledgement comes, every attempt with
    /// the same `Nats-Msg-Id` so the event is stored once. Past it the
    /// publish fails with [`Error::StreamUnavailable`]; a stream that does
    /// not exist fails at once with [`Error::StreamNotFound`]. Default: 15 s.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let config = polyn::Config::builder()
    ///     .domain("com.test")
    ///     .source_root("svc")
    ///     .publish_retry(Duration::from_secs(5))
    ///     .build()?;
    /// assert_eq!(config.publish_retry(), Duration::from_secs(5));
    /// # Ok::<(), polyn::Error>(())
    /// ```
    pub fn publish_retry(mut self, retry: Duration) -> Self {
        self.publish_retry = Some(retry);
        self
    }

    /// Checks every value and builds the configuration.
    pub fn build(self) -> Result<Config, Error> {
        let domain = check_setting(
            "domain",
            "POLYN_DOMAIN",
            self.domain,
            "It must be lowercase, alphanumeric and dot/colon separated",
        )?;
        let source_root = check_setting(
            "source_root",
            "POLYN_SOURCE_ROOT",
            self.source_root,
            protocol_text::SOURCE_NAME_RULE,
        )?;
        let schema_bucket = self
            .schema_bucket
            .unwrap_or_else(|| DEFAULT_SCHEMA_BUCKET.to_owned());
        let bucket_ok = !schema_bucket.is_empty()
            && schema_bucket
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !bucket_ok {
            return Err(Error::InvalidConfig {
                message: format!(
                    "the schema bucket name {schema_bucket:?} is not a valid KV bucket name; \
                     use letters, digits, `_` and `-` (the default is `{DEFAULT_SCHEMA_BUCKET}`)"
                ),
            });
        }
        for server in &self.servers {
            if server.trim().is_empty() || server.contains(char::is_whitespace) {
                return Err(Error::InvalidConfig {
                    message: format!(
                        "the NATS server URL {server:?} is empty or contains whitespace; \
                         give URLs like `nats://host:4222`, comma-separated in NATS_URL"
                    ),
                });
            }
        }
        let (servers, auth) = crate::server_url::split_credentials(&self.servers, self.auth)?;
        Ok(Config {
            domain,
            source_root,
            servers,
            schema_bucket,
            auth,
            tls: self.tls,
            name: self.name,
            schema_drift: self.schema_drift,
            connect_retry: self.connect_retry,
            publish_retry: self.publish_retry.unwrap_or(DEFAULT_PUBLISH_RETRY),
        })
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("domain", &self.domain)
            .field("source_root", &self.source_root)
            .field(
                "servers",
                &self
                    .servers
                    .iter()
                    .map(|s| redact_url(s))
                    .collect::<Vec<_>>(),
            )
            .field("schema_bucket", &self.schema_bucket)
            .field("auth", &self.auth)
            .field("tls", &self.tls)
            .field("name", &self.name)
            .field("connect_retry", &self.connect_retry)
            .field("publish_retry", &self.publish_retry)
            .finish()
    }
}

/// A server URL with any `user:password@` replaced by `***@`, for logs and errors.
///
/// ```
/// assert_eq!(polyn::config::redact_url("nats://app:pw@host:4222"), "nats://***@host:4222");
/// assert_eq!(polyn::config::redact_url("nats://host:4222"), "nats://host:4222");
/// ```
pub fn redact_url(url: &str) -> String {
    match crate::server_url::Credentialed::parse(url) {
        Some(mut credentialed) => credentialed.without_userinfo(Some("***")),
        None => url.to_owned(),
    }
}

/// A duration given in (possibly fractional) seconds, like `30` or `2.5`.
fn seconds_setting(variable: &str, value: &str, purpose: &str) -> Result<Duration, Error> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .ok_or_else(|| Error::InvalidConfig {
            message: format!(
                "{variable} is {value:?}; set it to the seconds to keep trying {purpose}, such \
                 as `30` (0: try once)"
            ),
        })
}

fn check_setting(
    setting: &str,
    variable: &str,
    value: Option<String>,
    rule: &str,
) -> Result<String, Error> {
    match value {
        Some(value) if naming::is_source_name(&value) => Ok(value),
        other => Err(Error::InvalidConfig {
            message: format!(
                "You must configure the `{setting}` for Polyn. {rule}, got {}; set it with \
                 `Config::builder().{setting}(..)` or the {variable} environment variable",
                match &other {
                    Some(value) => format!("{value:?}"),
                    None => "nothing".to_owned(),
                }
            ),
        }),
    }
}

impl Config {
    /// Starts a [`ConfigBuilder`].
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// Reads the configuration from the environment:
    ///
    /// | variable | meaning | default |
    /// |---|---|---|
    /// | `POLYN_DOMAIN` | domain, e.g. `com.acme` | required |
    /// | `POLYN_SOURCE_ROOT` | source root, e.g. `user.backend` | required |
    /// | `NATS_URL` | comma-separated server URLs | `nats://127.0.0.1:4222` |
    /// | `POLYN_SCHEMA_BUCKET` | schema store bucket | `POLYN_SCHEMAS` |
    /// | `POLYN_SCHEMA_DRIFT` | `warn`, `refuse-start` or `refuse-publish` (see [`DriftPolicy`]) | `warn` |
    /// | `POLYN_CONNECT_RETRY` | seconds to keep trying while no server answers (see [`ConfigBuilder::connect_retry`]) | `0` |
    /// | `POLYN_PUBLISH_RETRY` | seconds a publish keeps trying while its stream has no leader (see [`ConfigBuilder::publish_retry`]) | `15` |
    /// | `NATS_USER`, `NATS_PASSWORD` | user and password | none |
    /// | `NATS_TOKEN` | token | none |
    /// | `NATS_NKEY_SEED` | NKey seed | none |
    /// | `NATS_CREDS` | path of a `.creds` file | none |
    /// | `NATS_TLS_REQUIRED` | `true` or `false`: require TLS | `false` |
    /// | `NATS_TLS_CA` | PEM file of trusted roots (instead of the system's) | none |
    /// | `NATS_TLS_CERT`, `NATS_TLS_KEY` | client certificate and key | none |
    ///
    /// At most one way to authenticate may be set. Setting `NATS_TLS_CA` or
    /// a client certificate requires TLS, as `NATS_TLS_REQUIRED` does.
    ///
    /// ```no_run
    /// let config = polyn::Config::from_env()?;
    /// # Ok::<(), polyn::Error>(())
    /// ```
    pub fn from_env() -> Result<Config, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`Config::from_env`], reading variables through `lookup`.
    ///
    /// ```
    /// let vars = [("POLYN_DOMAIN", "com.test"), ("POLYN_SOURCE_ROOT", "user.backend"),
    ///             ("NATS_URL", "nats://a:4222, nats://b:4222")];
    /// let config = polyn::Config::from_lookup(|name| {
    ///     vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    /// })?;
    /// assert_eq!(config.servers(), ["nats://a:4222", "nats://b:4222"]);
    /// # Ok::<(), polyn::Error>(())
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
        let mut builder = Config::builder();
        builder.domain = lookup("POLYN_DOMAIN");
        builder.source_root = lookup("POLYN_SOURCE_ROOT");
        builder.schema_bucket = lookup("POLYN_SCHEMA_BUCKET");
        if let Some(policy) = lookup("POLYN_SCHEMA_DRIFT") {
            builder.schema_drift =
                policy
                    .trim()
                    .parse()
                    .map_err(|message: String| Error::InvalidConfig {
                        message: format!("POLYN_SCHEMA_DRIFT: {message}"),
                    })?;
        }
        if let Some(seconds) = lookup("POLYN_CONNECT_RETRY") {
            builder.connect_retry =
                seconds_setting("POLYN_CONNECT_RETRY", &seconds, "to reach a server")?;
        }
        if let Some(seconds) = lookup("POLYN_PUBLISH_RETRY") {
            builder.publish_retry = Some(seconds_setting(
                "POLYN_PUBLISH_RETRY",
                &seconds,
                "to store a publish while its stream has no leader",
            )?);
        }
        let mut auths = Vec::new();
        match (lookup("NATS_USER"), lookup("NATS_PASSWORD")) {
            (Some(user), Some(password)) => auths.push(Auth::UserPassword {
                user,
                password: Secret::new(password),
            }),
            (None, None) => {}
            _ => {
                return Err(Error::InvalidConfig {
                    message: "NATS_USER and NATS_PASSWORD must be set together".to_owned(),
                });
            }
        }
        if let Some(token) = lookup("NATS_TOKEN") {
            auths.push(Auth::Token(Secret::new(token)));
        }
        if let Some(seed) = lookup("NATS_NKEY_SEED") {
            auths.push(Auth::NKey(Secret::new(seed)));
        }
        if let Some(path) = lookup("NATS_CREDS") {
            auths.push(Auth::CredentialsFile(PathBuf::from(path)));
        }
        if auths.len() > 1 {
            return Err(Error::InvalidConfig {
                message: "more than one of NATS_USER/NATS_PASSWORD, NATS_TOKEN, NATS_NKEY_SEED \
                          and NATS_CREDS is set; choose one way to authenticate"
                    .to_owned(),
            });
        }
        builder.auth = auths.pop().unwrap_or_default();
        builder.tls.required = match lookup("NATS_TLS_REQUIRED") {
            None => false,
            Some(value) => match value.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => true,
                "" | "0" | "false" | "no" | "off" => false,
                _ => {
                    return Err(Error::InvalidConfig {
                        message: format!("NATS_TLS_REQUIRED is {value:?}; set it to true or false"),
                    });
                }
            },
        };
        builder.tls.ca_file = lookup("NATS_TLS_CA").map(PathBuf::from);
        builder.tls.client_cert = match (lookup("NATS_TLS_CERT"), lookup("NATS_TLS_KEY")) {
            (Some(cert), Some(key)) => Some((cert.into(), key.into())),
            (None, None) => None,
            _ => {
                return Err(Error::InvalidConfig {
                    message: "NATS_TLS_CERT and NATS_TLS_KEY must be set together".to_owned(),
                });
            }
        };
        if let Some(urls) = lookup("NATS_URL") {
            builder.servers = urls
                .split(',')
                .map(str::trim)
                .filter(|url| !url.is_empty())
                .map(str::to_owned)
                .collect();
        }
        builder.build()
    }

    /// The domain, e.g. `com.test`.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The source root, e.g. `user.backend`.
    pub fn source_root(&self) -> &str {
        &self.source_root
    }

    /// The NATS server URLs (empty: the local default).
    pub fn servers(&self) -> &[String] {
        &self.servers
    }

    /// The schema store bucket.
    pub fn schema_bucket(&self) -> &str {
        &self.schema_bucket
    }

    /// What the client does about schema drift.
    pub fn schema_drift(&self) -> DriftPolicy {
        self.schema_drift
    }

    /// How long connecting keeps trying while no server answers; see
    /// [`ConfigBuilder::connect_retry`].
    pub fn connect_retry(&self) -> Duration {
        self.connect_retry
    }

    /// How long a publish keeps trying while its stream has no leader; see
    /// [`ConfigBuilder::publish_retry`].
    pub fn publish_retry(&self) -> Duration {
        self.publish_retry
    }

    /// How the client authenticates.
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// TLS settings.
    pub fn tls(&self) -> &Tls {
        &self.tls
    }

    /// The connection name given to the server.
    pub fn connection_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.source_root)
    }

    /// The full CloudEvent `type` of a message; see [`naming::full_type`].
    pub fn full_type(&self, name: &str) -> Result<String, Error> {
        naming::full_type(&self.domain, name)
    }

    /// The full CloudEvent `source`; see [`naming::full_source`].
    pub fn full_source(&self, source: Option<&str>) -> Result<String, Error> {
        naming::full_source(&self.domain, &self.source_root, source)
    }

    /// The conventional durable consumer name; see [`naming::consumer_name`].
    ///
    /// ```
    /// let config = polyn::Config::builder().domain("com.test").source_root("user.backend").build()?;
    /// assert_eq!(config.consumer_name("foo.bar.v1", None)?, "user_backend_foo_bar_v1");
    /// # Ok::<(), polyn::Error>(())
    /// ```
    pub fn consumer_name(&self, name: &str, source: Option<&str>) -> Result<String, Error> {
        naming::consumer_name(&self.domain, &self.source_root, name, source)
    }

    /// The domain-less message name of a `type`; see [`naming::trim_domain_prefix`].
    pub fn message_name<'a>(&self, event_type: &'a str) -> &'a str {
        naming::trim_domain_prefix(&self.domain, event_type)
    }

    /// A new event for the message `name` from this service, with Polyn's
    /// send defaults (see [`Event::new`]).
    ///
    /// ```
    /// let config = polyn::Config::builder().domain("com.test").source_root("user.backend").build()?;
    /// let event = config.event("user.created.v1", serde_json::json!({"name": "Mary"}))?;
    /// assert_eq!(event.event_type(), "com.test.user.created.v1");
    /// # Ok::<(), polyn::Error>(())
    /// ```
    pub fn event<T>(&self, name: &str, data: T) -> Result<Event<T>, Error> {
        self.event_from(name, None, data)
    }

    /// Like [`Config::event`], with a `source` appended to the source root.
    ///
    /// ```
    /// let config = polyn::Config::builder().domain("com.test").source_root("user.backend").build()?;
    /// let event = config.event_from("user.created.v1", Some("orders"), ())?;
    /// assert_eq!(event.source(), "com:test:user:backend:orders");
    /// # Ok::<(), polyn::Error>(())
    /// ```
    pub fn event_from<T>(
        &self,
        name: &str,
        source: Option<&str>,
        data: T,
    ) -> Result<Event<T>, Error> {
        Ok(Event::new(
            self.full_type(name)?,
            self.full_source(source)?,
            data,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn from_lookup_reads_every_variable() {
        let config = Config::from_lookup(lookup(&[
            ("POLYN_DOMAIN", "com.test"),
            ("POLYN_SOURCE_ROOT", "user.backend"),
            ("NATS_URL", "nats://a:1,nats://b:2"),
            ("POLYN_SCHEMA_BUCKET", "POLYN_TEST_STORE"),
        ]))
        .unwrap();
        assert_eq!(config.domain(), "com.test");
        assert_eq!(config.source_root(), "user.backend");
        assert_eq!(config.servers(), ["nats://a:1", "nats://b:2"]);
        assert_eq!(config.schema_bucket(), "POLYN_TEST_STORE");
    }

    #[test]
    fn missing_and_bad_values_are_clear_errors() {
        let err = Config::from_lookup(lookup(&[("POLYN_SOURCE_ROOT", "svc")])).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("You must configure the `domain` for Polyn"),
            "{text}"
        );
        assert!(text.contains("got nothing"), "{text}");
        assert!(text.contains("POLYN_DOMAIN"), "{text}");

        let err = Config::builder()
            .domain("com.test")
            .source_root("User Backend")
            .build()
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("You must configure the `source_root` for Polyn. Event source must be lowercase, alphanumeric and dot/colon separated, got \"User Backend\""),
            "{text}"
        );

        let base = [("POLYN_DOMAIN", "com.test"), ("POLYN_SOURCE_ROOT", "svc")];
        for (value, required) in [("TRUE", true), ("on", true), ("false", false), ("0", false)] {
            let vars = [base[0], base[1], ("NATS_TLS_REQUIRED", value)];
            let config = Config::from_lookup(lookup(&vars)).expect(value);
            assert_eq!(config.tls().required, required, "{value}");
        }
        let vars = [base[0], base[1], ("NATS_TLS_REQUIRED", "ture")];
        let text = Config::from_lookup(lookup(&vars)).unwrap_err().to_string();
        assert!(text.contains("NATS_TLS_REQUIRED is \"ture\""), "{text}");

        let err = Config::builder()
            .domain("com.test")
            .source_root("svc")
            .schema_bucket("BAD.BUCKET")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("BAD.BUCKET"));

        let err = Config::builder()
            .domain("com.test")
            .source_root("svc")
            .server("nats://a b")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("nats://a b"));
    }

    #[test]
    fn credentials_come_from_the_environment_and_stay_hidden() {
        let config = Config::from_lookup(lookup(&[
            ("POLYN_DOMAIN", "com.test"),
            ("POLYN_SOURCE_ROOT", "svc"),
            ("NATS_USER", "app"),
            ("NATS_PASSWORD", "hunter2"),
            ("NATS_TLS_CA", "/etc/ca.pem"),
        ]))
        .unwrap();
        assert!(matches!(config.auth(), Auth::UserPassword { user, .. } if user == "app"));
        assert_eq!(
            config.tls().ca_file.as_deref(),
            Some(std::path::Path::new("/etc/ca.pem"))
        );
        assert!(!format!("{config:?}").contains("hunter2"));
        let with_url = Config::builder()
            .domain("com.test")
            .source_root("svc")
            .server("nats://app:hunter2@localhost:4222")
            .build()
            .unwrap();
        assert!(!format!("{with_url:?}").contains("hunter2"));

        let err = Config::from_lookup(lookup(&[
            ("POLYN_DOMAIN", "com.test"),
            ("POLYN_SOURCE_ROOT", "svc"),
            ("NATS_TOKEN", "t0k3n"),
            ("NATS_CREDS", "/x.creds"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("choose one way"), "{err}");
        assert!(!err.to_string().contains("t0k3n"));
        assert!(
            Config::from_lookup(lookup(&[
                ("POLYN_DOMAIN", "com.test"),
                ("POLYN_SOURCE_ROOT", "svc"),
                ("NATS_PASSWORD", "x"),
            ]))
            .is_err()
        );
    }

    #[test]
    fn events_get_type_and_source() {
        let config = Config::builder()
            .domain("com.test")
            .source_root("user.backend")
            .build()
            .unwrap();
        let event = config
            .event_from("user.created.v1", Some("orders.new"), 1)
            .unwrap();
        assert_eq!(event.event_type(), "com.test.user.created.v1");
        assert_eq!(event.source(), "com:test:user:backend:orders:new");
        assert!(config.event("Bad Name", 1).is_err());
        assert!(config.event_from("a.v1", Some("bad source"), 1).is_err());
    }
}
