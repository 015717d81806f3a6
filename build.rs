//! Embeds the web UI: walks `web/`, gzips every file into OUT_DIR and generates a table of
//! `include_bytes!` entries (`OUT_DIR/web_assets.rs`) that `src/web/assets.rs` includes. A
//! missing or empty `web/` gives an empty table, so the crate always builds.

use std::env;
use std::fs;
use std::hash::{DefaultHasher, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;

fn walk(dir: &Path, base: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        // Editor backups and dotfiles are not part of the page.
        if name.starts_with('.') || name.ends_with('~') {
            continue;
        }
        if path.is_dir() {
            walk(&path, base, out);
        } else if let Ok(rel) = path.strip_prefix(base) {
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.push((rel, path));
        }
    }
}

/// Linker flags for the `ddns-rs` binary only (tests and the library are not affected).
fn link_args(out_dir: &Path) {
    println!("cargo:rerun-if-env-changed=DDNS_RS_RELR");
    println!("cargo:rerun-if-env-changed=DDNS_RS_UNWIND");
    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    if wants_relr() {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    if wants_no_unwind() {
        drop_unwind_tables(out_dir);
    }
}

/// Pack the binary's relative relocations (`DT_RELR`): the ~200 KB `.rela.dyn` table that is
/// read page by page at every start shrinks to a few KB (about 195 KB off the file, and that
/// many fewer bytes read and kept resident). The executable stays position-independent (ASLR is
/// kept). Who applies the packed table differs:
///
/// - glibc: the dynamic loader, which needs glibc 2.36 or newer at run time (the binary records a
///   `GLIBC_ABI_DT_RELR` dependency; an older loader refuses to start it). So only where that is
///   known to hold: a native build on a host whose glibc is 2.36 or newer (Debian 12, Ubuntu
///   24.04 …; not Ubuntu 22.04, whose glibc 2.35 could not run the result).
/// - static musl (`crt-static`, the default of Rust's musl targets): the binary relocates itself
///   with the start-up code linked into it, so the machine it runs on does not matter, but that
///   code must read `DT_RELR`: musl 1.2.4 and newer do, and Rust bundles musl 1.2.5 since Rust
///   1.93 (1.2.3 before, which would crash at start). So: static musl with rustc 1.93 or newer.
///   A dynamically linked musl build is left alone.
///
/// `DDNS_RS_RELR=1` forces it (cross builds for a new enough glibc), `DDNS_RS_RELR=0` turns it
/// off (a glibc binary that must run on older systems, or a static musl build linked against an
/// older musl's start-up files).
fn wants_relr() -> bool {
    let target_env = env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    match env::var("DDNS_RS_RELR").as_deref() {
        Ok("1") => true,
        Ok("0") => false,
        _ if target_env == "gnu" => {
            env::var("HOST").ok() == env::var("TARGET").ok() && host_glibc_has_relr()
        }
        _ if target_env == "musl" => musl_is_static() && rustc_minor().is_some_and(|m| m >= 93),
        _ => false,
    }
}

/// Whether to leave the unwind tables (`.eh_frame`, `.eh_frame_hdr`) out of the binary.
///
/// The release profile builds with `panic = "abort"`: nothing is ever unwound, and the tables
/// (about 0.55 MiB, an eighth of the file) only serve the backtrace a panic prints under
/// `RUST_BACKTRACE=1`. Without them a panic still prints its message and location, then aborts,
/// as before; only the list of frames is empty. Build scripts are not told the panic strategy
/// (`CARGO_CFG_PANIC` says "unwind" whatever the profile says), so this keys on the profile:
/// `release` is the profile with `panic = "abort"` in Cargo.toml; dev and test builds, which
/// unwind, keep their tables. `DDNS_RS_UNWIND=keep` keeps them in a release build too.
fn wants_no_unwind() -> bool {
    env::var("PROFILE").as_deref() == Ok("release")
        && env::var("DDNS_RS_UNWIND").as_deref() != Ok("keep")
}

/// Links the binary with the LLVM linker that ships with Rust (`rust-lld`, already the default
/// linker of x86_64 Linux since Rust 1.90) and a linker script fragment that discards the unwind
/// sections. lld accepts the discard for every start-up object seen here (Debian's and Rust's
/// bundled musl ones); GNU ld refuses it for musl's, which is why lld is named explicitly rather
/// than left to the target's default. Without `rust-lld` in the toolchain (a distribution's Rust
/// built without it) the tables stay and the build says so.
fn drop_unwind_tables(out_dir: &Path) {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let host = env::var("HOST").unwrap_or_default();
    let sysroot = std::process::Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let Some(gcc_ld) = sysroot
        .map(|s| s.join("lib/rustlib").join(&host).join("bin/gcc-ld"))
        .filter(|d| d.join("ld.lld").is_file())
    else {
        println!(
            "cargo:warning=rust-lld not found in the toolchain: the release binary keeps its \
             unwind tables (about 0.55 MiB more)"
        );
        return;
    };
    let script = out_dir.join("no-unwind-tables.ld");
    fs::write(
        &script,
        "SECTIONS\n{\n  /DISCARD/ : { *(.eh_frame) *(.eh_frame_hdr) }\n}\nINSERT AFTER .text;\n",
    )
    .expect("write the linker script into OUT_DIR");
    println!("cargo:rustc-link-arg-bins=-fuse-ld=lld");
    println!("cargo:rustc-link-arg-bins=-B{}", gcc_ld.display());
    println!("cargo:rustc-link-arg-bins=-Wl,-T,{}", script.display());
}

/// Whether a musl build links statically. It does by default; cargo does not pass `crt-static`
/// in `CARGO_CFG_TARGET_FEATURE` (seen with cargo 1.95), so this looks for the one way to turn it
/// off, `-C target-feature=-crt-static` in the flags.
fn musl_is_static() -> bool {
    let flags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    !flags.contains("-crt-static")
}

/// The minor version of the compiler building this (`rustc 1.95.0 (…)` → 95).
fn rustc_minor() -> Option<u32> {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text.split_whitespace().nth(1)?;
    let mut parts = version.split('.');
    match (parts.next(), parts.next()) {
        (Some("1"), Some(minor)) => minor.parse().ok(),
        _ => None,
    }
}

/// Whether the build host's glibc (`getconf GNU_LIBC_VERSION`, e.g. "glibc 2.36") is 2.36 or
/// newer; false when it cannot be told.
fn host_glibc_has_relr() -> bool {
    let Ok(out) = std::process::Command::new("getconf")
        .arg("GNU_LIBC_VERSION")
        .output()
    else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text
        .trim()
        .trim_start_matches("glibc ")
        .split('.')
        .map(|p| p.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(major), Some(minor)) => (major, minor) >= (2, 36),
        _ => false,
    }
}

