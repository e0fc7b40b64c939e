//! The page of one message: description, properties, example event,
//! streams and consumers, services, compatibility and the schema itself.

use std::fmt::Write as _;

use serde_json::Value;

use crate::html::escape;
use crate::message::{Compatibility, Message, versions};
use crate::model::Model;
use crate::properties::Row;
use crate::site::{count, document, list_or};

/// Where the page of the message `name` is, relative to the site folder.
pub(crate) fn path(name: &str) -> String {
    format!("events/{name}.html")
}

/// The page of `message`.
pub(crate) fn page(model: &Model, message: &Message) -> String {
    let mut body = String::new();
    let name = escape(&message.name);
    let _ = write!(
        body,
        "<nav class=\"crumbs\"><a href=\"../index.html\">{}</a> › <code>{name}</code></nav>\n\
         <header>\n<h1><code>{name}</code></h1>\n",
        escape(&model.title),
    );
    match &message.description {
        Some(description) => {
            for paragraph in description.split("\n\n").filter(|p| !p.trim().is_empty()) {
                let _ = writeln!(
                    body,
                    "<p class=\"description\">{}</p>",
                    escape(paragraph.trim())
                );
            }
        }
        None if message.schema.is_some() => {
            body.push_str("<p class=\"description\">The schema has no description.</p>\n");
        }
        None => {}
    }
    version_links(&mut body, model, message);
    body.push_str("</header>\n<main>\n");
    facts(&mut body, message);
    properties(&mut body, message);
    example(&mut body, message);
    streams(&mut body, model, message);
    services(&mut body, model, message);
    compatibility(&mut body, message);
    schema(&mut body, message);
    body.push_str("</main>\n");
    document(
        &format!("{} — {}", message.name, model.title),
        "../",
        &body,
        false,
    )
}

fn version_links(body: &mut String, model: &Model, message: &Message) {
    let versions = versions(message, &model.messages);
    if versions.len() < 2 {
        return;
    }
    let links: Vec<String> = versions
        .iter()
        .map(|other| {
            let label = other
                .version
                .map_or_else(|| other.name.clone(), |version| format!("v{version}"));
            if other.name == message.name {
                format!("<strong aria-current=\"page\">{}</strong>", escape(&label))
            } else {
                format!(
                    "<a href=\"{}.html\">{}</a>",
                    escape(&other.name),
                    escape(&label)
                )
            }
        })
        .collect();
    let _ = writeln!(
        body,
        "<p class=\"versions\">Versions: {}</p>",
        links.join(" · ")
    );
}

fn facts(body: &mut String, message: &Message) {
    body.push_str("<section id=\"summary\">\n<dl class=\"facts\">\n");
    let _ = writeln!(
        body,
        "<dt>Subject</dt><dd><code>{}</code></dd>",
        escape(&message.subject())
    );
    let _ = writeln!(
        body,
        "<dt>CloudEvent type</dt><dd><code>{}</code></dd>",
        escape(&format!("{}.{}", message.domain, message.name))
    );
    if let Some(identity) = &message.identity {
        let _ = writeln!(
            body,
            "<dt>Identity</dt><dd>the value of <code>{}</code> ends the subject</dd>",
            escape(identity)
        );
    }
    match &message.schema {
        Some(_) => {
            if let Some(title) = &message.title {
                let _ = writeln!(body, "<dt>Schema title</dt><dd>{}</dd>", escape(title));
            }
        }
        None => body.push_str(
            "<dt>Schema</dt><dd><span class=\"badge no-schema\">no schema</span> a manifest \
             names this message, but no schema was given for it</dd>\n",
        ),
    }
    body.push_str("</dl>\n</section>\n");
}

