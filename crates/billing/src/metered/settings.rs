//! An installation's settings for a metered source: what is stored, what is shown, and the
//! client they make.

use super::cleartext::Cleartext;
use super::secrets::{sealed_with, SecretKey};
use crate::error::{BillingError, Result};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sources::{ApiVersion, RetryPolicy};
use std::time::Duration;
use store::prelude::*;
use store::{Platform, Source, SourceSettings, Store, StoreTx};

/// What an operator gives for one source. Secrets left `None` keep their stored value.
#[derive(Debug, Clone, Default)]
pub struct SourceConfig {
    pub url: String,
    /// NetSapiens: the OAuth client id. Brightlink: the account's API key.
    pub client_id: Option<String>,
    pub username: Option<String>,
    pub api_version: Option<ApiVersion>,
    pub timeout_secs: Option<u64>,
    /// NetSapiens: the client secret. Brightlink: the API secret.
    pub client_secret: Option<SecretString>,
    pub password: Option<SecretString>,
    /// NetSapiens v2 API key, used instead of the password grant.
    pub api_key: Option<SecretString>,
    /// Save a plain http URL to another host (see [`super::cleartext::cleartext`]) all the same.
    pub allow_cleartext: bool,
}

/// The stored settings that are not secret (JSON in `source_settings.settings`). Of each secret,
/// only whether it is set (`"set"`) and when it was last given (RFC 3339, UTC; `None` for one
/// saved before meter recorded it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored {
    pub source: String,
    pub url: String,
    pub client_id: Option<String>,
    pub username: Option<String>,
    pub api_version: String,
    pub timeout_secs: u64,
    pub client_secret: Option<String>,
    #[serde(default)]
    pub client_secret_changed_at: Option<String>,
    pub password: Option<String>,
    #[serde(default)]
    pub password_changed_at: Option<String>,
    pub api_key: Option<String>,
    #[serde(default)]
    pub api_key_changed_at: Option<String>,
    /// When the settings were last saved (RFC 3339, UTC).
    pub updated_at: String,
}

/// A source as shown to operators: its stored settings, and the key its secrets are sealed with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shown {
    #[serde(flatten)]
    pub settings: Stored,
    /// The platform the source is an instance of (`netsapiens`, `brightlink`).
    pub platform: &'static str,
    /// The id of the key the secrets are sealed with (`None`: sealed before key ids were
    /// recorded).
    pub key_id: Option<String>,
    /// Whether the key here sealed them (`None`: no key here).
    pub key_is_current: Option<bool>,
}

impl Shown {
    fn of(s: &SourceSettings, key: Option<&SecretKey>) -> Result<Shown> {
        Ok(Shown {
            settings: stored_of(s)?,
            platform: s.source.platform().as_str(),
            key_id: sealed_with(&s.secrets).map(|id| id.to_string()),
            key_is_current: key.map(|k| k.seals(&s.secrets)),
        })
    }
}

/// The secrets, as sealed in the store.
#[derive(Default, Serialize, Deserialize)]
struct Secrets {
    client_secret: Option<String>,
    password: Option<String>,
    api_key: Option<String>,
}

const DEFAULT_TIMEOUT_SECS: u64 = 30;

/// The client's platform of a source; the file source has none.
fn platform(source: &Source) -> Result<sources::Platform> {
    match source.platform() {
        Platform::Netsapiens => Ok(sources::Platform::Netsapiens),
        Platform::Brightlink => Ok(sources::Platform::Brightlink),
        Platform::File => Err(BillingError::NoSettings { name: source.name().to_owned() }),
    }
}

/// The source named `name` and its platform: the registered one (whose platform must be
/// `platform` when that is given), or `None` for a name not registered yet, whose platform must
/// be given and whose name must be valid (the caller registers it).
fn resolve<T: StoreTx>(tx: &mut T, name: &str, platform: Option<Platform>) -> Result<(Option<Source>, Platform)> {
    let found = tx.sources()?.into_iter().find(|s| s.name() == name);
    match (found, platform) {
        (Some(s), Some(asked)) if s.platform() != asked => {
            Err(BillingError::PlatformChange { name: name.to_owned(), platform: s.platform(), asked })
        }
        (Some(s), _) => {
            let p = s.platform();
            Ok((Some(s), p))
        }
        (None, Some(p)) => {
            Source::check_name(name, p)
                .map_err(|reason| BillingError::BadSourceName { name: name.to_owned(), reason })?;
            Ok((None, p))
        }
        (None, None) => Err(BillingError::NewSource(name.to_owned())),
    }
}

