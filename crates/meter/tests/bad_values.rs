//! Values that one backend would store and the other refuse, or that both would store and then
//! bill wrongly: NUL bytes, ids longer than an index allows, start times outside the years 1 to
//! 9999, called numbers without a digit. Every CSV import refuses them the same way on both
//! backends, as `FILE:LINE: column NAME: reason`, and imports nothing.
//!
//! Every test runs on both backends (`sqlite::NAME`, `postgres::NAME`).

mod common;

use common::*;

on_both_backends! {
    a_nul_byte_in_any_cell_names_its_line_and_column,
    an_id_longer_than_the_maximum_names_its_line_and_column,
    start_times_outside_the_years_1_to_9999_are_refused_in_every_layout,
    a_called_number_without_a_digit_is_a_bad_value,
}

/// The longest id the store takes (store::MAX_ID_LEN), in bytes.
const MAX_ID_LEN: usize = 1024;

#[track_caller]
fn assert_no_calls(env: &Env, customer: &str) {
    let calls = env.calls(customer);
    assert!(calls.is_empty(), "calls were imported from a rejected file: {calls:#?}");
}

/// acme's phone numbers, for the layouts that tell the direction from them.
fn with_numbers(backend: Backend) -> Env {
    let env = Env::seeded_on(backend);
    env.import_ok("numbers", "numbers.csv", "customer,number\nacme,12125550100\n");
    env
}

/// One row of Asterisk's Master.csv (16 columns, no header): acme's 2125550100 calls out at
/// `start` local time, answered 5 s later, for 125 s.
fn asterisk_row(id: &str, start: &str) -> String {
    format!(
        "\"acme\",\"2125550100\",\"13055550199\",\"from-internal\",\"Alice\",\"SIP/{id}\",\"SIP/trunk\",\"Dial\",\"SIP/trunk/13055550199\",\"{start}\",\"{start}\",\"{start}\",130,125,\"ANSWERED\",\"DOCUMENTATION\"\n"
    )
}

fn a_nul_byte_in_any_cell_names_its_line_and_column(backend: Backend) {
    let env = with_numbers(backend);
    let cdrs = env.write(
        "cdrs.csv",
        "id,start,duration,direction,from,to,customer,call_type
a1,2026-01-05T10:00:00Z,60,outbound,12025550199,12125550100,acme,
a2,2026-01-05T10:05:00Z,60,outbound,1202\u{0}5550199,12125550100,acme,
a\u{0}3,2026-01-05T10:10:00Z,60,outbound,12025550199,12125550100,acme,
",
    );
    let run = env.meter(&["cdrs", "import", &cdrs]);
    run.assert_bad_cell(&cdrs, 3, "from", "NUL byte").assert_bad_cell(&cdrs, 4, "id", "NUL byte");
    assert_eq!(run.file_error_lines().len(), 2, "{}", run.dump());
    assert_no_calls(&env, "acme");

    // The reference files: a NUL in a name or a description is refused just the same.
    let customers = env.write("customers.csv", "id,name\ninitech,Ini\u{0}tech\n");
    env.meter(&["customers", "import", &customers]).assert_bad_cell(&customers, 2, "name", "NUL byte");
    env.meter(&["calls", "list", "--customer", "initech"]).assert_code(1).assert_stderr_has("unknown customer");
    let plans = env.write("plans.csv", "plan,call_types,included_minutes,description\ngold,domestic,10,G\u{0}\n");
    env.meter(&["plans", "import", &plans]).assert_bad_cell(&plans, 2, "description", "NUL byte");
    let rates = env.write("rates.csv", &format!("{RATES_HEADER}\npremium,0.50,,,,,,,,Prem\u{0}ium\n"));
    env.meter(&["rates", "import", &rates]).assert_bad_cell(&rates, 2, "description", "NUL byte");
    let decks = env.write("decks.csv", "deck,description\nwholesale,\u{0}\n");
    env.meter(&["decks", "import", &decks]).assert_bad_cell(&decks, 2, "description", "NUL byte");

    // Other layouts: a column named by the header, or by its position without one, even a
    // column the mapping does not read.
    let kazoo = env.write(
        "kazoo.csv",
        "call_id,caller_id_number,callee_id_number,duration_seconds,billing_seconds,timestamp,direction,rate
k1,+12125550100,+1305555\u{0}0199,130,125,63960934502,outbound,0.01
k2,+12125550100,+13055550199,130,125,63960934502,outbound,0.\u{0}01
",
    );
    let run = env.meter(&["cdrs", "import", &kazoo, "--preset", "kazoo", "--customer", "acme"]);
    run.assert_bad_cell(&kazoo, 2, "callee_id_number", "NUL byte").assert_bad_cell(&kazoo, 3, "rate", "NUL byte");
    let asterisk = env.write("Master.csv", &asterisk_row("1\u{0}001", "2026-11-03 09:15:02"));
    let run = env.meter(&["cdrs", "import", &asterisk, "--preset", "asterisk"]);
    run.assert_bad_cell(&asterisk, 1, "#6", "NUL byte");
    assert_no_calls(&env, "acme");
    env.assert_db_clean("after the rejected files");
}

