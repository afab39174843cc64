//! Call files from other switches (`cdrs import --preset/--map`) and `numbers import/list`,
//! through the real binary.
//!
//! Each preset imports a sample export from tests/data/presets (acme is in New York, globex in
//! London; their phone numbers come from numbers.csv), and `calls list` must then hold exactly
//! the expected calls: the id, the start in UTC after the zone conversion, the talk seconds (0
//! when unanswered), the direction found from the numbers, and the status. Re-importing counts
//! every row as a duplicate. No rates are imported, so an answered call is `unrated`.
//!
//! Every test runs on both backends (`sqlite::NAME`, `postgres::NAME`).

mod common;

use common::*;

on_both_backends! {
    asterisk_master_csv_in_local_time_with_mixed_dispositions,
    asterisk_with_uniqueid_and_sequence_in_utc,
    freeswitch_example_template,
    kazoo_with_gregorian_timestamps,
    three_cx_with_hh_mm_ss_durations,
    a_custom_layout_with_a_header,
    a_custom_layout_by_position,
    an_unknown_field_in_the_spec_is_a_usage_error,
    mixing_names_and_positions_is_a_usage_error,
    mapping_options_without_a_mapping_are_a_usage_error,
    an_unknown_column_rejects_the_file,
    a_bad_time_names_file_line_and_column_and_imports_nothing,
    a_caller_and_callee_that_are_not_the_customers_reject_the_row,
    numbers_import_and_list_round_trip,
    a_bad_numbers_file_is_rejected_and_changes_nothing,
}

/// A call as the test expects it: id, start (UTC), duration, direction, from, to, status.
type Expected<'a> = (&'a str, &'a str, u64, &'a str, &'a str, &'a str, &'a str);

