//! The Billing, Jobs and Invoices pages of `meter serve`: what they show is what the command line
//! prints for the same data, each form does what its command does and is refused as the command
//! is, a viewer sees no button and may post nothing, and a form without its CSRF token is
//! refused. Real HTTP against the real binary, on both backends.

mod common;

use common::platforms::{config, jobs as jobs_of, kill_sync_mid_way, setup, sync};
use common::server::{Page, Server};
use common::web::{text, Serving, Shown};
use common::*;
use emulator::{Emulator, Fault, FaultKind};
use serde_json::Value;

on_both_backends! {
    billing_shows_the_preview_and_creates_the_invoice_the_command_line_shows,
    an_invoice_is_credited_finalized_voided_and_deleted_through_its_forms,
    a_viewer_sees_no_buttons_and_its_forms_are_refused,
    jobs_show_a_syncs_rejects_and_the_billing_page_is_held_by_its_records_check,
    a_running_sync_is_followed_live_and_holds_the_invoice,
    an_invoices_document_downloads_as_invoice_render_writes_it,
}

const FROM: &str = "2026-10-01";
const TO: &str = "2026-10-31";

/// globex (New York, no plan) and acme calls of October: three rated types, an unanswered call
/// and a call of a type without a rate.
fn october(env: &Env) {
    let calls = [
        Cdr::domestic("c1", "globex", "2026-10-03T14:00:00Z", 125),
        Cdr::international("c2", "globex", "2026-10-04T15:00:00Z", 61),
        Cdr::on_net("c3", "globex", "2026-10-05T16:00:00Z", 30),
        Cdr::domestic("c4", "globex", "2026-10-06T17:00:00Z", 0),
        Cdr::premium("c5", "globex", "2026-10-07T17:00:00Z", 40),
        Cdr::domestic("c6", "acme", "2026-10-06T13:00:00Z", 40),
    ];
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&calls));
}

/// The page's lines table is the document's lines: number, label, calls and amount with the
/// currency, then the total.
#[track_caller]
fn assert_lines(page: &Page, doc: &Value) {
    let cur = doc["currency"].as_str().expect("a currency");
    let lines = doc["lines"].as_array().expect("lines");
    let rows: Vec<Vec<String>> = page.rows().into_iter().filter(|r| r.len() >= 8).collect();
    assert_eq!(rows.len(), lines.len(), "the page's lines: {rows:?}\nthe document's: {lines:#?}");
    for (i, (row, line)) in rows.iter().zip(lines).enumerate() {
        let label = line["call_type"].as_str().or(line["description"].as_str()).unwrap_or_default();
        let calls = line["calls"].as_u64().map(|n| n.to_string()).unwrap_or_default();
        let amount = format!("{cur} {}", line["amount"].as_str().unwrap_or_default());
        assert_eq!(
            (&row[0], &row[1], &row[3], &row[7]),
            (&(i + 1).to_string(), &label.to_owned(), &calls, &amount),
            "line {}",
            i + 1
        );
    }
    let total = format!("Total {cur} {}", doc["total"].as_str().unwrap_or_default());
    assert!(text(&page.body).contains(&total), "the page shows `{total}`");
}

