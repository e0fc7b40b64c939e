//! The operator commands of the `polyn` binary, driven as a user drives
//! them: `gen schema` writing the schemas codebase, `pub` publishing one
//! validated event to a real nats-server, `sub` printing the events of a
//! message as they arrive, and every kind of bad input, each one clear
//! error and a non-zero exit.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use assert_cmd::Command;
use polyn_tests::{NatsServer, PolynEnv};
use serde_json::{Value, json};

mod common;
use common::{json, polyn, run, runtime};

/// How long any one step may take before the test fails.
const STEP: Duration = Duration::from_secs(20);

/// One clear error on stderr, and a failure.
fn fails(command: &mut Command, args: &[&str]) -> String {
    let (ok, stdout, stderr) = run(command, args);
    assert!(!ok, "expected a failure: {stdout}{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one error: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    stderr
}

/// The raw bytes of a `widgets.created.v1` event of the domain `com.acme`,
/// as another client sends it.
fn widget_event(id: &str, data: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "specversion": "1.0",
        "id": id,
        "source": "com:acme:other",
        "type": "com.acme.widgets.created.v1",
        "time": "2026-12-02T17:00:00Z",
        "data": data
    }))
    .expect("encode")
}

#[test]
fn gen_schema_writes_the_template_and_refuses_duplicates_and_bad_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let at = dir.path();

    let (ok, stdout, stderr) = run(&mut polyn(at, None), &["gen", "schema", "orders.placed.v1"]);
    assert!(ok, "{stdout}{stderr}");
    assert_eq!(stdout.trim(), "wrote schemas/orders.placed.v1.json");
    let text = std::fs::read_to_string(at.join("schemas/orders.placed.v1.json")).expect("written");
    assert_eq!(
        text,
        r##"{
  "$id": "orders:placed:v1",
  "$schema": "http://json-schema.org/draft-07/schema#",
  "description": "This is why this message exists and what it does",
  "type": "object",
  "properties": {}
}
"##
    );
    polyn::schema::Schema::from_json_str("orders.placed.v1", &text)
        .expect("a schema Polyn compiles");

    // Sub-folders, another schemas folder, and the JSON form.
    let (ok, stdout, stderr) = run(
        &mut polyn(at, None),
        &[
            "gen",
            "schema",
            "billing/eu/money.refunded.v2",
            "--schemas",
            "codebase",
            "--json",
        ],
    );
    assert!(ok, "{stdout}{stderr}");
    assert_eq!(
        json(&stdout),
        json!({"wrote": "codebase/billing/eu/money.refunded.v2.json"})
    );
    let schema = json(
        &std::fs::read_to_string(at.join("codebase/billing/eu/money.refunded.v2.json"))
            .expect("written"),
    );
    assert_eq!(schema["$id"], "money:refunded:v2");

    // A name taken anywhere under the folder, in any sub-folder.
    let error = fails(
        &mut polyn(at, None),
        &["gen", "schema", "other/orders.placed.v1"],
    );
    assert!(
        error.contains(
            "a schema for `orders.placed.v1` exists already: schemas/orders.placed.v1.json"
        ),
        "{error}"
    );
    assert!(error.contains("`orders.placed.v2`"), "{error}");
    let error = fails(
        &mut polyn(at, None),
        &[
            "gen",
            "schema",
            "money.refunded.v2",
            "--schemas",
            "codebase",
        ],
    );
    assert!(
        error.contains("exists already: codebase/billing/eu/money.refunded.v2.json"),
        "{error}"
    );
    assert!(!at.join("schemas/other").exists(), "nothing written");

    // Bad names.
    let error = fails(&mut polyn(at, None), &["gen", "schema", "Orders.Placed.v1"]);
    assert!(
        error.contains("Message names must be lowercase, alphanumeric and dot separated"),
        "{error}"
    );
    let error = fails(
        &mut polyn(at, None),
        &["gen", "schema", "billing/orders placed.v1"],
    );
    assert!(
        error.contains("Message names must be lowercase, alphanumeric and dot separated"),
        "{error}"
    );
    let error = fails(&mut polyn(at, None), &["gen", "schema", "orders.placed"]);
    assert!(error.contains("`orders.placed` has no version"), "{error}");
    let error = fails(
        &mut polyn(at, None),
        &["gen", "schema", "../orders.shipped.v1"],
    );
    assert!(error.contains("has the sub-folder \"..\""), "{error}");
    assert!(!at.join("orders.shipped.v1.json").exists());
}

