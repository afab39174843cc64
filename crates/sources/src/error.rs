//! What can go wrong talking to a source.

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
}
