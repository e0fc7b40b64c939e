//! `polyn dlq`: the dead letters Polyn consumers leave in the stream
//! `POLYN_DEAD_LETTERS`, read straight from the stream (a message get per
//! dead letter; no consumer is created): list them, show one, replay the
//! originals after validating them again, and purge them.

use clap::Subcommand;
use polyn::async_nats::jetstream::{self, ErrorCode, stream};
use polyn::async_nats::{self, HeaderMap};
use polyn::dead_letter::{DEAD_LETTER_NAME, DEAD_LETTER_STREAM};
use polyn::{Client, Config, DeadLetter};
use serde_json::{Value, json};

use crate::operate::one_line;
use crate::{Settings, config};

/// How many characters of an error `polyn dlq list` shows.
const ERROR_WIDTH: usize = 120;

/// The `polyn dlq` commands.
#[derive(Debug, Subcommand)]
pub(crate) enum DlqCommand {
    /// One line per dead letter, oldest first.
    ///
    /// Each line: its sequence in `POLYN_DEAD_LETTERS`, when it was
    /// dead-lettered, the consumer, why (`exhausted`, `permanent` or
    /// `invalid`), how many times it was delivered, the original's subject,
    /// stream and sequence, and the first line of the error.
    ///
    /// Example: `polyn dlq list --consumer svc_orders_placed_v1 --limit 20`.
    List {
        /// Only the dead letters of this consumer.
        #[arg(long)]
        consumer: Option<String>,
        /// At most this many, the oldest first.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// One dead letter in full.
    ///
    /// The dead-letter event as pretty JSON, then its error chain.
    ///
    /// Example: `polyn dlq show 42`.
    Show {
        /// Its sequence in `POLYN_DEAD_LETTERS`, as `polyn dlq list` shows.
        #[arg(value_parser = clap::value_parser!(u64).range(1..))]
        sequence: u64,
    },
    /// Republish the original events of dead letters, validated again.
    ///
    /// Each original is validated against the schema store and, when
    /// valid, republished byte for byte to its original subject
    /// (`Nats-Msg-Id` `<event id>.replay.<sequence>`); its dead letter is
    /// then deleted. An invalid one is not replayed and stays, and the
    /// command fails once the others are replayed.
    ///
    /// Example: `polyn dlq replay 42 43`, or
    /// `polyn dlq replay --all --consumer svc_orders_placed_v1 --keep`.
    Replay {
        /// The dead letters' sequences in `POLYN_DEAD_LETTERS`.
        #[arg(
            required_unless_present = "all",
            conflicts_with = "all",
            value_parser = clap::value_parser!(u64).range(1..)
        )]
        sequences: Vec<u64>,
        /// Every dead letter (of `--consumer`, when given).
        #[arg(long)]
        all: bool,
        /// With `--all`: only the dead letters of this consumer.
        #[arg(long, requires = "all")]
        consumer: Option<String>,
        /// Keep the dead letters after replaying them (they are deleted by
        /// default).
        #[arg(long)]
        keep: bool,
    },
    /// Delete dead letters; prints how many were removed.
    ///
    /// The given ones, every dead letter of `--consumer`, or with `--all`
    /// every dead letter. It asks nothing first.
    ///
    /// Example: `polyn dlq purge 42 43`, or
    /// `polyn dlq purge --consumer svc_orders_placed_v1`.
    #[command(group(clap::ArgGroup::new("what").required(true).args(["sequences", "consumer", "all"])))]
    Purge {
        /// Every dead letter of this consumer.
        #[arg(long, conflicts_with = "sequences")]
        consumer: Option<String>,
        /// Every dead letter of every consumer.
        #[arg(long, conflicts_with_all = ["sequences", "consumer"])]
        all: bool,
        /// The dead letters' sequences in `POLYN_DEAD_LETTERS`.
        #[arg(value_parser = clap::value_parser!(u64).range(1..))]
        sequences: Vec<u64>,
    },
}

