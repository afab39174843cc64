//! A pool of connections to one database, for a program that runs many use cases at once (the
//! web server, the scheduler): the database is opened once, its migrations applied or refused
//! once, and then connections are handed out, one per use case, and taken back.
//!
//! Every connection is an [`AnyStore`] opened as the command line opens one: on SQLite they share
//! the file under WAL (readers side by side, writers one at a time behind the write lock and its
//! busy timeout, each writer noting what it does in `FILE-writer`); on PostgreSQL each connects
//! within the URL's `connect_timeout` and with its TLS rules. The pool is r2d2's.

use crate::{AnyStore, Result, StoreError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// How long a checkout waits for a free connection when neither the settings nor the URL say.
pub const DEFAULT_CHECKOUT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long the check of a PostgreSQL connection before it is handed out may take.
const PING_LIMIT: Duration = Duration::from_secs(5);

/// The URL parameters the pool reads, and that the backends never see.
const SIZE_PARAM: &str = "pool_size";
const TIMEOUT_PARAM: &str = "pool_timeout";

/// Why a use case got no connection.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// Every connection stayed in use, or none could be opened, for the whole checkout timeout.
    #[error("no database connection came free within {} s (the pool holds {size} at most){}",
        .waited.as_secs_f64(), .cause.as_ref().map(|c| format!("; the last attempt to connect failed: {c}")).unwrap_or_default())]
    Timeout { waited: Duration, size: u32, cause: Option<String> },
    /// The use case was dropped before it started: the program is shutting down.
    #[error("the use case was cancelled before it started: the program is shutting down")]
    Cancelled,
}

/// The size of a pool and how long a use case waits for a connection. The URL's `pool_size=N`
/// and `pool_timeout=SECONDS` override what the program sets here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSettings {
    /// The most connections open at once.
    pub size: u32,
    /// How long a use case waits for a connection before failing with [`PoolError::Timeout`].
    pub checkout_timeout: Duration,
    /// What the program does, as processes waiting for its SQLite write lock are told.
    pub activity: String,
}

impl Default for PoolSettings {
    /// [`default_size`] connections, [`DEFAULT_CHECKOUT_TIMEOUT`], "a meter server".
    fn default() -> PoolSettings {
        PoolSettings {
            size: default_size(),
            checkout_timeout: DEFAULT_CHECKOUT_TIMEOUT,
            activity: "a meter server".into(),
        }
    }
}

/// Two connections per core (at least 2): use cases rate calls on the CPU between reads, so
/// a core is kept busy while another use case waits for the database.
pub fn default_size() -> u32 {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    u32::try_from(cores.saturating_mul(2)).unwrap_or(u32::MAX).max(2)
}

/// Splits the pool's parameters off a database URL: the URL the backend reads, and `settings`
/// with the URL's `pool_size` and `pool_timeout` applied. A bad value is refused by name.
pub fn split_url(url: &str, mut settings: PoolSettings) -> Result<(String, PoolSettings)> {
    let Some((base, query)) = url.split_once('?') else { return Ok((url.to_owned(), settings)) };
    let bad = |reason: String| StoreError::Open { url: crate::redact_url(url), reason };
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            SIZE_PARAM => {
                settings.size = value.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                    bad(format!("{SIZE_PARAM}=`{value}` is not a whole number of connections above 0"))
                })?;
            }
            TIMEOUT_PARAM => {
                let seconds = value.parse().ok().filter(|&s| s > 0).ok_or_else(|| {
                    bad(format!("{TIMEOUT_PARAM}=`{value}` is not a whole number of seconds above 0"))
                })?;
                settings.checkout_timeout = Duration::from_secs(seconds);
            }
            _ => rest.push(pair),
        }
    }
    let backend = if rest.is_empty() { base.to_owned() } else { format!("{base}?{}", rest.join("&")) };
    Ok((backend, settings))
}

/// A pool of connections to one database. Clones share the pool.
#[derive(Clone)]
pub struct Pool {
    inner: r2d2::Pool<Manager>,
    last_error: Arc<Mutex<Option<String>>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.inner.state();
        f.debug_struct("Pool")
            .field("size", &self.inner.max_size())
            .field("open", &state.connections)
            .field("idle", &state.idle_connections)
            .finish()
    }
}

/// A connection checked out of a [`Pool`]; it goes back when dropped (or is closed, if broken).
pub struct PooledStore(r2d2::PooledConnection<Manager>);

impl std::fmt::Debug for PooledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PooledStore").field(&*self.0).finish()
    }
}

impl std::ops::Deref for PooledStore {
    type Target = AnyStore;
    fn deref(&self) -> &AnyStore {
        &self.0
    }
}

impl std::ops::DerefMut for PooledStore {
    fn deref_mut(&mut self) -> &mut AnyStore {
        &mut self.0
    }
}

