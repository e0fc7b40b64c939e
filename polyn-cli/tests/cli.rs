//! The `polyn` binary, driven as a user drives it: writing migrations,
//! running, inspecting and rolling them back on a real nats-server, and
//! every kind of bad input, each one clear error and a non-zero exit.

use std::path::Path;

use assert_cmd::Command;
use polyn_tests::NatsServer;

mod common;
use common::run;

/// `polyn` in `dir`, with only the settings given.
fn polyn(dir: &Path, server: Option<&NatsServer>) -> Command {
    common::polyn(dir, server.map(NatsServer::url).as_deref())
}

/// One clear error on stderr, and a failure.
fn fails(command: &mut Command, args: &[&str]) -> String {
    let (ok, stdout, stderr) = run(command, args);
    assert!(!ok, "expected a failure: {stdout}{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one error: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    stderr
}

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|err| panic!("{err}: {stdout}"))
}

#[test]
fn generate_migrate_inspect_and_roll_back() {
    let server = NatsServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let at = dir.path();
    for args in [
        &["gen", "stream", "widgets.created.v1"][..],
        &[
            "gen",
            "consumer",
            "widgets.created.v1",
            "--source",
            "billing",
        ],
    ] {
        let (ok, stdout, stderr) = run(&mut polyn(at, None), args);
        assert!(ok, "{stdout}{stderr}");
        assert!(stdout.starts_with("created polyn/migrations/"), "{stdout}");
    }
    let mut files: Vec<String> = std::fs::read_dir(at.join("polyn/migrations"))
        .expect("folder")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    files.sort();
    assert_eq!(files.len(), 2);
    assert!(
        files[0].ends_with("_create_widgets_created_v1_stream.toml"),
        "{files:?}"
    );
    assert!(
        files[1].ends_with("_create_svc_billing_widgets_created_v1_consumer.toml"),
        "{files:?}"
    );
    assert_ne!(files[0][..14], files[1][..14], "one id each");

    // The plan first: nothing changes.
    let (ok, stdout, _) = run(&mut polyn(at, Some(&server)), &["migrate", "--dry-run"]);
    assert!(ok);
    assert!(stdout.contains("would run "), "{stdout}");
    assert!(
        stdout.contains("  create_stream `WIDGETS_CREATED_V1`"),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("  create_consumer `svc_billing_widgets_created_v1` in `WIDGETS_CREATED_V1`"),
        "{stdout}"
    );
    let (_, stdout, _) = run(
        &mut polyn(at, Some(&server)),
        &["migrations", "status", "--json"],
    );
    assert_eq!(json(&stdout)["applied"], serde_json::json!([]));

    let (ok, stdout, stderr) = run(&mut polyn(at, Some(&server)), &["migrate", "--json"]);
    assert!(ok, "{stderr}");
    assert_eq!(json(&stdout)["ran"].as_array().map(Vec::len), Some(2));
    let (ok, stdout, _) = run(&mut polyn(at, Some(&server)), &["migrate"]);
    assert!(ok);
    assert_eq!(stdout.trim(), "nothing to migrate: every migration has run");
    let (_, stdout, _) = run(&mut polyn(at, Some(&server)), &["migrations", "status"]);
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("applied ")).count(),
        2,
        "{stdout}"
    );

    let (ok, stdout, _) = run(&mut polyn(at, Some(&server)), &["rollback", "--dry-run"]);
    assert!(ok);
    assert!(
        stdout
            .contains("  delete_consumer `svc_billing_widgets_created_v1` in `WIDGETS_CREATED_V1`"),
        "{stdout}"
    );
    let (ok, stdout, _) = run(&mut polyn(at, Some(&server)), &["rollback"]);
    assert!(ok);
    assert!(stdout.starts_with("rolled back "), "{stdout}");
    let (_, stdout, _) = run(
        &mut polyn(at, Some(&server)),
        &["migrations", "status", "--json"],
    );
    let status = json(&stdout);
    assert_eq!(status["applied"].as_array().map(Vec::len), Some(1));
    assert_eq!(status["pending"].as_array().map(Vec::len), Some(1));
}

