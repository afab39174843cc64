//! What prices calls, read from the store: the rate deck and the local calling table, given to
//! rating's one sequence ([`rating::Pricing::rate`]); and what billing says of its outcomes.

use crate::doc::RateDoc;
use crate::error::{BillingError, Result};
pub use rating::Pricing;
use rating::{Charge, Priced, RateIndex, UsageLines};
use std::sync::{Arc, Mutex, OnceLock};
use store::{Customer, NewCall, StoreTx};

/// Reads the deck and the local calling table together, at the start of a use case.
pub fn load<T: StoreTx>(tx: &mut T) -> Result<Pricing> {
    let _span = tracing::debug_span!("load_pricing").entered();
    let deck = RateIndex::build(tx.rates()?).map_err(|c| BillingError::Deck(c.to_string()))?;
    Ok(Pricing::new(deck, rating::LocalCalling::new(tx.local_calling()?)))
}

/// What a server keeps between pages of calls while the store's stamps
/// ([`store::StoreTx::stamps`]) stay the same: the pricing (reading and indexing 10,000 rates
/// cost more than a page) and the customers with the sources (four statements for every page on
/// PostgreSQL). Clones share it.
#[derive(Debug, Clone, Default)]
pub struct Kept {
    pricing: Slot<ShownPricing>,
    customers: Slot<Customers>,
}

/// What prices and places a page of calls, as one read transaction sees it.
#[derive(Debug, Clone)]
pub struct Reference {
    pub pricing: Arc<ShownPricing>,
    pub customers: Arc<Customers>,
}

/// A pricing with its rates as listings show them, each written once, when first shown, rather
/// than for every call of every page (two prices, its owner and prefixes).
#[derive(Debug)]
pub struct ShownPricing {
    pricing: Pricing,
    /// By the place of the rate in the deck.
    shown: Vec<OnceLock<Arc<RateDoc>>>,
}

impl ShownPricing {
    fn new(pricing: Pricing) -> ShownPricing {
        let shown = pricing.deck().rates().iter().map(|_| OnceLock::new()).collect();
        ShownPricing { pricing, shown }
    }

    /// A rate as shown: one of the deck's (rating hands out references into it) is written once.
    pub fn shown(&self, rate: &rating::Rate) -> Arc<RateDoc> {
        // Its place from its address: looking it up by id missed the cache at every step.
        let rates = self.pricing.deck().rates();
        let offset = (rate as *const rating::Rate as usize).wrapping_sub(rates.as_ptr() as usize);
        let place = offset / std::mem::size_of::<rating::Rate>().max(1);
        match self.shown.get(place).filter(|_| rates.get(place).is_some_and(|r| std::ptr::eq(r, rate))) {
            Some(once) => Arc::clone(once.get_or_init(|| Arc::new(RateDoc::of(rate)))),
            None => Arc::new(RateDoc::of(rate)),
        }
    }
}

impl std::ops::Deref for ShownPricing {
    type Target = Pricing;
    fn deref(&self) -> &Pricing {
        &self.pricing
    }
}

/// Every customer, by id, and every source.
#[derive(Debug)]
pub struct Customers {
    pub list: Vec<Customer>,
    pub sources: Vec<store::Source>,
}

impl Customers {
    /// Every customer, or only the one of this id (none if it does not exist).
    fn read<T: StoreTx>(tx: &mut T, only: Option<&str>) -> Result<Customers> {
        let list = match only {
            Some(id) => tx.customer(id)?.into_iter().collect(),
            None => tx.customers()?,
        };
        Ok(Customers { list, sources: tx.sources()? })
    }
}

impl Reference {
    /// Read from `tx`, keeping nothing, with every customer or only the one of this id.
    pub fn read<T: StoreTx>(tx: &mut T, only: Option<&str>) -> Result<Reference> {
        let customers = Customers::read(tx, only)?;
        Ok(Reference { pricing: Arc::new(ShownPricing::new(load(tx)?)), customers: Arc::new(customers) })
    }
}

