//! Usage lines: per call type sums with the contract's line rounding (contract 5).

use crate::money::{Amount, Charge};
use std::collections::BTreeMap;

/// The running totals of one usage line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineTotals {
    pub calls: u64,
    pub billable_seconds: u64,
    pub included_seconds: u64,
    pub charged_seconds: u64,
    /// The exact sum of the calls' charges, in 10⁻⁴ units, before the line's rounding.
    pub charges: i128,
}

impl LineTotals {
    /// The line's amount: the rounded sum of its calls' charges.
    pub fn amount(&self) -> Amount {
        Amount::of_line(self.charges)
    }
}

/// Usage lines keyed by call type, sorted by it.
#[derive(Debug, Clone, Default)]
pub struct UsageLines {
    lines: BTreeMap<String, LineTotals>,
}

impl UsageLines {
    pub fn add(&mut self, call_type: &str, billable: u64, included: u64, charge: Charge) {
        let line = match self.lines.get_mut(call_type) {
            Some(l) => l,
            None => self.lines.entry(call_type.to_owned()).or_default(),
        };
        line.calls += 1;
        line.billable_seconds += billable;
        line.included_seconds += included;
        line.charged_seconds += billable - included;
        line.charges += i128::from(charge.units());
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &LineTotals)> {
        self.lines.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The invoice total: the sum of the lines' rounded amounts.
    pub fn total(&self) -> Amount {
        self.lines.values().map(LineTotals::amount).sum()
    }
}
