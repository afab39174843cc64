//! Throughput of in-memory rating.
//!
//! Builds rate decks of 10,000 and 100,000 random destination prefixes (domestic NANP area
//! codes and exchanges, international country codes and their area codes, a catch-all per call
//! type, some price changes with back-to-back windows, some customer rates), then rates a batch
//! of 100,000 pre-generated calls: per call, normalise the remote and `to` numbers, classify,
//! find the rate with the call's customer's tiers, compute billable seconds and the charge.
//! Also measures `RateIndex::find` alone. These run with no deck assigned, no local calling
//! table and no local prefixes, as before the decks amendment, so that their figures stay
//! comparable.
//!
//! The decks amendment adds: `rate_calls_decks`, the 10,000-prefix deck plus named decks that
//! every customer is assigned to and rates with local prefixes (three tiers per lookup, local
//! keys normalised); `local_calling/load`, building a local calling table of 200,000 NPA-NXX
//! pairs; and `rate_calls_localcalling`, `rate_calls_decks` with that table loaded (and, beside
//! it, with a table of 1,000 pairs).
//! Deterministic: a small xorshift PRNG, fixed seeds.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rating::number::Prefix;
use rating::{
    classify, Account, CallKeys, CallType, Charge, Direction, Increments, LocalCalling, MatchKey, Micros, NpaNxx,
    Outcome as Rated, Owner, Price, Pricing, Rate, RateIndex, Tiers, Window,
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
/// Named decks, each of about `DECK_PREFIXES` destination prefixes; customer `custN` is
/// assigned to deck `deck{N % NAMED_DECKS}`.
const NAMED_DECKS: usize = 5;
const DECK_PREFIXES: usize = 500;
/// Pairs of the local calling table.
const LOCAL_PAIRS: usize = 200_000;

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
        local_prefix: Prefix::default(),
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
        let (domestic, prefix) = destination(&mut rng);
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

/// A destination prefix as the default deck has them: NANP area codes (and exchanges) or
/// country codes (and area or mobile ranges). Whether it is domestic comes first.
fn destination(rng: &mut Rng) -> (bool, String) {
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
    (domestic, prefix)
}

fn deck_name(n: usize) -> String {
    format!("deck{n}")
}

/// The deck `custN` is assigned to, among `names`.
fn deck_of_customer<'a>(customer: &str, names: &'a [String]) -> Option<&'a str> {
    let n: usize = customer.strip_prefix("cust")?.parse().ok()?;
    names.get(n % NAMED_DECKS).map(String::as_str)
}

/// A rate whose local prefix is `local_prefix`: the customer's own number must start with it.
fn from_area(mut rate: Rate, local_prefix: &str) -> Rate {
    rate.local_prefix = Prefix::parse(local_prefix).expect("digits");
    rate
}

