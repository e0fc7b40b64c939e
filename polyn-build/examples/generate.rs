//! Prints the code `polyn-build` generates for a schemas folder, without a
//! build script: `cargo run -p polyn-build --example generate -- schemas`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "schemas".to_owned());
    match polyn_build::load_schemas(&dir).and_then(|files| polyn_build::generate(&files)) {
        Ok(code) => {
            print!("{code}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
