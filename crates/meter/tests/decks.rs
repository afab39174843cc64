//! Rate decks, the local-side prefix and the local calling table (contract-decks.md, amending
//! contract sections 3 and 6-7), through the real binary.
//!
//! The first half feeds each new kind of bad row and checks the all-or-nothing rejection: exit
//! status 1, `FILE:LINE: column COL: reason` on stderr, and nothing imported (checked through
//! the CLI itself: `decks list`, `rates list`, `calls list`, or a later import). The second half
//! checks the behaviour: which tier prices a call, the import summaries, the listings, the
//! `rate` object of `calls list`, and the explanation of unrated calls in the preview.
//!
//! Every test runs on both backends (`sqlite::NAME`, `postgres::NAME`).

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeMap;

on_both_backends! {
    decks_csv_naming_default_is_rejected,
    a_deck_repeated_in_decks_csv_names_both_lines,
    an_invalid_deck_id_is_rejected,
    customers_csv_with_an_unknown_deck_is_rejected,
    customers_csv_assigning_the_default_deck_is_rejected,
    rates_csv_with_an_unknown_deck_is_rejected,
    rates_csv_with_both_deck_and_customer_on_a_row_is_rejected,
    rates_csv_with_a_non_digit_local_prefix_is_rejected,
    two_rates_conflicting_within_one_deck_name_both_lines,
    the_same_slot_in_two_decks_or_with_another_local_prefix_is_no_conflict,
    a_malformed_npa_nxx_is_rejected,
    a_malformed_local_npa_nxx_is_rejected,
    the_customers_deck_beats_the_default_deck_and_its_own_rates_beat_the_deck,
    a_tier_with_rates_for_the_type_but_no_candidate_is_passed_over,
    within_a_tier_the_longest_prefix_wins_then_the_longest_local_prefix,
    importing_decks_twice_counts_duplicates_and_updates,
    decks_list_shows_rate_counts_and_assigned_customers,
    rates_list_filters_by_deck_customer_and_call_type,
    a_localcalling_import_replaces_the_whole_table,
    calls_list_shows_the_rate_that_priced_each_call,
    the_preview_names_the_tiers_tried_for_an_unrated_call_type,
    data_without_decks_or_local_calling_rates_as_before,
}

// ---------------------------------------------------------------- fixtures and helpers

/// Two named decks.
const DECKS: &str = "deck,description
wholesale,Wholesale customers
retail,Retail customers
";

/// The header of the rates files written here: per-second pricing is spelled out per row.
const DECK_RATES_HEADER: &str =
    "call_type,rate,prefix,local_prefix,deck,customer,connection_fee,initial_increment,subsequent_increment";

/// The header of the rates files with windows.
const WINDOWED_HEADER: &str = "call_type,rate,prefix,local_prefix,deck,customer,effective_from,effective_to";

/// The standard data (default deck: domestic 0.06, international 0.60, on-net 0.006, all
/// per second) plus the decks `wholesale` and `retail`; `acme` (plans basic and world) and
/// `initech` (no plans) are assigned `wholesale`; `globex` (no plans) has no deck. `None`:
/// PostgreSQL not configured.
fn with_decks(backend: Backend) -> Env {
    let env = Env::seeded_on(backend);
    assert_eq!(env.import_ok("decks", "decks.csv", DECKS), Summary::imported(2));
    let sum = env.import_ok(
        "customers",
        "assign.csv",
        "id,name,deck
acme,Acme Corp,wholesale
initech,Initech,wholesale
",
    );
    assert_eq!(sum, Summary { imported: 1, updated: 1, duplicates: 0, conflicts: 0 });
    env
}

/// A rates file with [`DECK_RATES_HEADER`] and the given rows.
fn deck_rates(rows: &[&str]) -> String {
    let mut s = String::from(DECK_RATES_HEADER);
    for r in rows {
        s.push('\n');
        s.push_str(r);
    }
    s.push('\n');
    s
}

/// An answered 60-second call on 2026-01-05 (untyped: classified by the default rules).
fn call(id: &str, customer: &str, direction: &'static str, from: &str, to: &str) -> Cdr {
    Cdr {
        id: id.to_owned(),
        start: "2026-01-05T10:00:00Z".to_owned(),
        duration: 60,
        direction,
        from: from.to_owned(),
        to: to.to_owned(),
        customer: customer.to_owned(),
        call_type: String::new(),
    }
}

/// The same with a call type of its own.
fn typed(id: &str, customer: &str, call_type: &str, to: &str) -> Cdr {
    Cdr { call_type: call_type.to_owned(), ..call(id, customer, "outbound", "12025550199", to) }
}

/// `calls list --customer C --format json`, by call id.
#[track_caller]
fn calls_by_id(env: &Env, customer: &str) -> BTreeMap<String, Value> {
    env.calls(customer).into_iter().map(|c| (c["id"].as_str().expect("a call id").to_owned(), c)).collect()
}

/// Asserts which rate priced a call: its owner, prefix, local prefix and price per minute.
#[track_caller]
fn assert_priced_by(call: &Value, owner: &str, prefix: &str, local_prefix: &str, rate: &str) {
    let r = &call["rate"];
    assert!(r.is_object(), "the call has no rate object: {call:#}");
    let got = (r["owner"].as_str(), r["prefix"].as_str(), r["local_prefix"].as_str());
    assert_eq!(got, (Some(owner), Some(prefix), Some(local_prefix)), "the wrong rate priced the call: {call:#}");
    let price = r["rate"].as_str().expect("rate.rate is a string");
    assert_eq!(parse_fixed(price, 8), parse_fixed(rate, 8), "the wrong price: {call:#}");
}

