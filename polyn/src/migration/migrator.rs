//! [`Migrator`]: runs a service's pending migrations in id order and
//! records each in `POLYN_MIGRATIONS` once all its operations succeeded;
//! rolls back the last one.

use async_nats::jetstream::{self, kv, stream};
use serde_json::Value;

use super::ledger::{MIGRATIONS_BUCKET, read_ids, write_ids};
use super::{Migration, Migrations, Operation};
use crate::error::Error;
use crate::outcome::BoxError;

/// Which migrations have run and which are pending.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrationStatus {
    /// Ids recorded as run, sorted (including ids no file has any more).
    pub applied: Vec<String>,
    /// Ids of the files not yet run, in the order they will run.
    pub pending: Vec<String>,
}

/// Runs [`Migrations`] against a NATS server for one service (its source
/// root is the key its migrations are recorded under).
///
/// ```no_run
/// # async fn run(nats: polyn::async_nats::Client) -> Result<(), polyn::Error> {
/// let migrations = polyn::migration::Migrations::from_dir("polyn/migrations")?;
/// let migrator = polyn::migration::Migrator::new(migrations, "user.backend").max_replicas(1);
/// let ran = migrator.migrate(&nats).await?;
/// println!("ran {ran:?}");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Migrator {
    migrations: Migrations,
    source_root: String,
    max_replicas: Option<usize>,
}

impl Migrator {
    /// A migrator of `migrations` for the service `source_root`.
    pub fn new(migrations: Migrations, source_root: impl Into<String>) -> Self {
        Migrator {
            migrations,
            source_root: source_root.into(),
            max_replicas: None,
        }
    }

    /// Lowers every `num_replicas` above `max` to `max` (a cluster of fewer
    /// servers, say); a migration that gives none keeps the server's
    /// default.
    #[must_use]
    pub fn max_replicas(mut self, max: usize) -> Self {
        self.max_replicas = Some(max.max(1));
        self
    }

    /// The migrations.
    pub fn migrations(&self) -> &Migrations {
        &self.migrations
    }

    /// Which ids have run and which are pending.
    pub async fn status(&self, nats: &async_nats::Client) -> Result<MigrationStatus, Error> {
        let js = jetstream::new(nats.clone());
        let applied = match js.get_key_value(MIGRATIONS_BUCKET).await {
            Ok(store) => self.applied(&store).await?,
            Err(_) => Vec::new(),
        };
        Ok(self.status_of(applied))
    }

    fn status_of(&self, applied: Vec<String>) -> MigrationStatus {
        let pending = self
            .migrations
            .iter()
            .filter(|migration| applied.binary_search(&migration.id).is_err())
            .map(|migration| migration.id.clone())
            .collect();
        MigrationStatus { applied, pending }
    }

    /// Runs every pending migration in id order and records each once all
    /// its operations succeeded; returns the ids it ran. A failure is
    /// [`Error::Migration`], naming the file, the operation and the
    /// server's error: the migrations before it stay recorded, it does not.
    pub async fn migrate(&self, nats: &async_nats::Client) -> Result<Vec<String>, Error> {
        let js = jetstream::new(nats.clone());
        let store = self.bucket(&js).await?;
        let mut applied = self.applied(&store).await?;
        let pending: Vec<&Migration> = self
            .migrations
            .iter()
            .filter(|migration| applied.binary_search(&migration.id).is_err())
            .collect();
        let mut ran = Vec::new();
        for migration in pending {
            for operation in migration.up() {
                self.execute(&js, operation)
                    .await
                    .map_err(|source| Error::Migration {
                        file: migration.file.clone(),
                        operation: operation.to_string(),
                        source,
                    })?;
            }
            applied.push(migration.id.clone());
            applied.sort();
            self.record(&store, &applied).await?;
            tracing::info!(id = %migration.id, file = %migration.file, "migrated");
            ran.push(migration.id.clone());
        }
        Ok(ran)
    }

