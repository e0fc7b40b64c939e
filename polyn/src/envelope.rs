//! The CloudEvents envelope's string attributes, defined once.
//!
//! [`ATTRIBUTES`] lists them in the order Polyn writes them, each with
//! whether it is required and the [`Rule`] the bundled
//! [`CLOUD_EVENT_SCHEMA`](crate::validation::CLOUD_EVENT_SCHEMA) gives it.
//! An [`Event`](crate::event::Event) keeps them in this order, its
//! `Serialize` impl and the publish encoder write them in this order, and
//! the one-pass decoder checks each by its rule. A test derives the same
//! facts from the schema itself, so the table cannot drift from it.

/// What the bundled schema asks of an attribute's string, as the one-pass
/// decoder checks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rule {
    /// Any non-empty string (`minLength: 1`).
    NonEmpty,
    /// `format: uri-reference`. Plain only for the forms Polyn sources take
    /// (see [`is_plain_uri_reference`]); anything else is left to the schema.
    UriReference,
    /// `format: uri`. Never plain: rare, and the Elixir client sends null.
    Uri,
    /// The pattern [`SPEC_VERSION_PATTERN`].
    SpecVersion,
    /// The pattern [`TIME_PATTERN`].
    Time,
}

/// One string attribute of the envelope.
#[derive(Debug)]
pub(crate) struct Attribute {
    /// Its name on the wire.
    pub(crate) name: &'static str,
    /// Whether an event must have it; an optional one may also be null.
    pub(crate) required: bool,
    /// What its value must satisfy.
    pub(crate) rule: Rule,
}

const fn attribute(name: &'static str, required: bool, rule: Rule) -> Attribute {
    Attribute {
        name,
        required,
        rule,
    }
}

/// The string attributes, in the order Polyn writes them; the required ones
/// first.
pub(crate) const ATTRIBUTES: [Attribute; 8] = [
    attribute("specversion", true, Rule::SpecVersion),
    attribute("id", true, Rule::NonEmpty),
    attribute("source", true, Rule::UriReference),
    attribute("type", true, Rule::NonEmpty),
    attribute("time", false, Rule::Time),
    attribute("datacontenttype", false, Rule::NonEmpty),
    attribute("dataschema", false, Rule::Uri),
    attribute("subject", false, Rule::NonEmpty),
];

/// How many of [`ATTRIBUTES`] (the first ones) are required.
pub(crate) const REQUIRED: usize = 4;

const _: () = {
    let mut slot = 0;
    while slot < ATTRIBUTES.len() {
        assert!(ATTRIBUTES[slot].required == (slot < REQUIRED));
        // Lowercase ASCII, so the encoder writes names without escaping.
        let name = ATTRIBUTES[slot].name.as_bytes();
        let mut at = 0;
        while at < name.len() {
            assert!(name[at].is_ascii_lowercase());
            at += 1;
        }
        slot += 1;
    }
};

/// The members of the envelope that are not string attributes.
pub(crate) const POLYNDATA: &str = "polyndata";
/// See [`POLYNDATA`].
pub(crate) const DATA: &str = "data";
/// See [`POLYNDATA`].
pub(crate) const DATA_BASE64: &str = "data_base64";

/// The `specversion` pattern of the bundled schema: any 1.x.
#[cfg(test)]
pub(crate) const SPEC_VERSION_PATTERN: &str = r"^1\.[0-9]+(\.[0-9]+)*$";

/// The `time` pattern of the bundled schema: RFC 3339, with or without an
/// offset or a fraction of a second.
#[cfg(test)]
pub(crate) const TIME_PATTERN: &str = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})?$";

/// The slot of the string attribute `name` in [`ATTRIBUTES`].
pub(crate) fn slot(name: &str) -> Option<usize> {
    ATTRIBUTES
        .iter()
        .position(|attribute| attribute.name == name)
}

/// Whether `name` is a member of the envelope itself, which no extension
/// attribute may take.
pub(crate) fn is_reserved(name: &str) -> bool {
    slot(name).is_some() || [POLYNDATA, DATA, DATA_BASE64].contains(&name)
}

impl Rule {
    /// Whether `text` plainly satisfies the rule: `true` only when the
    /// schema accepts it too; `false` leaves the judgement to the schema.
    pub(crate) fn plainly_holds(self, text: &str) -> bool {
        !text.is_empty()
            && match self {
                Rule::NonEmpty => true,
                Rule::UriReference => is_plain_uri_reference(text),
                Rule::Uri => false,
                Rule::SpecVersion => is_spec_version(text),
                Rule::Time => is_time(text),
            }
    }
}

