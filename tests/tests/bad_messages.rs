//! Thirty classes of bad messages, each between two valid events, through a
//! typed consumer on a real nats-server: every bad one is terminated exactly
//! once (seen on the wire) and reported with a typed error and a bounded
//! text, and every valid one is handled; the consumer never stops.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::StreamExt;
use polyn::consumer::Action;
use polyn::{Error, Event, InvalidMessage};
use polyn_tests::events::WidgetsCreatedV1;
use polyn_tests::{PolynEnv, Watched};
use serde_json::{Value, json};

const NAME: &str = "widgets.created.v1";
const STREAM: &str = "WIDGETS";

/// A valid envelope to break.
fn envelope() -> Value {
    json!({
        "specversion": "1.0",
        "id": "bad",
        "source": "com:test:other",
        "type": "com.test.widgets.created.v1",
        "time": "2026-12-03T10:00:00Z",
        "datacontenttype": "application/json",
        "polyndata": {"clientlang": "elixir", "clientlangversion": "1.15", "clientversion": "0.7.0"},
        "data": {"id": "w", "name": "widget"}
    })
}

/// `envelope()` changed by `change`, as bytes.
fn broken(change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Vec<u8> {
    let mut event = envelope();
    change(event.as_object_mut().expect("an object"));
    serde_json::to_vec(&event).expect("encode")
}

/// Every class: a name and the body.
fn classes() -> Vec<(&'static str, Vec<u8>)> {
    let mut deep = "[".repeat(100_000);
    deep.push_str(&"]".repeat(100_000));
    let mut huge = vec![b'x'; 1_000_000];
    huge[0] = b'{';
    vec![
        ("empty body", Vec::new()),
        ("not JSON", b"this is not json".to_vec()),
        ("a number", b"123".to_vec()),
        ("null", b"null".to_vec()),
        ("an array", b"[]".to_vec()),
        ("a string", b"\"a string\"".to_vec()),
        (
            "truncated JSON",
            b"{\"specversion\":\"1.0\",\"id\":".to_vec(),
        ),
        ("not UTF-8", vec![0xff, 0xfe, 0xfd]),
        ("1 MB that is not JSON", huge),
        ("nested 100 000 deep", deep.into_bytes()),
        ("no id", broken(|e| drop(e.remove("id")))),
        (
            "empty id",
            broken(|e| drop(e.insert("id".into(), json!("")))),
        ),
        (
            "numeric id",
            broken(|e| drop(e.insert("id".into(), json!(5)))),
        ),
        ("no source", broken(|e| drop(e.remove("source")))),
        (
            "empty source",
            broken(|e| drop(e.insert("source".into(), json!("")))),
        ),
        ("no type", broken(|e| drop(e.remove("type")))),
        (
            "empty type",
            broken(|e| drop(e.insert("type".into(), json!("")))),
        ),
        ("no specversion", broken(|e| drop(e.remove("specversion")))),
        (
            "specversion 0.3",
            broken(|e| drop(e.insert("specversion".into(), json!("0.3")))),
        ),
        (
            "time not RFC 3339",
            broken(|e| drop(e.insert("time".into(), json!("yesterday")))),
        ),
        (
            "empty datacontenttype",
            broken(|e| drop(e.insert("datacontenttype".into(), json!("")))),
        ),
        (
            "polyndata not an object",
            broken(|e| drop(e.insert("polyndata".into(), json!("rust")))),
        ),
        (
            "another message type",
            broken(|e| {
                e.insert("type".into(), json!("com.test.user.created.v1"));
                e.insert("data".into(), json!({"name": "Mary"}));
            }),
        ),
        (
            "a type that is no message name",
            broken(|e| drop(e.insert("type".into(), json!("com.test.Widgets Created")))),
        ),
        (
            "a message without a schema",
            broken(|e| drop(e.insert("type".into(), json!("com.test.nothing.here.v1")))),
        ),
        ("no data", broken(|e| drop(e.remove("data")))),
        (
            "a number for a string",
            broken(|e| drop(e.insert("data".into(), json!({"id": 5, "name": "n"})))),
        ),
        (
            "a required property missing",
            broken(|e| drop(e.insert("data".into(), json!({"id": "w"})))),
        ),
        (
            "data_base64 instead of data",
            broken(|e| {
                e.remove("data");
                e.insert("data_base64".into(), json!("eyJpZCI6InciLCJuYW1lIjoibiJ9"));
            }),
        ),
        (
            "data a string",
            broken(|e| drop(e.insert("data".into(), json!("hello")))),
        ),
    ]
}

fn widget(n: usize) -> WidgetsCreatedV1 {
    WidgetsCreatedV1 {
        id: format!("w{n}"),
        name: format!("widget {n}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_class_of_bad_message_is_terminated_once_and_the_consumer_goes_on() {
    let env = PolynEnv::start().await;
    env.stream(STREAM, &[NAME]).await;
    let consumer = env
        .consumer(STREAM, NAME, None, NAME, Duration::from_secs(30), -1)
        .await;
    let client = env.client().await;
    let mut acks = env
        .nats
        .subscribe(format!("$JS.ACK.{STREAM}.{consumer}.>"))
        .await
        .expect("ack spy");
    env.nats.flush().await.expect("flush");

    // valid, bad, valid, bad, …, valid: bad ones at the even sequences.
    let classes = classes();
    let mut class_at = HashMap::new();
    client.publish(widget(0)).await.expect("publish");
    for (n, (class, body)) in classes.iter().enumerate() {
        let ack = env
            .js
            .publish(NAME, body.clone().into())
            .await
            .expect("raw publish")
            .await
            .expect("stored");
        class_at.insert(ack.sequence, *class);
        client.publish(widget(n + 1)).await.expect("publish");
    }
    let valid = classes.len() + 1;

    let handled = Watched::new(0_usize);
    let reports = Watched::new(Vec::<(u64, u64, Action, String, bool)>::new());
    let stats = client
        .consumer::<WidgetsCreatedV1>()
        .on_invalid({
            let reports = reports.clone();
            move |invalid: &InvalidMessage| {
                let typed = matches!(
                    invalid.error,
                    Error::Decode { .. }
                        | Error::Validation(_)
                        | Error::UnexpectedEvent { .. }
                        | Error::DataType { .. }
                );
                let report = (
                    invalid.stream_sequence,
                    invalid.delivered,
                    invalid.action.clone(),
                    invalid.error.to_string(),
                    typed,
                );
                reports.update(|reports| reports.push(report));
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
                let (handled, reports, bad) = (handled.clone(), reports.clone(), classes.len());
                async move {
                    handled.until(|n| *n >= valid).await;
                    reports.until(|reports| reports.len() >= bad).await;
                }
            },
        )
        .await
        .expect("run");

    assert_eq!(handled.get(), valid, "every valid event was handled");
    let reports = reports.get();
    assert_eq!(reports.len(), classes.len(), "one report each");
    for (sequence, delivered, action, text, typed) in &reports {
        let class = class_at
            .get(sequence)
            .unwrap_or_else(|| panic!("a report for #{sequence}, which is valid: {text}"));
        assert_eq!(*delivered, 1, "{class}");
        assert_eq!(*action, Action::Terminated, "{class}");
        assert!(*typed, "{class}: not a typed rejection: {text}");
        assert!(
            text.len() < 8 * 1024,
            "{class}: a {} byte report",
            text.len()
        );
    }
    assert_eq!(stats.termed as usize, classes.len(), "{stats:?}");
    assert_eq!(stats.invalid as usize, classes.len(), "{stats:?}");
    assert_eq!(stats.acked as usize, valid, "{stats:?}");

    // On the wire: one +TERM per bad message, one +ACK per valid one.
    let mut settled: HashMap<u64, Vec<String>> = HashMap::new();
    let expected = classes.len() + valid;
    let mut seen = 0;
    while seen < expected {
        let ack = tokio::time::timeout(Duration::from_secs(10), acks.next())
            .await
            .expect("acknowledgements in time")
            .expect("an acknowledgement");
        // $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.…
        let sequence: u64 = ack
            .subject
            .split('.')
            .nth(5)
            .and_then(|s| s.parse().ok())
            .expect("seq");
        settled
            .entry(sequence)
            .or_default()
            .push(String::from_utf8_lossy(&ack.payload).into_owned());
        seen += 1;
    }
    for (sequence, bodies) in &settled {
        let want = if class_at.contains_key(sequence) {
            "+TERM"
        } else {
            "+ACK"
        };
        assert_eq!(
            bodies,
            &[want],
            "#{sequence} ({:?})",
            class_at.get(sequence)
        );
    }
    assert_eq!(settled.len(), expected);
}
