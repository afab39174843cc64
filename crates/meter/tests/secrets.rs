//! Secrets and keys through the real binary: the database URL's password never printed, plain
//! http refused for platform URLs, source secrets listed only as "set", the key file's mode, and
//! the lost-key recovery of docs/operations.md step by step. Every test touching a database runs
//! on SQLite and on PostgreSQL.

mod common;

use common::*;
use serde_json::Value;
use std::process::{Command, Stdio};
use store::{AnyStore, Store, StoreTx};

on_both_backends! {
    sources_set_refuses_plain_http_to_another_host_unless_allowed,
    sources_list_shows_only_that_a_secret_is_set_and_when_it_changed,
    hints_saved_by_earlier_versions_are_rewritten_by_the_migration,
    a_key_file_others_can_read_is_used_with_a_warning,
}

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

/// `sources set netsapiens --url URL` with both secrets and `extra` arguments.
fn set_netsapiens(env: &Env, url: &str, extra: &[&str], secrets: &[(&str, &str)]) -> Run {
    let mut args =
        vec!["sources", "set", "netsapiens", "--url", url, "--client-id", "reseller", "--username", "billing"];
    args.extend_from_slice(extra);
    env.meter_with_env(&args, secrets)
}

const SECRETS: &[(&str, &str)] =
    &[("METER_SOURCE_CLIENT_SECRET", "Cl1ent-Secret-Value-9f"), ("METER_SOURCE_PASSWORD", "Passw0rd-Value-xy")];

/// `sources list --format json`: the listed sources.
#[track_caller]
fn listed(env: &Env) -> Vec<Value> {
    let run = env.meter(&["sources", "list", "--format", "json"]);
    run.assert_ok();
    run.json()["sources"].as_array().expect("sources").clone()
}

#[track_caller]
fn listed_one(env: &Env, source: &str) -> Value {
    listed(env).into_iter().find(|s| s["source"] == source).unwrap_or_else(|| panic!("{source} is listed"))
}

fn sources_set_refuses_plain_http_to_another_host_unless_allowed(backend: Backend) {
    let Some(env) = Env::on(backend) else { return };
    for url in
        ["http://pbx.example.net", "http://10.0.0.5:8080/", "http://localhost.example.com", "HTTP://pbx.example.net"]
    {
        let run = set_netsapiens(&env, url, &[], SECRETS);
        run.assert_usage_error().assert_stderr_has("plain http").assert_stderr_has("--allow-insecure");
        assert!(listed(&env).is_empty(), "`{url}` was refused, nothing is saved");
    }

    let run = set_netsapiens(&env, "http://pbx.example.net", &["--allow-insecure"], SECRETS);
    run.assert_ok().assert_stderr_has("warning: ").assert_stderr_has("http://pbx.example.net");
    assert_eq!(listed_one(&env, "netsapiens")["url"], "http://pbx.example.net");

    // This machine, or https: no warning.
    for url in [
        "http://127.0.0.1:8080",
        "http://127.5.6.7/",
        "http://localhost:8080/",
        "http://LOCALHOST",
        "http://[::1]:8080",
        "https://pbx.example.net",
    ] {
        let run = set_netsapiens(&env, url, &[], SECRETS);
        run.assert_ok();
        assert!(!run.stderr.contains("warning"), "`{url}` is not insecure\n{}", run.dump());
    }
}

/// The stored settings JSON of a source, read straight from the database.
fn stored_settings(env: &Env, source: store::Source) -> String {
    let mut db = AnyStore::connect_url(env.db_url()).expect("the database");
    let list = db.read().expect("a read").source_settings().expect("the settings");
    list.into_iter().find(|s| s.source == source).expect("the source's settings").settings
}

