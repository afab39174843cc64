//! The billing cycle: on each customer's billing day, invoice the period that just ended.

use crate::doc::InvoiceDoc;
use crate::error::{BillingError, Result};
use crate::invoice::{create_in, InvoiceRequest};
use crate::pricing::Pricing;
use crate::time::period_ending_before;
use chrono::NaiveDate;
use rating::Micros;
use store::{InvoiceKind, Store, StoreTx};
use tracing::info_span;

/// What a cycle run did.
#[derive(Debug, Clone, Default)]
pub struct CycleReport {
    /// Invoices created, by customer id.
    pub invoices: Vec<InvoiceDoc>,
    /// Customers whose billing day it was but who got no invoice, with the reason.
    pub skipped: Vec<(String, String)>,
}

/// The customers whose billing day falls on `date`, with the period that ended the day before.
pub fn due<S: Store>(store: &mut S, date: NaiveDate) -> Result<Vec<(store::Customer, NaiveDate, NaiveDate)>> {
    let customers = store.read()?.customers()?;
    Ok(due_in(customers, date).collect())
}

/// Those of `customers` whose billing day falls on `date`, with the period that ended the day before.
fn due_in(
    customers: Vec<store::Customer>,
    date: NaiveDate,
) -> impl Iterator<Item = (store::Customer, NaiveDate, NaiveDate)> {
    customers.into_iter().filter_map(move |c| period_ending_before(date, c.billing_day).map(|(from, to)| (c, from, to)))
}

/// Runs the cycle for date `date`: every customer whose billing day falls on it gets one
/// invoice for the period that ended the day before, unless a live invoice for exactly that
/// period exists, there is nothing to bill, or `held` names the customer (with the reason: its
/// sources could not be synced, so its calls may be incomplete). Each customer is one transaction, so a rerun
/// after an interruption completes the work without doubling it. The deck is read once, at the
/// start of the run.
pub fn run_cycle<S: Store>(
    store: &mut S,
    date: NaiveDate,
    now: Micros,
    held: &[(String, String)],
) -> Result<CycleReport> {
    let _span = info_span!("cycle.run", %date).entered();
    // The run prices every customer with the deck as it stood when the run started.
    let (customers, pricing) = {
        let mut tx = store.read()?;
        (tx.customers()?, Pricing::load(&mut tx)?)
    };
    let mut report = CycleReport::default();
    for (c, from, to) in due_in(customers, date) {
        if let Some((_, reason)) = held.iter().find(|(id, _)| *id == c.id) {
            report.skipped.push((c.id.clone(), reason.clone()));
            continue;
        }
        let _span = info_span!("cycle.customer", customer = %c.id).entered();
        let mut tx = store.write_usage()?;
        // The customer as it stands now, locked while its invoice is made.
        let c = tx.customer_for_update(&c.id)?.unwrap_or(c);
        let (from_s, to_s) = (from.to_string(), to.to_string());
        if let Some(existing) = tx.invoices_for_range(c.pk, &from_s, &to_s)?.first() {
            report.skipped.push((c.id.clone(), format!("already invoiced for {from_s} to {to_s} ({existing})")));
            continue;
        }
        let req = InvoiceRequest { customer: c.id.clone(), from, to, call_types: None };
        match create_in(&mut tx, &pricing, &c, &req, InvoiceKind::Cycle, now) {
            Ok(doc) => {
                tracing::debug_span!("commit").in_scope(|| tx.commit())?;
                report.invoices.push(doc);
            }
            Err(BillingError::NothingToBill(reason)) => report.skipped.push((c.id.clone(), reason)),
            Err(e) => return Err(e),
        }
    }
    Ok(report)
}
