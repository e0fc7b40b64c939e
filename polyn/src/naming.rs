//! Names, sources, subjects, streams and consumers: the naming rules every
//! Polyn client shares.
//!
//! All checks are anchored (`\A…\z`): a trailing newline is an error, unlike
//! the `^…$` regexes of the Elixir client. The functions here are pure; the
//! [`Config`](crate::Config) methods of the same names fill in the configured
//! domain and source root.
//!
//! | rule | accepted | example |
//! |---|---|---|
//! | message name | `[a-z0-9]+(\.[a-z0-9]+)*` | `user.created.v1` |
//! | source name, source root, domain | `[a-z0-9]+([.:][a-z0-9]+)*` | `user.backend`, `com:test` |
//! | stream name (Polyn CLI) | `[a-zA-Z0-9_]+` | `USER_CREATED_V1` |
//!
//! ```
//! use polyn::naming;
//!
//! assert_eq!(naming::full_type("com.test", "user.created.v1")?, "com.test.user.created.v1");
//! assert_eq!(naming::consumer_name("com.test", "user.backend", "foo.bar.v1", Some("my.source"))?,
//!            "user_backend_my_source_foo_bar_v1");
//! assert!(naming::subject_matches("orders.created.v1", "orders.>"));
//! # Ok::<(), polyn::Error>(())
//! ```

use crate::error::Error;

pub use polyn_naming::{
    MigrationFileError, did_you_mean, is_message_name, is_nats_name, is_snake_name, is_source_name,
    is_stream_name, migration_file,
};

/// Checks a message name, returning [`Error::InvalidMessageName`] when it does
/// not follow the rule.
///
/// ```
/// polyn::naming::validate_message_name("user.created.v1")?;
/// let err = polyn::naming::validate_message_name("User.Created").unwrap_err();
/// assert!(err.to_string().starts_with("Event names must be lowercase, alphanumeric and dot separated"));
/// # Ok::<(), polyn::Error>(())
/// ```
pub fn validate_message_name(name: &str) -> Result<(), Error> {
    if is_message_name(name) {
        Ok(())
    } else {
        Err(Error::InvalidMessageName {
            name: name.to_owned(),
        })
    }
}

/// Checks a source name, returning [`Error::InvalidSourceName`] when it does
/// not follow the rule.
///
/// ```
/// polyn::naming::validate_source_name("orders:new")?;
/// assert!(polyn::naming::validate_source_name("orders   new").is_err());
/// # Ok::<(), polyn::Error>(())
/// ```
pub fn validate_source_name(name: &str) -> Result<(), Error> {
    if is_source_name(name) {
        Ok(())
    } else {
        Err(Error::InvalidSourceName {
            name: name.to_owned(),
        })
    }
}

/// Checks a stream name given by a user against the Polyn CLI's rule
/// (ASCII letters, digits and `_`), returning [`Error::InvalidStreamName`]
/// when it does not follow it.
///
/// ```
/// polyn::naming::validate_stream_name("USER_CREATED_V1")?;
/// let err = polyn::naming::validate_stream_name("user.created").unwrap_err();
/// assert_eq!(err.to_string(),
///            "Stream name must be all alphanumeric, uppercase, and underscore separated. Got user.created");
/// # Ok::<(), polyn::Error>(())
/// ```
pub fn validate_stream_name(name: &str) -> Result<(), Error> {
    if is_stream_name(name) {
        Ok(())
    } else {
        Err(Error::InvalidStreamName {
            name: name.to_owned(),
        })
    }
}

/// Replaces every `.` with `:`.
///
/// ```
/// assert_eq!(polyn::naming::dot_to_colon("com.test"), "com:test");
/// ```
pub fn dot_to_colon(name: &str) -> String {
    name.replace('.', ":")
}

/// Replaces every `:` with `.`.
///
/// ```
/// assert_eq!(polyn::naming::colon_to_dot("com:test"), "com.test");
/// ```
pub fn colon_to_dot(name: &str) -> String {
    name.replace(':', ".")
}

/// Turns every `.` and `:` into `_`, as consumer and stream names have
/// them.
///
/// ```
/// assert_eq!(polyn::naming::underscore_name("user.backend:orders"), "user_backend_orders");
/// ```
pub fn underscore_name(name: &str) -> String {
    polyn_naming::underscore_name(name)
}

/// Appends the version token `v<version>` to `name`; nothing is inserted
/// between them, so `name` ends with its own separator (as the Elixir
/// client's `version_suffix`).
///
/// ```
/// assert_eq!(polyn::naming::version_suffix("com:acme:user:created:", 1), "com:acme:user:created:v1");
/// ```
pub fn version_suffix(name: &str, version: u32) -> String {
    polyn_naming::version_suffix(name, version)
}