/// `deck(prefixes, seed)` plus what the decks amendment brings: `NAMED_DECKS` named decks of
/// about `DECK_PREFIXES` destination prefixes each (the first with a domestic catch-all), rates
/// with local prefixes (domestic routes priced by the caller's area code; in the second named
/// deck, calls from 20 area codes to anywhere in NANP) in the default deck and the named decks,
/// and `local` rates for the local calling table.
fn deck_with_named_decks(prefixes: usize, seed: u64) -> Vec<Rate> {
    let mut rates = deck(prefixes, seed);
    let mut rng = Rng::new(seed ^ 0x00DE_C4ED);
    // 40 busy area codes: destinations and origins of the rates with local prefixes
    let areas: Vec<String> = (0..40).map(|_| format!("1{}", rng.nanp3())).collect();
    let by_origin = |rng: &mut Rng, rates: &mut Vec<Rate>, owner: &Owner, n: usize| {
        let mut seen: HashSet<(String, String)> = HashSet::new();
        while seen.len() < n {
            let (to, from) = (rng.pick(&areas).clone(), rng.pick(&areas).clone());
            if seen.insert((to.clone(), from.clone())) {
                let rate = new_rate(rng, "domestic", &to, owner.clone(), Window::OPEN);
                rates.push(from_area(rate, &from));
            }
        }
    };
    by_origin(&mut rng, &mut rates, &Owner::Default, 400);
    rates.push(new_rate(&mut rng, "local", "", Owner::Default, Window::OPEN));
    for k in 0..NAMED_DECKS {
        let owner = Owner::Deck(deck_name(k));
        if k == 0 {
            rates.push(new_rate(&mut rng, "domestic", "", owner.clone(), Window::OPEN));
        }
        if k < 2 {
            rates.push(new_rate(&mut rng, "local", "", owner.clone(), Window::OPEN));
        }
        if k == 1 {
            // calls from 20 of the busy area codes to anywhere in NANP
            for from in &areas[..20] {
                let rate = new_rate(&mut rng, "domestic", "1", owner.clone(), Window::OPEN);
                rates.push(from_area(rate, from));
            }
        }
        let mut seen: HashSet<(bool, String)> = HashSet::with_capacity(DECK_PREFIXES);
        while seen.len() < DECK_PREFIXES {
            let (domestic, prefix) = destination(&mut rng);
            if seen.insert((domestic, prefix.clone())) {
                let ct = if domestic { "domestic" } else { "international" };
                rates.push(new_rate(&mut rng, ct, &prefix, owner.clone(), Window::OPEN));
            }
        }
        by_origin(&mut rng, &mut rates, &owner, 40);
    }
    for (n, r) in rates.iter_mut().enumerate() {
        r.id = n as i64;
    }
    rates
}