fn billing_shows_the_preview_and_creates_the_invoice_the_command_line_shows(backend: Backend) {
    let env = Env::seeded_on(backend);
    october(&env);
    let server = Serving::new(Server::start(&env, &["--no-scheduler"], &[]));
    let staff = server.sign_in(&env, "bill@example.com", "billing");
    let search = format!("/billing?customer=globex&call_types=&from={FROM}&to={TO}");

    // The search shows `meter invoice preview`'s lines, and what it found.
    let printed = env.preview("globex", FROM, TO);
    assert_eq!(printed["lines"].as_array().map(Vec::len), Some(3), "{printed:#}");
    let page = staff.get(&search);
    assert_eq!(page.status, 200, "{}", page.body);
    assert_lines(&page, &printed);
    let shown = text(&page.body);
    for fact in ["Calls found 4 answered", "Rates found for 3 calls", "Unrated 1 premium", "Already billed 0 calls"] {
        assert!(shown.contains(fact), "the summary says `{fact}`: {shown}");
    }
    assert!(shown.contains("No metered source is configured"), "{shown}");
    assert!(page.has("Create draft invoice") && !page.body.contains("disabled aria-describedby"), "{shown}");

    // Call types narrow it as `--call-types` does.
    let run = env.meter(&[
        "invoice",
        "preview",
        "--customer",
        "globex",
        "--from",
        FROM,
        "--to",
        TO,
        "--call-types",
        "international",
        "--format",
        "json",
    ]);
    let page = staff.get(&format!("/billing?customer=globex&call_types=international&from={FROM}&to={TO}"));
    assert_lines(&page, &run.json());
    // Bad searches say why, with the status the API gives.
    let reversed = staff.get(&format!("/billing?customer=globex&call_types=&from={TO}&to={FROM}"));
    assert_eq!(reversed.status, 400, "{}", reversed.body);
    let bad_type = staff.get(&format!("/billing?customer=globex&call_types=Intl%21&from={FROM}&to={TO}"));
    assert_eq!(bad_type.status, 400, "{}", bad_type.body);
    assert!(bad_type.has("Call types:"), "{}", bad_type.body);
    let nobody = staff.get(&format!("/billing?customer=nobody&call_types=&from={FROM}&to={TO}"));
    assert!(nobody.status == 404 && nobody.has("Unknown customer `nobody`"), "{}", nobody.body);

    // Create: refused without the form's token, then made, and its page is the invoice's.
    let form = [("customer", "globex"), ("call_types", ""), ("from", FROM), ("to", TO)];
    let forged = staff.post("/billing", &form, false);
    assert!(forged.status == 403 && forged.has("Form refused"), "{}", forged.body);
    assert_eq!(env.meter(&["invoice", "list", "--format", "json"]).json()["invoices"], serde_json::json!([]));
    let created = staff.post("/billing", &form, true);
    assert_eq!(created.status, 303, "{}", created.body);
    let location = created.location.expect("where the invoice is");
    let id = location.strip_prefix("/invoices/").and_then(|l| l.strip_suffix("?done=created")).expect("its page");
    let shown_doc = env.show(id);
    assert_eq!(shown_doc["lines"], printed["lines"], "the invoice bills what the search showed");
    let page = staff.get(&location);
    assert_eq!(page.status, 200, "{}", page.body);
    assert_lines(&page, &shown_doc);
    assert!(page.has("Draft invoice created"), "{}", page.body);
    let history = page.rows().into_iter().find(|r| r.get(1).is_some_and(|w| w == "created")).expect("created");
    assert_eq!(history[2], "bill@example.com", "the web's user made it: {history:?}");
    assert!(history[0].ends_with(" EST") || history[0].ends_with(" EDT"), "in globex's zone: {history:?}");

    // Nothing is left to bill: the button is disabled, and a creation is refused with the reason.
    let page = staff.get(&search);
    assert!(page.body.contains("disabled aria-describedby=\"nothing\""), "{}", page.body);
    assert!(text(&page.body).contains("Already billed 3 calls"), "{}", text(&page.body));
    let again = staff.post("/billing", &form, true);
    assert_eq!(again.status, 422, "{}", again.body);
    assert!(again.has("Not created: Nothing to bill for globex"), "{}", again.body);
}

/// The number of the `(what)` line of an invoice document: its position from 1.
fn line_number(doc: &Value, description: &str) -> usize {
    let lines = doc["lines"].as_array().expect("lines");
    lines.iter().position(|l| l["description"] == description).expect("the line") + 1
}

