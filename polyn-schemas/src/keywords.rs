//! The JSON Schema keywords: which hold subschemas (for passes that walk a
//! schema) and every keyword of drafts 4 to 2020-12 plus Polyn's own (for
//! spotting misspelled ones).
//!
//! `items` (a schema or an array of them), `dependencies` (schemas or
//! property lists), `if`/`then`/`else`, `prefixItems` and `contentSchema`
//! are left to each pass, as their handling differs.
//!
//! ```
//! use polyn_schemas::keywords;
//! assert!(keywords::SCHEMA_MAP.contains(&"properties"));
//! assert!(keywords::is_known("required"));
//! assert!(keywords::is_known("identity"));
//! assert!(!keywords::is_known("requried"));
//! ```

/// Keywords whose value is a subschema.
pub const SCHEMA: &[&str] = &[
    "additionalProperties",
    "additionalItems",
    "contains",
    "propertyNames",
    "not",
    "unevaluatedProperties",
    "unevaluatedItems",
];

/// Keywords whose value is an object of subschemas.
pub const SCHEMA_MAP: &[&str] = &[
    "properties",
    "patternProperties",
    "definitions",
    "$defs",
    "dependentSchemas",
];

/// Keywords whose value is a non-empty array of subschemas.
pub const SCHEMA_ARRAY: &[&str] = &["allOf", "anyOf", "oneOf"];

/// The keywords Polyn adds at a payload schema's root: `identity` (the
/// property appended to the subject) and `stream_config`.
pub const POLYN: &[&str] = &["identity", "stream_config"];

/// Every keyword of JSON Schema drafts 4, 6, 7, 2019-09 and 2020-12.
pub const STANDARD: &[&str] = &[
    // Core.
    "$schema",
    "$id",
    "id",
    "$ref",
    "$defs",
    "definitions",
    "$comment",
    "$anchor",
    "$dynamicRef",
    "$dynamicAnchor",
    "$recursiveRef",
    "$recursiveAnchor",
    "$vocabulary",
    // Applicators.
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependencies",
    "prefixItems",
    "items",
    "additionalItems",
    "contains",
    "properties",
    "patternProperties",
    "additionalProperties",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    // Validation.
    "type",
    "enum",
    "const",
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxContains",
    "minContains",
    "maxProperties",
    "minProperties",
    "required",
    "dependentRequired",
    "format",
    // Content.
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
    // Annotations.
    "title",
    "description",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
    "examples",
];

/// A standard keyword, a Polyn one, or an extension annotation (`x-…`)?
pub fn is_known(keyword: &str) -> bool {
    keyword.starts_with("x-") || STANDARD.contains(&keyword) || POLYN.contains(&keyword)
}

/// The known keyword `keyword` is most likely a misspelling of.
///
/// ```
/// assert_eq!(polyn_schemas::keywords::suggestion("requried"), Some("required"));
/// assert_eq!(polyn_schemas::keywords::suggestion("propertes"), Some("properties"));
/// assert_eq!(polyn_schemas::keywords::suggestion("colour"), None);
/// ```
pub fn suggestion(keyword: &str) -> Option<&'static str> {
    polyn_naming::did_you_mean(keyword, STANDARD.iter().chain(POLYN).copied())
}
