//! The invoice's life through the real binary (contract-cycle §4 and §6): manual lines on drafts,
//! finalizing with gapless numbers (eight `invoice finalize` processes at once), what a final
//! invoice refuses, voiding and what the cycle then does with the released calls and the voided
//! period, the invoice listing and the settings. On both backends; `db check` clean after each.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;

on_both_backends! {
    drafts_take_manual_lines_and_a_final_invoice_refuses_every_change,
    eight_finalizers_at_once_number_every_draft_once_without_a_hole,
    invoices_are_listed_newest_first_by_customer_status_and_days,
    settings_are_checked_stored_and_used_by_finalization,
    a_voided_invoices_calls_are_late_usage_of_the_next_cycle,
    a_voided_period_is_invoiced_again_by_the_cycle_for_the_same_date,
}

/// "Now" for every command: 2026-02-01, noon UTC (07:00 in New York).
const NOW: &str = "2026-02-01T12:00:00Z";

/// The limit for one uninterrupted command; far above the measured times.
const LIMIT: Duration = Duration::from_secs(120);

/// Runs `meter ARGS` at [`NOW`] as the operator `alice`.
fn at_now(env: &Env, args: &[&str]) -> Run {
    env.meter_with_env(args, &[("METER_TEST_NOW", NOW), ("METER_ACTOR", "alice")])
}

/// [`at_now`] with `--format json`, which must succeed: the document.
#[track_caller]
fn json_ok(env: &Env, args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.extend(["--format", "json"]);
    let run = at_now(env, &args);
    run.assert_ok();
    run.json()
}

/// Customers without plans (so that amounts follow the calls), with the standard deck.
fn plain_customers(backend: Backend, customers: &str) -> Env {
    let env = Env::on(backend);
    env.import_ok("customers", "customers.csv", customers);
    env.import_ok("rates", "rates.csv", STANDARD_RATES);
    env
}

/// The lines of an invoice document as (kind, call type or description, amount).
fn lines(doc: &Value) -> Vec<(String, String, String)> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    doc["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            let what = if l["kind"] == "usage" { &l["call_type"] } else { &l["description"] };
            (text(&l["kind"]), text(what), text(&l["amount"]))
        })
        .collect()
}

/// An invoice's events as (what, by, reason or line).
fn events(doc: &Value) -> Vec<(String, String, String)> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    doc["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            (
                text(&e["what"]),
                text(&e["by"]),
                if e["reason"].is_null() { text(&e["line"]) } else { text(&e["reason"]) },
            )
        })
        .collect()
}

fn owned(items: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    items.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect()
}