impl Kept {
    /// What `tx` sees: each part the one kept if the stamp `tx` reads for it is its stamp, else
    /// read (and kept). `tx` must be a read transaction: a stamp a writer moved could be rolled
    /// back and moved again by another change.
    pub fn load<T: StoreTx>(&self, tx: &mut T) -> Result<Reference> {
        let stamps = tx.stamps()?;
        Ok(Reference {
            pricing: self.pricing.get(stamps.pricing, || load(tx).map(ShownPricing::new))?,
            customers: self.customers.get(stamps.customers, || Customers::read(tx, None))?,
        })
    }

    /// What was kept last, with the stamps it was read at, once both parts are kept.
    pub fn last(&self) -> Option<(store::Stamps, Reference)> {
        let (pricing_stamp, pricing) = self.pricing.last()?;
        let (customers_stamp, customers) = self.customers.last()?;
        Some((store::Stamps { pricing: pricing_stamp, customers: customers_stamp }, Reference { pricing, customers }))
    }
}

/// One thing kept: the last one read, with the stamp it was read at.
#[derive(Debug)]
struct Slot<T>(Arc<Mutex<Option<Stamped<T>>>>);

type Stamped<T> = (i64, Arc<T>);

impl<T> Default for Slot<T> {
    fn default() -> Slot<T> {
        Slot(Arc::default())
    }
}

impl<T> Clone for Slot<T> {
    fn clone(&self) -> Slot<T> {
        Slot(Arc::clone(&self.0))
    }
}

impl<T> Slot<T> {
    fn last(&self) -> Option<Stamped<T>> {
        // A poisoned lock only means a reader panicked; the pair it holds is whole.
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn get(&self, stamp: i64, read: impl FnOnce() -> Result<T>) -> Result<Arc<T>> {
        match self.last() {
            Some((s, kept)) if s == stamp => Ok(kept),
            _ => {
                let fresh = Arc::new(read()?);
                *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((stamp, fresh.clone()));
                Ok(fresh)
            }
        }
    }
}

/// The rate of an id in the deck (read in id order, so found by halving; else by a scan).
pub fn rate_by_id(pricing: &Pricing, id: i64) -> Option<&rating::Rate> {
    let rates = pricing.deck().rates();
    match rates.binary_search_by_key(&id, |r| r.id) {
        Ok(i) => rates.get(i),
        Err(_) => rates.iter().find(|r| r.id == id),
    }
}

/// A stored call as rating reads it.
pub fn call_of(call: &NewCall) -> rating::Call<'_> {
    rating::Call {
        direction: call.direction,
        from: &call.from,
        to: &call.to,
        call_type: call.call_type.as_ref().map(|t| t.as_str()),
        start: call.start,
        duration: call.duration,
    }
}

/// The tiers that price a customer's calls.
pub fn tiers(pricing: &Pricing, customer: &Customer) -> rating::Tiers {
    pricing.tiers(&customer.id, customer.deck.as_deref())
}

/// Why calls of a type found no rate, for people: whether the customer has a deck and what each
/// tier tried held.
pub fn explain_unrated(pricing: &Pricing, customer: &Customer, call_type: &str) -> String {
    let held = pricing.deck().tiers_with(&tiers(pricing, customer), call_type);
    let what = |has: bool| {
        if has {
            format!("has {call_type} rates, none for these numbers and dates")
        } else {
            format!("no {call_type} rates")
        }
    };
    let deck = match &customer.deck {
        Some(d) => format!("deck {d}: {}", what(held[1])),
        None => "no deck assigned".to_owned(),
    };
    format!("tried {}'s own rates: {}; {deck}; default deck: {}", customer.id, what(held[0]), what(held[2]))
}

/// Puts a priced call of `call_type` on its usage line. Returns its charge; a charge or a line
/// total too large to hold is an error naming the call and the rate.
pub fn bill_call(lines: &mut UsageLines, call: &NewCall, call_type: &str, priced: &Priced<'_>) -> Result<Charge> {
    let rate = priced.rate;
    priced
        .charge
        .and_then(|charge| lines.add(call_type, priced.billable, priced.included, charge).map(|()| charge))
        .map_err(|overflow| BillingError::Overflow {
            what: format!(
                "call {}:{} on the {call_type} line at rate #{} ({} per minute, connection fee {}) for {} s",
                call.source,
                call.source_call_id,
                rate.id,
                rate.price,
                rate.connection_fee,
                priced.charged()
            ),
            overflow,
        })
}
