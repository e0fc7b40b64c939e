//! Generates typed events from the repository's `schemas/` folder.

fn main() {
    polyn_build::compile_schemas("../../schemas").unwrap_or_else(|err| panic!("{err}"));
}