#[test]
fn gen_consumer_checks_the_stream_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let error = fails(
        &mut polyn(dir.path(), None),
        &[
            "gen",
            "consumer",
            "widgets.created.v1",
            "--stream",
            "widgets.all",
        ],
    );
    assert_eq!(
        error.trim(),
        "error: Stream name must be all alphanumeric, uppercase, and underscore separated. Got widgets.all"
    );
    let (ok, stdout, stderr) = run(
        &mut polyn(dir.path(), None),
        &[
            "gen",
            "consumer",
            "widgets.created.v1",
            "--stream",
            "WIDGETS",
        ],
    );
    assert!(ok, "{stdout}{stderr}");
}

#[test]
fn pub_publishes_a_valid_event_and_prints_the_ack() {
    let runtime = runtime();
    let env = runtime.block_on(PolynEnv::start());
    runtime.block_on(env.stream("WIDGETS", &["widgets.created.v1"]));
    let dir = tempfile::tempdir().expect("tempdir");
    let url = env.server.url();

    let (ok, stdout, stderr) = run(
        &mut polyn(dir.path(), Some(&url)),
        &[
            "pub",
            "widgets.created.v1",
            r#"{"id": "w1", "name": "Gear"}"#,
        ],
    );
    assert!(ok, "{stdout}{stderr}");
    let line = stdout.trim();
    assert!(
        line.starts_with("published widgets.created.v1 event "),
        "{line}"
    );
    assert!(line.ends_with(" to stream WIDGETS at sequence 1"), "{line}");

    let (ok, stdout, stderr) = run(
        &mut polyn(dir.path(), Some(&url)),
        &[
            "pub",
            "widgets.created.v1",
            r#"{"id": "w2", "name": "Sprocket"}"#,
            "--source",
            "billing",
            "--json",
        ],
    );
    assert!(ok, "{stdout}{stderr}");
    let ack = json(&stdout);
    assert_eq!(
        (&ack["stream"], &ack["sequence"], &ack["duplicate"]),
        (&json!("WIDGETS"), &json!(2), &json!(false))
    );

    // Both are in the stream, as Polyn events of the configured domain.
    let stored = runtime.block_on(async {
        let stream = env.js.get_stream("WIDGETS").await.expect("stream");
        let mut bodies = Vec::new();
        for sequence in [1, 2] {
            let message = stream.get_raw_message(sequence).await.expect("stored");
            assert_eq!(message.subject.as_str(), "widgets.created.v1");
            bodies.push(json(&String::from_utf8_lossy(&message.payload)));
        }
        bodies
    });
    assert_eq!(stored[0]["type"], "com.acme.widgets.created.v1");
    assert_eq!(stored[0]["source"], "com:acme:svc");
    assert_eq!(stored[0]["data"], json!({"id": "w1", "name": "Gear"}));
    assert!(
        line.contains(stored[0]["id"].as_str().expect("id")),
        "{line}"
    );
    assert_eq!(stored[1]["source"], "com:acme:svc:billing");
    assert_eq!(stored[1]["id"], ack["id"]);
}

