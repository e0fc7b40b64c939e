//! The streams and consumers a service's migrations leave behind, replayed
//! in order, and which of them carry a message.

use std::collections::BTreeMap;

use polyn::migration::{Migrations, Operation};
use serde_json::{Map, Value};

use crate::error::Error;

/// The final streams and consumers, by stream name.
#[derive(Clone, Debug, Default)]
pub(crate) struct Topology {
    streams: BTreeMap<String, Stream>,
}

/// One stream, with its consumers.
#[derive(Clone, Debug)]
pub(crate) struct Stream {
    pub(crate) name: String,
    /// Its configuration by JetStream API names; `None` for a stream the
    /// migrations only add consumers to (created elsewhere).
    pub(crate) config: Option<Map<String, Value>>,
    /// The migration file that created it.
    pub(crate) created_in: Option<String>,
    /// Its consumers, by name.
    pub(crate) consumers: BTreeMap<String, Consumer>,
}

/// One durable consumer.
#[derive(Clone, Debug)]
pub(crate) struct Consumer {
    pub(crate) name: String,
    /// Its configuration by JetStream API names.
    pub(crate) config: Map<String, Value>,
    /// The migration file that created it.
    pub(crate) created_in: String,
}

impl Topology {
    /// Replays every operation of `migrations`, in id order, over what is
    /// already there.
    pub(crate) fn replay(&mut self, migrations: &Migrations) -> Result<(), Error> {
        for migration in migrations.iter() {
            for operation in migration.up() {
                self.apply(migration.file(), operation)
                    .map_err(|reason| Error::Migration {
                        file: migration.file().to_owned(),
                        operation: operation.to_string(),
                        reason,
                    })?;
            }
        }
        Ok(())
    }

    fn apply(&mut self, file: &str, operation: &Operation) -> Result<(), String> {
        match operation {
            Operation::CreateStream(config) => {
                let fields = object(serde_json::to_value(config.as_ref()))?;
                let name = config.name.clone();
                match self.streams.get_mut(&name) {
                    Some(Stream {
                        config: Some(_),
                        created_in,
                        ..
                    }) => Err(format!(
                        "the stream `{name}` already exists (created by `{}`)",
                        created_in.as_deref().unwrap_or("an earlier migration")
                    )),
                    Some(placeholder) => {
                        placeholder.config = Some(fields);
                        placeholder.created_in = Some(file.to_owned());
                        Ok(())
                    }
                    None => {
                        self.streams.insert(
                            name.clone(),
                            Stream {
                                name,
                                config: Some(fields),
                                created_in: Some(file.to_owned()),
                                consumers: BTreeMap::new(),
                            },
                        );
                        Ok(())
                    }
                }
            }
            Operation::UpdateStream { name, changes } => {
                let config = self
                    .streams
                    .get_mut(name)
                    .and_then(|stream| stream.config.as_mut())
                    .ok_or_else(|| no_stream(name))?;
                for (key, value) in changes {
                    config.insert(key.clone(), value.clone());
                }
                Ok(())
            }
            Operation::DeleteStream { name } => self
                .streams
                .remove(name)
                .map(|_| ())
                .ok_or_else(|| no_stream(name)),
            Operation::CreateConsumer { stream, config } => {
                let fields = object(serde_json::to_value(config.as_ref()))?;
                let name = config
                    .durable_name
                    .clone()
                    .or_else(|| config.name.clone())
                    .ok_or_else(|| "the consumer has no `durable_name`".to_owned())?;
                let entry = self
                    .streams
                    .entry(stream.clone())
                    .or_insert_with(|| Stream {
                        name: stream.clone(),
                        config: None,
                        created_in: None,
                        consumers: BTreeMap::new(),
                    });
                if let Some(existing) = entry.consumers.get(&name) {
                    return Err(format!(
                        "the consumer `{name}` already exists in `{stream}` (created by `{}`)",
                        existing.created_in
                    ));
                }
                entry.consumers.insert(
                    name.clone(),
                    Consumer {
                        name,
                        config: fields,
                        created_in: file.to_owned(),
                    },
                );
                Ok(())
            }
            Operation::DeleteConsumer { stream, consumer } => {
                let entry = self
                    .streams
                    .get_mut(stream)
                    .ok_or_else(|| no_stream(stream))?;
                match entry.consumers.remove(consumer) {
                    Some(_) => Ok(()),
                    // A consumer on a stream created elsewhere may have been
                    // created elsewhere too.
                    None if entry.config.is_none() => Ok(()),
                    None => Err(format!(
                        "no earlier migration creates the consumer `{consumer}` in `{stream}`"
                    )),
                }
            }
            _ => Err("this operation is not known to the catalog".to_owned()),
        }
    }

