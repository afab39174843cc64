//! `invoice render` through the real binary (issue 15): the PDF's text (poppler's `pdftotext`)
//! and the HTML hold the number, every line's amount and the total; a draft is marked DRAFT
//! without a number, a void invoice VOID; the call detail, read back from the PDF and from the
//! CSV, adds up to the lines and holds exactly the invoice's calls, late ones grouped as their
//! lines are; 10,000 calls render to the last one; A4 and US Letter. On both backends.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

on_both_backends! {
    a_final_invoice_shows_its_seller_number_lines_and_total_and_a_draft_no_number,
    the_call_detail_in_the_pdf_and_the_csv_adds_up_to_the_lines_and_is_the_invoices_calls,
    late_calls_are_detailed_under_their_own_lines,
    a_void_invoice_is_marked_void_and_has_no_call_detail,
    a_ten_thousand_call_appendix_renders_to_its_last_call,
    the_html_holds_the_same_figures_escaped_and_references_nothing_outside,
    documents_are_a4_or_letter_by_flag_or_setting,
}

/// "Now" for every command: after the months the tests bill.
const NOW: &str = "2026-03-15T12:00:00Z";

fn at_now(env: &Env, args: &[&str]) -> Run {
    env.meter_with_env(args, &[("METER_TEST_NOW", NOW), ("METER_ACTOR", "alice")])
}

#[track_caller]
fn ok_json(env: &Env, args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.extend(["--format", "json"]);
    let run = at_now(env, &args);
    run.assert_ok();
    run.json()
}

/// Runs a poppler tool on a file and returns what it printed.
#[track_caller]
fn poppler(tool: &str, args: &[&str], file: &Path) -> String {
    let out = Command::new(tool)
        .args(args)
        .arg(file)
        .args(if tool == "pdftotext" { &["-"][..] } else { &[][..] })
        .output()
        .unwrap_or_else(|e| panic!("running {tool} (poppler-utils; .ci/run installs it): {e}"));
    assert!(out.status.success(), "{tool} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn pdf_text(file: &Path) -> String {
    poppler("pdftotext", &["-layout"], file)
}

/// `invoice render ID --format F --output NAME ARGS…`, which must succeed: the file's path.
#[track_caller]
fn render(env: &Env, id: &str, format: &str, name: &str, extra: &[&str]) -> std::path::PathBuf {
    let out = env.path(name);
    let out_arg = out.display().to_string();
    let mut args = vec!["invoice", "render", id, "--format", format, "--output", &out_arg];
    args.extend_from_slice(extra);
    let run = at_now(env, &args);
    run.assert_ok();
    assert!(run.stdout.contains(&format!("to {out_arg}")), "{}", run.dump());
    out
}

/// An amount as the document writes it: thousands grouped (`1234.50` → `1,234.50`).
fn grouped(decimal: &str) -> String {
    let (sign, digits) = decimal.strip_prefix('-').map_or(("", decimal), |d| ("-", d));
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}{}{fraction}", if fraction.is_empty() { "" } else { "." })
}

/// Ten-thousandths rounded half away from zero to hundredths, as a line's amount is.
fn line_amount(charges_e4: u64) -> u64 {
    (charges_e4 + 50) / 100
}

/// The standard data and a month of acme's calls; the seller's details set.
fn seeded(backend: Backend, calls: usize) -> (Env, Vec<Cdr>) {
    let env = Env::seeded_on(backend);
    let cdrs = random_calls(&mut Rng::new(15), "acme", &month_days(2026, 1, 31), calls);
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&cdrs));
    for (name, value) in [
        ("company_name", "Northwind Voice LLC"),
        ("company_address", "100 Main Street\nSpringfield, IL 62701"),
        ("tax_id", "US-12-3456789"),
        ("footer", "Thank you for your business."),
    ] {
        ok_json(&env, &["settings", "set", name, value]);
    }
    (env, cdrs)
}

