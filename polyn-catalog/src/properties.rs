//! A schema as a table of properties: one row per property, nested
//! objects expanded as `customer.address.city`, array items as `lines[]`,
//! `$ref`s into the schema resolved.

use serde_json::{Map, Value};

/// How deep nested schemas are followed before the table stops.
const MAX_DEPTH: usize = 32;
/// How many rows a table has at most (a schema whose `$ref`s fan out
/// could otherwise expand without end).
pub(crate) const MAX_ROWS: usize = 2_000;
/// How many nested schemas a table looks into at most.
const MAX_STEPS: usize = 50_000;

/// One property of a schema.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Row {
    /// Where it is, like `customer.shipping_address.city` or `lines[].sku`.
    pub(crate) path: String,
    /// Its type(s), like `string`, `string or null`, `array of object`.
    pub(crate) types: String,
    /// Whether its object requires it.
    pub(crate) required: bool,
    /// Its constraints, like `minLength: 2` or `format: email`.
    pub(crate) constraints: Vec<String>,
    /// The values an `enum` allows.
    pub(crate) values: Vec<Value>,
    /// Its description (or title).
    pub(crate) description: Option<String>,
    /// Where it applies, like `option 1 of 2 (oneOf)`, or why it stops,
    /// like a recursive `$ref`.
    pub(crate) note: Option<String>,
}

/// The rows of `schema`, in the order its properties are written.
pub(crate) fn rows(schema: &Value) -> Vec<Row> {
    let mut walk = Walk {
        root: schema,
        rows: Vec::new(),
        // `#` is the whole schema, being expanded from the start.
        refs: vec![("#".to_owned(), String::new())],
        steps: 0,
    };
    walk.children(schema, "", None, 0);
    walk.rows
}

/// The type(s) of a schema, as [`Row::types`] shows them.
pub(crate) fn types(root: &Value, schema: &Value) -> String {
    let (schema, _) = resolve(root, schema);
    type_of(root, &schema, 0)
}

struct Walk<'a> {
    root: &'a Value,
    rows: Vec<Row>,
    /// The `$ref`s being expanded, outermost first, with the path each
    /// was first expanded at.
    refs: Vec<(String, String)>,
    /// How many nested schemas were looked into.
    steps: usize,
}

impl Walk<'_> {
    /// Rows for what is inside `schema` (found at `path`).
    fn children(&mut self, schema: &Value, path: &str, note: Option<&str>, depth: usize) {
        self.steps += 1;
        if depth > MAX_DEPTH || self.rows.len() >= MAX_ROWS || self.steps > MAX_STEPS {
            return;
        }
        let (schema, reference) = resolve(self.root, schema);
        if let Some(reference) = &reference {
            if self.refs.iter().any(|(seen, _)| seen == reference) {
                return;
            }
            self.refs.push((reference.clone(), path.to_owned()));
        }
        let required = required_of(self.root, &schema);
        for (name, property) in properties_of(self.root, &schema) {
            let child = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            self.row(&property, &child, required.contains(&name), note, depth);
        }
        if let Some(extra @ Value::Object(_)) = schema.get("additionalProperties") {
            let child = if path.is_empty() {
                "*".to_owned()
            } else {
                format!("{path}.*")
            };
            let note = join_notes(note, "any other key");
            self.row(extra, &child, false, Some(&note), depth);
        }
        match schema.get("items") {
            Some(items @ Value::Object(_)) => self.items(items, &format!("{path}[]"), note, depth),
            Some(Value::Array(tuple)) => {
                for (index, item) in tuple.iter().enumerate() {
                    self.items(item, &format!("{path}[{index}]"), note, depth);
                }
            }
            _ => {}
        }
        for keyword in ["oneOf", "anyOf"] {
            if let Some(Value::Array(options)) = schema.get(keyword) {
                for (index, option) in options.iter().enumerate() {
                    let here = format!("option {} of {} ({keyword})", index + 1, options.len());
                    let note = join_notes(note, &here);
                    self.children(option, path, Some(&note), depth + 1);
                }
            }
        }
        if reference.is_some() {
            self.refs.pop();
        }
    }

    /// The items of an array at `path` (already ending in `[]`): a row of
    /// their own only when they are arrays too, then what is inside them.
    fn items(&mut self, items: &Value, path: &str, note: Option<&str>, depth: usize) {
        let (resolved, _) = resolve(self.root, items);
        if is_array(&resolved) {
            self.row(items, path, false, note, depth);
        } else {
            self.children(items, path, note, depth + 1);
        }
    }

    /// The row of one property, then the rows inside it.
    fn row(
        &mut self,
        property: &Value,
        path: &str,
        required: bool,
        note: Option<&str>,
        depth: usize,
    ) {
        let (schema, reference) = resolve(self.root, property);
        let recursive = reference.as_ref().and_then(|reference| {
            self.refs
                .iter()
                .find(|(seen, _)| seen == reference)
                .map(|(_, at)| at.clone())
        });
        let note = match &recursive {
            Some(at) if at.is_empty() => Some(join_notes(note, "recursive: the whole event again")),
            Some(at) => Some(join_notes(note, &format!("recursive: like `{at}`"))),
            None => note.map(str::to_owned),
        };
        if self.rows.len() >= MAX_ROWS {
            return;
        }
        self.rows.push(Row {
            path: path.to_owned(),
            types: type_of(self.root, &schema, 0),
            required,
            constraints: constraints(&schema),
            values: match schema.get("enum") {
                Some(Value::Array(values)) => values.clone(),
                _ => Vec::new(),
            },
            description: text(&schema, "description").or_else(|| text(&schema, "title")),
            note: note.clone(),
        });
        if recursive.is_none() {
            self.children(property, path, note.as_deref(), depth + 1);
        }
    }
}