/// `rates list ARGS --format json`, which must succeed.
#[track_caller]
fn rates_listed(env: &Env, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["rates", "list"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let run = env.meter(&all);
    run.assert_ok();
    run.json()["rates"].as_array().expect("a `rates` array").clone()
}

/// The values of one field of listed rates, in listing order.
fn field<'a>(rows: &'a [Value], name: &str) -> Vec<&'a str> {
    rows.iter().map(|r| r[name].as_str().unwrap_or_else(|| panic!("`{name}` is not a string in {r}"))).collect()
}

/// `decks list --format json`, by deck id.
#[track_caller]
fn decks_listed(env: &Env) -> BTreeMap<String, Value> {
    let run = env.meter(&["decks", "list", "--format", "json"]);
    run.assert_ok();
    run.json()["decks"]
        .as_array()
        .expect("a `decks` array")
        .iter()
        .map(|d| (d["deck"].as_str().expect("a deck id").to_owned(), d.clone()))
        .collect()
}

/// The customers a listed deck is assigned to, sorted.
fn deck_customers(deck: &Value) -> Vec<String> {
    let mut v: Vec<String> = deck["customers"]
        .as_array()
        .unwrap_or_else(|| panic!("no customers array in {deck}"))
        .iter()
        .map(|c| c.as_str().expect("a customer id").to_owned())
        .collect();
    v.sort();
    v
}

/// Asserts that the only file error is one whose position is `FILE:LINE: ` (no column) and
/// whose reason contains every needle.
#[track_caller]
fn assert_one_row_error(run: &Run, file: &str, line: u64, needles: &[&str]) {
    run.assert_import_rejected(file);
    let errors = run.file_error_lines();
    assert_eq!(errors.len(), 1, "expected exactly one error line\n{}", run.dump());
    let e = errors[0];
    assert!(e.starts_with(&format!("{file}:{line}: ")), "line {line} is not named: {e}\n{}", run.dump());
    for n in needles {
        assert!(e.contains(n), "the error lacks {n:?}: {e}\n{}", run.dump());
    }
}

/// Asserts that no named deck exists (only `default` is listed).
#[track_caller]
fn assert_only_default_deck(env: &Env) {
    let decks = decks_listed(env);
    assert_eq!(decks.keys().collect::<Vec<_>>(), vec!["default"], "a deck was imported from a rejected file");
}

// ---------------------------------------------------------------- decks.csv

fn decks_csv_naming_default_is_rejected(backend: Backend) {
    let env = Env::seeded_on(backend);
    let file = env.write("decks.csv", "deck,description\nwholesale,Wholesale\ndefault,Everyone\n");
    env.meter(&["decks", "import", &file, "--format", "json"]).assert_bad_cell(&file, 3, "deck", "`default`");
    assert_only_default_deck(&env);
    // The good row alone imports.
    let good = env.write("decks-ok.csv", "deck,description\nwholesale,Wholesale\n");
    let run = env.meter(&["decks", "import", &good, "--format", "json"]);
    run.assert_ok();
    assert_eq!(Summary::of(&run.json()), Summary::imported(1));
}

fn a_deck_repeated_in_decks_csv_names_both_lines(backend: Backend) {
    let env = Env::seeded_on(backend);
    let file = env.write("decks.csv", "deck,description\nwholesale,Wholesale\nretail,Retail\nwholesale,Again\n");
    let run = env.meter(&["decks", "import", &file]);
    run.assert_bad_cell(&file, 4, "deck", "line 2");
    run.assert_bad_cell(&file, 4, "deck", "`wholesale`");
    assert_eq!(run.bad_row_count(), Some(1), "{}", run.dump());
    assert_only_default_deck(&env);
}

fn an_invalid_deck_id_is_rejected(backend: Backend) {
    let env = Env::seeded_on(backend);
    let file = env.write("decks.csv", "deck,description\nwhole sale,Spaces\nretail,Retail\neu/retail,Slash\n");
    let run = env.meter(&["decks", "import", &file, "--format", "json"]);
    run.assert_bad_cell(&file, 2, "deck", "`whole sale` is not a deck id");
    run.assert_bad_cell(&file, 4, "deck", "`eu/retail` is not a deck id");
    assert_eq!(run.bad_row_count(), Some(2), "{}", run.dump());
    assert_only_default_deck(&env);
}

// ---------------------------------------------------------------- customers.csv

fn customers_csv_with_an_unknown_deck_is_rejected(backend: Backend) {
    let env = Env::seeded_on(backend);
    env.import_ok("decks", "decks.csv", DECKS);
    let file = env.write(
        "customers.csv",
        "id,name,deck
acme,Acme Corp,wholesale
initech,Initech,retail
newco,Newco,platinum
",
    );
    env.meter(&["customers", "import", &file]).assert_bad_cell(&file, 4, "deck", "unknown deck `platinum`");
    // Nothing imported: no new customer, no assignment.
    for c in ["initech", "newco"] {
        env.meter(&["calls", "list", "--customer", c]).assert_code(1).assert_stderr_has("unknown customer");
    }
    let decks = decks_listed(&env);
    assert!(deck_customers(&decks["wholesale"]).is_empty(), "acme was assigned from a rejected file: {decks:#?}");
    assert!(deck_customers(&decks["retail"]).is_empty(), "initech was assigned from a rejected file: {decks:#?}");
}

