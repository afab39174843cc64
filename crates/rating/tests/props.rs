//! Property tests of the rating engine: each property is checked against an independent
//! reference (plain `Decimal` arithmetic, or a naive reading of the contract).

use proptest::prelude::*;
use rating::number::Prefix;
use rating::{
    classify, Allowance, AllowanceKey, Allowances, Amount, CallKeys, CallType, Charge, Direction, Increments,
    LineTotals, LocalCalling, MatchKey, Micros, NpaNxx, Overflow, Owner, ParseError, Price, Rate, RateIndex,
    UsageLines, Window,
};
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::{BTreeMap, HashMap};

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

/// Prices up to 100 per minute with any of the 8 decimals, and some round ones.
fn price() -> impl Strategy<Value = Price> {
    prop_oneof![
        (0i64..=10_000_000_000).prop_map(Price::from_units),
        (0i64..=10_000).prop_map(|n| Price::from_units(n * 10_000)),
        Just(Price::ZERO),
    ]
}

/// Any price a `Price` holds, the absurd ones too.
fn any_price() -> impl Strategy<Value = Price> {
    prop_oneof![(0i64..=i64::MAX).prop_map(Price::from_units), price()]
}

fn increments() -> impl Strategy<Value = Increments> {
    prop_oneof![
        Just((60, 60)),
        Just((30, 6)),
        Just((6, 6)),
        Just((1, 1)),
        (1u32..=120, 1u32..=120),
        (1u32..=u32::MAX, 1u32..=u32::MAX),
    ]
    .prop_map(|(i, s)| Increments::new(i, s).expect("both at least 1"))
}

fn duration() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..=7_200, any::<u32>()]
}

// ---------------------------------------------------------------------------------------------
// Independent references
// ---------------------------------------------------------------------------------------------

/// Contract 3.6 in plain `Decimal`: `fee + rate × charged / 60`, 4 places, half away from zero.
fn reference_charge(rate: Price, fee: Price, charged: u64) -> Decimal {
    let rate = Decimal::new(rate.units(), 8);
    let fee = Decimal::new(fee.units(), 8);
    (fee + rate * Decimal::from(charged) / Decimal::from(60))
        .round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
}

/// Contract 5: the line amount, the sum of the charges to 2 places, half away from zero.
fn reference_amount(charges: &[Decimal]) -> Decimal {
    charges.iter().sum::<Decimal>().round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

// ---------------------------------------------------------------------------------------------
// Charges and increments
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn a_charge_is_exact_and_never_negative_or_an_overflow_never_a_cap(
        rate in any_price(),
        fee in any_price(),
        charged in 0u64..=(2 * u64::from(u32::MAX)),
    ) {
        let want = reference_charge(rate, fee, charged);
        match Charge::of_call(rate, fee, charged) {
            Ok(got) => {
                prop_assert_eq!(got.to_decimal(), want);
                prop_assert!(got >= Charge::ZERO);
            }
            Err(e) => {
                prop_assert_eq!(e, Overflow::Charge);
                prop_assert!(want > Charge::MAX.to_decimal(), "{} fits", want);
            }
        }
    }

    #[test]
    fn a_charge_at_the_edge_of_the_largest_fits_exactly_when_the_decimal_does(
        rate in 1i64..=i64::MAX,
        delta in -3i64..=3,
    ) {
        // The charged seconds whose charge at `rate` is closest to the largest charge, give or take.
        let edge = i128::from(i64::MAX) * 600_000 / i128::from(rate) + i128::from(delta);
        let charged = u64::try_from(edge.max(0)).unwrap_or(u64::MAX);
        let rate = Price::from_units(rate);
        let want = reference_charge(rate, Price::ZERO, charged);
        let fits = want <= Charge::MAX.to_decimal();
        prop_assert_eq!(Charge::of_call(rate, Price::ZERO, charged).map(Charge::to_decimal), if fits { Ok(want) } else { Err(Overflow::Charge) });
    }

    #[test]
    fn charge_equals_the_decimal_computation(rate in price(), fee in price(), charged in 0u64..=1_000_000) {
        let got = Charge::of_call(rate, fee, charged);
        prop_assert_eq!(got.map(Charge::to_decimal), Ok(reference_charge(rate, fee, charged)));
    }

    #[test]
    fn billable_respects_the_increments(inc in increments(), d in duration()) {
        let b = inc.billable(d);
        let (i, s) = (u64::from(inc.initial()), u64::from(inc.subsequent()));
        if d == 0 {
            prop_assert_eq!(b, 0);
        } else {
            prop_assert!(b >= u64::from(d));
            prop_assert!(b >= i);
            if b > i {
                prop_assert_eq!((b - i) % s, 0);
                // and no more than one increment over
                prop_assert!(b - u64::from(d) < s);
            } else {
                prop_assert_eq!(b, i);
            }
        }
    }

    #[test]
    fn billable_is_monotonic(inc in increments(), d in 0u32..=100_000) {
        prop_assert!(inc.billable(d) <= inc.billable(d + 1));
    }
}

