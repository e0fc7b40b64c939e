//! Checking a schemas folder: names, duplicates, JSON, the draft's
//! meta-schema, unknown keywords, `$id` and `identity`.

use crate::json_kind::json_kind;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::keywords;
use crate::{Error, Problem, ProblemKind, SchemaFile};

/// A schema file that passed every check: its message name, path and
/// parsed document.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckedSchema {
    name: String,
    path: PathBuf,
    json: Value,
}

impl CheckedSchema {
    /// The message name (the file name without `.json`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file it was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema document.
    pub fn json(&self) -> &Value {
        &self.json
    }

    /// The schema as the schema store holds it: compact JSON, members in
    /// the file's order.
    pub fn compact(&self) -> String {
        self.json.to_string()
    }

    /// The schema's [`schema_digest`](crate::schema_digest), as generated
    /// types carry it.
    pub fn digest(&self) -> String {
        crate::schema_digest(&self.json)
    }
}

/// Every problem of a set of schema files, in path order: empty when the
/// set is fine. See [`check_schemas`] for the rules.
///
/// ```
/// use polyn_schemas::{ProblemKind, SchemaFile, problems};
/// let files = [
///     SchemaFile::new("schemas/orders.refunded.v1.schema.json", "{}"),
///     SchemaFile::new("schemas/a/x.v1.json", "{}"),
///     SchemaFile::new("schemas/b/x.v1.json", "{}"),
/// ];
/// let kinds: Vec<_> = problems(&files).iter().map(|p| p.kind).collect();
/// assert_eq!(kinds, [ProblemKind::FileName, ProblemKind::Duplicate]);
/// ```
pub fn problems(files: &[SchemaFile]) -> Vec<Problem> {
    match check(files) {
        Ok(_) => Vec::new(),
        Err(problems) => problems,
    }
}

/// Checks a set of schema files (as [`load_schemas`](crate::load_schemas)
/// reads a folder) and parses them:
///
/// - each is named `<message name>.json`, the message name lowercase,
///   alphanumeric and dot separated, ending in a version token `.v<N>`;
/// - no two files, in any sub-folders, share a name;
/// - each is JSON and a valid JSON Schema of its draft (its `$schema`, or
///   draft-07 when it names none);
/// - no unknown keyword: a misspelled `requried` is reported with the
///   keyword meant, as JSON Schema would silently ignore it. Polyn's
///   `identity` and `stream_config` are known; annotations of your own
///   start with `x-`;
/// - a root `$id`, when present, names the file's message
///   (`widgets:created:v1`, optionally after a domain, `com:acme:…`, or
///   as the last segment of a URI);
/// - `identity`, when present, names a property defined in `properties`
///   of an object schema.
///
/// Every problem is reported, not only the first.
///
/// ```
/// use polyn_schemas::{SchemaFile, check_schemas};
/// let files = [SchemaFile::new(
///     "schemas/widgets.created.v1.json",
///     r#"{"$id": "widgets:created:v1", "type": "object",
///         "properties": {"id": {"type": "string"}}, "required": ["id"], "identity": "id"}"#,
/// )];
/// let checked = check_schemas(&files)?;
/// assert_eq!(checked[0].name(), "widgets.created.v1");
/// assert_eq!(checked[0].compact().len(), checked[0].json().to_string().len());
/// # Ok::<(), polyn_schemas::Error>(())
/// ```
pub fn check_schemas(files: &[SchemaFile]) -> Result<Vec<CheckedSchema>, Error> {
    check(files).map_err(|problems| Error::Check { problems })
}

/// Reads the folder `dir` and checks it, as [`check_schemas`].
///
/// ```no_run
/// for schema in polyn_schemas::check_folder("schemas")? {
///     println!("{} {}", schema.name(), schema.digest());
/// }
/// # Ok::<(), polyn_schemas::Error>(())
/// ```
pub fn check_folder(dir: impl AsRef<Path>) -> Result<Vec<CheckedSchema>, Error> {
    check_schemas(&crate::load_schemas(dir)?)
}

