//! Property tests of the rating engine: each property is checked against an independent
//! reference (plain `Decimal` arithmetic, or a naive reading of the contract).

use proptest::prelude::*;
use rating::number::Prefix;
use rating::{
    Allowance, AllowanceKey, Allowances, Amount, CallType, Charge, Increments, MatchKey, Micros, Owner, Price, Rate,
    RateIndex, UsageLines, Window,
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
    fn charges_are_never_negative(
        rate in any::<i64>().prop_map(|u| Price::from_units(u.unsigned_abs().min(i64::MAX as u64) as i64)),
        fee in any::<i64>().prop_map(|u| Price::from_units(u.unsigned_abs().min(i64::MAX as u64) as i64)),
        charged in 0u64..=(2 * u64::from(u32::MAX)),
    ) {
        prop_assert!(Charge::of_call(rate, fee, charged) >= Charge::ZERO);
    }

    #[test]
    fn charge_equals_the_decimal_computation(rate in price(), fee in price(), charged in 0u64..=1_000_000) {
        let got = Charge::of_call(rate, fee, charged);
        prop_assert_eq!(got.to_decimal(), reference_charge(rate, fee, charged));
        prop_assert!(got >= Charge::ZERO);
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
            lines.add(c.call_type, billable, included, Charge::of_call(c.rate, c.fee, charged));
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
            lines.add(c.call_type, billable, included, Charge::of_call(c.rate, c.fee, charged));
            reference.entry(c.call_type).or_default().push(reference_charge(c.rate, c.fee, charged));
        }
        let got: Vec<(&str, Decimal)> = lines.iter().map(|(ct, l)| (ct, l.amount().to_decimal())).collect();
        let want: Vec<(&str, Decimal)> = reference.iter().map(|(ct, ch)| (*ct, reference_amount(ch))).collect();
        prop_assert_eq!(&got, &want);
        let total: Decimal = want.iter().map(|(_, a)| *a).sum();
        prop_assert_eq!(lines.total().to_decimal(), total);
        for (ct, line) in lines.iter() {
            prop_assert_eq!(line.calls as usize, reference[ct].len());
            prop_assert_eq!(line.amount(), Amount::of_line(line.charges));
        }
    }

    #[test]
    fn line_rounding_equals_decimal_rounding(sum in any::<i64>()) {
        let want = Decimal::new(sum, 4).round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        prop_assert_eq!(Amount::of_line(i128::from(sum)).to_decimal(), want);
    }

    #[test]
    fn prices_print_and_parse_back(units in 0i64..=i64::MAX) {
        let p = Price::from_units(units);
        prop_assert_eq!(Price::parse(&p.to_string()), Ok(p));
        prop_assert_eq!(p.to_decimal().to_string().parse::<Decimal>().ok().map(Price::from_decimal), Some(Ok(p)));
    }
}

// ---------------------------------------------------------------------------------------------
// RateIndex::find against a linear scan of the deck (contract 3.3)
// ---------------------------------------------------------------------------------------------

/// A slot: call type, prefix, owned by customer "c1" (else the default deck).
type Slot = (&'static str, String, bool);

fn slot() -> impl Strategy<Value = Slot> {
    (prop::sample::select(vec!["a", "b"]), "[0-3]{0,4}", any::<bool>())
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

fn deck() -> impl Strategy<Value = Vec<Rate>> {
    prop::collection::btree_map(slot(), windows(), 0..16)
        .prop_map(|slots| {
            slots
                .into_iter()
                .flat_map(|((ct, prefix, own), windows)| {
                    windows.into_iter().map(move |window| Rate {
                        id: 0,
                        call_type: CallType::parse(ct).expect("code"),
                        prefix: Prefix::parse(&prefix).expect("digits"),
                        owner: if own { Owner::Customer("c1".into()) } else { Owner::Default },
                        window,
                        price: Price::ZERO,
                        connection_fee: Price::ZERO,
                        increments: Increments::default(),
                        description: String::new(),
                    })
                })
                .collect::<Vec<_>>()
        })
        .prop_shuffle()
        .prop_map(|mut rates| {
            for (n, r) in rates.iter_mut().enumerate() {
                r.id = n as i64;
            }
            rates
        })
}

/// Contract 3.3, read literally: the candidates of the type whose window holds the start and
/// whose prefix is a prefix of the key; the customer's own if any, else the default deck's; the
/// longest prefix wins, and there is exactly one such winner in a deck without conflicts.
fn reference_find<'a>(
    deck: &'a [Rate],
    customer: &str,
    call_type: &str,
    key: &MatchKey,
    start: Micros,
) -> Option<&'a Rate> {
    let candidates: Vec<&Rate> = deck
        .iter()
        .filter(|r| r.call_type.as_str() == call_type)
        .filter(|r| r.window.holds(start))
        .filter(|r| key.as_str().starts_with(r.prefix.as_str()))
        .collect();
    let own: Vec<&Rate> =
        candidates.iter().copied().filter(|r| r.owner == Owner::Customer(customer.to_owned())).collect();
    let tier =
        if own.is_empty() { candidates.into_iter().filter(|r| r.owner == Owner::Default).collect() } else { own };
    let longest = tier.iter().map(|r| r.prefix.len()).max()?;
    let winners: Vec<&Rate> = tier.into_iter().filter(|r| r.prefix.len() == longest).collect();
    assert_eq!(winners.len(), 1, "a deck without conflicts has one winner: {winners:?}");
    Some(winners[0])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn find_equals_a_linear_scan(
        deck in deck(),
        queries in prop::collection::vec(
            (
                prop::sample::select(vec!["c1", "c2"]),
                prop::sample::select(vec!["a", "b", "z"]),
                "[0-3]{0,6}",
                -2i64..22,
            ),
            1..40,
        ),
    ) {
        let idx = RateIndex::build(deck.clone()).expect("non-overlapping windows per slot build");
        for (customer, call_type, number, start) in &queries {
            let key = MatchKey::normalise(number);
            let got = idx.find(&idx.tiers(customer), call_type, &key, *start).map(|r| r.id);
            let want = reference_find(&deck, customer, call_type, &key, *start).map(|r| r.id);
            prop_assert_eq!(got, want, "{} {} {:?} at {}", customer, call_type, key, start);
        }
    }

    #[test]
    fn build_refuses_exactly_the_overlapping_decks(
        deck in deck(),
        extra in (slot(), prop::option::of(-1i64..21), prop::option::of(-1i64..21)),
    ) {
        // add one rate that may overlap a rate of its slot
        let ((ct, prefix, own), from, to) = extra;
        let (from, to) = match (from, to) {
            (Some(f), Some(t)) if f >= t => (Some(t), Some(f + 1)),
            other => other,
        };
        let mut deck = deck;
        let added = Rate {
            id: deck.len() as i64,
            call_type: CallType::parse(ct).expect("code"),
            prefix: Prefix::parse(&prefix).expect("digits"),
            owner: if own { Owner::Customer("c1".into()) } else { Owner::Default },
            window: Window { from, to },
            price: Price::ZERO,
            connection_fee: Price::ZERO,
            increments: Increments::default(),
            description: String::new(),
        };
        let clash = deck.iter().position(|r| r.conflicts_with(&added));
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
