//! The in-memory sandbox: isolation, redelivery, invalid messages, maximum
//! deliveries, request/reply, queue groups, and verification against a
//! real server.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use polyn::testing::{Sandbox, SettlementKind};
use polyn::{Config, Context, Error, Event, Outcome};
use polyn_tests::PolynEnv;
use polyn_tests::events::{CalcMultRequestV1, CalcMultResponseV1, WidgetsCreatedV1};
use tokio::sync::Notify;

const WAIT: Duration = Duration::from_secs(5);

fn config() -> Config {
    Config::builder()
        .domain("com.test")
        .source_root("user.backend")
        .build()
        .expect("config")
}

fn sandbox() -> Sandbox {
    Sandbox::builder(config())
        .schemas_dir(polyn_tests::env::schemas_dir())
        .expect("schemas")
        .stream("WIDGETS", &["widgets.created.v1"])
        .max_deliver(3)
        .consumer("WIDGETS", "widgets.created.v1", None)
        .expect("consumer")
        .build()
}

fn widget(id: &str) -> WidgetsCreatedV1 {
    WidgetsCreatedV1 {
        id: id.into(),
        name: "sprocket".into(),
    }
}

/// Runs a consumer on the sandbox until the returned notify is fired.
fn run_consumer<F, Fut, R>(
    sandbox: &Sandbox,
    handler: F,
) -> (
    Arc<Notify>,
    tokio::task::JoinHandle<polyn::consumer::ConsumerStats>,
)
where
    F: Fn(Event<WidgetsCreatedV1>, Context) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = R> + Send + 'static,
    R: polyn::IntoOutcome + Send + 'static,
{
    let stop = Arc::new(Notify::new());
    let client = sandbox.client();
    let task = tokio::spawn({
        let stop = stop.clone();
        async move {
            client
                .consumer::<WidgetsCreatedV1>()
                .backoff(Duration::from_millis(10), Duration::from_millis(20))
                .bind()
                .await
                .expect("bind")
                .run(handler, async move { stop.notified().await })
                .await
                .expect("run")
        }
    });
    (stop, task)
}

#[tokio::test]
async fn sandboxes_running_at_once_never_see_each_others_events() {
    let mut tasks = Vec::new();
    for n in 0..24 {
        tasks.push(tokio::spawn(async move {
            let sandbox = sandbox();
            let client = sandbox.client();
            for k in 0..5 {
                client
                    .publish(widget(&format!("t{n}-{k}")))
                    .await
                    .expect("publish");
                tokio::task::yield_now().await;
            }
            let published = sandbox.published::<WidgetsCreatedV1>().expect("typed");
            let ids: Vec<String> = published.into_iter().map(|e| e.into_data().id).collect();
            let expected: Vec<String> = (0..5).map(|k| format!("t{n}-{k}")).collect();
            assert_eq!(ids, expected, "sandbox {n} saw only its own events");
        }));
    }
    for task in tasks {
        task.await.expect("isolated test passed");
    }
}

