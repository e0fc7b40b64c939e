//! Decoding a received event: one pass from bytes to a validated
//! [`Event`] for the events services actually send, and the full path
//! (JSON value, [`validate_event`], [`Event::from_json`]) for everything
//! else, which gives the protocol's errors.
//!
//! The one-pass path reads the envelope straight into an event, checks the
//! envelope by hand with rules that are a strict subset of
//! [`CLOUD_EVENT_SCHEMA`](crate::validation::CLOUD_EVENT_SCHEMA), and validates only
//! `data` against its schema. Whenever a rule does not plainly hold, it
//! steps aside and the full path decides, so the two never disagree on
//! what is valid (a unit test compares them).

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::envelope::{self, ATTRIBUTES, REQUIRED};
use crate::error::Error;
use crate::event::Event;
use crate::event::PolynData;
use crate::naming;
use crate::schema::Schemas;
use crate::validation::validate_event;

/// Decodes and validates a received event against `schemas`.
pub(crate) fn decode_event(
    payload: &[u8],
    domain: &str,
    schemas: &Schemas,
) -> Result<Event<Value>, Error> {
    if let Some(event) = decode_plain(payload, domain, schemas) {
        return Ok(event);
    }
    let value: Value = serde_json::from_slice(payload).map_err(|err| Error::Decode {
        message: crate::excerpt::excerpt(payload),
        source: err,
    })?;
    validate_event(&value, domain, schemas)?;
    Event::from_json(value)
}

/// The one-pass path: `Some` only for an event that is plainly valid.
fn decode_plain(payload: &[u8], domain: &str, schemas: &Schemas) -> Option<Event<Value>> {
    let mut deserializer = serde_json::Deserializer::from_slice(payload);
    let event = PlainEvent.deserialize(&mut deserializer).ok()?;
    deserializer.end().ok()?;
    let name = naming::trim_domain_prefix(domain, event.event_type());
    if !naming::is_message_name(name) {
        return None;
    }
    schemas.get(name)?.is_valid(event.data()).then_some(event)
}

/// Reads an event whose envelope plainly follows the schema; any other
/// input is an error, which sends it down the full path.
struct PlainEvent;

/// Why the one-pass path stepped aside (never shown: the full path reports).
const STEP_ASIDE: &str = "not a plain event";

impl<'de> DeserializeSeed<'de> for PlainEvent {
    type Value = Event<Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PlainEvent {
    type Value = Event<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a CloudEvent object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut known: [Option<String>; 8] = Default::default();
        let mut polyndata = None;
        let mut data = None;
        let mut extensions = Map::new();
        // Attributes met so far, one bit each: a repeated one steps aside.
        let mut seen = 0u8;
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Attribute(slot) if seen & (1 << slot) == 0 => {
                    seen |= 1 << slot;
                    match map.next_value()? {
                        Value::String(text) if ATTRIBUTES[slot].rule.plainly_holds(&text) => {
                            known[slot] = Some(text);
                        }
                        // The optional attributes may be null; the event keeps
                        // the null as it came.
                        Value::Null if !ATTRIBUTES[slot].required => {
                            extensions.insert(ATTRIBUTES[slot].name.to_owned(), Value::Null);
                        }
                        _ => return Err(de::Error::custom(STEP_ASIDE)),
                    }
                }
                Key::Polyndata if polyndata.is_none() => {
                    polyndata = Some(map.next_value_seed(PlainPolynData)?);
                }
                Key::Data if data.is_none() => data = Some(map.next_value()?),
                Key::Extension(name) if !extensions.contains_key(&name) => {
                    let value = map.next_value()?;
                    extensions.insert(name, value);
                }
                // `data_base64` or a repeated key: for the full path.
                _ => return Err(de::Error::custom(STEP_ASIDE)),
            }
        }
        if known[..REQUIRED].iter().any(Option::is_none) {
            return Err(de::Error::custom(STEP_ASIDE));
        }
        Ok(Event::assemble(known, polyndata, extensions, data))
    }
}

/// Reads a `polyndata` object with its three string keys (and any others).
struct PlainPolynData;

