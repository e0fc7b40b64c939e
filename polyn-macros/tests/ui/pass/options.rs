//! Every option, every argument and return shape, attributes, visibility
//! and a renamed crate path, under strict lints: the expansion is
//! lint-clean.
#![deny(
    warnings,
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    unused_qualifications,
    unused_lifetimes,
    single_use_lifetimes,
    trivial_casts,
    trivial_numeric_casts,
    unused_import_braces,
    rust_2018_idioms,
    unsafe_code
)]

#[path = "../events.rs"]
mod events;

use std::fmt;
use std::time::Duration;

use events::{CalcMultRequestV1, CalcMultResponseV1, WidgetsCreatedV1};
use polyn::{Handler, InvalidMessage, Outcome};
use polyn::consumer::{HandlerKind, HandlerSpec};

/// A handler error.
#[derive(Debug)]
pub struct Failed;

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("failed")
    }
}

impl std::error::Error for Failed {}

/// Logs rejected messages.
fn report_invalid(invalid: &InvalidMessage) {
    eprintln!("rejected {}: {}", invalid.subject, invalid.error);
}

/// Handlers in a module, with every kind of visibility.
pub mod handlers {
    use super::{CalcMultRequestV1, CalcMultResponseV1, Failed, WidgetsCreatedV1};
    use polyn::{Context, Event, Outcome};

    /// Pull options.
    #[polyn::handler(source = "orders:new.fast", consumer = "my_consumer", stream = "WIDGETS")]
    pub async fn pull(_event: Event<WidgetsCreatedV1>) -> Result<Outcome, Failed> {
        Ok(Outcome::nak_after(std::time::Duration::from_secs(1)))
    }

    /// Every runtime option of a pull consumer; the hook named by a path.
    #[polyn::handler(
        concurrency = 4,
        backoff = "250ms",
        max_backoff = "5m",
        keep_alive = false,
        allow_other_types,
        on_invalid = super::report_invalid
    )]
    pub async fn tuned(_event: Event<WidgetsCreatedV1>) {}

    /// Only a base: the cap is the default (60 s), or the base when longer.
    #[polyn::handler(backoff = "2s")]
    pub async fn slow_start(_event: Event<WidgetsCreatedV1>) {}

    /// Only a base, longer than the default cap.
    #[polyn::handler(backoff = "2m")]
    pub async fn slower(_event: Event<WidgetsCreatedV1>) {}

    /// Only a cap: the base is the default (1 s), or the cap when shorter.
    #[polyn::handler(max_backoff = "1h", keep_alive = true)]
    pub async fn capped(_event: Event<WidgetsCreatedV1>) {}

    /// Core NATS in a queue group, with a concurrency and a hook.
    #[polyn::handler(core, queue_group = "workers", concurrency = 16, on_invalid = crate::report_invalid)]
    pub(crate) async fn core_grouped(_event: Event<WidgetsCreatedV1>) {}

    /// Core NATS, no group; a dynamic event spelled out.
    #[polyn::handler(event = "money.amount.v1", core)]
    pub(super) async fn core_alone(_event: Event<serde_json::Value>, _ctx: Context) {}

    /// A request handler: answers with a typed reply.
    #[polyn::handler(queue_group = "calculators", concurrency = 4)]
    pub async fn multiply(
        event: Event<CalcMultRequestV1>,
        ctx: Context,
    ) -> Result<CalcMultResponseV1, Failed> {
        if ctx.subject().is_empty() {
            return Err(Failed);
        }
        let CalcMultRequestV1 { a, b } = *event.data();
        Ok(CalcMultResponseV1 { product: a * b })
    }

    /// A dynamic request, a `Result` alias, and a hook.
    #[polyn::handler(event = "calc.mult.request.v1", on_invalid = super::report_invalid)]
    pub async fn multiply_json(event: Event) -> std::io::Result<CalcMultResponseV1> {
        let factor = |name: &str| {
            event.data()[name]
                .as_i64()
                .ok_or_else(|| std::io::Error::other(format!("`{name}` is not an integer")))
        };
        Ok(CalcMultResponseV1 {
            product: factor("a")? * factor("b")?,
        })
    }
}