fn properties(body: &mut String, message: &Message) {
    if message.schema.is_none() {
        return;
    }
    body.push_str("<section id=\"properties\">\n<h2>Properties</h2>\n");
    if message.rows.is_empty() {
        let kind = message
            .schema
            .as_ref()
            .map(|schema| crate::properties::types(schema, schema))
            .unwrap_or_default();
        let _ = writeln!(
            body,
            "<p>The schema lists no properties; the data is {}.</p>\n</section>",
            escape(&kind)
        );
        return;
    }
    body.push_str(
        "<div class=\"table-wrap\"><table class=\"properties\">\n<thead><tr><th>Property</th>\
         <th>Type</th><th>Required</th><th>Constraints</th><th>Description</th></tr></thead>\n<tbody>\n",
    );
    for row in &message.rows {
        property(body, row);
    }
    body.push_str("</tbody>\n</table></div>\n</section>\n");
}

fn property(body: &mut String, row: &Row) {
    let mut constraints: Vec<String> = row
        .constraints
        .iter()
        .map(|constraint| format!("<code>{}</code>", escape(constraint)))
        .collect();
    if !row.values.is_empty() {
        let values: Vec<String> = row
            .values
            .iter()
            .map(|value| {
                let text = match value {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                format!("<code class=\"enum-value\">{}</code>", escape(&text))
            })
            .collect();
        constraints.push(format!(
            "<span class=\"enum\">one of: {}</span>",
            values.join(", ")
        ));
    }
    let mut description = row.description.as_deref().map(escape).unwrap_or_default();
    if let Some(note) = &row.note {
        if !description.is_empty() {
            description.push_str("<br>");
        }
        let _ = write!(description, "<em class=\"note\">{}</em>", escape(note));
    }
    let _ = writeln!(
        body,
        "<tr class=\"property\" data-path=\"{path}\"><td class=\"path\"><code>{}</code></td><td>{}</td>\
         <td class=\"required\">{}</td><td class=\"constraints\">{}</td><td class=\"description\">{}</td></tr>",
        breakable(&row.path),
        escape(&row.types),
        if row.required { "required" } else { "optional" },
        constraints.join("<br>"),
        description,
        path = escape(&row.path),
    );
}

/// A property path, escaped, with a line break allowed after each `.`.
fn breakable(path: &str) -> String {
    escape(path).replace('.', ".<wbr>")
}

fn example(body: &mut String, message: &Message) {
    let (Some(event), Some(example)) = (&message.event, &message.example) else {
        return;
    };
    body.push_str("<section id=\"example\">\n<h2>Example event</h2>\n");
    let subject = match &message.identity {
        Some(identity) => match example.data.get(identity) {
            Some(Value::String(value)) => format!("{}.{value}", message.name),
            Some(value) => format!("{}.{value}", message.name),
            None => message.subject(),
        },
        None => message.name.clone(),
    };
    let _ = writeln!(
        body,
        "<p>The CloudEvent as Polyn sends it, on the subject <code>{}</code>, with data built \
         from the schema.</p>",
        escape(&subject)
    );
    if !example.problems.is_empty() {
        let problems: Vec<String> = example
            .problems
            .iter()
            .map(|problem| format!("<li>{}</li>", escape(problem)))
            .collect();
        let _ = writeln!(
            body,
            "<div class=\"problems\"><p>No example could be built that satisfies the schema:</p>\
             <ul>{}</ul></div>",
            problems.concat()
        );
    }
    let _ = writeln!(
        body,
        "<pre class=\"example-event\"><code>{}</code></pre>\n</section>",
        escape(&pretty(event))
    );
}

fn streams(body: &mut String, model: &Model, message: &Message) {
    body.push_str("<section id=\"streams\">\n<h2>Streams and consumers</h2>\n");
    let carrying = model.carrying(message);
    if carrying.is_empty() {
        body.push_str(if model.has_migrations {
            "<p>No stream the migrations leave captures its subject: JetStream does not store \
             it, so it can only be sent on core NATS (or a request).</p>\n"
        } else {
            "<p>No migrations were given, so the streams carrying it are not known.</p>\n"
        });
        body.push_str("</section>\n");
        return;
    }
    for (stream, consumers) in carrying {
        let name = escape(&stream.name);
        let _ = writeln!(
            body,
            "<article class=\"stream\" data-stream=\"{name}\">\n<h3>Stream <code>{name}</code></h3>"
        );
        let subjects: Vec<String> = stream
            .subjects()
            .iter()
            .map(|subject| format!("<code>{}</code>", escape(subject)))
            .collect();
        body.push_str("<dl class=\"facts\">\n");
        let _ = writeln!(
            body,
            "<dt>Subjects</dt><dd>{}</dd>",
            list_or(&subjects, "not known: the stream is created elsewhere")
        );
        for (label, value) in stream.settings() {
            let _ = writeln!(
                body,
                "<dt>{}</dt><dd>{}</dd>",
                escape(label),
                escape(&value)
            );
        }
        if let Some(file) = &stream.created_in {
            let _ = writeln!(
                body,
                "<dt>Created by</dt><dd><code>{}</code></dd>",
                escape(file)
            );
        }
        body.push_str("</dl>\n");
        if consumers.is_empty() {
            body.push_str("<p>No consumer on it delivers this message.</p>\n");
        } else {
            let _ = writeln!(
                body,
                "<p>{} on it {} this message:</p>",
                count(consumers.len(), "consumer"),
                if consumers.len() == 1 {
                    "delivers"
                } else {
                    "deliver"
                }
            );
            body.push_str(
                "<div class=\"table-wrap\"><table class=\"consumers\">\n<thead><tr><th>Consumer</th>\
                 <th>Filter</th><th>Settings</th><th>Created by</th></tr></thead>\n<tbody>\n",
            );
            for consumer in consumers {
                let filters: Vec<String> = consumer
                    .filters()
                    .iter()
                    .map(|filter| format!("<code>{}</code>", escape(filter)))
                    .collect();
                let settings: Vec<String> = consumer
                    .settings()
                    .iter()
                    .map(|(label, value)| format!("{}: {}", escape(label), escape(value)))
                    .collect();
                let _ = writeln!(
                    body,
                    "<tr class=\"consumer\" data-consumer=\"{name}\"><td><code>{name}</code></td>\
                     <td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                    list_or(&filters, "everything in the stream"),
                    settings.join("<br>"),
                    escape(&consumer.created_in),
                    name = escape(&consumer.name),
                );
            }
            body.push_str("</tbody>\n</table></div>\n");
        }
        body.push_str("</article>\n");
    }
    body.push_str("</section>\n");
}

fn services(body: &mut String, model: &Model, message: &Message) {
    body.push_str("<section id=\"services\">\n<h2>Services</h2>\n<h3>Published by</h3>\n");
    if message.publishers.is_empty() {
        body.push_str("<p class=\"publishers\">No manifest says it publishes this message.</p>\n");
    } else {
        body.push_str("<ul class=\"publishers\">\n");
        for publisher in &message.publishers {
            let source = format!("{}:{}", publisher.domain, publisher.service).replace('.', ":");
            let _ = writeln!(
                body,
                "<li class=\"publisher\" data-service=\"{service}\"><code>{service}</code> \
                 (source <code>{}</code>)</li>",
                escape(&source),
                service = escape(&publisher.service),
            );
        }
        body.push_str("</ul>\n");
    }
    body.push_str("<h3>Consumed by</h3>\n");
    if message.handlers.is_empty() {
        body.push_str("<p class=\"consumers\">No manifest says it handles this message.</p>\n");
    } else {
        body.push_str(
            "<div class=\"table-wrap\"><table class=\"handlers\">\n<thead><tr><th>Service</th>\
             <th>Handler</th><th>Through</th><th>Concurrency</th></tr></thead>\n<tbody>\n",
        );
        for handler in &message.handlers {
            let handled = &handler.handled;
            let kind = match handled.kind.as_str() {
                "pull" => "pull consumer",
                "core" => "core subscription",
                "request" => "request handler",
                other => other,
            };
            let mut through: Vec<String> = Vec::new();
            if let Some(consumer) = &handled.consumer {
                let mut text = format!("consumer <code>{}</code>", escape(consumer));
                match model.stream_of_consumer(consumer) {
                    Some(stream) => {
                        let _ = write!(text, " in stream <code>{}</code>", escape(&stream.name));
                    }
                    None if model.has_migrations => {
                        text.push_str(" <em class=\"note\">(not created by these migrations)</em>");
                    }
                    None => {}
                }
                through.push(text);
            }
            if let Some(stream) = &handled.stream {
                through.push(format!("stream <code>{}</code>", escape(stream)));
            }
            if let Some(source) = &handled.source {
                through.push(format!("source <code>{}</code>", escape(source)));
            }
            if let Some(group) = &handled.queue_group {
                through.push(format!("queue group <code>{}</code>", escape(group)));
            }
            if through.is_empty() {
                through.push(format!(
                    "subject <code>{}</code>",
                    escape(&message.subject())
                ));
            }
            let _ = writeln!(
                body,
                "<tr class=\"handler\" data-service=\"{service}\" data-kind=\"{}\"><td><code>{service}</code></td>\
                 <td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&handled.kind),
                escape(kind),
                through.join("<br>"),
                handled.concurrency,
                service = escape(&handler.service),
            );
        }
        body.push_str("</tbody>\n</table></div>\n");
    }
    body.push_str("</section>\n");
}

fn compatibility(body: &mut String, message: &Message) {
    body.push_str("<section id=\"compatibility\">\n<h2>Compatibility</h2>\n");
    let link = |name: &str| format!("<a href=\"{0}.html\"><code>{0}</code></a>", escape(name));
    match &message.compatibility {
        Compatibility::First => {
            body.push_str(
                "<p class=\"compatibility first\">This is the first version of \
                 this message: there is no earlier version to compare with.</p>\n",
            );
        }
        Compatibility::Unknown { previous } => {
            let _ = writeln!(
                body,
                "<p class=\"compatibility unknown\">The previous version is {}, but without both \
                 schemas the change cannot be compared.</p>",
                link(previous)
            );
        }
        Compatibility::Compatible { previous } => {
            let _ = writeln!(
                body,
                "<p class=\"compatibility compatible\"><span class=\"badge compatible\">compatible</span> \
                 Compared with {}: nothing would break. Every event valid under the previous \
                 schema is valid under this one, and consumers built from it accept this one's events.</p>",
                link(previous)
            );
        }
        Compatibility::Breaking { previous, changes } => {
            let _ = writeln!(
                body,
                "<div class=\"compatibility breaking\"><p><span class=\"badge breaking\">breaking</span> \
                 Compared with {}, {} would break events or consumers of the previous version:</p>\n<ul class=\"changes\">",
                link(previous),
                if changes.len() == 1 {
                    "this change"
                } else {
                    "these changes"
                }
            );
            for change in changes {
                let _ = writeln!(body, "<li>{}</li>", escape(change));
            }
            body.push_str("</ul></div>\n");
        }
    }
    body.push_str("</section>\n");
}

fn schema(body: &mut String, message: &Message) {
    let Some(schema) = &message.schema else {
        return;
    };
    let _ = writeln!(
        body,
        "<section id=\"schema\">\n<h2>JSON Schema</h2>\n<pre class=\"schema\"><code>{}</code></pre>\n</section>",
        escape(&pretty(schema))
    );
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

#[cfg(test)]
mod tests {
    use crate::Sources;
    use polyn::manifest::Manifest;
    use polyn::migration::Migrations;
    use serde_json::json;

    fn build(sources: Sources) -> std::collections::BTreeMap<String, String> {
        sources.build().expect("builds").files().clone()
    }

    #[test]
    fn long_paths_may_break_after_dots() {
        assert_eq!(super::breakable("a.b<c>"), "a.<wbr>b&lt;c&gt;");
    }

    #[test]
    fn text_from_a_schema_is_escaped_everywhere() {
        let files = build(Sources::new("t").schema(
            "widgets.created.v1",
            json!({
                "description": "<script>alert('d')</script>",
                "title": "<b>T</b>",
                "type": "object",
                "properties": {
                    "x": { "type": "string", "description": "<img src=x onerror=alert(1)>", "enum": ["<i>"] }
                }
            }),
        ));
        let page = &files["events/widgets.created.v1.html"];
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(!page.contains("<i>"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(&#39;d&#39;)&lt;/script&gt;"));
        assert!(page.contains("<code class=\"enum-value\">&lt;i&gt;</code>"));
    }

    #[test]
    fn the_compatibility_note_says_what_would_break() {
        let v1 =
            json!({"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]});
        let v2 = json!({"type": "object", "properties": {"id": {"type": "string"}, "n": {"type": "integer"}}, "required": ["id", "n"]});
        let v3 = json!({"type": "object", "properties": {"id": {"type": "string"}, "n": {"type": "integer"}, "m": {"type": "string"}}, "required": ["id", "n"]});
        let files = build(
            Sources::new("t")
                .schema("a.b.v1", v1)
                .schema("a.b.v2", v2)
                .schema("a.b.v3", v3),
        );
        assert!(files["events/a.b.v1.html"].contains("first version"));
        let v2 = &files["events/a.b.v2.html"];
        assert!(v2.contains("compatibility breaking"), "{v2}");
        assert!(v2.contains("<ul class=\"changes\">"));
        assert!(v2.contains("href=\"a.b.v1.html\""));
        let v3 = &files["events/a.b.v3.html"];
        assert!(v3.contains("compatibility compatible"), "{v3}");
        assert!(v3.contains("nothing would break"));
        assert!(v3.contains("<strong aria-current=\"page\">v3</strong>"));
    }

    #[test]
    fn streams_consumers_and_services_are_shown() {
        let migrations = Migrations::from_files([(
            "20260101000000_widgets.toml",
            "[[change]]\nop = \"create_stream\"\nname = \"WIDGETS\"\nsubjects = [\"widgets.>\"]\n\n\
             [[change]]\nop = \"create_consumer\"\nstream_name = \"WIDGETS\"\ndurable_name = \"shop_widgets_created_v1\"\n\
             filter_subject = \"widgets.created.v1\"\nack_policy = \"explicit\"\n",
        )])
        .expect("parses");
        let manifest = Manifest::from_json(
            r#"{"service": "shop", "domain": "com.acme", "publishes": ["widgets.created.v1"],
                "handles": [
                  {"message": "widgets.created.v1", "kind": "pull", "consumer": "shop_widgets_created_v1", "concurrency": 8},
                  {"message": "widgets.created.v1", "kind": "pull", "consumer": "missing_one", "concurrency": 1}
                ]}"#,
        )
        .expect("parses");
        let files = build(
            Sources::new("t")
                .schema("widgets.created.v1", json!({"type": "object"}))
                .migrations(&migrations)
                .manifest(manifest),
        );
        let page = &files["events/widgets.created.v1.html"];
        assert!(
            page.contains("<article class=\"stream\" data-stream=\"WIDGETS\">"),
            "{page}"
        );
        assert!(page.contains("<tr class=\"consumer\" data-consumer=\"shop_widgets_created_v1\">"));
        assert!(page.contains("Ack: explicit"));
        assert!(page.contains("<li class=\"publisher\" data-service=\"shop\">"));
        assert!(page.contains("source <code>com:acme:shop</code>"));
        assert!(page.contains(
            "consumer <code>shop_widgets_created_v1</code> in stream <code>WIDGETS</code>"
        ));
        assert!(page.contains("consumer <code>missing_one</code> <em class=\"note\">(not created by these migrations)</em>"));
        assert!(page.contains("<td>8</td>"));
    }

    #[test]
    fn a_message_no_stream_carries_says_so() {
        let migrations = Migrations::from_files([(
            "20260101000000_widgets.toml",
            "[[change]]\nop = \"create_stream\"\nname = \"WIDGETS\"\nsubjects = [\"widgets.>\"]\n",
        )])
        .expect("parses");
        let files = build(
            Sources::new("t")
                .schema("calc.mult.request.v1", json!({"type": "object"}))
                .migrations(&migrations),
        );
        assert!(files["events/calc.mult.request.v1.html"].contains("core NATS"));
    }
}
