//! Who may use the web app and the JSON API (issue 16): users with a role and a password, their
//! sessions (`session.rs`), and API tokens (`tokens.rs`). What each role may do is decided in one
//! place, [`Role::may`]. Passwords are hashed with argon2id; session and token secrets are
//! random and only their SHA-256 is stored.

mod session;
mod tokens;

pub use session::{
    session, sign_in, sign_out, Session, SessionUser, FAILURE_WINDOW, MAX_FAILURES, SESSION_IDLE, SESSION_LIFETIME,
    TOUCH_EVERY,
};
pub use tokens::{create_token, list_tokens, revoke_token, token, TokenInfo, TokenUser, TOKEN_PREFIX};

use crate::error::{BillingError, Result};
use crate::time::format_utc;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rating::Micros;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;
use store::prelude::*;
use store::{Store, User};
use tracing::info_span;

/// The fewest characters a password has.
pub const MIN_PASSWORD: usize = 8;

/// The most characters a password has (hashing reads all of it).
pub const MAX_PASSWORD: usize = 1024;

/// The longest email, in characters (RFC 5321's path limit).
pub const MAX_EMAIL: usize = 254;

/// A user's role: what the user (or an API token) may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything: users, settings, sources and API tokens too.
    Admin,
    /// Billing work: customers, rates, plans, subscriptions, syncs, invoices.
    Billing,
    /// Reads only.
    Viewer,
}

/// What an action needs, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Reading anything: listings, invoices, calls, settings.
    Read,
    /// Billing work: invoices (create, change, finalize, void), syncs, and imports of customers,
    /// rates, plans and subscriptions.
    Bill,
    /// Administration: users, settings, sources and API tokens.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Billing, Role::Viewer];

    /// Whether this role may do what `permission` covers: the one place the rule lives.
    pub fn may(self, permission: Permission) -> bool {
        match self {
            Role::Admin => true,
            Role::Billing => matches!(permission, Permission::Read | Permission::Bill),
            Role::Viewer => permission == Permission::Read,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Billing => "billing",
            Role::Viewer => "viewer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = BillingError;

    /// `admin`, `billing` or `viewer`.
    fn from_str(s: &str) -> Result<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| BillingError::UnknownRole(s.to_owned()))
    }
}

/// A role as stored (the database keeps only the three).
fn stored_role(role: &str, column: &str) -> Result<Role> {
    role.parse().map_err(|_| BillingError::Store(store::StoreError::Corrupt(format!("{column} = {role}"))))
}

/// A user as listed: never the password's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserInfo {
    pub id: i64,
    pub email: String,
    pub role: Role,
    /// When it was added, RFC 3339 in UTC.
    pub created_at: String,
    pub disabled: bool,
}

fn info(u: &User) -> Result<UserInfo> {
    Ok(UserInfo {
        id: u.id,
        email: u.email.clone(),
        role: stored_role(&u.role, "users.role")?,
        created_at: format_utc(u.created_at),
        disabled: u.disabled,
    })
}

/// An email address checked and kept as it is compared: trimmed and in lower case. One `@`
/// between a local part of at most 64 characters and a domain that neither starts nor ends with
/// a dot; no spaces or control characters; at most [`MAX_EMAIL`] characters.
pub fn normalize_email(email: &str) -> Result<String> {
    let text = email.trim().to_lowercase();
    let bad = |reason| Err(BillingError::BadEmail { email: email.to_owned(), reason });
    if text.chars().count() > MAX_EMAIL {
        return bad("longer than 254 characters");
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("holds spaces or control characters");
    }
    let Some((local, domain)) = text.split_once('@') else { return bad("has no @") };
    if local.is_empty() || domain.is_empty() || domain.contains('@') {
        return bad("is not NAME@DOMAIN");
    }
    if local.chars().count() > 64 {
        return bad("has more than 64 characters before the @");
    }
    if domain.starts_with('.') || domain.ends_with('.') || domain.contains("..") {
        return bad("has a domain that is not a host name");
    }
    Ok(text)
}

