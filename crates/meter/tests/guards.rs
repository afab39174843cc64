//! Invoices that refuse to bill partial data: `invoice create` refuses a range while a sync of the
//! customer runs over it, while a source's records check is red for it, or when the platform
//! cannot be asked for its count (`--force` overrides, the preview warns the same way). Through
//! the real binary, against the PBX emulators, on both backends.

mod common;

use common::platforms::*;
use common::*;
use emulator::{Emulator, Fault, FaultKind};
use serde_json::{json, Value};

on_both_backends! {
    a_running_sync_holds_the_invoice_until_its_job_is_stale,
    missing_records_hold_the_invoice_the_preview_says_so_and_force_overrides,
    a_platform_that_cannot_be_counted_holds_the_invoice,
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
    let Some(env) = setup(backend, &emu, &cfg) else { return };
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
    let Some(env) = setup(backend, &emu, &cfg) else { return };
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
    let Some(env) = setup(backend, &emu, &cfg) else { return };
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
