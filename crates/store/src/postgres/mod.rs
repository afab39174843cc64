//! The PostgreSQL backend, for installations where several `meter` processes (the web server,
//! the scheduler, command-line runs, workers on other hosts) share one database.
//!
//! Concurrency: exclusive writes ([`Store::write`]: reference data) hold a transaction-level
//! advisory lock that usage writes ([`Store::write_usage`]: call imports, invoices) share, so
//! usage writes run side by side but never beside a change of customers, plans or rates. Within
//! usage writes, invoices of one customer are serialised by locking the customer's row
//! ([`crate::Customers::customer_for_update`]) and imports by locking the call counter. Reads are
//! `REPEATABLE READ` snapshots.

mod access;
mod calls;
mod check;
mod connect;
mod copy;
mod customers;
mod decks;
mod invoices;
mod life;
mod rates;
mod runs;
mod settings;
mod sources;
mod subscriptions;
mod tls;

pub use connect::{ConnectError, DEFAULT_CONNECT_TIMEOUT};

use crate::registry::Registry;
use crate::{narrow, wide, Result, Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use postgres::types::ToSql;
use postgres::{Client, IsolationLevel, Row, Statement};
use std::collections::HashMap;
use std::sync::Arc;

/// Migrations in order: (name, SQL). Names match the SQLite backend's one for one.
const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../../migrations/postgres/0001_init.sql")),
    ("0002_decks", include_str!("../../migrations/postgres/0002_decks.sql")),
    ("0003_sources", include_str!("../../migrations/postgres/0003_sources.sql")),
    ("0004_billed_calls_by_key", include_str!("../../migrations/postgres/0004_billed_calls_by_key.sql")),
    ("0005_billed_calls_by_number", include_str!("../../migrations/postgres/0005_billed_calls_by_number.sql")),
    ("0006_job_rejects", include_str!("../../migrations/postgres/0006_job_rejects.sql")),
    ("0007_no_secret_hints", include_str!("../../migrations/postgres/0007_no_secret_hints.sql")),
    ("0008_job_heartbeat", include_str!("../../migrations/postgres/0008_job_heartbeat.sql")),
    ("0009_source_instances", include_str!("../../migrations/postgres/0009_source_instances.sql")),
    ("0010_subscriptions", include_str!("../../migrations/postgres/0010_subscriptions.sql")),
    ("0011_cycle_runs", include_str!("../../migrations/postgres/0011_cycle_runs.sql")),
    (
        "0012_billed_calls_invoice_by_key",
        include_str!("../../migrations/postgres/0012_billed_calls_invoice_by_key.sql"),
    ),
    ("0013_invoice_life", include_str!("../../migrations/postgres/0013_invoice_life.sql")),
    ("0014_access", include_str!("../../migrations/postgres/0014_access.sql")),
    ("0015_call_details", include_str!("../../migrations/postgres/0015_call_details.sql")),
    ("0016_customers_stamp", include_str!("../../migrations/postgres/0016_customers_stamp.sql")),
];

/// New calls in one transaction from which it refreshes the statistics of `calls`.
const ANALYZE_AFTER: usize = 50_000;

/// Rows a long read fetches per round trip ([`PgTx::each_row`]).
const FETCH_ROWS: i32 = 4_096;

/// Advisory lock keys (an arbitrary namespace, "meter" in ASCII, plus a number).
const LOCK_WRITES: i64 = 0x6d_65_74_65_72_00_01;
const LOCK_MIGRATIONS: i64 = 0x6d_65_74_65_72_00_02;

/// The most statements a connection keeps prepared; past it they are all closed and prepared
/// again as needed. Pages of calls write their limit into their text, so a caller asking for
/// every size of page could otherwise make statements without end.
const MAX_STATEMENTS: usize = 512;

/// The sources a connection last read in a read transaction, with the customers' stamp it read
/// ([`crate::StoreTx::stamps`]).
type KeptSources = Option<(i64, Arc<Registry>)>;

/// A `meter` database on a PostgreSQL server: one connection, with its prepared statements.
pub struct PgStore {
    client: Client,
    statements: HashMap<String, Statement>,
    kept_sources: KeptSources,
    /// How the server plans this connection's statements with parameters now.
    planning: Planning,
}

