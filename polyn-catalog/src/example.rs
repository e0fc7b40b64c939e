//! Example data for a schema: `examples`, `default`, `const` or the first
//! `enum` value where the schema gives one, otherwise values built to fit
//! its types, formats and bounds; checked against the schema itself.

use polyn::schema::Schema;
use serde_json::{Map, Number, Value};

use crate::properties::{properties_of, required_of, resolve};

/// How deep nested schemas are followed.
const MAX_DEPTH: usize = 24;
/// How many `oneOf`/`anyOf` alternatives are tried.
const MAX_ALTERNATIVES: usize = 8;
/// How many values one example holds at most: past it, optional
/// properties are left out (a schema whose `$ref`s fan out could otherwise
/// expand without end).
const MAX_VALUES: usize = 5_000;
/// The longest string and the longest array built to meet a lower bound.
const MAX_LENGTH: usize = 1_000;

/// Example data for a message, and why it does not validate when no
/// candidate did.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Example {
    pub(crate) data: Value,
    /// Empty when `data` satisfies the schema.
    pub(crate) problems: Vec<String>,
}

/// Example data for the message `name` with payload schema `schema`: the
/// first candidate (every property, then only the required ones, for each
/// choice of alternatives) that satisfies the schema.
pub(crate) fn example(name: &str, schema: &Value) -> Example {
    let compiled = Schema::compile(name, schema);
    let alternatives = alternatives(schema, 0).clamp(1, MAX_ALTERNATIVES);
    let mut first: Option<Value> = None;
    for choice in 0..alternatives {
        for optional in [true, false] {
            let data = generate(schema, Choices { optional, choice });
            match &compiled {
                Ok(compiled) if compiled.is_valid(&data) => {
                    return Example {
                        data,
                        problems: Vec::new(),
                    };
                }
                Ok(_) => {}
                Err(err) => {
                    return Example {
                        data,
                        problems: vec![format!("the schema does not compile: {err}")],
                    };
                }
            }
            first.get_or_insert(data);
        }
    }
    let data = first.unwrap_or(Value::Null);
    let problems = match &compiled {
        Ok(compiled) => compiled
            .violations(&data)
            .into_iter()
            .map(|(at, problem)| {
                if at.is_empty() {
                    problem
                } else {
                    format!("at `{at}`: {problem}")
                }
            })
            .collect(),
        Err(err) => vec![format!("the schema does not compile: {err}")],
    };
    Example { data, problems }
}

/// Which candidate to build.
#[derive(Clone, Copy, Debug)]
struct Choices {
    /// Include properties that are not required.
    optional: bool,
    /// The alternative taken at every `oneOf`/`anyOf` (the last one when
    /// there are fewer).
    choice: usize,
}

/// One candidate for `schema`.
fn generate(schema: &Value, choices: Choices) -> Value {
    let mut builder = Builder {
        root: schema,
        choices,
        refs: Vec::new(),
        values: 0,
    };
    builder.value(schema, "", 0, 0).unwrap_or(Value::Null)
}

/// The largest number of alternatives of any `oneOf`/`anyOf` in `schema`.
fn alternatives(schema: &Value, depth: usize) -> usize {
    if depth > MAX_DEPTH {
        return 0;
    }
    let here = ["oneOf", "anyOf"]
        .iter()
        .filter_map(|keyword| schema.get(*keyword).and_then(Value::as_array))
        .map(Vec::len)
        .max()
        .unwrap_or(0);
    let inner = match schema {
        Value::Object(fields) => fields
            .values()
            .map(|value| alternatives(value, depth + 1))
            .max()
            .unwrap_or(0),
        Value::Array(items) => items
            .iter()
            .map(|value| alternatives(value, depth + 1))
            .max()
            .unwrap_or(0),
        _ => 0,
    };
    here.max(inner)
}

struct Builder<'a> {
    root: &'a Value,
    choices: Choices,
    /// The `$ref`s being expanded, to stop at a cycle.
    refs: Vec<String>,
    /// How many values were made so far.
    values: usize,
}