fn drafts_take_manual_lines_and_a_final_invoice_refuses_every_change(backend: Backend) {
    let env = plain_customers(backend, "id,name\nacme,Acme Corp\n");
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&[Cdr::domestic("d1", "acme", "2026-01-10T10:00:00Z", 600)]));
    let draft =
        json_ok(&env, &["invoice", "create", "--customer", "acme", "--from", "2026-01-01", "--to", "2026-01-31"]);
    let id = draft["id"].as_str().expect("an id").to_owned();
    assert!(id.starts_with("D-"), "a draft's id is no invoice number: {id}");
    assert_eq!(
        (draft["status"].as_str(), &draft["number"], &draft["issued"], &draft["due"]),
        (Some("draft"), &Value::Null, &Value::Null, &Value::Null)
    );

    json_ok(&env, &["invoice", "add-line", &id, "--description", "Setup fee", "--amount", "25"]);
    let doc = json_ok(&env, &["invoice", "add-line", &id, "--description", "Outage credit", "--amount", "-5.00"]);
    assert_eq!(
        lines(&doc),
        owned(&[("usage", "domestic", "0.60"), ("manual", "Setup fee", "25.00"), ("manual", "Outage credit", "-5.00")])
    );
    assert_eq!(doc["total"], "20.60");
    for (amount, why) in [("1.005", "decimals"), ("0", "0.00"), ("-0.00", "0.00"), ("abc", "")] {
        at_now(&env, &["invoice", "add-line", &id, "--description", "x", "--amount", amount])
            .assert_usage_error()
            .assert_stderr_has(why);
    }
    at_now(&env, &["invoice", "add-line", &id, "--description", " ", "--amount", "1"]).assert_usage_error();
    at_now(&env, &["invoice", "remove-line", &id, "1"]).assert_code(1).assert_stderr_has("only manual lines");
    at_now(&env, &["invoice", "remove-line", &id, "9"]).assert_code(1).assert_stderr_has("there is no line 9");
    at_now(&env, &["invoice", "remove-line", &id, "0"]).assert_usage_error();
    let doc = json_ok(&env, &["invoice", "remove-line", &id, "2"]);
    assert_eq!(lines(&doc), owned(&[("usage", "domestic", "0.60"), ("manual", "Outage credit", "-5.00")]));
    assert_eq!(doc["total"], "-4.40");

    // Finalized, it never changes again.
    let done = json_ok(&env, &["invoice", "finalize", &id]);
    let fin = &done["invoices"][0];
    assert_eq!((fin["status"].as_str(), fin["number"].as_str()), (Some("final"), Some("INV-000001")));
    assert_eq!((fin["issued"].as_str(), fin["due"].as_str()), (Some("2026-02-01"), Some("2026-03-03")));
    assert_eq!(done["failed"], serde_json::json!([]));
    at_now(&env, &["invoice", "add-line", &id, "--description", "x", "--amount", "1"])
        .assert_code(1)
        .assert_stderr_has("is final");
    at_now(&env, &["invoice", "remove-line", &id, "2"]).assert_code(1).assert_stderr_has("is final");
    at_now(&env, &["invoice", "delete", &id]).assert_code(1).assert_stderr_has("is final");
    let again = at_now(&env, &["invoice", "finalize", &id, "--format", "json"]);
    again.assert_code(1).assert_stderr_has("only a draft invoice is finalized");
    assert_eq!(again.json()["failed"][0]["id"], id.as_str());
    assert_eq!(env.show(&id), env.show("INV-000001"), "a final invoice is named by its number too");
    assert_eq!(env.show(&id)["lines"], doc["lines"]);

    // A draft is deleted, not voided; a void needs its reason.
    env.import_ok("cdrs", "feb.csv", &cdrs_csv(&[Cdr::domestic("d2", "acme", "2026-02-10T10:00:00Z", 60)]));
    let other =
        json_ok(&env, &["invoice", "create", "--customer", "acme", "--from", "2026-02-01", "--to", "2026-02-28"]);
    let other = other["id"].as_str().expect("an id");
    at_now(&env, &["invoice", "void", other, "--reason", "x"])
        .assert_code(1)
        .assert_stderr_has("only a final invoice is voided");
    at_now(&env, &["invoice", "void", &id]).assert_usage_error();
    at_now(&env, &["invoice", "void", &id, "--reason", ""]).assert_usage_error();
    let run = at_now(&env, &["invoice", "void", "INV-000001", "--reason", "billed twice"]);
    run.assert_ok();
    assert!(run.stdout.contains("1 calls"), "{}", run.dump());
    let void = env.show(&id);
    assert_eq!((void["status"].as_str(), void["number"].as_str()), (Some("void"), Some("INV-000001")));
    assert_eq!(void["lines"], doc["lines"], "a void invoice keeps its lines");
    assert_eq!(
        events(&void),
        owned(&[
            ("created", "alice", ""),
            ("line_added", "alice", "2: Setup fee 25.00"),
            ("line_added", "alice", "3: Outage credit -5.00"),
            ("line_removed", "alice", "2: Setup fee 25.00"),
            ("finalized", "alice", ""),
            ("voided", "alice", "billed twice"),
        ])
    );
    assert!(void["events"].as_array().expect("events").iter().all(|e| e["at"] == "2026-02-01T12:00:00Z"));
    let text = at_now(&env, &["invoice", "show", &id]);
    text.assert_ok();
    assert!(
        text.stdout.contains("Number    INV-000001") && text.stdout.contains("voided by alice: billed twice"),
        "{}",
        text.dump()
    );
    at_now(&env, &["invoice", "void", &id, "--reason", "again"]).assert_code(1).assert_stderr_has("is void");
    // Its call is billable again.
    assert!(env.calls("acme").iter().any(|c| c["id"] == "d1" && c["status"] == "unbilled"));
    env.assert_db_clean("after the void");
}

