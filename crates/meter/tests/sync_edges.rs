//! What a sync must never do, end to end through the real binary against the emulators on both
//! backends: show or store a secret a platform echoes, end an unknown domain's sync as done, store
//! a record outside its window, or store a flawed record in silence (released before its answer, or dialing no digit).

mod common;

use common::platforms::*;
use common::*;
use emulator::dataset::{self, CallKind};
use emulator::{Config, Emulator, Fault, FaultKind, Routes, Trap, TrapReply};
use store::prelude::*;
use store::{JobQuery, Store};

on_both_backends! {
    secrets_a_platform_echoes_reach_no_output_log_or_job,
    an_unknown_domain_fails_the_sync_and_names_it,
    a_sync_stores_its_window_without_its_end_and_says_how_the_counts_match,
    a_record_released_before_its_answer_is_rejected_and_reported,
    a_record_dialing_no_digit_is_rejected_and_reported,
}

/// The emulator's Brightlink HTTP Basic credentials as its `Authorization` header carries them:
/// base64 of `meter-demo-key:meter-demo-secret`.
const BL_BASIC: &str = "bWV0ZXItZGVtby1rZXk6bWV0ZXItZGVtby1zZWNyZXQ=";

/// Whether `text` holds a run of 32 lowercase hex digits: an emulator's access or refresh token.
fn holds_a_token(text: &str) -> bool {
    text.as_bytes().windows(32).any(|w| w.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b)))
}

fn trapped(on: Routes, status: u16) -> Config {
    let mut cfg = config(20, Vec::new());
    cfg.trap = Some(Trap { on, reply: TrapReply::Echo { status } });
    cfg
}

fn secrets_a_platform_echoes_reach_no_output_log_or_job(backend: Backend) {
    // First the token routes echo their requests (the client secret, the password, the HTTP
    // Basic credentials), then the data routes (bearer tokens, the API key).
    let cfg = trapped(Routes::Tokens, 400);
    let emu = Emulator::spawn(cfg.clone()).expect("the emulator");
    let env = setup(backend, &emu, &cfg);
    let mut seen = String::new();
    let mut run = |args: &[&str]| {
        let run = env.meter_with_env(args, &[("METER_LOG", "debug")]);
        seen.push_str(&run.stdout);
        seen.push_str(&run.stderr);
        run
    };
    run(&["sources", "check", "--customer", "acme"]).assert_code(1);
    run(&["sources", "check", "--customer", "globex", "--format", "json"]).assert_code(1);
    run(&["sync", "--all", "--from", FROM, "--to", TO]).assert_code(1);
    run(&["sync", "--all", "--from", FROM, "--to", TO, "--format", "json"]).assert_code(1);
    run(&["cycle", "run", "--date", "2026-11-01", "--format", "json"]).assert_code(1).assert_stderr_has("held acme");

    let data = trapped(Routes::Data, 403);
    let emu = Emulator::spawn(data.clone()).expect("the emulator");
    env.meter_with_env(
        &["sources", "set", "netsapiens", "--url", &emu.netsapiens_url()],
        &[("METER_SOURCE_API_KEY", emulator::DEMO_NS_API_KEY)],
    )
    .assert_ok();
    set_brightlink(&env, &emu.brightlink_url(), &data, &data.brightlink.password).assert_ok();
    run(&["sources", "check", "--customer", "acme"]).assert_code(1);
    run(&["sources", "check", "--customer", "globex"]).assert_code(1);
    run(&["sync", "--all", "--from", FROM, "--to", TO]).assert_code(1);
    run(&["cycle", "run", "--date", "2026-12-01"]).assert_code(1);
    let list = run(&["jobs", "list", "--format", "json"]);
    let ids: Vec<String> = jobs(&list).iter().filter_map(|j| j["id"].as_i64()).map(|id| id.to_string()).collect();
    assert!(ids.len() >= 6, "{}", list.dump());
    run(&["jobs", "list"]).assert_ok();
    for id in &ids {
        run(&["jobs", "show", id]).assert_ok();
        run(&["jobs", "show", id, "--format", "json"]).assert_ok();
    }

    let secrets = [
        cfg.netsapiens.client_secret.as_str(),
        &cfg.netsapiens.password,
        &cfg.brightlink.api_secret,
        &cfg.brightlink.password,
        emulator::DEMO_NS_API_KEY,
        BL_BASIC,
    ];
    assert!(seen.contains("cannot process"), "the platforms' words are shown: {seen}");
    for secret in secrets {
        assert!(!seen.contains(secret), "`{secret}` is shown:\n{seen}");
    }
    assert!(!holds_a_token(&seen), "a token is shown:\n{seen}");

    // The jobs table holds short errors without a secret.
    let mut db = store::AnyStore::open_url(env.db_url()).expect("the database");
    let stored =
        store::with_backend!(&mut db, |db| db.read().expect("a read").jobs(&JobQuery::default())).expect("the jobs");
    let errors: Vec<String> = stored.into_iter().filter_map(|j| j.error).collect();
    assert!(errors.len() >= 6, "{errors:?}");
    for error in &errors {
        assert!(error.chars().count() <= 500, "a long stored error: {error}");
        assert!(!secrets.iter().any(|s| error.contains(s)) && !holds_a_token(error), "stored: {error}");
    }
}

