//! Bearer tokens: cached with their expiry, renewed early, shared by concurrent callers, and the
//! one retry of a request that answered 401.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use secrecy::SecretString;
use tokio::sync::{Mutex, MutexGuard};
use tokio::time::Instant;

use crate::http::{Cred, Failure, Http, Reject, Req};
use crate::wire::{parse, Num};
use crate::SourceError;

/// A token as the platform granted it.
pub(crate) struct Grant {
    pub access: SecretString,
    pub refresh: Option<SecretString>,
    pub ttl: Duration,
}

/// What a token endpoint said in a 2xx answer.
pub(crate) enum Answer {
    Granted(Grant),
    /// No `access_token`: the platform's reason (`error: description`).
    Refused(String),
}

#[derive(serde::Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    refresh_token: Option<String>,
    expires_in: Option<Num>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Reads a token answer; `Err` when it is not JSON. `default_ttl` applies without `expires_in`.
pub(crate) fn read_grant(body: &[u8], default_ttl: Duration) -> Result<Answer, String> {
    let a: TokenAnswer = parse(body, "the token answer is not JSON")?;
    match a.access_token.filter(|t| !t.is_empty()) {
        Some(access) => Ok(Answer::Granted(Grant {
            access: access.into(),
            refresh: a.refresh_token.filter(|t| !t.is_empty()).map(Into::into),
            ttl: a.expires_in.map_or(default_ttl, |n| Duration::from_secs(n.0)),
        })),
        None => Ok(Answer::Refused(match (a.error, a.error_description) {
            (Some(e), Some(d)) => format!("{e}: {d}"),
            (Some(e), None) | (None, Some(e)) => e,
            (None, None) => "the answer holds no access_token".into(),
        })),
    }
}

/// A token to send, and which grant it came from.
#[derive(Clone)]
pub(crate) struct Bearer {
    pub token: SecretString,
    /// The grant's number in its slot (see `TokenSlot::obtained`); 0 for an API key.
    generation: u64,
}

impl Bearer {
    /// A fixed key sent as the bearer token.
    pub(crate) fn key(token: SecretString) -> Bearer {
        Bearer { token, generation: 0 }
    }

    /// False for an API key, which is never renewed.
    pub(crate) fn renewable(&self) -> bool {
        self.generation != 0
    }
}

struct Held {
    access: SecretString,
    refresh: Option<SecretString>,
    renew_at: Instant,
}

/// The cached token of one client.
#[derive(Default)]
pub(crate) struct TokenSlot {
    state: Mutex<Option<Held>>,
    /// Grants stored so far; also the generation of the held one (changed only under `state`).
    obtained: AtomicU64,
}

/// The slot, locked: whoever holds it is the one caller fetching a token.
pub(crate) struct Locked<'a> {
    state: MutexGuard<'a, Option<Held>>,
    obtained: &'a AtomicU64,
}

impl TokenSlot {
    pub(crate) async fn lock(&self) -> Locked<'_> {
        Locked { state: self.state.lock().await, obtained: &self.obtained }
    }

    /// Marks the token `used` as refused, unless another caller has already replaced it.
    pub(crate) async fn expire(&self, used: &Bearer) {
        let mut state = self.state.lock().await;
        if self.obtained.load(Ordering::Relaxed) == used.generation {
            if let Some(held) = state.as_mut() {
                held.renew_at = Instant::now();
            }
        }
    }

    /// How many tokens were granted so far (refreshes included).
    pub(crate) fn obtained(&self) -> u64 {
        self.obtained.load(Ordering::Relaxed)
    }
}

impl Locked<'_> {
    /// The held token, unless it is due for renewal.
    pub(crate) fn current(&self) -> Option<Bearer> {
        let held = self.state.as_ref().filter(|h| Instant::now() < h.renew_at)?;
        Some(Bearer { token: held.access.clone(), generation: self.obtained.load(Ordering::Relaxed) })
    }

    /// The refresh token of the held grant, if any.
    pub(crate) fn refresh_token(&self) -> Option<SecretString> {
        self.state.as_ref().and_then(|h| h.refresh.clone())
    }

    /// Keeps `grant`, renewed 60 s before it expires (at half its life when that is under 120 s).
    pub(crate) fn store(&mut self, grant: Grant) -> Bearer {
        let renew_at = Instant::now() + renew_after(grant.ttl);
        let generation = self.obtained.fetch_add(1, Ordering::Relaxed) + 1;
        let token = grant.access.clone();
        *self.state = Some(Held { access: grant.access, refresh: grant.refresh, renew_at });
        Bearer { token, generation }
    }
}

