//! Billing increments (contract 3.4).

use crate::error::ParseError;

/// A rate's initial and subsequent increments, in seconds, both at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Increments {
    initial: u32,
    subsequent: u32,
}

impl Default for Increments {
    fn default() -> Self {
        Increments { initial: 60, subsequent: 60 }
    }
}

impl Increments {
    /// Builds increments; `None` if either is 0.
    pub fn new(initial: u32, subsequent: u32) -> Option<Increments> {
        (initial >= 1 && subsequent >= 1).then_some(Increments { initial, subsequent })
    }

    /// Parses one increment as written in a file: a whole number ≥ 1.
    pub fn parse_one(s: &str) -> Result<u32, ParseError> {
        match s.parse::<u32>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(ParseError::Increment(s.to_owned())),
        }
    }

    pub fn initial(self) -> u32 {
        self.initial
    }
    pub fn subsequent(self) -> u32 {
        self.subsequent
    }

    /// Billable seconds of an answered call of `duration` seconds: `d ≤ i` → `i`, otherwise
    /// `i + ceil((d − i) / s) × s`. An unanswered call (0 s) bills nothing.
    pub fn billable(self, duration: u32) -> u64 {
        if duration == 0 {
            return 0;
        }
        let (d, i, s) = (u64::from(duration), u64::from(self.initial), u64::from(self.subsequent));
        if d <= i {
            i
        } else {
            i + (d - i).div_ceil(s) * s
        }
    }
}
