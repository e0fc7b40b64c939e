//! Event types for the example schemas in `schemas/`, written by hand the
//! way `polyn-build` generates them.

use serde::{Deserialize, Serialize};

macro_rules! event_type {
    ($type:ty, $name:literal) => {
        impl polyn::EventType for $type {
            const NAME: &'static str = $name;
            const SCHEMA: &'static str = include_str!(concat!("../../schemas/", $name, ".json"));
        }
    };
}

/// `widgets.created.v1`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WidgetsCreatedV1 {
    /// The id of the widget.
    pub id: String,
    /// The name of the widget.
    pub name: String,
}
event_type!(WidgetsCreatedV1, "widgets.created.v1");

/// `money.amount.v1`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MoneyAmountV1 {
    /// Currency code.
    pub currency: String,
    /// Amount of money.
    pub amount: f64,
}
event_type!(MoneyAmountV1, "money.amount.v1");

/// `user.created.v1`, which has an identity (`id`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserCreatedV1 {
    /// The user's id, the last subject token.
    pub id: String,
    /// Email address.
    pub email: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}
event_type!(UserCreatedV1, "user.created.v1");

/// `calc.mult.request.v1`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalcMultRequestV1 {
    /// First factor.
    pub a: i64,
    /// Second factor.
    pub b: i64,
}
event_type!(CalcMultRequestV1, "calc.mult.request.v1");

/// `calc.mult.response.v1`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalcMultResponseV1 {
    /// The product.
    pub product: i64,
}
event_type!(CalcMultResponseV1, "calc.mult.response.v1");
