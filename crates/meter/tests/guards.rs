//! Invoices and cycles that refuse to bill partial data: `invoice create` refuses a range while a
//! sync of the customer runs over it, while a source's records check is red for it, or when the
//! platform cannot be asked for its count (`--force` overrides, the preview warns the same way);
//! `cycle run` lists what it skipped, held and failed and exits 1 when a due customer was held or
//! failed; a cycle date whose period has not ended is a usage error unless `--allow-future`.
//! Through the real binary, against the PBX emulators where sources matter, on both backends.

mod common;

use common::platforms::*;
use common::*;
use emulator::{Emulator, Fault, FaultKind};
use serde_json::{json, Value};

on_both_backends! {
    a_running_sync_holds_the_invoice_until_its_job_is_stale,
    missing_records_hold_the_invoice_the_preview_says_so_and_force_overrides,
    a_platform_that_cannot_be_counted_holds_the_invoice,
    the_cycle_holds_a_customer_whose_records_do_not_match_the_platform,
    the_cycle_lists_a_customer_it_cannot_invoice_as_failed_and_invoices_the_others,
    a_cycle_date_whose_period_has_not_ended_is_a_usage_error_unless_allowed,
}

const FROM: &str = "2026-11-01";
const TO: &str = "2026-11-02";

/// `invoice create` for acme over FROM..TO, with extra arguments and environment.
fn create_with(env: &Env, extra: &[&str], vars: &[(&str, &str)]) -> Run {
    let mut args = vec!["invoice", "create", "--customer", "acme", "--from", FROM, "--to", TO, "--format", "json"];
    args.extend_from_slice(extra);
    env.meter_with_env(&args, vars)
}

/// The `incomplete` list of acme's preview of FROM..TO.
fn incomplete(env: &Env) -> Vec<Value> {
    let doc = env.preview("acme", FROM, TO);
    doc["incomplete"].as_array().unwrap_or_else(|| panic!("the preview has no `incomplete` list: {doc}")).clone()
}

/// The number N of "(N missing)" in a text.
fn missing_in(text: &str) -> u64 {
    let end = text.find(" missing)").unwrap_or_else(|| panic!("no `(N missing)` in {text}"));
    let start = text[..end].rfind('(').expect("an opening parenthesis") + 1;
    text[start..end].parse().expect("a count")
}

fn a_running_sync_holds_the_invoice_until_its_job_is_stale(backend: Backend) {
    // The sync's second page is held for a minute; the sync is killed while it waits, leaving
    // its job `running` with the first page stored, as a process that died would.
    let cfg = config(400, vec![Fault { kind: FaultKind::Slow, at: 2, delay_ms: 60_000 }]);
    let emu = Emulator::spawn(cfg.clone()).expect("the emulator");
    let env = setup(backend, &emu, &cfg);
    let job = kill_sync_mid_way(&env, &emu, &["--customer", "acme", "--from", FROM, "--to", TO], 1, 2);
    assert_eq!(job["state"], "running", "{job}");
    let id = job["id"].as_i64().expect("a job id");
    let stored = job["imported"].as_u64().expect("the calls of the first page");
    assert!(stored > 0, "{job}");

    // While the job is fresh, the invoice is refused, naming the job; the preview warns the same.
    let refused = create_with(&env, &[], &[]);
    refused.assert_code(1).assert_no_stdout();
    refused.assert_stderr_has(&format!("sync job {id} of netsapiens is running")).assert_stderr_has("--force");
    let held = incomplete(&env);
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(
        (&held[0]["kind"], &held[0]["source"], &held[0]["job"]),
        (&json!("sync_running"), &json!("netsapiens"), &json!(id))
    );

    // An hour later the job has long been silent: its process is gone, and it holds nothing any
    // more. The records check does: the sync stored only the first page.
    let later = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let run = create_with(&env, &[], &[("METER_TEST_NOW", &later)]);
    run.assert_code(1);
    assert!(!run.stderr.contains("sync job"), "a stale job holds nothing\n{}", run.dump());
    let platform = job["platform_count"].as_u64().expect("the platform's count, taken before the first page");
    assert_eq!(missing_in(&run.stderr), platform - stored, "{}", run.dump());

    // Syncing again resumes and finishes the job; then the invoice is made.
    let resumed = sync(&env, &["--customer", "acme", "--from", FROM, "--to", TO]);
    resumed.assert_ok();
    assert_eq!(jobs(&resumed)[0]["id"], id);
    let doc = create_with(&env, &[], &[]);
    doc.assert_ok();
    assert!(doc.json()["lines"].as_array().is_some_and(|l| !l.is_empty()), "{}", doc.dump());
    env.assert_db_clean("after the invoice");
}

