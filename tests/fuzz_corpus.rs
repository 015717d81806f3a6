//! Runs every fuzz target's body over its committed seed corpus (`fuzz/corpus/<target>/`) on
//! stable Rust. This is what CI runs when no nightly toolchain (and so no cargo-fuzz) is
//! available. Crashes the fuzzer found are kept as tests in `tests/regress_*.rs`.

#[path = "../fuzz/targets.rs"]
mod targets;

use std::path::Path;

#[test]
fn every_target_survives_its_seed_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    for (name, body) in targets::TARGETS {
        let dir = root.join("corpus").join(name);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        assert!(!files.is_empty(), "{} has no seed files", dir.display());
        files.sort();
        for file in &files {
            let data = std::fs::read(file).unwrap();
            let outcome = std::panic::catch_unwind(|| body(&data));
            assert!(outcome.is_ok(), "{name} panicked on {}", file.display());
        }
        eprintln!("{name}: {} inputs", files.len());
    }
}

#[test]
fn every_target_has_a_cargo_fuzz_wrapper() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    for (name, _) in targets::TARGETS {
        let wrapper = root.join("fuzz_targets").join(format!("{name}.rs"));
        let text = std::fs::read_to_string(&wrapper).unwrap();
        assert!(
            text.contains(&format!("targets::{name}(")),
            "{}",
            wrapper.display()
        );
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "{name} missing in Cargo.toml"
        );
    }
}
