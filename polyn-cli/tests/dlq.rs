//! `polyn gen dead-letters` and `polyn dlq`, driven as a user drives them
//! against a real nats-server: the dead-letter stream created by a
//! migration, dead letters listed, shown, replayed (the valid original
//! republished byte for byte, the invalid one refused and kept) and
//! purged, and a missing stream one clear error saying what to run.

use assert_cmd::Command;
use polyn::DeadLetter;
use polyn::async_nats::HeaderMap;
use polyn::async_nats::jetstream::stream::StorageType;
use polyn::dead_letter::{DEAD_LETTER_NAME, DEAD_LETTER_STREAM, DeadLetterReason};
use polyn_tests::{NatsServer, PolynEnv};
use serde_json::{Value, json};

mod common;
use common::{json, polyn, run, runtime};

/// The consumer with the valid dead letters.
const BILLING: &str = "svc_billing_widgets_created_v1";
/// The consumer with the invalid ones.
const WIDGETS: &str = "svc_widgets_created_v1";

/// Runs it and expects success: stdout.
fn succeeds(command: &mut Command, args: &[&str]) -> String {
    let (ok, stdout, stderr) = run(command, args);
    assert!(ok, "`polyn {}` failed: {stdout}{stderr}", args.join(" "));
    stdout
}