    /// The streams, by name.
    pub(crate) fn streams(&self) -> impl Iterator<Item = &Stream> {
        self.streams.values()
    }

    /// The streams that carry the message `name`, each with the consumers
    /// on it that deliver it.
    pub(crate) fn carrying(&self, name: &str) -> Vec<(&Stream, Vec<&Consumer>)> {
        self.streams
            .values()
            .filter_map(|stream| {
                let consumers: Vec<&Consumer> = stream
                    .consumers
                    .values()
                    .filter(|consumer| consumer.captures(name))
                    .collect();
                let carries = match stream.config {
                    Some(_) => stream.captures(name),
                    None => !consumers.is_empty(),
                };
                carries.then_some((stream, consumers))
            })
            .collect()
    }
}

impl Stream {
    /// The subjects it captures: its `subjects`, or its name when it has
    /// none (as JetStream does). Empty when its configuration is unknown.
    pub(crate) fn subjects(&self) -> Vec<String> {
        let Some(config) = &self.config else {
            return Vec::new();
        };
        let subjects = strings(config.get("subjects"));
        if subjects.is_empty() {
            vec![self.name.clone()]
        } else {
            subjects
        }
    }

    fn captures(&self, name: &str) -> bool {
        self.subjects()
            .iter()
            .any(|pattern| captures(pattern, name))
    }

    /// The settings worth showing, as (label, value) pairs.
    pub(crate) fn settings(&self) -> Vec<(&'static str, String)> {
        let Some(config) = &self.config else {
            return Vec::new();
        };
        let mut settings = Vec::new();
        push_text(&mut settings, config, "description", "Description");
        push_text(&mut settings, config, "storage", "Storage");
        push_text(&mut settings, config, "retention", "Retention");
        if let Some(nanos) = config.get("max_age").and_then(Value::as_u64) {
            let age = if nanos == 0 {
                "unlimited".to_owned()
            } else {
                duration(nanos)
            };
            settings.push(("Max age", age));
        }
        if let Some(replicas) = config.get("num_replicas").and_then(Value::as_u64) {
            settings.push(("Replicas", replicas.max(1).to_string()));
        }
        settings
    }
}

impl Consumer {
    /// Its filter subjects (`filter_subject` and `filter_subjects`); empty
    /// when it delivers everything in its stream.
    pub(crate) fn filters(&self) -> Vec<String> {
        let mut filters = strings(self.config.get("filter_subject"));
        filters.extend(strings(self.config.get("filter_subjects")));
        filters
    }

    fn captures(&self, name: &str) -> bool {
        let filters = self.filters();
        filters.is_empty() || filters.iter().any(|filter| captures(filter, name))
    }

    /// The settings worth showing, as (label, value) pairs.
    pub(crate) fn settings(&self) -> Vec<(&'static str, String)> {
        let mut settings = Vec::new();
        push_text(&mut settings, &self.config, "description", "Description");
        push_text(&mut settings, &self.config, "deliver_policy", "Deliver");
        push_text(&mut settings, &self.config, "ack_policy", "Ack");
        if let Some(nanos) = self.config.get("ack_wait").and_then(Value::as_u64) {
            settings.push(("Ack wait", duration(nanos)));
        }
        if let Some(max) = self.config.get("max_deliver").and_then(Value::as_i64)
            && max > 0
        {
            settings.push(("Max deliveries", max.to_string()));
        }
        settings
    }
}

