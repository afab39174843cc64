//! Calling-plan allowances and their draws (contract section 4).

use crate::calendar::{Calendar, Period};
use crate::calltype::CallType;
use crate::Micros;
use std::collections::HashMap;

/// One allowance of a customer's plans: included seconds per billing period for some types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowance {
    pub plan: String,
    /// Position of the allowance within its plan, from 0, in file order.
    pub position: u32,
    pub call_types: Vec<CallType>,
    /// `included_minutes × 60`.
    pub seconds: u64,
    /// The one billing period (its key, [`Period::key`]) whose calls it covers, for a plan that
    /// comes with a subscription in some periods only; `None`: every period.
    pub period: Option<i32>,
}

impl Allowance {
    /// The most minutes an allowance can include: their seconds fit in 63 bits, as both stores
    /// keep them.
    pub const MAX_MINUTES: u64 = i64::MAX as u64 / 60;

    pub fn covers(&self, call_type: &str) -> bool {
        self.call_types.iter().any(|c| c.as_str() == call_type)
    }
}

/// Where a balance lives: an allowance (by index in the customer's ordered list) and the
/// billing period, named by its first day as days since 1970-01-01 in the customer's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AllowanceKey {
    pub allowance: usize,
    pub period: i32,
}

/// Seconds drawn from one allowance balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Draw {
    pub key: AllowanceKey,
    pub seconds: u64,
}

/// A customer's allowances, in contract order (plans in the customer's order, then allowance
/// order), with the seconds already used per period and the draws made by this run.
#[derive(Debug, Clone, Default)]
pub struct Allowances {
    list: Vec<Allowance>,
    used: HashMap<AllowanceKey, u64>,
    drawn: HashMap<AllowanceKey, u64>,
}

impl Allowances {
    pub fn new(list: Vec<Allowance>) -> Allowances {
        Allowances { list, used: HashMap::new(), drawn: HashMap::new() }
    }

    pub fn list(&self) -> &[Allowance] {
        &self.list
    }

    /// Records seconds already used in a period by earlier invoices.
    pub fn set_used(&mut self, key: AllowanceKey, seconds: u64) {
        self.used.insert(key, seconds);
    }

    /// Seconds left in one balance.
    pub fn remaining(&self, key: AllowanceKey) -> u64 {
        let total = self.list.get(key.allowance).map_or(0, |a| a.seconds);
        let used = self.used.get(&key).copied().unwrap_or(0) + self.drawn.get(&key).copied().unwrap_or(0);
        total.saturating_sub(used)
    }

    /// Covers up to `needed` seconds of a call of `call_type` in `period`, drawing from each
    /// covering allowance in order as much as it has left. Returns the seconds included.
    pub fn draw(&mut self, call_type: &str, period: i32, needed: u64) -> u64 {
        let mut left = needed;
        for i in 0..self.list.len() {
            if left == 0 {
                break;
            }
            let a = &self.list[i];
            if !a.covers(call_type) || a.period.is_some_and(|p| p != period) {
                continue;
            }
            let key = AllowanceKey { allowance: i, period };
            let take = self.remaining(key).min(left);
            if take > 0 {
                *self.drawn.entry(key).or_default() += take;
                left -= take;
            }
        }
        needed - left
    }

    /// The draws made since creation, one per balance touched, sorted by key.
    pub fn draws(&self) -> Vec<Draw> {
        let mut v: Vec<Draw> =
            self.drawn.iter().filter(|(_, s)| **s > 0).map(|(k, s)| Draw { key: *k, seconds: *s }).collect();
        v.sort_by_key(|d| d.key);
        v
    }
}

/// A customer's allowances as the calls of one use case draw on them, in the contract's order:
/// the balances, and the calendar that puts each call in its billing period.
#[derive(Debug, Clone)]
pub struct Balances {
    allowances: Allowances,
    calendar: Calendar,
    /// The period of the last call that drew: calls come in order of start, so most share it.
    period: Option<Period>,
}

impl Balances {
    pub fn new(allowances: Allowances, calendar: Calendar) -> Balances {
        Balances { allowances, calendar, period: None }
    }

    /// Covers up to `needed` seconds of a call of `call_type` starting at `start` from the
    /// balances of the billing period holding it. Returns the seconds included.
    pub fn draw(&mut self, call_type: &str, start: Micros, needed: u64) -> u64 {
        if needed == 0 || !self.allowances.list.iter().any(|a| a.covers(call_type)) {
            return 0;
        }
        let period = match self.period {
            Some(p) if p.contains(start) => p,
            _ => *self.period.insert(self.calendar.period_of(start)),
        };
        self.allowances.draw(call_type, period.key(), needed)
    }

    /// The draws made since creation, one per balance touched, sorted by key.
    pub fn draws(&self) -> Vec<Draw> {
        self.allowances.draws()
    }
}