/// One clear error on stderr, and a failure: stdout and stderr.
fn fails(command: &mut Command, args: &[&str]) -> (String, String) {
    let (ok, stdout, stderr) = run(command, args);
    assert!(!ok, "expected a failure: {stdout}{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one error: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    (stdout, stderr)
}

/// The configuration the CLI runs with, for building events.
fn config(env: &PolynEnv) -> polyn::Config {
    polyn::Config::builder()
        .domain("com.acme")
        .source_root("svc")
        .server(env.server.url())
        .build()
        .expect("configuration")
}

/// A `widgets.created.v1` event of `com.acme`, as Polyn encodes it.
fn widget(env: &PolynEnv, data: Value) -> Vec<u8> {
    config(env)
        .event("widgets.created.v1", data)
        .expect("event")
        .to_bytes()
        .expect("encode")
}

/// A dead letter of `original`, as a consumer records it.
fn letter(
    original: &[u8],
    reason: DeadLetterReason,
    consumer: &str,
    stream_sequence: u64,
    chain: &[&str],
) -> DeadLetter {
    let mut letter = DeadLetter::new(original, reason);
    letter.consumer = consumer.to_owned();
    letter.stream = "WIDGETS".to_owned();
    letter.stream_sequence = stream_sequence;
    letter.subject = "widgets.created.v1".to_owned();
    letter.delivered = if reason == DeadLetterReason::Exhausted {
        5
    } else {
        1
    };
    letter.error = chain.join("\n");
    letter.error_chain = chain.iter().map(|line| (*line).to_owned()).collect();
    letter
}

/// Publishes a dead-letter event as the runtime does: on
/// `polyn.deadletter.v1.<consumer>`, `Nats-Msg-Id` its id. Returns its
/// sequence in the dead-letter stream.
fn dead_letter(runtime: &tokio::runtime::Runtime, env: &PolynEnv, letter: DeadLetter) -> u64 {
    let subject = DeadLetter::subject(&letter.consumer);
    let event = config(env)
        .event(DEAD_LETTER_NAME, letter)
        .expect("dead-letter event");
    let id = event.id().to_owned();
    let body = serde_json::to_vec(&event.to_json().expect("envelope")).expect("encode");
    runtime.block_on(async {
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Msg-Id", id.as_str());
        env.js
            .publish_with_headers(subject, headers, body.into())
            .await
            .expect("publish")
            .await
            .expect("stored")
            .sequence
    })
}

/// Is there a message at `sequence` in `stream`?
fn stored(runtime: &tokio::runtime::Runtime, env: &PolynEnv, stream: &str, sequence: u64) -> bool {
    runtime.block_on(async {
        let stream = env.js.get_stream(stream).await.expect("stream");
        stream.get_raw_message(sequence).await.is_ok()
    })
}

#[test]
fn dead_letters_are_listed_shown_replayed_and_purged() {
    let runtime = runtime();
    let env = runtime.block_on(PolynEnv::start());
    runtime.block_on(env.stream("WIDGETS", &["widgets.created.v1"]));
    let dir = tempfile::tempdir().expect("tempdir");
    let at = dir.path();
    let url = env.server.url();
    let cli = || polyn(at, Some(&url));

    // The stream, as a user creates it: a migration, then `migrate`.
    let stdout = succeeds(&mut polyn(at, None), &["gen", "dead-letters"]);
    let file = stdout
        .trim()
        .strip_prefix("created polyn/migrations/")
        .unwrap_or_else(|| panic!("{stdout}"))
        .to_owned();
    assert!(
        file.ends_with("_create_polyn_dead_letters_stream.toml"),
        "{file}"
    );
    let text = std::fs::read_to_string(at.join("polyn/migrations").join(&file)).expect("written");
    assert!(text.contains("op = \"create_stream\""), "{text}");
    assert!(text.contains("name = \"POLYN_DEAD_LETTERS\""), "{text}");
    assert!(
        text.contains("subjects = [\"polyn.deadletter.v1.>\"]"),
        "{text}"
    );
    assert!(text.contains("max_age = \"30d\""), "{text}");
    // Twice is a clash, not a second migration.
    let (_, error) = fails(&mut polyn(at, None), &["gen", "dead-letters"]);
    assert!(
        error.contains("there is already a migration named `create_polyn_dead_letters_stream`"),
        "{error}"
    );

    // Before `migrate`, the guidance.
    let (_, error) = fails(&mut cli(), &["dlq", "list"]);
    assert!(
        error.contains("there is no dead-letter stream POLYN_DEAD_LETTERS on nats://"),
        "{error}"
    );
    assert!(
        error.contains("`polyn gen dead-letters`, then run `polyn migrate`"),
        "{error}"
    );

    let stdout = succeeds(&mut cli(), &["migrate"]);
    assert_eq!(stdout.trim(), format!("ran {file}"));
    let info = runtime.block_on(async {
        let mut stream = env.js.get_stream(DEAD_LETTER_STREAM).await.expect("stream");
        stream.info().await.expect("info").config.clone()
    });
    assert_eq!(info.subjects, ["polyn.deadletter.v1.>"]);
    assert_eq!(info.max_age, std::time::Duration::from_secs(30 * 86_400));
    assert_eq!(info.storage, StorageType::File);
    assert_eq!(
        succeeds(&mut cli(), &["dlq", "list"]).trim(),
        "no dead letters in POLYN_DEAD_LETTERS"
    );

    // Three dead letters: a valid original, an invalid one, a body that is
    // not JSON at all.
    let valid = widget(&env, json!({"id": "w1", "name": "Gear"}));
    let valid_id = json(&String::from_utf8_lossy(&valid))["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let invalid = widget(&env, json!({"id": 7}));
    let garbage = b"\xff\x00 not json".to_vec();
    let long = "x".repeat(300);
    let one = dead_letter(
        &runtime,
        &env,
        letter(
            &valid,
            DeadLetterReason::Exhausted,
            BILLING,
            7,
            &["handler failed: timeout", "connection reset by peer"],
        ),
    );
    let two = dead_letter(
        &runtime,
        &env,
        letter(
            &invalid,
            DeadLetterReason::Invalid,
            WIDGETS,
            8,
            &[
                "Polyn event is not valid",
                "Property: `#/data/id` - 7 is not of type \"string\"",
            ],
        ),
    );
    let three = dead_letter(
        &runtime,
        &env,
        letter(&garbage, DeadLetterReason::Invalid, WIDGETS, 9, &[&long]),
    );
    assert_eq!((one, two, three), (1, 2, 3));

    // `list`: one line each, the fields in order.
    let stdout = succeeds(&mut cli(), &["dlq", "list"]);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    let fields: Vec<&str> = lines[0].split("  ").collect();
    assert_eq!(fields[0], "1");
    chrono::DateTime::parse_from_rfc3339(fields[1])
        .unwrap_or_else(|err| panic!("{err}: {}", lines[0]));
    assert_eq!(
        fields[2..],
        [
            BILLING,
            "exhausted",
            "delivered 5",
            "widgets.created.v1 (WIDGETS #7)",
            "handler failed: timeout"
        ],
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("2  ")
            && lines[1].ends_with(&format!(
                "  {WIDGETS}  invalid  delivered 1  widgets.created.v1 (WIDGETS #8)  Polyn event is not valid"
            )),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].ends_with(&format!(
            "  {WIDGETS}  invalid  delivered 1  widgets.created.v1 (WIDGETS #9)  {}…",
            "x".repeat(120)
        )),
        "the error cut at 120 characters: {}",
        lines[2]
    );
    let stdout = succeeds(&mut cli(), &["dlq", "list", "--consumer", WIDGETS]);
    let sequences: Vec<&str> = stdout
        .lines()
        .map(|line| line.split("  ").next().unwrap_or_default())
        .collect();
    assert_eq!(sequences, ["2", "3"], "{stdout}");
    let stdout = succeeds(&mut cli(), &["dlq", "list", "--limit", "1", "--json"]);
    let listed = json(&stdout);
    assert_eq!(listed["dead_letters"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        (
            &listed["dead_letters"][0]["sequence"],
            &listed["dead_letters"][0]["consumer"],
            &listed["dead_letters"][0]["reason"],
            &listed["dead_letters"][0]["stream_sequence"],
        ),
        (&json!(1), &json!(BILLING), &json!("exhausted"), &json!(7))
    );
    let (_, error) = fails(&mut cli(), &["dlq", "list", "--consumer", "a.b"]);
    assert!(
        error.contains("`--consumer \"a.b\"` is not a consumer name"),
        "{error}"
    );

    // `show`: the whole event, then the chain.
    let stdout = succeeds(&mut cli(), &["dlq", "show", "1"]);
    assert!(
        stdout.starts_with("dead letter 1 in POLYN_DEAD_LETTERS, stored 20"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(" on polyn.deadletter.v1.{BILLING}\n{{\n")),
        "{stdout}"
    );
    assert!(
        stdout.contains("  \"type\": \"com.acme.polyn.deadletter.v1\",\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("\"id\": \"{valid_id}\"")),
        "{stdout}"
    );
    assert!(
        stdout.ends_with(
            "error chain:\n  handler failed: timeout\n  caused by: connection reset by peer\n"
        ),
        "{stdout}"
    );
    let stdout = succeeds(&mut cli(), &["dlq", "show", "3"]);
    assert!(stdout.contains("\"payload_base64\": "), "{stdout}");
    assert!(
        stdout.ends_with(&format!(
            "the original body is not JSON: {} bytes, in `payload_base64`\n",
            garbage.len()
        )),
        "{stdout}"
    );
    let shown = json(&succeeds(&mut cli(), &["dlq", "show", "2", "--json"]));
    assert_eq!(
        shown["event"]["data"]["event"],
        json(&String::from_utf8_lossy(&invalid))
    );
    let (_, error) = fails(&mut cli(), &["dlq", "show", "99"]);
    assert!(
        error.contains("there is no dead letter at sequence 99 in POLYN_DEAD_LETTERS on nats://"),
        "{error}"
    );
    assert!(
        error.contains("`polyn dlq list` shows the sequences"),
        "{error}"
    );

    // `replay 1 2`: the valid original is republished and its dead letter
    // deleted; the invalid one is refused with the validation error, stays,
    // and the command fails.
    let (stdout, error) = fails(&mut cli(), &["dlq", "replay", "1", "2"]);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(
        lines[0],
        format!(
            "replayed 1: event {valid_id} of {BILLING} to widgets.created.v1, stored in WIDGETS \
             at sequence 1; dead letter deleted"
        )
    );
    assert!(
        lines[1].starts_with(
            "not replayed 2: the original event (from WIDGETS #8 on widgets.created.v1) is not \
             valid: Polyn event "
        ),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].contains("Property: `#/data/id` - 7 is not of type \"string\""),
        "{}",
        lines[1]
    );
    assert!(
        error.contains("1 of 2 dead letters not replayed (2)"),
        "{error}"
    );
    assert!(error.contains("`polyn dlq purge 2`"), "{error}");
    let republished = runtime.block_on(async {
        let stream = env.js.get_stream("WIDGETS").await.expect("stream");
        stream.get_raw_message(1).await.expect("replayed")
    });
    assert_eq!(republished.subject.as_str(), "widgets.created.v1");
    assert_eq!(
        republished.payload.as_ref(),
        valid.as_slice(),
        "byte for byte"
    );
    assert_eq!(
        republished
            .headers
            .get("Nats-Msg-Id")
            .map(|id| id.as_str().to_owned()),
        Some(format!("{valid_id}.replay.1"))
    );
    assert!(!stored(&runtime, &env, DEAD_LETTER_STREAM, 1), "deleted");
    assert!(stored(&runtime, &env, DEAD_LETTER_STREAM, 2), "kept");
    assert!(!stored(&runtime, &env, "WIDGETS", 2), "nothing else sent");

    // The body that is not JSON is refused too; a deleted one is named.
    let (stdout, error) = fails(&mut cli(), &["dlq", "replay", "3", "1"]);
    assert!(
        stdout.contains("not replayed 3: the original event (from WIDGETS #9 on widgets.created.v1) is not valid: Polyn was unable to decode"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "not replayed 1: there is no dead letter at sequence 1 in POLYN_DEAD_LETTERS"
        ),
        "{stdout}"
    );
    assert!(
        error.contains("2 of 2 dead letters not replayed (3 1)"),
        "{error}"
    );

    // `--keep`, twice: the second is the server's duplicate, and the dead
    // letter stays until purged by sequence.
    let four = dead_letter(
        &runtime,
        &env,
        letter(
            &valid,
            DeadLetterReason::Permanent,
            BILLING,
            10,
            &["refused"],
        ),
    );
    assert_eq!(four, 4);
    let stdout = succeeds(&mut cli(), &["dlq", "replay", "4", "--keep"]);
    assert!(
        stdout.ends_with("stored in WIDGETS at sequence 2; dead letter kept\n"),
        "{stdout}"
    );
    let replayed = json(&succeeds(
        &mut cli(),
        &["dlq", "replay", "4", "--keep", "--json"],
    ));
    assert_eq!(
        (
            &replayed["replayed"][0]["duplicate"],
            &replayed["replayed"][0]["stream_sequence"]
        ),
        (&json!(true), &json!(2))
    );
    assert!(stored(&runtime, &env, DEAD_LETTER_STREAM, 4), "kept");
    let (stdout, error) = fails(&mut cli(), &["dlq", "purge", "4", "1"]);
    assert_eq!(
        stdout.trim(),
        "removed 1 dead letter from POLYN_DEAD_LETTERS"
    );
    assert!(
        error.contains("there is no dead letter at sequence 1"),
        "{error}"
    );
    assert!(!stored(&runtime, &env, DEAD_LETTER_STREAM, 4), "purged");

    // `replay --all` of a consumer with only invalid ones: both refused.
    let (stdout, _) = fails(
        &mut cli(),
        &["dlq", "replay", "--all", "--consumer", WIDGETS],
    );
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.starts_with("not replayed "))
            .count(),
        2,
        "{stdout}"
    );

    // `purge --consumer`: the rest, and then nothing is left.
    let stdout = succeeds(&mut cli(), &["dlq", "purge", "--consumer", WIDGETS]);
    assert_eq!(
        stdout.trim(),
        format!("removed 2 dead letters of {WIDGETS} from POLYN_DEAD_LETTERS")
    );
    assert_eq!(
        succeeds(&mut cli(), &["dlq", "list"]).trim(),
        "no dead letters in POLYN_DEAD_LETTERS"
    );
    assert_eq!(
        succeeds(&mut cli(), &["dlq", "list", "--consumer", WIDGETS]).trim(),
        format!("no dead letters of {WIDGETS} in POLYN_DEAD_LETTERS")
    );
    assert_eq!(
        succeeds(&mut cli(), &["dlq", "replay", "--all"]).trim(),
        "no dead letters to replay in POLYN_DEAD_LETTERS"
    );
    assert_eq!(
        json(&succeeds(&mut cli(), &["dlq", "purge", "--all", "--json"])),
        json!({"removed": 0})
    );
}

