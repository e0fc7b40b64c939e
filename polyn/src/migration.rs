//! [`Migrations`]: the streams and consumers a service owns, as migration
//! files in its codebase (default `polyn/migrations/`), one change each,
//! named `<14-digit UTC timestamp>_<snake_name>.toml`.
//!
//! A file lists operations whose fields are the JetStream API's own names
//! (so the NATS documentation applies unchanged), under `[[change]]`
//! (reversed on rollback: creates become deletes) or under `[[up]]` with an
//! explicit `[[down]]`:
//!
//! ```toml
//! # polyn/migrations/20261202150000_create_widgets.toml
//! [[change]]
//! op = "create_stream"
//! name = "WIDGETS_CREATED_V1"
//! subjects = ["widgets.created.v1"]
//! max_age = "30d"          # durations: nanoseconds, or a number and a unit
//!
//! [[change]]
//! op = "create_consumer"
//! stream_name = "WIDGETS_CREATED_V1"
//! durable_name = "billing_widgets_created_v1"
//! filter_subject = "widgets.created.v1"
//! ack_policy = "explicit"
//! ```
//!
//! Operations: `create_stream`, `update_stream` (merged with the current
//! configuration), `delete_stream` (`name`), `create_consumer` and
//! `delete_consumer` (`stream_name`, `durable_name`). A [`Migrator`] runs
//! them and records what ran in `POLYN_MIGRATIONS`.

mod fields;
mod ledger;
mod migrator;

use std::path::Path;

use async_nats::jetstream::{consumer, stream};
use serde_json::{Map, Value};

use crate::error::Error;

pub use ledger::MIGRATIONS_BUCKET;
pub use migrator::{MigrationStatus, Migrator};

/// One operation of a migration.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Operation {
    /// Creates a stream.
    CreateStream(Box<stream::Config>),
    /// Merges `changes` into the stream's current configuration.
    UpdateStream {
        /// The stream.
        name: String,
        /// The fields to change, by their JetStream API names.
        changes: Map<String, Value>,
    },
    /// Deletes a stream.
    DeleteStream {
        /// The stream.
        name: String,
    },
    /// Creates a durable consumer.
    CreateConsumer {
        /// The stream it is in.
        stream: String,
        /// Its configuration.
        config: Box<consumer::Config>,
    },
    /// Deletes a consumer.
    DeleteConsumer {
        /// The stream it is in.
        stream: String,
        /// The consumer.
        consumer: String,
    },
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Operation::CreateStream(config) => write!(f, "create_stream `{}`", config.name),
            Operation::UpdateStream { name, .. } => write!(f, "update_stream `{name}`"),
            Operation::DeleteStream { name } => write!(f, "delete_stream `{name}`"),
            Operation::CreateConsumer { stream, config } => write!(
                f,
                "create_consumer `{}` in `{stream}`",
                config.durable_name.as_deref().unwrap_or_default()
            ),
            Operation::DeleteConsumer { stream, consumer } => {
                write!(f, "delete_consumer `{consumer}` in `{stream}`")
            }
        }
    }
}

impl Operation {
    /// What undoes it, if it can be undone without being told how.
    fn reversed(&self) -> Option<Operation> {
        match self {
            Operation::CreateStream(config) => Some(Operation::DeleteStream {
                name: config.name.clone(),
            }),
            Operation::CreateConsumer { stream, config } => Some(Operation::DeleteConsumer {
                stream: stream.clone(),
                consumer: config.durable_name.clone().unwrap_or_default(),
            }),
            _ => None,
        }
    }
}

/// One migration file.
#[derive(Clone, Debug)]
pub struct Migration {
    id: String,
    name: String,
    file: String,
    up: Vec<Operation>,
    /// `Some` for an explicit `[[down]]`; `None` when `[[change]]` is
    /// reversed.
    down: Option<Vec<Operation>>,
    reversible: bool,
}

impl Migration {
    /// Its id: the 14-digit UTC timestamp the file name starts with.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Its name: the file name's snake-case part.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file name.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// What migrating runs, in order.
    pub fn up(&self) -> &[Operation] {
        &self.up
    }

