//! A fast hasher for the small maps that rating reads once per call.

use std::hash::{BuildHasherDefault, Hasher};

/// FxHash, as in rustc: a multiply and a rotate per 8 bytes. It is not resistant to flooding,
/// which does not matter here: the keys stored in these maps (call types, customer and deck ids,
/// NPA-NXX pairs) are the operator's own data, and looking up any key costs one probe sequence.
/// With SipHash, the standard default, the lookups of a call's tiers and type took twice as
/// long, and loading a local calling table almost three times as long.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while let [a, b, c, d, e, f, g, h, tail @ ..] = rest {
            self.add(u64::from_le_bytes([*a, *b, *c, *d, *e, *f, *g, *h]));
            rest = tail;
        }
        if let [a, b, c, d, tail @ ..] = rest {
            self.add(u64::from(u32::from_le_bytes([*a, *b, *c, *d])));
            rest = tail;
        }
        for &byte in rest {
            self.add(u64::from(byte));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    /// The multiply leaves the low bits, from which the table picks a bucket, depending on the
    /// low bits of the input only: a final mix (MurmurHash3's) spreads every bit over all of them.
    #[inline]
    fn finish(&self) -> u64 {
        let x = self.0 ^ (self.0 >> 33);
        let x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^ (x >> 33)
    }
}

/// The hasher of [`FxHasher`] maps and sets.
pub(crate) type FxBuild = BuildHasherDefault<FxHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::hash::BuildHasher;

    /// How many distinct buckets of `1 << bits` the keys fall in, and how many keys thrown at
    /// random would fill on average.
    fn spread<K: std::hash::Hash>(keys: impl Iterator<Item = K>, bits: u32) -> (usize, usize) {
        let build = FxBuild::default();
        let mask = (1u64 << bits) - 1;
        let mut n = 0;
        let buckets: HashSet<u64> = keys.inspect(|_| n += 1).map(|k| build.hash_one(k) & mask).collect();
        let slots = (1u64 << bits) as f64;
        let random = slots * (1.0 - (-(n as f64) / slots).exp());
        (buckets.len(), random as usize)
    }

    #[test]
    fn keys_spread_over_the_buckets_as_random_ones_would() {
        for bits in [10, 14, 18] {
            // NPA-NXX pairs with the same called exchange (they differ in their high 32 bits only)
            let (got, random) = spread((200_000u64..210_000).map(|from| from << 32 | 555_555), bits);
            assert!(got * 100 >= random * 97, "pairs, {bits} bits: {got} buckets, random {random}");
            let (got, random) = spread((0..10_000).map(|n| format!("cust{n}")), bits);
            assert!(got * 100 >= random * 97, "ids, {bits} bits: {got} buckets, random {random}");
        }
    }
}
