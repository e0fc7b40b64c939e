//! Generates event types for the repository's `schemas/` folder with
//! polyn-build, as a user's build script would; `tests/generated.rs`
//! includes and exercises them.

fn main() {
    polyn_build::compile_schemas("../schemas").unwrap_or_else(|err| panic!("{err}"));
}
