//! Validating events: the envelope against Polyn's bundled CloudEvent schema,
//! then the name, then the payload against the message's own schema.

pub use crate::conversion_error::{Constraint, ConversionError};

use std::fmt;
use std::sync::{Arc, LazyLock};

use serde_json::Value;

use crate::excerpt::{Excerpt, MAX_PROBLEMS, PROBLEM_LIMIT, shortened};
use crate::naming;
use crate::protocol_text;
use crate::schema::{Schema, Schemas};

/// The cloud-event JSON Schema Polyn for Rust validates envelopes against.
///
/// It follows the Polyn protocol's schema (draft-07; `id`, `source`,
/// `specversion` and `type` required; `polyndata` checked when present;
/// other attributes allowed) and is lenient where the Polyn clients differ:
/// `time` may lack an offset, `specversion` may be any `1.x`.
///
/// ```
/// let schema: serde_json::Value = serde_json::from_str(polyn::validation::CLOUD_EVENT_SCHEMA)?;
/// assert_eq!(schema["required"], serde_json::json!(["id", "source", "specversion", "type"]));
/// # Ok::<(), serde_json::Error>(())
/// ```
pub const CLOUD_EVENT_SCHEMA: &str = include_str!("schema/cloud-event-schema.json");

static ENVELOPE: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let schema: Value = serde_json::from_str(CLOUD_EVENT_SCHEMA)
        .expect("the bundled cloud-event schema is JSON (checked by a unit test)");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the bundled cloud-event schema compiles (checked by a unit test)")
});

/// One thing wrong with an event.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// A JSON Schema violation in the envelope or the payload.
    Property {
        /// JSON pointer into the whole event, e.g. `/data/name` (empty for the event itself).
        pointer: String,
        /// What the validator reported.
        message: String,
    },
    /// The event `type`, without the domain, is not a valid message name.
    InvalidName {
        /// The rejected name.
        name: String,
    },
    /// No schema is registered for the message.
    SchemaNotFound {
        /// The message name looked up.
        name: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Property { pointer, message } => {
                write!(f, "Property: `#{pointer}` - {message}")
            }
            Problem::InvalidName { name } => {
                write!(f, "{}, got {name:?}", protocol_text::MESSAGE_NAME_RULE)
            }
            Problem::SchemaNotFound { name } => protocol_text::SchemaNotFound(name).fmt(f),
        }
    }
}

/// An event that failed validation, with every problem found.
///
/// Its text follows the Polyn layout: a header naming the event, one line per
/// problem with its JSON pointer, and the event itself as a trailer.
///
/// ```text
/// Polyn event 5d3c… from com:test:user:backend is not valid
/// Property: `#/data/name` - 1 is not of type "string"
/// Event data: {"specversion":"1.0",…}
/// ```
///
/// A message that is not a JSON object gets the header
/// `Polyn events need to follow the CloudEvent spec` and the trailer
/// `Message received: …` instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationError {
    id: Option<String>,
    source: Option<String>,
    is_object: bool,
    problems: Vec<Problem>,
    /// Problems found past [`MAX_PROBLEMS`], counted, not kept.
    omitted: usize,
    received: String,
    drift: Option<Box<crate::drift::Drift>>,
}

impl ValidationError {
    fn new(event: &Value, problems: impl IntoIterator<Item = Problem>) -> Self {
        let text = |key: &str| event.get(key).and_then(Value::as_str).map(str::to_owned);
        let mut kept = Vec::new();
        let mut omitted = 0;
        for problem in problems {
            if kept.len() < MAX_PROBLEMS {
                kept.push(problem);
            } else {
                omitted += 1;
            }
        }
        ValidationError {
            id: text("id"),
            source: text("source"),
            is_object: event.is_object(),
            problems: kept,
            omitted,
            received: event.to_string(),
            drift: None,
        }
    }

    /// Notes that the event's Rust type was generated from another schema
    /// than the store's: the likely cause of the failure.
    pub(crate) fn with_drift(mut self, drift: crate::drift::Drift) -> Self {
        self.drift = Some(Box::new(drift));
        self
    }

    /// When the event's Rust type has drifted from the schema store, how:
    /// the type and the store disagree about the schema.
    pub fn drift(&self) -> Option<&crate::drift::Drift> {
        self.drift.as_deref()
    }

    /// The `id` of the invalid event, when it had one.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The `source` of the invalid event, when it had one.
    pub fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    /// Everything found wrong, in order.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The whole event as received, as compact JSON.
    pub fn received(&self) -> &str {
        &self.received
    }

