//! [`SandboxBuilder::migrations`]: a sandbox provisioned by the same
//! migrations as production, so tests get the streams and consumers the
//! server gets.

use super::SandboxBuilder;
use crate::error::Error;
use crate::migration::Migrations;
use crate::migration::Operation;

impl SandboxBuilder {
    /// Declares the streams and consumers that running `migrations` in
    /// order would leave on a server: creates, stream subject updates and
    /// deletes. A consumer's `ack_wait` and `max_deliver` are kept.
    ///
    /// ```
    /// let migrations = polyn::migration::Migrations::from_files([(
    ///     "20261202150000_create_widgets.toml",
    ///     r#"
    /// [[change]]
    /// op = "create_stream"
    /// name = "WIDGETS"
    /// subjects = ["widgets.created.v1"]
    ///
    /// [[change]]
    /// op = "create_consumer"
    /// stream_name = "WIDGETS"
    /// durable_name = "user_backend_widgets_created_v1"
    /// filter_subject = "widgets.created.v1"
    /// "#,
    /// )])?;
    /// let config = polyn::Config::builder().domain("com.test").source_root("user.backend").build()?;
    /// let sandbox = polyn::testing::Sandbox::builder(config).migrations(&migrations)?.build();
    /// # Ok::<(), polyn::Error>(())
    /// ```
    pub fn migrations(mut self, migrations: &Migrations) -> Result<Self, Error> {
        for migration in migrations.iter() {
            for operation in migration.up() {
                self = self.apply(operation).map_err(|reason| Error::Migration {
                    file: migration.file().to_owned(),
                    operation: operation.to_string(),
                    source: reason.into(),
                })?;
            }
        }
        Ok(self)
    }

    fn stream_index(&self, name: &str) -> Result<usize, String> {
        self.world
            .streams
            .iter()
            .position(|stream| stream.name == name)
            .ok_or_else(|| format!("stream `{name}` does not exist"))
    }

    fn apply(mut self, operation: &Operation) -> Result<Self, String> {
        match operation {
            Operation::CreateStream(config) => {
                if self.stream_index(&config.name).is_ok() {
                    return Err(format!("stream `{}` already exists", config.name));
                }
                let subjects: Vec<&str> = config.subjects.iter().map(String::as_str).collect();
                self = self.stream(&config.name, &subjects);
            }
            Operation::UpdateStream { name, changes } => {
                let index = self.stream_index(name)?;
                if let Some(subjects) = changes.get("subjects") {
                    let subjects: Vec<String> = serde_json::from_value(subjects.clone())
                        .map_err(|err| format!("`subjects` is not a list of strings: {err}"))?;
                    self.world.streams[index].subjects = subjects;
                }
            }
            Operation::DeleteStream { name } => {
                let index = self.stream_index(name)?;
                self.world.streams.remove(index);
                self.world
                    .consumers
                    .retain(|consumer| consumer.stream != *name);
            }
            Operation::CreateConsumer { stream, config } => {
                let index = self.stream_index(stream)?;
                let name = config.durable_name.clone().unwrap_or_default();
                if self
                    .world
                    .consumers
                    .iter()
                    .any(|consumer| consumer.stream == *stream && consumer.name == name)
                {
                    return Err(format!("consumer `{name}` already exists in `{stream}`"));
                }
                let filter = match (config.filter_subject.as_str(), &config.filter_subjects[..]) {
                    ("", []) => match &self.world.streams[index].subjects[..] {
                        [one] => one.clone(),
                        _ => ">".to_owned(),
                    },
                    ("", [one]) => one.clone(),
                    ("", _) => {
                        return Err("the sandbox filters a consumer on one subject; give \
                                    `filter_subject`"
                            .to_owned());
                    }
                    (one, _) => one.to_owned(),
                };
                let (ack_wait, max_deliver) = (self.ack_wait, self.max_deliver);
                if !config.ack_wait.is_zero() {
                    self.ack_wait = config.ack_wait;
                }
                if config.max_deliver > 0 {
                    self.max_deliver = u64::try_from(config.max_deliver).ok();
                }
                self = self.consumer_named(stream, &name, &filter);
                self.ack_wait = ack_wait;
                self.max_deliver = max_deliver;
            }
            Operation::DeleteConsumer { stream, consumer } => {
                let before = self.world.consumers.len();
                self.world
                    .consumers
                    .retain(|c| !(c.stream == *stream && c.name == *consumer));
                if self.world.consumers.len() == before {
                    return Err(format!(
                        "consumer `{consumer}` does not exist in `{stream}`"
                    ));
                }
            }
        }
        Ok(self)
    }
}
