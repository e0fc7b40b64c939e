//! `polyn schemas check|push|diff|delete`, driven as a user drives them on
//! a real nats-server: a folder checked, pushed (dry run first), updated,
//! refused when breaking and forced, diffed and deleted from; every kind of
//! bad input a clear error and a non-zero exit.

use std::path::Path;

use assert_cmd::Command;
use polyn_tests::NatsServer;

mod common;
use common::run;

/// `polyn` in `dir`, with only the settings given.
fn polyn(dir: &Path, server: Option<&NatsServer>) -> Command {
    common::polyn(dir, server.map(NatsServer::url).as_deref())
}

/// It succeeds; its stdout.
fn succeeds(command: &mut Command, args: &[&str]) -> String {
    let (ok, stdout, stderr) = run(command, args);
    assert!(ok, "{args:?} failed: {stdout}{stderr}");
    stdout
}

/// A clear error on stderr, and a failure.
fn fails(command: &mut Command, args: &[&str]) -> String {
    let (ok, stdout, stderr) = run(command, args);
    assert!(!ok, "expected {args:?} to fail: {stdout}{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    stderr
}

fn write(dir: &Path, file: &str, text: &str) {
    let path = dir.join(file);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("folder");
    std::fs::write(path, text).expect("write");
}

const ORDER: &str = r#"{
  "$id": "orders:placed:v1",
  "type": "object",
  "properties": {"id": {"type": "string"}, "total": {"type": "number"}},
  "required": ["id"]
}"#;

#[test]
fn check_names_each_problem_of_a_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let at = dir.path();
    write(at, "schemas/billing/orders.placed.v1.json", ORDER);
    write(
        at,
        "schemas/widgets.created.v1.json",
        r#"{"type": "object"}"#,
    );
    let stdout = succeeds(&mut polyn(at, None), &["schemas", "check"]);
    assert_eq!(stdout.trim(), "2 schemas in schemas are fine");

    // One problem at a time, each named with its file.
    let cases: [(&str, &str, &str); 6] = [
        (
            "schemas/broken.v1.json",
            "{\"type\": \"object\",\n}",
            "schemas/broken.v1.json: not JSON: trailing comma at line 2 column 1",
        ),
        (
            "schemas/typo.v1.json",
            "{\n  \"type\": \"object\",\n  \"requried\": [\"id\"]\n}",
            "schemas/typo.v1.json:3 at `/requried`: unknown keyword `requried`: did you mean \
             `required`?",
        ),
        (
            "schemas/orders.refunded.v1.schema.json",
            "{}",
            "the message name `orders.refunded.v1.schema` does not end with a version token \
             (`.v<N>`); name the file `orders.refunded.v1.json`",
        ),
        (
            "schemas/other/widgets.created.v1.json",
            "{}",
            "There can only be one of each schema name. The following schemas were \
             duplicated:\nwidgets.created.v1",
        ),
        (
            "schemas/orders.shipped.v1.json",
            r#"{"$id": "orders:placed:v1"}"#,
            "`$id` is `orders:placed:v1`, which does not name this file's message \
             `orders.shipped.v1`",
        ),
        (
            "schemas/users.seen.v1.json",
            r#"{"type": "object", "identity": "id", "properties": {}}"#,
            "`identity` field of `id` on users.seen.v1 must also be defined in `properties`",
        ),
    ];
    for (file, text, expected) in cases {
        write(at, file, text);
        let error = fails(&mut polyn(at, None), &["schemas", "check"]);
        assert!(error.contains(expected), "{file}: {error}");
        std::fs::remove_file(at.join(file)).expect("remove");
    }
    let error = fails(&mut polyn(at, None), &["schemas", "check", "nowhere"]);
    assert!(error.contains("no schemas folder at nowhere"), "{error}");
}

