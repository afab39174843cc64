//! The storage interface of `meter` and its two backends: embedded SQLite (the default) and
//! PostgreSQL (several processes and hosts sharing one database).
//!
//! Every use case runs in one transaction ([`Store::read`], [`Store::write`] or
//! [`Store::write_usage`]); the operations of [`StoreTx`] and its narrow interfaces per
//! aggregate ([`Customers`], [`Calls`], [`Invoices`], …) are the only way the rest of the
//! program touches the database. [`AnyStore`] is the backend a URL names; a use case runs on the
//! backend's own store, chosen once with [`with_backend!`].

mod any;
mod check;
mod model;
mod page;
pub mod pool;
pub mod postgres;
mod redact;
mod registry;
mod rows;
mod schema;
pub mod sqlite;

pub use self::postgres::PgStore;
pub use any::AnyStore;
pub use model::*;
pub use pool::{Pool, PoolError, PoolSettings, PooledStore};
pub use redact::redact_url;
pub use schema::{pending, Migration};
pub use sqlite::SqliteStore;

/// What can go wrong in storage.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL's own words (severity, message, detail), which already say everything.
    #[error("database error: {0}")]
    Postgres(String),
    #[error("cannot open database {url}: {reason}")]
    Open { url: String, reason: String },
    /// A URL (its password hidden) that names neither backend.
    #[error("cannot open database {url}: expected sqlite://FILE or postgres://…")]
    UnknownBackend { url: String },
    /// Connecting to a PostgreSQL server failed (the caller names the URL).
    #[error("cannot connect: {0}")]
    Connect(postgres::ConnectError),
    #[error("the database holds a value the program cannot read: {0}")]
    Corrupt(String),
    #[error("migration {name} failed: {reason}")]
    Migration { name: String, reason: String },
    /// The database has migrations this program does not know.
    #[error("the database is newer than this meter: it has migrations this meter does not know ({}); use a meter at least as new as the one that applied them", .0.join(", "))]
    Newer(Vec<String>),
    /// The database holds tables but not meter's: another application's.
    #[error("not a meter database: it holds tables meter did not make ({})", .0.join(", "))]
    NotMeter(Vec<String>),
    /// A command that writes was given a database this process cannot write.
    #[error("{0} is read-only to this process (by its mode, its owner or its directory's): this command writes to it; listing and checking commands can read it")]
    ReadOnly(String),
    /// Migrations are pending and this opening cannot apply them (the file is read-only to it).
    #[error("the database needs migrations that cannot be applied here, where it is read-only ({})", .0.join(", "))]
    Pending(Vec<String>),
    /// What was asked would break a rule the store keeps.
    #[error("refused: {0}")]
    Refused(String),
    /// Another process held the write lock longer than this one would wait (SQLite).
    #[error("the database is locked: {0}")]
    Locked(String),
    /// A customer's period has a live automatic invoice already (the unique index
    /// `invoices_cycle_once`): another run invoiced it first.
    #[error("the period {from} to {to} already has an automatic invoice")]
    PeriodInvoiced { from: String, to: String },
    /// A batch given to [`Calls::import_new_calls`] holds a call already stored.
    #[error("the batch holds calls already stored")]
    KnownCalls,
    /// A use case got no connection of a [`Pool`].
    #[error(transparent)]
    Pool(#[from] PoolError),
}

