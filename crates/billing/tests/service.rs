//! The async boundary: use cases run from tokio tasks through `Billing::run`, each on a
//! connection of the pool, on both backends. Every PostgreSQL test also drops its `Billing` in
//! the runtime, which must close the connections without panicking.

use billing::invoice::{self, InvoiceRequest};
use billing::metered::guard::Guard;
use billing::{Billing, BillingError};
use chrono::NaiveDate;
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use store::prelude::*;
use store::{PoolError, PoolSettings, Source, Store, StoreError, StoreTx};
use testkit::TempDatabase;

/// The longest a test waits for another use case to reach a point: far longer than any step
/// takes, so that only a use case that cannot get there (blocked) makes it run out.
const LIMIT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

/// Generates, for each listed `async fn name(url: String)`, the tests `sqlite::name` and
/// `postgres::name`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { super::on(super::Backend::Sqlite, super::$name) } )*
        }
        mod postgres {
            $( #[test] fn $name() { super::on(super::Backend::Postgres, super::$name) } )*
        }
    };
}

/// Runs `test` on a multi-threaded runtime with the URL of a fresh database on `backend`. The
/// database is made and dropped outside the runtime (the PostgreSQL client blocks).
fn on<F: std::future::Future<Output = ()>>(backend: Backend, test: impl FnOnce(String) -> F) {
    let db = Db::new(backend);
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime");
    runtime.block_on(test(db.url.clone()));
}

on_both_backends! {
    use_cases_run_at_once_each_on_a_connection_of_its_own,
    concurrent_invoices_are_those_previewed_and_the_database_adds_up,
    a_reader_runs_while_a_writer_holds_the_write_lock,
    writers_take_turns,
    a_checkout_waits_no_longer_than_its_timeout,
    one_url_serves_a_command_and_a_server,
}

/// A database on `backend` (dropped with the value) and its URL.
struct Db {
    url: String,
    _dir: tempfile::TempDir,
    _pg: Option<TempDatabase>,
}

impl Db {
    fn new(backend: Backend) -> Db {
        let dir = tempfile::tempdir().expect("a temporary directory");
        match backend {
            Backend::Sqlite => Db { url: format!("sqlite://{}/meter.db", dir.path().display()), _dir: dir, _pg: None },
            Backend::Postgres => {
                let pg = TempDatabase::for_test();
                Db { url: pg.url().to_owned(), _dir: dir, _pg: Some(pg) }
            }
        }
    }
}

/// `url` with `params` added to its query.
fn with_params(url: &str, params: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{params}")
}

fn settings(size: u32) -> PoolSettings {
    PoolSettings { size, activity: "the service test".into(), ..PoolSettings::default() }
}

/// A pool on `url`, loaded with the example data set (four customers, November 2026), through
/// the pool itself.
async fn example(url: &str, size: u32) -> Billing {
    let billing = Billing::open(url, settings(size)).await.expect("opening the pool");
    billing
        .run(|any| {
            store::with_backend!(any, |store| {
                let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
                billing::import::import_decks(store, &examples.join("decks.csv"))?;
                billing::import::import_plans(store, &examples.join("plans.csv"))?;
                billing::import::import_customers(store, &examples.join("customers.csv"))?;
                billing::import::import_rates(store, &examples.join("rates.csv"))?;
                billing::import::import_cdrs(store, &examples.join("cdrs.csv"), Source::file(), &NoProgress)?;
                Ok::<_, BillingError>(())
            })
        })
        .await
        .expect("importing the examples");
    billing
}

/// Runs a use case as a task of its own (as a handler would), while the test goes on.
macro_rules! spawn {
    ($billing:expr, |$s:ident| $body:expr) => {{
        let pool = $billing.clone();
        tokio::spawn(async move {
            let answer: Result<_, StoreError> = billing::run!(pool, |$s| $body).await;
            answer
        })
    }};
}

struct NoProgress;

impl billing::Progress for NoProgress {
    fn start(&self, _: u64) {}
    fn at(&self, _: u64) {}
    fn finish(&self) {}
}

const CUSTOMERS: [&str; 4] = ["acme", "globex", "lonestar", "thames"];

fn november(customer: &str) -> InvoiceRequest {
    let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).expect("a date");
    InvoiceRequest { customer: customer.into(), from: day(1), to: day(30), call_types: None }
}

/// A meeting point for `n` use cases on blocking threads.
struct Meeting {
    arrived: Mutex<usize>,
    all_here: Condvar,
    n: usize,
}

impl Meeting {
    fn new(n: usize) -> Arc<Meeting> {
        Arc::new(Meeting { arrived: Mutex::new(0), all_here: Condvar::new(), n })
    }

    /// Arrives and waits for the others; whether all `n` arrived within [`LIMIT`].
    fn arrive(&self) -> bool {
        let mut arrived = self.arrived.lock().expect("meeting lock");
        *arrived += 1;
        self.all_here.notify_all();
        let (arrived, _) = self.all_here.wait_timeout_while(arrived, LIMIT, |a| *a < self.n).expect("meeting lock");
        *arrived == self.n
    }
}