fn an_invoice_is_credited_finalized_voided_and_deleted_through_its_forms(backend: Backend) {
    let env = Env::seeded_on(backend);
    october(&env);
    let created = env.create_ok("globex", FROM, TO);
    let id = created["id"].as_str().expect("an id").to_owned();
    let server = Serving::new(Server::start(&env, &["--no-scheduler"], &[]));
    let staff = server.sign_in(&env, "bill@example.com", "billing");
    let page_of = format!("/invoices/{id}");

    // A credit line.
    let added =
        staff.post(&format!("{page_of}/lines"), &[("description", "Goodwill credit"), ("amount", "-5.00")], true);
    assert_eq!((added.status, added.location.as_deref()), (303, Some(&*format!("{page_of}?done=line_added"))));
    let doc = env.show(&id);
    let credit = &doc["lines"][line_number(&doc, "Goodwill credit") - 1];
    assert_eq!((&credit["kind"], &credit["amount"]), (&"manual".into(), &"-5.00".into()), "{doc:#}");
    let page = staff.get(&page_of);
    assert_lines(&page, &doc);
    assert!(page.rows().iter().any(|r| r[1] == "Goodwill credit" && r[2] == "credit"), "{:?}", page.rows());
    assert!(page.body.contains(&format!("href=\"/calls?invoice={id}\"")), "a link to its calls");
    // A bad amount is refused, keeping what was typed.
    let bad = staff.post(&format!("{page_of}/lines"), &[("description", "Typed twice"), ("amount", "1.005")], true);
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.has("Amount `1.005`") && bad.body.contains("value=\"Typed twice\""), "{}", bad.body);
    // A line added, then removed.
    staff.post(&format!("{page_of}/lines"), &[("description", "Setup fee"), ("amount", "10")], true);
    let n = line_number(&env.show(&id), "Setup fee");
    let removed = staff.post(&format!("{page_of}/lines/{n}/remove"), &[], true);
    assert_eq!(removed.status, 303, "{}", removed.body);
    assert_eq!(env.show(&id)["lines"], doc["lines"], "the fee is gone, the credit stays");
    let none = staff.post(&format!("{page_of}/lines/x/remove"), &[], true);
    assert!(none.status == 404 && none.has("there is no line 0"), "{}", none.body);
    let usage = staff.post(&format!("{page_of}/lines/1/remove"), &[], true);
    assert!(usage.status == 409 && usage.has("only manual lines can be removed"), "{}", usage.body);

    // Finalized: numbered, and its lines never change again.
    let finalized = staff.post(&format!("{page_of}/finalize"), &[], true);
    assert_eq!(finalized.location.as_deref(), Some(&*format!("{page_of}?done=finalized")), "{}", finalized.body);
    let doc = env.show(&id);
    let number = doc["number"].as_str().expect("a number").to_owned();
    assert_eq!(doc["status"], "final");
    let page = staff.get(&format!("{page_of}?done=finalized"));
    assert!(page.has(&format!("Finalized as {number}")) && page.has(&format!("Invoice {number}")), "{}", page.body);
    assert!(!page.has("Add a manual line") && page.has("Void invoice"), "{}", page.body);
    let late = staff.post(&format!("{page_of}/lines"), &[("description", "Late"), ("amount", "1")], true);
    assert_eq!(late.status, 409, "{}", late.body);
    let delete = staff.get(&format!("{page_of}/delete"));
    assert_eq!(delete.status, 409, "a final invoice is not deleted: {}", delete.body);

    // Voided with a reason, which is required.
    let no_reason = staff.post(&format!("{page_of}/void"), &[("reason", " ")], true);
    assert!(no_reason.status == 400 && no_reason.has("The reason is empty"), "{}", no_reason.body);
    let voided = staff.post(&format!("{page_of}/void"), &[("reason", "Billed the wrong plan")], true);
    assert_eq!(voided.status, 303, "{}", voided.body);
    let doc = env.show(&id);
    assert_eq!(doc["status"], "void");
    let page = staff.get(voided.location.as_deref().expect("the invoice"));
    assert!(page.has("Invoice voided: 3 calls") && page.has("Reason: Billed the wrong plan"), "{}", page.body);

    // The list, filtered as `meter invoice list` filters it.
    let again = env.create_ok("globex", FROM, TO);
    let draft = again["id"].as_str().expect("an id").to_owned();
    for query in
        ["", "?status=void", "?status=draft&customer=globex", "?customer=acme", "?from=2026-09-01&to=2026-09-30"]
    {
        let mut args = vec!["invoice", "list", "--format", "json"];
        let pairs: Vec<(&str, &str)> =
            query.trim_start_matches('?').split('&').filter_map(|p| p.split_once('=')).collect();
        let flags: Vec<String> = pairs.iter().map(|(k, _)| format!("--{k}")).collect();
        for ((_, v), flag) in pairs.iter().zip(&flags) {
            args.extend([flag.as_str(), v]);
        }
        let printed = env.meter(&args).json();
        let want: Vec<String> = printed["invoices"]
            .as_array()
            .expect("invoices")
            .iter()
            .map(|i| format!("Invoice {}", i["id"].as_str().unwrap_or_default()))
            .collect();
        let page = staff.get(&format!("/invoices{query}"));
        assert_eq!(page.status, 200, "{}", page.body);
        let listed: Vec<String> = page.rows().into_iter().map(|r| r[0].clone()).collect();
        assert_eq!(listed, want, "/invoices{query}");
    }
    let half = staff.get("/invoices?from=2026-10-01");
    assert!(half.status == 400 && half.has("Give both dates"), "{}", half.body);
    assert_eq!(staff.get("/invoices/D-99").status, 404);

    // Deleting a draft asks first, on a page of its own, saying its calls are released.
    let ask = staff.get(&format!("/invoices/{draft}/delete"));
    assert_eq!(ask.status, 200, "{}", ask.body);
    assert!(ask.has("will be released") && ask.body.contains(&format!("action=\"/invoices/{draft}/delete\"")));
    assert_eq!(env.show(&draft)["status"], "draft", "asking deletes nothing");
    let deleted = staff.post(&format!("/invoices/{draft}/delete"), &[], true);
    assert_eq!(deleted.location.as_deref(), Some(&*format!("/invoices?deleted={draft}&released=3")));
    env.meter(&["invoice", "show", &draft]).assert_code(1);
    let page = staff.get(deleted.location.as_deref().unwrap_or_default());
    assert!(page.has(&format!("Deleted draft invoice {draft}: 3 calls released")), "{}", page.body);
}

