//! Escaping text for HTML, so nothing from a schema or a manifest can
//! become markup.

/// `text` with `&`, `<`, `>`, `"` and `'` replaced by character references:
/// safe in element content and in quoted attribute values alike.
pub(crate) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_in_a_description_stays_text() {
        assert_eq!(
            escape("<script>alert('x & y')</script>"),
            "&lt;script&gt;alert(&#39;x &amp; y&#39;)&lt;/script&gt;"
        );
    }

    #[test]
    fn quotes_cannot_end_an_attribute() {
        assert_eq!(escape(r#"" onmouseover="x"#), "&quot; onmouseover=&quot;x");
    }

    #[test]
    fn plain_text_is_unchanged() {
        assert_eq!(
            escape("widgets.created.v1 — ünïcode"),
            "widgets.created.v1 — ünïcode"
        );
        assert_eq!(escape(""), "");
    }
}
