//! The metered sources in use: their settings and secrets, sync jobs, and the connectivity and
//! reconciliation summary.

pub mod check;
pub mod cleartext;
pub mod due;
pub mod guard;
mod reconcile;
pub mod review;
pub mod secrets;
pub mod settings;
pub mod sync;

use crate::error::{BillingError, Result};
use crate::invoice::zone_of;
use chrono::NaiveDate;
use rating::Micros;
use store::prelude::*;
use store::{Customer, Job, JobQuery, RejectedRecord, Source, Store};

pub use reconcile::Reconciliation;

/// The most characters of an error a job keeps (a source's errors come without secrets already).
const MAX_ERROR: usize = 500;

/// `text` cut to `max` characters, `…` marking a cut.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// Where customers.csv gives a customer's domain on a source.
pub(crate) fn domain_hint(source: &Source) -> String {
    if source.is_default() {
        format!("`{source}_domain` in customers.csv, or `{source}:DOMAIN` in its `domains`")
    } else {
        format!("`{source}:DOMAIN` in the `domains` column of customers.csv")
    }
}

/// The customer's domain on a source, if set.
fn domain_of(customer: &Customer, source: &Source) -> Option<String> {
    customer.domain(source).map(str::trim).filter(|d| !d.is_empty()).map(str::to_owned)
}

/// The UTC window `[start, end)` of the days `from..=to` in the customer's time zone.
fn customer_window(customer: &Customer, (from, to): (NaiveDate, NaiveDate)) -> Result<(Micros, Micros)> {
    crate::error::check_range(from, to)?;
    Ok(rating::calendar::day_range(zone_of(customer)?, from, to))
}

/// Whether any metered source is configured (without decoding the settings): only then are the
/// source checks made and the key of their secrets needed.
pub fn configured<S: Store>(store: &mut S) -> Result<bool> {
    Ok(!store.read()?.source_settings()?.is_empty())
}

/// The runtime the source clients run on; the store is only used off it.
fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| BillingError::Sync(format!("cannot start the network runtime: {e}")))
}

fn utc(t: Micros) -> Result<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::from_timestamp_micros(t).ok_or_else(|| BillingError::Sync(format!("time {t} µs is out of range")))
}

/// The clients of the configured sources, with the runtime they run on: a client's pooled
/// connections belong to the runtime that opened them, so every sync of a run shares one.
pub struct Clients {
    runtime: tokio::runtime::Runtime,
    list: Vec<(Source, sources::Client)>,
}

impl Clients {
    pub(crate) fn new(list: Vec<(Source, sources::Client)>) -> Result<Clients> {
        Ok(Clients { runtime: runtime()?, list })
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The configured sources' names, for messages.
    fn names(&self) -> String {
        let names: Vec<&str> = self.list.iter().map(|(s, _)| s.name()).collect();
        if names.is_empty() {
            "none".into()
        } else {
            names.join(", ")
        }
    }

    /// Whether the customer has a domain on one of these sources.
    pub fn used_by(&self, customer: &Customer) -> bool {
        self.list.iter().any(|(source, _)| domain_of(customer, source).is_some())
    }
}

impl std::fmt::Debug for Clients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.list.iter().map(|(s, _)| s)).finish()
    }
}

