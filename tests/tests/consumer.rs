//! Pull consumers against a real nats-server: binding, outcomes, invalid
//! messages, panics, the in-flight bound, shutdown and server restarts.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use polyn::{Context, Error, ErrorKind, Event, Outcome, PublishOptions};
use polyn_tests::events::WidgetsCreatedV1;
use polyn_tests::{PolynEnv, Watched};
use serde_json::json;
use tokio::sync::{Notify, mpsc};

const NAME: &str = "widgets.created.v1";
const STREAM: &str = "WIDGETS";

fn widget(n: usize) -> WidgetsCreatedV1 {
    WidgetsCreatedV1 {
        id: format!("w{n}"),
        name: format!("widget {n}"),
    }
}

/// A server with the WIDGETS stream and the conventional consumer.
async fn setup(ack_wait: Duration, max_deliver: i64) -> (PolynEnv, polyn::Client) {
    let env = PolynEnv::start().await;
    env.stream(STREAM, &[NAME]).await;
    env.consumer(STREAM, NAME, None, NAME, ack_wait, max_deliver)
        .await;
    let client = env.client().await;
    (env, client)
}

async fn consumer_state(env: &PolynEnv, consumer: &str) -> (u64, usize) {
    let mut stream = env.js.get_stream(STREAM).await.expect("stream");
    let mut consumer: async_nats::jetstream::consumer::PullConsumer =
        stream.get_consumer(consumer).await.expect("consumer");
    let info = consumer.info().await.expect("consumer info");
    let _ = stream.info().await;
    (info.num_pending, info.num_ack_pending)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_events_are_handled_and_acked() {
    let (env, client) = setup(Duration::from_secs(30), -1).await;
    for n in 0..10 {
        client.publish(widget(n)).await.expect("publish");
    }
    let seen = Watched::new(Vec::new());
    let consumer = client
        .consumer::<WidgetsCreatedV1>()
        .bind()
        .await
        .expect("bind");
    assert_eq!(consumer.consumer_name(), "user_backend_widgets_created_v1");
    assert_eq!(consumer.stream(), STREAM);
    let stats = consumer
        .run(
            {
                let seen = seen.clone();
                move |event: Event<WidgetsCreatedV1>, ctx: Context| {
                    let seen = seen.clone();
                    async move {
                        assert_eq!(ctx.subject(), NAME);
                        assert_eq!(ctx.delivered(), 1);
                        assert_eq!(ctx.header("nats-msg-id"), Some(event.id()));
                        assert_eq!(event.event_type(), "com.test.widgets.created.v1");
                        seen.update(|seen| seen.push(event.into_data().id));
                    }
                }
            },
            {
                let seen = seen.clone();
                async move { seen.until(|seen| seen.len() >= 10).await }
            },
        )
        .await
        .expect("run");
    assert_eq!(stats.acked, 10);
    let mut seen = seen.get();
    seen.sort();
    let mut expected: Vec<_> = (0..10).map(|n| format!("w{n}")).collect();
    expected.sort();
    assert_eq!(seen, expected);
    assert_eq!(
        consumer_state(&env, "user_backend_widgets_created_v1").await,
        (0, 0),
        "nothing pending, nothing awaiting an ack"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_messages_are_terminated_and_never_block_valid_ones() {
    let (env, client) = setup(Duration::from_secs(30), -1).await;
    // Watch the acknowledgements the consumer sends.
    let mut acks = env
        .nats
        .subscribe(format!(
            "$JS.ACK.{STREAM}.user_backend_widgets_created_v1.>"
        ))
        .await
        .expect("ack spy");
    env.nats.flush().await.expect("flush");

    client.publish(widget(1)).await.expect("publish");
    // Not JSON, not a CloudEvent, and a CloudEvent whose data breaks the schema.
    let js = &env.js;
    for body in [
        "this is not json".to_owned(),
        "123".to_owned(),
        json!({"specversion":"1.0","id":"bad-data","source":"com:test:other","type":"com.test.widgets.created.v1","data":{"id":5}}).to_string(),
    ] {
        js.publish(NAME, body.into())
            .await
            .expect("raw publish")
            .await
            .expect("raw ack");
    }
    client.publish(widget(2)).await.expect("publish");

    let handled = Watched::new(0);
    let invalid = Watched::new(Vec::new());
    let stats = client
        .consumer::<WidgetsCreatedV1>()
        .concurrency(1)
        .on_invalid({
            let invalid = invalid.clone();
            move |message| {
                invalid.update(|invalid| {
                    invalid.push((message.stream_sequence, message.error.to_string()))
                });
            }
        })
        .bind()
        .await
        .expect("bind")
        .run(
            {
                let handled = handled.clone();
                move |_event: Event<WidgetsCreatedV1>, _ctx| {
                    let handled = handled.clone();
                    async move { handled.update(|n| *n += 1) }
                }
            },
            {
                let (handled, invalid) = (handled.clone(), invalid.clone());
                async move {
                    handled.until(|n| *n >= 2).await;
                    // The hook runs after the TERM; wait for all three reports.
                    invalid.until(|invalid| invalid.len() >= 3).await;
                }
            },
        )
        .await
        .expect("run");
    assert_eq!((stats.acked, stats.termed), (2, 3), "{stats:?}");

    let invalid = invalid.get();
    let sequences: HashSet<u64> = invalid.iter().map(|(s, _)| *s).collect();
    assert_eq!(sequences, HashSet::from([2, 3, 4]));
    let texts: Vec<&str> = invalid.iter().map(|(_, t)| t.as_str()).collect();
    assert!(
        texts.iter().any(|t| t
            .starts_with("Polyn was unable to decode the following message: \nthis is not json")),
        "{texts:#?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("Polyn events need to follow the CloudEvent spec")),
        "{texts:#?}"
    );
    assert!(
        texts.iter().any(|t| t
            .starts_with("Polyn event bad-data from com:test:other is not valid")
            && t.contains("Property: `#/data/id`")),
        "{texts:#?}"
    );

    let mut bodies = Vec::new();
    while bodies.len() < 5 {
        let ack = tokio::time::timeout(Duration::from_secs(5), acks.next())
            .await
            .expect("ack seen in time")
            .expect("ack");
        bodies.push(String::from_utf8_lossy(&ack.payload).into_owned());
    }
    bodies.sort();
    assert_eq!(bodies, ["+ACK", "+ACK", "+TERM", "+TERM", "+TERM"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_errors_and_panics_redeliver_and_the_consumer_keeps_going() {
    let (_env, client) = setup(Duration::from_secs(30), -1).await;
    for n in 0..6 {
        client.publish(widget(n)).await.expect("publish");
    }
    let attempts = Watched::new(Vec::new());
    let done = Watched::new(0);
    let stats = client
        .consumer::<WidgetsCreatedV1>()
        .backoff(Duration::from_millis(50), Duration::from_millis(200))
        .bind()
        .await
        .expect("bind")
        .run(
            {
                let (attempts, done) = (attempts.clone(), done.clone());
                move |event: Event<WidgetsCreatedV1>, ctx: Context| {
                    let (attempts, done) = (attempts.clone(), done.clone());
                    async move {
                        let id = event.into_data().id;
                        attempts.update(|attempts| attempts.push((id.clone(), ctx.delivered())));
                        if ctx.delivered() == 1 && id == "w1" {
                            panic!("handler bug on {id}");
                        }
                        if ctx.delivered() < 3 && id == "w2" {
                            return Err(format!("database unavailable for {id}"));
                        }
                        done.update(|n| *n += 1);
                        Ok(())
                    }
                }
            },
            {
                let done = done.clone();
                async move { done.until(|n| *n >= 6).await }
            },
        )
        .await
        .expect("run");
    assert_eq!(stats.acked, 6);
    assert_eq!(stats.panics, 1);
    assert_eq!(stats.naked, 3, "one panic, two errors: {stats:?}");
    let attempts = attempts.get();
    let deliveries = |id: &str| {
        let mut d: Vec<u64> = attempts
            .iter()
            .filter(|(i, _)| i == id)
            .map(|(_, d)| *d)
            .collect();
        d.sort();
        d
    };
    assert_eq!(deliveries("w1"), [1, 2]);
    assert_eq!(deliveries("w2"), [1, 2, 3]);
    assert_eq!(deliveries("w0"), [1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explicit_outcomes_nak_with_delay_and_term() {
    let (env, client) = setup(Duration::from_secs(30), -1).await;
    client.publish(widget(1)).await.expect("publish");
    client.publish(widget(2)).await.expect("publish");
    let (tx, mut rx) = mpsc::unbounded_channel();
    let stop = Arc::new(Notify::new());
    let run = tokio::spawn({
        let client = client.clone();
        let stop = stop.clone();
        async move {
            client
                .consumer::<WidgetsCreatedV1>()
                .bind()
                .await
                .expect("bind")
                .run(
                    move |event: Event<WidgetsCreatedV1>, ctx: Context| {
                        let tx = tx.clone();
                        async move {
                            let id = event.into_data().id;
                            tx.send((id.clone(), ctx.delivered(), std::time::Instant::now()))
                                .expect("test alive");
                            match (id.as_str(), ctx.delivered()) {
                                ("w1", 1) => Outcome::nak_after(Duration::from_millis(300)),
                                ("w2", _) => Outcome::Term,
                                _ => Outcome::Ack,
                            }
                        }
                    },
                    async move { stop.notified().await },
                )
                .await
        }
    });
    let mut first_w1 = None;
    let mut events = Vec::new();
    while events.len() < 3 {
        let (id, delivered, at) = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("in time")
            .expect("event");
        if id == "w1" && delivered == 1 {
            first_w1 = Some(at);
        }
        if id == "w1" && delivered == 2 {
            let waited = at - first_w1.expect("first delivery first");
            assert!(
                waited >= Duration::from_millis(250),
                "nak delay honoured: {waited:?}"
            );
        }
        events.push((id, delivered));
    }
    stop.notify_one();
    let stats = run.await.expect("task").expect("run");
    assert_eq!((stats.acked, stats.naked, stats.termed), (1, 1, 1));
    events.sort();
    assert_eq!(
        events,
        [("w1".into(), 1), ("w1".into(), 2), ("w2".into(), 1)]
    );
    assert_eq!(
        consumer_state(&env, "user_backend_widgets_created_v1").await,
        (0, 0),
        "the terminated message is not redelivered"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_n_messages_are_in_flight() {
    let (_env, client) = setup(Duration::from_secs(30), -1).await;
    for n in 0..40 {
        client.publish(widget(n)).await.expect("publish");
    }
    // (running now, most ever running at once)
    let in_flight = Watched::new((0, 0));
    let done = Watched::new(0);
    let stats = client
        .consumer::<WidgetsCreatedV1>()
        .concurrency(3)
        .batch(5)
        .bind()
        .await
        .expect("bind")
        .run(
            {
                let (in_flight, done) = (in_flight.clone(), done.clone());
                move |_event: Event<WidgetsCreatedV1>, _ctx| {
                    let (in_flight, done) = (in_flight.clone(), done.clone());
                    async move {
                        in_flight.update(|(now, peak)| {
                            *now += 1;
                            *peak = (*peak).max(*now);
                        });
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        in_flight.update(|(now, _)| *now -= 1);
                        done.update(|n| *n += 1);
                    }
                }
            },
            {
                let done = done.clone();
                async move { done.until(|n| *n >= 40).await }
            },
        )
        .await
        .expect("run");
    assert_eq!(stats.acked, 40);
    assert_eq!(
        in_flight.read(|(_, peak)| *peak),
        3,
        "the bound is reached and never exceeded"
    );
}

/// With pulls smaller than the concurrency, enough pulls stay open to
/// fill every slot: each handler here waits until all eight run at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_batches_still_fill_the_concurrency() {
    let (_env, client) = setup(Duration::from_secs(30), -1).await;
    for n in 0..8 {
        client.publish(widget(n)).await.expect("publish");
    }
    let started = Watched::new(0);
    let done = Watched::new(0);
    let consumer = client
        .consumer::<WidgetsCreatedV1>()
        .concurrency(8)
        .batch(2)
        .bind()
        .await
        .expect("bind");
    let run = consumer.run(
        {
            let (started, done) = (started.clone(), done.clone());
            move |_event: Event<WidgetsCreatedV1>, _ctx| {
                let (started, done) = (started.clone(), done.clone());
                async move {
                    started.update(|n| *n += 1);
                    started.until(|n| *n >= 8).await;
                    done.update(|n| *n += 1);
                }
            }
        },
        {
            let done = done.clone();
            async move { done.until(|n| *n >= 8).await }
        },
    );
    let stats = tokio::time::timeout(Duration::from_secs(20), run)
        .await
        .unwrap_or_else(|_| panic!("only {} of 8 handlers ran at once", started.get()))
        .expect("run");
    assert_eq!(stats.acked, 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_in_flight_work_and_loses_nothing() {
    let (env, client) = setup(Duration::from_secs(30), -1).await;
    for n in 0..50 {
        client.publish(widget(n)).await.expect("publish");
    }
    let handled = Watched::new(Vec::new());
    let started = Watched::new(0);
    let handler = |handled: Watched<Vec<String>>, started: Watched<usize>| {
        move |event: Event<WidgetsCreatedV1>, _ctx: Context| {
            let (handled, started) = (handled.clone(), started.clone());
            async move {
                started.update(|n| *n += 1);
                // Slow enough that shutdown lands while work is in flight.
                tokio::time::sleep(Duration::from_millis(100)).await;
                handled.update(|handled| handled.push(event.into_data().id));
            }
        }
    };
    let distinct = |handled: &Vec<String>| handled.iter().collect::<HashSet<_>>().len();
    let stats = client
        .consumer::<WidgetsCreatedV1>()
        .concurrency(4)
        .batch(8)
        .bind()
        .await
        .expect("bind")
        .run(handler(handled.clone(), started.clone()), {
            let started = started.clone();
            async move { started.until(|n| *n >= 6).await }
        })
        .await
        .expect("run");
    let first_run = handled.read(Vec::len);
    assert!(first_run >= 6, "in-flight handlers finished: {first_run}");
    assert!(first_run < 50, "shutdown stopped fetching: {first_run}");
    assert_eq!(
        stats.acked as usize, first_run,
        "every finished handler was acked"
    );
    // What was fetched but not started was given back (a NAK keeps it
    // pending on the server until it is redelivered); nothing else waits.
    let (_, ack_pending) = consumer_state(&env, "user_backend_widgets_created_v1").await;
    assert_eq!(
        ack_pending, stats.naked as usize,
        "only the returned messages are pending"
    );

    // A second run gets everything else, at once (no waiting for ack_wait).
    let stats = client
        .consumer::<WidgetsCreatedV1>()
        .concurrency(16)
        .bind()
        .await
        .expect("bind")
        .run(handler(handled.clone(), started.clone()), {
            let handled = handled.clone();
            async move { handled.until(|handled| distinct(handled) == 50).await }
        })
        .await
        .expect("run");
    assert!(stats.acked > 0);
    assert_eq!(
        handled.read(distinct),
        50,
        "every event handled across the two runs"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_handlers_signal_in_progress_and_are_not_redelivered() {
    let (_env, client) = setup(Duration::from_secs(1), -1).await;
    client.publish(widget(1)).await.expect("publish");
    let deliveries = Watched::new(0);
    let done = Watched::new(0);
    let stats = client
        .consumer::<WidgetsCreatedV1>()
        .bind()
        .await
        .expect("bind")
        .run(
            {
                let (deliveries, done) = (deliveries.clone(), done.clone());
                move |_event: Event<WidgetsCreatedV1>, _ctx| {
                    let (deliveries, done) = (deliveries.clone(), done.clone());
                    async move {
                        deliveries.update(|n| *n += 1);
                        // Two and a half times the consumer's ack_wait.
                        tokio::time::sleep(Duration::from_millis(2500)).await;
                        done.update(|n| *n += 1);
                    }
                }
            },
            {
                let done = done.clone();
                async move { done.until(|n| *n >= 1).await }
            },
        )
        .await
        .expect("run");
    assert_eq!(deliveries.get(), 1, "no redelivery while in progress");
    assert_eq!(stats.acked, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_streams_and_consumers_are_clear_errors() {
    let env = PolynEnv::start().await;
    let client = env.client().await;
    let err = client
        .consumer::<WidgetsCreatedV1>()
        .bind()
        .await
        .expect_err("no stream");
    assert!(matches!(err, Error::StreamNotFound { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(
        err.to_string()
            .starts_with("Could not find any streams for type widgets.created.v1"),
        "{err}"
    );

    env.stream(STREAM, &[NAME]).await;
    let err = client
        .consumer::<WidgetsCreatedV1>()
        .source("billing")
        .bind()
        .await
        .expect_err("no consumer");
    assert_eq!(
        err.to_string(),
        "Consumer user_backend_billing_widgets_created_v1 does not exist. Use polyn-cli to create it \
         before attempting to subscribe (looked in stream `WIDGETS`): write its migration with \
         `polyn gen consumer <message>` and run `polyn migrate`"
    );
    let err = client
        .consumer::<WidgetsCreatedV1>()
        .source("bad source")
        .bind()
        .await
        .expect_err("bad source");
    assert!(matches!(err, Error::InvalidSourceName { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_refines_the_consumer_and_dynamic_consumers_work() {
    let env = PolynEnv::start().await;
    env.stream(STREAM, &[NAME]).await;
    let consumer = env
        .consumer(
            STREAM,
            NAME,
            Some("billing"),
            NAME,
            Duration::from_secs(30),
            -1,
        )
        .await;
    assert_eq!(consumer, "user_backend_billing_widgets_created_v1");
    let client = env.client().await;
    client
        .publish_json(NAME, json!({"id": "w9", "name": "dynamic"}))
        .await
        .expect("publish");
    let got = Watched::new(None);
    client
        .consumer_json(NAME)
        .source("billing")
        .bind()
        .await
        .expect("bind")
        .run(
            {
                let got = got.clone();
                move |event: Event, _ctx| {
                    let got = got.clone();
                    async move { got.update(|got| *got = Some(event.into_data())) }
                }
            },
            {
                let got = got.clone();
                async move { got.until(Option::is_some).await }
            },
        )
        .await
        .expect("run");
    assert_eq!(got.get(), Some(json!({"id": "w9", "name": "dynamic"})));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restart_mid_run_loses_no_acknowledged_event() {
    let (mut env, client) = setup(Duration::from_secs(5), -1).await;
    const TOTAL: usize = 300;
    let handled = Watched::new(HashSet::new());
    let consumer = client
        .consumer::<WidgetsCreatedV1>()
        .bind()
        .await
        .expect("bind");
    let stop = Arc::new(Notify::new());
    let run = tokio::spawn({
        let (handled, stop) = (handled.clone(), stop.clone());
        async move {
            consumer
                .run(
                    move |event: Event<WidgetsCreatedV1>, _ctx| {
                        let handled = handled.clone();
                        async move {
                            handled.update(|handled| handled.insert(event.into_data().id));
                        }
                    },
                    async move { stop.notified().await },
                )
                .await
        }
    });

    // Publish; every event whose publish was acknowledged must be handled.
    let mut acknowledged = HashSet::new();
    for n in 0..TOTAL {
        if n == TOTAL / 3 {
            env.server.restart();
        }
        let id = format!("w{n}");
        // Retry with the same event id until the server acknowledges it.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let attempt = client
                .publish_with(widget(n), PublishOptions::new().id(format!("event-{n}")))
                .await;
            match attempt {
                Ok(_) => {
                    acknowledged.insert(id);
                    break;
                }
                Err(err) => {
                    assert!(
                        tokio::time::Instant::now() < deadline,
                        "publish never recovered: {err}"
                    );
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
    assert_eq!(acknowledged.len(), TOTAL);
    let all_handled = handled.until(|handled| acknowledged.is_subset(handled));
    tokio::time::timeout(Duration::from_secs(60), all_handled)
        .await
        .unwrap_or_else(|_| {
            panic!(
                "{} of {TOTAL} acknowledged events were handled",
                handled.read(|handled| acknowledged.intersection(handled).count())
            )
        });
    stop.notify_one();
    run.await.expect("task").expect("run");
}
