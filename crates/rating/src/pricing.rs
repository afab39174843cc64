//! Rating one call, the one sequence invoices, previews and the call listing share: classify →
//! tier (the rate) → increments → allowance → charge (contract 3 and 4).

use crate::allowance::Balances;
use crate::calltype::{classify, CallKeys, Direction};
use crate::error::Overflow;
use crate::index::{RateIndex, Tiers};
use crate::local::LocalCalling;
use crate::money::Charge;
use crate::rate::Rate;
use crate::Micros;

/// What prices calls: the rate deck, indexed once, and the local calling table.
#[derive(Debug, Clone, Default)]
pub struct Pricing {
    deck: RateIndex,
    local_calling: LocalCalling,
    /// Whether anything reads a call's local key: the local calling table or a local prefix.
    with_local: bool,
}

/// A call record as rating reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call<'c> {
    pub direction: Direction,
    pub from: &'c str,
    pub to: &'c str,
    /// The record's own call type; `None` means classify.
    pub call_type: Option<&'c str>,
    pub start: Micros,
    /// Talk seconds; 0 is an unanswered call.
    pub duration: u32,
}

/// Whose calls are rated, and which: the customer's tiers of rates and the call types asked
/// for (`None`: all).
#[derive(Debug, Clone, Copy)]
pub struct Account<'a> {
    pub tiers: Tiers,
    pub call_types: Option<&'a [String]>,
}

impl Account<'_> {
    /// Whether calls of `call_type` are rated.
    #[inline]
    pub fn selects(&self, call_type: &str) -> bool {
        self.call_types.is_none_or(|list| list.iter().any(|t| t == call_type))
    }
}

/// A rated call: its call type and what became of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rated<'p, 'c> {
    pub call_type: &'c str,
    pub outcome: Outcome<'p>,
}

/// What rating made of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<'p> {
    /// 0 seconds: never rated, charged or invoiced.
    Unanswered,
    /// Of a call type not asked for: not rated, nothing drawn.
    Excluded,
    /// No tier has a rate for it.
    Unrated,
    Priced(Priced<'p>),
}

/// A priced call: its rate, its billable seconds, the seconds allowances included and its charge
/// (an error when too large to hold).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Priced<'p> {
    pub rate: &'p Rate,
    pub billable: u64,
    pub included: u64,
    pub charge: Result<Charge, Overflow>,
}

impl Priced<'_> {
    /// The seconds charged: billable and not included.
    pub fn charged(&self) -> u64 {
        self.billable - self.included
    }
}

impl Pricing {
    pub fn new(deck: RateIndex, local_calling: LocalCalling) -> Pricing {
        let with_local = !local_calling.is_empty() || deck.uses_local_prefixes();
        Pricing { deck, local_calling, with_local }
    }

    #[inline]
    pub fn deck(&self) -> &RateIndex {
        &self.deck
    }

    /// The tiers that price a customer's calls.
    #[inline]
    pub fn tiers(&self, customer: &str, deck: Option<&str>) -> Tiers {
        self.deck.tiers(customer, deck)
    }

    /// Rates one call of `account`: classifies it, finds its rate in the first tier that has one,
    /// bills its increments, draws on `balances` (none: nothing is included, as in the call
    /// listing) and charges the rest.
    //
    // Inline: its callers are in other crates (billing, the benchmark), each rating calls in a
    // loop. Compiled into the loop, the sequence keeps its values in registers instead of
    // passing the call and the account by reference and returning `Rated` through memory, and
    // the branches on what a caller passes as constants (no record call type, every call type,
    // no balances) fall away. As one call across crates it cost about 50 instructions per call
    // more than the same steps written out in the loop.
    #[inline]
    pub fn rate<'p, 'c>(
        &'p self,
        account: &Account<'_>,
        call: &Call<'c>,
        balances: Option<&mut Balances>,
    ) -> Rated<'p, 'c> {
        // Classify: the record's own call type, or the default classification.
        let keys = CallKeys::new(call.direction, call.from, call.to, self.with_local);
        let call_type = match call.call_type {
            Some(t) => t,
            None => classify(call.direction, &keys, &self.local_calling),
        };
        let outcome = if call.duration == 0 {
            Outcome::Unanswered
        } else if !account.selects(call_type) {
            Outcome::Excluded
        } else {
            match self.deck.find(&account.tiers, call_type, &keys.remote, &keys.local, call.start) {
                None => Outcome::Unrated,
                Some(rate) => {
                    let billable = rate.increments.billable(call.duration);
                    let included = balances.map_or(0, |b| b.draw(call_type, call.start, billable));
                    let charge = Charge::of_call(rate.price, rate.connection_fee, billable - included);
                    Outcome::Priced(Priced { rate, billable, included, charge })
                }
            }
        };
        Rated { call_type, outcome }
    }
}
