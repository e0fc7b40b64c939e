//! What `polyn gen` writes: migration file names and their contents, by the
//! protocol's conventions (stream `USER_CREATED_V1` on `user.created.v1`,
//! consumer `<source_root>[_<source>]_<message>`).

use std::path::Path;

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

#[cfg(test)]
mod tests {
    use super::*;

    fn parses(file: &str, text: &str) {
        polyn::Migration::parse(file, text).unwrap_or_else(|err| panic!("{err}\n{text}"));
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
        let empty = polyn::Migration::parse(&file, &empty()).expect_err("nothing to run yet");
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
