//! Secret references: a credential written as `${env:NAME}` or `${file:/run/secrets/name}`
//! (in `dns.id`, `dns.secret`, the webhook URL and headers) instead of its value, so the config
//! file can be shared or kept in git while the secret comes from the environment or a
//! container secret.
//!
//! Every reference is resolved when the config is loaded ([`check_config`], called by
//! `store::load`): one that cannot be resolved makes the load fail with an error naming the
//! entry, the key and the reference, so a daemon keeps its previous config instead of running
//! with a missing credential. The config itself keeps the reference, so that saving (web UI,
//! headless set-up, `-resetPassword`) writes it back as written, never the value; the value is
//! read again where it is used (building a provider client, sending a webhook), which also
//! picks up a secret file an orchestrator rotated. Values are never logged: errors name the
//! config key and the reference only.

use std::path::Path;

use super::schema::Config;

/// Largest secret file read.
const MAX_FILE: u64 = 64 * 1024;

/// Why a reference could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// The environment variable is not set (or not valid UTF-8).
    #[error("{key}: {reference} is not set; set the environment variable {name} or change {key}")]
    MissingEnv {
        /// The config key.
        key: String,
        /// The reference as written.
        reference: String,
        /// The variable name.
        name: String,
    },
    /// The file cannot be read.
    #[error("{key}: cannot read {reference}: {why}; check that the file exists and is readable")]
    File {
        /// The config key.
        key: String,
        /// The reference as written.
        reference: String,
        /// The OS error (never the contents).
        why: String,
    },
    /// `${` without the closing `}`.
    #[error("{key}: a secret reference starting with {reference:?} has no closing '}}'")]
    Unterminated {
        /// The config key.
        key: String,
        /// The start of the reference.
        reference: String,
    },
}

const PREFIXES: [&str; 2] = ["${env:", "${file:"];

/// Whether `value` contains a `${env:…}` or `${file:…}` reference.
pub fn has_reference(value: &str) -> bool {
    PREFIXES.iter().any(|p| value.contains(p))
}

