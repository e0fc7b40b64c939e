#[polyn::handler(event = "user.created.v2")]
pub async fn on_user(event: polyn::Event) {
    println!("{}", event.data()["id"]);
}

fn main() {}