fn customers_csv_assigning_the_default_deck_is_rejected(backend: Backend) {
    let env = Env::seeded_on(backend);
    env.import_ok("decks", "decks.csv", DECKS);
    let file = env.write(
        "customers.csv",
        "id,name,deck
acme,Acme Corp,wholesale
globex,Globex Inc,default
",
    );
    env.meter(&["customers", "import", &file, "--format", "json"]).assert_bad_cell(
        &file,
        3,
        "deck",
        "cannot be assigned",
    );
    let decks = decks_listed(&env);
    assert!(deck_customers(&decks["wholesale"]).is_empty(), "acme was assigned from a rejected file: {decks:#?}");
    assert!(deck_customers(&decks["default"]).is_empty(), "the default deck lists assigned customers: {decks:#?}");
}

// ---------------------------------------------------------------- rates.csv

fn rates_csv_with_an_unknown_deck_is_rejected(backend: Backend) {
    let env = Env::seeded_on(backend);
    env.import_ok("decks", "decks.csv", DECKS);
    let contents = deck_rates(&["premium,0.50,1900,,wholesale,,,1,1", "premium,0.70,1900,,platinum,,,1,1"]);
    let file = env.write("rates.csv", &contents);
    env.meter(&["rates", "import", &file]).assert_bad_cell(&file, 3, "deck", "unknown deck `platinum`");
    assert!(rates_listed(&env, &["--call-type", "premium"]).is_empty(), "a rate was imported from a rejected file");
}

fn rates_csv_with_both_deck_and_customer_on_a_row_is_rejected(backend: Backend) {
    let env = Env::seeded_on(backend);
    env.import_ok("decks", "decks.csv", DECKS);
    let contents = deck_rates(&[
        "premium,0.50,1900,,wholesale,,,1,1",
        "premium,0.60,1900,,,acme,,1,1",
        "premium,0.70,1900,,retail,acme,,1,1",
    ]);
    let file = env.write("rates.csv", &contents);
    let run = env.meter(&["rates", "import", &file, "--format", "json"]);
    run.assert_bad_cell(&file, 4, "deck", "not both");
    assert_eq!(run.bad_row_count(), Some(1), "{}", run.dump());
    assert!(rates_listed(&env, &["--call-type", "premium"]).is_empty(), "a rate was imported from a rejected file");
}

fn rates_csv_with_a_non_digit_local_prefix_is_rejected(backend: Backend) {
    let env = Env::seeded_on(backend);
    let contents = deck_rates(&[
        "premium,0.50,1900,1212,,,,1,1",
        "premium,0.60,1900,12a,,,,1,1",
        "premium,0.70,1900,+1202,,,,1,1",
    ]);
    let file = env.write("rates.csv", &contents);
    let run = env.meter(&["rates", "import", &file]);
    run.assert_bad_cell(&file, 3, "local_prefix", "`12a` is not a prefix");
    run.assert_bad_cell(&file, 4, "local_prefix", "`+1202` is not a prefix");
    assert_eq!(run.bad_row_count(), Some(2), "{}", run.dump());
    assert!(rates_listed(&env, &["--call-type", "premium"]).is_empty(), "a rate was imported from a rejected file");
}

fn two_rates_conflicting_within_one_deck_name_both_lines(backend: Backend) {
    let env = Env::seeded_on(backend);
    env.import_ok("decks", "decks.csv", DECKS);
    // Lines 2 and 4: same type, prefix, local prefix and deck; March lies inside the open
    // window from January.
    let contents = format!(
        "{WINDOWED_HEADER}
international,0.10,44,,wholesale,,2026-01-01,
international,0.12,33,,wholesale,,,
international,0.20,44,,wholesale,,2026-03-01,2026-04-01
"
    );
    let file = env.write("rates.csv", &contents);
    let run = env.meter(&["rates", "import", &file]);
    assert_one_row_error(&run, &file, 4, &["conflicts with", "line 2"]);
    assert!(rates_listed(&env, &["--deck", "wholesale"]).is_empty(), "a rate was imported from a rejected file");

    // The default deck is one owner whether `deck` is empty or `default`.
    let contents = format!(
        "{WINDOWED_HEADER}
premium,0.50,1900,,default,,,
premium,0.55,1900,,,,2026-02-01,
"
    );
    let file = env.write("rates-default.csv", &contents);
    let run = env.meter(&["rates", "import", &file]);
    assert_one_row_error(&run, &file, 3, &["conflicts with", "line 2"]);
    assert!(rates_listed(&env, &["--call-type", "premium"]).is_empty(), "a rate was imported from a rejected file");

    // A row conflicting with a stored rate of the deck names that rate.
    let first = format!("{WINDOWED_HEADER}\ninternational,0.10,44,,wholesale,,2026-01-01,\n");
    assert_eq!(env.import_ok("rates", "rates-first.csv", &first), Summary::imported(1));
    let later = format!(
        "{WINDOWED_HEADER}
international,0.12,33,,wholesale,,,
international,0.20,44,,wholesale,,2026-03-01,2026-04-01
"
    );
    let file = env.write("rates-later.csv", &later);
    let run = env.meter(&["rates", "import", &file]);
    assert_one_row_error(&run, &file, 3, &["conflicts with", "stored rate", "deck:wholesale"]);
    let listed = rates_listed(&env, &["--deck", "wholesale"]);
    assert_eq!(field(&listed, "prefix"), vec!["44"], "a rate was imported from a rejected file: {listed:#?}");
}