fn missing_records_hold_the_invoice_the_preview_says_so_and_force_overrides(backend: Backend) {
    let cfg = config(300, Vec::new());
    let emu = Emulator::spawn(cfg.clone()).expect("the emulator");
    let env = setup(backend, &emu, &cfg);
    // Only the first day is synced: the second day's records are missing.
    let first = sync(&env, &["--customer", "acme", "--from", FROM, "--to", FROM]);
    first.assert_ok();
    let stored = jobs(&first)[0]["stored_count"].as_u64().expect("stored");

    let refused = create_with(&env, &[], &[]);
    refused.assert_code(1).assert_no_stdout().assert_stderr_has("netsapiens counts").assert_stderr_has("--force");
    let missing = missing_in(&refused.stderr);
    assert!(missing > 0, "{}", refused.dump());
    assert!(env.calls("acme").iter().all(|c| c["status"] != "billed"), "nothing was billed");

    // The preview says the same, in JSON and in text.
    let held = incomplete(&env);
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["kind"], "records");
    assert_eq!(held[0]["source"], "netsapiens");
    assert_eq!(held[0]["missing"], missing);
    assert_eq!(held[0]["stored_count"], stored);
    let text = env.meter(&["invoice", "preview", "--customer", "acme", "--from", FROM, "--to", TO]);
    text.assert_ok();
    assert!(
        text.stdout.contains(&format!("({missing} missing)")) && text.stdout.contains("--force"),
        "{}",
        text.dump()
    );

    // --force bills what is stored, knowingly.
    let forced = create_with(&env, &["--force"], &[]);
    forced.assert_ok();
    let billed = env.calls("acme").iter().filter(|c| c["status"] == "billed").count();
    assert!(billed > 0, "{}", forced.dump());

    // The whole range synced: the platform's count confirms how many were missing.
    let full = sync(&env, &["--customer", "acme", "--from", FROM, "--to", TO]);
    full.assert_ok();
    assert_eq!(jobs(&full)[0]["platform_count"].as_u64(), Some(stored + missing));
    assert!(incomplete(&env).is_empty(), "nothing is missing any more");
    env.assert_db_clean("after the forced invoice");
}

fn a_platform_that_cannot_be_counted_holds_the_invoice(backend: Backend) {
    let cfg = config(100, Vec::new());
    let emu = Emulator::spawn(cfg.clone()).expect("the emulator");
    let env = setup(backend, &emu, &cfg);
    sync(&env, &["--all", "--from", FROM, "--to", TO]).assert_ok();
    // NetSapiens goes down: nothing listens at its URL any more.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let url = format!("http://{}", closed.local_addr().expect("its address"));
    drop(closed);
    set_netsapiens(&env, &url, &cfg, &cfg.netsapiens.password).assert_ok();

    let refused = create_with(&env, &[], &[]);
    refused.assert_code(1).assert_no_stdout();
    refused.assert_stderr_has("netsapiens could not be asked for its count").assert_stderr_has("--force");
    let held = incomplete(&env);
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!((&held[0]["kind"], &held[0]["source"]), (&json!("unreachable"), &json!("netsapiens")));
    // A customer on the other platform is not held by it.
    env.create_ok("globex", FROM, TO);
    create_with(&env, &["--force"], &[]).assert_ok();
    env.assert_db_clean("after the invoices");
}

/// A cycle's JSON list (`skipped`, `held`, `failed`) as (customer, reason) pairs.
fn listed(doc: &Value, list: &str) -> Vec<(String, String)> {
    let entries = doc[list].as_array().unwrap_or_else(|| panic!("no `{list}` list in {doc}"));
    entries
        .iter()
        .map(|e| (e["customer"].as_str().unwrap_or("?").into(), e["reason"].as_str().unwrap_or("?").into()))
        .collect()
}

/// The customers a cycle's JSON invoiced.
fn invoiced(doc: &Value) -> Vec<String> {
    doc["invoices"].as_array().expect("invoices").iter().map(|d| d["customer"].as_str().unwrap_or("?").into()).collect()
}

