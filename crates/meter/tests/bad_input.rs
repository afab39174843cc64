//! Bad input files and bad command lines (contract sections 6 and 7).
//!
//! Every bad file must be rejected as a whole: exit status 1, every bad row named on stderr as
//! `FILE:LINE: column COL: reason`, and nothing imported, which each test checks through the
//! CLI itself (the calls listed, an invoice preview, or the counts of a later good import).
//!
//! Every test runs on both backends (`sqlite::NAME`, `postgres::NAME`), the usage errors too:
//! each of them also checks, through the database, that nothing was billed or imported, and
//! some (a reversed range, an unknown invoice) are found only once the database is open.

mod common;

use common::*;

on_both_backends! {
    a_missing_required_column_is_reported_on_the_header_line,
    a_cdrs_file_with_neither_customer_nor_domain_is_rejected,
    an_unknown_column_is_reported_on_the_header_line,
    a_bad_timestamp_names_its_line_and_column,
    a_negative_duration_names_its_line_and_column,
    an_unknown_customer_names_its_line_and_column,
    an_unknown_domain_names_its_line_and_column,
    a_bad_call_type_code_names_its_line_and_column,
    an_id_repeated_within_one_file_names_both_lines,
    a_non_numeric_rate_names_its_line_and_column,
    a_rates_row_conflicting_with_an_earlier_row_names_both_lines,
    a_rates_row_conflicting_with_a_stored_rate_names_it,
    an_unknown_plan_in_customers_csv_names_its_line_and_column,
    every_bad_row_of_a_file_is_reported_not_only_the_first,
    one_bad_row_among_thousands_of_good_ones_imports_nothing,
    a_reversed_range_is_a_usage_error,
    a_malformed_date_is_a_usage_error,
    a_malformed_call_type_code_is_a_usage_error,
    an_unknown_source_is_a_usage_error,
    an_unknown_invoice_id_exits_1,
    an_unknown_customer_exits_1,
    creating_an_invoice_with_nothing_to_bill_exits_1_with_the_reason,
    the_headline_counts_bad_rows_not_bad_values,
}

/// Asserts that the customer has no calls at all.
#[track_caller]
fn assert_no_calls(env: &Env, customer: &str) {
    let calls = env.calls(customer);
    assert!(calls.is_empty(), "calls were imported from a rejected file: {calls:#?}");
}

const GOOD_CALLS: &str = "id,start,duration,direction,from,to,customer,call_type
g1,2026-01-05T10:00:00Z,60,outbound,12025550199,12125550100,acme,
g2,2026-01-06T10:00:00Z,120,outbound,12025550199,+442079460000,acme,
";

// ---------------------------------------------------------------- header errors (line 1)

fn a_missing_required_column_is_reported_on_the_header_line(backend: Backend) {
    let env = Env::seeded_on(backend);
    // No `start` column.
    let file = env.write(
        "cdrs.csv",
        "id,duration,direction,from,to,customer
a1,60,outbound,12025550199,12125550100,acme
a2,60,outbound,12025550199,12125550100,acme
",
    );
    env.meter(&["cdrs", "import", &file]).assert_bad_cell(&file, 1, "start", "required column is missing");
    assert_no_calls(&env, "acme");

    // The same in rates.csv: no `rate` column.
    let rates = env.write("rates.csv", "call_type,prefix\npremium,1900\n");
    env.meter(&["rates", "import", &rates]).assert_bad_cell(&rates, 1, "rate", "required column is missing");

    // And in customers.csv: no `name` column.
    let customers = env.write("customers.csv", "id,timezone\ninitech,UTC\n");
    env.meter(&["customers", "import", &customers]).assert_bad_cell(
        &customers,
        1,
        "name",
        "required column is missing",
    );
    env.meter(&["calls", "list", "--customer", "initech"]).assert_code(1).assert_stderr_has("unknown customer");
}

fn a_cdrs_file_with_neither_customer_nor_domain_is_rejected(backend: Backend) {
    let env = Env::seeded_on(backend);
    let file = env.write(
        "cdrs.csv",
        "id,start,duration,direction,from,to
a1,2026-01-05T10:00:00Z,60,outbound,12025550199,12125550100
",
    );
    env.meter(&["cdrs", "import", &file]).assert_bad_cell(&file, 1, "customer", "required column is missing");
    assert_no_calls(&env, "acme");
}

