#[polyn::handler]
pub struct OnWidget;

fn main() {}