fn eight_finalizers_at_once_number_every_draft_once_without_a_hole(backend: Backend) {
    let _alone = one_at_a_time();
    let count = 40;
    let mut customers = "id,name,timezone,billing_day,currency,plans\n".to_owned();
    let mut calls = Vec::new();
    for i in 1..=count {
        customers.push_str(&format!("c{i:02},Customer {i},UTC,1,USD,\n"));
        calls.push(Cdr::domestic(format!("call{i}"), &format!("c{i:02}"), "2026-01-15T10:00:00Z", 60));
    }
    let env = plain_customers(backend, &customers);
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&calls));
    let cycle = json_ok(&env, &["cycle", "run", "--date", "2026-02-01"]);
    let ids: Vec<String> = cycle["invoices"]
        .as_array()
        .expect("invoices")
        .iter()
        .map(|d| d["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(ids.len(), count);
    // Eight processes, each finalizing its own five and the first of the next one's: every draft
    // is asked for twice at once, and one of the two must fail without using up a number.
    let groups: Vec<Vec<String>> = (0..8).map(|g| ids.iter().skip(g).step_by(8).cloned().collect()).collect();
    let finalizers: Vec<Spawned> = (0..8)
        .map(|g| {
            let mut args = vec!["invoice", "finalize"];
            args.extend(groups[g].iter().map(String::as_str));
            args.push(groups[(g + 1) % 8][0].as_str());
            args.extend(["--format", "json"]);
            env.spawn_with_env(&args, &[("METER_TEST_NOW", NOW), ("METER_ACTOR", "finalizer")])
        })
        .collect();
    let mut finalized = Vec::new();
    let mut failures = 0;
    for f in finalizers {
        let ended = f.wait(LIMIT);
        let doc = ended.run.json();
        let numbers: Vec<String> = doc["invoices"]
            .as_array()
            .expect("invoices")
            .iter()
            .map(|d| d["number"].as_str().expect("a number").to_owned())
            .collect();
        let mut in_order = numbers.clone();
        in_order.sort();
        assert_eq!(numbers, in_order, "one process finalizes in the order given\n{}", ended.run.dump());
        for failed in doc["failed"].as_array().expect("failed") {
            assert!(failed["reason"].as_str().is_some_and(|r| r.contains("is final")), "{failed}");
            failures += 1;
        }
        assert_eq!(ended.run.code, if doc["failed"] == serde_json::json!([]) { 0 } else { 1 }, "{}", ended.run.dump());
        finalized.extend(
            doc["invoices"].as_array().expect("invoices").iter().map(|d| d["id"].as_str().expect("id").to_owned()),
        );
    }
    assert_eq!((finalized.len(), failures), (count, 8));
    assert_eq!(finalized.iter().collect::<BTreeSet<_>>().len(), count, "each draft finalized once");
    let list = json_ok(&env, &["invoice", "list", "--status", "final"]);
    let numbers: BTreeSet<String> = list["invoices"]
        .as_array()
        .expect("invoices")
        .iter()
        .map(|i| i["number"].as_str().expect("a number").to_owned())
        .collect();
    let expected: BTreeSet<String> = (1..=count).map(|n| format!("INV-{n:06}")).collect();
    assert_eq!(numbers, expected, "the numbers 1 to {count}, no hole, no repeat");
    assert_eq!(json_ok(&env, &["invoice", "list", "--status", "draft"])["invoices"], serde_json::json!([]));
    env.assert_db_clean("after eight finalizers");
}

fn invoices_are_listed_newest_first_by_customer_status_and_days(backend: Backend) {
    let env = plain_customers(backend, "id,name,timezone\nacme,Acme Corp,UTC\nglobex,Globex Inc,America/New_York\n");
    let calls = [
        Cdr::domestic("a1", "acme", "2026-01-10T10:00:00Z", 60),
        Cdr::domestic("a2", "acme", "2026-02-10T10:00:00Z", 60),
        Cdr::domestic("g1", "globex", "2026-01-10T15:00:00Z", 60),
    ];
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&calls));
    let create = |c: &str, from: &str, to: &str| {
        json_ok(&env, &["invoice", "create", "--customer", c, "--from", from, "--to", to])["id"]
            .as_str()
            .expect("id")
            .to_owned()
    };
    let acme_jan = create("acme", "2026-01-01", "2026-01-31");
    let acme_feb = create("acme", "2026-02-01", "2026-02-28");
    let globex_jan = create("globex", "2026-01-01", "2026-01-31");
    json_ok(&env, &["invoice", "finalize", &acme_jan, &globex_jan]);
    at_now(&env, &["invoice", "void", &globex_jan, "--reason", "wrong customer"]).assert_ok();

    let listed = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["invoice", "list"];
        all.extend_from_slice(args);
        let doc = json_ok(&env, &all);
        doc["invoices"].as_array().expect("invoices").iter().map(|i| i["id"].as_str().expect("id").to_owned()).collect()
    };
    assert_eq!(listed(&[]), [globex_jan.clone(), acme_feb.clone(), acme_jan.clone()], "newest first");
    assert_eq!(listed(&["--customer", "acme"]), [acme_feb.clone(), acme_jan.clone()]);
    assert_eq!(listed(&["--status", "final"]), std::slice::from_ref(&acme_jan));
    assert_eq!(listed(&["--status", "void"]), std::slice::from_ref(&globex_jan));
    assert_eq!(listed(&["--status", "draft", "--customer", "acme"]), std::slice::from_ref(&acme_feb));
    assert_eq!(listed(&["--from", "2026-02-10", "--to", "2026-03-05"]), std::slice::from_ref(&acme_feb));
    assert_eq!(listed(&["--from", "2026-01-31", "--to", "2026-02-01"]).len(), 3, "ranges that overlap by one day");
    assert_eq!(listed(&["--from", "2025-01-01", "--to", "2025-12-31"]), Vec::<String>::new());

    let doc = json_ok(&env, &["invoice", "list", "--customer", "globex"]);
    let row = &doc["invoices"][0];
    let keys: BTreeSet<&str> = row.as_object().expect("an object").keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> =
        ["id", "number", "customer", "from", "to", "status", "currency", "total", "issued", "due"].into();
    assert_eq!(keys, expected);
    assert_eq!(
        (row["number"].as_str(), row["status"].as_str(), row["total"].as_str()),
        (Some("INV-000002"), Some("void"), Some("0.06"))
    );
    assert_eq!((row["issued"].as_str(), row["due"].as_str()), (Some("2026-02-01"), Some("2026-03-03")));
    let draft = &json_ok(&env, &["invoice", "list", "--status", "draft"])["invoices"][0];
    assert_eq!((&draft["number"], &draft["issued"], &draft["due"]), (&Value::Null, &Value::Null, &Value::Null));

    let text = at_now(&env, &["invoice", "list"]);
    text.assert_ok();
    assert!(
        text.stdout.starts_with("Id") && text.stdout.contains("INV-000001") && text.stdout.contains("3 invoices"),
        "{}",
        text.dump()
    );
    at_now(&env, &["invoice", "list", "--from", "2026-02-01", "--to", "2026-01-01"]).assert_usage_error();
    at_now(&env, &["invoice", "list", "--from", "2026-02-01"]).assert_usage_error();
    at_now(&env, &["invoice", "list", "--status", "lost"]).assert_usage_error();
    at_now(&env, &["invoice", "list", "--customer", "nobody"]).assert_code(1).assert_stderr_has("unknown customer");
}

