//! OpenTelemetry tracing across services (feature `otel`), against a real
//! nats-server: the spans Polyn makes are exported to memory, through
//! `tracing-opentelemetry`, and checked for their names, kinds, parents,
//! attributes and errors.
//!
//! Every test shares one tracer provider (installed with the global
//! subscriber and the W3C TraceContext propagator) and finds its own spans
//! by event id or trace id. A span is looked for once ended: a span
//! processor beside the exporter signals each end, so nothing sleeps.

use std::sync::OnceLock;
use std::time::Duration;

use opentelemetry::trace::{SpanId, SpanKind, Status, TraceContextExt, TraceId, TracerProvider};
use opentelemetry::{Context as OtelContext, Value};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{
    InMemorySpanExporter, SdkTracerProvider, Span as SdkSpan, SpanData, SpanProcessor,
};
use polyn::async_nats::HeaderMap;
use polyn::consumer::{Binder, Bound, BoxFuture, HandlerSpec};
use polyn::{Context, Error, Event, Handler, PublishOptions};
use polyn_tests::events::{CalcMultRequestV1, CalcMultResponseV1, WidgetsCreatedV1};
use polyn_tests::{PolynEnv, Watched};
use serde_json::json;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;

/// How long a span may take to end before the test fails (a guard, not a
/// pause: spans are waited for by signal).
const WAIT: Duration = Duration::from_secs(10);

/// The spans every test exports, and a count of ended spans to wait on.
struct Spans {
    exporter: InMemorySpanExporter,
    provider: SdkTracerProvider,
    ended: Watched<u64>,
}

/// Counts ended spans; runs after the simple processor has exported them.
#[derive(Debug)]
struct Ended(Watched<u64>);

impl SpanProcessor for Ended {
    fn on_start(&self, _span: &mut SdkSpan, _cx: &OtelContext) {}
    fn on_end(&self, _span: SpanData) {
        self.0.update(|ended| *ended += 1);
    }
    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }
    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}

/// Installs the tracer provider, the propagator and the global subscriber,
/// once for the whole binary.
fn spans() -> &'static Spans {
    static SPANS: OnceLock<Spans> = OnceLock::new();
    SPANS.get_or_init(|| {
        let exporter = InMemorySpanExporter::default();
        let ended = Watched::new(0);
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .with_span_processor(Ended(ended.clone()))
            .build();
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("polyn-tests")));
        tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
        Spans {
            exporter,
            provider,
            ended,
        }
    })
}

impl Spans {
    fn finished(&self) -> Vec<SpanData> {
        self.exporter.get_finished_spans().expect("finished spans")
    }

    /// The ended span `what` that `matches`, waiting for it to end.
    async fn find(&self, what: &str, matches: impl Fn(&SpanData) -> bool) -> SpanData {
        let found = || self.finished().into_iter().find(|span| matches(span));
        let waited = tokio::time::timeout(WAIT, self.ended.until(|_| found().is_some())).await;
        self.provider.force_flush().expect("flush");
        match (waited, found()) {
            (Ok(()), Some(span)) => span,
            _ => {
                let names: Vec<_> = self.finished().into_iter().map(|s| s.name).collect();
                panic!("no span {what} ended; the ended spans are {names:?}")
            }
        }
    }

    /// The ended span with this id.
    async fn by_id(&self, what: &str, id: SpanId) -> SpanData {
        self.find(what, |span| span.span_context.span_id() == id)
            .await
    }
}

fn attribute(span: &SpanData, key: &str) -> Option<Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.clone())
}

fn text(span: &SpanData, key: &str) -> String {
    attribute(span, key).map_or_else(String::new, |value| value.as_str().into_owned())
}

fn int(span: &SpanData, key: &str) -> i64 {
    match attribute(span, key) {
        Some(Value::I64(n)) => n,
        other => panic!("{key} of {} is {other:?}, not an integer", span.name),
    }
}

/// Whether the span's message is the event `id`.
fn about(span: &SpanData, id: &str) -> bool {
    text(span, "messaging.message_id") == id
}