/// acme's January invoice, with a manual line, finalized: its document.
fn final_january(env: &Env) -> Value {
    let draft =
        ok_json(env, &["invoice", "create", "--customer", "acme", "--from", "2026-01-01", "--to", "2026-01-31"]);
    let id = draft["id"].as_str().expect("an id");
    ok_json(env, &["invoice", "add-line", id, "--description", "Number porting fee", "--amount", "12.50"]);
    ok_json(env, &["invoice", "finalize", id])["invoices"][0].clone()
}

/// The text line that holds `what` and ends with `amount`.
#[track_caller]
fn assert_line_shows(text: &str, what: &str, amount: &str) {
    let found = text.lines().any(|l| l.contains(what) && l.trim_end().ends_with(amount));
    assert!(found, "no line shows {what:?} with {amount}\n{text}");
}

/// A usage line's description on the document.
fn described(line: &Value) -> String {
    match line["kind"].as_str() {
        Some("usage") => {
            let t = line["call_type"].as_str().expect("a call type").replace('_', " ");
            let mut c = t.chars();
            let first = c.next().map(|f| f.to_uppercase().collect::<String>()).unwrap_or_default();
            format!("{first}{} calls", c.as_str())
        }
        _ => line["description"].as_str().expect("a description").to_owned(),
    }
}

fn a_final_invoice_shows_its_seller_number_lines_and_total_and_a_draft_no_number(backend: Backend) {
    let (env, _) = seeded(backend, 300);
    let png = env.path("logo.png");
    std::fs::write(&png, include_bytes!("../../../examples/logo.png")).expect("writing the logo");
    ok_json(&env, &["settings", "set", "logo_file", &png.display().to_string()]);
    let inv = final_january(&env);
    let number = inv["number"].as_str().expect("a number");
    let pdf = render(&env, number, "pdf", "final.pdf", &[]);
    let text = pdf_text(&pdf);
    for needed in [number, "INVOICE", "Northwind Voice LLC", "Springfield, IL 62701", "US-12-3456789", "Acme Corp"] {
        assert!(text.contains(needed), "the PDF lacks {needed:?}\n{text}");
    }
    for needed in
        ["2026-01-01 – 2026-01-31", inv["issued"].as_str().expect("issued"), inv["due"].as_str().expect("due")]
    {
        assert!(text.contains(needed), "the PDF lacks {needed:?}\n{text}");
    }
    let lines = inv["lines"].as_array().expect("lines");
    assert!(lines.len() >= 3, "{inv}");
    for l in lines {
        assert_line_shows(&text, &described(l), &grouped(l["amount"].as_str().expect("an amount")));
    }
    let total = format!("${}", grouped(inv["total"].as_str().expect("a total")));
    assert_line_shows(&text, "Total (USD)", &total);
    assert!(text.contains("Thank you for your business.") && text.contains("Page 1 of 1"), "{text}");
    assert!(!text.contains("DRAFT"), "{text}");
    // Both faces embedded (subsets), the logo drawn.
    let fonts = poppler("pdffonts", &[], &pdf);
    let embedded: Vec<&str> = fonts.lines().skip(2).collect();
    assert_eq!(embedded.len(), 2, "{fonts}");
    assert!(embedded.iter().all(|f| f.contains("DejaVuSans") && f.contains(" yes yes ")), "{fonts}");
    let images = poppler("pdfimages", &["-list"], &pdf);
    let drawn = |list: &str| list.lines().skip(2).filter(|l| l.split_whitespace().nth(2) == Some("image")).count();
    assert_eq!(drawn(&images), 1, "one image, the logo (with its transparency mask)\n{images}");

    // A draft: marked, with no number.
    env.import_ok("cdrs", "feb.csv", &cdrs_csv(&[Cdr::domestic("feb1", "globex", "2026-02-10T15:00:00Z", 120)]));
    let draft =
        ok_json(&env, &["invoice", "create", "--customer", "globex", "--from", "2026-02-01", "--to", "2026-02-28"]);
    let id = draft["id"].as_str().expect("an id");
    let text = pdf_text(&render(&env, id, "pdf", "draft.pdf", &[]));
    assert!(text.contains("DRAFT") && text.contains("not a valid invoice") && text.contains(id), "{text}");
    assert!(!text.contains("INV-"), "a draft has no number\n{text}");
    assert_line_shows(&text, "Domestic calls", &grouped(draft["lines"][0]["amount"].as_str().expect("amount")));
    env.assert_db_clean("after rendering");
}

