//! A domain's derived constants: key, numbers, extensions and the start-time curve.

use super::hash::{fnv, hash3, mix, Rng};
use super::pattern::PERIOD;
use crate::DomainSpec;

const DAY: u64 = 86_400;

/// Relative call volume per local hour: quiet nights, business-hours peaks, a lunch dip.
const LOCAL_WEIGHTS: [u64; 24] = [2, 1, 1, 1, 1, 2, 4, 9, 28, 52, 60, 58, 46, 50, 58, 55, 47, 34, 18, 11, 8, 6, 4, 3];

/// Area codes the domains' numbers and the outside world's numbers are drawn from.
pub(crate) const AREA_CODES: [u16; 24] = [
    212, 312, 415, 512, 617, 702, 713, 305, 404, 206, 303, 214, 602, 615, 801, 503, 612, 314, 216, 412, 704, 919, 813,
    469,
];

/// Salts that keep the hash streams of one record independent.
const SALT_ROT: u64 = 0x726f_7461_7465;
const SALT_START: u64 = 0x0073_7461_7274;
const SALT_NUMBER: u64 = 0x6e75_6d62_6572;

/// What a dataset of one domain derives from its seed and spec.
#[derive(Clone, Debug)]
pub(crate) struct Domain {
    pub name: String,
    pub time_zone: String,
    pub key: u64,
    pub per_day: u32,
    pub numbers: u32,
    npa: u64,
    nxx: u64,
    ext_base: u64,
    ext_span: u64,
    id_prefix: String,
    id_width: usize,
    /// Weight of each UTC hour, and cumulative weight-seconds at the start of each hour.
    weights: [u64; 24],
    cum: [u64; 25],
}

/// Fixed UTC offset in hours for the zones resellers use most; business hours only need to be roughly right.
pub(crate) fn utc_offset_hours(tz: &str) -> i64 {
    match tz {
        "US/Eastern" | "America/New_York" | "America/Detroit" | "America/Toronto" => -5,
        "US/Central" | "America/Chicago" | "America/Winnipeg" => -6,
        "US/Mountain" | "America/Denver" | "US/Arizona" | "America/Phoenix" | "America/Edmonton" => -7,
        "US/Pacific" | "America/Los_Angeles" | "America/Vancouver" => -8,
        "US/Alaska" | "America/Anchorage" => -9,
        "US/Hawaii" | "Pacific/Honolulu" => -10,
        "Europe/Paris" | "Europe/Berlin" | "Europe/Madrid" | "Europe/Rome" | "Europe/Amsterdam" => 1,
        _ => 0,
    }
}

impl Domain {
    pub(crate) fn new(seed: u64, spec: &DomainSpec) -> Domain {
        let key = mix(seed ^ mix(fnv(&spec.name)));
        let mut r = Rng::new(key);
        let npa = u64::from(AREA_CODES[r.below(AREA_CODES.len() as u64) as usize]);
        let nxx = r.range(200, 999);
        let ext_digits_four = r.below(2) == 1;
        let ext_span = u64::from(spec.numbers).saturating_mul(3).clamp(20, 899);
        let offset = utc_offset_hours(&spec.time_zone);
        let mut weights = [0u64; 24];
        let mut cum = [0u64; 25];
        for h in 0..24 {
            weights[h] = LOCAL_WEIGHTS[(h as i64 + offset).rem_euclid(24) as usize];
            cum[h + 1] = cum[h] + weights[h] * 3600;
        }
        let last = u64::from(spec.calls_per_day.saturating_sub(1));
        Domain {
            name: spec.name.clone(),
            time_zone: spec.time_zone.clone(),
            key,
            per_day: spec.calls_per_day,
            numbers: spec.numbers,
            npa,
            nxx,
            ext_base: if ext_digits_four { 1000 } else { 100 },
            ext_span,
            id_prefix: format!("{:06x}", key >> 40),
            id_width: last.to_string().len().max(6),
            weights,
            cum,
        }
    }

    /// The id of record `idx` of `day`; zero-padded so that id order is index order within a day.
    pub(crate) fn id(&self, day: i64, idx: u32) -> String {
        format!("{}-{}-{:0w$}", self.id_prefix, day, idx, w = self.id_width)
    }

    /// Rotation of the kind pattern on `day`.
    pub(crate) fn rotation(&self, day: i64) -> u64 {
        hash3(self.key ^ SALT_ROT, day as u64, 0) % PERIOD
    }

    /// Second of the UTC day at which record `idx` of `day` starts; non-decreasing in `idx`.
    pub(crate) fn start_second(&self, day: i64, idx: u32) -> u64 {
        let u = hash3(self.key ^ SALT_START, day as u64, u64::from(idx)) >> 32;
        let x = (u128::from(idx) << 32) | u128::from(u);
        let t = (x * u128::from(self.cum[24]) / (u128::from(self.per_day.max(1)) << 32)) as u64;
        let h = self.cum[1..].partition_point(|c| *c <= t).min(23);
        (h as u64 * 3600 + (t - self.cum[h]) / self.weights[h]).min(DAY - 1)
    }

    /// The first record of `day` starting at or after second `sec` of the day (`per_day` when none).
    pub(crate) fn first_at_or_after(&self, day: i64, sec: u64) -> u32 {
        let (mut lo, mut hi) = (0u32, self.per_day);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.start_second(day, mid) < sec {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// DID number `j` of the domain, 11 digits.
    pub(crate) fn did(&self, j: u32) -> String {
        format!("1{}{:07}", self.npa, (self.nxx * 10_000 + u64::from(j)) % 10_000_000)
    }

    /// Whether DID `j` is enabled; about one in twelve is not.
    pub(crate) fn did_enabled(&self, j: u32) -> bool {
        hash3(self.key ^ SALT_NUMBER, u64::from(j), 0) % 12 != 5
    }

    /// An enabled DID chosen by `r` (the first DID when the domain has none enabled or none at all).
    pub(crate) fn pick_did(&self, r: &mut Rng) -> String {
        if self.numbers == 0 {
            return self.did(0);
        }
        let start = r.below(u64::from(self.numbers)) as u32;
        let j = (0..self.numbers.min(16)).map(|k| (start + k) % self.numbers).find(|j| self.did_enabled(*j));
        self.did(j.unwrap_or(start))
    }

    /// An extension (3 or 4 digits, per domain) chosen by `r`.
    pub(crate) fn pick_ext(&self, r: &mut Rng) -> String {
        (self.ext_base + r.below(self.ext_span)).to_string()
    }
}

impl Domain {
    /// The extension DID `j` rings, or `None` when the number is not assigned to a user.
    pub(crate) fn did_user(&self, j: u32) -> Option<String> {
        (self.did_enabled(j) && j % 4 != 3).then(|| (self.ext_base + u64::from(j) % self.ext_span).to_string())
    }

    /// A human name for the domain, e.g. `Acmedental` for `acmedental.ns.example.net`.
    pub(crate) fn description(&self) -> String {
        let first = self.name.split('.').next().unwrap_or(&self.name);
        let mut c = first.chars();
        c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
    }
}