fn the_same_slot_in_two_decks_or_with_another_local_prefix_is_no_conflict(backend: Backend) {
    let env = Env::seeded_on(backend);
    env.import_ok("decks", "decks.csv", DECKS);
    // international/44 open-ended in the default deck, both named decks and a customer, and
    // in wholesale again with two different local prefixes: seven rates, no conflict.
    let contents = format!(
        "{WINDOWED_HEADER}
international,0.40,44,,,,,
international,0.30,44,,wholesale,,,
international,0.35,44,,retail,,,
international,0.25,44,,,acme,,
international,0.20,44,1212,wholesale,,,
international,0.22,44,1,wholesale,,,
international,0.21,44,1,retail,,,
"
    );
    assert_eq!(env.import_ok("rates", "rates.csv", &contents), Summary::imported(7));
    // The same slot as a stored rate, in another deck, is no conflict either.
    let more = format!(
        "{WINDOWED_HEADER}
international,0.45,44,1212,retail,,2026-01-01,
international,0.26,44,1212,,acme,,
"
    );
    assert_eq!(env.import_ok("rates", "rates-more.csv", &more), Summary::imported(2));
    assert_eq!(rates_listed(&env, &["--deck", "wholesale"]).len(), 3);
    assert_eq!(rates_listed(&env, &["--deck", "retail"]).len(), 3);
    // Re-importing the first file is all duplicates.
    let again = env.import_ok("rates", "rates-again.csv", &contents);
    assert_eq!(again, Summary { imported: 0, updated: 0, duplicates: 7, conflicts: 0 });
}

// ---------------------------------------------------------------- localcalling.csv

/// A database whose local calling table makes 202555 → 212555 local, with two calls of acme
/// from 202-555: `c1` to 212-555 (local) and `c2` to 303-555 (domestic). `None`: PostgreSQL not
/// configured.
fn with_local_table(backend: Backend) -> Env {
    let env = Env::seeded_on(backend);
    env.import_ok("localcalling", "localcalling.csv", "npa_nxx,local_npa_nxx\n202555,212555\n");
    env.import_ok(
        "cdrs",
        "cdrs.csv",
        &cdrs_csv(&[
            call("c1", "acme", "outbound", "12025550199", "12125550100"),
            call("c2", "acme", "outbound", "12025550199", "13035550100"),
        ]),
    );
    env
}

#[track_caller]
fn assert_local_table_unchanged(env: &Env) {
    let calls = calls_by_id(env, "acme");
    assert_eq!(calls["c1"]["call_type"], "local", "the stored table was replaced by a rejected file");
    assert_eq!(calls["c2"]["call_type"], "domestic", "a pair was imported from a rejected file");
}

/// NPA-NXX values each of which is malformed, and why.
const BAD_NPA_NXX: &[(&str, &str)] = &[
    ("21255", "five digits"),
    ("2125550", "seven digits"),
    ("21255a", "a letter"),
    ("212-55", "a dash"),
    ("012555", "first digit 0"),
    ("112555", "first digit 1"),
    ("212055", "fourth digit 0"),
    ("212155", "fourth digit 1"),
];

#[track_caller]
fn assert_bad_npa_nxx_rejected(backend: Backend, column: &str) {
    let env = with_local_table(backend);
    for (i, (bad, why)) in BAD_NPA_NXX.iter().enumerate() {
        let row = if column == "npa_nxx" { format!("{bad},212555") } else { format!("202555,{bad}") };
        let name = format!("localcalling-bad-{i}.csv");
        let file = env.write(&name, &format!("npa_nxx,local_npa_nxx\n202555,303555\n{row}\n"));
        let run = env.meter(&["localcalling", "import", &file, "--format", "json"]);
        assert!(run.code == 1, "`{bad}` ({why}) in column {column} was accepted\n{}", run.dump());
        run.assert_bad_cell(&file, 3, column, &format!("`{bad}` is not an NPA-NXX"));
        assert_eq!(run.bad_row_count(), Some(1), "{}", run.dump());
        assert_local_table_unchanged(&env);
    }
}

fn a_malformed_npa_nxx_is_rejected(backend: Backend) {
    assert_bad_npa_nxx_rejected(backend, "npa_nxx");
}

fn a_malformed_local_npa_nxx_is_rejected(backend: Backend) {
    assert_bad_npa_nxx_rejected(backend, "local_npa_nxx");
}

// ---------------------------------------------------------------- which rate prices a call

fn the_customers_deck_beats_the_default_deck_and_its_own_rates_beat_the_deck(backend: Backend) {
    let env = with_decks(backend);
    let rates = deck_rates(&[
        // The default deck has a longer domestic prefix than the deck.
        "domestic,0.03,1212,,,,,1,1",
        "domestic,0.12,1,,wholesale,,,1,1",
        // acme's own rate, for calls to 1212555 from 1202 numbers only.
        "domestic,0.24,1212555,1202,,acme,,1,1",
    ]);
    assert_eq!(env.import_ok("rates", "rates.csv", &rates), Summary::imported(3));
    env.import_ok(
        "cdrs",
        "cdrs.csv",
        &cdrs_csv(&[
            call("a1", "acme", "outbound", "12025550199", "12125550100"),
            call("a2", "acme", "outbound", "13035550199", "12125550100"),
            call("a3", "acme", "outbound", "12025550199", "+442079460000"),
            call("i1", "initech", "outbound", "13035550199", "12125550100"),
            call("g1", "globex", "outbound", "13035550199", "12125550100"),
            call("g2", "globex", "outbound", "13035550199", "14155550100"),
        ]),
    );
    let acme = calls_by_id(&env, "acme");
    // Its own rate, where it applies.
    assert_priced_by(&acme["a1"], "customer:acme", "1212555", "1202", "0.24");
    // Otherwise the deck's prefix 1, though the default deck has 1212.
    assert_priced_by(&acme["a2"], "deck:wholesale", "1", "", "0.12");
    // The deck has no international rate: the default deck's.
    assert_priced_by(&acme["a3"], "deck:default", "", "", "0.60");
    let initech = calls_by_id(&env, "initech");
    assert_priced_by(&initech["i1"], "deck:wholesale", "1", "", "0.12");
    // A customer without a deck: the default deck, longest prefix.
    let globex = calls_by_id(&env, "globex");
    assert_priced_by(&globex["g1"], "deck:default", "1212", "", "0.03");
    assert_priced_by(&globex["g2"], "deck:default", "", "", "0.06");

    // The invoices charge those prices (initech and globex have no plans).
    let p = env.preview("initech", "2026-01-01", "2026-01-31");
    assert_eq!(p["total"], "0.12", "{p:#}");
    let p = env.preview("globex", "2026-01-01", "2026-01-31");
    assert_eq!(p["total"], "0.09", "{p:#}");
    let inv = env.create_ok("initech", "2026-01-01", "2026-01-31");
    assert_eq!(inv["total"], "0.12", "{inv:#}");
    // A billed call still shows the rate that priced it.
    let initech = calls_by_id(&env, "initech");
    assert_eq!(initech["i1"]["status"], "billed");
    assert_priced_by(&initech["i1"], "deck:wholesale", "1", "", "0.12");
}

