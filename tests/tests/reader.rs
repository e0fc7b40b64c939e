//! Readers against a real nats-server: a typed replay of one message's
//! events through an ordered ephemeral consumer, from each start position,
//! going on after an invalid message, stopping at the end of the stream as
//! it was when opened, and leaving no consumer behind.

use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use polyn::reader::{ReadFrom, Reader};
use polyn::{Error, Event};
use polyn_tests::PolynEnv;
use polyn_tests::events::{CalcMultRequestV1, UserCreatedV1, WidgetsCreatedV1};
use serde_json::json;

const NAME: &str = "widgets.created.v1";

/// How long any read may take before the test fails.
const WAIT: Duration = Duration::from_secs(10);

fn widget(n: usize) -> WidgetsCreatedV1 {
    WidgetsCreatedV1 {
        id: format!("w{n}"),
        name: format!("widget {n}"),
    }
}

fn user(id: &str) -> UserCreatedV1 {
    UserCreatedV1 {
        id: id.parse().expect("a valid id"),
        email: format!("{id}@example.com"),
        name: None,
        created_at: None,
    }
}

/// Publishes, as another client would, a `widgets.created.v1` event whose
/// data fails the schema (no `name`); returns its stream sequence.
async fn publish_invalid(env: &PolynEnv) -> u64 {
    let body = env
        .config()
        .event(NAME, json!({"id": "bad"}))
        .expect("event")
        .to_json()
        .expect("json")
        .to_string();
    env.js
        .publish(NAME, body.into())
        .await
        .expect("publish")
        .await
        .expect("stored")
        .sequence
}

/// Every item until the reader ends (it must, within [`WAIT`]).
async fn read_to_end<T: serde::de::DeserializeOwned + 'static>(
    reader: &mut Reader<T>,
) -> Vec<Result<Event<T>, Error>> {
    tokio::time::timeout(WAIT, reader.collect::<Vec<_>>())
        .await
        .expect("the reader ends")
}

/// The next item (it must come within [`WAIT`]).
async fn next<T: serde::de::DeserializeOwned + 'static>(
    reader: &mut Reader<T>,
) -> Result<Event<T>, Error> {
    tokio::time::timeout(WAIT, reader.next())
        .await
        .expect("an item in time")
        .expect("the reader goes on")
}

/// The widget ids read, with `!` for an error.
fn ids(items: &[Result<Event<WidgetsCreatedV1>, Error>]) -> Vec<String> {
    items
        .iter()
        .map(|item| match item {
            Ok(event) => event.data().id.clone(),
            Err(_) => "!".to_owned(),
        })
        .collect()
}