/// `schema` with a local `$ref` followed (repeatedly), the referring
/// schema's own annotations kept over the target's; and the last `$ref`
/// followed, to guard against cycles.
pub(crate) fn resolve(root: &Value, schema: &Value) -> (Value, Option<String>) {
    let mut current = schema.clone();
    let mut last = None;
    let mut seen: Vec<String> = Vec::new();
    while let Some(reference) = current
        .get("$ref")
        .and_then(Value::as_str)
        .map(str::to_owned)
    {
        if seen.contains(&reference) {
            break;
        }
        let Some(target) = lookup(root, &reference) else {
            break;
        };
        seen.push(reference.clone());
        let mut merged = match target {
            Value::Object(fields) => fields.clone(),
            _ => Map::new(),
        };
        if let Value::Object(fields) = &current {
            for (key, value) in fields {
                if key != "$ref" {
                    merged.insert(key.clone(), value.clone());
                }
            }
        }
        current = Value::Object(merged);
        last = Some(reference);
    }
    (current, last)
}

/// The schema a local reference (`#`, `#/definitions/Address`) points at.
fn lookup<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    let pointer = percent_decode(pointer);
    root.pointer(&pointer)
}

/// `%XX` escapes decoded, as a URI fragment may hold them.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%'
            && let Some(byte) = text
                .get(index + 1..index + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            index += 3;
            continue;
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

/// The properties of an object schema, its `allOf` parts' included, in
/// the order they are written.
pub(crate) fn properties_of(root: &Value, schema: &Value) -> Vec<(String, Value)> {
    let mut properties: Vec<(String, Value)> = Vec::new();
    let mut add = |fields: &Map<String, Value>| {
        for (name, property) in fields {
            match properties.iter_mut().find(|(known, _)| known == name) {
                Some((_, existing)) => *existing = property.clone(),
                None => properties.push((name.clone(), property.clone())),
            }
        }
    };
    if let Some(Value::Object(fields)) = schema.get("properties") {
        add(fields);
    }
    if let Some(Value::Array(parts)) = schema.get("allOf") {
        for part in parts {
            let (part, _) = resolve(root, part);
            if let Some(Value::Object(fields)) = part.get("properties") {
                add(fields);
            }
        }
    }
    properties
}

/// The required properties of an object schema, its `allOf` parts'
/// included.
pub(crate) fn required_of(root: &Value, schema: &Value) -> Vec<String> {
    let mut required: Vec<String> = names(schema.get("required"));
    if let Some(Value::Array(parts)) = schema.get("allOf") {
        for part in parts {
            let (part, _) = resolve(root, part);
            required.extend(names(part.get("required")));
        }
    }
    required
}

fn names(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

fn is_array(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::String(kind)) => kind == "array",
        Some(Value::Array(kinds)) => kinds.iter().any(|kind| kind == "array"),
        _ => schema.get("items").is_some(),
    }
}