#[test]
fn pub_failures_are_one_clear_error() {
    let runtime = runtime();
    let env = runtime.block_on(PolynEnv::start());
    runtime.block_on(env.stream("WIDGETS", &["widgets.created.v1"]));
    let dir = tempfile::tempdir().expect("tempdir");
    let at = dir.path();
    let url = env.server.url();
    let widget = r#"{"id": "w1", "name": "Gear"}"#;

    // Data the schema rejects: nothing is sent.
    let error = fails(
        &mut polyn(at, Some(&url)),
        &["pub", "widgets.created.v1", r#"{"id": 7}"#],
    );
    assert!(
        error.contains(" from com:acme:svc is not valid; "),
        "{error}"
    );
    assert!(error.contains("Property: `#/data/id` - "), "{error}");
    assert!(error.contains("Property: `#/data` - "), "{error}");
    let stored = runtime.block_on(async {
        let mut stream = env.js.get_stream("WIDGETS").await.expect("stream");
        stream.info().await.expect("info").state.messages
    });
    assert_eq!(stored, 0, "an invalid event is never sent");

    // The JSON form of the error.
    let (ok, stdout, _) = run(
        &mut polyn(at, Some(&url)),
        &["pub", "widgets.created.v1", r#"{"id": 7}"#, "--json"],
    );
    assert!(!ok);
    let error_json = json(&stdout);
    assert!(
        error_json["error"]
            .as_str()
            .is_some_and(|e| e.contains("is not valid")),
        "{stdout}"
    );

    // Malformed JSON, before any server is asked.
    let error = fails(
        &mut polyn(at, Some(&url)),
        &["pub", "widgets.created.v1", "{id: w1}"],
    );
    assert!(
        error.contains("the JSON argument (the event's data) is not valid JSON: key must be a string at line 1 column 2"),
        "{error}"
    );

    // A bad name, a message without a schema, and a subject no stream captures.
    let error = fails(
        &mut polyn(at, Some(&url)),
        &["pub", "Widgets Created", "{}"],
    );
    assert!(
        error.contains("Event names must be lowercase, alphanumeric and dot separated"),
        "{error}"
    );
    let error = fails(
        &mut polyn(at, Some(&url)),
        &["pub", "nobody.knows.v1", "{}"],
    );
    assert!(
        error.contains("Schema for nobody.knows.v1 does not exist"),
        "{error}"
    );
    let error = fails(
        &mut polyn(at, Some(&url)),
        &[
            "pub",
            "money.amount.v1",
            r#"{"currency": "EUR", "amount": 1}"#,
        ],
    );
    assert!(
        error.contains("Could not find any streams for type money.amount.v1"),
        "{error}"
    );

    // No server there: a closed loopback port.
    let gone = NatsServer::start();
    let gone_url = gone.url();
    drop(gone);
    let error = fails(
        &mut polyn(at, Some(&gone_url)),
        &["pub", "widgets.created.v1", widget],
    );
    assert!(error.contains("could not connect to NATS at"), "{error}");

    // A server without a schema store.
    let bare = NatsServer::start();
    let error = fails(
        &mut polyn(at, Some(&bare.url())),
        &["pub", "widgets.created.v1", widget],
    );
    assert!(
        error.contains("The Schema Store has not been setup on your NATS server"),
        "{error}"
    );
}

/// A running `polyn sub`, its output lines arriving on channels.
struct Sub {
    child: Child,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
}

impl Sub {
    fn start(dir: &Path, url: &str, args: &[&str]) -> Sub {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_polyn"))
            .current_dir(dir)
            .env_clear()
            .env("POLYN_DOMAIN", "com.acme")
            .env("POLYN_SOURCE_ROOT", "svc")
            .env("NATS_URL", url)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("polyn sub starts");
        let stdout = lines(child.stdout.take().expect("stdout"));
        let stderr = lines(child.stderr.take().expect("stderr"));
        let sub = Sub {
            child,
            stdout,
            stderr,
        };
        let line = sub.stderr.recv_timeout(STEP).unwrap_or_else(|err| {
            panic!("`polyn sub` said nothing on stderr within {STEP:?}: {err}")
        });
        assert!(line.starts_with("listening on "), "{line}");
        sub
    }

    /// The next `n` lines of stdout.
    fn lines(&self, n: usize) -> Vec<String> {
        (0..n)
            .map(|i| {
                self.stdout.recv_timeout(STEP).unwrap_or_else(|err| {
                    let errors: Vec<String> = self.stderr.try_iter().collect();
                    panic!("line {i} of `polyn sub` did not come within {STEP:?}: {err}; stderr: {errors:?}")
                })
            })
            .collect()
    }

    /// Waits for it to exit by itself: stdout closes, then its status.
    fn exits(mut self) -> std::process::ExitStatus {
        match self.stdout.recv_timeout(STEP) {
            Err(mpsc::RecvTimeoutError::Disconnected) => {}
            other => {
                let _ = self.child.kill();
                panic!("`polyn sub` did not stop after --count: {other:?}");
            }
        }
        self.child.wait().expect("exit status")
    }
}

impl Drop for Sub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Each line read from `from`, sent on a channel that closes at the end.
fn lines(from: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines() {
            let Ok(line) = line else { break };
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

#[test]
fn sub_prints_valid_events_flags_invalid_ones_and_stops_after_count() {
    let runtime = runtime();
    let env = runtime.block_on(PolynEnv::start());
    let dir = tempfile::tempdir().expect("tempdir");
    let url = env.server.url();
    let publish = |subject: &'static str, body: Vec<u8>| {
        runtime.block_on(async {
            env.nats
                .publish(subject, body.into())
                .await
                .expect("publish");
            env.nats.flush().await.expect("flush");
        });
    };

    let sub = Sub::start(
        dir.path(),
        &url,
        &["sub", "widgets.created.v1", "--count", "3"],
    );
    publish(
        "widgets.created.v1",
        widget_event("ev-1", json!({"id": "w1", "name": "Gear"})),
    );
    publish("widgets.created.v1", widget_event("ev-2", json!({"id": 2})));
    // An identity subject is heard too.
    publish(
        "widgets.created.v1.w3",
        widget_event("ev-3", json!({"id": "w3", "name": "Cog"})),
    );
    let mut lines = sub.lines(3);
    lines.sort();
    assert_eq!(
        lines[0],
        r#"ev-1 com.acme.widgets.created.v1 on widgets.created.v1: {"id":"w1","name":"Gear"}"#
    );
    assert_eq!(
        lines[1],
        r#"ev-3 com.acme.widgets.created.v1 on widgets.created.v1.w3: {"id":"w3","name":"Cog"}"#
    );
    assert!(
        lines[2].starts_with("invalid: Polyn event ev-2 from com:acme:other is not valid; "),
        "{}",
        lines[2]
    );
    assert!(
        lines[2].contains("Property: `#/data/id` - "),
        "{}",
        lines[2]
    );
    assert!(sub.exits().success());

    // The JSON form, and a message that is not JSON at all.
    let sub = Sub::start(
        dir.path(),
        &url,
        &["sub", "widgets.created.v1", "--count", "2", "--json"],
    );
    publish("widgets.created.v1", b"this is not json".to_vec());
    publish(
        "widgets.created.v1",
        widget_event("ev-4", json!({"id": "w4", "name": "Nut"})),
    );
    let lines: Vec<Value> = sub.lines(2).iter().map(|line| json(line)).collect();
    let invalid = lines
        .iter()
        .find(|line| line.get("invalid").is_some())
        .expect("the invalid message is flagged");
    assert_eq!(invalid["subject"], "widgets.created.v1");
    assert!(
        invalid["invalid"].as_str().is_some_and(|e| e
            .starts_with("Polyn was unable to decode the following message: this is not json; ")),
        "{invalid}"
    );
    let valid = lines
        .iter()
        .find(|line| line.get("event").is_some())
        .expect("the valid event is printed");
    assert_eq!(valid["subject"], "widgets.created.v1");
    assert_eq!(valid["event"]["id"], "ev-4");
    assert_eq!(valid["event"]["data"], json!({"id": "w4", "name": "Nut"}));
    assert!(sub.exits().success());
}

#[test]
fn sub_failures_are_one_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let at = dir.path();
    let error = fails(&mut polyn(at, None), &["sub", "Widgets Created"]);
    assert!(
        error.contains("Event names must be lowercase, alphanumeric and dot separated"),
        "{error}"
    );
    let bare = NatsServer::start();
    let error = fails(
        &mut polyn(at, Some(&bare.url())),
        &["sub", "widgets.created.v1"],
    );
    assert!(
        error.contains("The Schema Store has not been setup on your NATS server"),
        "{error}"
    );
}
