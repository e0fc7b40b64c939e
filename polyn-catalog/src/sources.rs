//! [`Sources`]: what a catalog is built from.

use std::collections::BTreeMap;

use polyn::manifest::Manifest;
use polyn::migration::Migrations;
use serde_json::Value;

use crate::catalog::Catalog;
use crate::error::Error;
use crate::message::messages;
use crate::model::Model;
use crate::topology::Topology;

/// The schemas, migrations and service manifests a [`Catalog`] is built
/// from.
///
/// Schemas are given by message name (the file stem of
/// `schemas/<name>.json`); migrations are replayed in the order they are
/// given, each set in id order, to find the final streams and consumers;
/// manifests say which service publishes and handles what. A manifest may
/// name a message no schema is given for: the catalog lists it as having
/// no schema.
///
/// ```
/// use polyn::manifest::Manifest;
/// use polyn::migration::Migrations;
/// use polyn_catalog::Sources;
/// use serde_json::json;
///
/// let migrations = Migrations::from_files([(
///     "20260101000000_create_widgets.toml",
///     "[[change]]\nop = \"create_stream\"\nname = \"WIDGETS\"\nsubjects = [\"widgets.>\"]\n",
/// )])?;
/// let manifest = Manifest::from_json(
///     r#"{"service": "acme.shop", "domain": "com.acme", "publishes": ["widgets.created.v1"]}"#,
/// )?;
/// let catalog = Sources::new("Acme events")
///     .schema("widgets.created.v1", json!({
///         "description": "A widget was created.",
///         "type": "object",
///         "properties": { "id": { "type": "string" } },
///         "required": ["id"]
///     }))
///     .migrations(&migrations)
///     .manifest(manifest)
///     .build()?;
/// let page = &catalog.files()["events/widgets.created.v1.html"];
/// assert!(page.contains("A widget was created."));
/// assert!(page.contains("WIDGETS"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Sources {
    title: String,
    schemas: Vec<(String, Value)>,
    migrations: Vec<Migrations>,
    manifests: Vec<Manifest>,
}

impl Sources {
    /// No sources yet; `title` names the catalog (its pages and the
    /// AsyncAPI `info.title`).
    pub fn new(title: impl Into<String>) -> Self {
        Sources {
            title: title.into(),
            schemas: Vec::new(),
            migrations: Vec::new(),
            manifests: Vec::new(),
        }
    }

    /// Adds the payload schema of the message `name`, like the contents of
    /// `schemas/<name>.json`.
    pub fn schema(mut self, name: impl Into<String>, schema: Value) -> Self {
        self.schemas.push((name.into(), schema));
        self
    }

    /// Adds a service's migrations, replayed after those given before.
    pub fn migrations(mut self, migrations: &Migrations) -> Self {
        self.migrations.push(migrations.clone());
        self
    }

    /// Adds a service's manifest.
    pub fn manifest(mut self, manifest: Manifest) -> Self {
        self.manifests.push(manifest);
        self
    }

    /// Builds the catalog: checks the sources, replays the migrations and
    /// renders every page and the AsyncAPI document.
    ///
    /// Fails with [`Error::SchemaNotObject`], [`Error::DuplicateSchema`],
    /// [`Error::InvalidMessageName`] (a schema's or a manifest's),
    /// [`Error::Manifest`] (a service or domain that is not a source name)
    /// or [`Error::Migration`] (an operation on a stream or consumer that
    /// does not exist then, or one created twice).
    pub fn build(&self) -> Result<Catalog, Error> {
        let mut schemas: BTreeMap<String, Value> = BTreeMap::new();
        for (name, schema) in &self.schemas {
            check_name(name, || "the schemas".to_owned())?;
            if !schema.is_object() {
                return Err(Error::SchemaNotObject {
                    name: name.clone(),
                    found: polyn::schemas::json_kind(schema),
                });
            }
            if schemas.insert(name.clone(), schema.clone()).is_some() {
                return Err(Error::DuplicateSchema { name: name.clone() });
            }
        }
        for manifest in &self.manifests {
            check_manifest(manifest)?;
        }
        let mut topology = Topology::default();
        for migrations in &self.migrations {
            topology.replay(migrations)?;
        }
        let model = Model {
            title: self.title.clone(),
            messages: messages(&schemas, &self.manifests),
            topology,
            has_migrations: !self.migrations.is_empty(),
            manifests: self.manifests.clone(),
        };
        Ok(Catalog::render(&model))
    }
}

