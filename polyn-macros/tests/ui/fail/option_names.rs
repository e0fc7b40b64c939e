#[path = "../events.rs"]
mod events;

use events::WidgetsCreatedV1;
use polyn::Event;

#[polyn::handler(source = "Billing_Dept")]
pub async fn bad_source(_event: Event<WidgetsCreatedV1>) {}

#[polyn::handler(event = "User.Created")]
pub async fn bad_event(_event: Event) {}

#[polyn::handler(consumer = "billing.widgets")]
pub async fn bad_consumer(_event: Event<WidgetsCreatedV1>) {}

#[polyn::handler(crate = "not_polyn")]
pub async fn bad_crate(_event: Event<WidgetsCreatedV1>) {}

fn main() {}
