//! Generates typed events from the repository's `schemas/` folder, and
//! rebuilds when a migration is added.

fn main() {
    polyn_build::compile_schemas("../../schemas").unwrap_or_else(|err| panic!("{err}"));
    // A new migration file rebuilds the binary that embeds them.
    println!("cargo:rerun-if-changed=polyn/migrations");
}