fn settings_are_checked_stored_and_used_by_finalization(backend: Backend) {
    let env = plain_customers(backend, "id,name,timezone\nacme,Acme Corp,UTC\nglobex,Globex Inc,America/New_York\n");
    let settings = |env: &Env| json_ok(env, &["settings", "list"])["settings"].as_array().expect("settings").clone();
    let named = |list: &[Value], name: &str| list.iter().find(|s| s["name"] == name).cloned().expect("listed");
    let first = settings(&env);
    let names: Vec<&str> = first.iter().filter_map(|s| s["name"].as_str()).collect();
    let every = [
        "invoice_prefix",
        "company_name",
        "company_address",
        "tax_id",
        "logo_file",
        "payment_terms",
        "footer",
        "paper",
    ];
    assert_eq!(names, every, "every setting is listed, set or not");
    assert_eq!(
        (named(&first, "invoice_prefix")["value"].as_str(), &named(&first, "invoice_prefix")["set"]),
        (Some("INV-"), &Value::Bool(false))
    );
    assert_eq!(named(&first, "payment_terms")["value"], "30");
    assert_eq!(named(&first, "company_name")["value"], Value::Null);

    for (name, value) in [
        ("invoice_prefix", "A B"),
        ("invoice_prefix", "D-"),
        ("invoice_prefix", "1234"),
        ("invoice_prefix", "THIRTEEN-CHAR"),
        ("payment_terms", "-1"),
        ("payment_terms", "1.5"),
        ("colour", "red"),
    ] {
        at_now(&env, &["settings", "set", name, value]).assert_usage_error();
    }
    json_ok(&env, &["settings", "set", "invoice_prefix", "ACME-2026/"]);
    json_ok(&env, &["settings", "set", "payment_terms", "15"]);
    json_ok(&env, &["settings", "set", "company_name", "Acme Telecom LLC"]);
    json_ok(&env, &["settings", "set", "company_address", "1 Main St\nSpringfield"]);
    json_ok(&env, &["settings", "set", "tax_id", "US-12-3456789"]);
    json_ok(&env, &["settings", "set", "footer", "Thank you."]);
    // The logo's bytes are stored: the file may go afterwards.
    let png = env.path("logo.png");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").expect("a logo");
    json_ok(&env, &["settings", "set", "logo_file", &png.display().to_string()]);
    std::fs::remove_file(&png).expect("removed");
    let text = env.write("logo.txt", "not an image");
    at_now(&env, &["settings", "set", "logo_file", &text]).assert_code(1).assert_stderr_has("not a PNG, JPEG or SVG");
    at_now(&env, &["settings", "set", "logo_file", &png.display().to_string()]).assert_code(1);
    let now = settings(&env);
    let logo = named(&now, "logo_file");
    assert_eq!(
        (logo["media_type"].as_str(), logo["bytes"].as_u64(), &logo["set"]),
        (Some("image/png"), Some(16), &Value::Bool(true))
    );
    assert_eq!(named(&now, "company_address")["value"], "1 Main St\nSpringfield");
    json_ok(&env, &["settings", "set", "footer", ""]);
    assert_eq!(named(&settings(&env), "footer")["set"], false, "an empty value removes the setting");

    // globex has terms of its own, which win; acme takes the installation's.
    env.import_ok("customers", "terms.csv", "id,name,payment_terms\nglobex,Globex Inc,45\n");
    let calls = [
        Cdr::domestic("a1", "acme", "2026-01-10T10:00:00Z", 60),
        Cdr::domestic("g1", "globex", "2026-01-10T15:00:00Z", 60),
    ];
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&calls));
    let mut ids = Vec::new();
    for c in ["acme", "globex"] {
        let doc = json_ok(&env, &["invoice", "create", "--customer", c, "--from", "2026-01-01", "--to", "2026-01-31"]);
        ids.push(doc["id"].as_str().expect("id").to_owned());
    }
    let done = json_ok(&env, &["invoice", "finalize", &ids[0], &ids[1]]);
    let got: Vec<(&str, &str, &str)> = done["invoices"]
        .as_array()
        .expect("invoices")
        .iter()
        .map(|d| (d["number"].as_str().expect("n"), d["issued"].as_str().expect("i"), d["due"].as_str().expect("d")))
        .collect();
    // Noon UTC is 07:00 in New York: the same day there.
    assert_eq!(
        got,
        [("ACME-2026/000001", "2026-02-01", "2026-02-16"), ("ACME-2026/000002", "2026-02-01", "2026-03-18")]
    );
    assert_eq!(env.show("ACME-2026/000002")["id"], ids[1].as_str());
    env.assert_db_clean("after finalizing with settings");
}

