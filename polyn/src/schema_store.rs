//! [`SchemaStore`]: the compiled schemas of the `POLYN_SCHEMAS` bucket, kept
//! current by a watch and read without locks.

use std::sync::Arc;

use arc_swap::ArcSwap;
use async_nats::jetstream::{self, kv};
use futures_util::StreamExt;

use crate::drift::Drift;
use crate::error::Error;
use crate::schema::Schema;
use crate::schema::Schemas;

/// The schemas a client validates against.
///
/// Connected to NATS, it loads every schema of the bucket at start, compiles
/// each once, then watches the bucket: a new or changed schema is compiled
/// and swapped in, a deleted one stops validating — without a restart and
/// without a lock on the publish or consume path (readers get a snapshot
/// through an atomic pointer).
///
/// A value that is not a valid JSON Schema is logged and left out; events of
/// that message then fail with the protocol's missing-schema error.
///
/// ```
/// let store = polyn::schema::SchemaStore::fixed({
///     let mut schemas = polyn::schema::Schemas::new();
///     schemas.insert(polyn::schema::Schema::from_json_str("ping.v1", r#"{"type":"object"}"#)?);
///     schemas
/// });
/// assert!(store.snapshot().get("ping.v1").is_some());
/// # Ok::<(), polyn::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct SchemaStore {
    current: Arc<ArcSwap<Schemas>>,
    /// How many updates the watch has applied, bumped after each.
    updates: tokio::sync::watch::Receiver<u64>,
    /// Stops the watch when the last clone is dropped.
    _watch: Option<Arc<WatchTask>>,
}

#[derive(Debug)]
struct WatchTask(tokio::task::AbortHandle);

impl Drop for WatchTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl SchemaStore {
    /// A store that never changes, e.g. built from generated event types.
    pub fn fixed(schemas: Schemas) -> Self {
        // Nothing ever updates it.
        let (_, updates) = tokio::sync::watch::channel(0);
        SchemaStore {
            current: Arc::new(ArcSwap::from_pointee(schemas)),
            updates,
            _watch: None,
        }
    }

    /// Waits until the store's schemas satisfy `condition`: at once if they
    /// do now, else after the update from the bucket that makes them (a
    /// schema put, changed or deleted by `polyn up`, the CLI or another
    /// client). A store that does not follow a bucket ([`fixed`](Self::fixed),
    /// the sandbox's) only checks now, and waits forever when the condition
    /// does not hold: bound the wait with a timeout.
    ///
    /// ```no_run
    /// # async fn run(client: polyn::Client) -> Result<(), tokio::time::error::Elapsed> {
    /// // After `polyn schemas push`: wait until this client validates with the new schema.
    /// let store = client.schemas();
    /// tokio::time::timeout(
    ///     std::time::Duration::from_secs(10),
    ///     store.wait_until(|schemas| schemas.get("orders.placed.v2").is_some()),
    /// )
    /// .await?;
    /// # Ok(()) }
    /// ```
    pub async fn wait_until(&self, mut condition: impl FnMut(&Schemas) -> bool) {
        let mut updates = self.updates.clone();
        loop {
            // Marked seen before looking, so an update after the look wakes us.
            updates.borrow_and_update();
            if condition(&self.current()) {
                return;
            }
            if updates.changed().await.is_err() {
                // Nothing will update this store any more.
                return std::future::pending().await;
            }
        }
    }

    /// The schemas as they are now, kept as they are for as long as the
    /// snapshot is held. Cheap: an atomic load and a reference count.
    pub fn snapshot(&self) -> Arc<Schemas> {
        self.current.load_full()
    }

    /// [`snapshot`](Self::snapshot) for the publish and receive paths: no
    /// reference count, to be dropped soon.
    pub(crate) fn current(&self) -> arc_swap::Guard<Arc<Schemas>> {
        self.current.load()
    }

    /// Every generated type this process has used whose schema differs
    /// from the one the store holds now (see [`Drift`]).
    ///
    /// ```
    /// let store = polyn::schema::SchemaStore::fixed(polyn::schema::Schemas::new());
    /// assert!(store.drift().is_empty());
    /// ```
    pub fn drift(&self) -> Vec<Drift> {
        let schemas = self.current();
        crate::drift::all_compiled()
            .into_iter()
            .filter_map(|(name, digest)| drift_in(&schemas, name, digest))
            .collect()
    }

    /// The drift of the message `name`, if its type has drifted.
    pub(crate) fn drift_of(&self, name: &str) -> Option<Drift> {
        let digest = crate::drift::compiled(name)?;
        drift_in(&self.current(), name, digest)
    }