impl Builder<'_> {
    /// A value for `schema`; `key` is the property it is for, `vary` its
    /// index in an array (so unique items differ). `None` when no value
    /// can be made (a `false` schema, a recursive reference).
    fn value(&mut self, schema: &Value, key: &str, vary: usize, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH || self.values >= MAX_VALUES {
            return None;
        }
        self.values += 1;
        match schema {
            Value::Bool(false) => return None,
            Value::Bool(true) => return Some(Value::Null),
            _ => {}
        }
        let (schema, reference) = resolve(self.root, schema);
        if let Some(reference) = &reference {
            if self.refs.contains(reference) {
                return None;
            }
            self.refs.push(reference.clone());
        }
        let value = self.fresh(&schema, key, vary, depth);
        if reference.is_some() {
            self.refs.pop();
        }
        value
    }

    fn fresh(&mut self, schema: &Value, key: &str, vary: usize, depth: usize) -> Option<Value> {
        let merged = all_of_merged(self.root, schema, &mut self.refs.clone());
        let schema = &merged;
        if let Some(Value::Array(examples)) = schema.get("examples")
            && let Some(example) = examples.get(vary.min(examples.len().saturating_sub(1)))
        {
            return Some(example.clone());
        }
        if let Some(value) = schema.get("const") {
            return Some(value.clone());
        }
        if vary == 0
            && let Some(value) = schema.get("default")
        {
            return Some(value.clone());
        }
        if let Some(Value::Array(values)) = schema.get("enum")
            && !values.is_empty()
        {
            return Some(values[vary % values.len()].clone());
        }
        let alternative = ["oneOf", "anyOf"].iter().find_map(|keyword| {
            let options = schema.get(*keyword)?.as_array()?;
            options.get(self.choices.choice.min(options.len().checked_sub(1)?))
        });
        let mut value = match kind(schema) {
            Some("object") => self.object(schema, depth),
            Some("array") => self.array(schema, key, depth),
            Some("string") => Some(Value::String(string(schema, key, vary))),
            Some("integer") => Some(integer(schema, vary)),
            Some("number") => Some(number(schema, vary)),
            Some("boolean") => Some(Value::Bool(true)),
            _ => None,
        };
        if let Some(alternative) = alternative {
            let chosen = self.value(alternative, key, vary, depth + 1)?;
            value = Some(match (value, chosen) {
                (Some(Value::Object(mut own)), Value::Object(more)) => {
                    own.extend(more);
                    Value::Object(own)
                }
                (Some(Value::Object(own)), other) if own.is_empty() => other,
                (_, chosen) => chosen,
            });
        }
        Some(value.unwrap_or(Value::Null))
    }

    fn object(&mut self, schema: &Value, depth: usize) -> Option<Value> {
        let required = required_of(self.root, schema);
        let mut object = Map::new();
        for (name, property) in properties_of(self.root, schema) {
            let needed = required.contains(&name);
            if !needed && !self.choices.optional {
                continue;
            }
            match self.value(&property, &name, 0, depth + 1) {
                Some(value) => {
                    object.insert(name, value);
                }
                None if needed => {
                    object.insert(name, Value::Null);
                }
                None => {}
            }
        }
        for name in required {
            if !object.contains_key(&name) {
                let value = match schema.get("additionalProperties") {
                    Some(extra @ Value::Object(_)) => self.value(extra, &name, 0, depth + 1),
                    _ => None,
                };
                let value = value.unwrap_or_else(|| Value::String(format!("example-{name}")));
                object.insert(name, value);
            }
        }
        Some(Value::Object(object))
    }

    fn array(&mut self, schema: &Value, key: &str, depth: usize) -> Option<Value> {
        let min = schema
            .get("minItems")
            .and_then(Value::as_u64)
            .unwrap_or(0)
            .min(MAX_LENGTH as u64);
        let max = schema.get("maxItems").and_then(Value::as_u64);
        let mut items = Vec::new();
        match schema.get("items") {
            Some(Value::Array(tuple)) => {
                for (index, item) in tuple.iter().enumerate() {
                    items.push(self.value(item, key, index, depth + 1)?);
                }
            }
            Some(item) => {
                let count = match max {
                    Some(max) => min.max(1).min(max),
                    None => min.max(1),
                };
                for index in 0..count {
                    let index = usize::try_from(index).unwrap_or(usize::MAX);
                    match self.value(item, key, index, depth + 1) {
                        Some(value) => items.push(value),
                        None if min == 0 => break,
                        None => items.push(Value::Null),
                    }
                }
            }
            None => {
                for index in 0..min {
                    items.push(Value::String(format!("example-{index}")));
                }
            }
        }
        Some(Value::Array(items))
    }
}

