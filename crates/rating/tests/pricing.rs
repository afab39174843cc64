//! The one sequence that rates a call, `Pricing::rate`: each outcome, allowances drawn in the
//! customer's billing periods, and (as a property) the same result as the contract's steps taken
//! one by one.

use proptest::prelude::*;
use rating::calendar::{epoch_days, local_date, period_start};
use rating::number::Prefix;
use rating::{
    classify, Account, Allowance, AllowanceKey, Allowances, Balances, Calendar, Call, CallKeys, CallType, Charge,
    Direction, Increments, LocalCalling, Micros, Outcome, Owner, Price, Priced, Pricing, Rate, RateIndex, UsageLines,
    Window,
};

fn rate(id: i64, call_type: &str, prefix: &str, price: i64, fee: i64, increments: (u32, u32)) -> Rate {
    Rate {
        id,
        call_type: CallType::parse(call_type).expect("call type"),
        prefix: Prefix::parse(prefix).expect("prefix"),
        local_prefix: Prefix::default(),
        owner: Owner::Default,
        window: Window::OPEN,
        price: Price::from_units(price),
        connection_fee: Price::from_units(fee),
        increments: Increments::new(increments.0, increments.1).expect("increments"),
        description: String::new(),
    }
}

/// Domestic at 0.12 a minute in 60/60, to 1212 at 0.08 plus a 0.01 fee in 6/6; on-net free.
fn pricing() -> Pricing {
    let deck = vec![
        rate(1, "domestic", "1", 12_000_000, 0, (60, 60)),
        rate(2, "domestic", "1212", 8_000_000, 1_000_000, (6, 6)),
        rate(3, "on_net", "", 0, 0, (1, 1)),
    ];
    Pricing::new(RateIndex::build(deck).expect("no conflicts"), LocalCalling::default())
}

fn allowance(minutes: u64) -> Allowance {
    Allowance {
        plan: "plan".into(),
        position: 0,
        call_types: vec![CallType::parse("domestic").expect("type")],
        seconds: minutes * 60,
        period: None,
    }
}

fn outbound(to: &str, start: Micros, duration: u32) -> Call<'_> {
    Call { direction: Direction::Outbound, from: "+12125550199", to, call_type: None, start, duration }
}

const NEW_YORK: Calendar = Calendar { zone: chrono_tz::America::New_York, billing_day: 1 };
/// 2026-02-28 23:30 in New York (EST), and an hour later, in March's period.
const FEB_28_2330: Micros = 1_772_339_400_000_000;
const MAR_1_0030: Micros = FEB_28_2330 + 3_600_000_000;

fn priced<'p>(outcome: Outcome<'p>) -> Priced<'p> {
    match outcome {
        Outcome::Priced(p) => p,
        other => panic!("not priced: {other:?}"),
    }
}

#[test]
fn each_outcome_of_rating_a_call() {
    let p = pricing();
    let all = Account { tiers: p.tiers("acme", None), call_types: None };
    let unanswered = p.rate(&all, &outbound("911", 0, 0), None);
    assert_eq!((unanswered.call_type, unanswered.outcome), ("emergency", Outcome::Unanswered));
    assert_eq!(p.rate(&all, &outbound("+44 20 7946 0000", 0, 60), None).outcome, Outcome::Unrated);
    let only = ["international".to_owned()];
    let some = Account { tiers: all.tiers, call_types: Some(&only) };
    let excluded = p.rate(&some, &outbound("+1 303 555 0100", 0, 60), None);
    assert_eq!((excluded.call_type, excluded.outcome), ("domestic", Outcome::Excluded));
    // A record's own call type is kept.
    let own = Call { call_type: Some("on_net"), ..outbound("+1 303 555 0100", 0, 61) };
    let on_net = p.rate(&all, &own, None);
    assert_eq!((on_net.call_type, priced(on_net.outcome).billable), ("on_net", 61));
    // Longest prefix, 6/6 increments, the fee, rounded once: 0.01 + 0.08 × 66 / 60 = 0.098.
    let call = p.rate(&all, &outbound("(212) 555-0100", 0, 61), None);
    let call = priced(call.outcome);
    assert_eq!((call.rate.id, call.billable, call.included, call.charge), (2, 66, 0, Ok(Charge::from_units(980))));
}