    /// Loads the bucket and starts watching it. The watch ends when the last
    /// clone of the store is dropped.
    pub(crate) async fn watch(js: &jetstream::Context, bucket: &str) -> Result<Self, Error> {
        let missing = || Error::SchemaStoreNotFound {
            bucket: bucket.to_owned(),
        };
        match js.get_stream(format!("KV_{bucket}")).await {
            Ok(_) => {}
            Err(err) => {
                let not_found = matches!(
                    err.kind(),
                    jetstream::context::GetStreamErrorKind::JetStream(ref js)
                        if js.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND
                );
                return Err(if not_found {
                    missing()
                } else {
                    Error::nats(format!("opening the schema store `{bucket}`"), err)
                });
            }
        }
        let store = js
            .get_key_value(bucket)
            .await
            .map_err(|err| Error::nats(format!("opening the schema store `{bucket}`"), err))?;
        let status = store
            .status()
            .await
            .map_err(|err| Error::nats(format!("reading the schema store `{bucket}`"), err))?;
        let mut watch = store
            .watch_with_history(">")
            .await
            .map_err(|err| Error::nats(format!("watching the schema store `{bucket}`"), err))?;

        let mut schemas = Schemas::new();
        let mut revision = 0;
        if status.values() > 0 {
            while let Some(entry) = watch.next().await {
                let entry = entry.map_err(|err| {
                    Error::nats(format!("loading the schema store `{bucket}`"), err)
                })?;
                revision = entry.revision;
                let caught_up = entry.seen_current || entry.delta == 0;
                apply(&mut schemas, &entry);
                if caught_up {
                    break;
                }
            }
        }
        tracing::debug!(bucket, schemas = schemas.len(), "schema store loaded");
        let current = Arc::new(ArcSwap::from_pointee(schemas));
        let weak = Arc::downgrade(&current);
        let bucket = bucket.to_owned();
        let (updated, updates) = tokio::sync::watch::channel(0);
        let task = tokio::spawn(async move {
            keep_current(weak, store, watch, (bucket, updated), revision).await;
        });
        Ok(SchemaStore {
            current,
            updates,
            _watch: Some(Arc::new(WatchTask(task.abort_handle()))),
        })
    }
}

/// The drift of `name` in `schemas`, for a type compiled with `digest`.
pub(crate) fn drift_in(schemas: &Schemas, name: &str, digest: &str) -> Option<Drift> {
    let stored = schemas.get(name)?;
    (stored.digest() != digest).then(|| Drift {
        name: name.to_owned(),
        compiled: digest.to_owned(),
        stored: stored.digest().to_owned(),
    })
}

/// After the store changed `key`: says whether a type in use has drifted
/// from it, or matches it again.
fn report_drift(schemas: &Schemas, bucket: &str, key: &str) {
    let Some(digest) = crate::drift::compiled(key) else {
        return;
    };
    match drift_in(schemas, key, digest) {
        Some(drift) => tracing::warn!(bucket, %drift,
            "the schema store changed a schema this service uses: rebuild the service from the \
             schemas the store holds, or push the ones it was built with"),
        None if schemas.get(key).is_some() => {
            tracing::info!(
                bucket,
                key,
                "the schema store's schema matches the service's type"
            );
        }
        None => {}
    }
}

/// Applies one KV entry to a set of schemas.
fn apply(schemas: &mut Schemas, entry: &kv::Entry) {
    match entry.operation {
        kv::Operation::Put => {
            let compiled = std::str::from_utf8(&entry.value)
                .map_err(|err| Error::InvalidSchema {
                    name: entry.key.clone(),
                    reason: format!("not UTF-8: {err}"),
                    source: Some(Box::new(err)),
                })
                .and_then(|text| Schema::from_json_str(&entry.key, text));
            match compiled {
                Ok(schema) => schemas.insert(schema),
                Err(err) => {
                    schemas.remove(&entry.key);
                    tracing::error!(bucket = %entry.bucket, key = %entry.key, error = %err,
                        "ignoring a schema that does not compile");
                }
            }
        }
        kv::Operation::Delete | kv::Operation::Purge => {
            schemas.remove(&entry.key);
        }
    }
}

/// Follows the bucket until the store is dropped, re-watching from the last
/// revision seen when the watch ends (e.g. across a server restart).
async fn keep_current(
    current: std::sync::Weak<ArcSwap<Schemas>>,
    store: kv::Store,
    mut watch: kv::Watch,
    (bucket, updated): (String, tokio::sync::watch::Sender<u64>),
    mut revision: u64,
) {
    let mut retry = std::time::Duration::from_millis(100);
    let reloads = crate::metrics::SchemaReloads::new(current.clone());
    loop {
        while let Some(entry) = watch.next().await {
            let Some(current) = current.upgrade() else {
                return;
            };
            match entry {
                Ok(entry) => {
                    if entry.revision <= revision {
                        continue;
                    }
                    revision = entry.revision;
                    let mut next = Schemas::clone(&current.load());
                    apply(&mut next, &entry);
                    report_drift(&next, &bucket, &entry.key);
                    current.store(Arc::new(next));
                    updated.send_modify(|count| *count += 1);
                    reloads.reloaded();
                    tracing::info!(bucket, key = %entry.key, op = ?entry.operation,
                        "schema store updated");
                }
                Err(err) => {
                    tracing::warn!(bucket, error = %err, "schema store watch error");
                }
            }
        }
        loop {
            if current.strong_count() == 0 {
                return;
            }
            tokio::time::sleep(retry).await;
            retry = (retry * 2).min(std::time::Duration::from_secs(5));
            match store.watch_all_from_revision(revision + 1).await {
                Ok(next) => {
                    watch = next;
                    retry = std::time::Duration::from_millis(100);
                    break;
                }
                Err(err) => tracing::warn!(bucket, error = %err, "re-watching the schema store"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waiting_returns_at_once_when_it_holds_and_never_on_a_fixed_store() {
        let mut schemas = Schemas::new();
        schemas.insert(Schema::from_json_str("ping.v1", r#"{"type":"object"}"#).unwrap());
        let store = SchemaStore::fixed(schemas);
        store
            .wait_until(|schemas| schemas.get("ping.v1").is_some())
            .await;
        let never = store.wait_until(|schemas| schemas.get("pong.v1").is_some());
        let waited = tokio::time::timeout(std::time::Duration::from_millis(20), never).await;
        assert!(waited.is_err(), "a fixed store does not change");
    }
}
