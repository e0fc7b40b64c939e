//! Giving up on a message, against a real nats-server: a handler error is
//! retried with jittered backoff until the consumer's `max_deliver`, then
//! the message is dead-lettered (published to `POLYN_DEAD_LETTERS` with the
//! original, the error chain, the delivery count, consumer, stream and
//! sequence) and terminated; a permanent error and an invalid message are
//! dead-lettered at once; without a dead-letter stream they are
//! terminated; every report says what was done.

use std::time::Duration;

use async_nats::jetstream;
use futures_util::StreamExt;
use polyn::consumer::Action;
use polyn::dead_letter::{DEAD_LETTER_STREAM, DeadLetterReason};
use polyn::{Context, DeadLetter, Event, InvalidMessage};
use polyn_tests::events::WidgetsCreatedV1;
use polyn_tests::{PolynEnv, Watched};

const NAME: &str = "widgets.created.v1";
const MAX_DELIVER: i64 = 3;

fn widget(id: &str) -> WidgetsCreatedV1 {
    WidgetsCreatedV1 {
        id: id.into(),
        name: "Sprocket".into(),
    }
}

/// A report as the `on_invalid` hook saw it.
#[derive(Clone, Debug)]
struct Report {
    stream_sequence: u64,
    delivered: u64,
    action: Action,
    error: String,
}

async fn set_up(dead_letters: bool) -> (PolynEnv, polyn::Client, String) {
    let env = PolynEnv::start().await;
    env.stream("WIDGETS", &[NAME]).await;
    if dead_letters {
        env.stream(DEAD_LETTER_STREAM, &["polyn.deadletter.v1.>"])
            .await;
    }
    let consumer = env
        .consumer(
            "WIDGETS",
            NAME,
            None,
            NAME,
            Duration::from_secs(30),
            MAX_DELIVER,
        )
        .await;
    let client = env.client().await;
    (env, client, consumer)
}

/// Runs the consumer until `reports` reports came, failing `fail` always
/// and `doomed` with a permanent error.
async fn run_until(
    client: &polyn::Client,
    reports: usize,
) -> (polyn::consumer::ConsumerStats, Vec<Report>) {
    let seen = Watched::new(Vec::<Report>::new());
    let stats = client
        .consumer::<WidgetsCreatedV1>()
        .backoff(Duration::from_millis(20), Duration::from_millis(80))
        .on_invalid({
            let seen = seen.clone();
            move |invalid: &InvalidMessage| {
                let report = Report {
                    stream_sequence: invalid.stream_sequence,
                    delivered: invalid.delivered,
                    action: invalid.action.clone(),
                    error: invalid.error.to_string(),
                };
                seen.update(|seen| seen.push(report));
            }
        })
        .bind()
        .await
        .expect("bind")
        .run(
            |event: Event<WidgetsCreatedV1>, _ctx: Context| async move {
                match event.data().id.as_str() {
                    "fail" => Err(polyn::BoxError::from(std::io::Error::other(
                        "the warehouse is down",
                    ))),
                    "doomed" => Err(polyn::permanent(std::io::Error::other("unknown customer"))),
                    _ => Ok(()),
                }
            },
            {
                let seen = seen.clone();
                async move { seen.until(|seen| seen.len() >= reports).await }
            },
        )
        .await
        .expect("run");
    (stats, seen.get())
}

