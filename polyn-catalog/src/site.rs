//! The site around the message pages: the index with its search, the
//! style sheet, the search script, and the skeleton every page shares.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::html::escape;
use crate::message::Message;
use crate::model::Model;

/// The style sheet: readable on a phone, dark text on a light background,
/// long names wrapping, wide tables and code scrolling sideways.
const STYLE: &str = include_str!("site/style.css");

/// The search: filters the index as you type, over message names and
/// property paths, starting from `?q=` or `#q=` in the URL.
const SEARCH: &str = include_str!("site/search.js");

/// The index, the style sheet and the search script, by path.
pub(crate) fn files(model: &Model) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    files.insert("index.html".to_owned(), index(model));
    files.insert("style.css".to_owned(), STYLE.to_owned());
    files.insert("search.js".to_owned(), SEARCH.to_owned());
    files
}

/// A whole page: `root` is the relative path back to the site folder
/// (`""` or `"../"`).
pub(crate) fn document(title: &str, root: &str, body: &str, script: bool) -> String {
    let script = if script {
        format!("<script src=\"{root}search.js\"></script>\n")
    } else {
        String::new()
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<link rel=\"stylesheet\" href=\"{root}style.css\">\n</head>\n\
         <body>\n{body}{script}</body>\n</html>\n",
        title = escape(title),
    )
}

/// `index.html`: every message by base name and version, with the search.
fn index(model: &Model) -> String {
    let mut body = String::new();
    let services: Vec<&str> = {
        let mut services: Vec<&str> = model
            .manifests
            .iter()
            .map(|manifest| manifest.service.as_str())
            .collect();
        services.sort_unstable();
        services.dedup();
        services
    };
    let _ = write!(
        body,
        "<header>\n<h1>{}</h1>\n<p class=\"lead\">{} · {} · {}. \
         <a href=\"asyncapi.json\">AsyncAPI 3.0.0 document</a></p>\n</header>\n<main>\n",
        escape(&model.title),
        count(model.messages.len(), "message"),
        count(model.topology.streams().count(), "stream"),
        count(services.len(), "service"),
    );
    body.push_str(
        "<form id=\"search-form\" role=\"search\" action=\"index.html\" method=\"get\">\n\
         <label for=\"search\">Search message and property names</label>\n\
         <input id=\"search\" name=\"q\" type=\"search\" autocomplete=\"off\" spellcheck=\"false\" \
         placeholder=\"amount, customer.email, widgets\">\n</form>\n",
    );
    let _ = writeln!(
        body,
        "<p id=\"search-status\" aria-live=\"polite\" data-total=\"{total}\" data-shown=\"{total}\">{}</p>\n\
         <p id=\"no-results\" hidden>No message name or property name matches.</p>",
        count(model.messages.len(), "message"),
        total = model.messages.len(),
    );
    body.push_str("<ul id=\"messages\" class=\"groups\">\n");
    for (base, versions) in model.groups() {
        let _ = writeln!(
            body,
            "<li class=\"group\" data-base=\"{base}\">\n<h2><code>{base}</code></h2>\n<ul class=\"versions\">",
            base = escape(base)
        );
        for message in versions {
            entry(&mut body, model, message);
        }
        body.push_str("</ul>\n</li>\n");
    }
    body.push_str("</ul>\n");
    streams(&mut body, model);
    services_table(&mut body, model);
    body.push_str("</main>\n");
    let _ = writeln!(
        body,
        "<footer><p>Built by polyn-catalog from {}, {} and {}.</p></footer>",
        count(
            model
                .messages
                .values()
                .filter(|message| message.schema.is_some())
                .count(),
            "schema"
        ),
        if model.has_migrations {
            "migrations"
        } else {
            "no migrations"
        },
        count(model.manifests.len(), "manifest"),
    );
    document(&format!("{} — event catalog", model.title), "", &body, true)
}