impl From<::postgres::Error> for StoreError {
    fn from(e: ::postgres::Error) -> StoreError {
        StoreError::Postgres(self::postgres::message(&e))
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A database holding one installation's data.
pub trait Store {
    type Tx<'a>: StoreTx
    where
        Self: 'a;

    /// Whether several [`Store::write_usage`] transactions, on several connections, run at once
    /// (PostgreSQL), or one waits for the other (SQLite).
    const CONCURRENT_USAGE: bool;

    /// A transaction that reads a consistent snapshot.
    fn read(&mut self) -> Result<Self::Tx<'_>>;

    /// A transaction that changes reference data (customers, plans, decks, rates, the local
    /// calling table): no other write transaction runs beside it, so what it reads cannot change
    /// before it commits.
    fn write(&mut self) -> Result<Self::Tx<'_>>;

    /// A transaction that imports calls or creates and deletes invoices. On PostgreSQL several
    /// run at once, none beside a [`Store::write`]: imports number their calls one after another,
    /// and invoices of one customer are serialised by [`Customers::customer_for_update`]. On SQLite
    /// it is the same as [`Store::write`].
    fn write_usage(&mut self) -> Result<Self::Tx<'_>>;

    /// The API token with this secret hash ([`Access::token_by_hash`]), read on its own: every
    /// request of the API reads one, and on PostgreSQL one statement outside a transaction is one
    /// round trip where a transaction takes three.
    fn find_token(&mut self, secret_hash: &[u8]) -> Result<Option<ApiToken>> {
        self.read()?.token_by_hash(secret_hash)
    }

    /// The calls of `query` ([`Calls::each_call`]) if the stamps ([`StoreTx::stamps`]) of the
    /// snapshot they are read in are `expected`: then `f` gets each call and `true` comes back.
    /// Otherwise `f` gets none and `false` comes back: what the caller made the query from has
    /// changed. For a server's pages of calls, which it makes from what it keeps: on PostgreSQL
    /// a page with a limit and no invoice is one statement outside any transaction, which reads
    /// the stamps too (one round trip, where a transaction took four).
    fn each_call_if<E: From<StoreError>>(
        &mut self,
        query: &CallQuery,
        expected: Stamps,
        f: impl FnMut(StoredCall) -> Result<(), E>,
    ) -> Result<bool, E> {
        each_call_if_in_transaction(self, query, expected, f)
    }
}

/// [`Store::each_call_if`] in a read transaction.
fn each_call_if_in_transaction<S: Store + ?Sized, E: From<StoreError>>(
    store: &mut S,
    query: &CallQuery,
    expected: Stamps,
    f: impl FnMut(StoredCall) -> Result<(), E>,
) -> Result<bool, E> {
    let mut tx = store.read()?;
    if tx.stamps()? != expected {
        return Ok(false);
    }
    tx.each_call(query, f)?;
    Ok(true)
}

/// A backend's own store, opened by URL: code generic over the backend (the conformance suite,
/// tools) opens one without naming it.
pub trait OpenStore: Store + Sized {
    /// Opens the database of the URL and applies pending migrations.
    fn open_url(url: &str) -> Result<Self>;
    /// Opens the database of the URL without applying migrations.
    fn connect_url(url: &str) -> Result<Self>;
}

/// The longest id the store takes, in bytes (UTF-8): call ids, customer, plan and deck ids, and
/// customers' domains. Ids are keys of unique indexes; a PostgreSQL index entry holds at most
/// about 2,700 bytes (a third of a page), so 1,024 leaves room for the other columns of a key
/// whatever the id's characters, and for ids no compression can shrink.
pub const MAX_ID_LEN: usize = 1024;

/// A job's rejected records as both backends store them: a JSON array of `{"id", "reason"}`.
fn rejects_json(list: &[RejectedRecord]) -> String {
    let items = list.iter().map(|r| serde_json::json!({"id": r.id, "reason": r.reason})).collect();
    serde_json::Value::Array(items).to_string()
}

/// The rejected records of a job's stored JSON.
fn rejects_of(text: &str) -> Result<Vec<RejectedRecord>> {
    let corrupt = || StoreError::Corrupt(format!("job rejects `{text}` are not a list of {{id, reason}}"));
    let value: serde_json::Value = serde_json::from_str(text).map_err(|_| corrupt())?;
    let items = value.as_array().ok_or_else(corrupt)?;
    items
        .iter()
        .map(|item| match (item["id"].as_str(), item["reason"].as_str()) {
            (Some(id), Some(reason)) => Ok(RejectedRecord { id: id.to_owned(), reason: reason.to_owned() }),
            _ => Err(corrupt()),
        })
        .collect()
}

/// Refuses an invoice billing a call that starts outside its days, from the first day of the
/// calls it may bill (`calls_from`, before its first day when it bills late calls of earlier
/// periods) to its last day: the days are in the customer's zone, so its calls start within one
/// day before the first and two days after the last in UTC, whatever the zone. PostgreSQL's
/// trigger checks the same rule (migrations 0004 and 0010).
fn check_billed_span(inv: &NewInvoice) -> Result<()> {
    let date = |d: &str| {
        chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| StoreError::Refused(format!("invoice date `{d}` is not YYYY-MM-DD")))
    };
    let (from, to) = (date(inv.calls_from.as_deref().unwrap_or(&inv.from))?, date(&inv.to)?);
    if from > date(&inv.from)? {
        return Err(StoreError::Refused(format!(
            "the calls of invoice {} to {} cannot start at {from}",
            inv.from, inv.to
        )));
    }
    let (start, end) = billed_span(from, to);
    match inv.calls.iter().find(|c| c.call_start < start || c.call_start >= end) {
        Some(c) => Err(StoreError::Refused(format!(
            "call {} starts at {} µs, outside the invoice's days {} to {}",
            c.call_pk, c.call_start, inv.from, inv.to
        ))),
        None => Ok(()),
    }
}

/// Where the calls an invoice bills start, from the first day of its calls to its last day:
/// `[start, end)` in UTC microseconds, one day before and two after (see `check_billed_span`).
fn billed_span(first: chrono::NaiveDate, last: chrono::NaiveDate) -> (rating::Micros, rating::Micros) {
    let micros = |d: chrono::NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp_micros();
    let start = first.pred_opt().map_or(i64::MIN, micros);
    let end = last.succ_opt().and_then(|d| d.succ_opt()).map_or(i64::MAX, micros);
    (start, end)
}

/// A change refused because the invoice is not in the state it needs: `needs` says which.
fn not_in_state(id: InvoiceId, status: Option<InvoiceStatus>, needs: &str) -> StoreError {
    match status {
        Some(status) => StoreError::Refused(format!("invoice {id} is {status}: {needs}")),
        None => StoreError::Refused(format!("invoice {id} does not exist")),
    }
}

/// An invoice status as stored.
fn status_of(text: &str) -> Result<InvoiceStatus> {
    InvoiceStatus::parse(text).ok_or_else(|| StoreError::Corrupt(format!("invoices.status = {text}")))
}

/// An event kind as stored.
fn event_kind_of(text: &str) -> Result<EventKind> {
    EventKind::parse(text).ok_or_else(|| StoreError::Corrupt(format!("invoice_events.what = {text}")))
}

/// Converts a stored integer that must fit a narrower type, or reports corruption.
fn narrow<T: TryFrom<i64>>(v: i64, what: &str) -> Result<T> {
    T::try_from(v).map_err(|_| StoreError::Corrupt(format!("{what} = {v}")))
}

/// Converts a count or number of seconds for storage (both backends store i64).
fn wide(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The operations of one transaction, one narrow interface per aggregate, each implemented by a
/// backend in its own file (`sqlite/calls.rs` implements [`Calls`] for `SqliteTx`, and so on).
/// Dropping a transaction without [`StoreTx::commit`] rolls back.
pub trait StoreTx:
    Customers + Subscriptions + Rates + Decks + Calls + Invoices + Settings + Sources + Jobs + Runs + Access
{
    fn commit(self) -> Result<()>;

    /// The stamps of what a server keeps between requests, read together.
    fn stamps(&mut self) -> Result<Stamps>;

    /// The invariants money depends on, verified: each problem found, in words (none: all good).
    fn check(&mut self) -> Result<Vec<String>>;
}

/// Numbers that every change of what they cover changes, in the changing transaction: while one
/// reads the same, what it covers reads the same, so a server may keep what it read under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamps {
    /// What prices calls: the rates, the local calling table, customers' ids.
    pub pricing: i64,
    /// The customers as [`Customers::customers`] reads them (plans and domains too) and the
    /// sources.
    pub customers: i64,
}

/// The stamps ([`StoreTx::stamps`]) as two columns of SQL, the same on both backends.
pub(crate) const STAMP_COLUMNS: &str =
    "(SELECT next FROM counters WHERE name = 'pricing'), (SELECT next FROM counters WHERE name = 'customers')";

/// Customers and their plans.
pub trait Customers {
    /// Every customer, by id.
    fn customers(&mut self) -> Result<Vec<Customer>>;
    fn customer(&mut self, id: &str) -> Result<Option<Customer>>;
    /// The customer, locked until the transaction ends: invoices of one customer are created
    /// and deleted one at a time, each seeing what the one before it committed.
    fn customer_for_update(&mut self, id: &str) -> Result<Option<Customer>>;
    /// Inserts a customer (`pk` 0) or updates the one with that `pk`; returns its `pk`.
    fn save_customer(&mut self, customer: &Customer) -> Result<i64>;