/// How the server plans a statement with parameters (`plan_cache_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Planning {
    /// At every execution, for the values given (`force_custom_plan`): what every transaction
    /// runs with (see [`PgStore::connect_url`]).
    Custom,
    /// Once, for any values, when the server finds that plan no worse (`auto`): for the pages
    /// past a cursor of every customer's calls, or of one customer's written into the statement
    /// ([`PgStore::page_alone`], [`crate::page::Plan::planned_once`]), whose one good plan is a
    /// range of an index, and whose planning took as long as reading them.
    Auto,
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
    /// The connection's kept sources ([`crate::StoreTx::stamps`]).
    kept_sources: &'a mut KeptSources,
    /// A usage or exclusive write: customer lookups for billing lock the row.
    writes: bool,
    /// Calls this transaction inserted.
    new_calls: usize,
    /// The registered sources, read on first use.
    registry: Option<crate::registry::Registry>,
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

    /// Connects to `postgres://…` without applying migrations (for `db status` and `db migrate`),
    /// within the URL's `connect_timeout` ([`DEFAULT_CONNECT_TIMEOUT`] when it sets none), over
    /// TLS as its `sslmode` asks.
    pub fn connect_url(url: &str) -> Result<PgStore> {
        // Every statement of meter is short or a bulk copy: compiling one with JIT cost more than
        // it saved (8 invoice creations: 1.64 CPU-seconds with it, 1.33 without).
        //
        // Statements are prepared once per connection and planned at each execution: a generic
        // plan, made once and kept, is made for the tables as they were then. In the first cycle
        // of a database its invoices grow from none, and the plans made when they were few read
        // the whole table for every customer until an ANALYZE (autovacuum's, when it runs)
        // replaced them: 100,000 customers slowed to about 60 invoices a second, reading
        // `invoices` ten times per customer from first row to last.
        let setup = "SET jit = off; SET plan_cache_mode = force_custom_plan";
        let client = connect::Settings::parse(url).and_then(|s| s.connect(setup)).map_err(StoreError::Connect)?;
        Ok(PgStore { client, statements: HashMap::new(), kept_sources: None, planning: Planning::Custom })
    }

    /// Runs SQL outside any transaction, one statement after another: administration that a
    /// transaction cannot hold, such as CREATE and DROP DATABASE.
    pub fn batch_execute(&mut self, sql: &str) -> Result<()> {
        Ok(self.client.batch_execute(sql)?)
    }

    /// Every migration, known to this program or applied to the database (see
    /// [`crate::Migration`]). A database with tables in its schema but no migrations table is
    /// another application's, and refused.
    pub fn migration_status(&mut self) -> Result<Vec<crate::Migration>> {
        let exists: bool =
            self.client.query_one("SELECT to_regclass('meter_migrations') IS NOT NULL", &[])?.try_get(0)?;
        let mut applied = std::collections::BTreeMap::new();
        if exists {
            for r in self.client.query(
                "SELECT name, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM meter_migrations",
                &[],
            )? {
                applied.insert(r.try_get(0)?, r.try_get(1)?);
            }
        } else {
            let tables = self.client.query(
                "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename",
                &[],
            )?;
            crate::schema::refuse_foreign(tables.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?)?;
        }
        Ok(crate::schema::migrations(MIGRATIONS, applied))
    }

    /// Applies the migrations not yet applied, in one transaction; concurrent openers wait for
    /// each other on an advisory lock, so each migration runs once. Refuses a database that a
    /// newer meter migrated.
    pub fn migrate(&mut self) -> Result<Vec<&'static str>> {
        let status = self.migration_status()?;
        crate::schema::refuse_newer(&status)?;
        if crate::schema::pending(&status).is_empty() {
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

    /// Whether the server still answers on this connection, within `limit`.
    pub(crate) fn ping(&mut self, limit: std::time::Duration) -> Result<()> {
        Ok(self.client.is_valid(limit)?)
    }

    /// Whether the server or the network closed this connection.
    pub(crate) fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Makes the server plan statements with parameters as `planning` says, from now on (one
    /// round trip when it changes).
    pub(crate) fn plan(&mut self, planning: Planning) -> Result<()> {
        if self.planning != planning {
            self.client.batch_execute(match planning {
                Planning::Custom => "SET plan_cache_mode = force_custom_plan",
                Planning::Auto => "SET plan_cache_mode = auto",
            })?;
            self.planning = planning;
        }
        Ok(())
    }

    fn begin(&mut self, level: IsolationLevel, read_only: bool, lock: Option<&str>) -> Result<PgTx<'_>> {
        self.plan(Planning::Custom)?;
        let tx = self.client.build_transaction().isolation_level(level).read_only(read_only).start()?;
        let mut tx = PgTx {
            tx,
            statements: &mut self.statements,
            kept_sources: &mut self.kept_sources,
            writes: !read_only,
            new_calls: 0,
            registry: None,
        };
        if let Some(lock) = lock {
            tx.tx.execute(lock, &[&LOCK_WRITES])?;
        }
        Ok(tx)
    }
}

