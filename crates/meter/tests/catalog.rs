//! What is stored, listed from the command line: `customers list|show`, `plans list`, and
//! `calls list` across customers with its filters (`--invoice`, `--status`, `--call-type`,
//! `--number`, `--source`, `--from/--to` in each customer's zone).

mod common;

use common::*;
use serde_json::Value;

on_both_backends! {
    customers_are_listed_and_shown_with_numbers_syncs_and_open_invoices,
    plans_are_listed_with_their_allowances_and_customers,
    calls_are_listed_across_customers_in_start_order,
    every_filter_of_the_call_listing_narrows_it,
    the_days_of_a_listing_across_customers_are_each_customers_own,
}

/// acme (UTC) and globex (New York) with calls of every status in November, acme's invoiced.
fn with_calls(backend: Backend) -> (Env, String) {
    let env = Env::seeded_on(backend);
    let calls = [
        Cdr::domestic("a1", "acme", "2026-11-02T10:00:00Z", 60),
        Cdr::international("g1", "globex", "2026-11-02T11:00:00Z", 30),
        Cdr::premium("a2", "acme", "2026-11-03T10:00:00Z", 45),
        Cdr::domestic("g2", "globex", "2026-11-03T12:00:00Z", 0),
        Cdr { to: "12125559876".into(), ..Cdr::domestic("a3", "acme", "2026-11-04T10:00:00Z", 90) },
        Cdr::on_net("g3", "globex", "2026-11-05T10:00:00Z", 20),
    ];
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&calls));
    let synced = [Cdr::domestic("n1", "globex", "2026-11-06T10:00:00Z", 40)];
    let file = env.write("ns.csv", &cdrs_csv(&synced));
    env.meter(&["cdrs", "import", &file, "--source", "netsapiens"]).assert_ok();
    let id = env.create_ok("acme", "2026-11-01", "2026-11-30")["id"].as_str().expect("an id").to_owned();
    (env, id)
}

/// `calls list ARGS --format json`, which must succeed: the calls' (customer, id, status).
#[track_caller]
fn listed(env: &Env, args: &[&str]) -> Vec<(String, String, String)> {
    let mut all = vec!["calls", "list", "--format", "json"];
    all.extend_from_slice(args);
    let run = env.meter(&all);
    run.assert_ok();
    let calls = run.json()["calls"].as_array().expect("a `calls` array").clone();
    let s = |c: &Value, k: &str| c[k].as_str().unwrap_or_default().to_owned();
    calls.iter().map(|c| (s(c, "customer"), s(c, "id"), s(c, "status"))).collect()
}

fn ids(calls: &[(String, String, String)]) -> Vec<&str> {
    calls.iter().map(|c| c.1.as_str()).collect()
}

fn customers_are_listed_and_shown_with_numbers_syncs_and_open_invoices(backend: Backend) {
    let (env, invoice) = with_calls(backend);
    env.import_ok("numbers", "numbers.csv", "customer,number,enabled\nacme,12025550199,true\n");
    let run = env.meter(&["customers", "list", "--format", "json"]);
    run.assert_ok();
    let list = run.json()["customers"].as_array().expect("customers").clone();
    let ids: Vec<&str> = list.iter().map(|c| c["id"].as_str().unwrap_or_default()).collect();
    assert_eq!(ids, ["acme", "globex"]);
    assert_eq!(list[1]["timezone"], "America/New_York");
    assert_eq!(list[0]["plans"], serde_json::json!(["basic", "world"]));
    assert_eq!(list[1]["domains"], serde_json::json!([{"source": "brightlink", "domain": "globex.pbx.example"}]));

    let csv = env.meter(&["customers", "list", "--format", "csv"]);
    csv.assert_ok();
    let lines: Vec<&str> = csv.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", csv.dump());
    assert!(lines[0].starts_with("id,name,timezone,billing_day,currency,plans"), "{}", csv.dump());
    assert!(lines[1].contains("basic|world") && lines[1].contains("netsapiens:acme.pbx.example"), "{}", csv.dump());
    let text = env.meter(&["customers", "list"]);
    text.assert_ok();
    assert!(text.stdout.contains("Globex Inc") && text.stdout.contains("2 customers"), "{}", text.dump());

    let run = env.meter(&["customers", "show", "acme", "--format", "json"]);
    run.assert_ok();
    let acme = run.json();
    assert_eq!((&acme["billing_day"], &acme["currency"]), (&Value::from(1), &Value::from("USD")));
    assert_eq!(acme["numbers"][0]["number"], "12025550199");
    assert_eq!(acme["open_invoices"][0]["id"], Value::from(invoice.clone()));
    assert_eq!(acme["last_syncs"], serde_json::json!([]), "acme never synced");
    let text = env.meter(&["customers", "show", "acme"]);
    text.assert_ok();
    for part in ["UTC", "basic, world", "acme.pbx.example", "never synced", "12025550199", invoice.as_str()] {
        assert!(text.stdout.contains(part), "`{part}` in\n{}", text.dump());
    }
    // Once deleted, the draft is no longer open.
    env.meter(&["invoice", "delete", &invoice]).assert_ok();
    let after = env.meter(&["customers", "show", "acme", "--format", "json"]);
    assert_eq!(after.json()["open_invoices"], serde_json::json!([]));
    env.meter(&["customers", "show", "nobody"]).assert_code(1).assert_stderr_has("unknown customer `nobody`");
}

