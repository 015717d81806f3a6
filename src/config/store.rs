//! Loading and saving the config file: ddns-go's format and compatibility migrations, but with
//! atomic 0600 saves, parse errors that name the line and column, and a fingerprint for cheap
//! hot-reload polling.
//!
//! The file is written only by [`save`] and by [`load`] when a migration changed the config
//! (plaintext password hashed, pre-v5 layout moved into `dnsconf`). A file that fails to parse is
//! never written. Not here: watching the file (the daemon polls [`fingerprint`]).

use std::fs::{self, File};
use std::hash::{DefaultHasher, Hasher};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Deserialize;

use super::schema::{Config, DnsConfig, DnsProvider, IpConf};

pub use super::emit::to_yaml;

/// File name ddns-go uses in the home directory.
const FILE_NAME: &str = ".ddns_go_config.yaml";

/// `<home>/.ddns_go_config.yaml`, or `../.ddns_go_config.yaml` without a home, as ddns-go does.
pub fn default_path(home: Option<&Path>) -> PathBuf {
    match home {
        Some(home) => home.join(FILE_NAME),
        None => Path::new("..").join(FILE_NAME),
    }
}

/// What identifies one version of the file: length, modification time and a content hash (the
/// hash catches edits that keep the length within the clock's resolution).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    len: u64,
    modified: Option<SystemTime>,
    hash: u64,
}

impl Fingerprint {
    fn of(bytes: &[u8], meta: &fs::Metadata) -> Self {
        let mut h = DefaultHasher::new();
        h.write(bytes);
        Fingerprint {
            len: bytes.len() as u64,
            modified: meta.modified().ok(),
            hash: h.finish(),
        }
    }
}

/// The file's current fingerprint, or `None` if it cannot be read (missing, permissions).
pub fn fingerprint(path: &Path) -> Option<Fingerprint> {
    let (bytes, meta) = read(path).ok()?;
    Some(Fingerprint::of(&bytes, &meta))
}

/// A loaded config.
#[derive(Debug)]
pub struct Loaded {
    /// The config, after migrations.
    pub config: Config,
    /// A migration changed the config (and the file was rewritten unless `save_error` is set).
    pub migrated: bool,
    /// Fingerprint of the file as it now is on disk.
    pub fingerprint: Fingerprint,
    /// Set when a migration changed the config but writing it back failed; the config is still
    /// usable in memory and the old file is intact.
    pub save_error: Option<SaveError>,
}

/// Why the config could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file does not exist.
    #[error(
        "the config file {} does not exist; configure ddns-rs in the web UI to create it, \
         or name another file with -c",
        .0.display()
    )]
    NotFound(PathBuf),
    /// The file exists but cannot be read.
    #[error("cannot read the config file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The file is not valid YAML or does not match the schema.
    #[error(
        "the config file {} is not valid{}: {message}; fix the file (it was left unchanged)",
        path.display(),
        position(*line, *column)
    )]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem (0 if unknown).
        line: usize,
        /// 1-based column of the problem (0 if unknown).
        column: usize,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A `${env:…}`/`${file:…}` secret reference cannot be resolved.
    #[error("the config file {}: {source}", path.display())]
    Secret {
        /// The file.
        path: PathBuf,
        /// The entry, key and reference (never a value); boxed to keep `LoadError` small.
        source: Box<super::secrets::EntrySecretError>,
    },
}

fn position(line: usize, column: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(" at line {line}, column {column}")
    }
}

/// Why the config could not be saved. The previous file is untouched in every case.
#[derive(Debug, thiserror::Error)]
#[error(
    "could not save the config file {}: {action} failed: {source}; the previous file was kept unchanged",
    path.display()
)]
pub struct SaveError {
    /// The file that was to be written.
    pub path: PathBuf,
    /// The step that failed.
    pub action: &'static str,
    /// The OS error.
    pub source: io::Error,
}

/// Reads, parses and migrates the config file (rewriting it only if a migration changed it),
/// then resolves every secret reference: one that cannot be resolved is a
/// [`LoadError::Secret`]. The config keeps the references as written (see `secrets`).
pub fn load(path: &Path) -> Result<Loaded, LoadError> {
    load_with_env(path, &|n| std::env::var(n).ok())
}

