//! The repeating 100-slot pattern that gives each record its kind, so that counts stay arithmetic.

use super::CallKind;

/// Length of the pattern.
pub(crate) const PERIOD: u64 = 100;

/// What a slot of the pattern makes of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot {
    pub kind: CallKind,
    pub hidden: bool,
}

const fn slot(kind: CallKind, hidden: bool) -> Slot {
    Slot { kind, hidden }
}

/// Each class with its share of the 100 slots: ~40% inbound, ~40% outbound (domestic, international and
/// toll-free are chosen by hash), ~10% on-net, ~10% missed, 2% hidden helper legs.
const CLASSES: [(Slot, i32); 6] = [
    (slot(CallKind::Inbound, false), 39),
    (slot(CallKind::Outbound, false), 40),
    (slot(CallKind::OnNet, false), 9),
    (slot(CallKind::Missed, false), 10),
    (slot(CallKind::Inbound, true), 1),
    (slot(CallKind::OnNet, true), 1),
];

/// Smooth weighted round-robin, so that every stretch of a day has the same mix.
const fn build() -> [Slot; PERIOD as usize] {
    let mut out = [slot(CallKind::Inbound, false); PERIOD as usize];
    let mut credit = [0i32; CLASSES.len()];
    let mut j = 0;
    while j < PERIOD as usize {
        let mut best = 0;
        let mut k = 0;
        while k < CLASSES.len() {
            credit[k] += CLASSES[k].1;
            if credit[k] > credit[best] {
                best = k;
            }
            k += 1;
        }
        credit[best] -= PERIOD as i32;
        out[j] = CLASSES[best].0;
        j += 1;
    }
    out
}

/// The pattern; record `i` of a day takes slot `(i + rotation of the day) % PERIOD`.
pub(crate) static PATTERN: [Slot; PERIOD as usize] = build();

/// Which records a listing or count takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Filter {
    pub kind: Option<CallKind>,
    pub visible_only: bool,
}

impl Filter {
    pub(crate) const ALL: Filter = Filter { kind: None, visible_only: false };

    pub(crate) fn matches(self, s: Slot) -> bool {
        self.kind.is_none_or(|k| k == s.kind) && !(self.visible_only && s.hidden)
    }
}

/// Prefix counts of a filter over the pattern, extended to the infinite repetition ("virtual slots").
#[derive(Clone, Debug)]
pub(crate) struct SlotIndex {
    filter: Filter,
    before: [u32; PERIOD as usize + 1],
    positions: Vec<u8>,
}

impl SlotIndex {
    pub(crate) fn new(filter: Filter) -> SlotIndex {
        let mut before = [0u32; PERIOD as usize + 1];
        let mut positions = Vec::new();
        for (j, s) in PATTERN.iter().enumerate() {
            before[j + 1] = before[j] + u32::from(filter.matches(*s));
            if filter.matches(*s) {
                positions.push(j as u8);
            }
        }
        SlotIndex { filter, before, positions }
    }

    pub(crate) fn matches(&self, virtual_slot: u64) -> bool {
        self.filter.matches(PATTERN[(virtual_slot % PERIOD) as usize])
    }

    /// Matching virtual slots in `[0, x)`.
    pub(crate) fn before(&self, x: u64) -> u64 {
        (x / PERIOD) * self.positions.len() as u64 + u64::from(self.before[(x % PERIOD) as usize])
    }

    /// The virtual slot of the `k`-th (0-based) match; `None` when the filter matches nothing.
    pub(crate) fn nth(&self, k: u64) -> Option<u64> {
        let per = self.positions.len() as u64;
        let pos = *self.positions.get((k % per.max(1)) as usize)?;
        Some((k / per) * PERIOD + u64::from(pos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_has_the_class_shares_and_index_arithmetic_agrees() {
        for (s, n) in CLASSES {
            assert_eq!(PATTERN.iter().filter(|p| **p == s).count() as i32, n);
        }
        let idx = SlotIndex::new(Filter { kind: Some(CallKind::Missed), visible_only: true });
        let mut seen = 0;
        for x in 0..350u64 {
            assert_eq!(idx.before(x), seen);
            if idx.matches(x) {
                assert_eq!(idx.nth(seen), Some(x));
                seen += 1;
            }
        }
    }
}