fn data(name: &str) -> String {
    format!("{}/tests/data/presets/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The customers acme and globex with their phone numbers.
fn setup(backend: Backend) -> Env {
    let env = Env::on(backend);
    env.meter(&["customers", "import", &data("customers.csv")]).assert_ok();
    env.meter(&["numbers", "import", &data("numbers.csv")]).assert_ok();
    env
}

/// `cdrs import FILE --format json ARGS…`
fn import(env: &Env, file: &str, args: &[&str]) -> Run {
    let mut all = vec!["cdrs", "import", file, "--format", "json"];
    all.extend_from_slice(args);
    env.meter(&all)
}

/// Imports the file, checks the summary, then imports it again: every row is a duplicate.
#[track_caller]
fn import_twice(env: &Env, file: &str, args: &[&str], rows: u64) {
    assert_eq!(Summary::of(&import(env, file, args).assert_ok().json()), Summary::imported(rows));
    let again = Summary::of(&import(env, file, args).assert_ok().json());
    assert_eq!(again, Summary { imported: 0, updated: 0, duplicates: rows, conflicts: 0 });
}

#[track_caller]
fn assert_calls(env: &Env, customer: &str, expected: &[Expected]) {
    let calls = env.calls(customer);
    let got: Vec<Expected> = calls
        .iter()
        .map(|c| {
            assert_eq!(c["source"], "file");
            let s = |k: &str| c[k].as_str().unwrap_or_else(|| panic!("{k} is not a string in {c}"));
            let d = c["duration"].as_u64().unwrap_or_else(|| panic!("no duration in {c}"));
            (s("id"), s("start"), d, s("direction"), s("from"), s("to"), s("status"))
        })
        .collect();
    assert_eq!(got, expected, "calls of {customer}");
}

fn asterisk_master_csv_in_local_time_with_mixed_dispositions(backend: Backend) {
    let env = setup(backend);
    // Rows with an empty accountcode belong to --customer; times are each customer's local time.
    import_twice(&env, &data("asterisk-Master.csv"), &["--preset", "asterisk", "--customer", "acme"], 9);
    let trunk = "SIP/trunk-0000001f|2026-11-03 12:00:00";
    assert_calls(
        &env,
        "acme",
        &[
            // 01:30 happens twice on 2026-11-01 in New York: the earlier, in EDT.
            (
                "SIP/trunk-0000001d|2026-11-01 01:30:00|SIP/1001-0000001e",
                "2026-11-01T05:30:00Z",
                60,
                "inbound",
                "3055550199",
                "+12125550100",
                "unrated",
            ),
            (
                "SIP/1001-00000012|2026-11-03 09:15:02|SIP/trunk-00000013",
                "2026-11-03T14:15:02Z",
                125,
                "outbound",
                "2125550100",
                "13055550199",
                "unrated",
            ),
            (
                "SIP/trunk-00000014|2026-11-03 10:00:00|SIP/1002-00000015",
                "2026-11-03T15:00:00Z",
                0,
                "inbound",
                "3055550199",
                "2125550101",
                "unanswered",
            ),
            (
                "SIP/1001-00000016|2026-11-03 10:05:00|SIP/trunk-00000017",
                "2026-11-03T15:05:00Z",
                0,
                "outbound",
                "2125550100",
                "14155550123",
                "unanswered",
            ),
            (
                "SIP/1001-00000018|2026-11-03 10:10:00|",
                "2026-11-03T15:10:00Z",
                0,
                "outbound",
                "1001",
                "18005550100",
                "unanswered",
            ),
            (
                "SIP/1001-00000019|2026-11-03 11:00:00|SIP/1002-0000001a",
                "2026-11-03T16:00:00Z",
                180,
                "internal",
                "1001",
                "1002",
                "unrated",
            ),
            // Two legs of one call dialled in parallel: the destination channel tells them apart.
            (
                &format!("{trunk}|SIP/1001-00000020"),
                "2026-11-03T17:00:00Z",
                60,
                "inbound",
                "3055550199",
                "2125550100",
                "unrated",
            ),
            (
                &format!("{trunk}|SIP/1002-00000021"),
                "2026-11-03T17:00:00Z",
                0,
                "inbound",
                "3055550199",
                "2125550100",
                "unanswered",
            ),
        ],
    );
    assert_calls(
        &env,
        "globex",
        &[(
            "SIP/2001-0000001b|2026-11-03 09:00:00|SIP/trunk-0000001c",
            "2026-11-03T09:00:00Z",
            61,
            "outbound",
            "+442079460000",
            "+33142685300",
            "unrated",
        )],
    );
}

fn asterisk_with_uniqueid_and_sequence_in_utc(backend: Backend) {
    let env = setup(backend);
    // usegmtime=yes: the times are UTC, whatever the customer's zone.
    import_twice(&env, &data("asterisk-Master-uniqueid.csv"), &["--preset", "asterisk", "--timezone", "UTC"], 3);
    assert_calls(
        &env,
        "acme",
        &[
            ("1793715302.1|1", "2026-11-03T14:15:02Z", 125, "outbound", "2125550100", "13055550199", "unrated"),
            ("1793718000.3|2", "2026-11-03T15:00:00Z", 60, "inbound", "3055550199", "2125550100", "unrated"),
            ("1793718000.3|3", "2026-11-03T15:00:00Z", 0, "inbound", "3055550199", "2125550100", "unanswered"),
        ],
    );
}

fn freeswitch_example_template(backend: Backend) {
    let env = setup(backend);
    import_twice(&env, &data("freeswitch-Master.csv"), &["--preset", "freeswitch", "--customer", "acme"], 5);
    assert_calls(
        &env,
        "acme",
        &[
            // 02:30 does not exist on 2026-03-08 in New York: read in EST, it is 03:30 EDT.
            (
                "e34619ac-e752-11e3-8c07-65b6c3cdac7d",
                "2026-03-08T07:30:00Z",
                60,
                "outbound",
                "1001",
                "13055550199",
                "unrated",
            ),
            (
                "a5c9f6c0-e752-11e3-8bfb-65b6c3cdac7d",
                "2026-11-03T14:15:02Z",
                125,
                "outbound",
                "2125550100",
                "13055550199",
                "unrated",
            ),
            (
                "e29ff0ae-e752-11e3-8bff-65b6c3cdac7d",
                "2026-11-03T15:00:00Z",
                0,
                "inbound",
                "3055550199",
                "2125550101",
                "unanswered",
            ),
            (
                "e2fe712e-e752-11e3-8c03-65b6c3cdac7d",
                "2026-11-03T15:05:00Z",
                0,
                "outbound",
                "2125550100",
                "14155550123",
                "unanswered",
            ),
            ("e38cb5b0-e752-11e3-8c0b-65b6c3cdac7d", "2026-11-03T16:00:00Z", 60, "internal", "1001", "1002", "unrated"),
        ],
    );
}

fn kazoo_with_gregorian_timestamps(backend: Backend) {
    let env = setup(backend);
    let file = data("kazoo-cdrs.csv");
    import_twice(&env, &file, &["--preset", "kazoo", "--customer", "acme"], 3);
    let expected: &[Expected] = &[
        ("0f1c3d7a4b@10.1.2.3", "2026-11-03T14:15:02Z", 125, "outbound", "+12125550100", "+13055550199", "unrated"),
        ("77aa91e2c0@10.1.2.3", "2026-11-03T15:00:00Z", 0, "inbound", "+13055550199", "+12125550101", "unanswered"),
        ("c4d2e9b810@10.1.2.3", "2026-11-03T16:30:00Z", 300, "inbound", "+13055550199", "+12125550100", "unrated"),
    ];
    assert_calls(&env, "acme", expected);
    // The same instants read from `iso_8601` instead: the same calls.
    let by_iso = ["--preset", "kazoo", "--map", "start=iso_8601", "--time-format", "default", "--customer", "acme"];
    let sum = Summary::of(&import(&env, &file, &by_iso).assert_ok().json());
    assert_eq!(sum, Summary { imported: 0, updated: 0, duplicates: 3, conflicts: 0 });
    assert_calls(&env, "acme", expected);
}

fn three_cx_with_hh_mm_ss_durations(backend: Backend) {
    let env = setup(backend);
    import_twice(&env, &data("3cx-cdr.csv"), &["--preset", "3cx", "--customer", "acme"], 4);
    assert_calls(
        &env,
        "acme",
        &[
            ("00000000011", "2026-11-03T14:15:02Z", 125, "outbound", "1001", "13055550199", "unrated"),
            ("00000000012", "2026-11-03T15:00:00Z", 0, "inbound", "3055550199", "2125550100", "unanswered"),
            ("00000000013", "2026-11-03T15:30:00Z", 3723, "inbound", "3055550199", "2125550101", "unrated"),
            ("00000000014", "2026-11-03T17:00:00Z", 45, "internal", "1001", "1002", "unrated"),
        ],
    );
}

fn a_custom_layout_with_a_header(backend: Backend) {
    let env = setup(backend);
    let map = "id=ref,customer=account,start=began,billsec=talk,direction=dir,from=caller,to=callee,call_type=kind";
    import_twice(&env, &data("custom-header.csv"), &["--map", map, "--time-format", "epoch"], 3);
    assert_calls(
        &env,
        "acme",
        &[
            ("r-1", "2026-11-03T14:15:02Z", 125, "outbound", "2125550100", "+13055550199", "unrated"),
            ("r-2", "2026-11-03T15:00:00Z", 0, "inbound", "3055550199", "2125550101", "unanswered"),
        ],
    );
    let globex = env.calls("globex");
    assert_eq!(globex.len(), 1);
    assert_eq!(globex[0]["id"], "r-3");
    assert_eq!(globex[0]["start"], "2026-11-03T15:33:20Z");
    assert_eq!(globex[0]["duration"], 42);
    assert_eq!(globex[0]["call_type"], "international");
}

fn a_custom_layout_by_position(backend: Backend) {
    let env = setup(backend);
    let args = [
        "--map",
        "id=#1,start=#2,duration=#3,from=#4,to=#5",
        "--customer",
        "globex",
        "--time-format",
        "%d/%m/%Y %H:%M:%S",
        "--timezone",
        "Europe/Paris",
    ];
    import_twice(&env, &data("custom-positions.csv"), &args, 2);
    // A disabled number is still the customer's: the call to it is inbound.
    assert_calls(
        &env,
        "globex",
        &[
            ("X-100", "2026-11-03T09:15:00Z", 65, "outbound", "+442079460000", "+12125550100", "unrated"),
            ("X-101", "2026-11-03T09:20:00Z", 0, "inbound", "+33142685300", "+442079460001", "unanswered"),
        ],
    );
}

fn an_unknown_field_in_the_spec_is_a_usage_error(backend: Backend) {
    let env = setup(backend);
    let run = import(&env, &data("custom-header.csv"), &["--map", "id=ref,colour=kind", "--customer", "acme"]);
    run.assert_usage_error().assert_stderr_has("unknown field `colour`").assert_no_stdout();
    let run = import(&env, &data("custom-header.csv"), &["--map", "id=#0,start=#2"]);
    run.assert_usage_error().assert_stderr_has("`#0` is not a column position");
    // A mapping without the fields a call needs.
    let run =
        import(&env, &data("custom-header.csv"), &["--map", "id=ref,start=began,to=callee", "--customer", "acme"]);
    run.assert_usage_error().assert_stderr_has("no talk seconds");
    assert!(env.calls("acme").is_empty());
}

fn mixing_names_and_positions_is_a_usage_error(backend: Backend) {
    let env = setup(backend);
    let run = import(&env, &data("custom-header.csv"), &["--map", "id=ref,start=#3"]);
    run.assert_usage_error().assert_stderr_has("mixes header names (`ref`) and positions (`#3`)");
    let run = import(&env, &data("asterisk-Master.csv"), &["--preset", "asterisk", "--map", "customer=accountcode"]);
    run.assert_usage_error().assert_stderr_has("mixes header names");
    assert!(env.calls("acme").is_empty());
}

fn mapping_options_without_a_mapping_are_a_usage_error(backend: Backend) {
    let env = setup(backend);
    import(&env, &data("custom-header.csv"), &["--customer", "acme"]).assert_usage_error();
    import(&env, &data("custom-header.csv"), &["--preset", "pbx9000"]).assert_usage_error();
    let run = import(&env, &data("3cx-cdr.csv"), &["--preset", "3cx", "--answered", "sometimes", "--customer", "acme"]);
    run.assert_usage_error().assert_stderr_has("is not an answered rule");
    let run = import(&env, &data("3cx-cdr.csv"), &["--preset", "3cx", "--direction", "column", "--customer", "acme"]);
    run.assert_usage_error().assert_stderr_has("--direction column");
    let run =
        import(&env, &data("3cx-cdr.csv"), &["--preset", "3cx", "--timezone", "Mars/Olympus", "--customer", "acme"]);
    run.assert_usage_error().assert_stderr_has("is not an IANA time zone");
    // An unknown --customer is no usage error: the command is right, the data is not.
    import(&env, &data("3cx-cdr.csv"), &["--preset", "3cx", "--customer", "nobody"])
        .assert_code(1)
        .assert_stderr_has("unknown customer `nobody`");
}

fn an_unknown_column_rejects_the_file(backend: Backend) {
    let env = setup(backend);
    let file = data("custom-header.csv");
    let map = "id=ref,customer=account,start=began,billsec=seconds,direction=dir,from=caller,to=callee";
    let run = import(&env, &file, &["--map", map, "--time-format", "epoch"]);
    run.assert_bad_cell(&file, 1, "seconds", "no such column in the header (mapped to `billsec`)");
    let positions = data("custom-positions.csv");
    let run = import(&env, &positions, &["--map", "id=#1,start=#2,duration=#3,from=#4,to=#9", "--customer", "globex"]);
    run.assert_bad_cell(&positions, 1, "#9", "the file has only 5 columns");
    assert!(env.calls("acme").is_empty() && env.calls("globex").is_empty());
}

fn a_bad_time_names_file_line_and_column_and_imports_nothing(backend: Backend) {
    let env = setup(backend);
    let file = env.write(
        "Master.csv",
        &std::fs::read_to_string(data("asterisk-Master.csv")).expect("the sample file").replacen(
            "\"2026-11-03 10:05:00\"",
            "\"03/11/2026 10:05\"",
            1,
        ),
    );
    let run = import(&env, &file, &["--preset", "asterisk", "--customer", "acme"]);
    run.assert_bad_cell(&file, 3, "#10", "`03/11/2026 10:05` is neither RFC 3339 nor YYYY-MM-DD hh:mm:ss");
    assert_eq!(run.bad_row_count(), Some(1));
    assert!(env.calls("acme").is_empty() && env.calls("globex").is_empty());
    let kazoo = env.write("kazoo.csv", "call_id,caller_id_number,callee_id_number,duration_seconds,billing_seconds,timestamp,direction\nk1,+12125550100,+13055550199,10,5,2026-11-03,outbound\nk2,+12125550100,+13055550199,1:00,5,63960934502,sideways\n");
    let run = import(&env, &kazoo, &["--preset", "kazoo", "--customer", "acme"]);
    run.assert_bad_cell(&kazoo, 2, "timestamp", "`2026-11-03` is not Gregorian seconds");
    run.assert_bad_cell(&kazoo, 3, "duration_seconds", "`1:00` is not a number of seconds");
    run.assert_bad_cell(&kazoo, 3, "direction", "sideways");
    assert!(env.calls("acme").is_empty());
}

fn a_caller_and_callee_that_are_not_the_customers_reject_the_row(backend: Backend) {
    let env = setup(backend);
    let file = env.write(
        "fs.csv",
        "\"Eve\",\"3055550100\",\"4155550100\",\"default\",\"2026-11-03 09:15:02\",\"2026-11-03 09:15:07\",\"2026-11-03 09:17:12\",\"130\",\"125\",\"NORMAL_CLEARING\",\"u-1\",\"\",\"\",\"PCMU\",\"PCMU\"\n",
    );
    let run = import(&env, &file, &["--preset", "freeswitch", "--customer", "acme"]);
    run.assert_import_rejected(&file).assert_stderr_has(&format!(
        "{file}:1: cannot tell the direction: neither the caller `3055550100` nor the callee `4155550100` is a phone number of customer `acme`"
    ));
    assert!(env.calls("acme").is_empty());
}

fn numbers_import_and_list_round_trip(backend: Backend) {
    let env = Env::on(backend);
    env.meter(&["customers", "import", &data("customers.csv")]).assert_ok();
    let first =
        "customer,number,enabled\nacme,+12125550100,yes\nacme,12125550100,yes\nacme,1001,no\nglobex,+442079460000,\n";
    let sum = env.import_ok("numbers", "numbers.csv", first);
    assert_eq!(sum, Summary { imported: 3, updated: 0, duplicates: 1, conflicts: 0 });
    let list =
        |customer: &str| env.meter(&["numbers", "list", "--customer", customer, "--format", "json"]).assert_ok().json();
    assert_eq!(
        list("acme"),
        serde_json::json!({"numbers": [
            {"source": "file", "number": "+12125550100", "enabled": true},
            {"source": "file", "number": "1001", "enabled": false},
        ]})
    );
    // A second file replaces acme's numbers and leaves globex's alone.
    env.import_ok("numbers", "numbers2.csv", "number,customer\n2125550199,acme\n");
    assert_eq!(
        list("acme"),
        serde_json::json!({"numbers": [{"source": "file", "number": "2125550199", "enabled": true}]})
    );
    assert_eq!(list("globex")["numbers"][0]["number"], "+442079460000");
    let text = env.meter(&["numbers", "list", "--customer", "acme"]);
    assert!(text.assert_ok().stdout.contains("file    2125550199  yes"), "{}", text.dump());
    env.meter(&["numbers", "list", "--customer", "nobody"])
        .assert_code(1)
        .assert_stderr_has("unknown customer `nobody`");
}

fn a_bad_numbers_file_is_rejected_and_changes_nothing(backend: Backend) {
    let env = setup(backend);
    let bad = "customer,number,enabled\nacme,+1 212 555 0100,yes\nnobody,2125550100,yes\nacme,2125550102,maybe\nacme,2125550103,yes\nacme,+12125550103,no\n";
    let file = env.write("numbers-bad.csv", bad);
    let run = env.meter(&["numbers", "import", &file]);
    run.assert_bad_cell(&file, 2, "number", "is not a phone number");
    run.assert_bad_cell(&file, 3, "customer", "unknown customer `nobody`");
    run.assert_bad_cell(&file, 4, "enabled", "`maybe` is not yes, no");
    run.assert_bad_cell(&file, 6, "enabled", "also on line 5");
    let missing = env.write("numbers-missing.csv", "customer,enabled\nacme,yes\n");
    env.meter(&["numbers", "import", &missing]).assert_bad_cell(&missing, 1, "number", "required column is missing");
    let listed = env.meter(&["numbers", "list", "--customer", "acme", "--format", "json"]).assert_ok().json();
    assert_eq!(listed["numbers"].as_array().map(Vec::len), Some(4), "acme's numbers changed: {listed}");
}
