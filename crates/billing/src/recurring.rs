//! Recurring lines, billed in advance (contract-cycle §3): the automatic invoice made on a
//! customer's billing day bills, for each subscription, every billing period from the one that
//! holds its first day through the one that starts that day, for the active days not billed yet.

use crate::error::{BillingError, Result};
use chrono::NaiveDate;
use rating::calendar::periods_through;
use rating::Amount;
use std::collections::BTreeSet;
use store::{BilledDay, Customer, InvoiceLine, LineKind, RecurringLine, StoreTx};

/// The recurring lines of an invoice, by subscription id then first day, and the days they bill.
#[derive(Debug, Clone, Default)]
pub(crate) struct Recurring {
    pub lines: Vec<InvoiceLine>,
    pub days: Vec<BilledDay>,
}

/// The recurring lines of the invoice a customer gets on billing day `day`: one per subscription
/// and billing period with active days that no live invoice billed, through the period starting
/// on `day`. Each line bills those days, from the first to the last of them, for quantity × unit
/// price × their number ÷ the days of the period.
pub(crate) fn lines<T: StoreTx>(tx: &mut T, customer: &Customer, day: NaiveDate) -> Result<Recurring> {
    let mut out = Recurring::default();
    for s in tx.subscriptions(Some(customer.pk))? {
        let billed: BTreeSet<NaiveDate> = tx.billed_days(s.pk)?.into_iter().collect();
        for (first, last) in periods_through(s.start, day, customer.billing_day) {
            let active_last = s.end.map_or(last, |e| e.min(last));
            let days: Vec<NaiveDate> = first
                .max(s.start)
                .iter_days()
                .take_while(|d| *d <= active_last)
                .filter(|d| !billed.contains(d))
                .collect();
            let (Some(&from), Some(&to)) = (days.first(), days.last()) else { continue };
            let period_days = (last - first).num_days() + 1;
            let amount = Amount::prorated(s.quantity_e4, s.unit_price_e4, days.len() as u32, period_days as u32)
                .map_err(|overflow| BillingError::Overflow { what: format!("subscription {}", s.id), overflow })?;
            out.lines.push(InvoiceLine {
                kind: LineKind::Recurring,
                description: s.description.clone(),
                amount,
                days: Some((from.to_string(), to.to_string())),
                recurring: Some(RecurringLine {
                    subscription_pk: s.pk,
                    subscription: s.id.clone(),
                    quantity_e4: s.quantity_e4,
                    unit_price_e4: s.unit_price_e4,
                }),
                ..InvoiceLine::default()
            });
            out.days.extend(days.into_iter().map(|day| BilledDay { subscription_pk: s.pk, day }));
        }
    }
    Ok(out)
}
