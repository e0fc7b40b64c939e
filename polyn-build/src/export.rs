//! Rust-first events: writing the JSON Schema of a Rust type into the
//! schemas folder, so other languages (and the schema store) get it too.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::output::write_if_changed;
use crate::{Error, naming};

/// The JSON Schema (draft-07) of `T` as the schema file of message `name`:
/// schemars' schema of `T`, with `$id` set to the name with colons
/// (`order.placed.v1` → `order:placed:v1`, as `polyn gen:schema` does) and a
/// `title` (the type's schema name unless the type sets one).
///
/// ```
/// #[derive(schemars::JsonSchema)]
/// /// An order was placed.
/// struct OrderPlacedV1 {
///     /// The order's id.
///     id: String,
///     quantity: u32,
/// }
///
/// let schema = polyn_build::rust_schema::<OrderPlacedV1>("order.placed.v1")?;
/// assert_eq!(schema["$id"], "order:placed:v1");
/// assert_eq!(schema["title"], "OrderPlacedV1");
/// assert_eq!(schema["description"], "An order was placed.");
/// assert_eq!(schema["required"], serde_json::json!(["id", "quantity"]));
/// # Ok::<(), polyn_build::Error>(())
/// ```
pub fn rust_schema<T: schemars::JsonSchema>(name: &str) -> Result<Value, Error> {
    if !naming::is_message_name(name) {
        return Err(Error::InvalidName {
            path: PathBuf::from(format!("{name}.json")),
            name: name.to_owned(),
        });
    }
    let schema = schemars::schema_for!(T);
    let export_error = |message: String| Error::Export {
        name: name.to_owned(),
        message,
    };
    let Value::Object(mut generated) =
        serde_json::to_value(&schema).map_err(|err| export_error(err.to_string()))?
    else {
        return Err(export_error(
            "the schema of a message must be a JSON object".to_owned(),
        ));
    };
    // `$schema`, `$id`, `title` and `description` first, as people write them.
    let mut ordered = Map::new();
    if let Some(meta) = generated.remove("$schema") {
        ordered.insert("$schema".to_owned(), meta);
    }
    generated.remove("$id");
    ordered.insert("$id".to_owned(), Value::String(name.replace('.', ":")));
    let title = generated
        .remove("title")
        .unwrap_or_else(|| Value::String(T::schema_name()));
    ordered.insert("title".to_owned(), title);
    if let Some(description) = generated.remove("description") {
        ordered.insert("description".to_owned(), description);
    }
    ordered.extend(generated);
    let schema = Value::Object(ordered);
    crate::check::check_root(&schema, &naming::type_name(name)).map_err(|problem| {
        export_error(format!(
            "the generated schema is not usable at {}: {}",
            problem.pointer, problem.message
        ))
    })?;
    Ok(schema)
}

/// Writes the schema of `T` (see [`rust_schema`]) to `<dir>/<name>.json`,
/// pretty-printed, and returns the path. The file is only rewritten when its
/// content changes.
///
/// Run it where the type is visible, typically from a test of the crate that
/// defines the event, so `cargo test` keeps the schema file current:
///
/// ```
/// #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
/// /// An order was placed.
/// struct OrderPlacedV1 {
///     id: String,
/// }
///
/// # let dir = tempfile::tempdir()?;
/// # let schemas = dir.path();
/// // #[test] fn export_schemas() { ... }
/// let path = polyn_build::export_schema::<OrderPlacedV1>("order.placed.v1", schemas)?;
/// assert_eq!(path, schemas.join("order.placed.v1.json"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn export_schema<T: schemars::JsonSchema>(
    name: &str,
    dir: impl AsRef<Path>,
) -> Result<PathBuf, Error> {
    let schema = rust_schema::<T>(name)?;
    let mut text = serde_json::to_string_pretty(&schema).map_err(|err| Error::Export {
        name: name.to_owned(),
        message: err.to_string(),
    })?;
    text.push('\n');
    let path = dir.as_ref().join(format!("{name}.json"));
    write_if_changed(&path, &text)?;
    Ok(path)
}