/// A password checked: [`MIN_PASSWORD`] to [`MAX_PASSWORD`] characters.
fn check_password(password: &str) -> Result<()> {
    let n = password.chars().count();
    let reason = if password.is_empty() {
        "is empty".to_owned()
    } else if n < MIN_PASSWORD {
        format!("has {n} characters: it needs at least {MIN_PASSWORD}")
    } else if n > MAX_PASSWORD {
        format!("has {n} characters: at most {MAX_PASSWORD}")
    } else {
        return Ok(());
    };
    Err(BillingError::BadPassword { reason })
}

/// The argon2id hash of a password (a PHC string: algorithm, parameters, salt, hash), with
/// argon2's default parameters (19 MiB, 2 passes, 1 lane: OWASP's first choice).
fn hash_password(password: &str) -> Result<String> {
    let hash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| BillingError::Crypto(format!("cannot hash the password: {e}")))?;
    Ok(hash.to_string())
}

/// Whether the password is the one `hash` (a PHC string) was made from, with the hash's own
/// parameters. A hash that cannot be read is corrupt.
fn verify_password(password: &str, hash: &str) -> Result<bool> {
    let parsed = PasswordHash::new(hash)
        .map_err(|e| BillingError::Store(store::StoreError::Corrupt(format!("users.password_hash: {e}"))))?;
    Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A hash that no password matches, made once with the same parameters as users' hashes: a
/// sign-in as an unknown email costs as much time as one with a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let mut secret = [0u8; 32];
        let hash = random(&mut secret).and_then(|_| hash_password(&URL_SAFE_NO_PAD.encode(secret)));
        // Without randomness sign-in fails anyway (a session needs it); the fixed text keeps
        // the hash's shape.
        hash.unwrap_or_else(|_| "$argon2id$v=19$m=19456,t=2,p=1$bWV0ZXJkZWNveXNhbHQ$bWV0ZXJkZWNveWhhc2g".to_owned())
    })
}

/// Fills `bytes` from the system's random numbers.
fn random(bytes: &mut [u8]) -> Result<()> {
    getrandom::fill(bytes).map_err(|e| BillingError::Crypto(format!("the system's random numbers failed: {e}")))
}

