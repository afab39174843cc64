//! What is left of a customer's allowances in a billing period: each plan's included minutes,
//! the seconds invoices drew from them (the draws rating stores), and the seconds left.

use crate::error::{BillingError, Result};
use crate::invoice::{plans_in, zone_of};
use chrono::NaiveDate;
use rating::calendar::{local_date, periods_through};
use rating::Micros;
use serde::Serialize;
use store::prelude::*;
use store::Store;

/// A customer's allowances in the period holding a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AllowanceDoc {
    pub customer: String,
    /// The date asked about (today in the customer's zone by default).
    pub date: String,
    /// The billing period holding it: first and last day, in the customer's zone.
    pub period_from: String,
    pub period_to: String,
    /// In drawing order: customers.csv's plans, then those of subscriptions active in the period.
    pub allowances: Vec<AllowanceLeft>,
}

/// One allowance of a plan in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AllowanceLeft {
    pub plan: String,
    /// Its place in the plan (0-based), as plans.csv lists them.
    pub position: u32,
    pub call_types: Vec<String>,
    pub description: String,
    pub included_minutes: u64,
    /// Drawn by the calls of live invoices.
    pub used_seconds: u64,
    pub left_seconds: u64,
}

/// The allowances of `customer` in the billing period holding `date` (default: the day `now`
/// is in the customer's zone), as rating would draw on them next.
pub fn remaining<S: Store>(
    store: &mut S,
    customer: &str,
    date: Option<NaiveDate>,
    now: Micros,
) -> Result<AllowanceDoc> {
    let mut tx = store.read()?;
    let c = tx.customer(customer)?.ok_or_else(|| BillingError::UnknownCustomer(customer.to_owned()))?;
    let date = match date {
        Some(d) => d,
        None => local_date(now, zone_of(&c)?),
    };
    // A period holds every date but those at the calendar's very end, which keep their own day.
    let (first, last) = periods_through(date, date, c.billing_day).first().copied().unwrap_or((date, date));
    let subscriptions = tx.subscriptions(Some(c.pk))?;
    let ids = plans_in(&c, &subscriptions, first, last);
    let plans = tx.plans()?;
    let used = tx.allowance_used(c.pk)?;
    let start = first.to_string();
    let mut allowances = Vec::new();
    for id in &ids {
        let Some(plan) = plans.iter().find(|p| p.id == *id) else { continue };
        for (pos, a) in plan.allowances.iter().enumerate() {
            let position = pos as u32;
            let used_seconds: u64 = used
                .iter()
                .filter(|(k, _)| k.plan == *id && k.position == position && k.period_start == start)
                .map(|(_, s)| *s)
                .sum();
            let included = a.included_minutes.saturating_mul(60);
            allowances.push(AllowanceLeft {
                plan: id.clone(),
                position,
                call_types: a.call_types.iter().map(|t| t.to_string()).collect(),
                description: a.description.clone(),
                included_minutes: a.included_minutes,
                used_seconds,
                left_seconds: included.saturating_sub(used_seconds),
            });
        }
    }
    Ok(AllowanceDoc {
        customer: c.id,
        date: date.to_string(),
        period_from: first.to_string(),
        period_to: last.to_string(),
        allowances,
    })
}