/// The type(s) of a resolved schema; `depth` counts the arrays around it.
fn type_of(root: &Value, schema: &Value, depth: usize) -> String {
    let mut kinds: Vec<String> = match schema.get("type") {
        Some(Value::String(kind)) => vec![kind.clone()],
        Some(Value::Array(kinds)) => kinds
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => inferred_types(schema),
    };
    for kind in &mut kinds {
        if kind == "array"
            && depth < 8
            && let Some(items @ Value::Object(_)) = schema.get("items")
        {
            let (items, _) = resolve(root, items);
            let inner = type_of(root, &items, depth + 1);
            if inner != "any" {
                *kind = format!("array of {inner}");
            }
        }
    }
    let mut text = if kinds.is_empty() {
        String::new()
    } else {
        kinds.join(" or ")
    };
    for keyword in ["oneOf", "anyOf"] {
        if let Some(Value::Array(options)) = schema.get(keyword) {
            let words = if keyword == "oneOf" {
                "one of"
            } else {
                "any of"
            };
            let alternatives = format!("{words} {} options", options.len());
            text = if text.is_empty() {
                alternatives
            } else {
                format!("{text} ({alternatives})")
            };
        }
    }
    if text.is_empty() {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => format!("see {reference}"),
            None => "any".to_owned(),
        }
    } else {
        text
    }
}

/// The types a schema without `type` implies by its other keywords.
fn inferred_types(schema: &Value) -> Vec<String> {
    let mut kinds: Vec<String> = Vec::new();
    let mut add = |value: &Value| {
        let kind = json_type(value).to_owned();
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    };
    if let Some(value) = schema.get("const") {
        add(value);
    } else if let Some(Value::Array(values)) = schema.get("enum") {
        values.iter().for_each(add);
    } else if schema.get("properties").is_some() || schema.get("allOf").is_some() {
        kinds.push("object".to_owned());
    } else if schema.get("items").is_some() {
        kinds.push("array".to_owned());
    }
    kinds
}

/// The JSON Schema type name of a value.
pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(number) if number.is_i64() || number.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The constraints of a schema, in a fixed order.
fn constraints(schema: &Value) -> Vec<String> {
    const KEYWORDS: [&str; 17] = [
        "format",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "exclusiveMinimum",
        "maximum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minProperties",
        "maxProperties",
        "const",
        "default",
        "additionalProperties",
    ];
    KEYWORDS
        .iter()
        .filter_map(|keyword| {
            let value = schema.get(*keyword)?;
            match (*keyword, value) {
                ("additionalProperties", Value::Bool(false)) => {
                    Some("no other properties".to_owned())
                }
                ("additionalProperties", _) => None,
                ("uniqueItems", Value::Bool(false)) => None,
                ("uniqueItems", Value::Bool(true)) => Some("uniqueItems".to_owned()),
                (_, Value::String(text)) if matches!(*keyword, "format" | "pattern") => {
                    Some(format!("{keyword}: {text}"))
                }
                (_, value) => Some(format!("{keyword}: {value}")),
            }
        })
        .collect()
}

fn text(schema: &Value, key: &str) -> Option<String> {
    schema
        .get(key)
        .and_then(Value::as_str)
        .filter(|text| !text.trim().is_empty())
        .map(str::to_owned)
}