/// The call detail's rows as pdftotext lays them out: (call type, charge in ten-thousandths),
/// and the subtotal rows' amounts in hundredths.
fn pdf_rows(text: &str) -> (Vec<(String, u64)>, Vec<u64>) {
    let mut rows = Vec::new();
    let mut subtotals = Vec::new();
    for line in text.lines().map(str::trim) {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        let starts_with_time = line.len() > 19
            && line.as_bytes()[4] == b'-'
            && line.as_bytes()[13] == b':'
            && line[..4].chars().all(|c| c.is_ascii_digit());
        if starts_with_time && tokens.len() >= 8 {
            let charge = parse_fixed(&tokens[tokens.len() - 1].replace(',', ""), 4);
            rows.push((tokens[tokens.len() - 6].to_owned(), charge));
        } else if line.starts_with("Subtotal, ") {
            subtotals.push(parse_fixed(&tokens[tokens.len() - 1].replace(',', ""), 2));
        }
    }
    (rows, subtotals)
}

/// The CSV's rows as maps of column to value.
fn csv_rows(file: &Path) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(file).expect("the CSV");
    let headers = reader.headers().expect("a header").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("a row");
            headers.iter().zip(r.iter()).map(|(h, v)| (h.to_owned(), v.to_owned())).collect()
        })
        .collect()
}

