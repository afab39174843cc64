//! One record from its coordinates: numbers dialled and timing, each a hash of (seed, domain, day, index).

use chrono::DateTime;

use super::domain::{Domain, AREA_CODES};
use super::hash::{hash3, Rng};
use super::pattern::Slot;
use super::{Call, CallKind};

const SALT_TIME: u64 = 0x7469_6d65;
const TOLL_FREE: [u16; 7] = [800, 888, 877, 866, 855, 844, 833];
/// Country code and subscriber-number length.
const COUNTRIES: [(&str, usize); 8] =
    [("44", 10), ("52", 10), ("49", 11), ("33", 9), ("91", 10), ("61", 9), ("63", 10), ("353", 9)];

/// A record with what the platforms show beyond [`Call`].
#[derive(Clone, Debug)]
pub(crate) struct Leg {
    pub call: Call,
    /// The user the call reached (an extension, or the number dialled for outbound calls).
    pub user: String,
    /// The id of the leg a hidden helper leg belongs to; empty otherwise.
    pub parent: String,
    /// Random bits for cosmetic choices (call-id, integer-or-string rendering).
    pub bits: u64,
}

/// Seconds ringing, and seconds talking when answered.
pub(crate) fn timing(dom: &Domain, day: i64, idx: u32, kind: CallKind) -> (u64, Option<u64>) {
    let mut r = Rng::new(hash3(dom.key ^ SALT_TIME, day as u64, u64::from(idx)));
    let unanswered = match kind {
        CallKind::Missed => true,
        CallKind::Outbound => r.below(100) < 7,
        CallKind::Inbound | CallKind::OnNet => false,
    };
    if unanswered {
        return (r.range(8, 45), None);
    }
    let ring = r.range(2, 20);
    let talk = match r.below(100) {
        0..10 => r.range(5, 29),
        10..86 => {
            let q = r.below(1001);
            30 + 570 * q * q / 1_000_000
        }
        86..98 => r.range(600, 3600),
        _ => r.range(3600, 10_800),
    };
    (ring, Some(talk))
}

fn digits(r: &mut Rng, n: usize) -> String {
    (0..n).map(|_| char::from(b'0' + r.below(10) as u8)).collect()
}

fn nanp(r: &mut Rng) -> String {
    let npa = AREA_CODES[r.below(AREA_CODES.len() as u64) as usize];
    format!("1{npa}{}{:04}", r.range(200, 999), r.below(10_000))
}

fn international(r: &mut Rng) -> String {
    let (cc, len) = COUNTRIES[r.below(COUNTRIES.len() as u64) as usize];
    let sub = format!("{}{}", r.range(1, 9), digits(r, len - 1));
    if r.below(2) == 0 {
        format!("011{cc}{sub}")
    } else {
        format!("{cc}{sub}")
    }
}

fn toll_free(r: &mut Rng) -> String {
    let tf = TOLL_FREE[r.below(TOLL_FREE.len() as u64) as usize];
    format!("1{tf}{}{:04}", r.range(200, 999), r.below(10_000))
}

/// Record `idx` of `day`, whose pattern slot is `slot`.
pub(crate) fn leg(dom: &Domain, day: i64, idx: u32, slot: Slot) -> Leg {
    let mut r = Rng::new(hash3(dom.key, day as u64, u64::from(idx)));
    let (from, to, user) = match slot.kind {
        CallKind::Inbound | CallKind::Missed => (nanp(&mut r), dom.pick_did(&mut r), dom.pick_ext(&mut r)),
        CallKind::Outbound => {
            let from = dom.pick_did(&mut r);
            let to = match r.below(40) {
                0..30 => nanp(&mut r),
                30..35 => international(&mut r),
                _ => toll_free(&mut r),
            };
            (from, to.clone(), to)
        }
        CallKind::OnNet => {
            let from = dom.pick_ext(&mut r);
            let mut to = dom.pick_ext(&mut r);
            if to == from {
                to = format!("{}", from.parse::<u64>().unwrap_or(100) + 1);
            }
            (from, to.clone(), to)
        }
    };
    let start_s = day * 86_400 + dom.start_second(day, idx) as i64;
    let (ring, talk) = timing(dom, day, idx, slot.kind);
    let at = |s: i64| DateTime::from_timestamp(s, 0).unwrap_or_default();
    let answer = talk.map(|_| at(start_s + ring as i64));
    let end = at(start_s + ring as i64 + talk.unwrap_or(0) as i64);
    let parent = if slot.hidden { dom.id(day, idx.saturating_sub(1)) } else { String::new() };
    let call =
        Call { id: dom.id(day, idx), kind: slot.kind, from, to, start: at(start_s), answer, end, hidden: slot.hidden };
    Leg { call, user, parent, bits: r.next() }
}
