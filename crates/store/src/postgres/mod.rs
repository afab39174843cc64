//! The PostgreSQL backend, for installations where several `meter` processes (the web server,
//! the scheduler, command-line runs, workers on other hosts) share one database.
//!
//! Concurrency: exclusive writes ([`Store::write`]: reference data) hold a transaction-level
//! advisory lock that usage writes ([`Store::write_usage`]: call imports, invoices) share, so
//! usage writes run side by side but never beside a change of customers, plans or rates. Within
//! usage writes, invoices of one customer are serialised by locking the customer's row
//! ([`crate::StoreTx::customer_for_update`]) and imports by locking the call counter. Reads are
//! `REPEATABLE READ` snapshots.

mod calls;
mod check;
mod copy;
mod customers;
mod decks;
mod invoices;
mod rates;
mod sources;

use crate::{narrow, wide, Result, Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use postgres::types::ToSql;
use postgres::{Client, IsolationLevel, NoTls, Row, Statement};
use std::collections::HashMap;

/// Migrations in order: (name, SQL). Names match the SQLite backend's one for one.
const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../../migrations/postgres/0001_init.sql")),
    ("0002_decks", include_str!("../../migrations/postgres/0002_decks.sql")),
    ("0003_sources", include_str!("../../migrations/postgres/0003_sources.sql")),
    ("0004_billed_calls_by_key", include_str!("../../migrations/postgres/0004_billed_calls_by_key.sql")),
    ("0005_billed_calls_by_number", include_str!("../../migrations/postgres/0005_billed_calls_by_number.sql")),
];

/// New calls in one transaction from which it refreshes the statistics of `calls`.
const ANALYZE_AFTER: usize = 50_000;

/// Rows a long read fetches per round trip ([`PgTx::each_row`]).
const FETCH_ROWS: i32 = 4_096;

/// Advisory lock keys (an arbitrary namespace, "meter" in ASCII, plus a number).
const LOCK_WRITES: i64 = 0x6d_65_74_65_72_00_01;
const LOCK_MIGRATIONS: i64 = 0x6d_65_74_65_72_00_02;

/// A `meter` database on a PostgreSQL server: one connection, with its prepared statements.
pub struct PgStore {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("statements", &self.statements.len()).finish_non_exhaustive()
    }
}

/// One transaction on a [`PgStore`].
pub struct PgTx<'a> {
    tx: postgres::Transaction<'a>,
    statements: &'a mut HashMap<String, Statement>,
    /// A usage or exclusive write: customer lookups for billing lock the row.
    writes: bool,
    /// Calls this transaction inserted.
    new_calls: usize,
}

impl std::fmt::Debug for PgTx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgTx").field("writes", &self.writes).finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to `postgres://…` and applies pending migrations.
    pub fn open_url(url: &str) -> Result<PgStore> {
        let mut store = Self::connect_url(url)?;
        store.migrate()?;
        Ok(store)
    }

    /// Connects to `postgres://…` without applying migrations (for `db status` and `db migrate`).
    pub fn connect_url(url: &str) -> Result<PgStore> {
        let open = |e: postgres::Error| StoreError::Open { url: crate::redact_url(url), reason: message(&e) };
        let mut client = Client::connect(url, NoTls).map_err(open)?;
        // Every statement of meter is short or a bulk copy: compiling one with JIT cost more than
        // it saved (8 invoice creations: 1.64 CPU-seconds with it, 1.33 without).
        client.batch_execute("SET jit = off").map_err(open)?;
        Ok(PgStore { client, statements: HashMap::new() })
    }

    /// Every migration the program knows, with when it was applied (`None`: pending).
    pub fn migration_status(&mut self) -> Result<Vec<(&'static str, Option<String>)>> {
        let exists: bool =
            self.client.query_one("SELECT to_regclass('meter_migrations') IS NOT NULL", &[])?.try_get(0)?;
        let mut applied: HashMap<String, String> = HashMap::new();
        if exists {
            for r in self.client.query(
                "SELECT name, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM meter_migrations",
                &[],
            )? {
                applied.insert(r.try_get(0)?, r.try_get(1)?);
            }
        }
        Ok(MIGRATIONS.iter().map(|(name, _)| (*name, applied.remove(*name))).collect())
    }

    /// Applies the migrations not yet applied, in one transaction; concurrent openers wait for
    /// each other on an advisory lock, so each migration runs once.
    pub fn migrate(&mut self) -> Result<Vec<&'static str>> {
        if self.migration_status()?.iter().all(|(_, applied)| applied.is_some()) {
            return Ok(Vec::new());
        }
        let mut tx = self.client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_MIGRATIONS])?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS meter_migrations (
                 name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
        )?;
        let mut applied = Vec::new();
        for (name, sql) in MIGRATIONS {
            if tx.query_opt("SELECT 1 FROM meter_migrations WHERE name = $1", &[name])?.is_none() {
                tx.batch_execute(sql)
                    .map_err(|e| StoreError::Migration { name: (*name).to_owned(), reason: message(&e) })?;
                tx.execute("INSERT INTO meter_migrations (name) VALUES ($1)", &[name])?;
                applied.push(*name);
            }
        }
        tx.commit()?;
        Ok(applied)
    }

    fn begin(&mut self, level: IsolationLevel, read_only: bool, lock: Option<&str>) -> Result<PgTx<'_>> {
        let tx = self.client.build_transaction().isolation_level(level).read_only(read_only).start()?;
        let mut tx = PgTx { tx, statements: &mut self.statements, writes: !read_only, new_calls: 0 };
        if let Some(lock) = lock {
            tx.tx.execute(lock, &[&LOCK_WRITES])?;
        }
        Ok(tx)
    }
}

