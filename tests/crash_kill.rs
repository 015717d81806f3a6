//! SIGKILL while the web UI saves the config: after every kill the file on disk is exactly one
//! of the two versions the UI was saving (byte for byte), loads as valid YAML and has mode 0600.
//!
//! Each round starts the real binary, logs in, fires a burst of alternating `/save` requests
//! from a second thread and kills the daemon after a random short delay, so kills land before,
//! during and after writes. `DDNS_RS_CRASH_KILLS` sets the number of kills (default 60, under a
//! minute on a busy 2-core machine; the 1,000-kill run is documented in docs/reliability.md).

mod crash_common;

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use crash_common::*;

/// A small xorshift generator seeded from the clock; the seed is printed for reruns.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn sigkill_during_saves_leaves_the_old_or_the_new_file() {
    let kills: usize = std::env::var("DDNS_RS_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let seed = std::env::var("DDNS_RS_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("kills={kills} seed={seed} (DDNS_RS_CRASH_SEED reruns this sequence)");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("conf").join("ddns.yaml");
    let port = free_port();

    // First run: no file; the login creates the account. Then save each version once, cleanly,
    // to learn the exact bytes of both.
    let mut child = start(&cfg, port, dir.path());
    wait_ready(&mut child, port);
    let token = login(port);
    let mut versions = Vec::new();
    for n in 0..2 {
        let r = post(port, "/save", Some(&token), &save_body(n)).unwrap();
        assert_eq!(r.json()["result"], "ok", "{}", r.body);
        versions.push(std::fs::read(&cfg).unwrap());
    }
    assert_ne!(versions[0], versions[1]);
    child.kill().unwrap();
    child.wait().unwrap();

    let mut saves_ok = 0usize;
    for round in 0..kills {
        let mut child = start(&cfg, port, dir.path());
        wait_ready(&mut child, port);
        let token = login(port);
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicUsize::new(0));
        let burst = {
            let (stop, done, token) = (stop.clone(), done.clone(), token.clone());
            std::thread::spawn(move || {
                let mut n = round;
                while !stop.load(Ordering::Relaxed) {
                    match post(port, "/save", Some(&token), &save_body(n % 2)) {
                        Ok(r) => {
                            assert_eq!(r.json()["result"], "ok", "{}", r.body);
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(_) => break, // killed
                    }
                    n += 1;
                }
            })
        };
        // Mostly within the first few saves; sometimes at once or later.
        let delay = match rng.next() % 10 {
            0 => 0,
            1 => 20_000 + rng.next() % 80_000,
            _ => rng.next() % 15_000,
        };
        std::thread::sleep(Duration::from_micros(delay));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        burst.join().unwrap();
        saves_ok += done.load(Ordering::Relaxed);

        let bytes = std::fs::read(&cfg).unwrap();
        assert!(
            versions.contains(&bytes),
            "round {round}: the file is neither version:\n{}",
            String::from_utf8_lossy(&bytes)
        );
        let mode = std::fs::metadata(&cfg).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "round {round}");
        let loaded = ddns_rs::config::store::load(&cfg).unwrap();
        assert!(!loaded.migrated, "round {round}: the file needed migrating");
    }
    let strays: Vec<_> = std::fs::read_dir(cfg.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        // The daemon's one-instance lock lives beside the config; it is not a leftover.
        .filter(|n| n != "ddns.yaml" && n != "ddns.yaml.lock")
        .collect();
    eprintln!(
        "{kills} kills, {saves_ok} saves answered before the kills, {} temporary files left by \
         kills during a write",
        strays.len()
    );
    // Leftovers can only be our own temporary files, never a half-written config elsewhere.
    for s in &strays {
        let s = s.to_string_lossy();
        assert!(
            s.starts_with(".ddns_go_config.") && s.ends_with(".tmp"),
            "unexpected file {s}"
        );
    }
}
