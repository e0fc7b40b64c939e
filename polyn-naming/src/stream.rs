//! The stream-name rule of the Polyn CLI.

/// Is `name` a stream name the Polyn CLI accepts: ASCII letters, digits and
/// `_` only, not empty (`^[a-zA-Z0-9_]+$`, anchored)? Streams are
/// conventionally upper case (`WIDGETS`, `USER_CREATED_V1`).
///
/// ```
/// assert!(polyn_naming::is_stream_name("USER_CREATED_V1"));
/// assert!(polyn_naming::is_stream_name("widgets"));
/// assert!(!polyn_naming::is_stream_name("user.created"));
/// assert!(!polyn_naming::is_stream_name(""));
/// ```
pub fn is_stream_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names() {
        for good in ["WIDGETS", "USER_CREATED_V1", "a", "_", "Mixed_Case_9"] {
            assert!(is_stream_name(good), "{good} should be valid");
        }
        for bad in [
            "",
            "USER.CREATED",
            "user-created",
            "two words",
            "WIDGETS\n",
            "A*",
            "A>",
            "ÜBER",
        ] {
            assert!(!is_stream_name(bad), "{bad:?} should be invalid");
        }
    }
}
