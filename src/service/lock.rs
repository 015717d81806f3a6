//! One instance per config file: an exclusive `flock`-style lock on `<config>.lock`, held for
//! the life of the process. The kernel releases it when the process dies, even by SIGKILL, so
//! a crash never leaves a stale lock behind. The holder writes its PID into the file so that a
//! second instance can say who holds it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

/// A held instance lock; released when dropped (or when the process exits).
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
    /// The lock file.
    pub path: PathBuf,
}

/// Why the lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another live process holds it.
    #[error(
        "another ddns-rs{pid} is already running with config {config}. Stop it first, or use \
         a different config file (-c)",
        pid = .pid.map(|p| format!(" (PID {p})")).unwrap_or_default(),
        config = .config.display()
    )]
    Held {
        /// The config file.
        config: PathBuf,
        /// The PID written by the holder, if readable.
        pid: Option<u32>,
    },
    /// The lock file could not be created or locked (e.g. a read-only config directory).
    #[error("cannot use the lock file {}: {err}", .path.display())]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The error.
        err: io::Error,
    },
}

/// The lock file for `config`: the same path with `.lock` appended.
pub fn lock_path(config: &Path) -> PathBuf {
    let mut s = config.as_os_str().to_owned();
    s.push(".lock");
    PathBuf::from(s)
}

/// Takes the lock for `config` without waiting.
pub fn acquire(config: &Path) -> Result<InstanceLock, LockError> {
    let path = lock_path(config);
    let io_err = |err| LockError::Io {
        path: path.clone(),
        err,
    };
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io_err)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            return Err(LockError::Held {
                config: config.to_path_buf(),
                pid: text.trim().parse().ok(),
            });
        }
        Err(TryLockError::Error(e)) => return Err(io_err(e)),
    }
    // Only the holder writes, so readers see either nothing or the whole PID.
    file.set_len(0).map_err(io_err)?;
    file.rewind().map_err(io_err)?;
    writeln!(file, "{}", std::process::id()).map_err(io_err)?;
    file.flush().map_err(io_err)?;
    Ok(InstanceLock { _file: file, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_on_the_same_config_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("c.yaml");
        let held = acquire(&cfg).unwrap();
        assert_eq!(held.path, dir.path().join("c.yaml.lock"));
        let text = std::fs::read_to_string(&held.path).unwrap();
        assert_eq!(text.trim(), std::process::id().to_string());
        match acquire(&cfg) {
            Err(LockError::Held { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("expected Held, got {other:?}"),
        }
        let other = dir.path().join("other.yaml");
        assert!(acquire(&other).is_ok(), "another config is independent");
        drop(held);
        assert!(acquire(&cfg).is_ok(), "released on drop");
    }

    #[test]
    fn held_message_names_pid_and_config() {
        let e = LockError::Held {
            config: "/etc/d.yaml".into(),
            pid: Some(42),
        };
        let m = e.to_string();
        assert!(m.contains("(PID 42)") && m.contains("/etc/d.yaml"), "{m}");
    }
}