/// `calls list --invoice ID`: (id, charge in ten-thousandths), sorted.
fn invoice_calls(env: &Env, id: &str) -> Vec<(String, u64)> {
    let run = at_now(env, &["calls", "list", "--invoice", id, "--format", "json"]);
    run.assert_ok();
    let mut calls: Vec<(String, u64)> = run.json()["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .map(|c| (c["id"].as_str().expect("id").to_owned(), parse_fixed(c["charge"].as_str().expect("charge"), 4)))
        .collect();
    calls.sort();
    calls
}

fn the_call_detail_in_the_pdf_and_the_csv_adds_up_to_the_lines_and_is_the_invoices_calls(backend: Backend) {
    let (env, _) = seeded(backend, 600);
    let inv = final_january(&env);
    let number = inv["number"].as_str().expect("a number");
    let usage: Vec<&Value> = inv["lines"].as_array().expect("lines").iter().filter(|l| l["kind"] == "usage").collect();
    let billed: u64 = usage.iter().map(|l| l["calls"].as_u64().expect("calls")).sum();
    let expected = invoice_calls(&env, number);
    assert_eq!(expected.len() as u64, billed);

    // The CSV: exactly the invoice's calls, each row on its line, adding up to it.
    let csv = render(&env, number, "csv", "calls.csv", &[]);
    let rows = csv_rows(&csv);
    let mut got: Vec<(String, u64)> =
        rows.iter().map(|r| (r["call_id"].clone(), parse_fixed(&r["charge"], 4))).collect();
    got.sort();
    assert_eq!(got, expected, "the CSV's calls and charges are the invoice's");
    let lines = inv["lines"].as_array().expect("lines");
    let mut per_line: BTreeMap<usize, (u64, u64, u64)> = BTreeMap::new();
    for r in &rows {
        let line: usize = r["line"].parse().expect("a line number");
        let l = &lines[line - 1];
        assert_eq!(l["call_type"].as_str(), Some(r["call_type"].as_str()), "{r:?}");
        assert_eq!((r["invoice"].as_str(), r["currency"].as_str()), (number, "USD"));
        assert_eq!((r["period_from"].as_str(), r["period_to"].as_str()), ("2026-01-01", "2026-01-31"));
        // acme is in UTC: the start is the UTC time the call was recorded at.
        assert!(r["start"].starts_with("2026-01-") && r["start"].ends_with('Z'), "{r:?}");
        let e = per_line.entry(line).or_default();
        *e =
            (e.0 + 1, e.1 + parse_fixed(&r["charge"], 4), e.2 + r["billable_seconds"].parse::<u64>().expect("seconds"));
    }
    assert_eq!(per_line.len(), usage.len());
    for (line, (calls, charges, seconds)) in per_line {
        let l = &lines[line - 1];
        assert_eq!(calls, l["calls"].as_u64().expect("calls"), "line {line}");
        assert_eq!(line_amount(charges), parse_fixed(l["amount"].as_str().expect("amount"), 2), "line {line}");
        assert_eq!(seconds, l["billable_seconds"].as_u64().expect("seconds"), "line {line}");
    }

    // The PDF: every row, by call type, adding up to the lines; the subtotals are the amounts.
    let text = pdf_text(&render(&env, number, "pdf", "detail.pdf", &["--with-calls"]));
    let (rows, subtotals) = pdf_rows(&text);
    assert_eq!(rows.len() as u64, billed, "one row per billed call\n{text}");
    let mut by_type: BTreeMap<String, u64> = BTreeMap::new();
    for (t, charge) in &rows {
        *by_type.entry(t.clone()).or_default() += charge;
    }
    let amounts: Vec<u64> = usage.iter().map(|l| parse_fixed(l["amount"].as_str().expect("amount"), 2)).collect();
    assert_eq!(subtotals, amounts, "a subtotal per line, equal to it");
    for l in &usage {
        let t = l["call_type"].as_str().expect("a call type");
        assert_eq!(line_amount(by_type[t]), parse_fixed(l["amount"].as_str().expect("amount"), 2), "{t}");
    }
    assert!(text.contains("Call detail") && text.contains("Page 2 of"), "{text}");

    // The CSV on standard output is the same file.
    let run = at_now(&env, &["invoice", "render", number, "--format", "csv", "--output", "-"]);
    run.assert_ok();
    assert_eq!(run.stdout, std::fs::read_to_string(&csv).expect("the CSV"));
}

fn late_calls_are_detailed_under_their_own_lines(backend: Backend) {
    let env = Env::seeded_on(backend);
    let jan = [
        Cdr::domestic("j1", "acme", "2026-01-05T10:00:00Z", 600),
        Cdr::international("j2", "acme", "2026-01-06T10:00:00Z", 60),
    ];
    env.import_ok("cdrs", "jan.csv", &cdrs_csv(&jan));
    ok_json(&env, &["cycle", "run", "--date", "2026-02-01"]);
    // A January call arrives late, with February's.
    let later = [
        Cdr::domestic("j3-late", "acme", "2026-01-20T10:00:00Z", 6_300),
        Cdr::domestic("f1", "acme", "2026-02-03T10:00:00Z", 6_100),
        Cdr::domestic("f2", "acme", "2026-02-04T10:00:00Z", 120),
    ];
    env.import_ok("cdrs", "later.csv", &cdrs_csv(&later));
    let run = ok_json(&env, &["cycle", "run", "--date", "2026-03-01"]);
    let id = run["invoices"][0]["id"].as_str().expect("an id").to_owned();
    let feb = env.show(&id);
    let id = id.as_str();
    let lines = feb["lines"].as_array().expect("lines");
    let late = lines.iter().position(|l| l["late"] == true).expect("a late line");
    let own = lines.iter().position(|l| l["late"] != true && l["call_type"] == "domestic").expect("February's line");

    let rows = csv_rows(&render(&env, id, "csv", "feb.csv", &[]));
    let on = |line: usize| -> Vec<&str> {
        rows.iter().filter(|r| r["line"] == (line + 1).to_string()).map(|r| r["call_id"].as_str()).collect()
    };
    assert_eq!(on(late), ["j3-late"]);
    assert_eq!(on(own), ["f1", "f2"]);
    let late_row = rows.iter().find(|r| r["call_id"] == "j3-late").expect("the late call");
    assert_eq!((late_row["period_from"].as_str(), late_row["period_to"].as_str()), ("2026-01-01", "2026-01-31"));
    let text = pdf_text(&render(&env, id, "pdf", "feb.pdf", &["--with-calls"]));
    assert!(text.contains("Domestic calls — late usage of 2026-01-01 – 2026-01-31"), "{text}");
    assert!(text.contains("Late usage of an earlier period"), "{text}");
    let (_, subtotals) = pdf_rows(&text);
    let amounts: Vec<u64> = lines
        .iter()
        .filter(|l| l["kind"] == "usage")
        .map(|l| parse_fixed(l["amount"].as_str().expect("amount"), 2))
        .collect();
    assert_eq!(subtotals, amounts);
}

fn a_void_invoice_is_marked_void_and_has_no_call_detail(backend: Backend) {
    let (env, _) = seeded(backend, 50);
    let inv = final_january(&env);
    let number = inv["number"].as_str().expect("a number");
    at_now(&env, &["invoice", "void", number, "--reason", "billed at the wrong rate"]).assert_ok();
    let text = pdf_text(&render(&env, number, "pdf", "void.pdf", &[]));
    for needed in ["VOID", number, "This invoice was voided: billed at the wrong rate", "nothing is due"] {
        assert!(text.contains(needed), "the PDF lacks {needed:?}\n{text}");
    }
    let out = env.path("void-calls.pdf");
    for format in ["pdf", "csv"] {
        let run = at_now(
            &env,
            &["invoice", "render", number, "--format", format, "--output", &out.display().to_string(), "--with-calls"],
        );
        run.assert_code(1).assert_stderr_has("is void: its calls were released");
        assert!(!out.exists(), "nothing written");
    }
    at_now(&env, &["invoice", "render", "D-999", "--format", "pdf", "--output", "x.pdf"])
        .assert_code(1)
        .assert_stderr_has("unknown invoice D-999");
}

fn a_ten_thousand_call_appendix_renders_to_its_last_call(backend: Backend) {
    let env = Env::seeded_on(backend);
    // 10,000 calls over January, four minutes apart, the last the longest.
    let calls: Vec<Cdr> = (0..10_000)
        .map(|i| {
            let t = 1_767_225_600 + i * 267;
            let start =
                chrono::DateTime::from_timestamp(t, 0).expect("a time").format("%Y-%m-%dT%H:%M:%SZ").to_string();
            Cdr::domestic(format!("k{i:05}"), "acme", &start, if i == 9_999 { 5_432 } else { 30 + (i % 500) as u32 })
        })
        .collect();
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&calls));
    let doc = ok_json(&env, &["invoice", "create", "--customer", "acme", "--from", "2026-01-01", "--to", "2026-01-31"]);
    let id = doc["id"].as_str().expect("an id");
    let pdf = render(&env, id, "pdf", "big.pdf", &["--with-calls"]);
    let text = pdf_text(&pdf);
    let (rows, _) = pdf_rows(&text);
    assert_eq!(rows.len(), 10_000);
    // The last call: 2026-01-31 21:35:33 UTC, 1:30:32 long.
    let last = text.lines().rev().find(|l| l.trim_start().starts_with("2026-")).expect("a row");
    assert!(last.contains("2026-01-31 21:35:33") && last.contains("1:30:32"), "{last}");
    let pages: usize = poppler("pdfinfo", &[], &pdf)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("a page count");
    assert!(text.contains(&format!("Page {pages} of {pages}")), "every page is numbered of all");
}