fn the_cycle_holds_a_customer_whose_records_do_not_match_the_platform(backend: Backend) {
    let cfg = config(20, Vec::new());
    let emu = Emulator::spawn(cfg.clone()).expect("the emulator");
    let env = setup(backend, &emu, &cfg);
    // acme's October holds a call of an older export that the platform does not have.
    let old = "id,start,duration,direction,from,to,customer\nold-1,2026-10-15T12:00:00Z,60,outbound,12025550199,12125550100,acme\n";
    env.import_with("cdrs", "old.csv", old, &["--source", "netsapiens"]).assert_ok();

    let run = env.meter(&["cycle", "run", "--date", "2026-11-01", "--format", "json"]);
    run.assert_code(1).assert_stderr_has("held acme: ");
    let doc = run.json();
    assert_eq!(invoiced(&doc), ["globex"], "the other customer is invoiced: {doc}");
    let held = listed(&doc, "held");
    assert_eq!(held.len(), 1, "{doc}");
    assert_eq!(held[0].0, "acme");
    assert!(held[0].1.contains("1 more than the platform"), "{doc}");
    assert!(listed(&doc, "skipped").is_empty() && listed(&doc, "failed").is_empty(), "{doc}");
    assert!(env.calls("acme").iter().all(|c| c["status"] != "billed"), "acme was not invoiced");
}

fn the_cycle_lists_a_customer_it_cannot_invoice_as_failed_and_invoices_the_others(backend: Backend) {
    let env = Env::seeded_on(backend);
    let calls = [
        Cdr::domestic("a1", "acme", "2026-01-10T12:00:00Z", 60),
        Cdr::domestic("g1", "globex", "2026-01-10T12:00:00Z", 60),
    ];
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&calls));
    // acme's time zone was edited by hand into something that is no zone: acme, first in id
    // order, cannot be invoiced; globex still is.
    env.sql("UPDATE customers SET timezone = 'Mars/Olympus_Mons' WHERE id = 'acme'");
    let run = env.meter(&["cycle", "run", "--date", "2026-02-01", "--format", "json"]);
    run.assert_code(1).assert_stderr_has("failed acme: ");
    let doc = run.json();
    assert_eq!(invoiced(&doc), ["globex"], "{doc}");
    let failed = listed(&doc, "failed");
    assert_eq!(failed.len(), 1, "{doc}");
    assert!(failed[0].0 == "acme" && failed[0].1.contains("Mars/Olympus_Mons"), "{doc}");
    assert!(listed(&doc, "skipped").is_empty() && listed(&doc, "held").is_empty(), "{doc}");
}

fn a_cycle_date_whose_period_has_not_ended_is_a_usage_error_unless_allowed(backend: Backend) {
    let env = Env::seeded_on(backend);
    let calls = [
        Cdr::domestic("a1", "acme", "2026-02-10T12:00:00Z", 60),
        Cdr::domestic("g1", "globex", "2026-02-10T17:00:00Z", 60),
    ];
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&calls));
    // 02:00 UTC on 1 March: February has ended for acme (UTC), not for globex (New York, where it
    // is 21:00 on the 28th).
    let early = [("METER_TEST_NOW", "2026-03-01T02:00:00Z")];
    let run = env.meter_with_env(&["cycle", "run", "--date", "2026-03-01", "--format", "json"], &early);
    run.assert_usage_error().assert_no_stdout();
    run.assert_stderr_has("globex").assert_stderr_has("2026-02-28").assert_stderr_has("--allow-future");
    assert!(env.calls("acme").iter().all(|c| c["status"] != "billed"), "nothing was invoiced");
    env.meter_with_env(&["cycle", "run", "--date", "2026-04-01"], &early).assert_usage_error();

    // --allow-future runs it anyway.
    let run =
        env.meter_with_env(&["cycle", "run", "--date", "2026-03-01", "--allow-future", "--format", "json"], &early);
    run.assert_ok();
    assert_eq!(invoiced(&run.json()), ["acme", "globex"]);

    // Once the period has ended everywhere, a rerun skips both: already invoiced, exit 0.
    let ended = [("METER_TEST_NOW", "2026-03-01T06:00:00Z")];
    let run = env.meter_with_env(&["cycle", "run", "--date", "2026-03-01", "--format", "json"], &ended);
    run.assert_ok();
    let doc = run.json();
    let skipped = listed(&doc, "skipped");
    assert_eq!(skipped.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(), ["acme", "globex"], "{doc}");
    assert!(skipped.iter().all(|s| s.1.contains("already invoiced")), "{doc}");
    assert!(invoiced(&doc).is_empty() && listed(&doc, "held").is_empty() && listed(&doc, "failed").is_empty(), "{doc}");
}
