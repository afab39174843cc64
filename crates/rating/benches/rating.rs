//! Throughput of in-memory rating.
//!
//! Builds rate decks of 10,000 and 100,000 random destination prefixes (domestic NANP area
//! codes and exchanges, international country codes and their area codes, a catch-all per call
//! type, some price changes with back-to-back windows, some customer rates), then rates a batch
//! of 100,000 pre-generated calls: per call, normalise the remote and `to` numbers, classify,
//! find the rate with the call's customer's tiers, compute billable seconds and the charge.
//! Also measures `RateIndex::find` alone. Deterministic: a small xorshift PRNG, fixed seeds.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rating::number::Prefix;
use rating::{
    classify, CallType, Charge, Direction, Increments, MatchKey, Micros, Owner, Price, Rate, RateIndex, Tiers, Window,
};
use std::collections::HashSet;
use std::hint::black_box;

const CALLS: usize = 100_000;
const CUSTOMERS: usize = 500;
/// Customers `cust0` .. `cust49` have rates of their own.
const CUSTOMERS_WITH_RATES: usize = 50;
/// 2026-01-01T00:00:00Z; calls start within the 31 days after.
const JAN_1: Micros = 1_767_225_600_000_000;
const DAY: Micros = 86_400_000_000;
/// A price change in the middle of the month for some prefixes.
const JAN_15: Micros = JAN_1 + 14 * DAY;

/// xorshift64*: tiny, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b'0' + self.below(10) as u8)).collect()
    }
    /// A NANP area code or exchange: first digit 2-9.
    fn nanp3(&mut self) -> String {
        format!("{}{}", 2 + self.below(8), self.digits(2))
    }
}

/// Country codes outside NANP (international), weighted by repetition towards busy routes.
const COUNTRY_CODES: &[&str] = &[
    "44", "44", "44", "49", "49", "33", "33", "39", "34", "52", "52", "52", "91", "91", "86", "63", "63", "7", "20",
    "27", "30", "31", "32", "36", "40", "41", "43", "45", "46", "47", "48", "51", "53", "54", "55", "56", "57", "58",
    "60", "61", "62", "64", "65", "66", "81", "82", "84", "90", "92", "93", "94", "95", "98", "212", "213", "216",
    "220", "221", "233", "234", "237", "250", "251", "254", "255", "256", "260", "263", "351", "352", "353", "354",
    "355", "356", "357", "358", "359", "370", "371", "372", "380", "381", "385", "386", "420", "421", "501", "502",
    "503", "504", "505", "506", "507", "509", "591", "593", "595", "598", "852", "853", "855", "856", "880", "886",
    "960", "961", "962", "963", "964", "965", "966", "967", "968", "970", "971", "972", "973", "974", "975", "976",
    "977", "992", "993", "994", "995", "996", "998",
];

const TOLL_FREE: &[&str] = &["800", "833", "844", "855", "866", "877", "888"];

fn increments(rng: &mut Rng, call_type: &str) -> Increments {
    let (i, s) = match call_type {
        "domestic" => *rng.pick(&[(6, 6), (30, 6), (60, 60), (1, 1)]),
        "international" => *rng.pick(&[(60, 60), (60, 60), (30, 6), (1, 1)]),
        _ => (60, 60),
    };
    Increments::new(i, s).expect("increments of at least 1")
}

fn new_rate(rng: &mut Rng, call_type: &str, prefix: &str, owner: Owner, window: Window) -> Rate {
    let price = match call_type {
        "domestic" => 100_000 + rng.below(2_000_000),        // 0.001 .. 0.021
        "international" => 500_000 + rng.below(200_000_000), // 0.005 .. 2.005
        "on_net" | "emergency" => 0,
        _ => 50_000 + rng.below(3_000_000),
    };
    let fee = if rng.chance(20) { rng.below(1_000_000) as i64 } else { 0 };
    Rate {
        id: 0,
        call_type: CallType::parse(call_type).expect("call type code"),
        prefix: Prefix::parse(prefix).expect("digits"),
        owner,
        window,
        price: Price::from_units(price as i64),
        connection_fee: Price::from_units(fee),
        increments: increments(rng, call_type),
        description: String::new(),
    }
}

