//! What can go wrong talking to a source, and what the operator should do about it.

use crate::Platform;

/// A failed source operation. Messages name the platform and the request (method and path),
/// never a token or a secret.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The settings cannot work (missing credential, bad URL…).
    #[error("{platform}: invalid settings: {reason}")]
    Config { platform: Platform, reason: String },
    /// The platform refused the credentials.
    #[error("{platform}: authentication failed: {reason}")]
    Auth { platform: Platform, reason: String },
    /// No answer (connection refused, timeout…), after the retries.
    #[error("{platform}: {request}: unreachable: {reason}")]
    Unreachable { platform: Platform, request: String, reason: String },
    /// An answer with a status the protocol does not expect, after the retries.
    #[error("{platform}: {request}: HTTP {status}: {message}")]
    Http { platform: Platform, request: String, status: u16, message: String },
    /// A body that is not what the protocol says, after the retries.
    #[error("{platform}: {request}: unexpected answer: {reason}")]
    Malformed { platform: Platform, request: String, reason: String },
    /// The platform has no such domain (a customer's domain that is wrong, or gone).
    #[error("{platform}: domain `{domain}` does not exist")]
    UnknownDomain { platform: Platform, domain: String },
    /// A redirect that was not followed (to another origin, or too many), at once.
    #[error("{platform}: {request}: {reason}")]
    Redirected { platform: Platform, request: String, reason: String },
}

impl SourceError {
    /// The platform the error comes from.
    pub fn platform(&self) -> Platform {
        match self {
            SourceError::Config { platform, .. }
            | SourceError::Auth { platform, .. }
            | SourceError::Unreachable { platform, .. }
            | SourceError::Http { platform, .. }
            | SourceError::Malformed { platform, .. }
            | SourceError::UnknownDomain { platform, .. }
            | SourceError::Redirected { platform, .. } => *platform,
        }
    }

    /// The same error with `f` applied to the platform's words in it.
    pub(crate) fn map_text(self, f: impl Fn(&str) -> String) -> SourceError {
        match self {
            SourceError::Config { platform, reason } => SourceError::Config { platform, reason: f(&reason) },
            SourceError::Auth { platform, reason } => SourceError::Auth { platform, reason: f(&reason) },
            SourceError::Unreachable { platform, request, reason } => {
                SourceError::Unreachable { platform, request, reason: f(&reason) }
            }
            SourceError::Http { platform, request, status, message } => {
                SourceError::Http { platform, request, status, message: f(&message) }
            }
            SourceError::Malformed { platform, request, reason } => {
                SourceError::Malformed { platform, request, reason: f(&reason) }
            }
            ours @ (SourceError::UnknownDomain { .. } | SourceError::Redirected { .. }) => ours,
        }
    }

    /// What the operator should fix.
    pub fn hint(&self) -> &'static str {
        match self {
            SourceError::Config { .. } => "complete or correct the source settings with `meter sources set`",
            SourceError::Auth { platform: Platform::Netsapiens, .. } => {
                "check the client id, client secret, username and password (or the API key) with `meter sources set`"
            }
            SourceError::Auth { platform: Platform::Brightlink, .. } => {
                "check the API key, API secret, username and password with `meter sources set`"
            }
            SourceError::Unreachable { .. } => {
                "check the source URL with `meter sources set` and that this host can reach it (DNS, firewall, proxy)"
            }
            SourceError::Http { status: 403, .. } => {
                "the account lacks permission: use an Office Manager, Reseller or Super User account"
            }
            SourceError::Http { status: 404, .. } => {
                "check the customer's domain on this source and the source URL with `meter sources set`"
            }
            SourceError::Http { status: 429, .. } => "the platform is rate limiting: sync again later",
            SourceError::Http { status: 500..=599, .. } => "the platform is failing: sync again later",
            SourceError::Http { .. } => "check the source settings with `meter sources set`; see docs/sources.md",
            SourceError::Malformed { .. } => {
                "the platform answered in a form meter does not know: report the error with docs/sources.md"
            }
            SourceError::UnknownDomain { .. } => {
                "correct the customer's netsapiens_domain or brightlink_domain in customers.csv (or the source URL)"
            }
            SourceError::Redirected { .. } => {
                "check the source URL with `meter sources set`: if the platform really moved, set its new address"
            }
        }
    }
}
