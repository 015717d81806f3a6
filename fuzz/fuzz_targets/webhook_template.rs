//! cargo-fuzz wrapper for [`ddns_rs_fuzz::webhook_template`] (body in fuzz/targets.rs).
#![no_main]

use ddns_rs_fuzz as targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::webhook_template(data));
