//! The public golden scenarios (tests/golden and, for the rate-deck amendment,
//! tests/golden-decks, and for subscriptions and late usage tests/golden-cycle, copied unchanged
//! from the contract's scenarios), run through the real
//! binary by their own runner, once per backend: `sqlite::golden_scenarios_pass` (a database
//! file per scenario) and `postgres::golden_scenarios_pass` (a database per scenario on the
//! test server (`testkit::test_server_url`), which the runner creates and drops with
//! `psql`).

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

on_both_backends! {
    golden_scenarios_pass,
}

fn golden_scenarios_pass(backend: Backend) {
    let server = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => {
            let admin = testkit::test_server_url();
            let psql = Command::new("psql").arg("--version").output();
            assert!(
                psql.is_ok_and(|o| o.status.success()),
                "`psql`, which the scenario runner uses to create and drop its databases, is not on PATH"
            );
            Some(server_url(&admin))
        }
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut cmd = Command::new("python3");
    cmd.arg(root.join("tests/golden/run.py"))
        .arg(root.join("tests/golden"))
        .arg(root.join("tests/golden-decks"))
        .arg(root.join("tests/golden-cycle"))
        .args(["--jobs", "2", "-v"])
        .env("METER_BIN", env!("CARGO_BIN_EXE_meter"))
        .env_remove("METER_DATABASE_URL");
    match &server {
        // The runner wants the server alone: it appends `/postgres` and `/<database>` itself.
        Some(server) => cmd.env("METER_SCENARIO_POSTGRES", server),
        None => cmd.env_remove("METER_SCENARIO_POSTGRES"),
    };
    let out = cmd.output().expect("python3 runs the scenario runner");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    let on = server.as_deref().map_or_else(|| "SQLite".to_owned(), |s| format!("PostgreSQL {}", store::redact_url(s)));
    assert!(out.status.success(), "golden scenarios failed on {on}:\n{stdout}");
    assert!(stdout.contains(" passed, 0 failed"), "unexpected runner output on {on}:\n{stdout}");
}

/// The server part of a PostgreSQL URL: `postgres://user@host:port/db?opts` →
/// `postgres://user@host:port`.
fn server_url(url: &str) -> String {
    let base = url.split(['?', '#']).next().unwrap_or(url);
    let authority = base.find("://").map_or(0, |i| i + 3);
    match base[authority..].find('/') {
        Some(slash) => base[..authority + slash].to_owned(),
        None => base.to_owned(),
    }
}

#[test]
fn the_server_url_drops_the_database_and_the_query() {
    for (url, server) in [
        ("postgres://postgres@127.0.0.1:5432/postgres", "postgres://postgres@127.0.0.1:5432"),
        ("postgres://u:secret@db.example:6543/admin?sslmode=disable", "postgres://u:secret@db.example:6543"),
        ("postgresql://localhost", "postgresql://localhost"),
        ("postgres://localhost?user=postgres", "postgres://localhost"),
        ("postgres://localhost/", "postgres://localhost"),
    ] {
        assert_eq!(server_url(url), server, "{url}");
    }
}