/// [`load`], reading `${env:…}` references through `env`.
pub fn load_with_env(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Loaded, LoadError> {
    let loaded = load_for_edit(path)?;
    super::secrets::check_config(&loaded.config, env).map_err(|source| LoadError::Secret {
        path: path.to_path_buf(),
        source: Box::new(source),
    })?;
    Ok(loaded)
}

/// [`load`] without resolving secret references: for code that edits the file and writes it
/// back (web UI, headless set-up, `-resetPassword`, `-s install`), so that a reference whose
/// variable or file is missing here can still be seen and fixed.
pub fn load_for_edit(path: &Path) -> Result<Loaded, LoadError> {
    let (bytes, meta) = read(path).map_err(|source| match source.kind() {
        io::ErrorKind::NotFound => LoadError::NotFound(path.to_path_buf()),
        _ => LoadError::Io {
            path: path.to_path_buf(),
            source,
        },
    })?;
    let mut fingerprint = Fingerprint::of(&bytes, &meta);
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let (line, column) = line_column(&bytes[..e.valid_up_to()]);
        LoadError::Parse {
            path: path.to_path_buf(),
            line,
            column,
            message: "the file is not UTF-8 text; save it as UTF-8".into(),
        }
    })?;
    let mut config: Config = yaml_serde::from_str(text).map_err(|e| parse_error(path, text, &e))?;
    let migrated = migrate(&mut config, text);
    let mut save_error = None;
    if migrated {
        match save(path, &config) {
            Ok(()) => fingerprint = fingerprint_of_saved(path, &config).unwrap_or(fingerprint),
            Err(e) => {
                tracing::warn!("{e}");
                save_error = Some(e);
            }
        }
    }
    Ok(Loaded {
        config,
        migrated,
        fingerprint,
        save_error,
    })
}

/// Writes the config atomically: a temporary file in the same directory (mode 0600), fsync,
/// rename over the old file, fsync of the directory. Missing parent directories are created.
/// A symlink at `path` is followed, so the file it points to is replaced.
pub fn save(path: &Path, config: &Config) -> Result<(), SaveError> {
    write_atomic(path, to_yaml(config).as_bytes())
}

/// The language ddns-go would use: anything starting with `zh` is `zh`, everything else `en`.
pub fn effective_lang(config: &Config) -> &'static str {
    if config.lang.starts_with("zh") {
        "zh"
    } else {
        "en"
    }
}

/// Whether web UI clients outside the LAN are refused: as configured, and always while no
/// account exists (ddns-go forces this in memory when username and password are both empty).
pub fn wan_access_forbidden(config: &Config) -> bool {
    config.notallowwanaccess || (config.user.username.is_empty() && config.user.password.is_empty())
}

/// Go's `bcrypt.DefaultCost`; the Rust crate's default is 12.
const BCRYPT_COST: u32 = 10;

/// bcrypt `$2a$`, cost 10, as ddns-go stores passwords.
pub fn hash_password(plain: &str) -> Result<String, bcrypt::BcryptError> {
    Ok(bcrypt::hash_with_result(plain, BCRYPT_COST)?.format_for_version(bcrypt::Version::TwoA))
}

/// [`load`] without the file: parse and migrate `text`. For the fuzz targets; a plaintext
/// password is dropped instead of hashed (bcrypt at cost 10 would make each run ~50 ms).
#[doc(hidden)]
pub fn parse_for_fuzzing(text: &str) -> Result<Config, LoadError> {
    let path = Path::new("<fuzz>");
    let mut config: Config = yaml_serde::from_str(text).map_err(|e| parse_error(path, text, &e))?;
    if !is_bcrypt_hash(&config.user.password) {
        config.user.password.clear();
    }
    migrate(&mut config, text);
    Ok(config)
}

/// ddns-go's `CompatibleConfig`, applied in memory. Returns whether anything changed.
fn migrate(config: &mut Config, text: &str) -> bool {
    let mut changed = false;
    let password = &config.user.password;
    if !password.is_empty() && !is_bcrypt_hash(password) {
        match hash_password(password) {
            Ok(hash) => {
                config.user.password = hash;
                changed = true;
            }
            Err(e) => tracing::warn!("could not hash the plaintext password in the config: {e}"),
        }
    }
    if config.dnsconf.is_empty()
        && let Ok(old) = yaml_serde::from_str::<PreV5>(text)
        && !old.dns.name.is_empty()
    {
        config.dnsconf.push(DnsConfig {
            name: String::new(),
            ipv4: old.ipv4,
            ipv6: old.ipv6,
            dns: old.dns,
            ttl: old.ttl,
            httpinterface: String::new(),
        });
        changed = true;
    }
    changed
}

