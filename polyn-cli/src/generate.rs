//! What `polyn gen` writes: migration file names and their contents, by the
//! protocol's conventions (stream `USER_CREATED_V1` on `user.created.v1`,
//! consumer `<source_root>[_<source>]_<message>`), and new schemas for the
//! `schemas` codebase.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::Settings;

/// The file name of a new migration: `<timestamp>_<name>.toml`. The name is
/// snake_case (lowercase letters, digits and `_`).
pub(crate) fn file_name(timestamp: &str, name: &str) -> Result<String, String> {
    if !polyn::naming::is_snake_name(name) {
        return Err(format!(
            "`{name}` is not a snake_case migration name: use lowercase letters, digits and `_`, \
             like `create_widgets_stream`"
        ));
    }
    Ok(format!("{timestamp}_{name}.toml"))
}

/// An error when a migration named `name` is in `dir` already.
pub(crate) fn check_clash(dir: &Path, name: &str) -> Result<(), String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    let suffix = format!("_{name}.toml");
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        if file.ends_with(&suffix) && file.len() == 14 + suffix.len() {
            return Err(format!(
                "there is already a migration named `{name}`: {}; pick another name",
                dir.join(file).display()
            ));
        }
    }
    Ok(())
}

/// A migration to fill in.
pub(crate) fn empty() -> String {
    "# One change to the service's streams and consumers. Fields are the JetStream API's own
# names; durations are nanoseconds or a number and a unit (\"30s\", \"7d\").
# `[[change]]` operations are reversed on rollback; for anything else write
# `[[up]]` and `[[down]]` instead.
#
# [[change]]
# op = \"create_stream\"   # or update_stream, delete_stream, create_consumer, delete_consumer
# name = \"WIDGETS_CREATED_V1\"
# subjects = [\"widgets.created.v1\"]
"
    .to_owned()
}

