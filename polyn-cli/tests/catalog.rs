//! `polyn catalog` as a user runs it: the repository's `schemas/`, the
//! quickstart's migrations and its manifest make a site that headless
//! Chromium opens from the file system: the index lists every message, an
//! event page shows its properties, stream, consumers and services, and the
//! search box filters by message and property names. A screenshot is
//! saved (to `POLYN_CATALOG_SCREENSHOT` too, when set: the README's image).
//!
//! Chromium comes from `scripts/install-chromium` (Debian's package), or
//! `CHROMIUM_BIN`.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use polyn_tests::NatsServer;
use serde_json::Value;

mod common;
use common::run;

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf()
}

/// The Chromium to drive: `CHROMIUM_BIN`, else `chromium` or
/// `chromium-browser` on the PATH.
fn chromium() -> PathBuf {
    if let Some(bin) = std::env::var_os("CHROMIUM_BIN").filter(|bin| !bin.is_empty()) {
        return PathBuf::from(bin);
    }
    ["chromium", "chromium-browser"]
        .iter()
        .find_map(|name| which::which(name).ok())
        .unwrap_or_else(|| {
            panic!(
                "no Chromium to open the catalog in: run `scripts/install-chromium` (Debian's \
                 chromium package) or set CHROMIUM_BIN"
            )
        })
}

/// Chromium, headless, with a profile of its own under `scratch`.
fn headless(scratch: &Path) -> Process {
    let mut command = Process::new(chromium());
    command
        .arg("--headless")
        .arg("--no-sandbox")
        .arg("--disable-gpu")
        .arg("--disable-dev-shm-usage")
        .arg("--no-first-run")
        .arg(format!(
            "--user-data-dir={}",
            scratch.join("profile").display()
        ))
        // The page's script runs before the DOM is dumped.
        .arg("--virtual-time-budget=5000");
    command
}

/// The DOM of `page` once its script has run.
fn dom(scratch: &Path, page: &str) -> String {
    let output = headless(scratch)
        .arg("--dump-dom")
        .arg(page)
        .output()
        .expect("chromium runs");
    assert!(
        output.status.success(),
        "chromium failed on {page}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn url(file: &Path) -> String {
    format!("file://{}", file.display())
}

/// The `<li class="message" …>` entries of the index: name and whether the
/// search hid it.
fn entries(dom: &str) -> Vec<(String, bool)> {
    dom.split("<li")
        .skip(1)
        .filter_map(|entry| {
            let tag = &entry[..entry.find('>')?];
            if !tag.contains("class=\"message") {
                return None;
            }
            let name = tag.split("data-name=\"").nth(1)?.split('"').next()?;
            Some((name.to_owned(), tag.contains(" hidden")))
        })
        .collect()
}

#[test]
fn the_catalog_opens_in_a_browser_and_its_search_filters() {
    let root = root();
    let scratch = tempfile::tempdir().expect("a scratch folder");
    let out = scratch.path().join("catalog");
    let mut polyn = common::polyn(&root, None);
    let (ok, stdout, stderr) = run(
        &mut polyn,
        &[
            "catalog",
            "--schemas",
            "schemas",
            "--dir",
            "examples/quickstart/polyn/migrations",
            "--manifest",
            "examples/quickstart/polyn/manifest.json",
            "--out",
            out.to_str().expect("a UTF-8 path"),
            "--json",
        ],
    );
    assert!(ok, "polyn catalog failed: {stdout}{stderr}");
    let report = common::json(&stdout);
    let messages = std::fs::read_dir(root.join("schemas"))
        .expect("the schemas folder")
        .count();
    assert_eq!(report["messages"], Value::from(messages), "{report}");

    // The index lists every message, none hidden.
    let index = out.join("index.html");
    let listed = entries(&dom(scratch.path(), &url(&index)));
    let mut names: Vec<&str> = listed.iter().map(|(name, _)| name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "calc.mult.request.v1",
            "calc.mult.response.v1",
            "money.amount.v1",
            "orders.placed.v1",
            "user.created.v1",
            "widgets.created.v1",
        ]
    );
    assert!(listed.iter().all(|(_, hidden)| !hidden), "{listed:?}");

    // The search filters by property names and by message names.
    let shown = |query: &str| -> Vec<String> {
        let page = format!("{}?q={query}", url(&index));
        let mut shown: Vec<String> = entries(&dom(scratch.path(), &page))
            .into_iter()
            .filter(|(_, hidden)| !hidden)
            .map(|(name, _)| name)
            .collect();
        shown.sort_unstable();
        shown
    };
    assert_eq!(shown("currency"), ["money.amount.v1", "orders.placed.v1"]);
    assert_eq!(shown("postal_code"), ["orders.placed.v1"]);
    assert_eq!(
        shown("calc.mult"),
        ["calc.mult.request.v1", "calc.mult.response.v1"]
    );

    // An event page: its properties, the stream and consumer that carry it,
    // and the service that publishes and consumes it.
    let page = dom(
        scratch.path(),
        &url(&out.join("events").join("widgets.created.v1.html")),
    );
    for expected in [
        r#"<tr class="property" data-path="id""#,
        r#"<tr class="property" data-path="name""#,
        r#"<article class="stream" data-stream="WIDGETS""#,
        r#"<tr class="consumer" data-consumer="quickstart_widgets_created_v1""#,
        r#"<li class="publisher" data-service="quickstart""#,
        r#"<tr class="handler" data-service="quickstart" data-kind="pull""#,
        r#"class="compatibility first""#,
        r#"<pre class="example-event""#,
    ] {
        assert!(page.contains(expected), "no {expected} on the page: {page}");
    }
    // Nested objects and arrays are expanded into their own rows.
    let orders = dom(
        scratch.path(),
        &url(&out.join("events").join("orders.placed.v1.html")),
    );
    for path in ["customer.shipping_address.postal_code", "lines[].sku"] {
        assert!(
            orders.contains(&format!(r#"data-path="{path}""#)),
            "no row for {path}: {orders}"
        );
    }

    // The AsyncAPI document sits beside the site.
    let asyncapi: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("asyncapi.json")).expect("asyncapi.json"),
    )
    .expect("JSON");
    assert_eq!(asyncapi["asyncapi"], "3.0.0");

    // A screenshot of the index, at a laptop's width.
    let shot = scratch.path().join("catalog.png");
    let status = headless(scratch.path())
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1200,900")
        .arg(url(&index))
        .output()
        .expect("chromium runs");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
    if let Some(keep) = std::env::var_os("POLYN_CATALOG_SCREENSHOT").filter(|p| !p.is_empty()) {
        std::fs::copy(&shot, &keep).expect("the screenshot copied");
    }
}