fn an_unknown_column_is_reported_on_the_header_line(backend: Backend) {
    let env = Env::seeded_on(backend);
    let file = env.write(
        "cdrs.csv",
        "id,start,duration,direction,from,to,customer,colour
a1,2026-01-05T10:00:00Z,60,outbound,12025550199,12125550100,acme,blue
",
    );
    env.meter(&["cdrs", "import", &file, "--format", "json"]).assert_bad_cell(&file, 1, "colour", "unknown column");
    assert_no_calls(&env, "acme");

    let plans = env.write("plans.csv", "plan,call_types,included_minutes,rollover\ngold,domestic,500,yes\n");
    env.meter(&["plans", "import", &plans]).assert_bad_cell(&plans, 1, "rollover", "unknown column");
    // `gold` was not imported: a customer naming it is still rejected.
    let customers = env.write("customers.csv", "id,name,plans\ninitech,Initech,gold\n");
    env.meter(&["customers", "import", &customers]).assert_bad_cell(&customers, 2, "plans", "unknown plan `gold`");
}

// ---------------------------------------------------------------- bad values in cdrs.csv

fn a_bad_timestamp_names_its_line_and_column(backend: Backend) {
    let env = Env::seeded_on(backend);
    let file = env.write(
        "cdrs.csv",
        "id,start,duration,direction,from,to,customer,call_type
a1,2026-01-05T10:00:00Z,60,outbound,12025550199,12125550100,acme,
a2,2026-01-05 10:00:00,60,outbound,12025550199,12125550100,acme,
a3,2026-01-05T11:00:00Z,60,outbound,12025550199,12125550100,acme,
",
    );
    env.meter(&["cdrs", "import", &file]).assert_bad_cell(
        &file,
        3,
        "start",
        "`2026-01-05 10:00:00` is not an RFC 3339 timestamp",
    );
    assert_no_calls(&env, "acme");

    // Without an offset it is just as bad.
    let file = env.write(
        "cdrs2.csv",
        "id,start,duration,direction,from,to,customer
a1,2026-01-05T10:00:00,60,outbound,12025550199,12125550100,acme
",
    );
    env.meter(&["cdrs", "import", &file]).assert_bad_cell(&file, 2, "start", "is not an RFC 3339 timestamp");
    assert_no_calls(&env, "acme");
}

fn a_negative_duration_names_its_line_and_column(backend: Backend) {
    let env = Env::seeded_on(backend);
    let file = env.write(
        "cdrs.csv",
        "id,start,duration,direction,from,to,customer,call_type
a1,2026-01-05T10:00:00Z,60,outbound,12025550199,12125550100,acme,
a2,2026-01-05T10:05:00Z,-30,outbound,12025550199,12125550100,acme,
",
    );
    env.meter(&["cdrs", "import", &file]).assert_bad_cell(&file, 3, "duration", "`-30` is negative");
    assert_no_calls(&env, "acme");
    let preview = env.preview("acme", "2026-01-01", "2026-01-31");
    assert_eq!(preview["lines"], serde_json::json!([]), "a preview still finds calls: {preview:#}");
}

fn an_unknown_customer_names_its_line_and_column(backend: Backend) {
    let env = Env::seeded_on(backend);
    let file = env.write(
        "cdrs.csv",
        "id,start,duration,direction,from,to,customer,call_type
a1,2026-01-05T10:00:00Z,60,outbound,12025550199,12125550100,acme,
a2,2026-01-05T10:05:00Z,60,outbound,12025550199,12125550100,nobody,
a3,2026-01-05T10:10:00Z,60,outbound,12025550199,12125550100,globex,
",
    );
    env.meter(&["cdrs", "import", &file]).assert_bad_cell(&file, 3, "customer", "unknown customer `nobody`");
    assert_no_calls(&env, "acme");
    assert_no_calls(&env, "globex");
}

