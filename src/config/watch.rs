//! Telling the daemon that its config file may have changed, without waking it up to look.
//!
//! On Linux an inotify watch on the file's directory reports every way a file gets a new
//! content there: written and closed in place (`vi`, `echo >`), renamed over (the atomic saves
//! of ddns-rs itself and of most editors), moved away or deleted. The directory is watched
//! rather than the file, because an atomic save replaces the file's inode and a watch on the old
//! one would go quiet. Events for other names in the directory (the lock file, history, an
//! editor's swap file) are ignored.
//!
//! The watcher only says "look again": the daemon still compares the file's fingerprint and
//! parses it as before, so a spurious or coalesced event costs one read. Where inotify is not
//! available (other systems, a directory that does not exist yet, the per-user watch limit
//! reached, the directory removed or unmounted later), [`spawn`] returns `None` or the
//! receiver reports [`Event::Gone`] and the daemon goes back to checking every few seconds.
//!
//! What inotify cannot see: changes made on another machine to a network file system (NFS,
//! SMB) and a symlink in the directory pointed elsewhere without touching the name (Kubernetes
//! config maps). For those the daemon also compares the file at every `-f` run.

use std::path::Path;

use tokio::sync::mpsc;

/// What the watcher reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The file may have changed: compare it again.
    Changed,
    /// The watch ended (directory removed, moved, unmounted, or a read error); nothing more will
    /// come. The daemon falls back to polling.
    Gone,
}

/// Starts watching `path` (Linux). None when the watch cannot be set up; the reason is logged
/// at debug level only, since polling is a complete fallback.
#[cfg(target_os = "linux")]
pub fn spawn(path: &Path) -> Option<mpsc::Receiver<Event>> {
    match linux::spawn(path) {
        Ok(rx) => Some(rx),
        Err(e) => {
            tracing::debug!("not watching {} with inotify: {e}", path.display());
            None
        }
    }
}

/// Starts watching `path`: not available on this system, the daemon polls.
#[cfg(not(target_os = "linux"))]
pub fn spawn(_path: &Path) -> Option<mpsc::Receiver<Event>> {
    None
}

#[cfg(target_os = "linux")]
mod linux {
    use std::ffi::OsString;
    use std::io;
    use std::path::{Path, PathBuf};

    use inotify::{EventMask, Inotify, WatchMask};
    use tokio::io::unix::AsyncFd;
    use tokio::sync::mpsc;

    use super::Event;