/// `schema` with the parts of its `allOf` merged in: their properties and
/// required lists added, their other keywords where `schema` has none.
/// `refs` are the `$ref`s being expanded: a part referring back to one of
/// them is left out.
fn all_of_merged(root: &Value, schema: &Value, refs: &mut Vec<String>) -> Value {
    let (Value::Object(fields), Some(Value::Array(parts))) = (schema, schema.get("allOf")) else {
        return schema.clone();
    };
    if refs.len() > MAX_DEPTH {
        return schema.clone();
    }
    let mut merged = fields.clone();
    merged.shift_remove("allOf");
    for part in parts {
        let (part, reference) = resolve(root, part);
        if let Some(reference) = &reference {
            if refs.contains(reference) {
                continue;
            }
            refs.push(reference.clone());
        }
        let merged_part = all_of_merged(root, &part, refs);
        if reference.is_some() {
            refs.pop();
        }
        let Value::Object(part) = merged_part else {
            continue;
        };
        for (key, value) in part {
            match (key.as_str(), merged.get_mut(&key), value) {
                ("properties", Some(Value::Object(own)), Value::Object(more)) => {
                    for (name, property) in more {
                        own.entry(name).or_insert(property);
                    }
                }
                ("required", Some(Value::Array(own)), Value::Array(more)) => {
                    for name in more {
                        if !own.contains(&name) {
                            own.push(name);
                        }
                    }
                }
                (_, Some(_), _) => {}
                (_, None, value) => {
                    merged.insert(key, value);
                }
            }
        }
    }
    Value::Object(merged)
}

/// The type a value is built as: the first non-null `type`, or what the
/// other keywords imply.
fn kind(schema: &Value) -> Option<&str> {
    match schema.get("type") {
        Some(Value::String(kind)) => return Some(kind.as_str()),
        Some(Value::Array(kinds)) => {
            let named: Vec<&str> = kinds.iter().filter_map(Value::as_str).collect();
            return named
                .iter()
                .find(|kind| **kind != "null")
                .or_else(|| named.first())
                .copied();
        }
        _ => {}
    }
    let has = |keys: &[&str]| keys.iter().any(|key| schema.get(*key).is_some());
    if has(&["properties", "required", "additionalProperties"]) {
        Some("object")
    } else if has(&["items", "minItems", "maxItems", "uniqueItems"]) {
        Some("array")
    } else if has(&["minLength", "maxLength", "pattern", "format"]) {
        Some("string")
    } else if has(&[
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
    ]) {
        Some("number")
    } else {
        None
    }
}

/// A string for `key`: format-aware, sized to `minLength`/`maxLength`,
/// matching `pattern` when one of a few candidates does.
fn string(schema: &Value, key: &str, vary: usize) -> String {
    if let Some(format) = schema.get("format").and_then(Value::as_str)
        && let Some(text) = formatted(format, vary)
    {
        return text;
    }
    let token: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut base = if token.is_empty() {
        "example".to_owned()
    } else {
        format!("example-{token}")
    };
    if vary > 0 {
        base = format!("{base}-{vary}");
    }
    let min = length(schema, "minLength").unwrap_or(0).min(MAX_LENGTH);
    let max = length(schema, "maxLength");
    let sized = |text: &str| sized(text, min, max, vary);
    match schema.get("pattern").and_then(Value::as_str) {
        Some(pattern) => {
            let check = serde_json::json!({
                "type": "string",
                "pattern": pattern,
                "minLength": min,
                "maxLength": max.unwrap_or(usize::MAX / 2),
            });
            let candidates = [
                base.clone(),
                "example".to_owned(),
                "abc".to_owned(),
                "ABC".to_owned(),
                "Abc".to_owned(),
                "a1".to_owned(),
                "A1".to_owned(),
                "123".to_owned(),
                "1".to_owned(),
                "a".to_owned(),
                "A".to_owned(),
                "abc-123".to_owned(),
                "ABC-123".to_owned(),
            ];
            let fits = Schema::compile("catalog.pattern.v1", &check).ok();
            candidates
                .iter()
                .map(|candidate| sized(candidate))
                .find(|candidate| {
                    fits.as_ref()
                        .is_some_and(|fits| fits.is_valid(&Value::String(candidate.clone())))
                })
                .unwrap_or_else(|| sized(&base))
        }
        None => sized(&base),
    }
}

