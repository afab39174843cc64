//! The call listing: every call of a customer, its status, the rate applied and its invoice,
//! handed over one by one as the store reads them, so that listing millions of calls takes no
//! more memory than listing ten.

use crate::doc::{CallDoc, CallStatus, RateDoc};
use crate::error::{BillingError, Result};
use crate::invoice::zone_of;
use crate::pricing::{call_of, tiers};
use crate::time::format_utc;
use chrono::NaiveDate;
use rating::calendar::day_range;
use rating::{Account, Outcome};
use std::collections::HashMap;
use store::{CallQuery, Store, StoreTx};

/// Where a listing goes, call by call.
pub trait CallSink {
    type Error: From<BillingError>;
    /// Before the first call: the zone the customer's days (and times shown to people) are in.
    fn begin(&mut self, timezone: chrono_tz::Tz) -> Result<(), Self::Error>;
    /// The next call, in the contract's order.
    fn call(&mut self, call: &CallDoc) -> Result<(), Self::Error>;
}

/// Why a listing stopped early: billing failed (the store, the customer), or the sink did.
enum Stop<E> {
    Billing(BillingError),
    Sink(E),
}

impl<E, F: Into<BillingError>> From<F> for Stop<E> {
    fn from(e: F) -> Stop<E> {
        Stop::Billing(e.into())
    }
}

/// Lists a customer's calls into `sink`, optionally for whole days `from..=to` in the customer's
/// zone.
pub fn list_calls<S: Store, K: CallSink>(
    store: &mut S,
    customer: &str,
    range: Option<(NaiveDate, NaiveDate)>,
    sink: &mut K,
) -> Result<(), K::Error> {
    match list(store, customer, range, sink) {
        Ok(()) => Ok(()),
        Err(Stop::Billing(e)) => Err(e.into()),
        Err(Stop::Sink(e)) => Err(e),
    }
}

fn list<S: Store, K: CallSink>(
    store: &mut S,
    customer: &str,
    range: Option<(NaiveDate, NaiveDate)>,
    sink: &mut K,
) -> Result<(), Stop<K::Error>> {
    let mut tx = store.read()?;
    let c = tx.customer(customer)?.ok_or_else(|| BillingError::UnknownCustomer(customer.to_owned()))?;
    if let Some((from, to)) = range {
        if from > to {
            return Err(BillingError::Usage(format!("the range is reversed: --from {from} is after --to {to}")).into());
        }
    }
    let tz = zone_of(&c)?;
    let bounds = range.map(|(from, to)| day_range(tz, from, to));
    let pricing = crate::pricing::load(&mut tx)?;
    let by_id: HashMap<i64, &rating::Rate> = pricing.deck().rates().iter().map(|r| (r.id, r)).collect();
    // The listing shows each call as rating sees it now, without drawing on allowances (only
    // an invoice draws).
    let account = Account { tiers: tiers(&pricing, &c), call_types: None };
    sink.begin(tz).map_err(Stop::Sink)?;
    let query = CallQuery {
        customer_pk: c.pk,
        from: bounds.map(|b| b.0),
        to: bounds.map(|b| b.1),
        answered_only: false,
        unbilled_only: false,
    };
    tx.each_call(&query, |s| {
        let (call_type, status, billable, charge, invoice, rate) = match &s.billed {
            Some(b) => (
                b.call_type.clone(),
                CallStatus::Billed,
                Some(b.billable_seconds),
                Some(b.charge.to_string()),
                Some(b.invoice.to_string()),
                by_id.get(&b.rate_id).map(|r| RateDoc::of(r)),
            ),
            None => {
                let rated = pricing.rate(&account, &call_of(&s.call), None);
                let call_type = rated.call_type.to_owned();
                match rated.outcome {
                    Outcome::Unanswered => (call_type, CallStatus::Unanswered, None, None, None, None),
                    // Every call type is asked for: none is excluded.
                    Outcome::Unrated | Outcome::Excluded => (call_type, CallStatus::Unrated, None, None, None, None),
                    Outcome::Priced(p) => {
                        (call_type, CallStatus::Unbilled, Some(p.billable), None, None, Some(RateDoc::of(p.rate)))
                    }
                }
            }
        };
        let doc = CallDoc {
            id: s.call.source_call_id,
            source: s.call.source.to_string(),
            customer: c.id.clone(),
            start: format_utc(s.call.start),
            duration: s.call.duration,
            direction: s.call.direction.to_string(),
            from: s.call.from,
            to: s.call.to,
            call_type,
            status,
            billable_seconds: billable,
            charge,
            invoice,
            rate,
        };
        sink.call(&doc).map_err(Stop::Sink)
    })
}
