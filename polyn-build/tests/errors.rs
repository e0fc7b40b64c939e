//! Bad input: every problem is a typed error that names the file, and where
//! it can, the line and the JSON pointer.

use std::path::Path;

use polyn_build::{Error, ProblemKind, SchemaFile};

/// A schemas folder in a temporary directory.
fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("folders");
        std::fs::write(path, text).expect("schema file");
    }
    dir
}

/// Compiles the folder into a second temporary directory.
fn compile(dir: &Path) -> Result<String, Error> {
    let out = tempfile::tempdir().expect("temporary directory");
    let path = polyn_build::configure()
        .out_dir(out.path())
        .emit_rerun_if_changed(false)
        .compile(dir)?;
    Ok(std::fs::read_to_string(path).expect("generated file"))
}

const OK: &str = r#"{"type": "object", "properties": {"id": {"type": "string"}}}"#;

#[test]
fn invalid_name() {
    let dir = folder(&[("widgets/Widgets_Created.v1.json", OK)]);
    let err = compile(dir.path()).unwrap_err();
    let Error::InvalidName { path, name } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(name, "Widgets_Created.v1");
    assert_eq!(path, &dir.path().join("widgets/Widgets_Created.v1.json"));
    let message = err.to_string();
    assert!(message.contains("Widgets_Created.v1.json"), "{message}");
    assert!(
        message.contains("Message names must be lowercase, alphanumeric and dot separated"),
        "{message}"
    );
}

