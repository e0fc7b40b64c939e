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

use events::WidgetsCreatedV1;
use polyn::{Handler, HandlerSpec, Outcome};

/// A handler error.
#[derive(Debug)]
pub struct Failed;

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("failed")
    }
}

/// Handlers in a module, with every kind of visibility.
pub mod handlers {
    use super::{Failed, WidgetsCreatedV1};
    use polyn::{Event, Outcome};

    /// Pull options.
    #[polyn::handler(source = "orders:new.fast", consumer = "my_consumer", stream = "WIDGETS")]
    pub async fn pull(_event: Event<WidgetsCreatedV1>) -> Result<Outcome, Failed> {
        Ok(Outcome::nak_after(std::time::Duration::from_secs(1)))
    }

    /// Core NATS in a queue group.
    #[polyn::handler(core, queue_group = "workers")]
    pub(crate) async fn core_grouped(_event: Event<WidgetsCreatedV1>) {}

    /// Core NATS, no group; a dynamic event spelled out.
    #[polyn::handler(event = "money.amount.v1", core)]
    pub(super) async fn core_alone(_event: Event<serde_json::Value>, _ctx: polyn::Context) {}
}

/// Attributes stay where they belong; a renamed crate path.
#[polyn::handler(crate = "reexport::polyn", batch = 1usize)]
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

mod reexport {
    pub(crate) use ::polyn;
}

fn main() {
    let spec = |handler: &dyn Handler| handler.spec();
    assert_eq!(
        spec(&handlers::pull),
        HandlerSpec::new("widgets.created.v1")
            .source("orders:new.fast")
            .stream("WIDGETS")
            .consumer("my_consumer")
    );
    assert_eq!(
        spec(&handlers::core_grouped),
        HandlerSpec::new("widgets.created.v1").core(Some("workers".into()))
    );
    assert_eq!(spec(&handlers::core_alone), HandlerSpec::new("money.amount.v1").core(None));
    assert_eq!(
        Handler::<usize>::spec(&renamed),
        HandlerSpec::new("widgets.created.v1").batch(1)
    );

    // Generated handlers are plain values: copied, debugged, shared.
    let shared: std::sync::Arc<dyn Handler<usize>> = Handler::<usize>::shared(&renamed);
    assert_eq!(shared.spec().batch, Some(1));
    assert_eq!(format!("{:?}", handlers::pull), "pull");
    let _ = Outcome::Ack;
}
