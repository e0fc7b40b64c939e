//! Prefetch: a pull consumer fetches ahead of its handlers, within its
//! budget; waiting messages keep their ack deadline however long they wait;
//! on shutdown the ones not started are given back at once and the rest
//! finish; nothing is lost or handled twice.

use std::sync::Arc;
use std::time::Duration;

use polyn::{Context, Event};
use polyn_tests::events::WidgetsCreatedV1;
use polyn_tests::{PolynEnv, Watched};
use tokio::sync::Notify;

fn widget(n: usize) -> WidgetsCreatedV1 {
    WidgetsCreatedV1 {
        id: format!("w{n}"),
        name: "x".into(),
    }
}

async fn set_up(env: &PolynEnv, ack_wait: Duration, events: usize) -> polyn::Client {
    env.stream("WIDGETS", &["widgets.created.v1"]).await;
    env.consumer(
        "WIDGETS",
        "widgets.created.v1",
        None,
        "widgets.created.v1",
        ack_wait,
        -1,
    )
    .await;
    let client = env.client().await;
    for n in 0..events {
        client.publish(widget(n)).await.expect("publish");
    }
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_messages_keep_their_ack_deadline() {
    let env = PolynEnv::start().await;
    // One handler, 250 ms each: the last of 8 waits about 2 s, twice the
    // ack wait, and must still not be redelivered.
    let client = set_up(&env, Duration::from_secs(1), 8).await;
    let seen: Watched<Vec<(String, u64)>> = Watched::new(Vec::new());
    let consumer = client
        .consumer::<WidgetsCreatedV1>()
        .concurrency(1)
        .prefetch(16)
        .bind()
        .await
        .expect("bind");
    let done = {
        let seen = seen.clone();
        async move { seen.until(|seen| seen.len() >= 8).await }
    };
    let handler = {
        let seen = seen.clone();
        move |event: Event<WidgetsCreatedV1>, ctx: Context| {
            let seen = seen.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(250)).await;
                seen.update(|seen| seen.push((event.data().id.clone(), ctx.delivered())));
            }
        }
    };
    let stats = tokio::time::timeout(Duration::from_secs(30), consumer.run(handler, done))
        .await
        .expect("handled in time")
        .expect("run");
    let seen = seen.get();
    let ids: Vec<&str> = seen.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        ["w0", "w1", "w2", "w3", "w4", "w5", "w6", "w7"],
        "in order, once each"
    );
    assert!(
        seen.iter().all(|(_, delivered)| *delivered == 1),
        "{seen:?}"
    );
    assert_eq!(stats.acked, 8);
    let info = env
        .js
        .get_stream("WIDGETS")
        .await
        .expect("stream")
        .consumer_info(
            &env.config()
                .consumer_name("widgets.created.v1", None)
                .expect("name"),
        )
        .await
        .expect("info");
    assert_eq!(info.num_redelivered, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_budget_bounds_what_is_fetched_and_shutdown_gives_back_the_rest_at_once() {
    let env = PolynEnv::start().await;
    // The ack wait is long: anything given back must come back at once,
    // not after it.
    let client = set_up(&env, Duration::from_secs(60), 30).await;
    let name = env
        .config()
        .consumer_name("widgets.created.v1", None)
        .expect("name");
    let started = Watched::new(0usize);
    let release = Arc::new(Notify::new());
    let stop = Arc::new(Notify::new());
    let consumer = client
        .consumer::<WidgetsCreatedV1>()
        .concurrency(2)
        .prefetch(5)
        .bind()
        .await
        .expect("bind");
    let handler = {
        let (started, release) = (started.clone(), release.clone());
        move |_event: Event<WidgetsCreatedV1>, _ctx: Context| {
            let (started, release) = (started.clone(), release.clone());
            async move {
                started.update(|n| *n += 1);
                release.notified().await;
            }
        }
    };
    let running = tokio::spawn({
        let stop = stop.clone();
        consumer.run(handler, async move { stop.notified().await })
    });
    started.until(|n| *n == 2).await;
    // Two handling, five waiting: the server has handed out seven, no more.
    let stream = env.js.get_stream("WIDGETS").await.expect("stream");
    let pending = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let info = stream.consumer_info(&name).await.expect("info");
            assert!(info.num_ack_pending <= 7, "{}", info.num_ack_pending);
            if info.num_ack_pending == 7 {
                return info.num_ack_pending;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("seven fetched");
    assert_eq!(pending, 7);

    stop.notify_one();
    // The two running finish; the five waiting were given back.
    release.notify_waiters();
    let stats = tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .expect("run returns")
        .expect("task")
        .expect("run");
    assert_eq!(stats.acked, 2);
    assert_eq!(stats.naked, 5);
    assert_eq!(started.get(), 2);

    // Everything else comes to the next run at once, each exactly once.
    let seen: Watched<Vec<u64>> = Watched::new(Vec::new());
    let consumer = client
        .consumer::<WidgetsCreatedV1>()
        .bind()
        .await
        .expect("bind again");
    let done = {
        let seen = seen.clone();
        async move { seen.until(|seen| seen.len() >= 28).await }
    };
    let handler = {
        let seen = seen.clone();
        move |_event: Event<WidgetsCreatedV1>, ctx: Context| {
            let seen = seen.clone();
            async move { seen.update(|seen| seen.push(ctx.delivered())) }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), consumer.run(handler, done))
        .await
        .expect("well before the ack wait")
        .expect("run");
    let seen = seen.get();
    assert_eq!(seen.len(), 28);
    assert_eq!(seen.iter().filter(|delivered| **delivered == 2).count(), 5);
}
