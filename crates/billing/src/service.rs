//! The one way async code (the web server's handlers, the scheduler) runs a use case: the use
//! cases stay synchronous, as the store is, and [`Billing::run`] runs one on a blocking thread
//! of the tokio runtime with a connection of the pool, so the runtime's workers never wait for
//! the database.

use std::sync::Arc;
use store::{AnyStore, Pool, PoolError, PoolSettings, StoreError};

/// Runs a use case through [`Billing::run`] on the backend's own store, chosen once:
/// `billing::run!(billing, |s| billing::invoice::show(s, &id)).await`. The use case moves what
/// it uses (it runs on another thread).
#[macro_export]
macro_rules! run {
    ($billing:expr, |$s:ident| $body:expr) => {
        $billing.run(move |any| $crate::__store::with_backend!(any, |$s| $body))
    };
}

/// The use cases of one database, for async callers. Clones share one pool.
#[derive(Debug, Clone)]
pub struct Billing {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Always `Some` until dropped.
    pool: Option<Pool>,
    /// What priced the last page of calls, for the next.
    kept: crate::pricing::Kept,
}

impl Drop for Inner {
    /// Closes the pool's connections on a thread of its own: a PostgreSQL connection closes by
    /// blocking on its own runtime, which panics on a thread that drives async tasks, where the
    /// last `Billing` is usually dropped.
    fn drop(&mut self) {
        let Some(pool) = self.pool.take() else { return };
        if let Ok(closing) = std::thread::Builder::new().name("billing-close".into()).spawn(move || drop(pool)) {
            let _ = closing.join();
        }
    }
}

impl Billing {
    /// Opens the database of the URL once (applying pending migrations, or refusing a database a
    /// newer meter migrated) with a pool of connections as `settings` and the URL's `pool_size`
    /// and `pool_timeout` say.
    pub async fn open(url: &str, settings: PoolSettings) -> Result<Billing, StoreError> {
        let url = url.to_owned();
        let pool = joined(tokio::task::spawn_blocking(move || Pool::open(&url, settings)).await)?;
        Ok(Billing::new(pool?))
    }

    /// Runs use cases on connections of `pool`.
    pub fn new(pool: Pool) -> Billing {
        Billing { inner: Arc::new(Inner { pool: Some(pool), kept: Default::default() }) }
    }

    /// The pool the use cases run on.
    pub fn pool(&self) -> &Pool {
        // Taken only by `Drop`, after which no `&self` exists.
        self.inner.pool.as_ref().unwrap_or_else(|| unreachable!("the pool is taken only when dropped"))
    }

    /// What the use cases of this database keep while it does not change (pages of calls:
    /// [`crate::calls::page`]).
    pub fn kept(&self) -> &crate::pricing::Kept {
        &self.inner.kept
    }

    /// Runs `use_case` with a connection of the pool, on a blocking thread, and returns its
    /// answer ([`run!`] runs it on the backend's own store). Waiting for a connection counts against the pool's checkout timeout and fails
    /// with [`PoolError::Timeout`]; a use case that panics panics here too, as a direct call
    /// would. The caller's tracing span is the use case's parent.
    pub async fn run<T, E, F>(&self, use_case: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyStore) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let pool = self.pool().clone();
        let span = tracing::Span::current();
        let work = tokio::task::spawn_blocking(move || {
            let _span = span.enter();
            let mut store = pool.get()?;
            use_case(&mut store)
        });
        joined(work.await)?
    }
}

/// What a blocking task returned. A task that panicked panics here (the panic is the use case's,
/// carried over); one that never ran was cancelled because the runtime is shutting down.
fn joined<T>(outcome: Result<T, tokio::task::JoinError>) -> Result<T, StoreError> {
    match outcome {
        Ok(value) => Ok(value),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Err(StoreError::Pool(PoolError::Cancelled)),
    }
}
