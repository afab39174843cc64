//! The call listing: the calls of a customer or of every customer, each with its status, the rate
//! applied and its invoice, handed over one by one as the store reads them, so that listing
//! millions of calls takes no more memory than listing ten.

use crate::doc::{CallDoc, CallStatus};
use crate::error::{BillingError, Result};
use crate::invoice::zone_of;
use crate::pricing::{call_of, rate_by_id, tiers, Reference};
use crate::time::format_utc;
use chrono::NaiveDate;
use chrono_tz::Tz;
use rating::calendar::day_range;
use rating::{Account, Micros, Outcome};
use std::collections::HashMap;
use store::prelude::*;
use store::{CallQuery, Customer, Store, StoreTx, StoredCall};

mod cursor;
mod page;

pub use cursor::Cursor;
pub use page::{page, page_within, CallPage, SCAN};

/// Which calls to list; every field narrows the listing.
#[derive(Debug, Clone, Default)]
pub struct CallFilter {
    /// One customer's calls; `None`: every customer's.
    pub customer: Option<String>,
    /// Whole days `from..=to`, each in its customer's zone.
    pub days: Option<(NaiveDate, NaiveDate)>,
    /// Only the calls on this invoice: its id (`D-42`, or `42`) or its number.
    pub invoice: Option<String>,
    pub status: Option<CallStatus>,
    /// Only calls of this call type (the one billed, else the one the deck gives now).
    pub call_type: Option<String>,
    /// Only calls whose caller or callee number holds this text.
    pub number: Option<String>,
    /// Only calls from the source of this name.
    pub source: Option<String>,
}

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
    let filter = CallFilter { customer: Some(customer.to_owned()), days: range, ..CallFilter::default() };
    list_filtered(store, &filter, sink)
}

/// Lists the calls `filter` names into `sink`, in the contract's order (start, source, source
/// call id) across customers. Times shown to people are in the customer's zone when the listing
/// is of one customer (named, or the invoice's), else in UTC.
pub fn list_filtered<S: Store, K: CallSink>(store: &mut S, filter: &CallFilter, sink: &mut K) -> Result<(), K::Error> {
    match list(store, filter, sink) {
        Ok(()) => Ok(()),
        Err(Stop::Billing(e)) => Err(e.into()),
        Err(Stop::Sink(e)) => Err(e),
    }
}

/// A customer being listed (its place in the reference's customers), the window of the days
/// asked for, and its account as rating sees it now, without drawing on allowances (only an
/// invoice draws).
struct Listed {
    customer: usize,
    window: Option<(Micros, Micros)>,
    account: Account<'static>,
}

/// A listing prepared in its read transaction: the customers it lists, what prices and places
/// their calls, the store's query and the zone of the times shown.
struct Listing<'f> {
    filter: &'f CallFilter,
    listed: HashMap<i64, Listed>,
    reference: Reference,
    query: CallQuery,
    zone: Tz,
}