impl crate::OpenStore for PgStore {
    fn open_url(url: &str) -> Result<PgStore> {
        PgStore::open_url(url)
    }

    fn connect_url(url: &str) -> Result<PgStore> {
        PgStore::connect_url(url)
    }
}

impl Store for PgStore {
    type Tx<'a> = PgTx<'a>;

    const CONCURRENT_USAGE: bool = true;

    fn read(&mut self) -> Result<PgTx<'_>> {
        self.begin(IsolationLevel::RepeatableRead, true, None)
    }

    fn write(&mut self) -> Result<PgTx<'_>> {
        self.begin(IsolationLevel::ReadCommitted, false, Some("SELECT pg_advisory_xact_lock($1)"))
    }

    fn write_usage(&mut self) -> Result<PgTx<'_>> {
        self.begin(IsolationLevel::ReadCommitted, false, Some("SELECT pg_advisory_xact_lock_shared($1)"))
    }

    /// A page with a limit and no invoice while the connection keeps the sources of the
    /// customers' stamp expected: [`PgStore::page_alone`]; any other in a transaction.
    fn each_call_if<E: From<StoreError>>(
        &mut self,
        query: &crate::CallQuery,
        expected: crate::Stamps,
        f: impl FnMut(crate::StoredCall) -> Result<(), E>,
    ) -> Result<bool, E> {
        let sources = match &self.kept_sources {
            Some((stamp, sources))
                if *stamp == expected.customers && query.invoice.is_none() && query.limit.is_some() =>
            {
                Arc::clone(sources)
            }
            _ => return crate::each_call_if_in_transaction(self, query, expected, f),
        };
        self.page_alone(query, expected, &sources, f)
    }

    /// The hash is written into the statement, and the statement of a token found is kept: with
    /// no parameter the server plans it once, where it planned a statement with parameters at
    /// every request (`plan_cache_mode`, [`PgStore::connect_url`]), which took most of the
    /// lookup's time. An unknown hash's statement is closed at once.
    fn find_token(&mut self, secret_hash: &[u8]) -> Result<Option<crate::ApiToken>> {
        use std::fmt::Write as _;
        let mut sql = format!("SELECT {} FROM api_tokens WHERE secret_hash = '\\x", crate::rows::TOKEN_COLUMNS);
        for b in secret_hash {
            let _ = write!(sql, "{b:02x}");
        }
        sql.push_str("'::bytea");
        let kept = self.statements.get(&sql).cloned();
        let st = match &kept {
            Some(st) => st.clone(),
            None => self.client.prepare(&sql)?,
        };
        let found = self.client.query_opt(&st, &[])?;
        if found.is_some() && kept.is_none() {
            keep(&mut self.statements, sql, st);
        }
        found.as_ref().map(crate::rows::token_of).transpose()
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
        prepared(self.statements, &mut self.tx, sql)
    }
}

/// The prepared statement for `sql` among a connection's `statements`, prepared on `client` (the
/// connection or a transaction on it) the first time.
fn prepared(
    statements: &mut HashMap<String, Statement>,
    client: &mut impl postgres::GenericClient,
    sql: &str,
) -> Result<Statement> {
    if let Some(st) = statements.get(sql) {
        return Ok(st.clone());
    }
    let st = client.prepare(sql)?;
    keep(statements, sql.to_owned(), st.clone());
    Ok(st)
}

/// Keeps a connection's prepared statement for `sql`, closing every kept one first when they
/// are [`MAX_STATEMENTS`] already.
fn keep(statements: &mut HashMap<String, Statement>, sql: String, st: Statement) {
    if statements.len() >= MAX_STATEMENTS {
        // Dropping a statement closes it on the server.
        statements.clear();
    }
    statements.insert(sql, st);
}