/// A default deck of about `prefixes` destination prefixes plus catch-alls and customer rates.
fn deck(prefixes: usize, seed: u64) -> Vec<Rate> {
    let mut rng = Rng::new(seed);
    let mut rates = Vec::with_capacity(prefixes + prefixes / 20 + 2_000);
    for ct in ["domestic", "international", "inbound", "toll_free", "on_net", "emergency"] {
        rates.push(new_rate(&mut rng, ct, "", Owner::Default, Window::OPEN));
    }
    let mut seen: HashSet<(bool, String)> = HashSet::with_capacity(prefixes);
    while seen.len() < prefixes {
        let domestic = rng.chance(30);
        let prefix = if domestic {
            // 1 + area code, sometimes + exchange digits
            let extra = *rng.pick(&[0usize, 1, 2, 3, 3]);
            format!("1{}{}", rng.nanp3(), rng.digits(extra))
        } else {
            // country code + area/mobile range digits
            let extra = *rng.pick(&[0usize, 1, 2, 2, 3, 3, 4, 5]);
            format!("{}{}", rng.pick(COUNTRY_CODES), rng.digits(extra))
        };
        if !seen.insert((domestic, prefix.clone())) {
            continue;
        }
        let ct = if domestic { "domestic" } else { "international" };
        if rng.chance(5) {
            // a price change on the 15th: the old rate closes, the new one opens
            rates.push(new_rate(&mut rng, ct, &prefix, Owner::Default, Window { from: None, to: Some(JAN_15) }));
            rates.push(new_rate(&mut rng, ct, &prefix, Owner::Default, Window { from: Some(JAN_15), to: None }));
        } else {
            rates.push(new_rate(&mut rng, ct, &prefix, Owner::Default, Window::OPEN));
        }
    }
    // customer rates: each of the first customers has special international routes, some a
    // domestic flat rate too
    for c in 0..CUSTOMERS_WITH_RATES {
        let owner = Owner::Customer(format!("cust{c}"));
        let mut own: HashSet<String> = HashSet::new();
        while own.len() < 20 {
            let extra = rng.below(2) as usize;
            let prefix = format!("{}{}", rng.pick(COUNTRY_CODES), rng.digits(extra));
            if own.insert(prefix.clone()) {
                rates.push(new_rate(&mut rng, "international", &prefix, owner.clone(), Window::OPEN));
            }
        }
        if c % 3 == 0 {
            rates.push(new_rate(&mut rng, "domestic", "", owner.clone(), Window::OPEN));
        }
    }
    for (n, r) in rates.iter_mut().enumerate() {
        r.id = n as i64;
    }
    rates
}

/// One call record as it arrives: strings as the PBX wrote them.
struct Call {
    customer: String,
    direction: Direction,
    from: String,
    to: String,
    start: Micros,
    duration: u32,
}

fn domestic_number(rng: &mut Rng) -> String {
    let (npa, nxx, line) = (rng.nanp3(), rng.nanp3(), rng.digits(4));
    match rng.below(5) {
        0 => format!("({npa}) {nxx}-{line}"),
        1 => format!("{npa}-{nxx}-{line}"),
        2 => format!("+1 {npa} {nxx} {line}"),
        3 => format!("1{npa}{nxx}{line}"),
        _ => format!("+1{npa}{nxx}{line}"),
    }
}

fn international_number(rng: &mut Rng) -> String {
    let cc = rng.pick(COUNTRY_CODES);
    let len = 11 - cc.len() + rng.below(2) as usize;
    let rest = rng.digits(len);
    if rng.chance(70) {
        format!("+{cc} {rest}")
    } else {
        format!("011{cc}{rest}")
    }
}

fn extension(rng: &mut Rng) -> String {
    format!("{}", 100 + rng.below(9_900))
}

fn calls(n: usize, seed: u64) -> Vec<Call> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let customer = format!("cust{}", rng.below(CUSTOMERS as u64));
            let did = format!("+1{}{}{}", rng.nanp3(), rng.nanp3(), rng.digits(4));
            let roll = rng.below(100);
            let (direction, from, to) = if roll < 60 {
                let to = match rng.below(100) {
                    0..=59 => domestic_number(&mut rng),
                    60..=89 => international_number(&mut rng),
                    90..=98 => extension(&mut rng),
                    _ => (*rng.pick(&["911", "933"])).to_owned(),
                };
                (Direction::Outbound, did, to)
            } else if roll < 90 {
                let from = if rng.chance(80) { domestic_number(&mut rng) } else { international_number(&mut rng) };
                let to = if rng.chance(20) {
                    format!("1-{}-{}-{}", rng.pick(TOLL_FREE), rng.nanp3(), rng.digits(4))
                } else {
                    did
                };
                (Direction::Inbound, from, to)
            } else {
                (Direction::Internal, extension(&mut rng), extension(&mut rng))
            };
            // talk time: mostly short, a long tail
            let duration = if rng.chance(90) { 1 + rng.below(300) } else { 1 + rng.below(3_600) } as u32;
            let start = JAN_1 + rng.below(31 * DAY as u64) as Micros;
            Call { customer, direction, from, to, start, duration }
        })
        .collect()
}

