//! Compiled payload schemas and the set of them a client validates against.

pub use crate::compatibility::{Incompatibility, check_compatibility, incompatibilities};
pub use crate::drift::{Drift, DriftPolicy};
pub use crate::registry::{PushPlan, Registry, SCHEMAS_BUCKET};
pub use crate::schema_store::SchemaStore;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::error::Error;

/// A message's payload JSON Schema, compiled once and reused.
///
/// Drafts: a schema that names its `$schema` is read under that draft; one
/// that does not (like the Polyn CLI's templates) is read as draft-07, the
/// draft of the Polyn ecosystem. `format` is asserted (`date-time`, `uuid`,
/// `email`, …). The Polyn keywords `identity` and `stream_config` are
/// ignored by validation; `identity` is read for the subject (see
/// [`naming::subject`](crate::naming::subject)).
///
/// ```
/// use serde_json::json;
/// let schema = polyn::schema::Schema::compile("widgets.created.v1", &json!({
///     "type": "object",
///     "properties": {"id": {"type": "string"}},
///     "required": ["id"],
///     "identity": "id"
/// }))?;
/// assert!(schema.is_valid(&json!({"id": "w1"})));
/// assert!(!schema.is_valid(&json!({"id": 1})));
/// assert_eq!(schema.identity(), Some("id"));
/// # Ok::<(), polyn::Error>(())
/// ```
pub struct Schema {
    name: String,
    json: Value,
    identity: Option<String>,
    digest: String,
    validator: jsonschema::Validator,
}

impl Schema {
    /// Compiles the payload schema of the message `name`.
    ///
    /// Fails with [`Error::InvalidMessageName`] for a bad name and
    /// [`Error::InvalidSchema`] when `schema` is not a JSON Schema.
    pub fn compile(name: &str, schema: &Value) -> Result<Self, Error> {
        crate::naming::validate_message_name(name)?;
        let invalid = |reason: String| Error::InvalidSchema {
            name: name.to_owned(),
            reason,
            source: None,
        };
        if !schema.is_object() && !schema.is_boolean() {
            return Err(invalid(format!(
                "a JSON Schema is an object or a boolean, got {schema}"
            )));
        }
        let mut options = jsonschema::options().should_validate_formats(true);
        if schema.get("$schema").is_none() {
            options = options.with_draft(jsonschema::Draft::Draft7);
        }
        let validator = options.build(schema).map_err(|err| Error::InvalidSchema {
            name: name.to_owned(),
            reason: format!("{err} at `{}`", err.schema_path()),
            source: Some(Box::new(err)),
        })?;
        let identity = match schema.get("identity") {
            None => None,
            Some(Value::String(prop)) if !prop.is_empty() => Some(prop.clone()),
            Some(other) => {
                return Err(invalid(format!(
                    "`identity` must name a property of the payload, got {other}"
                )));
            }
        };
        Ok(Schema {
            name: name.to_owned(),
            json: schema.clone(),
            identity,
            digest: polyn_schemas::schema_digest(schema),
            validator,
        })
    }

    /// Parses and compiles a schema from its JSON text (as stored in KV).
    ///
    /// ```
    /// let schema = polyn::schema::Schema::from_json_str("ping.v1", r#"{"type":"object"}"#)?;
    /// assert_eq!(schema.name(), "ping.v1");
    /// # Ok::<(), polyn::Error>(())
    /// ```
    pub fn from_json_str(name: &str, text: &str) -> Result<Self, Error> {
        let json: Value = serde_json::from_str(text).map_err(|err| Error::InvalidSchema {
            name: name.to_owned(),
            reason: format!("not JSON: {err}"),
            source: Some(Box::new(err)),
        })?;
        Self::compile(name, &json)
    }

    /// The message name this schema belongs to.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The schema document.
    pub fn json(&self) -> &Value {
        &self.json
    }

    /// SHA-256 (hex) of the schema's canonical JSON: what a generated type's
    /// [`EventType::SCHEMA_DIGEST`](crate::EventType::SCHEMA_DIGEST) is
    /// compared with to detect drift.
    ///
    /// ```
    /// let a = polyn::schema::Schema::from_json_str("ping.v1", r#"{"type":"object","title":"P"}"#)?;
    /// let b = polyn::schema::Schema::from_json_str("ping.v1", r#"{ "title": "P", "type": "object" }"#)?;
    /// assert_eq!(a.digest(), b.digest());
    /// # Ok::<(), polyn::Error>(())
    /// ```
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// The payload property whose value is appended to the subject, if any.
    pub fn identity(&self) -> Option<&str> {
        self.identity.as_deref()
    }

