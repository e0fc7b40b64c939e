//! Migrations against a real nats-server: migrate, re-run, roll back
//! (reversed and explicit), the replica cap, ids recorded as strings or
//! integers, a failing migration, and a merged stream update.

use polyn::Error;
use polyn::async_nats::jetstream::{self, kv};
use polyn::migration::{Migrations, Migrator};
use polyn_tests::NatsServer;

const CREATE: (&str, &str) = (
    "20261201000000_create_widgets.toml",
    r#"
[[change]]
op = "create_stream"
name = "WIDGETS"
subjects = ["widgets.created.v1"]
max_age = "1d"
num_replicas = 3

[[change]]
op = "create_consumer"
stream_name = "WIDGETS"
durable_name = "svc_widgets_created_v1"
filter_subject = "widgets.created.v1"
ack_policy = "explicit"
ack_wait = "30s"
"#,
);

const LIMIT: (&str, &str) = (
    "20261201000100_limit_widgets.toml",
    r#"
[[up]]
op = "update_stream"
name = "WIDGETS"
max_msgs = 100

[[down]]
op = "update_stream"
name = "WIDGETS"
max_msgs = -1
"#,
);

async fn connect(server: &NatsServer) -> (polyn::async_nats::Client, jetstream::Context) {
    let nats = polyn::async_nats::connect(server.url())
        .await
        .expect("connect");
    let js = jetstream::new(nats.clone());
    (nats, js)
}

async fn recorded(js: &jetstream::Context) -> Option<String> {
    let store = js.get_key_value("POLYN_MIGRATIONS").await.ok()?;
    let value = store.get("svc").await.expect("read")?;
    Some(String::from_utf8_lossy(&value).into_owned())
}

fn migrator(files: &[(&str, &str)]) -> Migrator {
    let migrations = Migrations::from_files(files.iter().copied()).expect("valid migrations");
    Migrator::new(migrations, "svc").max_replicas(1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_is_idempotent_and_rollback_undoes_the_last() {
    let server = NatsServer::start();
    let (nats, js) = connect(&server).await;
    let migrator = migrator(&[CREATE, LIMIT]);

    let ran = migrator.migrate(&nats).await.expect("migrate");
    assert_eq!(ran, ["20261201000000", "20261201000100"]);
    assert_eq!(
        recorded(&js).await.as_deref(),
        Some(r#"["20261201000000","20261201000100"]"#)
    );
    let mut stream = js.get_stream("WIDGETS").await.expect("stream");
    let info = stream.info().await.expect("info");
    assert_eq!(info.config.num_replicas, 1, "capped by max_replicas");
    assert_eq!(info.config.max_messages, 100, "updated");
    assert_eq!(
        info.config.max_age,
        std::time::Duration::from_secs(86_400),
        "the update merged: max_age stays"
    );
    let consumer = stream
        .consumer_info("svc_widgets_created_v1")
        .await
        .expect("consumer");
    assert_eq!(consumer.config.filter_subject, "widgets.created.v1");

    assert!(
        migrator.migrate(&nats).await.expect("again").is_empty(),
        "a no-op"
    );

    // The explicit `[[down]]`.
    assert_eq!(
        migrator.rollback(&nats).await.expect("rollback").as_deref(),
        Some("20261201000100")
    );
    let info = stream.info().await.expect("info");
    assert_eq!(info.config.max_messages, -1);
    // `[[change]]` reversed: the consumer, then the stream.
    assert_eq!(
        migrator.rollback(&nats).await.expect("rollback").as_deref(),
        Some("20261201000000")
    );
    assert!(
        js.get_stream("WIDGETS").await.is_err(),
        "the stream is gone"
    );
    assert_eq!(recorded(&js).await.as_deref(), Some("[]"));
    assert_eq!(migrator.rollback(&nats).await.expect("nothing"), None);
    let status = migrator.status(&nats).await.expect("status");
    assert_eq!(status.pending, ["20261201000000", "20261201000100"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_recorded_as_strings_or_integers_are_both_read() {
    for recorded_before in [r#"["20261201000000"]"#, "[20261201000000]"] {
        let server = NatsServer::start();
        let (nats, js) = connect(&server).await;
        // As another client recorded it, with the stream already there.
        let store = js
            .create_key_value(kv::Config {
                bucket: "POLYN_MIGRATIONS".into(),
                ..Default::default()
            })
            .await
            .expect("bucket");
        store
            .put("svc", recorded_before.as_bytes().to_vec().into())
            .await
            .expect("record");
        js.create_stream(jetstream::stream::Config {
            name: "WIDGETS".into(),
            subjects: vec!["widgets.created.v1".into()],
            ..Default::default()
        })
        .await
        .expect("stream");
        let migrator = migrator(&[CREATE, LIMIT]);
        let status = migrator.status(&nats).await.expect("status");
        assert_eq!(status.applied, ["20261201000000"], "{recorded_before}");
        assert_eq!(status.pending, ["20261201000100"]);
        let ran = migrator.migrate(&nats).await.expect("migrate");
        assert_eq!(ran, ["20261201000100"], "{recorded_before}");
        assert_eq!(
            recorded(&js).await.as_deref(),
            Some(r#"["20261201000000","20261201000100"]"#),
            "written back as strings"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_migration_is_not_recorded_and_the_ones_before_it_are() {
    let server = NatsServer::start();
    let (nats, js) = connect(&server).await;
    let broken = (
        "20261201000200_consumer_elsewhere.toml",
        "[[change]]\nop = \"create_consumer\"\nstream_name = \"NOWHERE\"\ndurable_name = \"c\"\n",
    );
    let migrator = migrator(&[CREATE, broken]);
    let err = migrator.migrate(&nats).await.expect_err("no such stream");
    let Error::Migration {
        file, operation, ..
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!(file, "20261201000200_consumer_elsewhere.toml");
    assert_eq!(operation, "create_consumer `c` in `NOWHERE`");
    assert!(
        err.to_string().contains("it is not recorded as run"),
        "{err}"
    );
    assert_eq!(
        recorded(&js).await.as_deref(),
        Some(r#"["20261201000000"]"#)
    );
    let status = migrator.status(&nats).await.expect("status");
    assert_eq!(status.pending, ["20261201000200"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sandbox_from_the_same_migrations_matches_the_server() {
    let server = NatsServer::start();
    let (nats, _) = connect(&server).await;
    let migrations = Migrations::from_files([CREATE, LIMIT]).expect("valid migrations");
    Migrator::new(migrations.clone(), "svc")
        .max_replicas(1)
        .migrate(&nats)
        .await
        .expect("migrate");
    let config = polyn::Config::builder()
        .domain("com.test")
        .source_root("svc")
        .build()
        .expect("config");
    let sandbox = polyn::testing::Sandbox::builder(config.clone())
        .migrations(&migrations)
        .expect("provision")
        .build();
    sandbox
        .verify_against(&nats)
        .await
        .expect("the same topology");

    // A consumer the server lacks is caught.
    let extra = (
        "20261201000300_extra_consumer.toml",
        "[[change]]\nop = \"create_consumer\"\nstream_name = \"WIDGETS\"\ndurable_name = \"extra\"\nfilter_subject = \"widgets.created.v1\"\n",
    );
    let more = Migrations::from_files([CREATE, LIMIT, extra]).expect("valid migrations");
    let sandbox = polyn::testing::Sandbox::builder(config)
        .migrations(&more)
        .expect("provision")
        .build();
    let err = sandbox.verify_against(&nats).await.expect_err("missing");
    assert!(err.to_string().contains("extra"), "{err}");
}
