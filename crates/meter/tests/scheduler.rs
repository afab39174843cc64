//! `meter scheduler --once` with a clock the test sets (`METER_TEST_NOW`): it pulls the days
//! before each due day from the platforms (the emulator), runs the day's cycle, catches up the
//! days it missed oldest first, does nothing when run again, and acts once when two schedulers
//! share a database.

mod common;

use common::platforms::{config, expected, setup, stored};
use common::*;
use emulator::Emulator;
use serde_json::Value;

on_both_backends! {
    the_scheduler_catches_up_missed_days_oldest_first_and_a_second_pass_does_nothing,
}

/// acme (NetSapiens) is billed on the 2nd, globex (Brightlink) on the 3rd.
const CUSTOMERS: &str = "id,name,timezone,billing_day,currency,plans,netsapiens_domain,brightlink_domain
acme,Acme Corp,UTC,2,USD,,acme.pbx.example,
globex,Globex Inc,UTC,3,USD,,,globex.pbx.example
";

/// `meter scheduler --once --format json` at the instant `now`, with the work at 02:00 UTC and
/// three days of overlap.
#[track_caller]
fn scheduler_at(env: &Env, now: &str) -> Value {
    let args = ["scheduler", "--once", "--at", "02:00", "--zone", "UTC", "--overlap", "3", "--format", "json"];
    let run = env.meter_with_env(&args, &[("METER_TEST_NOW", now)]);
    run.assert_ok();
    run.json()
}

fn days_of(tick: &Value) -> Vec<String> {
    let days = tick["days"].as_array().unwrap_or_else(|| panic!("no days in {tick:#}"));
    days.iter().map(|d| d["day"].as_str().expect("a day").to_owned()).collect()
}

