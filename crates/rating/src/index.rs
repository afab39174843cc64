//! The rate index: built once from the whole deck, then asked for the rate of each call.
//!
//! Rates are grouped by owner (a customer or the default deck) and call type; each group is a
//! digit trie over prefixes. A lookup walks the match key's digits once, keeping the deepest
//! node that holds a rate whose window contains the call's start: longest prefix wins, with no
//! scan of the deck. Owners and call types are interned to small integers so that the hot path
//! hashes nothing but the call type.

use crate::number::MatchKey;
use crate::rate::{Owner, Rate};
use crate::Micros;
use std::collections::HashMap;

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
}

/// Two rates of the deck that compete for the same calls (contract 3.3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rates {first} and {second} have the same call type, prefix and owner and overlapping windows")]
pub struct Conflict {
    /// Positions of the two rates in the list given to [`RateIndex::build`].
    pub first: usize,
    pub second: usize,
}

/// The owners whose rates may price a customer's calls, in order of precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tiers {
    owners: [u32; 2],
}

/// The whole rate deck, indexed for rating.
#[derive(Debug, Clone, Default)]
pub struct RateIndex {
    rates: Vec<Rate>,
    call_types: HashMap<Box<str>, u32>,
    owners: HashMap<Owner, u32>,
    /// The customers among the owners, by id, so that finding a customer's tier allocates nothing.
    customers: HashMap<Box<str>, u32>,
    /// `roots[owner][call_type]`: the trie root of that group, or `NONE`.
    roots: Vec<Vec<u32>>,
    nodes: Vec<Node>,
    entries: Vec<Entry>,
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
            if let Some(&j) = here.iter().find(|&&j| rates[j as usize].window.overlaps(&rate.window)) {
                return Err(Conflict { first: j as usize, second: i });
            }
            here.push(i as u32);
        }
        for (n, list) in at_node.into_iter().enumerate() {
            idx.nodes[n].first = idx.entries.len() as u32;
            idx.nodes[n].count = list.len() as u32;
            idx.entries.extend(list.into_iter().map(|r| {
                let w = rates[r as usize].window;
                Entry { from: w.from.unwrap_or(Micros::MIN), to: w.to.unwrap_or(Micros::MAX), rate: r }
            }));
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
        if let Owner::Customer(id) = owner {
            self.customers.insert(id.as_str().into(), o);
        }
        self.roots.push(Vec::new());
        o
    }

    /// Every rate of the deck, in the order given to [`RateIndex::build`].
    pub fn rates(&self) -> &[Rate] {
        &self.rates
    }

    /// The tiers that price a customer's calls: the customer's own rates, then the default deck.
    pub fn tiers(&self, customer: &str) -> Tiers {
        let own = self.customers.get(customer).copied().unwrap_or(NONE);
        Tiers { owners: [own, 0] }
    }

    /// Whether any rate exists for a call type, in any tier.
    pub fn knows_call_type(&self, call_type: &str) -> bool {
        self.call_types.contains_key(call_type)
    }

    /// Contract 3.3: the rate of a call of `call_type` with match key `key` starting at `start`.
    /// The first tier with a candidate is used; within it the longest prefix wins.
    pub fn find(&self, tiers: &Tiers, call_type: &str, key: &MatchKey, start: Micros) -> Option<&Rate> {
        let ct = *self.call_types.get(call_type)? as usize;
        tiers
            .owners
            .iter()
            .filter(|&&o| o != NONE)
            .find_map(|&o| {
                let root = *self.roots[o as usize].get(ct)?;
                (root != NONE).then(|| self.longest(root, key, start)).flatten()
            })
            .map(|r| &self.rates[r as usize])
    }

    /// Walks the trie along the key; returns the rate at the deepest node holding one whose
    /// window contains `start`.
    fn longest(&self, root: u32, key: &MatchKey, start: Micros) -> Option<u32> {
        let mut best = self.at(root, start);
        let mut node = root;
        for &d in key.digits() {
            let child = self.nodes[node as usize].children[usize::from(d - b'0')];
            if child == NONE {
                break;
            }
            node = child;
            if let Some(r) = self.at(node, start) {
                best = Some(r);
            }
        }
        best
    }

    fn at(&self, node: u32, start: Micros) -> Option<u32> {
        let n = &self.nodes[node as usize];
        let entries = &self.entries[n.first as usize..(n.first + n.count) as usize];
        entries.iter().find(|e| e.from <= start && start < e.to).map(|e| e.rate)
    }
}

fn new_node(nodes: &mut Vec<Node>, at_node: &mut Vec<Vec<u32>>) -> u32 {
    nodes.push(Node { children: [NONE; 10], first: 0, count: 0 });
    at_node.push(Vec::new());
    (nodes.len() - 1) as u32
}
