//! The Customers and Plans & subscriptions pages of `meter serve`: what they show is what the
//! command line prints for the same data (`customers list|show|allowance`, `plans list`,
//! `subscriptions list`, `sources check`), each form changes what the command line then prints
//! and is refused as the import refuses the same value, the sync form starts a job that stores
//! the customer's calls, a viewer sees no form and may post nothing, and a form without its CSRF
//! token is refused. Real HTTP against the real binary, on both backends.

mod common;

use common::platforms::{config, setup, FROM as DAY};
use common::server::Server;
use common::web::{text, Serving, Shown};
use common::*;
use emulator::Emulator;
use serde_json::Value;

on_both_backends! {
    customers_are_listed_searched_and_shown_as_the_command_line_shows,
    plans_and_subscriptions_are_edited_as_their_imports_would,
    a_viewer_sees_no_forms_and_its_posts_are_refused,
    the_metered_tab_shows_a_red_check_with_its_reason,
    the_metered_tab_is_green_and_its_sync_stores_the_calls,
}

const NOW: &str = "2026-10-20T12:00:00Z";

fn clocked(env: &Env, args: &[&str]) -> Value {
    let run = env.meter_with_env(args, &[("METER_TEST_NOW", NOW)]);
    run.assert_ok();
    run.json()
}

/// acme's October calls, billed on a draft: they drew from both of acme's plans.
fn october(env: &Env) -> String {
    let calls = [
        Cdr::domestic("c1", "acme", "2026-10-03T10:00:00Z", 125),
        Cdr::international("c2", "acme", "2026-10-04T11:00:00Z", 61),
    ];
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&calls));
    env.create_ok("acme", "2026-10-01", "2026-10-31")["id"].as_str().expect("an id").to_owned()
}

/// Seconds as the pages and the command line write them.
fn min_sec(s: u64) -> String {
    match s % 60 {
        0 => format!("{} min", s / 60),
        r => format!("{} min {r} s", s / 60),
    }
}

/// The rows of an allowance table as the command line's document gives them.
fn allowance_rows(doc: &Value) -> Vec<Vec<String>> {
    let list = doc["allowances"].as_array().expect("allowances");
    list.iter()
        .map(|a| {
            let desc = a["description"].as_str().unwrap_or_default();
            let plan = a["plan"].as_str().unwrap_or_default();
            let types: Vec<&str> =
                a["call_types"].as_array().expect("a value").iter().filter_map(Value::as_str).collect();
            vec![
                if desc.is_empty() { plan.to_owned() } else { format!("{plan} {desc}") },
                types.join(", "),
                format!("{} min", a["included_minutes"]),
                min_sec(a["used_seconds"].as_u64().unwrap_or_default()),
                min_sec(a["left_seconds"].as_u64().unwrap_or_default()),
            ]
        })
        .collect()
}