/// Whether a stream subject or consumer filter `pattern` captures the
/// message `name`: its subject `name` itself, or a subject below it
/// (`name.<identity>`, as `name.*` or `name.>` capture).
pub(crate) fn captures(pattern: &str, name: &str) -> bool {
    if polyn::naming::subject_matches(name, pattern) {
        return true;
    }
    // A subject below `name` that the pattern's own further tokens accept.
    let depth = name.split('.').count();
    let below: Vec<&str> = pattern
        .split('.')
        .skip(depth)
        .map(|token| {
            if token == "*" || token == ">" {
                "id"
            } else {
                token
            }
        })
        .collect();
    !below.is_empty()
        && polyn::naming::subject_matches(&format!("{name}.{}", below.join(".")), pattern)
}

/// A duration in nanoseconds, in the largest unit that divides it.
pub(crate) fn duration(nanos: u64) -> String {
    const UNITS: [(u64, &str); 6] = [
        (86_400_000_000_000, "d"),
        (3_600_000_000_000, "h"),
        (60_000_000_000, "m"),
        (1_000_000_000, "s"),
        (1_000_000, "ms"),
        (1_000, "µs"),
    ];
    UNITS
        .iter()
        .find(|(size, _)| nanos > 0 && nanos.is_multiple_of(*size))
        .map(|(size, unit)| format!("{}{unit}", nanos / size))
        .unwrap_or_else(|| format!("{nanos}ns"))
}

fn object(config: Result<Value, serde_json::Error>) -> Result<Map<String, Value>, String> {
    match config {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err("its configuration is not an object".to_owned()),
        Err(err) => Err(format!("its configuration cannot be read: {err}")),
    }
}

fn no_stream(name: &str) -> String {
    format!("no earlier migration creates the stream `{name}`")
}

fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(text)) if !text.is_empty() => vec![text.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .filter(|text| !text.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

fn push_text(
    settings: &mut Vec<(&'static str, String)>,
    config: &Map<String, Value>,
    key: &str,
    label: &'static str,
) {
    if let Some(text) = config.get(key).and_then(Value::as_str)
        && !text.is_empty()
    {
        settings.push((label, text.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topology(files: &[(&str, &str)]) -> Result<Topology, Error> {
        let migrations = Migrations::from_files(files.iter().copied()).expect("valid migrations");
        let mut topology = Topology::default();
        topology.replay(&migrations)?;
        Ok(topology)
    }

    const WIDGETS: (&str, &str) = (
        "20260101000000_widgets.toml",
        r#"
[[change]]
op = "create_stream"
name = "WIDGETS"
subjects = ["widgets.>"]
max_age = "7d"

[[change]]
op = "create_consumer"
stream_name = "WIDGETS"
durable_name = "billing_widgets_created_v1"
filter_subject = "widgets.created.v1"

[[change]]
op = "create_consumer"
stream_name = "WIDGETS"
durable_name = "audit_all_widgets"
"#,
    );

    #[test]
    fn a_pattern_captures_the_name_and_subjects_below_it() {
        assert!(captures("widgets.created.v1", "widgets.created.v1"));
        assert!(captures("widgets.>", "widgets.created.v1"));
        assert!(captures("widgets.*.v1", "widgets.created.v1"));
        assert!(captures("user.created.v1.*", "user.created.v1"));
        assert!(captures("user.created.v1.>", "user.created.v1"));
        assert!(captures("user.created.v1.abc", "user.created.v1"));
        assert!(!captures("widgets.created.v2", "widgets.created.v1"));
        assert!(!captures("widgets.created", "widgets.created.v1"));
        assert!(!captures("money.>", "widgets.created.v1"));
        assert!(!captures("widgets.created.v1.*.x", "widgets.deleted.v1"));
    }

    #[test]
    fn streams_carry_what_their_subjects_capture_and_consumers_what_they_filter() {
        let topology = topology(&[WIDGETS]).expect("replays");
        let carrying = topology.carrying("widgets.created.v1");
        assert_eq!(carrying.len(), 1);
        let (stream, consumers) = &carrying[0];
        assert_eq!(stream.name, "WIDGETS");
        let names: Vec<&str> = consumers.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["audit_all_widgets", "billing_widgets_created_v1"]);

        let deleted = topology.carrying("widgets.deleted.v1");
        let names: Vec<&str> = deleted[0].1.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["audit_all_widgets"]);
        assert!(topology.carrying("money.amount.v1").is_empty());
    }

    #[test]
    fn updates_and_deletes_apply_in_order() {
        let topology = topology(&[
            WIDGETS,
            (
                "20260102000000_more_widgets.toml",
                r#"
[[change]]
op = "update_stream"
name = "WIDGETS"
subjects = ["widgets.created.v1", "gadgets.created.v1"]
"#,
            ),
            (
                "20260103000000_drop_audit.toml",
                r#"
[[up]]
op = "delete_consumer"
stream_name = "WIDGETS"
durable_name = "audit_all_widgets"

[[down]]
op = "create_consumer"
stream_name = "WIDGETS"
durable_name = "audit_all_widgets"
"#,
            ),
        ])
        .expect("replays");
        let stream = topology.streams().next().expect("one stream");
        assert_eq!(
            stream.subjects(),
            ["widgets.created.v1", "gadgets.created.v1"]
        );
        assert_eq!(stream.consumers.len(), 1);
        assert_eq!(topology.carrying("gadgets.created.v1").len(), 1);
        assert!(topology.carrying("widgets.deleted.v1").is_empty());
        assert!(stream.settings().contains(&("Max age", "7d".to_owned())));
    }

    #[test]
    fn a_deleted_stream_is_gone() {
        let topology = topology(&[
            WIDGETS,
            (
                "20260102000000_drop_widgets.toml",
                "[[up]]\nop = \"delete_stream\"\nname = \"WIDGETS\"\n\n[[down]]\nop = \"create_stream\"\nname = \"WIDGETS\"\n",
            ),
        ])
        .expect("replays");
        assert_eq!(topology.streams().count(), 0);
    }

    #[test]
    fn changing_a_stream_no_migration_creates_names_the_file() {
        let err = topology(&[(
            "20260101000000_fix.toml",
            "[[change]]\nop = \"update_stream\"\nname = \"NOPE\"\nmax_age = \"1d\"\n",
        )])
        .expect_err("no stream");
        let text = err.to_string();
        assert!(text.contains("20260101000000_fix.toml"), "{text}");
        assert!(text.contains("`NOPE`"), "{text}");
    }

    #[test]
    fn creating_a_stream_twice_is_an_error() {
        let err = topology(&[
            WIDGETS,
            (
                "20260102000000_again.toml",
                "[[change]]\nop = \"create_stream\"\nname = \"WIDGETS\"\nsubjects = [\"x.v1\"]\n",
            ),
        ])
        .expect_err("twice");
        assert!(err.to_string().contains("already exists"), "{err}");
    }

    #[test]
    fn a_consumer_on_a_stream_created_elsewhere_carries_what_it_filters() {
        let topology = topology(&[(
            "20260101000000_listen.toml",
            "[[change]]\nop = \"create_consumer\"\nstream_name = \"ORDERS\"\ndurable_name = \"shipping_orders_placed_v1\"\nfilter_subject = \"orders.placed.v1\"\n",
        )])
        .expect("replays");
        let carrying = topology.carrying("orders.placed.v1");
        assert_eq!(carrying.len(), 1);
        assert!(carrying[0].0.config.is_none());
        assert!(carrying[0].0.subjects().is_empty());
        assert!(topology.carrying("orders.shipped.v1").is_empty());
    }

    #[test]
    fn durations_use_the_largest_unit_that_divides_them() {
        assert_eq!(duration(7 * 86_400_000_000_000), "7d");
        assert_eq!(duration(90_000_000_000), "90s");
        assert_eq!(duration(30_000_000_000), "30s");
        assert_eq!(duration(1_500_000), "1500µs");
        assert_eq!(duration(7), "7ns");
        assert_eq!(duration(0), "0ns");
    }
}
