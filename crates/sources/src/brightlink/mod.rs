//! Brightlink PBX Cloud: a password-grant token with HTTP Basic API credentials, then JSON searches.

pub(crate) mod map;

use std::time::Duration;

use reqwest::{StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};

use crate::http::{endpoint, message, Cred, Failure, Http, Reject, Req};
use crate::pager::Fetched;
use crate::token::{read_grant, with_bearer, Answer, Bearer, TokenSlot};
use crate::{Cursor, DomainInfo, PhoneNumber, Platform, Settings, SourceError, Window};

/// Rows asked per search page.
const LIMIT: u64 = 1000;
/// The media type the token route wants.
const MEDIA_TYPE: &str = "application/vnd.brightlink.v1+json";
/// Token life when the answer has no `expires_in` (assumed; the emulator issues 300 s).
const DEFAULT_TTL: Duration = Duration::from_secs(300);

/// A Brightlink account.
pub(crate) struct Brightlink {
    http: Http,
    base: Url,
    api_key: String,
    api_secret: SecretString,
    username: String,
    password: SecretString,
    token: TokenSlot,
}

impl Brightlink {
    pub(crate) fn new(s: &Settings) -> Result<Brightlink, SourceError> {
        let base = s.base_url()?;
        let needed = ["client_id", "client_secret", "username", "password"];
        match (&s.client_id, &s.client_secret, &s.username, &s.password) {
            (Some(key), Some(secret), Some(user), Some(password)) if s.missing(&needed).is_empty() => Ok(Brightlink {
                http: Http::new(Platform::Brightlink, s.retry.clone(), s.timeout, &s.secrets())?,
                base,
                api_key: key.clone(),
                api_secret: secret.clone(),
                username: user.clone(),
                password: password.clone(),
                token: TokenSlot::default(),
            }),
            _ => {
                let reason = format!(
                    "give the API key (client_id), API secret (client_secret), username and password (missing: {})",
                    s.missing(&needed).join(", ")
                );
                Err(SourceError::Config { platform: Platform::Brightlink, reason })
            }
        }
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

    /// The held token, or a new one from `v1/oauth/token`.
    pub(crate) async fn bearer(&self) -> Result<Bearer, SourceError> {
        let mut slot = self.token.lock().await;
        if let Some(bearer) = slot.current() {
            return Ok(bearer);
        }
        let fields =
            [("grant_type", "password"), ("username", &self.username), ("password", self.password.expose_secret())];
        let req = Req::post_form(self.url(&["v1", "oauth", "token"]), &fields).accept(MEDIA_TYPE);
        let auth = |reason: String| SourceError::Auth { platform: Platform::Brightlink, reason };
        let cred = Cred::Basic(&self.api_key, &self.api_secret);
        let mut retries = 0;
        let grant = self.http.send(&req, &cred, &mut retries, |status, body| match status.as_u16() {
            200..=299 => match read_grant(body, DEFAULT_TTL) {
                Ok(Answer::Granted(grant)) => Ok(grant),
                Ok(Answer::Refused(why)) => Err(Reject::Fatal(auth(format!("the login was refused: {why}")))),
                Err(e) => Err(Reject::Malformed(e)),
            },
            400 | 403 => Err(Reject::Fatal(auth(format!("the login was refused: {}", message(status, body))))),
            _ => Err(Reject::Status),
        });
        let grant = grant.await.map_err(|f| match f {
            Failure::Failed(e) => e,
            Failure::Unauthorized(m) => auth(format!("the API key, API secret, username or password was refused: {m}")),
        })?;
        Ok(slot.store(grant))
    }

    /// A JSON search with a bearer token (renewed once on 401); 2xx answers go to `map`.
    async fn search<T>(
        &self,
        path: &[&str],
        body: String,
        retries: &mut u64,
        map: impl Fn(&[u8]) -> Result<T, String>,
    ) -> Result<T, SourceError> {
        let req = Req::post_json(self.url(path), body);
        let handle = |status: StatusCode, body: &[u8]| {
            if status.is_success() {
                map(body).map_err(Reject::Malformed)
            } else {
                Err(Reject::Status)
            }
        };
        with_bearer(&self.http, &self.token, || self.bearer(), &req, retries, handle).await
    }

    pub(crate) async fn domain(&self, domain: &str) -> Result<Option<DomainInfo>, SourceError> {
        let body = map::domain_search(domain);
        self.search(&["v1", "domain", "search"], body, &mut 0, |b| map::domain(b, domain)).await
    }

    pub(crate) async fn phone_numbers(&self, domain: &str) -> Result<Vec<PhoneNumber>, SourceError> {
        let mut all = Vec::new();
        for page_no in 0.. {
            let body = map::numbers_search(domain, page_no, LIMIT);
            let page = self.search(&["v1", "did", "numbers"], body, &mut 0, map::numbers).await?;
            let short = (page.len() as u64) < LIMIT;
            all.extend(page);
            if short {
                break;
            }
        }
        Ok(all)
    }

    /// `cdrTotalCount`; a count of 0 for a domain the platform does not have is an error.
    pub(crate) async fn count(&self, domain: &str, window: &Window) -> Result<u64, SourceError> {
        let body = map::cdr_search(domain, window, 0, 1);
        match self.search(&["v1", "cdr", "search"], body, &mut 0, map::cdr_total).await? {
            0 if self.domain(domain).await?.is_none() => {
                Err(SourceError::UnknownDomain { platform: Platform::Brightlink, domain: domain.to_owned() })
            }
            total => Ok(total),
        }
    }

    /// Page `offset / 1000`; done when the page is short or reaches `cdrTotalCount`.
    pub(crate) async fn page(
        &self,
        domain: &str,
        window: &Window,
        cursor: &Cursor,
        retries: &mut u64,
    ) -> Result<Fetched, SourceError> {
        if cursor.segment != 0 {
            let reason = format!("cursor segment {} is not 0: Brightlink has one listing", cursor.segment);
            return Err(SourceError::Config { platform: Platform::Brightlink, reason });
        }
        let (page_no, skip) = (cursor.offset / LIMIT, cursor.offset % LIMIT);
        let body = map::cdr_search(domain, window, page_no, LIMIT);
        let (mut rows, total) = self.search(&["v1", "cdr", "search"], body, retries, map::cdr_rows).await?;
        let end = page_no * LIMIT + rows.len() as u64;
        let next =
            if (rows.len() as u64) < LIMIT || end >= total { None } else { Some(Cursor { segment: 0, offset: end }) };
        // A cursor inside a page (not one this client hands out) resumes at its row.
        rows.drain(..rows.len().min(skip as usize));
        Ok(Fetched { rows, next })
    }
}
