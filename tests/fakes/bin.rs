//! Which `ddns-rs` binary the end-to-end tests start: the one cargo built for this test run, or
//! the one named by `DDNS_RS_TEST_BIN`. CI sets it to run the same tests against the release
//! builds (`target/release/ddns-rs`, and the static musl one where that target is installed),
//! which are linked differently from the test build (no unwind tables, packed relocations,
//! another libc) and are what users run.

/// The binary to start.
pub fn path() -> String {
    match std::env::var("DDNS_RS_TEST_BIN") {
        Ok(p) if !p.is_empty() => p,
        _ => env!("CARGO_BIN_EXE_ddns-rs").to_string(),
    }
}