impl Pool {
    /// Opens the database of the URL once, applying pending migrations (or refusing a database a
    /// newer meter migrated), and makes a pool of `settings` (overridden by the URL's) on it.
    /// Blocks: on an async runtime, call it from a blocking thread.
    pub fn open(url: &str, settings: PoolSettings) -> Result<Pool> {
        let (backend, settings) = split_url(url, settings)?;
        let mut first = AnyStore::open_url(&backend)?;
        first.set_activity(&settings.activity);
        let last_error = Arc::new(Mutex::new(None));
        let manager = Manager {
            url: backend,
            activity: settings.activity,
            first: Mutex::new(Some(first)),
            last_error: Arc::clone(&last_error),
        };
        let inner = r2d2::Pool::builder()
            .max_size(settings.size)
            // The connection opened above stays; more are opened as use cases need them.
            .min_idle(Some(1))
            .connection_timeout(settings.checkout_timeout)
            .error_handler(Box::new(LogErrors))
            .build_unchecked(manager);
        Ok(Pool { inner, last_error })
    }

    /// A connection, waiting up to the checkout timeout for one to come free. Blocks.
    pub fn get(&self) -> Result<PooledStore> {
        self.inner.get().map(PooledStore).map_err(|_| {
            let cause = self.last_error.lock().unwrap_or_else(PoisonError::into_inner).clone();
            let (waited, size) = (self.inner.connection_timeout(), self.inner.max_size());
            StoreError::Pool(PoolError::Timeout { waited, size, cause })
        })
    }

    /// The most connections open at once.
    pub fn size(&self) -> u32 {
        self.inner.max_size()
    }

    /// Connections open now, in use or idle.
    pub fn open_connections(&self) -> u32 {
        self.inner.state().connections
    }
}

/// Opens and checks the pool's connections.
struct Manager {
    /// The backend's URL, without the pool's parameters.
    url: String,
    activity: String,
    /// The connection [`Pool::open`] opened (and migrated), handed out first.
    first: Mutex<Option<AnyStore>>,
    /// Why the last attempt to connect failed, when it did: the cause of a checkout timeout.
    last_error: Arc<Mutex<Option<String>>>,
}

impl r2d2::ManageConnection for Manager {
    type Connection = AnyStore;
    type Error = StoreError;

    /// The first connection, then new ones without migrations (applied once, by [`Pool::open`]).
    fn connect(&self) -> Result<AnyStore> {
        let first = self.first.lock().unwrap_or_else(PoisonError::into_inner).take();
        let opened = first.map_or_else(|| AnyStore::connect_url(&self.url), Ok);
        *self.last_error.lock().unwrap_or_else(PoisonError::into_inner) =
            opened.as_ref().err().map(ToString::to_string);
        let mut store = opened?;
        store.set_activity(&self.activity);
        Ok(store)
    }

    /// Before a connection is handed out: a PostgreSQL server still answers on it (one round
    /// trip); an SQLite file is always there.
    fn is_valid(&self, store: &mut AnyStore) -> Result<()> {
        match store {
            AnyStore::Sqlite(_) => Ok(()),
            AnyStore::Postgres(pg) => pg.ping(PING_LIMIT),
        }
    }

    /// When a connection comes back: one the server or the network closed is discarded.
    fn has_broken(&self, store: &mut AnyStore) -> bool {
        match store {
            AnyStore::Sqlite(_) => false,
            AnyStore::Postgres(pg) => pg.is_closed(),
        }
    }
}

/// Logs the pool's failures to connect and the connections found broken (r2d2 would use `log`).
#[derive(Debug)]
struct LogErrors;

impl r2d2::HandleError<StoreError> for LogErrors {
    fn handle_error(&self, error: StoreError) {
        tracing::warn!(%error, "database connection of the pool");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_sets_size_and_timeout_and_the_backend_never_sees_them() {
        let defaults = PoolSettings { size: 4, checkout_timeout: Duration::from_secs(30), activity: "x".into() };
        let (url, s) =
            split_url("postgres://u@h/db?sslmode=disable&pool_size=9&pool_timeout=2", defaults.clone()).expect("valid");
        assert_eq!(url, "postgres://u@h/db?sslmode=disable");
        assert_eq!((s.size, s.checkout_timeout), (9, Duration::from_secs(2)));
        let (url, s) = split_url("sqlite:///tmp/m.db?pool_size=3", defaults.clone()).expect("valid");
        assert_eq!((url.as_str(), s.size, s.checkout_timeout), ("sqlite:///tmp/m.db", 3, Duration::from_secs(30)));
        let (url, s) = split_url("sqlite://m.db", defaults.clone()).expect("valid");
        assert_eq!((url.as_str(), s), ("sqlite://m.db", defaults));
    }

    #[test]
    fn a_bad_pool_parameter_is_refused_by_name() {
        for (url, named) in [
            ("sqlite://m.db?pool_size=0", "pool_size=`0`"),
            ("sqlite://m.db?pool_size=many", "pool_size=`many`"),
            ("postgres://u:secret@h/db?pool_timeout=-1", "pool_timeout=`-1`"),
            ("postgres://u@h/db?pool_timeout=", "pool_timeout=``"),
        ] {
            let e = split_url(url, PoolSettings::default()).expect_err(url).to_string();
            assert!(e.contains(named), "{url}: {e}");
            assert!(!e.contains("secret"), "{url}: the password shows in {e}");
        }
    }
}