fn customers_are_listed_searched_and_shown_as_the_command_line_shows(backend: Backend) {
    let env = Env::seeded_on(backend);
    let draft = october(&env);
    env.import_ok(
        "subscriptions",
        "subscriptions.csv",
        "id,customer,start,description,unit_price\nseats,acme,2026-09-01,Seats,5\n",
    );
    let server = Serving::new(Server::start(&env, &["--no-scheduler"], &[("METER_TEST_NOW", NOW)]));
    let staff = server.sign_in(&env, "bill@example.com", "billing");

    // The list is `customers list`'s, each row a link to the profile.
    let listed = env.meter(&["customers", "list", "--format", "json"]).json();
    let ids: Vec<&str> =
        listed["customers"].as_array().expect("a value").iter().filter_map(|c| c["id"].as_str()).collect();
    let page = staff.get("/customers");
    assert_eq!(page.status, 200, "{}", page.body);
    let rows: Vec<Vec<String>> = page.rows().into_iter().filter(|r| r.len() == 8).collect();
    assert_eq!(rows.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(), ids);
    assert_eq!(rows[1][1..6], ["Globex Inc", "America/New_York", "1", "USD", "—"], "{rows:?}");
    assert!(page.body.contains("href=\"/customers/acme\""));
    // The search looks in ids, names and domains, whatever the case.
    for (q, want) in
        [("GLOBEX.pbx", vec!["globex"]), ("acme corp", vec!["acme"]), ("pbx.example", ids.clone()), ("nobody", vec![])]
    {
        let page = staff.get(&format!("/customers?q={}", q.replace(' ', "+")));
        let found: Vec<String> = page.rows().into_iter().filter(|r| r.len() == 8).map(|r| r[0].clone()).collect();
        assert_eq!(found, want, "search `{q}`");
    }

    // The overview is `customers show`'s, with the subscriptions, open invoices and allowances.
    let shown = env.meter(&["customers", "show", "acme", "--format", "json"]).json();
    let page = staff.get("/customers/acme");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("href=\"/customers/acme?tab=overview\" aria-current=\"page\""), "{}", page.body);
    let words = text(&page.body);
    let plans: Vec<&str> = shown["plans"].as_array().expect("a value").iter().filter_map(Value::as_str).collect();
    let facts = format!(
        "Time zone {} Billing day {} Currency {} Deck none (the default deck) Plans {}",
        shown["timezone"].as_str().expect("a value"),
        shown["billing_day"],
        shown["currency"].as_str().expect("a value"),
        plans.join(", ")
    );
    assert!(words.contains(&facts), "`{facts}` in {words}");
    let open = &shown["open_invoices"][0];
    assert_eq!(open["id"], draft.as_str());
    let row = vec![
        draft.clone(),
        open["from"].as_str().expect("a value").to_owned(),
        open["to"].as_str().expect("a value").to_owned(),
        format!("USD {}", open["total"].as_str().expect("a value")),
    ];
    assert!(page.rows().contains(&row), "{row:?} in {:?}", page.rows());
    assert!(page.rows().iter().any(|r| r.len() == 7 && r[0] == "seats" && r[3] == "open"), "{:?}", page.rows());

    // The allowances left are `customers allowance`'s: what the draft drew, and the rest.
    let allowance = clocked(&env, &["customers", "allowance", "acme", "--format", "json"]);
    assert_eq!(allowance["period_from"], "2026-10-01");
    assert_eq!(allowance["allowances"][0]["used_seconds"], 125, "{allowance:#}");
    assert_eq!(allowance["allowances"][1]["left_seconds"], 600 - 61, "{allowance:#}");
    let want = allowance_rows(&allowance);
    let got: Vec<Vec<String>> = page.rows().into_iter().filter(|r| r.len() == 5).collect();
    assert_eq!(got, want);
    let dated = env.meter(&["customers", "allowance", "acme", "--date", "2026-11-05", "--format", "json"]).json();
    assert_eq!(dated["allowances"][0]["used_seconds"], 0, "November drew nothing: {dated:#}");
    let (status, api) = server.get("/api/v1/customers/acme/allowance?date=2026-10-15");
    assert_eq!((status, &api["allowances"]), (200, &allowance["allowances"]));

    // The Plans page shows the same allowances per customer, the plans and the subscriptions.
    let page = staff.get("/plans");
    assert_eq!(page.status, 200, "{}", page.body);
    let got: Vec<Vec<String>> = page.rows().into_iter().filter(|r| r.len() == 5).collect();
    assert!(want.iter().all(|r| got.contains(r)), "{want:?} in {got:?}");
    assert!(page.rows().iter().any(|r| r.len() == 8 && r[0] == "seats"), "{:?}", page.rows());

    // A source's tab has its domain and numbers; an unknown tab or customer is not found.
    let page = staff.get("/customers/acme?tab=netsapiens");
    assert!(page.has("acme.pbx.example") && page.has("No numbers synced"), "{}", page.body);
    assert_eq!(staff.get("/customers/acme?tab=nothing").status, 404);
    assert_eq!(staff.get("/customers/nobody").status, 404);
}

