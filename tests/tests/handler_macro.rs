//! `#[polyn::handler]` end to end on a real nats-server: a typed handler
//! receives a published event and the ack is observed; an invalid raw
//! message is terminated without calling it and reported to its
//! `on_invalid` hook; a handler error redelivers after its backoff; a
//! request handler answers, and its error is an error reply.

use std::sync::Mutex;
use std::time::Duration;

use futures_util::StreamExt;
use polyn::{Context, Error, Event, InvalidMessage};
use polyn_tests::PolynEnv;
use polyn_tests::events::{CalcMultRequestV1, CalcMultResponseV1, WidgetsCreatedV1};
use tokio::sync::Notify;

static CALLS: Mutex<Vec<(String, u64)>> = Mutex::new(Vec::new());
static REPORTS: Mutex<Vec<String>> = Mutex::new(Vec::new());
static PROGRESS: Notify = Notify::const_new();

fn report_invalid(invalid: &InvalidMessage) {
    REPORTS
        .lock()
        .expect("lock")
        .push(invalid.error.to_string());
    PROGRESS.notify_waiters();
}

#[polyn::handler(
    concurrency = 2,
    backoff = "100ms",
    max_backoff = "1s",
    on_invalid = report_invalid
)]
async fn on_widget(event: Event<WidgetsCreatedV1>, ctx: Context) -> Result<(), String> {
    let id = event.into_data().id;
    CALLS
        .lock()
        .expect("lock")
        .push((id.clone(), ctx.delivered()));
    PROGRESS.notify_waiters();
    if id == "flaky" && ctx.delivered() == 1 {
        return Err("temporarily unavailable".into());
    }
    Ok(())
}

fn calls() -> Vec<(String, u64)> {
    CALLS.lock().expect("lock").clone()
}

fn reports() -> Vec<String> {
    REPORTS.lock().expect("lock").clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_macro_handler_is_served_acks_terms_and_retries() {
    let env = PolynEnv::start().await;
    env.stream("WIDGETS", &["widgets.created.v1"]).await;
    let consumer = env
        .consumer(
            "WIDGETS",
            "widgets.created.v1",
            None,
            "widgets.created.v1",
            Duration::from_secs(30),
            -1,
        )
        .await;
    let mut acks = env
        .nats
        .subscribe(format!("$JS.ACK.WIDGETS.{consumer}.>"))
        .await
        .expect("ack spy");
    env.nats.flush().await.expect("flush");
    let client = env.client().await;

    client
        .publish(WidgetsCreatedV1 {
            id: "w1".into(),
            name: "n".into(),
        })
        .await
        .expect("publish");
    env.js
        .publish("widgets.created.v1", "{\"id\": \"not an event\"}".into())
        .await
        .expect("raw")
        .await
        .expect("raw ack");
    client
        .publish(WidgetsCreatedV1 {
            id: "flaky".into(),
            name: "n".into(),
        })
        .await
        .expect("publish");

    let done = async {
        loop {
            let progress = PROGRESS.notified();
            let calls = calls();
            let reported = reports().len() >= 2;
            if calls.iter().any(|(id, d)| id == "flaky" && *d == 2) && calls.len() >= 3 && reported
            {
                return;
            }
            let _ = tokio::time::timeout(Duration::from_secs(1), progress).await;
        }
    };
    let stats = tokio::time::timeout(Duration::from_secs(20), client.serve(&[&on_widget], done))
        .await
        .expect("served in time")
        .expect("serve");
    let stats = stats.of("widgets.created.v1").expect("stats");
    assert_eq!(
        (stats.acked, stats.termed, stats.naked, stats.failed),
        (2, 1, 1, 1),
        "{stats:?}"
    );
    let mut reports = reports();
    reports.sort();
    assert!(
        reports[0].starts_with("Polyn event") || reports[0].contains("not valid"),
        "the invalid message: {reports:?}"
    );
    assert!(
        reports[1].contains("temporarily unavailable"),
        "the handler error: {reports:?}"
    );

    let mut calls = calls();
    calls.sort();
    assert_eq!(
        calls,
        [("flaky".into(), 1), ("flaky".into(), 2), ("w1".into(), 1)],
        "the invalid message never reached the handler"
    );
    let mut bodies = Vec::new();
    while bodies.len() < 4 {
        let ack = tokio::time::timeout(Duration::from_secs(5), acks.next())
            .await
            .expect("ack in time")
            .expect("ack");
        bodies.push(String::from_utf8_lossy(&ack.payload).into_owned());
    }
    bodies.sort();
    assert_eq!(bodies[0..2], ["+ACK", "+ACK"]);
    assert!(bodies[2].starts_with("+TERM"), "{bodies:?}");
    assert!(bodies[3].starts_with("-NAK"), "{bodies:?}");
}

/// Multiplies; a zero is refused with an error reply.
#[polyn::handler(queue_group = "calculators", concurrency = 2)]
async fn multiply(
    event: Event<CalcMultRequestV1>,
    ctx: Context,
) -> Result<CalcMultResponseV1, std::io::Error> {
    assert!(ctx.reply_to().is_some());
    let CalcMultRequestV1 { a, b } = *event.data();
    if a == 0 || b == 0 {
        return Err(std::io::Error::other("zero is boring"));
    }
    Ok(CalcMultResponseV1 { product: a * b })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_macro_request_handler_answers_and_errors_are_error_replies() {
    let env = PolynEnv::start().await;
    let client = env.client().await;
    let service = client.service(&[&multiply]);
    let monitor = service.monitor();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let requests = async {
        assert!(monitor.ready().await);
        let timeout = Duration::from_secs(5);
        let reply = client
            .request::<_, CalcMultResponseV1>(CalcMultRequestV1 { a: 6, b: 7 }, timeout)
            .await
            .expect("a reply");
        assert_eq!(reply.data().product, 42);
        let refused = client
            .request::<_, CalcMultResponseV1>(CalcMultRequestV1 { a: 0, b: 7 }, timeout)
            .await;
        assert!(
            matches!(&refused, Err(Error::Remote { code: 500, description, .. }) if description.contains("zero is boring")),
            "{refused:?}"
        );
        let _ = stop.send(());
    };
    let (stats, ()) = tokio::join!(
        service.run(async {
            let _ = stopped.await;
        }),
        requests
    );
    let stats = stats.expect("serve");
    let stats = stats.of("calc.mult.request.v1").expect("stats");
    assert_eq!((stats.replied, stats.error_replies), (1, 1), "{stats:?}");
}
