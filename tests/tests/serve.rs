//! `Client::serve` and `Service`: several handlers, pull and core, with
//! shared state, a live monitor, readiness, the shutdown deadline and a
//! consumer deleted while running; nothing a handler does takes it down.

use std::time::Duration;

use polyn::consumer::{Binder, Bound, BoxFuture, HandlerSpec};
use polyn::serve::Missing;
use polyn::{Context, Error, Event, Handler, Outcome, PublishOptions};
use polyn_tests::events::{MoneyAmountV1, WidgetsCreatedV1};
use polyn_tests::{PolynEnv, Watched};

/// How many events each handler has handled.
#[derive(Clone, Default)]
struct State {
    widgets: Watched<usize>,
    amounts: Watched<usize>,
    started: Watched<usize>,
}

#[derive(Clone, Copy)]
struct OnWidget;

impl Handler<State> for OnWidget {
    fn spec(&self) -> HandlerSpec {
        HandlerSpec::new("widgets.created.v1").concurrency(4)
    }
    fn bind(&self, binder: Binder<State>) -> BoxFuture<'static, Result<Bound, Error>> {
        Box::pin(binder.pull(
            |event: Event<WidgetsCreatedV1>, ctx: Context, state: State| async move {
                assert_eq!(ctx.subject(), "widgets.created.v1");
                assert!(event.data().id.starts_with('w'));
                state.widgets.update(|n| *n += 1);
                Outcome::Ack
            },
        ))
    }
}

/// A core handler that panics on its first message and counts the others.
#[derive(Clone, Copy)]
struct OnAmount;

impl Handler<State> for OnAmount {
    fn spec(&self) -> HandlerSpec {
        HandlerSpec::new("money.amount.v1")
            .core(Some("accountants".into()))
            .concurrency(2)
    }
    fn bind(&self, binder: Binder<State>) -> BoxFuture<'static, Result<Bound, Error>> {
        Box::pin(binder.core(
            |event: Event<MoneyAmountV1>, _ctx: Context, state: State| async move {
                assert_eq!(event.data().currency, "EUR");
                if state.started.update(|n| std::mem::replace(n, *n + 1)) == 0 {
                    panic!("the first amount is cursed");
                }
                state.amounts.update(|n| *n += 1);
            },
        ))
    }
}

async fn widget_consumer(env: &PolynEnv) -> String {
    env.stream("WIDGETS", &["widgets.created.v1"]).await;
    env.consumer(
        "WIDGETS",
        "widgets.created.v1",
        None,
        "widgets.created.v1",
        Duration::from_secs(30),
        -1,
    )
    .await
}

