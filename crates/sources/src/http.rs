//! One request under the timeout, retry and backoff policy of docs/sources.md.

use std::error::Error as _;
use std::time::Duration;

use rand::Rng;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{Method, StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument;

use crate::redact::Redactor;
use crate::{Platform, RetryPolicy, SourceError};

mod parts;
mod redirect;

pub(crate) use parts::{endpoint, form_value, message};
use parts::{form_encode, retry_after};

/// The HTTP side of one client: one connection pool, one platform, one policy, and the secrets
/// to keep out of its errors.
pub(crate) struct Http {
    client: reqwest::Client,
    platform: Platform,
    policy: RetryPolicy,
    timeout: Duration,
    redactor: Redactor,
}

/// A request that can be sent again as it is.
pub(crate) struct Req {
    method: Method,
    url: Url,
    label: String,
    /// Content type and text: a secret, since token requests carry the password.
    body: Option<(&'static str, SecretString)>,
    accept: Option<&'static str>,
    /// A secret the body carries besides the client's own (a refresh token).
    secret: Option<SecretString>,
}

impl Req {
    pub(crate) fn get(url: Url) -> Req {
        Req { label: format!("GET {}", url.path()), method: Method::GET, url, body: None, accept: None, secret: None }
    }

    pub(crate) fn post_json(url: Url, json: String) -> Req {
        let label = format!("POST {}", url.path());
        let body = Some(("application/json", json.into()));
        Req { method: Method::POST, url, label, body, accept: None, secret: None }
    }

    pub(crate) fn post_form(url: Url, pairs: &[(&str, &str)]) -> Req {
        let label = format!("POST {}", url.path());
        let body = ("application/x-www-form-urlencoded", form_encode(pairs).into());
        Req { method: Method::POST, url, label, body: Some(body), accept: None, secret: None }
    }

    /// Names the request in errors and logs as `label` (never put a secret in it).
    pub(crate) fn labelled(mut self, label: String) -> Req {
        self.label = label;
        self
    }

    pub(crate) fn accept(mut self, accept: &'static str) -> Req {
        self.accept = Some(accept);
        self
    }

    /// Keeps `secret`, which the body carries, out of the request's errors too.
    pub(crate) fn carrying(mut self, secret: Option<&SecretString>) -> Req {
        self.secret = secret.cloned();
        self
    }

    pub(crate) fn label(&self) -> &str {
        &self.label
    }
}

/// How a request proves who it is.
pub(crate) enum Cred<'a> {
    None,
    Bearer(&'a SecretString),
    Basic(&'a str, &'a SecretString),
}

impl Cred<'_> {
    fn secret(&self) -> Option<&SecretString> {
        match self {
            Cred::None => None,
            Cred::Bearer(token) => Some(token),
            Cred::Basic(_, secret) => Some(secret),
        }
    }
}

/// Why a handler refuses an answer.
pub(crate) enum Reject {
    /// The body is not what the protocol says: retried with backoff.
    Malformed(String),
    /// A status this request does not expect: fails at once as [`SourceError::Http`].
    Status,
    /// Fails at once with this error.
    Fatal(SourceError),
}

/// A request that did not succeed.
pub(crate) enum Failure {
    /// 401, with the platform's message: the caller refreshes its token or reports bad credentials.
    Unauthorized(String),
    Failed(SourceError),
}

enum Why {
    Transport(String),
    Status(u16, String),
    Malformed(String),
}

impl Why {
    fn map(self, f: impl Fn(&str) -> String) -> Why {
        match self {
            Why::Transport(reason) => Why::Transport(f(&reason)),
            Why::Status(status, message) => Why::Status(status, f(&message)),
            Why::Malformed(reason) => Why::Malformed(f(&reason)),
        }
    }
}

enum Step<T> {
    Done(T),
    Stop(Failure),
    Again(Why, Option<Duration>),
}

impl Http {
    /// `secrets` are the client's credentials, kept out of every error.
    pub(crate) fn new(
        platform: Platform,
        policy: RetryPolicy,
        timeout: Duration,
        secrets: &[&Option<SecretString>],
    ) -> Result<Http, SourceError> {
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(timeout)
            .redirect(redirect::within_origin())
            .user_agent(concat!("meter-sources/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SourceError::Config { platform, reason: format!("cannot set up HTTP: {e}") })?;
        let redactor = Redactor::new(secrets.iter().filter_map(|s| s.as_ref()));
        Ok(Http { client, platform, policy, timeout, redactor })
    }

    pub(crate) fn platform(&self) -> Platform {
        self.platform
    }

    pub(crate) fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Sends `req` until `handle` accepts an answer, the policy gives up, or an answer is final.
    /// 2xx and 4xx answers other than 401 and 429 go to `handle`; `retries` counts the retries.
    /// What a failure says comes without any secret the client knows, and short.
    pub(crate) async fn send<T>(
        &self,
        req: &Req,
        cred: &Cred<'_>,
        retries: &mut u64,
        mut handle: impl FnMut(StatusCode, &[u8]) -> Result<T, Reject>,
    ) -> Result<T, Failure> {
        let mut attempt = 0;
        loop {
            let span = tracing::debug_span!("request", platform = %self.platform, method = %req.method,
                path = req.url.path(), attempt, status = tracing::field::Empty);
            let (why, after) = match self.attempt(req, cred, &mut handle).instrument(span).await {
                Step::Done(t) => return Ok(t),
                Step::Stop(Failure::Unauthorized(m)) => return Err(Failure::Unauthorized(self.clean(&m, req, cred))),
                Step::Stop(Failure::Failed(e)) => {
                    return Err(Failure::Failed(e.map_text(|t| self.clean(t, req, cred))));
                }
                Step::Again(why, after) => (why, after),
            };
            if attempt >= self.policy.max_retries {
                let why = why.map(|t| self.clean(t, req, cred));
                return Err(Failure::Failed(self.exhausted(req, why, attempt + 1)));
            }
            let wait = after.unwrap_or_else(|| self.backoff(attempt));
            tracing::debug!(platform = %self.platform, request = req.label, attempt, ?wait, "retrying");
            *retries += 1;
            attempt += 1;
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt<T>(
        &self,
        req: &Req,
        cred: &Cred<'_>,
        handle: &mut impl FnMut(StatusCode, &[u8]) -> Result<T, Reject>,
    ) -> Step<T> {
        let mut rb = self.client.request(req.method.clone(), req.url.clone()).timeout(self.timeout);
        if let Some(accept) = req.accept {
            rb = rb.header(ACCEPT, accept);
        }
        rb = match cred {
            Cred::None => rb,
            Cred::Bearer(token) => rb.bearer_auth(token.expose_secret()),
            Cred::Basic(user, secret) => rb.basic_auth(user, Some(secret.expose_secret())),
        };
        if let Some((content_type, body)) = &req.body {
            rb = rb.header(CONTENT_TYPE, *content_type).body(body.expose_secret().to_owned());
        }
        let resp = match rb.send().await {
            Ok(resp) => resp,
            Err(e) if e.is_redirect() => {
                let reason = e.source().map_or_else(|| "redirected".into(), ToString::to_string);
                let (platform, request) = (self.platform, req.label.clone());
                return Step::Stop(Failure::Failed(SourceError::Redirected { platform, request, reason }));
            }
            Err(e) => return Step::Again(Why::Transport(self.describe(&e)), None),
        };
        let status = resp.status();
        tracing::Span::current().record("status", status.as_u16());
        if status == StatusCode::TOO_MANY_REQUESTS {
            let after = retry_after(resp.headers(), self.policy.max_retry_after);
            return Step::Again(Why::Status(429, "rate limited".into()), Some(after));
        }
        let body = match resp.bytes().await {
            Ok(body) => body,
            Err(e) => return Step::Again(Why::Transport(self.describe(&e)), None),
        };
        tracing::debug!(status = status.as_u16(), bytes = body.len(), "answer");
        if status.is_server_error() {
            return Step::Again(Why::Status(status.as_u16(), message(status, &body)), None);
        }
        if status == StatusCode::UNAUTHORIZED {
            return Step::Stop(Failure::Unauthorized(message(status, &body)));
        }
        match handle(status, &body) {
            Ok(t) => Step::Done(t),
            Err(Reject::Malformed(reason)) => Step::Again(Why::Malformed(reason), None),
            Err(Reject::Status) => Step::Stop(Failure::Failed(SourceError::Http {
                platform: self.platform,
                request: req.label.clone(),
                status: status.as_u16(),
                message: message(status, &body),
            })),
            Err(Reject::Fatal(e)) => Step::Stop(Failure::Failed(e)),
        }
    }

    /// `text` (the platform's words) without the secrets the client and this request know, and
    /// short.
    fn clean(&self, text: &str, req: &Req, cred: &Cred<'_>) -> String {
        let extra: Vec<&SecretString> = cred.secret().into_iter().chain(req.secret.as_ref()).collect();
        self.redactor.clean(text, &extra)
    }

    /// Full jitter: a uniform wait up to `min(cap, base · 2^attempt)`.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let ceiling =
            self.policy.base.saturating_mul(1u32.checked_shl(attempt).unwrap_or(u32::MAX)).min(self.policy.cap);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rand::rng().random_range(0..=nanos))
    }

    fn exhausted(&self, req: &Req, why: Why, attempts: u32) -> SourceError {
        let (platform, request) = (self.platform, req.label.clone());
        let tries = if attempts == 1 { "1 attempt".to_string() } else { format!("{attempts} attempts") };
        match why {
            Why::Transport(reason) => {
                SourceError::Unreachable { platform, request, reason: format!("{reason} ({tries})") }
            }
            Why::Status(status, message) => {
                SourceError::Http { platform, request, status, message: format!("{message} ({tries})") }
            }
            Why::Malformed(reason) => {
                SourceError::Malformed { platform, request, reason: format!("{reason} ({tries})") }
            }
        }
    }

    /// What went wrong with a transport error, without its URL.
    fn describe(&self, e: &reqwest::Error) -> String {
        if e.is_timeout() {
            return format!("no answer within {} ms", self.timeout.as_millis());
        }
        let kind = if e.is_connect() {
            "connection failed"
        } else if e.is_body() || e.is_decode() {
            "the answer was cut short"
        } else {
            "the request failed"
        };
        let mut cause = e.source();
        let mut innermost = None;
        while let Some(c) = cause {
            innermost = Some(c);
            cause = c.source();
        }
        match innermost {
            Some(c) => format!("{kind}: {c}"),
            None => kind.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_stays_under_the_doubling_ceiling_and_the_cap() {
        let policy =
            RetryPolicy { base: Duration::from_millis(100), cap: Duration::from_secs(1), ..Default::default() };
        let http = Http::new(Platform::Netsapiens, policy, Duration::from_secs(1), &[]).expect("valid settings");
        for _ in 0..200 {
            assert!(http.backoff(0) <= Duration::from_millis(100));
            assert!(http.backoff(2) <= Duration::from_millis(400));
            assert!(http.backoff(40) <= Duration::from_secs(1));
        }
    }
}