/// The Polyn attributes (§7), with their current semantic-convention names.
fn assert_messaging(span: &SpanData, destination: &str, operation: &str, url: &str, size: usize) {
    let name = &span.name;
    assert_eq!(text(span, "messaging.system"), "NATS", "{name}");
    assert_eq!(text(span, "messaging.protocol"), "Polyn", "{name}");
    assert_eq!(text(span, "messaging.destination"), destination, "{name}");
    assert_eq!(
        text(span, "messaging.destination.name"),
        destination,
        "{name}"
    );
    assert_eq!(text(span, "messaging.operation.type"), operation, "{name}");
    assert_eq!(text(span, "messaging.url"), url, "{name}");
    let id = text(span, "messaging.message_id");
    assert!(!id.is_empty(), "{name} has no message id");
    assert_eq!(text(span, "messaging.message.id"), id, "{name}");
    let size = i64::try_from(size).expect("size");
    assert_eq!(
        int(span, "messaging.message_payload_size_bytes"),
        size,
        "{name}"
    );
    assert_eq!(int(span, "messaging.message.body.size"), size, "{name}");
}

/// The exception event recorded on a span: its type and message.
fn exception(span: &SpanData) -> (String, String) {
    let event = span
        .events
        .iter()
        .find(|event| event.name == "exception")
        .unwrap_or_else(|| panic!("{} has no exception event: {:?}", span.name, span.events));
    let get = |key: &str| {
        event
            .attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| kv.value.as_str().into_owned())
            .unwrap_or_default()
    };
    (get("exception.type"), get("exception.message"))
}

fn error_status(span: &SpanData) -> String {
    match &span.status {
        Status::Error { description } => description.to_string(),
        other => panic!("{} has status {other:?}, not an error", span.name),
    }
}

/// The trace id of a span of the test's own.
fn trace_of(span: &tracing::Span) -> TraceId {
    span.context().span().span_context().trace_id()
}

/// A raw JSON event from another client, as its body.
fn body(env: &PolynEnv, name: &str, data: serde_json::Value) -> (String, String) {
    let event = env.config().event(name, data).expect("event");
    let id = event.id().to_owned();
    (id, event.to_json().expect("json").to_string())
}

async fn publish_raw(env: &PolynEnv, headers: Option<(&str, &str)>, body: String) {
    let subject = "widgets.created.v1".to_owned();
    let ack = match headers {
        None => env.js.publish(subject, body.into()).await,
        Some((name, value)) => {
            let mut headers = HeaderMap::new();
            headers.insert(name, value);
            env.js
                .publish_with_headers(subject, headers, body.into())
                .await
        }
    };
    ack.expect("publish").await.expect("stored");
}

async fn widgets(env: &PolynEnv) {
    env.stream("WIDGETS", &["widgets.>"]).await;
    // One delivery: a failed message is given up on at once.
    let wait = Duration::from_secs(30);
    env.consumer(
        "WIDGETS",
        "widgets.created.v1",
        None,
        "widgets.created.v1",
        wait,
        1,
    )
    .await;
}