fn an_unknown_domain_names_its_line_and_column(backend: Backend) {
    let env = Env::seeded_on(backend);
    // acme's NetSapiens domain resolves (ignoring case); an unknown domain does not, and neither
    // does globex's domain, which is on Brightlink, not on the source named by --source.
    let contents = "id,start,duration,direction,from,to,domain
n1,2026-01-05T10:00:00Z,60,outbound,12025550199,12125550100,ACME.pbx.example
n2,2026-01-05T10:05:00Z,60,outbound,12025550199,12125550100,nowhere.example
n3,2026-01-05T10:10:00Z,60,outbound,12025550199,12125550100,globex.pbx.example
";
    let file = env.write("ns.csv", contents);
    let run = env.meter(&["cdrs", "import", &file, "--source", "netsapiens"]);
    run.assert_bad_cell(&file, 3, "domain", "no customer has domain `nowhere.example`").assert_bad_cell(
        &file,
        4,
        "domain",
        "no customer has domain `globex.pbx.example`",
    );
    assert_eq!(run.file_error_lines().len(), 2, "only lines 3 and 4 are bad\n{}", run.dump());
    assert_no_calls(&env, "acme");
    assert_no_calls(&env, "globex");

    // Without the bad rows, the good one imports.
    let fixed = "id,start,duration,direction,from,to,domain
n1,2026-01-05T10:00:00Z,60,outbound,12025550199,12125550100,ACME.pbx.example
";
    let sum =
        Summary::of(&env.import_with("cdrs", "ns-fixed.csv", fixed, &["--source", "netsapiens"]).assert_ok().json());
    assert_eq!(sum, Summary::imported(1));
    let calls = env.calls("acme");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["source"], "netsapiens");
}

fn a_bad_call_type_code_names_its_line_and_column(backend: Backend) {
    let env = Env::seeded_on(backend);
    let file = env.write(
        "cdrs.csv",
        "id,start,duration,direction,from,to,customer,call_type
a1,2026-01-05T10:00:00Z,60,outbound,12025550199,12125550100,acme,domestic
a2,2026-01-05T10:05:00Z,60,outbound,12025550199,19005550100,acme,Premium-Rate
",
    );
    env.meter(&["cdrs", "import", &file]).assert_bad_cell(
        &file,
        3,
        "call_type",
        "`Premium-Rate` is not a call type code",
    );
    assert_no_calls(&env, "acme");
}

fn an_id_repeated_within_one_file_names_both_lines(backend: Backend) {
    let env = Env::seeded_on(backend);
    let file = env.write(
        "cdrs.csv",
        "id,start,duration,direction,from,to,customer,call_type
a1,2026-01-05T10:00:00Z,60,outbound,12025550199,12125550100,acme,
a2,2026-01-05T10:05:00Z,60,outbound,12025550199,12125550100,acme,
a1,2026-01-05T10:10:00Z,90,outbound,12025550199,12125550100,acme,
",
    );
    let run = env.meter(&["cdrs", "import", &file]);
    run.assert_bad_cell(&file, 4, "id", "`a1`");
    let line = run
        .file_error_lines()
        .into_iter()
        .find(|l| l.starts_with(&format!("{file}:4: column id: ")))
        .expect("the error line");
    assert!(line.contains("line 2"), "the repeated id's first line is not named: {line}");
    assert_no_calls(&env, "acme");

    // The same id in a later file is a re-import, not an error.
    let sum = env.import_ok("cdrs", "good.csv", GOOD_CALLS);
    assert_eq!(sum, Summary::imported(2));
    let again = env.import_ok("cdrs", "good.csv", GOOD_CALLS);
    assert_eq!(again, Summary { imported: 0, updated: 0, duplicates: 2, conflicts: 0 });
}

// ---------------------------------------------------------------- rates.csv

fn a_non_numeric_rate_names_its_line_and_column(backend: Backend) {
    let env = Env::seeded_on(backend);
    env.import_ok(
        "cdrs",
        "cdrs.csv",
        "id,start,duration,direction,from,to,customer,call_type
p1,2026-01-05T10:00:00Z,60,outbound,12025550199,19005550100,acme,premium
",
    );
    let bad = format!("{RATES_HEADER}\npremium,0.50,,,,,,,,Premium\npremium,cheap,1900,,,,,,,Premium 1900\n");
    let file = env.write("rates.csv", &bad);
    env.meter(&["rates", "import", &file, "--format", "json"]).assert_bad_cell(
        &file,
        3,
        "rate",
        "`cheap` is not a decimal number",
    );
    // The good row was not imported either: the premium call is still unrated.
    let calls = env.calls("acme");
    assert_eq!(calls[0]["status"], "unrated", "{calls:#?}");

    let good = format!("{RATES_HEADER}\npremium,0.50,,,,,,,,Premium\npremium,0.75,1900,,,,,,,Premium 1900\n");
    assert_eq!(env.import_ok("rates", "rates-fixed.csv", &good), Summary::imported(2));
    assert_eq!(env.calls("acme")[0]["status"], "unbilled");

    // A negative rate and a comma decimal are bad values too.
    let file = env.write("rates-neg.csv", &format!("{RATES_HEADER}\nsms,-0.01,,,,,,,,\nfax,\"0,05\",,,,,,,,\n"));
    env.meter(&["rates", "import", &file]).assert_bad_cell(&file, 2, "rate", "negative").assert_bad_cell(
        &file,
        3,
        "rate",
        "`0,05` is not a decimal number",
    );
}

