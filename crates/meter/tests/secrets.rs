//! Secrets and keys through the real binary: the database URL's password never printed, plain
//! http refused for platform URLs, source secrets listed only as "set", the key file's mode, and
//! the lost-key recovery of docs/operations.md step by step. Every test touching a database runs
//! on SQLite and on PostgreSQL.

mod common;

use common::*;
use emulator::{Config, DomainSpec, Emulator};
use serde_json::Value;
use std::process::{Command, Stdio};
use store::prelude::*;
use store::AnyStore;

on_both_backends! {
    sources_set_refuses_plain_http_to_another_host_unless_allowed,
    sources_list_shows_only_that_a_secret_is_set_and_when_it_changed,
    hints_saved_by_earlier_versions_are_rewritten_by_the_migration,
    a_key_file_others_can_read_is_used_with_a_warning,
    saving_every_secret_again_needs_no_old_key,
    the_lost_key_procedure_of_the_operations_guide_works,
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
    Run::from_output(args.iter().map(|s| s.to_string()).collect(), out)
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
    &[("METER_SOURCE_CLIENT_SECRET", "Cl1ent-Secret-Value-Qz"), ("METER_SOURCE_PASSWORD", "Passw0rd-Value-xy")];

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
    let env = Env::on(backend);
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
    let list = store::with_backend!(&mut db, |db| db.read().expect("a read").source_settings()).expect("the settings");
    list.into_iter().find(|s| s.source == source).expect("the source's settings").settings
}

