//! What meter writes, for the people and programs reading it: a reader that goes away (a
//! `| head`) ends a command quietly; CSV cells cannot become spreadsheet formulas; tables and
//! error messages show control characters from data escaped, never as terminal commands; log
//! lines carry colours only on a terminal.

mod common;

use common::*;
use std::process::Stdio;

on_both_backends! {
    every_command_ends_quietly_when_its_reader_goes_away,
    a_listing_cut_short_by_its_reader_stops_quietly,
    csv_cells_never_start_a_formula,
    tables_and_errors_show_control_characters_escaped,
    log_lines_carry_no_colour_off_a_terminal,
}

/// The exit status of a command whose reader went away: what a shell reports for a Unix tool
/// killed by SIGPIPE (128 + 13).
const READER_GONE: i32 = 141;

/// A database with calls, an invoice and an unbilled month, so that every listing has rows.
fn with_data(backend: Backend) -> (Env, String) {
    let env = Env::seeded_on(backend);
    let mut calls = Vec::new();
    for (i, day) in (1..=9).enumerate() {
        calls.push(Cdr::domestic(format!("n{i}"), "acme", &format!("2026-11-0{day}T10:00:00Z"), 60));
        calls.push(Cdr::international(format!("d{i}"), "acme", &format!("2026-12-0{day}T10:00:00Z"), 60));
    }
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&calls));
    let id = env.create_ok("acme", "2026-11-01", "2026-11-30")["id"].as_str().expect("an invoice id").to_owned();
    (env, id)
}

/// Runs `meter ARGS` with its stdout a pipe nobody reads from (the reader end is closed before
/// the command starts, so its first write finds no reader).
fn run_unread(env: &Env, args: &[&str]) -> Run {
    // (std::io::pipe is newer than the workspace's rust-version.)
    let (reader, writer) = rustix::pipe::pipe().expect("a pipe");
    drop(reader);
    let out = env.command(args).stdout(Stdio::from(writer)).output().expect("running meter");
    Run {
        args: args.iter().map(|s| s.to_string()).collect(),
        code: out.status.code().unwrap_or(-1),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn every_command_ends_quietly_when_its_reader_goes_away(backend: Backend) {
    let (env, invoice) = with_data(backend);
    let customers = env.write("customers.csv", STANDARD_CUSTOMERS);
    let december = ["--customer", "acme", "--from", "2026-12-01", "--to", "2026-12-31"];
    let commands: Vec<Vec<&str>> = vec![
        vec!["jobs", "list"],
        vec!["jobs", "list", "--format", "json"],
        vec!["sources", "list"],
        vec!["sources", "list", "--format", "json"],
        [&["invoice", "preview"][..], &december].concat(),
        [&["invoice", "preview"][..], &december, &["--format", "json"]].concat(),
        vec!["invoice", "show", &invoice],
        vec!["invoice", "show", &invoice, "--format", "json"],
        vec!["calls", "list", "--customer", "acme"],
        vec!["calls", "list", "--customer", "acme", "--format", "json"],
        vec!["calls", "list", "--customer", "acme", "--format", "csv"],
        vec!["rates", "list"],
        vec!["decks", "list", "--format", "json"],
        vec!["numbers", "list", "--customer", "acme"],
        vec!["customers", "import", &customers],
        vec!["db", "check"],
        vec!["db", "status"],
        vec!["cycle", "run", "--date", "2026-12-01"],
    ];
    for args in &commands {
        let run = run_unread(&env, args);
        // Notes a command writes on stderr as it works (the cycle's skipped customers) stay.
        assert!(
            run.code == READER_GONE && !run.stderr.contains("panicked") && !run.stderr.contains("error"),
            "`meter {}` with no reader: expected exit {READER_GONE} and no error\n{}",
            args.join(" "),
            run.dump()
        );
    }
    // The work of a command is done before it prints: the invoice whose output nobody read exists.
    let run = run_unread(&env, &[&["invoice", "create"][..], &december, &["--format", "json"]].concat());
    run.assert_code(READER_GONE);
    let listed = env.calls_csv("acme", Some(("2026-12-01", "2026-12-31")));
    assert!(listed.iter().all(|c| c.invoice.is_some()), "the December calls are on an invoice: {listed:?}");
}

fn a_listing_cut_short_by_its_reader_stops_quietly(backend: Backend) {
    let env = Env::seeded_on(backend);
    // Far more output than a pipe holds, so the command is still writing when the reader goes.
    let calls: Vec<Cdr> = (0..5_000)
        .map(|i| Cdr::domestic(i, "acme", &format!("2026-11-{:02}T{:02}:00:00Z", 1 + i % 28, i % 24), 60))
        .collect();
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&calls));
    for format in ["json", "csv", "text"] {
        let mut child = env
            .command(&["calls", "list", "--customer", "acme", "--format", format])
            .stdin(Stdio::null())
            .spawn()
            .expect("starting meter");
        let mut stdout = child.stdout.take().expect("stdout");
        let mut first = [0u8; 1];
        std::io::Read::read_exact(&mut stdout, &mut first).expect("the listing starts");
        drop(stdout); // like `| head -c 1`
        let out = child.wait_with_output().expect("meter ends");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(READER_GONE), "--format {format}: {stderr}");
        assert!(stderr.is_empty(), "--format {format}: nothing on stderr, got {stderr}");
    }
}

