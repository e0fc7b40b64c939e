//! Handlers made by `#[polyn::handler]`, served together by
//! `Client::serve_with` and a `Service` on a sandbox: typed and dynamic
//! events, state, context, every kind of outcome, and a request handler.
#![deny(warnings, missing_docs, unreachable_pub, unused_qualifications, rust_2018_idioms)]

#[path = "../events.rs"]
mod events;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use events::{CalcMultRequestV1, CalcMultResponseV1, UserCreatedV1, WidgetsCreatedV1};
use polyn::{Config, Context, Event, Handler, Outcome, State};
use polyn::consumer::HandlerSpec;
use polyn::testing::{Sandbox, SettlementKind};

#[derive(Clone, Default)]
struct Counts {
    widgets: Arc<AtomicUsize>,
    products: Arc<AtomicUsize>,
}

/// Counts widgets; the widget `x` fails (and is redelivered later).
#[polyn::handler(concurrency = 2, batch = 4)]
async fn on_widget(
    State(counts): State<Counts>,
    event: Event<WidgetsCreatedV1>,
    ctx: Context,
) -> Result<(), String> {
    assert_eq!(ctx.subject(), "widgets.created.v1");
    if event.data().id == "x" {
        return Err("no x".into());
    }
    counts.widgets.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

/// Keeps users with a name, as a dynamic event.
#[polyn::handler(event = "user.created.v1", source = "greeter")]
async fn on_user(event: Event) -> Outcome {
    if event.data()["name"].is_string() {
        Outcome::Ack
    } else {
        Outcome::Term
    }
}

/// Multiplies; a zero factor is an error, answered as an error reply.
#[polyn::handler(concurrency = 2)]
async fn multiply(
    event: Event<CalcMultRequestV1>,
    State(counts): State<Counts>,
) -> Result<CalcMultResponseV1, String> {
    let CalcMultRequestV1 { a, b } = *event.data();
    if a == 0 || b == 0 {
        return Err("zero".into());
    }
    counts.products.fetch_add(1, Ordering::SeqCst);
    Ok(CalcMultResponseV1 { product: a * b })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), polyn::Error> {
    assert_eq!(
        Handler::<Counts>::spec(&on_widget),
        HandlerSpec::new("widgets.created.v1").concurrency(2).batch(4)
    );
    assert_eq!(
        Handler::<()>::spec(&on_user),
        HandlerSpec::new("user.created.v1").source("greeter")
    );

    let config = Config::builder()
        .domain("com.test")
        .source_root("user.backend")
        .build()?;

    // The function itself stays callable, for unit tests.
    let user = config.event(
        "user.created.v1",
        serde_json::json!({"id": "u0", "email": "u0@example.com", "name": "Zoe"}),
    )?;
    assert_eq!(on_user::call(user).await, Outcome::Ack);

    let sandbox = Sandbox::builder(config)
        .event::<WidgetsCreatedV1>()?
        .event::<UserCreatedV1>()?
        .event::<CalcMultRequestV1>()?
        .event::<CalcMultResponseV1>()?
        .stream("WIDGETS", &["widgets.created.v1"])
        .consumer("WIDGETS", "widgets.created.v1", None)?
        .stream("USERS", &["user.created.v1.*"])
        .consumer("USERS", "user.created.v1", Some("greeter"))?
        .build();
    let counts = Counts::default();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn({
        let client = sandbox.client();
        let counts = counts.clone();
        async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            client
                .serve_with(counts, &[&on_widget, &on_user], shutdown)
                .await
        }
    });

    let timeout = Duration::from_secs(10);
    let widget = |id: &str| WidgetsCreatedV1 {
        id: id.into(),
        name: "sprocket".into(),
    };
    let settled = sandbox.deliver(widget("w1"), timeout).await?;
    assert_eq!(settled.kind, SettlementKind::Acked);
    let settled = sandbox.deliver(widget("x"), timeout).await?;
    assert_eq!(settled.kind, SettlementKind::Naked);
    let nameless = UserCreatedV1 {
        id: "u1".into(),
        email: "u1@example.com".into(),
        name: None,
    };
    let settled = sandbox.deliver(nameless, timeout).await?;
    assert_eq!(settled.kind, SettlementKind::Termed);

    let _ = stop.send(());
    let stats = serving.await.expect("the serving task")?;
    assert!(stats.of("widgets.created.v1").is_some(), "{stats:?}");
    assert_eq!(counts.widgets.load(Ordering::SeqCst), 1);

    // A request handler, served once it is ready.
    assert_eq!(
        Handler::<Counts>::spec(&multiply),
        HandlerSpec::new("calc.mult.request.v1")
            .request(None)
            .concurrency(2)
    );
    let client = sandbox.client();
    let service = client.service_with(counts.clone(), &[&multiply]);
    let monitor = service.monitor();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let requests = async {
        assert!(monitor.ready().await, "the request handler binds");
        let ask = |a, b| {
            client.request::<_, CalcMultResponseV1>(CalcMultRequestV1 { a, b }, timeout)
        };
        let reply = ask(6, 7).await?;
        assert_eq!(reply.data().product, 42);
        match ask(0, 7).await {
            Err(polyn::Error::Remote { description, .. }) => {
                assert!(description.contains("zero"), "{description}");
            }
            other => panic!("expected an error reply, got {other:?}"),
        }
        let _ = stop.send(());
        Ok::<_, polyn::Error>(())
    };
    let shutdown = async {
        let _ = stopped.await;
    };
    let (stats, asked) = tokio::join!(service.run(shutdown), requests);
    asked?;
    assert!(stats?.of("calc.mult.request.v1").is_some());
    assert_eq!(counts.products.load(Ordering::SeqCst), 1);
    Ok(())
}
