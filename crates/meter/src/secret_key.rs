//! The installation's key for source secrets: `METER_SECRET_KEY`, else a key file made on
//! first use with mode 0600 (`METER_SECRET_KEY_FILE`, default `~/.config/meter/secret.key`), or
//! by `sources new-key` when the key is lost.

use crate::stdout::note;
use anyhow::{anyhow, bail, Context, Result};
use billing::metered::secrets::SecretKey;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use store::Store;

fn key_file() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("METER_SECRET_KEY_FILE") {
        return Ok(PathBuf::from(p));
    }
    let config = match std::env::var_os("XDG_CONFIG_HOME") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(std::env::var_os("HOME").ok_or_else(|| {
            anyhow!("neither METER_SECRET_KEY, METER_SECRET_KEY_FILE nor HOME is set: nowhere to keep the secret key")
        })?)
        .join(".config"),
    };
    Ok(config.join("meter").join("secret.key"))
}

/// The key, if one is set or its file exists.
pub fn load() -> Result<Option<SecretKey>> {
    if let Ok(text) = std::env::var("METER_SECRET_KEY") {
        return Ok(Some(SecretKey::parse(&text).context("METER_SECRET_KEY")?));
    }
    let path = key_file()?;
    let mut file = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading the key file {}", path.display())),
    };
    let mut text = String::new();
    let mode = file
        .metadata()
        .and_then(|m| file.read_to_string(&mut text).map(|_| m.permissions().mode() & 0o777))
        .with_context(|| format!("reading the key file {}", path.display()))?;
    if mode & 0o077 != 0 {
        note!(
            "warning: the key file {0} is open to other users (mode {mode:04o}): restrict it with `chmod 600 {0}`",
            path.display()
        );
    }
    Ok(Some(SecretKey::parse(&text).with_context(|| format!("the key file {}", path.display()))?))
}

/// The key to seal a source's secrets with: the one set, else a key file made on first use. When
/// the database already holds secrets, the key that sealed them is not here: no key is made (it
/// would not open them), and the error says how to find that key or start a new one.
pub fn for_saving<S: Store>(store: &mut S) -> Result<SecretKey> {
    if let Some(key) = load()? {
        return Ok(key);
    }
    let sealed = billing::metered::settings::list(store, None)?;
    if sealed.is_empty() {
        return make(&key_file()?);
    }
    let sources: Vec<String> = sealed
        .iter()
        .map(|s| format!("{} (key {})", s.settings.source, s.key_id.as_deref().unwrap_or("not recorded")))
        .collect();
    bail!(
        "no secret key is set, and the database holds the secrets of {}: set METER_SECRET_KEY or \
         METER_SECRET_KEY_FILE to that key; if it is lost, start a new one with `meter sources new-key` and give \
         each source's secrets again (docs/operations.md, \"A lost key\")",
        sources.join(", ")
    )
}

/// A new key file, for a lost key; refused when `METER_SECRET_KEY` is set or the file exists.
pub fn start_new() -> Result<(SecretKey, PathBuf)> {
    if std::env::var_os("METER_SECRET_KEY").is_some() {
        bail!("METER_SECRET_KEY is set: a new key is a new value of it (`openssl rand -base64 32`), not a key file");
    }
    let path = key_file()?;
    if path.exists() {
        bail!(
            "the key file {} exists, and a key is never replaced: move it away first if it is not the key wanted \
             (the secrets it sealed cannot be read without it)",
            path.display()
        );
    }
    Ok((make(&path)?, path))
}

fn make(path: &std::path::Path) -> Result<SecretKey> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let key = SecretKey::generate();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating the key file {}", path.display()))?;
    writeln!(f, "{}", key.encode())
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", path.display()))?;
    crate::stdout::note!(
        "note: created the secret key {} (mode 0600); keep it with the database's backups: without it the \
         saved source secrets cannot be read",
        path.display()
    );
    Ok(key)
}