fn length(schema: &Value, key: &str) -> Option<usize> {
    schema
        .get(key)
        .and_then(Value::as_u64)
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
}

/// `text` padded to `min` characters and cut to `max`, keeping the
/// variation at its end so unique items stay different.
fn sized(text: &str, min: usize, max: Option<usize>, vary: usize) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    while chars.len() < min {
        chars.push('x');
    }
    if let Some(max) = max
        && chars.len() > max
    {
        let suffix: Vec<char> = if vary > 0 {
            vary.to_string().chars().collect()
        } else {
            Vec::new()
        };
        let keep = max.saturating_sub(suffix.len());
        chars.truncate(keep);
        chars.extend(suffix.into_iter().take(max - chars.len()));
    }
    chars.into_iter().collect()
}

/// An example of a string `format`, or `None` for a format not known here.
fn formatted(format: &str, vary: usize) -> Option<String> {
    let n = vary % 10;
    Some(match format {
        "uuid" => format!("3f6c1d2e-8b4a-4c1e-9f2d-5a7b8c9d0e1{n:x}"),
        "date-time" => format!("2026-05-17T09:30:0{n}Z"),
        "date" => format!("2026-05-1{n}"),
        "time" => format!("09:30:0{n}Z"),
        "email" | "idn-email" => format!("jane.doe{}@example.com", suffix(vary)),
        "uri" | "iri" => format!("https://example.com/{}", suffix(vary)),
        "uri-reference" | "iri-reference" => format!("/example{}", suffix(vary)),
        "uri-template" => "https://example.com/{id}".to_owned(),
        "hostname" | "idn-hostname" => format!("host{}.example.com", suffix(vary)),
        "ipv4" => format!("192.0.2.{}", n + 1),
        "ipv6" => format!("2001:db8::{}", n + 1),
        "duration" => format!("PT{}H", n + 1),
        "json-pointer" => format!("/example{}", suffix(vary)),
        "relative-json-pointer" => n.to_string(),
        "regex" => "^[a-z]+$".to_owned(),
        _ => return None,
    })
}

fn suffix(vary: usize) -> String {
    if vary == 0 {
        String::new()
    } else {
        vary.to_string()
    }
}

/// The bounds of a numeric schema: (lowest allowed, lower bound exclusive,
/// highest allowed, upper bound exclusive).
fn bounds(schema: &Value) -> (Option<f64>, bool, Option<f64>, bool) {
    let number = |key: &str| schema.get(key).and_then(Value::as_f64);
    let flag = |key: &str| schema.get(key).and_then(Value::as_bool).unwrap_or(false);
    let (mut low, mut low_open) = (number("minimum"), flag("exclusiveMinimum"));
    if let Some(exclusive) = number("exclusiveMinimum")
        && low.is_none_or(|low| exclusive >= low)
    {
        (low, low_open) = (Some(exclusive), true);
    }
    let (mut high, mut high_open) = (number("maximum"), flag("exclusiveMaximum"));
    if let Some(exclusive) = number("exclusiveMaximum")
        && high.is_none_or(|high| exclusive <= high)
    {
        (high, high_open) = (Some(exclusive), true);
    }
    (low, low_open, high, high_open)
}

fn integer(schema: &Value, vary: usize) -> Value {
    let (low, low_open, high, high_open) = bounds(schema);
    let low = low.map(|low| {
        if low_open {
            low.floor() + 1.0
        } else {
            low.ceil()
        }
    });
    let high = high.map(|high| {
        if high_open {
            high.ceil() - 1.0
        } else {
            high.floor()
        }
    });
    let start = 1.0 + f64::from(u32::try_from(vary).unwrap_or(u32::MAX));
    let mut value = low.map_or(start, |low| low.max(start));
    if let Some(high) = high {
        value = value.min(high);
    }
    if let Some(step) = schema.get("multipleOf").and_then(Value::as_f64)
        && step > 0.0
    {
        let up = (value / step).ceil() * step;
        value = match high {
            Some(high) if up > high => (high / step).floor() * step,
            _ => up,
        };
    }
    // `as` saturates: bounds beyond i64 give its extremes.
    let whole = value as i64;
    Value::Number(Number::from(whole))
}

