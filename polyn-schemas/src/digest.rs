//! The schema digest: SHA-256 of a schema's canonical JSON.
//!
//! Canonical JSON is the JSON Canonicalization Scheme of RFC 8785 (JCS), as
//! the `serde_json_canonicalizer` crate writes it: compact, the members of
//! every object sorted by the UTF-16 code units of their keys, strings with
//! only the escapes JSON requires, and every number written as ECMAScript
//! writes an IEEE 754 double. Whitespace, key order and the spelling of
//! escapes in the file do not change the digest; any change to a name, a
//! value or the structure does.
//!
//! See [`schema_digest`] for the inputs whose digest changed when RFC 8785
//! replaced the earlier sorted-keys text.

use std::fmt::Write as _;

use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// The RFC 8785 (JCS) canonical JSON text of `value`: compact, with
/// object members sorted by key at every level and numbers written as
/// ECMAScript writes them.
///
/// ```
/// let value = serde_json::json!({"b": 1.0, "a": {"d": [true, null], "c": "x"}});
/// assert_eq!(polyn_schemas::canonical_json(&value), r#"{"a":{"c":"x","d":[true,null]},"b":1}"#);
/// ```
pub fn canonical_json(value: &Value) -> String {
    serde_json_canonicalizer::to_string(value)
        // Only NaN, infinities and non-string keys fail, which a JSON value
        // cannot hold.
        .unwrap_or_else(|err| unreachable!("a JSON value is always canonicalisable: {err}"))
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
///
/// # Digests before RFC 8785
///
/// Digests were first taken over compact `serde_json` output with keys
/// sorted by their UTF-8 bytes. For the schemas people write (strings, ASCII
/// and other non-ASCII text, integers up to 2^53 in magnitude, decimals such
/// as `0.01` or `2.5`, nested objects and arrays, booleans, `null`) the two
/// texts are byte for byte the same, and so are the digests: this crate's
/// tests pin digests taken before the change. They differ only for
///
/// - numbers: a whole number written with a fraction (`1.0` is now `1`),
///   `-0.0` (now `0`), a float from 1e16 up to 1e21 (`1e+20` is now
///   `100000000000000000000`) or from 1e-6 up to 1e-5 (`1e-6` is now
///   `0.000001`), and an integer beyond ±2^53, which becomes the nearest
///   double (`9007199254740993` is now `9007199254740992`,
///   `18446744073709551615` is now `18446744073709552000`). Two schemas that
///   differ only there beyond 2^53 now share a digest;
/// - key order, where two keys of one object first differ at a character
///   from U+E000 to U+FFFF in one and a character above U+FFFF in the other:
///   UTF-16 sorts the latter first (`"😀"` before `"ﬁ"`), UTF-8 the former.
///
/// The digest a generated type carries (`SCHEMA_DIGEST`, computed by
/// `polyn-build`) and the one the runtime computes from the schema store
/// both come from [`schema_digest`], so they agree as long as both sides use
/// the same version of this crate. Types generated before the change by an
/// older `polyn-build`, from a schema of the kinds above, report drift until
/// they are generated again.
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

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).expect("JSON")
    }

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
        let a = parse(r#"{ "a" : "\u00e9", "b": [1, 2.5], "c": "\/" }"#);
        let b = parse(r#"{"c":"/","b":[1,2.5],"a":"é"}"#);
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(schema_digest(&a), schema_digest(&b));
    }

    /// The digests of a typical schema and of BMP keys, as the sorted-keys
    /// `serde_json` text gave them before RFC 8785: unchanged.
    #[test]
    fn digests_of_typical_schemas_are_unchanged() {
        let typical = parse(
            r#"{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "$id": "widgets:created:v1",
  "title": "Widget created",
  "description": "Ünïcödé — 日本語 ✓ 🎉 \"quoted\" back\\slash a/b\n\ttab \u0001 \u007f \u2028",
  "type": "object",
  "identity": "id",
  "properties": {
    "id": {"type": "string", "format": "uuid", "minLength": 1},
    "count": {"type": "integer", "minimum": -5, "maximum": 100},
    "price": {"type": "number", "multipleOf": 0.01, "exclusiveMaximum": 2.5},
    "tags": {"type": "array", "items": {"type": "string", "maxLength": 20}, "uniqueItems": true},
    "nested": {"type": "object", "properties": {"a": {"enum": ["x", "y", null]}, "b": {"const": false}}},
    "größe": {"type": ["integer", "null"], "maximum": 9007199254740991},
    "日本": {"type": "string"}
  },
  "required": ["id", "count"],
  "additionalProperties": false
}"#,
        );
        assert_eq!(
            schema_digest(&typical),
            "480c54a24851b8da3d365cacef67a6e46bfcd8b79151fd6a6648b183ce3f9341"
        );
        let bmp_keys = parse(r#"{"é": 1, "z": 2, "日本": 3, "a": 4, "\uffff": 5, "\ue000": 6}"#);
        assert_eq!(
            canonical_json(&bmp_keys),
            "{\"a\":4,\"z\":2,\"é\":1,\"日本\":3,\"\u{e000}\":6,\"\u{ffff}\":5}"
        );
        assert_eq!(
            schema_digest(&bmp_keys),
            "b6f735f59295639ab70a6a209096490f7b7501001b46094a7e4da55acf8d3f6a"
        );
    }

    /// What RFC 8785 writes differently from the earlier sorted-keys
    /// `serde_json` text (shown in the comments).
    #[test]
    fn numbers_and_astral_keys_follow_rfc_8785() {
        let numbers = parse(
            "[1.0, -0.0, 1e20, 1e16, 0.000001, 9007199254740993, 18446744073709551615, \
             -9223372036854775808, 1e21, 1e-7, 0.0001, 0.1, 100, 1.5e300]",
        );
        assert_eq!(
            canonical_json(&numbers),
            // Before: [1.0,-0.0,1e+20,1e+16,1e-6,9007199254740993,18446744073709551615,
            //          -9223372036854775808,1e+21,1e-7,0.0001,0.1,100,1.5e+300]
            "[1,0,100000000000000000000,10000000000000000,0.000001,9007199254740992,\
             18446744073709552000,-9223372036854776000,1e+21,1e-7,0.0001,0.1,100,1.5e+300]"
        );
        // Before: {"ﬁ":1,"😀":2} (UTF-8 order).
        let keys = parse(r#"{"\ufb01": 1, "\ud83d\ude00": 2}"#);
        assert_eq!(canonical_json(&keys), r#"{"😀":2,"ﬁ":1}"#);
    }
}