/// Checks what needs no secret: the source is or can be a platform's instance with settings, and
/// its URL is not plain http to another host unless that is allowed. Returns its platform, and
/// the warning to give when the URL is plain http, allowed.
pub fn check<S: Store>(
    store: &mut S,
    name: &str,
    platform: Option<Platform>,
    cfg: &SourceConfig,
) -> Result<(Platform, Option<Cleartext>)> {
    let (_, p, cleartext) = settable(&mut store.read()?, name, platform, cfg)?;
    Ok((p, cleartext))
}

/// [`check`] in a transaction: also the registered source, `None` for a new name.
fn settable<T: StoreTx>(
    tx: &mut T,
    name: &str,
    platform: Option<Platform>,
    cfg: &SourceConfig,
) -> Result<(Option<Source>, Platform, Option<Cleartext>)> {
    let (found, p) = resolve(tx, name, platform)?;
    if p == Platform::File {
        return Err(BillingError::NoSettings { name: name.to_owned() });
    }
    Ok((found, p, cleartext_verdict(cfg)?))
}

/// A URL that is plain http to another host is refused unless allowed; allowed, it is the warning
/// to give.
fn cleartext_verdict(cfg: &SourceConfig) -> Result<Option<Cleartext>> {
    match (super::cleartext::cleartext(&cfg.url), cfg.allow_cleartext) {
        (Some(why), false) => Err(BillingError::Cleartext(why)),
        (allowed, _) => Ok(allowed),
    }
}

/// Saves a source's settings; secrets not given keep their saved value. Saved secrets this key
/// does not open (sealed with a lost key, or damaged) cannot be kept: then every secret must be
/// given, and the old key is not needed. Returns what is shown.
///
/// `name` is a registered source, or a new one of `platform` (registered with these settings).
pub fn save<S: Store>(
    store: &mut S,
    key: &SecretKey,
    (name, platform): (&str, Option<Platform>),
    cfg: &SourceConfig,
    now: i64,
) -> Result<Shown> {
    let mut tx = store.write()?;
    let source = match settable(&mut tx, name, platform, cfg)? {
        (Some(s), ..) => s,
        (None, p, _) => tx.add_source(name, p)?,
    };
    let old = tx.source_settings()?.into_iter().find(|s| s.source == source);
    let (mut secrets, before, unkept) = match &old {
        None => (Secrets::default(), None, None),
        Some(s) => match open_secrets(key, s) {
            Ok(secrets) => (secrets, Some(stored_of(s)?), None),
            Err(BillingError::Sealed { error, .. }) => (Secrets::default(), Some(stored_of(s)?), Some(error)),
            Err(e) => return Err(e),
        },
    };
    let given = |s: &Option<SecretString>| s.as_ref().map(|v| v.expose_secret().to_owned());
    secrets.client_secret = given(&cfg.client_secret).or(secrets.client_secret);
    secrets.password = given(&cfg.password).or(secrets.password);
    secrets.api_key = given(&cfg.api_key).or(secrets.api_key);
    let at = crate::time::format_utc(now);
    // Of each secret: "set", and when it was last given (now, if it is given now).
    let mark = |value: &Option<String>, given: &Option<SecretString>, before: Option<String>| match (value, given) {
        (None, _) => (None, None),
        (Some(_), Some(_)) => (Some("set".to_owned()), Some(at.clone())),
        (Some(_), None) => (Some("set".to_owned()), before),
    };
    let b = before.as_ref();
    let (client_secret, client_secret_changed_at) =
        mark(&secrets.client_secret, &cfg.client_secret, b.and_then(|b| b.client_secret_changed_at.clone()));
    let (password, password_changed_at) =
        mark(&secrets.password, &cfg.password, b.and_then(|b| b.password_changed_at.clone()));
    let (api_key, api_key_changed_at) =
        mark(&secrets.api_key, &cfg.api_key, b.and_then(|b| b.api_key_changed_at.clone()));
    let stored = Stored {
        source: source.name().to_owned(),
        url: cfg.url.clone(),
        client_id: cfg.client_id.clone(),
        username: cfg.username.clone(),
        // Brightlink has one API generation.
        api_version: match source.platform() {
            Platform::Brightlink => ApiVersion::V1.to_string(),
            _ => cfg.api_version.unwrap_or(ApiVersion::Auto).to_string(),
        },
        timeout_secs: cfg.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS),
        client_secret,
        client_secret_changed_at,
        password,
        password_changed_at,
        api_key,
        api_key_changed_at,
        updated_at: at.clone(),
    };
    let record = SourceSettings {
        source: source.clone(),
        settings: serde_json::to_string(&stored)
            .map_err(|e| BillingError::Encode { what: "the source settings", reason: e.to_string() })?,
        secrets: key.seal(&serde_json::to_vec(&secrets).unwrap_or_default()),
        updated_at: now,
    };
    // The client checks that the settings are complete for the platform before they are kept.
    if let Err(e) = client_of(&record, key, None) {
        return Err(match unkept {
            Some(sealed) => BillingError::Secret(format!(
                "none of the saved secrets of {source} can be kept, since {sealed}: give every secret again ({e})"
            )),
            None => e,
        });
    }
    tx.save_source_settings(&record)?;
    tx.commit()?;
    Shown::of(&record, Some(key))
}