fn a_rates_row_conflicting_with_an_earlier_row_names_both_lines(backend: Backend) {
    let env = Env::seeded_on(backend);
    env.import_ok(
        "cdrs",
        "cdrs.csv",
        "id,start,duration,direction,from,to,customer,call_type
p1,2026-01-05T10:00:00Z,60,outbound,12025550199,19005550100,acme,premium
",
    );
    // Lines 2 and 4: same call type, prefix and owner, overlapping windows, different prices.
    let contents = format!(
        "{RATES_HEADER}
premium,0.50,1900,,,,2026-01-01,,,Premium
premium,0.90,1901,,,,,,,Other premium
premium,0.55,1900,,,,2026-03-01,2026-04-01,,Premium again
"
    );
    let file = env.write("rates.csv", &contents);
    let run = env.meter(&["rates", "import", &file]);
    run.assert_import_rejected(&file);
    let errors = run.file_error_lines();
    assert_eq!(errors.len(), 1, "{}", run.dump());
    let e = errors[0];
    assert!(e.starts_with(&format!("{file}:4: ")), "the conflicting row's line is not named: {e}");
    assert!(e.contains("conflicts with") && e.contains("line 2"), "the earlier row's line is not named: {e}");
    assert_eq!(env.calls("acme")[0]["status"], "unrated", "a rate was imported from a rejected file");

    // Windows are half-open: one ending at T and one starting at T do not conflict.
    let adjacent = format!(
        "{RATES_HEADER}
premium,0.50,1900,,,,2026-01-01,2026-03-01,,Premium
premium,0.55,1900,,,,2026-03-01,,,Premium from March
premium,0.90,1901,,,,,,,Other premium
"
    );
    assert_eq!(env.import_ok("rates", "rates-ok.csv", &adjacent), Summary::imported(3));
    let calls = env.calls("acme");
    assert_eq!(calls[0]["status"], "unbilled");
    let rate = calls[0]["rate"]["rate"].as_str().expect("the rate applied");
    assert_eq!(parse_fixed(rate, 8), 50_000_000, "the January rate (0.50 for prefix 1900) applies: {calls:#?}");
}

fn a_rates_row_conflicting_with_a_stored_rate_names_it(backend: Backend) {
    let env = Env::seeded_on(backend);
    env.import_ok("cdrs", "cdrs.csv", GOOD_CALLS);
    // The stored default domestic rate is open-ended; a second one from March overlaps it.
    let contents = format!(
        "{RATES_HEADER}
premium,0.50,,,,,,,,Premium
domestic,0.07,,,1,1,2026-03-01,,,Domestic from March
"
    );
    let file = env.write("rates.csv", &contents);
    let run = env.meter(&["rates", "import", &file]);
    run.assert_import_rejected(&file);
    let errors = run.file_error_lines();
    assert_eq!(errors.len(), 1, "{}", run.dump());
    let e = errors[0];
    assert!(e.starts_with(&format!("{file}:3: ")), "the conflicting row's line is not named: {e}");
    assert!(e.contains("conflicts with the stored rate"), "the stored rate is not named: {e}");

    // The good row of the rejected file was not imported: importing it alone adds it.
    let premium = format!("{RATES_HEADER}\npremium,0.50,,,,,,,,Premium\n");
    assert_eq!(env.import_ok("rates", "premium.csv", &premium), Summary::imported(1));

    // Closing the stored rate and adding the new price from the same instant is the way.
    let change = format!(
        "{RATES_HEADER}
domestic,0.06,,,1,1,,2026-03-01,,US domestic
domestic,0.07,,,1,1,2026-03-01,,,Domestic from March
"
    );
    let sum = env.import_ok("rates", "change.csv", &change);
    assert_eq!(sum, Summary { imported: 1, updated: 1, duplicates: 0, conflicts: 0 });
}