    /// Rolls back the last migration run (its `[[down]]`, or its
    /// `[[change]]` reversed) and removes it from the record; returns its
    /// id, or `None` when nothing has run.
    pub async fn rollback(&self, nats: &async_nats::Client) -> Result<Option<String>, Error> {
        let js = jetstream::new(nats.clone());
        let store = self.bucket(&js).await?;
        let mut applied = self.applied(&store).await?;
        let Some(last) = applied.last().cloned() else {
            return Ok(None);
        };
        let migration = self
            .migrations
            .get(&last)
            .ok_or_else(|| Error::MigrationFile {
                file: format!("{last}_*.toml"),
                reason: format!(
                    "migration {last} is recorded as run for `{}` but no file has that id, so it \
                 cannot be rolled back",
                    self.source_root
                ),
            })?;
        for operation in migration.down()? {
            self.execute(&js, &operation)
                .await
                .map_err(|source| Error::Migration {
                    file: migration.file.clone(),
                    operation: format!("rolling back: {operation}"),
                    source,
                })?;
        }
        applied.pop();
        self.record(&store, &applied).await?;
        tracing::info!(id = %last, file = %migration.file, "rolled back");
        Ok(Some(last))
    }

    /// The bucket, created when missing.
    async fn bucket(&self, js: &jetstream::Context) -> Result<kv::Store, Error> {
        if let Ok(store) = js.get_key_value(MIGRATIONS_BUCKET).await {
            return Ok(store);
        }
        js.create_key_value(kv::Config {
            bucket: MIGRATIONS_BUCKET.to_owned(),
            num_replicas: 1,
            ..Default::default()
        })
        .await
        .map_err(|err| Error::nats(format!("creating the KV bucket `{MIGRATIONS_BUCKET}`"), err))
    }

    async fn applied(&self, store: &kv::Store) -> Result<Vec<String>, Error> {
        let value = store.get(&self.source_root).await.map_err(|err| {
            Error::nats(
                format!(
                    "reading the migrations of `{}` in `{MIGRATIONS_BUCKET}`",
                    self.source_root
                ),
                err,
            )
        })?;
        match value {
            None => Ok(Vec::new()),
            Some(value) => read_ids(&value).map_err(|reason| Error::Migration {
                file: MIGRATIONS_BUCKET.to_owned(),
                operation: format!("reading the record of `{}`", self.source_root),
                source: reason.into(),
            }),
        }
    }

    async fn record(&self, store: &kv::Store, applied: &[String]) -> Result<(), Error> {
        store
            .put(&self.source_root, write_ids(applied).into())
            .await
            .map(|_| ())
            .map_err(|err| {
                Error::nats(
                    format!(
                        "recording the migrations of `{}` in `{MIGRATIONS_BUCKET}`",
                        self.source_root
                    ),
                    err,
                )
            })
    }

    fn cap(&self, replicas: usize) -> usize {
        match self.max_replicas {
            Some(max) => replicas.min(max),
            None => replicas,
        }
    }

    /// Runs one operation; `Err` is the server's error.
    async fn execute(
        &self,
        js: &jetstream::Context,
        operation: &Operation,
    ) -> Result<(), BoxError> {
        match operation {
            Operation::CreateStream(config) => {
                let mut config = (**config).clone();
                config.num_replicas = self.cap(config.num_replicas);
                js.create_stream(config)
                    .await
                    .map(|_| ())
                    .map_err(BoxError::from)
            }
            Operation::UpdateStream { name, changes } => {
                let mut current = js.get_stream(name).await.map_err(BoxError::from)?;
                let config = current.info().await.map_err(BoxError::from)?.config.clone();
                let mut merged = match serde_json::to_value(&config) {
                    Ok(Value::Object(merged)) => merged,
                    _ => return Err(format!("the configuration of `{name}` cannot be read").into()),
                };
                for (key, value) in changes {
                    merged.insert(key.clone(), value.clone());
                }
                let mut config: stream::Config = super::with_defaults(merged)
                    .map_err(|err| format!("invalid stream configuration: {err}"))?;
                config.num_replicas = self.cap(config.num_replicas);
                js.update_stream(config)
                    .await
                    .map(|_| ())
                    .map_err(BoxError::from)
            }
            Operation::DeleteStream { name } => js
                .delete_stream(name)
                .await
                .map(|_| ())
                .map_err(BoxError::from),
            Operation::CreateConsumer { stream, config } => {
                let mut config = (**config).clone();
                config.num_replicas = self.cap(config.num_replicas);
                js.create_consumer_on_stream(config, stream)
                    .await
                    .map(|_: jetstream::consumer::Consumer<jetstream::consumer::Config>| ())
                    .map_err(BoxError::from)
            }
            Operation::DeleteConsumer { stream, consumer } => js
                .delete_consumer_from_stream(consumer, stream)
                .await
                .map(|_| ())
                .map_err(BoxError::from),
        }
    }
}
