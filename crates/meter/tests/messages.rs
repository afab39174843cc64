//! Error messages that say where and why: a file that is not UTF-8 from its first line is a bad
//! row like any other (`FILE:LINE: …`); a SQLite write lock held past the busy timeout names the
//! meter command that holds it, or says that another program does, and what to do.
//!
//! The lock tests are SQLite's alone: PostgreSQL writers wait for each other as long as it takes
//! (and `pg_stat_activity` shows who holds what).

mod common;

use common::*;
use std::io::Write as _;
use std::process::{Command, Stdio};

on_both_backends! {
    a_header_that_is_not_utf8_names_its_line_and_column,
}

fn a_header_that_is_not_utf8_names_its_line_and_column(backend: Backend) {
    let env = Env::seeded_on(backend);
    // `durée` in Latin-1: 0xE9 is not UTF-8.
    let cdrs = env.path("cdrs.csv");
    let mut bytes = b"id,start,dur\xe9e,direction,from,to,customer\n".to_vec();
    bytes.extend_from_slice(b"a1,2026-01-05T10:00:00Z,60,outbound,12025550199,12125550100,acme\n");
    std::fs::write(&cdrs, bytes).expect("writing cdrs.csv");
    let cdrs = cdrs.display().to_string();
    env.meter(&["cdrs", "import", &cdrs]).assert_bad_cell(&cdrs, 1, "#3", "the header is not valid UTF-8");

    // A file without a header: its first row is a row like the others.
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/presets/asterisk-Master.csv");
    let mut master = std::fs::read(sample).expect("the sample file");
    let comma = master.iter().position(|b| *b == b',').expect("a cell");
    master.insert(comma, 0xff);
    let file = env.path("Master.csv");
    std::fs::write(&file, master).expect("writing Master.csv");
    let file = file.display().to_string();
    let run = env.meter(&["cdrs", "import", &file, "--preset", "asterisk", "--customer", "acme"]);
    run.assert_import_rejected(&file);
    assert_eq!(run.file_error_lines(), [format!("{file}:1: the row is not valid UTF-8")], "{}", run.dump());
    assert!(env.calls("acme").is_empty(), "nothing is imported");
}

/// Runs `meter ARGS` on the test's database waiting at most one second for its write lock.
fn meter_waiting_one_second(env: &Env, args: &[&str]) -> Run {
    let url = format!("{}?busy_timeout=1", env.db_url());
    let out = Command::new(env!("CARGO_BIN_EXE_meter"))
        .arg("--db")
        .arg(&url)
        .args(args)
        .env_remove("METER_DATABASE_URL")
        .env_remove("METER_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("running meter");
    Run::from_output(args.iter().map(|s| s.to_string()).collect(), out)
}

/// An invoice creation that finds nothing to bill (no state changes), run until the write lock
/// is held by someone else: its error then says who holds it.
fn blocked_invoice_creation(env: &Env) -> Run {
    let args = ["invoice", "create", "--customer", "globex", "--from", "2026-01-01", "--to", "2026-01-31"];
    for _ in 0..600 {
        let run = meter_waiting_one_second(env, &args);
        if run.stderr.contains("locked") {
            return run;
        }
        assert!(run.stderr.contains("nothing to bill"), "unexpected failure\n{}", run.dump());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("the write lock was never held");
}

#[test]
fn a_write_lock_held_too_long_names_the_meter_command_holding_it() {
    let env = Env::seeded();
    // An import reading a pipe holds the write lock until the pipe ends.
    let fifo = env.path("slow.csv");
    assert!(Command::new("mkfifo").arg(&fifo).status().expect("mkfifo").success());
    let import = env.spawn(&["cdrs", "import", &fifo.display().to_string(), "--format", "json"]);
    let mut pipe = std::fs::OpenOptions::new().write(true).open(&fifo).expect("the import opens the pipe");
    writeln!(pipe, "{CDRS_HEADER}").expect("writing the header");
    writeln!(pipe, "{}", Cdr::domestic("slow-1", "acme", "2026-01-05T10:00:00Z", 60).row()).expect("a row");
    pipe.flush().expect("flush");

    let run = blocked_invoice_creation(&env);
    run.assert_code(1);
    for needle in [
        "the database is locked",
        "an import of call records (meter cdrs import)",
        &format!("(process {})", import.pid()),
        "waited 1 s",
        "Run it again once that one has finished",
    ] {
        run.assert_stderr_has(needle);
    }

    writeln!(pipe, "{}", Cdr::domestic("slow-2", "acme", "2026-01-05T11:00:00Z", 60).row()).expect("a row");
    drop(pipe);
    let ended = import.wait(std::time::Duration::from_secs(120));
    ended.run.assert_ok();
    assert_eq!(env.calls("acme").len(), 2, "the import went on and finished");
}

#[test]
fn a_write_lock_held_too_long_by_another_program_says_so() {
    let env = Env::seeded();
    // A Python program holding SQLite's write lock until its stdin closes.
    let hold = "import sqlite3, sys\n\
        c = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
        c.execute('BEGIN IMMEDIATE')\n\
        print('holding', flush=True)\n\
        sys.stdin.read()\n";
    let mut holder = Command::new("python3")
        .args(["-c", hold, &env.db_file().display().to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut said = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(holder.stdout.as_mut().expect("stdout")), &mut said)
        .expect("the holder speaks");
    assert_eq!(said.trim(), "holding");

    let run = blocked_invoice_creation(&env);
    run.assert_code(1);
    run.assert_stderr_has("the database is locked: a program that is not meter");
    run.assert_stderr_has("Finish that program, then run this command again");

    drop(holder.stdin.take());
    assert!(holder.wait().expect("the holder ends").success());
    env.meter(&["invoice", "create", "--customer", "globex", "--from", "2026-01-01", "--to", "2026-01-31"])
        .assert_code(1)
        .assert_stderr_has("nothing to bill");
}
