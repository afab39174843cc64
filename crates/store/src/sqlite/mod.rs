//! The embedded SQLite backend: one database file, WAL, foreign keys on, a busy timeout so that
//! concurrent `meter` processes wait for each other instead of failing.

mod access;
mod calls;
mod check;
mod customers;
mod decks;
mod invoices;
mod life;
mod open;
mod rates;
mod runs;
mod settings;
mod sources;
mod subscriptions;
mod writer;

use crate::{narrow, wide, Result, Store, StoreError};
use open::Access;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use std::time::Duration;

/// Migrations in order: (name, SQL). Names match the PostgreSQL backend's one for one.
const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../../migrations/sqlite/0001_init.sql")),
    ("0002_decks", include_str!("../../migrations/sqlite/0002_decks.sql")),
    ("0003_sources", include_str!("../../migrations/sqlite/0003_sources.sql")),
    ("0004_billed_calls_by_key", include_str!("../../migrations/sqlite/0004_billed_calls_by_key.sql")),
    ("0005_billed_calls_by_number", include_str!("../../migrations/sqlite/0005_billed_calls_by_number.sql")),
    ("0006_job_rejects", include_str!("../../migrations/sqlite/0006_job_rejects.sql")),
    ("0007_no_secret_hints", include_str!("../../migrations/sqlite/0007_no_secret_hints.sql")),
    ("0008_job_heartbeat", include_str!("../../migrations/sqlite/0008_job_heartbeat.sql")),
    ("0009_source_instances", include_str!("../../migrations/sqlite/0009_source_instances.sql")),
    ("0010_subscriptions", include_str!("../../migrations/sqlite/0010_subscriptions.sql")),
    ("0011_cycle_runs", include_str!("../../migrations/sqlite/0011_cycle_runs.sql")),
    ("0012_billed_calls_invoice_by_key", include_str!("../../migrations/sqlite/0012_billed_calls_invoice_by_key.sql")),
    ("0013_invoice_life", include_str!("../../migrations/sqlite/0013_invoice_life.sql")),
    ("0014_access", include_str!("../../migrations/sqlite/0014_access.sql")),
    ("0015_call_details", include_str!("../../migrations/sqlite/0015_call_details.sql")),
    ("0016_customers_stamp", include_str!("../../migrations/sqlite/0016_customers_stamp.sql")),
];

/// How long a writer waits for another process's write lock before giving up, unless the URL
/// says otherwise (`?busy_timeout=SECONDS`).
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// A `meter` database in one SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
    /// Opened read-only: this process cannot write the file.
    read_only: bool,
    busy_timeout: Duration,
    writer: writer::WriterFile,
}

/// One transaction on a [`SqliteStore`].
#[derive(Debug)]
pub struct SqliteTx<'a> {
    tx: rusqlite::Transaction<'a>,
    /// Held by a write transaction: this process is the writer other processes wait for.
    _writing: Option<writer::Held<'a>>,
    /// The registered sources, read on first use.
    registry: Option<crate::registry::Registry>,
}

impl SqliteStore {
    /// Opens `sqlite://PATH` (or `sqlite:PATH`), creating the file and applying migrations.
    pub fn open_url(url: &str) -> Result<SqliteStore> {
        let mut store = Self::connect_url(url)?;
        store.migrate()?;
        Ok(store)
    }

    /// Opens `sqlite://PATH` without applying migrations (for `db migrate`).
    pub fn connect_url(url: &str) -> Result<SqliteStore> {
        Self::connect_url_for(url, Access::Write)
    }

    /// Opens `sqlite://PATH` for a command that only reads, without applying migrations: a file
    /// this process cannot write is opened read-only and nothing is ever written to it or beside
    /// it ([`SqliteStore::migrate`] then refuses to apply pending migrations).
    pub fn connect_url_to_read(url: &str) -> Result<SqliteStore> {
        Self::connect_url_for(url, Access::Read)
    }

