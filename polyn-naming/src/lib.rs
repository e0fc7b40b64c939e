//! The naming rules every Polyn client shares, with no dependencies, so that
//! the runtime (`polyn::naming`), the code generator (`polyn-build`) and the
//! handler macro (`polyn-macros`) apply one implementation: message and
//! source names, NATS stream, consumer and queue-group names, migration file
//! names, the "did you mean" suggestions of their errors, the helper
//! transforms of the other clients (version suffixes, underscored names), and
//! how a schemas folder's files are found ([`schema_files`]).
//!
//! All checks are anchored (`\A…\z`): a trailing newline is an error, unlike
//! the `^…$` regexes of the Elixir client.
//!
//! | rule | accepted | example |
//! |---|---|---|
//! | message name | `[a-z0-9]+(\.[a-z0-9]+)*` | `user.created.v1` |
//! | source name, source root, domain | `[a-z0-9]+([.:][a-z0-9]+)*` | `user.backend`, `com:test` |
//! | stream name (Polyn CLI) | `[a-zA-Z0-9_]+` | `USER_CREATED_V1` |
//!
//! ```
//! assert!(polyn_naming::is_message_name("user.created.v1"));
//! assert!(polyn_naming::is_source_name("com:test:user.backend"));
//! assert!(polyn_naming::is_stream_name("USER_CREATED_V1"));
//! assert_eq!(polyn_naming::trim_version_suffix("com.acme.user.created.v1"), "com.acme.user.created");
//! ```

mod schema_files;
mod stream;
mod transforms;

pub use schema_files::{SCHEMAS_DIR_ENV, WalkError, schema_file_name, schema_files};
pub use stream::is_stream_name;
pub use transforms::{trim_version_suffix, underscore_name, version_suffix};

/// Is `name` a valid message name: lowercase alphanumeric tokens separated by
/// single dots (`user.created.v1`)?
///
/// ```
/// assert!(polyn_naming::is_message_name("user.created.v1"));
/// assert!(!polyn_naming::is_message_name("user created v1"));
/// assert!(!polyn_naming::is_message_name("user.created.v1\n"));
/// ```
pub fn is_message_name(name: &str) -> bool {
    tokens_ok(name, |c| c == b'.')
}

/// Is `name` a valid source name (also the rule for `source_root` and
/// `domain`): lowercase alphanumeric tokens separated by single dots or colons?
///
/// ```
/// assert!(polyn_naming::is_source_name("com:test:user.backend"));
/// assert!(!polyn_naming::is_source_name("*orders*"));
/// ```
pub fn is_source_name(name: &str) -> bool {
    tokens_ok(name, |c| c == b'.' || c == b':')
}

/// Non-empty, lowercase-alphanumeric tokens separated by exactly one separator.
fn tokens_ok(name: &str, is_separator: impl Fn(u8) -> bool) -> bool {
    let mut previous_was_separator = true; // a leading separator is an error
    for &byte in name.as_bytes() {
        if is_separator(byte) {
            if previous_was_separator {
                return false;
            }
            previous_was_separator = true;
        } else if byte.is_ascii_lowercase() || byte.is_ascii_digit() {
            previous_was_separator = false;
        } else {
            return false;
        }
    }
    !previous_was_separator
}

/// A NATS stream or consumer name: not empty, without whitespace, `.`, `*`,
/// `>`, `/` or `\`.
///
/// ```
/// assert!(polyn_naming::is_nats_name("WIDGETS_CREATED_V1"));
/// assert!(!polyn_naming::is_nats_name("widgets.created"));
/// ```
pub fn is_nats_name(name: &str) -> bool {
    !name.is_empty()
        && !name.chars().any(|c| {
            matches!(c, '.' | '*' | '>' | '/' | '\\') || c.is_whitespace() || c.is_control()
        })
}

/// A NATS queue group: not empty, without whitespace.
///
/// ```
/// assert!(polyn_naming::is_queue_group("workers.eu"));
/// assert!(!polyn_naming::is_queue_group("two words"));
/// ```
pub fn is_queue_group(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The number of single-character insertions, deletions and substitutions
/// that turn `a` into `b`.
///
/// ```
/// assert_eq!(polyn_naming::edit_distance("kitten", "sitting"), 3);
/// ```
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The candidate closest to `wanted`, when it is close enough to be a typo.
///
/// ```
/// assert_eq!(polyn_naming::did_you_mean("subject", ["subjects", "name"]), Some("subjects"));
/// assert_eq!(polyn_naming::did_you_mean("flavor", ["subjects", "name"]), None);
/// ```
pub fn did_you_mean<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (wanted.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|candidate| (edit_distance(wanted, candidate), candidate))
        .filter(|&(distance, _)| distance <= limit)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, candidate)| candidate)
}