fn number(schema: &Value, vary: usize) -> Value {
    let (low, low_open, high, high_open) = bounds(schema);
    let start = 12.5 + f64::from(u32::try_from(vary).unwrap_or(u32::MAX));
    let mut value = start;
    if let Some(low) = low
        && (value < low || (low_open && value <= low))
    {
        value = if low_open { low + 1.0 } else { low };
    }
    if let Some(high) = high
        && (value > high || (high_open && value >= high))
    {
        value = match low {
            Some(low) if high_open => (low + high) / 2.0,
            _ if high_open => high - 1.0,
            _ => high,
        };
    }
    if let Some(step) = schema.get("multipleOf").and_then(Value::as_f64)
        && step > 0.0
    {
        let up = (value / step).ceil() * step;
        value = match high {
            Some(high) if up > high => (high / step).floor() * step,
            _ => up,
        };
    }
    Number::from_f64(value).map_or(Value::Null, Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn valid(schema: &Value) -> Value {
        let example = example("test.example.v1", schema);
        assert!(
            example.problems.is_empty(),
            "{:?} for {}",
            example.problems,
            example.data
        );
        example.data
    }

    #[test]
    fn given_values_come_first() {
        let data = valid(&json!({
            "type": "object",
            "properties": {
                "a": { "type": "string", "examples": ["from examples"], "default": "from default" },
                "b": { "type": "string", "default": "from default", "enum": ["x", "from default"] },
                "c": { "const": 7 },
                "d": { "type": "string", "enum": ["first", "second"] }
            }
        }));
        assert_eq!(
            data,
            json!({"a": "from examples", "b": "from default", "c": 7, "d": "first"})
        );
    }

    #[test]
    fn strings_follow_their_format() {
        let data = valid(&json!({
            "type": "object",
            "properties": {
                "id": { "type": "string", "format": "uuid" },
                "at": { "type": "string", "format": "date-time" },
                "on": { "type": "string", "format": "date" },
                "mail": { "type": "string", "format": "email" },
                "link": { "type": "string", "format": "uri" }
            },
            "required": ["id", "at", "on", "mail", "link"]
        }));
        assert_eq!(data["id"], "3f6c1d2e-8b4a-4c1e-9f2d-5a7b8c9d0e10");
        assert_eq!(data["at"], "2026-05-17T09:30:00Z");
        assert_eq!(data["on"], "2026-05-10");
        assert_eq!(data["mail"], "jane.doe@example.com");
        assert_eq!(data["link"], "https://example.com/");
    }

    #[test]
    fn bounds_are_respected() {
        let data = valid(&json!({
            "type": "object",
            "properties": {
                "code": { "type": "string", "minLength": 20, "maxLength": 24 },
                "short": { "type": "string", "maxLength": 3 },
                "count": { "type": "integer", "minimum": 5 },
                "small": { "type": "integer", "maximum": -3 },
                "open": { "type": "integer", "exclusiveMinimum": 100, "multipleOf": 7 },
                "price": { "type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1 },
                "tags": { "type": "array", "items": { "type": "string" }, "minItems": 3, "uniqueItems": true }
            },
            "required": ["code", "short", "count", "small", "open", "price", "tags"]
        }));
        assert!(data["code"].as_str().is_some_and(|code| code.len() >= 20));
        assert_eq!(data["short"].as_str().map(str::len), Some(3));
        assert_eq!(data["count"], 5);
        assert_eq!(data["small"], -3);
        assert_eq!(data["open"], 105);
        assert_eq!(data["tags"].as_array().map(Vec::len), Some(3));
    }

    #[test]
    fn a_pattern_is_met_by_one_of_the_candidates() {
        let data = valid(&json!({
            "type": "object",
            "properties": { "sku": { "type": "string", "pattern": "^[A-Z]{3}-[0-9]{3}$" } },
            "required": ["sku"]
        }));
        assert_eq!(data["sku"], "ABC-123");
    }

    #[test]
    fn required_properties_are_always_present() {
        let data = valid(&json!({
            "type": "object",
            "properties": { "a": { "type": "boolean" }, "n": { "type": ["null", "integer"] } },
            "required": ["a", "n", "extra"]
        }));
        assert_eq!(data, json!({"a": true, "n": 1, "extra": "example-extra"}));
    }

    #[test]
    fn the_alternative_that_validates_is_taken() {
        // An integer is also a multiple of 0.5, so only the second option's
        // example matches exactly one alternative.
        let data = valid(&json!({
            "type": "object",
            "properties": {
                "pay": { "oneOf": [{ "type": "integer" }, { "type": "number", "multipleOf": 0.5 }] }
            },
            "required": ["pay"]
        }));
        assert_eq!(data["pay"], 12.5);
    }

    #[test]
    fn refs_are_followed_and_cycles_stopped() {
        let data = valid(&json!({
            "definitions": {
                "Node": {
                    "type": "object",
                    "properties": {
                        "name": { "type": "string" },
                        "next": { "$ref": "#/definitions/Node" }
                    },
                    "required": ["name"]
                }
            },
            "type": "object",
            "properties": { "head": { "$ref": "#/definitions/Node" } },
            "required": ["head"]
        }));
        assert_eq!(data, json!({"head": {"name": "example-name"}}));
    }

    #[test]
    fn an_impossible_schema_says_why() {
        let example = example(
            "test.example.v1",
            &json!({"type": "object", "properties": {"a": {"type": "string", "const": 1}}, "required": ["a"]}),
        );
        assert!(!example.problems.is_empty());
        let broken = super::example("test.example.v1", &json!({"type": 12}));
        assert!(
            broken.problems[0].contains("does not compile"),
            "{:?}",
            broken.problems
        );
    }

    #[test]
    fn huge_bounds_and_fanning_refs_stay_bounded() {
        let huge = example(
            "test.example.v1",
            &json!({
                "type": "object",
                "properties": {
                    "s": { "type": "string", "minLength": 1_000_000_000u64 },
                    "a": { "type": "array", "items": { "type": "integer" }, "minItems": 1_000_000_000u64 }
                },
                "required": ["s", "a"]
            }),
        );
        assert!(
            huge.data["s"]
                .as_str()
                .is_some_and(|s| s.len() == MAX_LENGTH)
        );
        assert!(
            !huge.problems.is_empty(),
            "the bounds are not met, and it says so"
        );

        let mut definitions = serde_json::Map::new();
        for level in 0..20 {
            let next = format!("#/definitions/L{}", level + 1);
            definitions.insert(
                format!("L{level}"),
                json!({"type": "object", "properties": {"a": {"$ref": next}, "b": {"$ref": next}}}),
            );
        }
        definitions.insert("L20".to_owned(), json!({"type": "string"}));
        let fanning = json!({"definitions": definitions, "$ref": "#/definitions/L0"});
        let data = generate(
            &fanning,
            Choices {
                optional: true,
                choice: 0,
            },
        );
        assert!(data.to_string().len() < 1_000_000);
    }

    #[test]
    fn all_of_parts_are_merged() {
        let data = valid(&json!({
            "type": "object",
            "properties": {
                "code": { "allOf": [{ "type": "string" }, { "minLength": 20 }] },
                "both": {
                    "allOf": [
                        { "$ref": "#/definitions/Named" },
                        { "properties": { "age": { "type": "integer", "minimum": 18 } }, "required": ["age"] }
                    ]
                }
            },
            "required": ["code", "both"],
            "definitions": {
                "Named": { "type": "object", "properties": { "name": { "type": "string" } }, "required": ["name"] }
            }
        }));
        assert!(
            data["code"].as_str().is_some_and(|code| code.len() >= 20),
            "{data}"
        );
        assert_eq!(data["both"], json!({"name": "example-name", "age": 18}));

        // Parts referring back to the schema are left out, not expanded again.
        let circular =
            json!({"type": "object", "allOf": [{"$ref": "#"}, {"$ref": "#"}, {"required": ["x"]}]});
        assert_eq!(
            generate(
                &circular,
                Choices {
                    optional: true,
                    choice: 0
                }
            ),
            json!({"x": "example-x"})
        );
    }

    #[test]
    fn sizing_keeps_the_variation() {
        assert_eq!(sized("example-x-12", 0, Some(4), 12), "ex12");
        assert_eq!(sized("ab", 4, None, 0), "abxx");
    }
}
