//! The backend a database URL names: `sqlite://FILE` or `postgres://…`.

use crate::{Migration, PgStore, Result, SqliteStore, StoreError};

/// A store on either backend, as a URL names it. It opens, migrates and reports migrations; a
/// use case runs on the backend's own store, chosen once with [`with_backend!`](crate::with_backend),
/// so that every operation inside calls the backend directly.
#[derive(Debug)]
pub enum AnyStore {
    Sqlite(SqliteStore),
    Postgres(Box<PgStore>),
}

/// Runs `body` with `s` bound to the backend's own store of an `&mut AnyStore`
/// (`&mut SqliteStore` or `&mut PgStore`): the backend is chosen once, for a whole use case.
///
/// ```text
/// let doc = store::with_backend!(&mut any, |s| billing::invoice::show(s, &id))?;
/// ```
#[macro_export]
macro_rules! with_backend {
    ($store:expr, |$s:ident| $body:expr) => {
        match $store {
            $crate::AnyStore::Sqlite($s) => $body,
            $crate::AnyStore::Postgres($s) => {
                let $s: &mut $crate::PgStore = $s;
                $body
            }
        }
    };
}

/// The URL a backend reads (the pool's parameters taken out: one URL serves a command and a
/// server alike), and whether it names PostgreSQL.
fn backend(url: &str) -> Result<(String, bool)> {
    let (backend, _) = crate::pool::split_url(url, crate::PoolSettings::default())?;
    let postgres = is_postgres(&backend)?;
    Ok((backend, postgres))
}

/// Which backend a URL names.
fn is_postgres(url: &str) -> Result<bool> {
    if url.starts_with("sqlite:") {
        Ok(false)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(true)
    } else {
        Err(StoreError::UnknownBackend { url: crate::redact_url(url) })
    }
}

impl AnyStore {
    /// Opens the database of the URL and applies pending migrations.
    pub fn open_url(url: &str) -> Result<AnyStore> {
        let (url, postgres) = &backend(url)?;
        Ok(if *postgres {
            AnyStore::Postgres(Box::new(PgStore::open_url(url)?))
        } else {
            AnyStore::Sqlite(SqliteStore::open_url(url)?)
        })
    }

    /// Opens the database of the URL without applying migrations.
    pub fn connect_url(url: &str) -> Result<AnyStore> {
        let (url, postgres) = &backend(url)?;
        Ok(if *postgres {
            AnyStore::Postgres(Box::new(PgStore::connect_url(url)?))
        } else {
            AnyStore::Sqlite(SqliteStore::connect_url(url)?)
        })
    }

    /// Opens the database of the URL for a command that only reads, without applying
    /// migrations: an SQLite file this process cannot write is opened read-only, and
    /// [`AnyStore::migrate`] then applies nothing (it refuses when migrations are pending).
    pub fn connect_url_to_read(url: &str) -> Result<AnyStore> {
        let (url, postgres) = &backend(url)?;
        Ok(if *postgres {
            AnyStore::Postgres(Box::new(PgStore::connect_url(url)?))
        } else {
            AnyStore::Sqlite(SqliteStore::connect_url_to_read(url)?)
        })
    }

    /// Says what this process does, for the processes that wait for its writes (SQLite tells
    /// them who holds the write lock when they give up; PostgreSQL writers wait as long as it
    /// takes).
    pub fn set_activity(&mut self, doing: &str) {
        if let AnyStore::Sqlite(s) = self {
            s.set_activity(doing);
        }
    }

    /// Every migration, known to this program or applied to the database: the known ones in
    /// order, then those only a newer meter knows. Refuses another application's database.
    pub fn migration_status(&mut self) -> Result<Vec<Migration>> {
        match self {
            AnyStore::Sqlite(s) => s.migration_status(),
            AnyStore::Postgres(s) => s.migration_status(),
        }
    }

    /// The names of the migrations not applied yet. Refuses a database a newer meter migrated.
    pub fn pending_migrations(&mut self) -> Result<Vec<String>> {
        let status = self.migration_status()?;
        crate::schema::refuse_newer(&status)?;
        Ok(crate::schema::pending(&status))
    }

    /// Applies the migrations not yet applied; returns their names. Refuses a database a newer
    /// meter migrated.
    pub fn migrate(&mut self) -> Result<Vec<&'static str>> {
        match self {
            AnyStore::Sqlite(s) => s.migrate(),
            AnyStore::Postgres(s) => s.migrate(),
        }
    }
}