/// The single-config layout of ddns-go before v5: the entry's keys at the top level.
#[derive(Deserialize, Default)]
#[serde(default)]
struct PreV5 {
    ipv4: IpConf,
    ipv6: IpConf,
    dns: DnsProvider,
    ttl: String,
}

/// What Go's `bcrypt.Cost` accepts: at least 59 bytes, `$`, a major version up to `2`, an
/// optional minor letter, `$`, then a two-digit cost from 4 to 31.
fn is_bcrypt_hash(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 59 || b[0] != b'$' || b[1] > b'2' {
        return false;
    }
    let at = if b[2] == b'$' { 3 } else { 4 };
    std::str::from_utf8(&b[at..at + 2])
        .ok()
        .and_then(|c| c.parse::<i32>().ok())
        .is_some_and(|cost| (4..=31).contains(&cost))
}

fn read(path: &Path) -> io::Result<(Vec<u8>, fs::Metadata)> {
    let mut file = File::open(path)?;
    let meta = file.metadata()?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.read_to_end(&mut bytes)?;
    Ok((bytes, meta))
}

fn fingerprint_of_saved(path: &Path, config: &Config) -> Option<Fingerprint> {
    let meta = fs::metadata(path).ok()?;
    Some(Fingerprint::of(to_yaml(config).as_bytes(), &meta))
}