fn csv_cells_never_start_a_formula(backend: Backend) {
    let env = Env::seeded_on(backend);
    let cdrs = "id,start,duration,direction,from,to,customer
\"=HYPERLINK(\"\"http://x.example\"\",\"\"1\"\")\",2026-11-01T10:00:00Z,60,outbound,@SUM(1+1),+12125550100,acme
-2+3,2026-11-01T11:00:00Z,60,outbound,'quoted,12125550100,acme
plain-1,2026-11-01T12:00:00Z,60,outbound,12025550199,12125550100,acme
";
    env.import_ok("cdrs", "cdrs.csv", cdrs);
    let run = env.meter(&["calls", "list", "--customer", "acme", "--format", "csv"]);
    run.assert_ok();
    let mut reader = csv::Reader::from_reader(run.stdout.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a CSV row")).collect();
    let cells = |row: &csv::StringRecord| [row[0].to_owned(), row[6].to_owned(), row[7].to_owned()];
    assert_eq!(
        rows.iter().map(cells).collect::<Vec<_>>(),
        [
            [r#"'=HYPERLINK("http://x.example","1")"#, "'@SUM(1+1)", "'+12125550100"],
            ["'-2+3", "''quoted", "12125550100"],
            ["plain-1", "12025550199", "12125550100"],
        ]
        .map(|r| r.map(str::to_owned)),
        "cells starting with = + - @ or ' are prefixed with one '"
    );
    assert!(rows.iter().all(|r| r[11].is_empty() || !r[11].starts_with('\'')), "charges are never prefixed");
    // JSON is for programs: the values are as stored.
    let json = env.calls("acme");
    assert_eq!(json[0]["id"], r#"=HYPERLINK("http://x.example","1")"#);
    assert_eq!(json[0]["to"], "+12125550100");
}

fn tables_and_errors_show_control_characters_escaped(backend: Backend) {
    let env = Env::seeded_on(backend);
    // A title-setting and a colour sequence in numbers and a rate's description.
    let cdrs = "id,start,duration,direction,from,to,customer\n\
        e1,2026-11-01T10:00:00Z,60,outbound,\x1b]0;owned\x07,12125550100,acme\n\
        e2,2026-11-01T11:00:00Z,60,outbound,12025550199,1212\x1b[2J5550100,acme\n";
    env.import_ok("cdrs", "cdrs.csv", cdrs);
    let rates = format!("{RATES_HEADER}\ndomestic,0.05,1646,,1,1,,,,\x1b[31mred\x1b[0m\n");
    env.import_ok("rates", "more-rates.csv", &rates);
    for args in [
        &["calls", "list", "--customer", "acme"][..],
        &["rates", "list"],
        &["invoice", "preview", "--customer", "acme", "--from", "2026-11-01", "--to", "2026-11-30"],
    ] {
        let run = env.meter(args);
        run.assert_ok();
        assert!(!run.stdout.contains('\x1b'), "`meter {}` printed a raw ESC:\n{}", args.join(" "), run.stdout);
        assert!(!run.stdout.contains('\x07'), "`meter {}` printed a raw BEL:\n{}", args.join(" "), run.stdout);
    }
    let listing = env.meter(&["calls", "list", "--customer", "acme"]);
    assert!(listing.stdout.contains(r"\x1b]0;owned\x07"), "the escape is shown as text:\n{}", listing.stdout);
    assert!(env.meter(&["rates", "list"]).stdout.contains(r"\x1b[31mred\x1b[0m"));
    // An error quoting a bad cell shows it escaped too.
    let run = env.import("cdrs", "bad.csv", "id,start,duration,direction,to,customer\nb1,x,60,\x1b[0mout,1212,acme\n");
    run.assert_code(1);
    assert!(!run.stderr.contains('\x1b'), "stderr holds a raw ESC:\n{}", run.stderr);
    assert!(run.stderr.contains(r"\x1b[0mout"), "the bad value is shown escaped:\n{}", run.stderr);
}

fn log_lines_carry_no_colour_off_a_terminal(backend: Backend) {
    let (env, _) = with_data(backend);
    let run = env.meter_with_env(
        &["invoice", "preview", "--customer", "acme", "--from", "2026-12-01", "--to", "2026-12-31"],
        &[("METER_LOG", "info")],
    );
    run.assert_ok();
    assert!(run.stderr.contains("invoice.preview"), "the use case's span is logged:\n{}", run.stderr);
    assert!(!run.stderr.contains('\x1b'), "log lines on a pipe carry ANSI escapes:\n{:?}", run.stderr);
}