fn a_voided_invoices_calls_are_late_usage_of_the_next_cycle(backend: Backend) {
    let env = plain_customers(backend, "id,name\nacme,Acme Corp\n");
    let calls = [
        Cdr::domestic("d1", "acme", "2026-01-10T10:00:00Z", 60),
        Cdr::international("i1", "acme", "2026-01-11T10:00:00Z", 60),
        Cdr::domestic("d2", "acme", "2026-02-05T10:00:00Z", 120),
    ];
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&calls));
    let january = json_ok(&env, &["cycle", "run", "--date", "2026-02-01"])["invoices"][0].clone();
    let january_id = january["id"].as_str().expect("id").to_owned();
    assert_eq!(lines(&january), owned(&[("usage", "domestic", "0.06"), ("usage", "international", "0.60")]));
    json_ok(&env, &["invoice", "finalize", &january_id]);
    at_now(&env, &["invoice", "void", &january_id, "--reason", "international calls disputed"]).assert_ok();
    // The corrected invoice of January bills its domestic calls; the international call waits.
    let corrected = json_ok(
        &env,
        &[
            "invoice",
            "create",
            "--customer",
            "acme",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-31",
            "--call-types",
            "domestic",
        ],
    );
    json_ok(&env, &["invoice", "finalize", corrected["id"].as_str().expect("id")]);
    // January is invoiced (by a live invoice of exactly its days): its released international
    // call is late usage on February's automatic invoice.
    let run = env.meter_with_env(
        &["cycle", "run", "--date", "2026-03-01", "--format", "json"],
        &[("METER_TEST_NOW", "2026-03-01T12:00:00Z")],
    );
    run.assert_ok();
    let february = &run.json()["invoices"][0];
    assert_eq!(lines(february), owned(&[("usage", "domestic", "0.12"), ("usage", "international", "0.60")]));
    let late = &february["lines"][1];
    assert_eq!(
        (&late["late"], late["from"].as_str(), late["to"].as_str()),
        (&Value::Bool(true), Some("2026-01-01"), Some("2026-01-31"))
    );
    assert_eq!(run.json()["unbilled_earlier"], serde_json::json!([]));
    let on = |call: &str| env.calls("acme").into_iter().find(|c| c["id"] == call).expect("listed")["invoice"].clone();
    assert_eq!(on("i1"), february["id"]);
    assert_eq!(on("d1"), corrected["id"]);
    let void = env.show(&january_id);
    assert_eq!((void["status"].as_str(), void["lines"].as_array().map(Vec::len)), (Some("void"), Some(2)));
    env.assert_db_clean("after late usage of a void");
}

