//! `polyn catalog`: the event catalog of a schemas folder (or the server's
//! schema store), the migrations and any number of service manifests, as a
//! static site with an AsyncAPI 3 document; no server needed unless the
//! schemas come from the store.

use std::path::{Path, PathBuf};

use clap::Args;
use polyn::manifest::Manifest;
use polyn::migration::Migrations;
use serde_json::json;

use crate::Settings;
use crate::schemas::{BUCKET, schema_set};

#[derive(Debug, Args)]
pub(crate) struct CatalogArgs {
    /// The schemas folder (`<message name>.json` files).
    #[arg(long, default_value = "schemas")]
    schemas: PathBuf,
    /// Read the schemas from the server's schema store (`POLYN_SCHEMAS`)
    /// instead of a folder.
    #[arg(long)]
    from_bucket: bool,
    /// A service's manifest (as `Manifest::to_json` writes it, e.g.
    /// `quickstart --manifest quickstart.json`); repeat it for each service.
    #[arg(long = "manifest", value_name = "FILE")]
    manifests: Vec<PathBuf>,
    /// The folder to write the site to.
    #[arg(long, default_value = "catalog")]
    out: PathBuf,
    /// The catalog's title.
    #[arg(long, default_value = "Event catalog")]
    title: String,
}

pub(crate) async fn run(settings: &Settings, args: &CatalogArgs) -> Result<(), String> {
    let source = if args.from_bucket {
        BUCKET.to_owned()
    } else {
        args.schemas.display().to_string()
    };
    let schemas = schema_set(settings, &source).await?;
    let mut sources = polyn_catalog::Sources::new(args.title.as_str());
    let count = schemas.len();
    for (name, schema) in schemas {
        sources = sources.schema(name, schema);
    }
    if let Some(migrations) = migrations(&settings.dir)? {
        sources = sources.migrations(&migrations);
    }
    for file in &args.manifests {
        sources = sources.manifest(manifest(file)?);
    }
    let catalog = sources.build().map_err(|err| err.to_string())?;
    catalog.write(&args.out).map_err(|err| err.to_string())?;
    let index = args.out.join("index.html");
    if settings.json {
        let files: Vec<&String> = catalog.files().keys().collect();
        println!(
            "{}",
            json!({ "index": index, "messages": count, "files": files })
        );
    } else {
        println!(
            "wrote the catalog of {count} messages to {} (and {})",
            index.display(),
            args.out.join("asyncapi.json").display()
        );
    }
    Ok(())
}

/// The migrations folder's migrations; none when there is no folder.
fn migrations(dir: &Path) -> Result<Option<Migrations>, String> {
    if !dir.is_dir() {
        eprintln!(
            "note: no migrations folder at {}, so the catalog shows no streams or consumers \
             (give one with --dir)",
            dir.display()
        );
        return Ok(None);
    }
    Migrations::from_dir(dir)
        .map(Some)
        .map_err(|err| err.to_string())
}

fn manifest(file: &Path) -> Result<Manifest, String> {
    let text = std::fs::read_to_string(file).map_err(|err| {
        format!(
            "cannot read the manifest {}: {err}; write one with the service (e.g. \
             `quickstart --manifest {0}`)",
            file.display()
        )
    })?;
    Manifest::from_json(&text).map_err(|err| format!("{}: {err}", file.display()))
}
