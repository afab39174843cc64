//! The rate index: built once from the whole deck, then asked for the rate of each call.
//!
//! Rates are grouped by owner (a customer, a named deck or the default deck) and call type; each
//! group is a digit trie over prefixes. A lookup walks the match key's digits once, keeping the
//! deepest node that holds a candidate (window contains the call's start, local prefix is a
//! prefix of the local key): longest prefix wins, then longest local prefix, with no scan of the
//! deck. Owners and call types are interned to small integers so that the hot path hashes
//! nothing but the call type.

use crate::number::MatchKey;
use crate::rate::{Owner, Rate};
use crate::Micros;
use std::collections::HashMap;

/// The small maps read once per call (call types, owners) are keyed by the operator's own data,
/// so a fast non-cryptographic hash serves: SipHash, the standard one, took twice as long.
type FastHash = foldhash::fast::FixedState;

const NONE: u32 = u32::MAX;

#[derive(Debug, Clone)]
struct Node {
    children: [u32; 10],
    /// Range into `entries`: the rates whose prefix ends at this node.
    first: u32,
    count: u32,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    from: Micros,
    to: Micros,
    rate: u32,
    /// Length of the rate's local prefix; 0 matches every local key without looking at it.
    local_len: u32,
    /// Where the local prefix's digits start in `local_digits`.
    local_at: u32,
}

/// Two rates of the deck that compete for the same calls (contract 3.3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rates {first} and {second} have the same call type, prefix, local prefix and owner and overlapping windows")]
pub struct Conflict {
    /// Positions of the two rates in the list given to [`RateIndex::build`].
    pub first: usize,
    pub second: usize,
}

/// The owners whose rates may price a customer's calls, in order of precedence: the customer's
/// own rates, the customer's deck, the default deck.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tiers {
    owners: [u32; 3],
}

/// The whole rate deck, indexed for rating.
#[derive(Debug, Clone, Default)]
pub struct RateIndex {
    rates: Vec<Rate>,
    call_types: HashMap<Box<str>, u32, FastHash>,
    owners: HashMap<Owner, u32>,
    /// The customers and the named decks among the owners, by id, so that finding a customer's
    /// tiers allocates nothing.
    customers: HashMap<Box<str>, u32, FastHash>,
    decks: HashMap<Box<str>, u32, FastHash>,
    /// Whether any rate has a local prefix: if none does, the local key is never looked at.
    local_prefixes: bool,
    /// `roots[owner][call_type]`: the trie root of that group, or `NONE`.
    roots: Vec<Vec<u32>>,
    nodes: Vec<Node>,
    entries: Vec<Entry>,
    /// The digits of the entries' local prefixes, side by side: a lookup that compares local
    /// prefixes reads this small array, not the rates and their strings.
    local_digits: Vec<u8>,
}

impl RateIndex {
    /// Indexes a deck, refusing it if two rates conflict.
    pub fn build(rates: Vec<Rate>) -> Result<RateIndex, Conflict> {
        let mut idx = RateIndex::default();
        idx.owners.insert(Owner::Default, 0);
        idx.roots.push(Vec::new());
        // Rate positions per node, flattened into `entries` at the end.
        let mut at_node: Vec<Vec<u32>> = Vec::new();
        for (i, rate) in rates.iter().enumerate() {
            let ct = idx.intern_call_type(rate.call_type.as_str());
            let owner = idx.intern_owner(&rate.owner);
            let row = &mut idx.roots[owner as usize];
            if row.len() <= ct as usize {
                row.resize(ct as usize + 1, NONE);
            }
            let mut node = row[ct as usize];
            if node == NONE {
                node = new_node(&mut idx.nodes, &mut at_node);
                idx.roots[owner as usize][ct as usize] = node;
            }
            for d in rate.prefix.as_str().bytes() {
                let digit = usize::from(d - b'0');
                let child = idx.nodes[node as usize].children[digit];
                node = if child == NONE {
                    let c = new_node(&mut idx.nodes, &mut at_node);
                    idx.nodes[node as usize].children[digit] = c;
                    c
                } else {
                    child
                };
            }
            let here = &mut at_node[node as usize];
            if let Some(&j) = here.iter().find(|&&j| rates[j as usize].conflicts_with(rate)) {
                return Err(Conflict { first: j as usize, second: i });
            }
            here.push(i as u32);
            idx.local_prefixes |= !rate.local_prefix.is_empty();
        }
        for (n, list) in at_node.into_iter().enumerate() {
            idx.nodes[n].first = idx.entries.len() as u32;
            idx.nodes[n].count = list.len() as u32;
            for r in list {
                let rate = &rates[r as usize];
                let w = rate.window;
                idx.entries.push(Entry {
                    from: w.from.unwrap_or(Micros::MIN),
                    to: w.to.unwrap_or(Micros::MAX),
                    rate: r,
                    local_len: rate.local_prefix.len() as u32,
                    local_at: idx.local_digits.len() as u32,
                });
                idx.local_digits.extend_from_slice(rate.local_prefix.as_str().as_bytes());
            }
        }
        idx.rates = rates;
        Ok(idx)
    }

