//! The backend a database URL names: `sqlite://FILE` or `postgres://…`.

use crate::postgres::PgTx;
use crate::sqlite::SqliteTx;
use crate::{
    BalanceKey, CallOutcome, CallQuery, Calls, Customer, Customers, Deck, Decks, DeleteOutcome, Invoice, InvoiceId,
    Invoices, Job, JobQuery, Jobs, Migration, NewCall, NewInvoice, PgStore, PhoneNumber, Plan, Platform, Rates, Result,
    Source, SourceSettings, Sources, SqliteStore, Store, StoreError, StoreTx, StoredCall,
};
use rating::{Micros, NpaNxx, Rate};

/// A store on either backend.
#[derive(Debug)]
pub enum AnyStore {
    Sqlite(SqliteStore),
    Postgres(Box<PgStore>),
}

/// A transaction on either backend.
#[derive(Debug)]
pub enum AnyTx<'a> {
    Sqlite(SqliteTx<'a>),
    Postgres(PgTx<'a>),
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

impl Store for AnyStore {
    type Tx<'a> = AnyTx<'a>;

    fn read(&mut self) -> Result<AnyTx<'_>> {
        Ok(match self {
            AnyStore::Sqlite(s) => AnyTx::Sqlite(s.read()?),
            AnyStore::Postgres(s) => AnyTx::Postgres(s.read()?),
        })
    }

    fn write(&mut self) -> Result<AnyTx<'_>> {
        Ok(match self {
            AnyStore::Sqlite(s) => AnyTx::Sqlite(s.write()?),
            AnyStore::Postgres(s) => AnyTx::Postgres(s.write()?),
        })
    }

    fn write_usage(&mut self) -> Result<AnyTx<'_>> {
        Ok(match self {
            AnyStore::Sqlite(s) => AnyTx::Sqlite(s.write_usage()?),
            AnyStore::Postgres(s) => AnyTx::Postgres(s.write_usage()?),
        })
    }
}

/// Forwards each operation to the backend's transaction.
macro_rules! forward {
    ($( fn $name:ident(&mut self $(, $arg:ident: $ty:ty)*) -> $ret:ty; )*) => {
        $(
            fn $name(&mut self $(, $arg: $ty)*) -> $ret {
                match self {
                    AnyTx::Sqlite(tx) => tx.$name($($arg),*),
                    AnyTx::Postgres(tx) => tx.$name($($arg),*),
                }
            }
        )*
    };
}

impl StoreTx for AnyTx<'_> {
    fn commit(self) -> Result<()> {
        match self {
            AnyTx::Sqlite(tx) => tx.commit(),
            AnyTx::Postgres(tx) => tx.commit(),
        }
    }

    forward! {
        fn check(&mut self) -> Result<Vec<String>>;
    }
}

impl Customers for AnyTx<'_> {
    forward! {
        fn customers(&mut self) -> Result<Vec<Customer>>;
        fn customer(&mut self, id: &str) -> Result<Option<Customer>>;
        fn customer_for_update(&mut self, id: &str) -> Result<Option<Customer>>;
        fn save_customer(&mut self, customer: &Customer) -> Result<i64>;
        fn plans(&mut self) -> Result<Vec<Plan>>;
        fn save_plan(&mut self, plan: &Plan) -> Result<()>;
    }
}

impl Rates for AnyTx<'_> {
    forward! {
        fn rates(&mut self) -> Result<Vec<Rate>>;
        fn insert_rates(&mut self, rates: &[Rate]) -> Result<Vec<i64>>;
        fn close_rate(&mut self, id: i64, effective_to: Micros) -> Result<()>;
    }
}

impl Decks for AnyTx<'_> {
    forward! {
        fn decks(&mut self) -> Result<Vec<Deck>>;
        fn save_deck(&mut self, deck: &Deck) -> Result<()>;
        fn local_calling(&mut self) -> Result<Vec<(NpaNxx, NpaNxx)>>;
        fn replace_local_calling(&mut self, pairs: &[(NpaNxx, NpaNxx)]) -> Result<()>;
    }
}

impl Calls for AnyTx<'_> {
    fn each_call<E: From<StoreError>>(
        &mut self,
        query: &CallQuery,
        f: impl FnMut(StoredCall) -> Result<(), E>,
    ) -> Result<(), E> {
        match self {
            AnyTx::Sqlite(tx) => tx.each_call(query, f),
            AnyTx::Postgres(tx) => tx.each_call(query, f),
        }
    }

    forward! {
        fn import_calls(&mut self, calls: &[NewCall], outcomes: &mut Vec<CallOutcome>) -> Result<()>;
        fn import_new_calls(&mut self, calls: &[NewCall], outcomes: &mut Vec<CallOutcome>) -> Result<()>;
        fn count_calls(&mut self, customer_pk: i64, source: &Source, from: Micros, to: Micros) -> Result<u64>;
    }
}

impl Invoices for AnyTx<'_> {
    forward! {
        fn allowance_used(&mut self, customer_pk: i64) -> Result<Vec<(BalanceKey, u64)>>;
        fn insert_invoice(&mut self, invoice: &NewInvoice) -> Result<InvoiceId>;
        fn invoice(&mut self, id: InvoiceId) -> Result<Option<Invoice>>;
        fn delete_invoice(&mut self, id: InvoiceId) -> Result<DeleteOutcome>;
        fn invoices_for_range(&mut self, customer_pk: i64, from: &str, to: &str) -> Result<Vec<InvoiceId>>;
        fn draft_invoices(&mut self, customer_pk: i64) -> Result<Vec<InvoiceId>>;
    }
}

impl Sources for AnyTx<'_> {
    forward! {
        fn sources(&mut self) -> Result<Vec<Source>>;
        fn add_source(&mut self, name: &str, platform: Platform) -> Result<Source>;
        fn source_settings(&mut self) -> Result<Vec<SourceSettings>>;
        fn save_source_settings(&mut self, settings: &SourceSettings) -> Result<()>;
        fn phone_numbers(&mut self, customer_pk: i64) -> Result<Vec<(Source, PhoneNumber)>>;
        fn replace_phone_numbers(&mut self, customer_pk: i64, source: &Source, numbers: &[PhoneNumber]) -> Result<()>;
    }
}

impl Jobs for AnyTx<'_> {
    forward! {
        fn save_job(&mut self, job: &Job) -> Result<i64>;
        fn job(&mut self, id: i64) -> Result<Option<Job>>;
        fn jobs(&mut self, query: &JobQuery) -> Result<Vec<Job>>;
    }
}
