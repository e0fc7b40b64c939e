//! Property tests of decoding and of loading schemas, on generated input:
//! the one-pass decoder agrees with the full path (the bundled
//! cloud-event schema, then the payload schema) on every generated
//! envelope, valid or not; no input makes decoding or schema loading
//! panic; and errors stay bounded.
//!
//! CI runs the default number of cases; `scripts/fuzz` runs many more
//! (`PROPTEST_CASES`).

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::tests::{ATTRIBUTES, base, schemas};
use super::{decode_event, decode_plain};
use crate::event::Event;
use crate::schema::Schema;
use crate::validation::validate_event;

/// Strings that matter to the envelope's rules, and some that break them.
const TEXTS: &[&str] = &[
    "",
    "1.0",
    "1.0.1",
    "0.3",
    "com.test.widgets.created.v1",
    "com.test.other.thing.v1",
    "com.test.Not A Name",
    "com:test:user:backend",
    "not a uri reference \u{7f}",
    "2023-06-26T17:00:00Z",
    "2023-06-26 17:00:00.5+02:00",
    "yesterday",
    "application/json",
    "w1",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "[a-z0-9.:_ \\-]{0,12}".prop_map(Value::String),
        prop::sample::select(TEXTS).prop_map(|text| json!(text)),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// What happens to one attribute of the base envelope.
#[derive(Clone, Debug)]
enum Change {
    Keep,
    Remove,
    Set(Value),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        3 => Just(Change::Keep),
        1 => Just(Change::Remove),
        2 => json_value().prop_map(Change::Set),
    ]
}

/// Envelopes near the valid one: each attribute kept, removed or replaced,
/// plus extension attributes.
fn envelope() -> impl Strategy<Value = Value> {
    (
        prop::collection::vec(change(), ATTRIBUTES.len()),
        prop::collection::btree_map("[a-z]{1,8}", json_value(), 0..3),
    )
        .prop_map(|(changes, extensions)| {
            let mut event: Map<String, Value> = base();
            for (key, change) in ATTRIBUTES.iter().zip(changes) {
                match change {
                    Change::Keep => {}
                    Change::Remove => {
                        event.remove(*key);
                    }
                    Change::Set(value) => {
                        event.insert((*key).to_owned(), value);
                    }
                }
            }
            for (key, value) in extensions {
                event.entry(key).or_insert(value);
            }
            Value::Object(event)
        })
}

/// The full path: parse, validate in the protocol's order, build the event.
fn full_path(bytes: &[u8]) -> Option<Event<Value>> {
    let value: Value = serde_json::from_slice(bytes).ok()?;
    validate_event(&value, "com.test", &schemas()).ok()?;
    Event::from_json(value).ok()
}

proptest! {
    #[test]
    fn the_one_pass_path_agrees_with_the_full_path(event in envelope()) {
        let bytes = serde_json::to_vec(&event).expect("encode");
        let schemas = schemas();
        let full = full_path(&bytes);
        if let Some(fast) = decode_plain(&bytes, "com.test", &schemas) {
            prop_assert_eq!(Some(&fast), full.as_ref(), "{}", event);
        }
        prop_assert_eq!(decode_event(&bytes, "com.test", &schemas).ok(), full);
    }

    #[test]
    fn no_bytes_make_decoding_panic_or_report_unbounded(
        bytes in prop::collection::vec(any::<u8>(), 0..4096)
    ) {
        if let Err(err) = decode_event(&bytes, "com.test", &schemas()) {
            prop_assert!(err.to_string().len() < 8 * 1024);
        }
    }

    #[test]
    fn no_document_makes_schema_loading_panic(
        schema in json_value(),
        data in json_value(),
        text in "\\PC{0,64}",
    ) {
        if let Ok(schema) = Schema::compile("a.thing.v1", &schema) {
            // Checking is total: an answer for every value, and a list of
            // violations exactly when it is invalid.
            prop_assert_eq!(schema.is_valid(&data), schema.violations(&data).is_empty());
        }
        let _ = Schema::from_json_str("a.thing.v1", &text);
    }
}
