#[path = "../events.rs"]
mod events;

use events::WidgetsCreatedV1;
use polyn::Event;

fn report(invalid: &polyn::InvalidMessage) {
    eprintln!("{}", invalid.error);
}

#[polyn::handler(on_invalid = "report")]
pub async fn quoted(_event: Event<WidgetsCreatedV1>) {}

#[polyn::handler(on_invalid = |invalid| eprintln!("{}", invalid.error))]
pub async fn closure(_event: Event<WidgetsCreatedV1>) {}

#[polyn::handler(on_invalid = make_hook())]
pub async fn called(_event: Event<WidgetsCreatedV1>) {}

#[polyn::handler(on_invalid)]
pub async fn missing(_event: Event<WidgetsCreatedV1>) {}

fn make_hook() -> fn(&polyn::InvalidMessage) {
    report
}

fn main() {}
