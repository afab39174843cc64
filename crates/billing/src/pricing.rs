//! What prices calls: the rate deck indexed once, and the local calling table.

use crate::error::{BillingError, Result};
use rating::{classify, CallKeys, Charge, LocalCalling, Rate, RateIndex, Tiers, UsageLines};
use store::{Customer, NewCall, StoreTx};

/// The deck and the local calling table, read together at the start of a use case.
#[derive(Debug, Clone, Default)]
pub struct Pricing {
    pub deck: RateIndex,
    pub local_calling: LocalCalling,
}

impl Pricing {
    pub fn load<T: StoreTx>(tx: &mut T) -> Result<Pricing> {
        let _span = tracing::debug_span!("load_pricing").entered();
        let deck = RateIndex::build(tx.rates()?).map_err(|c| BillingError::Deck(c.to_string()))?;
        let local_calling = LocalCalling::new(tx.local_calling()?);
        Ok(Pricing { deck, local_calling })
    }

    /// The tiers that price a customer's calls.
    pub fn tiers(&self, customer: &Customer) -> Tiers {
        self.deck.tiers(&customer.id, customer.deck.as_deref())
    }

    /// The call type of a call (its own, or the default classification) and its keys.
    pub fn classify<'c>(&self, call: &'c NewCall) -> (&'c str, CallKeys) {
        // The local key is read only by the local calling table and by local prefixes.
        let with_local = !self.local_calling.is_empty() || self.deck.uses_local_prefixes();
        let keys = CallKeys::new(call.direction, &call.from, &call.to, with_local);
        let call_type = match &call.call_type {
            Some(t) => t.as_str(),
            None => classify(call.direction, &keys, &self.local_calling),
        };
        (call_type, keys)
    }

    /// The call type and the rate the deck gives a call now.
    pub fn rate<'c>(&self, tiers: &Tiers, call: &'c NewCall) -> (&'c str, Option<&Rate>) {
        let (call_type, keys) = self.classify(call);
        (call_type, self.deck.find(tiers, call_type, &keys.remote, &keys.local, call.start))
    }

    /// Why calls of a type found no rate, for people: whether the customer has a deck and what
    /// each tier tried held.
    pub fn explain_unrated(&self, customer: &Customer, call_type: &str) -> String {
        let held = self.deck.tiers_with(&self.tiers(customer), call_type);
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
}

/// Bills one call of `call_type` onto its usage line: `billable` seconds at `rate`, `included` of
/// them drawn from allowances. Returns its charge; a charge or a line total too large to hold is
/// an error naming the call and the rate.
pub fn bill_call(
    lines: &mut UsageLines,
    call: &NewCall,
    call_type: &str,
    rate: &Rate,
    (billable, included): (u64, u64),
) -> Result<Charge> {
    // `add` refuses a call with more included seconds than billable ones.
    let charged = billable.saturating_sub(included);
    Charge::of_call(rate.price, rate.connection_fee, charged)
        .and_then(|charge| lines.add(call_type, billable, included, charge).map(|()| charge))
        .map_err(|overflow| BillingError::Overflow {
            what: format!(
                "call {}:{} on the {call_type} line at rate #{} ({} per minute, connection fee {}) for {charged} s",
                call.source, call.source_call_id, rate.id, rate.price, rate.connection_fee
            ),
            overflow,
        })
}
