//! Encoding an outgoing event straight to bytes: the envelope Polyn builds
//! on publish, written without an intermediate JSON value.

use std::sync::LazyLock;

use serde_json::Value;

use crate::envelope::ATTRIBUTES;
use crate::event::CONTENT_TYPE;
use crate::event::SPEC_VERSION;
use crate::event::{RUST_POLYNDATA, format_time};

/// The parts of an outgoing envelope that vary per event.
pub(crate) struct Envelope<'a> {
    pub(crate) id: &'a str,
    pub(crate) source: &'a str,
    pub(crate) event_type: &'a str,
    pub(crate) time: &'a str,
}

/// `"polyndata":{…}` for this crate, encoded once.
static POLYNDATA: LazyLock<Vec<u8>> =
    LazyLock::new(|| serde_json::to_vec(&*RUST_POLYNDATA).unwrap_or_else(|_| b"null".to_vec()));

/// The current time as Polyn sends it.
pub(crate) fn now() -> String {
    format_time(chrono::Utc::now())
}

/// Encodes the envelope with its `data`, byte for byte what
/// [`Event::to_bytes`](crate::Event::to_bytes) gives for an event built by
/// [`Event::new`](crate::Event::new) with the same fields.
pub(crate) fn encode(envelope: &Envelope<'_>, data: &Value) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(224 + POLYNDATA.len());
    // The attributes in the table's order; an event built by `Event::new`
    // has the first six.
    let values = [
        Some(SPEC_VERSION),
        Some(envelope.id),
        Some(envelope.source),
        Some(envelope.event_type),
        Some(envelope.time),
        Some(CONTENT_TYPE),
        None,
        None,
    ];
    let mut separator = b'{';
    for (attribute, value) in ATTRIBUTES.iter().zip(values) {
        if let Some(value) = value {
            out.push(separator);
            separator = b',';
            // Attribute names are lowercase ASCII: nothing to escape.
            out.push(b'"');
            out.extend_from_slice(attribute.name.as_bytes());
            out.extend_from_slice(b"\":");
            serde_json::to_writer(&mut out, value)?;
        }
    }
    out.extend_from_slice(b",\"polyndata\":");
    out.extend_from_slice(&POLYNDATA);
    out.extend_from_slice(b",\"data\":");
    serde_json::to_writer(&mut out, data)?;
    out.push(b'}');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use serde_json::json;

    #[test]
    fn matches_the_event_encoding_byte_for_byte() {
        let data = json!({"id": "w\"1\n", "name": "Sprocket ✓", "n": [1, 2.5, null]});
        let event = Event::new(
            "com.test.widgets.created.v1",
            "com:test:svc:a",
            data.clone(),
        )
        .with_id("id-\u{1}-é");
        let envelope = Envelope {
            id: event.id(),
            source: event.source(),
            event_type: event.event_type(),
            time: event.time().expect("time"),
        };
        let bytes = encode(&envelope, &data).expect("encode");
        assert_eq!(
            String::from_utf8(bytes).expect("utf-8"),
            String::from_utf8(event.to_bytes().expect("encode")).expect("utf-8")
        );
    }

    proptest::proptest! {
        /// Whatever the texts and the data, the encoder writes what
        /// `Event::to_bytes` writes, and what it writes reads back as the
        /// same event.
        #[test]
        fn encodes_any_event_as_the_event_does(
            id in "\\PC{1,24}",
            source in "[a-z:.]{1,24}",
            event_type in "\\PC{1,24}",
            data in proptest::collection::btree_map("\\PC{0,8}", "\\PC{0,8}", 0..4),
        ) {
            let data = serde_json::to_value(data).expect("a map of strings");
            let event = Event::new(event_type, source, data.clone()).with_id(id);
            let envelope = Envelope {
                id: event.id(),
                source: event.source(),
                event_type: event.event_type(),
                time: event.time().expect("time"),
            };
            let bytes = encode(&envelope, &data).expect("encode");
            proptest::prop_assert_eq!(&bytes, &event.to_bytes().expect("encode"));
            let back: Value = serde_json::from_slice(&bytes).expect("JSON");
            proptest::prop_assert_eq!(Event::from_json(back).expect("an event"), event);
        }
    }

    #[test]
    fn the_time_is_rfc3339_utc_with_microseconds() {
        let time = now();
        assert_eq!(time.len(), "2026-11-29T05:00:00.123456Z".len(), "{time}");
        assert!(time.ends_with('Z'));
    }
}
