//! Event types for the UI tests, written by hand the way `polyn-build`
//! generates them from the workspace's `schemas/`.
#![allow(dead_code, unreachable_pub)]

use serde::{Deserialize, Serialize};

/// `widgets.created.v1`
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WidgetsCreatedV1 {
    /// The id of the widget.
    pub id: String,
    /// The name of the widget.
    pub name: String,
}

impl polyn::EventType for WidgetsCreatedV1 {
    const NAME: &'static str = "widgets.created.v1";
    const SCHEMA: &'static str = include_str!("../../../schemas/widgets.created.v1.json");
}

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

impl polyn::EventType for UserCreatedV1 {
    const NAME: &'static str = "user.created.v1";
    const SCHEMA: &'static str = include_str!("../../../schemas/user.created.v1.json");
}

/// A payload type that is not an event type.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Plain {
    /// Anything.
    pub id: String,
}

/// `calc.mult.request.v1`: a request, answered with a `CalcMultResponseV1`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalcMultRequestV1 {
    /// The first factor.
    pub a: i64,
    /// The second factor.
    pub b: i64,
}

impl polyn::EventType for CalcMultRequestV1 {
    const NAME: &'static str = "calc.mult.request.v1";
    const SCHEMA: &'static str = include_str!("../../../schemas/calc.mult.request.v1.json");
}

/// `calc.mult.response.v1`: the reply to a `CalcMultRequestV1`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalcMultResponseV1 {
    /// The product.
    pub product: i64,
}

impl polyn::EventType for CalcMultResponseV1 {
    const NAME: &'static str = "calc.mult.response.v1";
    const SCHEMA: &'static str = include_str!("../../../schemas/calc.mult.response.v1.json");
}

/// A type that is neither an event type nor (de)serializable.
#[derive(Clone, Debug)]
pub struct Opaque;