/// One message in the index.
fn entry(body: &mut String, model: &Model, message: &Message) {
    let mut properties: Vec<&str> = Vec::new();
    for row in &message.rows {
        if !properties.contains(&row.path.as_str()) {
            properties.push(&row.path);
        }
    }
    let version = message
        .version
        .map(|version| format!(" <span class=\"version\">v{version}</span>"))
        .unwrap_or_default();
    let _ = writeln!(
        body,
        "<li class=\"message\" data-name=\"{name}\" data-properties=\"{properties}\">\n\
         <a class=\"message-link\" href=\"{href}\"><code>{name}</code></a>{version}{no_schema}",
        name = escape(&message.name),
        properties = escape(&properties.join(" ")),
        href = escape(&crate::page::path(&message.name)),
        no_schema = if message.schema.is_none() {
            " <span class=\"badge no-schema\">no schema</span>"
        } else {
            ""
        },
    );
    if let Some(description) = &message.description {
        let _ = writeln!(
            body,
            "<p class=\"description\">{}</p>",
            escape(first_line(description))
        );
    }
    let publishers: Vec<String> = message
        .publishers
        .iter()
        .map(|publisher| format!("<b>{}</b>", escape(&publisher.service)))
        .collect();
    let mut consumers: Vec<String> = Vec::new();
    for handler in &message.handlers {
        let text = format!(
            "<b>{}</b> ({})",
            escape(&handler.service),
            escape(&handler.handled.kind)
        );
        if !consumers.contains(&text) {
            consumers.push(text);
        }
    }
    let streams: Vec<String> = model
        .carrying(message)
        .iter()
        .map(|(stream, _)| format!("<code>{}</code>", escape(&stream.name)))
        .collect();
    body.push_str("<p class=\"who\">");
    let _ = write!(
        body,
        "<span class=\"publishers\">Published by {}</span>; \
         <span class=\"consumers\">consumed by {}</span>",
        list_or(&publishers, "no known service"),
        list_or(&consumers, "no known service"),
    );
    if !streams.is_empty() {
        let _ = write!(
            body,
            "; <span class=\"streams\">stored in {}</span>",
            streams.join(", ")
        );
    }
    body.push_str(".</p>\n<p class=\"matched\" hidden></p>\n</li>\n");
}

/// The streams the migrations leave, with what they carry.
fn streams(body: &mut String, model: &Model) {
    body.push_str("<section id=\"streams\">\n<h2>Streams</h2>\n");
    if model.topology.streams().next().is_none() {
        body.push_str(if model.has_migrations {
            "<p>The migrations leave no stream.</p>\n</section>\n"
        } else {
            "<p>No migrations were given, so no streams are known.</p>\n</section>\n"
        });
        return;
    }
    body.push_str(
        "<div class=\"table-wrap\"><table class=\"streams\">\n<thead><tr><th>Stream</th>\
         <th>Subjects</th><th>Consumers</th><th>Messages</th></tr></thead>\n<tbody>\n",
    );
    for stream in model.topology.streams() {
        let subjects: Vec<String> = stream
            .subjects()
            .iter()
            .map(|subject| format!("<code>{}</code>", escape(subject)))
            .collect();
        let consumers: Vec<String> = stream
            .consumers
            .keys()
            .map(|name| format!("<code>{}</code>", escape(name)))
            .collect();
        let messages: Vec<String> = model
            .carried_by(stream)
            .iter()
            .map(|message| {
                format!(
                    "<a href=\"{}\"><code>{}</code></a>",
                    escape(&crate::page::path(&message.name)),
                    escape(&message.name)
                )
            })
            .collect();
        let _ = writeln!(
            body,
            "<tr class=\"stream\" data-stream=\"{name}\"><td><code>{name}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            list_or(&subjects, "created elsewhere"),
            list_or(&consumers, "none"),
            list_or(&messages, "none in this catalog"),
            name = escape(&stream.name),
        );
    }
    body.push_str("</tbody>\n</table></div>\n</section>\n");
}

