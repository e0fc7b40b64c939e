//! Bounded quotes of received messages: every error and log line that
//! quotes a message shows at most [`EXCERPT_LIMIT`] bytes of it and its
//! size, so no report grows with the payload.

use std::fmt;

/// The most bytes of a message an error or a log line quotes.
pub(crate) const EXCERPT_LIMIT: usize = 2048;

/// The most bytes of one validation problem's text (a validator quotes the
/// offending value in it).
pub(crate) const PROBLEM_LIMIT: usize = 256;

/// The most problems a validation error lists; it counts the rest.
pub(crate) const MAX_PROBLEMS: usize = 20;

/// The start of `bytes` as (lossy) UTF-8, at most [`EXCERPT_LIMIT`] bytes
/// cut at a character boundary, followed by `… (N bytes in all)` when
/// something was cut.
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    Excerpt::of(bytes).to_string()
}

/// `text` itself when it has at most `limit` bytes, else its excerpt of
/// that many.
pub(crate) fn shortened(text: String, limit: usize) -> String {
    if text.len() <= limit {
        return text;
    }
    Excerpt::within(text.as_bytes(), limit).to_string()
}

/// Displays as [`excerpt`] does, without building the string first.
pub(crate) struct Excerpt<'a>(pub(crate) &'a [u8], usize);

impl<'a> Excerpt<'a> {
    /// At most [`EXCERPT_LIMIT`] bytes of `bytes`.
    pub(crate) fn of(bytes: &'a [u8]) -> Self {
        Excerpt(bytes, EXCERPT_LIMIT)
    }

    /// At most `limit` bytes of `bytes`.
    pub(crate) fn within(bytes: &'a [u8], limit: usize) -> Self {
        Excerpt(bytes, limit.max(4))
    }
}

impl fmt::Display for Excerpt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (bytes, limit) = (self.0, self.1);
        if bytes.len() <= limit {
            return f.write_str(&String::from_utf8_lossy(bytes));
        }
        // Back off to the start of a character; past 3 bytes (the longest
        // continuation run) the input is not UTF-8 there anyway.
        let mut end = limit;
        while end > limit - 3 && is_continuation(bytes[end]) {
            end -= 1;
        }
        write!(
            f,
            "{}… ({} bytes in all)",
            String::from_utf8_lossy(&bytes[..end]),
            bytes.len()
        )
    }
}

fn is_continuation(byte: u8) -> bool {
    byte & 0b1100_0000 == 0b1000_0000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_messages_are_quoted_whole() {
        assert_eq!(excerpt(b"{\"a\":1}"), "{\"a\":1}");
        assert_eq!(excerpt(&[b'x'; EXCERPT_LIMIT]), "x".repeat(EXCERPT_LIMIT));
    }

    #[test]
    fn long_messages_are_cut_and_sized() {
        let long = vec![b'x'; 2_100_000];
        let quoted = excerpt(&long);
        assert!(quoted.len() < EXCERPT_LIMIT + 40, "{}", quoted.len());
        assert!(quoted.ends_with("… (2100000 bytes in all)"), "{quoted}");
    }

    #[test]
    fn cuts_fall_on_character_boundaries() {
        // 'é' is two bytes: the limit falls inside one of them.
        let text = format!("x{}", "é".repeat(EXCERPT_LIMIT));
        let quoted = excerpt(text.as_bytes());
        assert!(!quoted.contains('\u{FFFD}'), "a character was split");
        assert!(quoted.starts_with("xéé"));
    }

    #[test]
    fn shortened_keeps_short_text_and_cuts_long() {
        assert_eq!(shortened("short".to_owned(), 8), "short");
        let cut = shortened("x".repeat(1000), PROBLEM_LIMIT);
        assert!(cut.starts_with(&"x".repeat(PROBLEM_LIMIT)));
        assert!(cut.ends_with("… (1000 bytes in all)"), "{cut}");
    }

    #[test]
    fn invalid_utf8_is_replaced_not_rejected() {
        assert_eq!(excerpt(&[0xff, b'a']), "\u{FFFD}a");
    }
}
