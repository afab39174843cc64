//! The billing cycle: on each customer's billing day, invoice the period that just ended.

use crate::doc::InvoiceDoc;
use crate::error::{BillingError, Result};
use crate::invoice::{create_in, zone_of, CycleExtras, InvoiceRequest};
use crate::metered::guard::Guard;
use crate::pricing::Pricing;
use chrono::NaiveDate;
use rating::calendar::{local_date, period_ending_before, period_start, periods_through, start_of_day};
use rating::Micros;
use serde::Serialize;
use store::prelude::*;
use store::{Customer, InvoiceKind, Store, StoreError, StoreTx};

/// A due customer the run did not invoice, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotInvoiced {
    pub customer: String,
    pub reason: String,
}

/// What a cycle run did with each customer whose billing day it was.
#[derive(Debug, Clone, Default)]
pub struct CycleReport {
    /// Invoices created, by customer id.
    pub invoices: Vec<InvoiceDoc>,
    /// Nothing to invoice: the period is invoiced already, or nothing in it is billable.
    pub skipped: Vec<NotInvoiced>,
    /// Not invoiced because the calls may be incomplete: a sync failed or is running, a
    /// source's records check is red or cannot be made.
    pub held: Vec<NotInvoiced>,
    /// Not invoiced because of an error.
    pub failed: Vec<NotInvoiced>,
    /// Answered calls of due customers, before the period that ended, that the run left unbilled
    /// (older than the late window, of a period not invoiced, or unrated): a manual invoice
    /// bills them.
    pub unbilled_earlier: Vec<UnbilledEarlier>,
    /// The run's job (`meter jobs show`), shared with the other workers of the run.
    pub job: Option<i64>,
}

/// A due customer's answered calls before the ended period that no invoice bills: how many, and
/// the days of the first and the last, in the customer's zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnbilledEarlier {
    pub customer: String,
    pub calls: u64,
    pub from: String,
    pub to: String,
}

impl CycleReport {
    /// Whether every due customer was invoiced or had nothing to invoice.
    pub fn complete(&self) -> bool {
        self.held.is_empty() && self.failed.is_empty()
    }

    /// Adds what another worker of the same run did (a further thread of this process); [`sort`]
    /// orders the lists again.
    ///
    /// [`sort`]: CycleReport::sort
    pub(crate) fn absorb(&mut self, other: CycleReport) {
        self.job = self.job.or(other.job);
        self.invoices.extend(other.invoices);
        self.skipped.extend(other.skipped);
        self.held.extend(other.held);
        self.failed.extend(other.failed);
        self.unbilled_earlier.extend(other.unbilled_earlier);
    }

    /// Every list in customer id order.
    pub(crate) fn sort(&mut self) {
        for list in [&mut self.skipped, &mut self.held, &mut self.failed] {
            list.sort_by(|a, b| a.customer.cmp(&b.customer));
        }
        self.invoices.sort_by(|a, b| a.customer.cmp(&b.customer));
        self.unbilled_earlier.sort_by(|a, b| a.customer.cmp(&b.customer));
    }
}

/// The customers whose billing day falls on `date`, with the period that ended the day before.
pub fn due<S: Store>(store: &mut S, date: NaiveDate) -> Result<Vec<(store::Customer, NaiveDate, NaiveDate)>> {
    let customers = store.read()?.customers()?;
    Ok(due_in(customers, date).collect())
}

/// Those of `customers` whose billing day falls on `date`, with the period that ended the day before.
pub(crate) fn due_in(
    customers: Vec<store::Customer>,
    date: NaiveDate,
) -> impl Iterator<Item = (store::Customer, NaiveDate, NaiveDate)> {
    customers.into_iter().filter_map(move |c| period_ending_before(date, c.billing_day).map(|(from, to)| (c, from, to)))
}

/// Refuses a date whose period has not ended at `now` for some customer due on it: `date` has
/// not begun yet in the customer's zone.
pub fn ensure_ended<S: Store>(store: &mut S, date: NaiveDate, now: Micros) -> Result<()> {
    for (c, _, _) in due(store, date)? {
        // A customer whose zone cannot be read is listed as failed by the run, with the reason.
        let Ok(tz) = zone_of(&c) else { continue };
        let today = local_date(now, tz);
        if today < date {
            return Err(BillingError::NotEnded { date, customer: c.id, zone: c.timezone, today });
        }
    }
    Ok(())
}

/// Runs the cycle for date `date`: every customer whose billing day falls on it gets one
/// invoice for the period that ended the day before, unless a live invoice for exactly that
/// period exists or there is nothing to bill (skipped); `held` names it (its sources could not
/// be synced, with the reason) or `guard` finds its calls may be incomplete (held); or invoicing
/// it fails (failed, and the run goes on with the others). Each customer is one transaction, so
/// a rerun after an interruption completes the work without doubling it. The deck is read once,
/// at the start of the run. The run is a job shared with any other worker running the same
/// date ([`run_cycle_as`]); this one claims with the defaults and syncs nothing itself.
pub fn run_cycle<S: Store>(
    store: &mut S,
    date: NaiveDate,
    now: Micros,
    held: &[(String, String)],
    guard: Guard,
) -> Result<CycleReport> {
    let quiet = crate::Quiet;
    let mut worker = crate::workers::Worker {
        name: crate::workers::worker_name(),
        lease: crate::workers::DEFAULT_LEASE,
        batch: crate::workers::DEFAULT_BATCH,
        progress: &quiet,
        sync: None,
        actor: "cycle",
    };
    run_cycle_as(store, date, now, guard, &mut worker, held)
}