/// Attributes stay where they belong; a renamed crate path.
#[polyn::handler(crate = "reexport::polyn", batch = 1usize, backoff = "1s", max_backoff = "1s")]
#[cfg(not(any()))]
#[allow(clippy::unused_async)]
#[inline]
async fn renamed(
    event: polyn::Event<WidgetsCreatedV1>,
    polyn::State(limit): polyn::State<usize>,
) -> Result<(), Failed> {
    #![allow(unused_variables)]
    let unused = 1;
    if event.data().id.len() > limit { Err(Failed) } else { Ok(()) }
}

/// A request handler with state and a renamed crate path.
#[polyn::handler(crate = "reexport::polyn")]
async fn scaled(
    polyn::State(scale): polyn::State<usize>,
    event: polyn::Event<CalcMultRequestV1>,
) -> Result<CalcMultResponseV1, String> {
    let factor = i64::try_from(scale).map_err(|e| e.to_string())?;
    Ok(CalcMultResponseV1 {
        product: event.data().a * event.data().b * factor,
    })
}

mod reexport {
    pub(crate) use ::polyn;
}

/// The spec of a handler with an `on_invalid` hook, whose hook compares by
/// identity: every setting is compared through `Debug`, which shows
/// whether a hook is set.
fn assert_hooked(spec: &HandlerSpec, expected: &HandlerSpec) {
    assert!(spec.options.has_on_invalid(), "{spec:?}");
    assert!(expected.options.has_on_invalid(), "{expected:?}");
    assert_eq!(format!("{spec:?}"), format!("{expected:?}"));
}

fn main() {
    let spec = |handler: &dyn Handler| handler.spec();
    let secs = Duration::from_secs;
    assert_eq!(
        spec(&handlers::pull),
        HandlerSpec::new("widgets.created.v1")
            .source("orders:new.fast")
            .stream("WIDGETS")
            .consumer("my_consumer")
    );
    assert_hooked(
        &spec(&handlers::tuned),
        &HandlerSpec::new("widgets.created.v1")
            .concurrency(4)
            .backoff(Duration::from_millis(250), secs(300))
            .keep_alive(false)
            .allow_other_types()
            .on_invalid(report_invalid),
    );
    let tuned = spec(&handlers::tuned).options;
    assert_eq!(tuned.backoff_range(), (Duration::from_millis(250), secs(300)));
    assert!(!tuned.keeps_alive() && tuned.allows_other_types());
    assert_eq!(
        spec(&handlers::slow_start),
        HandlerSpec::new("widgets.created.v1").backoff(secs(2), secs(60))
    );
    assert_eq!(
        spec(&handlers::slower),
        HandlerSpec::new("widgets.created.v1").backoff(secs(120), secs(120))
    );
    assert_eq!(
        spec(&handlers::capped),
        HandlerSpec::new("widgets.created.v1")
            .backoff(secs(1), secs(3600))
            .keep_alive(true)
    );
    assert_hooked(
        &spec(&handlers::core_grouped),
        &HandlerSpec::new("widgets.created.v1")
            .core(Some("workers".into()))
            .concurrency(16)
            .on_invalid(report_invalid),
    );
    assert_eq!(spec(&handlers::core_alone), HandlerSpec::new("money.amount.v1").core(None));
    assert_eq!(
        spec(&handlers::multiply),
        HandlerSpec::new("calc.mult.request.v1")
            .request(Some("calculators".into()))
            .concurrency(4)
    );
    assert_eq!(spec(&handlers::multiply).kind, HandlerKind::Request);
    assert_hooked(
        &spec(&handlers::multiply_json),
        &HandlerSpec::new("calc.mult.request.v1")
            .request(None)
            .on_invalid(report_invalid),
    );
    assert_eq!(
        Handler::<usize>::spec(&renamed),
        HandlerSpec::new("widgets.created.v1")
            .batch(1)
            .backoff(secs(1), secs(1))
    );
    assert_eq!(
        Handler::<usize>::spec(&scaled),
        HandlerSpec::new("calc.mult.request.v1").request(None)
    );

    // Generated handlers are plain values: copied, debugged, served together.
    let copied = renamed;
    let served: [&dyn Handler<usize>; 3] = [&copied, &scaled, &handlers::multiply];
    assert_eq!(served[0].spec().options.batch_size(), Some(1));
    assert_eq!(format!("{:?}", handlers::pull), "pull");
    let _ = Outcome::Ack;
}