/// Every configured source, as shown to operators; `key` (the key here, if any) tells whether it
/// sealed each source's secrets.
pub fn list<S: Store>(store: &mut S, key: Option<&SecretKey>) -> Result<Vec<Shown>> {
    let mut tx = store.read()?;
    tx.source_settings()?.iter().map(|s| Shown::of(s, key)).collect()
}

fn stored_of(s: &SourceSettings) -> Result<Stored> {
    serde_json::from_str(&s.settings)
        .map_err(|e| store::StoreError::Corrupt(format!("settings of source {}: {e}", s.source)).into())
}

fn open_secrets(key: &SecretKey, s: &SourceSettings) -> Result<Secrets> {
    let plain = key.open(&s.secrets).map_err(|error| BillingError::Sealed { platform: s.source.clone(), error })?;
    serde_json::from_slice(&plain)
        .map_err(|e| store::StoreError::Corrupt(format!("secrets of source {}: {e}", s.source)).into())
}

/// The client for stored settings. `fast` shortens timeouts and retries (for checks that an
/// operator waits on).
pub fn client_of(s: &SourceSettings, key: &SecretKey, fast: Option<Duration>) -> Result<sources::Client> {
    let stored = stored_of(s)?;
    let secrets = open_secrets(key, s)?;
    let secret = |v: Option<String>| v.map(SecretString::from);
    let api_version = stored.api_version.parse().map_err(|e: String| store::StoreError::Corrupt(e))?;
    let mut retry = RetryPolicy::default();
    let mut timeout = Duration::from_secs(stored.timeout_secs);
    if let Some(limit) = fast {
        retry.max_retries = 1;
        timeout = timeout.min(limit);
    }
    let settings = sources::Settings {
        platform: platform(&s.source)?,
        url: stored.url,
        client_id: stored.client_id,
        client_secret: secret(secrets.client_secret),
        username: stored.username,
        password: secret(secrets.password),
        api_key: secret(secrets.api_key),
        api_version,
        timeout,
        retry,
    };
    sources::Client::new(settings).map_err(BillingError::Source)
}

/// The clients of every configured source: none when none is; when one is, `key` must open
/// their secrets (`KeyMissing` without one).
pub fn clients<S: Store>(store: &mut S, key: Option<&SecretKey>, fast: Option<Duration>) -> Result<super::Clients> {
    let list = store.read()?.source_settings()?;
    let key = match key {
        Some(key) => key,
        None if list.is_empty() => return super::Clients::new(Vec::new()),
        None => return Err(BillingError::KeyMissing),
    };
    super::Clients::new(list.iter().map(|s| Ok((s.source.clone(), client_of(s, key, fast)?))).collect::<Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn netsapiens(url: &str) -> SourceConfig {
        SourceConfig { url: url.into(), ..SourceConfig::default() }
    }

    #[test]
    fn plain_http_to_another_host_is_refused_unless_allowed_and_then_warned_of() {
        let http = netsapiens("http://pbx.example.net");
        assert!(matches!(cleartext_verdict(&http), Err(BillingError::Cleartext(_))));
        let allowed = SourceConfig { allow_cleartext: true, ..http };
        assert!(cleartext_verdict(&allowed).expect("allowed").is_some());
        assert_eq!(cleartext_verdict(&netsapiens("https://pbx.example.net")).expect("https"), None);
        assert!(matches!(platform(&Source::file()), Err(BillingError::NoSettings { .. })));
    }
}