/// [`run_cycle`] as one of several workers sharing the run of `date` (docs/operations.md, "Several
/// workers"), each due customer synced first by `worker.sync` when it has one.
pub fn run_cycle_as<S: Store>(
    store: &mut S,
    date: NaiveDate,
    now: Micros,
    guard: Guard,
    worker: &mut crate::workers::Worker<'_, S>,
    held: &[(String, String)],
) -> Result<CycleReport> {
    crate::workers::work(store, date, now, (held, guard), worker, None)
}

/// The customer's answered calls starting before `from` (the ended period's first day) that are
/// on no invoice, if any.
pub(crate) fn unbilled_earlier<S: Store>(
    store: &mut S,
    c: &Customer,
    from: NaiveDate,
) -> Result<Option<UnbilledEarlier>> {
    let tz = zone_of(c)?;
    let unbilled = store.read()?.unbilled_before(c.pk, start_of_day(tz, from))?;
    Ok(unbilled.map(|(calls, first, last)| UnbilledEarlier {
        customer: c.id.clone(),
        calls,
        from: local_date(first, tz).to_string(),
        to: local_date(last, tz).to_string(),
    }))
}

/// What became of one due customer.
pub(crate) enum Due {
    Created(Box<InvoiceDoc>),
    Skipped(String),
    Held(String),
}

/// Invoices one due customer's period in its own transaction, unless it is invoiced already,
/// its sync failed, or the guard holds it. The worker's claim of the customer in the run
/// (`claim`: the run and the worker) is settled as invoiced in that same transaction, so that an
/// invoice and its settled claim commit together, in one commit per customer. `by` (`cycle` or
/// `scheduler`) is recorded as the invoice's creator.
pub(crate) fn invoice_due<S: Store>(
    store: &mut S,
    pricing: &Pricing,
    c: Customer,
    (from, to): (NaiveDate, NaiveDate),
    now: Micros,
    (sync_failed, guard): (Option<&str>, Guard),
    (claim, by): ((i64, &str), &str),
) -> Result<Due> {
    // An invoiced period needs neither its sync nor its sources: it is skipped before they are asked.
    if let Some(reason) = invoiced(&mut store.read()?, &c, (from, to))? {
        return Ok(Due::Skipped(reason));
    }
    if let Some(reason) = sync_failed {
        return Ok(Due::Held(reason.to_owned()));
    }
    match guard.ensure(store, &c.id, (from, to), now) {
        Err(BillingError::Incomplete(i)) => return Ok(Due::Held(i.to_string())),
        other => other?,
    }
    let mut tx = store.write_usage()?;
    // The customer as it stands now, locked while its invoice is made.
    let c = tx.customer_for_update(&c.id)?.unwrap_or(c);
    if let Some(reason) = invoiced(&mut tx, &c, (from, to))? {
        return Ok(Due::Skipped(reason));
    }
    let req = InvoiceRequest { customer: c.id.clone(), from, to, call_types: None };
    let extras = CycleExtras { late: late_periods(&mut tx, &c, from)?, coming: to.succ_opt() };
    match create_in(&mut tx, pricing, &c, &req, InvoiceKind::Cycle, (now, by), &extras) {
        Ok(doc) => {
            tx.settle_claim(claim.0, c.pk, claim.1, store::ClaimOutcome::Invoiced, "")?;
            tracing::debug_span!("commit").in_scope(|| tx.commit())?;
            Ok(Due::Created(Box::new(doc)))
        }
        Err(BillingError::NothingToBill(reason)) => Ok(Due::Skipped(reason)),
        // Another run invoiced the period first (the database keeps one automatic invoice).
        Err(BillingError::Store(StoreError::PeriodInvoiced { from, to })) => {
            Ok(Due::Skipped(format!("already invoiced for {from} to {to} (by another run)")))
        }
        Err(e) => Err(e),
    }
}

/// The two billing periods before the one starting on `from`, oldest first, that are invoiced
/// (a live invoice has exactly their range): their unbilled calls are late usage (§3).
fn late_periods<T: StoreTx>(tx: &mut T, c: &Customer, from: NaiveDate) -> Result<Vec<(NaiveDate, NaiveDate)>> {
    let Some(before) = from.pred_opt() else { return Ok(Vec::new()) };
    let earlier = period_start(before, c.billing_day);
    let mut late = Vec::new();
    for (first, last) in periods_through(earlier.pred_opt().unwrap_or(earlier), before, c.billing_day) {
        if invoiced(tx, c, (first, last))?.is_some() {
            late.push((first, last));
        }
    }
    Ok(late)
}

/// Why a period needs no invoice: a live invoice for exactly that period exists.
fn invoiced<T: StoreTx>(tx: &mut T, c: &Customer, (from, to): (NaiveDate, NaiveDate)) -> Result<Option<String>> {
    let (from, to) = (from.to_string(), to.to_string());
    let existing = tx.invoices_for_range(c.pk, &from, &to)?;
    Ok(existing.first().map(|id| format!("already invoiced for {from} to {to} ({id})")))
}