fn an_id_longer_than_the_maximum_names_its_line_and_column(backend: Backend) {
    let env = Env::seeded_on(backend);
    // Longer than the maximum, and longer than a PostgreSQL index entry may be.
    let (longest, too_long, huge) = ("i".repeat(MAX_ID_LEN), "j".repeat(MAX_ID_LEN + 1), "k".repeat(3000));
    let row = |id: &str, minute: u32| {
        format!("{id},2026-01-05T10:{minute:02}:00Z,60,outbound,12025550199,12125550100,acme,\n")
    };
    let cdrs =
        env.write("cdrs.csv", &format!("{CDRS_HEADER}\n{}{}{}", row(&longest, 0), row(&too_long, 1), row(&huge, 2)));
    let run = env.meter(&["cdrs", "import", &cdrs]);
    let reason = format!("longer than {MAX_ID_LEN} bytes");
    run.assert_bad_cell(&cdrs, 3, "id", &reason).assert_bad_cell(&cdrs, 4, "id", &reason);
    assert_eq!(run.file_error_lines().len(), 2, "{}", run.dump());
    assert_no_calls(&env, "acme");
    // The longest id the maximum allows is stored and read back whole.
    env.import_ok("cdrs", "longest.csv", &format!("{CDRS_HEADER}\n{}", row(&longest, 0)));
    assert_eq!(env.calls("acme")[0]["id"], longest.as_str());

    // Customers, plans and decks: the same maximum, and so for a customer's domains.
    let customers = env.write(
        "customers.csv",
        &format!("id,name,netsapiens_domain\n{too_long},Long,\nshort,Short,{huge}\n{longest},Longest,\n"),
    );
    let run = env.meter(&["customers", "import", &customers]);
    run.assert_bad_cell(&customers, 2, "id", &reason).assert_bad_cell(&customers, 3, "netsapiens_domain", &reason);
    assert_eq!(run.file_error_lines().len(), 2, "{}", run.dump());
    env.meter(&["calls", "list", "--customer", &longest]).assert_code(1).assert_stderr_has("unknown customer");
    let plans = env.write("plans.csv", &format!("plan,call_types,included_minutes\n{huge},domestic,10\n"));
    env.meter(&["plans", "import", &plans]).assert_bad_cell(&plans, 2, "plan", &reason);
    let decks = env.write("decks.csv", &format!("deck\n{too_long}\n"));
    env.meter(&["decks", "import", &decks]).assert_bad_cell(&decks, 2, "deck", &reason);
    env.assert_db_clean("after the rejected files");
}

