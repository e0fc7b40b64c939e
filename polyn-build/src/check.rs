//! Checking that a parsed JSON document is a JSON Schema the generator can
//! handle, so problems are reported with a JSON pointer instead of surfacing
//! as a typify panic or a pointer-less deserialisation error.
//!
//! Two kinds of problem are told apart: the document is not a valid JSON
//! Schema ([`Kind::Invalid`]), or it is valid but uses a feature typify
//! cannot turn into Rust ([`Kind::Unsupported`]).

use serde_json::{Map, Value};

use polyn_schemas::keywords;

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

const STRING_KEYWORDS: &[&str] = &[
    "title",
    "description",
    "format",
    "$id",
    "$schema",
    "$comment",
    "$ref",
    "pattern",
];

const NUMBER_KEYWORDS: &[&str] = &["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"];

const COUNT_KEYWORDS: &[&str] = &[
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
];

const BOOL_KEYWORDS: &[&str] = &["uniqueItems", "readOnly", "writeOnly", "deprecated"];

const TYPES: &[&str] = &[
    "null", "boolean", "object", "array", "number", "string", "integer",
];

/// Checks a whole message schema whose root type is to be called
/// `type_name`.
pub(crate) fn check_root(root: &Value, type_name: &str) -> Result<(), Problem> {
    let Value::Object(object) = root else {
        return Err(invalid(
            "",
            format!(
                "a message schema must be a JSON object, got {}",
                kind_of(root)
            ),
        ));
    };
    if object.contains_key("definitions") && object.contains_key("$defs") {
        return Err(unsupported(
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
    check_definition_names(object, type_name)
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
                return Err(unsupported(
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

struct Checker<'a> {
    /// The root's `definitions` (or `$defs`): the only `$ref` targets typify
    /// resolves.
    definitions: Option<&'a Map<String, Value>>,
}

impl Checker<'_> {
    fn schema(&self, schema: &Value, pointer: &mut String) -> Result<(), Problem> {
        let object = match schema {
            Value::Bool(_) => return Ok(()),
            Value::Object(object) => object,
            other => {
                return Err(invalid(
                    pointer,
                    format!(
                        "a schema must be an object or a boolean, got {}",
                        kind_of(other)
                    ),
                ));
            }
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
        if keywords::SCHEMA_MAP.contains(&key) {
            let map = expect_object(value, pointer, "an object of schemas")?;
            return self.each_entry(map, pointer, |checker, value, pointer| {
                checker.schema(value, pointer)
            });
        }
        if keywords::SCHEMA_ARRAY.contains(&key) {
            let items = expect_array(value, pointer, "a non-empty array of schemas")?;
            if items.is_empty() {
                return Err(invalid(
                    pointer,
                    "must be a non-empty array of schemas".to_owned(),
                ));
            }
            return self.each_item(items, pointer, Self::schema);
        }
        match key {
            "items" => match value {
                Value::Array(items) => self.each_item(items, pointer, Self::schema),
                _ => self.schema(value, pointer),
            },
            "if" | "then" | "else" => Err(unsupported(
                pointer,
                "`if`/`then`/`else` cannot be expressed as a Rust type; describe the cases \
                 with `oneOf`, or leave this schema out with `Builder::skip`"
                    .to_owned(),
            )),
            "type" => check_type(value, pointer),
            "required" => {
                let items = expect_array(value, pointer, "an array of property names")?;
                for (index, item) in items.iter().enumerate() {
                    if !item.is_string() {
                        let len = pointer.len();
                        push_token(pointer, &index.to_string());
                        let problem = invalid(
                            pointer,
                            format!("must be a property name (string), got {}", kind_of(item)),
                        );
                        pointer.truncate(len);
                        return Err(problem);
                    }
                }
                Ok(())
            }
            "enum" => match value {
                Value::Array(items) if !items.is_empty() => Ok(()),
                _ => Err(invalid(pointer, "must be a non-empty array".to_owned())),
            },
            "examples" => expect_array(value, pointer, "an array").map(|_| ()),
            "multipleOf" => match value.as_f64() {
                Some(number) if number > 0.0 => Ok(()),
                _ => Err(invalid(
                    pointer,
                    "must be a number greater than 0".to_owned(),
                )),
            },
            "dependencies" => {
                let map = expect_object(value, pointer, "an object")?;
                self.each_entry(map, pointer, |checker, value, pointer| match value {
                    Value::Array(names) if names.iter().all(Value::is_string) => Ok(()),
                    Value::Array(_) => Err(invalid(
                        pointer,
                        "must be an array of property names".to_owned(),
                    )),
                    _ => checker.schema(value, pointer),
                })
            }
            "$ref" => {
                let reference = expect_string(value, pointer)?;
                self.check_ref(reference, pointer)
            }
            "pattern" => {
                let pattern = expect_string(value, pointer)?;
                regress::Regex::new(pattern).map(|_| ()).map_err(|err| {
                    invalid(
                        pointer,
                        format!("`{pattern}` is not a valid regular expression: {err}"),
                    )
                })
            }
            _ if STRING_KEYWORDS.contains(&key) => expect_string(value, pointer).map(|_| ()),
            _ if NUMBER_KEYWORDS.contains(&key) => {
                if value.is_number() {
                    Ok(())
                } else if value.is_boolean() && key.starts_with("exclusive") {
                    Err(unsupported(
                        pointer,
                        format!(
                            "boolean `{key}` is draft-04 syntax; use the number form \
                             (`\"{key}\": <limit>`) of draft-06 and later"
                        ),
                    ))
                } else {
                    Err(invalid(
                        pointer,
                        format!("must be a number, got {}", kind_of(value)),
                    ))
                }
            }
            _ if COUNT_KEYWORDS.contains(&key) => match value.as_u64() {
                Some(count) if u32::try_from(count).is_ok() => Ok(()),
                _ => Err(invalid(
                    pointer,
                    format!(
                        "must be a non-negative integer (at most {}), got {value}",
                        u32::MAX
                    ),
                )),
            },
            _ if BOOL_KEYWORDS.contains(&key) => {
                if value.is_boolean() {
                    Ok(())
                } else {
                    Err(invalid(
                        pointer,
                        format!("must be a boolean, got {}", kind_of(value)),
                    ))
                }
            }
            // `default`, `const`, Polyn's `identity` and `stream_config`, and
            // any other extension keyword: allowed and ignored.
            _ => Ok(()),
        }
    }

    /// Only `#`, `#/definitions/<name>` and `#/$defs/<name>` resolve in typify.
    fn check_ref(&self, reference: &str, pointer: &str) -> Result<(), Problem> {
        if reference == "#" {
            return Ok(());
        }
        let Some(local) = reference.strip_prefix('#') else {
            return Err(unsupported(
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
            return Err(unsupported(
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
            Err(invalid(
                pointer,
                format!("`$ref` `{reference}` points to a definition that does not exist"),
            ))
        }
    }

    fn each_entry(
        &self,
        map: &Map<String, Value>,
        pointer: &mut String,
        check: impl Fn(&Self, &Value, &mut String) -> Result<(), Problem>,
    ) -> Result<(), Problem> {
        for (key, value) in map {
            let len = pointer.len();
            push_token(pointer, key);
            check(self, value, pointer)?;
            pointer.truncate(len);
        }
        Ok(())
    }

    fn each_item(
        &self,
        items: &[Value],
        pointer: &mut String,
        check: impl Fn(&Self, &Value, &mut String) -> Result<(), Problem>,
    ) -> Result<(), Problem> {
        for (index, value) in items.iter().enumerate() {
            let len = pointer.len();
            push_token(pointer, &index.to_string());
            check(self, value, pointer)?;
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
    Err(unsupported(
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

fn check_type(value: &Value, pointer: &str) -> Result<(), Problem> {
    let check_one = |name: &Value| match name.as_str() {
        Some(name) if TYPES.contains(&name) => Ok(()),
        _ => Err(invalid(
            pointer,
            format!(
                "unknown type {name}, expected one of {}",
                TYPES
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    };
    match value {
        Value::Array(names) if !names.is_empty() => names.iter().try_for_each(check_one),
        Value::Array(_) => Err(invalid(
            pointer,
            "must be a type name or a non-empty array of them".to_owned(),
        )),
        _ => check_one(value),
    }
}

fn expect_object<'v>(
    value: &'v Value,
    pointer: &str,
    what: &str,
) -> Result<&'v Map<String, Value>, Problem> {
    value
        .as_object()
        .ok_or_else(|| invalid(pointer, format!("must be {what}, got {}", kind_of(value))))
}

fn expect_array<'v>(value: &'v Value, pointer: &str, what: &str) -> Result<&'v [Value], Problem> {
    value
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| invalid(pointer, format!("must be {what}, got {}", kind_of(value))))
}

fn expect_string<'v>(value: &'v Value, pointer: &str) -> Result<&'v str, Problem> {
    value
        .as_str()
        .ok_or_else(|| invalid(pointer, format!("must be a string, got {}", kind_of(value))))
}

/// Appends one JSON-pointer token, escaping `~` and `/`.
fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    pointer.push_str(&token.replace('~', "~0").replace('/', "~1"));
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn invalid(pointer: &str, message: String) -> Problem {
    Problem {
        kind: Kind::Invalid,
        pointer: pointer.to_owned(),
        message,
    }
}

fn unsupported(pointer: &str, message: String) -> Problem {
    Problem {
        kind: Kind::Unsupported,
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
                "m": {"type": "object", "additionalProperties": {"type": "number"}}
            },
            "required": ["id"]
        });
        check_root(&schema, "TestV1").unwrap();
    }

    #[test]
    fn reports_pointer_of_invalid_keywords() {
        let p = problem(json!({"properties": {"a": {"type": "strin"}}}));
        assert_eq!(
            (p.kind, p.pointer.as_str()),
            (Kind::Invalid, "/properties/a/type")
        );
        assert!(
            p.message.contains("unknown type \"strin\""),
            "{}",
            p.message
        );

        let p = problem(json!({"required": ["a", 3]}));
        assert_eq!(p.pointer, "/required/1");
        let p = problem(json!({"properties": {"a/b": {"minLength": -1}}}));
        assert_eq!(p.pointer, "/properties/a~1b/minLength");
        let p = problem(json!({"anyOf": []}));
        assert_eq!(p.pointer, "/anyOf");
        let p = problem(json!({"properties": 3}));
        assert_eq!(p.pointer, "/properties");
        let p = problem(json!({"properties": {"a": {"pattern": "("}}}));
        assert_eq!(p.pointer, "/properties/a/pattern");
        let p = problem(json!([1, 2]));
        assert_eq!((p.kind, p.pointer.as_str()), (Kind::Invalid, ""));
        let p = problem(json!({"items": [{"type": 7}]}));
        assert_eq!(p.pointer, "/items/0/type");
    }

    #[test]
    fn reports_unsupported_features() {
        let p = problem(json!({"properties": {"a": {"$ref": "other.json#/definitions/A"}}}));
        assert_eq!(
            (p.kind, p.pointer.as_str()),
            (Kind::Unsupported, "/properties/a/$ref")
        );
        let p = problem(json!({"properties": {"a": {"$ref": "#/properties/b"}, "b": {}}}));
        assert_eq!(p.kind, Kind::Unsupported);
        let p = problem(json!({"if": {}, "then": {}}));
        assert_eq!((p.kind, p.pointer.as_str()), (Kind::Unsupported, "/if"));
        let p = problem(json!({"exclusiveMinimum": true}));
        assert_eq!(p.kind, Kind::Unsupported);
        let p = problem(json!({"definitions": {}, "$defs": {}}));
        assert_eq!(p.kind, Kind::Unsupported);
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