/// The invoice page's downloads and the API's document are the bytes `meter invoice render`
/// writes, under the invoice's number; a viewer may download them.
fn an_invoices_document_downloads_as_invoice_render_writes_it(backend: Backend) {
    let env = Env::seeded_on(backend);
    october(&env);
    let id = env.create_ok("globex", FROM, TO)["id"].as_str().expect("an id").to_owned();
    env.meter(&["invoice", "finalize", &id]).assert_ok();
    let number = env.show(&id)["number"].as_str().expect("a number").to_owned();
    let server = Serving::new(Server::start(&env, &["--no-scheduler"], &[]));
    let viewer = server.sign_in(&env, "view@example.com", "viewer");
    let token = common::server::new_token(&env, "viewer");
    let page = viewer.get(&format!("/invoices/{id}"));
    for link in ["PDF", "PDF with every call", "HTML", "Calls (CSV)"] {
        assert!(page.body.contains(&format!(" download>{link}</a>")), "the page offers `{link}`: {}", page.body);
    }
    let cases = [
        ("format=pdf", &["--format", "pdf"][..], "application/pdf", "pdf"),
        ("format=pdf&with_calls=true", &["--format", "pdf", "--with-calls"], "application/pdf", "pdf"),
        ("format=pdf&paper=letter", &["--format", "pdf", "--paper", "letter"], "application/pdf", "pdf"),
        ("format=html", &["--format", "html"], "text/html; charset=utf-8", "html"),
        ("format=csv", &["--format", "csv"], "text/csv; charset=utf-8", "csv"),
    ];
    for (query, args, content_type, extension) in cases {
        let file = env.path(&format!("rendered.{extension}"));
        let mut render = vec!["invoice", "render", &id, "--output", file.to_str().expect("a path")];
        render.extend_from_slice(args);
        env.meter(&render).assert_ok();
        let written = std::fs::read(&file).expect("the rendered file");
        let from_page = viewer.download(&format!("/invoices/{id}/document?{query}"));
        let from_api = server.with_token(Some(&token)).download(&format!("/api/v1/invoices/{number}/document?{query}"));
        for (who, got) in [("the page", &from_page), ("the API", &from_api)] {
            assert_eq!((got.status, got.content_type.as_str()), (200, content_type), "{who}, {query}");
            assert_eq!(got.disposition, format!("attachment; filename=\"{number}.{extension}\""), "{who}, {query}");
            assert!(got.bytes == written, "{who}, {query}: not the bytes `meter invoice render` writes");
        }
    }
    // What cannot be rendered says why.
    let bad_paper = viewer.get(&format!("/invoices/{id}/document?format=pdf&paper=a5"));
    assert!(bad_paper.status == 400 && bad_paper.has("Paper `a5`"), "{}", bad_paper.body);
    let unknown = server.with_token(Some(&token)).download("/api/v1/invoices/D-999/document?format=pdf");
    assert_eq!(unknown.status, 404, "{}", String::from_utf8_lossy(&unknown.bytes));
}