// ---------------------------------------------------------------- customers.csv

fn an_unknown_plan_in_customers_csv_names_its_line_and_column(backend: Backend) {
    let env = Env::seeded_on(backend);
    let contents = "id,name,timezone,billing_day,currency,plans
acme,Acme Corporation,UTC,1,USD,basic|world
initech,Initech,UTC,1,USD,basic
newco,Newco,UTC,1,USD,basic|gold
";
    let file = env.write("customers.csv", contents);
    env.meter(&["customers", "import", &file, "--format", "json"]).assert_bad_cell(
        &file,
        4,
        "plans",
        "unknown plan `gold`",
    );
    for c in ["initech", "newco"] {
        env.meter(&["calls", "list", "--customer", c]).assert_code(1).assert_stderr_has("unknown customer");
    }

    // Fixed, the file adds two customers and updates acme (whose name the rejected file had
    // not changed).
    let fixed = contents.replace("basic|gold", "basic");
    let sum = env.import_ok("customers", "customers-fixed.csv", &fixed);
    assert_eq!(sum, Summary { imported: 2, updated: 1, duplicates: 0, conflicts: 0 });
}

// ---------------------------------------------------------------- many rows

fn every_bad_row_of_a_file_is_reported_not_only_the_first(backend: Backend) {
    let env = Env::seeded_on(backend);
    let file = env.write(
        "cdrs.csv",
        "id,start,duration,direction,from,to,customer,call_type
a1,2026-01-05T10:00:00Z,60,outbound,12025550199,12125550100,acme,
a2,yesterday,60,outbound,12025550199,12125550100,acme,
a3,2026-01-05T10:10:00Z,60,outbound,12025550199,12125550100,acme,
a4,2026-01-05T10:15:00Z,-1,outbound,12025550199,12125550100,acme,
a5,2026-01-05T10:20:00Z,60,outbound,12025550199,12125550100,acme,
a6,2026-01-05T10:25:00Z,60,outbound,12025550199,12125550100,wile-e,
a7,2026-01-05T10:30:00Z,60,sideways,12025550199,12125550100,acme,
a8,2026-01-05T10:35:00Z,60,outbound,12025550199,12125550100,acme,
",
    );
    let run = env.meter(&["cdrs", "import", &file]);
    run.assert_bad_cell(&file, 3, "start", "`yesterday` is not an RFC 3339 timestamp")
        .assert_bad_cell(&file, 5, "duration", "`-1` is negative")
        .assert_bad_cell(&file, 7, "customer", "unknown customer `wile-e`")
        .assert_bad_cell(&file, 8, "direction", "`sideways` is not a direction");
    assert_eq!(run.file_error_lines().len(), 4, "{}", run.dump());
    assert_eq!(run.bad_row_count(), Some(4), "the headline miscounts the bad rows\n{}", run.dump());
    assert_no_calls(&env, "acme");
}

fn one_bad_row_among_thousands_of_good_ones_imports_nothing(backend: Backend) {
    let env = Env::seeded_on(backend);
    // More good rows than one write batch, so that rows were already written in the import's
    // transaction when the bad one is found.
    let n = 5000;
    let bad_at = 4500;
    let mut good = String::from(CDRS_HEADER);
    good.push('\n');
    let mut bad = good.clone();
    for i in 0..n {
        let start = format!("2026-01-{:02}T{:02}:{:02}:00Z", 1 + i % 28, i / 60 % 24, i % 60);
        let row = Cdr::domestic(format!("r{i}"), "acme", &start, 60).row();
        good.push_str(&row);
        good.push('\n');
        if i == bad_at {
            bad.push_str(&row.replace(",60,", ",ten,"));
        } else {
            bad.push_str(&row);
        }
        bad.push('\n');
    }
    let file = env.write("bad.csv", &bad);
    let run = env.meter(&["cdrs", "import", &file, "--format", "json"]);
    let line = bad_at as u64 + 2;
    run.assert_bad_cell(&file, line, "duration", "`ten` is not a whole number of seconds");
    assert_eq!(run.file_error_lines().len(), 1, "{}", run.dump());
    assert_no_calls(&env, "acme");
    let preview = env.preview("acme", "2026-01-01", "2026-01-31");
    assert_eq!(preview["lines"], serde_json::json!([]));
    assert_eq!(preview["total"], "0.00");

    assert_eq!(env.import_ok("cdrs", "good.csv", &good), Summary::imported(n as u64));
    let again = env.import_ok("cdrs", "good.csv", &good);
    assert_eq!(again, Summary { imported: 0, updated: 0, duplicates: n as u64, conflicts: 0 });
    assert_eq!(env.calls("acme").len(), n);
}