/// Removes every version token from `name`: each run of `.` or `:`
/// followed by `v` and digits (`[.:]+v\d+`, as the Elixir client's
/// `trim_version_suffix`), wherever it occurs.
///
/// ```
/// assert_eq!(polyn::naming::trim_version_suffix("com.acme.user.created.v1"), "com.acme.user.created");
/// assert_eq!(polyn::naming::trim_version_suffix("com:acme:user:created:v2"), "com:acme:user:created");
/// ```
pub fn trim_version_suffix(name: &str) -> String {
    polyn_naming::trim_version_suffix(name)
}

/// Strips the domain from the start of a type: first `"<domain>."`, then
/// `"<domain with colons>:"`.
///
/// Unlike the Elixir and Ruby clients, which remove the first occurrence
/// anywhere in the string, the match is anchored at the start, so a domain
/// that appears later in a name is left alone.
///
/// ```
/// use polyn::naming::trim_domain_prefix;
/// assert_eq!(trim_domain_prefix("com.test", "com.test.user.created.v1"), "user.created.v1");
/// assert_eq!(trim_domain_prefix("com.test", "com:test:user:created:v1"), "user:created:v1");
/// assert_eq!(trim_domain_prefix("com.test", "user.created.v1"), "user.created.v1");
/// ```
pub fn trim_domain_prefix<'a>(domain: &str, name: &'a str) -> &'a str {
    let name = strip_prefix_then(name, domain, '.');
    if domain.contains('.') {
        strip_prefix_then(name, &dot_to_colon(domain), ':')
    } else {
        name
    }
}

fn strip_prefix_then<'a>(name: &'a str, prefix: &str, separator: char) -> &'a str {
    name.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix(separator))
        .unwrap_or(name)
}

/// The CloudEvent `type` of a message: `<domain>.<name>`, without doubling a
/// domain the name already carries.
///
/// ```
/// use polyn::naming::full_type;
/// assert_eq!(full_type("com.test", "user.created.v1")?, "com.test.user.created.v1");
/// assert_eq!(full_type("com.test", "com.test.user.created.v1")?, "com.test.user.created.v1");
/// assert!(full_type("com.test", "user created v1").is_err());
/// # Ok::<(), polyn::Error>(())
/// ```
pub fn full_type(domain: &str, name: &str) -> Result<String, Error> {
    validate_message_name(name)?;
    Ok(format!("{domain}.{}", trim_domain_prefix(domain, name)))
}

/// The CloudEvent `source`: `<domain>:<source_root>[:<source>]` with every dot
/// turned into a colon.
///
/// A `source` that already starts with the full root (in dot or colon form)
/// is not prefixed a second time. The reference clients remove the root
/// wherever it occurs; this function only recognises it at the start.
///
/// ```
/// use polyn::naming::full_source;
/// assert_eq!(full_source("com.test", "user.backend", None)?, "com:test:user:backend");
/// assert_eq!(full_source("com.test", "user.backend", Some("orders.new"))?,
///            "com:test:user:backend:orders:new");
/// assert_eq!(full_source("com.test", "user.backend", Some("com:test:user:backend:orders"))?,
///            "com:test:user:backend:orders");
/// # Ok::<(), polyn::Error>(())
/// ```
pub fn full_source(domain: &str, source_root: &str, source: Option<&str>) -> Result<String, Error> {
    validate_source_name(source_root)?;
    let root = dot_to_colon(&format!("{domain}:{source_root}"));
    let Some(source) = source else {
        return Ok(root);
    };
    validate_source_name(source)?;
    let source = dot_to_colon(source);
    if source == root {
        return Ok(root);
    }
    if source
        .strip_prefix(root.as_str())
        .is_some_and(|rest| rest.starts_with(':'))
    {
        return Ok(source);
    }
    Ok(format!("{root}:{source}"))
}

