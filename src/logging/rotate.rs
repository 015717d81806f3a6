//! The `-log FILE` writer: appends whole lines to FILE (mode 0600, parent directories created),
//! and before a line would make the file larger than the size limit, renames FILE to FILE.1
//! (FILE.1 to FILE.2, …, up to the number of files kept) and starts an empty FILE. A line is
//! never split between two files; a single line longer than the limit gets a file of its own.
//!
//! The size is counted here, not asked of the file system, so the check costs nothing per line.
//! External rotation (logrotate moving FILE away) is not noticed: use the built-in rotation.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A log file rotated by size.
#[derive(Debug)]
pub struct RotatingFile {
    path: PathBuf,
    max_bytes: u64,
    keep: u32,
    file: Option<File>,
    /// Bytes in the current file.
    size: u64,
}

/// Why the log file cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("cannot open the log file {}: {source}; check the path given to -log and its directory's permissions", path.display())]
pub struct OpenError {
    /// The file.
    pub path: PathBuf,
    /// The OS error.
    pub source: io::Error,
}

impl RotatingFile {
    /// Opens (or creates) `path` for appending, keeping `keep` rotated files and rotating before
    /// the file would grow beyond `max_bytes`.
    pub fn open(path: &Path, max_bytes: u64, keep: u32) -> Result<RotatingFile, OpenError> {
        let mut r = RotatingFile {
            path: path.to_path_buf(),
            max_bytes,
            keep,
            file: None,
            size: 0,
        };
        r.reopen().map_err(|source| OpenError {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(r)
    }

    /// The path of the `n`-th rotated file (`FILE.n`).
    pub fn rotated_path(&self, n: u32) -> PathBuf {
        let mut s = self.path.clone().into_os_string();
        s.push(format!(".{n}"));
        PathBuf::from(s)
    }

    /// Appends `line` and a line break in one write, rotating first when needed.
    pub fn write_line(&mut self, line: &str) -> io::Result<()> {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        let len = bytes.len() as u64;
        // An empty file takes any line, so an over-long line does not rotate forever.
        if self.size > 0 && self.size.saturating_add(len) > self.max_bytes {
            self.rotate()?;
        }
        if self.file.is_none() {
            self.reopen()?;
        }
        let Some(f) = self.file.as_mut() else {
            return Err(io::Error::other("the log file is not open"));
        };
        f.write_all(&bytes)?;
        self.size += len;
        Ok(())
    }

    /// FILE → FILE.1 → … → FILE.keep (the oldest is overwritten), then a new, empty FILE.
    fn rotate(&mut self) -> io::Result<()> {
        self.file = None;
        if self.keep == 0 {
            remove_if_exists(&self.path)?;
        } else {
            for n in (1..self.keep).rev() {
                rename_if_exists(&self.rotated_path(n), &self.rotated_path(n + 1))?;
            }
            rename_if_exists(&self.path, &self.rotated_path(1))?;
        }
        self.reopen()
    }

    /// Opens FILE for appending with mode 0600, creating it and its directory as needed.
    fn reopen(&mut self) -> io::Result<()> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir)?;
        }
        let mut opts = OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts.open(&self.path)?;
        // The mode above applies only to a new file; an existing one is made private too, as
        // log lines name domains and addresses.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if file.metadata()?.permissions().mode() & 0o777 != 0o600 {
                file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            }
        }
        self.size = file.metadata()?.len();
        self.file = Some(file);
        Ok(())
    }
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

fn rename_if_exists(from: &Path, to: &Path) -> io::Result<()> {
    match std::fs::rename(from, to) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        r => r,
    }
}

fn remove_if_exists(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        r => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(p: &Path) -> String {
        std::fs::read_to_string(p).unwrap_or_default()
    }

    #[test]
    fn rotates_at_the_boundary_and_keeps_n_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/dir/ddns.log");
        // Lines of 10 bytes with the line break; 30 bytes hold exactly three.
        let mut f = RotatingFile::open(&path, 30, 2).unwrap();
        for i in 0..3 {
            f.write_line(&format!("line {i:04}")).unwrap();
        }
        assert_eq!(read(&path).len(), 30);
        assert!(
            !f.rotated_path(1).exists(),
            "exactly at the limit: no rotation"
        );
        f.write_line("line 0003").unwrap();
        assert_eq!(read(&path), "line 0003\n");
        assert_eq!(
            read(&f.rotated_path(1)),
            "line 0000\nline 0001\nline 0002\n"
        );
        for i in 4..10 {
            f.write_line(&format!("line {i:04}")).unwrap();
        }
        // 0003..=0005 went to .2, then .1 got 0006..=0008, FILE has 0009; .3 never exists.
        assert_eq!(read(&path), "line 0009\n");
        assert_eq!(
            read(&f.rotated_path(1)),
            "line 0006\nline 0007\nline 0008\n"
        );
        assert_eq!(
            read(&f.rotated_path(2)),
            "line 0003\nline 0004\nline 0005\n"
        );
        assert!(!f.rotated_path(3).exists());
    }

    #[test]
    fn lines_are_never_split_and_long_lines_stand_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.log");
        let mut f = RotatingFile::open(&path, 16, 3).unwrap();
        f.write_line("short").unwrap();
        let long = "x".repeat(40);
        f.write_line(&long).unwrap();
        f.write_line("multi\nline").unwrap();
        assert_eq!(read(&f.rotated_path(2)), "short\n");
        assert_eq!(read(&f.rotated_path(1)), format!("{long}\n"));
        assert_eq!(read(&path), "multi\nline\n");
    }

    #[test]
    fn keep_zero_truncates_and_reopen_appends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("z.log");
        let mut f = RotatingFile::open(&path, 10, 0).unwrap();
        f.write_line("aaaa").unwrap();
        f.write_line("bbbb").unwrap();
        f.write_line("cccc").unwrap();
        assert_eq!(read(&path), "cccc\n");
        assert!(!f.rotated_path(1).exists());
        drop(f);
        // A restart appends and counts what is already there.
        let mut f = RotatingFile::open(&path, 10, 0).unwrap();
        f.write_line("dddd").unwrap();
        assert_eq!(read(&path), "cccc\ndddd\n");
        f.write_line("eeee").unwrap();
        assert_eq!(read(&path), "eeee\n");
    }

    #[cfg(unix)]
    #[test]
    fn files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new/p.log");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        // An existing file with a wider mode is narrowed.
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "old\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut f = RotatingFile::open(&path, 8, 1).unwrap();
        assert_eq!(mode(&path), 0o600);
        f.write_line("1234567").unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&f.rotated_path(1)), 0o600);
        // A directory that did not exist is created private.
        let fresh = dir.path().join("a/b/c.log");
        RotatingFile::open(&fresh, 8, 1).unwrap();
        assert_eq!(mode(fresh.parent().unwrap()), 0o700);
        assert_eq!(mode(&fresh), 0o600);
    }

    #[test]
    fn an_unusable_path_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").unwrap();
        let e = RotatingFile::open(&blocker.join("x.log"), 100, 1).unwrap_err();
        assert!(e.to_string().contains("cannot open the log file"), "{e}");
        assert!(e.to_string().contains("-log"), "{e}");
    }
}