/// As many use cases as the pool has connections, each holding a read transaction open until
/// all the others hold theirs: they can only all get there on connections of their own.
async fn use_cases_run_at_once_each_on_a_connection_of_its_own(url: String) {
    let billing = example(&url, 4).await;
    let meeting = Meeting::new(4);
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let (billing, meeting) = (billing.clone(), Arc::clone(&meeting));
            tokio::spawn(async move {
                billing::run!(billing, |store| {
                    let mut tx = store.read()?;
                    let customers = tx.customers()?.len();
                    Ok::<_, StoreError>((customers, meeting.arrive()))
                })
                .await
            })
        })
        .collect();
    for task in tasks {
        let (customers, all_met) = task.await.expect("the task").expect("the use case");
        assert_eq!(customers, CUSTOMERS.len());
        assert!(all_met, "4 use cases on a pool of 4 did not all hold a transaction at once");
    }
    assert_eq!(billing.pool().open_connections(), 4);
}

/// One invoice creation per customer, all at once on a pool smaller than their number: each
/// invoice is what its preview showed, and the database's own check finds nothing wrong.
async fn concurrent_invoices_are_those_previewed_and_the_database_adds_up(url: String) {
    let billing = example(&url, 3).await;
    let mut previews = Vec::new();
    for customer in CUSTOMERS {
        let preview =
            billing::run!(billing, |store| invoice::preview(store, &november(customer))).await.expect("preview");
        assert!(!preview.doc.lines.is_empty(), "{customer} has nothing to bill in the examples");
        previews.push(preview.doc);
    }
    let tasks: Vec<_> = CUSTOMERS
        .into_iter()
        .map(|customer| {
            let billing = billing.clone();
            tokio::spawn(async move {
                billing::run!(billing, |store| invoice::create(store, &november(customer), 0, "tester", Guard::Off))
                    .await
            })
        })
        .collect();
    for (task, previewed) in tasks.into_iter().zip(previews) {
        let created = task.await.expect("the task").expect("the invoice");
        assert!(created.id.is_some(), "no invoice number");
        assert_eq!(
            (&created.customer, &created.lines, &created.total),
            (&previewed.customer, &previewed.lines, &previewed.total)
        );
    }
    let problems = billing.run(billing::admin::check_database).await.expect("db check");
    assert!(problems.is_empty(), "{problems:?}");
}

/// A write transaction is held open until a reader on another connection has read a preview:
/// under WAL (SQLite) and with snapshots (PostgreSQL), readers never wait for the writer.
async fn a_reader_runs_while_a_writer_holds_the_write_lock(url: String) {
    let billing = example(&url, 2).await;
    let (holding, writer_holds) = mpsc::channel();
    let (read, reader_done) = mpsc::channel();
    let writer = spawn!(billing, |store| {
        let tx = store.write()?;
        holding.send(()).expect("the test waits");
        let reader_finished_meanwhile = reader_done.recv_timeout(LIMIT).is_ok();
        tx.commit()?;
        Ok(reader_finished_meanwhile)
    });
    tokio::task::spawn_blocking(move || writer_holds.recv_timeout(LIMIT))
        .await
        .expect("waiting")
        .expect("the writer holds the write lock");
    let preview =
        billing::run!(billing, |store| invoice::preview(store, &november("acme"))).await.expect("the preview");
    assert!(!preview.doc.lines.is_empty());
    read.send(()).expect("the writer waits");
    assert!(writer.await.expect("the task").expect("the writer"), "the reader waited for the writer");
}

/// A second writer waits for the first to commit, then writes.
async fn writers_take_turns(url: String) {
    let billing = example(&url, 2).await;
    let (holding, first_holds) = mpsc::channel();
    let second_wrote = Arc::new(Mutex::new(false));
    let seen = Arc::clone(&second_wrote);
    let first = spawn!(billing, |store| {
        let tx = store.write()?;
        holding.send(()).expect("the test waits");
        // Long enough for the second writer to have written, were it not made to wait.
        std::thread::sleep(Duration::from_millis(500));
        let second_wrote_meanwhile = *seen.lock().expect("flag");
        tx.commit()?;
        Ok(second_wrote_meanwhile)
    });
    tokio::task::spawn_blocking(move || first_holds.recv_timeout(LIMIT)).await.expect("waiting").expect("first holds");
    let flag = Arc::clone(&second_wrote);
    let second = billing::run!(billing, |store| {
        let tx = store.write()?;
        *flag.lock().expect("flag") = true;
        tx.commit()
    });
    second.await.expect("the second writer, once the first has committed");
    assert!(!first.await.expect("the task").expect("the first writer"), "two writers wrote at once");
    assert!(*second_wrote.lock().expect("flag"));
}

