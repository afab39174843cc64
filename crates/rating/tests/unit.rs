//! Table-driven unit tests of the rating engine against the billing contract
//! (/work/shared/docs/contract.md, sections 2 to 5, and its amendment
//! /work/shared/docs/contract-decks.md: rate decks, the local-side prefix, local calling).

use rating::index::Conflict;
use rating::number::Prefix;
use rating::{
    classify, Allowance, AllowanceKey, Allowances, Amount, CallKeys, CallType, Charge, Direction, Draw, Increments,
    LineTotals, LocalCalling, MatchKey, Micros, NpaNxx, Overflow, Owner, ParseError, Price, Rate, RateIndex,
    UsageLines, Window,
};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn price(s: &str) -> Price {
    Price::parse(s).unwrap_or_else(|e| panic!("bad test price {s}: {e}"))
}

fn window(from: Option<Micros>, to: Option<Micros>) -> Window {
    Window { from, to }
}

/// A rate with 60/60 increments, no connection fee and no local prefix; `id` tells the rates
/// apart in asserts.
fn rate(id: i64, call_type: &str, prefix: &str, owner: &Owner, window: Window) -> Rate {
    Rate {
        id,
        call_type: CallType::parse(call_type).expect("call type"),
        prefix: Prefix::parse(prefix).expect("prefix"),
        local_prefix: Prefix::default(),
        owner: owner.clone(),
        window,
        price: Price::from_units(id),
        connection_fee: Price::ZERO,
        increments: Increments::default(),
        description: String::new(),
    }
}

fn open(id: i64, call_type: &str, prefix: &str, owner: &Owner) -> Rate {
    rate(id, call_type, prefix, owner, Window::OPEN)
}

/// An open rate with a local prefix (a prefix of the customer's own side of the call).
fn local(id: i64, call_type: &str, prefix: &str, local_prefix: &str, owner: &Owner) -> Rate {
    let mut r = open(id, call_type, prefix, owner);
    r.local_prefix = Prefix::parse(local_prefix).expect("local prefix");
    r
}

fn customer(id: &str) -> Owner {
    Owner::Customer(id.to_owned())
}

fn deck(id: &str) -> Owner {
    Owner::Deck(id.to_owned())
}

fn build(rates: Vec<Rate>) -> RateIndex {
    RateIndex::build(rates).expect("deck without conflicts")
}

/// The id of the rate `find` picks, or `None` when the call is unrated: a customer without a
/// deck, a deck without local prefixes (the local key is left empty).
fn find_id(idx: &RateIndex, customer: &str, call_type: &str, number: &str, start: Micros) -> Option<i64> {
    let tiers = idx.tiers(customer, None);
    idx.find(&tiers, call_type, &MatchKey::normalise(number), &MatchKey::EMPTY, start).map(|r| r.id)
}

/// The id of the rate `find` picks for a customer with a deck (or none), the remote number
/// `number` and the customer's own number `own`.
fn find_in(
    idx: &RateIndex,
    (customer, deck): (&str, Option<&str>),
    call_type: &str,
    number: &str,
    own: &str,
    start: Micros,
) -> Option<i64> {
    let tiers = idx.tiers(customer, deck);
    idx.find(&tiers, call_type, &MatchKey::normalise(number), &MatchKey::normalise(own), start).map(|r| r.id)
}

fn key_str(raw: &str) -> String {
    MatchKey::normalise(raw).as_str().to_owned()
}

/// The default classification with no local calling table loaded. Whether the local key is
/// normalised or not makes no difference then.
fn classify_raw(direction: Direction, from: &str, to: &str) -> &'static str {
    let none = LocalCalling::default();
    let got = classify(direction, &CallKeys::new(direction, from, to, false), &none);
    assert_eq!(classify(direction, &CallKeys::new(direction, from, to, true), &none), got, "{direction} {from} {to}");
    got
}

/// The default classification with a local calling table of `pairs` (NPA-NXX strings).
fn classify_with(pairs: &[(&str, &str)], direction: Direction, from: &str, to: &str) -> &'static str {
    let table = local_calling(pairs);
    classify(direction, &CallKeys::new(direction, from, to, true), &table)
}

fn npa_nxx(s: &str) -> NpaNxx {
    NpaNxx::parse(s).unwrap_or_else(|e| panic!("bad test NPA-NXX {s}: {e}"))
}

fn local_calling(pairs: &[(&str, &str)]) -> LocalCalling {
    LocalCalling::new(pairs.iter().map(|&(a, b)| (npa_nxx(a), npa_nxx(b))))
}

// ---------------------------------------------------------------------------------------------
// 3.4 Increments
// ---------------------------------------------------------------------------------------------

#[test]
fn billable_seconds_follow_the_increments() {
    // (initial, subsequent, duration, billable)
    let table: &[(u32, u32, u32, u64)] = &[
        // contract examples, 30/6
        (30, 6, 1, 30),
        (30, 6, 30, 30),
        (30, 6, 31, 36),
        (30, 6, 61, 66),
        (30, 6, 29, 30),
        (30, 6, 36, 36),
        (30, 6, 37, 42),
        (30, 6, 66, 66),
        (30, 6, 67, 72),
        // 60/60, the default
        (60, 60, 1, 60),
        (60, 60, 59, 60),
        (60, 60, 60, 60),
        (60, 60, 61, 120),
        (60, 60, 119, 120),
        (60, 60, 120, 120),
        (60, 60, 121, 180),
        (60, 60, 3600, 3600),
        (60, 60, 3601, 3660),
        // 1/1: per second
        (1, 1, 1, 1),
        (1, 1, 2, 2),
        (1, 1, 59, 59),
        (1, 1, 3601, 3601),
        // 6/6
        (6, 6, 1, 6),
        (6, 6, 5, 6),
        (6, 6, 6, 6),
        (6, 6, 7, 12),
        (6, 6, 12, 12),
        (6, 6, 13, 18),
        // mixed
        (60, 1, 1, 60),
        (60, 1, 61, 61),
        (1, 60, 1, 1),
        (1, 60, 2, 61),
        (1, 60, 61, 61),
        (1, 60, 62, 121),
        // unanswered: never billable, whatever the increments
        (30, 6, 0, 0),
        (60, 60, 0, 0),
        (1, 1, 0, 0),
        (6, 6, 0, 0),
    ];
    for &(i, s, d, want) in table {
        let inc = Increments::new(i, s).expect("valid increments");
        assert_eq!(inc.billable(d), want, "{i}/{s} with {d} s");
    }
}

#[test]
fn billable_seconds_do_not_overflow() {
    let inc = Increments::new(u32::MAX, u32::MAX).expect("valid");
    assert_eq!(inc.billable(u32::MAX), u64::from(u32::MAX));
    let inc = Increments::new(1, u32::MAX).expect("valid");
    assert_eq!(inc.billable(u32::MAX), 1 + u64::from(u32::MAX));
}