fn check(files: &[SchemaFile]) -> Result<Vec<CheckedSchema>, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut checked = Vec::new();
    let mut by_name: BTreeMap<&str, Vec<&Path>> = BTreeMap::new();
    for file in files {
        by_name.entry(file.name()).or_default().push(file.path());
    }
    for file in files {
        let before = problems.len();
        if let Some(message) = file_name_problem(file.name()) {
            problems.push(Problem::new(
                file.path(),
                "",
                ProblemKind::FileName,
                message,
            ));
        }
        if let Some(paths) = by_name.get(file.name())
            && paths.len() > 1
        {
            // Reported once, at the first file of the name.
            if paths[0] == file.path() {
                let mut message = format!(
                    "There can only be one of each schema name. The following schemas were \
                     duplicated:\n{}",
                    file.name()
                );
                for path in paths {
                    message.push('\n');
                    message.push_str(&path.display().to_string());
                }
                problems.push(Problem::new(
                    file.path(),
                    "",
                    ProblemKind::Duplicate,
                    message,
                ));
            }
        }
        let json: Value = match serde_json::from_str(file.text()) {
            Ok(json) => json,
            Err(err) => {
                problems.push(Problem::new(
                    file.path(),
                    "",
                    ProblemKind::NotJson,
                    format!("not JSON: {err}; a schema file holds one JSON Schema document"),
                ));
                continue;
            }
        };
        let found = problems.len();
        check_document(file.path(), file.name(), &json, &mut problems);
        for problem in &mut problems[found..] {
            *problem = problem.clone().located(file.text());
        }
        if problems.len() == before {
            checked.push(CheckedSchema {
                name: file.name().to_owned(),
                path: file.path().to_owned(),
                json,
            });
        }
    }
    if problems.is_empty() {
        Ok(checked)
    } else {
        Err(problems)
    }
}

/// What is wrong with a message name taken from a file name, if anything.
fn file_name_problem(name: &str) -> Option<String> {
    if !polyn_naming::is_message_name(name) {
        return Some(format!(
            "Message names must be lowercase, alphanumeric and dot separated, got `{name}`: name \
             the file `<message name>.json`, e.g. `user.created.v1.json`"
        ));
    }
    let tokens: Vec<&str> = name.split('.').collect();
    if tokens.last().is_some_and(|last| is_version(last)) {
        return None;
    }
    // `orders.refunded.v1.schema.v1` style names: keep up to the first
    // version token.
    let fix = match tokens.iter().position(|token| is_version(token)) {
        Some(at) => tokens[..=at].join("."),
        None => format!("{name}.v1"),
    };
    Some(format!(
        "the message name `{name}` does not end with a version token (`.v<N>`); name the file \
         `{fix}.json`"
    ))
}