fn main() {
    let manifest =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let web = manifest.join("web");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=web");
    link_args(&out_dir);
    let mut files = Vec::new();
    walk(&web, &web, &mut files);
    let gz_dir = out_dir.join("web_gz");
    let _ = fs::remove_dir_all(&gz_dir);
    fs::create_dir_all(&gz_dir).expect("create OUT_DIR/web_gz");
    let mut table =
        String::from("/// Generated by build.rs from `web/`.\npub static ASSETS: &[Asset] = &[\n");
    for (i, (rel, path)) in files.iter().enumerate() {
        let raw = fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let mut enc = GzEncoder::new(Vec::new(), Compression::best());
        enc.write_all(&raw).expect("gzip in memory");
        let gz = enc.finish().expect("gzip in memory");
        let gz_path = gz_dir.join(format!("{i}.gz"));
        fs::write(&gz_path, &gz).expect("write gzip");
        let mut h = DefaultHasher::new();
        h.write(&raw);
        table.push_str(&format!(
            "    Asset {{ path: {rel:?}, gz: include_bytes!({gz:?}), len: {len}, etag: \"\\\"{hash:016x}\\\"\" }},\n",
            gz = gz_path.to_string_lossy(),
            len = raw.len(),
            hash = h.finish(),
        ));
    }
    table.push_str("];\n");
    fs::write(out_dir.join("web_assets.rs"), table).expect("write web_assets.rs");
}