impl Store for PgStore {
    type Tx<'a> = PgTx<'a>;

    fn read(&mut self) -> Result<PgTx<'_>> {
        self.begin(IsolationLevel::RepeatableRead, true, None)
    }

    fn write(&mut self) -> Result<PgTx<'_>> {
        self.begin(IsolationLevel::ReadCommitted, false, Some("SELECT pg_advisory_xact_lock($1)"))
    }

    fn write_usage(&mut self) -> Result<PgTx<'_>> {
        self.begin(IsolationLevel::ReadCommitted, false, Some("SELECT pg_advisory_xact_lock_shared($1)"))
    }
}

impl PgTx<'_> {
    /// Runs a query and hands its rows to `f` a batch of [`FETCH_ROWS`] at a time: memory stays
    /// bounded however many rows match, and the connection is driven once per batch instead of
    /// once per row (row-by-row fetching was a fifth of an invoice creation's client CPU).
    fn each_row(
        &mut self,
        st: &Statement,
        params: &[&(dyn ToSql + Sync)],
        mut f: impl FnMut(&Row) -> Result<()>,
    ) -> Result<()> {
        let portal = self.tx.bind(st, params)?;
        loop {
            let rows = self.tx.query_portal(&portal, FETCH_ROWS)?;
            for r in &rows {
                f(r)?;
            }
            if rows.len() < FETCH_ROWS as usize {
                return Ok(());
            }
        }
    }

    /// The prepared statement for `sql`, prepared once per connection.
    fn prepared(&mut self, sql: &str) -> Result<Statement> {
        if let Some(st) = self.statements.get(sql) {
            return Ok(st.clone());
        }
        let st = self.tx.prepare(sql)?;
        self.statements.insert(sql.to_owned(), st.clone());
        Ok(st)
    }
}

/// The server's own message when there is one (constraint, detail), else the client's.
pub(crate) fn message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{}: {} ({detail})", db.severity(), db.message()),
            None => format!("{}: {}", db.severity(), db.message()),
        },
        None => e.to_string(),
    }
}

/// A time for storage; the program's times are well inside PostgreSQL's range.
fn at(micros: rating::Micros) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_micros(micros).ok_or_else(|| StoreError::Corrupt(format!("time {micros} µs out of range")))
}

/// A civil date given as `YYYY-MM-DD`.
/// A source as its stored code (0..=2).
fn source_code(s: crate::Source) -> i16 {
    i16::try_from(s.code()).unwrap_or(i16::MAX)
}

fn date(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| StoreError::Corrupt(format!("date {s:?}")))
}

/// A throwaway database on a server, for tests and benchmarks: created empty from an
/// administrator's URL and dropped, with its connections and its saved copies, when the value is
/// dropped.
#[derive(Debug)]
pub struct TempDatabase {
    admin_url: String,
    name: String,
    url: String,
    copies: std::sync::Mutex<Vec<String>>,
}

