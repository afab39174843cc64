//! Signing in and out, and the session a browser's cookie names.
//!
//! A sign-in is rate-limited per email: at most [`MAX_FAILURES`] failures in
//! [`FAILURE_WINDOW`], after which every attempt as that email, with the right password too, is
//! refused until the oldest of them is that old. Each attempt is counted as a failure before the
//! password is checked, and forgotten when it proves right, so that attempts made at once cannot
//! try more passwords than the limit. Unknown and disabled users take the same time and get the
//! same answer as a wrong password.
//!
//! A session lasts [`SESSION_IDLE`] after its last use (moved on at most once a minute,
//! [`TOUCH_EVERY`]) and never more than [`SESSION_LIFETIME`] after the sign-in.

use super::{decoy_hash, digest, is_secret, new_secret, same_text, stored_role, verify_password, Role};
use crate::error::{BillingError, Result};
use rating::Micros;
use store::prelude::*;
use store::{Store, StoredSession};
use tracing::info_span;

/// Failed sign-ins as one email within [`FAILURE_WINDOW`] after which attempts are refused.
pub const MAX_FAILURES: usize = 5;

/// The span over which failed sign-ins count: 15 minutes.
pub const FAILURE_WINDOW: Micros = 15 * 60 * 1_000_000;

/// A session ends this long after its last use: 12 hours.
pub const SESSION_IDLE: Micros = 12 * 3600 * 1_000_000;

/// A session ends this long after its sign-in, however much it is used: 7 days.
pub const SESSION_LIFETIME: Micros = 7 * 24 * 3600 * 1_000_000;

/// A use of a session moves its end on only when the last recorded use is this old: a page
/// view writes to the database at most once a minute.
pub const TOUCH_EVERY: Micros = 60 * 1_000_000;

/// A new session: the secret for the browser's cookie (shown only here; the store keeps its
/// SHA-256) and who signed in.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// 32 random bytes in base64url (43 characters): the cookie's value.
    pub secret: String,
    pub user: SessionUser,
}

/// The secret stays out of logs.
impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("user", &self.user).finish_non_exhaustive()
    }
}

/// Who a live session belongs to.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionUser {
    /// The user's id.
    pub id: i64,
    pub email: String,
    pub role: Role,
    /// The session's CSRF token: every form of the session carries it back (see
    /// [`SessionUser::csrf_matches`]).
    pub csrf: String,
    /// When the session ends unless used again before.
    pub expires_at: Micros,
}

impl SessionUser {
    /// Whether a form's CSRF token is the session's, compared in constant time.
    pub fn csrf_matches(&self, given: &str) -> bool {
        same_text(&self.csrf, given)
    }
}

/// The CSRF token stays out of logs.
impl std::fmt::Debug for SessionUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionUser")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("role", &self.role)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Signs in: a new session when the email names a user who is not disabled and the password
/// is theirs. Refused with [`BillingError::SignInLimited`] (saying when to try again) after
/// [`MAX_FAILURES`] failures as the email in [`FAILURE_WINDOW`], and with
/// [`BillingError::SignInFailed`] otherwise, whether the email, the password or the user's state
/// was wrong. Two short write transactions, with the password checked between them.
pub fn sign_in<S: Store>(store: &mut S, email: &str, password: &str, now: Micros) -> Result<Session> {
    // Failures are counted per email as it is compared, known or not.
    let key = email.trim().to_lowercase();
    let _span = info_span!("users.sign_in", user = %key).entered();
    if key.chars().count() > super::MAX_EMAIL {
        return Err(BillingError::SignInFailed);
    }
    let mut tx = store.write_usage()?;
    tx.lock_sign_in(&key)?;
    tx.remove_sign_in_failures(None, now - FAILURE_WINDOW)?;
    tx.remove_expired_sessions(now)?;
    let failures = tx.sign_in_failures(&key, now - FAILURE_WINDOW)?;
    if failures.len() >= MAX_FAILURES {
        tx.commit()?;
        // The attempt is allowed again once fewer than MAX_FAILURES are in the window.
        let retry_at = failures[failures.len() - MAX_FAILURES] + FAILURE_WINDOW;
        return Err(BillingError::SignInLimited { email: key, retry_at });
    }
    tx.add_sign_in_failure(&key, now)?;
    let user = tx.user_by_email(&key)?;
    tx.commit()?;

    let hash = user.as_ref().map_or(decoy_hash(), |u| u.password_hash.as_str());
    let right = verify_password(password, hash)?;
    let Some(user) = user.filter(|u| right && !u.disabled) else {
        return Err(BillingError::SignInFailed);
    };

    let role = stored_role(&user.role, "users.role")?;
    let (secret, csrf) = (new_secret()?, new_secret()?);
    let stored = StoredSession {
        id: digest(&secret),
        user_id: user.id,
        csrf: csrf.clone(),
        created_at: now,
        expires_at: now + SESSION_IDLE.min(SESSION_LIFETIME),
        last_seen_at: now,
    };
    let mut tx = store.write_usage()?;
    tx.remove_sign_in_failures(Some(&key), now)?;
    tx.add_session(&stored)?;
    tx.commit()?;
    let user = SessionUser { id: user.id, email: user.email, role, csrf, expires_at: stored.expires_at };
    Ok(Session { secret, user })
}

/// The user of the session whose cookie holds `secret`, if it is live at `now` and its user is
/// not disabled; its end is moved on to [`SESSION_IDLE`] from now (within [`SESSION_LIFETIME`]
/// of its sign-in) when its last recorded use is [`TOUCH_EVERY`] old. A read transaction, and a
/// short write when the session is moved on.
pub fn session<S: Store>(store: &mut S, secret: &str, now: Micros) -> Result<Option<SessionUser>> {
    if !is_secret(secret) {
        return Ok(None);
    }
    let id = digest(secret);
    let found = store.read()?.session(&id)?;
    let Some((s, user)) = found.filter(|(s, u)| now < s.expires_at && !u.disabled) else {
        return Ok(None);
    };
    let role = stored_role(&user.role, "users.role")?;
    let mut expires_at = s.expires_at;
    if now - s.last_seen_at >= TOUCH_EVERY {
        expires_at = (now + SESSION_IDLE).min(s.created_at + SESSION_LIFETIME);
        let mut tx = store.write_usage()?;
        tx.touch_session(&id, now, expires_at)?;
        tx.commit()?;
    }
    Ok(Some(SessionUser { id: user.id, email: user.email, role, csrf: s.csrf, expires_at }))
}

/// Ends the session whose cookie holds `secret`; `false` when there was none.
pub fn sign_out<S: Store>(store: &mut S, secret: &str) -> Result<bool> {
    if !is_secret(secret) {
        return Ok(false);
    }
    let mut tx = store.write_usage()?;
    let ended = tx.remove_session(&digest(secret))?;
    tx.commit()?;
    Ok(ended)
}