fn the_scheduler_catches_up_missed_days_oldest_first_and_a_second_pass_does_nothing(backend: Backend) {
    let cfg = config(20, Vec::new());
    let emu = Emulator::spawn(cfg.clone()).expect("the emulator");
    let env = setup(backend, &emu, &cfg);
    env.import_ok("customers", "customers.csv", CUSTOMERS);

    // Before 02:00 nothing is due yet on a first start: the day before is the latest.
    let first = scheduler_at(&env, "2026-11-01T01:00:00Z");
    assert_eq!(days_of(&first), vec!["2026-10-31"]);
    let day = &first["days"][0];
    assert_eq!((&day["pulled_from"], &day["pulled_to"]), (&"2026-10-27".into(), &"2026-10-30".into()));
    assert_eq!(day["syncs"], 2, "{first:#}");
    assert_eq!(day["invoiced"], serde_json::json!([]));

    // Down for three days: each missed day is run, oldest first; acme is invoiced on the 2nd and
    // globex on the 3rd, each for the period that ended the day before.
    let tick = scheduler_at(&env, "2026-11-03T02:00:00Z");
    assert_eq!(days_of(&tick), vec!["2026-11-01", "2026-11-02", "2026-11-03"], "{tick:#}");
    assert_eq!(tick["waiting"], Value::Null);
    let invoiced: Vec<&Value> = tick["days"].as_array().expect("days").iter().map(|d| &d["invoiced"]).collect();
    assert_eq!(invoiced, [&serde_json::json!([]), &serde_json::json!(["acme"]), &serde_json::json!(["globex"])]);
    let mut jobs = Vec::new();
    let pulled = [("2026-10-28", "2026-10-31"), ("2026-10-29", "2026-11-01"), ("2026-10-30", "2026-11-02")];
    for (d, (from, to)) in tick["days"].as_array().expect("days").iter().zip(pulled) {
        assert_eq!((&d["pulled_from"], &d["pulled_to"]), (&from.into(), &to.into()), "{d:#}");
        assert_eq!(d["syncs"], 2, "{d:#}");
        assert!(d["sync_failed"].as_array().is_some_and(Vec::is_empty), "{d:#}");
        jobs.push(d["job"].as_u64().expect("the day's job"));
    }
    assert!(jobs.windows(2).all(|w| w[0] < w[1]), "the days run oldest first: {jobs:?}");

    // The days pulled are stored: every record of the platforms from the first pull on.
    for (customer, source, name, v2) in
        [("acme", "netsapiens", "acme.pbx.example", true), ("globex", "brightlink", "globex.pbx.example", false)]
    {
        let got: Vec<_> = stored(&env, customer, source).into_iter().filter(|c| c.1.as_str() >= "2026-10-27").collect();
        assert_eq!(got, expected(&cfg, name, "2026-10-27", "2026-11-02", v2), "{customer}'s calls");
    }
    // Each invoice is the cycle's, for the period that ended the day before its billing day.
    for (customer, from, to) in [("acme", "2026-10-02", "2026-11-01"), ("globex", "2026-10-03", "2026-11-02")] {
        let ledger = Ledger::read(&env, customer);
        let periods: Vec<(&Value, &Value)> = ledger.invoices.values().map(|d| (&d["from"], &d["to"])).collect();
        assert_eq!(periods, vec![(&from.into(), &to.into())], "{customer}'s invoices");
        let billed: Vec<&Listed> = ledger.billed().collect();
        assert!(!billed.is_empty(), "{customer}: nothing billed");
        assert!(
            billed.iter().all(|c| c.date() >= from && c.date() <= to),
            "{customer}: a call billed outside {from}..{to}"
        );
    }

    // Run again at the same instant, or later the same day: nothing to do.
    assert_eq!(scheduler_at(&env, "2026-11-03T02:00:00Z"), serde_json::json!({"outcome": "idle"}));
    assert_eq!(scheduler_at(&env, "2026-11-03T23:59:00Z"), serde_json::json!({"outcome": "idle"}));

    // The days are jobs of kind `scheduler`, each followed by its cycle's job.
    let listed = env.meter(&["jobs", "list", "--format", "json"]);
    listed.assert_ok();
    let runs: Vec<(String, String, String)> = listed.json()["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .filter(|j| j["kind"] != "sync")
        .map(|j| {
            let s = |k: &str| j[k].as_str().expect(k).to_owned();
            (s("kind"), s("date"), s("state"))
        })
        .collect();
    let mut want = Vec::new();
    for day in ["2026-11-03", "2026-11-02", "2026-11-01", "2026-10-31"] {
        want.push(("cycle".to_owned(), day.to_owned(), "done".to_owned()));
        want.push(("scheduler".to_owned(), day.to_owned(), "done".to_owned()));
    }
    assert_eq!(runs, want);
    env.assert_db_clean("after the scheduler");
}

/// Two schedulers on one PostgreSQL database: while one holds the lease the other does nothing,
/// and two started at once run each missed day once between them.
#[test]
fn two_schedulers_on_one_postgresql_database_act_once() {
    let env = Env::seeded_on(Backend::Postgres);
    let calls: Vec<Cdr> = (0..40)
        .map(|i| Cdr::domestic(format!("a{i}"), "acme", &format!("2026-01-{:02}T10:00:00Z", 1 + i % 28), 60))
        .collect();
    env.import_ok("cdrs", "calls.csv", &cdrs_csv(&calls));
    scheduler_at(&env, "2026-01-25T03:00:00Z");

    // Another scheduler holds the lease: this one does nothing and says who acts.
    env.sql("UPDATE scheduler SET holder = 'other-host:42', lease_until = now() + interval '1 hour'");
    let busy = scheduler_at(&env, "2026-02-03T03:00:00Z");
    assert_eq!(busy["outcome"], "busy");
    assert_eq!(busy["holder"], "other-host:42");
    assert!(busy["left_seconds"].as_u64().is_some_and(|s| s > 3_500 && s <= 3_600), "{busy:#}");
    let text = env.meter_with_env(&["scheduler", "--once"], &[("METER_TEST_NOW", "2026-02-03T03:00:00Z")]);
    text.assert_ok();
    assert!(text.stdout.contains("another scheduler is acting (other-host:42)"), "{}", text.dump());
    // Its lease ended (it died): the next one takes over.
    env.sql("UPDATE scheduler SET lease_until = now() - interval '1 second'");

    // Two at once: between them each missed day runs once, and acme is invoiced once.
    let args = ["scheduler", "--once", "--at", "02:00", "--zone", "UTC", "--format", "json"];
    let now = [("METER_TEST_NOW", "2026-02-03T03:00:00Z")];
    let (a, b) = (env.spawn_with_env(&args, &now), env.spawn_with_env(&args, &now));
    let limit = std::time::Duration::from_secs(120);
    let (a, b) = (a.wait(limit), b.wait(limit));
    let mut days = Vec::new();
    let mut outcomes = Vec::new();
    for ended in [&a, &b] {
        ended.run.assert_ok();
        let tick = ended.run.json();
        outcomes.push(tick["outcome"].as_str().expect("an outcome").to_owned());
        if tick["outcome"] == "ran" {
            days.extend(days_of(&tick));
        }
    }
    outcomes.sort();
    assert!(outcomes == ["busy", "ran"] || outcomes == ["idle", "ran"], "{outcomes:?}");
    let want: Vec<String> =
        (26..=31).map(|d| format!("2026-01-{d}")).chain((1..=3).map(|d| format!("2026-02-0{d}"))).collect();
    assert_eq!(days, want, "each missed day once, oldest first");
    let ledger = Ledger::read(&env, "acme");
    assert_eq!(ledger.invoices.len(), 1, "acme invoiced once: {:?}", ledger.invoices.keys());
    let doc = ledger.invoices.values().next().expect("an invoice");
    assert_eq!((&doc["from"], &doc["to"]), (&"2026-01-01".into(), &"2026-01-31".into()));
    assert_eq!(ledger.billed_ids().len(), 40);
    env.assert_db_clean("after two schedulers");
}
