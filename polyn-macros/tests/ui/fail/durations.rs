#[path = "../events.rs"]
mod events;

use events::WidgetsCreatedV1;
use polyn::Event;

#[polyn::handler(backoff = "1.5s", max_backoff = "1 m")]
pub async fn malformed(_event: Event<WidgetsCreatedV1>) {}

#[polyn::handler(backoff = "10", max_backoff = "2d")]
pub async fn without_a_unit(_event: Event<WidgetsCreatedV1>) {}

#[polyn::handler(backoff = "0s", max_backoff = "0ms")]
pub async fn zero(_event: Event<WidgetsCreatedV1>) {}

#[polyn::handler(backoff = 1, max_backoff = 60s)]
pub async fn not_strings(_event: Event<WidgetsCreatedV1>) {}

#[polyn::handler(backoff = "2m", max_backoff = "30s")]
pub async fn base_above_the_cap(_event: Event<WidgetsCreatedV1>) {}

fn main() {}
