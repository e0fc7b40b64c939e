#[path = "../events.rs"]
mod events;

use events::{CalcMultRequestV1, CalcMultResponseV1};
use polyn::Event;

#[polyn::handler(core, queue_group = "calculators")]
pub async fn with_core(event: Event<CalcMultRequestV1>) -> Result<CalcMultResponseV1, String> {
    let CalcMultRequestV1 { a, b } = *event.data();
    Ok(CalcMultResponseV1 { product: a * b })
}

#[polyn::handler(concurrency = 4, batch = 8, source = "billing", keep_alive = false)]
pub async fn with_pull_options(event: Event<CalcMultRequestV1>) -> Result<CalcMultResponseV1, String> {
    let CalcMultRequestV1 { a, b } = *event.data();
    Ok(CalcMultResponseV1 { product: a * b })
}

fn main() {}