/// 1-based line and column just after `prefix`.
fn line_column(prefix: &[u8]) -> (usize, usize) {
    let text = String::from_utf8_lossy(prefix);
    let line = text.matches('\n').count() + 1;
    let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn parse_error(path: &Path, text: &str, e: &yaml_serde::Error) -> LoadError {
    let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
    // yaml_serde appends " at line L column C"; we report the position ourselves.
    let mut message = e
        .to_string()
        .replacen(&format!(" at line {line} column {column}"), "", 1);
    let indent_has_tab = text.lines().nth(line.saturating_sub(1)).is_some_and(|l| {
        l.chars()
            .take_while(|c| c.is_whitespace())
            .any(|c| c == '\t')
    });
    if indent_has_tab {
        message.push_str(" (a tab is used for indentation; YAML allows only spaces there)");
    }
    LoadError::Parse {
        path: path.to_path_buf(),
        line,
        column,
        message,
    }
}

const TMP_PREFIX: &str = ".ddns_go_config.";
const TMP_SUFFIX: &str = ".tmp";
/// A temporary file older than this is a leftover of a save that was killed (a live save
/// takes milliseconds), never one in progress.
const STALE_TMP: std::time::Duration = std::time::Duration::from_secs(60);

/// Removes temporary files left by saves that were killed between create and rename. They
/// never replace the config, but each holds a copy of it (secrets included), so they must not
/// pile up. Failures are ignored: this is housekeeping, the save itself decides success.
fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !(name.starts_with(TMP_PREFIX) && name.ends_with(TMP_SUFFIX)) {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE_TMP);
        if old {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SaveError> {
    // ddns-go's os.WriteFile writes through a symlink; keep that rather than replace the link.
    let target = match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => fs::canonicalize(path).unwrap_or(path.into()),
        _ => path.to_path_buf(),
    };
    let fail = |action: &'static str| {
        let path = target.clone();
        move |source: io::Error| SaveError {
            path,
            action,
            source,
        }
    };
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(fail("creating the directory"))?;
    remove_stale_temp_files(&dir);
    let mut builder = tempfile::Builder::new();
    builder.prefix(TMP_PREFIX).suffix(TMP_SUFFIX);
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600));
    let mut tmp = builder
        .tempfile_in(&dir)
        .map_err(fail("creating a temporary file"))?;
    // The umask cannot widen 0600, but set it explicitly so the mode never depends on it.
    #[cfg(unix)]
    tmp.as_file()
        .set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .map_err(fail("setting mode 0600"))?;
    tmp.write_all(bytes)
        .map_err(fail("writing the temporary file"))?;
    tmp.as_file()
        .sync_all()
        .map_err(fail("flushing the temporary file to disk"))?;
    // On failure the temporary file is removed when the returned error drops it.
    tmp.persist(&target)
        .map_err(|e| fail("replacing the old file")(e.error))?;
    // The rename is durable only once the directory is synced; some filesystems refuse this.
    if let Err(e) = File::open(&dir).and_then(|d| d.sync_all()) {
        tracing::warn!(
            "config saved to {}, but syncing {} failed: {e}",
            target.display(),
            dir.display()
        );
    }
    tracing::info!("Config file has been saved to: {}", target.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_temp_files_of_killed_saves_are_removed_and_fresh_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join(".ddns_go_config.abc123.tmp");
        let fresh = dir.path().join(".ddns_go_config.def456.tmp");
        let other = dir.path().join("notes.tmp");
        for p in [&stale, &fresh, &other] {
            fs::write(p, "x").unwrap();
        }
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        File::options()
            .write(true)
            .open(&stale)
            .unwrap()
            .set_modified(old)
            .unwrap();
        save(&dir.path().join(".ddns_go_config.yaml"), &Config::default()).unwrap();
        assert!(!stale.exists(), "a leftover of a killed save is removed");
        assert!(
            fresh.exists(),
            "a temporary file that may be in use is kept"
        );
        assert!(other.exists(), "files that are not ours are never touched");
    }

    #[test]
    fn default_path_follows_ddns_go() {
        assert_eq!(
            default_path(Some(Path::new("/root"))),
            PathBuf::from("/root/.ddns_go_config.yaml")
        );
        assert_eq!(default_path(None), PathBuf::from("../.ddns_go_config.yaml"));
    }

    #[test]
    fn lang_is_normalised_without_changing_the_config() {
        let mut c = Config::default();
        for (lang, want) in [
            ("zh", "zh"),
            ("zh-CN", "zh"),
            ("en", "en"),
            ("", "en"),
            ("fr", "en"),
        ] {
            c.lang = lang.into();
            assert_eq!(effective_lang(&c), want, "{lang}");
        }
    }

    #[test]
    fn wan_access_is_forbidden_until_an_account_exists() {
        let mut c = Config::default();
        assert!(wan_access_forbidden(&c));
        c.user.username = "admin".into();
        assert!(!wan_access_forbidden(&c));
        c.notallowwanaccess = true;
        assert!(wan_access_forbidden(&c));
    }

    #[test]
    fn bcrypt_detection_matches_go_cost_parsing() {
        let hash = "$2a$10$t8pMXiYscv9Zi4SEUjw9S.1H0XeGbDrSxcC8O0hvjDphPd./2Anh.";
        assert!(is_bcrypt_hash(hash));
        assert!(is_bcrypt_hash(&hash.replace("$2a$", "$2b$")));
        assert!(is_bcrypt_hash(&hash.replace("$2a$", "$2y$")));
        assert!(!is_bcrypt_hash("admin123"));
        assert!(!is_bcrypt_hash(&hash.replace("$10$", "$03$")));
        assert!(!is_bcrypt_hash(&hash.replace("$10$", "$32$")));
        assert!(!is_bcrypt_hash(&hash.replace("$2a$", "$3a$")));
        assert!(!is_bcrypt_hash(&hash[..58]));
    }

    #[test]
    fn line_column_counts_characters() {
        assert_eq!(line_column(b""), (1, 1));
        assert_eq!(line_column("ab\nc\u{e9}".as_bytes()), (2, 3));
    }

    #[test]
    fn secret_references_are_resolved_at_load_and_kept_for_saving() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.yaml");
        let mut c = Config::default();
        c.dnsconf.push(DnsConfig::default());
        c.dnsconf[0].name = "home".into();
        c.dnsconf[0].dns.secret = "${env:CF_TOKEN}".into();
        save(&path, &c).unwrap();
        let env = |n: &str| (n == "CF_TOKEN").then(|| "v4lue-abc".to_string());
        let none = |_: &str| None;
        // Resolvable: loads, and the config holds the reference, not the value.
        let l = load_with_env(&path, &env).unwrap();
        assert_eq!(l.config.dnsconf[0].dns.secret, "${env:CF_TOKEN}");
        // Not resolvable: an error naming the file, entry, key and reference.
        let e = load_with_env(&path, &none).unwrap_err();
        assert!(matches!(e, LoadError::Secret { .. }));
        let msg = e.to_string();
        assert!(
            msg.starts_with(&format!(
                "the config file {}: entry \"home\": dns.secret: ${{env:CF_TOKEN}} is not set; set the environment variable CF_TOKEN",
                path.display()
            )),
            "{msg}"
        );
        // An editor still opens it, and saving writes the reference back, never a value.
        let mut edit = load_for_edit(&path).unwrap().config;
        edit.lang = "zh".into();
        save(&path, &edit).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("${env:CF_TOKEN}"), "{text}");
        assert!(!text.contains("v4lue-abc"));
    }
}
