//! What prices calls, read from the store: the rate deck and the local calling table, given to
//! rating's one sequence ([`rating::Pricing::rate`]); and what billing says of its outcomes.

use crate::error::{BillingError, Result};
pub use rating::Pricing;
use rating::{Charge, Priced, RateIndex, UsageLines};
use std::sync::{Arc, Mutex};
use store::{Customer, NewCall, StoreTx};

/// Reads the deck and the local calling table together, at the start of a use case.
pub fn load<T: StoreTx>(tx: &mut T) -> Result<Pricing> {
    let _span = tracing::debug_span!("load_pricing").entered();
    let deck = RateIndex::build(tx.rates()?).map_err(|c| BillingError::Deck(c.to_string()))?;
    Ok(Pricing::new(deck, rating::LocalCalling::new(tx.local_calling()?)))
}

/// The pricing a server last read, kept while the store's pricing stamp
/// ([`store::Rates::pricing_stamp`]) stays the same: every page of calls needs the deck, and
/// reading and indexing 10,000 rates cost more than the page. Clones share it.
#[derive(Debug, Clone, Default)]
pub struct PricingCache {
    last: Arc<Mutex<Option<Stamped>>>,
}

/// A pricing with the stamp it was read at.
type Stamped = (i64, Arc<Pricing>);

impl PricingCache {
    /// The pricing as `tx` sees it: the one kept if the stamp `tx` reads is its stamp, else read
    /// (and kept).
    pub fn load<T: StoreTx>(&self, tx: &mut T) -> Result<Arc<Pricing>> {
        let stamp = tx.pricing_stamp()?;
        // A poisoned lock only means a reader panicked; the pair it holds is whole.
        let kept = self.last.lock().unwrap_or_else(|e| e.into_inner()).clone();
        match kept {
            Some((s, pricing)) if s == stamp => Ok(pricing),
            _ => {
                let pricing = Arc::new(load(tx)?);
                *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some((stamp, pricing.clone()));
                Ok(pricing)
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
