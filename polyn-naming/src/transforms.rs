//! The helper transforms of the Elixir `polyn_naming` library: version
//! suffixes and underscored names.

/// Appends the version token `v<version>` to `name`, as Elixir's
/// `Polyn.Naming.version_suffix/2` does: nothing is inserted between them,
/// so `name` ends with its own separator.
///
/// ```
/// assert_eq!(polyn_naming::version_suffix("com:acme:user:created:", 1), "com:acme:user:created:v1");
/// assert_eq!(polyn_naming::version_suffix("user.created.", 2), "user.created.v2");
/// ```
pub fn version_suffix(name: &str, version: u32) -> String {
    format!("{name}v{version}")
}

/// Removes every version token from `name`: each run of `.` or `:`
/// followed by `v` and digits (the regex `[.:]+v\d+`, as Elixir's
/// `Polyn.Naming.trim_version_suffix/1` has it).
///
/// Like the original, the match is not limited to the end of the name or to
/// whole tokens: `a.v1.b` gives `a.b`, and `a.v2beta` gives `abeta`.
///
/// ```
/// assert_eq!(polyn_naming::trim_version_suffix("com.acme.user.created.v1"), "com.acme.user.created");
/// assert_eq!(polyn_naming::trim_version_suffix("com:acme:user:created:v12"), "com:acme:user:created");
/// assert_eq!(polyn_naming::trim_version_suffix("user.created"), "user.created");
/// ```
pub fn trim_version_suffix(name: &str) -> String {
    let bytes = name.as_bytes();
    let is_separator = |b: u8| b == b'.' || b == b':';
    let mut trimmed = String::with_capacity(name.len());
    // `kept` is where the text not yet copied starts; `at` scans ahead.
    let (mut kept, mut at) = (0, 0);
    while at < bytes.len() {
        if !is_separator(bytes[at]) {
            at += 1;
            continue;
        }
        let run_end = at + bytes[at..].iter().take_while(|&&b| is_separator(b)).count();
        let digits = bytes.get(run_end + 1..).map_or(0, |rest| {
            rest.iter().take_while(|b| b.is_ascii_digit()).count()
        });
        if bytes.get(run_end) == Some(&b'v') && digits > 0 {
            trimmed.push_str(&name[kept..at]);
            at = run_end + 1 + digits;
            kept = at;
        } else {
            at = run_end;
        }
    }
    trimmed.push_str(&name[kept..]);
    trimmed
}

/// Turns every `.` and `:` into `_`, as consumer and stream names have
/// them.
///
/// ```
/// assert_eq!(polyn_naming::underscore_name("com:test:user.created.v1"), "com_test_user_created_v1");
/// ```
pub fn underscore_name(name: &str) -> String {
    name.replace(['.', ':'], "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_suffixes() {
        assert_eq!(
            version_suffix("com:acme:user:created:", 1),
            "com:acme:user:created:v1"
        );
        assert_eq!(version_suffix("", 3), "v3");
        assert_eq!(version_suffix("a.", 10), "a.v10");
    }

    #[test]
    fn trimmed_version_suffixes() {
        let cases = [
            ("com.acme.user.created.v1", "com.acme.user.created"),
            ("com:acme:user:created:v1", "com:acme:user:created"),
            ("user.created.v12", "user.created"),
            ("user.created", "user.created"),
            ("", ""),
            ("v1", "v1"),
            (".v1", ""),
            ("a..:v3", "a"),
            // Every match, anywhere, as the regex has it.
            ("a.v1.b.v2", "a.b"),
            ("a.v1.v2", "a"),
            ("a.v2beta", "abeta"),
            // No digits, or something between the separator and the `v`: kept.
            ("a.v", "a.v"),
            ("a.vx", "a.vx"),
            ("a.xv1", "a.xv1"),
            ("a.", "a."),
            ("é.v1", "é"),
        ];
        for (name, expected) in cases {
            assert_eq!(trim_version_suffix(name), expected, "{name:?}");
        }
    }

    #[test]
    fn underscored_names() {
        assert_eq!(underscore_name("user.backend"), "user_backend");
        assert_eq!(underscore_name("my:source.x"), "my_source_x");
        assert_eq!(underscore_name("plain"), "plain");
    }
}
