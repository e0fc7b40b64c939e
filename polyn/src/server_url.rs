//! Server URLs and the credentials they may carry: `nats://user:pass@host`
//! and `nats://token@host` are taken out of the URL when the configuration
//! is built and used to authenticate, so the URL the client connects to,
//! logs and shows in errors never holds a secret.

use percent_encoding::percent_decode_str;

use crate::credentials::Auth;
use crate::credentials::Secret;
use crate::error::Error;

/// A server URL split into the URL without credentials and the
/// credentials it carried.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ServerUrl {
    /// The URL with no `user:password@` or `token@`.
    pub(crate) url: String,
    /// What the URL carried: user and password, a token, or nothing.
    pub(crate) auth: Auth,
}

impl ServerUrl {
    /// Splits `server` (`nats://user:pass@host:4222`, `tls://token@host`,
    /// `host:4222`, …). Percent-escapes in the user, password and token
    /// are decoded, as URLs require for `@`, `:` and `/` in them.
    pub(crate) fn parse(server: &str) -> Result<ServerUrl, Error> {
        let Some(mut parsed) = Credentialed::parse(server) else {
            return Ok(ServerUrl {
                url: server.to_owned(),
                auth: Auth::None,
            });
        };
        let decode = |part: &str, what: &str| {
            percent_decode_str(part)
                .decode_utf8()
                .map(|text| text.into_owned())
                .map_err(|_| Error::InvalidConfig {
                    message: format!(
                        "the {what} in the NATS server URL {} is not UTF-8 once its percent-escapes \
                         are decoded; escape it as UTF-8 (`%40` for `@`)",
                        crate::config::redact_url(server)
                    ),
                })
        };
        let auth = match parsed.url.password() {
            Some(password) => Auth::UserPassword {
                user: decode(parsed.url.username(), "user")?,
                password: Secret::new(decode(password, "password")?),
            },
            None => Auth::Token(Secret::new(decode(parsed.url.username(), "token")?)),
        };
        Ok(ServerUrl {
            url: parsed.without_userinfo(None),
            auth,
        })
    }
}

/// A server URL that carries a user (or token) and maybe a password,
/// parsed by the `url` crate.
pub(crate) struct Credentialed {
    url: url::Url,
    /// Whether the server was given without a scheme (`user:pw@host:4222`):
    /// NATS takes that as `nats://`, and so is it given back.
    schemeless: bool,
}

impl Credentialed {
    /// `None` when the URL carries no credentials (or is no URL at all:
    /// the NATS client reports that when it connects).
    pub(crate) fn parse(server: &str) -> Option<Credentialed> {
        let schemeless = !server.contains("://");
        let url = if schemeless {
            url::Url::parse(&format!("nats://{server}"))
        } else {
            url::Url::parse(server)
        }
        .ok()?;
        (!url.username().is_empty() || url.password().is_some())
            .then_some(Credentialed { url, schemeless })
    }

    /// The URL with its userinfo replaced by `userinfo@` (or taken out).
    pub(crate) fn without_userinfo(&mut self, userinfo: Option<&str>) -> String {
        // Setting the userinfo fails only for URLs that cannot have one,
        // and this one has.
        let _ = self.url.set_password(None);
        let _ = self.url.set_username(userinfo.unwrap_or(""));
        let text = self.url.as_str();
        match text.strip_prefix("nats://") {
            Some(rest) if self.schemeless => rest.to_owned(),
            _ => text.to_owned(),
        }
    }
}

