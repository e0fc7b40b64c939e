//! `Client::serve`: several handlers, pull and core, with shared state, until shutdown.

use std::sync::Arc;
use std::time::Duration;

use polyn::{BoxFuture, Context, Event, Handler, HandlerSpec, Outcome, PublishOptions};
use polyn_tests::events::{MoneyAmountV1, WidgetsCreatedV1};
use polyn_tests::{PolynEnv, Watched};
use serde_json::Value;

/// How many events each handler has handled.
#[derive(Clone, Default)]
struct State {
    widgets: Watched<usize>,
    amounts: Watched<usize>,
}

#[derive(Clone, Copy)]
struct OnWidget;

impl Handler<State> for OnWidget {
    fn spec(&self) -> HandlerSpec {
        HandlerSpec::new("widgets.created.v1").concurrency(4)
    }
    fn call(
        &self,
        event: Event<Value>,
        ctx: Context,
        state: State,
    ) -> BoxFuture<'static, Result<Outcome, String>> {
        Box::pin(async move {
            let event = event
                .into_typed::<WidgetsCreatedV1>()
                .map_err(|e| e.to_string())?;
            assert_eq!(ctx.subject(), "widgets.created.v1");
            assert!(event.data().id.starts_with('w'));
            state.widgets.update(|n| *n += 1);
            Ok(Outcome::Ack)
        })
    }
    fn shared(&self) -> Arc<dyn Handler<State>> {
        Arc::new(*self)
    }
}

#[derive(Clone, Copy)]
struct OnAmount;

impl Handler<State> for OnAmount {
    fn spec(&self) -> HandlerSpec {
        HandlerSpec::new("money.amount.v1").core(Some("accountants".into()))
    }
    fn call(
        &self,
        event: Event<Value>,
        _ctx: Context,
        state: State,
    ) -> BoxFuture<'static, Result<Outcome, String>> {
        Box::pin(async move {
            let event = event
                .into_typed::<MoneyAmountV1>()
                .map_err(|e| e.to_string())?;
            assert_eq!(event.data().currency, "EUR");
            state.amounts.update(|n| *n += 1);
            Ok(Outcome::Ack)
        })
    }
    fn shared(&self) -> Arc<dyn Handler<State>> {
        Arc::new(*self)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_pull_and_core_handlers_until_shutdown() {
    let env = PolynEnv::start().await;
    env.stream("WIDGETS", &["widgets.created.v1"]).await;
    env.consumer(
        "WIDGETS",
        "widgets.created.v1",
        None,
        "widgets.created.v1",
        Duration::from_secs(30),
        -1,
    )
    .await;
    let client = env.client().await;
    let state = State::default();
    for n in 0..5 {
        client
            .publish(WidgetsCreatedV1 {
                id: format!("w{n}"),
                name: "x".into(),
            })
            .await
            .expect("publish");
    }
    let serving = tokio::spawn({
        let client = client.clone();
        let state = state.clone();
        async move {
            let done = {
                let state = state.clone();
                async move {
                    state.widgets.until(|n| *n >= 5).await;
                    state.amounts.until(|n| *n >= 3).await;
                }
            };
            client
                .serve_with(state, &[&OnWidget, &OnAmount], done)
                .await
        }
    });
    // Core messages are only seen by subscribers present when they are sent:
    // publish until the core handler has counted three.
    let mut sent = 0;
    while state.amounts.get() < 3 {
        let before = state.amounts.get();
        client
            .publish_core(
                "money.amount.v1",
                MoneyAmountV1 {
                    currency: "EUR".into(),
                    amount: 1.5,
                },
                PublishOptions::new(),
            )
            .await
            .expect("core publish");
        sent += 1;
        assert!(sent < 1000, "the core handler never received anything");
        let counted = state.amounts.until(|n| *n > before);
        let _ = tokio::time::timeout(Duration::from_millis(50), counted).await;
    }
    tokio::time::timeout(Duration::from_secs(10), serving)
        .await
        .expect("serve returns after shutdown")
        .expect("task")
        .expect("serve");
    assert_eq!(state.widgets.get(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_reports_a_missing_consumer_before_running() {
    let env = PolynEnv::start().await;
    env.stream("WIDGETS", &["widgets.created.v1"]).await;
    let client = env.client().await;
    let state = State::default();
    let err = client
        .serve_with(state, &[&OnWidget], std::future::pending())
        .await
        .expect_err("no consumer");
    assert!(
        err.to_string()
            .starts_with("Consumer user_backend_widgets_created_v1 does not exist"),
        "{err}"
    );
}