/// The contract's example line through the one sequence: 12 calls of 355 s at 0.12 with 50
/// included minutes: 3,000 s included, 1,320 charged, 2.64.
#[test]
fn the_contract_example_line() {
    let p = pricing();
    let account = Account { tiers: p.tiers("acme", None), call_types: None };
    let mut balances = Balances::new(Allowances::new(vec![allowance(50)]), NEW_YORK);
    let mut lines = UsageLines::default();
    for _ in 0..12 {
        let rated = p.rate(&account, &outbound("+1 303 555 0100", MAR_1_0030, 355), Some(&mut balances));
        let call = priced(rated.outcome);
        lines.add(rated.call_type, call.billable, call.included, call.charge.expect("fits")).expect("fits");
    }
    let (_, line) = lines.iter().next().expect("one line");
    assert_eq!((line.billable_seconds, line.included_seconds, line.charged_seconds), (4_320, 3_000, 1_320));
    assert_eq!(line.amount().to_string(), "2.64");
}

/// Two calls an hour apart across the billing day, midnight in the customer's zone (05:00 UTC):
/// each draws a whole minute from its own period.
#[test]
fn allowances_start_again_at_the_period_boundary_in_the_customer_zone() {
    let p = pricing();
    let account = Account { tiers: p.tiers("acme", None), call_types: None };
    let mut balances = Balances::new(Allowances::new(vec![allowance(1)]), NEW_YORK);
    for start in [FEB_28_2330, MAR_1_0030, MAR_1_0030] {
        let rated = p.rate(&account, &outbound("+1 303 555 0100", start, 60), Some(&mut balances));
        let call = priced(rated.outcome);
        assert_eq!(call.included + call.charged(), 60);
    }
    let draws: Vec<(i32, u64)> = balances.draws().iter().map(|d| (d.key.period, d.seconds)).collect();
    let feb_1 = epoch_days(chrono::NaiveDate::from_ymd_opt(2026, 2, 1).expect("date"));
    let mar_1 = epoch_days(chrono::NaiveDate::from_ymd_opt(2026, 3, 1).expect("date"));
    assert_eq!(draws, vec![(feb_1, 60), (mar_1, 60)], "the third call found March's minute used");
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("+1 212 555 0100".to_owned()),
        Just("(303) 555-0100".to_owned()),
        Just("1001".to_owned()),
        Just("+44 20 7946 0000".to_owned()),
        "[0-9]{1,12}",
    ]
}

proptest! {
    /// The one sequence gives what the contract's steps give taken one by one: classify, find
    /// the rate, bill the increments, draw from the allowance of the period of the call's date
    /// in the customer's zone, charge the rest.
    #[test]
    fn rating_is_the_contract_steps_in_order(
        calls in prop::collection::vec((number(), 0i64..100 * 86_400, 0u32..4_000, any::<bool>()), 1..40),
        minutes in 0u64..30,
        billing_day in 1u8..=31,
    ) {
        let p = pricing();
        let calendar = Calendar { billing_day, ..NEW_YORK };
        let account = Account { tiers: p.tiers("acme", None), call_types: None };
        let mut balances = Balances::new(Allowances::new(vec![allowance(minutes)]), calendar);
        let mut reference = Allowances::new(vec![allowance(minutes)]);
        let mut calls = calls;
        calls.sort_by_key(|c| c.1);
        for (to, seconds, duration, inbound) in &calls {
            let start = FEB_28_2330 + seconds * 1_000_000;
            let direction = if *inbound { Direction::Inbound } else { Direction::Outbound };
            let call = Call { direction, from: "+12125550199", to, call_type: None, start, duration: *duration };
            let rated = p.rate(&account, &call, Some(&mut balances));

            let keys = CallKeys::new(direction, call.from, to, false);
            let call_type = classify(direction, &keys, &LocalCalling::default());
            prop_assert_eq!(rated.call_type, call_type);
            let found = p.deck().find(&account.tiers, call_type, &keys.remote, &keys.local, start);
            match (found, rated.outcome) {
                (_, Outcome::Unanswered) => prop_assert_eq!(*duration, 0),
                (None, outcome) => prop_assert_eq!(outcome, Outcome::Unrated),
                (Some(rate), outcome) => {
                    let billable = rate.increments.billable(*duration);
                    let period = epoch_days(period_start(local_date(start, calendar.zone), billing_day));
                    let included = reference.draw(call_type, period, billable);
                    let charge = Charge::of_call(rate.price, rate.connection_fee, billable - included);
                    prop_assert_eq!(outcome, Outcome::Priced(Priced { rate, billable, included, charge }));
                }
            }
        }
        let key = |d: &rating::Draw| (d.key, d.seconds);
        let got: Vec<(AllowanceKey, u64)> = balances.draws().iter().map(key).collect();
        let want: Vec<(AllowanceKey, u64)> = reference.draws().iter().map(key).collect();
        prop_assert_eq!(got, want);
    }
}