    /// What rolling back runs, in order: the explicit `[[down]]`, or the
    /// `[[change]]` operations reversed, last first. An operation that
    /// cannot be reversed is an error naming it.
    pub fn down(&self) -> Result<Vec<Operation>, Error> {
        if let Some(down) = &self.down {
            return Ok(down.clone());
        }
        if !self.reversible {
            return Err(self.invalid(
                "it has `[[up]]` but no `[[down]]`, so it cannot be rolled back; add the \
                 `[[down]]` operations that undo it",
            ));
        }
        self.up
            .iter()
            .rev()
            .map(|operation| {
                operation.reversed().ok_or_else(|| {
                    self.invalid(&format!(
                        "its operation {operation} cannot be reversed; write the migration with \
                         `[[up]]` and an explicit `[[down]]`"
                    ))
                })
            })
            .collect()
    }

    fn invalid(&self, reason: &str) -> Error {
        Error::MigrationFile {
            file: self.file.clone(),
            reason: reason.to_owned(),
        }
    }

    /// Parses a migration file: `file` is its name, `text` its TOML.
    pub fn parse(file: &str, text: &str) -> Result<Migration, Error> {
        let invalid = |reason: String| Error::MigrationFile {
            file: file.to_owned(),
            reason,
        };
        let (id, name) = file_id(file).map_err(invalid)?;
        let table: toml::Table = toml::from_str(text)
            .map_err(|err| invalid(format!("it is not valid TOML: {}", err.message())))?;
        for key in table.keys() {
            if !matches!(key.as_str(), "change" | "up" | "down") {
                return Err(invalid(format!(
                    "unknown section `{key}`: a migration has `[[change]]` operations, or \
                     `[[up]]` and `[[down]]`"
                )));
            }
        }
        let section = |key: &str| -> Result<Option<Vec<Operation>>, Error> {
            let Some(steps) = table.get(key) else {
                return Ok(None);
            };
            let toml::Value::Array(steps) = steps else {
                return Err(invalid(format!(
                    "`{key}` is a list of operations: write each as `[[{key}]]`"
                )));
            };
            steps
                .iter()
                .enumerate()
                .map(|(index, step)| {
                    operation(step).map_err(|reason| {
                        invalid(format!("operation {} of `[[{key}]]`: {reason}", index + 1))
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some)
        };
        let (change, up, down) = (section("change")?, section("up")?, section("down")?);
        let (up, down, reversible) = match (change, up, down) {
            (Some(change), None, None) => (change, None, true),
            (None, Some(up), down) => (up, down, false),
            (Some(_), Some(_), _) => {
                return Err(invalid(
                    "it has both `[[change]]` and `[[up]]`: use one of them".to_owned(),
                ));
            }
            (Some(_), None, Some(_)) => {
                return Err(invalid(
                    "`[[change]]` is reversed on rollback, so it takes no `[[down]]`: rename \
                     `[[change]]` to `[[up]]` to give the `[[down]]` explicitly"
                        .to_owned(),
                ));
            }
            (None, None, _) => {
                return Err(invalid(
                    "it has no operations: add `[[change]]` (or `[[up]]` and `[[down]]`) \
                     tables with an `op`"
                        .to_owned(),
                ));
            }
        };
        Ok(Migration {
            id,
            name,
            file: file.to_owned(),
            up,
            down,
            reversible,
        })
    }
}

/// The id and name of a migration file name, `<14 digits>_<snake>.toml`.
fn file_id(file: &str) -> Result<(String, String), String> {
    use crate::naming::MigrationFileError as Problem;
    let form = "migration files are named `<14-digit UTC timestamp>_<snake_case_name>.toml`, \
                like `20261202150000_create_widgets.toml`";
    let stem = file.strip_suffix(".toml").unwrap_or(file);
    let (id, name) = stem.split_once('_').unwrap_or((stem, ""));
    match crate::naming::migration_file(file) {
        Ok((id, name)) => Ok((id.to_owned(), name.to_owned())),
        Err(Problem::NotToml) => Err(format!("it is not a `.toml` file; {form}")),
        Err(Problem::NoName) => Err(format!("its name has no `_`; {form}")),
        Err(Problem::BadTimestamp) => Err(format!("`{id}` is not a 14-digit timestamp; {form}")),
        Err(_) => Err(format!("`{name}` is not a snake_case name; {form}")),
    }
}

/// A stream or consumer name the JetStream API accepts.
fn check_name(kind: &str, name: &str) -> Result<(), String> {
    if crate::naming::is_nats_name(name) {
        return Ok(());
    }
    Err(format!(
        "`{name}` is not a valid {kind} name: it cannot be empty or contain whitespace, \
         `.`, `*`, `>`, `/` or `\\`"
    ))
}

/// A configuration with `fields` over the defaults (the JetStream API's
/// defaults: what a field left out means).
pub(crate) fn with_defaults<T>(fields: Map<String, Value>) -> Result<T, serde_json::Error>
where
    T: Default + serde::Serialize + serde::de::DeserializeOwned,
{
    let mut merged = match serde_json::to_value(T::default())? {
        Value::Object(defaults) => defaults,
        _ => Map::new(),
    };
    merged.extend(fields);
    serde_json::from_value(Value::Object(merged))
}

/// One `[[change]]` / `[[up]]` / `[[down]]` table.
fn operation(step: &toml::Value) -> Result<Operation, String> {
    let json = serde_json::to_value(step).map_err(|err| err.to_string())?;
    let Value::Object(mut fields) = json else {
        return Err("an operation is a table with an `op`".to_owned());
    };
    let op = match fields.remove("op") {
        Some(Value::String(op)) => op,
        Some(other) => return Err(format!("`op` is a string, not {other}")),
        None => {
            return Err("it has no `op`: one of `create_stream`, `update_stream`, \
                        `delete_stream`, `create_consumer`, `delete_consumer`"
                .to_owned());
        }
    };
    let text = |fields: &mut Map<String, Value>, key: &str| -> Result<String, String> {
        match fields.remove(key) {
            Some(Value::String(value)) => Ok(value),
            Some(other) => Err(format!("`{key}` is a string, not {other}")),
            None => Err(format!("`{op}` needs `{key}`")),
        }
    };
    let only = |fields: &Map<String, Value>, allowed: &'static [&'static str]| {
        fields::check_fields(fields, allowed)
    };
    match op.as_str() {
        "create_stream" => {
            fields::check_fields(&fields, fields::STREAM_FIELDS)?;
            fields::nanos_from_durations(&mut fields)?;
            let name = fields
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            check_name("stream", name)?;
            let config: stream::Config = with_defaults(fields)
                .map_err(|err| format!("invalid stream configuration: {err}"))?;
            Ok(Operation::CreateStream(Box::new(config)))
        }
        "update_stream" => {
            fields::check_fields(&fields, fields::STREAM_FIELDS)?;
            fields::nanos_from_durations(&mut fields)?;
            let name = text(&mut fields, "name")?;
            check_name("stream", &name)?;
            Ok(Operation::UpdateStream {
                name,
                changes: fields,
            })
        }
        "delete_stream" => {
            only(&fields, &["name"])?;
            let name = text(&mut fields, "name")?;
            check_name("stream", &name)?;
            Ok(Operation::DeleteStream { name })
        }
        "create_consumer" => {
            fields::check_fields(&fields, fields::CONSUMER_FIELDS)?;
            fields::nanos_from_durations(&mut fields)?;
            let stream = text(&mut fields, "stream_name")?;
            check_name("stream", &stream)?;
            let durable = fields
                .get("durable_name")
                .and_then(Value::as_str)
                .ok_or("`create_consumer` needs `durable_name`: Polyn binds durable consumers")?;
            check_name("consumer", durable)?;
            let config: consumer::Config = with_defaults(fields)
                .map_err(|err| format!("invalid consumer configuration: {err}"))?;
            Ok(Operation::CreateConsumer {
                stream,
                config: Box::new(config),
            })
        }
        "delete_consumer" => {
            only(&fields, &["stream_name", "durable_name"])?;
            let stream = text(&mut fields, "stream_name")?;
            let consumer = text(&mut fields, "durable_name")?;
            check_name("stream", &stream)?;
            check_name("consumer", &consumer)?;
            Ok(Operation::DeleteConsumer { stream, consumer })
        }
        other => Err(format!(
            "unknown `op = \"{other}\"`: one of `create_stream`, `update_stream`, \
             `delete_stream`, `create_consumer`, `delete_consumer`"
        )),
    }
}

/// A service's migrations, in id order.
///
/// ```
/// let migrations = polyn::migration::Migrations::from_files([(
///     "20261202150000_create_widgets.toml",
///     "[[change]]\nop = \"create_stream\"\nname = \"WIDGETS\"\nsubjects = [\"widgets.created.v1\"]\n",
/// )])?;
/// assert_eq!(migrations.iter().next().map(|m| m.id()), Some("20261202150000"));
/// # Ok::<(), polyn::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Migrations {
    list: Vec<Migration>,
}

impl Migrations {
    /// Parses migration files given as `(file name, TOML)`; the order does
    /// not matter. Duplicate ids and duplicate names are errors.
    pub fn from_files<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Migrations, Error> {
        let mut list = files
            .into_iter()
            .map(|(file, text)| Migration::parse(file, text))
            .collect::<Result<Vec<_>, _>>()?;
        list.sort_by(|a, b| a.id.cmp(&b.id));
        for pair in list.windows(2) {
            if pair[0].id == pair[1].id {
                return Err(Error::MigrationFile {
                    file: pair[1].file.clone(),
                    reason: format!(
                        "its id {} is also the id of `{}`; give each migration its own timestamp",
                        pair[1].id, pair[0].file
                    ),
                });
            }
        }
        for (index, migration) in list.iter().enumerate() {
            if let Some(other) = list[..index].iter().find(|m| m.name == migration.name) {
                return Err(Error::MigrationFile {
                    file: migration.file.clone(),
                    reason: format!(
                        "its name `{}` is also the name of `{}`; give each migration its own name",
                        migration.name, other.file
                    ),
                });
            }
        }
        Ok(Migrations { list })
    }

