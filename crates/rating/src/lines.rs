//! Usage lines: per call type sums with the contract's line rounding (contract 5).

use crate::error::Overflow;
use crate::money::{Amount, Charge};
use std::collections::BTreeMap;

/// The running totals of one usage line. Every total fits in 63 bits, as both stores keep them
/// (and sum them in `db check`): the charges within [`Charge::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineTotals {
    pub calls: u64,
    pub billable_seconds: u64,
    pub included_seconds: u64,
    pub charged_seconds: u64,
    /// The exact sum of the calls' charges, in 10⁻⁴ units, before the line's rounding.
    pub charges: i64,
}

impl LineTotals {
    /// The totals with one more call, or an error when one would pass its bound.
    fn plus(self, billable: u64, included: u64, charge: Charge) -> Result<LineTotals, Overflow> {
        let seconds = |total: u64, more: u64| {
            total.checked_add(more).filter(|s| i64::try_from(*s).is_ok()).ok_or(Overflow::Seconds)
        };
        // Allowances never include more than a call bills; if they did, its charged seconds
        // would be below zero, which no total can hold either.
        let charged = billable.checked_sub(included).ok_or(Overflow::Seconds)?;
        Ok(LineTotals {
            calls: self.calls + 1,
            billable_seconds: seconds(self.billable_seconds, billable)?,
            included_seconds: seconds(self.included_seconds, included)?,
            charged_seconds: seconds(self.charged_seconds, charged)?,
            charges: self.charges.checked_add(charge.units()).ok_or(Overflow::Line)?,
        })
    }

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
    /// Adds a call of `billable` seconds, `included` of them drawn from allowances, charged
    /// `charge`. A total past its bound is an error, and the line is left as it was.
    pub fn add(&mut self, call_type: &str, billable: u64, included: u64, charge: Charge) -> Result<(), Overflow> {
        let line = self.lines.get_mut(call_type);
        let next = line.as_deref().copied().unwrap_or_default().plus(billable, included, charge)?;
        match line {
            Some(l) => *l = next,
            None => {
                self.lines.insert(call_type.to_owned(), next);
            }
        }
        Ok(())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &LineTotals)> {
        self.lines.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The invoice total: the sum of the lines' rounded amounts, or an error past
    /// [`Amount::MAX`].
    pub fn total(&self) -> Result<Amount, Overflow> {
        self.lines.values().try_fold(Amount::ZERO, |total, line| total.checked_add(line.amount()))
    }
}