fn the_html_holds_the_same_figures_escaped_and_references_nothing_outside(backend: Backend) {
    let (env, _) = seeded(backend, 200);
    ok_json(&env, &["settings", "set", "company_name", "Northwind <Voice> & \"Data\""]);
    let svg = env.write("logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>");
    ok_json(&env, &["settings", "set", "logo_file", &svg]);
    let inv = final_january(&env);
    let number = inv["number"].as_str().expect("a number");
    let html = std::fs::read_to_string(render(&env, number, "html", "inv.html", &["--with-calls"])).expect("the HTML");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains(number) && html.contains("Northwind &lt;Voice&gt; &amp; &quot;Data&quot;"));
    assert!(!html.contains("<Voice>"), "text is escaped");
    for l in inv["lines"].as_array().expect("lines") {
        let amount = grouped(l["amount"].as_str().expect("an amount"));
        assert!(html.contains(&format!("<td class=\"num\">{amount}</td></tr>")), "no line of {amount}");
    }
    assert!(html.contains(&format!("${}", grouped(inv["total"].as_str().expect("a total")))));
    let calls: u64 = inv["lines"].as_array().expect("lines").iter().filter_map(|l| l["calls"].as_u64()).sum();
    assert_eq!(html.matches("<tr><td>2026-01-").count() as u64, calls, "a row per billed call");
    // Self-contained: fonts and logo inside, no address outside the file.
    assert!(html.contains("@font-face") && html.contains("src:url(data:font/ttf;base64,"));
    assert!(html.contains("src=\"data:image/svg+xml;base64,"));
    assert!(html.contains("@page{size:A4"));
    let lower = html.to_lowercase();
    for attr in ["src=", "href=", "url("] {
        for (at, _) in lower.match_indices(attr) {
            let value = lower[at + attr.len()..].trim_start_matches(['"', '\'', ' ']);
            assert!(value.starts_with("data:"), "{attr} outside the file: {}", &html[at..(at + 60).min(html.len())]);
        }
    }
    assert!(!lower.contains("http://") && !lower.contains("https://") && !lower.contains("@import"));
    // The PDF of an SVG logo: the seller's name, no image.
    let pdf = render(&env, number, "pdf", "svg-logo.pdf", &[]);
    let images = poppler("pdfimages", &["-list"], &pdf);
    assert_eq!(images.lines().skip(2).count(), 0, "{images}");
}

