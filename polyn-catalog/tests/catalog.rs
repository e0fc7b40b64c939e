//! The catalog of the workspace's own schemas, the quickstart's migrations
//! and a manifest of the quickstart service.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polyn::manifest::Manifest;
use polyn::migration::Migrations;
use polyn::schema::{Schema, Schemas};
use polyn_catalog::{Catalog, Sources};
use serde_json::Value;

const MANIFEST: &str = r#"{
  "service": "acme.quickstart",
  "domain": "com.acme",
  "publishes": ["calc.mult.request.v1", "money.amount.v1", "widgets.created.v1"],
  "handles": [
    {"message": "widgets.created.v1", "kind": "pull", "consumer": "acme_quickstart_widgets_created_v1", "concurrency": 4},
    {"message": "calc.mult.request.v1", "kind": "request", "queue_group": "calculators", "concurrency": 2}
  ]
}"#;

const MESSAGES: [&str; 6] = [
    "calc.mult.request.v1",
    "calc.mult.response.v1",
    "money.amount.v1",
    "orders.placed.v1",
    "user.created.v1",
    "widgets.created.v1",
];

fn workspace(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

/// Every schema of a folder, by message name.
fn schemas_in(dir: &Path) -> BTreeMap<String, Value> {
    polyn::schemas::load_schemas(dir)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", dir.display()))
        .iter()
        .map(|file| {
            let json = serde_json::from_str(file.text())
                .unwrap_or_else(|err| panic!("{} is not JSON: {err}", file.path().display()));
            (file.name().to_owned(), json)
        })
        .collect()
}

fn workspace_schemas() -> BTreeMap<String, Value> {
    schemas_in(&workspace("schemas"))
}

fn catalog() -> Catalog {
    let migrations = Migrations::from_dir(workspace("examples/quickstart/polyn/migrations"))
        .expect("the quickstart's migrations parse");
    let manifest = Manifest::from_json(MANIFEST).expect("the manifest parses");
    let mut sources = Sources::new("Acme quickstart");
    for (name, schema) in workspace_schemas() {
        sources = sources.schema(name, schema);
    }
    sources
        .migrations(&migrations)
        .manifest(manifest)
        .build()
        .expect("the catalog builds")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The example event of `name`, as the AsyncAPI document gives it.
fn example_event<'a>(catalog: &'a Catalog, name: &str) -> &'a Value {
    &catalog.asyncapi()["components"]["messages"][name]["examples"][0]["payload"]
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|err| panic!("the schema does not compile: {err}"))
}

fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|err| format!("at `{}`: {err}", err.instance_path()))
        .collect()
}

#[test]
fn the_index_lists_every_message_with_its_page() {
    let catalog = catalog();
    let index = &catalog.files()["index.html"];
    for name in MESSAGES {
        assert!(
            index.contains(&format!("<li class=\"message\" data-name=\"{name}\"")),
            "the index lacks {name}"
        );
        assert!(
            index.contains(&format!("href=\"events/{name}.html\"")),
            "{name}"
        );
        assert!(
            catalog.files().contains_key(&format!("events/{name}.html")),
            "{name}"
        );
    }
    assert_eq!(
        index.matches("<li class=\"message\"").count(),
        MESSAGES.len()
    );
    assert!(index.contains("<input id=\"search\""));
    assert!(index.contains("<li class=\"group\" data-base=\"calc.mult.request\">"));
    assert!(index.contains("<p class=\"description\">A widget was created.</p>"));
    assert!(index.contains("Published by <b>acme.quickstart</b>"));
    assert!(index.contains("consumed by <b>acme.quickstart</b> (request)"));
    // The search index holds property paths, nested ones included.
    assert!(index.contains("customer.shipping_address.city"));
    assert!(index.contains("<script src=\"search.js\"></script>"));
}