    /// Is the problem a missing schema (and nothing else)?
    pub fn is_schema_not_found(&self) -> bool {
        matches!(self.problems.as_slice(), [Problem::SchemaNotFound { .. }])
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_object {
            write!(
                f,
                "Polyn event {} from {} is not valid",
                self.id.as_deref().unwrap_or(""),
                self.source.as_deref().unwrap_or("")
            )?;
        } else {
            f.write_str("Polyn events need to follow the CloudEvent spec")?;
        }
        for problem in &self.problems {
            write!(f, "\n{problem}")?;
        }
        if self.omitted > 0 {
            write!(f, "\n… and {} more problems", self.omitted)?;
        }
        let trailer = if self.is_object {
            "Event data"
        } else {
            "Message received"
        };
        write!(f, "\n{trailer}: {}", Excerpt::of(self.received.as_bytes()))?;
        if let Some(drift) = &self.drift {
            write!(
                f,
                "\nNote: {drift}; rebuild the service from the schemas the store holds, or push \
                 the ones it was built with"
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationError {}

/// Validates a decoded event in the protocol's order: the envelope against
/// [`CLOUD_EVENT_SCHEMA`], then the message name (the `type` without
/// `domain`), then the schema lookup in `schemas`, then `data` (a missing
/// `data` counts as `null`) against that schema. Stops at the first stage
/// that fails and reports every problem of that stage.
///
/// Returns the payload schema, which says, for example, the identity property.
///
/// ```
/// use serde_json::json;
/// let mut schemas = polyn::schema::Schemas::new();
/// schemas.insert(polyn::schema::Schema::compile("user.created.v1", &json!({
///     "type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}))?);
///
/// let good = polyn::Event::new("com.test.user.created.v1", "com:test:user:backend", json!({"name": "Mary"}));
/// polyn::validation::validate_event(&good.to_json()?, "com.test", &schemas)?;
///
/// let bad = polyn::Event::new("com.test.user.created.v1", "com:test:user:backend", json!({"name": 1}));
/// let err = polyn::validation::validate_event(&bad.to_json()?, "com.test", &schemas).unwrap_err();
/// assert!(err.to_string().contains("Property: `#/data/name`"));
/// # Ok::<(), polyn::Error>(())
/// ```
pub fn validate_event<'s>(
    event: &Value,
    domain: &str,
    schemas: &'s Schemas,
) -> Result<&'s Arc<Schema>, ValidationError> {
    validate_envelope(event)?;
    let event_type = event
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let name = naming::trim_domain_prefix(domain, event_type);
    if !naming::is_message_name(name) {
        return Err(ValidationError::new(
            event,
            vec![Problem::InvalidName {
                name: name.to_owned(),
            }],
        ));
    }
    let Some(schema) = schemas.get(name) else {
        return Err(ValidationError::new(
            event,
            vec![Problem::SchemaNotFound {
                name: name.to_owned(),
            }],
        ));
    };
    validate_data(event, schema)?;
    Ok(schema)
}

/// Validates the envelope only, against [`CLOUD_EVENT_SCHEMA`].
///
/// ```
/// let err = polyn::validation::validate_envelope(&serde_json::json!({"id": "1"})).unwrap_err();
/// assert!(err.to_string().contains("\"source\" is a required property"));
/// ```
pub fn validate_envelope(event: &Value) -> Result<(), ValidationError> {
    if ENVELOPE.is_valid(event) {
        return Ok(());
    }
    let problems = ENVELOPE.iter_errors(event).map(|err| Problem::Property {
        pointer: err.instance_path().to_string(),
        message: shortened(err.to_string(), PROBLEM_LIMIT),
    });
    Err(ValidationError::new(event, problems))
}

/// Validates the event's `data` (or `null` when absent) against `schema`.
///
/// ```
/// use serde_json::json;
/// let schema = polyn::schema::Schema::compile("a.v1", &json!({"type": "object"}))?;
/// let err = polyn::validation::validate_data(&json!({"id": "1", "source": "s", "data": 3}), &schema).unwrap_err();
/// assert!(err.to_string().contains("Property: `#/data`"));
/// # Ok::<(), polyn::Error>(())
/// ```
pub fn validate_data(event: &Value, schema: &Schema) -> Result<(), ValidationError> {
    let data = event.get("data").unwrap_or(&Value::Null);
    if schema.is_valid(data) {
        return Ok(());
    }
    let problems = schema
        .each_violation(data)
        .map(|(pointer, message)| Problem::Property {
            pointer: format!("/data{pointer}"),
            message: shortened(message, PROBLEM_LIMIT),
        });
    Err(ValidationError::new(event, problems))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bundled_schema_compiles() {
        assert!(ENVELOPE.is_valid(&json!({"id":"1","source":"s","specversion":"1.0","type":"t"})));
    }

    #[test]
    fn reports_are_bounded_whatever_the_payload() {
        let schema = Schema::compile(
            "a.v1",
            &json!({"type": "array", "items": {"type": "string", "maxLength": 3}}),
        )
        .unwrap();
        // 5000 items of 1 KiB, each too long: 5000 problems quoting 1 KiB each.
        let items: Vec<Value> = (0..5000).map(|_| json!("x".repeat(1024))).collect();
        let event = json!({"id": "1", "source": "s", "data": items});
        let err = validate_data(&event, &schema).unwrap_err();
        assert_eq!(err.problems().len(), MAX_PROBLEMS);
        let text = err.to_string();
        assert!(text.contains("… and 4980 more problems"), "{text}");
        assert!(text.len() < 12 * 1024, "{} bytes", text.len());
        assert!(text.contains("bytes in all)"), "{text}");
    }
}
