//! Naming a JSON value's kind in an error: "a string", "an array", ….

use serde_json::Value;

/// The kind of `value` as an error names it, with its article.
///
/// ```
/// use serde_json::json;
/// assert_eq!(polyn_schemas::json_kind(&json!([1])), "an array");
/// assert_eq!(polyn_schemas::json_kind(&json!(null)), "null");
/// ```
pub fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_named_by_kind() {
        assert_eq!(json_kind(&json!(true)), "a boolean");
        assert_eq!(json_kind(&json!("x")), "a string");
        assert_eq!(json_kind(&json!([1])), "an array");
        assert_eq!(json_kind(&json!(null)), "null");
        assert_eq!(json_kind(&json!(1.5)), "a number");
        assert_eq!(json_kind(&json!({})), "an object");
    }
}
