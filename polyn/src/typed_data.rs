//! Turning a validated event's `data` into its generated Rust type, the
//! way JSON Schema reads numbers: `2.0` is an `integer`, so it fills an
//! integer field; a value the Rust type cannot hold is an error naming
//! where it is.

use serde::de::DeserializeOwned;
use serde_json::{Number, Value};

/// Why `data` does not fit the Rust type.
#[derive(Debug)]
pub(crate) struct Misfit {
    /// Where, like `items[2].count` (`.` for `data` itself).
    pub(crate) path: String,
    /// What serde said.
    pub(crate) source: serde_json::Error,
}

/// Deserializes `data` into `U`. Whole floats (`2.0`, sent by clients
/// whose numbers are all floats) are read as the integers they are when
/// the type needs an integer; only an event that does not fit pays for
/// the second look.
pub(crate) fn from_data<U: DeserializeOwned>(mut data: Value) -> Result<U, Misfit> {
    if let Ok(typed) = U::deserialize(&data) {
        return Ok(typed);
    }
    if integralize(&mut data)
        && let Ok(typed) = U::deserialize(&data)
    {
        return Ok(typed);
    }
    match serde_path_to_error::deserialize::<_, U>(&data) {
        Ok(typed) => Ok(typed),
        Err(err) => Err(Misfit {
            path: err.path().to_string(),
            source: err.into_inner(),
        }),
    }
}

/// [`from_data`] for the hot path: whole floats are made integers in
/// place, then the data moves into `U`; `None` when it does not fit.
pub(crate) fn from_data_fast<U: DeserializeOwned>(mut data: Value) -> Option<U> {
    integralize(&mut data);
    serde_json::from_value(data).ok()
}

/// Rewrites every whole float that an `i64` or `u64` can hold as that
/// integer; whether anything changed.
fn integralize(value: &mut Value) -> bool {
    match value {
        Value::Number(number) => match whole(number) {
            Some(integer) => {
                *number = integer;
                true
            }
            None => false,
        },
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |any, item| integralize(item) | any),
        Value::Object(map) => map
            .values_mut()
            .fold(false, |any, item| integralize(item) | any),
        _ => false,
    }
}

/// The integer a whole float stands for, if an `i64` or `u64` holds it.
fn whole(number: &Number) -> Option<Number> {
    if !number.is_f64() {
        return None;
    }
    let float = number.as_f64()?;
    if float.fract() != 0.0 || !float.is_finite() {
        return None;
    }
    // 2^63 and 2^64 are exact in f64; the ranges are half-open.
    const I64_MIN: f64 = -9_223_372_036_854_775_808.0;
    const I64_END: f64 = 9_223_372_036_854_775_808.0;
    const U64_END: f64 = 18_446_744_073_709_551_616.0;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    if (I64_MIN..I64_END).contains(&float) {
        Some(Number::from(float as i64))
    } else if (0.0..U64_END).contains(&float) {
        Some(Number::from(float as u64))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Order {
        count: i64,
        price: f64,
        items: Vec<Item>,
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Item {
        quantity: u8,
    }

    #[test]
    fn whole_floats_fill_integer_fields_and_floats_stay_floats() {
        let order: Order = from_data(json!({
            "count": 2.0, "price": 3.0, "items": [{"quantity": 4.0}]
        }))
        .expect("fits");
        assert_eq!(
            order,
            Order {
                count: 2,
                price: 3.0,
                items: vec![Item { quantity: 4 }]
            }
        );
    }

    #[test]
    fn the_fast_path_agrees() {
        let data = json!({"count": 2.0, "price": 3.0, "items": [{"quantity": 4.0}]});
        let fast: Option<Order> = from_data_fast(data.clone());
        assert_eq!(fast, from_data(data).ok());
        assert!(from_data_fast::<Order>(json!({"count": 1e20, "price": 1, "items": []})).is_none());
    }

    #[test]
    fn what_does_not_fit_names_its_path() {
        let misfit = from_data::<Order>(json!({"count": 1e20, "price": 1, "items": []}))
            .expect_err("out of range");
        assert_eq!(misfit.path, "count");
        assert!(misfit.source.to_string().contains("1e+20"), "{misfit:?}");
        let misfit = from_data::<Order>(
            json!({"count": 1, "price": 1, "items": [{"quantity": 1}, {"quantity": 300}]}),
        )
        .expect_err("u8");
        assert_eq!(misfit.path, "items[1].quantity");
        let misfit = from_data::<Order>(json!({"count": 2.5, "price": 1, "items": []}))
            .expect_err("fraction");
        assert_eq!(misfit.path, "count");
        let misfit = from_data::<Item>(json!("text")).expect_err("not an object");
        assert_eq!(misfit.path, ".");
    }

    #[test]
    fn whole_floats_at_the_edges_of_the_integer_ranges() {
        let n = |f: f64| whole(&Number::from_f64(f).expect("finite"));
        assert_eq!(
            n(-9_223_372_036_854_775_808.0),
            Some(Number::from(i64::MIN))
        );
        assert_eq!(
            n(9_223_372_036_854_775_808.0),
            Some(Number::from(1u64 << 63))
        );
        assert_eq!(n(18_446_744_073_709_551_616.0), None);
        assert_eq!(n(-9_223_372_036_854_777_856.0), None);
        assert_eq!(n(0.5), None);
        assert_eq!(whole(&Number::from(3)), None);
    }
}
