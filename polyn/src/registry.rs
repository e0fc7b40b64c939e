//! [`Registry`]: the schema store as an operator changes it — read it,
//! plan and push a checked schemas folder behind the backward-compatibility
//! gate, and delete a schema by name.

use std::collections::BTreeMap;

use async_nats::jetstream::{self, kv};
use futures_util::TryStreamExt as _;
use serde_json::Value;

use crate::compatibility::Incompatibility;
use crate::error::Error;
use crate::outcome::BoxError;
use crate::schemas::{CheckedSchema, JsonChange, SchemasDiff};

/// The bucket Polyn keeps payload schemas in.
pub const SCHEMAS_BUCKET: &str = "POLYN_SCHEMAS";

/// The schema store (`POLYN_SCHEMAS`) as tooling changes it: what the
/// `polyn schemas` commands run on.
///
/// Pushing only adds and updates (a schema whose file is gone stays until
/// it is deleted by name), refuses a backward-incompatible change unless
/// forced, and creates the bucket when missing, with `min(3, cluster size)`
/// replicas (capped by [`max_replicas`](Self::max_replicas)). Values are
/// the schemas as compact JSON, keys their message names, as the Polyn CLI
/// writes them.
///
/// ```no_run
/// # async fn run(nats: polyn::async_nats::Client) -> Result<(), polyn::Error> {
/// let schemas = polyn::schemas::check_folder("schemas")?;
/// let registry = polyn::schema::Registry::new(&nats);
/// let plan = registry.plan(&schemas).await?;
/// println!("{} to add, {} to update", plan.added.len(), plan.updated.len());
/// registry.push(&schemas, false).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Registry {
    nats: async_nats::Client,
    js: jetstream::Context,
    bucket: String,
    max_replicas: Option<usize>,
}

/// What pushing a set of schemas changes (or, as a plan, would change).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct PushPlan {
    /// The bucket is missing and is created with this many replicas.
    pub create_bucket: Option<usize>,
    /// Schemas the bucket does not hold yet.
    pub added: Vec<String>,
    /// Schemas whose stored version differs, and how.
    pub updated: Vec<(String, Vec<JsonChange>)>,
    /// Schemas stored as they are.
    pub unchanged: Vec<String>,
    /// Schemas only the bucket holds: left alone (delete them by name).
    pub only_in_bucket: Vec<String>,
    /// Updates that break the stored version: refused unless forced.
    pub breaking: Vec<(String, Vec<Incompatibility>)>,
}

impl PushPlan {
    /// Nothing to add or update, and the bucket exists.
    pub fn is_empty(&self) -> bool {
        self.create_bucket.is_none() && self.added.is_empty() && self.updated.is_empty()
    }
}

impl Registry {
    /// The registry in `POLYN_SCHEMAS` on the server `nats` is connected to.
    pub fn new(nats: &async_nats::Client) -> Self {
        Registry {
            nats: nats.clone(),
            js: jetstream::new(nats.clone()),
            bucket: SCHEMAS_BUCKET.to_owned(),
            max_replicas: None,
        }
    }

    /// Another bucket than `POLYN_SCHEMAS`.
    pub fn bucket(mut self, bucket: impl Into<String>) -> Self {
        self.bucket = bucket.into();
        self
    }

    /// At most this many replicas for a bucket it creates.
    pub fn max_replicas(mut self, max: usize) -> Self {
        self.max_replicas = Some(max.max(1));
        self
    }

    /// Every schema the bucket holds, by message name.
    ///
    /// Fails with [`Error::SchemaStoreNotFound`] when there is no bucket,
    /// and [`Error::InvalidSchema`] for a value that is not JSON.
    pub async fn read(&self) -> Result<BTreeMap<String, Value>, Error> {
        let store = self
            .open()
            .await?
            .ok_or_else(|| Error::SchemaStoreNotFound {
                bucket: self.bucket.clone(),
            })?;
        self.read_store(&store).await
    }

    /// What [`push`](Self::push) would change, changing nothing.
    pub async fn plan(&self, schemas: &[CheckedSchema]) -> Result<PushPlan, Error> {
        let (plan, _) = self.plan_with_store(schemas).await?;
        Ok(plan)
    }

    /// Adds and updates `schemas` in the bucket, creating it when missing.
    ///
    /// When an update breaks its stored version (see
    /// [`incompatibilities`](crate::schema::incompatibilities)) and `force` is
    /// false, nothing at all is written: [`Error::PushRefused`] lists every
    /// breaking change. Returns what was changed.
    pub async fn push(&self, schemas: &[CheckedSchema], force: bool) -> Result<PushPlan, Error> {
        let (plan, store) = self.plan_with_store(schemas).await?;
        if !plan.breaking.is_empty() && !force {
            return Err(Error::PushRefused {
                breaking: plan
                    .breaking
                    .iter()
                    .map(|(name, changes)| Error::IncompatibleSchema {
                        name: name.clone(),
                        next: crate::naming::next_version(name)
                            .unwrap_or_else(|| format!("{name}.v2")),
                        changes: changes.clone(),
                    })
                    .collect(),
            });
        }
        let store = match store {
            Some(store) => store,
            None => self.create(plan.create_bucket.unwrap_or(1)).await?,
        };
        let changed = plan
            .added
            .iter()
            .chain(plan.updated.iter().map(|(name, _)| name));
        for name in changed {
            let Some(schema) = schemas.iter().find(|schema| schema.name() == name) else {
                continue;
            };
            store
                .put(name, schema.compact().into())
                .await
                .map_err(|err| {
                    Error::nats(
                        format!("writing the schema `{name}` to `{}`", self.bucket),
                        err,
                    )
                })?;
        }
        Ok(plan)
    }