/// What rating a batch produced, so that the work cannot be optimised away.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Outcome {
    rated: u64,
    unrated: u64,
    billable: u64,
    charges: i128,
}

/// Rates every call in memory: exactly the per-call work of the engine.
fn rate_all(index: &RateIndex, calls: &[Call]) -> Outcome {
    let mut out = Outcome::default();
    for call in calls {
        let remote = MatchKey::normalise(call.direction.remote(&call.from, &call.to));
        // Only an inbound call's `to` differs from its match key.
        let to = if call.direction == Direction::Inbound { MatchKey::normalise(&call.to) } else { remote };
        let call_type = classify(call.direction, &remote, &to);
        let tiers = index.tiers(&call.customer);
        match index.find(&tiers, call_type, &remote, call.start) {
            Some(rate) => {
                let billable = rate.increments.billable(call.duration);
                let charge = Charge::of_call(rate.price, rate.connection_fee, billable);
                out.rated += 1;
                out.billable += billable;
                out.charges += i128::from(charge.units());
            }
            None => out.unrated += 1,
        }
    }
    out
}

/// A lookup with everything before `find` already done.
struct Lookup {
    tiers: Tiers,
    call_type: &'static str,
    key: MatchKey,
    start: Micros,
}

fn lookups(index: &RateIndex, calls: &[Call]) -> Vec<Lookup> {
    calls
        .iter()
        .map(|c| {
            let key = MatchKey::normalise(c.direction.remote(&c.from, &c.to));
            let call_type = classify(c.direction, &key, &MatchKey::normalise(&c.to));
            Lookup { tiers: index.tiers(&c.customer), call_type, key, start: c.start }
        })
        .collect()
}

fn find_all(index: &RateIndex, lookups: &[Lookup]) -> u64 {
    lookups
        .iter()
        .filter_map(|l| index.find(&l.tiers, l.call_type, &l.key, l.start))
        .map(|r| r.id as u64)
        .fold(0, u64::wrapping_add)
}

fn benches(c: &mut Criterion) {
    let batch = calls(CALLS, 0x5EED_CA11);
    let decks: Vec<(usize, RateIndex)> = [10_000usize, 100_000]
        .into_iter()
        .map(|n| {
            let rates = deck(n, 0xDEC0 + n as u64);
            let index = RateIndex::build(rates).expect("the generated deck has no conflicts");
            (n, index)
        })
        .collect();
    for (n, index) in &decks {
        let o = rate_all(index, &batch);
        eprintln!(
            "deck {n} prefixes: {} rates; batch of {CALLS}: {} rated, {} unrated, {} billable s, {} in charges",
            index.rates().len(),
            o.rated,
            o.unrated,
            o.billable,
            Charge::from_units(i64::try_from(o.charges).unwrap_or(i64::MAX)),
        );
    }

    let mut mix: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for l in lookups(&decks[0].1, &batch) {
        *mix.entry(l.call_type).or_default() += 1;
    }
    eprintln!("call types in the batch: {mix:?}");

    let mut group = c.benchmark_group("rate_calls");
    group.throughput(Throughput::Elements(CALLS as u64));
    group.sample_size(20);
    group.measurement_time(std::time::Duration::from_secs(8));
    for (n, index) in &decks {
        group.bench_with_input(BenchmarkId::new("deck", n), index, |b, index| {
            b.iter(|| rate_all(black_box(index), black_box(&batch)));
        });
    }
    group.finish();

    let mut group = c.benchmark_group("find");
    group.throughput(Throughput::Elements(CALLS as u64));
    group.sample_size(20);
    for (n, index) in &decks {
        let ls = lookups(index, &batch);
        group.bench_with_input(BenchmarkId::new("deck", n), &ls, |b, ls| {
            b.iter(|| find_all(black_box(index), black_box(ls)));
        });
    }
    group.finish();
}

criterion_group!(rating_benches, benches);
criterion_main!(rating_benches);