fn widget(id: &str) -> WidgetsCreatedV1 {
    WidgetsCreatedV1 {
        id: id.into(),
        name: "x".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_pull_and_core_handlers_and_a_core_panic_leaves_it_running() {
    let env = PolynEnv::start().await;
    widget_consumer(&env).await;
    let client = env.client().await;
    let state = State::default();
    for n in 0..5 {
        client
            .publish(widget(&format!("w{n}")))
            .await
            .expect("publish");
    }
    let service = client.service_with(state.clone(), &[&OnWidget, &OnAmount]);
    let monitor = service.monitor();
    let serving = tokio::spawn({
        let state = state.clone();
        service.run(async move {
            state.widgets.until(|n| *n >= 5).await;
            state.amounts.until(|n| *n >= 3).await;
        })
    });
    // Readiness: the core subscription is on the server once this resolves
    // (publishes on the same connection come after it).
    assert!(monitor.ready().await, "every handler binds");
    assert!(monitor.is_healthy(), "{:?}", monitor.health());
    for _ in 0..4 {
        let amount = MoneyAmountV1 {
            currency: "EUR".into(),
            amount: 1.5,
        };
        client
            .publish_core("money.amount.v1", amount, PublishOptions::new())
            .await
            .expect("core publish");
    }
    let stats = tokio::time::timeout(Duration::from_secs(20), serving)
        .await
        .expect("serve returns after shutdown")
        .expect("task")
        .expect("serve");
    assert_eq!(state.widgets.get(), 5);
    assert_eq!(
        state.amounts.get(),
        3,
        "the panic cost one message, not the handler"
    );
    let widgets = stats.of("widgets.created.v1").expect("widget stats");
    assert_eq!(widgets.acked, 5);
    let amounts = stats.of("money.amount.v1").expect("amount stats");
    assert_eq!((amounts.acked, amounts.panics), (3, 1), "{amounts:?}");
    let health = &monitor.health()[1];
    assert!(health.finished);
    assert!(
        health
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("the first amount is cursed")),
        "{health:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_reports_a_missing_consumer_before_running() {
    let env = PolynEnv::start().await;
    env.stream("WIDGETS", &["widgets.created.v1"]).await;
    let client = env.client().await;
    let service = client.service_with(State::default(), &[&OnWidget]);
    let monitor = service.monitor();
    let err = service
        .run(std::future::pending())
        .await
        .expect_err("no consumer");
    assert!(
        err.to_string()
            .starts_with("Consumer user_backend_widgets_created_v1 does not exist"),
        "{err}"
    );
    assert!(!monitor.ready().await, "never ready");
}

/// Hangs on the widget `hang` until abandoned.
#[derive(Clone, Copy)]
struct Hanging;

impl Handler<State> for Hanging {
    fn spec(&self) -> HandlerSpec {
        HandlerSpec::new("widgets.created.v1")
    }
    fn bind(&self, binder: Binder<State>) -> BoxFuture<'static, Result<Bound, Error>> {
        Box::pin(binder.pull(
            |event: Event<WidgetsCreatedV1>, _ctx: Context, state: State| async move {
                state.started.update(|n| *n += 1);
                if event.data().id == "hang" {
                    std::future::pending::<()>().await;
                }
                state.widgets.update(|n| *n += 1);
            },
        ))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shutdown_deadline_abandons_a_hung_handler_and_gives_its_message_back() {
    let env = PolynEnv::start().await;
    widget_consumer(&env).await;
    let client = env.client().await;
    client.publish(widget("hang")).await.expect("publish");
    let state = State::default();
    let deadline = Duration::from_millis(300);
    let service = client
        .service_with(state.clone(), &[&Hanging])
        .shutdown_deadline(deadline);
    let started = {
        let state = state.clone();
        async move { state.started.until(|n| *n >= 1).await }
    };
    let stats = tokio::time::timeout(Duration::from_secs(15), service.run(started))
        .await
        .expect("the deadline ends the shutdown")
        .expect("serve");
    let stats = stats.of("widgets.created.v1").expect("stats");
    assert_eq!(
        (stats.abandoned, stats.naked, stats.acked),
        (1, 1, 0),
        "{stats:?}"
    );

    // Given back at once: the next run gets it again.
    let redelivered = Watched::new(Vec::new());
    let consumer = client
        .consumer::<WidgetsCreatedV1>()
        .bind()
        .await
        .expect("bind");
    let seen = redelivered.clone();
    let done = {
        let seen = seen.clone();
        async move { seen.until(|v: &Vec<(String, u64)>| !v.is_empty()).await }
    };
    consumer
        .run(
            move |event: Event<WidgetsCreatedV1>, ctx: Context| {
                let seen = seen.clone();
                async move { seen.update(|v| v.push((event.into_data().id, ctx.delivered()))) }
            },
            done,
        )
        .await
        .expect("run");
    assert_eq!(redelivered.get(), [("hang".to_owned(), 2)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_deleted_while_serving_shows_in_health_then_ends_serve() {
    let env = PolynEnv::start().await;
    let consumer = widget_consumer(&env).await;
    let client = env.client().await;
    let service = client
        .service_with(State::default(), &[&OnWidget])
        .missing_grace(Duration::from_secs(1));
    let monitor = service.monitor();
    let serving = tokio::spawn(service.run(std::future::pending()));
    assert!(monitor.ready().await);
    env.js
        .delete_consumer_from_stream(&consumer, "WIDGETS")
        .await
        .expect("delete the consumer");
    let health = tokio::time::timeout(
        Duration::from_secs(10),
        monitor.handlers()[0].wait_for(|health| health.missing.is_some()),
    )
    .await
    .expect("the health shows it");
    assert!(!health.is_healthy());
    assert_eq!(
        health.missing.map(|(missing, _)| missing),
        Some(Missing::Consumer {
            stream: "WIDGETS".into(),
            consumer: consumer.clone()
        })
    );
    let err = tokio::time::timeout(Duration::from_secs(15), serving)
        .await
        .expect("serve ends after the grace period")
        .expect("task")
        .expect_err("the consumer is gone");
    assert!(
        matches!(&err, Error::ConsumerNotFound { name, stream } if *name == consumer && stream == "WIDGETS"),
        "{err}"
    );
}