fn random_hex(len: usize) -> String {
    uuid::Uuid::new_v4().simple().to_string()[..len].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_on_another_client_continues_the_publishers_trace() {
    let spans = spans();
    let env = PolynEnv::start().await;
    widgets(&env).await;
    let publisher = env.client().await;
    let receiver = env.client().await;

    let id = uuid::Uuid::new_v4().to_string();
    let widget = WidgetsCreatedV1 {
        id: "w1".into(),
        name: "Sprocket".into(),
    };
    let ack = publisher
        .publish_with(widget, PublishOptions::new().id(&id))
        .await
        .expect("publish");
    let stored = env
        .js
        .get_stream("WIDGETS")
        .await
        .expect("stream")
        .get_raw_message(ack.sequence)
        .await
        .expect("stored message");

    let handled = Watched::new(0);
    let consumer = receiver
        .consumer::<WidgetsCreatedV1>()
        .bind()
        .await
        .expect("bind");
    let handler = {
        let handled = handled.clone();
        move |_event: Event<WidgetsCreatedV1>, _ctx: Context| {
            let handled = handled.clone();
            async move { handled.update(|n| *n += 1) }
        }
    };
    let stop = {
        let handled = handled.clone();
        async move { handled.until(|n| *n >= 1).await }
    };
    consumer.run(handler, stop).await.expect("run");

    let send = spans
        .find("widgets.created.v1 send", |s| {
            s.name == "widgets.created.v1 send" && about(s, &id)
        })
        .await;
    let receive = spans
        .find("widgets.created.v1 receive", |s| {
            s.name == "widgets.created.v1 receive" && about(s, &id)
        })
        .await;
    assert_eq!(send.span_kind, SpanKind::Producer);
    assert_eq!(receive.span_kind, SpanKind::Consumer);
    assert_eq!(
        receive.span_context.trace_id(),
        send.span_context.trace_id()
    );
    assert_eq!(receive.parent_span_id, send.span_context.span_id());
    assert!(receive.parent_span_is_remote);
    let size = stored.payload.len();
    assert_messaging(
        &send,
        "widgets.created.v1",
        "send",
        &publisher.server_url(),
        size,
    );
    assert_messaging(
        &receive,
        "widgets.created.v1",
        "process",
        &receiver.server_url(),
        size,
    );
    assert_eq!(
        int(&receive, "messaging.nats.stream_sequence"),
        i64::try_from(ack.sequence).expect("sequence")
    );
    assert_eq!(int(&receive, "messaging.nats.delivered"), 1);
    assert_eq!(
        text(&receive, "messaging.consumer.group.name"),
        receiver
            .config()
            .consumer_name("widgets.created.v1", None)
            .expect("consumer name")
    );
    assert_eq!(send.status, Status::Unset);
    assert_eq!(receive.status, Status::Unset);

    // On the wire: the W3C header beside the dedup id.
    let header = |name: &str| stored.headers.get(name).map(|v| v.as_str().to_owned());
    assert_eq!(header("Nats-Msg-Id").as_deref(), Some(id.as_str()));
    let traceparent = format!(
        "00-{}-{}-01",
        send.span_context.trace_id(),
        send.span_context.span_id()
    );
    assert_eq!(header("traceparent"), Some(traceparent));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_traceparent_from_another_client_is_continued_and_a_missing_or_bad_one_is_ignored() {
    let spans = spans();
    let env = PolynEnv::start().await;
    widgets(&env).await;
    let client = env.client().await;

    // As the Elixir and Ruby clients send it (Elixir's header names are lowercase).
    let (trace, parent) = (random_hex(32), random_hex(16));
    let traceparent = format!("00-{trace}-{parent}-01");
    let widget = || json!({"id": "w", "name": "Sprocket"});
    let (traced, traced_body) = body(&env, "widgets.created.v1", widget());
    let (bare, bare_body) = body(&env, "widgets.created.v1", widget());
    let (garbled, garbled_body) = body(&env, "widgets.created.v1", widget());
    publish_raw(
        &env,
        Some(("traceparent", traceparent.as_str())),
        traced_body,
    )
    .await;
    publish_raw(&env, None, bare_body).await;
    publish_raw(
        &env,
        Some(("traceparent", "00-not-a-trace-01")),
        garbled_body,
    )
    .await;

    let handled = Watched::new(Vec::new());
    let consumer = client
        .consumer::<WidgetsCreatedV1>()
        .bind()
        .await
        .expect("bind");
    let handler = {
        let handled = handled.clone();
        move |event: Event<WidgetsCreatedV1>, _ctx: Context| {
            let handled = handled.clone();
            async move { handled.update(|h| h.push(event.id().to_owned())) }
        }
    };
    let stop = {
        let handled = handled.clone();
        async move { handled.until(|h| h.len() >= 3).await }
    };
    consumer.run(handler, stop).await.expect("run");
    let mut handled = handled.get();
    handled.sort_unstable();
    let mut expected = vec![traced.clone(), bare.clone(), garbled.clone()];
    expected.sort_unstable();
    assert_eq!(handled, expected, "every message is handled");

    let receive = |id: String| {
        spans.find("widgets.created.v1 receive", move |s| {
            s.name == "widgets.created.v1 receive" && about(s, &id)
        })
    };
    let continued = receive(traced).await;
    assert_eq!(continued.span_context.trace_id().to_string(), trace);
    assert_eq!(continued.parent_span_id.to_string(), parent);
    assert!(continued.parent_span_is_remote);
    assert_eq!(continued.span_kind, SpanKind::Consumer);
    for id in [bare, garbled] {
        let span = receive(id).await;
        assert_eq!(span.parent_span_id, SpanId::INVALID, "a new trace");
        assert_ne!(span.span_context.trace_id().to_string(), trace);
        assert_eq!(span.status, Status::Unset);
    }
}

/// Multiplies; 13 is an error.
struct Multiply;

#[derive(Debug, thiserror::Error)]
#[error("unlucky number")]
struct Unlucky(#[source] std::io::Error);

impl Handler for Multiply {
    fn spec(&self) -> HandlerSpec {
        HandlerSpec::new("calc.mult.request.v1").request(None)
    }
    fn bind(&self, binder: Binder<()>) -> BoxFuture<'static, Result<Bound, Error>> {
        Box::pin(binder.request(
            |event: Event<CalcMultRequestV1>, _ctx: Context, (): ()| async move {
                let CalcMultRequestV1 { a, b } = *event.data();
                match a {
                    13 => Err(Unlucky(std::io::Error::other("thirteen"))),
                    _ => Ok(CalcMultResponseV1 { product: a * b }),
                }
            },
        ))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_and_its_reply_are_one_trace_across_two_clients() {
    let spans = spans();
    let env = PolynEnv::start().await;
    let server = env.client().await;
    let requester = env.client().await;
    let handlers: [&dyn Handler; 1] = [&Multiply];
    let service = server.service(&handlers);
    let monitor = service.monitor();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let failing = tracing::info_span!("a failing request");
    let failing_trace = trace_of(&failing);
    let requests = async {
        assert!(monitor.ready().await);
        let timeout = Duration::from_secs(5);
        let ask =
            |a, b| requester.request::<_, CalcMultResponseV1>(CalcMultRequestV1 { a, b }, timeout);
        let reply = ask(6, 7).await.expect("a reply");
        let failed = ask(13, 1).instrument(failing.clone()).await;
        assert!(
            matches!(failed, Err(Error::Remote { code: 500, .. })),
            "{failed:?}"
        );
        let _ = stop.send(());
        reply
    };
    let (stats, reply) = tokio::join!(
        service.run(async {
            let _ = stopped.await;
        }),
        requests
    );
    stats.expect("served");
    drop(failing);

    // X send → X receive → (temporary) send → (temporary) receive.
    let reply_id = reply.id().to_owned();
    let reply_receive = spans
        .find("(temporary) receive", |s| {
            s.name == "(temporary) receive" && about(s, &reply_id)
        })
        .await;
    let reply_send = spans
        .by_id("(temporary) send", reply_receive.parent_span_id)
        .await;
    let request_receive = spans
        .by_id("calc.mult.request.v1 receive", reply_send.parent_span_id)
        .await;
    let request_send = spans
        .by_id("calc.mult.request.v1 send", request_receive.parent_span_id)
        .await;
    let chain = [&request_send, &request_receive, &reply_send, &reply_receive];
    let names: Vec<_> = chain.iter().map(|s| s.name.as_ref()).collect();
    assert_eq!(
        names,
        [
            "calc.mult.request.v1 send",
            "calc.mult.request.v1 receive",
            "(temporary) send",
            "(temporary) receive"
        ]
    );
    let kinds: Vec<_> = chain.iter().map(|s| s.span_kind.clone()).collect();
    let (producer, consumer) = (SpanKind::Producer, SpanKind::Consumer);
    assert_eq!(
        kinds,
        [producer.clone(), consumer.clone(), producer, consumer]
    );
    let trace = request_send.span_context.trace_id();
    assert!(chain.iter().all(|s| s.span_context.trace_id() == trace));
    assert!(chain.iter().all(|s| s.status == Status::Unset));
    assert!(about(&reply_send, &reply_id));
    let request_id = text(&request_send, "messaging.message_id");
    assert!(about(&request_receive, &request_id));
    let request_size =
        usize::try_from(int(&request_receive, "messaging.message.body.size")).expect("size");
    let reply_size =
        usize::try_from(int(&reply_receive, "messaging.message.body.size")).expect("size");
    let (client_url, server_url) = (requester.server_url(), server.server_url());
    let request = "calc.mult.request.v1";
    assert_messaging(&request_send, request, "send", &client_url, request_size);
    assert_messaging(
        &request_receive,
        request,
        "process",
        &server_url,
        request_size,
    );
    assert_messaging(&reply_send, "(temporary)", "send", &server_url, reply_size);
    assert_messaging(
        &reply_receive,
        "(temporary)",
        "receive",
        &client_url,
        reply_size,
    );

    // A failed request: the handler's error on the service's receive span,
    // the error reply (with its trace context) on the requester's.
    let in_failing = |name: &'static str| {
        spans.find(name, move |s| {
            s.name == name && s.span_context.trace_id() == failing_trace
        })
    };
    let failed_receive = in_failing("calc.mult.request.v1 receive").await;
    let (kind, message) = exception(&failed_receive);
    assert_eq!(kind, "polyn::Error::Handler");
    assert!(message.contains("unlucky number: thirteen"), "{message}");
    assert!(error_status(&failed_receive).contains("unlucky number: thirteen"));
    let failed_reply = in_failing("(temporary) receive").await;
    let error_reply = spans
        .by_id("(temporary) send", failed_reply.parent_span_id)
        .await;
    assert_eq!(
        error_reply.parent_span_id,
        failed_receive.span_context.span_id()
    );
    let (kind, message) = exception(&failed_reply);
    assert_eq!(kind, "polyn::Error::Remote");
    assert!(message.contains("unlucky number: thirteen"), "{message}");
}

/// The handler's own error, with a cause.
#[derive(Debug, thiserror::Error)]
#[error("boom")]
struct Boom(#[source] std::io::Error);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_errors_handler_errors_and_panics_are_recorded_on_their_spans() {
    let spans = spans();
    let env = PolynEnv::start().await;
    widgets(&env).await;
    let client = env.client().await;

    // A publish that fails validation: recorded on its send span.
    let publishing = tracing::info_span!("an invalid publish");
    let publish_trace = trace_of(&publishing);
    let refused = client
        .publish_json("widgets.created.v1", json!({"id": "w", "name": 42}))
        .instrument(publishing.clone())
        .await;
    assert!(matches!(refused, Err(Error::Validation(_))), "{refused:?}");
    drop(publishing);
    let send = spans
        .find("widgets.created.v1 send", |s| {
            s.name == "widgets.created.v1 send" && s.span_context.trace_id() == publish_trace
        })
        .await;
    assert_eq!(send.span_kind, SpanKind::Producer);
    let (kind, message) = exception(&send);
    assert_eq!(kind, "polyn::Error::Validation");
    assert!(
        message.contains(r#"42 is not of type "string""#),
        "{message}"
    );
    assert!(error_status(&send).contains(r#"42 is not of type "string""#));

    // Received: an invalid message (its trace known from its header), a
    // handler error, a panic, and a valid message handled.
    let invalid_trace = random_hex(32);
    let traceparent = format!("00-{invalid_trace}-{}-01", random_hex(16));
    let (_, invalid) = body(&env, "widgets.created.v1", json!({"id": "w", "name": 42}));
    publish_raw(&env, Some(("traceparent", traceparent.as_str())), invalid).await;
    let mut ids = Vec::new();
    for name in ["fail", "panic", "fine"] {
        let id = uuid::Uuid::new_v4().to_string();
        let widget = WidgetsCreatedV1 {
            id: "w".into(),
            name: name.into(),
        };
        client
            .publish_with(widget, PublishOptions::new().id(&id))
            .await
            .expect("publish");
        ids.push(id);
    }

    let (handled, reports) = (Watched::new(0), Watched::new(0));
    let consumer = client
        .consumer::<WidgetsCreatedV1>()
        .on_invalid({
            let reports = reports.clone();
            move |_| reports.update(|n| *n += 1)
        })
        .bind()
        .await
        .expect("bind");
    let handler = {
        let handled = handled.clone();
        move |event: Event<WidgetsCreatedV1>, _ctx: Context| {
            let handled = handled.clone();
            async move {
                match event.data().name.as_str() {
                    "fail" => Err(Boom(std::io::Error::other("disk on fire"))),
                    "panic" => panic!("widgets may not panic"),
                    _ => {
                        handled.update(|n| *n += 1);
                        Ok(())
                    }
                }
            }
        }
    };
    let stop = {
        let (handled, reports) = (handled.clone(), reports.clone());
        async move {
            handled.until(|n| *n >= 1).await;
            reports.until(|n| *n >= 3).await;
        }
    };
    consumer.run(handler, stop).await.expect("run");

    let receive = "widgets.created.v1 receive";
    let invalid = spans
        .find(receive, |s| {
            s.name == receive && s.span_context.trace_id().to_string() == invalid_trace
        })
        .await;
    let (kind, message) = exception(&invalid);
    assert_eq!(kind, "polyn::Error::Validation");
    assert!(
        message.contains(r#"42 is not of type "string""#),
        "{message}"
    );
    assert!(error_status(&invalid).contains(r#"42 is not of type "string""#));

    let of = |id: &str| {
        let id = id.to_owned();
        spans.find(receive, move |s| s.name == receive && about(s, &id))
    };
    let failed = of(&ids[0]).await;
    let (kind, message) = exception(&failed);
    assert_eq!(kind, "polyn::Error::Handler");
    assert!(message.contains("boom: disk on fire"), "{message}");
    assert!(error_status(&failed).contains("boom: disk on fire"));

    let panicked = of(&ids[1]).await;
    let (kind, message) = exception(&panicked);
    assert_eq!(kind, "polyn::Error::HandlerPanicked");
    assert!(message.contains("widgets may not panic"), "{message}");
    assert!(error_status(&panicked).contains("widgets may not panic"));

    let fine = of(&ids[2]).await;
    assert_eq!(fine.status, Status::Unset);
    assert!(fine.events.iter().all(|event| event.name != "exception"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_one_process_span_that_each_message_s_receive_span_links_to() {
    let spans = spans();
    let env = PolynEnv::start().await;
    widgets(&env).await;
    let publisher = env.client().await;
    let receiver = env.client().await;

    // Three events from three traces, and one invalid event.
    let ids: Vec<String> = (0..3).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    for (n, id) in ids.iter().enumerate() {
        let widget = WidgetsCreatedV1 {
            id: format!("w{n}"),
            name: "Sprocket".into(),
        };
        publisher
            .publish_with(widget, PublishOptions::new().id(id))
            .await
            .expect("publish");
    }
    let (_, invalid) = body(
        &env,
        "widgets.created.v1",
        json!({"id": 7, "name": "Sprocket"}),
    );
    publish_raw(&env, None, invalid).await;

    // The handler fails: with one delivery, every message is given up on
    // and reported, the invalid one before the handler runs.
    let batches = Watched::new(Vec::<usize>::new());
    let reports = Watched::new(0usize);
    let consumer = receiver
        .consumer::<WidgetsCreatedV1>()
        .on_invalid({
            let reports = reports.clone();
            move |_: &polyn::InvalidMessage| reports.update(|n| *n += 1)
        })
        .bind()
        .await
        .expect("bind");
    let handler = {
        let batches = batches.clone();
        move |events: Vec<Event<WidgetsCreatedV1>>| {
            batches.update(|sizes| sizes.push(events.len()));
            async { Err::<(), _>(std::io::Error::other("the warehouse is down")) }
        }
    };
    let stop = {
        let reports = reports.clone();
        async move { reports.until(|n| *n >= 4).await }
    };
    let stats = consumer
        .run_batches(10, Duration::from_millis(500), handler, stop)
        .await
        .expect("run");
    assert_eq!(batches.get(), [3], "one batch of the three valid events");
    assert_eq!((stats.invalid, stats.failed, stats.termed), (1, 1, 4));

    let process = spans
        .find("widgets.created.v1 process", |s| {
            s.name == "widgets.created.v1 process"
                && attribute(s, "messaging.batch.message_count") == Some(Value::I64(4))
        })
        .await;
    assert_eq!(process.span_kind, SpanKind::Consumer);
    assert_eq!(text(&process, "messaging.operation.type"), "process");
    assert_eq!(
        text(&process, "messaging.destination"),
        "widgets.created.v1"
    );
    assert_eq!(text(&process, "messaging.url"), receiver.server_url());
    let (kind, message) = exception(&process);
    assert_eq!(kind, "polyn::Error::Handler");
    assert!(message.contains("the warehouse is down"), "{message}");
    assert!(error_status(&process).contains("the warehouse is down"));
    let linked = |span: &SpanData| {
        span.links
            .links
            .iter()
            .any(|link| link.span_context.span_id() == process.span_context.span_id())
    };
    for id in &ids {
        let send = spans
            .find("a send span", |s| {
                s.name == "widgets.created.v1 send" && about(s, id)
            })
            .await;
        let receive = spans
            .find("a receive span", |s| {
                s.name == "widgets.created.v1 receive" && about(s, id)
            })
            .await;
        assert_eq!(receive.span_kind, SpanKind::Consumer);
        assert_eq!(text(&receive, "messaging.operation.type"), "receive");
        // The child of its own producer, in its own trace, linked to the batch.
        assert_eq!(receive.parent_span_id, send.span_context.span_id());
        assert_eq!(
            receive.span_context.trace_id(),
            send.span_context.trace_id()
        );
        assert!(linked(&receive), "{:?}", receive.links);
        // What became of the message is on its own span.
        assert_eq!(exception(&receive).0, "polyn::Error::Handler");
    }
    let invalid = spans
        .find("the invalid message's receive span", |s| {
            s.name == "widgets.created.v1 receive"
                && linked(s)
                && s.events.iter().any(|event| event.name == "exception")
                && exception(s).0 == "polyn::Error::Validation"
        })
        .await;
    assert_eq!(invalid.span_kind, SpanKind::Consumer);
}
