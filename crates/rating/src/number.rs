//! Phone numbers and their match keys (contract section 2).

use crate::error::ParseError;
use std::fmt;

/// The most digits a match key or a rate prefix keeps. E.164 numbers have at most 15; the
/// rest are dialled extras (PINs, DTMF) that no rate prefix reaches.
pub const MAX_DIGITS: usize = 32;

/// Digits buffered while normalising: [`MAX_DIGITS`] plus the `011` that may be dropped from
/// the front, so that the first `MAX_DIGITS` digits of the result are always the true ones.
const BUF_DIGITS: usize = MAX_DIGITS + 3;

/// The digits of a normalised number, stored inline so that rating allocates nothing.
///
/// `len` is the true digit count, so the classification rules that look at the length stay
/// exact even for a number longer than [`MAX_DIGITS`]; only the first `MAX_DIGITS` digits are
/// kept for prefix matching. Equality and hashing look at those digits and `len` only, never at
/// the unused rest of the buffer.
#[derive(Clone, Copy)]
pub struct MatchKey {
    digits: [u8; BUF_DIGITS],
    len: u32,
}

impl PartialEq for MatchKey {
    fn eq(&self, other: &MatchKey) -> bool {
        self.len == other.len && self.digits() == other.digits()
    }
}

impl Eq for MatchKey {}

impl std::hash::Hash for MatchKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.len.hash(state);
        self.digits().hash(state);
    }
}

impl MatchKey {
    /// The key of no number.
    pub const EMPTY: MatchKey = MatchKey { digits: [0; BUF_DIGITS], len: 0 };

    /// Normalises a number as contract section 2 says: keep the digits, then `+` → as is,
    /// `011…` → drop `011`, exactly 10 digits → `1` in front, otherwise as is.
    pub fn normalise(raw: &str) -> MatchKey {
        let mut key = MatchKey { digits: [0; BUF_DIGITS], len: 0 };
        let mut plus = false;
        let mut seen_digit = false;
        for b in raw.bytes() {
            if b.is_ascii_digit() {
                key.push(b);
                seen_digit = true;
            } else if b == b'+' && !seen_digit {
                plus = true;
            }
        }
        if plus {
            return key;
        }
        if key.len >= 3 && key.digits[..3] == *b"011" {
            key.drop_front(3);
        } else if key.len == 10 {
            key.digits.copy_within(0..10, 1);
            key.digits[0] = b'1';
            key.len = 11;
        }
        key
    }

    fn push(&mut self, b: u8) {
        if (self.len as usize) < BUF_DIGITS {
            self.digits[self.len as usize] = b;
        }
        self.len += 1;
    }

    fn drop_front(&mut self, n: usize) {
        let kept = (self.len as usize).min(BUF_DIGITS);
        self.digits.copy_within(n..kept, 0);
        self.len -= n as u32;
    }

    fn stored(&self) -> usize {
        (self.len as usize).min(MAX_DIGITS)
    }

    /// The number of digits of the normalised number.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The stored digits as ASCII bytes (at most [`MAX_DIGITS`]).
    pub fn digits(&self) -> &[u8] {
        &self.digits[..self.stored()]
    }

    /// The digits as a string slice.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever pushed, so the bytes are valid UTF-8.
        std::str::from_utf8(self.digits()).unwrap_or_default()
    }

    pub fn starts_with(&self, prefix: &[u8]) -> bool {
        self.digits().starts_with(prefix)
    }
}

impl fmt::Debug for MatchKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MatchKey({})", self.as_str())
    }
}

impl fmt::Display for MatchKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rate's destination prefix: digits only, possibly empty (matches every key).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Prefix(String);

impl Prefix {
    pub fn parse(s: &str) -> Result<Prefix, ParseError> {
        if s.len() > MAX_DIGITS || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::Prefix(s.to_owned()));
        }
        Ok(Prefix(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