fn is_version(token: &str) -> bool {
    token
        .strip_prefix('v')
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

fn check_document(path: &Path, name: &str, json: &Value, problems: &mut Vec<Problem>) {
    let Value::Object(root) = json else {
        problems.push(Problem::new(
            path,
            "",
            ProblemKind::NotASchema,
            format!(
                "a message schema is a JSON object, got {}; describe the event's `data`, e.g. \
                 `{{\"type\": \"object\", \"properties\": {{}}}}`",
                json_kind(json)
            ),
        ));
        return;
    };
    let before = problems.len();
    walk(path, json, &mut String::new(), problems);
    // The meta-schema's first error, unless the walk already explained it.
    if problems.len() == before
        && let Err(err) = crate::validate_meta_schema(json)
    {
        problems.push(Problem::new(
            path,
            err.pointer.clone(),
            ProblemKind::NotASchema,
            format!(
                "Invalid JSON Schema document for event {name}: {}",
                err.reason()
            ),
        ));
    }
    if let Some(id) = root.get("$id") {
        check_id(path, name, id, problems);
    }
    if let Some(identity) = root.get("identity") {
        check_identity(path, name, root, identity, problems);
    }
}

/// Unknown keywords and `type` names, at every depth.
fn walk(path: &Path, schema: &Value, pointer: &mut String, problems: &mut Vec<Problem>) {
    let Value::Object(object) = schema else {
        return;
    };
    for (key, value) in object {
        let len = pointer.len();
        push_token(pointer, key);
        if !keywords::is_known(key) {
            problems.push(unknown_keyword(path, pointer, key));
        }
        let key = key.as_str();
        if keywords::SCHEMA.contains(&key)
            || matches!(key, "if" | "then" | "else" | "contentSchema")
        {
            walk(path, value, pointer, problems);
        } else if keywords::SCHEMA_MAP.contains(&key) || key == "dependencies" {
            if let Value::Object(map) = value {
                for (entry, value) in map {
                    let len = pointer.len();
                    push_token(pointer, entry);
                    walk(path, value, pointer, problems);
                    pointer.truncate(len);
                }
            }
        } else if keywords::SCHEMA_ARRAY.contains(&key) || matches!(key, "items" | "prefixItems") {
            match value {
                Value::Array(items) => {
                    for (index, item) in items.iter().enumerate() {
                        let len = pointer.len();
                        push_token(pointer, &index.to_string());
                        walk(path, item, pointer, problems);
                        pointer.truncate(len);
                    }
                }
                schema => walk(path, schema, pointer, problems),
            }
        } else if key == "type" {
            check_type(path, value, pointer, problems);
        }
        pointer.truncate(len);
    }
}

fn unknown_keyword(path: &Path, pointer: &str, key: &str) -> Problem {
    let message = match keywords::suggestion(key) {
        Some(meant) => format!(
            "unknown keyword `{key}`: did you mean `{meant}`? JSON Schema ignores unknown \
             keywords, so as written it has no effect"
        ),
        None => format!(
            "unknown keyword `{key}`: no JSON Schema draft nor Polyn defines it, so it has no \
             effect; remove it, or start an annotation of your own with `x-`"
        ),
    };
    Problem::new(path, pointer, ProblemKind::UnknownKeyword, message)
}

const TYPES: &[&str] = &[
    "null", "boolean", "object", "array", "number", "string", "integer",
];

fn check_type(path: &Path, value: &Value, pointer: &str, problems: &mut Vec<Problem>) {
    let names: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    for name in names {
        let Some(name) = name.as_str() else {
            continue; // The meta-schema reports it.
        };
        if !TYPES.contains(&name) {
            let hint = match polyn_naming::did_you_mean(name, TYPES.iter().copied()) {
                Some(meant) => format!("did you mean `{meant}`?"),
                None => format!("the types are {}", TYPES.join(", ")),
            };
            problems.push(Problem::new(
                path,
                pointer,
                ProblemKind::NotASchema,
                format!("`{name}` is not a JSON Schema type: {hint}"),
            ));
        }
    }
}

/// `$id` names the message: `widgets:created:v1` (as `polyn gen schema`
/// and the Polyn CLI write it), that after a domain (`com:acme:…`, the
/// naming convention), the dotted name, or either as a URI's last segment.
fn check_id(path: &Path, name: &str, id: &Value, problems: &mut Vec<Problem>) {
    let colons = name.replace('.', ":");
    let Some(id) = id.as_str() else {
        return; // The meta-schema reports a non-string `$id`.
    };
    let last = id
        .trim_end_matches('#')
        .rsplit('/')
        .next()
        .unwrap_or(id)
        .trim_end_matches(".json")
        .trim_end_matches(".schema");
    let names = |candidate: &str| {
        candidate == name
            || candidate == colons
            || candidate.ends_with(&format!(":{colons}"))
            || candidate.ends_with(&format!(".{name}"))
    };
    if !names(last) {
        problems.push(Problem::new(
            path,
            "/$id",
            ProblemKind::Id,
            format!(
                "`$id` is `{id}`, which does not name this file's message `{name}`: write \
                 `\"$id\": \"{colons}\"` (optionally after your domain, e.g. \
                 `com:acme:{colons}`), rename the file, or leave `$id` out"
            ),
        ));
    }
}

/// The protocol's rules for `identity`.
fn check_identity(
    path: &Path,
    name: &str,
    root: &Map<String, Value>,
    identity: &Value,
    problems: &mut Vec<Problem>,
) {
    let mut problem = |message: String| {
        problems.push(Problem::new(
            path,
            "/identity",
            ProblemKind::Identity,
            message,
        ));
    };
    let Some(property) = identity.as_str().filter(|p| !p.is_empty()) else {
        problem(format!(
            "`identity` field on {name} must name a property of the payload, got {identity}"
        ));
        return;
    };
    match root.get("type") {
        Some(Value::String(kind)) if kind == "object" => {}
        other => {
            let got = match other {
                Some(Value::String(kind)) => kind.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            problem(format!(
                "`identity` field on {name} can only be used with `type` of `object`. Got \
                 `{got}`"
            ));
            return;
        }
    }
    let defined = root
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|properties| properties.contains_key(property));
    if !defined {
        problem(format!(
            "`identity` field of `{property}` on {name} must also be defined in `properties`"
        ));
    }
}

fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    pointer.push_str(&token.replace('~', "~0").replace('/', "~1"));
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn file(path: &str, json: Value) -> SchemaFile {
        SchemaFile::new(path, json.to_string())
    }

    fn only(files: &[SchemaFile]) -> Problem {
        let mut found = problems(files);
        assert_eq!(found.len(), 1, "{found:#?}");
        found.remove(0)
    }

    fn widget() -> Value {
        json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "$id": "widgets:created:v1",
            "type": "object",
            "identity": "id",
            "stream_config": {"max_age": 1},
            "x-owner": "team",
            "properties": {
                "id": {"type": "string"},
                "requried": {"type": "boolean"},
                "parts": {"type": "array", "items": {"type": "object", "properties": {}}}
            },
            "required": ["id"]
        })
    }

    #[test]
    fn a_good_folder_passes_and_is_parsed() {
        let files = [
            file("s/widgets.created.v1.json", widget()),
            file(
                "s/deep/money.amount.v2.json",
                json!({"$id": "com:acme:money:amount:v2"}),
            ),
            file(
                "s/uri.made.v1.json",
                json!({"$id": "https://acme.com/schemas/uri.made.v1.json"}),
            ),
            file(
                "s/bare.v1.json",
                json!({"$id": "bare.v1", "type": "object"}),
            ),
        ];
        let checked = check_schemas(&files).unwrap();
        assert_eq!(checked.len(), 4);
        assert_eq!(checked[0].name(), "widgets.created.v1");
        assert_eq!(checked[0].json(), &widget());
        assert_eq!(checked[0].digest(), crate::schema_digest(&widget()));
    }

    #[test]
    fn file_names_need_a_message_name_ending_in_a_version() {
        let problem = only(&[file("s/orders.refunded.v1.schema.json", json!({}))]);
        assert_eq!(problem.kind, ProblemKind::FileName);
        assert!(
            problem
                .message
                .contains("name the file `orders.refunded.v1.json`"),
            "{problem}"
        );
        let problem = only(&[file("s/orders.refunded.json", json!({}))]);
        assert!(
            problem.message.contains("`orders.refunded.v1.json`"),
            "{problem}"
        );
        let problem = only(&[file("s/Orders_Refunded.v1.json", json!({}))]);
        assert!(
            problem
                .message
                .starts_with("Message names must be lowercase, alphanumeric and dot separated"),
            "{problem}"
        );
        assert!(
            problem
                .to_string()
                .starts_with("s/Orders_Refunded.v1.json: ")
        );
    }

    #[test]
    fn duplicates_across_folders_use_the_protocol_text() {
        let problem = only(&[
            file("s/a/x.v1.json", json!({})),
            file("s/b/x.v1.json", json!({})),
        ]);
        assert_eq!(problem.kind, ProblemKind::Duplicate);
        assert_eq!(
            problem.to_string(),
            "There can only be one of each schema name. The following schemas were \
             duplicated:\nx.v1\ns/a/x.v1.json\ns/b/x.v1.json"
        );
    }

    #[test]
    fn malformed_json_names_the_line() {
        let problem = only(&[SchemaFile::new("s/x.v1.json", "{\"type\": \"object\",\n}")]);
        assert_eq!(problem.kind, ProblemKind::NotJson);
        assert!(problem.message.contains("line 2"), "{problem}");
    }

    #[test]
    fn unknown_keywords_at_any_depth_suggest_the_keyword_meant() {
        let found = problems(&[file(
            "s/x.v1.json",
            json!({
                "type": "object",
                "requried": ["id"],
                "properties": {"id": {"type": "string", "maxLenght": 3}},
                "items": [{"colour": 1}],
                "anyOf": [{"then": {"pattrn": "a"}}]
            }),
        )]);
        let got: Vec<_> = found.iter().map(|p| (p.kind, p.pointer.as_str())).collect();
        assert_eq!(
            got,
            [
                (ProblemKind::UnknownKeyword, "/requried"),
                (ProblemKind::UnknownKeyword, "/properties/id/maxLenght"),
                (ProblemKind::UnknownKeyword, "/items/0/colour"),
                (ProblemKind::UnknownKeyword, "/anyOf/0/then/pattrn"),
            ]
        );
        assert!(found[0].message.contains("did you mean `required`?"));
        assert!(found[1].message.contains("did you mean `maxLength`?"));
        assert!(
            found[2]
                .message
                .contains("start an annotation of your own with `x-`")
        );
        assert!(found[3].message.contains("did you mean `pattern`?"));
    }

    #[test]
    fn a_misspelled_type_is_named() {
        let problem = only(&[file(
            "s/x.v1.json",
            json!({"properties": {"n": {"type": ["strin", "null"]}}}),
        )]);
        assert_eq!(problem.kind, ProblemKind::NotASchema);
        assert_eq!(problem.pointer, "/properties/n/type");
        assert!(
            problem.message.contains("did you mean `string`?"),
            "{problem}"
        );
    }

    #[test]
    fn documents_must_satisfy_their_meta_schema() {
        let problem = only(&[file("s/x.v1.json", json!({"required": "id"}))]);
        assert_eq!(problem.kind, ProblemKind::NotASchema);
        assert_eq!(problem.pointer, "/required");
        assert!(
            problem
                .message
                .starts_with("Invalid JSON Schema document for event x.v1"),
            "{problem}"
        );
        let problem = only(&[file("s/x.v1.json", json!([1]))]);
        assert_eq!(problem.kind, ProblemKind::NotASchema);
        // Draft 4 has boolean `exclusiveMinimum`; draft-07 (the default) a number.
        assert!(
            problems(&[file(
                "s/x.v1.json",
                json!({"$schema": "http://json-schema.org/draft-04/schema#",
                       "minimum": 1, "exclusiveMinimum": true})
            )])
            .is_empty()
        );
        assert_eq!(
            only(&[file(
                "s/x.v1.json",
                json!({"minimum": 1, "exclusiveMinimum": true})
            )])
            .kind,
            ProblemKind::NotASchema
        );
    }

    #[test]
    fn id_must_name_the_message() {
        let problem = only(&[file(
            "s/widgets.created.v1.json",
            json!({"$id": "widgets:created:v2"}),
        )]);
        assert_eq!(problem.kind, ProblemKind::Id);
        assert_eq!(problem.pointer, "/$id");
        assert!(
            problem
                .message
                .contains("`\"$id\": \"widgets:created:v1\"`"),
            "{problem}"
        );
        let problem = only(&[file(
            "s/a.v1.json",
            json!({"$id": "https://x.io/b.v1.json"}),
        )]);
        assert_eq!(problem.kind, ProblemKind::Id);
    }

    #[test]
    fn identity_uses_the_protocol_texts() {
        let problem = only(&[file(
            "s/x.v1.json",
            json!({"type": "object", "identity": "id", "properties": {"name": {}}}),
        )]);
        assert_eq!(problem.kind, ProblemKind::Identity);
        assert_eq!(
            problem.message,
            "`identity` field of `id` on x.v1 must also be defined in `properties`"
        );
        let problem = only(&[file(
            "s/x.v1.json",
            json!({"type": "array", "identity": "id"}),
        )]);
        assert_eq!(
            problem.message,
            "`identity` field on x.v1 can only be used with `type` of `object`. Got `array`"
        );
        let problem = only(&[file(
            "s/x.v1.json",
            json!({"type": "object", "identity": 3}),
        )]);
        assert_eq!(problem.kind, ProblemKind::Identity);
    }

    #[test]
    fn every_problem_is_reported() {
        let found = problems(&[
            file("s/a.json", json!({"requried": []})),
            SchemaFile::new("s/b.v1.json", "nope"),
            file("s/c.v1.json", json!({"type": "object", "identity": "id"})),
        ]);
        let kinds: Vec<_> = found.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            [
                ProblemKind::FileName,
                ProblemKind::UnknownKeyword,
                ProblemKind::NotJson,
                ProblemKind::Identity
            ]
        );
        let err = check_schemas(&[file("s/a.json", json!({"requried": []}))]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("2 problems in the schemas:\ns/a.json: "),
            "{err}"
        );
    }
}
