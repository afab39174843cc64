//! Metered sources end to end: `meter sources set|list|check`, `meter sync`, `meter jobs` and the
//! invoice preview's source summary, through the real binary against the NetSapiens and
//! Brightlink emulators over HTTP on loopback. Every test runs on SQLite and on PostgreSQL.
//!
//! What a sync must store is computed from the emulator's own dataset (`emulator::dataset`), the
//! single source of truth its HTTP handlers serve: every non-hidden leg of the window (NetSapiens
//! v2 without missed calls, which it never fetches), nothing twice, nothing missing.

mod common;

use common::platforms::*;
use common::*;
use emulator::dataset::{self, CallKind};
use emulator::{Emulator, Fault, FaultKind};
use serde_json::Value;
use std::time::{Duration, Instant};

on_both_backends! {
    a_sync_stores_exactly_the_platform_records_and_a_rerun_changes_nothing,
    a_killed_sync_resumes_from_its_last_committed_page,
    sources_check_is_red_for_a_wrong_password_an_unknown_domain_and_a_source_that_is_down,
    the_preview_shows_the_sources_and_turns_red_when_records_are_missing,
    secrets_are_sealed_in_the_database_and_never_shown,
    a_corrected_record_updates_an_unbilled_call_and_is_a_conflict_for_a_billed_one,
    the_cycle_syncs_the_period_before_invoicing_and_holds_a_customer_whose_source_is_down,
}

fn a_sync_stores_exactly_the_platform_records_and_a_rerun_changes_nothing(backend: Backend) {
    // Each kind of fault fires once during the run; the sync must still end with exactly the
    // platform's records.
    let faults = [
        FaultKind::RateLimit,
        FaultKind::ServerError,
        FaultKind::DropConnection,
        FaultKind::TruncatedJson,
        FaultKind::ExpiredToken,
        FaultKind::RepeatPage,
        FaultKind::Slow,
    ];
    let faults =
        faults.iter().enumerate().map(|(i, &kind)| Fault { kind, at: 2 + 2 * i as u64, delay_ms: 300 }).collect();
    let cfg = config(1500, faults);
    let emu = Emulator::spawn(cfg.clone()).expect("the emulator");
    let env = setup(backend, &emu, &cfg);

    let run = sync(&env, &["--all", "--from", FROM, "--to", TO]);
    run.assert_ok();
    let done = jobs(&run);
    assert_eq!(done.len(), 2, "one job per customer and source: {}", run.dump());
    assert_eq!(emu.faults_fired().len(), 7, "every fault fired: {:?}", emu.faults_fired());
    for (customer, source, name, v2) in
        [("acme", "netsapiens", "acme.pbx.example", true), ("globex", "brightlink", "globex.pbx.example", false)]
    {
        let want = expected(&cfg, name, FROM, TO, v2);
        let got = stored(&env, customer, source);
        no_duplicate_ids(&got);
        assert_eq!(got.len(), want.len(), "{customer}: calls stored");
        assert_eq!(got, want, "{customer}: the stored calls are the platform's");
        let job = done.iter().find(|j| j["customer"] == customer).expect("the customer's job");
        assert_eq!(job["state"], "done");
        assert_eq!(job["imported"], want.len() as u64);
        assert_eq!(job["platform_count"], want.len() as u64, "the platform's count");
        assert_eq!(job["stored_count"], want.len() as u64);
        assert_eq!(job["difference"], 0);
        assert_eq!(job["numbers"], 12);
    }

    // The same window again: nothing changes, everything is a duplicate.
    let again = sync(&env, &["--customer", "acme", "--from", FROM, "--to", TO]);
    again.assert_ok();
    let job = &jobs(&again)[0];
    let want = expected(&cfg, "acme.pbx.example", FROM, TO, true).len() as u64;
    assert_eq!((job["imported"].as_u64(), job["updated"].as_u64()), (Some(0), Some(0)));
    assert_eq!(job["duplicates"], want);
    assert_eq!(stored(&env, "acme", "netsapiens").len() as u64, want);

    // Jobs are listed newest first and shown one by one.
    let list = env.meter(&["jobs", "list", "--format", "json"]);
    list.assert_ok();
    let ids: Vec<i64> = jobs(&list).iter().filter_map(|j| j["id"].as_i64()).collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    let shown = env.meter(&["jobs", "show", &ids[0].to_string(), "--format", "json"]);
    shown.assert_ok();
    assert_eq!(shown.json()["customer"], "acme");
    env.meter(&["jobs", "show", "999999"]).assert_code(1).assert_stderr_has("unknown job 999999");
    env.assert_db_clean("after the rerun");
}

