//! The schema digest: SHA-256 of a schema's canonical JSON.
//!
//! Canonical JSON here is compact `serde_json` output with the members of
//! every object sorted by key (byte order). Whitespace, key order and the
//! spelling of escapes in the file do not change the digest; any change to a
//! name, a value or the structure does.

use std::fmt::Write as _;

use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// The canonical JSON text of `value`: compact, with object members sorted
/// by key at every level.
///
/// ```
/// let value = serde_json::json!({"b": 1, "a": {"d": [true, null], "c": "x"}});
/// assert_eq!(polyn_schemas::canonical_json(&value), r#"{"a":{"c":"x","d":[true,null]},"b":1}"#);
/// ```
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut members: Vec<_> = map.iter().collect();
            members.sort_unstable_by_key(|(key, _)| *key);
            out.push('{');
            for (index, (key, value)) in members.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The digest `polyn-build` gives a schema: the SHA-256 of its
/// [`canonical_json`], as 64 lowercase hex digits.
///
/// ```
/// use serde_json::json;
/// let a = polyn_schemas::schema_digest(&json!({"type": "object", "required": ["id"]}));
/// let b = polyn_schemas::schema_digest(&json!({"required": ["id"], "type": "object"}));
/// assert_eq!(a, b);
/// assert_eq!(a.len(), 64);
/// assert_ne!(a, polyn_schemas::schema_digest(&json!({"type": "object"})));
/// ```
pub fn schema_digest(value: &Value) -> String {
    let hash = Sha256::digest(canonical_json(value).as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in hash {
        // Writing to a String cannot fail.
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digest() {
        // `printf '%s' '{}' | sha256sum`
        assert_eq!(
            schema_digest(&serde_json::json!({})),
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
    }

    #[test]
    fn formatting_does_not_matter() {
        let a: Value = serde_json::from_str(r#"{ "a" : "\u00e9", "b": [1, 2.5] }"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"b":[1,2.5],"a":"é"}"#).unwrap();
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(schema_digest(&a), schema_digest(&b));
    }
}