fn plans_and_subscriptions_are_edited_as_their_imports_would(backend: Backend) {
    let env = Env::seeded_on(backend);
    let server = Serving::new(Server::start(&env, &["--no-scheduler"], &[]));
    let staff = server.sign_in(&env, "bill@example.com", "billing");
    let plans = || env.meter(&["plans", "list", "--format", "json"]).json();
    let customer = |id: &str| env.meter(&["customers", "show", id, "--format", "json"]).json();
    let subscriptions = || env.meter(&["subscriptions", "list", "--format", "json"]).json();

    // A plan's form lists its allowances; saving changes what `plans list` prints.
    let form = staff.get("/plans/basic");
    assert!(form.body.contains("value=\"domestic|on_net\"") && form.body.contains("value=\"100\""), "{}", form.body);
    let fields = [
        ("call_types", "domestic|on_net"),
        ("included_minutes", "200"),
        ("description", "Bigger bundle"),
        ("call_types", ""),
        ("included_minutes", ""),
        ("description", ""),
        ("call_types", "international"),
        ("included_minutes", "5"),
        ("description", ""),
    ];
    let saved = staff.post("/plans/basic", &fields, true);
    assert_eq!((saved.status, saved.location.as_deref()), (303, Some("/plans?done=plan")), "{}", saved.body);
    let basic = &plans()["plans"][0];
    assert_eq!(basic["allowances"][0]["included_minutes"], 200, "{basic:#}");
    assert_eq!(basic["allowances"][1]["call_types"][0], "international", "{basic:#}");

    // A bad value is refused naming the field and the row, as the import words it; nothing saved.
    let before = plans();
    let bad = [
        ("call_types", "domestic"),
        ("included_minutes", "1"),
        ("description", ""),
        ("call_types", "domestic"),
        ("included_minutes", "lots"),
        ("description", ""),
    ];
    let refused = staff.post("/plans/basic", &bad, true);
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.has("Allowance 2, Included minutes: `lots` is not a whole number of minutes ≥ 0"),
        "{}",
        text(&refused.body)
    );
    assert!(refused.body.contains("value=\"lots\""), "what was typed is shown again");
    assert_eq!(plans(), before);
    env.import("plans", "plans.csv", "plan,call_types,included_minutes\nbasic,domestic,lots\n")
        .assert_code(1)
        .assert_stderr_has("column included_minutes: `lots` is not a whole number of minutes ≥ 0");

    // Plans assigned and removed: `customers show` follows; an unknown plan is refused.
    let assigned = staff.post("/plans/assign", &[("customer", "globex"), ("plan", "world")], true);
    assert_eq!(assigned.status, 303, "{}", assigned.body);
    assert_eq!(customer("globex")["plans"], serde_json::json!(["world"]));
    let set = staff.post("/customers/globex/plans", &[("plans", "world|basic")], true);
    assert_eq!((set.status, set.location.as_deref()), (303, Some("/customers/globex?done=plans")));
    assert_eq!(customer("globex")["plans"], serde_json::json!(["world", "basic"]));
    let removed = staff.post("/customers/globex/plans", &[("remove", "world"), ("back", "plans")], true);
    assert_eq!(removed.status, 303);
    assert_eq!(customer("globex")["plans"], serde_json::json!(["basic"]));
    let refused = staff.post("/customers/globex/plans", &[("plans", "basic|nope")], true);
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.has("Plans: unknown plan `nope` (import plans.csv first)"), "{}", text(&refused.body));
    assert_eq!(customer("globex")["plans"], serde_json::json!(["basic"]));

    // A subscription added, edited and ended; a bad unit price and a taken id are refused.
    let sub = [
        ("id", "seats"),
        ("customer", "acme"),
        ("start", "2026-10-01"),
        ("end", ""),
        ("description", "Seats"),
        ("quantity", "3"),
        ("unit_price", "5"),
        ("plans", "world"),
    ];
    let added = staff.post("/subscriptions", &sub, true);
    assert_eq!((added.status, added.location.as_deref()), (303, Some("/plans?done=subscription")), "{}", added.body);
    let listed = subscriptions();
    assert_eq!(listed["subscriptions"][0]["quantity"], "3", "{listed:#}");
    assert_eq!(listed["subscriptions"][0]["plans"], serde_json::json!(["world"]));
    let again = staff.post("/subscriptions", &sub, true);
    assert_eq!(again.status, 400);
    assert!(again.has("Id: subscription `seats` exists already"), "{}", text(&again.body));
    let mut edit = sub.to_vec();
    edit[5] = ("quantity", "4");
    let edited = staff.post("/subscriptions/seats", &edit, true);
    assert_eq!(edited.status, 303, "{}", edited.body);
    assert_eq!(subscriptions()["subscriptions"][0]["quantity"], "4");
    let before = subscriptions();
    edit[6] = ("unit_price", "-1");
    let refused = staff.post("/subscriptions/seats", &edit, true);
    assert_eq!(refused.status, 400);
    assert!(refused.has("Unit price: `-1` is not a decimal ≥ 0 with at most 4 decimals"), "{}", text(&refused.body));
    assert_eq!(subscriptions(), before);
    let ended = staff.post("/subscriptions/seats", &[("action", "end"), ("end", "2026-12-31")], true);
    assert_eq!(ended.status, 303, "{}", ended.body);
    let listed = subscriptions();
    assert_eq!(
        (&listed["subscriptions"][0]["end"], &listed["subscriptions"][0]["quantity"]),
        (&serde_json::json!("2026-12-31"), &serde_json::json!("4"))
    );
    let reversed = staff.post("/subscriptions/seats", &[("action", "end"), ("end", "2026-09-01")], true);
    assert_eq!(reversed.status, 400);
    assert!(
        reversed.has("End: the last day 2026-09-01 is before the first day 2026-10-01"),
        "{}",
        text(&reversed.body)
    );
}