/// With every connection in use, a use case waits the checkout timeout and then fails with a
/// typed error; once a connection is back, use cases run again.
async fn a_checkout_waits_no_longer_than_its_timeout(url: String) {
    let billing = Billing::open(&with_params(&url, "pool_size=1&pool_timeout=1"), settings(8)).await.expect("the pool");
    assert_eq!(billing.pool().size(), 1, "pool_size in the URL overrides the settings");
    let (release, released) = mpsc::channel::<()>();
    let (holding, holds) = mpsc::channel();
    let holder = spawn!(billing, |_store| {
        holding.send(()).expect("the test waits");
        released.recv_timeout(LIMIT).map_err(|_| StoreError::Refused("never released".into()))
    });
    tokio::task::spawn_blocking(move || holds.recv_timeout(LIMIT)).await.expect("waiting").expect("holding");
    let started = std::time::Instant::now();
    let refused = billing::run!(billing, |store| store.read().map(drop)).await;
    let waited = started.elapsed();
    match refused {
        Err(StoreError::Pool(PoolError::Timeout { waited: limit, size: 1, cause: None })) => {
            assert_eq!(limit, Duration::from_secs(1));
        }
        other => panic!("expected a checkout timeout, got {other:?}"),
    }
    assert!(waited >= Duration::from_secs(1) && waited < LIMIT, "waited {waited:?}");
    release.send(()).expect("the holder waits");
    holder.await.expect("the task").expect("the holder");
    billing::run!(billing, |store| store.read().map(drop)).await.expect("a use case once the connection is back");
}

/// SQLite: a writer that waits out the busy timeout behind another connection of the pool is
/// told what holds the write lock, as the writer note says.
#[test]
fn sqlite_a_writer_given_up_names_the_holder() {
    on(Backend::Sqlite, a_writer_given_up_names_the_holder);
}

async fn a_writer_given_up_names_the_holder(url: String) {
    let billing = Billing::open(&with_params(&url, "busy_timeout=1"), settings(2)).await.expect("the pool");
    let (holding, holds) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let holder = spawn!(billing, |store| {
        let tx = store.write()?;
        holding.send(()).expect("the test waits");
        let _ = released.recv_timeout(LIMIT);
        tx.commit()
    });
    tokio::task::spawn_blocking(move || holds.recv_timeout(LIMIT)).await.expect("waiting").expect("holding");
    let locked = billing::run!(billing, |store| store.write().map(drop)).await;
    release.send(()).expect("the holder waits");
    holder.await.expect("the task").expect("the holder");
    match locked {
        Err(StoreError::Locked(why)) => {
            let pid = format!("(process {})", std::process::id());
            assert!(why.contains("the service test") && why.contains(&pid), "{why}");
        }
        other => panic!("expected the write lock's holder, got {other:?}"),
    }
}

/// PostgreSQL: a connection the server ended while it sat in the pool is found dead before it is
/// handed out, and a new one takes its place.
#[test]
fn postgres_a_connection_the_server_closed_is_replaced() {
    on(Backend::Postgres, a_connection_the_server_closed_is_replaced);
}

async fn a_connection_the_server_closed_is_replaced(url: String) {
    let billing = Billing::open(&with_params(&url, "pool_size=1"), settings(1)).await.expect("the pool");
    billing::run!(billing, |store| store.read().map(drop)).await.expect("a first use case");
    let name = url.rsplit('/').next().expect("a database name").to_owned();
    let ended = tokio::task::spawn_blocking(move || {
        let mut admin = ::postgres::Client::connect(&testkit::test_server_url(), ::postgres::NoTls)?;
        let rows = admin.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            &[&name],
        )?;
        Ok::<_, ::postgres::Error>(rows.len())
    })
    .await
    .expect("the admin task")
    .expect("ending the pool's connection");
    assert_eq!(ended, 1, "the pool of one should hold one connection");
    let customers =
        billing::run!(billing, |store| store.read()?.customers()).await.expect("a use case on a new connection");
    assert!(customers.is_empty());
}

/// The pool's parameters in a URL are the pool's: a command that opens one connection with the
/// server's URL ignores them (PostgreSQL's driver refuses a parameter it does not know), and
/// refuses a bad one by name.
async fn one_url_serves_a_command_and_a_server(url: String) {
    let server_url = with_params(&url, "pool_size=3&pool_timeout=5");
    let billing = Billing::open(&server_url, settings(8)).await.expect("the pool");
    assert_eq!(billing.pool().size(), 3);
    let bad_url = with_params(&url, "pool_size=none");
    let (opened, refused) = tokio::task::spawn_blocking(move || {
        let opened = store::AnyStore::open_url(&server_url)
            .and_then(|mut any| store::with_backend!(&mut any, |s| s.read()?.customers()));
        (opened, store::AnyStore::open_url(&bad_url).map(drop))
    })
    .await
    .expect("the command's opening");
    assert!(opened.expect("a command with the server's URL").is_empty());
    match refused {
        Err(e @ StoreError::Open { .. }) => assert!(e.to_string().contains("pool_size=`none`"), "{e}"),
        other => panic!("expected the bad pool_size refused, got {other:?}"),
    }
}
