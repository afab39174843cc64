//! The call listing: every call of a customer, its status, the rate applied and its invoice.

use crate::doc::{CallDoc, CallStatus, RateDoc};
use crate::error::{BillingError, Result};
use crate::invoice::zone_of;
use crate::pricing::Pricing;
use crate::time::{day_range, format_utc};
use chrono::NaiveDate;
use std::collections::HashMap;
use store::{CallQuery, Store, StoreTx};

/// A customer's calls, with the zone they are shown in to people.
#[derive(Debug, Clone)]
pub struct CallList {
    pub timezone: chrono_tz::Tz,
    pub calls: Vec<CallDoc>,
}

/// Lists a customer's calls, optionally for whole days `from..=to` in the customer's zone.
pub fn list_calls<S: Store>(store: &mut S, customer: &str, range: Option<(NaiveDate, NaiveDate)>) -> Result<CallList> {
    let mut tx = store.read()?;
    let c = tx.customer(customer)?.ok_or_else(|| BillingError::UnknownCustomer(customer.to_owned()))?;
    if let Some((from, to)) = range {
        if from > to {
            return Err(BillingError::Usage(format!("the range is reversed: --from {from} is after --to {to}")));
        }
    }
    let tz = zone_of(&c)?;
    let bounds = range.map(|(from, to)| day_range(tz, from, to));
    let calls = tx.calls(&CallQuery {
        customer_pk: c.pk,
        from: bounds.map(|b| b.0),
        to: bounds.map(|b| b.1),
        answered_only: false,
        unbilled_only: false,
    })?;
    let pricing = Pricing::load(&mut tx)?;
    let by_id: HashMap<i64, &rating::Rate> = pricing.deck.rates().iter().map(|r| (r.id, r)).collect();
    let tiers = pricing.tiers(&c);
    let mut out = Vec::with_capacity(calls.len());
    for s in &calls {
        let (call_type, rate) = pricing.rate(&tiers, &s.call);
        let (call_type, status, billable, charge, invoice, rate) = match &s.billed {
            Some(b) => (
                b.call_type.clone(),
                CallStatus::Billed,
                Some(b.billable_seconds),
                Some(b.charge.to_string()),
                Some(b.invoice.to_string()),
                by_id.get(&b.rate_id).map(|r| RateDoc::of(r)),
            ),
            None if s.call.duration == 0 => (call_type.to_owned(), CallStatus::Unanswered, None, None, None, None),
            None => match rate {
                None => (call_type.to_owned(), CallStatus::Unrated, None, None, None, None),
                Some(r) => (
                    call_type.to_owned(),
                    CallStatus::Unbilled,
                    Some(r.increments.billable(s.call.duration)),
                    None,
                    None,
                    Some(RateDoc::of(r)),
                ),
            },
        };
        out.push(CallDoc {
            id: s.call.source_call_id.clone(),
            source: s.call.source.to_string(),
            customer: c.id.clone(),
            start: format_utc(s.call.start),
            duration: s.call.duration,
            direction: s.call.direction.to_string(),
            from: s.call.from.clone(),
            to: s.call.to.clone(),
            call_type,
            status,
            billable_seconds: billable,
            charge,
            invoice,
            rate,
        });
    }
    Ok(CallList { timezone: tz, calls: out })
}