#[test]
fn increments_default_and_validation() {
    let d = Increments::default();
    assert_eq!((d.initial(), d.subsequent()), (60, 60));
    assert_eq!(Increments::new(60, 60), Some(d));
    assert_eq!(Increments::new(0, 6), None);
    assert_eq!(Increments::new(6, 0), None);
    assert_eq!(Increments::new(0, 0), None);
    let inc = Increments::new(30, 6).expect("valid");
    assert_eq!((inc.initial(), inc.subsequent()), (30, 6));

    for (s, want) in [("1", Some(1)), ("60", Some(60)), ("006", Some(6))] {
        assert_eq!(Increments::parse_one(s).ok(), want, "{s:?}");
    }
    for s in ["0", "-1", "", "1.5", "abc", "6 ", "99999999999"] {
        assert_eq!(Increments::parse_one(s), Err(ParseError::Increment(s.to_owned())), "{s:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Numbers
// ---------------------------------------------------------------------------------------------

#[test]
fn normalisation_follows_the_contract() {
    let table = [
        // contract examples
        ("+44 20 7946 0000", "442079460000"),
        ("01144207946", "44207946"),
        ("(212) 555-0100", "12125550100"),
        ("+4930123456", "4930123456"),
        ("1234", "1234"),
        // more
        ("1-913-555-2914", "19135552914"),
        ("913.555.2914", "19135552914"),
        ("+1 (913) 555-2914", "19135552914"),
        ("19135552914", "19135552914"),
        ("011 44 20 7946 0000", "442079460000"),
        ("011", ""),
        ("0114", "4"),
        // `+` comes first: the digits stay as they are, even `011…` or 10 digits
        ("+01144207946", "01144207946"),
        ("+2125550100", "2125550100"),
        // 10 digits starting with 011: the `011` rule wins over the NANP rule
        ("0114420794", "4420794"),
        // neither rule: as is
        ("911", "911"),
        ("212555010", "212555010"),
        ("212555010000", "212555010000"),
        ("", ""),
        ("anonymous", ""),
        ("+", ""),
        ("sip:1234@pbx.example.com", "1234"),
        ("tel:+44-20-7946-0000", "442079460000"),
    ];
    for (raw, want) in table {
        assert_eq!(key_str(raw), want, "{raw:?}");
        assert_eq!(MatchKey::normalise(raw).len(), want.len(), "{raw:?}");
        assert_eq!(MatchKey::normalise(raw).is_empty(), want.is_empty(), "{raw:?}");
        assert_eq!(MatchKey::normalise(raw).to_string(), want, "{raw:?}");
    }
}

#[test]
fn match_keys_with_the_same_digits_are_equal() {
    use std::collections::HashSet;
    // The same E.164 number written three ways.
    let a = MatchKey::normalise("01144207946");
    let b = MatchKey::normalise("+44207946");
    let c = MatchKey::normalise("44207946");
    assert_eq!(a, b);
    assert_eq!(b, c);
    let set: HashSet<MatchKey> = [a, b, c].into_iter().collect();
    assert_eq!(set.len(), 1);
    assert_ne!(MatchKey::normalise("4420794"), MatchKey::normalise("44207946"));
}

#[test]
fn long_numbers_keep_their_first_digits_and_true_length() {
    let digits: String = "1234567890".repeat(4); // 40 digits
    let plain = MatchKey::normalise(&digits);
    assert_eq!(plain.len(), 40);
    assert_eq!(plain.as_str(), &digits[..rating::number::MAX_DIGITS]);

    // `011` then 40 digits: the key is the 40 digits, of which the first 32 are kept.
    let intl = MatchKey::normalise(&format!("011{digits}"));
    assert_eq!(intl.len(), 40);
    assert_eq!(intl.as_str(), &digits[..rating::number::MAX_DIGITS]);
    assert_eq!(intl, plain);

    // `011` then 30 digits: nothing lost.
    let intl = MatchKey::normalise(&format!("011{}", &digits[..30]));
    assert_eq!(intl.as_str(), &digits[..30]);
}

#[test]
fn prefix_parsing() {
    for s in ["", "1", "44", "0123456789", &"9".repeat(rating::number::MAX_DIGITS)] {
        assert_eq!(Prefix::parse(s).expect("valid prefix").as_str(), s);
    }
    for s in ["+44", "44 20", "4a", "-1", &"9".repeat(rating::number::MAX_DIGITS + 1)] {
        assert_eq!(Prefix::parse(s), Err(ParseError::Prefix(s.to_owned())), "{s:?}");
    }
}

#[test]
fn the_remote_party_is_the_match_key() {
    assert_eq!(Direction::Inbound.remote("from", "to"), "from");
    assert_eq!(Direction::Outbound.remote("from", "to"), "to");
    assert_eq!(Direction::Internal.remote("from", "to"), "to");
}

#[test]
fn directions_and_call_types_parse() {
    for d in [Direction::Inbound, Direction::Outbound, Direction::Internal] {
        assert_eq!(d.as_str().parse::<Direction>(), Ok(d));
        assert_eq!(Direction::from_code(d.code()), Some(d));
        assert_eq!(d.to_string(), d.as_str());
    }
    assert_eq!(Direction::from_code(3), None);
    assert!("Inbound".parse::<Direction>().is_err());

    for s in ["domestic", "toll_free", "on_net", "a", "x9", "_"] {
        assert_eq!(CallType::parse(s).expect("valid").as_str(), s);
    }
    for s in ["", "Domestic", "toll-free", "on net", "émergency"] {
        assert_eq!(CallType::parse(s), Err(ParseError::CallType(s.to_owned())), "{s:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// 3.2 Classification
// ---------------------------------------------------------------------------------------------

#[test]
fn classification_covers_every_branch() {
    use Direction::{Inbound, Internal, Outbound};
    let table: &[(Direction, &str, &str, &str)] = &[
        // internal → on_net, whatever the numbers
        (Internal, "1001", "1002", "on_net"),
        (Internal, "+12125550100", "+442079460000", "on_net"),
        (Internal, "1001", "911", "on_net"),
        (Internal, "1001", "1-800-555-0100", "on_net"),
        // outbound emergency: the match key is exactly 911 or 933
        (Outbound, "1001", "911", "emergency"),
        (Outbound, "1001", "933", "emergency"),
        (Outbound, "1001", "+911", "emergency"),
        (Outbound, "1001", "9-1-1", "emergency"),
        // outbound, 6 digits or fewer → on_net
        (Outbound, "1001", "912", "on_net"),
        (Outbound, "1001", "9110", "on_net"),
        (Outbound, "1001", "1911", "on_net"),
        (Outbound, "1001", "91", "on_net"),
        (Outbound, "1001", "1", "on_net"),
        (Outbound, "1001", "", "on_net"),
        (Outbound, "1001", "1234", "on_net"),
        (Outbound, "1001", "123456", "on_net"),
        (Outbound, "1001", "+123456", "on_net"),
        // outbound, 11 digits starting with 1 → domestic
        (Outbound, "1001", "(212) 555-0100", "domestic"),
        (Outbound, "1001", "212-555-0100", "domestic"),
        (Outbound, "1001", "1-913-555-2914", "domestic"),
        (Outbound, "1001", "+1 913 555 2914", "domestic"),
        (Outbound, "1001", "1-800-555-0100", "domestic"),
        (Outbound, "1001", "01119135552914", "domestic"),
        // `011` then 10 digits: exactly one rule applies, no `1` is put in front
        (Outbound, "1001", "0111913555291", "international"),
        // everything else outbound → international
        (Outbound, "1001", "1234567", "international"),
        (Outbound, "1001", "+44 20 7946 0000", "international"),
        (Outbound, "1001", "011 44 20 7946 0000", "international"),
        (Outbound, "1001", "01144207946", "international"),
        (Outbound, "1001", "+4930123456", "international"),
        (Outbound, "1001", "+2125550100", "international"),
        (Outbound, "1001", "22125550100", "international"),
        (Outbound, "1001", "121255501000", "international"),
        // 10 digits, even starting with 1, get a `1` in front: 11212555010 is "domestic"
        (Outbound, "1001", "1212555010", "domestic"),
        // inbound: the `to` number decides toll-free, normalised
        (Inbound, "+442079460000", "1-800-555-0100", "toll_free"),
        (Inbound, "+442079460000", "1-833-555-0100", "toll_free"),
        (Inbound, "+442079460000", "1-844-555-0100", "toll_free"),
        (Inbound, "+442079460000", "1-855-555-0100", "toll_free"),
        (Inbound, "+442079460000", "1-866-555-0100", "toll_free"),
        (Inbound, "+442079460000", "1-877-555-0100", "toll_free"),
        (Inbound, "+442079460000", "1-888-555-0100", "toll_free"),
        (Inbound, "2125550100", "(800) 555-0100", "toll_free"),
        (Inbound, "2125550100", "+1 888 555 0100", "toll_free"),
        (Inbound, "2125550100", "011 1 877 555 0100", "toll_free"),
        (Inbound, "", "8005550100", "toll_free"),
        // inbound otherwise → inbound
        (Inbound, "2125550100", "1-811-555-0100", "inbound"),
        (Inbound, "2125550100", "1-899-555-0100", "inbound"),
        (Inbound, "2125550100", "1-822-555-0100", "inbound"),
        (Inbound, "2125550100", "(212) 555-0199", "inbound"),
        (Inbound, "2125550100", "+44 800 555 0100", "inbound"),
        // the `from` number never makes a call toll-free
        (Inbound, "1-800-555-0100", "(212) 555-0199", "inbound"),
        // inbound from 911, or from a short number, is still inbound
        (Inbound, "911", "(212) 555-0199", "inbound"),
        (Inbound, "1001", "(212) 555-0199", "inbound"),
        (Inbound, "", "", "inbound"),
    ];
    for &(direction, from, to, want) in table {
        assert_eq!(classify_raw(direction, from, to), want, "{direction} {from:?} → {to:?}");
    }
}

#[test]
fn toll_free_prefixes_are_exactly_the_contracts() {
    for npa in 800..900 {
        let to = format!("1{npa}5550100");
        let want = if [800, 833, 844, 855, 866, 877, 888].contains(&npa) { "toll_free" } else { "inbound" };
        assert_eq!(classify_raw(Direction::Inbound, "2125550100", &to), want, "{to}");
    }
}

// ---------------------------------------------------------------------------------------------
// 3.3 Rate selection: longest prefix, customer override
// ---------------------------------------------------------------------------------------------

#[test]
fn longest_prefix_wins() {
    let d = Owner::Default;
    let idx = build(vec![
        open(1, "international", "", &d),
        open(2, "international", "4", &d),
        open(3, "international", "44", &d),
        open(4, "international", "447", &d),
        open(5, "international", "4479", &d),
        open(6, "domestic", "1", &d),
        open(7, "domestic", "1212", &d),
    ]);
    let table = [
        ("international", "+44 7911 123456", Some(5)),
        ("international", "+44 7811 123456", Some(4)),
        ("international", "+44 20 7946 0000", Some(3)),
        ("international", "+49 30 123456", Some(2)),
        ("international", "+33 1 23 45 67 89", Some(1)),
        ("international", "", Some(1)),
        ("international", "4", Some(2)),
        ("international", "447", Some(4)),
        ("domestic", "(212) 555-0100", Some(7)),
        ("domestic", "(213) 555-0100", Some(6)),
        // no domestic prefix matches a key starting with 2
        ("domestic", "+2125550100", None),
        // unknown call type: unrated
        ("premium", "+44 20 7946 0000", None),
    ];
    for (ct, number, want) in table {
        assert_eq!(find_id(&idx, "anyone", ct, number, 0), want, "{ct} {number}");
    }
}

#[test]
fn a_prefix_longer_than_the_key_does_not_match() {
    let d = Owner::Default;
    let idx = build(vec![open(1, "international", "4420", &d), open(2, "international", "44", &d)]);
    assert_eq!(find_id(&idx, "c", "international", "+442", 0), Some(2));
    assert_eq!(find_id(&idx, "c", "international", "+4", 0), None);
}

#[test]
fn the_customers_own_candidates_beat_the_default_deck_whatever_their_prefix() {
    let d = Owner::Default;
    let acme = customer("acme");
    let idx = build(vec![
        open(1, "international", "", &d),
        open(2, "international", "44", &d),
        open(3, "international", "4420", &d),
        open(10, "international", "", &acme),
        open(11, "international", "4", &acme),
        open(20, "domestic", "1", &d),
    ]);
    let table = [
        // acme: its own catch-all and `4` beat the default's longer `4420` and `44`
        ("acme", "international", "+44 20 7946 0000", Some(11)),
        ("acme", "international", "+33 1 23 45 67 89", Some(10)),
        // acme has no domestic rates: the default deck prices them
        ("acme", "domestic", "(212) 555-0100", Some(20)),
        // other customers: the default deck
        ("other", "international", "+44 20 7946 0000", Some(3)),
        ("other", "international", "+44 161 496 0000", Some(2)),
        ("other", "international", "+33 1 23 45 67 89", Some(1)),
        // an owner id is not a customer's id: `Default` is not the customer "default"
        ("default", "international", "+44 20 7946 0000", Some(3)),
    ];
    for (cust, ct, number, want) in table {
        assert_eq!(find_id(&idx, cust, ct, number, 0), want, "{cust} {ct} {number}");
    }
}

#[test]
fn a_customer_tier_without_a_candidate_falls_back_to_the_default_deck() {
    let d = Owner::Default;
    let acme = customer("acme");
    let idx = build(vec![
        open(1, "international", "", &d),
        open(2, "international", "44", &d),
        // acme has international rates, but only for France, and for Germany only in a window
        open(10, "international", "33", &acme),
        rate(11, "international", "49", &acme, window(Some(100), Some(200))),
    ]);
    let table = [
        // no acme prefix matches: default
        ("+44 20 7946 0000", 0, Some(2)),
        ("+1 212 555 0100", 0, Some(1)),
        // acme's prefix matches
        ("+33 1 23 45 67 89", 0, Some(10)),
        // acme's prefix matches but its window does not hold the start: default
        ("+49 30 123456", 99, Some(1)),
        ("+49 30 123456", 100, Some(11)),
        ("+49 30 123456", 199, Some(11)),
        ("+49 30 123456", 200, Some(1)),
    ];
    for (number, start, want) in table {
        assert_eq!(find_id(&idx, "acme", "international", number, start), want, "{number} at {start}");
    }
}

#[test]
fn a_customer_without_a_default_fallback_is_unrated() {
    let acme = customer("acme");
    let idx = build(vec![open(10, "international", "33", &acme)]);
    assert_eq!(find_id(&idx, "acme", "international", "+33 1 23 45 67 89", 0), Some(10));
    assert_eq!(find_id(&idx, "acme", "international", "+44 20 7946 0000", 0), None);
    assert_eq!(find_id(&idx, "other", "international", "+33 1 23 45 67 89", 0), None);
    assert!(idx.knows_call_type("international"));
    assert!(!idx.knows_call_type("domestic"));
}

#[test]
fn an_empty_deck_rates_nothing() {
    let idx = build(Vec::new());
    assert_eq!(find_id(&idx, "acme", "domestic", "(212) 555-0100", 0), None);
    assert!(idx.rates().is_empty());
    assert!(!idx.knows_call_type("domestic"));
}

#[test]
fn the_index_keeps_the_deck_in_order() {
    let d = Owner::Default;
    let rates = vec![open(3, "b", "1", &d), open(1, "a", "", &d), open(2, "a", "1", &customer("x"))];
    let idx = build(rates.clone());
    assert_eq!(idx.rates(), &rates[..]);
}

// ---------------------------------------------------------------------------------------------
// 3.3 Effective windows
// ---------------------------------------------------------------------------------------------

#[test]
fn windows_are_half_open() {
    let w = window(Some(100), Some(200));
    for (t, holds) in [(i64::MIN, false), (99, false), (100, true), (150, true), (199, true), (200, false)] {
        assert_eq!(w.holds(t), holds, "[100, 200) at {t}");
    }
    let from = window(Some(100), None);
    for (t, holds) in [(99, false), (100, true), (i64::MAX, true)] {
        assert_eq!(from.holds(t), holds, "[100, ∞) at {t}");
    }
    let to = window(None, Some(200));
    for (t, holds) in [(i64::MIN, true), (199, true), (200, false)] {
        assert_eq!(to.holds(t), holds, "(-∞, 200) at {t}");
    }
    for t in [i64::MIN, 0, i64::MAX] {
        assert!(Window::OPEN.holds(t));
    }
}

#[test]
fn window_overlap_table() {
    let w = |f: Option<i64>, t: Option<i64>| window(f, t);
    let table = [
        // back to back: no overlap, either order
        (w(Some(0), Some(10)), w(Some(10), Some(20)), false),
        (w(None, Some(10)), w(Some(10), None), false),
        // apart
        (w(Some(0), Some(10)), w(Some(11), Some(20)), false),
        // one instant shared
        (w(Some(0), Some(11)), w(Some(10), Some(20)), true),
        // nested, equal, open
        (w(Some(0), Some(100)), w(Some(10), Some(20)), true),
        (w(Some(0), Some(10)), w(Some(0), Some(10)), true),
        (Window::OPEN, w(Some(10), Some(20)), true),
        (Window::OPEN, Window::OPEN, true),
        (w(None, Some(10)), w(None, Some(5)), true),
        (w(Some(10), None), w(Some(5), None), true),
        (w(None, Some(10)), w(Some(9), None), true),
    ];
    for (a, b, want) in table {
        assert_eq!(a.overlaps(&b), want, "{a:?} vs {b:?}");
        assert_eq!(b.overlaps(&a), want, "{b:?} vs {a:?}");
    }
}

#[test]
fn rate_windows_are_matched_at_their_exact_boundaries() {
    let d = Owner::Default;
    const T: Micros = 1_767_225_600_000_000; // 2026-01-01T00:00:00Z
    const U: Micros = T + 86_400_000_000;
    let idx = build(vec![rate(1, "domestic", "1", &d, window(Some(T), Some(U)))]);
    let table = [(T - 1, None), (T, Some(1)), (T + 1, Some(1)), (U - 1, Some(1)), (U, None), (U + 1, None)];
    for (start, want) in table {
        assert_eq!(find_id(&idx, "c", "domestic", "(212) 555-0100", start), want, "at {start}");
    }
}

#[test]
fn back_to_back_windows_hand_over_at_the_boundary() {
    let d = Owner::Default;
    const T: Micros = 1_000_000;
    // a price change at T: the old rate closes at T, the new one starts at T; a third from 2T
    let idx = build(vec![
        rate(2, "domestic", "1", &d, window(Some(T), Some(2 * T))),
        rate(1, "domestic", "1", &d, window(None, Some(T))),
        rate(3, "domestic", "1", &d, window(Some(2 * T), None)),
    ]);
    let table = [
        (i64::MIN, Some(1)),
        (T - 1, Some(1)),
        (T, Some(2)),
        (2 * T - 1, Some(2)),
        (2 * T, Some(3)),
        (i64::MAX - 1, Some(3)),
    ];
    for (start, want) in table {
        assert_eq!(find_id(&idx, "c", "domestic", "(212) 555-0100", start), want, "at {start}");
    }
}

#[test]
fn a_shorter_prefix_prices_the_gap_between_windows_of_a_longer_one() {
    let d = Owner::Default;
    let idx = build(vec![
        open(1, "international", "44", &d),
        rate(2, "international", "4420", &d, window(Some(10), Some(20))),
        rate(3, "international", "4420", &d, window(Some(30), None)),
    ]);
    let table = [(9, Some(1)), (10, Some(2)), (20, Some(1)), (29, Some(1)), (30, Some(3))];
    for (start, want) in table {
        assert_eq!(find_id(&idx, "c", "international", "+44 20 7946 0000", start), want, "at {start}");
    }
}

// ---------------------------------------------------------------------------------------------
// 3.3 Conflicts
// ---------------------------------------------------------------------------------------------

#[test]
fn build_refuses_overlapping_windows_in_one_slot() {
    let d = Owner::Default;
    let acme = customer("acme");
    let w = |f: Option<i64>, t: Option<i64>| window(f, t);
    let table: Vec<(Vec<Rate>, Option<Conflict>)> = vec![
        // identical open rates
        (vec![open(0, "domestic", "1", &d), open(1, "domestic", "1", &d)], Some(Conflict { first: 0, second: 1 })),
        // the empty prefix too
        (vec![open(0, "domestic", "", &d), open(1, "domestic", "", &d)], Some(Conflict { first: 0, second: 1 })),
        // a customer's rates
        (
            vec![open(0, "domestic", "1", &acme), open(1, "domestic", "1", &acme)],
            Some(Conflict { first: 0, second: 1 }),
        ),
        // overlapping by one instant
        (
            vec![rate(0, "domestic", "1", &d, w(Some(0), Some(11))), rate(1, "domestic", "1", &d, w(Some(10), None))],
            Some(Conflict { first: 0, second: 1 }),
        ),
        // an open rate and a windowed one
        (
            vec![open(0, "domestic", "1", &d), rate(1, "domestic", "1", &d, w(Some(10), Some(20)))],
            Some(Conflict { first: 0, second: 1 }),
        ),
        // the conflict names the two rates, with others around
        (
            vec![
                rate(0, "domestic", "1", &d, w(None, Some(10))),
                open(1, "domestic", "12", &d),
                rate(2, "domestic", "1", &d, w(Some(10), Some(20))),
                rate(3, "domestic", "1", &d, w(Some(15), None)),
            ],
            Some(Conflict { first: 2, second: 3 }),
        ),
        // back to back: accepted
        (
            vec![
                rate(0, "domestic", "1", &d, w(None, Some(10))),
                rate(1, "domestic", "1", &d, w(Some(10), Some(20))),
                rate(2, "domestic", "1", &d, w(Some(20), None)),
            ],
            None,
        ),
        // same windows in different slots: accepted
        (
            vec![
                open(0, "domestic", "1", &d),
                open(1, "domestic", "12", &d),
                open(2, "domestic", "", &d),
                open(3, "international", "1", &d),
                open(4, "domestic", "1", &acme),
                open(5, "domestic", "1", &customer("other")),
            ],
            None,
        ),
    ];
    for (i, (rates, want)) in table.into_iter().enumerate() {
        match (RateIndex::build(rates), want) {
            (Ok(_), None) => {}
            (Err(got), Some(want)) => assert_eq!(got, want, "case {i}"),
            (got, want) => panic!("case {i}: got {:?}, want {want:?}", got.map(|_| "an index")),
        }
    }
}

#[test]
fn rate_conflict_predicates() {
    let d = Owner::Default;
    let a = rate(1, "domestic", "1", &d, window(None, Some(10)));
    let b = rate(2, "domestic", "1", &d, window(Some(10), None));
    let c = rate(3, "domestic", "1", &d, window(Some(5), None));
    assert!(a.same_slot(&b));
    assert!(!a.conflicts_with(&b));
    assert!(a.conflicts_with(&c));
    assert!(!a.conflicts_with(&rate(4, "domestic", "12", &d, Window::OPEN)));
    assert!(!a.conflicts_with(&rate(4, "domestic", "1", &customer("x"), Window::OPEN)));

    // same_terms ignores the id and description, not the price or the window
    let mut twin = a.clone();
    twin.id = 99;
    twin.description = "another".into();
    twin.price = a.price;
    assert!(a.same_terms(&twin));
    twin.price = price("0.01");
    assert!(!a.same_terms(&twin));
    assert!(!a.same_terms(&b));
}

#[test]
fn owner_display() {
    assert_eq!(Owner::Default.to_string(), "deck:default");
    assert_eq!(customer("acme").to_string(), "customer:acme");
    assert_eq!(deck("wholesale").to_string(), "deck:wholesale");
}

// ---------------------------------------------------------------------------------------------
// Amendment 3.3: three tiers (the customer's own rates, the customer's deck, the default deck)
// ---------------------------------------------------------------------------------------------

#[test]
fn a_customer_rate_beats_a_deck_rate_which_beats_a_default_rate_whatever_the_prefixes() {
    let d = Owner::Default;
    let acme = customer("acme");
    let ws = deck("wholesale");
    let idx = build(vec![
        open(1, "international", "", &d),
        open(2, "international", "44", &d),
        open(3, "international", "4420794", &d),
        open(10, "international", "", &ws),
        open(11, "international", "4420", &ws),
        open(20, "international", "", &acme),
        open(21, "international", "4", &acme),
        open(30, "domestic", "1212555", &d),
        open(31, "domestic", "1", &ws),
    ]);
    let table = [
        // acme, in the wholesale deck: its own `4` beats the deck's `4420` and the default's `4420794`
        (("acme", Some("wholesale")), "international", "+44 20 7946 0000", Some(21)),
        (("acme", Some("wholesale")), "international", "+33 1 23 45 67 89", Some(20)),
        // acme has no domestic rates: the deck's `1` beats the default's `1212555`
        (("acme", Some("wholesale")), "domestic", "(212) 555-0100", Some(31)),
        // bob, in the wholesale deck: the deck's catch-all beats the default's longer prefixes
        (("bob", Some("wholesale")), "international", "+44 20 7946 0000", Some(11)),
        (("bob", Some("wholesale")), "international", "+44 161 496 0000", Some(10)),
        (("bob", Some("wholesale")), "domestic", "(212) 555-0100", Some(31)),
        // carol, without a deck: the default deck
        (("carol", None), "international", "+44 20 7946 0000", Some(3)),
        (("carol", None), "international", "+44 161 496 0000", Some(2)),
        (("carol", None), "domestic", "(212) 555-0100", Some(30)),
        (("carol", None), "domestic", "(213) 555-0100", None),
        // acme without a deck: its own rates, then the default deck
        (("acme", None), "international", "+44 20 7946 0000", Some(21)),
        (("acme", None), "domestic", "(212) 555-0100", Some(30)),
    ];
    for (who, ct, number, want) in table {
        assert_eq!(find_in(&idx, who, ct, number, "", 0), want, "{who:?} {ct} {number}");
    }
}

#[test]
fn a_tier_with_rates_for_the_type_but_no_candidate_is_passed_over() {
    let d = Owner::Default;
    let acme = customer("acme");
    let ws = deck("wholesale");
    let idx = build(vec![
        open(1, "international", "", &d),
        // acme: France; Germany only in [100, 200); the UK only from a 212 number
        open(10, "international", "33", &acme),
        rate(11, "international", "49", &acme, window(Some(100), Some(200))),
        local(12, "international", "44", "1212", &acme),
        // wholesale: Germany; the UK only from a 646 number; Japan only from 2026 on
        open(20, "international", "49", &ws),
        local(21, "international", "44", "1646", &ws),
        rate(22, "international", "81", &ws, window(Some(1_000), None)),
    ]);
    let who = ("acme", Some("wholesale"));
    // (number, own number, start, rate)
    let table = [
        ("+33 1 23 45 67 89", "", 0, Some(10)),
        // acme's window does not hold the start: the deck
        ("+49 30 123456", "", 99, Some(20)),
        ("+49 30 123456", "", 150, Some(11)),
        ("+49 30 123456", "", 200, Some(20)),
        // acme's local prefix matches, or not: then the deck's, or not: then the default
        ("+44 20 7946 0000", "(212) 555-0100", 0, Some(12)),
        ("+44 20 7946 0000", "(646) 555-0100", 0, Some(21)),
        ("+44 20 7946 0000", "(718) 555-0100", 0, Some(1)),
        ("+44 20 7946 0000", "", 0, Some(1)),
        // no prefix of acme's or the deck's matches: the default
        ("+81 3 1234 5678", "", 999, Some(1)),
        ("+81 3 1234 5678", "", 1_000, Some(22)),
        ("+7 495 123 4567", "(212) 555-0100", 0, Some(1)),
    ];
    for (number, own, start, want) in table {
        assert_eq!(find_in(&idx, who, "international", number, own, start), want, "{number} from {own:?} at {start}");
    }

    // which tiers have rates of a type, as unrated calls are explained
    let t = |c: &str, d: Option<&str>| idx.tiers(c, d);
    assert_eq!(idx.tiers_with(&t("acme", Some("wholesale")), "international"), [true, true, true]);
    assert_eq!(idx.tiers_with(&t("acme", None), "international"), [true, false, true]);
    assert_eq!(idx.tiers_with(&t("bob", Some("wholesale")), "international"), [false, true, true]);
    assert_eq!(idx.tiers_with(&t("bob", Some("retail")), "international"), [false, false, true]);
    assert_eq!(idx.tiers_with(&t("acme", Some("wholesale")), "domestic"), [false; 3]);
}

#[test]
fn when_every_tier_is_passed_over_the_call_is_unrated() {
    let acme = customer("acme");
    let ws = deck("wholesale");
    let idx = build(vec![open(10, "international", "33", &acme), local(20, "international", "44", "1646", &ws)]);
    let who = ("acme", Some("wholesale"));
    assert_eq!(find_in(&idx, who, "international", "+33 1 23 45 67 89", "", 0), Some(10));
    assert_eq!(find_in(&idx, who, "international", "+44 20 7946 0000", "(646) 555-0100", 0), Some(20));
    assert_eq!(find_in(&idx, who, "international", "+44 20 7946 0000", "(212) 555-0100", 0), None);
    assert_eq!(find_in(&idx, who, "international", "+49 30 123456", "(646) 555-0100", 0), None);
    assert_eq!(idx.tiers_with(&idx.tiers("acme", Some("wholesale")), "international"), [true, true, false]);
}

#[test]
fn a_deck_prices_only_the_customers_assigned_to_it() {
    let d = Owner::Default;
    let idx = build(vec![
        open(1, "international", "", &d),
        open(10, "international", "44", &deck("wholesale")),
        open(20, "international", "44", &deck("retail")),
        // a deck and a customer with the same id are different owners
        open(30, "international", "44", &deck("acme")),
        open(40, "international", "33", &customer("acme")),
    ]);
    let table = [
        (("acme", Some("wholesale")), "+44 20 7946 0000", Some(10)),
        (("bob", Some("retail")), "+44 20 7946 0000", Some(20)),
        // another customer's deck is never used
        (("carol", None), "+44 20 7946 0000", Some(1)),
        (("carol", Some("retail")), "+44 20 7946 0000", Some(20)),
        (("acme", Some("retail")), "+44 20 7946 0000", Some(20)),
        // a deck named like the customer is not the customer's deck, nor its rates the deck's
        (("acme", None), "+44 20 7946 0000", Some(1)),
        (("acme", None), "+33 1 23 45 67 89", Some(40)),
        (("bob", Some("acme")), "+44 20 7946 0000", Some(30)),
        (("bob", Some("acme")), "+33 1 23 45 67 89", Some(1)),
        // a customer named like a deck does not get the deck
        (("wholesale", None), "+44 20 7946 0000", Some(1)),
        // a deck without rates, or `default` (the default deck is the third tier anyway)
        (("dave", Some("empty")), "+44 20 7946 0000", Some(1)),
        (("dave", Some("default")), "+44 20 7946 0000", Some(1)),
    ];
    for (who, number, want) in table {
        assert_eq!(find_in(&idx, who, "international", number, "", 0), want, "{who:?} {number}");
    }
}

// ---------------------------------------------------------------------------------------------
// Amendment 3.3: the local-side prefix
// ---------------------------------------------------------------------------------------------

#[test]
fn within_a_tier_the_longest_prefix_wins_then_the_longest_local_prefix() {
    let d = Owner::Default;
    let idx = build(vec![
        open(1, "domestic", "1", &d),
        local(2, "domestic", "1", "1212", &d),
        local(3, "domestic", "1", "1212555", &d),
        local(4, "domestic", "1", "1646", &d),
        open(5, "domestic", "1212", &d),
        local(6, "domestic", "1212", "1", &d),
        local(7, "domestic", "1212", "1646", &d),
        local(8, "domestic", "1212555", "1999", &d),
    ]);
    assert!(idx.uses_local_prefixes());
    // (number, own number, rate)
    let table = [
        // the same prefix `1`: the longest local prefix that matches
        ("(213) 555-0100", "(213) 555-0199", Some(1)),
        ("(213) 555-0100", "(212) 444-0199", Some(2)),
        ("(213) 555-0100", "(212) 555-0199", Some(3)),
        ("(213) 555-0100", "(646) 555-0199", Some(4)),
        // a longer prefix beats a longer local prefix: `1212` with `1` beats `1` with `1212555`
        ("(212) 555-0100", "(212) 555-0199", Some(6)),
        ("(212) 555-0100", "(646) 555-0199", Some(7)),
        // no local prefix of `1212` matches: its rate without one
        ("(212) 555-0100", "+44 20 7946 0000", Some(5)),
        ("(212) 555-0100", "", Some(5)),
        // `1212555` is a candidate only from a 999 number; otherwise `1212` prices the call
        ("(212) 555-0100", "(999) 555-0100", Some(8)),
        ("(212) 444-0100", "(999) 555-0100", Some(6)),
        ("(213) 555-0100", "+44 20 7946 0000", Some(1)),
    ];
    for (number, own, want) in table {
        assert_eq!(find_in(&idx, ("c", None), "domestic", number, own, 0), want, "{number} from {own:?}");
    }
}

#[test]
fn a_local_prefix_that_does_not_match_the_local_key_is_not_a_candidate() {
    let d = Owner::Default;
    let idx = build(vec![local(1, "domestic", "1", "1212", &d), local(2, "domestic", "1212", "1646", &d)]);
    let table = [
        ("(212) 555-0100", "(646) 555-0199", Some(2)),
        ("(212) 555-0100", "(212) 555-0199", Some(1)),
        ("(213) 555-0100", "(212) 555-0199", Some(1)),
        ("(213) 555-0100", "(646) 555-0199", None),
        ("(212) 555-0100", "(718) 555-0199", None),
        // a local prefix longer than the local key does not match it
        ("(212) 555-0100", "121", None),
        // an empty local key (not normalised) matches no local prefix
        ("(212) 555-0100", "", None),
    ];
    for (number, own, want) in table {
        assert_eq!(find_in(&idx, ("c", None), "domestic", number, own, 0), want, "{number} from {own:?}");
    }
    assert_eq!(find_id(&idx, "c", "domestic", "(212) 555-0100", 0), None);
}

#[test]
fn a_local_prefix_rate_outside_its_window_gives_way_to_a_shorter_local_prefix() {
    let d = Owner::Default;
    let mut windowed = local(2, "domestic", "1", "1212", &d);
    windowed.window = window(Some(100), Some(200));
    let idx = build(vec![open(1, "domestic", "1", &d), windowed]);
    for (start, want) in [(99, Some(1)), (100, Some(2)), (199, Some(2)), (200, Some(1))] {
        assert_eq!(find_in(&idx, ("c", None), "domestic", "(646) 555-0100", "(212) 555-0199", start), want, "{start}");
    }
}

#[test]
fn a_deck_without_local_prefixes_ignores_the_local_key() {
    let d = Owner::Default;
    let idx = build(vec![open(1, "domestic", "1", &d), open(2, "domestic", "1212", &deck("ws"))]);
    assert!(!idx.uses_local_prefixes());
    for own in ["", "(212) 555-0199", "+44 20 7946 0000", "1001"] {
        assert_eq!(find_in(&idx, ("c", Some("ws")), "domestic", "(212) 555-0100", own, 0), Some(2), "{own:?}");
        assert_eq!(find_in(&idx, ("c", None), "domestic", "(212) 555-0100", own, 0), Some(1), "{own:?}");
    }
    assert!(!build(Vec::new()).uses_local_prefixes());
}

// ---------------------------------------------------------------------------------------------
// Amendment 3.3: conflicts include the local prefix and the deck
// ---------------------------------------------------------------------------------------------

#[test]
fn conflicts_are_per_type_prefix_local_prefix_and_owner() {
    let d = Owner::Default;
    let ws = deck("wholesale");
    let w = |f: Option<i64>, t: Option<i64>| window(f, t);
    let windowed = |mut r: Rate, f: Option<i64>, t: Option<i64>| {
        r.window = w(f, t);
        r
    };
    let clash = Some(Conflict { first: 0, second: 1 });
    let table: Vec<(Vec<Rate>, Option<Conflict>)> = vec![
        // same type, prefix, local prefix and owner, overlapping: refused, for every kind of owner
        (vec![local(0, "domestic", "1", "1212", &d), local(1, "domestic", "1", "1212", &d)], clash.clone()),
        (vec![local(0, "domestic", "1", "1212", &ws), local(1, "domestic", "1", "1212", &ws)], clash.clone()),
        (vec![open(0, "domestic", "1", &ws), open(1, "domestic", "1", &ws)], clash.clone()),
        (
            vec![local(0, "domestic", "1", "1212", &customer("a")), local(1, "domestic", "1", "1212", &customer("a"))],
            clash.clone(),
        ),
        (
            vec![
                windowed(local(0, "domestic", "1", "1212", &ws), None, Some(11)),
                windowed(local(1, "domestic", "1", "1212", &ws), Some(10), None),
            ],
            clash.clone(),
        ),
        // the conflict names the two rates, with others around
        (
            vec![
                local(0, "domestic", "1", "1646", &ws),
                local(1, "domestic", "1", "1212", &ws),
                local(2, "domestic", "1", "1212", &d),
                local(3, "domestic", "1", "1212", &ws),
            ],
            Some(Conflict { first: 1, second: 3 }),
        ),
        // a different local prefix: accepted, even one that extends the other, or none
        (vec![local(0, "domestic", "1", "1212", &d), local(1, "domestic", "1", "1646", &d)], None),
        (vec![local(0, "domestic", "1", "1212", &d), local(1, "domestic", "1", "12125", &d)], None),
        (vec![open(0, "domestic", "1", &d), local(1, "domestic", "1", "1212", &d)], None),
        // back to back with the same local prefix: accepted
        (
            vec![
                windowed(local(0, "domestic", "1", "1212", &ws), None, Some(10)),
                windowed(local(1, "domestic", "1", "1212", &ws), Some(10), None),
            ],
            None,
        ),
        // the same slot in two decks, in a deck and the default deck, in a deck and a customer
        (vec![local(0, "domestic", "1", "1212", &ws), local(1, "domestic", "1", "1212", &deck("retail"))], None),
        (vec![open(0, "domestic", "1", &ws), open(1, "domestic", "1", &deck("retail"))], None),
        (vec![local(0, "domestic", "1", "1212", &ws), local(1, "domestic", "1", "1212", &d)], None),
        (
            vec![
                local(0, "domestic", "1", "1212", &deck("acme")),
                local(1, "domestic", "1", "1212", &customer("acme")),
            ],
            None,
        ),
    ];
    for (i, (rates, want)) in table.into_iter().enumerate() {
        match (RateIndex::build(rates), want) {
            (Ok(_), None) => {}
            (Err(got), Some(want)) => assert_eq!(got, want, "case {i}"),
            (got, want) => panic!("case {i}: got {:?}, want {want:?}", got.map(|_| "an index")),
        }
    }

    // the predicates
    let a = local(1, "domestic", "1", "1212", &ws);
    assert!(a.same_slot(&local(2, "domestic", "1", "1212", &ws)));
    assert!(a.conflicts_with(&local(2, "domestic", "1", "1212", &ws)));
    assert!(!a.same_slot(&local(2, "domestic", "1", "1646", &ws)));
    assert!(!a.same_slot(&open(2, "domestic", "1", &ws)));
    assert!(!a.same_slot(&local(2, "domestic", "1", "1212", &deck("retail"))));
    assert!(!a.conflicts_with(&local(2, "domestic", "1", "1212", &Owner::Default)));
    let mut twin = a.clone();
    twin.id = 9;
    assert!(a.same_terms(&twin));
    twin.local_prefix = Prefix::parse("1646").expect("digits");
    assert!(!a.same_terms(&twin));
    let e = Conflict { first: 1, second: 3 };
    assert_eq!(
        e.to_string(),
        "rates 1 and 3 have the same call type, prefix, local prefix and owner and overlapping windows"
    );
}

// ---------------------------------------------------------------------------------------------
// Amendment 2 and 3.2: the local key and the `local` call type
// ---------------------------------------------------------------------------------------------

#[test]
fn the_local_key_is_the_customers_own_side() {
    use Direction::{Inbound, Internal, Outbound};
    assert_eq!(Inbound.local("from", "to"), "to");
    assert_eq!(Outbound.local("from", "to"), "from");
    assert_eq!(Internal.local("from", "to"), "from");

    let (from, to) = ("(212) 555-0100", "+44 20 7946 0000");
    let (f, t) = (MatchKey::normalise(from), MatchKey::normalise(to));
    // (direction, with_local, remote, local)
    let table = [
        (Outbound, true, t, f),
        (Outbound, false, t, MatchKey::EMPTY),
        (Internal, true, t, f),
        (Internal, false, t, MatchKey::EMPTY),
        // an inbound call's local key is its `to`, always normalised (the toll-free rule reads it)
        (Inbound, true, f, t),
        (Inbound, false, f, t),
    ];
    for (direction, with_local, remote, local) in table {
        let keys = CallKeys::new(direction, from, to, with_local);
        assert_eq!(keys, CallKeys { remote, local }, "{direction} with_local={with_local}");
    }
    assert_eq!(CallKeys::new(Outbound, "1001", "011 44 20 7946 0000", true).local.as_str(), "1001");
    assert_eq!(CallKeys::new(Outbound, "1001", "011 44 20 7946 0000", true).remote.as_str(), "442079460000");
    assert_eq!(CallKeys::new(Inbound, "", "8005550100", false).local.as_str(), "18005550100");
    assert!(MatchKey::EMPTY.is_empty());
    assert_eq!(MatchKey::EMPTY, MatchKey::normalise(""));
}

#[test]
fn npa_nxx_parsing() {
    for s in ["212555", "200200", "999999", "212200", "829459", "646201"] {
        let n = NpaNxx::parse(s).expect("valid NPA-NXX");
        assert_eq!(n.to_string(), s);
        assert_eq!(n.value(), s.parse::<u32>().expect("digits"));
    }
    // six digits, the first and the fourth 2-9
    for s in [
        "",
        "21255",
        "2125550",
        "012555",
        "112555",
        "212055",
        "212155",
        "21a555",
        "+21255",
        " 212555",
        "212555 ",
        "-12555",
        "2125.5",
        "２１２５５５",
    ] {
        assert_eq!(NpaNxx::parse(s), Err(ParseError::NpaNxx(s.to_owned())), "{s:?}");
    }
    assert_eq!(
        NpaNxx::parse("012555").expect_err("invalid").to_string(),
        "`012555` is not an NPA-NXX (six digits, the first and fourth 2-9)"
    );
}

#[test]
fn npa_nxx_of_a_key_is_digits_2_to_7_of_a_nanp_key() {
    let table = [
        ("(212) 555-0100", Some("212555")),
        ("+1 212 555 0100", Some("212555")),
        ("1-212-555-0100", Some("212555")),
        ("011 1 212 555 0100", Some("212555")),
        ("+44 20 7946 0000", None),
        ("+2125550100", None),
        ("22125550100", None),
        ("121255501000", None),
        ("2125550", None),
        ("911", None),
        ("", None),
    ];
    for (number, want) in table {
        let got = NpaNxx::of_key(&MatchKey::normalise(number));
        assert_eq!(got, want.map(npa_nxx), "{number:?}");
    }
}

#[test]
fn the_local_calling_table_decides_local_calls() {
    use Direction::{Inbound, Internal, Outbound};
    // 212-555 reaches 646-555 and 718-222 as local calls; nothing is listed from 646-555
    let pairs = [("212555", "646555"), ("212555", "718222")];
    let table: &[(Direction, &str, &str, &str)] = &[
        // the same exchange: local, listed or not
        (Outbound, "+1 212 555 0100", "(212) 555-0199", "local"),
        (Outbound, "(646) 555-0100", "(646) 555-0199", "local"),
        // a listed pair
        (Outbound, "(212) 555-0100", "(646) 555-0199", "local"),
        (Outbound, "212.555.0100", "+1 718 222 0199", "local"),
        (Outbound, "011 1 212 555 0100", "1-718-222-0199", "local"),
        // the reversed pair is not listed: pairs are directional
        (Outbound, "(646) 555-0100", "(212) 555-0199", "domestic"),
        (Outbound, "(718) 222-0100", "(212) 555-0199", "domestic"),
        // another exchange of the same area code, not listed
        (Outbound, "(212) 555-0100", "(212) 556-0199", "domestic"),
        (Outbound, "(212) 555-0100", "(646) 556-0199", "domestic"),
        // a caller that is not a NANP number: never local
        (Outbound, "+44 20 7946 0000", "(212) 555-0199", "domestic"),
        (Outbound, "+44 20 7946 0000", "+44 20 7946 0001", "international"),
        (Outbound, "1001", "(212) 555-0199", "domestic"),
        (Outbound, "", "(212) 555-0199", "domestic"),
        (Outbound, "+2125550100", "(212) 555-0199", "domestic"),
        // the rules before `local` still come first; after it, `international`
        (Outbound, "(212) 555-0100", "911", "emergency"),
        (Outbound, "(212) 555-0100", "5550199", "international"),
        (Outbound, "(212) 555-0100", "1234", "on_net"),
        (Outbound, "(212) 555-0100", "+44 20 7946 0000", "international"),
        // inbound and internal calls are never local
        (Inbound, "(212) 555-0199", "(212) 555-0100", "inbound"),
        (Inbound, "(646) 555-0199", "(212) 555-0100", "inbound"),
        (Inbound, "(212) 555-0199", "(646) 555-0100", "inbound"),
        (Inbound, "(212) 555-0199", "(800) 555-0100", "toll_free"),
        (Internal, "(212) 555-0100", "(212) 555-0199", "on_net"),
        (Internal, "(212) 555-0100", "(646) 555-0199", "on_net"),
    ];
    for &(direction, from, to, want) in table {
        assert_eq!(classify_with(&pairs, direction, from, to), want, "{direction} {from:?} → {to:?}");
        // with no table loaded there is no `local` type, even for the same exchange
        let without = if want == "local" { "domestic" } else { want };
        assert_eq!(classify_raw(direction, from, to), without, "no table: {direction} {from:?} → {to:?}");
        assert_eq!(classify_with(&[], direction, from, to), without, "empty table: {direction} {from:?} → {to:?}");
    }
}

#[test]
fn local_calling_lookups() {
    let key = MatchKey::normalise;
    let table = local_calling(&[("212555", "646555"), ("212555", "646555"), ("646555", "917200")]);
    // a pair repeated counts once
    assert_eq!(table.len(), 2);
    assert!(!table.is_empty());
    assert!(table.is_local(&key("(212) 555-0100"), &key("(646) 555-0199")));
    assert!(!table.is_local(&key("(646) 555-0199"), &key("(212) 555-0100")));
    assert!(table.is_local(&key("(646) 555-0199"), &key("(917) 200-0100")));
    // not transitive
    assert!(!table.is_local(&key("(212) 555-0100"), &key("(917) 200-0100")));
    assert!(table.is_local(&key("(313) 555-0100"), &key("(313) 555-0199")));
    assert!(!table.is_local(&MatchKey::EMPTY, &key("(646) 555-0199")));
    assert!(!table.is_local(&key("(212) 555-0100"), &MatchKey::EMPTY));
    assert!(!table.is_local(&key("+44 20 7946 0000"), &key("+44 20 7946 0001")));

    let none = LocalCalling::default();
    assert!(none.is_empty());
    assert_eq!(none.len(), 0);
    assert!(!none.is_local(&key("(212) 555-0100"), &key("(212) 555-0199")));
    assert!(LocalCalling::new(Vec::new()).is_empty());
}

#[test]
fn a_local_call_is_rated_with_local_rates() {
    // the billing layer's path: keys, classification, tiers, find
    let d = Owner::Default;
    let idx = build(vec![
        open(1, "domestic", "1", &d),
        open(2, "local", "", &d),
        local(3, "local", "1212", "1212", &deck("metro")),
    ]);
    let table = local_calling(&[("212555", "646555")]);
    let rate_of = |from: &str, to: &str, deck: Option<&str>| {
        let keys = CallKeys::new(Direction::Outbound, from, to, true);
        let ct = classify(Direction::Outbound, &keys, &table);
        (ct, idx.find(&idx.tiers("acme", deck), ct, &keys.remote, &keys.local, 0).map(|r| r.id))
    };
    assert_eq!(rate_of("(212) 555-0100", "(646) 555-0199", None), ("local", Some(2)));
    assert_eq!(rate_of("(212) 555-0100", "(212) 555-0199", Some("metro")), ("local", Some(3)));
    assert_eq!(rate_of("(212) 555-0100", "(646) 555-0199", Some("metro")), ("local", Some(2)));
    assert_eq!(rate_of("(646) 555-0100", "(212) 555-0199", Some("metro")), ("domestic", Some(1)));
}

// ---------------------------------------------------------------------------------------------
// 3.6 Charges, 5. line amounts: rounding half away from zero
// ---------------------------------------------------------------------------------------------

#[test]
fn call_charges_round_half_away_from_zero() {
    // (rate per minute, connection fee, charged seconds, charge)
    let table = [
        ("0.0001", "0", 30, "0.0001"),     // 0.00005 → up
        ("0.00005", "0", 60, "0.0001"),    // 0.00005 → up
        ("0.00004999", "0", 60, "0.0000"), // just under half
        ("0.00015", "0", 60, "0.0002"),    // 0.00015 → up (banker's would give 0.0002 too)
        ("0.00025", "0", 60, "0.0003"),    // 0.00025 → up (banker's would give 0.0002)
        ("0.0001", "0", 29, "0.0000"),     // 0.0000483…
        ("0.0001", "0", 31, "0.0001"),     // 0.0000516…
        ("0.01", "0", 1, "0.0002"),        // 0.000166…
        ("0.01", "0", 6, "0.0010"),
        ("0.0125", "0", 30, "0.0063"), // 0.00625
        ("0.0123", "0", 30, "0.0062"), // 0.00615
        ("0.0105", "0", 30, "0.0053"), // 0.00525 (banker's: 0.0052)
        ("0.02", "0.01", 90, "0.0400"),
        ("0.05", "0.1", 0, "0.1000"),  // fully covered: the fee alone
        ("0", "0.00005", 0, "0.0001"), // a fee rounds too
        ("0", "0.00004", 0, "0.0000"),
        ("0.00003", "0.00002", 60, "0.0001"), // fee and usage summed before the one rounding
        ("0.00000001", "0", 1, "0.0000"),
        ("0", "0", 3600, "0.0000"),
        ("1000", "0", 3600, "60000.0000"),
        ("0.12345678", "0.87654321", 61, "1.0021"), // 0.87654321 + 0.12551… = 1.00205…
    ];
    for (rate, fee, secs, want) in table {
        let got = Charge::of_call(price(rate), price(fee), secs).expect("fits");
        assert_eq!(got.to_string(), want, "{rate}/min + {fee} for {secs} s");
    }
}

#[test]
fn charges_are_exact_where_floating_point_is_not() {
    // 0.1 + 0.2 per minute for one minute: exactly 0.3
    assert_eq!(Charge::of_call(price("0.2"), price("0.1"), 60).expect("fits").to_string(), "0.3000");
    // 1.0005 per minute for one minute rounds up to 1.0005 exactly, and 0.00015 to 0.0002
    // (in binary floating point 1.0005 is 1.000499999…, which rounds down)
    assert_eq!(Charge::of_call(price("1.0005"), Price::ZERO, 60).expect("fits").to_string(), "1.0005");
    assert_eq!(Charge::of_call(price("0.00010001"), price("0.00004999"), 60).expect("fits").to_string(), "0.0002");
}

#[test]
fn a_charge_past_the_largest_is_an_overflow_not_a_cap() {
    // the largest price for the most seconds increments can bill (u32 durations)
    let max = Price::from_units(i64::MAX);
    let most = Increments::new(1, u32::MAX).expect("valid").billable(u32::MAX);
    assert_eq!(Charge::of_call(max, max, most), Err(Overflow::Charge));
    assert_eq!(Charge::of_call(max, Price::ZERO, 0), Ok(Charge::ZERO));
    // past what even the exact intermediate sum can hold
    assert_eq!(Charge::of_call(max, max, u64::MAX), Err(Overflow::Charge));
    // 0.006 per minute is 10⁻⁴ per second: the largest charge exactly, then one unit more
    let unit = Price::from_units(600_000);
    assert_eq!(Charge::of_call(unit, Price::ZERO, i64::MAX as u64), Ok(Charge::MAX));
    assert_eq!(Charge::of_call(unit, Price::ZERO, i64::MAX as u64 + 1), Err(Overflow::Charge));
}

#[test]
fn a_line_or_total_past_its_bound_is_an_overflow_and_changes_nothing() {
    let mut lines = UsageLines::default();
    lines.add("premium", 60, 0, Charge::MAX).expect("the largest charge fits a line");
    assert_eq!(lines.add("premium", 60, 0, Charge::from_units(1)), Err(Overflow::Line));
    assert_eq!(lines.add("premium", u64::MAX, 0, Charge::ZERO), Err(Overflow::Seconds));
    assert_eq!(lines.add("fax", 60, 61, Charge::ZERO), Err(Overflow::Seconds));
    let got: Vec<(&str, LineTotals)> = lines.iter().map(|(ct, l)| (ct, *l)).collect();
    let premium =
        LineTotals { calls: 1, billable_seconds: 60, included_seconds: 0, charged_seconds: 60, charges: i64::MAX };
    assert_eq!(got, [("premium", premium)], "a refused call leaves the lines as they were");
    assert_eq!(lines.total(), Ok(Amount::of_line(i64::MAX)));
    // a hundred and one lines at the largest amount add up past the largest total
    for i in 0..100 {
        lines.add(&format!("t{i}"), 60, 0, Charge::MAX).expect("a line of its own");
    }
    assert_eq!(lines.total(), Err(Overflow::Total));
}

#[test]
fn line_amounts_round_half_away_from_zero() {
    // (sum of charges in 10⁻⁴ units, amount)
    let table: &[(i64, &str)] = &[
        (0, "0.00"),
        (1, "0.00"),
        (49, "0.00"),
        (50, "0.01"), // 0.0050
        (149, "0.01"),
        (150, "0.02"), // 0.0150
        (250, "0.03"), // 0.0250 (banker's: 0.02)
        (12_345, "1.23"),
        (12_349, "1.23"),
        (12_350, "1.24"), // 1.235
        (12_450, "1.25"), // 1.245 (banker's: 1.24)
        (12_351, "1.24"),
        (99_950, "10.00"),
        (-49, "0.00"),
        (-50, "-0.01"),
        (-150, "-0.02"),
        (-12_350, "-1.24"),
    ];
    for &(sum, want) in table {
        assert_eq!(Amount::of_line(sum).to_string(), want, "{sum}");
    }
    assert_eq!(Amount::of_line(i64::MAX), Amount::from_units(92_233_720_368_547_758));
    assert_eq!(Amount::of_line(i64::MIN), Amount::from_units(-92_233_720_368_547_758));
}

#[test]
fn a_line_rounds_the_sum_of_its_charges_not_each_charge() {
    let mut lines = UsageLines::default();
    // 0.0025 twice: each would round to 0.00, the sum 0.0050 rounds to 0.01
    lines.add("domestic", 60, 0, Charge::from_units(25)).expect("fits");
    lines.add("domestic", 60, 0, Charge::from_units(25)).expect("fits");
    // 0.0049 three times: each would round to 0.00, the sum 0.0147 to 0.01
    for _ in 0..3 {
        lines.add("international", 30, 0, Charge::from_units(49)).expect("fits");
    }
    // 0.0034 + 0.0041 = 0.0075 → 0.01
    lines.add("toll_free", 6, 0, Charge::from_units(34)).expect("fits");
    lines.add("toll_free", 6, 0, Charge::from_units(41)).expect("fits");
    let got: Vec<(&str, String)> = lines.iter().map(|(ct, l)| (ct, l.amount().to_string())).collect();
    assert_eq!(
        got,
        [("domestic", "0.01".to_owned()), ("international", "0.01".to_owned()), ("toll_free", "0.01".to_owned())]
    );
    // the total sums the rounded line amounts
    assert_eq!(lines.total().expect("fits").to_string(), "0.03");
}

#[test]
fn usage_lines_sum_per_call_type_sorted() {
    let mut lines = UsageLines::default();
    assert!(lines.is_empty());
    assert_eq!(lines.total(), Ok(Amount::ZERO));
    lines.add("on_net", 60, 0, Charge::ZERO).expect("fits");
    lines.add("domestic", 120, 60, Charge::from_units(1_000)).expect("fits");
    lines.add("domestic", 60, 60, Charge::from_units(100)).expect("fits"); // covered: the connection fee
    lines.add("international", 66, 0, Charge::from_units(12_345)).expect("fits");
    assert!(!lines.is_empty());
    let got: Vec<(&str, LineTotals)> = lines.iter().map(|(ct, l)| (ct, *l)).collect();
    assert_eq!(
        got,
        [
            (
                "domestic",
                LineTotals {
                    calls: 2,
                    billable_seconds: 180,
                    included_seconds: 120,
                    charged_seconds: 60,
                    charges: 1_100
                }
            ),
            (
                "international",
                LineTotals {
                    calls: 1,
                    billable_seconds: 66,
                    included_seconds: 0,
                    charged_seconds: 66,
                    charges: 12_345
                }
            ),
            (
                "on_net",
                LineTotals { calls: 1, billable_seconds: 60, included_seconds: 0, charged_seconds: 60, charges: 0 }
            ),
        ]
    );
    let amounts: Vec<String> = lines.iter().map(|(_, l)| l.amount().to_string()).collect();
    assert_eq!(amounts, ["0.11", "1.23", "0.00"]);
    assert_eq!(lines.total().expect("fits").to_string(), "1.34");
}

// ---------------------------------------------------------------------------------------------
// Money parsing and display
// ---------------------------------------------------------------------------------------------

#[test]
fn prices_parse_exactly() {
    let table: &[(&str, i64)] = &[
        ("0", 0),
        ("0.0", 0),
        ("-0", 0),
        ("1", 100_000_000),
        ("0.05", 5_000_000),
        ("0.00000001", 1),
        ("1.12345678", 112_345_678),
        ("0.10000000", 10_000_000),
        ("+0.5", 50_000_000),
        (".5", 50_000_000),
        ("12.", 1_200_000_000),
        ("007.5", 750_000_000),
        ("92233720368.54775807", i64::MAX),
    ];
    for &(s, units) in table {
        assert_eq!(Price::parse(s), Ok(Price::from_units(units)), "{s:?}");
    }
}

#[test]
fn prices_refuse_bad_values() {
    let too_precise = |s: &str| ParseError::TooPrecise { value: s.to_owned(), max: 8 };
    let table: Vec<(&str, ParseError)> = vec![
        // too many decimals, as written (trailing zeros count)
        ("0.000000001", too_precise("0.000000001")),
        ("1.123456789", too_precise("1.123456789")),
        ("0.000000010", too_precise("0.000000010")),
        // negative
        ("-0.01", ParseError::Negative("-0.01".into())),
        ("-1", ParseError::Negative("-1".into())),
        ("-0.000000001", ParseError::Negative("-0.000000001".into())),
        // non-numeric
        ("", ParseError::NotDecimal("".into())),
        ("abc", ParseError::NotDecimal("abc".into())),
        ("1.2.3", ParseError::NotDecimal("1.2.3".into())),
        ("1,5", ParseError::NotDecimal("1,5".into())),
        ("0,05", ParseError::NotDecimal("0,05".into())),
        ("$1", ParseError::NotDecimal("$1".into())),
        (".", ParseError::NotDecimal(".".into())),
        ("-", ParseError::NotDecimal("-".into())),
        (" 1", ParseError::NotDecimal(" 1".into())),
        ("1 ", ParseError::NotDecimal("1 ".into())),
        ("NaN", ParseError::NotDecimal("NaN".into())),
        ("inf", ParseError::NotDecimal("inf".into())),
        ("1e5", ParseError::NotDecimal("1e5".into())),
        ("1E-3", ParseError::NotDecimal("1E-3".into())),
        ("1_000", ParseError::NotDecimal("1_000".into())),
        ("0x10", ParseError::NotDecimal("0x10".into())),
        ("--1", ParseError::NotDecimal("--1".into())),
        // too large for 10⁻⁸ units in an i64
        ("92233720368.54775808", ParseError::TooLarge("92233720368.54775808".into())),
        ("100000000000000", ParseError::TooLarge("100000000000000".into())),
    ];
    for (s, want) in table {
        assert_eq!(Price::parse(s), Err(want), "{s:?}");
    }
}

#[test]
fn parse_errors_name_the_value() {
    let e = Price::parse("1.123456789").expect_err("too precise");
    assert_eq!(e.to_string(), "`1.123456789` has more than 8 digits after the decimal point");
    assert_eq!(Price::parse("-1").expect_err("negative").to_string(), "`-1` is negative");
    assert_eq!(Price::parse("x").expect_err("nan").to_string(), "`x` is not a decimal number");
}

#[test]
fn prices_display_with_4_decimals_when_exact_else_8() {
    let table = [
        ("0", "0.0000"),
        ("0.05", "0.0500"),
        ("1.5", "1.5000"),
        ("12", "12.0000"),
        ("0.1234", "0.1234"),
        ("0.12345", "0.12345000"),
        ("0.00012345", "0.00012345"),
        ("1.00000001", "1.00000001"),
        ("0.00000001", "0.00000001"),
        ("1000000", "1000000.0000"),
    ];
    for (s, want) in table {
        let p = price(s);
        assert_eq!(p.to_string(), want, "{s}");
        // what is printed parses back to the same price
        assert_eq!(Price::parse(&p.to_string()), Ok(p), "{s}");
    }
}

#[test]
fn decimal_round_trips() {
    use rust_decimal::Decimal;
    let p = price("0.12345678");
    assert_eq!(p.to_decimal(), "0.12345678".parse::<Decimal>().expect("decimal"));
    assert_eq!(Price::from_decimal(p.to_decimal()), Ok(p));
    assert_eq!(Charge::from_units(12_345).to_decimal().to_string(), "1.2345");
    assert_eq!(Amount::from_units(-5).to_decimal().to_string(), "-0.05");
    assert_eq!(Price::SCALE, 8);
    assert_eq!(Charge::SCALE, 4);
    assert_eq!(Amount::SCALE, 2);
}

#[test]
fn charges_and_amounts_display_with_fixed_decimals() {
    let charges = [(0, "0.0000"), (1, "0.0001"), (12_345, "1.2345"), (10_000, "1.0000"), (-1, "-0.0001")];
    for (units, want) in charges {
        assert_eq!(Charge::from_units(units).to_string(), want);
    }
    let amounts = [(0, "0.00"), (5, "0.05"), (264, "2.64"), (100, "1.00"), (-5, "-0.05"), (-264, "-2.64")];
    for (units, want) in amounts {
        assert_eq!(Amount::from_units(units).to_string(), want);
    }
    assert_eq!(Amount::from_units(i64::MIN).to_string(), "-92233720368547758.08");
}

#[test]
fn amounts_parse() {
    let table: &[(&str, Result<i64, ParseError>)] = &[
        ("2.64", Ok(264)),
        ("0", Ok(0)),
        ("-3.5", Ok(-350)),
        ("10", Ok(1_000)),
        ("1.005", Err(ParseError::TooPrecise { value: "1.005".into(), max: 2 })),
        ("abc", Err(ParseError::NotDecimal("abc".into()))),
        ("1e2", Err(ParseError::NotDecimal("1e2".into()))),
        ("1_0", Err(ParseError::NotDecimal("1_0".into()))),
    ];
    for (s, want) in table {
        assert_eq!(Amount::parse(s), want.clone().map(Amount::from_units), "{s:?}");
    }
    assert_eq!(Amount::from_units(150).checked_add(Amount::from_units(275)), Ok(Amount::from_units(425)));
    assert_eq!(Amount::MAX.checked_add(Amount::from_units(1)), Err(Overflow::Total));
}

// ---------------------------------------------------------------------------------------------
// 4. Allowances
// ---------------------------------------------------------------------------------------------

fn allowance(plan: &str, position: u32, types: &[&str], minutes: u64) -> Allowance {
    Allowance {
        plan: plan.to_owned(),
        position,
        call_types: types.iter().map(|t| CallType::parse(t).expect("call type")).collect(),
        seconds: minutes * 60,
        period: None,
    }
}

fn key(allowance: usize, period: i32) -> AllowanceKey {
    AllowanceKey { allowance, period }
}

const JAN: i32 = 20_454; // 2026-01-01 as days since 1970-01-01
const FEB: i32 = JAN + 31;

#[test]
fn allowance_covers_its_types() {
    let a = allowance("p", 0, &["domestic", "on_net"], 1);
    assert!(a.covers("domestic"));
    assert!(a.covers("on_net"));
    assert!(!a.covers("international"));
    assert!(!a.covers("dom"));
}

#[test]
fn a_call_draws_from_the_next_allowance_when_the_first_runs_out() {
    // plan "basic": 1 min of domestic; plan "extra": 2 min of domestic and international
    let mut a = Allowances::new(vec![
        allowance("basic", 0, &["domestic"], 1),
        allowance("extra", 0, &["domestic", "international"], 2),
    ]);
    assert_eq!(a.list().len(), 2);
    // (call type, billable, included)
    let calls = [
        ("domestic", 45, 45),      // basic: 45, 15 left
        ("domestic", 30, 30),      // basic 15 (exhausted mid-call), extra 15
        ("international", 60, 60), // extra only: 60, 45 left
        ("on_net", 60, 0),         // not covered
        ("domestic", 120, 45),     // extra's last 45
        ("domestic", 60, 0),       // nothing left
        ("international", 6, 0),
    ];
    for (i, &(ct, billable, included)) in calls.iter().enumerate() {
        assert_eq!(a.draw(ct, JAN, billable), included, "call {i}: {ct} {billable} s");
    }
    assert_eq!(a.remaining(key(0, JAN)), 0);
    assert_eq!(a.remaining(key(1, JAN)), 0);
    assert_eq!(a.draws(), [Draw { key: key(0, JAN), seconds: 60 }, Draw { key: key(1, JAN), seconds: 120 }]);
}

#[test]
fn allowances_are_used_in_contract_order() {
    // the first covering allowance in list order is used first, even if a later one is bigger
    let mut a = Allowances::new(vec![
        allowance("intl", 0, &["international"], 10),
        allowance("bundle", 0, &["domestic"], 1),
        allowance("bundle", 1, &["domestic"], 10),
    ]);
    assert_eq!(a.draw("domestic", JAN, 90), 90);
    assert_eq!(a.remaining(key(0, JAN)), 600);
    assert_eq!(a.remaining(key(1, JAN)), 0);
    assert_eq!(a.remaining(key(2, JAN)), 570);
}

#[test]
fn empty_allowances_and_zero_needs_draw_nothing() {
    let mut a = Allowances::new(vec![allowance("none", 0, &["domestic"], 0), allowance("one", 0, &["domestic"], 1)]);
    assert_eq!(a.draw("domestic", JAN, 0), 0);
    assert_eq!(a.draw("domestic", JAN, 30), 30);
    // the empty allowance is never recorded as drawn from
    assert_eq!(a.draws(), [Draw { key: key(1, JAN), seconds: 30 }]);
    let mut none = Allowances::default();
    assert_eq!(none.draw("domestic", JAN, 60), 0);
    assert!(none.draws().is_empty());
    // an allowance index that does not exist has nothing
    assert_eq!(a.remaining(key(7, JAN)), 0);
}

/// Draws a sequence of calls, returning the included seconds of each.
fn draw_all(a: &mut Allowances, calls: &[(&str, i32, u64)]) -> Vec<u64> {
    calls.iter().map(|&(ct, period, billable)| a.draw(ct, period, billable)).collect()
}

#[test]
fn a_balance_persists_across_two_invoices_of_one_period() {
    let list = vec![allowance("basic", 0, &["domestic"], 2), allowance("extra", 0, &["domestic", "international"], 4)];
    // the calls of one period, in start order; the first invoice bills the first 3
    let calls = [
        ("domestic", JAN, 90),
        ("international", JAN, 60),
        ("domestic", JAN, 60), // basic: 30, extra: 30
        ("domestic", JAN, 120),
        ("international", JAN, 60),
        ("domestic", JAN, 66),
    ];
    let mut whole = Allowances::new(list.clone());
    let whole_included = draw_all(&mut whole, &calls);
    assert_eq!(whole_included, [90, 60, 60, 120, 30, 0]);

    let mut first = Allowances::new(list.clone());
    let first_included = draw_all(&mut first, &calls[..3]);
    let stored = first.draws();
    assert_eq!(stored, [Draw { key: key(0, JAN), seconds: 120 }, Draw { key: key(1, JAN), seconds: 90 }]);

    // the second invoice starts from the balance the first left
    let mut second = Allowances::new(list.clone());
    for d in &stored {
        second.set_used(d.key, d.seconds);
    }
    assert_eq!(second.remaining(key(0, JAN)), 0);
    assert_eq!(second.remaining(key(1, JAN)), 150);
    let second_included = draw_all(&mut second, &calls[3..]);
    assert_eq!([first_included, second_included].concat(), whole_included);
    // the second invoice records only its own draws
    assert_eq!(second.draws(), [Draw { key: key(1, JAN), seconds: 150 }]);

    // deleting the first invoice gives its seconds back: a fresh run draws as the first did
    let mut again = Allowances::new(list);
    assert_eq!(draw_all(&mut again, &calls[..3]), [90, 60, 60]);
}

#[test]
fn set_used_replaces_and_saturates() {
    let mut a = Allowances::new(vec![allowance("p", 0, &["domestic"], 1)]);
    a.set_used(key(0, JAN), 50);
    assert_eq!(a.remaining(key(0, JAN)), 10);
    a.set_used(key(0, JAN), 20);
    assert_eq!(a.remaining(key(0, JAN)), 40);
    // more used than the allowance has (the plan shrank since): nothing left, no underflow
    a.set_used(key(0, JAN), 1_000);
    assert_eq!(a.remaining(key(0, JAN)), 0);
    assert_eq!(a.draw("domestic", JAN, 60), 0);
}

#[test]
fn each_period_has_its_own_balance() {
    let mut a = Allowances::new(vec![allowance("p", 0, &["domestic"], 1)]);
    a.set_used(key(0, JAN), 30);
    assert_eq!(a.remaining(key(0, FEB)), 60);
    // January's remaining 30, then nothing; February's full 60
    assert_eq!(a.draw("domestic", JAN, 45), 30);
    assert_eq!(a.draw("domestic", FEB, 45), 45);
    assert_eq!(a.draw("domestic", JAN, 45), 0);
    assert_eq!(a.draw("domestic", FEB, 45), 15);
    // a manual range over two periods: each call draws from its own period's balance
    assert_eq!(a.draw("domestic", FEB + 28, 100), 60);
    assert_eq!(
        a.draws(),
        [
            Draw { key: key(0, JAN), seconds: 30 },
            Draw { key: key(0, FEB), seconds: 60 },
            Draw { key: key(0, FEB + 28), seconds: 60 },
        ]
    );
    assert_eq!(a.remaining(key(0, JAN)), 0);
    assert_eq!(a.remaining(key(0, FEB)), 0);
}

// ---------------------------------------------------------------------------------------------
// Rating one call end to end, as the contract's JSON example does
// ---------------------------------------------------------------------------------------------

#[test]
fn contract_example_line() {
    // 12 domestic calls of 6 minutes at 0.12/min, 50 included minutes: 3000 included, 1320
    // charged, amount 2.64
    let d = Owner::Default;
    let mut r = open(1, "domestic", "1", &d);
    r.price = price("0.12");
    let idx = build(vec![r]);
    let mut allowances = Allowances::new(vec![allowance("plan", 0, &["domestic"], 50)]);
    let mut lines = UsageLines::default();
    for _ in 0..12 {
        let to = "(212) 555-0100";
        let keys = CallKeys::new(Direction::Outbound, "1001", to, false);
        let ct = classify(Direction::Outbound, &keys, &LocalCalling::default());
        let rate = idx.find(&idx.tiers("acme", None), ct, &keys.remote, &keys.local, 0).expect("rated");
        let billable = rate.increments.billable(355);
        let included = allowances.draw(ct, JAN, billable);
        let charge = Charge::of_call(rate.price, rate.connection_fee, billable - included).expect("fits");
        lines.add(ct, billable, included, charge).expect("fits");
    }
    let (ct, line) = lines.iter().next().expect("one line");
    assert_eq!(ct, "domestic");
    assert_eq!(
        (line.calls, line.billable_seconds, line.included_seconds, line.charged_seconds),
        (12, 4320, 3000, 1320)
    );
    assert_eq!(line.amount().to_string(), "2.64");
    assert_eq!(lines.total().expect("fits").to_string(), "2.64");
}