    /// Every plan, by id, with its allowances in order.
    fn plans(&mut self) -> Result<Vec<Plan>>;
    /// Creates or replaces a plan and its allowances.
    fn save_plan(&mut self, plan: &Plan) -> Result<()>;
}

/// Subscriptions: customers' recurring services, and the days invoices billed of them.
pub trait Subscriptions {
    /// Every subscription, or one customer's, in id order (bytes), with its plans in order.
    fn subscriptions(&mut self, customer_pk: Option<i64>) -> Result<Vec<Subscription>>;
    /// Inserts a subscription (`pk` 0) or replaces the one with that `pk`, plans included;
    /// returns its `pk`.
    fn save_subscription(&mut self, subscription: &Subscription) -> Result<i64>;
    /// The days of a subscription billed on invoices, in order.
    fn billed_days(&mut self, subscription_pk: i64) -> Result<Vec<chrono::NaiveDate>>;
}

/// The rate deck.
pub trait Rates {
    /// The whole rate deck, in insertion order.
    fn rates(&mut self) -> Result<Vec<rating::Rate>>;
    /// Adds rates, in order; returns their ids, in the same order.
    fn insert_rates(&mut self, rates: &[rating::Rate]) -> Result<Vec<i64>>;
    /// Sets the end of an open-ended rate's window.
    fn close_rate(&mut self, id: i64, effective_to: rating::Micros) -> Result<()>;
}

/// Named decks and the local calling table.
pub trait Decks {
    /// The named decks, by id (the default deck is implied, never stored).
    fn decks(&mut self) -> Result<Vec<Deck>>;
    /// Creates or updates a named deck.
    fn save_deck(&mut self, deck: &Deck) -> Result<()>;
    /// The local calling table: (caller's NPA-NXX, local NPA-NXX) pairs.
    fn local_calling(&mut self) -> Result<Vec<(rating::NpaNxx, rating::NpaNxx)>>;
    /// Replaces the whole local calling table.
    fn replace_local_calling(&mut self, pairs: &[(rating::NpaNxx, rating::NpaNxx)]) -> Result<()>;
}

/// Call records.
pub trait Calls {
    /// Imports call records: new ones are inserted, changed unbilled ones updated, changed
    /// billed ones left alone. One outcome per record is appended to `outcomes`, in order.
    fn import_calls(&mut self, calls: &[NewCall], outcomes: &mut Vec<CallOutcome>) -> Result<()>;
    /// [`Calls::import_calls`] for a batch expected to hold only calls not stored yet, without
    /// looking each one up first (PostgreSQL: the look-up costs a fifth of a bulk import). A
    /// batch that holds a stored call fails with [`StoreError::KnownCalls`], after which the
    /// transaction can only be dropped: import again with `import_calls`.
    fn import_new_calls(&mut self, calls: &[NewCall], outcomes: &mut Vec<CallOutcome>) -> Result<()> {
        self.import_calls(calls, outcomes)
    }
    /// The calls of `query` in the listing's order (start, source name, source call id), handed
    /// to `f` one by one as they are read: memory stays the same however many there are. An
    /// error from `f` stops the reading and is returned. With `query.after` the reading seeks
    /// past that call; with `query.limit` it stops after that many; with `query.scan` it
    /// examines only that many.
    fn each_call<E: From<StoreError>>(
        &mut self,
        query: &CallQuery,
        f: impl FnMut(StoredCall) -> Result<(), E>,
    ) -> Result<(), E>;
    /// The calls an invoice bills, each with its billing, in the contract's order (start,
    /// source, source call id), handed to `f` as they are read. Found through the invoice's own
    /// links (not by reading its customer's calls and keeping its own), so that the cost follows
    /// the invoice's calls, not the customer's history. None for an unknown or void invoice (a
    /// void one released its calls). An error from `f` stops the reading and is returned.
    fn each_invoice_call<E: From<StoreError>>(
        &mut self,
        invoice: InvoiceId,
        f: impl FnMut(StoredCall) -> Result<(), E>,
    ) -> Result<(), E>;
    /// The calls of [`Calls::each_call`], collected.
    fn calls(&mut self, query: &CallQuery) -> Result<Vec<StoredCall>> {
        let mut calls = Vec::new();
        self.each_call(query, |c| {
            calls.push(c);
            Ok::<_, StoreError>(())
        })?;
        Ok(calls)
    }
    /// Where a read of `query` with a scan bound stops when the bound does: the key of the
    /// `query.scan`-th call of its reach past `query.after` (see [`CallQuery::scan`]), the `after`
    /// of the next read. `None` when fewer calls follow (the reading reached the end).
    fn scan_end(&mut self, query: &CallQuery) -> Result<Option<CallKey>>;
    /// The customer's answered calls starting before `before` that no invoice bills: how many,
    /// and the first and last start; `None` when there are none. Counted by the database, so
    /// that no call of the customer's history is sent to the program.
    fn unbilled_before(
        &mut self,
        customer_pk: i64,
        before: rating::Micros,
    ) -> Result<Option<(u64, rating::Micros, rating::Micros)>>;
    /// How many calls of a customer from a source start in `[from, to)`.
    fn count_calls(
        &mut self,
        customer_pk: i64,
        source: &Source,
        from: rating::Micros,
        to: rating::Micros,
    ) -> Result<u64>;
}

/// Invoices, with their billed calls and allowance draws.
pub trait Invoices {
    /// Seconds already used of the customer's allowance balances.
    fn allowance_used(&mut self, customer_pk: i64) -> Result<Vec<(BalanceKey, u64)>>;
    /// Stores a new invoice with its lines, billed calls, billed subscription days and allowance
    /// draws; returns its id. Fails (and the caller rolls back) if a call or a subscription day
    /// is already on an invoice, and with [`StoreError::PeriodInvoiced`] if it is automatic and
    /// its customer's period has a live automatic invoice.
    fn insert_invoice(&mut self, invoice: &NewInvoice) -> Result<InvoiceId>;
    fn invoice(&mut self, id: InvoiceId) -> Result<Option<Invoice>>;
    /// Deletes a draft invoice, releasing its calls and giving back its allowance draws.
    fn delete_invoice(&mut self, id: InvoiceId) -> Result<DeleteOutcome>;
    /// Live invoices of a customer whose range is exactly `from..=to`.
    fn invoices_for_range(&mut self, customer_pk: i64, from: &str, to: &str) -> Result<Vec<InvoiceId>>;
    /// A customer's draft invoices (still open to deletion), oldest first.
    fn draft_invoices(&mut self, customer_pk: i64) -> Result<Vec<InvoiceId>>;
    /// The invoice, locked with its customer until the transaction ends: changes of one
    /// invoice, and a customer's invoices made, changed and released, come one after another.
    fn invoice_for_update(&mut self, id: InvoiceId) -> Result<Option<Invoice>>;
    /// The invoice whose number this is.
    fn invoice_by_number(&mut self, number: &str) -> Result<Option<InvoiceId>>;
    /// Invoices matching the query, newest (last created) first.
    fn invoices(&mut self, query: &InvoiceQuery) -> Result<Vec<InvoiceSummary>>;
    /// Adds a manual line after the draft's last line and sets its total (the sum of its lines,
    /// which the caller computed). Refused unless the invoice is a draft.
    fn add_manual_line(
        &mut self,
        id: InvoiceId,
        description: &str,
        amount: rating::Amount,
        total: rating::Amount,
    ) -> Result<()>;
    /// Removes the `ordinal`-th line (from 1, in the order shown) of a draft, a manual one, and
    /// sets its total. Refused unless the invoice is a draft and the line a manual one.
    fn remove_line(&mut self, id: InvoiceId, ordinal: usize, total: rating::Amount) -> Result<()>;
    /// Makes a draft final: takes the next number of the installation's one sequence (the
    /// counter's row stays locked until the transaction ends, so numbers follow the order of
    /// finalization and a rolled-back finalization leaves no hole) and records it with the issue
    /// and due dates. Returns the number. Refused unless the invoice is a draft.
    fn finalize_invoice(&mut self, id: InvoiceId, finalization: &Finalization) -> Result<String>;
    /// Makes a final invoice void (it keeps its number, lines and document) and releases its
    /// calls, subscription days and allowance draws as a deletion does. Returns how many calls
    /// were released. Refused unless the invoice is final.
    fn void_invoice(&mut self, id: InvoiceId, at: rating::Micros, reason: &str) -> Result<u64>;
    /// Records a change of the invoice's state, after the ones recorded before.
    fn add_event(&mut self, id: InvoiceId, event: &InvoiceEvent) -> Result<()>;
}

/// The installation's settings (invoice prefix, the seller's details, default payment terms).
pub trait Settings {
    /// Every setting stored, by name.
    fn settings(&mut self) -> Result<Vec<Setting>>;
    /// The setting of this name, if stored.
    fn setting(&mut self, name: &str) -> Result<Option<Setting>> {
        Ok(self.settings()?.into_iter().find(|s| s.name == name))
    }
    /// Adds or replaces a setting.
    fn save_setting(&mut self, setting: &Setting) -> Result<()>;
    /// Removes a setting (its default applies again).
    fn remove_setting(&mut self, name: &str) -> Result<()>;
}

/// Metered sources: the registry, their settings and customers' phone numbers on them.
pub trait Sources {
    /// Every registered source, by name: the platforms' own (`brightlink`, `file`,
    /// `netsapiens`, always there) and those added.
    fn sources(&mut self) -> Result<Vec<Source>>;
    /// Registers a new source (its name checked by [`Source::check_name`]) with the next code;
    /// refuses a name already registered.
    fn add_source(&mut self, name: &str, platform: Platform) -> Result<Source>;
    /// The installation's settings of every configured source, by source name.
    fn source_settings(&mut self) -> Result<Vec<SourceSettings>>;
    /// Saves (adds or replaces) one source's settings.
    fn save_source_settings(&mut self, settings: &SourceSettings) -> Result<()>;
    /// A customer's phone numbers on every source, by source then number.
    fn phone_numbers(&mut self, customer_pk: i64) -> Result<Vec<(Source, PhoneNumber)>>;
    /// Replaces a customer's phone numbers on one source.
    fn replace_phone_numbers(&mut self, customer_pk: i64, source: &Source, numbers: &[PhoneNumber]) -> Result<()>;
}

/// Sync jobs.
pub trait Jobs {
    /// Saves a job: inserts it when `id` is 0 (returning the new id), else updates it.
    fn save_job(&mut self, job: &Job) -> Result<i64>;
    fn job(&mut self, id: i64) -> Result<Option<Job>>;
    /// Jobs matching the query, newest first.
    fn jobs(&mut self, query: &JobQuery) -> Result<Vec<Job>>;
}

/// Runs of the billing cycle and of the scheduler, the claims by which several workers share a
/// cycle, and the scheduler's state. Leases are timed by the database's clock on PostgreSQL (one
/// clock for every host) and by this machine's on SQLite (one host), never by the billing clock.
pub trait Runs {
    /// The `running` run of this kind and date, else a new one started at `now`; `true` when new.
    fn start_run(&mut self, kind: RunKind, date: &str, now: rating::Micros) -> Result<(Run, bool)>;
    /// Saves a run's state, counts, times and error.
    fn save_run(&mut self, run: &Run) -> Result<()>;
    fn run(&mut self, id: i64) -> Result<Option<Run>>;
    /// Runs, newest first.
    fn runs(&mut self, limit: Option<u64>) -> Result<Vec<Run>>;
    /// Adds a `pending` claim of the run for each customer that has none.
    fn add_claims(&mut self, run_id: i64, customer_pks: &[i64]) -> Result<()>;
    /// Makes the run's held and failed claims `pending` again; returns how many.
    fn retry_claims(&mut self, run_id: i64) -> Result<u64>;
    /// Claims for `worker`, until `lease` from now, up to `limit` customers of the run whose keys
    /// are above `after` (`past` is `(after, limit)`): pending ones, and claimed ones whose lease
    /// has ended, in key order, skipping rows another transaction has locked. Returns their keys.
    /// A worker passes the last key it claimed, so that each claim reads only the few claims past
    /// it whatever the size of the run, and starts again from `i64::MIN` when none is left past it.
    fn claim_customers(
        &mut self,
        run_id: i64,
        worker: &str,
        past: (i64, u64),
        lease: std::time::Duration,
    ) -> Result<Vec<i64>>;
    /// The workers holding claims of the run whose lease has not ended.
    fn claim_holders(&mut self, run_id: i64) -> Result<Vec<String>>;
    /// Makes the worker's claims of the run `pending` again (the worker is known to be dead);
    /// returns how many.
    fn release_claims(&mut self, run_id: i64, worker: &str) -> Result<u64>;
    /// Extends the lease of the worker's claims of the run to `lease` from now.
    fn renew_claims(&mut self, run_id: i64, worker: &str, lease: std::time::Duration) -> Result<()>;
    /// Records what became of a customer the worker claimed; `false` when the claim is no longer
    /// the worker's (its lease ended and another worker took it).
    fn settle_claim(
        &mut self,
        run_id: i64,
        customer_pk: i64,
        worker: &str,
        outcome: ClaimOutcome,
        reason: &str,
    ) -> Result<bool>;
    fn claim_counts(&mut self, run_id: i64) -> Result<ClaimCounts>;
    /// The last day the scheduler completed.
    fn scheduler_day(&mut self) -> Result<Option<String>>;
    fn set_scheduler_day(&mut self, day: &str) -> Result<()>;
    /// Takes (or renews) the scheduler's lease for `holder` until `lease` from now, unless
    /// another holder's lease has not ended: then that holder and the µs its lease has left.
    fn take_scheduler_lease(&mut self, holder: &str, lease: std::time::Duration) -> Result<Option<(String, i64)>>;
    /// Gives the lease up, if `holder` has it.
    fn release_scheduler_lease(&mut self, holder: &str) -> Result<()>;
}

/// Who may use the web app and the JSON API: users, their sessions, API tokens, and failed
/// sign-ins. Secrets are never stored: sessions and tokens are found by the SHA-256 of theirs.
pub trait Access {
    /// Every user, by email.
    fn users(&mut self) -> Result<Vec<User>>;
    /// The user with this email, whatever its case.
    fn user_by_email(&mut self, email: &str) -> Result<Option<User>>;
    /// Adds a user (its `id` is ignored); returns the new id, or `None` when a user has this
    /// email already, whatever its case (the unique index `users_email_once`).
    fn add_user(&mut self, user: &User) -> Result<Option<i64>>;
    /// Saves a user's role, password hash and whether it is disabled; `false` when no user has
    /// its id.
    fn save_user(&mut self, user: &User) -> Result<bool>;