fn an_unknown_domain_fails_the_sync_and_names_it(backend: Backend) {
    let cfg = config(20, Vec::new());
    let emu = Emulator::spawn(cfg.clone()).expect("the emulator");
    let env = setup(backend, &emu, &cfg);
    env.import_ok(
        "customers",
        "moved.csv",
        "id,name,netsapiens_domain,brightlink_domain\nacme,Acme Corp,nowhere.pbx.example,\nglobex,Globex Inc,,gone.pbx.example\n",
    );
    let run = sync(&env, &["--customer", "globex", "--from", FROM, "--to", FROM]);
    run.assert_code(1).assert_stderr_has("domain `gone.pbx.example` does not exist");
    assert_eq!(jobs(&run)[0]["state"], "failed", "{}", run.dump());

    // NetSapiens v1 answers `{}` for it: said at once, not retried.
    set_netsapiens_with(&env, &emu.netsapiens_url(), &cfg, &cfg.netsapiens.password, &["--api-version", "v1"])
        .assert_ok();
    let run = sync(&env, &["--customer", "acme", "--from", FROM, "--to", FROM]);
    run.assert_code(1).assert_stderr_has("domain `nowhere.pbx.example` does not exist");
    assert!(!run.stderr.contains("attempts") && !run.stderr.contains("missing field"), "{}", run.dump());
}

/// The first UTC day after `after` at whose midnight a record of `domain` starts that a
/// NetSapiens v2 sync stores (not hidden, not missed).
fn a_day_starting_with_a_record(cfg: &Config, domain: &str, after: &str) -> chrono::DateTime<chrono::Utc> {
    let spec = cfg.domains.iter().find(|d| d.name == domain).expect("a domain of the config");
    let second = chrono::Duration::seconds(1);
    (1..2000)
        .map(|n| utc(after) + chrono::Duration::days(n))
        .find(|day| {
            dataset::calls(cfg.seed, spec, *day, *day + second).any(|c| !c.hidden && c.kind != CallKind::Missed)
        })
        .expect("a record starting at midnight")
}

fn a_sync_stores_its_window_without_its_end_and_says_how_the_counts_match(backend: Backend) {
    let cfg = config(3000, Vec::new());
    let emu = Emulator::spawn(cfg.clone()).expect("the emulator");
    let env = setup(backend, &emu, &cfg);
    let end = a_day_starting_with_a_record(&cfg, "acme.pbx.example", FROM);
    let day = (end - chrono::Duration::days(1)).format("%Y-%m-%d").to_string();

    // v2 counts what it lists, hidden legs aside: an exact match.
    let run = sync(&env, &["--customer", "acme", "--from", &day, "--to", &day]);
    run.assert_ok();
    assert_eq!(stored(&env, "acme", "netsapiens"), expected(&cfg, "acme.pbx.example", &day, &day, true));
    let job = &jobs(&run)[0];
    assert_eq!(job["reconciliation"], "exact", "{job}");
    assert_eq!(job["difference"], 0, "{job}");

    // v1 counts hidden legs too: a match with the hidden legs the listing returned, said so.
    set_netsapiens_with(&env, &emu.netsapiens_url(), &cfg, &cfg.netsapiens.password, &["--api-version", "v1"])
        .assert_ok();
    let text = env.meter(&["sync", "--customer", "acme", "--from", &day, "--to", &day]);
    text.assert_ok();
    assert!(text.stdout.contains("hidden legs"), "{}", text.dump());
    let shown = env.meter(&["jobs", "list", "--format", "json"]);
    let job = &jobs(&shown)[0];
    assert_eq!(job["reconciliation"], "with_hidden_legs", "{job}");
    let hidden = job["skipped"].as_u64().expect("hidden legs");
    assert!(hidden > 0, "{job}");
    assert_eq!(job["platform_count"].as_u64(), job["stored_count"].as_u64().map(|s| s + hidden), "{job}");
    assert_eq!(stored(&env, "acme", "netsapiens"), expected(&cfg, "acme.pbx.example", &day, &day, false));

    let check =
        env.meter(&["sources", "check", "--customer", "acme", "--from", &day, "--to", &day, "--format", "json"]);
    check.assert_ok();
    let netsapiens = &check.json()["sources"][0];
    let records = netsapiens["checks"].as_array().and_then(|c| c.iter().find(|c| c["check"] == "records").cloned());
    let records = records.expect("a records check");
    assert!(records["detail"].as_str().is_some_and(|d| d.contains("hidden legs")), "{records}");
}

