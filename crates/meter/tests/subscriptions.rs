//! `subscriptions import` and `subscriptions list` (contract-cycle §5, §6), and customers.csv's
//! `payment_terms`: bad rows name their file, line and reason, and nothing is half-imported.

mod common;

use common::*;
use serde_json::{json, Value};

on_both_backends! {
    subscriptions_are_imported_updated_and_listed_in_id_order,
    a_file_with_a_bad_row_imports_nothing,
    payment_terms_are_whole_days,
}

const HEADER: &str = "id,customer,start,end,description,quantity,unit_price,plans\n";

fn listed(env: &Env, args: &[&str]) -> Value {
    let mut all = vec!["subscriptions", "list", "--format", "json"];
    all.extend_from_slice(args);
    let run = env.meter(&all);
    run.assert_ok();
    run.json()
}

fn subscriptions_are_imported_updated_and_listed_in_id_order(backend: Backend) {
    let env = Env::seeded_on(backend);
    let file = format!(
        "{HEADER}seat,acme,2026-01-01,,Hosted seat,10,25.00,basic\n\
         Trunk,globex,2026-02-10,2026-12-31,SIP trunk,2.5000,9.99,world|basic\n\
         fax,acme,2026-03-01,,Fax line,,0,\n"
    );
    let sum = env.import_ok("subscriptions", "subscriptions.csv", &file);
    assert_eq!((sum.imported, sum.updated, sum.duplicates), (3, 0, 0));
    let all = listed(&env, &[]);
    let ids: Vec<&str> =
        all["subscriptions"].as_array().expect("a list").iter().filter_map(|s| s["id"].as_str()).collect();
    assert_eq!(ids, ["Trunk", "fax", "seat"], "byte order of the ids");
    assert_eq!(
        all["subscriptions"][0],
        json!({"id": "Trunk", "customer": "globex", "start": "2026-02-10", "end": "2026-12-31", "description": "SIP trunk",
               "quantity": "2.5", "unit_price": "9.9900", "plans": ["world", "basic"]})
    );
    assert_eq!(all["subscriptions"][1]["quantity"], "1", "the default quantity");
    assert_eq!(all["subscriptions"][1]["end"], Value::Null, "open");

    // Again: unchanged rows are duplicates; a changed one is updated, its absent columns
    // taking their defaults.
    let again = "id,customer,start,description,unit_price\nseat,acme,2026-01-01,Hosted seat,25\nfax,acme,2026-03-01,Fax line,0\n";
    let sum = env.import_ok("subscriptions", "again.csv", again);
    assert_eq!((sum.imported, sum.updated, sum.duplicates), (0, 1, 1));
    let acme = listed(&env, &["--customer", "acme"]);
    let rows = acme["subscriptions"].as_array().expect("a list");
    assert_eq!(rows.iter().map(|s| s["id"].as_str().unwrap_or("")).collect::<Vec<_>>(), ["fax", "seat"]);
    assert_eq!((rows[1]["quantity"].as_str(), rows[1]["plans"].clone()), (Some("1"), json!([])));

    let text = env.meter(&["subscriptions", "list", "--customer", "globex"]);
    text.assert_ok();
    assert!(text.stdout.contains("SIP trunk") && !text.stdout.contains("Hosted seat"), "{}", text.dump());
    env.meter(&["subscriptions", "list", "--customer", "nobody"]).assert_code(1).assert_stderr_has("nobody");
}

fn a_file_with_a_bad_row_imports_nothing(backend: Backend) {
    let env = Env::seeded_on(backend);
    env.import_ok("subscriptions", "first.csv", &format!("{HEADER}seat,acme,2026-01-01,,Seat,1,10,\n"));
    let bad = [
        ("ok,acme,2026-01-01,,Fine,1,1,\nok,acme,2026-01-01,,Twice,1,1,\n", 3, "id", "also on line 3"),
        ("seat,globex,2026-01-01,,Seat,1,10,\n", 2, "customer", "cannot change"),
        ("x,nobody,2026-01-01,,X,1,1,\n", 2, "customer", "unknown customer `nobody`"),
        ("x,acme,2026-01-01,,X,1,1,basic|gold\n", 2, "plans", "unknown plan `gold`"),
        ("x,acme,2026-01-01,,X,1,1,basic|basic\n", 2, "plans", "listed twice"),
        ("x,acme,2026-01-10,2026-01-09,X,1,1,\n", 2, "end", "before the first day"),
        ("x,acme,2026-01-10,,X,0,1,\n", 2, "quantity", "not a decimal > 0"),
        ("x,acme,2026-01-10,,X,1,1.00001,\n", 2, "unit_price", "at most 4 decimals"),
        ("x,acme,2026-01-10,,X,1,-1,\n", 2, "unit_price", "≥ 0"),
        ("x,acme,2026-02-30,,X,1,1,\n", 2, "start", "not a date"),
        ("x,acme,2026-01-10,,,1,1,\n", 2, "description", "empty"),
        ("bad id,acme,2026-01-10,,X,1,1,\n", 2, "id", "not a subscription id"),
    ];
    let bad_csv = env.path("bad.csv").display().to_string();
    for (rows, line, column, reason) in bad {
        // A good row first: it is not imported either.
        let file = format!("{HEADER}new,acme,2026-01-01,,New,1,1,\n{rows}");
        let line = line + 1;
        env.import("subscriptions", "bad.csv", &file).assert_bad_cell(&bad_csv, line, column, reason);
    }
    let ids: Vec<Value> =
        listed(&env, &[])["subscriptions"].as_array().expect("a list").iter().map(|s| s["id"].clone()).collect();
    assert_eq!(ids, [json!("seat")], "nothing of the bad files was imported");
    env.import("subscriptions", "missing.csv", "id,customer,start,description\nx,acme,2026-01-01,X\n")
        .assert_code(1)
        .assert_stderr_has("unit_price");
}

fn payment_terms_are_whole_days(backend: Backend) {
    let env = Env::seeded_on(backend);
    let bad_csv = env.path("bad.csv").display().to_string();
    let sum = env.import_ok("customers", "terms.csv", "id,name,payment_terms\nacme,Acme Corp,0\nglobex,Globex Inc,\n");
    assert_eq!((sum.updated, sum.duplicates), (1, 1), "0 days is a change; empty is the default, 30");
    let sum = env.import_ok("customers", "terms.csv", "id,name,payment_terms\nacme,Acme Corp,45\n");
    assert_eq!(sum.updated, 1);
    env.import("customers", "bad.csv", "id,name,payment_terms\nacme,Acme Corp,-1\n").assert_bad_cell(
        &bad_csv,
        2,
        "payment_terms",
        "whole number of days",
    );
    env.import("customers", "bad.csv", "id,name,payment_terms\nacme,Acme Corp,1.5\n").assert_bad_cell(
        &bad_csv,
        2,
        "payment_terms",
        "whole number of days",
    );
}
