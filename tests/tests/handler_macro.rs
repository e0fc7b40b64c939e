//! `#[polyn::handler]` end to end on a real nats-server: a typed handler
//! receives a published event and the ack is observed; an invalid raw
//! message is terminated without calling it; a handler error redelivers.

use std::sync::Mutex;
use std::time::Duration;

use futures_util::StreamExt;
use polyn::{Context, Event};
use polyn_tests::PolynEnv;
use polyn_tests::events::WidgetsCreatedV1;
use tokio::sync::Notify;

static CALLS: Mutex<Vec<(String, u64)>> = Mutex::new(Vec::new());
static PROGRESS: Notify = Notify::const_new();

#[polyn::handler(concurrency = 2)]
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
            if calls.iter().any(|(id, d)| id == "flaky" && *d == 2) && calls.len() >= 3 {
                return;
            }
            let _ = tokio::time::timeout(Duration::from_secs(1), progress).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(20), client.serve(&[&on_widget], done))
        .await
        .expect("served in time")
        .expect("serve");

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