/// A migration creating the protocol's stream for `message`.
pub(crate) fn stream(message: &str, has_identity: bool) -> String {
    let name = polyn::naming::stream_name(message);
    let subject = polyn::naming::stream_subject(message, has_identity);
    format!(
        "# The stream of `{message}`, by the Polyn convention.
[[change]]
op = \"create_stream\"
name = \"{name}\"
subjects = [\"{subject}\"]
"
    )
}

/// A migration creating the dead-letter stream: `POLYN_DEAD_LETTERS` on
/// `polyn.deadletter.v1.>`, on file, each dead letter kept 30 days.
pub(crate) fn dead_letters() -> String {
    let name = polyn::dead_letter::DEAD_LETTER_STREAM;
    let subject = format!("{}.>", polyn::dead_letter::DEAD_LETTER_NAME);
    format!(
        "# The dead-letter stream: the messages Polyn consumers give up on (their last
# delivery failed, the failure was permanent, or the message is invalid), one
# subject per consumer. `polyn dlq list` shows them, `polyn dlq replay`
# republishes them. Raise `max_age` to keep them longer.
[[change]]
op = \"create_stream\"
name = \"{name}\"
description = \"Dead letters: messages Polyn consumers gave up on\"
subjects = [\"{subject}\"]
storage = \"file\"
max_age = \"30d\"
"
    )
}

/// A migration creating the conventional durable consumer `consumer` of
/// `message` in `stream`.
pub(crate) fn consumer(message: &str, stream: &str, consumer: &str, filter: &str) -> String {
    format!(
        "# The durable consumer of `{message}`, named by the Polyn convention.
[[change]]
op = \"create_consumer\"
stream_name = \"{stream}\"
durable_name = \"{consumer}\"
filter_subject = \"{filter}\"
ack_policy = \"explicit\"
"
    )
}

/// Whether the schema of `message` in `schemas` declares an `identity`.
pub(crate) fn has_identity(schemas: &Path, message: &str) -> Result<bool, String> {
    let path = schemas.join(format!("{message}.json"));
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(false);
    };
    let schema: serde_json::Value = serde_json::from_str(&text)
        .map_err(|err| format!("{} is not JSON: {err}", path.display()))?;
    Ok(schema.get("identity").is_some())
}

/// `polyn gen schema NAME`: writes the schema template for the message at
/// the end of `name` (`billing/orders.placed.v1`) into `schemas`, in the
/// sub-folders before it, and prints the path written.
pub(crate) fn schema(settings: &Settings, name: &str, schemas: &Path) -> Result<(), String> {
    let (folders, message) = schema_name(name)?;
    if let Some(existing) = find_schema(schemas, message)? {
        let next = polyn::naming::next_version(message).unwrap_or_default();
        return Err(format!(
            "a schema for `{message}` exists already: {}; message names are unique across \
             the sub-folders of {} (edit that file, or write a breaking change as `{next}`)",
            existing.display(),
            schemas.display()
        ));
    }
    let folder = folders
        .iter()
        .fold(schemas.to_path_buf(), |path, f| path.join(f));
    std::fs::create_dir_all(&folder)
        .map_err(|err| format!("cannot create the folder {}: {err}", folder.display()))?;
    let path = folder.join(format!("{message}.json"));
    std::fs::write(&path, schema_template(message))
        .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    if settings.json {
        println!("{}", json!({ "wrote": path.display().to_string() }));
    } else {
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// The sub-folders and the message name of a `gen schema` argument.
fn schema_name(name: &str) -> Result<(Vec<&str>, &str), String> {
    let mut segments: Vec<&str> = name.split('/').collect();
    let message = segments.pop().unwrap_or_default();
    if let Some(bad) = segments.iter().find(|folder| {
        folder.is_empty() || **folder == "." || **folder == ".." || folder.contains('\\')
    }) {
        return Err(format!(
            "`{name}` has the sub-folder {bad:?}: give folder names below the schemas folder, \
             separated by `/`, like `billing/orders.placed.v1`"
        ));
    }
    if !polyn::naming::is_message_name(message) {
        return Err(format!(
            "Message names must be lowercase, alphanumeric and dot separated, got {message:?}; \
             name the schema like `orders.placed.v1`"
        ));
    }
    if polyn::naming::version(message).is_none() {
        return Err(format!(
            "`{message}` has no version: a message name ends in `.v<N>`, and a new message \
             starts at `{message}.v1`"
        ));
    }
    Ok((segments, message))
}

/// The file of the schema for `message` anywhere under `dir`, if there is one.
fn find_schema(dir: &Path, message: &str) -> Result<Option<PathBuf>, String> {
    let file = format!("{message}.json");
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(err) => {
                return Err(format!(
                    "cannot read the folder {}: {err}",
                    folder.display()
                ));
            }
        };
        for entry in entries {
            let entry = entry
                .map_err(|err| format!("cannot read the folder {}: {err}", folder.display()))?;
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if entry.file_name() == file.as_str() {
                return Ok(Some(path));
            }
        }
    }
    Ok(None)
}

/// The Polyn CLI's template for a new schema, as pretty JSON.
fn schema_template(message: &str) -> String {
    let schema = json!({
        "$id": polyn::naming::dot_to_colon(message),
        "$schema": "http://json-schema.org/draft-07/schema#",
        "description": "This is why this message exists and what it does",
        "type": "object",
        "properties": {},
    });
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names() {
        assert_eq!(
            schema_name("billing/eu/orders.placed.v1"),
            Ok((vec!["billing", "eu"], "orders.placed.v1"))
        );
        assert_eq!(schema_name("orders.v2"), Ok((vec![], "orders.v2")));
        for (bad, why) in [
            (
                "Orders.Placed.v1",
                "Message names must be lowercase, alphanumeric and dot separated",
            ),
            ("orders.placed", "has no version"),
            ("orders.placed.vx", "has no version"),
            ("billing/", "Message names must be lowercase"),
            ("../orders.placed.v1", "has the sub-folder \"..\""),
            ("/orders.placed.v1", "has the sub-folder \"\""),
            ("a//orders.placed.v1", "has the sub-folder \"\""),
        ] {
            let err = schema_name(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn the_schema_template() {
        let text = schema_template("orders.placed.v1");
        let keys: Vec<&str> = text
            .lines()
            .filter_map(|line| line.trim().strip_prefix('"')?.split('"').next())
            .collect();
        assert_eq!(
            keys,
            ["$id", "$schema", "description", "type", "properties"]
        );
        let schema: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(schema["$id"], "orders:placed:v1");
        assert_eq!(schema["properties"], json!({}));
        polyn::schema::Schema::compile("orders.placed.v1", &schema).expect("a valid schema");
    }

    fn parses(file: &str, text: &str) {
        polyn::migration::Migration::parse(file, text)
            .unwrap_or_else(|err| panic!("{err}\n{text}"));
    }

    #[test]
    fn generated_migrations_parse() {
        let file = file_name("20261202150000", "create_widgets_stream").expect("name");
        assert_eq!(file, "20261202150000_create_widgets_stream.toml");
        parses(&file, &stream("widgets.created.v1", false));
        assert!(stream("user.created.v1", true).contains("subjects = [\"user.created.v1.*\"]"));
        assert!(stream("user.created.v1", false).contains("name = \"USER_CREATED_V1\""));
        parses(
            &file,
            &consumer(
                "widgets.created.v1",
                "WIDGETS_CREATED_V1",
                "svc_widgets_created_v1",
                "widgets.created.v1",
            ),
        );
        let dead_letters =
            polyn::migration::Migration::parse(&file, &dead_letters()).expect("parses");
        let [polyn::migration::Operation::CreateStream(config)] = dead_letters.up() else {
            panic!("one create_stream: {:?}", dead_letters.up());
        };
        assert_eq!(config.name, polyn::dead_letter::DEAD_LETTER_STREAM);
        assert_eq!(config.subjects, ["polyn.deadletter.v1.>"]);
        assert_eq!(config.max_age, std::time::Duration::from_secs(30 * 86_400));
        assert_eq!(
            config.storage,
            polyn::async_nats::jetstream::stream::StorageType::File
        );
        let empty =
            polyn::migration::Migration::parse(&file, &empty()).expect_err("nothing to run yet");
        assert!(
            empty.to_string().contains("it has no operations"),
            "{empty}"
        );
    }

    #[test]
    fn names_are_snake_case() {
        assert!(file_name("20261202150000", "CreateWidgets").is_err());
        assert!(file_name("20261202150000", "").is_err());
        assert!(file_name("20261202150000", "a-b").is_err());
    }
}