/// The services the manifests describe.
fn services_table(body: &mut String, model: &Model) {
    body.push_str("<section id=\"services\">\n<h2>Services</h2>\n");
    if model.manifests.is_empty() {
        body.push_str("<p>No service manifests were given.</p>\n</section>\n");
        return;
    }
    body.push_str(
        "<div class=\"table-wrap\"><table class=\"services\">\n<thead><tr><th>Service</th>\
         <th>Domain</th><th>Publishes</th><th>Handles</th></tr></thead>\n<tbody>\n",
    );
    for manifest in &model.manifests {
        let link = |name: &str| {
            format!(
                "<a href=\"{}\"><code>{}</code></a>",
                escape(&crate::page::path(name)),
                escape(name)
            )
        };
        let publishes: Vec<String> = manifest.publishes.iter().map(|name| link(name)).collect();
        let handles: Vec<String> = manifest
            .handles
            .iter()
            .map(|handled| format!("{} ({})", link(&handled.message), escape(&handled.kind)))
            .collect();
        let _ = writeln!(
            body,
            "<tr class=\"service\" data-service=\"{service}\"><td><code>{service}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            escape(&manifest.domain),
            list_or(&publishes, "nothing"),
            list_or(&handles, "nothing"),
            service = escape(&manifest.service),
        );
    }
    body.push_str("</tbody>\n</table></div>\n</section>\n");
}

/// `n thing` or `n things`.
pub(crate) fn count(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// The items joined by commas, or `none` (plain text) when there are none.
pub(crate) fn list_or(items: &[String], none: &str) -> String {
    if items.is_empty() {
        escape(none)
    } else {
        items.join(", ")
    }
}

/// The first line of a text, for one-line summaries.
pub(crate) fn first_line(text: &str) -> &str {
    text.lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("")
        .trim()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sources;
    use serde_json::json;

    #[test]
    fn pages_are_phone_readable_and_local() {
        let page = document("A <b> title", "../", "<p>x</p>\n", true);
        assert!(
            page.contains(
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            )
        );
        assert!(page.contains("<title>A &lt;b&gt; title</title>"));
        assert!(page.contains("href=\"../style.css\""));
        assert!(page.contains("src=\"../search.js\""));
        assert!(!page.contains("http://") && !page.contains("https://"));
    }

    #[test]
    fn the_style_wraps_text_and_scrolls_wide_tables() {
        assert!(STYLE.contains("overflow-wrap: break-word"));
        assert!(STYLE.contains(".table-wrap") && STYLE.contains("overflow-x: auto"));
        assert!(STYLE.contains("[hidden]"));
    }

    #[test]
    fn the_search_reads_the_query_from_the_url_and_hides_what_does_not_match() {
        for needed in [
            "location.search",
            "location.hash",
            "getElementById(\"search\")",
            "data-properties",
            "setAttribute(\"hidden\"",
            "addEventListener(\"input\"",
        ] {
            assert!(SEARCH.contains(needed), "search.js lacks {needed}");
        }
        assert!(!SEARCH.contains("http"), "the search fetches nothing");
    }

    #[test]
    fn index_entries_carry_names_and_property_paths_escaped() {
        let catalog = Sources::new("<Acme>")
            .schema(
                "widgets.created.v1",
                json!({
                    "description": "<script>alert(1)</script>\nMore text",
                    "type": "object",
                    "properties": { "a\"b": { "type": "object", "properties": { "c": {"type": "string"} } } }
                }),
            )
            .build()
            .expect("builds");
        let index = &catalog.files()["index.html"];
        assert!(index.contains(
            "<li class=\"message\" data-name=\"widgets.created.v1\" data-properties=\"a&quot;b a&quot;b.c\">"
        ));
        assert!(index.contains("<h1>&lt;Acme&gt;</h1>"));
        assert!(
            index.contains("<p class=\"description\">&lt;script&gt;alert(1)&lt;/script&gt;</p>")
        );
        assert!(!index.contains("<script>alert"));
        assert!(index.contains("<input id=\"search\""));
        assert!(index.contains("href=\"events/widgets.created.v1.html\""));
    }

    #[test]
    fn words_and_lists() {
        assert_eq!(count(1, "stream"), "1 stream");
        assert_eq!(count(0, "stream"), "0 streams");
        assert_eq!(list_or(&[], "a < b"), "a &lt; b");
        assert_eq!(list_or(&["x".to_owned(), "y".to_owned()], "-"), "x, y");
        assert_eq!(first_line("\n  first \nsecond"), "first");
    }
}
