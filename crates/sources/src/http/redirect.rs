//! Which redirects a client follows: only within the origin (scheme, host and port) its request
//! went to. On 307 and 308 a token request is sent again with its body (the client secret, the
//! password), and a platform that moved, or an attacker's answer, must never receive it.

use std::fmt;

use reqwest::redirect::{Attempt, Policy};

/// Redirects followed in a row at most.
const MAX_HOPS: usize = 10;

/// Why a redirect was not followed; its text names the target's origin, never its path or query.
#[derive(Debug)]
enum Refused {
    Elsewhere(String),
    TooMany,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refused::Elsewhere(origin) => write!(
                f,
                "redirected to {origin}, another origin; meter follows a redirect only to the source's own scheme, \
                 host and port, and sent nothing there"
            ),
            Refused::TooMany => write!(f, "redirected more than {MAX_HOPS} times"),
        }
    }
}

impl std::error::Error for Refused {}

pub(super) fn within_origin() -> Policy {
    Policy::custom(|attempt: Attempt| {
        let first = attempt.previous().first().map(|u| u.origin());
        let target = attempt.url().origin();
        if first.as_ref() != Some(&target) {
            let shown = target.ascii_serialization();
            attempt.error(Refused::Elsewhere(shown))
        } else if attempt.previous().len() > MAX_HOPS {
            attempt.error(Refused::TooMany)
        } else {
            attempt.follow()
        }
    })
}