/// The administrator's URL of the PostgreSQL server for tests, `METER_TEST_POSTGRES_URL`, or
/// `None` when it is not set, after a notice written straight to stderr (past the test
/// harness's capture) that the calling test is skipped. Under CI (`CI` set) a missing URL is a
/// failure: the PostgreSQL half of the suite must not be skipped silently.
pub fn test_server_url() -> Option<String> {
    use std::io::Write as _;
    match std::env::var("METER_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but METER_TEST_POSTGRES_URL is not: the PostgreSQL tests would not run"
            );
            let test = std::thread::current().name().unwrap_or("a test").to_owned();
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: set METER_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres) to run it"
            );
            None
        }
    }
}

impl TempDatabase {
    /// A database for the running test, named after it, on the server of
    /// [`test_server_url`]; `None` (the test is skipped) when that is not set.
    pub fn for_test() -> Option<TempDatabase> {
        let admin = test_server_url()?;
        let test = std::thread::current().name().unwrap_or("test").rsplit("::").next().unwrap_or("test").to_owned();
        let db = TempDatabase::create(&admin, &test)
            .unwrap_or_else(|e| panic!("creating a test database on {}: {e}", crate::redact_url(&admin)));
        Some(db)
    }

    /// Creates database `meter_{label}_{pid}_{n}` on the server of `admin_url`.
    pub fn create(admin_url: &str, label: &str) -> Result<TempDatabase> {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let label: String = label
            .chars()
            .take(30)
            .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
            .collect();
        let name = format!("meter_{label}_{}_{n}", std::process::id());
        let db = TempDatabase {
            admin_url: admin_url.to_owned(),
            url: with_database(admin_url, &name),
            name,
            copies: std::sync::Mutex::new(Vec::new()),
        };
        db.admin(&[
            &format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", db.name),
            &format!("CREATE DATABASE \"{}\"", db.name),
        ])?;
        Ok(db)
    }

    /// The URL of the new database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Saves a copy of the database under `copy`. No other connection may be open to it.
    pub fn save(&self, copy: &str) -> Result<()> {
        let copy = self.copy_name(copy);
        self.admin(&[
            &format!("DROP DATABASE IF EXISTS \"{copy}\""),
            &format!("CREATE DATABASE \"{copy}\" TEMPLATE \"{}\"", self.name),
        ])?;
        self.copies.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(copy);
        Ok(())
    }

    /// Puts back the copy saved by [`TempDatabase::save`], closing any connection to the database.
    pub fn restore(&self, copy: &str) -> Result<()> {
        let copy = self.copy_name(copy);
        self.admin(&[
            &format!("DROP DATABASE \"{}\" WITH (FORCE)", self.name),
            &format!("CREATE DATABASE \"{}\" TEMPLATE \"{copy}\"", self.name),
        ])
    }

    fn copy_name(&self, copy: &str) -> String {
        let copy: String =
            copy.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
        format!("{}_{copy}", self.name)
    }

