#[path = "../events.rs"]
mod events;

use events::WidgetsCreatedV1;
use polyn::Event;

fn by_value(invalid: polyn::InvalidMessage) {
    eprintln!("{}", invalid.error);
}

fn returns_something(invalid: &polyn::InvalidMessage) -> bool {
    invalid.payload.is_empty()
}

mod hooks {
    pub(crate) fn by_ref(_invalid: &&polyn::InvalidMessage) {}
}

#[polyn::handler(on_invalid = by_value)]
pub async fn wrong_argument(_event: Event<WidgetsCreatedV1>) {}

#[polyn::handler(on_invalid = returns_something)]
pub async fn wrong_return(_event: Event<WidgetsCreatedV1>) {}

#[polyn::handler(on_invalid = hooks::report)]
pub async fn missing_function(_event: Event<WidgetsCreatedV1>) {}

#[polyn::handler(on_invalid = hooks::by_ref)]
pub async fn wrong_reference(_event: Event<WidgetsCreatedV1>) {}

fn main() {}
