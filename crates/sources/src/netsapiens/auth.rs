//! NetSapiens version probe, OAuth tokens (v2 route, v1 fallback, refresh) and API key check.

use std::sync::atomic::Ordering;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{Creds, Netsapiens};
use crate::http::{message, Cred, Failure, Reject, Req};
use crate::token::{read_grant, Answer, Bearer, Grant};
use crate::wire::{looks_like_json, Text};
use crate::{ApiVersion, Platform, SourceError};

/// Token life when the answer has no `expires_in`.
const DEFAULT_TTL: Duration = Duration::from_secs(3600);

#[derive(Deserialize)]
struct VersionAnswer<'a> {
    #[serde(borrow, default)]
    apiversion: Option<Text<'a>>,
}

fn failed(f: Failure, what: &str) -> SourceError {
    match f {
        Failure::Failed(e) => e,
        Failure::Unauthorized(m) => {
            SourceError::Auth { platform: Platform::Netsapiens, reason: format!("{what}: {m}") }
        }
    }
}

/// `GET /ns-api/v2/version`: 200 with `apiversion` → v2; 404 (or a page that is not JSON) → v1.
pub(super) async fn probe(ns: &Netsapiens) -> Result<ApiVersion, SourceError> {
    let req = Req::get(ns.url(&["ns-api", "v2", "version"]));
    let mut retries = 0;
    let version = ns.http.send(&req, &Cred::None, &mut retries, |status, body| match status.as_u16() {
        200..=299 if !looks_like_json(body) => Ok(ApiVersion::V1),
        200..=299 => match serde_json::from_slice::<VersionAnswer>(body) {
            Ok(VersionAnswer { apiversion: Some(_) }) => Ok(ApiVersion::V2),
            Ok(_) => Err(Reject::Malformed("no `apiversion` in the answer: set api_version to v1 or v2".into())),
            Err(e) => Err(Reject::Malformed(format!("the version answer is not JSON: {e}"))),
        },
        404 => Ok(ApiVersion::V1),
        _ => Err(Reject::Status),
    });
    match version.await {
        // The route exists but wants a token: v2 is there.
        Err(Failure::Unauthorized(_)) => Ok(ApiVersion::V2),
        other => other.map_err(|f| failed(f, "unreachable")),
    }
}

/// The held token, or a new one: refreshed when possible, else by password grant.
pub(super) async fn bearer(ns: &Netsapiens) -> Result<Bearer, SourceError> {
    let mut slot = ns.token.lock().await;
    if let Some(bearer) = slot.current() {
        return Ok(bearer);
    }
    let grant = match slot.refresh_token() {
        Some(refresh) => match grant(ns, Some(&refresh)).await {
            Ok(grant) => grant,
            Err(e @ SourceError::Unreachable { .. }) => return Err(e),
            Err(e) => {
                tracing::debug!(platform = "netsapiens", error = %e, "token refresh failed; asking with the password");
                grant(ns, None).await?
            }
        },
        None => grant(ns, None).await?,
    };
    Ok(slot.store(grant))
}

/// A password grant (`refresh` = `None`) or a refresh, on the v2 route unless it is not there.
async fn grant(ns: &Netsapiens, refresh: Option<&SecretString>) -> Result<Grant, SourceError> {
    let v1_route = ns.v1_tokens.load(Ordering::Relaxed) || ns.version().await? == ApiVersion::V1;
    if !v1_route {
        if let Some(grant) = token_request(ns, refresh, false).await? {
            return Ok(grant);
        }
        tracing::debug!(platform = "netsapiens", "no v2 token route; using /ns-api/oauth2/token/");
        ns.v1_tokens.store(true, Ordering::Relaxed);
    }
    match token_request(ns, refresh, true).await? {
        Some(grant) => Ok(grant),
        None => Err(SourceError::Auth { platform: Platform::Netsapiens, reason: "no token route answered".into() }),
    }
}

/// One token request; `None` when the v2 route is not there (404 or not JSON).
async fn token_request(
    ns: &Netsapiens,
    refresh: Option<&SecretString>,
    v1: bool,
) -> Result<Option<Grant>, SourceError> {
    let Creds::Password { client_id, client_secret, username, password } = &ns.creds else {
        return Err(SourceError::Config {
            platform: Platform::Netsapiens,
            reason: "no password to log in with".into(),
        });
    };
    let mut fields = vec![("client_id", client_id.as_str()), ("client_secret", client_secret.expose_secret())];
    match refresh {
        Some(token) => fields.extend([("grant_type", "refresh_token"), ("refresh_token", token.expose_secret())]),
        None => {
            fields.extend([("grant_type", "password"), ("username", username), ("password", password.expose_secret())])
        }
    }
    let req = if v1 {
        Req::post_form(ns.url(&["ns-api", "oauth2", "token", ""]), &fields)
    } else {
        let json: serde_json::Map<String, serde_json::Value> =
            fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).into())).collect();
        Req::post_json(ns.url(&["ns-api", "v2", "tokens"]), serde_json::Value::Object(json).to_string())
    }
    .carrying(refresh);
    let what = if refresh.is_some() { "the token refresh" } else { "the username or password" };
    let mut retries = 0;
    let answer = ns.http.send(&req, &Cred::None, &mut retries, |status, body| match status.as_u16() {
        404 if !v1 => Ok(None),
        200..=299 if !v1 && !looks_like_json(body) => Ok(None),
        200..=299 => match read_grant(body, DEFAULT_TTL) {
            Ok(Answer::Granted(grant)) => Ok(Some(grant)),
            Ok(Answer::Refused(why)) => Err(Reject::Fatal(auth(format!("{what} was refused: {why}")))),
            Err(e) => Err(Reject::Malformed(e)),
        },
        400 | 403 => Err(Reject::Fatal(auth(format!("{what} was refused: {}", message(status, body))))),
        _ => Err(Reject::Status),
    });
    answer.await.map_err(|f| failed(f, "the client id or client secret was refused"))
}

fn auth(reason: String) -> SourceError {
    SourceError::Auth { platform: Platform::Netsapiens, reason }
}

/// An API key works when an authenticated request is not refused. v2: `GET
/// /ns-api/v2/domains/~` (the key's own domain; any answer but 401, even 403 or 404, means the
/// key was accepted); v1: one domain of `object=domain&action=read`.
pub(super) async fn check_key(ns: &Netsapiens) -> Result<(), SourceError> {
    if ns.version().await? == ApiVersion::V1 {
        return super::v1::any_domain(ns).await;
    }
    let req = Req::get(ns.url(&["ns-api", "v2", "domains", "~"]));
    ns.call(&req, &mut 0, |status, _| match status.as_u16() {
        200..=299 | 403 | 404 => Ok(()),
        _ => Err(Reject::Status),
    })
    .await
}