/// Runs a `polyn dlq` command.
pub(crate) async fn run(settings: &Settings, command: &DlqCommand) -> Result<(), String> {
    match command {
        DlqCommand::List { consumer, limit } => list(settings, consumer.as_deref(), *limit).await,
        DlqCommand::Show { sequence } => show(settings, *sequence).await,
        DlqCommand::Replay {
            sequences,
            all,
            consumer,
            keep,
        } => {
            let which = if *all {
                Which::All(consumer.as_deref())
            } else {
                Which::These(sequences)
            };
            replay(settings, which, *keep).await
        }
        DlqCommand::Purge {
            consumer,
            sequences,
            all: _,
        } => purge(settings, consumer.as_deref(), sequences).await,
    }
}

/// The dead-letter stream on the configured server.
struct Dlq {
    /// The CLI's configuration.
    config: Config,
    /// The connection.
    nats: async_nats::Client,
    /// Its JetStream context, for republishing.
    js: jetstream::Context,
    /// `POLYN_DEAD_LETTERS`.
    stream: stream::Stream,
}

impl Dlq {
    /// Connects and finds the stream: a missing one is an error saying how
    /// to create it.
    async fn open(settings: &Settings) -> Result<Dlq, String> {
        let config = config(settings)?;
        let nats = config.connect_nats().await.map_err(|err| one_line(&err))?;
        let js = jetstream::new(nats.clone());
        let stream = match js.get_stream(DEAD_LETTER_STREAM).await {
            Ok(stream) => stream,
            Err(err) => {
                let missing = matches!(
                    err.kind(),
                    jetstream::context::GetStreamErrorKind::JetStream(ref error)
                        if error.error_code() == ErrorCode::STREAM_NOT_FOUND
                );
                return Err(if missing {
                    format!(
                        "there is no dead-letter stream {DEAD_LETTER_STREAM} on {}: write its \
                         migration with `polyn gen dead-letters`, then run `polyn migrate`",
                        servers(&config)
                    )
                } else {
                    format!(
                        "cannot read the dead-letter stream {DEAD_LETTER_STREAM} on {}: {}",
                        servers(&config),
                        one_line(&err)
                    )
                });
            }
        };
        Ok(Dlq {
            config,
            nats,
            js,
            stream,
        })
    }

    /// The dead letter at `sequence`.
    async fn get(&self, sequence: u64) -> Result<Stored, String> {
        match self.stream.get_raw_message(sequence).await {
            Ok(message) => Ok(Stored::from(message)),
            Err(err) if err.kind() == stream::RawMessageErrorKind::NoMessageFound => Err(format!(
                "there is no dead letter at sequence {sequence} in {DEAD_LETTER_STREAM} on {}: \
                     `polyn dlq list` shows the sequences there",
                servers(&self.config)
            )),
            Err(err) => Err(format!(
                "cannot read dead letter {sequence} of {DEAD_LETTER_STREAM} on {}: {}",
                servers(&self.config),
                one_line(&err)
            )),
        }
    }