impl<'f> Listing<'f> {
    /// Resolves the filter's customer, invoice and source, and narrows the store's query as far
    /// as the store can; `reference` gives what prices and places the calls.
    fn prepare<T: StoreTx>(
        tx: &mut T,
        filter: &'f CallFilter,
        reference: impl FnOnce(&mut T) -> Result<Reference>,
    ) -> Result<Listing<'f>> {
        let invoice = match &filter.invoice {
            Some(id) => {
                let unknown = || BillingError::UnknownInvoice(id.clone());
                let iid = crate::invoice::resolve(tx, id)?;
                Some(tx.invoice(iid)?.ok_or_else(unknown)?)
            }
            None => None,
        };
        Listing::of(filter, reference(tx)?, invoice.as_ref())
    }

    /// [`Listing::prepare`] with the reference given, and the filter's invoice when it names one.
    fn of(filter: &'f CallFilter, reference: Reference, invoice: Option<&store::Invoice>) -> Result<Listing<'f>> {
        if let Some((from, to)) = filter.days {
            crate::error::check_range(from, to)?;
        }
        let all = &reference.customers.list;
        // The one customer listed, if it is one: named, or the invoice's.
        let one = filter.customer.as_ref().or(invoice.map(|i| &i.customer));
        let customers = match one {
            Some(id) => {
                let found = all.binary_search_by(|c| c.id.as_str().cmp(id));
                found.map(|i| i..i + 1).map_err(|_| BillingError::UnknownCustomer(id.clone()))?
            }
            None => 0..all.len(),
        };
        let source = match &filter.source {
            Some(name) => Some(crate::metered::named(reference.customers.sources.clone(), name)?),
            None => None,
        };
        let mut listed = HashMap::with_capacity(customers.len());
        for i in customers {
            let c = &all[i];
            let window = filter.days.map(|(from, to)| zone_of(c).map(|tz| day_range(tz, from, to))).transpose()?;
            // Every call type is asked for: none is excluded.
            let account = Account { tiers: tiers(&reference.pricing, c), call_types: None };
            listed.insert(c.pk, Listed { customer: i, window, account });
        }
        // The store reads the span of every customer's days; each call is then kept in its own.
        let windows = || listed.values().filter_map(|l| l.window);
        let (from, to) = (windows().map(|w| w.0).min(), windows().map(|w| w.1).max());
        let mut query = CallQuery {
            customer_pk: one.and(listed.keys().next().copied()),
            from,
            to,
            invoice: invoice.map(|i| i.id),
            source,
            number: filter.number.clone(),
            ..CallQuery::default()
        };
        match filter.status {
            Some(CallStatus::Billed) => query.billed_only = true,
            Some(CallStatus::Unanswered) => query.unanswered_only = true,
            Some(CallStatus::Unbilled | CallStatus::Unrated) => {
                (query.answered_only, query.unbilled_only) = (true, true)
            }
            None => {}
        }
        let zone = match (one, listed.values().next()) {
            (Some(_), Some(l)) => zone_of(&all[l.customer])?,
            _ => Tz::UTC,
        };
        Ok(Listing { filter, listed, reference, query, zone })
    }

    fn customer(&self, l: &Listed) -> &Customer {
        &self.reference.customers.list[l.customer]
    }

    /// Whether the store applies every filter: then each call it reads is listed.
    fn exact(&self) -> bool {
        let f = self.filter;
        f.call_type.is_none()
            && !matches!(f.status, Some(CallStatus::Unbilled | CallStatus::Unrated))
            && (f.days.is_none() || self.query.customer_pk.is_some())
    }

    /// A call read by the store as listed: rated now unless billed; `None` when a filter the
    /// store does not apply (the customer's own days, the status or call type that rating
    /// gives) leaves it out.
    fn doc(&self, s: StoredCall) -> Option<CallDoc> {
        let l = self.listed.get(&s.call.customer_pk)?;
        let pricing = &self.reference.pricing;
        if l.window.is_some_and(|(start, end)| s.call.start < start || s.call.start >= end) {
            return None;
        }
        let (call_type, status, billable, charge, invoice, rate) = match &s.billed {
            Some(b) => (
                b.call_type.clone(),
                CallStatus::Billed,
                Some(b.billable_seconds),
                Some(b.charge.to_string()),
                Some(b.invoice.to_string()),
                rate_by_id(pricing, b.rate_id).map(|r| pricing.shown(r)),
            ),
            None => {
                let rated = pricing.rate(&l.account, &call_of(&s.call), None);
                let call_type = rated.call_type.to_owned();
                match rated.outcome {
                    Outcome::Unanswered => (call_type, CallStatus::Unanswered, None, None, None, None),
                    Outcome::Unrated | Outcome::Excluded => (call_type, CallStatus::Unrated, None, None, None, None),
                    Outcome::Priced(p) => {
                        (call_type, CallStatus::Unbilled, Some(p.billable), None, None, Some(pricing.shown(p.rate)))
                    }
                }
            }
        };
        if self.filter.status.is_some_and(|want| want != status)
            || self.filter.call_type.as_ref().is_some_and(|t| *t != call_type)
        {
            return None;
        }
        Some(CallDoc {
            id: s.call.source_call_id,
            source: s.call.source.name().to_owned(),
            customer: self.customer(l).id.clone(),
            start: format_utc(s.call.start),
            duration: s.call.duration,
            direction: s.call.direction.as_str().to_owned(),
            from: s.call.from,
            to: s.call.to,
            call_type,
            status,
            billable_seconds: billable,
            charge,
            invoice,
            rate,
        })
    }
}

fn list<S: Store, K: CallSink>(store: &mut S, filter: &CallFilter, sink: &mut K) -> Result<(), Stop<K::Error>> {
    let mut tx = store.read()?;
    // The customer named, if one is: a listing of one customer reads no other.
    let listing = Listing::prepare(&mut tx, filter, |tx| Reference::read(tx, filter.customer.as_deref()))?;
    sink.begin(listing.zone).map_err(Stop::Sink)?;
    tx.each_call(&listing.query, |s| match listing.doc(s) {
        Some(doc) => sink.call(&doc).map_err(Stop::Sink),
        None => Ok(()),
    })
}