fn join_notes(outer: Option<&str>, inner: &str) -> String {
    match outer {
        Some(outer) => format!("{outer}; {inner}"),
        None => inner.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn find<'a>(rows: &'a [Row], path: &str) -> &'a Row {
        rows.iter()
            .find(|row| row.path == path)
            .unwrap_or_else(|| panic!("no row `{path}` in {:?}", paths(rows)))
    }

    fn paths(rows: &[Row]) -> Vec<&str> {
        rows.iter().map(|row| row.path.as_str()).collect()
    }

    #[test]
    fn nested_objects_and_arrays_are_expanded() {
        let schema = json!({
            "type": "object",
            "properties": {
                "customer": {
                    "type": "object",
                    "properties": {
                        "address": {
                            "type": "object",
                            "properties": { "city": { "type": "string", "minLength": 1 } },
                            "required": ["city"]
                        }
                    }
                },
                "lines": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "properties": {
                            "sku": { "type": "string" },
                            "tags": { "type": "array", "items": { "type": "string" }, "uniqueItems": true }
                        },
                        "required": ["sku"]
                    }
                }
            },
            "required": ["lines"]
        });
        let rows = rows(&schema);
        assert_eq!(
            paths(&rows),
            [
                "customer",
                "customer.address",
                "customer.address.city",
                "lines",
                "lines[].sku",
                "lines[].tags"
            ]
        );
        assert!(!find(&rows, "customer").required);
        assert!(find(&rows, "customer.address.city").required);
        assert_eq!(
            find(&rows, "customer.address.city").constraints,
            ["minLength: 1"]
        );
        assert_eq!(find(&rows, "lines").types, "array of object");
        assert_eq!(find(&rows, "lines").constraints, ["minItems: 1"]);
        assert!(find(&rows, "lines").required);
        assert_eq!(find(&rows, "lines[].tags").types, "array of string");
        assert_eq!(find(&rows, "lines[].tags").constraints, ["uniqueItems"]);
    }

    #[test]
    fn refs_to_definitions_are_resolved_with_the_referrers_description() {
        let schema = json!({
            "definitions": {
                "Address": {
                    "type": "object",
                    "description": "A postal address",
                    "properties": { "country": { "type": "string", "default": "NL", "maxLength": 2 } }
                }
            },
            "$defs": { "Id": { "type": "string", "format": "uuid" } },
            "type": "object",
            "properties": {
                "home": { "$ref": "#/definitions/Address" },
                "work": { "$ref": "#/definitions/Address", "description": "Where they work" },
                "id": { "$ref": "#/$defs/Id" }
            }
        });
        let rows = rows(&schema);
        assert_eq!(find(&rows, "home").types, "object");
        assert_eq!(
            find(&rows, "home").description.as_deref(),
            Some("A postal address")
        );
        assert_eq!(
            find(&rows, "work").description.as_deref(),
            Some("Where they work")
        );
        assert_eq!(
            find(&rows, "work.country").constraints,
            ["maxLength: 2", "default: \"NL\""]
        );
        assert_eq!(find(&rows, "id").constraints, ["format: uuid"]);
    }

    #[test]
    fn recursive_refs_stop_with_a_note() {
        let schema = json!({
            "definitions": {
                "Node": {
                    "type": "object",
                    "properties": {
                        "name": { "type": "string" },
                        "children": { "type": "array", "items": { "$ref": "#/definitions/Node" } },
                        "parent": { "$ref": "#/definitions/Node" }
                    }
                }
            },
            "type": "object",
            "properties": { "tree": { "$ref": "#/definitions/Node" }, "self": { "$ref": "#" } }
        });
        let rows = rows(&schema);
        assert_eq!(
            paths(&rows),
            ["tree", "tree.name", "tree.children", "tree.parent", "self"]
        );
        assert_eq!(
            find(&rows, "tree.parent").note.as_deref(),
            Some("recursive: like `tree`")
        );
        assert_eq!(find(&rows, "tree.children").types, "array of object");
        assert!(find(&rows, "self").note.is_some());
    }

    #[test]
    fn enums_types_and_constraints_are_listed() {
        let schema = json!({
            "type": "object",
            "properties": {
                "status": { "type": "string", "enum": ["pending", "paid"], "default": "pending" },
                "note": { "type": ["string", "null"], "pattern": "^[a-z]+$" },
                "count": { "type": "integer", "minimum": 1, "exclusiveMaximum": 10, "multipleOf": 2 },
                "kind": { "const": "card" },
                "level": { "enum": [1, 2, "high"] },
                "anything": {},
                "closed": { "type": "object", "additionalProperties": false }
            }
        });
        let rows = rows(&schema);
        assert_eq!(
            find(&rows, "status").values,
            [json!("pending"), json!("paid")]
        );
        assert_eq!(find(&rows, "status").constraints, ["default: \"pending\""]);
        assert_eq!(find(&rows, "note").types, "string or null");
        assert_eq!(find(&rows, "note").constraints, ["pattern: ^[a-z]+$"]);
        assert_eq!(
            find(&rows, "count").constraints,
            ["minimum: 1", "exclusiveMaximum: 10", "multipleOf: 2"]
        );
        assert_eq!(find(&rows, "kind").types, "string");
        assert_eq!(find(&rows, "kind").constraints, ["const: \"card\""]);
        assert_eq!(find(&rows, "level").types, "integer or string");
        assert_eq!(find(&rows, "anything").types, "any");
        assert_eq!(find(&rows, "closed").constraints, ["no other properties"]);
    }

    #[test]
    fn alternatives_are_expanded_with_a_note() {
        let schema = json!({
            "type": "object",
            "properties": {
                "payment": {
                    "oneOf": [
                        { "type": "object", "properties": { "method": { "const": "card" } }, "required": ["method"] },
                        { "type": "object", "properties": { "days": { "type": "integer" } } }
                    ]
                }
            }
        });
        let rows = rows(&schema);
        assert_eq!(paths(&rows), ["payment", "payment.method", "payment.days"]);
        assert_eq!(find(&rows, "payment").types, "one of 2 options");
        assert_eq!(
            find(&rows, "payment.method").note.as_deref(),
            Some("option 1 of 2 (oneOf)")
        );
        assert!(find(&rows, "payment.method").required);
        assert_eq!(
            find(&rows, "payment.days").note.as_deref(),
            Some("option 2 of 2 (oneOf)")
        );
    }

    #[test]
    fn all_of_parts_add_properties_and_maps_get_a_wildcard_row() {
        let schema = json!({
            "allOf": [
                { "properties": { "a": { "type": "string" } }, "required": ["a"] },
                { "properties": { "b": { "type": "object", "additionalProperties": { "type": "number" } } } }
            ]
        });
        let rows = rows(&schema);
        assert_eq!(paths(&rows), ["a", "b", "b.*"]);
        assert!(find(&rows, "a").required);
        assert_eq!(find(&rows, "b.*").types, "number");
        assert_eq!(find(&rows, "b.*").note.as_deref(), Some("any other key"));
    }

    #[test]
    fn nested_arrays_and_tuples_get_rows_of_their_own() {
        let schema = json!({
            "type": "object",
            "properties": {
                "grid": { "type": "array", "items": { "type": "array", "items": { "type": "integer" } } },
                "pair": { "type": "array", "items": [{ "type": "string" }, { "type": "object", "properties": { "x": {"type": "number"} } }] }
            }
        });
        let rows = rows(&schema);
        assert_eq!(paths(&rows), ["grid", "grid[]", "pair", "pair[1].x"]);
        assert_eq!(find(&rows, "grid").types, "array of array of integer");
    }

    #[test]
    fn fanning_out_refs_stop_at_the_row_limit() {
        // Each level refers to the next twice: 2^20 paths without a limit.
        let mut definitions = serde_json::Map::new();
        for level in 0..20 {
            let next = format!("#/definitions/L{}", level + 1);
            definitions.insert(
                format!("L{level}"),
                json!({"properties": {"a": {"$ref": next}, "b": {"$ref": next}}}),
            );
        }
        definitions.insert("L20".to_owned(), json!({"type": "string"}));
        let schema = json!({"definitions": definitions, "$ref": "#/definitions/L0"});
        assert_eq!(rows(&schema).len(), MAX_ROWS);
    }

    #[test]
    fn fanning_alternatives_without_properties_stop_too() {
        let mut definitions = serde_json::Map::new();
        for level in 0..30 {
            let next = format!("#/definitions/L{}", level + 1);
            definitions.insert(
                format!("L{level}"),
                json!({"oneOf": [{"$ref": next}, {"$ref": next}]}),
            );
        }
        definitions.insert(
            "L30".to_owned(),
            json!({"properties": {"leaf": {"type": "string"}}}),
        );
        let schema = json!({"definitions": definitions, "$ref": "#/definitions/L0"});
        // 2^30 paths without the step limit: finishing is the test.
        let rows = rows(&schema);
        assert!(rows.len() <= MAX_ROWS);
    }

    #[test]
    fn an_array_of_itself_has_a_bounded_type() {
        let schema = json!({"type": "array", "items": {"$ref": "#"}});
        assert!(rows(&schema).len() <= 1);
        assert!(types(&schema, &schema).starts_with("array of array of"));
    }

    #[test]
    fn references_may_be_percent_encoded() {
        let schema = json!({
            "definitions": { "a b": { "type": "boolean" } },
            "properties": { "flag": { "$ref": "#/definitions/a%20b" } }
        });
        assert_eq!(find(&rows(&schema), "flag").types, "boolean");
        assert_eq!(percent_decode("%2Fx%zz"), "/x%zz");
    }
}