fn a_viewer_sees_no_forms_and_its_posts_are_refused(backend: Backend) {
    let env = Env::seeded_on(backend);
    env.import_ok(
        "subscriptions",
        "subscriptions.csv",
        "id,customer,start,description,unit_price\nseats,acme,2026-09-01,Seats,5\n",
    );
    let server = Serving::new(Server::start(&env, &["--no-scheduler"], &[]));
    let viewer = server.sign_in(&env, "view@example.com", "viewer");
    let staff = server.sign_in(&env, "bill@example.com", "billing");
    let before = (
        env.meter(&["plans", "list", "--format", "json"]).json(),
        env.meter(&["customers", "list", "--format", "json"]).json(),
        env.meter(&["subscriptions", "list", "--format", "json"]).json(),
    );
    for path in [
        "/customers",
        "/customers/acme",
        "/customers/acme?tab=metered",
        "/plans",
        "/plans/basic",
        "/subscriptions/seats",
    ] {
        let page = viewer.get(path);
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert_eq!(page.body.matches("method=\"post\"").count(), 1, "{path}: only the sign-out form: {}", page.body);
    }
    let posts: [(&str, &[(&str, &str)]); 6] = [
        ("/plans/basic", &[("call_types", "domestic"), ("included_minutes", "1"), ("description", "")]),
        ("/customers/acme/plans", &[("plans", "basic")]),
        ("/plans/assign", &[("customer", "globex"), ("plan", "basic")]),
        (
            "/subscriptions",
            &[("id", "x"), ("customer", "acme"), ("start", "2026-10-01"), ("description", "x"), ("unit_price", "1")],
        ),
        ("/subscriptions/seats", &[("action", "end"), ("end", "2026-12-31")]),
        ("/customers/acme/sync", &[("from", "2026-10-01"), ("to", "2026-10-01")]),
    ];
    for (path, fields) in posts {
        let refused = viewer.post(path, fields, true);
        assert_eq!(refused.status, 403, "POST {path} by a viewer: {}", refused.body);
        let unsigned = staff.post(path, fields, false);
        assert_eq!(unsigned.status, 403, "POST {path} without _csrf: {}", unsigned.body);
    }
    let after = (
        env.meter(&["plans", "list", "--format", "json"]).json(),
        env.meter(&["customers", "list", "--format", "json"]).json(),
        env.meter(&["subscriptions", "list", "--format", "json"]).json(),
    );
    assert_eq!(after, before, "nothing changed");
}

fn the_metered_tab_shows_a_red_check_with_its_reason(backend: Backend) {
    // acme has a NetSapiens domain, and no source is configured.
    let env = Env::seeded_on(backend);
    let server = Serving::new(Server::start(&env, &["--no-scheduler"], &[]));
    let staff = server.sign_in(&env, "bill@example.com", "billing");
    let printed = env.meter(&["sources", "check", "--customer", "acme", "--format", "json"]);
    printed.assert_code(1);
    let check = &printed.json()["sources"][0]["checks"][0];
    assert_eq!(check["ok"], false, "{check:#}");
    let page = staff.get("/customers/acme?tab=metered");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("aria-current=\"page\">Metered Billing"), "{}", page.body);
    let words = text(&page.body);
    let red = format!(
        "failed {} : {}",
        check["check"].as_str().expect("a value"),
        check["detail"].as_str().expect("a value")
    );
    assert!(words.contains(&red), "`{red}` in {words}");
    assert!(words.contains("Fix: set the source netsapiens up in Settings, Sources."), "{words}");
    // A sync has nothing to pull from: refused as the command line refuses it, nothing started.
    let refused = staff.post("/customers/acme/sync", &[("from", "2026-10-01"), ("to", "2026-10-02")], true);
    assert!(refused.status >= 400 && refused.has("Not synced"), "{}: {}", refused.status, text(&refused.body));
    let bad = staff.post("/customers/acme/sync", &[("from", "someday"), ("to", "2026-10-02")], true);
    assert_eq!(bad.status, 400);
    assert!(bad.has("From:"), "{}", text(&bad.body));
    assert_eq!(env.meter(&["jobs", "list", "--format", "json"]).json()["jobs"], serde_json::json!([]));
}