fn check_name(name: &str, place: impl FnOnce() -> String) -> Result<(), Error> {
    if polyn::naming::is_message_name(name) {
        Ok(())
    } else {
        Err(Error::InvalidMessageName {
            name: name.to_owned(),
            place: place(),
        })
    }
}

fn check_manifest(manifest: &Manifest) -> Result<(), Error> {
    let problem = |reason: String| Error::Manifest {
        service: manifest.service.clone(),
        reason,
    };
    if !polyn::naming::is_source_name(&manifest.service) {
        return Err(problem(format!(
            "the service `{}` is not a source root: lowercase, alphanumeric and dot/colon \
             separated, like `user.backend`",
            manifest.service
        )));
    }
    if !polyn::naming::is_source_name(&manifest.domain) {
        return Err(problem(format!(
            "the domain `{}` is not a domain: lowercase, alphanumeric and dot/colon separated, \
             like `com.acme`",
            manifest.domain
        )));
    }
    let place = || format!("the manifest of `{}`", manifest.service);
    for name in &manifest.publishes {
        check_name(name, place)?;
    }
    for handled in &manifest.handles {
        check_name(&handled.message, place)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn manifest(json: &str) -> Manifest {
        Manifest::from_json(json).expect("a valid manifest")
    }

    #[test]
    fn a_schema_that_is_not_an_object_is_named() {
        let err = Sources::new("t")
            .schema("widgets.created.v1", json!("nope"))
            .build()
            .expect_err("a string is no schema");
        assert!(
            matches!(&err, Error::SchemaNotObject { name, found: "a string" } if name == "widgets.created.v1")
        );
    }

    #[test]
    fn a_schema_given_twice_is_an_error() {
        let err = Sources::new("t")
            .schema("a.v1", json!({}))
            .schema("a.v1", json!({}))
            .build()
            .expect_err("twice");
        assert!(matches!(err, Error::DuplicateSchema { .. }));
    }

    #[test]
    fn names_that_could_escape_the_site_folder_are_refused() {
        let err = Sources::new("t")
            .schema("../../etc/passwd", json!({}))
            .build()
            .expect_err("not a message name");
        assert!(err.to_string().contains("the schemas"), "{err}");
        let err = Sources::new("t")
            .manifest(manifest(
                r#"{"service": "shop", "domain": "com.acme", "publishes": ["Bad Name"]}"#,
            ))
            .build()
            .expect_err("not a message name");
        assert!(err.to_string().contains("the manifest of `shop`"), "{err}");
    }

    #[test]
    fn a_manifest_with_a_bad_domain_is_named() {
        let err = Sources::new("t")
            .manifest(manifest(r#"{"service": "shop", "domain": "Com Acme"}"#))
            .build()
            .expect_err("bad domain");
        assert!(
            matches!(&err, Error::Manifest { service, .. } if service == "shop"),
            "{err}"
        );
    }

    #[test]
    fn a_message_only_a_manifest_names_is_listed_without_a_schema() {
        let catalog = Sources::new("t")
            .manifest(manifest(
                r#"{"service": "shop", "domain": "com.acme", "publishes": ["orders.placed.v1"]}"#,
            ))
            .build()
            .expect("builds");
        let page = &catalog.files()["events/orders.placed.v1.html"];
        assert!(page.contains("no schema"), "{page}");
        assert!(catalog.files()["index.html"].contains("data-name=\"orders.placed.v1\""));
    }

    #[test]
    fn migrations_that_do_not_replay_are_errors() {
        let migrations = Migrations::from_files([(
            "20260101000000_fix.toml",
            "[[change]]\nop = \"delete_stream\"\nname = \"GONE\"\n",
        )])
        .expect("parses");
        let err = Sources::new("t")
            .migrations(&migrations)
            .build()
            .expect_err("no such stream");
        assert!(matches!(err, Error::Migration { .. }), "{err}");
    }
}