/// A national local calling table of `n` distinct pairs of valid NPA-NXX: for a quarter of the
/// batch's outbound NANP calls the pair (caller's exchange, called exchange), so that some
/// calls are local; the rest random exchanges, the local ones mostly in the caller's area code.
fn local_pairs(n: usize, calls: &[Call], seed: u64) -> Vec<(NpaNxx, NpaNxx)> {
    let mut rng = Rng::new(seed);
    let mut seen: HashSet<(NpaNxx, NpaNxx)> = HashSet::with_capacity(n);
    let mut pairs = Vec::with_capacity(n);
    for c in calls.iter().filter(|c| c.direction == Direction::Outbound) {
        let keys = CallKeys::new(c.direction, &c.from, &c.to, true);
        if let (Some(a), Some(b)) = (NpaNxx::of_key(&keys.local), NpaNxx::of_key(&keys.remote)) {
            if rng.chance(25) && pairs.len() < n && seen.insert((a, b)) {
                pairs.push((a, b));
            }
        }
    }
    while pairs.len() < n {
        let (npa, nxx) = (rng.nanp3(), rng.nanp3());
        let other = if rng.chance(70) { npa.clone() } else { rng.nanp3() };
        let from = NpaNxx::parse(&format!("{npa}{nxx}")).expect("valid NPA-NXX");
        let to = NpaNxx::parse(&format!("{other}{}", rng.nanp3())).expect("valid NPA-NXX");
        if seen.insert((from, to)) {
            pairs.push((from, to));
        }
    }
    pairs
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

/// The NPA-NXX of customer `c`'s numbers: geographic, never a toll-free area code.
fn customer_exchange(c: u64) -> String {
    format!("{}{}", 201 + (c * 7) % 500, 201 + (c * 13) % 700)
}

fn calls(n: usize, seed: u64) -> Vec<Call> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| {
            let c = rng.below(CUSTOMERS as u64);
            let customer = format!("cust{c}");
            // A customer's numbers sit in one exchange of its own, as real DIDs cluster (the
            // draws keep the generator's sequence of the earlier benchmark).
            let _ = (rng.nanp3(), rng.nanp3());
            let did = format!("+1{}{}", customer_exchange(c), rng.digits(4));
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

/// Rates every call in memory as before the decks amendment: no customer has a deck, no local
/// calling table, the local key left alone (as the billing layer does when nothing reads it).
fn rate_all(pricing: &Pricing, calls: &[Call]) -> Outcome {
    rate_batch(pricing, calls, |_| None)
}

/// Rates every call in memory with the engine's one sequence, [`Pricing::rate`] (keys,
/// classification, rate in the tiers, billable seconds, charge), without allowances, as the
/// call listing does. `deck_of(i)` is the deck of call `i`'s customer, as the billing layer
/// reads it from the customer.
#[inline(always)]
fn rate_batch<'d>(pricing: &Pricing, calls: &[Call], deck_of: impl Fn(usize) -> Option<&'d str>) -> Outcome {
    let mut out = Outcome::default();
    for (i, call) in calls.iter().enumerate() {
        let account = Account { tiers: pricing.tiers(&call.customer, deck_of(i)), call_types: None };
        let record = rating::Call {
            direction: call.direction,
            from: &call.from,
            to: &call.to,
            call_type: None,
            start: call.start,
            duration: call.duration,
        };
        match pricing.rate(&account, &record, None).outcome {
            Rated::Priced(p) => {
                out.rated += 1;
                out.billable += p.billable;
                out.charges += p.charge.map_or(0, |c| i128::from(c.units()));
            }
            _ => out.unrated += 1,
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
            let keys = CallKeys::new(c.direction, &c.from, &c.to, false);
            let call_type = classify(c.direction, &keys, &LocalCalling::default());
            Lookup { tiers: index.tiers(&c.customer, None), call_type, key: keys.remote, start: c.start }
        })
        .collect()
}

fn find_all(index: &RateIndex, lookups: &[Lookup]) -> u64 {
    lookups
        .iter()
        .filter_map(|l| index.find(&l.tiers, l.call_type, &l.key, &MatchKey::EMPTY, l.start))
        .map(|r| r.id as u64)
        .fold(0, u64::wrapping_add)
}

fn benches(c: &mut Criterion) {
    let batch = calls(CALLS, 0x5EED_CA11);
    let decks: Vec<(usize, Pricing)> = [10_000usize, 100_000]
        .into_iter()
        .map(|n| {
            let rates = deck(n, 0xDEC0 + n as u64);
            let index = RateIndex::build(rates).expect("the generated deck has no conflicts");
            (n, Pricing::new(index, LocalCalling::default()))
        })
        .collect();
    for (n, pricing) in &decks {
        let o = rate_all(pricing, &batch);
        eprintln!(
            "deck {n} prefixes: {} rates; batch of {CALLS}: {} rated, {} unrated, {} billable s, {} in charges",
            pricing.deck().rates().len(),
            o.rated,
            o.unrated,
            o.billable,
            Charge::from_units(i64::try_from(o.charges).unwrap_or(i64::MAX)),
        );
    }

    let mut mix: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for l in lookups(decks[0].1.deck(), &batch) {
        *mix.entry(l.call_type).or_default() += 1;
    }
    eprintln!("call types in the batch: {mix:?}");

    let mut group = c.benchmark_group("rate_calls");
    group.throughput(Throughput::Elements(CALLS as u64));
    group.sample_size(20);
    group.measurement_time(std::time::Duration::from_secs(8));
    for (n, pricing) in &decks {
        group.bench_with_input(BenchmarkId::new("deck", n), pricing, |b, pricing| {
            b.iter(|| rate_all(black_box(pricing), black_box(&batch)));
        });
    }
    group.finish();

    let mut group = c.benchmark_group("find");
    group.throughput(Throughput::Elements(CALLS as u64));
    group.sample_size(20);
    for (n, pricing) in &decks {
        let index = pricing.deck();
        let ls = lookups(index, &batch);
        group.bench_with_input(BenchmarkId::new("deck", n), &ls, |b, ls| {
            b.iter(|| find_all(black_box(index), black_box(ls)));
        });
    }
    group.finish();

    decks_benches(c, &batch);
}

/// The benchmarks of the decks amendment.
fn decks_benches(c: &mut Criterion, batch: &[Call]) {
    let n = 10_000usize;
    let index = RateIndex::build(deck_with_named_decks(n, 0xDEC0 + n as u64)).expect("no conflicts");
    // Each call's customer's deck, read from the customer as the billing layer does: one name
    // per deck, shared by the customers assigned to it.
    let names: Vec<String> = (0..NAMED_DECKS).map(deck_name).collect();
    let assigned: Vec<Option<&str>> = batch.iter().map(|c| deck_of_customer(&c.customer, &names)).collect();
    let deck_of = |i: usize| assigned[i];
    let pairs = local_pairs(LOCAL_PAIRS, batch, 0x10CA_1CA1);
    let table = LocalCalling::new(pairs.iter().copied());
    assert_eq!(table.len(), LOCAL_PAIRS);
    let none = LocalCalling::default();
    // The same deck priced three ways: without a local calling table, with the whole table, and
    // with only its first 1,000 pairs (those of the customers' own exchanges come first).
    let small = LocalCalling::new(pairs.iter().take(1_000).copied());
    let small_len = small.len();
    let [plain, with_table, with_small] =
        [none.clone(), table.clone(), small].map(|lc| Pricing::new(index.clone(), lc));
    for (name, lc, pricing) in [("no local calling table", &none, &plain), ("local calling table", &table, &with_table)]
    {
        let with_local = index.uses_local_prefixes() || !lc.is_empty();
        let o = rate_batch(pricing, batch, deck_of);
        let mut mix: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        let mut by_owner: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
        for (i, call) in batch.iter().enumerate() {
            let keys = CallKeys::new(call.direction, &call.from, &call.to, with_local);
            let ct = classify(call.direction, &keys, lc);
            *mix.entry(ct).or_default() += 1;
            let tiers = index.tiers(&call.customer, deck_of(i));
            if let Some(r) = index.find(&tiers, ct, &keys.remote, &keys.local, call.start) {
                let owner = match &r.owner {
                    Owner::Customer(_) => "customer".to_owned(),
                    o => o.to_string(),
                };
                let kind = if r.local_prefix.is_empty() { owner } else { format!("{owner} (local prefix)") };
                *by_owner.entry(kind).or_default() += 1;
            }
        }
        eprintln!(
            "decks, {name}: {} rates; batch of {CALLS}: {} rated, {} unrated, {} billable s; types {mix:?}; \
             priced by {by_owner:?}",
            index.rates().len(),
            o.rated,
            o.unrated,
            o.billable,
        );
    }

    let mut group = c.benchmark_group("rate_calls_decks");
    group.throughput(Throughput::Elements(CALLS as u64));
    group.sample_size(20);
    group.measurement_time(std::time::Duration::from_secs(8));
    group.bench_with_input(BenchmarkId::new("deck", n), &plain, |b, pricing| {
        b.iter(|| rate_batch(black_box(pricing), black_box(batch), deck_of));
    });
    group.finish();

    let mut group = c.benchmark_group("local_calling");
    group.throughput(Throughput::Elements(LOCAL_PAIRS as u64));
    group.sample_size(20);
    group.bench_with_input(BenchmarkId::new("load", LOCAL_PAIRS), &pairs, |b, pairs| {
        b.iter(|| LocalCalling::new(black_box(pairs).iter().copied()));
    });
    group.finish();

    let mut group = c.benchmark_group("rate_calls_localcalling");
    group.throughput(Throughput::Elements(CALLS as u64));
    group.sample_size(20);
    group.measurement_time(std::time::Duration::from_secs(8));
    group.bench_with_input(BenchmarkId::new("deck", n), &with_table, |b, pricing| {
        b.iter(|| rate_batch(black_box(pricing), black_box(batch), deck_of));
    });
    // The same calls with the small table: what the size of a national table costs, beside what
    // the `local` rule itself costs.
    group.bench_with_input(BenchmarkId::new("small_table", small_len), &with_small, |b, pricing| {
        b.iter(|| rate_batch(black_box(pricing), black_box(batch), deck_of));
    });
    group.finish();
}

criterion_group!(rating_benches, benches);
criterion_main!(rating_benches);