fn a_tier_with_rates_for_the_type_but_no_candidate_is_passed_over(backend: Backend) {
    let env = with_decks(backend);
    let rates = format!(
        "{WINDOWED_HEADER}
international,0.30,44,,wholesale,,,
international,0.20,33,,,initech,,
international,0.50,49,,wholesale,,2026-02-01,
"
    );
    assert_eq!(env.import_ok("rates", "rates.csv", &rates), Summary::imported(3));
    env.import_ok(
        "cdrs",
        "cdrs.csv",
        &cdrs_csv(&[
            call("i1", "initech", "outbound", "12025550199", "+442079460000"),
            call("i2", "initech", "outbound", "12025550199", "+33142000000"),
            call("i3", "initech", "outbound", "12025550199", "+81312345678"),
            // The deck's German rate starts in February: not a candidate in January.
            call("i4", "initech", "outbound", "12025550199", "+4930123456"),
        ]),
    );
    let c = calls_by_id(&env, "initech");
    assert_priced_by(&c["i1"], "deck:wholesale", "44", "", "0.30");
    assert_priced_by(&c["i2"], "customer:initech", "33", "", "0.20");
    assert_priced_by(&c["i3"], "deck:default", "", "", "0.60");
    assert_priced_by(&c["i4"], "deck:default", "", "", "0.60");
}

fn within_a_tier_the_longest_prefix_wins_then_the_longest_local_prefix(backend: Backend) {
    let env = with_decks(backend);
    let rates = deck_rates(&[
        "domestic,0.10,1212,,wholesale,,,1,1",
        "domestic,0.11,1212,1202,wholesale,,,1,1",
        "domestic,0.12,1212,120255,wholesale,,,1,1",
        "domestic,0.13,121255,,wholesale,,,1,1",
        // Inbound: the local key is the `to` number, the customer's own side.
        "inbound,0.01,,,wholesale,,,1,1",
        "inbound,0.02,,1212,wholesale,,,1,1",
    ]);
    assert_eq!(env.import_ok("rates", "rates.csv", &rates), Summary::imported(6));
    env.import_ok(
        "cdrs",
        "cdrs.csv",
        &cdrs_csv(&[
            call("d1", "initech", "outbound", "12025550199", "12129990100"),
            call("d2", "initech", "outbound", "12029990199", "12129990100"),
            call("d3", "initech", "outbound", "13035550199", "12129990100"),
            // A longer prefix beats a longer local prefix.
            call("d4", "initech", "outbound", "12025550199", "12125550100"),
            // A withheld caller id matches only an empty local prefix.
            call("d5", "initech", "outbound", "", "12129990100"),
            call("n1", "initech", "inbound", "14155550100", "12125550199"),
            call("n2", "initech", "inbound", "12125550100", "14155550199"),
        ]),
    );
    let c = calls_by_id(&env, "initech");
    assert_priced_by(&c["d1"], "deck:wholesale", "1212", "120255", "0.12");
    assert_priced_by(&c["d2"], "deck:wholesale", "1212", "1202", "0.11");
    assert_priced_by(&c["d3"], "deck:wholesale", "1212", "", "0.10");
    assert_priced_by(&c["d4"], "deck:wholesale", "121255", "", "0.13");
    assert_priced_by(&c["d5"], "deck:wholesale", "1212", "", "0.10");
    assert_priced_by(&c["n1"], "deck:wholesale", "", "1212", "0.02");
    assert_priced_by(&c["n2"], "deck:wholesale", "", "", "0.01");
}

// ---------------------------------------------------------------- decks import and listing

fn importing_decks_twice_counts_duplicates_and_updates(backend: Backend) {
    let env = Env::seeded_on(backend);
    let run = env.import("decks", "decks.csv", DECKS);
    run.assert_ok();
    assert_eq!(Summary::of(&run.json()), Summary::imported(2));
    // The same file again: nothing changes.
    assert_eq!(
        env.import_ok("decks", "decks-again.csv", DECKS),
        Summary { imported: 0, updated: 0, duplicates: 2, conflicts: 0 }
    );
    // One description changed, one deck unchanged, one new.
    let next = "deck,description
wholesale,Wholesale (resellers)
retail,Retail customers
partner,Partners
";
    assert_eq!(
        env.import_ok("decks", "decks-next.csv", next),
        Summary { imported: 1, updated: 1, duplicates: 1, conflicts: 0 }
    );
    let decks = decks_listed(&env);
    assert_eq!(decks.keys().collect::<Vec<_>>(), vec!["default", "partner", "retail", "wholesale"]);
    assert_eq!(decks["wholesale"]["description"], "Wholesale (resellers)");
    assert_eq!(decks["partner"]["description"], "Partners");
    // The text summary says the same.
    let text = env.write("decks-text.csv", next);
    let run = env.meter(&["decks", "import", &text]);
    run.assert_ok();
    assert!(run.stdout.contains("0 imported, 0 updated, 3 duplicates"), "{}", run.dump());
}