    /// Deletes the schema `name` from the bucket: the only way a schema
    /// leaves it. Fails with [`Error::SchemaNotFound`] when the bucket does
    /// not hold it.
    pub async fn delete(&self, name: &str) -> Result<(), Error> {
        let store = self
            .open()
            .await?
            .ok_or_else(|| Error::SchemaStoreNotFound {
                bucket: self.bucket.clone(),
            })?;
        let held = store
            .get(name)
            .await
            .map_err(|err| Error::nats(format!("reading `{name}` in `{}`", self.bucket), err))?;
        if held.is_none_or(|value| value.is_empty()) {
            return Err(Error::SchemaNotFound {
                name: name.to_owned(),
            });
        }
        store
            .delete(name)
            .await
            .map_err(|err| Error::nats(format!("deleting `{name}` from `{}`", self.bucket), err))
    }

    /// The replicas a new bucket gets: three, or fewer on a smaller
    /// cluster, capped by [`max_replicas`](Self::max_replicas).
    pub fn replicas(&self) -> usize {
        let cluster = self.nats.server_info().connect_urls.len().max(1);
        let replicas = cluster.min(3);
        self.max_replicas.map_or(replicas, |max| replicas.min(max))
    }

    async fn plan_with_store(
        &self,
        schemas: &[CheckedSchema],
    ) -> Result<(PushPlan, Option<kv::Store>), Error> {
        let store = self.open().await?;
        let stored = match &store {
            Some(store) => self.read_store(store).await?,
            None => BTreeMap::new(),
        };
        let folder: BTreeMap<String, Value> = schemas
            .iter()
            .map(|schema| (schema.name().to_owned(), schema.json().clone()))
            .collect();
        let diff = SchemasDiff::between(&stored, &folder);
        let breaking = diff
            .changed
            .iter()
            .filter_map(|(name, _)| {
                let changes = crate::compatibility::incompatibilities(&stored[name], &folder[name]);
                (!changes.is_empty()).then(|| (name.clone(), changes))
            })
            .collect();
        let plan = PushPlan {
            create_bucket: store.is_none().then(|| self.replicas()),
            added: diff.added,
            updated: diff.changed,
            unchanged: diff.unchanged,
            only_in_bucket: diff.only_in_old,
            breaking,
        };
        Ok((plan, store))
    }

    async fn open(&self) -> Result<Option<kv::Store>, Error> {
        match self.js.get_stream(format!("KV_{}", self.bucket)).await {
            Ok(_) => {}
            Err(err) => {
                let missing = matches!(
                    err.kind(),
                    jetstream::context::GetStreamErrorKind::JetStream(ref js)
                        if js.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND
                );
                return if missing {
                    Ok(None)
                } else {
                    Err(Error::nats(
                        format!("opening the schema store `{}`", self.bucket),
                        err,
                    ))
                };
            }
        }
        self.js
            .get_key_value(&self.bucket)
            .await
            .map(Some)
            .map_err(|err| Error::nats(format!("opening the schema store `{}`", self.bucket), err))
    }

    async fn create(&self, replicas: usize) -> Result<kv::Store, Error> {
        self.js
            .create_key_value(kv::Config {
                bucket: self.bucket.clone(),
                description: "Contains Schemas for all events on the server".to_owned(),
                num_replicas: replicas,
                ..Default::default()
            })
            .await
            .map_err(|err| Error::nats(format!("creating the schema store `{}`", self.bucket), err))
    }

    async fn read_store(&self, store: &kv::Store) -> Result<BTreeMap<String, Value>, Error> {
        let reading =
            |err: BoxError| Error::nats(format!("reading the schema store `{}`", self.bucket), err);
        let keys: Vec<String> = store
            .keys()
            .await
            .map_err(|err| reading(err.into()))?
            .try_collect()
            .await
            .map_err(|err| reading(err.into()))?;
        let mut schemas = BTreeMap::new();
        for key in keys {
            let Some(value) = store.get(&key).await.map_err(|err| reading(err.into()))? else {
                continue;
            };
            if value.is_empty() {
                continue;
            }
            let schema = serde_json::from_slice(&value).map_err(|err| Error::InvalidSchema {
                name: key.clone(),
                reason: format!("the value in `{}` is not JSON: {err}", self.bucket),
                source: Some(Box::new(err)),
            })?;
            schemas.insert(key, schema);
        }
        Ok(schemas)
    }
}
