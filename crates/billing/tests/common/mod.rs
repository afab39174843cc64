//! What billing's use-case tests share: a store on either backend, and builders that make its
//! data the way an operator does, through billing's own imports and source settings (never the
//! store's internals), so that each test reads as the story it checks.

#![allow(dead_code)] // Each test file uses its own part of this module.

pub mod build;
pub mod platform;

use billing::cycle::CycleReport;
use billing::invoice::{InvoiceRequest, Preview};
use billing::metered::guard::Guard;
use billing::metered::secrets::SecretKey;
use billing::{doc::InvoiceDoc, import::Summary, BillingError, Progress};
use chrono::NaiveDate;
use rating::Micros;
pub use store::OpenStore;
use store::Source;
use testkit::TempDatabase;

pub use build::*;

pub use testkit::Backend;
// Every test program compiles this module; the ones with no test on both backends leave it unused.
#[allow(unused_imports)]
pub use testkit::on_both_backends;

/// A progress display that shows nothing.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: u64) {}
    fn at(&self, _: u64) {}
    fn finish(&self) {}
}

/// The instant the tests' clock reads: 2026-02-01T12:00:00Z, after every period they invoice.
pub const NOW: Micros = 1_769_947_200_000_000;

/// A date `YYYY-MM-DD`.
pub fn day(text: &str) -> NaiveDate {
    text.parse().unwrap_or_else(|e| panic!("`{text}` is not a date: {e}"))
}

/// A fresh, migrated store and the files imported into it. Fields drop in order: the store's
/// connection closes before its database goes.
pub struct World<S> {
    pub store: S,
    /// The key the source secrets are sealed with.
    pub key: SecretKey,
    dir: tempfile::TempDir,
    files: u32,
    _pg: Option<TempDatabase>,
}

impl<S: OpenStore> World<S> {
    /// An empty store on `backend`: SQLite in a temporary directory, or a throwaway PostgreSQL
    /// database of the test server.
    pub fn on(backend: Backend) -> World<S> {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (url, pg) = match backend {
            Backend::Sqlite => (format!("sqlite://{}/meter.db", dir.path().display()), None),
            Backend::Postgres => {
                let pg = TempDatabase::for_test();
                (pg.url().to_owned(), Some(pg))
            }
        };
        let store = S::open_url(&url).expect("the store opens");
        World { store, key: SecretKey::generate(), dir, files: 0, _pg: pg }
    }

    /// Writes a new CSV file of `header` and `rows` and returns its path.
    fn file(&mut self, name: &str, rows: impl IntoIterator<Item = String>, header: &str) -> std::path::PathBuf {
        self.files += 1;
        let path = self.dir.path().join(format!("{}-{name}", self.files));
        let mut text = format!("{header}\n");
        rows.into_iter().for_each(|row| text.push_str(&format!("{row}\n")));
        std::fs::write(&path, text).expect("a file written");
        path
    }

    /// Imports rates.csv with these rates.
    pub fn rates(&mut self, rates: &[RateRow]) -> Summary {
        let path = self.file("rates.csv", rates.iter().map(RateRow::csv), RateRow::HEADER);
        billing::import::import_rates(&mut self.store, &path).expect("the rates import")
    }

    /// Imports plans.csv with these plans.
    pub fn plans(&mut self, plans: &[PlanRow]) -> Summary {
        let path = self.file("plans.csv", plans.iter().flat_map(PlanRow::csv), PlanRow::HEADER);
        billing::import::import_plans(&mut self.store, &path).expect("the plans import")
    }

    /// Imports customers.csv with these customers.
    pub fn customers(&mut self, customers: &[CustomerRow]) -> Summary {
        let path = self.file("customers.csv", customers.iter().map(CustomerRow::csv), CustomerRow::HEADER);
        billing::import::import_customers(&mut self.store, &path).expect("the customers import")
    }

    /// Imports subscriptions.csv with these subscriptions.
    pub fn subscriptions(&mut self, subscriptions: &[SubscriptionRow]) -> Summary {
        let path =
            self.file("subscriptions.csv", subscriptions.iter().map(SubscriptionRow::csv), SubscriptionRow::HEADER);
        billing::subscriptions::import(&mut self.store, &path).expect("the subscriptions import")
    }

    /// Imports cdrs.csv with these calls, as the `file` source.
    pub fn calls(&mut self, calls: &[CallRow]) -> Summary {
        self.calls_from(Source::file(), calls)
    }

    /// Imports cdrs.csv with these calls, as `source`'s.
    pub fn calls_from(&mut self, source: Source, calls: &[CallRow]) -> Summary {
        let path = self.file("cdrs.csv", calls.iter().map(CallRow::csv), CallRow::HEADER);
        billing::import::import_cdrs(&mut self.store, &path, source, &Quiet).expect("the calls import")
    }

    /// Previews the customer's invoice for the days `from..=to`.
    pub fn preview(&mut self, customer: &str, from: &str, to: &str) -> Preview {
        billing::invoice::preview(&mut self.store, &request(customer, from, to)).expect("a preview")
    }

    /// Creates the customer's invoice for the days `from..=to`, as `invoice create` does: held
    /// when its calls may be incomplete.
    pub fn create(&mut self, customer: &str, from: &str, to: &str) -> Result<InvoiceDoc, BillingError> {
        let guard = Guard::On(Some(&self.key));
        billing::invoice::create(&mut self.store, &request(customer, from, to), NOW, "tester", guard)
    }

    /// Runs the billing cycle of `date` as `cycle run` does: its period must have ended, the due
    /// customers' sources are synced first, and those whose sync failed are held.
    pub fn cycle(&mut self, date: &str) -> CycleReport {
        let date = day(date);
        billing::cycle::ensure_ended(&mut self.store, date, NOW).expect("the period has ended");
        let synced =
            billing::metered::due::sync_due(&mut self.store, Some(&self.key), date, &|| NOW, &|_| Box::new(Quiet))
                .expect("the due customers synced");
        let guard = Guard::On(Some(&self.key));
        billing::cycle::run_cycle(&mut self.store, date, NOW, &synced.held, guard).expect("a cycle run")
    }
}

/// An invoice request for every call type.
pub fn request(customer: &str, from: &str, to: &str) -> InvoiceRequest {
    InvoiceRequest { customer: customer.into(), from: day(from), to: day(to), call_types: None }
}