fn sources_list_shows_only_that_a_secret_is_set_and_when_it_changed(backend: Backend) {
    let Some(env) = Env::on(backend) else { return };
    set_netsapiens(&env, "https://pbx.example.net", &[], SECRETS).assert_ok();
    let first = listed_one(&env, "netsapiens");
    assert_eq!((&first["client_secret"], &first["password"]), (&Value::from("set"), &Value::from("set")), "{first}");
    assert_eq!(first["api_key"], Value::Null);
    for field in ["client_secret_changed_at", "password_changed_at"] {
        let at = first[field].as_str().unwrap_or_else(|| panic!("{field} in {first}"));
        at.parse::<chrono::DateTime<chrono::Utc>>().unwrap_or_else(|e| panic!("{field} `{at}`: {e}"));
    }
    assert_eq!(first["api_key_changed_at"], Value::Null);

    let text = env.meter(&["sources", "list"]);
    text.assert_ok();
    for hint in ["characters", "9f", "xy"] {
        assert!(!text.stdout.contains(hint), "the listing hints at a secret ({hint})\n{}", text.dump());
    }
    let row = text.stdout.lines().find(|l| l.trim_start().starts_with("password")).expect("a password row");
    assert!(row.contains("set, changed "), "{row}");
    let stored = stored_settings(&env, store::Source::Netsapiens);
    for hint in ["characters", "9f", "xy"] {
        assert!(!stored.contains(hint), "the stored settings hint at a secret ({hint}): {stored}");
    }

    // A new password only: its time changes, the client secret's does not.
    set_netsapiens(&env, "https://pbx.example.net", &[], &[("METER_SOURCE_PASSWORD", "An0ther-Passw0rd")]).assert_ok();
    let second = listed_one(&env, "netsapiens");
    assert_eq!(second["client_secret_changed_at"], first["client_secret_changed_at"]);
    assert_ne!(second["password_changed_at"], first["password_changed_at"]);
}

/// Runs SQL on the test's database: `psql` on PostgreSQL, Python's sqlite3 on SQLite.
#[track_caller]
fn sql(env: &Env, statements: &str) {
    let out = match env.backend {
        Backend::Postgres => {
            Command::new(psql()).args(["-XqAt", "-v", "ON_ERROR_STOP=1", "-d", env.db_url(), "-c", statements]).output()
        }
        Backend::Sqlite => Command::new("python3")
            .args([
                "-c",
                "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nc.executescript(sys.argv[2])\nc.commit()",
            ])
            .arg(env.db_url().trim_start_matches("sqlite://"))
            .arg(statements)
            .output(),
    }
    .expect("running the SQL client");
    assert!(out.status.success(), "{statements}: {}", String::from_utf8_lossy(&out.stderr));
}

fn hints_saved_by_earlier_versions_are_rewritten_by_the_migration(backend: Backend) {
    let Some(env) = Env::on(backend) else { return };
    set_netsapiens(&env, "https://pbx.example.net", &[], SECRETS).assert_ok();
    // The settings as versions before 0007_no_secret_hints saved them, and that migration not
    // applied yet.
    let legacy = r#"{"source":"netsapiens","url":"https://pbx.example.net","client_id":"reseller","username":"billing","api_version":"auto","timeout_secs":30,"client_secret":"set, 22 characters, ends …9f","password":"set, 17 characters, ends …xy","api_key":null,"updated_at":"2026-11-01T10:00:00Z"}"#;
    sql(
        &env,
        &format!(
            "UPDATE source_settings SET settings = '{legacy}';
             DELETE FROM meter_migrations WHERE name = '0007_no_secret_hints';"
        ),
    );
    let ns = listed_one(&env, "netsapiens");
    assert_eq!((&ns["client_secret"], &ns["password"], &ns["api_key"]), (&"set".into(), &"set".into(), &Value::Null));
    assert_eq!(ns["password_changed_at"], Value::Null, "not known for secrets saved before: {ns}");
    let stored = stored_settings(&env, store::Source::Netsapiens);
    assert!(!stored.contains("characters") && !stored.contains('…'), "a hint is still stored: {stored}");
}

fn a_key_file_others_can_read_is_used_with_a_warning(backend: Backend) {
    use std::os::unix::fs::PermissionsExt;
    let Some(env) = Env::on(backend) else { return };
    let run = set_netsapiens(&env, "https://pbx.example.net", &[], SECRETS);
    run.assert_ok();
    assert!(!run.stderr.contains("warning"), "{}", run.dump());
    let key = env.path("secret.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let run = set_netsapiens(&env, "https://pbx.example.net", &[], &[]);
    run.assert_ok()
        .assert_stderr_has("warning: ")
        .assert_stderr_has(&key.display().to_string())
        .assert_stderr_has(&format!("chmod 600 {}", key.display()));
}
