//! Builds the catalog of this workspace (its `schemas/`, the quickstart's
//! migrations and a manifest of the quickstart service) into a folder:
//!
//! ```sh
//! cargo run -p polyn-catalog --example site -- target/catalog
//! ```
//!
//! then open `target/catalog/index.html` (or `index.html#q=amount`).

use std::path::{Path, PathBuf};

use polyn::manifest::Manifest;
use polyn::migration::Migrations;
use polyn_catalog::Sources;

const MANIFEST: &str = r#"{
  "service": "acme.quickstart",
  "domain": "com.acme",
  "publishes": ["calc.mult.request.v1", "money.amount.v1", "widgets.created.v1"],
  "handles": [
    {"message": "widgets.created.v1", "kind": "pull", "consumer": "acme_quickstart_widgets_created_v1", "concurrency": 4},
    {"message": "calc.mult.request.v1", "kind": "request", "queue_group": "calculators", "concurrency": 2}
  ]
}"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("target/catalog"), PathBuf::from);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut sources = Sources::new("Acme quickstart");
    for file in polyn::schemas::load_schemas(root.join("schemas"))? {
        sources = sources.schema(file.name(), serde_json::from_str(file.text())?);
    }
    let migrations = Migrations::from_dir(root.join("examples/quickstart/polyn/migrations"))?;
    let catalog = sources
        .migrations(&migrations)
        .manifest(Manifest::from_json(MANIFEST)?)
        .build()?;
    catalog.write(&out)?;
    println!("{}", out.join("index.html").display());
    Ok(())
}
