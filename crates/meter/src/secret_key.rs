//! The installation's key for source secrets: `METER_SECRET_KEY`, else a key file made on
//! first use with mode 0600 (`METER_SECRET_KEY_FILE`, default `~/.config/meter/secret.key`).

use anyhow::{anyhow, Context, Result};
use billing::metered::secrets::SecretKey;
use std::io::Write;
use std::path::PathBuf;

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
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(SecretKey::parse(&text).with_context(|| format!("the key file {}", path.display()))?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading the key file {}", path.display())),
    }
}

/// The key, making its file when none is set and the file is missing.
pub fn load_or_create() -> Result<SecretKey> {
    match load()? {
        Some(key) => Ok(key),
        None => make(&key_file()?),
    }
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

/// The key for reading saved secrets; a missing one is an error saying what to do.
pub fn required() -> Result<SecretKey> {
    load()?.ok_or_else(|| {
        anyhow!(
            "no secret key: set METER_SECRET_KEY or METER_SECRET_KEY_FILE to the key the sources were saved \
             with, or save them again with `meter sources set`"
        )
    })
}
