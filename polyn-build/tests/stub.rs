//! The stand-in runtime of `tests/user_crate.rs` holds a copy of the
//! runtime's conversions for generated types (`string_newtype!`,
//! `string_enum!`, `check_length`): a `#[macro_export]` macro cannot be
//! included from another file. This test keeps the copy equal to the
//! runtime's text.

use std::path::Path;

const BEGIN: &str = "// BEGIN generated conversions";
const END: &str = "// END generated conversions";

fn between_markers(path: &Path) -> String {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    let start = text
        .find(BEGIN)
        .unwrap_or_else(|| panic!("{} has no `{BEGIN}`", path.display()));
    let end = text
        .find(END)
        .unwrap_or_else(|| panic!("{} has no `{END}`", path.display()));
    text[start..end].to_owned()
}

#[test]
fn the_stub_has_the_runtime_conversions() {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let runtime = between_markers(&manifest_dir.join("../polyn/src/private.rs"));
    let stub = between_markers(&manifest_dir.join("tests/fixtures/polyn-stub/src/conversions.rs"));
    assert!(
        runtime == stub,
        "tests/fixtures/polyn-stub/src/conversions.rs differs from polyn/src/private.rs \
         between `{BEGIN}` and `{END}`: copy the runtime's text"
    );
}
