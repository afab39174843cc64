//! Listings for operators: the decks, the rates of a deck or customer, and the call types that
//! calls have and no rate covers.

use crate::calls::{CallFilter, CallSink};
use crate::doc::{CallDoc, CallStatus, RateDoc};
use crate::error::{BillingError, Result};
use crate::time::format_utc;
use rating::number::Prefix;
use rating::{Owner, Rate};
use serde::Serialize;
use store::prelude::*;
use store::Store;

/// A deck with what uses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeckRow {
    pub deck: String,
    pub description: String,
    pub rates: usize,
    /// Customers assigned to it (everyone, for the default deck, is not listed).
    pub customers: Vec<String>,
}

/// Every deck, the default deck first.
pub fn list_decks<S: Store>(store: &mut S) -> Result<Vec<DeckRow>> {
    let mut tx = store.read()?;
    let rates = tx.rates()?;
    let customers = tx.customers()?;
    let count = |owner: &Owner| rates.iter().filter(|r| r.owner == *owner).count();
    let mut out = vec![DeckRow {
        deck: "default".into(),
        description: "applies to every customer".into(),
        rates: count(&Owner::Default),
        customers: Vec::new(),
    }];
    for d in tx.decks()? {
        out.push(DeckRow {
            rates: count(&Owner::Deck(d.id.clone())),
            customers: customers.iter().filter(|c| c.deck.as_ref() == Some(&d.id)).map(|c| c.id.clone()).collect(),
            deck: d.id,
            description: d.description,
        });
    }
    Ok(out)
}

/// One rate as listed: the rate as shown with a call, and what it applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RateRow {
    pub call_type: String,
    #[serde(flatten)]
    pub rate: RateDoc,
    pub effective_from: Option<String>,
    pub effective_to: Option<String>,
    pub description: String,
}

impl RateRow {
    fn of(r: &Rate) -> RateRow {
        RateRow {
            call_type: r.call_type.to_string(),
            rate: RateDoc::of(r),
            effective_from: r.window.from.map(format_utc),
            effective_to: r.window.to.map(format_utc),
            description: r.description.clone(),
        }
    }
}

/// Which rates to list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RateFilter {
    /// A deck id (`default` for the default deck).
    pub deck: Option<String>,
    pub customer: Option<String>,
    pub call_type: Option<String>,
    /// Only rates whose prefix starts with these digits.
    pub prefix: Option<Prefix>,
}

/// The rates of a deck or a customer (all rates without either), by call type, owner, prefix,
/// local prefix and start.
pub fn list_rates<S: Store>(store: &mut S, filter: &RateFilter) -> Result<Vec<RateRow>> {
    let mut tx = store.read()?;
    let owner = match (&filter.deck, &filter.customer) {
        (Some(_), Some(_)) => return Err(BillingError::DeckAndCustomer),
        (Some(d), None) if d == "default" => Some(Owner::Default),
        (Some(d), None) => {
            if !tx.decks()?.iter().any(|x| x.id == *d) {
                return Err(BillingError::UnknownDeck(d.clone()));
            }
            Some(Owner::Deck(d.clone()))
        }
        (None, Some(c)) => {
            tx.customer(c)?.ok_or_else(|| BillingError::UnknownCustomer(c.clone()))?;
            Some(Owner::Customer(c.clone()))
        }
        (None, None) => None,
    };
    let mut rates: Vec<Rate> = tx
        .rates()?
        .into_iter()
        .filter(|r| owner.as_ref().is_none_or(|o| r.owner == *o))
        .filter(|r| filter.call_type.as_ref().is_none_or(|t| r.call_type.as_str() == t))
        .filter(|r| filter.prefix.as_ref().is_none_or(|p| r.prefix.as_str().starts_with(p.as_str())))
        .collect();
    rates.sort_by(|a, b| {
        (&a.call_type, &a.owner, &a.prefix, &a.local_prefix, a.window.from).cmp(&(
            &b.call_type,
            &b.owner,
            &b.prefix,
            &b.local_prefix,
            b.window.from,
        ))
    });
    Ok(rates.iter().map(RateRow::of).collect())
}

/// A call type of calls that no rate covers: how many such calls there are, and the first and
/// last start among them (RFC 3339, UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnratedType {
    pub call_type: String,
    pub calls: u64,
    pub first_seen: String,
    pub last_seen: String,
}

/// The call types of the answered calls no invoice bills that no rate prices now (as `calls list
/// --status unrated` lists them), by call type.
pub fn unrated_call_types<S: Store>(store: &mut S) -> Result<Vec<UnratedType>> {
    let filter = CallFilter { status: Some(CallStatus::Unrated), ..CallFilter::default() };
    let mut sink = Tally(std::collections::BTreeMap::new());
    crate::calls::list_filtered(store, &filter, &mut sink)?;
    Ok(sink.0.into_values().collect())
}

/// Counts unrated calls by call type; the listing hands them over in start order.
struct Tally(std::collections::BTreeMap<String, UnratedType>);

impl CallSink for Tally {
    type Error = BillingError;

    fn begin(&mut self, _: chrono_tz::Tz) -> Result<()> {
        Ok(())
    }

    fn call(&mut self, call: &CallDoc) -> Result<()> {
        let seen = self.0.entry(call.call_type.clone()).or_insert_with(|| UnratedType {
            call_type: call.call_type.clone(),
            calls: 0,
            first_seen: call.start.clone(),
            last_seen: call.start.clone(),
        });
        seen.calls += 1;
        seen.last_seen = call.start.clone();
        Ok(())
    }
}
