//! Jobs of every kind as operators see them (`jobs list`, `jobs show`): sync jobs, and the runs
//! of the billing cycle and of the scheduler, which share one numbering.

use crate::error::{BillingError, Result};
use crate::metered::JobDoc;
use crate::time::format_utc;
use store::prelude::*;
use store::{JobQuery, Run, Store};

/// A cycle or scheduler run as shown. Progress: `done` of `total` (customers of a cycle, steps
/// of a scheduler's day), and a cycle's customers by what became of them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct RunDoc {
    pub id: i64,
    /// `cycle` or `scheduler`.
    pub kind: &'static str,
    /// The cycle's date, or the scheduler's day.
    pub date: String,
    pub state: &'static str,
    pub total: u64,
    pub done: u64,
    pub invoiced: u64,
    pub skipped: u64,
    pub held: u64,
    pub failed: u64,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub error: Option<String>,
    /// When the run last saved its progress.
    pub updated_at: String,
}

impl RunDoc {
    pub fn of(r: &Run) -> RunDoc {
        RunDoc {
            id: r.id,
            kind: r.kind.as_str(),
            date: r.date.clone(),
            state: r.state.as_str(),
            total: r.total,
            done: r.done,
            invoiced: r.invoiced,
            skipped: r.skipped,
            held: r.held,
            failed: r.failed,
            started_at: format_utc(r.started_at),
            finished_at: r.finished_at.map(format_utc),
            error: r.error.clone(),
            updated_at: format_utc(r.updated_at),
        }
    }
}

/// A job of any kind, as shown: a sync job keeps its own fields (`kind` is `sync`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum AnyJob {
    Sync(Box<JobDoc>),
    Run(RunDoc),
}

impl AnyJob {
    pub fn id(&self) -> i64 {
        match self {
            AnyJob::Sync(j) => j.id,
            AnyJob::Run(r) => r.id,
        }
    }
}

/// Jobs of every kind, newest first, at most `limit`; with a customer, only its sync jobs.
pub fn list<S: Store>(store: &mut S, customer: Option<&str>, limit: Option<u64>) -> Result<Vec<AnyJob>> {
    let mut tx = store.read()?;
    let customer_pk = match customer {
        Some(id) => Some(tx.customer(id)?.ok_or_else(|| BillingError::UnknownCustomer(id.to_owned()))?.pk),
        None => None,
    };
    let mut all: Vec<AnyJob> = tx
        .jobs(&JobQuery { customer_pk, source: None, limit })?
        .iter()
        .map(|j| AnyJob::Sync(Box::new(JobDoc::of(j))))
        .collect();
    if customer.is_none() {
        all.extend(tx.runs(limit)?.iter().map(|r| AnyJob::Run(RunDoc::of(r))));
    }
    all.sort_by_key(|j| std::cmp::Reverse(j.id()));
    all.truncate(limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX)));
    Ok(all)
}

/// One job of any kind.
pub fn show<S: Store>(store: &mut S, id: i64) -> Result<AnyJob> {
    let mut tx = store.read()?;
    if let Some(j) = tx.job(id)? {
        return Ok(AnyJob::Sync(Box::new(JobDoc::of(&j))));
    }
    tx.run(id)?.map(|r| AnyJob::Run(RunDoc::of(&r))).ok_or(BillingError::UnknownJob(id))
}