#[test]
fn a_missing_dead_letter_stream_says_what_to_run() {
    let server = NatsServer::start();
    let url = server.url();
    let dir = tempfile::tempdir().expect("tempdir");
    let at = dir.path();
    for args in [
        &["dlq", "list"][..],
        &["dlq", "show", "1"],
        &["dlq", "replay", "--all"],
        &["dlq", "purge", "--consumer", WIDGETS],
    ] {
        let (_, error) = fails(&mut polyn(at, Some(&url)), args);
        assert_eq!(
            error.trim(),
            format!(
                "error: there is no dead-letter stream POLYN_DEAD_LETTERS on {url}: write its \
                 migration with `polyn gen dead-letters`, then run `polyn migrate`"
            ),
            "{args:?}"
        );
    }

    // Arguments clap refuses before anything is asked.
    for args in [
        &["dlq", "replay"][..],
        &["dlq", "replay", "1", "--all"],
        &["dlq", "replay", "1", "--consumer", WIDGETS],
        &["dlq", "show", "0"],
        &["dlq", "purge", "1", "--consumer", WIDGETS],
        // Everything only when asked for by name.
        &["dlq", "purge"],
        &["dlq", "purge", "--all", "--consumer", WIDGETS],
    ] {
        let (ok, stdout, stderr) = run(&mut polyn(at, Some(&url)), args);
        assert!(!ok, "{args:?}: {stdout}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    }
}