/// Takes the credentials out of every server URL: the URLs without them,
/// and the one [`Auth`] to use, which is `configured` unless the URLs
/// carry credentials. Credentials in the URLs and configured ones, or
/// different credentials in two URLs, are an error: which to use would be
/// a guess.
pub(crate) fn split_credentials(
    servers: &[String],
    configured: Auth,
) -> Result<(Vec<String>, Auth), Error> {
    let mut urls = Vec::with_capacity(servers.len());
    let mut from_urls: Option<(Auth, &str)> = None;
    for server in servers {
        let parsed = ServerUrl::parse(server)?;
        urls.push(parsed.url);
        if parsed.auth == Auth::None {
            continue;
        }
        match &from_urls {
            None => from_urls = Some((parsed.auth, server)),
            Some((auth, first)) if *auth != parsed.auth => {
                return Err(Error::InvalidConfig {
                    message: format!(
                        "the NATS server URLs {} and {} carry different credentials; a client \
                         authenticates one way with every server, so give them once (NATS_USER \
                         and NATS_PASSWORD, NATS_TOKEN, or the same in every URL)",
                        crate::config::redact_url(first),
                        crate::config::redact_url(server)
                    ),
                });
            }
            Some(_) => {}
        }
    }
    let auth = match from_urls {
        None => configured,
        Some((auth, _)) if configured == Auth::None => auth,
        Some((_, server)) => {
            return Err(Error::InvalidConfig {
                message: format!(
                    "the NATS server URL {} carries credentials and others are configured too \
                     (NATS_USER/NATS_PASSWORD, NATS_TOKEN, NATS_NKEY_SEED, NATS_CREDS or \
                     `ConfigBuilder::auth`); choose one way to authenticate",
                    crate::config::redact_url(server)
                ),
            });
        }
    };
    Ok((urls, auth))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(server: &str) -> ServerUrl {
        ServerUrl::parse(server).unwrap()
    }

    #[test]
    fn urls_without_credentials_stay_as_they_are() {
        for url in [
            "nats://host:4222",
            "host:4222",
            "tls://h/path@x",
            "nats://[::1]:4222",
            "nats://@host",
            "not a url",
        ] {
            assert_eq!(parse(url).url, url);
            assert_eq!(parse(url).auth, Auth::None);
        }
    }

    #[test]
    fn user_and_password_are_taken_out() {
        let parsed = parse("nats://app:p%40ss:word@host:4222");
        assert_eq!(parsed.url, "nats://host:4222");
        assert_eq!(
            parsed.auth,
            Auth::UserPassword {
                user: "app".into(),
                password: Secret::new("p@ss:word"),
            }
        );
        assert_eq!(parse("app:pw@host").url, "host");
    }

    #[test]
    fn a_lone_userinfo_is_a_token() {
        let parsed = parse("tls://s3cr%2Ft@host:4443");
        assert_eq!(parsed.url, "tls://host:4443");
        assert_eq!(parsed.auth, Auth::Token(Secret::new("s3cr/t")));
        assert_eq!(parse("nats://@host").auth, Auth::None);
    }

    #[test]
    fn bad_escapes_are_errors_without_the_secret() {
        let err = ServerUrl::parse("nats://app:%ff%fe@host").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("password") && text.contains("nats://***@host"),
            "{text}"
        );
    }

    #[test]
    fn one_way_to_authenticate() {
        let servers = [
            "nats://a:pw@h1".to_owned(),
            "nats://h2".to_owned(),
            "nats://a:pw@h3".to_owned(),
        ];
        let (urls, auth) = split_credentials(&servers, Auth::None).unwrap();
        assert_eq!(urls, ["nats://h1", "nats://h2", "nats://h3"]);
        assert!(matches!(auth, Auth::UserPassword { .. }));

        let other = ["nats://a:pw@h1".to_owned(), "nats://b:pw@h2".to_owned()];
        let err = split_credentials(&other, Auth::None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("different credentials") && !err.contains("pw"),
            "{err}"
        );

        let err = split_credentials(&servers, Auth::Token(Secret::new("t")))
            .unwrap_err()
            .to_string();
        assert!(err.contains("choose one way"), "{err}");

        let plain = ["nats://h1".to_owned()];
        let (_, auth) = split_credentials(&plain, Auth::Token(Secret::new("t"))).unwrap();
        assert_eq!(auth, Auth::Token(Secret::new("t")));
    }
}
