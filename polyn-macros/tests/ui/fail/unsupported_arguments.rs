#[path = "../events.rs"]
mod events;

use events::WidgetsCreatedV1;
use polyn::Event;

use polyn::Context;

#[derive(Clone)]
pub struct Db;

#[polyn::handler]
pub async fn bare_state(_event: Event<WidgetsCreatedV1>, _db: Db) {}

#[polyn::handler]
pub async fn borrowed_context(_event: Event<WidgetsCreatedV1>, _ctx: &Context) {}

#[polyn::handler]
pub async fn two_contexts(_event: Event<WidgetsCreatedV1>, _a: Context, _b: Context) {}

fn main() {}
