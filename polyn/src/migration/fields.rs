//! The JetStream API's own field names for streams and consumers, as
//! migration files write them, and the human durations they may use.

use serde_json::{Map, Value};

/// Stream configuration fields, by their JetStream API names.
pub(crate) const STREAM_FIELDS: &[&str] = &[
    "name",
    "description",
    "subjects",
    "retention",
    "max_consumers",
    "max_msgs",
    "max_bytes",
    "max_age",
    "max_msgs_per_subject",
    "max_msg_size",
    "discard",
    "discard_new_per_subject",
    "storage",
    "num_replicas",
    "no_ack",
    "duplicate_window",
    "template_owner",
    "sealed",
    "allow_rollup_hdrs",
    "deny_delete",
    "deny_purge",
    "republish",
    "allow_direct",
    "mirror_direct",
    "mirror",
    "sources",
    "metadata",
    "subject_transform",
    "compression",
    "consumer_limits",
    "first_seq",
    "placement",
];

/// Consumer configuration fields, by their JetStream API names, and
/// `stream_name`, the stream the consumer is in.
pub(crate) const CONSUMER_FIELDS: &[&str] = &[
    "stream_name",
    "durable_name",
    "name",
    "description",
    "deliver_policy",
    "opt_start_seq",
    "opt_start_time",
    "ack_policy",
    "ack_wait",
    "max_deliver",
    "filter_subject",
    "filter_subjects",
    "replay_policy",
    "rate_limit_bps",
    "sample_freq",
    "max_waiting",
    "max_ack_pending",
    "headers_only",
    "max_batch",
    "max_bytes",
    "max_expires",
    "inactive_threshold",
    "num_replicas",
    "mem_storage",
    "metadata",
    "backoff",
    "deliver_subject",
    "deliver_group",
    "flow_control",
    "idle_heartbeat",
];

/// Fields the JetStream API gives in nanoseconds; a migration may write a
/// duration (`"30s"`, `"24h"`, `"7d"`) instead.
const DURATIONS: &[&str] = &[
    "max_age",
    "duplicate_window",
    "ack_wait",
    "max_expires",
    "inactive_threshold",
    "idle_heartbeat",
    "backoff",
];

/// Checks every field against `known`: `Err` names the first unknown one
/// and suggests the closest known name.
pub(crate) fn check_fields(
    fields: &Map<String, Value>,
    known: &'static [&'static str],
) -> Result<(), String> {
    for key in fields.keys() {
        if !known.contains(&key.as_str()) {
            let hint = crate::naming::did_you_mean(key, known.iter().copied())
                .map(|close| format!(" (did you mean `{close}`?)"))
                .unwrap_or_default();
            return Err(format!(
                "unknown field `{key}`{hint}; the fields are the JetStream API's: {}",
                known.join(", ")
            ));
        }
    }
    Ok(())
}

/// Rewrites duration strings of the nanosecond fields as nanoseconds.
pub(crate) fn nanos_from_durations(fields: &mut Map<String, Value>) -> Result<(), String> {
    for key in DURATIONS {
        let Some(value) = fields.get_mut(*key) else {
            continue;
        };
        match value {
            Value::Array(items) => {
                for item in items {
                    to_nanos(key, item)?;
                }
            }
            other => to_nanos(key, other)?,
        }
    }
    Ok(())
}

fn to_nanos(key: &str, value: &mut Value) -> Result<(), String> {
    if let Value::String(text) = value {
        let nanos = parse_duration(text).ok_or_else(|| {
            format!(
                "`{key} = {text:?}` is not a duration: write a whole number and a unit \
                 (`ns`, `us`, `ms`, `s`, `m`, `h`, `d`), like \"30s\", or nanoseconds as an integer"
            )
        })?;
        *value = Value::from(nanos);
    }
    Ok(())
}

/// `"30s"` as nanoseconds.
pub(crate) fn parse_duration(text: &str) -> Option<u64> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let number: u64 = number.parse().ok()?;
    let factor: u64 = match unit {
        "ns" => 1,
        "us" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        "d" => 86_400_000_000_000,
        _ => return None,
    };
    number.checked_mul(factor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_fields_are_named_with_a_suggestion() {
        let fields = json!({"name": "S", "subject": ["a"]});
        let error =
            check_fields(fields.as_object().expect("object"), STREAM_FIELDS).expect_err("unknown");
        assert!(
            error.starts_with("unknown field `subject` (did you mean `subjects`?)"),
            "{error}"
        );
        let fields = json!({"stream_name": "S", "durable_name": "d", "ack_policy": "explicit"});
        assert!(check_fields(fields.as_object().expect("object"), CONSUMER_FIELDS).is_ok());
    }

    #[test]
    fn durations_become_nanoseconds() {
        let mut fields = json!({"max_age": "1d", "duplicate_window": 120_000_000_000u64, "backoff": ["1s", "5s"]});
        let fields = fields.as_object_mut().expect("object");
        nanos_from_durations(fields).expect("durations");
        assert_eq!(fields["max_age"], json!(86_400_000_000_000u64));
        assert_eq!(fields["duplicate_window"], json!(120_000_000_000u64));
        assert_eq!(
            fields["backoff"],
            json!([1_000_000_000u64, 5_000_000_000u64])
        );
        let mut bad = json!({"ack_wait": "soon"});
        let error = nanos_from_durations(bad.as_object_mut().expect("object")).expect_err("bad");
        assert!(
            error.contains("`ack_wait = \"soon\"` is not a duration"),
            "{error}"
        );
        assert_eq!(parse_duration("250ms"), Some(250_000_000));
        assert_eq!(parse_duration("1.5s"), None);
    }
}
