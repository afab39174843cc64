//! Connection settings of one source and their validation.

use std::time::Duration;

use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};

use crate::{ApiVersion, Platform, SourceError};

/// Bounded retries with exponential backoff and full jitter (docs/sources.md).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (429 answers count too).
    pub max_retries: u32,
    /// The first backoff ceiling; doubled at each retry.
    pub base: Duration,
    /// The largest backoff ceiling.
    pub cap: Duration,
    /// The longest `Retry-After` honoured.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            base: Duration::from_millis(250),
            cap: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// How to reach and log in to one source. `Debug` shows no secret.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Which platform this is.
    pub platform: Platform,
    /// NetSapiens: the host base, e.g. `https://pbx.example.net`; Brightlink: the API base,
    /// e.g. `https://cpaas-aws.brightlink.com/brightlink/`.
    pub url: String,
    /// NetSapiens: the OAuth client id; Brightlink: the API key (HTTP Basic user).
    pub client_id: Option<String>,
    /// NetSapiens: the OAuth client secret; Brightlink: the API secret.
    pub client_secret: Option<SecretString>,
    /// The account's username.
    pub username: Option<String>,
    /// The account's password.
    pub password: Option<SecretString>,
    /// NetSapiens v2 API key (`nsd-…`), used instead of the password grant.
    pub api_key: Option<SecretString>,
    /// NetSapiens only.
    pub api_version: ApiVersion,
    /// Per request (connect to last byte).
    pub timeout: Duration,
    /// What to do when a request fails.
    pub retry: RetryPolicy,
}

impl Settings {
    /// Settings for `platform` at `url` with no credentials and the default timeout and retries.
    pub fn new(platform: Platform, url: impl Into<String>) -> Settings {
        Settings {
            platform,
            url: url.into(),
            client_id: None,
            client_secret: None,
            username: None,
            password: None,
            api_key: None,
            api_version: ApiVersion::Auto,
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
        }
    }

    /// The base URL, checked: http or https with a host.
    pub(crate) fn base_url(&self) -> Result<Url, SourceError> {
        let bad = |reason: String| SourceError::Config { platform: self.platform, reason };
        let url = Url::parse(self.url.trim()).map_err(|e| bad(format!("URL `{}` does not parse: {e}", self.url)))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() || url.cannot_be_a_base() {
            return Err(bad(format!("URL `{}` is not an http(s) address with a host", self.url)));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("the URL must not hold credentials: use the username and password settings".into()));
        }
        if self.timeout.is_zero() {
            return Err(bad("the timeout must be longer than 0 s".into()));
        }
        Ok(url)
    }

    /// The secrets, given or not.
    pub(crate) fn secrets(&self) -> [&Option<SecretString>; 3] {
        [&self.client_secret, &self.password, &self.api_key]
    }

    /// The names of the credentials that are needed and not given (empty counts as not given).
    pub(crate) fn missing(&self, needed: &[&'static str]) -> Vec<&'static str> {
        let given = |name: &str| match name {
            "client_id" => self.client_id.as_deref().is_some_and(|s| !s.is_empty()),
            "client_secret" => filled(&self.client_secret),
            "username" => self.username.as_deref().is_some_and(|s| !s.is_empty()),
            "password" => filled(&self.password),
            "api_key" => filled(&self.api_key),
            _ => false,
        };
        needed.iter().copied().filter(|n| !given(n)).collect()
    }
}

fn filled(secret: &Option<SecretString>) -> bool {
    secret.as_ref().is_some_and(|s| !s.expose_secret().is_empty())
}
