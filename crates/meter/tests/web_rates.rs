//! The Rates page of `meter serve`: the decks, the rates under each filter and the call types no
//! rate covers are what `meter decks list`, `meter rates list` and `meter rates unrated` print;
//! an upload imports what `meter rates import` imports, a bad one is refused row by row with
//! nothing imported, and only staff who may bill upload. Real HTTP against the real binary, on
//! both backends.

mod common;

use common::server::{Page, Server};
use common::web::{rows, section, text, Serving, Shown};
use common::*;
use serde_json::Value;

on_both_backends! {
    the_rates_page_shows_what_the_command_line_lists_under_each_filter,
    an_upload_imports_what_the_command_line_imports_and_a_bad_one_nothing,
}

/// A named deck with prefixed rates, a customer's own rate, and calls of October: one of a type
/// no rate covers.
fn decks_and_calls(env: &Env) {
    env.import_ok("decks", "decks.csv", "deck,description\nwholesale,Wholesale routes\n");
    let rates = "call_type,rate,prefix,deck,customer,description
international,0.30,44,wholesale,,UK
international,0.35,4420,wholesale,,London
international,0.50,33,,,France
domestic,0.05,,,acme,Acme domestic
";
    env.import_ok("rates", "more-rates.csv", rates);
    let calls = [
        Cdr::domestic("c1", "globex", "2026-10-03T14:00:00Z", 125),
        Cdr::premium("c2", "globex", "2026-10-07T17:00:00Z", 40),
        Cdr::premium("c3", "acme", "2026-10-09T17:00:00Z", 20),
        Cdr::premium("c4", "acme", "2026-10-02T10:00:00Z", 0),
    ];
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&calls));
}

/// `meter ARGS --format json`.
fn json(env: &Env, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    env.meter(&all).json()
}

/// The rates table's rows as (id, call type, owner, prefix, rate).
fn shown_rates(page: &Page) -> Vec<[String; 5]> {
    let rates = section(&page.body, "Rates");
    let rows = rows(&rates).into_iter().filter(|r| r.len() == 11);
    rows.map(|r| [r[0].clone(), r[1].clone(), r[2].clone(), r[3].clone(), r[5].clone()]).collect()
}

/// The same of `rates list --format json`.
fn printed_rates(listed: &Value) -> Vec<[String; 5]> {
    let s = |v: &Value| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string());
    let or_any = |v: &Value| if s(v).is_empty() { "*".to_owned() } else { s(v) };
    let rates = listed["rates"].as_array().expect("rates");
    rates
        .iter()
        .map(|r| [s(&r["id"]), s(&r["call_type"]), s(&r["owner"]), or_any(&r["prefix"]), s(&r["rate"])])
        .collect()
}

fn the_rates_page_shows_what_the_command_line_lists_under_each_filter(backend: Backend) {
    let env = Env::seeded_on(backend);
    decks_and_calls(&env);
    let server = Serving::new(Server::start(&env, &["--no-scheduler"], &[]));
    let viewer = server.sign_in(&env, "view@example.com", "viewer");

    // The decks, as `decks list` lists them.
    let page = viewer.get("/rates");
    assert_eq!(page.status, 200, "{}", page.body);
    let decks = json(&env, &["decks", "list"]);
    let want: Vec<Vec<String>> = decks["decks"]
        .as_array()
        .expect("decks")
        .iter()
        .map(|d| {
            let customers: Vec<&str> =
                d["customers"].as_array().expect("customers").iter().filter_map(Value::as_str).collect();
            let deck = d["deck"].as_str().unwrap_or_default();
            let customers = if deck == "default" { "(everyone)".to_owned() } else { customers.join(", ") };
            vec![
                deck.to_owned(),
                d["rates"].to_string(),
                customers,
                d["description"].as_str().unwrap_or_default().to_owned(),
            ]
        })
        .collect();
    assert_eq!(rows(&section(&page.body, "Decks")), want);
    assert_eq!(want.len(), 2, "the default deck and wholesale: {decks:#}");

    // The rates under each filter, as `rates list` with the same flags lists them.
    for query in [
        "",
        "deck=default",
        "deck=wholesale",
        "customer=acme",
        "call_type=international",
        "prefix=44",
        "deck=wholesale&prefix=442",
        "call_type=international&prefix=3",
    ] {
        let mut args = vec!["rates", "list"];
        let pairs: Vec<(&str, &str)> = query.split('&').filter_map(|p| p.split_once('=')).collect();
        let flags: Vec<String> = pairs.iter().map(|(k, _)| format!("--{}", k.replace('_', "-"))).collect();
        for ((_, v), flag) in pairs.iter().zip(&flags) {
            args.extend([flag.as_str(), v]);
        }
        let printed = printed_rates(&json(&env, &args));
        let page = viewer.get(&format!("/rates?{query}"));
        assert_eq!(page.status, 200, "/rates?{query}: {}", page.body);
        assert_eq!(shown_rates(&page), printed, "/rates?{query}");
        assert!(text(&page.body).contains(&format!("{} rates", printed.len())), "/rates?{query}");
    }
    let two = printed_rates(&json(&env, &["rates", "list", "--prefix", "44"]));
    assert_eq!(two.len(), 2, "44 and 4420: {two:?}");

    // Bad filters say why, with the status the API gives.
    let bad = viewer.get("/rates?prefix=4x");
    assert!(bad.status == 400 && bad.has("Prefix:"), "{}", bad.body);
    env.meter(&["rates", "list", "--prefix", "4x"]).assert_usage_error();
    let both = viewer.get("/rates?deck=wholesale&customer=acme");
    assert_eq!(both.status, 400, "{}", both.body);
    let nobody = viewer.get("/rates?customer=nobody");
    assert!(nobody.status == 404 && nobody.has("Unknown customer `nobody`"), "{}", nobody.body);

    // The call types no rate covers, as `rates unrated` prints them: the unanswered call is not one.
    let printed = json(&env, &["rates", "unrated"]);
    let want: Vec<Vec<String>> = printed["call_types"]
        .as_array()
        .expect("call types")
        .iter()
        .map(|t| {
            let s = |k: &str| t[k].as_str().unwrap_or_default().to_owned();
            vec![s("call_type"), t["calls"].to_string(), s("first_seen"), s("last_seen")]
        })
        .collect();
    assert_eq!(
        want,
        vec![vec!["premium".to_owned(), "2".into(), "2026-10-07T17:00:00Z".into(), "2026-10-09T17:00:00Z".into()]]
    );
    assert_eq!(rows(&section(&page.body, "Call types without a rate")), want);

    // A viewer has no upload form, and its upload is refused.
    assert!(!page.has("Import rates") && !page.body.contains("multipart/form-data"), "{}", page.body);
    let refused = viewer.upload("/rates/import", "file", "rates.csv", STANDARD_RATES.as_bytes(), true);
    assert_eq!(refused.status, 403, "{}", refused.body);
}

