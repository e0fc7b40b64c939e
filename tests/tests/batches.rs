//! Batch handlers (`Consumer::run_batches`), against a real nats-server:
//! events come in batches no larger than asked for and are acknowledged
//! together; a failed batch is retried message by message and handled
//! again; shutdown finishes the batch in hand and loses nothing.

use std::collections::BTreeMap;
use std::time::Duration;

use polyn::Event;
use polyn_tests::events::WidgetsCreatedV1;
use polyn_tests::{PolynEnv, Watched};

const NAME: &str = "widgets.created.v1";

async fn set_up(max_deliver: i64, ack_wait: Duration) -> (PolynEnv, polyn::Client, String) {
    let env = PolynEnv::start().await;
    env.stream("WIDGETS", &[NAME]).await;
    let consumer = env
        .consumer("WIDGETS", NAME, None, NAME, ack_wait, max_deliver)
        .await;
    let client = env.client().await;
    (env, client, consumer)
}

async fn publish(client: &polyn::Client, count: usize) {
    for n in 0..count {
        let widget = WidgetsCreatedV1 {
            id: format!("w{n}"),
            name: "Sprocket".into(),
        };
        client.publish(widget).await.expect("publish");
    }
}

/// What the consumer still holds: (pending, waiting for an ack).
async fn left(env: &PolynEnv, consumer: &str) -> (u64, usize) {
    let info = env
        .js
        .get_stream("WIDGETS")
        .await
        .expect("stream")
        .get_consumer::<async_nats::jetstream::consumer::pull::Config>(consumer)
        .await
        .expect("consumer")
        .info()
        .await
        .expect("info")
        .clone();
    (info.num_pending, info.num_ack_pending)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_come_in_batches_no_larger_than_asked_and_are_acked_together() {
    let (env, client, consumer_name) = set_up(3, Duration::from_secs(30)).await;
    publish(&client, 25).await;

    let seen = Watched::new(Vec::<Vec<String>>::new());
    let consumer = client
        .consumer::<WidgetsCreatedV1>()
        .bind()
        .await
        .expect("bind");
    let handler = {
        let seen = seen.clone();
        move |events: Vec<Event<WidgetsCreatedV1>>| {
            let ids = events.iter().map(|e| e.data().id.clone()).collect();
            seen.update(|seen| seen.push(ids));
            async { Ok::<_, std::io::Error>(()) }
        }
    };
    let stop = {
        let seen = seen.clone();
        async move {
            seen.until(|seen| seen.iter().map(Vec::len).sum::<usize>() >= 25)
                .await
        }
    };
    let stats = consumer
        .run_batches(10, Duration::from_millis(100), handler, stop)
        .await
        .expect("run");

    let batches = seen.get();
    assert!(
        batches.iter().all(|b| !b.is_empty() && b.len() <= 10),
        "{batches:?}"
    );
    // With all 25 stored before the first pull, batches fill up.
    assert!(
        batches.len() <= 5,
        "{} batches for 25 events",
        batches.len()
    );
    let mut ids: Vec<String> = batches.concat();
    ids.sort();
    let mut expected: Vec<String> = (0..25).map(|n| format!("w{n}")).collect();
    expected.sort();
    assert_eq!(ids, expected, "every event once");
    assert_eq!((stats.acked, stats.naked, stats.termed), (25, 0, 0));
    assert_eq!(left(&env, &consumer_name).await, (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_batch_is_retried_message_by_message_and_handled_again() {
    let (env, client, consumer_name) = set_up(3, Duration::from_secs(30)).await;
    publish(&client, 4).await;

    // Each event's deliveries, as the handler saw them.
    let seen = Watched::new(BTreeMap::<String, usize>::new());
    let calls = Watched::new(0usize);
    let consumer = client
        .consumer::<WidgetsCreatedV1>()
        .backoff(Duration::from_millis(20), Duration::from_millis(80))
        .bind()
        .await
        .expect("bind");
    let handler = {
        let (seen, calls) = (seen.clone(), calls.clone());
        move |events: Vec<Event<WidgetsCreatedV1>>| {
            seen.update(|seen| {
                for event in &events {
                    *seen.entry(event.data().id.clone()).or_default() += 1;
                }
            });
            let first = calls.update(|calls| {
                *calls += 1;
                *calls == 1
            });
            async move {
                if first {
                    Err(std::io::Error::other("the warehouse is down"))
                } else {
                    Ok(())
                }
            }
        }
    };
    let stop = {
        let seen = seen.clone();
        async move { seen.until(|seen| seen.values().sum::<usize>() >= 8).await }
    };
    let stats = consumer
        .run_batches(10, Duration::from_millis(100), handler, stop)
        .await
        .expect("run");

    let seen = seen.get();
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert!(seen.values().all(|&n| n == 2), "each twice: {seen:?}");
    assert_eq!(stats.failed, 1, "one failed call");
    assert_eq!((stats.acked, stats.naked, stats.termed), (4, 4, 0));
    assert_eq!(left(&env, &consumer_name).await, (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_the_batch_in_hand_and_gives_back_the_rest() {
    let (env, client, consumer_name) = set_up(3, Duration::from_secs(2)).await;
    publish(&client, 30).await;

    // The first batch stops the consumer while it is handled.
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let stop_tx = std::sync::Mutex::new(Some(stop_tx));
    let handled = Watched::new(0usize);
    let consumer = client
        .consumer::<WidgetsCreatedV1>()
        .bind()
        .await
        .expect("bind");
    let handler = {
        let handled = handled.clone();
        move |events: Vec<Event<WidgetsCreatedV1>>| {
            if let Some(stop) = stop_tx.lock().expect("lock").take() {
                let _ = stop.send(());
            }
            let handled = handled.clone();
            async move {
                // Still running when the shutdown is seen.
                tokio::task::yield_now().await;
                handled.update(|n| *n += events.len());
                Ok::<_, std::io::Error>(())
            }
        }
    };
    let stats = consumer
        .run_batches(10, Duration::from_millis(100), handler, async {
            let _ = stop_rx.await;
        })
        .await
        .expect("run");

    assert_eq!(handled.get(), 10, "the batch in hand finished");
    assert_eq!(stats.acked, 10);
    // What was fetched for the next batch was given back (or, if still on
    // its way when the pulls closed, comes back after the ack wait): a new
    // run gets the other 20.
    let rest = Watched::new(0usize);
    let consumer = client
        .consumer::<WidgetsCreatedV1>()
        .bind()
        .await
        .expect("bind again");
    let handler = {
        let rest = rest.clone();
        move |events: Vec<Event<WidgetsCreatedV1>>| {
            rest.update(|n| *n += events.len());
            async { Ok::<_, std::io::Error>(()) }
        }
    };
    let stop = {
        let rest = rest.clone();
        async move { rest.until(|n| *n >= 20).await }
    };
    let again = consumer
        .run_batches(10, Duration::from_millis(100), handler, stop)
        .await
        .expect("run again");
    assert_eq!(again.acked, 20);
    assert_eq!(left(&env, &consumer_name).await, (0, 0));
}
