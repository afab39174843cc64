//! NetSapiens: API v1 and v2 on one host, with OAuth tokens or a v2 API key.

mod auth;
pub(crate) mod map;
mod v1;
mod v2;

use std::sync::atomic::AtomicBool;

use reqwest::{StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::OnceCell;

use crate::http::{endpoint, Http, Reject, Req};
use crate::pager::Fetched;
use crate::token::{with_bearer, Bearer, TokenSlot};
use crate::wire::looks_like_json;
use crate::{ApiVersion, Cursor, DomainInfo, PhoneNumber, Platform, Settings, SourceError, Window};

/// Rows asked per request.
const LIMIT: u64 = 1000;

/// A NetSapiens installation.
pub(crate) struct Netsapiens {
    http: Http,
    base: Url,
    creds: Creds,
    pinned: ApiVersion,
    version: OnceCell<ApiVersion>,
    token: TokenSlot,
    /// The v2 token route answered 404 or not JSON: tokens come from the v1 route.
    v1_tokens: AtomicBool,
}

enum Creds {
    ApiKey(SecretString),
    Password { client_id: String, client_secret: SecretString, username: String, password: SecretString },
}

impl Netsapiens {
    pub(crate) fn new(s: &Settings) -> Result<Netsapiens, SourceError> {
        let base = s.base_url()?;
        let creds = match (&s.api_key, &s.client_id, &s.client_secret, &s.username, &s.password) {
            (Some(key), ..) if !key.expose_secret().is_empty() => Creds::ApiKey(key.clone()),
            (_, Some(id), Some(secret), Some(user), Some(password))
                if s.missing(&["client_id", "client_secret", "username", "password"]).is_empty() =>
            {
                Creds::Password {
                    client_id: id.clone(),
                    client_secret: secret.clone(),
                    username: user.clone(),
                    password: password.clone(),
                }
            }
            _ => {
                let missing = s.missing(&["client_id", "client_secret", "username", "password"]).join(", ");
                let reason = format!(
                    "give an API key, or a client id, client secret, username and password (missing: {missing})"
                );
                return Err(SourceError::Config { platform: Platform::Netsapiens, reason });
            }
        };
        let http = Http::new(Platform::Netsapiens, s.retry.clone(), s.timeout, &s.secrets())?;
        Ok(Netsapiens {
            http,
            base,
            creds,
            pinned: s.api_version,
            version: OnceCell::new(),
            token: TokenSlot::default(),
            v1_tokens: AtomicBool::new(false),
        })
    }

    pub(crate) fn http(&self) -> &Http {
        &self.http
    }

    pub(crate) fn tokens_obtained(&self) -> u64 {
        self.token.obtained()
    }

    fn url(&self, segments: &[&str]) -> Url {
        endpoint(&self.base, segments)
    }

    /// The API generation: as pinned, or probed once.
    pub(crate) async fn version(&self) -> Result<ApiVersion, SourceError> {
        match self.pinned {
            ApiVersion::Auto => self.version.get_or_try_init(|| auth::probe(self)).await.copied(),
            pinned => Ok(pinned),
        }
    }

    async fn bearer(&self) -> Result<Bearer, SourceError> {
        match &self.creds {
            Creds::ApiKey(key) => Ok(Bearer::key(key.clone())),
            Creds::Password { .. } => auth::bearer(self).await,
        }
    }

    pub(crate) async fn authenticate(&self) -> Result<(), SourceError> {
        match &self.creds {
            Creds::ApiKey(_) => auth::check_key(self).await,
            Creds::Password { .. } => self.bearer().await.map(drop),
        }
    }

    /// Sends an authenticated request (renewing the token once on 401).
    async fn call<T>(
        &self,
        req: &Req,
        retries: &mut u64,
        handle: impl FnMut(StatusCode, &[u8]) -> Result<T, Reject>,
    ) -> Result<T, SourceError> {
        with_bearer(&self.http, &self.token, || self.bearer(), req, retries, handle).await
    }

    pub(crate) async fn domain(&self, domain: &str) -> Result<Option<DomainInfo>, SourceError> {
        match self.version().await? {
            ApiVersion::V1 => v1::domain(self, domain).await,
            _ => v2::domain(self, domain).await,
        }
    }

    pub(crate) async fn phone_numbers(&self, domain: &str) -> Result<Vec<PhoneNumber>, SourceError> {
        match self.version().await? {
            ApiVersion::V1 => v1::phone_numbers(self, domain).await,
            _ => v2::phone_numbers(self, domain).await,
        }
    }

    pub(crate) async fn count(&self, domain: &str, window: &Window) -> Result<u64, SourceError> {
        match self.version().await? {
            ApiVersion::V1 => v1::count(self, domain, window).await,
            _ => v2::count(self, domain, window).await,
        }
    }

    pub(crate) async fn page(
        &self,
        domain: &str,
        window: &Window,
        cursor: &Cursor,
        retries: &mut u64,
    ) -> Result<Fetched, SourceError> {
        match self.version().await? {
            ApiVersion::V1 => v1::page(self, domain, window, cursor, retries).await,
            _ => v2::page(self, domain, window, cursor, retries).await,
        }
    }
}

/// A data answer: 2xx is mapped by `map`; a JSON 404 means the domain does not exist (a 404 page
/// that is not JSON means the route is not there: a plain HTTP error).
fn data<T>(
    domain: &str,
    status: StatusCode,
    body: &[u8],
    map: impl FnOnce(&[u8]) -> Result<T, String>,
) -> Result<T, Reject> {
    match status.as_u16() {
        200..=299 => map(body).map_err(Reject::Malformed),
        404 if looks_like_json(body) => Err(Reject::Fatal(unknown(domain))),
        _ => Err(Reject::Status),
    }
}

fn unknown(domain: &str) -> SourceError {
    SourceError::UnknownDomain { platform: Platform::Netsapiens, domain: domain.to_owned() }
}
