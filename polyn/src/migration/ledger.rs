//! The record of migrations run: in the KV bucket `POLYN_MIGRATIONS`, key
//! = the service's source root, value = a sorted JSON array of ids. Ids
//! are read whether they were written as strings (as the Elixir client
//! writes them) or integers, and written as strings.

use serde_json::Value;

/// The KV bucket migrations are recorded in.
pub const MIGRATIONS_BUCKET: &str = "POLYN_MIGRATIONS";

/// The ids in a recorded value, sorted.
pub(crate) fn read_ids(value: &[u8]) -> Result<Vec<String>, String> {
    if value.is_empty() {
        return Ok(Vec::new());
    }
    let parsed: Value = serde_json::from_slice(value).map_err(|err| {
        format!(
            "the recorded migrations are not JSON ({err}): {}",
            String::from_utf8_lossy(value)
        )
    })?;
    let Value::Array(items) = parsed else {
        return Err(format!(
            "the recorded migrations are not a JSON array of ids: {}",
            String::from_utf8_lossy(value)
        ));
    };
    let mut ids = items
        .into_iter()
        .map(|item| match item {
            Value::String(id) => Ok(id),
            Value::Number(id) if id.is_u64() => Ok(id.to_string()),
            other => Err(format!(
                "a recorded migration id is not a timestamp: {other}"
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// The value recording `ids`: sorted strings.
pub(crate) fn write_ids(ids: &[String]) -> Vec<u8> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    serde_json::to_vec(&ids).unwrap_or_else(|_| b"[]".to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_integers_are_read_and_strings_written() {
        assert_eq!(
            read_ids(br#"["20230519173058","1234"]"#),
            Ok(vec!["1234".to_owned(), "20230519173058".to_owned()])
        );
        assert_eq!(
            read_ids(b"[20230519173058, 1234]"),
            Ok(vec!["1234".to_owned(), "20230519173058".to_owned()])
        );
        assert_eq!(read_ids(b""), Ok(Vec::new()));
        assert!(read_ids(b"{}").is_err());
        assert!(read_ids(b"[1.5]").is_err());
        assert_eq!(
            write_ids(&["2".to_owned(), "1".to_owned()]),
            br#"["1","2"]"#.to_vec()
        );
    }
}