/// A new secret: 32 random bytes in base64url without padding (43 characters).
fn new_secret() -> Result<String> {
    let mut bytes = [0u8; 32];
    random(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether `text` is what [`new_secret`] makes.
fn is_secret(text: &str) -> bool {
    text.len() == 43 && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The SHA-256 of a secret: how a session or token is stored and found.
fn digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Adds a user: the email checked and kept in lower case, the password hashed. Refused when a
/// user has this email already, whatever its case. One write transaction.
pub fn add_user<S: Store>(store: &mut S, email: &str, role: Role, password: &str, now: Micros) -> Result<UserInfo> {
    let email = normalize_email(email)?;
    let _span = info_span!("users.add", user = %email).entered();
    check_password(password)?;
    let mut user = User {
        id: 0,
        email: email.clone(),
        role: role.as_str().to_owned(),
        password_hash: hash_password(password)?,
        created_at: now,
        disabled: false,
    };
    let mut tx = store.write_usage()?;
    user.id = tx.add_user(&user)?.ok_or(BillingError::UserExists(email))?;
    tx.commit()?;
    info(&user)
}

/// Every user, by email.
pub fn list_users<S: Store>(store: &mut S) -> Result<Vec<UserInfo>> {
    store.read()?.users()?.iter().map(info).collect()
}

/// Changes a user's password; the user's sessions end. One write transaction.
pub fn set_password<S: Store>(store: &mut S, email: &str, password: &str) -> Result<UserInfo> {
    check_password(password)?;
    let hash = hash_password(password)?;
    change_user(store, email, |u| u.password_hash = hash)
}

/// Changes a user's role, or disables (`Some(true)`) or enables a user; a disabled user cannot
/// sign in, and the user's sessions end. One write transaction.
pub fn set_user<S: Store>(store: &mut S, email: &str, role: Option<Role>, disabled: Option<bool>) -> Result<UserInfo> {
    change_user(store, email, |u| {
        if let Some(role) = role {
            u.role = role.as_str().to_owned();
        }
        if let Some(disabled) = disabled {
            u.disabled = disabled;
        }
    })
}

/// Applies `change` to the user with this email and ends the user's sessions.
fn change_user<S: Store>(store: &mut S, email: &str, change: impl FnOnce(&mut User)) -> Result<UserInfo> {
    let key = normalize_email(email)?;
    let _span = info_span!("users.change", user = %key).entered();
    let mut tx = store.write_usage()?;
    let mut user = tx.user_by_email(&key)?.ok_or_else(|| BillingError::UnknownUser(key.clone()))?;
    change(&mut user);
    tx.save_user(&user)?;
    tx.remove_user_sessions(user.id)?;
    tx.commit()?;
    info(&user)
}

/// Compares two texts in time that depends on their lengths only, not on where they differ.
fn same_text(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_may_what_the_issue_says() {
        use Permission::*;
        let table = [
            (Role::Admin, [Read, Bill, Admin], [true, true, true]),
            (Role::Billing, [Read, Bill, Admin], [true, true, false]),
            (Role::Viewer, [Read, Bill, Admin], [true, false, false]),
        ];
        for (role, permissions, allowed) in table {
            for (p, ok) in permissions.into_iter().zip(allowed) {
                assert_eq!(role.may(p), ok, "{role} {p:?}");
            }
        }
    }

    #[test]
    fn roles_are_read_and_written_by_name() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().expect("a role"), role);
            assert_eq!(serde_json::to_value(role).expect("json"), serde_json::json!(role.as_str()));
        }
        for bad in ["Admin", "root", "", "viewer "] {
            assert!(matches!(bad.parse::<Role>(), Err(BillingError::UnknownRole(r)) if r == bad), "{bad:?}");
        }
    }

    #[test]
    fn emails_are_checked_and_kept_in_lower_case() {
        assert_eq!(normalize_email("  Ann.Lee@Example.COM ").expect("an email"), "ann.lee@example.com");
        assert_eq!(normalize_email("ops@localhost").expect("an email"), "ops@localhost");
        assert_eq!(normalize_email("ÉLODIE@exemple.fr").expect("an email"), "élodie@exemple.fr");
        for bad in [
            "",
            "ann",
            "@example.com",
            "ann@",
            "a@b@c",
            "ann lee@example.com",
            "ann@.example.com",
            "ann@example.",
            "a\u{7}@b",
        ] {
            assert!(matches!(normalize_email(bad), Err(BillingError::BadEmail { .. })), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(65));
        assert!(normalize_email(&long).is_err());
        let longest = format!("{}@{}.com", "a".repeat(64), "b".repeat(185));
        assert_eq!(longest.len(), MAX_EMAIL);
        assert!(normalize_email(&longest).is_ok());
        assert!(normalize_email(&format!("{longest}x")).is_err());
    }

    #[test]
    fn passwords_need_eight_characters() {
        assert!(matches!(check_password(""), Err(BillingError::BadPassword { reason }) if reason == "is empty"));
        assert!(check_password("1234567").is_err());
        assert!(check_password("12345678").is_ok());
        assert!(check_password("pässwörd").is_ok(), "characters, not bytes");
        assert!(check_password(&"x".repeat(MAX_PASSWORD + 1)).is_err());
    }

    #[test]
    fn a_hash_matches_its_password_only() {
        let hash = hash_password("correct horse").expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify_password("correct horse", &hash).expect("verify"));
        assert!(!verify_password("correct horsE", &hash).expect("verify"));
        assert_ne!(hash_password("correct horse").expect("hash"), hash, "each hash has its own salt");
        assert!(!verify_password("anything", decoy_hash()).expect("the decoy is a hash"));
        assert!(verify_password("x", "not a hash").is_err(), "a stored hash that cannot be read is corrupt");
    }

    #[test]
    fn secrets_are_43_characters_of_base64url() {
        let a = new_secret().expect("secret");
        assert!(is_secret(&a), "{a}");
        assert_ne!(new_secret().expect("secret"), a);
        assert!(!is_secret(&a[1..]) && !is_secret(&format!("{}+", &a[1..])));
        assert_eq!(digest(&a).len(), 32);
        assert!(same_text(&a, &a.clone()) && !same_text(&a, &new_secret().expect("secret")) && !same_text("a", "ab"));
    }
}
