//! Publishing through a stream leader failover on a real 3-server
//! cluster: while an R3 stream elects a new leader the server answers
//! publishes with 503 "no responders"; Polyn sends them again with the
//! same `Nats-Msg-Id` until one is stored, so every publish succeeds and
//! every event is stored exactly once.

use std::time::Duration;

use async_nats::jetstream;
use polyn::{Client, Config, Error, PublishOptions};
use polyn_tests::cluster::Cluster;
use polyn_tests::events::WidgetsCreatedV1;

const EVENTS: usize = 600;

async fn set_up(cluster: &Cluster) -> jetstream::Context {
    let js = cluster.jetstream().await;
    polyn_tests::secured::widgets(&js, 3).await;
    js
}

fn config(cluster: &Cluster, publish_retry: Duration) -> Config {
    cluster
        .servers()
        .iter()
        .fold(Config::builder(), |builder, server| {
            builder.server(server.url())
        })
        .domain("com.test")
        .source_root("failover.test")
        .publish_retry(publish_retry)
        .build()
        .expect("configuration")
}

async fn stream_leader(js: &jetstream::Context) -> String {
    let mut stream = js.get_stream("WIDGETS").await.expect("stream");
    let info = stream.info().await.expect("stream info");
    info.cluster
        .as_ref()
        .and_then(|cluster| cluster.leader.clone())
        .expect("the R3 stream has a leader")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishes_survive_a_stream_leader_failover_stored_once() {
    let mut cluster = Cluster::start(3).await;
    let js = set_up(&cluster).await;
    let client = Client::connect(config(&cluster, Duration::from_secs(30)))
        .await
        .expect("connect to the cluster");
    let leader = stream_leader(&js).await;

    let mut failures = Vec::new();
    let mut last_stored = std::time::Instant::now();
    let mut longest_pause = Duration::ZERO;
    for n in 0..EVENTS {
        if n == EVENTS / 4 {
            cluster
                .server_mut(&leader)
                .expect("the leader is one of the cluster's servers")
                .stop();
        }
        let event = WidgetsCreatedV1 {
            id: format!("w{n}"),
            name: "Sprocket".into(),
        };
        let options = PublishOptions::new().id(format!("failover-{n}"));
        match client.publish_with(event, options).await {
            Ok(_) => {
                longest_pause = longest_pause.max(last_stored.elapsed());
                last_stored = std::time::Instant::now();
            }
            Err(err) => failures.push(format!("#{n}: {err}")),
        }
    }
    println!("longest pause between two stored publishes: {longest_pause:?}");
    // The protocol's bound on a failover, not a timing of Polyn's code.
    assert!(
        longest_pause < Duration::from_secs(10),
        "publishing stalled for {longest_pause:?} during the failover"
    );
    assert!(
        failures.is_empty(),
        "{} of {EVENTS} publishes failed during the failover; the first: {:?}",
        failures.len(),
        failures.first()
    );

    let survivor = cluster
        .servers()
        .iter()
        .find(|server| server.server_name() != leader)
        .expect("a surviving server");
    let js = jetstream::new(
        async_nats::connect(survivor.url())
            .await
            .expect("connect to a survivor"),
    );
    let new_leader = stream_leader(&js).await;
    assert_ne!(new_leader, leader, "a new leader was elected");
    let mut stream = js.get_stream("WIDGETS").await.expect("stream");
    let stored = stream.info().await.expect("stream info").state.messages;
    assert_eq!(
        stored, EVENTS as u64,
        "every event stored exactly once (resent events carry the same Nats-Msg-Id)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_without_a_leader_past_the_deadline_says_so() {
    let mut cluster = Cluster::start(3).await;
    let js = set_up(&cluster).await;
    let client = Client::connect(config(&cluster, Duration::from_millis(1500)))
        .await
        .expect("connect to the cluster");
    // Two of three servers gone: the stream has no quorum, so no leader.
    let leader = stream_leader(&js).await;
    let names: Vec<String> = cluster
        .servers()
        .iter()
        .map(|server| server.server_name().to_owned())
        .collect();
    let other = names
        .iter()
        .find(|name| **name != leader)
        .expect("another server")
        .clone();
    cluster.server_mut(&leader).expect("leader").stop();
    cluster.server_mut(&other).expect("follower").stop();

    let event = WidgetsCreatedV1 {
        id: "w1".into(),
        name: "Sprocket".into(),
    };
    let err = client
        .publish(event)
        .await
        .expect_err("nothing can store it");
    match &err {
        Error::StreamUnavailable {
            subject, attempts, ..
        } => {
            assert_eq!(subject, "widgets.created.v1");
            assert!(*attempts >= 1, "{err}");
        }
        // The survivor's client connection may itself have been cut.
        other => panic!("expected StreamUnavailable, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("publish it again with the same id"), "{text}");
    assert!(!matches!(err, Error::StreamNotFound { .. }));
}