#[test]
fn duplicate_basename_names_both_paths() {
    let dir = folder(&[
        ("a/widgets.created.v1.json", OK),
        ("b/deeper/widgets.created.v1.json", OK),
    ]);
    let err = compile(dir.path()).unwrap_err();
    let Error::DuplicateName {
        name,
        first,
        second,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(name, "widgets.created.v1");
    assert_eq!(first, &dir.path().join("a/widgets.created.v1.json"));
    assert_eq!(second, &dir.path().join("b/deeper/widgets.created.v1.json"));
    let message = err.to_string();
    assert!(
        message.starts_with(
            "There can only be one of each schema name. The following schemas were duplicated:\nwidgets.created.v1\n"
        ),
        "{message}"
    );
    assert!(message.contains("a/widgets.created.v1.json"), "{message}");
    assert!(
        message.contains("b/deeper/widgets.created.v1.json"),
        "{message}"
    );
}

#[test]
fn broken_json_gives_line_and_column() {
    let text = "{\n  \"type\": \"object\",\n  \"properties\": {\n    \"id\": {\"type\": \"string\"}\n  \n}\n";
    let files = [SchemaFile::new("schemas/broken.v1.json", text)];
    let err = polyn_build::generate(&files).unwrap_err();
    let Error::InvalidJson { line, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*line, 7);
    let message = err.to_string();
    assert!(
        message.starts_with("schemas/broken.v1.json:7:"),
        "{message}"
    );
    assert!(
        message.contains("not valid JSON: EOF while parsing an object"),
        "{message}"
    );
}

#[test]
fn not_a_schema_gives_pointer_and_line() {
    let text = r#"{
  "type": "object",
  "properties": {
    "id": { "type": "string" },
    "count": {
      "type": "integr"
    }
  }
}"#;
    let files = [SchemaFile::new("schemas/counts.v1.json", text)];
    let err = polyn_build::generate(&files).unwrap_err();
    let Error::Schemas { problems } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(problems[0].pointer, "/properties/count/type");
    assert_eq!(problems[0].line, Some(6));
    let message = err.to_string();
    assert_eq!(
        message,
        "schemas/counts.v1.json:6 at `/properties/count/type`: `integr` is not a JSON Schema \
         type: did you mean `integer`?"
    );

    let files = [SchemaFile::new(
        "s/x.v1.json",
        r#"{"properties": {"a": {"minLength": -1}}}"#,
    )];
    assert_eq!(
        polyn_build::generate(&files).unwrap_err().to_string(),
        "s/x.v1.json:1 at `/properties/a/minLength`: Invalid JSON Schema document for event \
         x.v1: -1 is less than the minimum of 0, which the draft-07 meta-schema does not allow; \
         correct the value"
    );

    for (text, pointer) in [
        (r#"[1, 2]"#, ""),
        (r#"{"required": "id"}"#, "/required"),
        (r#"{"properties": {"a": 5}}"#, "/properties/a"),
        (
            r#"{"properties": {"a": {"minLength": -1}}}"#,
            "/properties/a/minLength",
        ),
        (r#"{"anyOf": []}"#, "/anyOf"),
        (
            r##"{"properties": {"a": {"$ref": "#/definitions/Nope"}}}"##,
            "/properties/a/$ref",
        ),
    ] {
        let files = [SchemaFile::new("s/x.v1.json", text)];
        let err = polyn_build::generate(&files).unwrap_err();
        // The folder rules (the draft's meta-schema) or the generator's own
        // check: either names the place.
        let found = match &err {
            Error::InvalidSchema { pointer, .. } => pointer.as_str(),
            Error::Schemas { problems } if problems[0].kind == ProblemKind::NotASchema => {
                problems[0].pointer.as_str()
            }
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(found, pointer, "{text}: {err:?}");
        assert!(err.to_string().starts_with("s/x.v1.json"), "{err}");
    }
}

#[test]
fn unsupported_features_are_reported_not_panicked() {
    for (text, pointer, hint) in [
        (
            r#"{"properties": {"a": {"$ref": "common.json#/definitions/Id"}}}"#,
            "/properties/a/$ref",
            "external `$ref`",
        ),
        (
            r##"{"properties": {"a": {"type": "string"}, "b": {"$ref": "#/properties/a"}}}"##,
            "/properties/b/$ref",
            "points inside another schema",
        ),
        (
            r#"{"type": "object", "if": {"required": ["a"]}, "then": {"required": ["b"]}}"#,
            "/if",
            "`if`/`then`/`else`",
        ),
    ] {
        let files = [SchemaFile::new("schemas/x.v1.json", text)];
        let err = polyn_build::generate(&files).unwrap_err();
        let Error::Unsupported { pointer: p, .. } = &err else {
            panic!("{text}: {err:?}")
        };
        assert_eq!(p, pointer, "{text}");
        let message = err.to_string();
        assert!(
            message.starts_with("schemas/x.v1.json:1: unsupported at "),
            "{message}"
        );
        assert!(message.contains(hint), "{message}");
    }
}

/// Valid for its own draft, but not as the generator reads it: each named
/// with its file, line and pointer.
#[test]
fn values_the_generator_cannot_read_are_unsupported() {
    for (text, pointer, hint) in [
        (
            r#"{"$schema": "http://json-schema.org/draft-04/schema#",
                "properties": {"a": {"type": "string", "readOnly": "yes"}}}"#,
            "/properties/a/readOnly",
            "as draft-07 this is invalid: \"yes\" is not of type \"boolean\"",
        ),
        (
            r#"{"properties": {"a": {"type": "string", "maxLength": 5000000000}}}"#,
            "/properties/a/maxLength",
            "a whole number up to 4294967295",
        ),
        (
            r#"{"properties": {"a": {"type": "string", "deprecated": "yes"}}}"#,
            "/properties/a/deprecated",
            "`deprecated` as a boolean",
        ),
    ] {
        let files = [SchemaFile::new("schemas/x.v1.json", text)];
        let err = polyn_build::generate(&files).unwrap_err();
        let Error::Unsupported { pointer: p, .. } = &err else {
            panic!("{text}: {err:?}")
        };
        assert_eq!(p, pointer, "{text}");
        let message = err.to_string();
        assert!(message.starts_with("schemas/x.v1.json:"), "{message}");
        assert!(message.contains(hint), "{message}");
    }
}

/// What typify itself rejects, or panics on, still ends in an error that
/// names the file.
#[test]
fn typify_errors_and_panics_name_the_file() {
    for text in [
        // A tuple without a length: typify returns an error.
        r#"{"type": "object", "properties": {"pair": {"type": "array", "items": [{"type": "string"}]}}}"#,
        // An empty `not`: typify panics.
        r#"{"not": {}}"#,
    ] {
        let files = [SchemaFile::new("schemas/odd.v1.json", text)];
        let err = polyn_build::generate(&files).unwrap_err();
        assert!(matches!(err, Error::Generation { .. }), "{text}: {err:?}");
        let message = err.to_string();
        assert!(
            message.starts_with("schemas/odd.v1.json: cannot generate Rust types: "),
            "{message}"
        );
        assert!(!message.contains('\n'), "{message}");
    }
}

#[test]
fn skip_leaves_an_unsupported_schema_out() {
    let dir = folder(&[
        ("ok.v1.json", OK),
        ("conditional.v1.json", r#"{"if": {}, "then": {}}"#),
    ]);
    assert!(matches!(
        compile(dir.path()),
        Err(Error::Unsupported { .. })
    ));
    let out = tempfile::tempdir().unwrap();
    let path = polyn_build::configure()
        .out_dir(out.path())
        .emit_rerun_if_changed(false)
        .skip("conditional.v1")
        .compile(dir.path())
        .unwrap();
    let code = std::fs::read_to_string(&path).unwrap();
    assert!(code.contains("pub use self::ok_v1::OkV1;"), "{code}");
    assert!(!code.contains("ConditionalV1"), "{code}");
    let module = std::fs::read_to_string(out.path().join("polyn_events/ok_v1.rs")).unwrap();
    assert!(module.contains("pub struct OkV1"), "{module}");
    assert!(!out.path().join("polyn_events/conditional_v1.rs").exists());

    let err = polyn_build::configure()
        .skip("nope.v1")
        .generate(&[])
        .unwrap_err();
    assert!(matches!(err, Error::InvalidOption { .. }), "{err:?}");
}

#[test]
fn type_name_collision() {
    let files = [
        SchemaFile::new("s/a.1b.v1.json", OK),
        SchemaFile::new("s/a1b.v1.json", OK),
    ];
    let err = polyn_build::generate(&files).unwrap_err();
    assert!(
        matches!(&err, Error::TypeNameCollision { type_name, .. } if type_name == "A1bV1"),
        "{err:?}"
    );
}

#[test]
fn missing_out_dir_and_folder() {
    // Integration tests do not run under a build script, so OUT_DIR is unset.
    assert!(std::env::var_os("OUT_DIR").is_none());
    let dir = folder(&[("ok.v1.json", OK)]);
    let err = polyn_build::configure()
        .emit_rerun_if_changed(false)
        .compile(dir.path())
        .unwrap_err();
    assert!(matches!(err, Error::OutDirNotSet), "{err:?}");

    let err = compile(Path::new("/no/such/schemas")).unwrap_err();
    assert!(matches!(&err, Error::Io { path, .. } if path == Path::new("/no/such/schemas")));
    assert!(err.to_string().starts_with("/no/such/schemas: "), "{err}");
}

#[test]
fn bad_runtime_path() {
    let err = polyn_build::configure()
        .runtime_path("not a path")
        .generate(&[])
        .unwrap_err();
    assert!(matches!(err, Error::InvalidOption { .. }), "{err:?}");
}

/// The strict rules of a schemas codebase, each broken once: every problem
/// is reported at once, one line each, with the file and the line or JSON
/// pointer, and nothing is generated.
#[test]
fn every_strict_rule_is_one_error_naming_file_and_place() {
    let files = [
        SchemaFile::new(
            "schemas/orders.refunded.v1.schema.json",
            r#"{"type": "object"}"#,
        ),
        SchemaFile::new(
            "schemas/orders.paid.v1.json",
            "{\n  \"$id\": \"orders:shipped:v1\",\n  \"type\": \"object\",\n  \"identity\": \"order\",\n  \"properties\": {\"id\": {\"type\": \"string\"}},\n  \"requried\": [\"id\"]\n}",
        ),
    ];
    let err = polyn_build::generate(&files).unwrap_err();
    let Error::Schemas { problems } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(problems.len(), 4, "{err}");
    assert_eq!(
        err.to_string(),
        "4 problems in the schemas:\n\
         schemas/orders.refunded.v1.schema.json: the message name `orders.refunded.v1.schema` \
         does not end with a version token (`.v<N>`); name the file `orders.refunded.v1.json`\n\
         schemas/orders.paid.v1.json:6 at `/requried`: unknown keyword `requried`: did you mean \
         `required`? JSON Schema ignores unknown keywords, so as written it has no effect\n\
         schemas/orders.paid.v1.json:2 at `/$id`: `$id` is `orders:shipped:v1`, which does not \
         name this file's message `orders.paid.v1`: write `\"$id\": \"orders:paid:v1\"` \
         (optionally after your domain, e.g. `com:acme:orders:paid:v1`), rename the file, or \
         leave `$id` out\n\
         schemas/orders.paid.v1.json:4 at `/identity`: `identity` field of `order` on \
         orders.paid.v1 must also be defined in `properties`"
    );
}