/// The durable consumer name for a message:
/// `<source_root>[_<source>]_<message name>`, with `.` and `:` turned into
/// `_` and the domain stripped from the message name.
///
/// ```
/// use polyn::naming::consumer_name;
/// assert_eq!(consumer_name("com.test", "user.backend", "foo.bar.v1", None)?, "user_backend_foo_bar_v1");
/// assert_eq!(consumer_name("com.test", "user.backend", "com.test.foo.bar.v1", Some("my:source"))?,
///            "user_backend_my_source_foo_bar_v1");
/// # Ok::<(), polyn::Error>(())
/// ```
pub fn consumer_name(
    domain: &str,
    source_root: &str,
    name: &str,
    source: Option<&str>,
) -> Result<String, Error> {
    validate_message_name(name)?;
    validate_source_name(source_root)?;
    let mut consumer = underscore_name(source_root);
    if let Some(source) = source {
        validate_source_name(source)?;
        consumer.push('_');
        consumer.push_str(&underscore_name(source));
    }
    consumer.push('_');
    consumer.push_str(&underscore_name(trim_domain_prefix(domain, name)));
    Ok(consumer)
}

/// The conventional stream name for a message: upper case with `.` and `:`
/// turned into `_`. Polyn looks streams up by subject; this is the name the
/// tooling gives a stream it creates for one message.
///
/// ```
/// assert_eq!(polyn::naming::stream_name("user.created.v1"), "USER_CREATED_V1");
/// ```
pub fn stream_name(name: &str) -> String {
    underscore_name(name).to_ascii_uppercase()
}

/// Is `token` usable as one NATS subject token (non-empty, no `.`, `*`, `>`
/// or whitespace)?
///
/// ```
/// assert!(polyn::naming::is_subject_token("abc-123"));
/// assert!(!polyn::naming::is_subject_token("a.b"));
/// ```
pub fn is_subject_token(token: &str) -> bool {
    !token.is_empty()
        && !token
            .chars()
            .any(|c| c == '.' || c == '*' || c == '>' || c.is_whitespace() || c.is_control())
}

/// The NATS subject a message is published on: the domain-less message name,
/// plus the identity value as one more token when the schema declares
/// `"identity"`.
///
/// ```
/// use polyn::naming::subject;
/// assert_eq!(subject("user.created.v1", None)?, "user.created.v1");
/// assert_eq!(subject("user.created.v1", Some("abc123"))?, "user.created.v1.abc123");
/// assert!(subject("user.created.v1", Some("a.b")).is_err());
/// # Ok::<(), polyn::Error>(())
/// ```
pub fn subject(name: &str, identity: Option<&str>) -> Result<String, Error> {
    validate_message_name(name)?;
    match identity {
        None => Ok(name.to_owned()),
        Some(token) if is_subject_token(token) => Ok(format!("{name}.{token}")),
        Some(token) => Err(Error::InvalidIdentity {
            name: name.to_owned(),
            value: token.to_owned(),
        }),
    }
}

/// The subject filter a stream uses to capture a message: the name itself,
/// or `<name>.*` when the message has an identity.
///
/// ```
/// assert_eq!(polyn::naming::stream_subject("user.created.v1", true), "user.created.v1.*");
/// ```
pub fn stream_subject(name: &str, has_identity: bool) -> String {
    if has_identity {
        format!("{name}.*")
    } else {
        name.to_owned()
    }
}

/// The version of a message name: `3` for `orders.placed.v3`.
///
/// ```
/// assert_eq!(polyn::naming::version("orders.placed.v3"), Some(3));
/// assert_eq!(polyn::naming::version("orders.placed"), None);
/// ```
pub fn version(name: &str) -> Option<u32> {
    name.rsplit_once('.')?.1.strip_prefix('v')?.parse().ok()
}

/// The name of the next version of a message: `orders.placed.v2` for
/// `orders.placed.v1`, as a breaking change is published.
///
/// ```
/// assert_eq!(polyn::naming::next_version("orders.placed.v1").as_deref(), Some("orders.placed.v2"));
/// assert_eq!(polyn::naming::next_version("orders.placed"), None);
/// ```
pub fn next_version(name: &str) -> Option<String> {
    let next = version(name)?.checked_add(1)?;
    let (base, _) = name.rsplit_once('.')?;
    Some(format!("{base}.v{next}"))
}

/// Whether a consumer filtered on `filter` delivers only messages named
/// `name`: the filter is the name itself, or the name followed by more
/// tokens (identity values), wildcards allowed only there.
///
/// ```
/// use polyn::naming::filter_holds_only;
/// assert!(filter_holds_only("orders.created.v1", "orders.created.v1"));
/// assert!(filter_holds_only("orders.created.v1", "orders.created.v1.*"));
/// assert!(!filter_holds_only("orders.created.v1", "orders.>"));
/// assert!(!filter_holds_only("orders.created.v1", "orders.*.v1"));
/// ```
pub fn filter_holds_only(name: &str, filter: &str) -> bool {
    match filter.strip_prefix(name) {
        Some("") => true,
        Some(rest) => rest.len() > 1 && rest.starts_with('.'),
        None => false,
    }
}