    /// Does `data` satisfy the schema?
    pub fn is_valid(&self, data: &Value) -> bool {
        self.validator.is_valid(data)
    }

    /// Every violation of the schema by `data`, as (JSON pointer within
    /// `data`, message) pairs. Empty when `data` is valid.
    pub fn violations(&self, data: &Value) -> Vec<(String, String)> {
        self.each_violation(data).collect()
    }

    /// [`violations`](Schema::violations), one at a time.
    pub(crate) fn each_violation<'a>(
        &'a self,
        data: &'a Value,
    ) -> impl Iterator<Item = (String, String)> + 'a {
        self.validator
            .iter_errors(data)
            .map(|err| (err.instance_path().to_string(), err.to_string()))
    }
}

impl fmt::Debug for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Schema")
            .field("name", &self.name)
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

/// An immutable set of compiled schemas, keyed by message name.
///
/// Cheap to clone (schemas are shared); the schema store swaps in a new set
/// when the `POLYN_SCHEMAS` bucket changes.
///
/// ```
/// let mut schemas = polyn::schema::Schemas::new();
/// schemas.insert(polyn::schema::Schema::from_json_str("ping.v1", r#"{"type":"object"}"#)?);
/// assert!(schemas.get("ping.v1").is_some());
/// assert!(schemas.get("pong.v1").is_none());
/// # Ok::<(), polyn::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Schemas {
    by_name: HashMap<String, Arc<Schema>>,
}

impl Schemas {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces the schema of one message.
    pub fn insert(&mut self, schema: Schema) {
        self.by_name.insert(schema.name.clone(), Arc::new(schema));
    }

    /// Removes the schema of one message, returning it.
    pub fn remove(&mut self, name: &str) -> Option<Arc<Schema>> {
        self.by_name.remove(name)
    }

    /// The schema of one message.
    pub fn get(&self, name: &str) -> Option<&Arc<Schema>> {
        self.by_name.get(name)
    }

    /// The schema of one message, or the protocol's
    /// [`Error::SchemaNotFound`].
    pub fn require(&self, name: &str) -> Result<&Arc<Schema>, Error> {
        self.get(name).ok_or_else(|| Error::SchemaNotFound {
            name: name.to_owned(),
        })
    }

    /// The message names in the set, in no particular order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }

    /// How many schemas the set holds.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Is the set empty?
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formats_are_asserted_under_the_default_draft() {
        let schema = Schema::compile(
            "a.v1",
            &json!({"type":"object","properties":{"at":{"type":"string","format":"date-time"}}}),
        )
        .unwrap();
        assert!(schema.is_valid(&json!({"at": "2023-06-26T17:00:00Z"})));
        assert!(!schema.is_valid(&json!({"at": "yesterday"})));
    }

    #[test]
    fn cli_style_ids_and_polyn_keywords_compile() {
        for id in ["money:amount:v1", "foo", "widgets:created:v1"] {
            let schema = Schema::compile(
                "money.amount.v1",
                &json!({"$id": id, "type": "object", "identity": "currency",
                        "stream_config": {"max_age": 10}}),
            )
            .unwrap();
            assert_eq!(schema.identity(), Some("currency"));
        }
    }

    #[test]
    fn invalid_schemas_name_the_message() {
        let err = Schema::compile("a.v1", &json!({"type": "nonsense"})).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("Schemas must be valid JSONSchema documents"),
            "{text}"
        );
        assert!(text.contains("`a.v1`"), "{text}");
        assert!(Schema::from_json_str("a.v1", "{not json").is_err());
        assert!(Schema::compile("a.v1", &json!(42)).is_err());
        assert!(Schema::compile("bad name", &json!({})).is_err());
        assert!(Schema::compile("a.v1", &json!({"identity": 3})).is_err());
    }

    #[test]
    fn violations_carry_pointers() {
        let schema = Schema::compile(
            "a.v1",
            &json!({"type":"object","properties":{"n":{"type":"integer"}},"required":["m"]}),
        )
        .unwrap();
        let violations = schema.violations(&json!({"n": "x"}));
        assert_eq!(violations.len(), 2, "{violations:?}");
        assert!(violations.iter().any(|(p, _)| p == "/n"));
        assert!(
            violations
                .iter()
                .any(|(p, m)| p.is_empty() && m.contains("\"m\""))
        );
    }
}