fn a_viewer_sees_no_buttons_and_its_forms_are_refused(backend: Backend) {
    let env = Env::seeded_on(backend);
    october(&env);
    let draft = env.create_ok("globex", FROM, TO)["id"].as_str().expect("an id").to_owned();
    let before = env.show(&draft);
    let server = Serving::new(Server::start(&env, &["--no-scheduler"], &[]));
    let viewer = server.sign_in(&env, "view@example.com", "viewer");

    let page = viewer.get(&format!("/invoices/{draft}"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert_lines(&page, &before);
    assert_eq!(page.body.matches("method=\"post\"").count(), 1, "only the sign-out form: {}", page.body);
    for button in ["Add line", "Finalize invoice", "Delete draft", "Remove"] {
        assert!(!page.has(button), "a viewer sees no `{button}`");
    }
    let search = viewer.get(&format!("/billing?customer=globex&call_types=&from={FROM}&to={TO}"));
    assert_eq!(search.status, 200, "{}", search.body);
    assert!(!search.has("Create draft invoice"), "{}", search.body);
    assert_eq!(viewer.get("/jobs").status, 200);
    assert_eq!(viewer.get("/invoices").status, 200);

    let posts: [(&str, &[(&str, &str)]); 6] = [
        ("/billing", &[("customer", "globex"), ("from", FROM), ("to", TO)]),
        (&format!("/invoices/{draft}/lines"), &[("description", "x"), ("amount", "1")]),
        (&format!("/invoices/{draft}/lines/1/remove"), &[]),
        (&format!("/invoices/{draft}/finalize"), &[]),
        (&format!("/invoices/{draft}/void"), &[("reason", "x")]),
        (&format!("/invoices/{draft}/delete"), &[]),
    ];
    for (path, fields) in posts {
        let refused = viewer.post(path, fields, true);
        assert_eq!(refused.status, 403, "POST {path} by a viewer: {}", refused.body);
    }
    assert_eq!(viewer.get(&format!("/invoices/{draft}/delete")).status, 403);
    assert_eq!(env.show(&draft), before, "the viewer changed nothing");
    assert_eq!(
        env.meter(&["invoice", "list", "--format", "json"]).json()["invoices"].as_array().map(Vec::len),
        Some(1)
    );
}

fn jobs_show_a_syncs_rejects_and_the_billing_page_is_held_by_its_records_check(backend: Backend) {
    use common::platforms::FROM as DAY;
    // The first page's first answered outbound record ends before its answer: rejected, so the
    // platform counts one record more than meter stores.
    let cfg = config(300, vec![Fault { kind: FaultKind::ReleaseBeforeAnswer, at: 1, delay_ms: 0 }]);
    let emu = Emulator::spawn(cfg.clone()).expect("the emulator");
    let env = setup(backend, &emu, &cfg);
    let run = sync(&env, &["--customer", "acme", "--from", DAY, "--to", DAY]);
    run.assert_ok();
    let job = jobs_of(&run)[0].clone();
    let reject = job["rejects"][0].clone();
    assert_eq!(job["rejected"], 1, "{job}");
    env.meter(&["cycle", "run", "--date", "2026-11-15"]).assert_ok();
    let server = Serving::new(Server::start(&env, &["--no-scheduler"], &[]));
    let staff = server.sign_in(&env, "bill@example.com", "billing");

    // The list is `meter jobs list`'s: each job with its state.
    let printed = jobs_of(&env.meter(&["jobs", "list", "--format", "json"]));
    assert_eq!(printed.len(), 2, "the sync and the cycle run: {printed:#?}");
    let page = staff.get("/jobs");
    assert_eq!(page.status, 200, "{}", page.body);
    let rows = page.rows();
    let listed: Vec<(String, String)> = rows.iter().map(|r| (r[0].clone(), r[2].clone())).collect();
    let want: Vec<(String, String)> = printed
        .iter()
        .map(|j| (format!("Job {}", j["id"]), j["state"].as_str().unwrap_or_default().to_owned()))
        .collect();
    assert_eq!(listed, want);
    assert!(rows.iter().any(|r| r[1] == "Billing cycle of 2026-11-15"), "{rows:?}");
    assert!(rows.iter().any(|r| r[6] == "1 records rejected"), "{rows:?}");

    // A sync's page shows its counts and the records it rejected, with why.
    let id = job["id"].as_i64().expect("a job id");
    let page = staff.get(&format!("/jobs/{id}"));
    assert_eq!(page.status, 200, "{}", page.body);
    let shown = text(&page.body);
    for (what, value) in [("Imported", &job["imported"]), ("Records received", &job["received"])] {
        assert!(shown.contains(&format!("{what} {value}")), "{what} {value}: {shown}");
    }
    let (reject_id, reason) =
        (reject["id"].as_str().unwrap_or_default(), reject["reason"].as_str().unwrap_or_default());
    assert!(page.rows().iter().any(|r| r == &[reject_id.to_owned(), reason.to_owned()]), "{:?}", page.rows());
    assert!(shown.contains("Calls starting from 2026-11-01 00:00:00 UTC"), "in acme's zone: {shown}");
    let fragment = staff.get(&format!("/jobs/{id}?fragment=1"));
    assert!(fragment.status == 200 && !fragment.body.contains("<html") && fragment.has(reject_id), "{}", fragment.body);
    assert_eq!(staff.get("/jobs/999999").status, 404);

    // The records check is red: the search says the creation is refused, and so it is, as
    // `meter invoice create` refuses it.
    let page = staff.get(&format!("/billing?customer=acme&call_types=&from={DAY}&to={DAY}"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.has("Creating this invoice is refused now") && page.has("counts"), "{}", text(&page.body));
    assert!(text(&page.body).contains("ok netsapiens") || text(&page.body).contains("failed netsapiens"));
    let refused = staff.post("/billing", &[("customer", "acme"), ("call_types", ""), ("from", DAY), ("to", DAY)], true);
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.has("Not created: The calls of acme from 2026-11-01 to 2026-11-01 may be incomplete"));
    let cli = env.meter(&["invoice", "create", "--customer", "acme", "--from", DAY, "--to", DAY]);
    cli.assert_code(1).assert_stderr_has("may be incomplete");
}

fn a_running_sync_is_followed_live_and_holds_the_invoice(backend: Backend) {
    use common::platforms::{FROM as DAY, TO as NEXT};
    // The sync's second page is held for a minute; the sync is killed while it waits, leaving
    // its job running, as a sync under way looks.
    let cfg = config(400, vec![Fault { kind: FaultKind::Slow, at: 2, delay_ms: 60_000 }]);
    let emu = Emulator::spawn(cfg.clone()).expect("the emulator");
    let env = setup(backend, &emu, &cfg);
    let job = kill_sync_mid_way(&env, &emu, &["--customer", "acme", "--from", DAY, "--to", NEXT], 1, 2);
    let id = job["id"].as_i64().expect("a job id");
    let server = Serving::new(Server::start(&env, &["--no-scheduler"], &[]));
    let staff = server.sign_in(&env, "bill@example.com", "billing");

    // The jobs page follows it: the running job is marked for the script, which asks for the
    // fragment; the fragment is the table alone.
    let page = staff.get("/jobs");
    assert!(
        page.body.contains("data-running")
            && page.body.contains("data-live=\"/jobs?customer=&amp;limit=50&amp;fragment=1\"")
    );
    assert!(page.body.contains("setTimeout(tick, 2000)"), "{}", page.body);
    let fragment = staff.get("/jobs?customer=&limit=50&fragment=1");
    assert!(fragment.body.contains("data-running") && !fragment.body.contains("<html"), "{}", fragment.body);
    assert!(fragment.rows().iter().any(|r| r[0] == format!("Job {id}") && r[2] == "running"), "{}", fragment.body);
    let (received, platform) = (&job["received"], &job["platform_count"]);
    let progress = format!("{received} records received of the {platform} the platform counts");
    assert!(fragment.has(&progress), "`{progress}` in {}", fragment.body);

    // The search names the job that holds the invoice, and the creation is refused with it.
    let search = format!("/billing?customer=acme&call_types=&from={DAY}&to={NEXT}");
    let page = staff.get(&search);
    assert!(page.has(&format!("sync job {id} of netsapiens is running")), "{}", text(&page.body));
    assert!(page.body.contains(&format!("href=\"/jobs/{id}\"")), "a link to the job");
    let refused =
        staff.post("/billing", &[("customer", "acme"), ("call_types", ""), ("from", DAY), ("to", NEXT)], true);
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.has(&format!("sync job {id} of netsapiens is running")), "{}", refused.body);
    assert_eq!(env.meter(&["invoice", "list", "--format", "json"]).json()["invoices"], serde_json::json!([]));
}
