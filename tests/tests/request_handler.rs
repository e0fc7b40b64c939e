//! Request handlers over a real nats-server: a reply is validated and
//! sent; an invalid request, a handler error, a panic and an invalid reply
//! are each answered the way NATS services answer errors, reported, and
//! the handler goes on.

use std::time::Duration;

use polyn::consumer::{Binder, Bound, BoxFuture, HandlerSpec};
use polyn::{Context, Error, Event, EventType, Handler, InvalidMessage};
use polyn_tests::events::{CalcMultRequestV1, CalcMultResponseV1};
use polyn_tests::{PolynEnv, Watched};

/// The handler's own error, with a cause.
#[derive(Debug, thiserror::Error)]
#[error("unlucky number")]
struct Unlucky(#[source] std::io::Error);

/// What the `on_invalid` hook saw: the error's text and whether its source
/// is still the handler's own error.
type Reports = Watched<Vec<(String, bool)>>;

fn record(reports: &Reports) -> impl Fn(&InvalidMessage) + Send + Sync + 'static {
    let reports = reports.clone();
    move |invalid: &InvalidMessage| {
        let kept = match &invalid.error {
            Error::Handler { source, .. } => source.downcast_ref::<Unlucky>().is_some(),
            _ => false,
        };
        reports.update(|r| r.push((invalid.error.to_string(), kept)));
    }
}

/// Multiplies; 13 is an error, 7 panics.
#[derive(Clone)]
struct Multiply(Reports);

impl Handler for Multiply {
    fn spec(&self) -> HandlerSpec {
        HandlerSpec::new("calc.mult.request.v1")
            .request(Some("calculators".into()))
            .concurrency(4)
            .on_invalid(record(&self.0))
    }
    fn bind(&self, binder: Binder<()>) -> BoxFuture<'static, Result<Bound, Error>> {
        Box::pin(binder.request(
            |event: Event<CalcMultRequestV1>, ctx: Context, (): ()| async move {
                assert!(ctx.reply_to().is_some(), "a request has a reply subject");
                let CalcMultRequestV1 { a, b } = *event.data();
                match a {
                    13 => Err(Unlucky(std::io::Error::other("thirteen"))),
                    7 => panic!("seven is not allowed"),
                    _ => Ok(CalcMultResponseV1 { product: a * b }),
                }
            },
        ))
    }
}