fn decks_list_shows_rate_counts_and_assigned_customers(backend: Backend) {
    let env = with_decks(backend);
    let rates = deck_rates(&[
        "domestic,0.12,1,,wholesale,,,1,1",
        "international,0.30,44,,wholesale,,,1,1",
        "domestic,0.09,,,retail,,,1,1",
        "premium,0.50,1900,,default,,,1,1",
        "domestic,0.24,1212555,1202,,acme,,1,1",
    ]);
    assert_eq!(env.import_ok("rates", "rates.csv", &rates), Summary::imported(5));
    let decks = decks_listed(&env);
    assert_eq!(decks.keys().collect::<Vec<_>>(), vec!["default", "retail", "wholesale"]);
    // The default deck: the three standard rates and the premium one; nobody is "assigned".
    assert_eq!(decks["default"]["rates"], 4, "{decks:#?}");
    assert!(deck_customers(&decks["default"]).is_empty(), "{decks:#?}");
    assert_eq!(decks["wholesale"]["rates"], 2, "{decks:#?}");
    assert_eq!(deck_customers(&decks["wholesale"]), vec!["acme", "initech"]);
    assert_eq!(decks["wholesale"]["description"], "Wholesale customers");
    assert_eq!(decks["retail"]["rates"], 1, "{decks:#?}");
    assert!(deck_customers(&decks["retail"]).is_empty(), "{decks:#?}");

    // A file without the `deck` column keeps the assignment; an empty cell clears it.
    env.import_ok("customers", "rename.csv", "id,name\nacme,Acme Corporation\n");
    assert_eq!(deck_customers(&decks_listed(&env)["wholesale"]), vec!["acme", "initech"]);
    let sum = env.import_ok("customers", "move.csv", "id,name,deck\ninitech,Initech,retail\nacme,Acme Corporation,\n");
    assert_eq!(sum, Summary { imported: 0, updated: 2, duplicates: 0, conflicts: 0 });
    let decks = decks_listed(&env);
    assert!(deck_customers(&decks["wholesale"]).is_empty(), "{decks:#?}");
    assert_eq!(deck_customers(&decks["retail"]), vec!["initech"]);

    // acme, now without a deck, is priced by the default deck.
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&[call("a1", "acme", "outbound", "13035550199", "12125550100")]));
    assert_priced_by(&calls_by_id(&env, "acme")["a1"], "deck:default", "", "", "0.06");
}

fn rates_list_filters_by_deck_customer_and_call_type(backend: Backend) {
    let env = with_decks(backend);
    let rates = deck_rates(&[
        "domestic,0.12,1,,wholesale,,,1,1",
        "international,0.30,44,,wholesale,,,1,1",
        "domestic,0.09,,,retail,,,1,1",
        "premium,0.50,1900,,default,,0.10,1,1",
        "domestic,0.24,1212555,1202,,acme,,1,1",
        "premium,0.40,1900,,,globex,,1,1",
    ]);
    assert_eq!(env.import_ok("rates", "rates.csv", &rates), Summary::imported(6));

    let all = rates_listed(&env, &[]);
    assert_eq!(all.len(), 9, "{all:#?}");

    let wholesale = rates_listed(&env, &["--deck", "wholesale"]);
    assert_eq!(field(&wholesale, "owner"), vec!["deck:wholesale", "deck:wholesale"]);
    assert_eq!(field(&wholesale, "call_type"), vec!["domestic", "international"]);
    let w_intl = rates_listed(&env, &["--deck", "wholesale", "--call-type", "international"]);
    assert_eq!(field(&w_intl, "prefix"), vec!["44"]);
    assert_eq!(w_intl[0]["rate"], "0.3000");

    // `default` lists the default deck, with the rate given `deck` = default.
    let default = rates_listed(&env, &["--deck", "default"]);
    assert_eq!(field(&default, "owner"), vec!["deck:default"; 4], "{default:#?}");
    let mut types = field(&default, "call_type");
    types.sort();
    assert_eq!(types, vec!["domestic", "international", "on_net", "premium"]);
    let premium = rates_listed(&env, &["--deck", "default", "--call-type", "premium"]);
    assert_eq!(premium.len(), 1, "{premium:#?}");
    assert_eq!((premium[0]["prefix"].as_str(), premium[0]["connection_fee"].as_str()), (Some("1900"), Some("0.1000")));

    let acme = rates_listed(&env, &["--customer", "acme"]);
    assert_eq!(acme.len(), 1, "the customer's listing shows its own rates only: {acme:#?}");
    assert_eq!(
        (acme[0]["owner"].as_str(), acme[0]["prefix"].as_str(), acme[0]["local_prefix"].as_str()),
        (Some("customer:acme"), Some("1212555"), Some("1202"))
    );
    assert!(rates_listed(&env, &["--customer", "acme", "--call-type", "premium"]).is_empty());

    let domestic = rates_listed(&env, &["--call-type", "domestic"]);
    let mut owners = field(&domestic, "owner");
    owners.sort();
    assert_eq!(owners, vec!["customer:acme", "deck:default", "deck:retail", "deck:wholesale"]);
    let premium = rates_listed(&env, &["--call-type", "premium"]);
    let mut owners = field(&premium, "owner");
    owners.sort();
    assert_eq!(owners, vec!["customer:globex", "deck:default"]);
    assert!(rates_listed(&env, &["--call-type", "toll_free"]).is_empty());
    // A deck without rates lists none.
    env.import_ok("decks", "decks-more.csv", "deck,description\npartner,Partners\n");
    assert!(rates_listed(&env, &["--deck", "partner"]).is_empty());

    // An unknown deck or customer is an error; both filters at once are a usage error.
    env.meter(&["rates", "list", "--deck", "platinum", "--format", "json"])
        .assert_code(1)
        .assert_no_stdout()
        .assert_stderr_has("unknown deck `platinum`");
    env.meter(&["rates", "list", "--customer", "nobody"]).assert_code(1).assert_stderr_has("unknown customer");
    env.meter(&["rates", "list", "--deck", "wholesale", "--customer", "acme", "--format", "json"])
        .assert_usage_error()
        .assert_no_stdout();
    env.meter(&["rates", "list", "--call-type", "Not-A-Type"]).assert_usage_error();
}