    /// The directory to watch and the name to look for in it.
    fn split(path: &Path) -> io::Result<(PathBuf, OsString)> {
        let name = path.file_name().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name")
        })?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Ok((dir, name.to_os_string()))
    }

    /// What an event means for the watched name.
    pub(super) fn classify(
        mask: EventMask,
        name: Option<&std::ffi::OsStr>,
        ours: &OsString,
    ) -> Option<Event> {
        if mask.intersects(
            EventMask::IGNORED | EventMask::DELETE_SELF | EventMask::MOVE_SELF | EventMask::UNMOUNT,
        ) {
            return Some(Event::Gone);
        }
        if mask.contains(EventMask::Q_OVERFLOW) {
            // Events were lost; one of them may have been ours.
            return Some(Event::Changed);
        }
        (name == Some(ours.as_os_str())).then_some(Event::Changed)
    }

    pub(super) fn spawn(path: &Path) -> io::Result<mpsc::Receiver<Event>> {
        let (dir, name) = split(path)?;
        let inotify = Inotify::init()?;
        inotify.watches().add(
            &dir,
            WatchMask::CLOSE_WRITE
                | WatchMask::MOVED_TO
                | WatchMask::MOVED_FROM
                | WatchMask::DELETE
                | WatchMask::DELETE_SELF
                | WatchMask::MOVE_SELF
                | WatchMask::ONLYDIR,
        )?;
        // SAFETY: the descriptor is open (init succeeded) and stays open and the same for as
        // long as the `AsyncFd` lives: `Inotify` owns it and closes it only when dropped, and
        // the `AsyncFd` owns the `Inotify`.
        let mut fd = unsafe { AsyncFd::register(inotify)? };
        // One pending "look again" is enough: further events while the daemon has not looked
        // yet are folded into it.
        let (tx, rx) = mpsc::channel(1);
        tokio::spawn(async move {
            // Room for many events with names up to NAME_MAX at once.
            let mut buf = vec![0u8; 4096];
            loop {
                let mut guard = match fd.readable_mut().await {
                    Ok(g) => g,
                    Err(_) => break,
                };
                let got = guard.try_io(|inner| {
                    let events = inner.get_mut().read_events(&mut buf)?;
                    Ok(events
                        .filter_map(|e| classify(e.mask, e.name, &name))
                        .collect::<Vec<_>>())
                });
                let events = match got {
                    Ok(Ok(events)) => events,
                    Ok(Err(_)) => break,
                    // Not readable after all: wait again.
                    Err(_would_block) => continue,
                };
                if events.contains(&Event::Gone) {
                    break;
                }
                if !events.is_empty() {
                    match tx.try_send(Event::Changed) {
                        Ok(()) | Err(mpsc::error::TrySendError::Full(_)) => {}
                        Err(mpsc::error::TrySendError::Closed(_)) => return,
                    }
                }
            }
            // The daemon may still be busy; wait for room so that Gone is not lost.
            let _ = tx.send(Event::Gone).await;
        });
        Ok(rx)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Waits for the next report; None if nothing arrives in `secs`.
    async fn next(rx: &mut mpsc::Receiver<Event>, secs: u64) -> Option<Event> {
        tokio::time::timeout(Duration::from_secs(secs), rx.recv())
            .await
            .ok()
            .flatten()
    }

    /// Drains what is already queued (a report of an earlier step).
    async fn settle(rx: &mut mpsc::Receiver<Event>) {
        while next(rx, 1).await.is_some() {}
    }

    #[tokio::test]
    async fn reports_every_way_the_file_changes_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ddns.yaml");
        let mut rx = spawn(&path).expect("inotify works here");

        // Created by writing it (write + close).
        std::fs::write(&path, "a: 1\n").unwrap();
        assert_eq!(
            next(&mut rx, 10).await,
            Some(Event::Changed),
            "written in place"
        );
        settle(&mut rx).await;

        // Replaced atomically (a temporary file renamed over it), as ddns-rs and editors save.
        let tmp = dir.path().join(".ddns.yaml.tmp");
        std::fs::write(&tmp, "a: 2\n").unwrap();
        settle(&mut rx).await;
        std::fs::rename(&tmp, &path).unwrap();
        assert_eq!(
            next(&mut rx, 10).await,
            Some(Event::Changed),
            "renamed over"
        );
        settle(&mut rx).await;

        // Other files in the directory are not the config.
        std::fs::write(dir.path().join("ddns.yaml.lock"), "1").unwrap();
        std::fs::write(dir.path().join("history.jsonl"), "{}").unwrap();
        assert_eq!(next(&mut rx, 1).await, None, "other names are ignored");

        // Removed.
        std::fs::remove_file(&path).unwrap();
        assert_eq!(next(&mut rx, 10).await, Some(Event::Changed), "deleted");
    }

    #[tokio::test]
    async fn the_directory_going_away_ends_the_watch() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("conf");
        std::fs::create_dir(&dir).unwrap();
        let mut rx = spawn(&dir.join("ddns.yaml")).expect("inotify works here");
        std::fs::remove_dir(&dir).unwrap();
        assert_eq!(next(&mut rx, 10).await, Some(Event::Gone));
        assert_eq!(next(&mut rx, 1).await, None, "nothing after Gone");
    }

    #[test]
    fn a_directory_that_does_not_exist_cannot_be_watched() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _guard = rt.enter();
        let dir = tempfile::tempdir().unwrap();
        assert!(spawn(&dir.path().join("missing").join("ddns.yaml")).is_none());
    }
}