/// Which customers and sources to sync.
#[derive(Debug, Clone)]
pub struct SyncRequest {
    /// `None`: every customer with a domain on a configured source.
    pub customer: Option<String>,
    /// A source's name; `None`: every configured source the customer has a domain on.
    pub source: Option<String>,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// Runs the syncs a request names, one after another; a failed job does not stop the others.
pub fn sync<S: Store>(
    store: &mut S,
    clients: &Clients,
    req: &SyncRequest,
    now: &dyn Fn() -> Micros,
    bar: &dyn Fn(&Job) -> Box<dyn crate::Progress>,
) -> Result<Vec<sync::Outcome>> {
    crate::error::check_range(req.from, req.to)?;
    if let Some(name) = &req.source {
        if !clients.list.iter().any(|(c, _)| c.name() == name) {
            return Err(BillingError::SourceNotConfigured { name: name.clone(), configured: clients.names() });
        }
    }
    if clients.is_empty() {
        return Err(BillingError::NoSourceConfigured);
    }
    let customers = {
        let mut tx = store.read()?;
        match &req.customer {
            Some(id) => vec![tx.customer(id)?.ok_or_else(|| BillingError::UnknownCustomer(id.clone()))?],
            None => tx.customers()?,
        }
    };
    let mut outcomes = Vec::new();
    for customer in &customers {
        for (source, client) in &clients.list {
            if req.source.as_ref().is_some_and(|s| s != source.name()) {
                continue;
            }
            // A customer without a domain on a source does not use it; that is reported only
            // when the source was asked for by name.
            if req.source.is_none() && domain_of(customer, source).is_none() {
                continue;
            }
            let days = (req.from, req.to);
            let on = (&clients.runtime, client);
            outcomes.push(sync::sync_one(store, on, customer, source, days, now, bar)?);
        }
    }
    if let (Some(id), true) = (&req.customer, outcomes.is_empty()) {
        return Err(BillingError::NoDomain { customer: id.clone() });
    }
    Ok(outcomes)
}

/// Jobs, newest first, optionally of one customer.
pub fn jobs<S: Store>(store: &mut S, customer: Option<&str>, limit: Option<u64>) -> Result<Vec<Job>> {
    let mut tx = store.read()?;
    let customer_pk = match customer {
        Some(id) => Some(tx.customer(id)?.ok_or_else(|| BillingError::UnknownCustomer(id.to_owned()))?.pk),
        None => None,
    };
    Ok(tx.jobs(&JobQuery { customer_pk, source: None, limit })?)
}

/// One job.
pub fn job<S: Store>(store: &mut S, id: i64) -> Result<Job> {
    store.read()?.job(id)?.ok_or_else(|| BillingError::UnknownJob(id))
}

/// A job as shown to operators (`jobs list`, `jobs show`, `sync --format json`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct JobDoc {
    pub id: i64,
    pub kind: &'static str,
    pub customer: String,
    pub source: String,
    pub domain: String,
    /// The window of call start times, `[from, to)`, RFC 3339 UTC.
    pub from: String,
    pub to: String,
    pub state: &'static str,
    pub pages: u64,
    pub received: u64,
    pub imported: u64,
    pub updated: u64,
    pub duplicates: u64,
    pub conflicts: u64,
    pub skipped: u64,
    pub repeated: u64,
    /// Rows the platform returned that start outside the window (at its end), left out.
    pub outside: u64,
    /// Flawed records not stored, and the first few with the reason.
    pub rejected: u64,
    pub rejects: Vec<Rejected>,
    pub errors: u64,
    pub numbers: Option<u64>,
    /// The platform's own count of the window's records, the calls meter stores for the window,
    /// and `platform_count − stored_count` (non-zero: records missing or extra).
    pub platform_count: Option<u64>,
    pub stored_count: Option<u64>,
    pub difference: Option<i64>,
    /// How the counts matched: `exact`, `with_hidden_legs` (the platform counts the hidden legs
    /// the listing returned, `skipped`) or `mismatch`; none before the job is done.
    pub reconciliation: Option<&'static str>,
    pub position: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub error: Option<String>,
    /// When the job last saved its progress.
    pub updated_at: String,
}

/// A record a sync rejected, as shown.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Rejected {
    pub id: String,
    pub reason: String,
}

impl From<&RejectedRecord> for Rejected {
    fn from(r: &RejectedRecord) -> Rejected {
        Rejected { id: r.id.clone(), reason: r.reason.clone() }
    }
}

impl JobDoc {
    pub fn of(j: &Job) -> JobDoc {
        use crate::time::format_utc;
        let p = &j.progress;
        let signed = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        JobDoc {
            id: j.id,
            kind: "sync",
            customer: j.customer.clone(),
            source: j.source.name().to_owned(),
            domain: j.domain.clone(),
            from: format_utc(j.window_start),
            to: format_utc(j.window_end),
            state: j.state.as_str(),
            pages: p.pages,
            received: p.received,
            imported: p.imported,
            updated: p.updated,
            duplicates: p.duplicates,
            conflicts: p.conflicts,
            skipped: p.skipped,
            repeated: p.repeated,
            outside: p.outside,
            rejected: p.rejected,
            rejects: j.rejects.iter().map(Rejected::from).collect(),
            errors: p.errors,
            numbers: j.numbers,
            platform_count: j.platform_count,
            stored_count: j.stored_count,
            difference: j.platform_count.zip(j.stored_count).map(|(a, b)| signed(a) - signed(b)),
            reconciliation: j
                .platform_count
                .zip(j.stored_count)
                .map(|(platform, stored)| Reconciliation::of(platform, stored, p.skipped).as_str()),
            position: j.position.clone(),
            started_at: format_utc(j.started_at),
            finished_at: j.finished_at.map(format_utc),
            error: j.error.clone(),
            updated_at: format_utc(j.updated_at),
        }
    }
}

/// The registered source named `name` (`file`, a platform's own, or one added with its settings).
pub fn source_named<S: Store>(store: &mut S, name: &str) -> Result<Source> {
    named(store.read()?.sources()?, name)
}

/// The names of every registered source (`file`, the platforms', those added with settings), as
/// calls can be filtered by them.
pub fn source_names<S: Store>(store: &mut S) -> Result<Vec<String>> {
    Ok(store.read()?.sources()?.iter().map(|s| s.name().to_owned()).collect())
}

/// The source of `list` named `name`.
pub(crate) fn named(mut list: Vec<Source>, name: &str) -> Result<Source> {
    match list.iter().position(|s| s.name() == name) {
        Some(i) => Ok(list.swap_remove(i)),
        None => {
            let known = list.iter().map(Source::name).collect::<Vec<_>>().join(", ");
            Err(BillingError::UnknownSource { name: name.to_owned(), known })
        }
    }
}
