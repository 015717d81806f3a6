//! cargo-fuzz wrapper for [`ddns_rs_fuzz::provider_json`] (body in fuzz/targets.rs).
#![no_main]

use ddns_rs_fuzz as targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::provider_json(data));