// ---------------------------------------------------------------------------------------------
// Allowances and lines
// ---------------------------------------------------------------------------------------------

const TYPES: [&str; 3] = ["domestic", "international", "on_net"];

fn allowance_list() -> impl Strategy<Value = Vec<Allowance>> {
    prop::collection::vec((prop::sample::subsequence(TYPES.to_vec(), 0..=3), 0u64..=10), 0..=4).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(n, (types, minutes))| Allowance {
                plan: format!("p{}", n / 2),
                position: (n % 2) as u32,
                call_types: types.into_iter().map(|t| CallType::parse(t).expect("code")).collect(),
                seconds: minutes * 60,
                period: None,
            })
            .collect()
    })
}

/// A rated call: type, period, duration, increments, rate, fee.
#[derive(Debug, Clone)]
struct Call {
    call_type: &'static str,
    period: i32,
    duration: u32,
    increments: Increments,
    rate: Price,
    fee: Price,
}

fn call() -> impl Strategy<Value = Call> {
    (
        prop::sample::select(TYPES.to_vec()),
        0i32..3,
        1u32..=1_800,
        prop_oneof![Just((60, 60)), Just((30, 6)), Just((6, 6)), Just((1, 1)), (1u32..=90, 1u32..=90)],
        price(),
        prop_oneof![Just(Price::ZERO), price()],
    )
        .prop_map(|(call_type, period, duration, (i, s), rate, fee)| Call {
            call_type,
            period,
            duration,
            increments: Increments::new(i, s).expect("both at least 1"),
            rate,
            fee,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn included_plus_charged_is_billable(
        list in allowance_list(),
        used in prop::collection::vec((0usize..4, 0i32..3, 0u64..=900), 0..4),
        calls in prop::collection::vec(call(), 0..40),
    ) {
        let mut a = Allowances::new(list.clone());
        for &(allowance, period, seconds) in &used {
            a.set_used(AllowanceKey { allowance, period }, seconds);
        }
        let used: HashMap<AllowanceKey, u64> =
            used.iter().map(|&(allowance, period, s)| (AllowanceKey { allowance, period }, s)).collect();
        let mut drawn_total = 0;
        let mut lines = UsageLines::default();
        for c in &calls {
            let billable = c.increments.billable(c.duration);
            // what the covering allowances have left before the call
            let available: u64 = (0..list.len())
                .filter(|&i| list[i].covers(c.call_type))
                .map(|i| a.remaining(AllowanceKey { allowance: i, period: c.period }))
                .sum();
            let included = a.draw(c.call_type, c.period, billable);
            let charged = billable - included;
            prop_assert!(included <= billable);
            prop_assert_eq!(included + charged, billable);
            // a call is covered as far as the allowances go: it draws all it needs or all there is
            prop_assert_eq!(included, billable.min(available));
            drawn_total += included;
            let charge = Charge::of_call(c.rate, c.fee, charged).expect("a price up to 100 fits");
            lines.add(c.call_type, billable, included, charge).expect("sixty calls fit a line");
        }
        // the draws account for every included second, and no balance is overdrawn
        let draws = a.draws();
        prop_assert_eq!(draws.iter().map(|d| d.seconds).sum::<u64>(), drawn_total);
        for d in &draws {
            let before = used.get(&d.key).copied().unwrap_or(0);
            prop_assert!(before + d.seconds <= list[d.key.allowance].seconds);
            prop_assert_eq!(a.remaining(d.key), list[d.key.allowance].seconds - before - d.seconds);
        }
        for (_, line) in lines.iter() {
            prop_assert_eq!(line.included_seconds + line.charged_seconds, line.billable_seconds);
        }
    }

    #[test]
    fn a_line_amount_is_the_rounded_sum_of_its_charges(calls in prop::collection::vec(call(), 0..60)) {
        let mut lines = UsageLines::default();
        let mut reference: BTreeMap<&str, Vec<Decimal>> = BTreeMap::new();
        for c in &calls {
            let billable = c.increments.billable(c.duration);
            // cover a part of some calls, as allowances would
            let included = if c.duration % 3 == 0 { billable / 2 } else { 0 };
            let charged = billable - included;
            let charge = Charge::of_call(c.rate, c.fee, charged).expect("a price up to 100 fits");
            lines.add(c.call_type, billable, included, charge).expect("sixty calls fit a line");
            reference.entry(c.call_type).or_default().push(reference_charge(c.rate, c.fee, charged));
        }
        let got: Vec<(&str, Decimal)> = lines.iter().map(|(ct, l)| (ct, l.amount().to_decimal())).collect();
        let want: Vec<(&str, Decimal)> = reference.iter().map(|(ct, ch)| (*ct, reference_amount(ch))).collect();
        prop_assert_eq!(&got, &want);
        let total: Decimal = want.iter().map(|(_, a)| *a).sum();
        prop_assert_eq!(lines.total().map(Amount::to_decimal), Ok(total));
        for (ct, line) in lines.iter() {
            prop_assert_eq!(line.calls as usize, reference[ct].len());
            prop_assert_eq!(line.amount(), Amount::of_line(line.charges));
        }
    }

    #[test]
    fn a_line_is_the_exact_sum_of_its_charges_or_an_overflow_that_changes_nothing(
        charges in prop::collection::vec(prop_oneof![0i64..=i64::MAX, 0i64..=1_000_000], 1..8),
    ) {
        let mut lines = UsageLines::default();
        let mut sum: i128 = 0;
        for &units in &charges {
            let before: Vec<(String, LineTotals)> = lines.iter().map(|(t, l)| (t.to_owned(), *l)).collect();
            match lines.add("premium", 60, 0, Charge::from_units(units)) {
                Ok(()) => sum += i128::from(units),
                Err(e) => {
                    prop_assert_eq!(e, Overflow::Line);
                    prop_assert!(sum + i128::from(units) > i128::from(i64::MAX));
                    let after: Vec<(String, LineTotals)> = lines.iter().map(|(t, l)| (t.to_owned(), *l)).collect();
                    prop_assert_eq!(after, before);
                }
            }
            let line = lines.iter().next().map(|(_, l)| *l).unwrap_or_default();
            prop_assert_eq!(i128::from(line.charges), sum);
        }
    }

    #[test]
    fn a_total_is_the_exact_sum_of_its_lines_or_an_overflow(
        charges in prop::collection::vec(prop_oneof![0i64..=i64::MAX, 0i64..=1_000_000], 0..300),
    ) {
        let mut lines = UsageLines::default();
        for (i, &units) in charges.iter().enumerate() {
            lines.add(&format!("t{i:03}"), 60, 0, Charge::from_units(units)).expect("one call per line fits");
        }
        let exact: i128 = lines.iter().map(|(_, l)| i128::from(l.amount().units())).sum();
        let want = i64::try_from(exact).map(Amount::from_units).map_err(|_| Overflow::Total);
        prop_assert_eq!(lines.total(), want);
    }

    #[test]
    fn line_rounding_equals_decimal_rounding(sum in any::<i64>()) {
        let want = Decimal::new(sum, 4).round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        prop_assert_eq!(Amount::of_line(sum).to_decimal(), want);
    }

    #[test]
    fn prices_print_and_parse_back(units in 0i64..=i64::MAX) {
        let p = Price::from_units(units);
        prop_assert_eq!(Price::parse(&p.to_string()), Ok(p));
        prop_assert_eq!(p.to_decimal().to_string().parse::<Decimal>().ok().map(Price::from_decimal), Some(Ok(p)));
    }
}

// ---------------------------------------------------------------------------------------------
// RateIndex::find against a linear scan of the deck (contract 3.3 and the decks amendment)
// ---------------------------------------------------------------------------------------------

/// The owners of generated rates: the default deck, named decks (one named like a customer) and
/// customers.
const OWNERS: [&str; 6] = ["default", "deck:d1", "deck:d2", "deck:c1", "customer:c1", "customer:c2"];

fn owner(s: &str) -> Owner {
    match s.split_once(':') {
        Some(("deck", id)) => Owner::Deck(id.to_owned()),
        Some(("customer", id)) => Owner::Customer(id.to_owned()),
        _ => Owner::Default,
    }
}

/// A slot: call type, prefix, local prefix, owner (one of [`OWNERS`]).
type Slot = (&'static str, String, String, &'static str);

fn slot() -> impl Strategy<Value = Slot> {
    (
        prop::sample::select(vec!["a", "b"]),
        "[0-3]{0,4}",
        prop_oneof![3 => Just(String::new()), 2 => "[0-3]{1,3}"],
        prop::sample::select(OWNERS.to_vec()),
    )
}

/// Non-overlapping windows for one slot: cut points, whether the ends are open, which of the
/// resulting back-to-back intervals are kept.
fn windows() -> impl Strategy<Value = Vec<Window>> {
    (prop::collection::btree_set(0i64..20, 0..5), any::<bool>(), any::<bool>(), prop::collection::vec(any::<bool>(), 6))
        .prop_map(|(cuts, open_start, open_end, keep)| {
            let cuts: Vec<i64> = cuts.into_iter().collect();
            let mut all = Vec::new();
            if cuts.is_empty() {
                all.push(Window::OPEN);
            } else {
                if open_start {
                    all.push(Window { from: None, to: Some(cuts[0]) });
                }
                for w in cuts.windows(2) {
                    all.push(Window { from: Some(w[0]), to: Some(w[1]) });
                }
                if open_end {
                    all.push(Window { from: cuts.last().copied(), to: None });
                }
            }
            all.into_iter().zip(keep).filter(|(_, k)| *k).map(|(w, _)| w).collect()
        })
}

/// A rate of no price: only its slot, its window and its id (for asserts) matter here.
fn bare_rate(id: i64, call_type: &str, prefix: &str, local_prefix: &str, owner: Owner, window: Window) -> Rate {
    Rate {
        id,
        call_type: CallType::parse(call_type).expect("code"),
        prefix: Prefix::parse(prefix).expect("digits"),
        local_prefix: Prefix::parse(local_prefix).expect("digits"),
        owner,
        window,
        price: Price::ZERO,
        connection_fee: Price::ZERO,
        increments: Increments::default(),
        description: String::new(),
    }
}

fn numbered(mut rates: Vec<Rate>) -> Vec<Rate> {
    for (n, r) in rates.iter_mut().enumerate() {
        r.id = n as i64;
    }
    rates
}

/// A deck without conflicts: distinct slots, each with non-overlapping windows, shuffled.
fn deck() -> impl Strategy<Value = Vec<Rate>> {
    prop::collection::btree_map(slot(), windows(), 0..24)
        .prop_map(|slots| {
            slots
                .into_iter()
                .flat_map(|((ct, prefix, local_prefix, o), windows)| {
                    windows.into_iter().map(move |window| bare_rate(0, ct, &prefix, &local_prefix, owner(o), window))
                })
                .collect::<Vec<_>>()
        })
        .prop_shuffle()
        .prop_map(numbered)
}

/// The amendment to 3.3, read literally: the candidates are the rates of the type whose window
/// holds the start, whose prefix is a prefix of the key and whose local prefix is a prefix of
/// the local key; they come from the first tier (the customer's own rates, the customer's deck,
/// the default deck) that has any; the longest prefix wins, then the longest local prefix, and
/// there is exactly one such winner in a deck without conflicts.
fn reference_find<'a>(
    deck: &'a [Rate],
    (customer, deck_id): (&str, Option<&str>),
    call_type: &str,
    key: &MatchKey,
    local: &MatchKey,
    start: Micros,
) -> Option<&'a Rate> {
    let candidates: Vec<&Rate> = deck
        .iter()
        .filter(|r| r.call_type.as_str() == call_type)
        .filter(|r| r.window.holds(start))
        .filter(|r| key.as_str().starts_with(r.prefix.as_str()))
        .filter(|r| local.as_str().starts_with(r.local_prefix.as_str()))
        .collect();
    let tier = reference_tiers(customer, deck_id)
        .into_iter()
        .map(|o| candidates.iter().copied().filter(|r| r.owner == o).collect::<Vec<_>>())
        .find(|tier| !tier.is_empty())?;
    let longest = tier.iter().map(|r| r.prefix.len()).max()?;
    let tier: Vec<&Rate> = tier.into_iter().filter(|r| r.prefix.len() == longest).collect();
    let longest_local = tier.iter().map(|r| r.local_prefix.len()).max()?;
    let winners: Vec<&Rate> = tier.into_iter().filter(|r| r.local_prefix.len() == longest_local).collect();
    assert_eq!(winners.len(), 1, "a deck without conflicts has one winner: {winners:?}");
    Some(winners[0])
}

