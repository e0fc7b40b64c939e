//! Where JSON Schema keywords hold subschemas, for the passes that walk a
//! schema (`check`, `prepare`). `items` (a schema or an array of them) and
//! `dependencies` (schemas or property lists) are handled by each pass.

/// Keywords whose value is a subschema.
pub(crate) const SCHEMA: &[&str] = &[
    "additionalProperties",
    "additionalItems",
    "contains",
    "propertyNames",
    "not",
    "unevaluatedProperties",
    "unevaluatedItems",
];

/// Keywords whose value is an object of subschemas.
pub(crate) const SCHEMA_MAP: &[&str] = &[
    "properties",
    "patternProperties",
    "definitions",
    "$defs",
    "dependentSchemas",
];

/// Keywords whose value is a non-empty array of subschemas.
pub(crate) const SCHEMA_ARRAY: &[&str] = &["allOf", "anyOf", "oneOf"];
