//! Money that does not fit is an error, never a capped amount: a call's charge, a line's sum of
//! charges and a plan's included minutes each have a largest value, and going past it fails the
//! command with a reason naming the call and the rate (or the row), creating nothing.
//!
//! Every test runs on both backends (`sqlite::NAME`, `postgres::NAME`).

mod common;

use common::*;

on_both_backends! {
    a_charge_too_large_to_hold_fails_the_invoice_naming_the_call_and_the_rate,
    a_line_whose_charges_add_up_past_the_largest_charge_fails_the_invoice,
    included_minutes_beyond_the_supported_range_are_a_bad_value,
}

/// An absurd price: a thousand million per minute, per-second increments.
const ABSURD_RATE: &str = "premium,1000000000,,,1,1,,,,Absurd";

/// acme's premium calls of `durations` seconds, on 5 January from 10:00, one a minute.
fn premium_calls(env: &Env, durations: &[u32]) {
    let calls: Vec<Cdr> = durations
        .iter()
        .enumerate()
        .map(|(i, d)| Cdr::premium(format!("p{}", i + 1), "acme", &format!("2026-01-05T10:{i:02}:00Z"), *d))
        .collect();
    env.import_ok("rates", "absurd.csv", &format!("{RATES_HEADER}\n{ABSURD_RATE}\n"));
    env.import_ok("cdrs", "premium.csv", &cdrs_csv(&calls));
}

/// Preview and creation both fail with `needles` on stderr; nothing is billed, and the database
/// checks clean.
#[track_caller]
fn assert_refused(env: &Env, needles: &[&str]) {
    for cmd in ["preview", "create"] {
        let run = env.meter(&["invoice", cmd, "--customer", "acme", "--from", "2026-01-01", "--to", "2026-01-31"]);
        run.assert_code(1).assert_no_stdout();
        for needle in needles {
            run.assert_stderr_has(needle);
        }
    }
    assert!(env.calls("acme").iter().all(|c| c["status"] == "unbilled"), "{:#?}", env.calls("acme"));
    env.assert_db_clean("after the refused invoice");
}

fn a_charge_too_large_to_hold_fails_the_invoice_naming_the_call_and_the_rate(backend: Backend) {
    let env = Env::seeded_on(backend);
    // 1,000,000,000 per minute for 4,294,967,295 s is 7.2 × 10¹⁶: past the largest charge.
    premium_calls(&env, &[u32::MAX]);
    let rate = env.calls("acme")[0]["rate"]["id"].as_i64().expect("the rate's id");
    assert_refused(&env, &["call file:p1", &format!("rate #{rate}"), "1000000000.0000 per minute", "larger than"]);

    // A call that fits is billed at its exact charge: 1,000,000,000 per minute for 60 s.
    let env = Env::seeded_on(backend);
    premium_calls(&env, &[60]);
    let inv = env.create_ok("acme", "2026-01-01", "2026-01-31");
    assert_eq!(inv["total"], "1000000000.00");
}

fn a_line_whose_charges_add_up_past_the_largest_charge_fails_the_invoice(backend: Backend) {
    let env = Env::seeded_on(backend);
    // Each call's charge fits (6.7 × 10¹⁴), the two together do not (1.3 × 10¹⁵).
    premium_calls(&env, &[40_000_000, 40_000_000]);
    assert_refused(&env, &["call file:p2", "premium line", "charges would add up to more than"]);
}

fn included_minutes_beyond_the_supported_range_are_a_bad_value(backend: Backend) {
    let env = Env::seeded_on(backend);
    // The largest number of minutes whose seconds fit in 63 bits, and one more.
    let largest = i64::MAX / 60;
    let plans = env.write(
        "plans.csv",
        &format!("plan,call_types,included_minutes\ngold,domestic,{largest}\ngold,on_net,{}\n", largest + 1),
    );
    env.meter(&["plans", "import", &plans]).assert_bad_cell(
        &plans,
        3,
        "included_minutes",
        &format!("at most {largest}"),
    );
    let plans = env.write("plans-ok.csv", &format!("plan,call_types,included_minutes\ngold,domestic,{largest}\n"));
    env.meter(&["plans", "import", &plans]).assert_ok();
    // A customer on it bills every domestic second as included.
    env.import_ok("customers", "gold.csv", "id,name,plans\nacme,Acme Corp,gold\n");
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&[Cdr::domestic("d1", "acme", "2026-01-05T10:00:00Z", 600)]));
    let inv = env.create_ok("acme", "2026-01-01", "2026-01-31");
    assert_eq!(inv["total"], "0.00");
    assert_eq!(inv["lines"][0]["included_seconds"], 600);
    env.assert_db_clean("after billing from the largest allowance");
}