#[tokio::test]
async fn deliver_waits_for_the_handler_and_reports_the_ack() {
    let sandbox = sandbox();
    let seen = Arc::new(AtomicUsize::new(0));
    let (stop, task) = run_consumer(&sandbox, {
        let seen = seen.clone();
        move |event: Event<WidgetsCreatedV1>, _ctx| {
            let seen = seen.clone();
            async move {
                assert_eq!(event.data().id, "w1");
                seen.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    let settled = sandbox.deliver(widget("w1"), WAIT).await.expect("handled");
    assert_eq!(settled.kind, SettlementKind::Acked);
    assert_eq!(settled.consumer, "user_backend_widgets_created_v1");
    assert_eq!(seen.load(Ordering::SeqCst), 1);
    stop.notify_one();
    assert_eq!(task.await.expect("task").acked, 1);
}

#[tokio::test]
async fn a_nak_redelivers_and_the_second_delivery_is_acked() {
    let sandbox = sandbox();
    let (stop, task) = run_consumer(
        &sandbox,
        |_event: Event<WidgetsCreatedV1>, ctx: Context| async move {
            if ctx.delivered() == 1 {
                Outcome::nak_after(Duration::from_millis(20))
            } else {
                Outcome::Ack
            }
        },
    );
    let first = sandbox.deliver(widget("w1"), WAIT).await.expect("settled");
    assert_eq!((first.kind, first.delivered), (SettlementKind::Naked, 1));
    let second = sandbox
        .wait_for(WAIT, |s| s.kind == SettlementKind::Acked)
        .await
        .expect("redelivered and acked");
    assert_eq!(second.delivered, 2);
    assert_eq!(second.id, first.id);
    stop.notify_one();
    task.await.expect("task");
}

#[tokio::test]
async fn invalid_messages_are_terminated_without_calling_the_handler() {
    let sandbox = sandbox();
    let calls = Arc::new(AtomicUsize::new(0));
    let (stop, task) = run_consumer(&sandbox, {
        let calls = calls.clone();
        move |_event: Event<WidgetsCreatedV1>, _ctx| {
            let calls = calls.clone();
            async move {
                calls.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    let sequence = sandbox
        .publish_raw("widgets.created.v1", "{\"not\": \"an event\"}")
        .expect("raw publish");
    let settled = sandbox
        .wait_for(WAIT, |s| s.stream_sequence == sequence)
        .await
        .expect("settled");
    assert_eq!(settled.kind, SettlementKind::Termed);
    // A valid event after it is handled normally.
    let valid = sandbox.deliver(widget("w2"), WAIT).await.expect("handled");
    assert_eq!(valid.kind, SettlementKind::Acked);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    stop.notify_one();
    let stats = task.await.expect("task");
    assert_eq!((stats.acked, stats.termed), (1, 1));
}

#[tokio::test]
async fn a_failing_handler_is_given_up_on_after_the_maximum_deliveries() {
    let sandbox = sandbox();
    let (stop, task) = run_consumer(&sandbox, |_event: Event<WidgetsCreatedV1>, _ctx| async {
        Err::<(), _>("always failing")
    });
    sandbox
        .deliver(widget("w1"), WAIT)
        .await
        .expect("first attempt");
    let gave_up = sandbox
        .wait_for(WAIT, |s| s.kind == SettlementKind::MaxDeliveries)
        .await
        .expect("given up");
    assert_eq!(gave_up.delivered, 3);
    let kinds: Vec<_> = sandbox.settlements().iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [
            SettlementKind::Naked,
            SettlementKind::Naked,
            SettlementKind::Naked,
            SettlementKind::MaxDeliveries
        ]
    );
    stop.notify_one();
    assert_eq!(task.await.expect("task").naked, 3);
}

#[tokio::test]
async fn request_reply_and_timeouts_work_on_the_sandbox() {
    let sandbox = sandbox();
    let client = sandbox.client();
    let err = client
        .request::<CalcMultRequestV1, CalcMultResponseV1>(CalcMultRequestV1 { a: 2, b: 3 }, WAIT)
        .await
        .expect_err("nobody answers yet");
    assert!(matches!(err, Error::NoResponders { .. }), "{err:?}");

    let mut requests = client
        .subscribe::<CalcMultRequestV1>(Some("calculators"))
        .await
        .expect("subscribe");
    let responder = tokio::spawn({
        let client = client.clone();
        async move {
            let request = requests.next().await.expect("open").expect("valid");
            let product = request.event().data().a * request.event().data().b;
            client
                .reply(&request, CalcMultResponseV1 { product })
                .await
                .expect("reply");
            // The second request is never answered.
            let _ignored = requests.next().await;
        }
    });
    let reply: Event<CalcMultResponseV1> = client
        .request(CalcMultRequestV1 { a: 6, b: 7 }, WAIT)
        .await
        .expect("reply");
    assert_eq!(reply.data().product, 42);
    assert_eq!(reply.event_type(), "com.test.calc.mult.response.v1");

    let err = client
        .request::<CalcMultRequestV1, CalcMultResponseV1>(
            CalcMultRequestV1 { a: 1, b: 1 },
            Duration::from_millis(50),
        )
        .await
        .expect_err("times out");
    assert!(
        matches!(&err, Error::Timeout { name, .. } if name == "calc.mult.request.v1"),
        "{err:?}"
    );
    responder.await.expect("responder");
}

#[tokio::test]
async fn queue_groups_share_core_messages() {
    let sandbox = sandbox();
    let client = sandbox.client();
    let mut a = client
        .subscribe::<WidgetsCreatedV1>(Some("workers"))
        .await
        .expect("a");
    let mut b = client
        .subscribe::<WidgetsCreatedV1>(Some("workers"))
        .await
        .expect("b");
    let mut all = client
        .subscribe::<WidgetsCreatedV1>(None)
        .await
        .expect("all");
    for n in 0..10 {
        client
            .publish_core(
                "widgets.created.v1",
                widget(&format!("w{n}")),
                Default::default(),
            )
            .await
            .expect("core publish");
    }
    let mut group = 0;
    for _ in 0..10 {
        let got = tokio::select! {
            Some(x) = a.next() => x,
            Some(x) = b.next() => x,
        };
        got.expect("valid");
        group += 1;
        all.next().await.expect("open").expect("valid");
    }
    assert_eq!(group, 10, "each message went to exactly one group member");
}

#[tokio::test]
async fn publishing_without_a_stream_fails_like_on_a_server() {
    let sandbox = Sandbox::builder(config())
        .event::<WidgetsCreatedV1>()
        .expect("schema")
        .build();
    let err = sandbox
        .client()
        .publish(widget("w1"))
        .await
        .expect_err("no stream");
    assert!(
        matches!(err, Error::StreamNotFound { ref subject } if subject == "widgets.created.v1")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_topology_is_verified_against_a_real_server() {
    let env = PolynEnv::start().await;
    let sandbox = sandbox();
    let err = sandbox
        .verify_against(&env.nats)
        .await
        .expect_err("nothing exists yet");
    let text = err.to_string();
    assert!(text.contains("stream `WIDGETS` is missing"), "{text}");
    assert!(
        text.contains("consumer `user_backend_widgets_created_v1`"),
        "{text}"
    );

    env.stream("WIDGETS", &["widgets.created.v1"]).await;
    env.consumer(
        "WIDGETS",
        "widgets.created.v1",
        None,
        "widgets.created.v1",
        Duration::from_secs(30),
        3,
    )
    .await;
    sandbox
        .verify_against(&env.nats)
        .await
        .expect("the server matches the sandbox");
}

#[test]
fn a_schemas_folder_is_read_as_the_build_script_reads_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let schema = r#"{"type": "object", "properties": {"id": {"type": "string"}}}"#;
    std::fs::create_dir_all(root.join("billing")).expect("mkdir");
    std::fs::create_dir_all(root.join(".drafts")).expect("mkdir");
    std::fs::write(root.join("billing/invoice.paid.v1.json"), schema).expect("write");
    // Hidden folders and other files are skipped, as the build script does.
    std::fs::write(root.join(".drafts/invoice.paid.v2.json"), "not JSON").expect("write");
    std::fs::write(root.join("billing/README.md"), "notes").expect("write");
    let sandbox = Sandbox::builder(config())
        .schemas_dir(root)
        .expect("the schemas load")
        .build();
    let schemas = sandbox.client().schemas().snapshot();
    assert!(schemas.get("invoice.paid.v1").is_some());
    assert!(schemas.get("invoice.paid.v2").is_none());

    // The same message twice is refused, naming both files.
    std::fs::write(root.join("invoice.paid.v1.json"), schema).expect("write");
    let err = Sandbox::builder(config())
        .schemas_dir(root)
        .expect_err("two files for one message");
    let text = err.to_string();
    assert!(matches!(err, Error::InvalidConfig { .. }), "{err:?}");
    assert!(
        text.contains("two schema files for the message `invoice.paid.v1`"),
        "{text}"
    );
    assert!(text.contains("billing/invoice.paid.v1.json"), "{text}");

    let err = Sandbox::builder(config())
        .schemas_dir(root.join("missing"))
        .expect_err("no folder");
    assert!(err.to_string().contains("missing"), "{err}");
}

#[tokio::test]
async fn the_history_is_bounded_and_keeps_the_latest() {
    let sandbox = Sandbox::builder(config())
        .schemas_dir(polyn_tests::env::schemas_dir())
        .expect("schemas")
        .stream("WIDGETS", &["widgets.created.v1"])
        .history(3)
        .build();
    let client = sandbox.client();
    for n in 0..5 {
        client
            .publish(widget(&format!("w{n}")))
            .await
            .expect("publish");
    }
    let ids: Vec<String> = sandbox
        .published::<WidgetsCreatedV1>()
        .expect("published")
        .iter()
        .map(|event| event.data().id.clone())
        .collect();
    assert_eq!(ids, ["w2", "w3", "w4"]);
}
