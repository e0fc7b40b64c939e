//! The README's first command: the quickstart runs to completion on the
//! sandbox and on a real server, and prints what its handlers handled and
//! the replies of its request handler.

use std::process::Command;

use polyn_tests::NatsServer;

fn run(nats_url: Option<&str>) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_quickstart"));
    command.env_remove("NATS_URL");
    if let Some(url) = nats_url {
        command.env("NATS_URL", url);
    }
    let output = command.output().expect("the quickstart runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "the quickstart failed: {}\n{stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn assert_handled_all(stdout: &str) {
    let lines: Vec<&str> = stdout.lines().skip(1).collect();
    assert_eq!(lines.len(), 9, "{stdout}");
    let mut handled = lines[..4].to_vec();
    handled.sort_unstable();
    assert_eq!(
        handled,
        [
            "12.5 EUR",
            "99 EUR",
            "widget w1 is called Sprocket (delivery 1)",
            "widget w2 is called Gear (delivery 1)"
        ],
        "{stdout}"
    );
    assert_eq!(lines[4], "6 × 7 = 42", "{stdout}");
    assert!(
        lines[5].starts_with(
            "i64::MAX × 2: error 500: the handler of `calc.mult.request.v1` failed on event "
        ) && lines[5].ends_with(": the product does not fit in 64 bits"),
        "{stdout}"
    );
    assert_eq!(
        lines[6..],
        [
            "widgets.created.v1: 2 handled",
            "money.amount.v1: 2 handled",
            "calc.mult.request.v1: 1 handled"
        ],
        "{stdout}"
    );
}

#[test]
fn runs_on_the_sandbox() {
    let stdout = run(None);
    assert!(stdout.starts_with("NATS_URL is not set: using the in-memory sandbox"), "{stdout}");
    assert_handled_all(&stdout);
}

#[test]
fn runs_on_a_real_server_and_again_on_the_same_setup() {
    let server = NatsServer::start();
    for _ in 0..2 {
        let stdout = run(Some(&server.url()));
        assert!(stdout.starts_with("using the NATS server at nats://127.0.0.1:"), "{stdout}");
        assert_handled_all(&stdout);
    }
}

#[test]
fn a_server_it_cannot_reach_is_one_readable_error() {
    // A free port with nothing listening, and no time to wait for it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free port")
        .local_addr()
        .expect("its address")
        .port();
    let output = Command::new(env!("CARGO_BIN_EXE_quickstart"))
        .env("NATS_URL", format!("nats://127.0.0.1:{port}"))
        .env("POLYN_CONNECT_RETRY", "0s")
        .output()
        .expect("the quickstart runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let error = stderr
        .lines()
        .find(|line| line.starts_with("Error: "))
        .unwrap_or_else(|| panic!("no error line: {stderr}"));
    // The error's words (naming the server), not a struct's fields.
    assert!(error.contains(&format!("127.0.0.1:{port}")), "{error}");
    assert!(!error.contains(" { "), "{error}");
}

#[test]
fn writes_its_manifest_on_request() {
    let dir = tempfile::tempdir().expect("a scratch folder");
    let file = dir.path().join("quickstart.json");
    let output = Command::new(env!("CARGO_BIN_EXE_quickstart"))
        .arg("--manifest")
        .arg(&file)
        .env_remove("NATS_URL")
        .output()
        .expect("the quickstart runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = std::fs::read_to_string(&file).expect("the manifest was written");
    // The copy the catalog is built from (`polyn/manifest.json`) is current.
    let committed = include_str!("../polyn/manifest.json");
    assert_eq!(
        text.trim_end(),
        committed.trim_end(),
        "polyn/manifest.json is stale: run `cargo run -p quickstart -- --manifest \
         examples/quickstart/polyn/manifest.json`"
    );
    let manifest = polyn::manifest::Manifest::from_json(&text).expect("a manifest");
    assert_eq!((manifest.service.as_str(), manifest.domain.as_str()), ("quickstart", "com.acme"));
    assert_eq!(
        manifest.publishes,
        ["calc.mult.request.v1", "money.amount.v1", "widgets.created.v1"]
    );
    let handled: Vec<_> = manifest
        .handles
        .iter()
        .map(|h| {
            (h.message.as_str(), h.kind.as_str(), h.consumer.as_deref(), h.queue_group.as_deref())
        })
        .collect();
    assert_eq!(
        handled,
        [
            ("widgets.created.v1", "pull", Some("quickstart_widgets_created_v1"), None),
            ("money.amount.v1", "pull", Some("quickstart_billing_money_amount_v1"), None),
            ("calc.mult.request.v1", "request", None, Some("calculators")),
        ]
    );
}