// ---------------------------------------------------------------- local calling

fn a_localcalling_import_replaces_the_whole_table(backend: Backend) {
    let env = Env::seeded_on(backend);
    // A local rate, so that local calls are rated.
    env.import_ok("rates", "rates.csv", &deck_rates(&["local,0.012,,,,,,1,1"]));
    env.import_ok(
        "cdrs",
        "cdrs.csv",
        &cdrs_csv(&[
            call("c1", "globex", "outbound", "12025550199", "12125550100"),
            call("c2", "globex", "outbound", "12025550199", "13035550100"),
            call("c3", "globex", "outbound", "12025550199", "14045550100"),
            // Pairs are directional: 212555 → 202555 is not listed.
            call("c4", "globex", "outbound", "12125550199", "12025550100"),
            // The same exchange is local whenever a table is loaded.
            call("c5", "globex", "outbound", "12025550199", "12025550100"),
            // Ten-digit numbers are NANP numbers too.
            call("c6", "globex", "outbound", "2025550199", "2125550100"),
            // Inbound calls are never local.
            call("c7", "globex", "inbound", "12125550100", "12025550199"),
        ]),
    );
    let types = |env: &Env| -> Vec<String> {
        env.calls("globex").iter().map(|c| c["call_type"].as_str().expect("call_type").to_owned()).collect()
    };
    assert_eq!(types(&env), vec!["domestic", "domestic", "domestic", "domestic", "domestic", "domestic", "inbound"]);

    // Table A, with a pair repeated.
    let a = "npa_nxx,local_npa_nxx
202555,212555
202555,303555
202555,212555
";
    assert_eq!(
        env.import_ok("localcalling", "localcalling-a.csv", a),
        Summary { imported: 2, updated: 0, duplicates: 1, conflicts: 0 }
    );
    assert_eq!(types(&env), vec!["local", "local", "domestic", "domestic", "local", "local", "inbound"]);
    let c = calls_by_id(&env, "globex");
    assert_priced_by(&c["c1"], "deck:default", "", "", "0.012");
    assert_eq!(c["c1"]["status"], "unbilled");

    // Table B: the pairs only in A no longer make calls local.
    let b = "npa_nxx,local_npa_nxx\n202555,404555\n";
    let run = env.import("localcalling", "localcalling-b.csv", b);
    run.assert_ok();
    assert_eq!(Summary::of(&run.json()), Summary::imported(1));
    assert_eq!(types(&env), vec!["domestic", "domestic", "local", "domestic", "local", "domestic", "inbound"]);

    // An empty table: no `local` type at all.
    assert_eq!(
        env.import_ok("localcalling", "localcalling-empty.csv", "npa_nxx,local_npa_nxx\n"),
        Summary::imported(0)
    );
    assert_eq!(types(&env), vec!["domestic", "domestic", "domestic", "domestic", "domestic", "domestic", "inbound"]);
}

// ---------------------------------------------------------------- calls list: the rate object

fn calls_list_shows_the_rate_that_priced_each_call(backend: Backend) {
    let env = with_decks(backend);
    let rates = deck_rates(&["domestic,0.12,1212,,wholesale,,0.05,30,6", "domestic,0.24,1212555,1202,,acme,,1,1"]);
    env.import_ok("rates", "rates.csv", &rates);
    env.import_ok(
        "cdrs",
        "cdrs.csv",
        &cdrs_csv(&[
            call("r1", "acme", "outbound", "12025550199", "12125550100"),
            call("r2", "acme", "outbound", "13035550199", "12125550100"),
            call("r3", "acme", "outbound", "13035550199", "14155550100"),
            typed("u1", "acme", "premium", "19005550100"),
            Cdr { duration: 0, ..call("z1", "acme", "outbound", "12025550199", "12125550100") },
        ]),
    );
    let c = calls_by_id(&env, "acme");
    let own = rates_listed(&env, &["--customer", "acme"]);
    let deck = rates_listed(&env, &["--deck", "wholesale"]);
    let default = rates_listed(&env, &["--deck", "default", "--call-type", "domestic"]);
    let expect = |listed: &Value, owner: &str, prefix: &str, local: &str, rate: &str, fee: &str, i: u64, s: u64| {
        serde_json::json!({
            "id": listed["id"], "owner": owner, "prefix": prefix, "local_prefix": local, "rate": rate,
            "connection_fee": fee, "initial_increment": i, "subsequent_increment": s,
        })
    };
    assert_eq!(c["r1"]["rate"], expect(&own[0], "customer:acme", "1212555", "1202", "0.2400", "0.0000", 1, 1));
    assert_eq!(c["r2"]["rate"], expect(&deck[0], "deck:wholesale", "1212", "", "0.1200", "0.0500", 30, 6));
    assert_eq!(c["r2"]["billable_seconds"], 60);
    assert_eq!(c["r3"]["rate"], expect(&default[0], "deck:default", "", "", "0.0600", "0.0000", 1, 1));
    // Unrated and unanswered calls: null.
    assert_eq!(c["u1"]["status"], "unrated");
    assert!(c["u1"]["rate"].is_null(), "{:#}", c["u1"]);
    assert_eq!(c["z1"]["status"], "unanswered");
    assert!(c["z1"]["rate"].is_null(), "{:#}", c["z1"]);

    // The CSV listing names the same rates.
    let run = env.meter(&["calls", "list", "--customer", "acme", "--format", "csv"]);
    run.assert_ok();
    let r2 = run.stdout.lines().find(|l| l.starts_with("r2,")).expect("r2 in the CSV listing");
    assert!(r2.contains("deck:wholesale,1212,,0.1200"), "{}", run.dump());
}