fn documents_are_a4_or_letter_by_flag_or_setting(backend: Backend) {
    let (env, _) = seeded(backend, 20);
    let inv = final_january(&env);
    let number = inv["number"].as_str().expect("a number");
    let size = |name: &str, extra: &[&str]| -> String {
        let pdf = render(&env, number, "pdf", name, extra);
        poppler("pdfinfo", &[], &pdf).lines().find(|l| l.starts_with("Page size:")).expect("a page size").to_owned()
    };
    assert!(size("default.pdf", &[]).contains("595.28 x 841.89 pts (A4)"));
    assert!(size("letter.pdf", &["--paper", "letter"]).contains("612 x 792 pts (letter)"));
    ok_json(&env, &["settings", "set", "paper", "letter"]);
    assert!(size("setting.pdf", &[]).contains("(letter)"));
    assert!(size("flag.pdf", &["--paper", "a4", "--with-calls"]).contains("(A4)"));
    let html = std::fs::read_to_string(render(&env, number, "html", "letter.html", &[])).expect("the HTML");
    assert!(html.contains("@page{size:letter"));
    at_now(&env, &["settings", "set", "paper", "legal"])
        .assert_usage_error()
        .assert_stderr_has("neither a4 nor letter");
    at_now(&env, &["invoice", "render", number, "--format", "pdf", "--output", "x.pdf", "--paper", "legal"])
        .assert_usage_error();
    let listed = ok_json(&env, &["settings", "list"]);
    let paper = listed["settings"].as_array().expect("settings").iter().find(|s| s["name"] == "paper").cloned();
    assert_eq!(paper.map(|p| (p["value"].clone(), p["set"].clone())), Some((Value::from("letter"), Value::from(true))));
}