/// The owners of the three tiers, in order; a customer without a deck has two.
fn reference_tiers(customer: &str, deck: Option<&str>) -> Vec<Owner> {
    let mut tiers = vec![Owner::Customer(customer.to_owned())];
    tiers.extend(deck.map(|d| Owner::Deck(d.to_owned())));
    tiers.push(Owner::Default);
    tiers
}

/// Who asks: a customer (`c1` and `c2` own rates, `c3` none) and its deck (`c1` is also a deck's
/// id; `d9` has no rates; `default` is not a named deck).
fn who() -> impl Strategy<Value = (&'static str, Option<&'static str>)> {
    (
        prop::sample::select(vec!["c1", "c2", "c3"]),
        prop::sample::select(vec![None, Some("d1"), Some("d2"), Some("c1"), Some("d9"), Some("default")]),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn find_equals_a_linear_scan(
        deck in deck(),
        queries in prop::collection::vec(
            (who(), prop::sample::select(vec!["a", "b", "z"]), "[0-3]{0,6}", "[0-3]{0,6}", -2i64..22),
            1..40,
        ),
    ) {
        let idx = RateIndex::build(deck.clone()).expect("non-overlapping windows per slot build");
        let local_prefixes = deck.iter().any(|r| !r.local_prefix.is_empty());
        prop_assert_eq!(idx.uses_local_prefixes(), local_prefixes);
        for ((customer, deck_id), call_type, number, own, start) in &queries {
            let (key, local) = (MatchKey::normalise(number), MatchKey::normalise(own));
            let tiers = idx.tiers(customer, *deck_id);
            let got = idx.find(&tiers, call_type, &key, &local, *start).map(|r| r.id);
            let want = reference_find(&deck, (customer, *deck_id), call_type, &key, &local, *start).map(|r| r.id);
            prop_assert_eq!(got, want, "{} {:?} {} {:?} from {:?} at {}", customer, deck_id, call_type, key, local, start);
            if !local_prefixes {
                // no rate looks at the local key: an empty one gives the same rate
                let empty = idx.find(&tiers, call_type, &key, &MatchKey::EMPTY, *start).map(|r| r.id);
                prop_assert_eq!(empty, got);
            }
            // which tiers hold any rate of the type
            let held = reference_tiers(customer, *deck_id)
                .iter()
                .map(|o| deck.iter().any(|r| r.call_type.as_str() == *call_type && r.owner == *o))
                .collect::<Vec<_>>();
            let held = if deck_id.is_some() { [held[0], held[1], held[2]] } else { [held[0], false, held[1]] };
            prop_assert_eq!(idx.tiers_with(&tiers, call_type), held);
        }
    }

    #[test]
    fn build_refuses_exactly_the_overlapping_decks(
        deck in deck(),
        extra in (slot(), prop::option::of(-1i64..21), prop::option::of(-1i64..21)),
    ) {
        // add one rate that may overlap a rate of its slot
        let ((ct, prefix, local_prefix, o), from, to) = extra;
        let (from, to) = match (from, to) {
            (Some(f), Some(t)) if f >= t => (Some(t), Some(f + 1)),
            other => other,
        };
        let mut deck = deck;
        let added = bare_rate(deck.len() as i64, ct, &prefix, &local_prefix, owner(o), Window { from, to });
        // the same type, prefix, local prefix and owner (customer or deck), overlapping windows
        let clash = deck.iter().position(|r| {
            r.call_type == added.call_type
                && r.prefix == added.prefix
                && r.local_prefix == added.local_prefix
                && r.owner == added.owner
                && r.window.overlaps(&added.window)
        });
        prop_assert_eq!(clash, deck.iter().position(|r| r.conflicts_with(&added)));
        deck.push(added);
        match (RateIndex::build(deck.clone()), clash) {
            (Ok(_), None) => {}
            (Err(c), Some(first)) => {
                prop_assert_eq!(c.first, first);
                prop_assert_eq!(c.second, deck.len() - 1);
            }
            (got, clash) => prop_assert!(false, "build gave {:?}, expected clash {:?}", got.map(|_| ()), clash),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The three tiers: precedence whatever the prefixes, and tiers without a candidate passed over
// ---------------------------------------------------------------------------------------------

/// The owners of the tiers of customer `acme` with deck `ws`, in order.
fn tier_owner(tier: usize) -> Owner {
    match tier {
        0 => Owner::Customer("acme".into()),
        1 => Owner::Deck("ws".into()),
        _ => Owner::Default,
    }
}

/// The digit after `d` (another digit than `d`).
fn other(d: u8) -> char {
    char::from(b'0' + (d - b'0' + 1) % 10)
}

/// A rate of type `t` that is not a candidate for a call with key `key`, local key `own` and
/// start 10, in one of six ways; `j` and `m` pick prefix lengths.
fn non_candidate(kind: u8, j: usize, m: usize, key: &str, own: &str) -> (String, String, Window) {
    let (j, m) = (j % key.len(), m % own.len());
    let (k, o) = (key.as_bytes(), own.as_bytes());
    match kind {
        // the prefix leaves the key
        0 => (format!("{}{}", &key[..j], other(k[j])), String::new(), Window::OPEN),
        // the prefix is longer than the key
        1 => (format!("{key}5"), String::new(), Window::OPEN),
        // the window has not begun, or is over
        2 => (key[..j].to_owned(), String::new(), Window { from: Some(11), to: None }),
        3 => (key[..j].to_owned(), String::new(), Window { from: None, to: Some(10) }),
        // the local prefix leaves the local key, or is longer than it
        4 => (key[..j].to_owned(), format!("{}{}", &own[..m], other(o[m])), Window::OPEN),
        _ => (key[..j].to_owned(), format!("{own}5"), Window::OPEN),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    /// A rate of the customer beats one of the deck, which beats one of the default deck, even
    /// where the lower tiers have longer prefixes and longer local prefixes.
    #[test]
    fn a_higher_tier_beats_a_lower_one_whatever_the_prefix_lengths(
        key in "[0-9]{1,12}",
        own in "[0-9]{1,12}",
        mut lens in prop::collection::vec((0usize..=12, 0usize..=12), 3),
        present in prop::array::uniform3(any::<bool>()),
        assigned in any::<bool>(),
        shuffle in any::<prop::sample::Index>(),
    ) {
        // lower tiers get the longer prefixes and local prefixes, both prefixes of the call's
        lens.sort_unstable();
        let mut locals: Vec<usize> = lens.iter().map(|&(_, m)| m.min(own.len())).collect();
        locals.sort_unstable();
        let mut rates = Vec::new();
        for tier in (0..3).filter(|&t| present[t]) {
            let prefix = &key[..lens[tier].0.min(key.len())];
            rates.push(bare_rate(tier as i64, "t", prefix, &own[..locals[tier]], tier_owner(tier), Window::OPEN));
        }
        let n = rates.len().max(1);
        rates.rotate_left(shuffle.index(n) % n);
        let idx = RateIndex::build(rates).expect("one rate per tier");
        // the call: `+` keeps the digits as they are
        let (k, l) = (MatchKey::normalise(&format!("+{key}")), MatchKey::normalise(&format!("+{own}")));
        let deck_of_acme = assigned.then_some("ws");
        let find = |customer: &str, deck: Option<&str>| idx.find(&idx.tiers(customer, deck), "t", &k, &l, 10).map(|r| r.id);
        let first = |tiers: &[usize]| tiers.iter().copied().find(|&t| present[t]).map(|t| t as i64);
        let acme_tiers: &[usize] = if assigned { &[0, 1, 2] } else { &[0, 2] };
        prop_assert_eq!(find("acme", deck_of_acme), first(acme_tiers));
        // another customer of the deck, and one without a deck
        prop_assert_eq!(find("bob", Some("ws")), first(&[1, 2]));
        prop_assert_eq!(find("bob", None), first(&[2]));
    }

    /// A tier with rates of the call's type but no candidate for this call (another prefix, a
    /// window that does not hold the start, another local prefix) is passed over for the next.
    #[test]
    fn a_tier_without_a_candidate_is_passed_over(
        key in "[0-9]{1,10}",
        own in "[0-9]{1,10}",
        // per tier: 0 no rate of the type, 1 rates of the type but no candidate, 2 a candidate
        tiers in prop::array::uniform3((0u8..3, 0u8..6, 0u8..4, any::<usize>(), any::<usize>(), 0usize..=10, 0usize..=10)),
        assigned in any::<bool>(),
    ) {
        let mut rates = Vec::new();
        for (t, &(state, kind, noise_kind, j, m, cj, cm)) in tiers.iter().enumerate() {
            let o = tier_owner(t);
            match state {
                0 => {
                    // a candidate, but of another type: the tier has no rate of the call's type
                    rates.push(bare_rate(0, "other", "", "", o, Window::OPEN));
                }
                1 => {
                    let (prefix, local_prefix, window) = non_candidate(kind, j, m, &key, &own);
                    rates.push(bare_rate(0, "t", &prefix, &local_prefix, o, window));
                }
                _ => {
                    let (cj, cm) = (cj.min(key.len()), cm.min(own.len()));
                    rates.push(bare_rate(100 + t as i64, "t", &key[..cj], &own[..cm], o.clone(), Window::OPEN));
                    // and a non-candidate in another slot: another prefix or local prefix
                    let kind = [0, 1, 4, 5][usize::from(noise_kind)];
                    let (prefix, local_prefix, window) = non_candidate(kind, j, m, &key, &own);
                    rates.push(bare_rate(0, "t", &prefix, &local_prefix, o, window));
                }
            }
        }
        let idx = RateIndex::build(rates).expect("distinct slots per tier");
        let (k, l) = (MatchKey::normalise(&format!("+{key}")), MatchKey::normalise(&format!("+{own}")));
        let tiers_of_acme = idx.tiers("acme", assigned.then_some("ws"));
        let order: &[usize] = if assigned { &[0, 1, 2] } else { &[0, 2] };
        let want = order.iter().copied().find(|&t| tiers[t].0 == 2).map(|t| 100 + t as i64);
        prop_assert_eq!(idx.find(&tiers_of_acme, "t", &k, &l, 10).map(|r| r.id), want);
        let held = [tiers[0].0 >= 1, assigned && tiers[1].0 >= 1, tiers[2].0 >= 1];
        prop_assert_eq!(idx.tiers_with(&tiers_of_acme, "t"), held);
    }
}

// ---------------------------------------------------------------------------------------------
// Local calling (NPA-NXX) against a naive reading of the amendment
// ---------------------------------------------------------------------------------------------

/// A few exchanges, so that generated calls and pairs meet.
const EXCHANGES: [&str; 5] = ["212555", "212556", "646555", "718222", "313200"];

/// A number as a PBX may write it: NANP in an exchange of [`EXCHANGES`] in several spellings,
/// foreign, an extension, or digits of any kind.
fn phone() -> impl Strategy<Value = String> {
    let nanp = (prop::sample::select(EXCHANGES.to_vec()), "[0-9]{4}", 0u8..4).prop_map(|(e, line, style)| {
        let (npa, nxx) = e.split_at(3);
        match style {
            0 => format!("+1{e}{line}"),
            1 => format!("({npa}) {nxx}-{line}"),
            2 => format!("1-{npa}-{nxx}-{line}"),
            _ => format!("{e}{line}"),
        }
    });
    prop_oneof![6 => nanp, 1 => "\\+44[0-9]{8,10}", 1 => "[0-9]{3,4}", 1 => "[0-9]{7,12}", 1 => "\\+[0-9]{1,12}"]
}

/// The NPA-NXX of a normalised number, read from its digits: NANP is 11 digits starting with 1.
fn reference_exchange(key: &MatchKey) -> Option<&str> {
    let s = key.as_str();
    (key.len() == 11 && s.starts_with('1')).then(|| &s[1..7])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn local_calls_follow_the_npa_nxx_rule(
        pairs in prop::collection::vec(
            (prop::sample::select(EXCHANGES.to_vec()), prop::sample::select(EXCHANGES.to_vec())),
            0..8,
        ),
        calls in prop::collection::vec((prop::sample::select(vec![0u8, 1, 2]), phone(), phone()), 1..20),
    ) {
        let table = LocalCalling::new(
            pairs.iter().map(|(a, b)| (NpaNxx::parse(a).expect("valid"), NpaNxx::parse(b).expect("valid"))),
        );
        prop_assert_eq!(table.is_empty(), pairs.is_empty());
        let none = LocalCalling::default();
        for (d, from, to) in &calls {
            let direction = [Direction::Inbound, Direction::Outbound, Direction::Internal][usize::from(*d)];
            let keys = CallKeys::new(direction, from, to, true);
            let (local, remote) = (reference_exchange(&keys.local), reference_exchange(&keys.remote));
            let want = !pairs.is_empty()
                && match (local, remote) {
                    (Some(a), Some(b)) => a == b || pairs.iter().any(|(x, y)| *x == a && *y == b),
                    _ => false,
                };
            prop_assert_eq!(table.is_local(&keys.local, &keys.remote), want, "{:?} → {:?}", from, to);
            let with = classify(direction, &keys, &table);
            let without = classify(direction, &keys, &none);
            prop_assert_ne!(without, "local");
            if direction == Direction::Outbound && without == "domestic" && want {
                prop_assert_eq!(with, "local", "{:?} → {:?}", from, to);
            } else {
                // only an outbound domestic call can become local; everything else is as before
                prop_assert_eq!(with, without, "{} {:?} → {:?}", direction, from, to);
            }
            // the local key is the customer's side: normalised only when asked, save inbound
            let lean = CallKeys::new(direction, from, to, false);
            prop_assert_eq!(lean.remote, keys.remote);
            if direction == Direction::Inbound {
                prop_assert_eq!(lean.local, keys.local);
            } else {
                prop_assert_eq!(lean.local, MatchKey::EMPTY);
                prop_assert_eq!(keys.local, MatchKey::normalise(from));
            }
        }
    }

    #[test]
    fn npa_nxx_parses_exactly_six_digits_with_the_first_and_fourth_2_to_9(s in "[0-9a+ ]{0,7}|[0-9]{6}") {
        let b = s.as_bytes();
        let valid = b.len() == 6
            && b.iter().all(u8::is_ascii_digit)
            && !matches!(b[0], b'0' | b'1')
            && !matches!(b[3], b'0' | b'1');
        match NpaNxx::parse(&s) {
            Ok(n) => {
                prop_assert!(valid, "{:?} accepted", s);
                prop_assert_eq!(n.to_string(), s.clone());
                // the exchange of a NANP number in it
                prop_assert_eq!(NpaNxx::of_key(&MatchKey::normalise(&format!("+1{s}0100"))), Some(n));
                prop_assert_eq!(NpaNxx::of_key(&MatchKey::normalise(&format!("{s}0100"))), Some(n));
            }
            Err(e) => {
                prop_assert!(!valid, "{:?} refused", s);
                prop_assert_eq!(e, ParseError::NpaNxx(s.clone()));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn normalising_keeps_digits_only(raw in "[+0-9() .-]{0,20}") {
        let key = MatchKey::normalise(&raw);
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        let plus = raw.chars().take_while(|c| !c.is_ascii_digit()).any(|c| c == '+');
        let want = if plus {
            digits
        } else if let Some(rest) = digits.strip_prefix("011") {
            rest.to_owned()
        } else if digits.len() == 10 {
            format!("1{digits}")
        } else {
            digits
        };
        prop_assert_eq!(key.as_str(), want.as_str());
        prop_assert_eq!(key.len(), want.len());
        // equal digits, equal keys
        prop_assert_eq!(key, MatchKey::normalise(&format!("+{want}")));
    }
}

// ---------------------------------------------------------------------------------------------
// Recurring charges: proration and the billing periods a subscription spans
// ---------------------------------------------------------------------------------------------

proptest! {
    /// The prorated amount is quantity × unit price × days ÷ period days, computed exactly
    /// (Decimal, an independent implementation) and rounded once, half away from zero.
    #[test]
    fn proration_rounds_the_exact_amount_once(
        quantity_e4 in 1i64..=100_000_000,
        unit_price_e4 in 0i64..=100_000_000,
        period_days in 28u32..=31,
        days_seed in 0u32..1000,
    ) {
        let days = 1 + days_seed % period_days;
        let amount = rating::Amount::prorated(quantity_e4, unit_price_e4, days, period_days).expect("fits");
        let exact = Decimal::new(quantity_e4, 4) * Decimal::new(unit_price_e4, 4) * Decimal::from(days);
        // Scaled by the denominator so the comparison needs no inexact division: the rounded
        // amount a is the one with |exact/period − a| ≤ 0.005, ties away from zero.
        let a = Decimal::new(amount.units(), 2);
        let diff = exact - a * Decimal::from(period_days);
        let half = Decimal::new(5, 3) * Decimal::from(period_days);
        prop_assert!(diff.abs() <= half, "{exact}/{period_days} rounded to {a}");
        prop_assert!(diff != -half, "a tie rounds away from zero");
        if days == period_days {
            let whole = (Decimal::new(quantity_e4, 4) * Decimal::new(unit_price_e4, 4))
                .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
            prop_assert_eq!(a, whole, "a whole period is quantity × unit price");
        }
    }

    /// The periods from one day through another follow each other without gap or overlap,
    /// each is the period of its own first day, and the first and last hold the two days.
    #[test]
    fn periods_through_tile_the_days(
        billing_day in 1u8..=31,
        from_offset in 0i64..2000,
        length in 0i64..400,
    ) {
        let base = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).expect("date");
        let from = base + chrono::Days::new(from_offset as u64);
        let to = from + chrono::Days::new(length as u64);
        let periods = rating::calendar::periods_through(from, to, billing_day);
        prop_assert!(!periods.is_empty());
        prop_assert!(periods[0].0 <= from && from <= periods[0].1);
        let last = periods[periods.len() - 1];
        prop_assert!(last.0 <= to && to <= last.1);
        for w in periods.windows(2) {
            prop_assert_eq!(w[0].1.succ_opt(), Some(w[1].0));
        }
        for (first, last) in &periods {
            prop_assert_eq!(rating::calendar::period_start(*first, billing_day), *first);
            prop_assert_eq!(rating::calendar::period_start(*last, billing_day), *first);
            prop_assert!((28..=31).contains(&((*last - *first).num_days() + 1)));
        }
    }
}

#[test]
fn an_allowance_of_one_period_covers_only_that_periods_calls() {
    let types = vec![rating::CallType::parse("domestic").expect("code")];
    let only = |period| Allowance { plan: "p".into(), position: 0, call_types: types.clone(), seconds: 60, period };
    let mut a = rating::Allowances::new(vec![only(Some(10)), only(None)]);
    assert_eq!(a.draw("domestic", 11, 90), 60, "period 11: the allowance of every period only");
    assert_eq!(a.draw("domestic", 10, 90), 90, "period 10: its own allowance first, then the other");
    assert_eq!(a.remaining(rating::AllowanceKey { allowance: 0, period: 10 }), 0);
    assert_eq!(a.remaining(rating::AllowanceKey { allowance: 1, period: 10 }), 30);
    assert_eq!(a.remaining(rating::AllowanceKey { allowance: 0, period: 11 }), 60, "never drawn in period 11");
}
