//! Operator commands on a running system: `polyn pub` publishes one
//! validated event, `polyn sub` prints the events of a message as they
//! arrive, each decoded and validated against the schema store.

use futures_util::StreamExt as _;
use polyn::{Client, Event, PublishOptions};
use serde_json::{Value, json};

use crate::{Settings, config};

/// `polyn pub NAME JSON [--source S]`: validates the event and publishes it
/// to the stream capturing its subject, waiting for the acknowledgement.
pub(crate) async fn publish(
    settings: &Settings,
    name: &str,
    data: &str,
    source: Option<&str>,
) -> Result<(), String> {
    polyn::naming::validate_message_name(name).map_err(|err| one_line(&err))?;
    let data = parse_data(data)?;
    let client = connect(settings).await?;
    let mut options = PublishOptions::new();
    if let Some(source) = source {
        options = options.source(source);
    }
    let pending = client
        .publish_pipelined(name, data, options)
        .await
        .map_err(|err| one_line(&err))?;
    let id = pending.id().to_owned();
    let ack = pending.await.map_err(|err| one_line(&err))?;
    if settings.json {
        println!(
            "{}",
            json!({"id": id, "stream": ack.stream, "sequence": ack.sequence,
                   "duplicate": ack.duplicate})
        );
    } else {
        let duplicate = if ack.duplicate {
            " (a duplicate: the stream had stored this id already)"
        } else {
            ""
        };
        println!(
            "published {name} event {id} to stream {} at sequence {}{duplicate}",
            ack.stream, ack.sequence
        );
    }
    Ok(())
}

/// The event's `data`, from the `JSON` argument.
fn parse_data(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|err| {
        format!(
            "the JSON argument (the event's data) is not valid JSON: {err}; give the data as one \
             quoted argument, e.g. '{{\"id\": \"w1\"}}'"
        )
    })
}

/// A client with the CLI's settings, the schema store loaded.
async fn connect(settings: &Settings) -> Result<Client, String> {
    Client::connect(config(settings)?)
        .await
        .map_err(|err| one_line(&err))
}

/// `polyn sub NAME [--count N]`: prints the events of the message `NAME` as
/// they arrive on core NATS, each decoded and validated, until `count`
/// messages (valid or not) have arrived, or until Ctrl-C.
///
/// It listens on the raw subjects itself, rather than through a Polyn
/// subscriber, so that both the bare name (as every client publishes it)
/// and the name with an identity token are heard, whatever the schema says.
pub(crate) async fn subscribe(
    settings: &Settings,
    name: &str,
    count: Option<u64>,
) -> Result<(), String> {
    polyn::naming::validate_message_name(name).map_err(|err| one_line(&err))?;
    let config = config(settings)?;
    let nats = config.connect_nats().await.map_err(|err| one_line(&err))?;
    let client = Client::with_nats(config, nats.clone())
        .await
        .map_err(|err| one_line(&err))?;
    let name = client.config().message_name(name).to_owned();
    let subjects = subjects(&name);
    let mut listening = Vec::with_capacity(subjects.len());
    for subject in &subjects {
        let subscriber = nats
            .subscribe(subject.clone())
            .await
            .map_err(|err| format!("cannot subscribe to `{subject}`: {err}"))?;
        listening.push(subscriber);
    }
    let mut messages = futures_util::stream::select_all(listening);
    // Once the server has the subscriptions, nothing published after this
    // line is missed. A flush only writes them; a request nobody answers
    // comes back ("no responders") after the server processed them.
    let ping = format!("_POLYN.PING.{}", nats.new_inbox().replace('.', "_"));
    let request =
        polyn::async_nats::Request::new().timeout(Some(std::time::Duration::from_secs(5)));
    match nats.send_request(ping, request).await {
        Ok(_) => {}
        Err(err)
            if matches!(
                err.kind(),
                polyn::async_nats::RequestErrorKind::NoResponders
            ) => {}
        Err(err) => return Err(format!("cannot reach NATS to subscribe: {err}")),
    }
    eprintln!("listening on {}", subjects.join(", "));

    let mut seen = 0;
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    while count.is_none_or(|count| seen < count) {
        let message = tokio::select! {
            message = messages.next() => message,
            _ = &mut interrupted => return Ok(()),
        };
        let Some(message) = message else {
            return Err(format!(
                "the connection to NATS closed while listening on {}",
                subjects.join(", ")
            ));
        };
        seen += 1;
        let subject = message.subject.as_str();
        match client.deserialize(&message.payload) {
            Ok(event) => print_event(settings, subject, &event)?,
            Err(err) if settings.json => {
                println!("{}", json!({"subject": subject, "invalid": one_line(&err)}));
            }
            Err(err) => println!("invalid: {}", one_line(&err)),
        }
    }
    Ok(())
}

/// The subjects a message's events arrive on: its name, and its name with
/// more tokens (identity values).
fn subjects(name: &str) -> [String; 2] {
    [name.to_owned(), format!("{name}.>")]
}

/// One line for a valid event: JSON (the subject and the whole event), or
/// its id, type, subject and data.
fn print_event(settings: &Settings, subject: &str, event: &Event<Value>) -> Result<(), String> {
    if settings.json {
        let event = event.to_json().map_err(|err| one_line(&err))?;
        println!("{}", json!({"subject": subject, "event": event}));
    } else {
        println!(
            "{} {} on {subject}: {}",
            event.id(),
            event.event_type(),
            event.data()
        );
    }
    Ok(())
}

/// An error's text on one line: its lines joined with `; ` (a line ending
/// in `:` runs on into the next).
pub(crate) fn one_line(err: &dyn std::fmt::Display) -> String {
    let text = err.to_string();
    let mut line = String::with_capacity(text.len());
    for part in text.lines().map(str::trim).filter(|part| !part.is_empty()) {
        if !line.is_empty() {
            line.push_str(if line.ends_with(':') { " " } else { "; " });
        }
        line.push_str(part);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_fit_on_one_line() {
        assert_eq!(
            one_line(
                &"Polyn was unable to decode the following message: \nnot json\nexpected value"
            ),
            "Polyn was unable to decode the following message: not json; expected value"
        );
        assert_eq!(
            one_line(&"Polyn event 1 from a is not valid\nProperty: `#/data` - x\nEvent data: {}"),
            "Polyn event 1 from a is not valid; Property: `#/data` - x; Event data: {}"
        );
        assert_eq!(one_line(&"plain"), "plain");
    }

    #[test]
    fn data_must_be_json() {
        assert_eq!(parse_data(r#"{"id": "w1"}"#), Ok(json!({"id": "w1"})));
        let err = parse_data("{id: w1}").unwrap_err();
        assert!(err.starts_with("the JSON argument (the event's data) is not valid JSON: key must be a string at line 1 column 2"), "{err}");
    }

    #[test]
    fn events_are_heard_with_and_without_identity() {
        assert_eq!(
            subjects("user.created.v1"),
            ["user.created.v1", "user.created.v1.>"]
        );
    }
}
