//! Checking that a parsed JSON document is a JSON Schema the generator can
//! handle, so problems are reported with a JSON pointer instead of surfacing
//! as a typify panic or a pointer-less deserialisation error.
//!
//! Two kinds of problem are told apart: the document is not a valid JSON
//! Schema ([`Kind::Invalid`]: its draft's meta-schema rejects it, as
//! [`polyn_schemas::validate_meta_schema`] checks, or a `$ref` points to no
//! definition), or it is valid but uses a feature typify cannot turn into
//! Rust ([`Kind::Unsupported`]).

use serde_json::{Map, Value};

use polyn_schemas::{json_kind, keywords};

/// What is wrong, and where.
#[derive(Debug)]
pub(crate) struct Problem {
    pub(crate) kind: Kind,
    pub(crate) pointer: String,
    pub(crate) message: String,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Invalid,
    Unsupported,
}

/// Keywords typify reads as a count (`u32`).
const COUNT_KEYWORDS: &[&str] = &[
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
];

/// Checks a whole message schema whose root type is to be called
/// `type_name`.
pub(crate) fn check_root(root: &Value, type_name: &str) -> Result<(), Problem> {
    let Value::Object(object) = root else {
        return Err(problem(
            Kind::Invalid,
            "",
            format!(
                "a message schema must be a JSON object, got {}",
                json_kind(root)
            ),
        ));
    };
    polyn_schemas::validate_meta_schema(root)
        .map_err(|err| problem(Kind::Invalid, &err.pointer, err.reason()))?;
    if object.contains_key("definitions") && object.contains_key("$defs") {
        return Err(problem(
            Kind::Unsupported,
            "/$defs",
            "both `definitions` and `$defs` at the root; keep one of them".to_owned(),
        ));
    }
    let checker = Checker {
        definitions: object
            .get("definitions")
            .or_else(|| object.get("$defs"))
            .and_then(Value::as_object),
    };
    checker.schema(root, &mut String::new())?;
    check_as_draft_07(object)?;
    check_definition_names(object, type_name)
}

/// typify reads every schema as draft-07, whatever its `$schema`: a keyword
/// its own draft leaves undefined (`readOnly` in draft 4,
/// `additionalItems` in 2020-12) must still hold what draft-07 expects.
fn check_as_draft_07(root: &Map<String, Value>) -> Result<(), Problem> {
    if !root.contains_key("$schema") {
        return Ok(()); // Already checked as draft-07.
    }
    let mut as_draft_07 = root.clone();
    // Without `$schema`, the document is validated as draft-07.
    as_draft_07.remove("$schema");
    polyn_schemas::validate_meta_schema(&Value::Object(as_draft_07)).map_err(|err| {
        problem(
            Kind::Unsupported,
            &err.pointer,
            format!(
                "the generator reads schemas as draft-07, and as draft-07 this is invalid: {}; \
                 change the value, or leave this schema out with `Builder::skip`",
                err.message
            ),
        )
    })
}

