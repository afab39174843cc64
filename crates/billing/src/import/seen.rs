//! The ids of a file seen so far, with the line of each, to report an id repeated within the
//! file: a few bytes per id beyond the id itself, and no allocation per id.
//!
//! Each id is one record in a byte buffer: its line and its length as LEB128 numbers, then its
//! bytes. The hash table holds only where each record starts (8 bytes a slot): 4,000,000 ids of
//! 9 bytes take about 56 MB of records and 72 MB of table, where a table of (start, end, line)
//! triples took 200 MB.

use hashbrown::HashTable;
use std::hash::BuildHasher;

#[derive(Default)]
pub(crate) struct SeenIds {
    records: Vec<u8>,
    /// Where each id's record starts in `records`.
    table: HashTable<u64>,
    hasher: hashbrown::DefaultHashBuilder,
}

impl SeenIds {
    /// Records `id` at `line`; if it was seen before, returns that line instead.
    pub(crate) fn insert(&mut self, id: &str, line: u64) -> Option<u64> {
        let hash = self.hasher.hash_one(id.as_bytes());
        let records = &self.records;
        if let Some(&at) = self.table.find(hash, |&at| record(records, at).1 == id.as_bytes()) {
            return Some(record(records, at).0);
        }
        let at = self.records.len() as u64;
        push_number(&mut self.records, line);
        push_number(&mut self.records, id.len() as u64);
        self.records.extend_from_slice(id.as_bytes());
        let (records, hasher) = (&self.records, &self.hasher);
        self.table.insert_unique(hash, at, |&at| hasher.hash_one(record(records, at).1));
        None
    }
}

/// Appends `n` as LEB128: seven bits a byte, low bits first, the high bit set on all but the last.
fn push_number(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// The LEB128 number at `*at`, moving `*at` past it.
fn read_number(bytes: &[u8], at: &mut usize) -> u64 {
    let mut n = 0u64;
    let mut shift = 0;
    while let Some(&b) = bytes.get(*at) {
        *at += 1;
        n |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            break;
        }
        shift += 7;
    }
    n
}

/// The (line, id bytes) of the record starting at `at`.
fn record(records: &[u8], at: u64) -> (u64, &[u8]) {
    let mut at = at as usize;
    let line = read_number(records, &mut at);
    let len = read_number(records, &mut at) as usize;
    (line, records.get(at..at + len).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::SeenIds;

    #[test]
    fn a_repeated_id_gives_the_line_it_was_first_seen_on() {
        let mut seen = SeenIds::default();
        let long = "x".repeat(300);
        let lines = [2, 3, 127, 128, 16_384, u64::MAX];
        for (id, line) in ["a", "b", "", long.as_str(), "ab", "ba"].into_iter().zip(lines) {
            assert_eq!(seen.insert(id, line), None, "{id:?} is new");
        }
        for _ in 0..10_000 {
            // Enough ids to grow the table several times: records are found again after a resize.
            let n = seen.records.len();
            seen.insert(&format!("id-{n}"), n as u64);
        }
        for (id, line) in ["a", "b", "", long.as_str(), "ab", "ba"].into_iter().zip(lines) {
            assert_eq!(seen.insert(id, 1), Some(line), "{id:?} was on line {line}");
        }
    }
}