#[test]
fn push_diff_and_delete_against_a_real_server() {
    let server = NatsServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let at = dir.path();
    write(at, "schemas/orders.placed.v1.json", ORDER);
    write(
        at,
        "schemas/widgets.created.v1.json",
        r#"{"type": "object"}"#,
    );

    // No bucket yet: a dry run plans it and changes nothing.
    let error = fails(
        &mut polyn(at, Some(&server)),
        &["schemas", "diff", "bucket", "schemas"],
    );
    assert!(
        error.contains("The Schema Store has not been setup on your NATS server"),
        "{error}"
    );
    let stdout = succeeds(
        &mut polyn(at, Some(&server)),
        &["schemas", "push", "--dry-run"],
    );
    assert_eq!(
        stdout,
        "would create the schema store with 1 replica(s)\nwould add orders.placed.v1\nwould add \
         widgets.created.v1\n"
    );
    fails(
        &mut polyn(at, Some(&server)),
        &["schemas", "diff", "bucket", "schemas"],
    );

    let stdout = succeeds(&mut polyn(at, Some(&server)), &["schemas", "push"]);
    assert!(
        stdout.starts_with("created the schema store with 1 replica(s)\nadded"),
        "{stdout}"
    );
    let stdout = succeeds(&mut polyn(at, Some(&server)), &["schemas", "push"]);
    assert_eq!(
        stdout.trim(),
        "the schema store already holds every schema of schemas"
    );
    let stdout = succeeds(
        &mut polyn(at, Some(&server)),
        &["schemas", "diff", "bucket", "schemas"],
    );
    assert_eq!(stdout.trim(), "bucket and schemas hold the same 2 schemas");

    // A compatible edit, and a file removed: updated, and the other kept.
    std::fs::remove_file(at.join("schemas/widgets.created.v1.json")).expect("remove");
    write(
        at,
        "schemas/orders.placed.v1.json",
        &ORDER.replace(
            r#""total": {"type": "number"}"#,
            r#""total": {"type": "number"}, "note": {"type": "string"}"#,
        ),
    );
    let stdout = succeeds(
        &mut polyn(at, Some(&server)),
        &["schemas", "diff", "bucket", "schemas"],
    );
    assert_eq!(
        stdout,
        "changed orders.placed.v1\n  + /properties/note: {\"type\":\"string\"}\nonly in bucket: \
         widgets.created.v1\n"
    );
    let stdout = succeeds(&mut polyn(at, Some(&server)), &["schemas", "push"]);
    assert!(
        stdout.starts_with("updated orders.placed.v1\n  + /properties/note"),
        "{stdout}"
    );
    assert!(stdout.contains("kept widgets.created.v1"), "{stdout}");

    // A breaking edit: refused, and the bucket is unchanged.
    write(
        at,
        "before/orders.placed.v1.json",
        &std::fs::read_to_string(at.join("schemas/orders.placed.v1.json")).unwrap(),
    );
    write(
        at,
        "schemas/orders.placed.v1.json",
        &ORDER.replace(r#""required": ["id"]"#, r#""required": ["id", "total"]"#),
    );
    let error = fails(
        &mut polyn(at, Some(&server)),
        &["schemas", "push", "--dry-run"],
    );
    assert!(
        error.contains("the push would be refused: `orders.placed.v1`"),
        "{error}"
    );
    let error = fails(&mut polyn(at, Some(&server)), &["schemas", "push"]);
    assert!(
        error.contains("nothing was pushed: one schema would break"),
        "{error}"
    );
    assert!(error.contains("`orders.placed.v2`"), "{error}");
    let stdout = succeeds(
        &mut polyn(at, Some(&server)),
        &["schemas", "diff", "before", "bucket"],
    );
    // Only the kept schema differs: the order is as it was.
    assert_eq!(stdout, "added widgets.created.v1\n", "unchanged: {stdout}");
    let stdout = succeeds(
        &mut polyn(at, Some(&server)),
        &["--json", "schemas", "push", "--force"],
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(report["updated"][0]["name"], "orders.placed.v1");
    assert_eq!(report["breaking"][0], "orders.placed.v1");

    // Folder to folder, as JSON.
    let stdout = succeeds(
        &mut polyn(at, None),
        &["--json", "schemas", "diff", "before", "schemas"],
    );
    let diff: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(diff["changed"][0]["changes"][0]["op"], "remove");
    assert_eq!(diff["changed"][0]["changes"][0]["path"], "/properties/note");

    // Delete, by name only.
    let stdout = succeeds(
        &mut polyn(at, Some(&server)),
        &["schemas", "delete", "widgets.created.v1"],
    );
    assert_eq!(stdout.trim(), "deleted widgets.created.v1");
    let error = fails(
        &mut polyn(at, Some(&server)),
        &["schemas", "delete", "widgets.created.v1"],
    );
    assert!(
        error.contains("Schema for widgets.created.v1 does not exist"),
        "{error}"
    );
    let error = fails(
        &mut polyn(at, Some(&server)),
        &["schemas", "delete", "Widgets Created"],
    );
    assert!(
        error.contains("lowercase, alphanumeric and dot separated"),
        "{error}"
    );
}

#[test]
fn push_checks_first_and_needs_a_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let at = dir.path();
    write(
        at,
        "schemas/orders.placed.v1.json",
        r#"{"type": "object", "requried": []}"#,
    );
    // A bad folder fails before any connection.
    let error = fails(&mut polyn(at, None), &["schemas", "push"]);
    assert!(error.contains("did you mean `required`?"), "{error}");

    write(at, "schemas/orders.placed.v1.json", ORDER);
    let gone = NatsServer::start();
    let url = gone.url();
    drop(gone);
    let error = fails(polyn(at, None).env("NATS_URL", &url), &["schemas", "push"]);
    assert!(error.contains("could not connect to NATS at"), "{error}");
}