    /// Reads every `*.toml` file of `dir` (other files are ignored).
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Migrations, Error> {
        let dir = dir.as_ref();
        let unreadable = |source: std::io::Error| Error::Io {
            what: "the migrations folder",
            path: dir.to_path_buf(),
            source,
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(unreadable)? {
            let path = entry.map_err(unreadable)?.path();
            if path.extension().is_none_or(|ext| ext != "toml") {
                continue;
            }
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
                what: "the migration file",
                path: path.clone(),
                source,
            })?;
            files.push((name, text));
        }
        Self::from_files(
            files
                .iter()
                .map(|(name, text)| (name.as_str(), text.as_str())),
        )
    }

    /// The migrations, in id order.
    pub fn iter(&self) -> impl Iterator<Item = &Migration> {
        self.list.iter()
    }

    /// The migration with `id`.
    pub fn get(&self, id: &str) -> Option<&Migration> {
        self.list.iter().find(|migration| migration.id == id)
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREATE: &str = r#"
[[change]]
op = "create_stream"
name = "WIDGETS"
subjects = ["widgets.created.v1"]
max_age = "1d"
num_replicas = 3

[[change]]
op = "create_consumer"
stream_name = "WIDGETS"
durable_name = "billing_widgets_created_v1"
filter_subject = "widgets.created.v1"
ack_policy = "explicit"
ack_wait = "30s"
"#;

    fn reason(result: Result<Migration, Error>) -> String {
        match result {
            Err(Error::MigrationFile { reason, .. }) => reason,
            other => panic!("expected a file error, got {other:?}"),
        }
    }

    #[test]
    fn a_change_is_parsed_and_reversed() {
        let migration =
            Migration::parse("20261202150000_create_widgets.toml", CREATE).expect("valid");
        assert_eq!(
            (migration.id(), migration.name()),
            ("20261202150000", "create_widgets")
        );
        let [
            Operation::CreateStream(stream),
            Operation::CreateConsumer {
                stream: name,
                config,
            },
        ] = migration.up()
        else {
            panic!("{:?}", migration.up());
        };
        assert_eq!(stream.max_age, std::time::Duration::from_secs(86_400));
        assert_eq!(stream.num_replicas, 3);
        assert_eq!(name, "WIDGETS");
        assert_eq!(config.ack_wait, std::time::Duration::from_secs(30));
        let down: Vec<String> = migration
            .down()
            .expect("reversible")
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            down,
            [
                "delete_consumer `billing_widgets_created_v1` in `WIDGETS`",
                "delete_stream `WIDGETS`"
            ]
        );
    }