// ---------------------------------------------------------------- usage errors (exit 2)

/// Seeds acme with two calls and returns the environment (`None`: PostgreSQL not configured).
fn with_calls(backend: Backend) -> Env {
    let env = Env::seeded_on(backend);
    env.import_ok("cdrs", "cdrs.csv", GOOD_CALLS);
    env
}

#[track_caller]
fn assert_nothing_billed(env: &Env) {
    for c in env.calls("acme") {
        assert_eq!(c["status"], "unbilled", "{c:#}");
    }
}

fn a_reversed_range_is_a_usage_error(backend: Backend) {
    let env = with_calls(backend);
    for cmd in ["preview", "create"] {
        env.meter(&["invoice", cmd, "--customer", "acme", "--from", "2026-01-31", "--to", "2026-01-01"])
            .assert_usage_error()
            .assert_stderr_has("reversed")
            .assert_no_stdout();
        env.meter(&[
            "invoice",
            cmd,
            "--customer",
            "acme",
            "--from",
            "2026-01-02",
            "--to",
            "2026-01-01",
            "--format",
            "json",
        ])
        .assert_usage_error()
        .assert_no_stdout();
    }
    env.meter(&["calls", "list", "--customer", "acme", "--from", "2026-02-01", "--to", "2026-01-01"])
        .assert_usage_error()
        .assert_no_stdout();
    // A one-day range is not reversed.
    env.meter(&["invoice", "preview", "--customer", "acme", "--from", "2026-01-05", "--to", "2026-01-05"]).assert_ok();
    assert_nothing_billed(&env);
}

fn a_malformed_date_is_a_usage_error(backend: Backend) {
    let env = with_calls(backend);
    for bad in ["2026-1-5", "2026-01-32", "01/05/2026", "2026-01-05T00:00:00Z", ""] {
        env.meter(&["invoice", "create", "--customer", "acme", "--from", bad, "--to", "2026-01-31"])
            .assert_usage_error()
            .assert_no_stdout();
        env.meter(&["invoice", "preview", "--customer", "acme", "--from", "2026-01-01", "--to", bad])
            .assert_usage_error()
            .assert_no_stdout();
        env.meter(&["calls", "list", "--customer", "acme", "--from", bad, "--to", "2026-01-31"]).assert_usage_error();
        env.meter(&["cycle", "run", "--date", bad]).assert_usage_error();
    }
    assert_nothing_billed(&env);
}

fn a_malformed_call_type_code_is_a_usage_error(backend: Backend) {
    let env = with_calls(backend);
    for bad in ["Domestic", "toll-free", "domestic,Intl", "domestic;international", "on net"] {
        for cmd in ["preview", "create"] {
            env.meter(&[
                "invoice",
                cmd,
                "--customer",
                "acme",
                "--from",
                "2026-01-01",
                "--to",
                "2026-01-31",
                "--call-types",
                bad,
            ])
            .assert_usage_error()
            .assert_stderr_has("call type")
            .assert_no_stdout();
        }
    }
    assert_nothing_billed(&env);
    // A well-formed code that nothing uses is not a usage error: there is just nothing to bill.
    let run = env.meter(&[
        "invoice",
        "create",
        "--customer",
        "acme",
        "--from",
        "2026-01-01",
        "--to",
        "2026-01-31",
        "--call-types",
        "fax",
    ]);
    run.assert_code(1).assert_no_stdout();
}

fn an_unknown_source_is_a_usage_error(backend: Backend) {
    let env = Env::seeded_on(backend);
    let file = env.write("cdrs.csv", GOOD_CALLS);
    for bad in ["asterisk", "FILE", ""] {
        env.meter(&["cdrs", "import", &file, "--source", bad, "--format", "json"])
            .assert_usage_error()
            .assert_no_stdout();
    }
    assert_no_calls(&env, "acme");
    env.meter(&["cdrs", "import", &file, "--source", "file"]).assert_ok();
    assert_eq!(env.calls("acme").len(), 2);
}

