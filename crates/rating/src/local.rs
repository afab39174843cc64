//! Local calling areas (North America): which exchanges a caller reaches with a local call.

use crate::error::ParseError;
use crate::number::MatchKey;
use std::collections::HashMap;
use std::fmt;

/// A NANP exchange, NPA-NXX: six digits whose first and fourth are 2-9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NpaNxx(u32);

impl NpaNxx {
    pub fn parse(s: &str) -> Result<NpaNxx, ParseError> {
        let b = s.as_bytes();
        let ok = b.len() == 6
            && b.iter().all(u8::is_ascii_digit)
            && (b'2'..=b'9').contains(&b[0])
            && (b'2'..=b'9').contains(&b[3]);
        if !ok {
            return Err(ParseError::NpaNxx(s.to_owned()));
        }
        Ok(NpaNxx(b.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'))))
    }

    /// The exchange of a NANP number: digits 2 to 7 of an 11-digit key starting with `1`.
    pub fn of_key(key: &MatchKey) -> Option<NpaNxx> {
        let d = key.digits();
        (key.len() == 11 && d[0] == b'1').then(|| NpaNxx(d[1..7].iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'))))
    }

    pub fn value(self) -> u32 {
        self.0
    }
}

impl fmt::Display for NpaNxx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

/// The local calling table: pairs (caller's exchange, exchange reached as a local call).
/// Pairs are directional, as published per exchange.
///
/// Grouped by caller: a customer's numbers sit in a few exchanges, so the few short lists its
/// calls look in stay in cache, where a set of all pairs would be probed at random.
#[derive(Debug, Clone, Default)]
pub struct LocalCalling {
    /// Caller's NPA-NXX → the NPA-NXX values it reaches locally, sorted.
    by_caller: HashMap<u32, Box<[u32]>, foldhash::fast::FixedState>,
    pairs: usize,
}

impl LocalCalling {
    pub fn new(pairs: impl IntoIterator<Item = (NpaNxx, NpaNxx)>) -> LocalCalling {
        let mut lists: HashMap<u32, Vec<u32>, foldhash::fast::FixedState> = HashMap::default();
        for (a, b) in pairs {
            lists.entry(a.0).or_default().push(b.0);
        }
        let mut count = 0;
        let by_caller = lists
            .into_iter()
            .map(|(a, mut list)| {
                list.sort_unstable();
                list.dedup();
                count += list.len();
                (a, list.into_boxed_slice())
            })
            .collect();
        LocalCalling { by_caller, pairs: count }
    }

    /// Whether a table is loaded: with no rows there is no `local` call type.
    pub fn is_empty(&self) -> bool {
        self.pairs == 0
    }

    /// The number of distinct pairs.
    pub fn len(&self) -> usize {
        self.pairs
    }

    /// Whether a call from `local` (the customer's side) to `remote` is local: both NANP numbers
    /// (11 digits starting with `1`), in the same exchange or a listed pair. Never with no table.
    pub fn is_local(&self, local: &MatchKey, remote: &MatchKey) -> bool {
        if self.pairs == 0 {
            return false;
        }
        match (NpaNxx::of_key(local), NpaNxx::of_key(remote)) {
            (Some(a), Some(b)) => a == b || self.by_caller.get(&a.0).is_some_and(|l| l.binary_search(&b.0).is_ok()),
            _ => false,
        }
    }
}