    fn connect_url_for(url: &str, access: Access) -> Result<SqliteStore> {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| StoreError::Open { url: url.to_owned(), reason: "not a sqlite:// URL".into() })?;
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        if path.is_empty() {
            return Err(StoreError::Open { url: url.to_owned(), reason: "no file name".into() });
        }
        let mut store = Self::connect(path, access).map_err(|e| match e {
            StoreError::Sqlite(err) => StoreError::Open { url: url.to_owned(), reason: err.to_string() },
            other => other,
        })?;
        if let Some(seconds) = query.split('&').find_map(|p| p.strip_prefix("busy_timeout=")) {
            let seconds = seconds.parse::<u64>().map_err(|_| StoreError::Open {
                url: url.to_owned(),
                reason: format!("busy_timeout=`{seconds}` is not a whole number of seconds"),
            })?;
            store.busy_timeout = Duration::from_secs(seconds);
            store.conn.busy_timeout(store.busy_timeout)?;
        }
        Ok(store)
    }

    /// Says what this process does, for the processes that wait for its write lock (and are
    /// told, when they give up, who holds it): a command, say `an invoice creation`.
    pub fn set_activity(&mut self, doing: &str) {
        self.writer.set_doing(doing);
    }

    /// A write transaction, or the error saying who holds the write lock when the busy timeout
    /// passed before it was free.
    fn begin_write(&mut self) -> Result<SqliteTx<'_>> {
        let tx = match self.conn.transaction_with_behavior(TransactionBehavior::Immediate) {
            Ok(tx) => tx,
            Err(e) if is_busy(&e) => return Err(self.writer.locked(self.busy_timeout)),
            Err(e) => return Err(e.into()),
        };
        Ok(SqliteTx { tx, _writing: self.writer.hold(), registry: None })
    }

    /// Opens (or creates) the database file at `path` and applies pending migrations.
    pub fn open(path: &str) -> Result<SqliteStore> {
        let mut store = Self::connect(path, Access::Write)?;
        store.migrate()?;
        Ok(store)
    }

    /// Opens (or creates) the database file at `path`, without applying migrations.
    fn connect(path: &str, access: Access) -> Result<SqliteStore> {
        let (conn, read_only) = open::open(path, access)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        if !read_only {
            // Takes effect only when the file is new (before the first table); 8 KiB pages
            // measured fastest for bulk call imports.
            conn.pragma_update(None, "page_size", 8192)?;
            set_wal(&conn)?;
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Reads go through this 64 MiB page cache, not a memory map: the resident pages of a map
        // grow with what a command reads (an invoice of 2,000,000 calls peaked 126 MB higher with
        // it, and took no less CPU time).
        conn.pragma_update(None, "cache_size", -65536)?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(SqliteStore { conn, read_only, busy_timeout: BUSY_TIMEOUT, writer: writer::WriterFile::new(path) })
    }

    /// Every migration, known to this program or applied to the database (see
    /// [`crate::Migration`]). A file with tables but no migrations table is another
    /// application's, and refused.
    pub fn migration_status(&mut self) -> Result<Vec<crate::Migration>> {
        let tables: Vec<String> = self
            .conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY name")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut applied = std::collections::BTreeMap::new();
        if tables.iter().any(|t| t == "meter_migrations") {
            let mut st = self.conn.prepare("SELECT name, applied_at FROM meter_migrations")?;
            for row in st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))? {
                let (name, at) = row?;
                applied.insert(name, at);
            }
        } else {
            crate::schema::refuse_foreign(tables)?;
        }
        Ok(crate::schema::migrations(MIGRATIONS, applied))
    }

    /// Applies the migrations not yet applied, each in the same write transaction as its record.
    /// Refuses a database that a newer meter migrated, and one opened read-only that needs
    /// migrations.
    pub fn migrate(&mut self) -> Result<Vec<&'static str>> {
        // Most opens find nothing to do: say so from a read, without queueing for the write lock.
        let status = self.migration_status()?;
        crate::schema::refuse_newer(&status)?;
        let pending = crate::schema::pending(&status);
        if pending.is_empty() {
            return Ok(Vec::new());
        }
        if self.read_only {
            return Err(StoreError::Pending(pending));
        }
        let write = self.begin_write()?;
        let tx = &write.tx;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS meter_migrations (
                 name TEXT PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')))",
        )?;
        let mut applied = Vec::new();
        for (name, sql) in MIGRATIONS {
            let done: Option<String> =
                tx.query_row("SELECT name FROM meter_migrations WHERE name = ?1", [name], |r| r.get(0)).optional()?;
            if done.is_none() {
                tx.execute_batch(sql)
                    .map_err(|e| StoreError::Migration { name: (*name).to_owned(), reason: e.to_string() })?;
                tx.execute("INSERT INTO meter_migrations (name) VALUES (?1)", [name])?;
                applied.push(*name);
            }
        }
        crate::StoreTx::commit(write)?;
        Ok(applied)
    }
}