// ---------------------------------------------------------------- other errors (exit 1)

fn an_unknown_invoice_id_exits_1(backend: Backend) {
    let env = with_calls(backend);
    for id in ["INV-000042", "42", "not-an-invoice"] {
        env.meter(&["invoice", "show", id]).assert_code(1).assert_stderr_has("unknown invoice").assert_no_stdout();
        env.meter(&["invoice", "show", id, "--format", "json"]).assert_code(1).assert_no_stdout();
        env.meter(&["invoice", "delete", id]).assert_code(1).assert_stderr_has("unknown invoice").assert_no_stdout();
    }
    // A deleted invoice is unknown afterwards.
    let inv = env.create_ok("acme", "2026-01-01", "2026-01-31");
    let id = inv["id"].as_str().expect("an id").to_owned();
    env.meter(&["invoice", "delete", &id]).assert_ok();
    env.meter(&["invoice", "show", &id]).assert_code(1).assert_stderr_has("unknown invoice");
    env.meter(&["invoice", "delete", &id]).assert_code(1).assert_stderr_has("unknown invoice");
    assert_nothing_billed(&env);
}

fn an_unknown_customer_exits_1(backend: Backend) {
    let env = with_calls(backend);
    for cmd in ["preview", "create"] {
        env.meter(&["invoice", cmd, "--customer", "nobody", "--from", "2026-01-01", "--to", "2026-01-31"])
            .assert_code(1)
            .assert_stderr_has("unknown customer `nobody`")
            .assert_no_stdout();
    }
    env.meter(&["calls", "list", "--customer", "nobody"]).assert_code(1).assert_stderr_has("unknown customer");
}

fn creating_an_invoice_with_nothing_to_bill_exits_1_with_the_reason(backend: Backend) {
    let env = with_calls(backend);

    // No calls in range: a preview shows an empty document, a creation fails.
    let preview = env.preview("acme", "2026-02-01", "2026-02-28");
    assert_eq!(preview["lines"], serde_json::json!([]));
    assert_eq!(preview["total"], "0.00");
    for format in [&["--format", "json"][..], &["--format", "text"][..], &[][..]] {
        let mut args = vec!["invoice", "create", "--customer", "acme", "--from", "2026-02-01", "--to", "2026-02-28"];
        args.extend_from_slice(format);
        env.meter(&args).assert_code(1).assert_stderr_has("nothing to bill").assert_no_stdout();
    }

    // Only unrated calls in range.
    env.import_ok(
        "cdrs",
        "premium.csv",
        "id,start,duration,direction,from,to,customer,call_type
p1,2026-03-05T10:00:00Z,60,outbound,12025550199,19005550100,acme,premium
",
    );
    env.create("acme", "2026-03-01", "2026-03-31")
        .assert_code(1)
        .assert_stderr_has("nothing to bill")
        .assert_stderr_has("unrated")
        .assert_no_stdout();

    // Everything in range already billed.
    env.create_ok("acme", "2026-01-01", "2026-01-31");
    env.create("acme", "2026-01-01", "2026-01-31")
        .assert_code(1)
        .assert_stderr_has("nothing to bill")
        .assert_stderr_has("already billed")
        .assert_no_stdout();
    // Only the first invoice exists: the failed creations made none.
    let invoices: std::collections::BTreeSet<String> =
        env.calls("acme").iter().filter_map(|c| c["invoice"].as_str().map(str::to_owned)).collect();
    assert_eq!(invoices.len(), 1, "{invoices:?}");
}

fn the_headline_counts_bad_rows_not_bad_values(backend: Backend) {
    let env = Env::seeded_on(backend);
    // Two data rows, each with three bad values.
    let file = env.write(
        "cdrs.csv",
        "id,start,duration,direction,from,to,customer,call_type
a1,yesterday,-1,outbound,12025550199,12125550100,nobody,
a2,today,-2,outbound,12025550199,12125550100,nobody,
",
    );
    let run = env.meter(&["cdrs", "import", &file]);
    run.assert_import_rejected(&file);
    assert_eq!(run.file_error_lines().len(), 6, "{}", run.dump());
    assert_eq!(run.bad_row_count(), Some(2), "the headline should count the 2 bad rows\n{}", run.dump());
}