fn start_times_outside_the_years_1_to_9999_are_refused_in_every_layout(backend: Backend) {
    let env = with_numbers(backend);
    let reason = "outside the years 1 to 9999";
    // cdrs.csv: 9999-12-31 at 23:00 five hours west of UTC is already year 10000 in UTC.
    let cdrs = env.write(
        "cdrs.csv",
        "id,start,duration,direction,from,to,customer
a1,9999-12-31T23:00:00-05:00,60,outbound,12025550199,12125550100,acme
a2,0000-06-01T00:00:00Z,60,outbound,12025550199,12125550100,acme
a3,2026-01-05T10:00:00Z,60,outbound,12025550199,12125550100,acme
",
    );
    let run = env.meter(&["cdrs", "import", &cdrs]);
    run.assert_bad_cell(&cdrs, 2, "start", reason).assert_bad_cell(&cdrs, 3, "start", reason);
    assert_eq!(run.file_error_lines().len(), 2, "{}", run.dump());

    // Kazoo's Gregorian seconds: 10000-01-01 and a time in year 0.
    let kazoo = env.write(
        "kazoo.csv",
        "call_id,caller_id_number,callee_id_number,duration_seconds,billing_seconds,timestamp,direction
k1,+12125550100,+13055550199,130,125,315569520000,outbound
k2,+12125550100,+13055550199,130,125,1000,outbound
k3,+12125550100,+13055550199,130,125,63960934502,outbound
",
    );
    let run = env.meter(&["cdrs", "import", &kazoo, "--preset", "kazoo", "--customer", "acme"]);
    run.assert_bad_cell(&kazoo, 2, "timestamp", reason).assert_bad_cell(&kazoo, 3, "timestamp", reason);
    assert_eq!(run.file_error_lines().len(), 2, "{}", run.dump());

    // Asterisk's local times: the last minutes of 9999 in Los Angeles are year 10000 in UTC.
    let asterisk = env.write(
        "Master.csv",
        &(asterisk_row("1001-01", "9999-12-31 23:30:00") + &asterisk_row("1001-02", "2026-11-03 09:15:02")),
    );
    let run = env.meter(&["cdrs", "import", &asterisk, "--preset", "asterisk", "--timezone", "America/Los_Angeles"]);
    run.assert_bad_cell(&asterisk, 1, "#10", reason);
    assert_eq!(run.file_error_lines().len(), 1, "{}", run.dump());
    assert_no_calls(&env, "acme");

    // The first and the last instants of the range are stored, and listed as they were given.
    let edges = "id,start,duration,direction,from,to,customer
e1,0001-01-01T00:00:00Z,60,outbound,12025550199,12125550100,acme
e2,9999-12-31T23:59:59Z,60,outbound,12025550199,12125550100,acme
";
    assert_eq!(env.import_ok("cdrs", "edges.csv", edges), Summary::imported(2));
    let starts: Vec<String> = env.calls("acme").iter().map(|c| c["start"].as_str().unwrap_or("?").to_owned()).collect();
    assert_eq!(starts, ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]);
}

fn a_called_number_without_a_digit_is_a_bad_value(backend: Backend) {
    let env = with_numbers(backend);
    let cdrs = env.write(
        "cdrs.csv",
        "id,start,duration,direction,from,to,customer
a1,2026-01-05T10:00:00Z,60,outbound,12025550199,voicemail,acme
a2,2026-01-05T10:05:00Z,60,outbound,12025550199,=NA(),acme
a3,2026-01-05T10:10:00Z,60,inbound,Anonymous,12125550100,acme
a4,2026-01-05T10:15:00Z,60,outbound,12025550199,12125550100,acme
",
    );
    let run = env.meter(&["cdrs", "import", &cdrs]);
    run.assert_bad_cell(&cdrs, 2, "to", "`voicemail` has no digit").assert_bad_cell(
        &cdrs,
        3,
        "to",
        "`=NA()` has no digit",
    );
    assert_eq!(run.file_error_lines().len(), 2, "a caller without a digit is a withheld caller\n{}", run.dump());
    assert_no_calls(&env, "acme");

    // Other layouts: the same rule.
    let custom =
        env.write("custom.csv", "ref,began,talk,dir,caller,callee\nr-1,1793715302,125,outbound,2125550100,SALES\n");
    let spec = "id=ref,start=began,billsec=talk,direction=dir,from=caller,to=callee";
    let run = env.meter(&["cdrs", "import", &custom, "--map", spec, "--time-format", "epoch", "--customer", "acme"]);
    run.assert_bad_cell(&custom, 2, "callee", "`SALES` has no digit");
    assert_no_calls(&env, "acme");

    // A caller without a digit is a withheld caller: the call is kept, its caller as written.
    let good = "id,start,duration,direction,from,to,customer
a3,2026-01-05T10:10:00Z,60,inbound,Anonymous,12125550100,acme
";
    assert_eq!(env.import_ok("cdrs", "good.csv", good), Summary::imported(1));
    assert_eq!(env.calls("acme")[0]["from"], "Anonymous");
}