impl crate::OpenStore for SqliteStore {
    fn open_url(url: &str) -> Result<SqliteStore> {
        SqliteStore::open_url(url)
    }

    fn connect_url(url: &str) -> Result<SqliteStore> {
        SqliteStore::connect_url(url)
    }
}

impl Store for SqliteStore {
    type Tx<'a> = SqliteTx<'a>;

    const CONCURRENT_USAGE: bool = false;

    fn read(&mut self) -> Result<SqliteTx<'_>> {
        Ok(SqliteTx {
            tx: self.conn.transaction_with_behavior(TransactionBehavior::Deferred)?,
            _writing: None,
            registry: None,
        })
    }

    fn write(&mut self) -> Result<SqliteTx<'_>> {
        self.begin_write()
    }

    /// SQLite has one writer at a time: usage writes take the same write lock.
    fn write_usage(&mut self) -> Result<SqliteTx<'_>> {
        self.write()
    }
}

/// Rows per multi-row INSERT: few statements for bulk writes, well under SQLite's limit of
/// parameters per statement.
const CHUNK: usize = 256;

/// A multi-row INSERT into one table, written in chunks of at most [`CHUNK`] rows; the text of
/// the full chunk's statement is built once.
struct MultiInsert {
    head: &'static str,
    columns: usize,
    tail: &'static str,
    full: std::sync::OnceLock<String>,
}

impl MultiInsert {
    const fn new(head: &'static str, columns: usize, tail: &'static str) -> MultiInsert {
        MultiInsert { head, columns, tail, full: std::sync::OnceLock::new() }
    }

    /// The prepared statement for `rows` rows; parameter `r * columns + c` (from 1) is column
    /// `c` of row `r`.
    fn prepare<'c>(&self, tx: &'c rusqlite::Transaction<'_>, rows: usize) -> Result<rusqlite::CachedStatement<'c>> {
        let st = if rows == CHUNK {
            tx.prepare_cached(self.full.get_or_init(|| multi_insert_sql(self.head, self.columns, CHUNK, self.tail)))
        } else {
            tx.prepare_cached(&multi_insert_sql(self.head, self.columns, rows, self.tail))
        };
        Ok(st?)
    }
}

/// `INSERT INTO {head} VALUES (?1, …), (…) … {tail}` for `rows` rows of `columns` parameters.
fn multi_insert_sql(head: &str, columns: usize, rows: usize, tail: &str) -> String {
    let mut sql = format!("INSERT INTO {head} VALUES ");
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ",(" });
        for c in 1..=columns {
            if c > 1 {
                sql.push(',');
            }
            sql.push_str(&format!("?{}", r * columns + c));
        }
        sql.push(')');
    }
    sql.push(' ');
    sql.push_str(tail);
    sql
}

/// Whether SQLite gave up waiting for another connection's lock.
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DatabaseBusy)
}

/// Switches the file to WAL. On a brand-new file this needs the write lock, and SQLite answers
/// "busy" at once, without waiting, when another process holds it: retry until the busy timeout.
fn set_wal(conn: &Connection) -> Result<()> {
    let started = std::time::Instant::now();
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && started.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return Ok(other?),
        }
    }
}

impl crate::StoreTx for SqliteTx<'_> {
    fn commit(self) -> Result<()> {
        Ok(self.tx.commit()?)
    }
    fn stamps(&mut self) -> Result<crate::Stamps> {
        let mut st = self.tx.prepare_cached(&format!("SELECT {}", crate::STAMP_COLUMNS))?;
        Ok(st.query_row([], |r| Ok(crate::Stamps { pricing: r.get(0)?, customers: r.get(1)? }))?)
    }
    fn check(&mut self) -> Result<Vec<String>> {
        self.check_impl()
    }
}
