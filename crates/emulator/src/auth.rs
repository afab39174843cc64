//! Access and refresh tokens of both platforms: random-looking strings with an expiry.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

/// Which platform issued a token; a token of one is unknown to the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Platform {
    NetSapiens,
    Brightlink,
}

/// What a presented bearer token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Check {
    Valid,
    Expired,
    Unknown,
}

#[derive(Debug, Default)]
struct Store {
    access: HashMap<String, (Platform, Instant)>,
    refresh: HashMap<String, Platform>,
}

/// Every token issued by the run.
#[derive(Debug)]
pub(crate) struct Tokens {
    store: Mutex<Store>,
    hasher: RandomState,
    counter: AtomicU64,
}

impl Tokens {
    pub(crate) fn new() -> Tokens {
        Tokens { store: Mutex::default(), hasher: RandomState::new(), counter: AtomicU64::new(0) }
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        // Nothing done under this lock can panic halfway, so even a poisoned lock holds consistent data.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn fresh(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
        let a = self.hasher.hash_one((n, nanos, 1u8));
        let b = self.hasher.hash_one((n, nanos, 2u8));
        format!("{a:016x}{b:016x}")
    }

    /// A new access token valid for `ttl_secs`.
    pub(crate) fn issue(&self, platform: Platform, ttl_secs: u64) -> String {
        let token = self.fresh();
        let expires = Instant::now() + Duration::from_secs(ttl_secs);
        let mut s = self.store();
        if s.access.len() > 100_000 {
            let now = Instant::now();
            s.access.retain(|_, (_, exp)| *exp > now);
        }
        s.access.insert(token.clone(), (platform, expires));
        token
    }

    /// A new refresh token; it stays valid for the whole run.
    pub(crate) fn issue_refresh(&self, platform: Platform) -> String {
        let token = self.fresh();
        self.store().refresh.insert(token.clone(), platform);
        token
    }

    pub(crate) fn refresh_valid(&self, platform: Platform, token: &str) -> bool {
        self.store().refresh.get(token) == Some(&platform)
    }

    pub(crate) fn check(&self, platform: Platform, token: &str) -> Check {
        match self.store().access.get(token) {
            Some((p, exp)) if *p == platform => {
                if Instant::now() < *exp {
                    Check::Valid
                } else {
                    Check::Expired
                }
            }
            _ => Check::Unknown,
        }
    }

    /// Makes `token` expired from now on.
    pub(crate) fn revoke(&self, token: &str) {
        if let Some((_, exp)) = self.store().access.get_mut(token) {
            *exp = Instant::now();
        }
    }
}