async fn ephemeral_consumers(env: &PolynEnv, stream: &str) -> Vec<Option<String>> {
    env.js
        .get_stream(stream)
        .await
        .expect("stream")
        .consumers()
        .map_ok(|info| info.config.durable_name)
        .try_collect()
        .await
        .expect("consumers")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn earliest_to_the_end_reads_in_order_and_goes_on_after_an_invalid_message() {
    let env = PolynEnv::start().await;
    // A stream holding other messages too: the reader filters on its own.
    env.stream("EVENTS", &[NAME, "calc.>"]).await;
    let client = env.client().await;
    client.publish(widget(1)).await.expect("publish");
    client
        .publish(CalcMultRequestV1 { a: 2, b: 3 })
        .await
        .expect("publish");
    client.publish(widget(2)).await.expect("publish");
    let invalid = publish_invalid(&env).await;
    client.publish(widget(3)).await.expect("publish");
    let last = client.publish(widget(4)).await.expect("publish");

    let mut reader = client
        .reader::<WidgetsCreatedV1>()
        .start(ReadFrom::Earliest)
        .stop_at_end(true)
        .open()
        .await
        .expect("open");
    assert_eq!(reader.stream(), "EVENTS");
    let mut items = Vec::new();
    let mut sequences = Vec::new();
    while let Some(item) = tokio::time::timeout(WAIT, reader.next())
        .await
        .expect("an item or the end in time")
    {
        items.push(item);
        sequences.push(reader.last_sequence().expect("a sequence"));
    }
    assert_eq!(ids(&items), ["w1", "w2", "!", "w3", "w4"]);
    let error = items[2].as_ref().expect_err("the invalid message");
    assert!(matches!(error, Error::Validation(_)), "{error}");
    assert_eq!(sequences[2], invalid);
    assert!(sequences.is_sorted(), "{sequences:?}");
    assert_eq!(reader.last_sequence(), Some(last.sequence));
    assert_eq!(reader.pending(), Some(0));
    // Ended for good.
    assert!(reader.next().await.is_none());

    // Events stored after a reader opened are not part of its end.
    let mut reader = client
        .reader::<WidgetsCreatedV1>()
        .stop_at_end(true)
        .open()
        .await
        .expect("open");
    client.publish(widget(5)).await.expect("publish");
    let items = read_to_end(&mut reader).await;
    assert_eq!(ids(&items), ["w1", "w2", "!", "w3", "w4"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sequence_starts_at_that_message() {
    let env = PolynEnv::start().await;
    env.stream("WIDGETS", &[NAME]).await;
    let client = env.client().await;
    let mut acks = Vec::new();
    for n in 1..=4 {
        acks.push(client.publish(widget(n)).await.expect("publish"));
    }

    let mut reader = client
        .reader::<WidgetsCreatedV1>()
        .start(ReadFrom::Sequence(acks[2].sequence))
        .stream("WIDGETS")
        .stop_at_end(true)
        .open()
        .await
        .expect("open");
    assert_eq!(ids(&read_to_end(&mut reader).await), ["w3", "w4"]);

    // As dynamic events, resuming after the last message read.
    let mut reader = client
        .reader_json(NAME)
        .start(ReadFrom::Sequence(acks[0].sequence + 1))
        .stop_at_end(true)
        .open()
        .await
        .expect("open");
    let read: Vec<_> = read_to_end(&mut reader)
        .await
        .into_iter()
        .map(|item| item.expect("valid").data()["id"].clone())
        .collect();
    assert_eq!(read, [json!("w2"), json!("w3"), json!("w4")]);

    // Past the end: nothing to read, and it ends at once.
    let mut reader = client
        .reader::<WidgetsCreatedV1>()
        .start(ReadFrom::Sequence(acks[3].sequence + 1))
        .stop_at_end(true)
        .open()
        .await
        .expect("open");
    assert!(read_to_end(&mut reader).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_time_starts_at_the_first_message_stored_then() {
    let env = PolynEnv::start().await;
    let stream = env.stream("WIDGETS", &[NAME]).await;
    let client = env.client().await;
    client.publish(widget(1)).await.expect("publish");
    let end_of_first = client.publish(widget(2)).await.expect("publish");
    // The server's own clock: when it stored the last event of the first batch.
    let stored = stream
        .get_raw_message(end_of_first.sequence)
        .await
        .expect("stored message")
        .time
        .unix_timestamp_nanos();
    let after = chrono::DateTime::from_timestamp_nanos(
        i64::try_from(stored + 1).expect("a time within chrono's range"),
    );
    client.publish(widget(3)).await.expect("publish");
    client.publish(widget(4)).await.expect("publish");

    let mut reader = client
        .reader::<WidgetsCreatedV1>()
        .start(ReadFrom::Time(after))
        .stop_at_end(true)
        .open()
        .await
        .expect("open");
    assert_eq!(ids(&read_to_end(&mut reader).await), ["w3", "w4"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latest_reads_only_what_is_published_after_opening_with_no_durable_consumer() {
    let env = PolynEnv::start().await;
    env.stream("WIDGETS", &[NAME]).await;
    let client = env.client().await;
    client.publish(widget(1)).await.expect("publish");
    client.publish(widget(2)).await.expect("publish");

    // `open` returns once the consumer exists: what is published next is new.
    let mut reader = client
        .reader::<WidgetsCreatedV1>()
        .start(ReadFrom::Latest)
        .open()
        .await
        .expect("open");
    let third = client.publish(widget(3)).await.expect("publish");
    let event = next(&mut reader).await.expect("valid");
    assert_eq!(event.data().id, "w3");
    assert_eq!(reader.last_sequence(), Some(third.sequence));
    assert_eq!(reader.pending(), Some(0));
    client.publish(widget(4)).await.expect("publish");
    assert_eq!(next(&mut reader).await.expect("valid").data().id, "w4");

    // A reader can move to a task of its own.
    fn assert_send<T: Send>(_: &T) {}
    assert_send(&reader);

    // While it reads: one consumer, ephemeral.
    assert_eq!(ephemeral_consumers(&env, "WIDGETS").await, [None]);
    drop(reader);
    // Dropped: its consumer is deleted (in the background; poll, bounded).
    tokio::time::timeout(WAIT, async {
        while !ephemeral_consumers(&env, "WIDGETS").await.is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the reader's consumer is deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_with_an_identity_reads_every_identity() {
    let env = PolynEnv::start().await;
    env.stream("USERS", &["user.created.v1.*"]).await;
    let client = env.client().await;

    // Nothing stored yet: a reader to the end ends at once.
    let mut reader = client
        .reader::<UserCreatedV1>()
        .stop_at_end(true)
        .open()
        .await
        .expect("open");
    assert_eq!(reader.stream(), "USERS");
    assert!(read_to_end(&mut reader).await.is_empty());

    client.publish(user("u1")).await.expect("publish");
    client.publish(user("u2")).await.expect("publish");
    let mut reader = client
        .reader::<UserCreatedV1>()
        .stop_at_end(true)
        .open()
        .await
        .expect("open");
    let emails: Vec<String> = read_to_end(&mut reader)
        .await
        .into_iter()
        .map(|item| item.expect("valid").data().email.clone())
        .collect();
    assert_eq!(emails, ["u1@example.com", "u2@example.com"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_stream_is_stream_not_found() {
    let env = PolynEnv::start().await;
    let client = env.client().await;

    let err = client
        .reader::<WidgetsCreatedV1>()
        .open()
        .await
        .expect_err("no stream captures the message");
    assert!(
        matches!(&err, Error::StreamNotFound { subject } if subject == NAME),
        "{err}"
    );

    let err = client
        .reader::<WidgetsCreatedV1>()
        .stream("NO_SUCH_STREAM")
        .open()
        .await
        .expect_err("no such stream");
    assert!(
        matches!(&err, Error::StreamNotFound { subject } if subject == NAME),
        "{err}"
    );

    // A stream that exists but does not capture the message: it would read
    // nothing, so the reader refuses it, naming the stream.
    env.stream("CALC", &["calc.>"]).await;
    let err = client
        .reader::<WidgetsCreatedV1>()
        .stream("CALC")
        .open()
        .await
        .expect_err("the stream does not capture widgets");
    assert!(matches!(err, Error::InvalidConfig { .. }), "{err}");
    assert!(
        err.to_string().contains("stream `CALC` does not capture"),
        "{err}"
    );
}

#[tokio::test]
async fn a_sandbox_has_no_readers() {
    let config = polyn::Config::builder()
        .domain("com.test")
        .source_root("user.backend")
        .build()
        .expect("config");
    let sandbox = polyn::testing::Sandbox::builder(config)
        .event::<WidgetsCreatedV1>()
        .expect("schema")
        .stream("WIDGETS", &[NAME])
        .build();
    let err = sandbox
        .client()
        .reader::<WidgetsCreatedV1>()
        .open()
        .await
        .expect_err("the sandbox keeps no stream to replay");
    assert!(matches!(err, Error::InvalidConfig { .. }), "{err}");
    assert!(err.to_string().contains("sandbox"), "{err}");
}