#[test]
fn bad_input_is_one_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let at = dir.path();
    let migrations = at.join("polyn/migrations");
    std::fs::create_dir_all(&migrations).expect("folder");

    // A name clash.
    assert!(run(&mut polyn(at, None), &["gen", "migration", "tidy_up"]).0);
    let error = fails(&mut polyn(at, None), &["gen", "migration", "tidy_up"]);
    assert!(
        error.contains("there is already a migration named `tidy_up`"),
        "{error}"
    );
    let error = fails(&mut polyn(at, None), &["gen", "migration", "Tidy-Up"]);
    assert!(
        error.contains("is not a snake_case migration name"),
        "{error}"
    );
    std::fs::remove_dir_all(&migrations).expect("clean");
    std::fs::create_dir_all(&migrations).expect("folder");

    let write =
        |file: &str, text: &str| std::fs::write(migrations.join(file), text).expect("write");
    let clear = || {
        for entry in std::fs::read_dir(&migrations).expect("folder") {
            std::fs::remove_file(entry.expect("entry").path()).expect("remove");
        }
    };
    // Malformed TOML, an unknown field, a duplicate id: before any server.
    write("20261201000000_broken.toml", "[[change]\n");
    let error = fails(&mut polyn(at, None), &["migrate"]);
    assert!(
        error.contains("`20261201000000_broken.toml` is invalid: it is not valid TOML"),
        "{error}"
    );
    clear();
    write(
        "20261201000000_typo.toml",
        "[[change]]\nop = \"create_stream\"\nname = \"S\"\nsubject = [\"s\"]\n",
    );
    let error = fails(&mut polyn(at, None), &["migrate"]);
    assert!(
        error.contains("unknown field `subject` (did you mean `subjects`?)"),
        "{error}"
    );
    clear();
    let stream = "[[change]]\nop = \"create_stream\"\nname = \"S\"\nsubjects = [\"s\"]\n";
    write("20261201000000_one.toml", stream);
    write("20261201000000_two.toml", stream);
    let error = fails(&mut polyn(at, None), &["migrate", "--dry-run"]);
    assert!(error.contains("is also the id of"), "{error}");
    clear();
    write("20261201000000_one.toml", stream);

    // No server there.
    let gone = NatsServer::start();
    let url = gone.url();
    drop(gone);
    let error = fails(polyn(at, None).env("NATS_URL", &url), &["migrate"]);
    assert!(error.contains("could not connect to NATS at"), "{error}");

    // Refused credentials, and the secret is never shown.
    let secured = NatsServer::start_with_args(&["--auth", "right-token"]);
    let error = fails(
        polyn(at, Some(&secured)).env("NATS_TOKEN", "wrong-token"),
        &["migrate"],
    );
    assert!(error.contains("could not connect to NATS"), "{error}");
    assert!(!error.contains("wrong-token"), "{error}");
    let (ok, stdout, stderr) = run(
        polyn(at, Some(&secured)).env("NATS_TOKEN", "right-token"),
        &["migrate"],
    );
    assert!(ok, "{stdout}{stderr}");

    // A missing setting.
    let error = fails(
        polyn(at, None).env_remove("POLYN_SOURCE_ROOT"),
        &["gen", "consumer", "widgets.created.v1"],
    );
    assert!(error.contains("POLYN_SOURCE_ROOT"), "{error}");
    let error = fails(&mut polyn(at, None), &["--dir", "nowhere", "migrate"]);
    assert!(error.contains("no migrations folder at nowhere"), "{error}");
}

#[test]
fn schemas_compat_gates_breaking_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let at = dir.path();
    let write = |folder: &str, text: &str| {
        std::fs::create_dir_all(at.join(folder)).expect("folder");
        std::fs::write(at.join(folder).join("orders.placed.v1.json"), text).expect("write");
    };
    let schema =
        r#"{"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}"#;
    write("old", schema);
    write(
        "same",
        r#"{"type": "object", "description": "An order", "properties": {"id": {"type": "string"}, "note": {"type": "string"}}, "required": ["id"]}"#,
    );
    write(
        "breaking",
        r#"{"type": "object", "properties": {"id": {"type": "integer"}, "note": {"type": "string"}}, "required": ["id", "note"]}"#,
    );
    write("broken", "{not json");

    let (ok, stdout, stderr) = run(&mut polyn(at, None), &["schemas", "compat", "old", "same"]);
    assert!(ok, "{stdout}{stderr}");
    assert_eq!(stdout.trim(), "1 compatible, 0 new, 0 breaking");

    let error = fails(
        &mut polyn(at, None),
        &["schemas", "compat", "old", "breaking"],
    );
    assert!(
        error.contains("1 schema(s) have backwards-incompatible changes"),
        "{error}"
    );
    let (_, stdout, _) = run(
        &mut polyn(at, None),
        &["schemas", "compat", "old", "breaking"],
    );
    assert!(
        stdout.starts_with("breaking orders.placed.v1 (publish it as `orders.placed.v2` instead):"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  at `/properties/id`: the `type` changed from string to integer"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  at `/required`: required properties were added: [\"note\"]"),
        "{stdout}"
    );
    let (ok, stdout, _) = run(
        &mut polyn(at, None),
        &["schemas", "compat", "old", "breaking", "--json"],
    );
    assert!(!ok);
    let report = json(stdout.lines().next().unwrap_or_default());
    assert_eq!(report["breaking"][0]["next"], "orders.placed.v2");
    assert_eq!(
        report["breaking"][0]["changes"][0]["path"],
        "/properties/id"
    );

    let error = fails(
        &mut polyn(at, None),
        &["schemas", "compat", "old", "broken"],
    );
    assert!(
        error.contains("orders.placed.v1.json is not JSON"),
        "{error}"
    );

    // Against the server's schema store.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let env = runtime.block_on(polyn_tests::PolynEnv::start());
    let schemas = polyn_tests::env::schemas_dir();
    let schemas = schemas.to_string_lossy();
    let (ok, stdout, stderr) = run(
        polyn(at, None).env("NATS_URL", env.server.url()),
        &["schemas", "compat", "bucket", &schemas],
    );
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stdout.starts_with("6 compatible, 0 new, 0 breaking"),
        "{stdout}"
    );
    let bare = NatsServer::start();
    let error = fails(
        &mut polyn(at, Some(&bare)),
        &["schemas", "compat", "bucket", "old"],
    );
    assert!(
        error.contains("The Schema Store has not been setup on your NATS server"),
        "{error}"
    );
}
