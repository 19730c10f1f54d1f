//! Misuses of `#[derive(Object)]` fail to compile with a clear error on the attribute token.
//!
//! Each `tests/ui/*.rs` has its expected compiler output next to it in a `.stderr` file;
//! `TRYBUILD=overwrite cargo test -p lwm2m --test ui` rewrites them after a deliberate change.

#[test]
fn derive_misuse() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