    #[test]
    fn what_cannot_be_reversed_says_so() {
        let update = "[[change]]\nop = \"update_stream\"\nname = \"WIDGETS\"\nmax_age = \"2d\"\n";
        let migration = Migration::parse("20261202150000_longer.toml", update).expect("valid");
        let error = migration.down().expect_err("irreversible").to_string();
        assert!(error.contains("20261202150000_longer.toml"), "{error}");
        assert!(
            error.contains("update_stream `WIDGETS` cannot be reversed"),
            "{error}"
        );
        let up_only = "[[up]]\nop = \"delete_stream\"\nname = \"OLD\"\n";
        let migration = Migration::parse("20261202150000_drop.toml", up_only).expect("valid");
        assert!(migration.down().is_err());
        let explicit = format!(
            "{up_only}\n[[down]]\nop = \"create_stream\"\nname = \"OLD\"\nsubjects = [\"old\"]\n"
        );
        let migration = Migration::parse("20261202150000_drop.toml", &explicit).expect("valid");
        assert_eq!(migration.down().expect("explicit").len(), 1);
    }

    #[test]
    fn malformed_files_are_errors_that_say_what_to_fix() {
        let parse = |file: &str, text: &str| reason(Migration::parse(file, text));
        assert!(parse("2026_x.toml", CREATE).contains("is not a 14-digit timestamp"));
        assert!(parse("20261202150000_Bad.toml", CREATE).contains("not a snake_case name"));
        assert!(parse("20261202150000_x.toml", "[[change]\n").starts_with("it is not valid TOML"));
        assert!(parse("20261202150000_x.toml", "").contains("it has no operations"));
        let unknown = parse(
            "20261202150000_x.toml",
            "[[change]]\nop = \"create_stream\"\nname = \"S\"\nsubject = [\"s\"]\n",
        );
        assert!(
            unknown.starts_with(
                "operation 1 of `[[change]]`: unknown field `subject` (did you mean `subjects`?)"
            ),
            "{unknown}"
        );
        assert!(
            parse("20261202150000_x.toml", "[[change]]\nop = \"drop_table\"\n")
                .contains("unknown `op = \"drop_table\"`")
        );
        assert!(
            parse(
                "20261202150000_x.toml",
                "[[change]]\nop = \"create_consumer\"\nstream_name = \"S\"\n"
            )
            .contains("needs `durable_name`")
        );
        assert!(
            parse(
                "20261202150000_x.toml",
                "[[change]]\nop = \"delete_stream\"\nname = \"a.b\"\n"
            )
            .contains("not a valid stream name")
        );
        assert!(
            parse("20261202150000_x.toml", "[[steps]]\nop = \"x\"\n")
                .contains("unknown section `steps`")
        );
        assert!(
            parse(
                "20261202150000_x.toml",
                "[[change]]\nop = \"create_stream\"\nname = \"S\"\nmax_age = \"soon\"\n"
            )
            .contains("is not a duration")
        );
    }

    #[test]
    fn ids_and_names_are_unique_and_sorted() {
        let delete = "[[up]]\nop = \"delete_stream\"\nname = \"S\"\n";
        let migrations = Migrations::from_files([
            ("20261202150001_b.toml", delete),
            ("20261202150000_a.toml", delete),
        ])
        .expect("valid");
        let ids: Vec<&str> = migrations.iter().map(Migration::id).collect();
        assert_eq!(ids, ["20261202150000", "20261202150001"]);
        let same_id = Migrations::from_files([
            ("20261202150000_a.toml", delete),
            ("20261202150000_b.toml", delete),
        ]);
        assert!(
            same_id
                .expect_err("same id")
                .to_string()
                .contains("is also the id of")
        );
        let same_name = Migrations::from_files([
            ("20261202150000_a.toml", delete),
            ("20261202150001_a.toml", delete),
        ]);
        assert!(
            same_name
                .expect_err("same name")
                .to_string()
                .contains("is also the name of")
        );
    }
}