#[test]
fn an_event_page_has_a_row_per_property() {
    let catalog = catalog();
    let page = &catalog.files()["events/orders.placed.v1.html"];
    for path in [
        "order_id",
        "customer",
        "customer.email",
        "customer.shipping_address",
        "customer.shipping_address.city",
        "customer.shipping_address.country",
        "lines",
        "lines[].sku",
        "lines[].quantity",
        "lines[].tags",
        "payment",
        "payment.method",
        "payment.due_days",
        "note",
    ] {
        assert!(
            page.contains(&format!("<tr class=\"property\" data-path=\"{path}\">")),
            "no row for {path}"
        );
    }
    let row = |path: &str| -> &str {
        let start = page
            .find(&format!("data-path=\"{path}\""))
            .unwrap_or_else(|| panic!("no row {path}"));
        let end = start + page[start..].find("</tr>").expect("the row ends");
        &page[start..end]
    };
    let status = row("status");
    for value in ["pending", "paid", "shipped", "cancelled"] {
        assert!(
            status.contains(&format!("<code class=\"enum-value\">{value}</code>")),
            "{status}"
        );
    }
    assert!(status.contains("default: &quot;pending&quot;"), "{status}");
    let country = row("customer.shipping_address.country");
    assert!(
        country.contains("minLength: 2") && country.contains("maxLength: 2"),
        "{country}"
    );
    assert!(
        country.contains("ISO 3166-1 alpha-2 country code"),
        "{country}"
    );
    assert!(row("customer.shipping_address.city").contains("required"));
    assert!(row("customer.shipping_address.postal_code").contains("optional"));
    assert!(row("customer.shipping_address").contains("A postal address"));
    assert!(row("lines").contains("array of object"));
    assert!(row("lines[].quantity").contains("minimum: 1"));
    assert!(row("order_id").contains("format: uuid"));
    assert!(row("note").contains("string or null"));
    assert!(row("payment.method").contains("option 1 of 2 (oneOf)"));
    // The schema itself, escaped.
    assert!(page.contains("<section id=\"schema\">"));
    assert!(page.contains("&quot;$ref&quot;: &quot;#/definitions/Address&quot;"));
    assert!(page.contains("This is the first version"));
}

#[test]
fn the_stream_and_its_consumer_appear_on_the_page_of_what_they_carry() {
    let catalog = catalog();
    let page = &catalog.files()["events/widgets.created.v1.html"];
    assert!(
        page.contains("<article class=\"stream\" data-stream=\"WIDGETS\">"),
        "{page}"
    );
    assert!(
        page.contains("<tr class=\"consumer\" data-consumer=\"quickstart_widgets_created_v1\">")
    );
    assert!(page.contains("Max age</dt><dd>7d"));
    assert!(page.contains("20261202090000_create_widgets.toml"));
    // The manifest's consumer is not one of these migrations'.
    assert!(page.contains(
        "consumer <code>acme_quickstart_widgets_created_v1</code> <em class=\"note\">(not created by these migrations)</em>"
    ));
    assert!(!page.contains("data-stream=\"MONEY\""));

    let money = &catalog.files()["events/money.amount.v1.html"];
    assert!(money.contains("data-stream=\"MONEY\""));
    assert!(money.contains("data-consumer=\"quickstart_billing_money_amount_v1\""));

    let request = &catalog.files()["events/calc.mult.request.v1.html"];
    assert!(!request.contains("<article class=\"stream\""));
    assert!(request.contains("queue group <code>calculators</code>"));
    assert!(request.contains("request handler"));
}

#[test]
fn every_example_event_is_valid_as_polyn_receives_it() {
    let catalog = catalog();
    let schemas = workspace_schemas();
    let mut store = Schemas::new();
    for (name, schema) in &schemas {
        store.insert(Schema::compile(name, schema).expect("compiles"));
    }
    for (name, schema) in &schemas {
        let event = example_event(&catalog, name);
        assert!(event.is_object(), "{name} has no example event");
        // Published by the manifest's service, or from an example source in
        // the only manifest's domain.
        let published = [
            "calc.mult.request.v1",
            "money.amount.v1",
            "widgets.created.v1",
        ];
        let source = if published.contains(&name.as_str()) {
            "com:acme:acme:quickstart"
        } else {
            "com:acme:example"
        };
        assert_eq!(event["source"], source, "{name}");
        let domain = "com.acme";
        assert_eq!(event["type"], format!("{domain}.{name}"));
        assert_eq!(event["specversion"], "1.0");
        assert_eq!(event["datacontenttype"], "application/json");
        polyn::validation::validate_event(event, domain, &store)
            .unwrap_or_else(|err| panic!("the example of {name} is invalid: {err}"));
        let problems = errors(&validator(schema), &event["data"]);
        assert!(problems.is_empty(), "{name}: {problems:?}");
        // The page shows the same event.
        let page = &catalog.files()[&format!("events/{name}.html")];
        let pretty = serde_json::to_string_pretty(event).expect("serializes");
        assert!(
            page.contains(&escape(&pretty)),
            "the page of {name} shows another example"
        );
    }
    let orders = &example_event(&catalog, "orders.placed.v1")["data"];
    assert_eq!(orders["status"], "pending");
    assert_eq!(orders["customer"]["shipping_address"]["country"], "NL");
    assert_eq!(orders["payment"]["method"], "card");
}

