//! `#[polyn::handler]`: use it through the `polyn` crate, which re-exports
//! it (default feature `macros`).
//!
//! The entry point below is one line; the work is done in plain modules,
//! named after the stages of the expansion and unit-tested without a
//! compiler: `attr` (options), `ast` (the function's shape), `names`
//! (naming rules, the schemas folder, suggestions) and `expand` (code and
//! fallback).

mod ast;
mod attr;
mod errors;
mod expand;
mod names;

use proc_macro::TokenStream;

/// Turns an `async fn` that takes a `polyn::Event<T>` into a handler that
/// `polyn::Client::serve` runs until shutdown.
///
/// ```no_run
/// # use serde::{Deserialize, Serialize};
/// # #[derive(Serialize, Deserialize)]
/// # pub struct WidgetsCreatedV1 { pub id: String }
/// # impl polyn::EventType for WidgetsCreatedV1 {
/// #     const NAME: &'static str = "widgets.created.v1";
/// #     const SCHEMA: &'static str = "{}";
/// # }
/// use polyn::{Context, Event, Outcome, State};
///
/// #[derive(Clone)]
/// struct Db;
///
/// /// Files new widgets with billing.
/// #[polyn::handler(source = "billing", concurrency = 8)]
/// async fn on_widget(
///     event: Event<WidgetsCreatedV1>,
///     ctx: Context,
///     State(db): State<Db>,
/// ) -> Result<(), std::io::Error> {
///     println!("widget {} on {} (delivery {})", event.data().id, ctx.subject(), ctx.delivered());
///     Ok(())
/// }
///
/// /// Greets new users; no Rust type needed.
/// #[polyn::handler(event = "user.created.v1")]
/// async fn on_user(event: Event) -> Outcome {
///     match event.data()["email"].as_str() {
///         Some(email) => { println!("welcome {email}"); Outcome::Ack }
///         None => Outcome::Term,
///     }
/// }
///
/// async fn run(client: polyn::Client, shutdown: impl Future<Output = ()> + Send) -> Result<(), polyn::Error> {
///     client.serve_with(Db, &[&on_widget, &on_user], shutdown).await
/// }
/// ```
///
/// # The function
///
/// - It is an `async fn`, without generics or `self`.
/// - It takes exactly one event, `polyn::Event<T>`, where `T` is an event
///   type (`polyn::EventType`, generated from the `schemas` folder by
///   polyn-build), or a dynamic `polyn::Event` (`Event<serde_json::Value>`)
///   when the attribute names the event with `event = "..."`.
/// - It may also take a `polyn::Context` (subject, headers, delivery count,
///   in-progress signal) and a `polyn::State<S>` (a clone of the state given
///   to `Client::serve_with`), in any order, each at most once. Types are
///   recognised by their last path segment (`Event`, `Context`, `State`).
/// - It returns `()` (ack), `polyn::Outcome` (ack, nak with a delay, or
///   term), `Result<(), E>` or `Result<Outcome, E>` with `E: Display` (an
///   error naks with backoff and is logged): anything that implements
///   `polyn::IntoOutcome`.
///
/// # Options
///
/// | option | meaning |
/// |---|---|
/// | `event = "user.created.v1"` | the event of a dynamic `polyn::Event`; checked at compile time against the schema files (`**/*.json`, named by file stem) of the first `schemas` folder found in the crate's folder or its parents |
/// | `schemas = "path"` | the schemas folder for `event`, relative to the crate's `Cargo.toml` |
/// | `source = "billing"` | refines the consumer name (`<source_root>_<source>_<event>`); lowercase alphanumeric tokens separated by `.` or `:` |
/// | `consumer = "..."`, `stream = "..."` | bind this durable consumer, in this stream, instead of the conventional ones |
/// | `concurrency = 8` | messages handled at once (at least 1) |
/// | `batch = 16` | messages per pull (at least 1; default: the concurrency) |
/// | `core` | receive on core NATS (no stream, no acknowledgement) instead of a pull consumer; `source`, `consumer`, `stream`, `concurrency` and `batch` do not apply |
/// | `queue_group = "workers"` | with `core`: join this queue group |
/// | `crate = "path::to::polyn"` | where the `polyn` crate is, when it is renamed or re-exported (default `::polyn`) |
///
/// # What it generates
///
/// A unit struct with the function's name and visibility (the function's
/// docs go on it), implementing `polyn::Handler<S>` for the state type `S`
/// of its `State<S>` argument, or for every `S` when it takes none, so it
/// works with both `Client::serve` and `Client::serve_with`. Serve it by
/// name: `client.serve(&[&on_a, &on_b], shutdown)`.
///
/// The function itself stays callable, as `on_widget::call(event, ctx,
/// State(db)).await`, for unit tests. Its other attributes (such as
/// `#[tracing::instrument]`) stay on it.
///
/// # Errors
///
/// Mistakes are reported at compile time, each once, on the code at fault:
/// a function that is not `async`, is generic or takes `self`; a missing,
/// second or unsupported argument; unknown, duplicate or malformed options;
/// an event name that breaks the naming rule or has no schema (with a "did
/// you mean" suggestion); a `T` that is not an event type; a return type
/// that is not an outcome; a future that is not `Send`.
#[proc_macro_attribute]
pub fn handler(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::handler(args.into(), item.into()).into()
}