    /// Adds a session.
    fn add_session(&mut self, session: &StoredSession) -> Result<()>;
    /// The session with this id (the SHA-256 of its secret), with its user.
    fn session(&mut self, id: &[u8]) -> Result<Option<(StoredSession, User)>>;
    /// Records a use of a session: when it was last seen and when it now expires.
    fn touch_session(&mut self, id: &[u8], last_seen_at: rating::Micros, expires_at: rating::Micros) -> Result<()>;
    /// Ends a session; `false` when none has this id.
    fn remove_session(&mut self, id: &[u8]) -> Result<bool>;
    /// Ends every session of a user; returns how many there were.
    fn remove_user_sessions(&mut self, user_id: i64) -> Result<u64>;
    /// Removes the sessions that expired at `now` or before; returns how many.
    fn remove_expired_sessions(&mut self, now: rating::Micros) -> Result<u64>;

    /// Makes attempts to sign in as this email come one after another: the next one waits until
    /// this transaction ends (PostgreSQL: an advisory lock on the email; SQLite: its one writer
    /// at a time already does).
    fn lock_sign_in(&mut self, email: &str) -> Result<()>;
    /// The times of the failed sign-ins as this email after `since`, oldest first.
    fn sign_in_failures(&mut self, email: &str, since: rating::Micros) -> Result<Vec<rating::Micros>>;
    /// Records a failed sign-in as this email.
    fn add_sign_in_failure(&mut self, email: &str, at: rating::Micros) -> Result<()>;
    /// Forgets the failed sign-ins at `before` or earlier: of one email, or of every email.
    fn remove_sign_in_failures(&mut self, email: Option<&str>, before: rating::Micros) -> Result<()>;

    /// Adds an API token (its `id` is ignored); returns its id. Refused when another token has
    /// the same secret hash.
    fn add_token(&mut self, token: &ApiToken) -> Result<i64>;
    /// Every API token, revoked ones too, by id.
    fn tokens(&mut self) -> Result<Vec<ApiToken>>;
    fn token(&mut self, id: i64) -> Result<Option<ApiToken>>;
    /// The token whose secret has this SHA-256.
    fn token_by_hash(&mut self, secret_hash: &[u8]) -> Result<Option<ApiToken>>;
    /// Revokes a token at `at`; `false` when no token that is not revoked has this id.
    fn revoke_token(&mut self, id: i64, at: rating::Micros) -> Result<bool>;
}

/// Every store trait, for callers that hold a concrete transaction:
/// `use store::prelude::*`.
pub mod prelude {
    pub use crate::{
        Access, Calls, Customers, Decks, Invoices, Jobs, Rates, Runs, Settings, Sources, Store, StoreTx, Subscriptions,
    };
}