    fn intern_call_type(&mut self, ct: &str) -> u32 {
        let n = self.call_types.len() as u32;
        *self.call_types.entry(ct.into()).or_insert(n)
    }

    fn intern_owner(&mut self, owner: &Owner) -> u32 {
        if let Some(&o) = self.owners.get(owner) {
            return o;
        }
        let o = self.owners.len() as u32;
        self.owners.insert(owner.clone(), o);
        match owner {
            Owner::Customer(id) => {
                self.customers.insert(id.as_str().into(), o);
            }
            Owner::Deck(id) => {
                self.decks.insert(id.as_str().into(), o);
            }
            Owner::Default => {}
        }
        self.roots.push(Vec::new());
        o
    }

    /// Every rate of the deck, in the order given to [`RateIndex::build`].
    pub fn rates(&self) -> &[Rate] {
        &self.rates
    }

    /// The tiers that price a customer's calls: the customer's own rates, then the rates of
    /// the customer's deck (if any), then the default deck.
    pub fn tiers(&self, customer: &str, deck: Option<&str>) -> Tiers {
        let own = self.customers.get(customer).copied().unwrap_or(NONE);
        let deck = deck.and_then(|d| self.decks.get(d)).copied().unwrap_or(NONE);
        Tiers { owners: [own, deck, 0] }
    }

    /// Whether any rate has a local prefix. When none does, [`RateIndex::find`] ignores the
    /// local key, so the caller may pass any key (and skip normalising the local number).
    pub fn uses_local_prefixes(&self) -> bool {
        self.local_prefixes
    }

    /// Whether any rate exists for a call type, in any tier.
    pub fn knows_call_type(&self, call_type: &str) -> bool {
        self.call_types.contains_key(call_type)
    }

    /// Which of the tiers have any rate for a call type: (customer's own, deck, default).
    pub fn tiers_with(&self, tiers: &Tiers, call_type: &str) -> [bool; 3] {
        let Some(&ct) = self.call_types.get(call_type) else { return [false; 3] };
        tiers.owners.map(|o| o != NONE && self.roots[o as usize].get(ct as usize).is_some_and(|&r| r != NONE))
    }

    /// The rate of a call of `call_type` with match key `key` and local key `local` starting at
    /// `start`: the first tier with a candidate is used; within it the longest prefix wins, then
    /// the longest local prefix.
    pub fn find(
        &self,
        tiers: &Tiers,
        call_type: &str,
        key: &MatchKey,
        local: &MatchKey,
        start: Micros,
    ) -> Option<&Rate> {
        let ct = *self.call_types.get(call_type)? as usize;
        tiers
            .owners
            .iter()
            .filter(|&&o| o != NONE)
            .find_map(|&o| {
                let root = *self.roots[o as usize].get(ct)?;
                (root != NONE).then(|| self.longest(root, key, local, start)).flatten()
            })
            .map(|r| &self.rates[r as usize])
    }

    /// Walks the trie along the key; returns the best candidate at the deepest node holding one.
    fn longest(&self, root: u32, key: &MatchKey, local: &MatchKey, start: Micros) -> Option<u32> {
        let mut best = self.at(root, local, start);
        let mut node = root;
        for &d in key.digits() {
            let child = self.nodes[node as usize].children[usize::from(d - b'0')];
            if child == NONE {
                break;
            }
            node = child;
            if let Some(r) = self.at(node, local, start) {
                best = Some(r);
            }
        }
        best
    }

    /// The candidate at a node with the longest local prefix, if any.
    fn at(&self, node: u32, local: &MatchKey, start: Micros) -> Option<u32> {
        let n = &self.nodes[node as usize];
        let entries = &self.entries[n.first as usize..(n.first + n.count) as usize];
        let mut best: Option<&Entry> = None;
        for e in entries {
            if e.from <= start
                && start < e.to
                && best.is_none_or(|b| e.local_len > b.local_len)
                && (e.local_len == 0
                    || local.starts_with(&self.local_digits[e.local_at as usize..(e.local_at + e.local_len) as usize]))
            {
                best = Some(e);
            }
        }
        best.map(|e| e.rate)
    }
}

fn new_node(nodes: &mut Vec<Node>, at_node: &mut Vec<Vec<u32>>) -> u32 {
    nodes.push(Node { children: [NONE; 10], first: 0, count: 0 });
    at_node.push(Vec::new());
    (nodes.len() - 1) as u32
}
