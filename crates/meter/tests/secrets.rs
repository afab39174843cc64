//! Secrets and keys through the real binary: the database URL's password never printed, plain
//! http refused for platform URLs, source secrets listed only as "set", the key file's mode, and
//! the lost-key recovery of docs/operations.md step by step. Every test touching a database runs
//! on SQLite and on PostgreSQL.

mod common;

use common::*;
use std::process::{Command, Stdio};

const PASSWORD: &str = "hunter2-Pa55";

/// `meter ARGS` without `--db`, with only `vars` of the METER_* variables set.
fn bare(args: &[&str], vars: &[(&str, &str)]) -> Run {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = Command::new(env!("CARGO_BIN_EXE_meter"))
        .args(args)
        .current_dir(dir.path())
        .env_remove("METER_DATABASE_URL")
        .env_remove("METER_SECRET_KEY")
        .env("METER_SECRET_KEY_FILE", dir.path().join("secret.key"))
        .envs(vars.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("running meter");
    Run {
        args: args.iter().map(|s| s.to_string()).collect(),
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn help_shows_no_database_password() {
    let url = format!("postgres://billing:{PASSWORD}@db.example/meter?password={PASSWORD}");
    for args in [&["--help"][..], &["sources", "--help"], &["sources", "set", "--help"], &["-h"]] {
        let run = bare(args, &[("METER_DATABASE_URL", &url)]);
        run.assert_ok();
        assert!(run.stdout.contains("METER_DATABASE_URL"), "the variable is still named\n{}", run.dump());
        assert!(!run.stdout.contains(PASSWORD), "`meter {}` shows the password\n{}", args.join(" "), run.dump());
    }
}

#[test]
fn database_passwords_are_redacted_from_errors() {
    // Port 1 on loopback refuses at once; the other forms are refused before connecting.
    for db in [
        format!("host=db.example port=5432 password={PASSWORD} dbname=meter"),
        format!("host=db.example password = '{PASSWORD} x\\'y' user=billing"),
        format!("postgres://billing@127.0.0.1:1/meter?password={PASSWORD}"),
        format!("postgres://billing@127.0.0.1:1/meter?sslmode=disable&password={PASSWORD}&application_name=m"),
        format!("postgresql://billing:{PASSWORD}@127.0.0.1:1/meter?password={PASSWORD}"),
        format!("postgres://127.0.0.1:1/meter?user=a&password={PASSWORD}&sslmode=bogus"),
        format!("mysql://billing:{PASSWORD}@db.example/meter"),
    ] {
        let run = bare(&["--db", &db, "customers", "import", "customers.csv"], &[]);
        assert!(run.code == 1 || run.code == 2, "`{db}` is refused\n{}", run.dump());
        assert!(run.stderr.contains("***"), "the error shows the URL, redacted\n{}", run.dump());
        assert!(!run.stderr.contains(PASSWORD), "`{db}`: the password is printed\n{}", run.dump());
    }
}