/// typify names a definition after its key; one that would be named like
/// the root type would define the type twice.
fn check_definition_names(root: &Map<String, Value>, type_name: &str) -> Result<(), Problem> {
    use heck::ToPascalCase as _;
    for keyword in ["definitions", "$defs"] {
        let Some(definitions) = root.get(keyword).and_then(Value::as_object) else {
            continue;
        };
        for name in definitions.keys() {
            let rust_name = name
                .replace(|c: char| !c.is_alphanumeric() && c != '_', "-")
                .to_pascal_case();
            if rust_name == type_name {
                let mut pointer = String::new();
                push_token(&mut pointer, keyword);
                push_token(&mut pointer, name);
                return Err(problem(
                    Kind::Unsupported,
                    &pointer,
                    format!(
                        "the definition `{name}` would be the Rust type `{type_name}`, the name \
                         of the message's own type; rename the definition"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Walks a document its meta-schema accepted, for what typify cannot
/// express. Values that are not schemas are left alone: the meta-schema
/// has judged them.
struct Checker<'a> {
    /// The root's `definitions` (or `$defs`): the only `$ref` targets typify
    /// resolves.
    definitions: Option<&'a Map<String, Value>>,
}

impl Checker<'_> {
    fn schema(&self, schema: &Value, pointer: &mut String) -> Result<(), Problem> {
        let Value::Object(object) = schema else {
            return Ok(());
        };
        for (key, value) in object {
            let len = pointer.len();
            push_token(pointer, key);
            self.keyword(key, value, pointer)?;
            pointer.truncate(len);
        }
        check_integer_range(object, pointer)
    }

    fn keyword(&self, key: &str, value: &Value, pointer: &mut String) -> Result<(), Problem> {
        if keywords::SCHEMA.contains(&key) {
            return self.schema(value, pointer);
        }
        if keywords::SCHEMA_MAP.contains(&key) || key == "dependencies" {
            // `dependencies` also holds property lists, which `schema` skips.
            return match value {
                Value::Object(map) => {
                    self.each(map.iter().map(|(key, value)| (key.clone(), value)), pointer)
                }
                _ => Ok(()),
            };
        }
        if keywords::SCHEMA_ARRAY.contains(&key) || key == "items" {
            return match value {
                Value::Array(items) => self.each(
                    items
                        .iter()
                        .enumerate()
                        .map(|(index, value)| (index.to_string(), value)),
                    pointer,
                ),
                _ => self.schema(value, pointer),
            };
        }
        match (key, value) {
            ("if" | "then" | "else", _) => Err(problem(
                Kind::Unsupported,
                pointer,
                "`if`/`then`/`else` cannot be expressed as a Rust type; describe the cases \
                 with `oneOf`, or leave this schema out with `Builder::skip`"
                    .to_owned(),
            )),
            ("$ref", Value::String(reference)) => self.check_ref(reference, pointer),
            ("exclusiveMinimum" | "exclusiveMaximum", Value::Bool(_)) => Err(problem(
                Kind::Unsupported,
                pointer,
                format!(
                    "boolean `{key}` is draft-04 syntax, which the generator does not read; use \
                     the number form (`\"{key}\": <limit>`) of draft-06 and later"
                ),
            )),
            ("deprecated", value) if !value.is_boolean() => Err(problem(
                Kind::Unsupported,
                pointer,
                format!(
                    "the generator reads `deprecated` as a boolean, as draft 2019-09 defines it, \
                     got {}; write `true` or `false`",
                    json_kind(value)
                ),
            )),
            (key, Value::Number(count))
                if COUNT_KEYWORDS.contains(&key)
                    && count.as_u64().is_none_or(|n| u32::try_from(n).is_err()) =>
            {
                Err(problem(
                    Kind::Unsupported,
                    pointer,
                    format!(
                        "the generator reads `{key}` as a whole number up to {}, got {count}; \
                         write a whole number without a fraction, no larger than that",
                        u32::MAX
                    ),
                ))
            }
            // Everything else, including `default`, `const`, Polyn's
            // `identity` and `stream_config` and extension keywords.
            _ => Ok(()),
        }
    }

    /// Only `#`, `#/definitions/<name>` and `#/$defs/<name>` resolve in typify.
    fn check_ref(&self, reference: &str, pointer: &str) -> Result<(), Problem> {
        if reference == "#" {
            return Ok(());
        }
        let Some(local) = reference.strip_prefix('#') else {
            return Err(problem(
                Kind::Unsupported,
                pointer,
                format!(
                    "external `$ref` `{reference}`: only references inside the same file \
                     (`#/definitions/<name>` or `#/$defs/<name>`) are supported; copy the \
                     referenced schema into this file's `definitions`"
                ),
            ));
        };
        let name = local
            .strip_prefix("/definitions/")
            .or_else(|| local.strip_prefix("/$defs/"))
            .filter(|name| !name.contains('/'));
        let Some(name) = name else {
            return Err(problem(
                Kind::Unsupported,
                pointer,
                format!(
                    "`$ref` `{reference}` points inside another schema; only \
                     `#/definitions/<name>` and `#/$defs/<name>` are supported, so move the \
                     target into the root `definitions`"
                ),
            ));
        };
        let name = name.replace("~1", "/").replace("~0", "~");
        if self
            .definitions
            .is_some_and(|defs| defs.contains_key(&name))
        {
            Ok(())
        } else {
            Err(problem(
                Kind::Invalid,
                pointer,
                format!(
                    "`$ref` `{reference}` points to a definition that does not exist; add it \
                     to the root `definitions`, or fix the name"
                ),
            ))
        }
    }

    /// Checks each `(token, schema)`, the token appended to the pointer.
    fn each<'v>(
        &self,
        entries: impl Iterator<Item = (String, &'v Value)>,
        pointer: &mut String,
    ) -> Result<(), Problem> {
        for (token, value) in entries {
            let len = pointer.len();
            push_token(pointer, &token);
            self.schema(value, pointer)?;
            pointer.truncate(len);
        }
        Ok(())
    }
}

/// An integer whose bounds no Rust integer holds (below `i64::MIN`, above
/// `u64::MAX`, or negative and above `i64::MAX`) would accept values its
/// generated field cannot: refused here, naming the property.
fn check_integer_range(object: &Map<String, Value>, pointer: &str) -> Result<(), Problem> {
    let integer = match object.get("type") {
        Some(Value::String(name)) => name == "integer",
        Some(Value::Array(names)) => names.iter().any(|name| name == "integer"),
        _ => false,
    };
    if !integer {
        return Ok(());
    }
    let bound = |key: &str| object.get(key).and_then(Value::as_f64);
    let least = bound("minimum").or(bound("exclusiveMinimum"));
    let most = bound("maximum").or(bound("exclusiveMaximum"));
    // 2^63 and 2^64, exact in f64.
    const I64_END: f64 = 9_223_372_036_854_775_808.0;
    const U64_END: f64 = 18_446_744_073_709_551_616.0;
    let fits = match (least, most) {
        (Some(least), _) if least < -I64_END => false,
        (_, Some(most)) if most >= U64_END => false,
        (Some(least), Some(most)) if least < 0.0 && most >= I64_END => false,
        (None, Some(most)) if most >= I64_END => false,
        _ => true,
    };
    if fits {
        return Ok(());
    }
    let show =
        |value: Option<f64>| value.map_or_else(|| "unbounded".to_owned(), |v| format!("{v}"));
    let at = if pointer.is_empty() { "/" } else { pointer };
    Err(problem(
        Kind::Unsupported,
        at,
        format!(
            "an integer from {} to {} fits no Rust integer type (i64 holds -2^63 to 2^63-1, u64 0 \
             to 2^64-1), so values the schema accepts could not be decoded: narrow the bounds, \
             or make it a `number`",
            show(least),
            show(most)
        ),
    ))
}

/// Appends one JSON-pointer token, escaping `~` and `/`.
fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    pointer.push_str(&token.replace('~', "~0").replace('/', "~1"));
}

fn problem(kind: Kind, pointer: &str, message: String) -> Problem {
    Problem {
        kind,
        pointer: pointer.to_owned(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn problem(schema: Value) -> Problem {
        check_root(&schema, "TestV1").unwrap_err()
    }

    const DRAFT_04: &str = "http://json-schema.org/draft-04/schema#";
    const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

    #[test]
    fn accepts_rich_schemas_and_polyn_keywords() {
        let schema = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "identity": "id",
            "stream_config": {"max_age": 1},
            "type": "object",
            "definitions": {"A": {"type": "string", "pattern": "^a+$"}},
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "a": {"$ref": "#/definitions/A"},
                "self": {"$ref": "#"},
                "n": {"type": ["integer", "null"], "minimum": 0, "exclusiveMaximum": 10},
                "e": {"enum": ["x", "y"], "default": "x"},
                "l": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "o": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
                "m": {"type": "object", "additionalProperties": {"type": "number"}},
                "d": {"type": "string", "deprecated": true}
            },
            "dependencies": {"a": ["id"], "e": {"required": ["l"]}},
            "required": ["id"]
        });
        check_root(&schema, "TestV1").unwrap();
        let modern = json!({
            "$schema": DRAFT_2020_12,
            "$defs": {"A": {"type": "string"}},
            "properties": {"a": {"$ref": "#/$defs/A"}, "b": {"type": "string", "minLength": 1}}
        });
        check_root(&modern, "TestV1").unwrap();
    }

    /// The meta-schema's verdict, with its pointer: the document is not a
    /// valid JSON Schema.
    #[test]
    fn reports_pointer_of_invalid_keywords() {
        for (schema, pointer) in [
            (
                json!({"properties": {"a": {"type": "strin"}}}),
                "/properties/a/type",
            ),
            (json!({"required": "id"}), "/required"),
            (json!({"required": ["a", 3]}), "/required/1"),
            (
                json!({"properties": {"a/b": {"minLength": -1}}}),
                "/properties/a~1b/minLength",
            ),
            (json!({"anyOf": []}), "/anyOf"),
            (json!({"properties": 3}), "/properties"),
            (
                json!({"properties": {"a": {"pattern": "("}}}),
                "/properties/a/pattern",
            ),
            (json!({"items": [{"type": 7}]}), "/items"),
            (json!({"multipleOf": 0}), "/multipleOf"),
            (json!({"exclusiveMinimum": true}), "/exclusiveMinimum"),
            (json!({"$schema": DRAFT_2020_12, "items": [{}]}), "/items"),
        ] {
            let p = problem(schema.clone());
            assert_eq!(
                (p.kind, p.pointer.as_str()),
                (Kind::Invalid, pointer),
                "{schema}"
            );
            assert!(
                p.message.contains("meta-schema does not allow"),
                "{}",
                p.message
            );
        }
        let p = problem(json!({"properties": {"a": {"minLength": -1}}}));
        assert_eq!(
            p.message,
            "-1 is less than the minimum of 0, which the draft-07 meta-schema does not allow; \
             correct the value"
        );
        let p = problem(json!([1, 2]));
        assert_eq!((p.kind, p.pointer.as_str()), (Kind::Invalid, ""));
        assert!(p.message.contains("must be a JSON object"), "{}", p.message);
    }

    #[test]
    fn reports_unsupported_features() {
        for (schema, pointer) in [
            (
                json!({"properties": {"a": {"$ref": "other.json#/definitions/A"}}}),
                "/properties/a/$ref",
            ),
            (
                json!({"properties": {"a": {"$ref": "#/properties/b"}, "b": {}}}),
                "/properties/a/$ref",
            ),
            (json!({"if": {}, "then": {}}), "/if"),
            (json!({"allOf": [{"else": {}}]}), "/allOf/0/else"),
            (
                json!({"$schema": DRAFT_04, "minimum": 0, "exclusiveMinimum": true}),
                "/exclusiveMinimum",
            ),
            (json!({"definitions": {}, "$defs": {}}), "/$defs"),
            (
                json!({"properties": {"a": {"maxLength": 5_000_000_000_u64}}}),
                "/properties/a/maxLength",
            ),
            (json!({"minItems": 1.0}), "/minItems"),
            (json!({"deprecated": "yes"}), "/deprecated"),
        ] {
            let p = problem(schema.clone());
            assert_eq!(
                (p.kind, p.pointer.as_str()),
                (Kind::Unsupported, pointer),
                "{schema}"
            );
        }
    }

    /// A keyword the document's own draft does not define is still read as
    /// draft-07 defines it.
    #[test]
    fn keywords_are_read_as_draft_07_defines_them() {
        for (schema, pointer) in [
            (json!({"$schema": DRAFT_04, "readOnly": "x"}), "/readOnly"),
            (
                json!({"$schema": DRAFT_04, "properties": {"a": {"propertyNames": 3}}}),
                "/properties/a/propertyNames",
            ),
            (
                json!({"$schema": DRAFT_2020_12, "additionalItems": 3}),
                "/additionalItems",
            ),
        ] {
            let p = problem(schema.clone());
            assert_eq!(
                (p.kind, p.pointer.as_str()),
                (Kind::Unsupported, pointer),
                "{schema}"
            );
            assert!(
                p.message.contains("reads schemas as draft-07"),
                "{}",
                p.message
            );
        }
    }

    #[test]
    fn integers_no_rust_integer_holds_are_refused() {
        for bounds in [
            json!({"minimum": -1e19}),
            json!({"maximum": 1e20}),
            json!({"minimum": -1, "maximum": 1e19}),
            json!({"maximum": 1e19}),
        ] {
            let mut count = json!({"type": "integer"});
            count
                .as_object_mut()
                .unwrap()
                .extend(bounds.as_object().unwrap().clone());
            let p = problem(json!({"properties": {"count": count}}));
            assert_eq!(
                (p.kind, p.pointer.as_str()),
                (Kind::Unsupported, "/properties/count"),
                "{bounds}"
            );
            assert!(
                p.message.contains("fits no Rust integer type"),
                "{}",
                p.message
            );
        }
        // u64 and i64 ranges, and numbers, are fine.
        for fine in [
            json!({"type": "integer", "minimum": 0, "maximum": 1.8e19}),
            json!({"type": "integer", "minimum": -9.2e18, "maximum": 9.2e18}),
            json!({"type": "number", "maximum": 1e300}),
        ] {
            check_root(&json!({"properties": {"n": fine}}), "TestV1").expect("fits");
        }
    }

    #[test]
    fn a_definition_may_not_take_the_root_type_name() {
        let p = problem(json!({"definitions": {"testV1": {"type": "string"}}}));
        assert_eq!(
            (p.kind, p.pointer.as_str()),
            (Kind::Unsupported, "/definitions/testV1")
        );
        check_root(&json!({"definitions": {"Test": {}}}), "TestV1").unwrap();
    }

    #[test]
    fn missing_ref_target_is_invalid() {
        let p = problem(json!({"$defs": {"A": {}}, "properties": {"a": {"$ref": "#/$defs/B"}}}));
        assert_eq!(
            (p.kind, p.pointer.as_str()),
            (Kind::Invalid, "/properties/a/$ref")
        );
        check_root(
            &json!({"$defs": {"A": {}}, "properties": {"a": {"$ref": "#/$defs/A"}}}),
            "TestV1",
        )
        .unwrap();
    }
}