fn a_killed_sync_resumes_from_its_last_committed_page(backend: Backend) {
    // Enough pages that a kill lands mid-sync: a slow page holds the sync after some pages have
    // committed.
    let cfg = config(6000, vec![Fault { kind: FaultKind::Slow, at: 5, delay_ms: 20_000 }]);
    let emu = Emulator::spawn(cfg.clone()).expect("the emulator");
    let env = setup(backend, &emu, &cfg);
    // Killed once the job has committed pages and is stuck on the slow one.
    let job = kill_sync_mid_way(&env, &emu, &["--customer", "acme", "--from", FROM, "--to", TO], 3, 5);
    assert_eq!(job["state"], "running");
    let committed = job["imported"].as_u64().expect("imported");
    assert!(committed > 0);
    env.assert_db_clean("after the killed sync");
    let partial = stored(&env, "acme", "netsapiens");
    assert!(partial.len() as u64 >= committed, "committed pages are stored");

    // The rerun resumes the same job after its last committed page: nothing is fetched twice.
    let run = sync(&env, &["--customer", "acme", "--from", FROM, "--to", TO]);
    run.assert_ok();
    let resumed = &jobs(&run)[0];
    let want = expected(&cfg, "acme.pbx.example", FROM, TO, true);
    assert_eq!(resumed["id"], job["id"], "the same job resumed");
    assert_eq!(resumed["state"], "done");
    assert_eq!(resumed["duplicates"], 0, "no page was imported twice: {resumed}");
    assert_eq!(resumed["imported"], want.len() as u64);
    assert_eq!(resumed["difference"], 0);
    let got = stored(&env, "acme", "netsapiens");
    no_duplicate_ids(&got);
    assert_eq!(got, want);
    env.assert_db_clean("after the resumed sync");
}

fn sources_check_is_red_for_a_wrong_password_an_unknown_domain_and_a_source_that_is_down(backend: Backend) {
    let cfg = config(200, Vec::new());
    let emu = Emulator::spawn(cfg.clone()).expect("the emulator");
    let env = setup(backend, &emu, &cfg);
    let check = |customer: &str| env.meter(&["sources", "check", "--customer", customer, "--format", "json"]);

    // Before any sync: everything works but nothing was synced yet.
    let run = check("acme");
    run.assert_code(1);
    assert_eq!(failed(&run, "netsapiens"), vec!["last sync"], "{}", run.dump());
    sync(&env, &["--all", "--from", FROM, "--to", TO]).assert_ok();
    for customer in ["acme", "globex"] {
        let run = check(customer);
        run.assert_ok();
    }
    let text = env.meter(&["sources", "check", "--customer", "acme"]);
    text.assert_ok();
    assert!(text.stdout.contains("credentials") && text.stdout.contains("records"), "{}", text.dump());

    // A wrong password: the credentials check is red and says what to fix.
    set_netsapiens(&env, &emu.netsapiens_url(), &cfg, "not-the-password").assert_ok();
    let run = check("acme");
    run.assert_code(1);
    assert_eq!(failed(&run, "netsapiens"), vec!["credentials"], "{}", run.dump());
    let fix = run.json()["sources"][0]["checks"][0]["fix"].clone();
    let fix = fix.as_str().unwrap_or_default();
    assert!(fix.contains("password") && fix.contains("`meter sources set netsapiens`"), "{}", run.dump());
    set_netsapiens(&env, &emu.netsapiens_url(), &cfg, &cfg.netsapiens.password).assert_ok();
    set_brightlink(&env, &emu.brightlink_url(), &cfg, "wrong").assert_ok();
    assert_eq!(failed(&check("globex"), "brightlink"), vec!["credentials"]);
    set_brightlink(&env, &emu.brightlink_url(), &cfg, &cfg.brightlink.password).assert_ok();

    // An unknown domain.
    env.import_ok("customers", "moved.csv", "id,name,netsapiens_domain\nacme,Acme Corp,nowhere.pbx.example\n");
    let run = check("acme");
    run.assert_code(1);
    assert!(failed(&run, "netsapiens").contains(&"domain".to_owned()), "{}", run.dump());
    env.import_ok("customers", "back.csv", "id,name,netsapiens_domain\nacme,Acme Corp,acme.pbx.example\n");

    // The source is down: nothing listens at its URL.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let url = format!("http://{}", closed.local_addr().expect("its address"));
    drop(closed);
    set_netsapiens(&env, &url, &cfg, &cfg.netsapiens.password).assert_ok();
    let started = Instant::now();
    let run = check("acme");
    run.assert_code(1);
    assert!(failed(&run, "netsapiens").contains(&"credentials".to_owned()), "{}", run.dump());
    assert!(started.elapsed() < Duration::from_secs(30), "a down source is reported promptly");
    // The other source is unaffected.
    check("globex").assert_ok();
}

