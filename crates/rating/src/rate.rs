//! One rate of the deck (contract 3.3 and rates.csv).

use crate::calltype::CallType;
use crate::increment::Increments;
use crate::money::Price;
use crate::number::Prefix;
use crate::Micros;
use std::fmt;

/// Who a rate belongs to: the default deck (everyone), a named deck (the customers assigned
/// to it), or one customer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Owner {
    Default,
    Deck(String),
    Customer(String),
}

impl fmt::Display for Owner {
    /// `deck:default`, `deck:ID` or `customer:ID`, as operators see it in listings.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Owner::Default => f.write_str("deck:default"),
            Owner::Deck(id) => write!(f, "deck:{id}"),
            Owner::Customer(id) => write!(f, "customer:{id}"),
        }
    }
}

/// A half-open window `[from, to)`; `None` is open on that side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Window {
    pub from: Option<Micros>,
    pub to: Option<Micros>,
}

impl Window {
    pub const OPEN: Window = Window { from: None, to: None };

    /// `from ≤ t < to`, either end open.
    pub fn holds(&self, t: Micros) -> bool {
        self.from.is_none_or(|f| f <= t) && self.to.is_none_or(|e| t < e)
    }

    /// Whether two half-open windows share an instant: one that ends at `T` and one that
    /// starts at `T` do not.
    pub fn overlaps(&self, other: &Window) -> bool {
        let starts_before_other_ends = match (self.from, other.to) {
            (Some(f), Some(e)) => f < e,
            _ => true,
        };
        let other_starts_before_end = match (other.from, self.to) {
            (Some(f), Some(e)) => f < e,
            _ => true,
        };
        starts_before_other_ends && other_starts_before_end
    }
}

/// A price per minute for one call type, optionally for a prefix, a customer and a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    /// The storage id (0 for a rate not stored yet).
    pub id: i64,
    pub call_type: CallType,
    pub prefix: Prefix,
    /// A prefix of the call's local key (the customer's own side); empty matches every call.
    pub local_prefix: Prefix,
    pub owner: Owner,
    pub window: Window,
    pub price: Price,
    pub connection_fee: Price,
    pub increments: Increments,
    pub description: String,
}

impl Rate {
    /// Two rates conflict when they have the same type, prefix, local prefix and owner and their
    /// windows overlap.
    pub fn conflicts_with(&self, other: &Rate) -> bool {
        self.same_slot(other) && self.window.overlaps(&other.window)
    }

    /// Same type, prefix, local prefix and owner: the rates compete for the same calls.
    pub fn same_slot(&self, other: &Rate) -> bool {
        self.call_type == other.call_type
            && self.prefix == other.prefix
            && self.local_prefix == other.local_prefix
            && self.owner == other.owner
    }

    /// Equal in every priced value (the description and id are not compared): re-importing
    /// such a row is a duplicate.
    pub fn same_terms(&self, other: &Rate) -> bool {
        self.same_slot(other)
            && self.window == other.window
            && self.price == other.price
            && self.connection_fee == other.connection_fee
            && self.increments == other.increments
    }
}
