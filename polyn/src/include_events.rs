//! [`include_events!`](crate::include_events): brings the event types
//! `polyn-build` generated in `build.rs` into scope.

/// Includes the event types `polyn-build` generated from a `schemas` folder.
///
/// With no argument it includes `$OUT_DIR/polyn_events.rs`, the default file
/// of `polyn_build::compile_schemas`; with a file name it includes that file
/// of `OUT_DIR` (for `polyn_build::configure().file_name(..)`).
///
/// ```ignore
/// // build.rs: polyn_build::compile_schemas("schemas").unwrap_or_else(|e| panic!("{e}"));
/// pub mod events {
///     polyn::include_events!();
/// }
///
/// # async fn run(client: polyn::Client) -> Result<(), polyn::Error> {
/// client
///     .publish(events::WidgetsCreatedV1 { id: "w1".into(), name: "Sprocket".into() })
///     .await?;
/// # Ok(()) }
/// ```
#[macro_export]
macro_rules! include_events {
    () => {
        include!(concat!(env!("OUT_DIR"), "/polyn_events.rs"));
    };
    ($file:literal) => {
        include!(concat!(env!("OUT_DIR"), "/", $file));
    };
}
