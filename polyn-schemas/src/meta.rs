//! Validating a document against the meta-schema of its JSON Schema draft,
//! with the `jsonschema` crate.

use std::fmt;

use jsonschema::Draft;
use serde_json::Value;

/// A document the meta-schema of its draft rejects: where, and why.
///
/// Only the first error is reported: fixing it often fixes the ones after
/// it, and the next run reports the next.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("at {}: {}", Place(&self.pointer), self.reason())]
#[non_exhaustive]
pub struct MetaSchemaError {
    /// JSON pointer to the rejected value (`""` is the whole document).
    pub pointer: String,
    /// What the validator found, e.g. `-1 is less than the minimum of 0`.
    pub message: String,
    /// The meta-schema applied: `draft-04`, `draft-06`, `draft-07`,
    /// `2019-09` or `2020-12`, or the `$schema` value when it names none of
    /// them.
    pub meta_schema: String,
    known: bool,
}

impl MetaSchemaError {
    /// What is wrong and what to do, without the place.
    ///
    /// ```
    /// use serde_json::json;
    /// let err = polyn_schemas::validate_meta_schema(&json!({"required": "id"})).unwrap_err();
    /// assert_eq!(
    ///     err.reason(),
    ///     "\"id\" is not of type \"array\", which the draft-07 meta-schema does not allow; \
    ///      correct the value"
    /// );
    /// ```
    pub fn reason(&self) -> String {
        if self.known {
            format!(
                "{}, which the {} meta-schema does not allow; correct the value",
                self.message, self.meta_schema
            )
        } else {
            format!(
                "`$schema` is `{}`, which names none of the drafts known here (draft-04, \
                 draft-06, draft-07, 2019-09, 2020-12): name one of them, or leave `$schema` \
                 out for draft-07",
                self.meta_schema
            )
        }
    }
}

/// Validates `document` against the meta-schema of its draft: the one its
/// `$schema` names, or draft-07 when it names none.
///
/// This is the meta-schema check of [`check_schemas`](crate::check_schemas),
/// for callers that check a single document.
///
/// ```
/// use serde_json::json;
/// use polyn_schemas::validate_meta_schema;
///
/// assert!(validate_meta_schema(&json!({"type": "string", "minLength": 1})).is_ok());
///
/// let err = validate_meta_schema(&json!({"properties": {"name": {"minLength": -1}}})).unwrap_err();
/// assert_eq!(err.pointer, "/properties/name/minLength");
/// assert_eq!(err.meta_schema, "draft-07");
/// assert_eq!(
///     err.to_string(),
///     "at `/properties/name/minLength`: -1 is less than the minimum of 0, which the draft-07 \
///      meta-schema does not allow; correct the value"
/// );
///
/// // Draft 4's boolean `exclusiveMinimum`, valid when the document says it is draft 4.
/// let draft4 = json!({"$schema": "http://json-schema.org/draft-04/schema#",
///                     "minimum": 0, "exclusiveMinimum": true});
/// assert!(validate_meta_schema(&draft4).is_ok());
/// ```
pub fn validate_meta_schema(document: &Value) -> Result<(), MetaSchemaError> {
    let declared = document.get("$schema");
    let (result, draft) = match declared {
        Some(_) => (
            jsonschema::meta::validate(document),
            Draft::default().detect(document),
        ),
        None => (jsonschema::draft7::meta::validate(document), Draft::Draft7),
    };
    let Err(err) = result else {
        return Ok(());
    };
    let name = match draft {
        Draft::Draft4 => Some("draft-04"),
        Draft::Draft6 => Some("draft-06"),
        Draft::Draft7 => Some("draft-07"),
        Draft::Draft201909 => Some("2019-09"),
        Draft::Draft202012 => Some("2020-12"),
        _ => None,
    };
    let meta_schema = match (name, declared) {
        (Some(name), _) => name.to_owned(),
        (None, Some(Value::String(uri))) => uri.clone(),
        (None, other) => other.map(Value::to_string).unwrap_or_default(),
    };
    Err(MetaSchemaError {
        pointer: err.instance_path().to_string(),
        message: err.to_string(),
        meta_schema,
        known: name.is_some(),
    })
}

/// A JSON pointer as a place: `` `/a/b` ``, or `the root`.
struct Place<'a>(&'a str);

impl fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("the root")
        } else {
            write!(f, "`{}`", self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pointer(document: Value) -> String {
        validate_meta_schema(&document)
            .expect_err("the meta-schema rejects it")
            .pointer
    }

    #[test]
    fn invalid_keyword_values_are_reported_with_their_pointer() {
        assert_eq!(
            pointer(json!({"properties": {"a/b": {"minLength": -1}}})),
            "/properties/a~1b/minLength"
        );
        assert_eq!(
            pointer(json!({"properties": {"a": {"type": "strin"}}})),
            "/properties/a/type"
        );
        assert_eq!(pointer(json!({"required": "id"})), "/required");
        assert_eq!(pointer(json!({"required": ["a", 3]})), "/required/1");
        assert_eq!(pointer(json!({"anyOf": []})), "/anyOf");
        assert_eq!(pointer(json!({"properties": 3})), "/properties");
        assert_eq!(pointer(json!({"multipleOf": 0})), "/multipleOf");
        assert_eq!(
            pointer(json!({"properties": {"a": {"pattern": "("}}})),
            "/properties/a/pattern"
        );
        assert_eq!(pointer(json!([1, 2])), "");
    }

    #[test]
    fn the_declared_draft_applies() {
        let err = validate_meta_schema(&json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "items": [{}]
        }))
        .unwrap_err();
        assert_eq!(
            (err.pointer.as_str(), err.meta_schema.as_str()),
            ("/items", "2020-12")
        );
        assert!(
            validate_meta_schema(&json!({
                "$schema": "http://json-schema.org/draft-07/schema#",
                "items": [{}]
            }))
            .is_ok()
        );
    }

    #[test]
    fn an_unknown_meta_schema_is_named() {
        let err =
            validate_meta_schema(&json!({"$schema": "https://example.com/meta"})).unwrap_err();
        assert_eq!(err.pointer, "");
        assert_eq!(err.meta_schema, "https://example.com/meta");
        assert!(
            err.to_string().starts_with(
                "at the root: `$schema` is `https://example.com/meta`, which names none of the \
                 drafts known here"
            ),
            "{err}"
        );
    }
}