/// The vendored AsyncAPI 3.0.0 schema (see `tests/fixtures/README.md`).
fn asyncapi_validator() -> jsonschema::Validator {
    let text = include_str!("fixtures/asyncapi-3.0.0.json");
    let schema: Value = serde_json::from_str(text).expect("the vendored schema is JSON");
    validator(&schema)
}

#[test]
fn the_asyncapi_document_validates_against_the_official_schema() {
    let catalog = catalog();
    let document = catalog.asyncapi();
    let validator = asyncapi_validator();
    let problems = errors(&validator, document);
    assert!(
        problems.is_empty(),
        "asyncapi.json breaks AsyncAPI 3.0.0:\n{}",
        problems.join("\n")
    );
    let written: Value =
        serde_json::from_str(&catalog.files()["asyncapi.json"]).expect("asyncapi.json is JSON");
    assert_eq!(&written, document);

    // The validation is not vacuous: a broken document fails it.
    let mut broken = document.clone();
    broken["operations"]["acme.quickstart.send.widgets.created.v1"]["action"] = "publish".into();
    broken["channels"]["widgets.created.v1"]["unknown"] = true.into();
    assert!(errors(&validator, &broken).len() >= 2);
}

#[test]
fn the_asyncapi_document_describes_channels_operations_and_payloads() {
    let catalog = catalog();
    let document = catalog.asyncapi();
    assert_eq!(document["asyncapi"], "3.0.0");
    assert_eq!(document["info"]["title"], "Acme quickstart");
    assert_eq!(document["defaultContentType"], "application/json");
    let channels = document["channels"].as_object().expect("channels");
    assert_eq!(channels.len(), MESSAGES.len());
    assert_eq!(
        document["channels"]["widgets.created.v1"]["address"],
        "widgets.created.v1"
    );
    assert_eq!(
        document["channels"]["user.created.v1"]["address"],
        "user.created.v1.{id}"
    );

    let operations = document["operations"].as_object().expect("operations");
    let mut names: Vec<&str> = operations.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "acme.quickstart.receive.calc.mult.request.v1",
            "acme.quickstart.receive.widgets.created.v1",
            "acme.quickstart.send.calc.mult.request.v1",
            "acme.quickstart.send.money.amount.v1",
            "acme.quickstart.send.widgets.created.v1",
        ]
    );
    let receive = &operations["acme.quickstart.receive.calc.mult.request.v1"];
    assert_eq!(receive["action"], "receive");
    assert_eq!(receive["bindings"]["nats"]["queue"], "calculators");
    assert_eq!(
        operations["acme.quickstart.receive.widgets.created.v1"]["x-polyn"]["consumer"],
        "acme_quickstart_widgets_created_v1"
    );

    // Every payload is the whole envelope, and every example satisfies it.
    for name in MESSAGES {
        let message = &document["components"]["messages"][name];
        assert_eq!(message["contentType"], "application/json", "{name}");
        assert_eq!(
            message["payload"]["schemaFormat"],
            "application/schema+json;version=draft-07"
        );
        let envelope = validator(&message["payload"]["schema"]);
        let problems = errors(&envelope, &message["examples"][0]["payload"]);
        assert!(problems.is_empty(), "{name}: {problems:?}");
        let mut without_data = message["examples"][0]["payload"].clone();
        if let Value::Object(fields) = &mut without_data {
            fields.shift_remove("data");
        }
        assert!(!envelope.is_valid(&without_data), "{name} needs its data");
    }
    let orders =
        validator(&document["components"]["messages"]["orders.placed.v1"]["payload"]["schema"]);
    let mut event = example_event(&catalog, "orders.placed.v1").clone();
    event["data"]["customer"]["shipping_address"]["country"] = "NLD".into();
    assert!(
        !orders.is_valid(&event),
        "the relocated $ref to Address applies"
    );
}

#[test]
fn the_catalog_is_written_as_a_site_folder() {
    let catalog = catalog();
    let dir = tempfile::tempdir().expect("a temporary folder");
    catalog.write(dir.path()).expect("writes");
    for file in ["index.html", "asyncapi.json", "style.css", "search.js"] {
        assert!(dir.path().join(file).is_file(), "{file}");
    }
    for name in MESSAGES {
        assert!(
            dir.path().join(format!("events/{name}.html")).is_file(),
            "{name}"
        );
    }
    // Nothing in the site reaches for the network.
    for (path, contents) in catalog.files() {
        if path.ends_with(".html") || path.ends_with(".css") || path.ends_with(".js") {
            for needle in [
                "src=\"http",
                "href=\"http",
                "src=\"//",
                "href=\"//",
                "@import",
                "fetch(",
            ] {
                assert!(!contents.contains(needle), "{path} contains {needle}");
            }
        }
    }
}