/// [`SPEC_VERSION_PATTERN`], by hand.
fn is_spec_version(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("1.") else {
        return false;
    };
    rest.split('.')
        .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

/// [`TIME_PATTERN`], by hand.
fn is_time(text: &str) -> bool {
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    let b = text.as_bytes();
    if b.len() < 19
        || !digits(&b[0..4])
        || b[4] != b'-'
        || !digits(&b[5..7])
        || b[7] != b'-'
        || !digits(&b[8..10])
        || !matches!(b[10], b'T' | b't' | b' ')
        || !digits(&b[11..13])
        || b[13] != b':'
        || !digits(&b[14..16])
        || b[16] != b':'
        || !digits(&b[17..19])
    {
        return false;
    }
    let mut rest = &b[19..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let end = fraction
            .iter()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(fraction.len());
        if end == 0 {
            return false;
        }
        rest = &fraction[end..];
    }
    match rest {
        [] | [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => digits(&[*h1, *h2, *m1, *m2]),
        _ => false,
    }
}

/// A URI reference made only of letters, digits, `-._~`, `:` and `/`, with
/// no authority (`//`) and, when it has a `:`, a valid scheme before it:
/// always a valid RFC 3986 URI reference (`com:test:user:backend`,
/// `com.test.foo`, `/a/b`).
fn is_plain_uri_reference(text: &str) -> bool {
    let plain = text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':' | b'/'));
    if !plain || text.contains("//") {
        return false;
    }
    match text.split_once(':') {
        None => true,
        Some((scheme, _)) => {
            let mut bytes = scheme.bytes();
            bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
                && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;
    use crate::validation::CLOUD_EVENT_SCHEMA;

    fn schema() -> Value {
        serde_json::from_str(CLOUD_EVENT_SCHEMA).expect("the bundled schema is JSON")
    }

    /// The definition the schema gives the member `name`.
    fn definition(schema: &Value, name: &str) -> Value {
        let reference = schema["properties"][name]["$ref"]
            .as_str()
            .unwrap_or_else(|| panic!("`{name}` has a $ref"));
        let key = reference.trim_start_matches("#/definitions/");
        schema["definitions"][key].clone()
    }

    /// The rule an attribute's definition in the schema stands for.
    fn rule_of(definition: &Value) -> Rule {
        assert_eq!(definition["minLength"], json!(1), "{definition}");
        match (
            definition["format"].as_str(),
            definition["pattern"].as_str(),
        ) {
            (Some("uri-reference"), None) => Rule::UriReference,
            (Some("uri"), None) => Rule::Uri,
            (None, Some(SPEC_VERSION_PATTERN)) => Rule::SpecVersion,
            (None, Some(TIME_PATTERN)) => Rule::Time,
            (None, None) => Rule::NonEmpty,
            other => panic!("no rule for {other:?} in {definition}"),
        }
    }

    #[test]
    fn the_table_is_the_schemas() {
        let schema = schema();
        let required: Vec<&str> = schema["required"]
            .as_array()
            .expect("required")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for attribute in &ATTRIBUTES {
            let definition = definition(&schema, attribute.name);
            assert_eq!(
                required.contains(&attribute.name),
                attribute.required,
                "{attribute:?}"
            );
            let types: Vec<&str> = match &definition["type"] {
                Value::String(one) => vec![one.as_str()],
                Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
                other => panic!("{other}"),
            };
            assert!(types.contains(&"string"), "{attribute:?}");
            // The optional attributes may be null, the required ones not.
            assert_eq!(
                types.contains(&"null"),
                !attribute.required,
                "{attribute:?}"
            );
            assert_eq!(rule_of(&definition), attribute.rule, "{attribute:?}");
        }
        // Every member the schema names is in the table or one of the others.
        for name in schema["properties"].as_object().expect("properties").keys() {
            assert!(
                is_reserved(name),
                "`{name}` is in the schema but not the table"
            );
        }
    }

    /// A validator of one attribute's definition, as the schema checks it.
    fn validator(name: &str) -> jsonschema::Validator {
        let mut definition = definition(&schema(), name);
        definition["type"] = json!("string");
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .should_validate_formats(true)
            .build(&definition)
            .expect("the definition compiles")
    }

    /// Strings near each rule's edges.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "1\\.[0-9.]{0,6}",
            "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt z][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,3})?([Zz]|[+-][0-9]{2}:?[0-9]{0,2})?",
            "[a-z0-9.:/_~+\\- ]{0,16}",
            "\\PC{0,12}",
        ]
    }

    proptest! {
        /// What the decoder takes as plain, the schema accepts; for the
        /// patterns the two agree exactly.
        #[test]
        fn the_hand_rules_agree_with_the_schema(text in text()) {
            for attribute in &ATTRIBUTES {
                let accepted = validator(attribute.name).is_valid(&json!(text));
                let plain = attribute.rule.plainly_holds(&text);
                if plain {
                    prop_assert!(accepted, "{} {:?}", attribute.name, text);
                }
                if matches!(attribute.rule, Rule::SpecVersion | Rule::Time | Rule::NonEmpty) {
                    prop_assert_eq!(plain, accepted, "{} {:?}", attribute.name, text);
                }
            }
        }
    }

    #[test]
    fn hand_rules_on_known_texts() {
        assert!(is_spec_version("1.0") && is_spec_version("1.0.1") && is_spec_version("1.10"));
        assert!(!is_spec_version("1.") && !is_spec_version("1.0.") && !is_spec_version("2.0"));
        assert!(is_time("2023-06-26T17:00:00Z") && is_time("2023-06-26 17:00:00.5-01:30"));
        assert!(is_time("2023-06-26T17:00:00") && is_time("2023-06-26t17:00:00.123z"));
        assert!(!is_time("2023-06-26T17:00:00.Z") && !is_time("2023-06-26T17:00:00+02"));
        assert!(is_plain_uri_reference("com:test:user:backend"));
        assert!(is_plain_uri_reference("com.test.foo") && is_plain_uri_reference("/a/b"));
        assert!(!is_plain_uri_reference("1com:test") && !is_plain_uri_reference("a//b"));
        assert!(!is_plain_uri_reference(":x") && !is_plain_uri_reference("a b"));
    }
}
