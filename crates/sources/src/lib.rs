//! The metered sources of meter: async clients for NetSapiens (API v1 and v2) and Brightlink PBX
//! Cloud that read domains, phone numbers and call records. The wire protocol, the retry policy
//! and every assumption are in `docs/sources.md`; each platform's mapping is in one module
//! (`netsapiens::map`, `brightlink::map`).

mod brightlink;
mod error;
mod http;
mod netsapiens;
mod pager;
mod redact;
mod settings;
mod token;
mod types;
mod wire;

use std::sync::Arc;

use chrono::DateTime;

pub use error::SourceError;
pub use pager::Pager;
pub use settings::{RetryPolicy, Settings};
pub use types::{ApiVersion, Cursor, Direction, DomainInfo, Page, PhoneNumber, Platform, Record, Window};

use brightlink::Brightlink;
use netsapiens::Netsapiens;
use pager::Fetched;

/// A client of one source. Cheap to clone: clones share the connection pool and the token.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Backend>,
}

enum Backend {
    Netsapiens(Netsapiens),
    Brightlink(Brightlink),
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("platform", &self.platform()).finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `settings`, checked for what the platform needs (NetSapiens: an API key, or
    /// client id, client secret, username and password; Brightlink: all four). No request is made.
    pub fn new(settings: Settings) -> Result<Client, SourceError> {
        let backend = match settings.platform {
            Platform::Netsapiens => Backend::Netsapiens(Netsapiens::new(&settings)?),
            Platform::Brightlink => Backend::Brightlink(Brightlink::new(&settings)?),
        };
        Ok(Client { inner: Arc::new(backend) })
    }

    /// Which platform this client speaks to.
    pub fn platform(&self) -> Platform {
        match &*self.inner {
            Backend::Netsapiens(_) => Platform::Netsapiens,
            Backend::Brightlink(_) => Platform::Brightlink,
        }
    }

    pub(crate) fn http(&self) -> &http::Http {
        match &*self.inner {
            Backend::Netsapiens(ns) => ns.http(),
            Backend::Brightlink(bl) => bl.http(),
        }
    }

    /// Whether the credentials work: gets a token (or tries the API key with a cheap request).
    pub async fn authenticate(&self) -> Result<(), SourceError> {
        match &*self.inner {
            Backend::Netsapiens(ns) => ns.authenticate().await,
            Backend::Brightlink(bl) => bl.bearer().await.map(drop),
        }
    }

    /// NetSapiens: the API generation in use (probed once when `Auto`); Brightlink: `V1`.
    pub async fn api_version(&self) -> Result<ApiVersion, SourceError> {
        match &*self.inner {
            Backend::Netsapiens(ns) => ns.version().await,
            Backend::Brightlink(_) => Ok(ApiVersion::V1),
        }
    }

    /// What the platform knows of `domain`; `None` when the platform says it does not exist.
    pub async fn domain(&self, domain: &str) -> Result<Option<DomainInfo>, SourceError> {
        self.check(domain)?;
        match &*self.inner {
            Backend::Netsapiens(ns) => ns.domain(domain).await,
            Backend::Brightlink(bl) => bl.domain(domain).await,
        }
    }

    /// The phone numbers (DIDs) of `domain`.
    pub async fn phone_numbers(&self, domain: &str) -> Result<Vec<PhoneNumber>, SourceError> {
        self.check(domain)?;
        match &*self.inner {
            Backend::Netsapiens(ns) => ns.phone_numbers(domain).await,
            Backend::Brightlink(bl) => bl.phone_numbers(domain).await,
        }
    }

    /// The platform's own count of the window's records (NetSapiens v2: the sum over the three
    /// types asked; v1: `cdr2 count`; Brightlink: `cdrTotalCount`). The platforms' window ends
    /// are inclusive (assumed), so the count is asked up to the last whole second before `end`:
    /// exactly the window, for records that start on whole seconds. An unknown domain is an error.
    pub async fn count(&self, domain: &str, window: &Window) -> Result<u64, SourceError> {
        self.check(domain)?;
        if window.start >= window.end {
            return Ok(0);
        }
        let end = window.end;
        let last = DateTime::from_timestamp(end.timestamp() - i64::from(end.timestamp_subsec_nanos() == 0), 0);
        let asked = Window { start: window.start, end: last.unwrap_or(end) };
        match &*self.inner {
            Backend::Netsapiens(ns) => ns.count(domain, &asked).await,
            Backend::Brightlink(bl) => bl.count(domain, &asked).await,
        }
    }

    /// A pager over the window's call records, starting at `from` (`Cursor::default()` for the
    /// start, or a page's `next` to resume).
    pub fn pager(&self, domain: &str, window: Window, from: Cursor) -> Pager {
        Pager::new(self.clone(), domain, window, from)
    }

    /// How many tokens this client has obtained (refreshes included); 0 with an API key.
    #[doc(hidden)]
    pub fn tokens_obtained(&self) -> u64 {
        match &*self.inner {
            Backend::Netsapiens(ns) => ns.tokens_obtained(),
            Backend::Brightlink(bl) => bl.tokens_obtained(),
        }
    }

    pub(crate) async fn fetch(
        &self,
        domain: &str,
        window: &Window,
        cursor: &Cursor,
        retries: &mut u64,
    ) -> Result<Fetched, SourceError> {
        self.check(domain)?;
        match &*self.inner {
            Backend::Netsapiens(ns) => ns.page(domain, window, cursor, retries).await,
            Backend::Brightlink(bl) => bl.page(domain, window, cursor, retries).await,
        }
    }

    fn check(&self, domain: &str) -> Result<(), SourceError> {
        if domain.trim().is_empty() {
            return Err(SourceError::Config { platform: self.platform(), reason: "the domain is empty".into() });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>(_: &T) {}
    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn clients_and_pagers_cross_threads() {
        let mut s = Settings::new(Platform::Brightlink, "https://cpaas-aws.brightlink.com/brightlink/");
        s.client_id = Some("key".into());
        s.client_secret = Some("secret".into());
        s.username = Some("user".into());
        s.password = Some("password".into());
        let client = Client::new(s).expect("valid settings");
        assert_send_sync(&client);
        let window = Window { start: chrono::Utc::now(), end: chrono::Utc::now() };
        let mut pager = client.pager("acme", window, Cursor::default());
        assert_send(&pager);
        assert_send(&pager.next_page());
        assert_send(&client.count("acme", &window));
        assert_send(&client.authenticate());
    }
}