impl<'de> DeserializeSeed<'de> for PlainPolynData {
    type Value = PolynData;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<PolynData, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PlainPolynData {
    type Value = PolynData;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a polyndata object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PolynData, A::Error> {
        const KEYS: [&str; 3] = ["clientlang", "clientlangversion", "clientversion"];
        let mut known: [Option<String>; 3] = Default::default();
        let mut other = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            match KEYS.iter().position(|name| *name == key) {
                Some(slot) if known[slot].is_none() => match map.next_value()? {
                    Value::String(text) => known[slot] = Some(text),
                    _ => return Err(de::Error::custom(STEP_ASIDE)),
                },
                None if !other.contains_key(&key) => {
                    let value = map.next_value()?;
                    other.insert(key, value);
                }
                _ => return Err(de::Error::custom(STEP_ASIDE)),
            }
        }
        let [
            Some(clientlang),
            Some(clientlangversion),
            Some(clientversion),
        ] = known
        else {
            return Err(de::Error::custom(STEP_ASIDE));
        };
        Ok(PolynData {
            clientlang,
            clientlangversion,
            clientversion,
            other,
        })
    }
}

/// A top-level key of an event.
enum Key {
    /// One of [`ATTRIBUTES`], by index.
    Attribute(usize),
    Polyndata,
    Data,
    Extension(String),
    /// A key the one-pass path leaves to the full path.
    Other,
}