fn the_metered_tab_is_green_and_its_sync_stores_the_calls(backend: Backend) {
    let cfg = config(20, vec![]);
    let emu = Emulator::spawn(cfg.clone()).expect("the emulator");
    let env = setup(backend, &emu, &cfg);
    let server = Serving::new(Server::start(&env, &["--no-scheduler"], &[]));
    let staff = server.sign_in(&env, "bill@example.com", "billing");
    // Before any sync, the platform's checks are green and the last sync's is red.
    let page = staff.get("/customers/acme?tab=metered");
    assert_eq!(page.status, 200, "{}", page.body);
    let checks = assert_checks_as_printed(&env, &text(&page.body));
    assert!(checks.iter().any(|(c, ok)| c == "credentials" && *ok), "{checks:?}");
    assert!(checks.iter().any(|(c, ok)| c == "last sync" && !*ok), "{checks:?}");

    // The form starts the sync as the API does and follows its job.
    let started = staff.post("/customers/acme/sync", &[("from", DAY), ("to", DAY)], true);
    assert_eq!(started.status, 303, "{}", started.body);
    let location = started.location.expect("a redirect");
    let id = location.strip_prefix("/jobs/").expect("the job's page").to_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    let job = loop {
        let job = env.meter(&["jobs", "show", &id, "--format", "json"]).json();
        if job["state"] != "running" || std::time::Instant::now() > deadline {
            break job;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(job["state"], "done", "{job:#}");
    assert_eq!(staff.get(&location).status, 200);
    let page = staff.get("/customers/acme?tab=metered");
    let checks = assert_checks_as_printed(&env, &text(&page.body));
    assert!(checks.iter().all(|(_, ok)| *ok), "all green once synced: {checks:?}");
    let calls = env.meter(&["calls", "list", "--customer", "acme", "--format", "json"]).json();
    assert!(calls["calls"].as_array().is_some_and(|c| !c.is_empty()), "{calls:#}");
    // The source's tab lists the numbers synced, as `numbers list` does.
    let numbers = env.meter(&["numbers", "list", "--customer", "acme", "--format", "json"]).json();
    let numbers: Vec<String> = numbers["numbers"]
        .as_array()
        .expect("numbers")
        .iter()
        .map(|n| n["number"].as_str().expect("a value").to_owned())
        .collect();
    assert!(!numbers.is_empty());
    let page = staff.get("/customers/acme?tab=netsapiens");
    let shown: Vec<String> =
        page.rows().into_iter().filter(|r| r.len() == 2 && r[0] != "Number").map(|r| r[0].clone()).collect();
    assert_eq!(shown, numbers);
}

/// The metered tab's words show each check `sources check --customer acme` prints, green or
/// red as printed, with its detail; returns them.
#[track_caller]
fn assert_checks_as_printed(env: &Env, words: &str) -> Vec<(String, bool)> {
    let printed = env.meter(&["sources", "check", "--customer", "acme", "--format", "json"]).json();
    let mut out = Vec::new();
    for c in printed["sources"][0]["checks"].as_array().expect("checks") {
        let ok = c["ok"].as_bool().expect("ok");
        let name = c["check"].as_str().expect("a check").to_owned();
        let shown = format!("{} {name} : {}", if ok { "ok" } else { "failed" }, c["detail"].as_str().expect("a value"));
        assert!(words.contains(&shown), "`{shown}` in {words}");
        out.push((name, ok));
    }
    out
}
