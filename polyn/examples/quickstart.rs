//! Quickstart: build, validate and decode Polyn events against the example
//! schemas in `schemas/`, the way a service does before publishing.
//!
//! Run with `cargo run -p polyn --example quickstart`.

use std::path::Path;

use polyn::{Config, Event, Schema, Schemas, validate_event};
use serde_json::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::builder()
        .domain("com.acme")
        .source_root("quickstart")
        .build()?;

    // Load every schema of the example codebase.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    let mut schemas = Schemas::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.extension().is_some_and(|e| e == "json") {
            schemas.insert(Schema::from_json_str(
                name,
                &std::fs::read_to_string(&path)?,
            )?);
        }
    }
    let mut names: Vec<_> = schemas.names().collect();
    names.sort_unstable();
    println!("loaded {} schemas: {}", schemas.len(), names.join(", "));

    // A valid event: validated, encoded as it travels on NATS, decoded back.
    let event = config.event(
        "widgets.created.v1",
        json!({"id": "w-1", "name": "Sprocket"}),
    )?;
    let wire = event.to_bytes()?;
    validate_event(&serde_json::from_slice(&wire)?, config.domain(), &schemas)?;
    println!(
        "valid event on subject `widgets.created.v1`:\n{}",
        String::from_utf8_lossy(&wire)
    );
    let decoded: Event = serde_json::from_slice(&wire)?;
    assert_eq!(decoded, event);

    // An invalid one: the error lists every violation and what was sent.
    let bad = config.event("widgets.created.v1", json!({"id": 7}))?;
    if let Err(err) = validate_event(&bad.to_json()?, config.domain(), &schemas) {
        println!("\nrejected, as it should be:\n{err}");
    }
    println!(
        "\nconsumer name for this service: {}",
        config.consumer_name("widgets.created.v1", None)?
    );
    Ok(())
}