fn a_record_released_before_its_answer_is_rejected_and_reported(backend: Backend) {
    // The first page's first answered outbound record ends 5 s before its answer.
    let cfg = config(300, vec![Fault { kind: FaultKind::ReleaseBeforeAnswer, at: 1, delay_ms: 0 }]);
    let emu = Emulator::spawn(cfg.clone()).expect("the emulator");
    let env = setup(backend, &emu, &cfg);
    let spec = &cfg.domains[0];
    let next = utc(FROM) + chrono::Duration::days(1);
    let flawed = dataset::calls(cfg.seed, spec, utc(FROM), next)
        .find(|c| c.kind == CallKind::Outbound && !c.hidden && c.answer.is_some())
        .expect("an answered outbound call");

    let run = sync(&env, &["--customer", "acme", "--from", FROM, "--to", FROM]);
    run.assert_ok().assert_stderr_has(&flawed.id);
    let job = &jobs(&run)[0];
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["rejected"], 1, "{job}");
    assert_eq!(job["rejects"][0]["id"], flawed.id.as_str(), "{job}");
    let reason = job["rejects"][0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("before its answer"), "{job}");
    let mut want = expected(&cfg, "acme.pbx.example", FROM, FROM, true);
    want.retain(|c| c.0 != flawed.id);
    assert_eq!(stored(&env, "acme", "netsapiens"), want, "everything but the flawed record is stored");
    assert_eq!(job["difference"], 1, "{job}");
    assert_eq!(job["reconciliation"], "mismatch", "{job}");

    let id = job["id"].to_string();
    let shown = env.meter(&["jobs", "show", &id]);
    shown.assert_ok();
    assert!(shown.stdout.contains(&flawed.id) && shown.stdout.contains("before its answer"), "{}", shown.dump());
    let text = env.meter(&["jobs", "list"]);
    assert!(text.stdout.contains("1 rejected"), "{}", text.dump());
    let check = env.meter(&["sources", "check", "--customer", "acme", "--from", FROM, "--to", FROM]);
    check.assert_code(1);
}

fn a_record_dialing_no_digit_is_rejected_and_reported(backend: Backend) {
    // The first page's first answered record dials a spreadsheet formula: the same check as a
    // file's `to` column refuses it, so it is rejected instead of rated as an on-net call.
    let cfg = config(300, vec![Fault { kind: FaultKind::GarbageNumber, at: 1, delay_ms: 0 }]);
    let emu = Emulator::spawn(cfg.clone()).expect("the emulator");
    let env = setup(backend, &emu, &cfg);

    let run = sync(&env, &["--customer", "acme", "--from", FROM, "--to", FROM]);
    run.assert_ok();
    let job = &jobs(&run)[0];
    assert_eq!(job["rejected"], 1, "{job}");
    let id = job["rejects"][0]["id"].as_str().unwrap_or_default().to_owned();
    let reason = job["rejects"][0]["reason"].as_str().unwrap_or_default();
    assert!(reason.starts_with("to: ") && reason.contains("no digit"), "{job}");
    run.assert_stderr_has(&id);
    let stored = stored(&env, "acme", "netsapiens");
    assert!(!stored.iter().any(|c| c.0 == id), "the flawed record is not stored");
    let want = expected(&cfg, "acme.pbx.example", FROM, FROM, true);
    assert_eq!(stored.len() + 1, want.len(), "every other record is stored");
    assert_eq!(job["difference"], 1, "{job}");
}
