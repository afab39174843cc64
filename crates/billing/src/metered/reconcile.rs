//! How a platform's count of a window matches the calls meter stores for it (docs/sources.md,
//! "Reconciliation"): whether a platform counts hidden legs is not public, so either match is one,
//! and which it was is said.

use serde::Serialize;

/// The outcome of comparing a platform's count with the calls stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reconciliation {
    /// The platform counts exactly the calls stored.
    Exact,
    /// The platform counts the calls stored and the hidden legs its listing returned.
    WithHiddenLegs,
    /// Neither: records are missing (or more are stored than the platform counts).
    Mismatch,
}

impl Reconciliation {
    /// `platform` against `stored` calls, `hidden` being the hidden legs the listing of the same
    /// window returned (0 when unknown).
    pub fn of(platform: u64, stored: u64, hidden: u64) -> Reconciliation {
        if platform == stored {
            Reconciliation::Exact
        } else if hidden > 0 && Some(platform) == stored.checked_add(hidden) {
            Reconciliation::WithHiddenLegs
        } else {
            Reconciliation::Mismatch
        }
    }

    /// `exact`, `with_hidden_legs` or `mismatch`, as documents show it.
    pub fn as_str(self) -> &'static str {
        match self {
            Reconciliation::Exact => "exact",
            Reconciliation::WithHiddenLegs => "with_hidden_legs",
            Reconciliation::Mismatch => "mismatch",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_matches_the_stored_calls_with_or_without_the_hidden_legs() {
        assert_eq!(Reconciliation::of(10, 10, 0), Reconciliation::Exact);
        assert_eq!(Reconciliation::of(10, 10, 3), Reconciliation::Exact);
        assert_eq!(Reconciliation::of(13, 10, 3), Reconciliation::WithHiddenLegs);
        assert_eq!(Reconciliation::of(12, 10, 3), Reconciliation::Mismatch);
        assert_eq!(Reconciliation::of(9, 10, 0), Reconciliation::Mismatch);
        assert_eq!(Reconciliation::of(u64::MAX, u64::MAX - 1, 2), Reconciliation::Mismatch);
    }
}