fn the_preview_shows_the_sources_and_turns_red_when_records_are_missing(backend: Backend) {
    let cfg = config(300, Vec::new());
    let emu = Emulator::spawn(cfg.clone()).expect("the emulator");
    let env = setup(backend, &emu, &cfg);
    // Only the first day is synced: the second day's records are missing.
    sync(&env, &["--customer", "acme", "--from", FROM, "--to", FROM]).assert_ok();
    let preview = env.preview("acme", FROM, TO);
    let records = |doc: &Value| -> bool {
        let checks = doc["sources"][0]["checks"].as_array().expect("the source checks").clone();
        checks.iter().find(|c| c["check"] == "records").and_then(|c| c["ok"].as_bool()).expect("a records check")
    };
    assert_eq!(preview["sources"][0]["source"], "netsapiens");
    assert!(!records(&preview), "a missing day is red: {preview}");
    let text = env.meter(&["invoice", "preview", "--customer", "acme", "--from", FROM, "--to", TO]);
    assert!(text.stdout.contains("Metered sources") && text.stdout.contains("missing"), "{}", text.dump());

    sync(&env, &["--customer", "acme", "--from", FROM, "--to", TO]).assert_ok();
    let preview = env.preview("acme", FROM, TO);
    assert!(records(&preview), "every record is there: {preview}");
    // The invoice document itself is unchanged by the summary.
    assert!(preview["total"].is_string() && preview["lines"].is_array());
}

fn secrets_are_sealed_in_the_database_and_never_shown(backend: Backend) {
    let cfg = config(50, Vec::new());
    let emu = Emulator::spawn(cfg.clone()).expect("the emulator");
    let env = setup(backend, &emu, &cfg);
    let secret = cfg.netsapiens.client_secret.clone();
    let password = cfg.netsapiens.password.clone();

    let key = env.path("secret.key");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key).expect("the key file").permissions());
    assert_eq!(mode & 0o777, 0o600, "the key file is private");

    let list = env.meter(&["sources", "list", "--format", "json"]);
    list.assert_ok();
    let text = env.meter(&["sources", "list"]);
    for run in [&list, &text] {
        assert!(!run.stdout.contains(&secret) && !run.stdout.contains(&password), "{}", run.dump());
    }
    let ns = list.json()["sources"].as_array().expect("sources").iter().find(|s| s["source"] == "netsapiens").cloned();
    let ns = ns.expect("netsapiens is listed");
    assert_eq!(ns["password"], "set", "{ns}");

    if backend == Backend::Sqlite {
        let file = env.db_url().trim_start_matches("sqlite://").to_owned();
        let mut bytes = std::fs::read(&file).expect("the database");
        bytes.extend(std::fs::read(format!("{file}-wal")).unwrap_or_default());
        for s in [&secret, &password] {
            assert!(!bytes.windows(s.len()).any(|w| w == s.as_bytes()), "`{s}` is in the database in clear");
        }
    }

    // Saving again without secrets keeps them; a sync still works.
    let ns_cfg = &cfg.netsapiens;
    let url = emu.netsapiens_url();
    let args = ["sources", "set", "netsapiens", "--url", &url, "--client-id", &ns_cfg.client_id, "--username"];
    let mut args = args.to_vec();
    args.push(&ns_cfg.username);
    env.meter(&args).assert_ok();
    sync(&env, &["--customer", "acme", "--from", FROM, "--to", FROM]).assert_ok();

    // Another key cannot read them.
    let other = env.meter_with_env(
        &["sync", "--customer", "acme", "--from", FROM, "--to", FROM],
        &[("METER_SECRET_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")],
    );
    other.assert_code(1).assert_stderr_has("cannot be decrypted");
}