    /// Runs statements one by one on the administrator's connection (CREATE and DROP DATABASE
    /// cannot share a transaction).
    fn admin(&self, statements: &[&str]) -> Result<()> {
        let mut admin = PgStore::connect_url(&self.admin_url)?.client;
        for sql in statements {
            admin.batch_execute(sql)?;
        }
        Ok(())
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        let copies = std::mem::take(self.copies.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner));
        for name in copies.iter().chain([&self.name]) {
            let _ = self.admin(&[&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")]);
        }
    }
}

/// `url` with its database name replaced by `name` (query parameters kept).
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl crate::StoreTx for PgTx<'_> {
    /// A bulk import refreshes the planner's statistics of `calls` as it commits: the first
    /// invoices after it would otherwise be planned for a table of its former size (measured:
    /// reading a customer's 16,762 calls took 90 ms with stale statistics, 47 ms after ANALYZE).
    fn commit(mut self) -> Result<()> {
        if self.new_calls >= ANALYZE_AFTER {
            self.tx.batch_execute("ANALYZE calls")?;
        }
        Ok(self.tx.commit()?)
    }
    fn customers(&mut self) -> Result<Vec<crate::Customer>> {
        self.customers_impl()
    }
    fn customer(&mut self, id: &str) -> Result<Option<crate::Customer>> {
        self.customer_impl(id, false)
    }
    fn customer_for_update(&mut self, id: &str) -> Result<Option<crate::Customer>> {
        let lock = self.writes;
        self.customer_impl(id, lock)
    }
    fn save_customer(&mut self, customer: &crate::Customer) -> Result<i64> {
        self.save_customer_impl(customer)
    }
    fn plans(&mut self) -> Result<Vec<crate::Plan>> {
        self.plans_impl()
    }
    fn save_plan(&mut self, plan: &crate::Plan) -> Result<()> {
        self.save_plan_impl(plan)
    }
    fn rates(&mut self) -> Result<Vec<rating::Rate>> {
        self.rates_impl()
    }
    fn insert_rates(&mut self, rates: &[rating::Rate]) -> Result<Vec<i64>> {
        self.insert_rates_impl(rates)
    }
    fn close_rate(&mut self, id: i64, effective_to: rating::Micros) -> Result<()> {
        self.close_rate_impl(id, effective_to)
    }
    fn import_calls(&mut self, calls: &[crate::NewCall], outcomes: &mut Vec<crate::CallOutcome>) -> Result<()> {
        self.import_calls_impl(calls, outcomes)
    }
    fn import_new_calls(&mut self, calls: &[crate::NewCall], outcomes: &mut Vec<crate::CallOutcome>) -> Result<()> {
        self.import_new_calls_impl(calls, outcomes)
    }
    fn each_call<E: From<StoreError>>(
        &mut self,
        query: &crate::CallQuery,
        f: impl FnMut(crate::StoredCall) -> Result<(), E>,
    ) -> Result<(), E> {
        self.each_call_impl(query, f)
    }
    fn allowance_used(&mut self, customer_pk: i64) -> Result<Vec<(crate::BalanceKey, u64)>> {
        self.allowance_used_impl(customer_pk)
    }
    fn insert_invoice(&mut self, invoice: &crate::NewInvoice) -> Result<crate::InvoiceId> {
        self.insert_invoice_impl(invoice)
    }
    fn invoice(&mut self, id: crate::InvoiceId) -> Result<Option<crate::Invoice>> {
        self.invoice_impl(id)
    }
    fn delete_invoice(&mut self, id: crate::InvoiceId) -> Result<crate::DeleteOutcome> {
        self.delete_invoice_impl(id)
    }
    fn invoices_for_range(&mut self, customer_pk: i64, from: &str, to: &str) -> Result<Vec<crate::InvoiceId>> {
        self.invoices_for_range_impl(customer_pk, from, to)
    }
    fn decks(&mut self) -> Result<Vec<crate::Deck>> {
        self.decks_impl()
    }
    fn check(&mut self) -> Result<Vec<String>> {
        self.check_impl()
    }
    fn save_deck(&mut self, deck: &crate::Deck) -> Result<()> {
        self.save_deck_impl(deck)
    }
    fn local_calling(&mut self) -> Result<Vec<(rating::NpaNxx, rating::NpaNxx)>> {
        self.local_calling_impl()
    }
    fn replace_local_calling(&mut self, pairs: &[(rating::NpaNxx, rating::NpaNxx)]) -> Result<()> {
        self.replace_local_calling_impl(pairs)
    }
    fn source_settings(&mut self) -> Result<Vec<crate::SourceSettings>> {
        self.source_settings_impl()
    }
    fn save_source_settings(&mut self, settings: &crate::SourceSettings) -> Result<()> {
        self.save_source_settings_impl(settings)
    }
    fn phone_numbers(&mut self, customer_pk: i64) -> Result<Vec<(crate::Source, crate::PhoneNumber)>> {
        self.phone_numbers_impl(customer_pk)
    }
    fn replace_phone_numbers(
        &mut self,
        customer_pk: i64,
        source: crate::Source,
        numbers: &[crate::PhoneNumber],
    ) -> Result<()> {
        self.replace_phone_numbers_impl(customer_pk, source, numbers)
    }
    fn save_job(&mut self, job: &crate::Job) -> Result<i64> {
        self.save_job_impl(job)
    }
    fn job(&mut self, id: i64) -> Result<Option<crate::Job>> {
        self.job_impl(id)
    }
    fn jobs(&mut self, query: &crate::JobQuery) -> Result<Vec<crate::Job>> {
        self.jobs_impl(query)
    }
    fn count_calls(
        &mut self,
        customer_pk: i64,
        source: crate::Source,
        from: rating::Micros,
        to: rating::Micros,
    ) -> Result<u64> {
        self.count_calls_impl(customer_pk, source, from, to)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn with_database_replaces_the_name_and_keeps_parameters() {
        assert_eq!(super::with_database("postgres://u@h:5432/postgres", "x"), "postgres://u@h:5432/x");
        assert_eq!(super::with_database("postgres://u@h", "x"), "postgres://u@h/x");
        assert_eq!(super::with_database("postgres://u@h/db?sslmode=disable", "x"), "postgres://u@h/x?sslmode=disable");
    }
}