/// NATS subject matching: `*` matches exactly one token, `>` (last token
/// only) matches one or more tokens, and every other token must be equal.
///
/// ```
/// use polyn::naming::subject_matches;
/// assert!(subject_matches("foo.bar", "foo.*"));
/// assert!(!subject_matches("foo", "foo.*"));
/// assert!(subject_matches("foo.bar.baz.qux", "foo.*.>"));
/// ```
pub fn subject_matches(subject: &str, pattern: &str) -> bool {
    let mut subject_tokens = subject.split('.');
    let mut pattern_tokens = pattern.split('.').peekable();
    while let Some(pattern_token) = pattern_tokens.next() {
        if pattern_token == ">" && pattern_tokens.peek().is_none() {
            return subject_tokens.next().is_some_and(|t| !t.is_empty());
        }
        match subject_tokens.next() {
            Some("") => return false,
            Some(token) if pattern_token == "*" || pattern_token == token => {}
            _ => return false,
        }
    }
    subject_tokens.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOMAIN: &str = "com.test";
    const ROOT: &str = "user.backend";

    /// The rule itself is tested in `polyn-naming`; here, its error.
    #[test]
    fn message_name_errors() {
        assert!(validate_message_name("user.created.v1").is_ok());
        for bad in ["", "User.created", "user.created.v1\n"] {
            let err = validate_message_name(bad).unwrap_err();
            assert!(
                err.to_string()
                    .starts_with("Event names must be lowercase, alphanumeric and dot separated"),
                "{err}"
            );
        }
    }

    #[test]
    fn source_names() {
        for good in ["user.backend", "com:test:user:backend", "orders", "a.b:c"] {
            assert!(is_source_name(good), "{good} should be valid");
        }
        for bad in [
            "",
            "*orders*",
            "orders   new",
            "a::b",
            "a.:b",
            ":a",
            "a:",
            "A",
            "a\n",
        ] {
            assert!(!is_source_name(bad), "{bad:?} should be invalid");
            let err = validate_source_name(bad).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "Event source must be lowercase, alphanumeric and dot/colon separated, got {bad}"
                )
            );
        }
    }

    #[test]
    fn stream_name_errors() {
        assert!(validate_stream_name("USER_CREATED_V1").is_ok());
        assert!(validate_stream_name(&stream_name("user.created.v1")).is_ok());
        for bad in ["", "user.created", "A B", "WIDGETS\n", "a-b"] {
            let err = validate_stream_name(bad).unwrap_err();
            assert!(matches!(&err, Error::InvalidStreamName { name } if name == bad));
            assert_eq!(
                err.to_string(),
                format!(
                    "Stream name must be all alphanumeric, uppercase, and underscore separated. \
                     Got {bad}"
                )
            );
        }
    }

    #[test]
    fn helper_transforms() {
        assert_eq!(dot_to_colon("a.b.c"), "a:b:c");
        assert_eq!(colon_to_dot("a:b:c"), "a.b.c");
        assert_eq!(underscore_name("a.b:c"), "a_b_c");
        assert_eq!(
            version_suffix("com:acme:user:created:", 1),
            "com:acme:user:created:v1"
        );
        assert_eq!(
            trim_version_suffix("com.acme.user.created.v1"),
            "com.acme.user.created"
        );
        assert_eq!(
            trim_version_suffix(&version_suffix("user.created.", 7)),
            "user.created"
        );
        assert_eq!(stream_name("user.created.v1"), "USER_CREATED_V1");
        assert_eq!(stream_name("foo.bar"), "FOO_BAR");
        assert_eq!(stream_name("foo:bar"), "FOO_BAR");
    }

    #[test]
    fn full_type_table() {
        assert_eq!(
            full_type(DOMAIN, "user.created.v1").unwrap(),
            "com.test.user.created.v1"
        );
        assert_eq!(
            full_type(DOMAIN, "com.test.user.created.v1").unwrap(),
            "com.test.user.created.v1"
        );
        assert!(matches!(
            full_type(DOMAIN, "user created v1"),
            Err(Error::InvalidMessageName { .. })
        ));
    }

    #[test]
    fn full_source_table() {
        let cases = [
            (None, "com:test:user:backend"),
            (Some("orders"), "com:test:user:backend:orders"),
            (Some("orders.new"), "com:test:user:backend:orders:new"),
            (Some("com:test:user:backend"), "com:test:user:backend"),
            (
                Some("com:test:user:backend:orders:new"),
                "com:test:user:backend:orders:new",
            ),
            (
                Some("com.test.user.backend.orders"),
                "com:test:user:backend:orders",
            ),
            // A source that merely starts with the same characters is not the root.
            (
                Some("com:test:user:backendx"),
                "com:test:user:backend:com:test:user:backendx",
            ),
        ];
        for (source, expected) in cases {
            assert_eq!(
                full_source(DOMAIN, ROOT, source).unwrap(),
                expected,
                "{source:?}"
            );
        }
        for bad in ["*orders*", "orders   new"] {
            assert!(matches!(
                full_source(DOMAIN, ROOT, Some(bad)),
                Err(Error::InvalidSourceName { .. })
            ));
        }
        assert!(full_source(DOMAIN, "bad root", None).is_err());
    }

    #[test]
    fn trim_domain_prefix_table() {
        assert_eq!(
            trim_domain_prefix(DOMAIN, "com.test.user.created.com.test.v1.schema.v1"),
            "user.created.com.test.v1.schema.v1"
        );
        assert_eq!(
            trim_domain_prefix(DOMAIN, "com:test:user:created:v1:schema:v1"),
            "user:created:v1:schema:v1"
        );
        // Anchored: a domain in the middle stays.
        assert_eq!(
            trim_domain_prefix(DOMAIN, "user.com.test.created"),
            "user.com.test.created"
        );
        // Only whole tokens: `com.testing` does not start with the domain `com.test`.
        assert_eq!(
            trim_domain_prefix(DOMAIN, "com.testing.v1"),
            "com.testing.v1"
        );
        assert_eq!(trim_domain_prefix("acme", "acme.user.v1"), "user.v1");
    }

    #[test]
    fn consumer_name_table() {
        let cases = [
            ("foo.bar.v1", None, "user_backend_foo_bar_v1"),
            (
                "foo.bar.v1",
                Some("my.source"),
                "user_backend_my_source_foo_bar_v1",
            ),
            (
                "foo.bar.v1",
                Some("my:source"),
                "user_backend_my_source_foo_bar_v1",
            ),
            (
                "com.test.foo.bar.v1",
                Some("my:source"),
                "user_backend_my_source_foo_bar_v1",
            ),
        ];
        for (name, source, expected) in cases {
            assert_eq!(consumer_name(DOMAIN, ROOT, name, source).unwrap(), expected);
        }
        assert!(matches!(
            consumer_name(DOMAIN, ROOT, "foo bar", None),
            Err(Error::InvalidMessageName { .. })
        ));
        assert!(matches!(
            consumer_name(DOMAIN, ROOT, "foo.bar", Some("my source")),
            Err(Error::InvalidSourceName { .. })
        ));
    }

    #[test]
    fn subjects() {
        assert_eq!(subject("user.created.v1", None).unwrap(), "user.created.v1");
        assert_eq!(
            subject("user.created.v1", Some("abc123")).unwrap(),
            "user.created.v1.abc123"
        );
        for bad in ["", "a.b", "a*", ">", "a b"] {
            assert!(matches!(
                subject("user.created.v1", Some(bad)),
                Err(Error::InvalidIdentity { .. })
            ));
        }
        assert_eq!(stream_subject("user.created.v1", false), "user.created.v1");
        assert_eq!(stream_subject("user.created.v1", true), "user.created.v1.*");
    }

    #[test]
    fn subject_matching_table() {
        let cases = [
            ("foo", "foo", true),
            ("foo.bar.v1", "foo.bar.v1", true),
            ("foo.bar.v1", "bar.baz.v1", false),
            ("foo.bar", "foo.*", true),
            ("foo", "foo.*", false),
            ("foo.bar.baz", "foo.*.*", true),
            ("foo.bar", "foo.*.*", false),
            ("foo.bar", "foo.>", true),
            ("foo.bar.baz.qux", "foo.>", true),
            ("foo", "foo.bar.>", false),
            ("foo.bar.baz.qux", "foo.*.>", true),
            ("foo.bar.baz.qux.other.thing", "foo.*.*.>", true),
            ("foo.bar", "foo.*.*.>", false),
            // Anchored, unlike the reference regex.
            ("xfoo.bar", "foo.*", false),
            ("foo.bar.baz", "foo.*", false),
            ("a.foo.bar", "foo.bar", false),
            ("anything.at.all", ">", true),
        ];
        for (subject, pattern, expected) in cases {
            assert_eq!(
                subject_matches(subject, pattern),
                expected,
                "{subject} vs {pattern}"
            );
        }
    }
}