fn a_corrected_record_updates_an_unbilled_call_and_is_a_conflict_for_a_billed_one(backend: Backend) {
    let cfg = config(100, Vec::new());
    let emu = Emulator::spawn(cfg.clone()).expect("the emulator");
    let env = setup(backend, &emu, &cfg);
    // Two of the platform's answered outbound calls, first stored with a wrong duration (as an
    // earlier export had them). One of them is then billed.
    let spec = &cfg.domains[0];
    let answered: Vec<_> = dataset::calls(cfg.seed, spec, utc(FROM), utc(TO))
        .filter(|c| c.kind == CallKind::Outbound && c.answer.is_some() && !c.hidden && c.to.len() == 11)
        .take(2)
        .collect();
    assert_eq!(answered.len(), 2, "the dataset has answered outbound calls");
    let mut csv = String::from("id,start,duration,direction,from,to,customer\n");
    for c in &answered {
        let start = c.start.format("%Y-%m-%dT%H:%M:%SZ");
        csv.push_str(&format!("{},{start},1,outbound,{},{},acme\n", c.id, c.from, c.to));
    }
    env.import_with("cdrs", "earlier.csv", &csv, &["--source", "netsapiens"]).assert_ok();
    let first_day = answered[0].start.format("%Y-%m-%d").to_string();
    // Billed knowingly (--force) before the platform's records were synced.
    let create = ["invoice", "create", "--customer", "acme", "--from", &first_day, "--to", &first_day, "--force"];
    env.meter(&create).assert_ok();
    let billed: Vec<String> = env
        .calls("acme")
        .iter()
        .filter(|c| c["status"] == "billed")
        .filter_map(|c| c["id"].as_str().map(str::to_owned))
        .collect();
    assert!(!billed.is_empty());

    let run = sync(&env, &["--customer", "acme", "--from", FROM, "--to", TO]);
    run.assert_ok();
    let job = &jobs(&run)[0];
    let (updated, conflicts) = (job["updated"].as_u64().unwrap_or(0), job["conflicts"].as_u64().unwrap_or(0));
    assert_eq!(updated + conflicts, 2, "{job}");
    assert_eq!(conflicts, billed.len() as u64, "{job}");
    for c in env.calls("acme").iter().filter(|c| answered.iter().any(|a| c["id"] == a.id.as_str())) {
        let is_billed = billed.iter().any(|b| c["id"] == b.as_str());
        let duration = c["duration"].as_u64().unwrap_or(0);
        if is_billed {
            assert_eq!(duration, 1, "a billed call keeps what it was billed with: {c}");
        } else {
            assert!(duration > 1, "an unbilled call takes the platform's correction: {c}");
        }
    }
}

fn the_cycle_syncs_the_period_before_invoicing_and_holds_a_customer_whose_source_is_down(backend: Backend) {
    let cfg = config(20, Vec::new());
    let emu = Emulator::spawn(cfg.clone()).expect("the emulator");
    let env = setup(backend, &emu, &cfg);
    // Brightlink is down: globex is held, acme is synced for October and invoiced.
    set_brightlink(&env, "http://127.0.0.1:9/brightlink/", &cfg, &cfg.brightlink.password).assert_ok();
    let run = env.meter(&["cycle", "run", "--date", "2026-11-01", "--format", "json"]);
    // A customer held is a failure of the run (exit 1), after every other customer was done.
    run.assert_code(1).assert_stderr_has("held globex: ");
    let doc = run.json();
    let invoices = doc["invoices"].as_array().expect("invoices").clone();
    assert_eq!(invoices.len(), 1, "{}", run.dump());
    assert_eq!(invoices[0]["customer"], "acme");
    let held = doc["held"].as_array().expect("a `held` list");
    assert_eq!(held.len(), 1, "{doc}");
    assert_eq!(held[0]["customer"], "globex");
    assert!(held[0]["reason"].as_str().is_some_and(|r| r.contains("sync job") && r.contains("brightlink")), "{doc}");
    assert_eq!((&doc["skipped"], &doc["failed"]), (&serde_json::json!([]), &serde_json::json!([])));
    let synced = stored(&env, "acme", "netsapiens");
    assert_eq!(synced, expected(&cfg, "acme.pbx.example", "2026-10-01", "2026-10-31", true));
    let billed = env.calls("acme").iter().filter(|c| c["status"] == "billed").count();
    assert!(billed > 0, "the synced calls are on the invoice");
}

/// `meter demo`: the walk-through runs end to end on its own database, with the emulators.
#[cfg(feature = "demo")]
#[test]
fn the_demo_runs_end_to_end() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_meter"))
        .arg("demo")
        .current_dir(dir.path())
        .env_remove("METER_DATABASE_URL")
        .env("HOME", dir.path())
        // The demo's directory and the PDF it leaves behind go here.
        .env("TMPDIR", dir.path())
        .output()
        .expect("running meter demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "meter demo failed\n{stdout}\n{stderr}");
    for step in [
        "$ meter invoice create",
        "$ meter sync --customer acme",
        "$ meter cycle run --date 2026-11-01",
        "$ meter invoice finalize D-1",
        "$ meter invoice render INV-000001 --format pdf",
        "Done.",
    ] {
        assert!(stdout.contains(step), "the demo shows `{step}`:\n{stdout}");
    }
    // It ends with the finalized invoice as a PDF with its calls, and says where it is.
    let pdf = stdout
        .lines()
        .find_map(|l| l.strip_prefix("The invoice, with its call detail: "))
        .unwrap_or_else(|| panic!("the demo says where the PDF is:\n{stdout}"));
    let bytes = std::fs::read(pdf).expect("the demo's PDF");
    assert!(bytes.starts_with(b"%PDF-"), "{pdf} is a PDF");
    assert!(std::path::Path::new(pdf).starts_with(dir.path()), "{pdf} is in the temporary directory");
    assert!(!stdout.contains("(exit status"), "every step succeeds:\n{stdout}\n{stderr}");
    assert!(!dir.path().join("meter.db").exists(), "the demo never touches the working directory's database");
}
