//! cargo-fuzz wrapper for [`ddns_rs_fuzz::web_login`] (body in fuzz/targets.rs).
#![no_main]

use ddns_rs_fuzz as targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::web_login(data));
