//! A schemas folder of 200 messages generates 200 event types in one
//! module tree. How long that takes is measured by
//! `polyn-build/benches/generated_size.sh`, not asserted here: a test's
//! wall clock depends on the machine's load.

use std::time::Instant;

use polyn_build::SchemaFile;

#[test]
fn two_hundred_schemas_generate_two_hundred_event_types() {
    let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut templates: Vec<SchemaFile> = std::fs::read_dir(&golden)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| SchemaFile::read(path).unwrap())
        .collect();
    templates.sort_by(|a, b| a.name().cmp(b.name()));
    // The golden schemas, each many times under a new name: a realistic mix
    // of nested objects, enums, `oneOf`, `$ref`s and formats.
    let files: Vec<SchemaFile> = (0..200)
        .map(|index| {
            let template = &templates[index % templates.len()];
            let name = format!("perf{index}.{}", template.name());
            // Each copy is its own message, so its `$id` names it.
            let mut schema: serde_json::Value = serde_json::from_str(template.text()).unwrap();
            if let Some(id) = schema.get_mut("$id") {
                *id = name.replace('.', ":").into();
            }
            SchemaFile::new(
                format!("schemas/{name}.json"),
                serde_json::to_string_pretty(&schema).unwrap(),
            )
        })
        .collect();

    let start = Instant::now();
    let code = polyn_build::generate(&files).unwrap();
    let elapsed = start.elapsed();

    eprintln!(
        "generated {} schemas ({} lines) in {elapsed:?}",
        files.len(),
        code.lines().count()
    );
    assert_eq!(code.matches("impl ::polyn::EventType for").count(), 200);
    for index in [0, 99, 199] {
        let name = format!("perf{index}.{}", templates[index % templates.len()].name());
        assert!(
            code.contains(&format!("\"{name}\"")),
            "no event type named {name}"
        );
    }
}
