//! Whether a customer's calls of some days are complete enough to invoice: no sync of the
//! customer is running over those days, and every source it uses counts what meter stores (the
//! records check of `check`). Invoicing refuses partial data; the preview shows the same holds.

use super::check::{records, Records, CHECK_TIMEOUT};
use super::secrets::SecretKey;
use super::{customer_window, domain_of, runtime, settings};
use crate::error::{BillingError, Result};
use crate::time::format_utc;
use chrono::NaiveDate;
use rating::Micros;
use serde::Serialize;
use std::fmt;
use store::prelude::*;
use store::{JobQuery, JobState, Source, Store};

/// How long a running job may go without saving its progress before it is taken for the job of
/// a process that died. A live sync saves its job with every batch of pages, and one page request
/// gives up within about 8 minutes at the default settings (6 attempts of 30 s, up to 60 s apart).
pub const STALE_AFTER: Micros = 30 * 60 * 1_000_000;

/// Why a customer's calls of some days may be incomplete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    /// A sync of the customer over those days is running: calls are still arriving.
    SyncRunning { source: Source, job: i64, updated_at: Micros },
    /// The platform counts other than the calls meter stores.
    Records { source: Source, records: Records },
    /// The platform could not be asked for its count.
    Unreachable { source: Source, reason: String },
}

impl Hold {
    pub fn source(&self) -> &Source {
        match self {
            Hold::SyncRunning { source, .. } | Hold::Records { source, .. } | Hold::Unreachable { source, .. } => {
                source
            }
        }
    }
}

impl fmt::Display for Hold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hold::SyncRunning { source, job, updated_at } => {
                write!(f, "sync job {job} of {source} is running (last progress at {})", format_utc(*updated_at))
            }
            Hold::Records { source, records: r } => {
                write!(f, "{source} counts {} records, meter stores {} ({})", r.platform, r.stored, r.difference())
            }
            Hold::Unreachable { source, reason } => write!(f, "{source} could not be asked for its count: {reason}"),
        }
    }
}

/// A hold as the preview's JSON shows it (`incomplete`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HoldDoc {
    /// `sync_running`, `records` or `unreachable`.
    pub kind: &'static str,
    pub source: String,
    /// The running sync's job.
    pub job: Option<i64>,
    pub platform_count: Option<u64>,
    pub stored_count: Option<u64>,
    /// `platform_count − stored_count`: records missing (negative: more stored than counted).
    pub missing: Option<i64>,
    /// The hold in words.
    pub reason: String,
}

impl HoldDoc {
    pub fn of(h: &Hold) -> HoldDoc {
        let mut doc = HoldDoc {
            kind: "",
            source: h.source().name().to_owned(),
            job: None,
            platform_count: None,
            stored_count: None,
            missing: None,
            reason: h.to_string(),
        };
        match h {
            Hold::SyncRunning { job, .. } => (doc.kind, doc.job) = ("sync_running", Some(*job)),
            Hold::Records { records: r, .. } => {
                doc.kind = "records";
                (doc.platform_count, doc.stored_count, doc.missing) =
                    (Some(r.platform), Some(r.stored), Some(r.missing()));
            }
            Hold::Unreachable { .. } => doc.kind = "unreachable",
        }
        doc
    }
}

/// Invoicing refused: the customer's calls of the days may be incomplete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incomplete {
    pub customer: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub holds: Vec<Hold>,
}

impl fmt::Display for Incomplete {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the calls of {} from {} to {} may be incomplete: ", self.customer, self.from, self.to)?;
        let holds: Vec<String> = self.holds.iter().map(Hold::to_string).collect();
        f.write_str(&holds.join("; "))
    }
}

/// Whether invoicing checks first that the calls are complete.
#[derive(Debug, Clone, Copy)]
pub enum Guard<'a> {
    /// Refuse partial data. The key opens the saved source secrets; without it a source the
    /// customer uses cannot be counted, which holds the invoice.
    On(Option<&'a SecretKey>),
    /// Bill what is stored, knowingly.
    Off,
}

impl Guard<'_> {
    /// `Err(BillingError::Incomplete)` when the customer's days `from..=to` are held at `now`.
    pub fn ensure<S: Store>(
        self,
        store: &mut S,
        customer: &str,
        days: (NaiveDate, NaiveDate),
        now: Micros,
    ) -> Result<()> {
        let Guard::On(key) = self else { return Ok(()) };
        let holds = holds(store, key, customer, days, now)?;
        if holds.is_empty() {
            return Ok(());
        }
        let (from, to) = days;
        Err(BillingError::Incomplete(Incomplete { customer: customer.to_owned(), from, to, holds }))
    }
}

/// What holds invoicing the customer's days `from..=to` (in its zone) at `now`: each running sync
/// over them (a job silent for [`STALE_AFTER`] is not), then, for every other configured source
/// the customer has a domain on, a records check that is red or cannot be made.
pub fn holds<S: Store>(
    store: &mut S,
    key: Option<&SecretKey>,
    customer: &str,
    days: (NaiveDate, NaiveDate),
    now: Micros,
) -> Result<Vec<Hold>> {
    let (customer, configured, jobs) = {
        let mut tx = store.read()?;
        let c = tx.customer(customer)?.ok_or_else(|| BillingError::UnknownCustomer(customer.to_owned()))?;
        let jobs = tx.jobs(&JobQuery { customer_pk: Some(c.pk), source: None, limit: None })?;
        (c, tx.source_settings()?, jobs)
    };
    let (start, end) = customer_window(&customer, days)?;
    let mut holds: Vec<Hold> = jobs
        .iter()
        .filter(|j| j.state == JobState::Running && j.window_start < end && start < j.window_end)
        .filter(|j| now - j.updated_at < STALE_AFTER)
        .map(|j| Hold::SyncRunning { source: j.source.clone(), job: j.id, updated_at: j.updated_at })
        .collect();
    let mut rt = None;
    for s in &configured {
        let Some(domain) = domain_of(&customer, &s.source) else { continue };
        // A source still syncing is held already: its count would differ anyway.
        if holds.iter().any(|h| *h.source() == s.source) {
            continue;
        }
        let unreachable = |reason: String| Hold::Unreachable { source: s.source.clone(), reason };
        let Some(key) = key else {
            holds.push(unreachable("the secret key its settings were saved with is not here".into()));
            continue;
        };
        let client = match settings::client_of(s, key, Some(CHECK_TIMEOUT)) {
            Ok(client) => client,
            Err(e) => {
                holds.push(unreachable(e.to_string()));
                continue;
            }
        };
        let rt = match rt {
            Some(ref rt) => rt,
            None => rt.insert(runtime()?),
        };
        match records(store, (rt, &client), &customer, &s.source, &domain, days)? {
            Ok(r) if r.matches() => {}
            Ok(records) => holds.push(Hold::Records { source: s.source.clone(), records }),
            Err(e) => holds.push(unreachable(e.to_string())),
        }
    }
    Ok(holds)
}
