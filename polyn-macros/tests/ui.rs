//! UI tests of `#[polyn::handler]`, used through `polyn::handler` as users do.
//!
//! - `ui/pass/*.rs` must compile and run.
//! - `ui/fail/*.rs` must fail to compile with exactly the errors in the
//!   `.stderr` file next to each.
//!
//! After changing a diagnostic, regenerate the snapshots with
//! `TRYBUILD=overwrite cargo test -p polyn-macros --test ui` and review
//! every changed `.stderr`: each mistake should be one error, on the user's
//! own tokens. The snapshots depend on the compiler's wording; they were
//! made with rustc 1.95 (stable).

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