fn an_upload_imports_what_the_command_line_imports_and_a_bad_one_nothing(backend: Backend) {
    let env = Env::seeded_on(backend);
    let twin = Env::seeded_on(backend);
    let server = Serving::new(Server::start(&env, &["--no-scheduler"], &[]));
    let staff = server.sign_in(&env, "bill@example.com", "billing");
    let page = staff.get("/rates");
    assert!(page.body.contains("enctype=\"multipart/form-data\"") && page.has("Import rates"), "{}", page.body);

    // A good file: the summary the command line prints, and the same rates after.
    let file = "call_type,rate,prefix,initial_increment,subsequent_increment,effective_from,description
international,0.40,49,60,60,,Germany
international,0.60,,1,1,,International
international,0.45,44,60,60,2026-01-01,UK
";
    let printed = twin.import("rates", "rates.csv", file);
    printed.assert_ok();
    let sum = Summary::of(&printed.json());
    let forged = staff.upload("/rates/import", "file", "rates.csv", file.as_bytes(), false);
    assert!(forged.status == 403 && forged.has("Form refused"), "{}", forged.body);
    let uploaded = staff.upload("/rates/import", "file", "rates.csv", file.as_bytes(), true);
    assert_eq!(uploaded.status, 303, "{}", uploaded.body);
    let location = uploaded.location.expect("back to the rates");
    let done = staff.get(&location);
    let said = format!(
        "Rates imported: {} new, {} updated, {} duplicates skipped.",
        sum.imported, sum.updated, sum.duplicates
    );
    assert!(done.has(&said), "`{said}` in {}", done.body);
    assert_eq!((sum.imported, sum.duplicates), (2, 1), "{}", printed.dump());
    let without_ids = |env: &Env| {
        let mut listed = json(env, &["rates", "list"]);
        for r in listed["rates"].as_array_mut().expect("rates") {
            r.as_object_mut().expect("a rate").remove("id");
        }
        listed
    };
    assert_eq!(without_ids(&env), without_ids(&twin));

    // A bad file: each bad row as the command line reports it, and nothing imported.
    let before = json(&env, &["rates", "list"]);
    let bad = "call_type,rate,prefix,description
international,0.70,61,Australia
international,lots,64,New Zealand
Intl!,0.10,,Bad type
";
    let cli = twin.import("rates", "bad.csv", bad);
    let path = twin.path("bad.csv").display().to_string();
    cli.assert_import_rejected(&path);
    let refused = staff.upload("/rates/import", "file", "bad.csv", bad.as_bytes(), true);
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.has("bad.csv: 2 bad rows, nothing imported."), "{}", text(&refused.body));
    let shown: Vec<String> = rows(&refused.body)
        .into_iter()
        .filter(|r| r.len() == 3)
        .map(|r| {
            if r[1].is_empty() {
                format!("{}: {}", r[0], r[2])
            } else {
                format!("{}: column {}: {}", r[0], r[1], r[2])
            }
        })
        .collect();
    let want: Vec<String> = cli
        .file_error_lines()
        .into_iter()
        .map(|l| l.strip_prefix(&format!("{path}:")).expect("the file named").to_owned())
        .collect();
    assert_eq!(shown, want);
    assert_eq!(want.len(), 2, "{}", cli.dump());
    assert_eq!(json(&env, &["rates", "list"]), before, "nothing imported");

    // No file chosen, or not an upload at all.
    let empty = staff.upload("/rates/import", "file", "", b"", true);
    assert!(empty.status == 400 && empty.has("choose a rates file"), "{}", empty.body);
    let form = staff.post("/rates/import", &[("file", "x")], true);
    assert_eq!(form.status, 400, "{}", form.body);
}
