//! An event catalog for Polyn services: which messages exist, what is in
//! them, which streams carry them and which services publish and consume
//! them.
//!
//! [`Sources`] takes the message schemas (as in `schemas/<name>.json`), the
//! services' migrations and their manifests
//! ([`polyn::manifest::Manifest`]); [`Sources::build`] turns them into a
//! [`Catalog`]:
//!
//! - a static site that works from the file system, with no network:
//!   `index.html` (every message by base name and version, with a search
//!   over message and property names that also reads `?q=` or `#q=` from
//!   the URL), one page per message under `events/` (its properties as a
//!   table, an example CloudEvent that satisfies the schema, the streams
//!   and consumers carrying it, the services publishing and handling it,
//!   what would break against its previous version, and the schema),
//!   `style.css` and `search.js`;
//! - an AsyncAPI 3.0.0 document, `asyncapi.json`.
//!
//! # The site's markup
//!
//! Tests and scripts can rely on these:
//!
//! - `index.html`: the box `<input id="search" name="q">` in
//!   `<form id="search-form">`; each base name a `<li class="group"
//!   data-base="widgets.created">` holding one `<li class="message"
//!   data-name="widgets.created.v1" data-properties="id name">` per version
//!   (`data-properties`: the property paths, space separated), with its link
//!   `<a class="message-link" href="events/widgets.created.v1.html">`, its
//!   `<p class="description">`, `<p class="who">` (who publishes and
//!   consumes it) and `<p class="matched">` (the properties a search
//!   matched); `<p id="search-status" data-total="6" data-shown="6">` and
//!   `<p id="no-results">`; the tables `<tr class="stream" data-stream>` and
//!   `<tr class="service" data-service>`.
//! - `search.js` runs on load: it reads the query from `#q=` (else `?q=`),
//!   puts it in the box (also as its `value` attribute), and gives every
//!   entry and group that does not match the `hidden` attribute. A query
//!   matches an entry when each of its words (case-insensitive) is part of
//!   the message name or of one of its property paths. Typing filters
//!   again and writes `#q=` into the URL; `data-shown` counts the matches,
//!   `<body data-query>` holds the query, and `<p id="no-results">` loses
//!   `hidden` when nothing matches. `chromium --headless --dump-dom
//!   'file:///…/index.html?q=amount'` shows the result.
//! - `events/<name>.html`: sections `#summary`, `#properties` (one `<tr
//!   class="property" data-path="customer.shipping_address.city">` per
//!   property, enum values as `<code class="enum-value">`), `#example`
//!   (`<pre class="example-event">`), `#streams` (`<article class="stream"
//!   data-stream>`, `<tr class="consumer" data-consumer>`), `#services`
//!   (`<li class="publisher" data-service>`, `<tr class="handler"
//!   data-service data-kind>`), `#compatibility` (`.compatibility` with
//!   `first`, `compatible`, `breaking` or `unknown`) and `#schema`.
//!
//! ```
//! use polyn_catalog::Sources;
//! use serde_json::json;
//!
//! let catalog = Sources::new("Acme events")
//!     .schema("orders.placed.v1", json!({
//!         "description": "A customer placed an order.",
//!         "type": "object",
//!         "properties": {
//!             "customer": {
//!                 "type": "object",
//!                 "properties": { "email": { "type": "string", "format": "email" } },
//!                 "required": ["email"]
//!             }
//!         },
//!         "required": ["customer"]
//!     }))
//!     .build()?;
//! let index = &catalog.files()["index.html"];
//! assert!(index.contains(r#"<li class="message" data-name="orders.placed.v1" data-properties="customer customer.email">"#));
//! let page = &catalog.files()["events/orders.placed.v1.html"];
//! assert!(page.contains(r#"<tr class="property" data-path="customer.email">"#));
//! assert!(page.contains("jane.doe@example.com"));
//! assert_eq!(catalog.asyncapi()["channels"]["orders.placed.v1"]["address"], "orders.placed.v1");
//! # Ok::<(), polyn_catalog::Error>(())
//! ```

mod asyncapi;
mod catalog;
mod envelope;
mod error;
mod example;
mod html;
mod message;
mod model;
mod page;
mod properties;
mod site;
mod sources;
mod topology;

pub use catalog::Catalog;
pub use error::Error;
pub use sources::Sources;
