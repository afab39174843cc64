//! API tokens: keys to the JSON API (`Authorization: Bearer TOKEN`), each with a role of its
//! own. The secret is shown once, when the token is made; the store keeps its SHA-256.

use super::{digest, is_secret, new_secret, stored_role, Role};
use crate::error::{BillingError, Result};
use crate::time::format_utc;
use rating::Micros;
use serde::Serialize;
use store::prelude::*;
use store::{ApiToken, Store};
use tracing::info_span;

/// What every token's secret starts with, so that a leaked one is recognised (secret scanners,
/// logs): `mtr_` and 32 random bytes in base64url.
pub const TOKEN_PREFIX: &str = "mtr_";

/// The longest name of a token, in characters.
pub const MAX_TOKEN_NAME: usize = 100;

/// A token as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    pub id: i64,
    pub name: Option<String>,
    pub role: Role,
    /// When it was made, RFC 3339 in UTC.
    pub created_at: String,
    /// Who made it.
    pub created_by: String,
    /// When it was revoked (RFC 3339 in UTC); `None` while it works.
    pub revoked_at: Option<String>,
}

/// What a valid token lets in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenUser {
    /// The token's id.
    pub id: i64,
    pub name: Option<String>,
    pub role: Role,
}

fn info(t: &ApiToken) -> Result<TokenInfo> {
    Ok(TokenInfo {
        id: t.id,
        name: t.name.clone(),
        role: stored_role(&t.role, "api_tokens.role")?,
        created_at: format_utc(t.created_at),
        created_by: t.created_by.clone(),
        revoked_at: t.revoked_at.map(format_utc),
    })
}

/// A token's name checked: trimmed, not empty, at most [`MAX_TOKEN_NAME`] characters, no control
/// characters.
fn check_name(name: &str) -> Result<String> {
    let name = name.trim();
    let reason = if name.is_empty() {
        "is empty"
    } else if name.chars().count() > MAX_TOKEN_NAME {
        "is longer than 100 characters"
    } else if name.chars().any(char::is_control) {
        "holds control characters"
    } else {
        return Ok(name.to_owned());
    };
    Err(BillingError::BadTokenName { reason })
}

/// Makes an API token with `role`, optionally named, recorded as made by `by`. Returns it with
/// its secret, which is never shown again. One write transaction.
pub fn create_token<S: Store>(
    store: &mut S,
    role: Role,
    name: Option<&str>,
    by: &str,
    now: Micros,
) -> Result<(TokenInfo, String)> {
    let _span = info_span!("tokens.create", %role).entered();
    let name = name.map(check_name).transpose()?;
    let secret = format!("{TOKEN_PREFIX}{}", new_secret()?);
    let mut token = ApiToken {
        id: 0,
        name,
        role: role.as_str().to_owned(),
        secret_hash: digest(&secret),
        created_at: now,
        created_by: by.to_owned(),
        revoked_at: None,
    };
    let mut tx = store.write_usage()?;
    token.id = tx.add_token(&token)?;
    tx.commit()?;
    Ok((info(&token)?, secret))
}

/// What the token whose secret this is lets in; `None` for a secret of no token, or of one
/// revoked at `now` or before. One read transaction (none for text that cannot be a secret).
pub fn token<S: Store>(store: &mut S, secret: &str, now: Micros) -> Result<Option<TokenUser>> {
    let Some(random) = secret.strip_prefix(TOKEN_PREFIX).filter(|r| is_secret(r)) else {
        return Ok(None);
    };
    debug_assert_eq!(random.len() + TOKEN_PREFIX.len(), secret.len());
    let found = store.find_token(&digest(secret))?;
    let Some(t) = found.filter(|t| t.revoked_at.is_none_or(|at| at > now)) else {
        return Ok(None);
    };
    Ok(Some(TokenUser { id: t.id, role: stored_role(&t.role, "api_tokens.role")?, name: t.name }))
}

/// Revokes a token: from `now` on it lets nothing in. A token revoked before stays revoked from
/// then. Returns the token. One write transaction.
pub fn revoke_token<S: Store>(store: &mut S, id: i64, now: Micros) -> Result<TokenInfo> {
    let _span = info_span!("tokens.revoke", token = id).entered();
    let mut tx = store.write_usage()?;
    tx.revoke_token(id, now)?;
    let token = tx.token(id)?.ok_or(BillingError::UnknownToken(id))?;
    tx.commit()?;
    info(&token)
}

/// Every token, revoked ones too, by id.
pub fn list_tokens<S: Store>(store: &mut S) -> Result<Vec<TokenInfo>> {
    store.read()?.tokens()?.iter().map(info).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_short() {
        assert_eq!(check_name("  invoicing robot ").expect("a name"), "invoicing robot");
        for bad in ["", "   ", "a\nb", &"x".repeat(101)] {
            assert!(matches!(check_name(bad), Err(BillingError::BadTokenName { .. })), "{bad:?}");
        }
    }
}