async fn dead_letters(env: &PolynEnv) -> Vec<(String, serde_json::Value)> {
    let stream = env
        .js
        .get_stream(DEAD_LETTER_STREAM)
        .await
        .expect("dead-letter stream");
    let consumer = stream
        .create_consumer(jetstream::consumer::pull::OrderedConfig::default())
        .await
        .expect("reader");
    let count = stream.get_info().await.expect("info").state.messages;
    let mut messages = consumer.messages().await.expect("messages");
    let mut letters = Vec::new();
    while letters.len() < count as usize {
        let message = tokio::time::timeout(Duration::from_secs(10), messages.next())
            .await
            .expect("a dead letter in time")
            .expect("a dead letter")
            .expect("no error");
        let event: serde_json::Value =
            serde_json::from_slice(&message.payload).expect("a JSON event");
        letters.push((message.subject.to_string(), event));
    }
    letters
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_given_up_on_are_dead_lettered_with_what_happened() {
    let (env, client, consumer) = set_up(true).await;
    client.publish(widget("ok")).await.expect("publish"); // seq 1
    client.publish(widget("fail")).await.expect("publish"); // seq 2
    client.publish(widget("doomed")).await.expect("publish"); // seq 3
    let invalid = br#"{"id":"x","source":"s","type":"com.test.widgets.created.v1","specversion":"1.0","data":{"id":1}}"#;
    env.js
        .publish(NAME, invalid.as_slice().into())
        .await
        .expect("publish raw")
        .await
        .expect("stored"); // seq 4

    // fail: retried twice, then dead-lettered on delivery 3; doomed and the
    // invalid one at once: five reports.
    let (stats, reports) = run_until(&client, 5).await;

    let of = |sequence: u64| -> Vec<&Report> {
        reports
            .iter()
            .filter(|report| report.stream_sequence == sequence)
            .collect()
    };
    let fail = of(2);
    assert_eq!(fail.len(), 3, "{reports:#?}");
    for (report, delivered) in fail.iter().zip(1..) {
        assert_eq!(report.delivered, delivered);
    }
    for retried in &fail[..2] {
        match retried.action {
            Action::Retried { delay: Some(delay) } => {
                let full = Duration::from_millis(20 * (1 << (retried.delivered - 1)));
                assert!(delay >= full / 2 && delay <= full, "{delay:?} for {full:?}");
            }
            ref other => panic!("expected a retry, got {other:?}"),
        }
    }
    assert!(
        matches!(&fail[2].action, Action::DeadLettered { stream, .. } if stream == DEAD_LETTER_STREAM),
        "{:?}",
        fail[2]
    );
    for sequence in [3, 4] {
        let report = of(sequence);
        assert_eq!(report.len(), 1, "{reports:#?}");
        assert_eq!(report[0].delivered, 1);
        assert!(matches!(report[0].action, Action::DeadLettered { .. }));
    }
    assert!(of(1).is_empty());
    assert_eq!(stats.acked, 1);
    assert_eq!(stats.dead_lettered, 3, "{stats:?}");
    assert_eq!(stats.naked, 2, "{stats:?}");
    assert_eq!(stats.termed, 3, "{stats:?}");

    let letters = dead_letters(&env).await;
    assert_eq!(letters.len(), 3);
    let stored = env.js.get_stream("WIDGETS").await.expect("stream");
    for (subject, event) in &letters {
        assert_eq!(subject, &DeadLetter::subject(&consumer));
        assert_eq!(event["type"], "com.test.polyn.deadletter.v1");
        let letter: DeadLetter =
            serde_json::from_value(event["data"].clone()).expect("a dead letter");
        assert_eq!(letter.consumer, consumer);
        assert_eq!(letter.stream, "WIDGETS");
        assert_eq!(letter.subject, NAME);
        // The original, as stored.
        let original = stored
            .get_raw_message(letter.stream_sequence)
            .await
            .expect("the original is still in its stream");
        let original: serde_json::Value = serde_json::from_slice(&original.payload).expect("JSON");
        assert_eq!(letter.event.as_ref(), Some(&original));
        match letter.stream_sequence {
            2 => {
                assert_eq!(letter.reason, DeadLetterReason::Exhausted);
                assert_eq!(letter.delivered, 3);
                assert!(
                    letter
                        .error_chain
                        .iter()
                        .any(|line| line.contains("the warehouse is down")),
                    "{:?}",
                    letter.error_chain
                );
            }
            3 => {
                assert_eq!(letter.reason, DeadLetterReason::Permanent);
                assert_eq!(letter.delivered, 1);
                assert!(
                    letter.error.contains("unknown customer"),
                    "{}",
                    letter.error
                );
            }
            4 => {
                assert_eq!(letter.reason, DeadLetterReason::Invalid);
                assert!(letter.error.contains("#/data/id"), "{}", letter.error);
            }
            other => panic!("unexpected dead letter of #{other}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_dead_letter_stream_messages_given_up_on_are_terminated() {
    let (_env, client, _consumer) = set_up(false).await;
    client.publish(widget("fail")).await.expect("publish");
    client.publish(widget("doomed")).await.expect("publish");
    let (stats, reports) = run_until(&client, 4).await;
    let actions: Vec<(u64, u64, &Action)> = reports
        .iter()
        .map(|report| (report.stream_sequence, report.delivered, &report.action))
        .collect();
    assert!(
        actions.contains(&(2, 1, &Action::Terminated)),
        "a permanent error is terminated at once: {actions:?}"
    );
    assert!(
        actions.contains(&(1, 3, &Action::Terminated)),
        "the last delivery is terminated: {actions:?}"
    );
    assert!(reports.iter().all(|report| !report.error.is_empty()));
    assert_eq!(stats.dead_lettered, 0);
    assert_eq!(stats.termed, 2, "{stats:?}");
}