#[test]
fn from_the_bucket_the_catalog_shows_what_the_store_holds() {
    let root = root();
    let server = NatsServer::start();
    let scratch = tempfile::tempdir().expect("a scratch folder");
    let out = scratch.path().join("catalog");
    let (ok, stdout, stderr) = run(
        &mut common::polyn(&root, Some(&server.url())),
        &["schemas", "push", "schemas"],
    );
    assert!(ok, "push failed: {stdout}{stderr}");
    let (ok, stdout, stderr) = run(
        &mut common::polyn(scratch.path(), Some(&server.url())),
        &[
            "catalog",
            "--from-bucket",
            "--out",
            out.to_str().expect("a UTF-8 path"),
        ],
    );
    assert!(ok, "polyn catalog --from-bucket failed: {stdout}{stderr}");
    // No migrations folder here: said, and not fatal.
    assert!(stderr.contains("no migrations folder"), "{stderr}");
    let index = std::fs::read_to_string(out.join("index.html")).expect("index.html");
    let mut names = entries(&index)
        .into_iter()
        .map(|(name, _)| name)
        .collect::<Vec<_>>();
    names.sort_unstable();
    let mut expected: Vec<String> = std::fs::read_dir(root.join("schemas"))
        .expect("the schemas folder")
        .map(|entry| {
            let path = entry.expect("an entry").path();
            path.file_stem()
                .expect("a name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    expected.sort_unstable();
    assert_eq!(names, expected);

    // A server with no schema store: the protocol's error, and no site.
    let empty = NatsServer::start();
    let elsewhere = scratch.path().join("nothing");
    let (ok, _, stderr) = run(
        &mut common::polyn(scratch.path(), Some(&empty.url())),
        &[
            "catalog",
            "--from-bucket",
            "--out",
            elsewhere.to_str().expect("a UTF-8 path"),
        ],
    );
    assert!(!ok);
    assert!(
        stderr.contains("The Schema Store has not been setup on your NATS server"),
        "{stderr}"
    );
    assert!(!elsewhere.exists());
}
