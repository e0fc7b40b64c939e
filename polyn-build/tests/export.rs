//! Rust-first events: a type deriving `schemars::JsonSchema` is exported as a
//! schema file, which the generator (and every other Polyn client) reads
//! like a hand-written one.

use polyn_build::{Error, SchemaFile};
use schemars::JsonSchema;
use serde_json::json;

/// A shipment left the warehouse.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct ShipmentsSentV1 {
    /// The shipment's id.
    id: String,
    /// How it travels.
    carrier: Carrier,
    /// Parcels in the shipment.
    parcels: Vec<Parcel>,
    /// A note for the courier.
    note: Option<String>,
}

#[derive(JsonSchema)]
#[allow(dead_code)]
enum Carrier {
    Post,
    Courier,
}

/// One parcel.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct Parcel {
    weight_grams: u32,
}

#[test]
fn exports_a_pretty_schema_with_id_and_title() {
    let dir = tempfile::tempdir().unwrap();
    let path =
        polyn_build::export_schema::<ShipmentsSentV1>("shipments.sent.v1", dir.path()).unwrap();
    assert_eq!(path, dir.path().join("shipments.sent.v1.json"));

    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("{\n  \"$schema\": \"http://json-schema.org/draft-07/schema#\",\n  \"$id\": \"shipments:sent:v1\",\n  \"title\": \"ShipmentsSentV1\",\n"), "{text}");
    assert!(text.ends_with("}\n"));
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(schema["description"], "A shipment left the warehouse.");
    assert_eq!(schema["required"], json!(["carrier", "id", "parcels"]));
    assert_eq!(
        schema["definitions"]["Carrier"]["enum"],
        json!(["Post", "Courier"])
    );

    // Exporting again leaves an unchanged file alone.
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    polyn_build::export_schema::<ShipmentsSentV1>("shipments.sent.v1", dir.path()).unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        modified
    );
}

#[test]
fn the_exported_schema_generates_a_type() {
    let dir = tempfile::tempdir().unwrap();
    let path =
        polyn_build::export_schema::<ShipmentsSentV1>("shipments.sent.v1", dir.path()).unwrap();
    let code = polyn_build::generate(&[SchemaFile::read(path).unwrap()]).unwrap();
    assert!(code.contains("pub struct ShipmentsSentV1 {"), "{code}");
    assert!(code.contains("pub enum Carrier {"), "{code}");
    assert!(code.contains("pub weight_grams: u32,"), "{code}");
    assert!(code.contains("pub note: Option<String>,"), "{code}");
}

#[test]
fn the_name_must_be_a_message_name() {
    let dir = tempfile::tempdir().unwrap();
    let err =
        polyn_build::export_schema::<ShipmentsSentV1>("Shipments_Sent", dir.path()).unwrap_err();
    assert!(matches!(err, Error::InvalidName { .. }), "{err:?}");
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
}