fn a_voided_period_is_invoiced_again_by_the_cycle_for_the_same_date(backend: Backend) {
    let env = plain_customers(backend, "id,name\nacme,Acme Corp\n");
    env.import_ok(
        "subscriptions",
        "subscriptions.csv",
        "id,customer,start,description,quantity,unit_price\nseat,acme,2026-01-01,Hosted seat,2,10.00\n",
    );
    let calls = [
        Cdr::domestic("d1", "acme", "2026-01-10T10:00:00Z", 60),
        Cdr::international("i1", "acme", "2026-01-20T10:00:00Z", 30),
    ];
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&calls));
    let first = json_ok(&env, &["cycle", "run", "--date", "2026-02-01"])["invoices"][0].clone();
    let first_id = first["id"].as_str().expect("id").to_owned();
    assert_eq!(
        lines(&first),
        owned(&[
            ("usage", "domestic", "0.06"),
            ("usage", "international", "0.30"),
            ("recurring", "Hosted seat", "20.00"),
            ("recurring", "Hosted seat", "20.00")
        ])
    );
    // Run again: the period is invoiced.
    let again = json_ok(&env, &["cycle", "run", "--date", "2026-02-01"]);
    assert_eq!(
        (again["invoices"].as_array().map(Vec::len), again["skipped"][0]["customer"].as_str()),
        (Some(0), Some("acme"))
    );
    json_ok(&env, &["invoice", "finalize", &first_id]);
    at_now(&env, &["invoice", "void", &first_id, "--reason", "seats billed at the wrong price"]).assert_ok();
    // The price corrected, the same date's cycle invoices the period again: calls and days.
    env.import_ok(
        "subscriptions",
        "subscriptions.csv",
        "id,customer,start,description,quantity,unit_price\nseat,acme,2026-01-01,Hosted seat,2,8.00\n",
    );
    let regenerated = json_ok(&env, &["cycle", "run", "--date", "2026-02-01"]);
    let second = &regenerated["invoices"][0];
    assert_ne!(second["id"], first["id"]);
    assert_eq!(
        (second["from"].as_str(), second["to"].as_str(), second["status"].as_str()),
        (Some("2026-01-01"), Some("2026-01-31"), Some("draft"))
    );
    assert_eq!(
        lines(second),
        owned(&[
            ("usage", "domestic", "0.06"),
            ("usage", "international", "0.30"),
            ("recurring", "Hosted seat", "16.00"),
            ("recurring", "Hosted seat", "16.00")
        ])
    );
    assert_eq!(second["events"][0]["by"], "cycle", "made by the cycle");
    let void = env.show(&first_id);
    assert_eq!(
        (void["status"].as_str(), void["number"].as_str(), void["total"].as_str()),
        (Some("void"), Some("INV-000001"), Some("40.36"))
    );
    assert!(env.calls("acme").iter().all(|c| c["invoice"] == second["id"]), "every call on the new invoice");
    // And once more: nothing, the period is invoiced again.
    let third = json_ok(&env, &["cycle", "run", "--date", "2026-02-01"]);
    assert_eq!(third["invoices"], serde_json::json!([]));
    env.assert_db_clean("after regenerating a voided period");
}