    /// The dead letters (of `consumer`), oldest first, at most `limit`.
    async fn list(
        &self,
        consumer: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<Stored>, String> {
        let filter = filter(consumer)?;
        let mut next = self.stream.cached_info().state.first_sequence.max(1);
        let mut letters = Vec::new();
        while limit.is_none_or(|limit| letters.len() < limit) {
            match self
                .stream
                .get_first_raw_message_by_subject(&filter, next)
                .await
            {
                Ok(message) => {
                    next = message.sequence + 1;
                    letters.push(Stored::from(message));
                }
                Err(err) if err.kind() == stream::RawMessageErrorKind::NoMessageFound => break,
                Err(err) => {
                    return Err(format!(
                        "cannot read the dead letters of {DEAD_LETTER_STREAM} on {} from \
                         sequence {next}: {}",
                        servers(&self.config),
                        one_line(&err)
                    ));
                }
            }
        }
        Ok(letters)
    }
}

/// The configured servers, for errors.
fn servers(config: &Config) -> String {
    config
        .servers()
        .iter()
        .map(|url| polyn::config::redact_url(url))
        .collect::<Vec<_>>()
        .join(",")
}

/// The subject of the dead letters of `consumer`, or of all of them.
fn filter(consumer: Option<&str>) -> Result<String, String> {
    match consumer {
        None => Ok(format!("{DEAD_LETTER_NAME}.>")),
        Some(consumer) if polyn::naming::is_subject_token(consumer) => {
            Ok(DeadLetter::subject(consumer))
        }
        Some(consumer) => Err(format!(
            "`--consumer {consumer:?}` is not a consumer name: give the durable consumer's name \
             as `polyn dlq list` shows it (no `.`, `*`, `>` or spaces), like \
             `svc_orders_placed_v1`"
        )),
    }
}

/// A message of the dead-letter stream.
struct Stored {
    /// Its sequence in the dead-letter stream.
    sequence: u64,
    /// When the dead-letter stream stored it, RFC 3339.
    time: String,
    /// Its subject, `polyn.deadletter.v1.<consumer>`.
    subject: String,
    /// The body.
    body: Vec<u8>,
    /// The body as JSON, when it is.
    envelope: Option<Value>,
    /// The dead letter, or why the message is not one.
    letter: Result<DeadLetter, String>,
}

impl From<jetstream::message::StreamMessage> for Stored {
    fn from(message: jetstream::message::StreamMessage) -> Stored {
        let time = chrono::DateTime::from_timestamp(
            message.time.unix_timestamp(),
            message.time.nanosecond(),
        )
        .map(|time| time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default();
        let envelope = serde_json::from_slice::<Value>(&message.payload).ok();
        let letter = match &envelope {
            None => Err("its body is not JSON".to_owned()),
            Some(envelope) => match envelope.get("data") {
                None => Err("it is not a Polyn event with `data`".to_owned()),
                Some(data) => serde_json::from_value::<DeadLetter>(data.clone())
                    .map_err(|err| format!("its data is not a dead letter: {err}")),
            },
        };
        Stored {
            sequence: message.sequence,
            time,
            subject: message.subject.to_string(),
            body: message.payload.to_vec(),
            envelope,
            letter,
        }
    }
}

/// Why a message was dead-lettered, as the dead letter writes it.
fn reason(letter: &DeadLetter) -> String {
    match serde_json::to_value(letter.reason) {
        Ok(Value::String(reason)) => reason,
        _ => format!("{:?}", letter.reason).to_lowercase(),
    }
}

/// The first line of `error`, cut at [`ERROR_WIDTH`] characters.
fn first_line(error: &str) -> String {
    let line = error.lines().next().unwrap_or_default().trim_end();
    match line.char_indices().nth(ERROR_WIDTH) {
        Some((end, _)) => format!("{}…", &line[..end]),
        None => line.to_owned(),
    }
}

/// The start of a body, as text, for errors.
fn excerpt(body: &[u8]) -> String {
    first_line(&String::from_utf8_lossy(body))
}

/// `polyn dlq list [--consumer C] [--limit N]`.
async fn list(
    settings: &Settings,
    consumer: Option<&str>,
    limit: Option<usize>,
) -> Result<(), String> {
    filter(consumer)?;
    let dlq = Dlq::open(settings).await?;
    let letters = dlq.list(consumer, limit).await?;
    if settings.json {
        let letters: Vec<Value> = letters.iter().map(summary_json).collect();
        println!("{}", json!({ "dead_letters": letters }));
        return Ok(());
    }
    if letters.is_empty() {
        match consumer {
            Some(consumer) => {
                println!("no dead letters of {consumer} in {DEAD_LETTER_STREAM}");
            }
            None => println!("no dead letters in {DEAD_LETTER_STREAM}"),
        }
    }
    for stored in &letters {
        println!("{}", summary(stored));
    }
    Ok(())
}

/// One line about a dead letter.
fn summary(stored: &Stored) -> String {
    match &stored.letter {
        Ok(letter) => format!(
            "{}  {}  {}  {}  delivered {}  {} ({} #{})  {}",
            stored.sequence,
            stored.time,
            letter.consumer,
            reason(letter),
            letter.delivered,
            letter.subject,
            letter.stream,
            letter.stream_sequence,
            first_line(&letter.error)
        ),
        Err(why) => format!(
            "{}  {}  {}  not a dead letter: {why}",
            stored.sequence, stored.time, stored.subject
        ),
    }
}

/// [`summary`] as JSON.
fn summary_json(stored: &Stored) -> Value {
    match &stored.letter {
        Ok(letter) => json!({
            "sequence": stored.sequence,
            "time": stored.time,
            "consumer": letter.consumer,
            "reason": reason(letter),
            "delivered": letter.delivered,
            "subject": letter.subject,
            "stream": letter.stream,
            "stream_sequence": letter.stream_sequence,
            "error": letter.error,
        }),
        Err(why) => json!({
            "sequence": stored.sequence,
            "time": stored.time,
            "subject": stored.subject,
            "invalid": why,
        }),
    }
}

/// `polyn dlq show SEQ`.
async fn show(settings: &Settings, sequence: u64) -> Result<(), String> {
    let dlq = Dlq::open(settings).await?;
    let stored = dlq.get(sequence).await?;
    let (Some(envelope), Ok(letter)) = (&stored.envelope, &stored.letter) else {
        let why = stored.letter.as_ref().err().cloned().unwrap_or_default();
        return Err(format!(
            "message {sequence} of {DEAD_LETTER_STREAM} (on {}) is not a dead letter: {why}; its \
             body: {}; drop it with `polyn dlq purge {sequence}`",
            stored.subject,
            excerpt(&stored.body)
        ));
    };
    if settings.json {
        println!(
            "{}",
            json!({"sequence": stored.sequence, "time": stored.time, "subject": stored.subject,
                   "event": envelope})
        );
        return Ok(());
    }
    println!(
        "dead letter {} in {DEAD_LETTER_STREAM}, stored {} on {}",
        stored.sequence, stored.time, stored.subject
    );
    println!(
        "{}",
        serde_json::to_string_pretty(envelope).map_err(|err| err.to_string())?
    );
    println!("error chain:");
    let chain: &[String] = if letter.error_chain.is_empty() {
        std::slice::from_ref(&letter.error)
    } else {
        &letter.error_chain
    };
    for (depth, error) in chain.iter().enumerate() {
        let lead = if depth == 0 { "" } else { "caused by: " };
        println!("  {lead}{}", one_line(error));
    }
    if letter.event.is_none() {
        println!(
            "the original body is not JSON: {} bytes, in `payload_base64`",
            letter.original_payload().len()
        );
    }
    Ok(())
}

/// The dead letters a replay is of.
enum Which<'a> {
    /// These sequences.
    These(&'a [u64]),
    /// Every one (of a consumer).
    All(Option<&'a str>),
}

/// A dead letter replayed.
struct Replayed {
    /// Its sequence in the dead-letter stream.
    sequence: u64,
    /// The original event's id.
    id: String,
    /// The consumer that gave up on it.
    consumer: String,
    /// The subject it was republished to.
    subject: String,
    /// The stream that stored it again.
    stream: String,
    /// Its sequence there.
    stream_sequence: u64,
    /// Whether that stream had stored this replay already.
    duplicate: bool,
}

/// `polyn dlq replay SEQ... | --all [--consumer C] [--keep]`.
async fn replay(settings: &Settings, which: Which<'_>, keep: bool) -> Result<(), String> {
    if let Which::All(consumer) = which {
        filter(consumer)?;
    }
    let dlq = Dlq::open(settings).await?;
    let mut letters: Vec<(u64, Result<Stored, String>)> = Vec::new();
    match which {
        Which::These(sequences) => {
            for &sequence in sequences {
                letters.push((sequence, dlq.get(sequence).await));
            }
        }
        Which::All(consumer) => {
            for stored in dlq.list(consumer, None).await? {
                letters.push((stored.sequence, Ok(stored)));
            }
        }
    }
    if letters.is_empty() {
        if settings.json {
            println!("{}", json!({"replayed": [], "not_replayed": []}));
        } else {
            println!("no dead letters to replay in {DEAD_LETTER_STREAM}");
        }
        return Ok(());
    }
    let client = Client::with_nats(dlq.config.clone(), dlq.nats.clone())
        .await
        .map_err(|err| one_line(&err))?;
    let mut replayed = Vec::new();
    let mut failed: Vec<(u64, String)> = Vec::new();
    for (sequence, stored) in letters {
        let outcome = match stored {
            Ok(stored) => replay_one(&dlq, &client, &stored, keep).await,
            Err(why) => Err(why),
        };
        match outcome {
            Ok(done) => {
                if !settings.json {
                    let duplicate = if done.duplicate {
                        " (a duplicate: the stream had stored this replay already)"
                    } else {
                        ""
                    };
                    let kept = if keep { "kept" } else { "deleted" };
                    println!(
                        "replayed {sequence}: event {} of {} to {}, stored in {} at sequence \
                         {}{duplicate}; dead letter {kept}",
                        done.id, done.consumer, done.subject, done.stream, done.stream_sequence
                    );
                }
                replayed.push(done);
            }
            Err(why) => {
                if !settings.json {
                    println!("not replayed {sequence}: {why}");
                }
                failed.push((sequence, why));
            }
        }
    }
    if settings.json {
        let replayed: Vec<Value> = replayed
            .iter()
            .map(|done| {
                json!({"sequence": done.sequence, "id": done.id, "consumer": done.consumer,
                       "subject": done.subject, "stream": done.stream,
                       "stream_sequence": done.stream_sequence, "duplicate": done.duplicate,
                       "deleted": !keep})
            })
            .collect();
        let failed: Vec<Value> = failed
            .iter()
            .map(|(sequence, why)| json!({"sequence": sequence, "error": why}))
            .collect();
        println!("{}", json!({"replayed": replayed, "not_replayed": failed}));
    }
    if failed.is_empty() {
        return Ok(());
    }
    let total = replayed.len() + failed.len();
    let sequences: Vec<String> = failed.iter().map(|(seq, _)| seq.to_string()).collect();
    let sequences = sequences.join(" ");
    Err(format!(
        "{} of {total} dead letters not replayed ({sequences}): those that exist stay in \
         {DEAD_LETTER_STREAM}; fix the schema or the event and replay them again, or drop them \
         with `polyn dlq purge {sequences}`",
        failed.len()
    ))
}

/// Validates the original of one dead letter and republishes it, then
/// deletes the dead letter unless `keep`.
async fn replay_one(
    dlq: &Dlq,
    client: &Client,
    stored: &Stored,
    keep: bool,
) -> Result<Replayed, String> {
    let sequence = stored.sequence;
    let letter = stored.letter.as_ref().map_err(|why| {
        format!("message {sequence} of {DEAD_LETTER_STREAM} is not a dead letter: {why}")
    })?;
    if letter.subject.is_empty() {
        return Err("the dead letter names no original subject to republish to".to_owned());
    }
    let body = letter.original_payload();
    let event = client.deserialize(&body).map_err(|err| {
        format!(
            "the original event (from {} #{} on {}) is not valid: {}",
            letter.stream,
            letter.stream_sequence,
            letter.subject,
            one_line(&err)
        )
    })?;
    let id = format!("{}.replay.{sequence}", event.id());
    let mut headers = HeaderMap::new();
    headers.insert("Nats-Msg-Id", id.as_str());
    let subject = letter.subject.clone();
    let publish_error = |err: &dyn std::fmt::Display| {
        format!(
            "cannot republish event {} to `{subject}`: {}; is there a stream capturing \
             `{subject}` on {}?",
            event.id(),
            one_line(err),
            servers(&dlq.config)
        )
    };
    let ack = dlq
        .js
        .publish_with_headers(subject.clone(), headers, body.into())
        .await
        .map_err(|err| publish_error(&err))?
        .await
        .map_err(|err| publish_error(&err))?;
    if !keep {
        dlq.stream.delete_message(sequence).await.map_err(|err| {
            format!(
                "replayed event {} to `{subject}` (stored in {} at sequence {}), but cannot \
                 delete dead letter {sequence}: {}; delete it with `polyn dlq purge {sequence}`",
                event.id(),
                ack.stream,
                ack.sequence,
                one_line(&err)
            )
        })?;
    }
    Ok(Replayed {
        sequence,
        id: event.id().to_owned(),
        consumer: letter.consumer.clone(),
        subject,
        stream: ack.stream,
        stream_sequence: ack.sequence,
        duplicate: ack.duplicate,
    })
}

/// `polyn dlq purge [--consumer C] [SEQ...]`.
async fn purge(
    settings: &Settings,
    consumer: Option<&str>,
    sequences: &[u64],
) -> Result<(), String> {
    let subject = filter(consumer)?;
    let dlq = Dlq::open(settings).await?;
    let (removed, missing) = if sequences.is_empty() {
        let mut request = dlq.stream.purge();
        if consumer.is_some() {
            request = request.filter(subject);
        }
        let response = request.await.map_err(|err| {
            format!(
                "cannot purge {DEAD_LETTER_STREAM} on {}: {}",
                servers(&dlq.config),
                one_line(&err)
            )
        })?;
        (response.purged, Vec::new())
    } else {
        let mut removed = 0;
        let mut missing = Vec::new();
        for &sequence in sequences {
            // Read first: a sequence with no message is named as such.
            if let Err(why) = dlq.get(sequence).await {
                missing.push(why);
                continue;
            }
            dlq.stream.delete_message(sequence).await.map_err(|err| {
                format!(
                    "cannot delete dead letter {sequence} of {DEAD_LETTER_STREAM} on {} \
                     ({removed} removed before it): {}",
                    servers(&dlq.config),
                    one_line(&err)
                )
            })?;
            removed += 1;
        }
        (removed, missing)
    };
    let of = consumer.map(|c| format!(" of {c}")).unwrap_or_default();
    let plural = if removed == 1 { "" } else { "s" };
    if settings.json {
        println!("{}", json!({ "removed": removed }));
    } else {
        println!("removed {removed} dead letter{plural}{of} from {DEAD_LETTER_STREAM}");
    }
    match missing.as_slice() {
        [] => Ok(()),
        [one] => Err(one.clone()),
        [first, rest @ ..] => Err(format!("{first} (and {} more missing)", rest.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_cut_to_their_first_line() {
        assert_eq!(first_line("boom\ncaused by: x"), "boom");
        let long = "é".repeat(200);
        let cut = first_line(&long);
        assert_eq!(cut.chars().count(), ERROR_WIDTH + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(first_line(""), "");
    }

    #[test]
    fn consumers_are_one_subject_token() {
        assert_eq!(filter(None).as_deref(), Ok("polyn.deadletter.v1.>"));
        assert_eq!(
            filter(Some("svc_orders_placed_v1")).as_deref(),
            Ok("polyn.deadletter.v1.svc_orders_placed_v1")
        );
        let err = filter(Some("a.b")).unwrap_err();
        assert!(err.contains("is not a consumer name"), "{err}");
    }
}
