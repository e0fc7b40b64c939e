#[polyn::handler]
pub async fn on_nothing(ctx: polyn::Context) {
    println!("{}", ctx.subject());
}

fn main() {}