fn remote(result: Result<Event<CalcMultResponseV1>, Error>) -> (u16, String) {
    match result {
        Err(Error::Remote {
            code, description, ..
        }) => (code, description),
        other => panic!("expected a remote error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_handler_answers_and_every_failure_is_an_error_reply() {
    let env = PolynEnv::start().await;
    let client = env.client().await;
    let reports = Reports::default();
    let multiply = Multiply(reports.clone());
    let handlers: [&dyn Handler; 1] = [&multiply];
    let service = client.service(&handlers);
    let monitor = service.monitor();
    // The service borrows `multiply`: run it beside the requests.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let requests = async {
        assert!(monitor.ready().await);
        let timeout = Duration::from_secs(5);
        let ask =
            |a, b| client.request::<_, CalcMultResponseV1>(CalcMultRequestV1 { a, b }, timeout);

        let reply = ask(6, 7).await.expect("a reply");
        assert_eq!(reply.data().product, 42);

        // A handler error: a typed remote error at once, with the whole chain.
        let (code, description) = remote(ask(13, 1).await);
        assert_eq!(code, 500);
        assert!(
            description.contains("unlucky number: thirteen"),
            "{description}"
        );

        // A panic: answered, and the handler goes on.
        let (code, description) = remote(ask(7, 1).await);
        assert_eq!(code, 500);
        assert!(
            description.contains("seven is not allowed"),
            "{description}"
        );
        assert_eq!(ask(2, 3).await.expect("still serving").data().product, 6);

        // Invalid requests, sent raw: not JSON, and an event its schema rejects.
        for body in [
            "not json".to_owned(),
            env.config()
                .event(
                    "calc.mult.request.v1",
                    serde_json::json!({"a": "six", "b": 7}),
                )
                .expect("event")
                .to_json()
                .expect("json")
                .to_string(),
        ] {
            let reply = env
                .nats
                .request("calc.mult.request.v1", body.into())
                .await
                .expect("an error reply, not a timeout");
            let headers = reply.headers.expect("error headers");
            assert_eq!(
                headers.get("Nats-Service-Error-Code").map(|v| v.as_str()),
                Some("400")
            );
            let text = headers.get("Nats-Service-Error").expect("description");
            assert!(!text.as_str().is_empty());
            assert!(reply.payload.is_empty());
        }
        let _ = stop.send(());
    };
    let (stats, ()) = tokio::join!(
        service.run(async {
            let _ = stopped.await;
        }),
        requests
    );
    let stats = stats.expect("serve");
    let stats = stats.of("calc.mult.request.v1").expect("stats");
    assert_eq!(
        (
            stats.replied,
            stats.error_replies,
            stats.invalid,
            stats.failed,
            stats.panics
        ),
        (2, 4, 2, 1, 1),
        "{stats:?}"
    );
    let reports = reports.get();
    assert_eq!(reports.len(), 4, "{reports:?}");
    assert!(
        reports
            .iter()
            .any(|(text, kept)| *kept && text.contains("unlucky number")),
        "the hook got the handler's own error: {reports:?}"
    );
}

/// A reply type generated from an older schema: `product` as a string.
#[derive(serde::Serialize, serde::Deserialize)]
struct StaleResponse {
    product: String,
}

impl EventType for StaleResponse {
    const NAME: &'static str = "calc.mult.response.v1";
    const SCHEMA: &'static str = "{}";
}

#[derive(Clone, Copy)]
struct Stale;

impl Handler for Stale {
    fn spec(&self) -> HandlerSpec {
        HandlerSpec::new("calc.mult.request.v1").request(None)
    }
    fn bind(&self, binder: Binder<()>) -> BoxFuture<'static, Result<Bound, Error>> {
        Box::pin(binder.request(
            |event: Event<CalcMultRequestV1>, _ctx: Context, (): ()| async move {
                let product = (event.data().a * event.data().b).to_string();
                Ok::<_, std::convert::Infallible>(StaleResponse { product })
            },
        ))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_reply_is_never_sent_and_the_requester_hears_why() {
    let env = PolynEnv::start().await;
    let client = env.client().await;
    let service = client.service(&[&Stale]);
    let monitor = service.monitor();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(service.run(async {
        let _ = stopped.await;
    }));
    assert!(monitor.ready().await);
    let result = client
        .request::<_, CalcMultResponseV1>(CalcMultRequestV1 { a: 2, b: 3 }, Duration::from_secs(5))
        .await;
    let (code, description) = remote(result);
    assert_eq!(code, 500);
    assert!(description.contains("product"), "{description}");
    let _ = stop.send(());
    let stats = serving.await.expect("task").expect("serve");
    let stats = stats.of("calc.mult.request.v1").expect("stats");
    assert_eq!((stats.replied, stats.error_replies), (0, 1), "{stats:?}");
}

/// Requests in progress now and at most, and whether they may finish.
#[derive(Clone, Default)]
struct Gate {
    running: Watched<(usize, usize)>,
    open: Watched<bool>,
}

#[derive(Clone)]
struct Slow(Gate);

impl Handler for Slow {
    fn spec(&self) -> HandlerSpec {
        HandlerSpec::new("calc.mult.request.v1")
            .request(None)
            .concurrency(2)
    }
    fn bind(&self, binder: Binder<()>) -> BoxFuture<'static, Result<Bound, Error>> {
        let gate = self.0.clone();
        Box::pin(binder.request(
            move |event: Event<CalcMultRequestV1>, _ctx: Context, (): ()| {
                let gate = gate.clone();
                async move {
                    gate.running.update(|(now, most)| {
                        *now += 1;
                        *most = (*most).max(*now);
                    });
                    gate.open.until(|open| *open).await;
                    gate.running.update(|(now, _)| *now -= 1);
                    let CalcMultRequestV1 { a, b } = *event.data();
                    Ok::<_, std::convert::Infallible>(CalcMultResponseV1 { product: a * b })
                }
            },
        ))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_handlers_keep_to_their_concurrency() {
    let env = PolynEnv::start().await;
    let client = env.client().await;
    let gate = Gate::default();
    let slow = Slow(gate.clone());
    let handlers: [&dyn Handler; 1] = [&slow];
    let service = client.service(&handlers);
    let monitor = service.monitor();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let requests = async {
        assert!(monitor.ready().await);
        let asks = (1..=6).map(|a| {
            client.request::<_, CalcMultResponseV1>(
                CalcMultRequestV1 { a, b: 10 },
                Duration::from_secs(10),
            )
        });
        let all = futures_util::future::join_all(asks);
        let release = async {
            gate.running.until(|(now, _)| *now == 2).await;
            assert_eq!(monitor.handlers()[0].health().in_flight, 2);
            gate.open.update(|open| *open = true);
        };
        let (replies, ()) = tokio::join!(all, release);
        let mut products: Vec<i64> = replies
            .into_iter()
            .map(|reply| reply.expect("a reply").data().product)
            .collect();
        products.sort_unstable();
        assert_eq!(products, [10, 20, 30, 40, 50, 60]);
        let _ = stop.send(());
    };
    let (stats, ()) = tokio::join!(
        service.run(async {
            let _ = stopped.await;
        }),
        requests
    );
    assert_eq!(
        stats
            .expect("serve")
            .of("calc.mult.request.v1")
            .map(|s| s.replied),
        Some(6)
    );
    assert_eq!(
        gate.running.get().1,
        2,
        "never more than the concurrency at once"
    );
}
