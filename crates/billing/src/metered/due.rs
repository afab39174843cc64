//! The cycle's first step: sync first, and hold the customers whose sync failed.

use super::secrets::SecretKey;
use super::sync::Outcome;
use super::{configured, settings, SyncRequest};
use crate::error::Result;
use chrono::NaiveDate;
use rating::Micros;
use store::{Job, Store};

/// What syncing the customers due on a date did.
#[derive(Debug, Default)]
pub struct DueSync {
    /// The customers not to invoice in this run, with why: a sync of theirs failed (a rerun of
    /// the cycle once the source works invoices them).
    pub held: Vec<(String, String)>,
    /// The jobs that finished (some may have rejected flawed records).
    pub done: Vec<Job>,
}

/// Before a cycle run: syncs the sources of every customer due on `date` for the period being
/// invoiced. Nothing is synced when no source is configured; when one is, the key of their
/// secrets is needed (`KeyMissing` without it).
pub fn sync_due<S: Store>(
    store: &mut S,
    key: Option<&SecretKey>,
    date: NaiveDate,
    now: &dyn Fn() -> Micros,
    bar: &dyn Fn(&Job) -> Box<dyn crate::Progress>,
) -> Result<DueSync> {
    let mut syncer = DueSyncer::new(store, key)?;
    let mut held = Vec::new();
    if syncer.clients.is_some() {
        for (customer, from, to) in crate::cycle::due(store, date)? {
            if let Some(reason) = syncer.customer(store, &customer, (from, to), now, bar)? {
                held.push((customer.id.clone(), reason));
            }
        }
    }
    Ok(DueSync { held, done: syncer.done })
}

/// Syncs due customers one at a time, as a worker of the cycle reaches them.
#[derive(Debug)]
pub struct DueSyncer {
    /// None when no source is configured.
    clients: Option<super::Clients>,
    /// The jobs that finished (some may have rejected flawed records).
    pub done: Vec<Job>,
}

impl DueSyncer {
    /// The clients of the configured sources (none configured: nothing to sync, no key needed).
    pub fn new<S: Store>(store: &mut S, key: Option<&SecretKey>) -> Result<DueSyncer> {
        let clients = if configured(store)? { Some(settings::clients(store, key, None)?) } else { None };
        Ok(DueSyncer { clients, done: Vec::new() })
    }

    /// Syncs the customer's sources for the days `from..=to`; `Some(reason)` when a sync failed
    /// and the customer is to be held.
    pub fn customer<S: Store>(
        &mut self,
        store: &mut S,
        customer: &store::Customer,
        (from, to): (NaiveDate, NaiveDate),
        now: &dyn Fn() -> Micros,
        bar: &dyn Fn(&Job) -> Box<dyn crate::Progress>,
    ) -> Result<Option<String>> {
        let Some(clients) = &self.clients else { return Ok(None) };
        if !clients.used_by(customer) {
            return Ok(None);
        }
        let req = SyncRequest { customer: Some(customer.id.clone()), source: None, from, to };
        let mut held = None;
        for outcome in super::sync(store, clients, &req, now, bar)? {
            match outcome {
                Outcome::Done(job) => self.done.push(job),
                Outcome::Failed(job) => held = Some(held_because(&job)),
                Outcome::Skipped { .. } => {}
            }
        }
        Ok(held)
    }
}

fn held_because(job: &Job) -> String {
    format!(
        "sync job {} of {} failed ({}); rerun the cycle once the source works",
        job.id,
        job.source,
        job.error.as_deref().unwrap_or("")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metered::settings::{save, SourceConfig};
    use crate::BillingError;
    use chrono::NaiveDate;
    use store::prelude::*;
    use store::{Customer, Platform, Source, SqliteStore};

    struct NoBar;
    impl crate::Progress for NoBar {
        fn start(&self, _: u64) {}
        fn at(&self, _: u64) {}
        fn finish(&self) {}
    }

    fn store(dir: &tempfile::TempDir) -> SqliteStore {
        let mut s = SqliteStore::open_url(&format!("sqlite://{}", dir.path().join("m.db").display())).expect("a store");
        let mut tx = s.write().expect("a write");
        let mut acme = Customer::new("acme", "Acme");
        acme.set_domain(&Source::default_of(Platform::Netsapiens), Some("acme.example".into()));
        tx.save_customer(&acme).expect("a customer");
        tx.commit().expect("a commit");
        s
    }

    fn due(s: &mut SqliteStore, key: Option<&SecretKey>) -> Result<DueSync> {
        let date = NaiveDate::from_ymd_opt(2026, 2, 1).expect("a date");
        sync_due(s, key, date, &|| 0, &|_| Box::new(NoBar))
    }

    fn netsapiens(url: &str) -> SourceConfig {
        SourceConfig {
            url: url.into(),
            client_id: Some("reseller".into()),
            username: Some("billing".into()),
            client_secret: Some("s".to_owned().into()),
            password: Some("p".to_owned().into()),
            ..SourceConfig::default()
        }
    }

    #[test]
    fn without_a_source_nothing_is_synced_and_no_key_is_needed() {
        let dir = tempfile::tempdir().expect("a directory");
        let report = due(&mut store(&dir), None).expect("nothing to sync");
        assert!(report.held.is_empty() && report.done.is_empty());
    }

    #[test]
    fn with_a_source_the_key_of_its_secrets_is_needed() {
        let dir = tempfile::tempdir().expect("a directory");
        let mut s = store(&dir);
        let key = SecretKey::generate();
        save(&mut s, &key, ("netsapiens", None), &netsapiens("https://pbx.example.net"), 0).expect("saved");
        assert!(matches!(due(&mut s, None), Err(BillingError::KeyMissing)));
    }

    #[test]
    fn a_failed_sync_holds_its_customer_with_why() {
        let dir = tempfile::tempdir().expect("a directory");
        let mut s = store(&dir);
        let key = SecretKey::generate();
        // Nothing listens on port 9 of this machine: the sync fails at once.
        save(&mut s, &key, ("netsapiens", None), &netsapiens("http://127.0.0.1:9"), 0).expect("saved");
        let report = due(&mut s, Some(&key)).expect("a run");
        assert_eq!(report.held.len(), 1, "{report:?}");
        assert_eq!(report.held[0].0, "acme");
        assert!(report.held[0].1.contains("rerun the cycle"), "{}", report.held[0].1);
    }
}