fn sources_list_shows_only_that_a_secret_is_set_and_when_it_changed(backend: Backend) {
    let env = Env::on(backend);
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
    for hint in ["characters", "Qz", "xy"] {
        assert!(!text.stdout.contains(hint), "the listing hints at a secret ({hint})\n{}", text.dump());
    }
    let row = text.stdout.lines().find(|l| l.trim_start().starts_with("password")).expect("a password row");
    assert!(row.contains("set, changed "), "{row}");
    let stored = stored_settings(&env, store::Source::default_of(store::Platform::Netsapiens));
    for hint in ["characters", "Qz", "xy"] {
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
    let env = Env::on(backend);
    set_netsapiens(&env, "https://pbx.example.net", &[], SECRETS).assert_ok();
    // The settings as versions before 0007_no_secret_hints saved them, and that migration not
    // applied yet.
    let legacy = r#"{"source":"netsapiens","url":"https://pbx.example.net","client_id":"reseller","username":"billing","api_version":"auto","timeout_secs":30,"client_secret":"set, 22 characters, ends …Qz","password":"set, 17 characters, ends …xy","api_key":null,"updated_at":"2026-11-01T10:00:00Z"}"#;
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
    let stored = stored_settings(&env, store::Source::default_of(store::Platform::Netsapiens));
    assert!(!stored.contains("characters") && !stored.contains('…'), "a hint is still stored: {stored}");
}

fn a_key_file_others_can_read_is_used_with_a_warning(backend: Backend) {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::on(backend);
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

/// A new key, in base64.
fn another_key() -> String {
    billing::metered::secrets::SecretKey::generate().encode()
}

fn saving_every_secret_again_needs_no_old_key(backend: Backend) {
    let env = Env::on(backend);
    set_netsapiens(&env, "https://pbx.example.net", &[], SECRETS).assert_ok();
    let before = listed_one(&env, "netsapiens");

    // The key file now holds another key (as an older meter wrote when the key was missing).
    std::fs::write(env.path("secret.key"), format!("{}\n", another_key())).expect("a key file");
    // Every secret given: saved under this key, without the old one.
    set_netsapiens(&env, "https://pbx.example.net", &[], SECRETS).assert_ok();
    let after = listed_one(&env, "netsapiens");
    assert!(before["key_id"].as_str().is_some_and(|id| id.len() == 16), "a key id: {before}");
    assert_eq!(after["key_is_current"], true, "{after}");
    assert_ne!(after["key_id"], before["key_id"]);

    // Another key again: the listing says so, and secrets not given cannot be kept.
    std::fs::write(env.path("secret.key"), format!("{}\n", another_key())).expect("a key file");
    let ns = listed_one(&env, "netsapiens");
    assert_eq!((&ns["key_id"], &ns["key_is_current"]), (&after["key_id"], &Value::from(false)), "{ns}");
    set_netsapiens(&env, "https://pbx.example.net", &[], &[("METER_SOURCE_PASSWORD", "x")])
        .assert_code(1)
        .assert_stderr_has("can be kept")
        .assert_stderr_has("give every secret again");

    // With METER_SECRET_KEY, a new key is a new value of it: new-key has no file to write.
    env.meter_with_env(&["sources", "new-key"], &[("METER_SECRET_KEY", &another_key())])
        .assert_code(1)
        .assert_stderr_has("METER_SECRET_KEY");
}

const FROM: &str = "2026-11-01";

/// acme on NetSapiens, globex on Brightlink.
const CUSTOMERS: &str = "id,name,timezone,billing_day,currency,plans,netsapiens_domain,brightlink_domain
acme,Acme Corp,UTC,1,USD,,acme.pbx.example,
globex,Globex Inc,UTC,1,USD,,,globex.pbx.example
";

fn set_source(env: &Env, source: &str, url: &str, cfg: &Config, with_secrets: bool) -> Run {
    let (client_id, username, secret, password) = match source {
        "netsapiens" => {
            let ns = &cfg.netsapiens;
            (&ns.client_id, &ns.username, &ns.client_secret, &ns.password)
        }
        _ => {
            let bl = &cfg.brightlink;
            (&bl.api_key, &bl.username, &bl.api_secret, &bl.password)
        }
    };
    let vars = [("METER_SOURCE_CLIENT_SECRET", secret.as_str()), ("METER_SOURCE_PASSWORD", password.as_str())];
    let args = ["sources", "set", source, "--url", url, "--client-id", client_id, "--username", username];
    env.meter_with_env(&args, if with_secrets { &vars[..] } else { &[] })
}

fn sync_all(env: &Env) -> Run {
    env.meter(&["sync", "--all", "--from", FROM, "--to", FROM, "--format", "json"])
}

/// docs/operations.md, "A lost key", step by step.
fn the_lost_key_procedure_of_the_operations_guide_works(backend: Backend) {
    let mut cfg = Config::demo(3);
    cfg.domains = ["acme.pbx.example", "globex.pbx.example"].map(|d| DomainSpec::new(d, 20, 4, "US/Central")).to_vec();
    let emu = Emulator::spawn(cfg.clone()).expect("the emulator");
    let env = Env::on(backend);
    env.import_ok("customers", "customers.csv", CUSTOMERS);
    let (ns_url, bl_url) = (emu.netsapiens_url(), emu.brightlink_url());
    set_source(&env, "netsapiens", &ns_url, &cfg, true).assert_ok();
    set_source(&env, "brightlink", &bl_url, &cfg, true).assert_ok();
    sync_all(&env).assert_ok();

    // The key is lost.
    let key = env.path("secret.key");
    std::fs::remove_file(&key).expect("removing the key");

    // Saving a source now makes no key: the database holds secrets sealed with the lost one.
    let refused = set_source(&env, "netsapiens", &ns_url, &cfg, true);
    assert!(!key.exists(), "a key file was made\n{}", refused.dump());
    refused.assert_code(1).assert_stderr_has("meter sources new-key");
    sync_all(&env).assert_code(1).assert_stderr_has("no secret key");

    // Step 1: `meter sources list` names the key the secrets are sealed with.
    let list = listed(&env);
    let lost = list[0]["key_id"].as_str().expect("a key id").to_owned();
    refused.assert_stderr_has(&lost);
    assert!(list.iter().all(|s| s["key_id"] == lost.as_str() && s["key_is_current"].is_null()), "{list:?}");

    // Step 2: start a new key; it lists the sources to set again.
    let new = env.meter(&["sources", "new-key"]);
    new.assert_ok();
    assert!(new.stdout.contains("netsapiens") && new.stdout.contains("brightlink"), "{}", new.dump());
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key).expect("the new key").permissions());
    assert_eq!(mode & 0o777, 0o600);
    env.meter(&["sources", "new-key"]).assert_code(1).assert_stderr_has(&key.display().to_string());

    // Step 3: set each source again with every secret. Until all are, syncs and the cycle refuse
    // to run and name the source left.
    set_source(&env, "netsapiens", &ns_url, &cfg, true).assert_ok();
    sync_all(&env).assert_code(1).assert_stderr_has("brightlink").assert_stderr_has("cannot be decrypted");
    env.meter(&["cycle", "run", "--date", FROM]).assert_code(1).assert_stderr_has("the secrets of brightlink");
    set_source(&env, "brightlink", &bl_url, &cfg, false)
        .assert_code(1)
        .assert_stderr_has("can be kept")
        .assert_stderr_has("give every secret again");
    set_source(&env, "brightlink", &bl_url, &cfg, true).assert_ok();

    // Step 4: everything works again, under the new key.
    let list = listed(&env);
    assert!(list.iter().all(|s| s["key_is_current"] == true && s["key_id"] != lost.as_str()), "{list:?}");
    let run = sync_all(&env);
    run.assert_ok();
    let jobs = run.json()["jobs"].as_array().expect("jobs").clone();
    assert_eq!(jobs.len(), 2, "{}", run.dump());
    assert!(jobs.iter().all(|j| j["state"] == "done"), "{}", run.dump());
}