/// A migration file name, `<14-digit UTC timestamp>_<snake_case_name>.toml`,
/// split into its id and name, or what is wrong with it.
///
/// ```
/// assert_eq!(polyn_naming::migration_file("20261202150000_create_widgets.toml"),
///            Ok(("20261202150000", "create_widgets")));
/// assert!(polyn_naming::migration_file("2026_x.toml").is_err());
/// ```
pub fn migration_file(file: &str) -> Result<(&str, &str), MigrationFileError> {
    let stem = file
        .strip_suffix(".toml")
        .ok_or(MigrationFileError::NotToml)?;
    let (id, name) = stem.split_once('_').ok_or(MigrationFileError::NoName)?;
    if id.len() != 14 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(MigrationFileError::BadTimestamp);
    }
    if !is_snake_name(name) {
        return Err(MigrationFileError::BadName);
    }
    Ok((id, name))
}

/// What is wrong with a migration file name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MigrationFileError {
    /// It does not end in `.toml`.
    NotToml,
    /// It has no `_` between the timestamp and the name.
    NoName,
    /// The part before the first `_` is not 14 digits.
    BadTimestamp,
    /// The name is not snake_case.
    BadName,
}

/// Is `name` a snake_case name: lowercase letters, digits and `_`, not
/// empty and not starting with `_`?
///
/// ```
/// assert!(polyn_naming::is_snake_name("create_widgets_v2"));
/// assert!(!polyn_naming::is_snake_name("Create-Widgets"));
/// ```
pub fn is_snake_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('_')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names() {
        for good in [
            "user.created.v1",
            "foo",
            "a1.b2.c3",
            "com.test.user.created.v1",
        ] {
            assert!(is_message_name(good), "{good} should be valid");
        }
        for bad in [
            "",
            "user created v1",
            "User.created",
            "user..created",
            ".user",
            "user.",
            "user:created",
            "user.created.v1\n",
            "user_created",
            "user-created",
            "*orders*",
            "ümlaut",
        ] {
            assert!(!is_message_name(bad), "{bad:?} should be invalid");
        }
    }

    #[test]
    fn source_names() {
        for good in [
            "billing",
            "orders:new",
            "user.backend",
            "com:test:user.backend",
            "a1",
        ] {
            assert!(is_source_name(good), "{good} should be valid");
        }
        for bad in [
            "",
            "orders::new",
            ":orders",
            "orders.",
            "Orders",
            "orders new",
            "*",
            "o\n",
        ] {
            assert!(!is_source_name(bad), "{bad:?} should be invalid");
        }
    }
    #[test]
    fn nats_names() {
        assert!(is_nats_name("WIDGETS"));
        assert!(is_nats_name("user_backend_widgets_created_v1"));
        for bad in ["", "a.b", "a*", "a>", "a b", "a/b", "a\\b"] {
            assert!(!is_nats_name(bad), "{bad:?}");
        }
        assert!(is_queue_group("workers.eu"));
        assert!(!is_queue_group("two words"));
        assert!(!is_queue_group(""));
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("user.created.v2", "user.created.v1"), 1);
        assert_eq!(edit_distance("concurency", "concurrency"), 1);
    }

    #[test]
    fn suggestions_are_close_names_only() {
        let keys = ["event", "source", "concurrency", "batch"];
        assert_eq!(did_you_mean("concurency", keys), Some("concurrency"));
        assert_eq!(did_you_mean("sorce", keys), Some("source"));
        assert_eq!(did_you_mean("events", keys), Some("event"));
        assert_eq!(did_you_mean("flavor", keys), None);
        assert_eq!(did_you_mean("x", Vec::<&str>::new()), None);
    }

    #[test]
    fn migration_files() {
        assert_eq!(migration_file("x.json"), Err(MigrationFileError::NotToml));
        assert_eq!(
            migration_file("20261202150000.toml"),
            Err(MigrationFileError::NoName)
        );
        assert_eq!(
            migration_file("2026120215000a_x.toml"),
            Err(MigrationFileError::BadTimestamp)
        );
        assert_eq!(
            migration_file("20261202150000_Bad.toml"),
            Err(MigrationFileError::BadName)
        );
        assert_eq!(
            migration_file("20261202150000_.toml"),
            Err(MigrationFileError::BadName)
        );
    }
}
