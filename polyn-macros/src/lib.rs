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
mod embed;
mod errors;
mod expand;
mod names;

use proc_macro::TokenStream;

/// Turns an `async fn` that takes a `polyn::Event<T>` into a handler that
/// `polyn::Client::serve` runs until shutdown: a JetStream pull consumer
/// (the default), a core NATS subscription (`core`), or a request handler
/// (when it returns `Result<Reply, E>`).
///
/// ```no_run
/// # use serde::{Deserialize, Serialize};
/// # #[derive(Serialize, Deserialize)]
/// # pub struct WidgetsCreatedV1 { pub id: String }
/// # impl polyn::EventType for WidgetsCreatedV1 {
/// #     const NAME: &'static str = "widgets.created.v1";
/// #     const SCHEMA: &'static str = "{}";
/// # }
/// # #[derive(Serialize, Deserialize)]
/// # pub struct CalcMultRequestV1 { pub a: i64, pub b: i64 }
/// # impl polyn::EventType for CalcMultRequestV1 {
/// #     const NAME: &'static str = "calc.mult.request.v1";
/// #     const SCHEMA: &'static str = "{}";
/// # }
/// # #[derive(Serialize, Deserialize)]
/// # pub struct CalcMultResponseV1 { pub product: i64 }
/// # impl polyn::EventType for CalcMultResponseV1 {
/// #     const NAME: &'static str = "calc.mult.response.v1";
/// #     const SCHEMA: &'static str = "{}";
/// # }
/// use polyn::{Context, Event, InvalidMessage, Outcome, State};
///
/// #[derive(Clone)]
/// struct Db;
///
/// fn report(invalid: &InvalidMessage) {
///     eprintln!("rejected a message on {}: {}", invalid.subject, invalid.error);
/// }
///
/// /// Files new widgets with billing.
/// #[polyn::handler(source = "billing", concurrency = 8, backoff = "500ms", on_invalid = report)]
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
/// /// Answers `calc.mult.request.v1` requests.
/// #[polyn::handler(queue_group = "calculators")]
/// async fn multiply(event: Event<CalcMultRequestV1>) -> Result<CalcMultResponseV1, String> {
///     let CalcMultRequestV1 { a, b } = *event.data();
///     a.checked_mul(b)
///         .map(|product| CalcMultResponseV1 { product })
///         .ok_or_else(|| format!("{a} × {b} overflows"))
/// }
///
/// async fn run(client: polyn::Client, shutdown: impl Future<Output = ()> + Send) -> Result<(), polyn::Error> {
///     let stats = client.serve_with(Db, &[&on_widget, &on_user, &multiply], shutdown).await?;
///     println!("{:?}", stats.of("widgets.created.v1"));
///     Ok(())
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
/// - An event handler returns `()` (ack), `polyn::Outcome` (ack, nak with a
///   delay, or term), `Result<(), E>` or `Result<Outcome, E>` where
///   `E: Into<polyn::BoxError>` (any `std::error::Error + Send + Sync +
///   'static`, `String`, `anyhow::Error`...): an error naks with backoff and
///   is reported with its `source()` chain. Anything that implements
///   `polyn::IntoOutcome`.
/// - A request handler returns `Result<Reply, E>` (see below).
///
/// # Request handlers
///
/// A function that returns `Result<Reply, E>` (or a one-argument alias such
/// as `anyhow::Result<Reply>`), where `Reply` is neither `()` nor `Outcome`,
/// answers requests: `Reply` is an event type (`polyn::EventType`) and
/// `E: Into<polyn::BoxError>`. It receives the requests for its event on
/// core NATS, so it takes neither `core` nor the options of a pull
/// consumer; `queue_group`, `concurrency` and `on_invalid` apply.
///
/// Each `Ok` reply is validated against its schema and sent to the
/// requester. An invalid request, an invalid reply, an error or a panic is
/// reported (to `on_invalid` too) and answered with the
/// `Nats-Service-Error` and `Nats-Service-Error-Code` headers of NATS
/// services, so a Polyn requester (`Client::request`) gets
/// `polyn::Error::Remote` at once instead of a timeout.
///
/// # Options
///
/// | option | meaning |
/// |---|---|
/// | `event = "user.created.v1"` | the event of a dynamic `polyn::Event`; checked at compile time against the schema files (`**/*.json`, named by file stem, found as polyn-build finds them) of the folder the crate's build script compiled (`polyn_build::compile_schemas` tells the macro through `POLYN_SCHEMAS_DIR`); no parent folder is searched |
/// | `schemas = "path"` | the schemas folder for `event`, relative to the crate's `Cargo.toml` |
/// | `source = "billing"` | refines the consumer name (`<source_root>_<source>_<event>`); lowercase alphanumeric tokens separated by `.` or `:` |
/// | `consumer = "..."`, `stream = "..."` | bind this durable consumer, in this stream, instead of the conventional ones |
/// | `concurrency = 8` | messages handled at once (at least 1; default `polyn::consumer::DEFAULT_CONCURRENCY`), for every kind of handler |
/// | `batch = 16` | messages per pull (at least 1; default: half of the concurrency plus the prefetch) |
/// | `prefetch = 256` | messages fetched ahead of the handlers (default 256; see `polyn::HandlerOptions::prefetch`) |
/// | `backoff = "1s"` | the redelivery delay after an error or a panic, doubled per delivery (default 1 s); an integer followed by `ms`, `s`, `m` or `h` |
/// | `max_backoff = "60s"` | the longest redelivery delay (default 60 s, or `backoff` when longer; at least `backoff`) |
/// | `keep_alive = false` | whether a long-running handler tells the server it is still working, so the message is not redelivered meanwhile (default `true`) |
/// | `allow_other_types` | bind even when the consumer's filter captures other message types than the handler's (they are terminated and reported when they arrive); by default that is an error when binding |
/// | `on_invalid = path::to::hook` | a function `fn(&polyn::InvalidMessage)`, called with every message rejected (invalid, of another type, or not fitting `T`) or whose handler failed, for every kind of handler |
/// | `core` | receive on core NATS (no stream, no acknowledgement) instead of a pull consumer; `source`, `consumer`, `stream`, `batch`, `prefetch`, `backoff`, `max_backoff`, `keep_alive` and `allow_other_types` do not apply |
/// | `queue_group = "workers"` | with `core`, or on a request handler: join this queue group |
/// | `crate = "path::to::polyn"` | where the `polyn` crate is, when it is renamed or re-exported (default `::polyn`) |
///
/// # What it generates
///
/// A unit struct with the function's name and visibility (the function's
/// docs go on it), implementing `polyn::Handler<S>` for the state type `S`
/// of its `State<S>` argument, or for every `S` when it takes none, so it
/// works with both `Client::serve` and `Client::serve_with`. Serve it by
/// name: `client.serve(&[&on_a, &on_b], shutdown)`. Its `spec()` is the
/// `polyn::consumer::HandlerSpec` of the options; its `bind()` binds the function with
/// `polyn::consumer::Binder::pull`, `core` or `request`, decoding each event into `T`.
///
/// The function itself stays callable, as `on_widget::call(event, ctx,
/// State(db)).await`, for unit tests, with a context made by
/// `polyn::Context::new("subject")`:
///
/// ```
/// # use serde::{Deserialize, Serialize};
/// # #[derive(Serialize, Deserialize)]
/// # pub struct CalcMultRequestV1 { pub a: i64, pub b: i64 }
/// # impl polyn::EventType for CalcMultRequestV1 {
/// #     const NAME: &'static str = "calc.mult.request.v1";
/// #     const SCHEMA: &'static str = "{}";
/// # }
/// # #[derive(Serialize, Deserialize)]
/// # pub struct CalcMultResponseV1 { pub product: i64 }
/// # impl polyn::EventType for CalcMultResponseV1 {
/// #     const NAME: &'static str = "calc.mult.response.v1";
/// #     const SCHEMA: &'static str = "{}";
/// # }
/// use polyn::{Context, Event};
///
/// #[polyn::handler]
/// async fn multiply(event: Event<CalcMultRequestV1>, ctx: Context) -> Result<CalcMultResponseV1, String> {
///     assert_eq!(ctx.subject(), "calc.mult.request.v1");
///     let CalcMultRequestV1 { a, b } = *event.data();
///     Ok(CalcMultResponseV1 { product: a * b })
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().expect("a runtime").block_on(async {
/// let event = Event::new("com.test.calc.mult.request.v1", "com:test:tests", CalcMultRequestV1 { a: 6, b: 7 });
/// let reply = multiply::call(event, Context::new("calc.mult.request.v1")).await;
/// assert_eq!(reply.map(|reply| reply.product), Ok(42));
/// # });
/// ```
///
/// Its other attributes (such as `#[tracing::instrument]`) stay on it.
///
/// # Errors
///
/// Mistakes are reported at compile time, each once, on the code at fault:
/// a function that is not `async`, is generic or takes `self`; a missing,
/// second or unsupported argument; unknown, duplicate or malformed options
/// (such as a duration without its unit, or `backoff` above `max_backoff`);
/// options that do not apply to the kind of handler (`batch` with `core`,
/// `core` on a request handler); an event name that breaks the naming rule
/// or has no schema (with a "did you mean" suggestion); a `T` or a reply
/// that is not an event type; a return type that is not an outcome; an
/// `on_invalid` function of the wrong type; a future that is not `Send`.
#[proc_macro_attribute]
pub fn handler(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::handler(args.into(), item.into()).into()
}

/// A service's migration files (`*.toml` in the folder given, relative to
/// the crate's `Cargo.toml`; default `polyn/migrations`), baked into the
/// binary: a `Result<polyn::migration::Migrations, polyn::Error>`, so a release build
/// migrates itself with no files on the host. File names are checked at
/// compile time; their contents when the expression runs.
///
/// ```ignore
/// let migrations = polyn::migrations!("polyn/migrations")?;
/// polyn::migration::Migrator::new(migrations, config.source_root()).migrate(&nats).await?;
/// ```
///
/// A changed file rebuilds the crate; a new file is seen at the crate's
/// next build (a `build.rs` printing `cargo:rerun-if-changed=polyn/migrations`
/// makes that automatic).
#[proc_macro]
pub fn migrations(args: TokenStream) -> TokenStream {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map(std::path::PathBuf::from);
    embed::migrations(args.into(), manifest_dir.as_deref()).into()
}