fn plans_are_listed_with_their_allowances_and_customers(backend: Backend) {
    let env = Env::seeded_on(backend);
    let run = env.meter(&["plans", "list", "--format", "json"]);
    run.assert_ok();
    let plans = run.json()["plans"].clone();
    assert_eq!(plans[0]["id"], "basic");
    assert_eq!(plans[0]["allowances"][0]["call_types"], serde_json::json!(["domestic", "on_net"]));
    assert_eq!(plans[0]["allowances"][0]["included_minutes"], 100);
    assert_eq!(plans[1]["customers"], serde_json::json!(["acme"]));
    let csv = env.meter(&["plans", "list", "--format", "csv"]);
    csv.assert_ok();
    assert_eq!(csv.stdout.lines().nth(1), Some("basic,domestic|on_net,100,Domestic bundle,acme"), "{}", csv.dump());
    let text = env.meter(&["plans", "list"]);
    text.assert_ok();
    assert!(text.stdout.contains("Some international minutes") && text.stdout.contains("2 plans"), "{}", text.dump());
}

fn calls_are_listed_across_customers_in_start_order(backend: Backend) {
    let (env, _) = with_calls(backend);
    let all = listed(&env, &[]);
    assert_eq!(ids(&all), ["a1", "g1", "a2", "g2", "a3", "g3", "n1"]);
    // Each customer's part is what its own listing shows.
    for customer in ["acme", "globex"] {
        let theirs: Vec<_> = all.iter().filter(|c| c.0 == customer).cloned().collect();
        assert_eq!(listed(&env, &["--customer", customer]), theirs);
    }
    let text = env.meter(&["calls", "list"]);
    text.assert_ok();
    assert!(text.stdout.contains("7 calls; times in UTC"), "{}", text.dump());
}

fn every_filter_of_the_call_listing_narrows_it(backend: Backend) {
    let (env, invoice) = with_calls(backend);
    let all = listed(&env, &[]);
    for status in ["unbilled", "billed", "unrated", "unanswered"] {
        let expected: Vec<_> = all.iter().filter(|c| c.2 == status).cloned().collect();
        assert!(!expected.is_empty(), "the data has {status} calls");
        assert_eq!(listed(&env, &["--status", status]), expected, "--status {status}");
    }
    let on_invoice = listed(&env, &["--invoice", &invoice]);
    assert_eq!(ids(&on_invoice), ["a1", "a3"]);
    let number = invoice.trim_start_matches("D-");
    assert_eq!(listed(&env, &["--invoice", number]), on_invoice, "the number alone names the invoice");
    assert_eq!(ids(&listed(&env, &["--invoice", &invoice, "--customer", "globex"])), Vec::<&str>::new());
    assert_eq!(ids(&listed(&env, &["--call-type", "international"])), ["g1"]);
    assert_eq!(ids(&listed(&env, &["--call-type", "premium", "--status", "unrated"])), ["a2"]);
    assert_eq!(ids(&listed(&env, &["--number", "555987"])), ["a3"]);
    assert_eq!(ids(&listed(&env, &["--number", "4420794"])), ["g1"]);
    assert_eq!(ids(&listed(&env, &["--source", "netsapiens"])), ["n1"]);
    assert_eq!(ids(&listed(&env, &["--source", "file", "--customer", "globex", "--status", "unbilled"])), ["g1", "g3"]);

    env.meter(&["calls", "list", "--invoice", "INV-999999"]).assert_code(1).assert_stderr_has("unknown invoice");
    env.meter(&["calls", "list", "--status", "lost"]).assert_usage_error();
    env.meter(&["calls", "list", "--call-type", "no such type!"]).assert_usage_error();
    env.meter(&["calls", "list", "--from", "2026-11-30", "--to", "2026-11-01"])
        .assert_usage_error()
        .assert_stderr_has("--from 2026-11-30 is after --to 2026-11-01");
}

fn the_days_of_a_listing_across_customers_are_each_customers_own(backend: Backend) {
    let env = Env::seeded_on(backend);
    // 03:00 UTC on December 1st is still November 30th in New York, not in UTC.
    let calls = [
        Cdr::domestic("a-dec", "acme", "2026-12-01T03:00:00Z", 60),
        Cdr::domestic("g-nov", "globex", "2026-12-01T03:00:00Z", 60),
        Cdr::domestic("a-nov", "acme", "2026-11-30T23:00:00Z", 60),
    ];
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&calls));
    let november = listed(&env, &["--from", "2026-11-01", "--to", "2026-11-30"]);
    assert_eq!(ids(&november), ["a-nov", "g-nov"]);
    let december = listed(&env, &["--from", "2026-12-01", "--to", "2026-12-31"]);
    assert_eq!(ids(&december), ["a-dec"]);
}