// ---------------------------------------------------------------- the preview explains unrated calls

fn the_preview_names_the_tiers_tried_for_an_unrated_call_type(backend: Backend) {
    let env = with_decks(backend);
    // The deck has premium rates, but only for 1900 numbers.
    env.import_ok("rates", "rates.csv", &deck_rates(&["premium,0.50,1900,,wholesale,,,1,1"]));
    env.import_ok(
        "cdrs",
        "cdrs.csv",
        &cdrs_csv(&[
            call("a1", "acme", "outbound", "12025550199", "12125550100"),
            typed("a2", "acme", "premium", "19765550100"),
            typed("a3", "acme", "satellite", "8816"),
            typed("a4", "acme", "satellite", "8817"),
            call("g1", "globex", "outbound", "12025550199", "12125550100"),
            typed("g2", "globex", "premium", "19765550100"),
        ]),
    );
    let preview = |c: &str| {
        let run = env.meter(&["invoice", "preview", "--customer", c, "--from", "2026-01-01", "--to", "2026-01-31"]);
        run.assert_ok();
        run.stdout.clone()
    };
    let line_with = |text: &str, needle: &str| -> String {
        text.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?} in\n{text}"))
            .to_owned()
    };

    let acme = preview("acme");
    let premium = line_with(&acme, "premium call");
    assert!(premium.contains("1 premium call not billed: no rate"), "{acme}");
    assert!(
        premium.contains(
            "tried acme's own rates: no premium rates; deck wholesale: has premium rates, none for these numbers and dates; default deck: no premium rates"
        ),
        "{acme}"
    );
    let satellite = line_with(&acme, "satellite calls");
    assert!(
        satellite.contains(
            "tried acme's own rates: no satellite rates; deck wholesale: no satellite rates; default deck: no satellite rates"
        ),
        "{acme}"
    );

    let globex = preview("globex");
    let premium = line_with(&globex, "premium call");
    assert!(
        premium
            .contains("tried globex's own rates: no premium rates; no deck assigned; default deck: no premium rates"),
        "{globex}"
    );

    // With a customer rate and a default rate for the type, those tiers say so.
    env.import_ok(
        "rates",
        "rates-more.csv",
        &deck_rates(&["premium,0.60,1900,,,globex,,1,1", "premium,0.70,1900,,,,,1,1"]),
    );
    let globex = preview("globex");
    let premium = line_with(&globex, "premium call");
    assert!(
        premium.contains(
            "tried globex's own rates: has premium rates, none for these numbers and dates; no deck assigned; default deck: has premium rates, none for these numbers and dates"
        ),
        "{globex}"
    );
    // The JSON preview is unchanged by the explanation.
    let p = env.preview("globex", "2026-01-01", "2026-01-31");
    assert_eq!(p["unrated"], serde_json::json!([{"call_type": "premium", "calls": 1}]), "{p:#}");
}

// ---------------------------------------------------------------- backward compatibility

fn data_without_decks_or_local_calling_rates_as_before(backend: Backend) {
    let env = Env::seeded_on(backend);
    // A customer rate in the old format (no deck, no local_prefix column).
    let old = format!("{RATES_HEADER}\ndomestic,0.03,1212,,1,1,,,globex,Globex New York\n");
    assert_eq!(env.import_ok("rates", "rates-old.csv", &old), Summary::imported(1));
    env.import_ok(
        "cdrs",
        "cdrs.csv",
        &cdrs_csv(&[
            call("g1", "globex", "outbound", "12025550199", "12125550100"),
            // The same exchange, but no local calling table: domestic.
            call("g2", "globex", "outbound", "12025550199", "12025550100"),
            call("g3", "globex", "outbound", "12025550199", "+442079460000"),
            call("g4", "globex", "outbound", "12025550199", "1234"),
        ]),
    );
    let c = calls_by_id(&env, "globex");
    let types: Vec<&str> = c.values().map(|c| c["call_type"].as_str().expect("call type")).collect();
    assert_eq!(types, vec!["domestic", "domestic", "international", "on_net"]);
    assert_priced_by(&c["g1"], "customer:globex", "1212", "", "0.03");
    assert_priced_by(&c["g2"], "deck:default", "", "", "0.06");
    assert_priced_by(&c["g3"], "deck:default", "", "", "0.60");
    assert_priced_by(&c["g4"], "deck:default", "", "", "0.006");
    let p = env.preview("globex", "2026-01-01", "2026-01-31");
    let expected = [("domestic", 120), ("international", 60), ("on_net", 60)];
    assert_eq!(line_sums(&p, "billable_seconds"), expected.map(|(t, s)| (t.to_owned(), s)).into());
    // 0.03 + 0.06 + 0.60 + 0.006 → 0.69 + 0.01 (line amounts rounded per line).
    assert_eq!(p["total"], "0.70", "{p:#}");
    let decks = decks_listed(&env);
    assert_eq!(decks.keys().collect::<Vec<_>>(), vec!["default"]);
    assert_eq!(decks["default"]["rates"], 3);
}