impl<'de> serde::Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an attribute name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
        Ok(match key {
            envelope::POLYNDATA => Key::Polyndata,
            envelope::DATA => Key::Data,
            envelope::DATA_BASE64 => Key::Other,
            _ => match envelope::slot(key) {
                Some(slot) => Key::Attribute(slot),
                None => Key::Extension(key.to_owned()),
            },
        })
    }
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Schema;
    use serde_json::json;

    pub(super) fn schemas() -> Schemas {
        let mut schemas = Schemas::new();
        schemas.insert(
            Schema::compile(
                "widgets.created.v1",
                &json!({"type": "object", "required": ["id"],
                        "properties": {"id": {"type": "string"}}}),
            )
            .expect("schema"),
        );
        schemas
    }

    /// The attributes tests vary: every one the envelope schema names,
    /// and an extension.
    pub(super) const ATTRIBUTES: &[&str] = &[
        "specversion",
        "id",
        "source",
        "type",
        "time",
        "datacontenttype",
        "dataschema",
        "subject",
        "polyndata",
        "data",
        "data_base64",
        "tenant",
    ];

    pub(super) fn base() -> serde_json::Map<String, Value> {
        let Value::Object(map) = json!({
            "specversion": "1.0",
            "id": "0b2a2c1e-0000-4000-8000-000000000000",
            "source": "com:test:user:backend",
            "type": "com.test.widgets.created.v1",
            "time": "2023-06-26T17:00:00.123456Z",
            "datacontenttype": "application/json",
            "polyndata": {"clientlang": "elixir", "clientlangversion": "1.12.3", "clientversion": "0.6.5"},
            "data": {"id": "w1"}
        }) else {
            unreachable!()
        };
        map
    }

    /// Values to try in each attribute: valid, invalid and borderline.
    fn variants() -> Vec<Value> {
        let texts = [
            "",
            "1.0",
            "1.0.1",
            "1.",
            "1.x",
            "2.0",
            "01.0",
            "1..0",
            "com:test:user:backend",
            "com.test.foo",
            "/a/b",
            "a//b",
            "//host/x",
            "1com:test",
            "a b",
            "http://x.y/z",
            "urn:ISSN:1535-3613",
            "%41",
            "é",
            "a:b:c",
            ":x",
            "2023-06-26T17:00:00Z",
            "2023-06-26T17:00:00",
            "2023-06-26 17:00:00.1+02:00",
            "2023-06-26t17:00:00z",
            "2023-06-26T17:00:00.Z",
            "2023-06-26T17:00:00+0200",
            "2023-6-26T17:00:00Z",
            "2023-06-26T17:00:00\n",
            "com.test.widgets.created.v1",
            "com.test.Bad.v1",
            "com.test.missing.v1",
            "application/json",
        ];
        let mut values: Vec<Value> = texts.iter().map(|t| json!(t)).collect();
        values.extend([
            json!(null),
            json!(1),
            json!(true),
            json!({}),
            json!([]),
            json!({"clientlang": "rust", "clientlangversion": "1", "clientversion": "0"}),
            json!({"clientlang": "rust"}),
            json!({"clientlang": 1, "clientlangversion": "1", "clientversion": "0"}),
            json!({"clientlang": "rust", "clientlangversion": "1", "clientversion": "0", "host": "a"}),
            json!({"id": "w2"}),
            json!({"id": 2}),
        ]);
        values
    }

    /// Errors quote a bounded excerpt of the message, whatever its size.
    #[test]
    fn decode_errors_quote_a_bounded_excerpt() {
        let schemas = Schemas::default();
        // 2.1 MB that is not JSON, and JSON nested past serde's recursion limit.
        let mut garbage = vec![b'x'; 2_100_000];
        garbage[0] = b'{';
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        for payload in [garbage.as_slice(), deep.as_bytes()] {
            let err = decode_event(payload, "com.test", &schemas).unwrap_err();
            let text = err.to_string();
            assert!(text.len() < 3 * 1024, "{} bytes", text.len());
            assert!(
                text.contains(&format!("… ({} bytes in all)", payload.len())),
                "{}",
                &text[text.len() - 200..]
            );
        }
    }

    /// Every event the one-pass path accepts, the full path accepts too,
    /// and decodes to the same event; and plain events do take the one-pass
    /// path.
    #[test]
    fn the_one_pass_path_agrees_with_the_schema() {
        let schemas = schemas();
        let mut plain = 0;
        let mut cases = 0;
        let mut events = vec![base()];
        for &key in ATTRIBUTES {
            for value in variants() {
                let mut event = base();
                event.insert(key.to_owned(), value.clone());
                events.push(event);
                let mut event = base();
                event.shift_remove(key);
                events.push(event);
            }
        }
        for event in events {
            let bytes = serde_json::to_vec(&event).expect("encode");
            cases += 1;
            let full = {
                let value: Value = serde_json::from_slice(&bytes).expect("json");
                validate_event(&value, "com.test", &schemas)
                    .ok()
                    .map(|_| Event::from_json(value).expect("event"))
            };
            if let Some(fast) = decode_plain(&bytes, "com.test", &schemas) {
                plain += 1;
                assert_eq!(
                    Some(&fast),
                    full.as_ref(),
                    "{}",
                    String::from_utf8_lossy(&bytes)
                );
            }
            assert_eq!(
                decode_event(&bytes, "com.test", &schemas).ok(),
                full,
                "{}",
                String::from_utf8_lossy(&bytes)
            );
        }
        assert!(
            plain > cases / 3,
            "only {plain} of {cases} took the one-pass path"
        );
        let bytes = serde_json::to_vec(&base()).expect("encode");
        assert!(decode_plain(&bytes, "com.test", &schemas).is_some());
        // As the Elixir client sends them.
        let mut elixir = base();
        elixir.insert("specversion".to_owned(), json!("1.0.1"));
        elixir.insert("dataschema".to_owned(), Value::Null);
        let bytes = serde_json::to_vec(&elixir).expect("encode");
        let event = decode_plain(&bytes, "com.test", &schemas).expect("one pass");
        assert_eq!(event.extension("dataschema"), Some(&Value::Null));
    }

    #[test]
    fn repeated_keys_and_trailing_bytes_go_the_full_way() {
        let schemas = schemas();
        let text = serde_json::to_string(&base()).expect("encode");
        let repeated = text.replacen('{', r#"{"id":"x","#, 1);
        assert!(decode_plain(repeated.as_bytes(), "com.test", &schemas).is_none());
        let trailing = format!("{text} x");
        assert!(decode_plain(trailing.as_bytes(), "com.test", &schemas).is_none());
        assert!(decode_event(trailing.as_bytes(), "com.test", &schemas).is_err());
    }
}