/// `value` with every reference replaced by the secret, reading the environment through `env`.
/// `key` names the config key in errors.
pub fn resolve_with(
    key: &str,
    value: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, SecretError> {
    if !has_reference(value) {
        return Ok(value.to_string());
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    loop {
        let next = PREFIXES
            .iter()
            .filter_map(|p| rest.find(p).map(|i| (i, *p)))
            .min_by_key(|(i, _)| *i);
        let Some((start, prefix)) = next else {
            out.push_str(rest);
            return Ok(out);
        };
        out.push_str(&rest[..start]);
        let after = &rest[start + prefix.len()..];
        let Some(end) = after.find('}') else {
            return Err(SecretError::Unterminated {
                key: key.to_string(),
                reference: prefix.to_string(),
            });
        };
        let arg = &after[..end];
        let reference = format!("{prefix}{arg}}}");
        if prefix == "${env:" {
            let v = env(arg).ok_or_else(|| SecretError::MissingEnv {
                key: key.to_string(),
                reference: reference.clone(),
                name: arg.to_string(),
            })?;
            out.push_str(&v);
        } else {
            out.push_str(&read_file(key, &reference, Path::new(arg))?);
        }
        rest = &after[end + 1..];
    }
}

/// [`resolve_with`] over the process environment.
pub fn resolve(key: &str, value: &str) -> Result<String, SecretError> {
    resolve_with(key, value, &|n| std::env::var(n).ok())
}

/// A reference in one config entry that cannot be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{entry}: {source}")]
pub struct EntrySecretError {
    /// The entry, as `entry "name"` or `entry #N` (1-based), or `webhook`.
    pub entry: String,
    /// What is wrong with the reference.
    pub source: SecretError,
}

/// How an entry is named in errors: by its name, else by its 1-based position.
fn entry_name(i: usize, name: &str) -> String {
    if name.is_empty() {
        format!("entry #{}", i + 1)
    } else {
        format!("entry {name:?}")
    }
}

/// Resolves every reference in `config` (each entry's `dns.id` and `dns.secret`, the webhook
/// URL and headers), reading the environment through `env`, and drops the values: the first
/// that cannot be resolved is the error.
pub fn check_config(
    config: &Config,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), EntrySecretError> {
    for (i, c) in config.dnsconf.iter().enumerate() {
        for (key, value) in [("dns.id", &c.dns.id), ("dns.secret", &c.dns.secret)] {
            resolve_with(key, value, env).map_err(|source| EntrySecretError {
                entry: entry_name(i, &c.name),
                source,
            })?;
        }
    }
    let hook = &config.webhook;
    for (key, value) in [
        ("webhook.webhookurl", &hook.webhookurl),
        ("webhook.webhookheaders", &hook.webhookheaders),
    ] {
        resolve_with(key, value, env).map_err(|source| EntrySecretError {
            entry: "webhook".into(),
            source,
        })?;
    }
    Ok(())
}

/// A secret file's contents without the trailing line break editors add.
fn read_file(key: &str, reference: &str, path: &Path) -> Result<String, SecretError> {
    let err = |why: String| SecretError::File {
        key: key.to_string(),
        reference: reference.to_string(),
        why,
    };
    let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
    if meta.len() > MAX_FILE {
        return Err(err(format!("larger than {} KiB", MAX_FILE / 1024)));
    }
    let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|_| err("not UTF-8 text".into()))?;
    Ok(text.trim_end_matches(['\r', '\n']).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(n: &str) -> Option<String> {
        (n == "CF_TOKEN").then(|| "s3cret".to_string())
    }

    #[test]
    fn resolves_env_and_file_references_anywhere_in_the_value() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("tok");
        std::fs::write(&f, "filesecret\n").unwrap();
        assert_eq!(resolve_with("dns.secret", "plain", &env).unwrap(), "plain");
        assert_eq!(
            resolve_with("dns.secret", "${env:CF_TOKEN}", &env).unwrap(),
            "s3cret"
        );
        let v = format!("https://h/${{env:CF_TOKEN}}/x?k=${{file:{}}}", f.display());
        assert_eq!(
            resolve_with("webhook.url", &v, &env).unwrap(),
            "https://h/s3cret/x?k=filesecret"
        );
        // A lone "$" or "{" is not a reference.
        assert_eq!(resolve_with("k", "a${b}c$", &env).unwrap(), "a${b}c$");
    }

    #[test]
    fn check_config_names_the_entry_and_reference() {
        let mut c = Config::default();
        c.dnsconf.push(Default::default());
        c.dnsconf.push(Default::default());
        c.dnsconf[0].name = "home".into();
        c.dnsconf[0].dns.secret = "${env:CF_TOKEN}".into();
        c.dnsconf[1].dns.id = "${env:MISSING_ID}".into();
        let e = check_config(&c, &env).unwrap_err();
        assert_eq!(e.entry, "entry #2");
        let msg = e.to_string();
        assert!(
            msg.starts_with("entry #2: dns.id: ${env:MISSING_ID} is not set"),
            "{msg}"
        );
        c.dnsconf[1].dns.id = "plain".into();
        assert_eq!(check_config(&c, &env), Ok(()));
        c.webhook.webhookheaders = "Authorization: Bearer ${file:/no/such/hook}".into();
        let e = check_config(&c, &env).unwrap_err();
        assert_eq!(e.entry, "webhook");
        assert!(e.to_string().contains("webhook.webhookheaders"));
        c.dnsconf[0].dns.secret = "${env:NOPE}".into();
        let e = check_config(&c, &env).unwrap_err();
        assert_eq!(e.entry, "entry \"home\"");
        assert!(!e.to_string().contains("s3cret"));
    }

    #[test]
    fn errors_name_the_key_and_reference_only() {
        let e = resolve_with("dns.secret", "${env:NOPE}", &env).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("dns.secret") && msg.contains("${env:NOPE}"),
            "{msg}"
        );
        let e = resolve_with("dns.id", "${file:/no/such/file}", &env).unwrap_err();
        assert!(
            e.to_string()
                .contains("dns.id: cannot read ${file:/no/such/file}")
        );
        let e = resolve_with("dns.id", "x${env:CF_TOKEN", &env).unwrap_err();
        assert!(matches!(e, SecretError::Unterminated { .. }));
        // The value of a resolved reference never appears in an error about another one.
        let e = resolve_with("k", "${env:CF_TOKEN}${env:NOPE}", &env).unwrap_err();
        assert!(!e.to_string().contains("s3cret"));
    }
}