/// The server's own message when there is one (constraint, detail), else the client's with its
/// causes (the driver's own words name only the kind of failure: "error connecting to server").
pub(crate) fn message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{}: {} ({detail})", db.severity(), db.message()),
            None => format!("{}: {}", db.severity(), db.message()),
        },
        None => {
            let mut text = e.to_string();
            let mut cause = std::error::Error::source(e);
            while let Some(c) = cause {
                text.push_str(": ");
                text.push_str(&c.to_string());
                cause = c.source();
            }
            text
        }
    }
}

#[cfg(test)]
impl PgStore {
    /// The rows of `sql`, outside any transaction: for tests of reading values that no operation
    /// of the store writes.
    pub(crate) fn rows(&mut self, sql: &str) -> Result<Vec<Row>> {
        Ok(self.client.query(sql, &[])?)
    }
}

/// A time for storage; the program's times are well inside PostgreSQL's range.
fn at(micros: rating::Micros) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_micros(micros).ok_or_else(|| StoreError::Corrupt(format!("time {micros} µs out of range")))
}

/// A source as its stored code.
fn source_code(s: &crate::Source) -> i16 {
    i16::try_from(s.code()).unwrap_or(i16::MAX)
}

/// A civil date given as `YYYY-MM-DD`.
fn date(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| StoreError::Corrupt(format!("date {s:?}")))
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
    /// In a read transaction, the sources kept with the customers' stamp serve as this
    /// transaction's (they are what it would read), and sources read are kept with it: a page of
    /// calls then needs no statement for them.
    fn stamps(&mut self) -> Result<crate::Stamps> {
        let st = self.prepared(&format!("SELECT {}", crate::STAMP_COLUMNS))?;
        let r = self.tx.query_one(&st, &[])?;
        let stamps = crate::Stamps { pricing: r.try_get(0)?, customers: r.try_get(1)? };
        if !self.writes {
            match &*self.kept_sources {
                Some((stamp, registry)) if *stamp == stamps.customers => {
                    self.registry = Some(Registry::clone(registry));
                }
                _ => {
                    let registry = Arc::new(self.registry()?.clone());
                    *self.kept_sources = Some((stamps.customers, registry));
                }
            }
        }
        Ok(stamps)
    }
    fn check(&mut self) -> Result<Vec<String>> {
        self.check_impl()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CallKey, CallQuery, Calls, Customers, Source, StoreTx};

    /// A page past a cursor of every customer's calls, or of one customer's, is planned once
    /// (`auto`); the next transaction on the connection plans at every execution again, and so
    /// does a page of a span of days.
    #[test]
    fn only_pages_past_a_cursor_are_planned_once() {
        let db = testkit::TempDatabase::for_test();
        let mut pg = PgStore::open_url(db.url()).expect("the test database");
        let mode = |pg: &mut PgStore| -> String {
            pg.rows("SHOW plan_cache_mode").expect("show")[0].try_get(0).expect("text")
        };
        assert_eq!(mode(&mut pg), "force_custom_plan");
        let mut tx = pg.write().expect("tx");
        let customer_pk = tx.save_customer(&crate::Customer::new("c1", "Customer c1")).expect("a customer");
        let call = crate::NewCall {
            source: Source::file(),
            source_call_id: "y".into(),
            customer_pk,
            start: 2,
            duration: 60,
            direction: rating::Direction::Outbound,
            from: "12125550100".into(),
            to: "13125550100".into(),
            call_type: None,
        };
        tx.import_calls(&[call], &mut Vec::new()).expect("a call");
        tx.commit().expect("commit");
        // A read transaction keeps the sources a page alone needs.
        let stamps = pg.read().expect("tx").stamps().expect("stamps");
        let after = CallKey { start: 1, source: Source::file(), source_call_id: "x".into() };
        let past = CallQuery { limit: Some(5), after: Some(after), ..CallQuery::default() };
        let page = |pg: &mut PgStore, q: &CallQuery| {
            pg.each_call_if(q, stamps, |_| Ok::<_, StoreError>(())).expect("a page");
        };
        page(&mut pg, &past);
        assert_eq!(mode(&mut pg), "auto");
        drop(pg.read().expect("a transaction"));
        assert_eq!(mode(&mut pg), "force_custom_plan");
        page(&mut pg, &CallQuery { customer_pk: Some(customer_pk), ..past.clone() });
        assert_eq!(mode(&mut pg), "auto");
        page(&mut pg, &CallQuery { from: Some(0), to: Some(10), ..past.clone() });
        assert_eq!(mode(&mut pg), "force_custom_plan");
    }
}
