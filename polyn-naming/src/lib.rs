//! The naming rules every Polyn client shares, with no dependencies, so that
//! the runtime (`polyn::naming`), the code generator (`polyn-build`) and the
//! handler macro (`polyn-macros`) apply one implementation.
//!
//! All checks are anchored (`\A…\z`): a trailing newline is an error, unlike
//! the `^…$` regexes of the Elixir client.
//!
//! | rule | accepted | example |
//! |---|---|---|
//! | message name | `[a-z0-9]+(\.[a-z0-9]+)*` | `user.created.v1` |
//! | source name, source root, domain | `[a-z0-9]+([.:][a-z0-9]+)*` | `user.backend`, `com:test` |
//!
//! ```
//! assert!(polyn_naming::is_message_name("user.created.v1"));
//! assert!(polyn_naming::is_source_name("com:test:user.backend"));
//! ```

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
}