/// How long a token of life `ttl` is used: until 60 s before it expires, or half its life when
/// that is under 120 s (so short-lived tokens are not renewed at every request).
fn renew_after(ttl: Duration) -> Duration {
    if ttl >= Duration::from_secs(120) {
        ttl - Duration::from_secs(60)
    } else {
        ttl / 2
    }
}

/// Sends `req` with a bearer token from `bearer`; on 401 renews the token once (an API key is
/// sent again as it is) and sends again. A second 401 is an authentication error.
pub(crate) async fn with_bearer<T, F, Fut>(
    http: &Http,
    slot: &TokenSlot,
    bearer: F,
    req: &Req,
    retries: &mut u64,
    mut handle: impl FnMut(StatusCode, &[u8]) -> Result<T, Reject>,
) -> Result<T, SourceError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Bearer, SourceError>>,
{
    let mut token = bearer().await?;
    let mut renewed = false;
    loop {
        match http.send(req, &Cred::Bearer(&token.token), retries, &mut handle).await {
            Ok(t) => return Ok(t),
            Err(Failure::Failed(e)) => return Err(e),
            Err(Failure::Unauthorized(message)) if !renewed => {
                tracing::debug!(platform = %http.platform(), request = req.label(), message, "token refused; renewing");
                slot.expire(&token).await;
                token = bearer().await?;
                renewed = true;
                *retries += 1;
            }
            Err(Failure::Unauthorized(message)) => {
                let what = if token.renewable() { "a fresh token" } else { "the API key" };
                let reason = format!("{} refused {what} (401): {message}", req.label());
                return Err(SourceError::Auth { platform: http.platform(), reason });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn grant(ttl: u64) -> Grant {
        Grant { access: "tok".into(), refresh: Some("ref".into()), ttl: Duration::from_secs(ttl) }
    }

    #[test]
    fn tokens_renew_a_minute_early_or_at_half_life() {
        assert_eq!(renew_after(Duration::from_secs(3600)), Duration::from_secs(3540));
        assert_eq!(renew_after(Duration::from_secs(120)), Duration::from_secs(60));
        assert_eq!(renew_after(Duration::from_secs(2)), Duration::from_secs(1));
        assert_eq!(renew_after(Duration::ZERO), Duration::ZERO);
    }

    #[tokio::test]
    async fn a_held_token_is_reused_until_due() {
        let slot = TokenSlot::default();
        slot.lock().await.store(grant(3600));
        assert_eq!(slot.lock().await.current().expect("current").token.expose_secret(), "tok");
        assert_eq!(slot.lock().await.refresh_token().expect("refresh token").expose_secret(), "ref");
        slot.lock().await.store(grant(0));
        assert!(slot.lock().await.current().is_none());
        assert_eq!(slot.obtained(), 2);
    }

    #[test]
    fn token_answers_grant_or_refuse() {
        let ttl = Duration::from_secs(300);
        let body = br#"{"access_token":"a","token_type":"Bearer","expires_in":"3600","refresh_token":"r"}"#;
        let Ok(Answer::Granted(g)) = read_grant(body, ttl) else { panic!("not granted") };
        assert_eq!((g.access.expose_secret(), g.ttl), ("a", Duration::from_secs(3600)));
        assert_eq!(g.refresh.expect("a refresh token").expose_secret(), "r");
        let Ok(Answer::Granted(g)) = read_grant(br#"{"access_token":"a"}"#, ttl) else { panic!("not granted") };
        assert_eq!((g.ttl, g.refresh.is_none()), (ttl, true));
        let refused = read_grant(br#"{"error":"invalid_grant","error_description":"bad password"}"#, ttl);
        assert!(matches!(refused, Ok(Answer::Refused(r)) if r == "invalid_grant: bad password"));
        assert!(read_grant(b"{\"access_tok", ttl).is_err());
    }

    #[tokio::test]
    async fn expiring_an_old_token_keeps_the_new_one() {
        let slot = TokenSlot::default();
        let old = slot.lock().await.store(grant(3600));
        let new = slot.lock().await.store(grant(3600));
        slot.expire(&old).await;
        assert!(slot.lock().await.current().is_some());
        slot.expire(&new).await;
        assert!(slot.lock().await.current().is_none());
    }
}
