//! Schema versions and whose database it is: a meter older than the database refuses to run on
//! it, `db status` names what it does not know, `db check` applies nothing, a database another
//! application made is not migrated into, and a database this process cannot write is read
//! without being written.

mod common;

use common::*;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::os::unix::process::CommandExt as _;
use std::process::{Command, Stdio};

on_both_backends! {
    a_database_newer_than_meter_is_refused_and_db_status_names_what_it_does_not_know,
    db_check_applies_no_migration,
    a_database_of_another_application_is_refused,
    a_database_meter_cannot_write_is_listed_and_checked_without_writing,
}

/// Runs SQL on the test's database with the backend's own client (python3's sqlite3, psql); returns
/// what it printed.
fn sql(env: &Env, statement: &str) -> String {
    let out = match env.backend {
        Backend::Sqlite => Command::new("python3")
            .args(["-c", "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nfor r in c.execute(sys.argv[2]): print(*r)\nc.commit()"])
            .arg(env.db_file())
            .arg(statement)
            .output(),
        Backend::Postgres => Command::new(psql()).args(["-XqAt", "-v", "ON_ERROR_STOP=1", "-d", env.db_url(), "-c", statement]).output(),
    };
    let out = out.expect("running the database's client");
    assert!(out.status.success(), "{statement}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn a_database_newer_than_meter_is_refused_and_db_status_names_what_it_does_not_know(backend: Backend) {
    let env = Env::seeded_on(backend);
    sql(&env, "INSERT INTO meter_migrations (name) VALUES ('9999_from_a_newer_meter')");
    for args in [
        &["calls", "list", "--customer", "acme"][..],
        &["customers", "import", "x.csv"],
        &["db", "migrate"],
        &["db", "check"],
    ] {
        let run = env.meter(args);
        run.assert_code(1);
        run.assert_stderr_has("the database is newer than this meter").assert_stderr_has("9999_from_a_newer_meter");
    }
    let status = env.meter(&["db", "status"]);
    status.assert_ok();
    let line = status
        .stdout
        .lines()
        .find(|l| l.starts_with("9999_from_a_newer_meter"))
        .unwrap_or_else(|| panic!("{}", status.dump()));
    assert!(line.contains("applied") && line.ends_with("unknown to this meter"), "{line}");
    assert!(status.stdout.lines().filter(|l| l.ends_with("pending")).count() == 0, "{}", status.dump());
}

fn db_check_applies_no_migration(backend: Backend) {
    let env = Env::on(backend);
    let check = env.meter(&["db", "check", "--format", "json"]);
    check.assert_code(1);
    let problems = check.json()["problems"].as_array().expect("problems").clone();
    assert!(
        !problems.is_empty()
            && problems
                .iter()
                .all(|p| p.as_str().is_some_and(|p| p.contains("0001_init") || p.contains("is not applied"))),
        "{}",
        check.dump()
    );
    assert!(
        problems[0].as_str().is_some_and(|p| p.starts_with("migration 0001_init is not applied")),
        "{}",
        check.dump()
    );
    let status = env.meter(&["db", "status"]);
    status.assert_ok();
    assert!(status.stdout.lines().all(|l| l.ends_with("pending")), "db check applied migrations:\n{}", status.dump());
    env.meter(&["db", "migrate"]).assert_ok();
    env.meter(&["db", "check"]).assert_ok();
}

fn a_database_of_another_application_is_refused(backend: Backend) {
    let env = Env::on(backend);
    if backend == Backend::Sqlite {
        std::fs::write(env.db_file(), "").expect("an empty file");
    }
    sql(&env, "CREATE TABLE notes (body TEXT)");
    for args in [&["calls", "list", "--customer", "acme"][..], &["db", "migrate"], &["db", "status"], &["db", "check"]]
    {
        let run = env.meter(args);
        run.assert_code(1);
        run.assert_stderr_has("not a meter database: it holds tables meter did not make (notes)");
    }
    let tables = match backend {
        Backend::Sqlite => sql(&env, "SELECT name FROM sqlite_master WHERE type = 'table'"),
        Backend::Postgres => sql(&env, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"),
    };
    assert_eq!(tables.trim(), "notes", "meter changed the other application's database");
}

/// Every listing and checking command, which must work on a database they cannot write.
const READING: &[&[&str]] = &[
    &["calls", "list", "--customer", "acme"],
    &["calls", "list", "--customer", "acme", "--format", "csv"],
    &["invoice", "show", "D-1"],
    &["invoice", "preview", "--customer", "acme", "--from", "2026-01-01", "--to", "2026-01-31"],
    &["invoice", "render", "D-1", "--format", "csv", "--output", "-"],
    &["invoice", "render", "D-1", "--format", "html", "--output", "-", "--with-calls"],
    &["rates", "list"],
    &["decks", "list"],
    &["numbers", "list", "--customer", "acme"],
    &["jobs", "list"],
    &["sources", "list"],
    &["users", "list"],
    &["tokens", "list", "--format", "json"],
    &["db", "status"],
    &["db", "check"],
];

fn a_database_meter_cannot_write_is_listed_and_checked_without_writing(backend: Backend) {
    let env = Env::seeded_on(backend);
    let calls = [
        Cdr::domestic("c1", "acme", "2026-01-05T10:00:00Z", 60),
        Cdr::domestic("c2", "acme", "2026-02-05T10:00:00Z", 60),
    ];
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&calls));
    assert_eq!(env.create_ok("acme", "2026-01-01", "2026-01-31")["id"], "D-1");
    let expected: Vec<Run> = READING.iter().map(|args| env.meter(args)).collect();
    for run in &expected {
        run.assert_ok();
    }
    match backend {
        Backend::Sqlite => {
            let dir = env.path("");
            let before = files_of(&dir);
            // Another user, to whom the file and its directory are read-only (root writes anyway).
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
            let as_root = std::fs::metadata("/proc/self").expect("/proc/self").uid() == 0;
            for (args, expected) in READING.iter().zip(&expected) {
                let mut cmd = env.command(args);
                if as_root {
                    cmd.uid(65534).gid(65534);
                }
                let run = run_of(args, cmd);
                assert_eq!((run.code, &run.stdout), (0, &expected.stdout), "as another user: {}", run.dump());
            }
            assert_eq!(files_of(&dir), before, "reading changed the database's directory");
            // Mode 0444: read-only to everyone, root included by meter's own choice.
            std::fs::set_permissions(env.db_file(), std::fs::Permissions::from_mode(0o444)).expect("chmod");
            for (args, expected) in READING.iter().zip(&expected) {
                let run = env.meter(args);
                assert_eq!((run.code, &run.stdout), (0, &expected.stdout), "mode 0444: {}", run.dump());
            }
            assert_eq!(files_of(&dir), before, "reading changed the database's directory");
            let write = env.import("customers", "more.csv", "id,name\nwayne,Wayne Enterprises\n");
            write.assert_code(1);
            write.assert_stderr_has("read-only");
        }
        Backend::Postgres => {
            let reader = Reader::new(&env);
            for (args, expected) in READING.iter().zip(&expected) {
                let mut cmd = Command::new(env!("CARGO_BIN_EXE_meter"));
                cmd.arg("--db").arg(&reader.url).args(*args).current_dir(env.path("")).env_remove("METER_DATABASE_URL");
                let run = run_of(args, cmd);
                assert_eq!((run.code, &run.stdout), (0, &expected.stdout), "as {}: {}", reader.role, run.dump());
            }
        }
    }
}

/// A PostgreSQL role that may read every table of the test's database and write none; dropped
/// with the value (roles belong to the whole server).
struct Reader<'a> {
    env: &'a Env,
    role: String,
    url: String,
}

impl Reader<'_> {
    fn new(env: &Env) -> Reader<'_> {
        let role = format!("meter_reader_{}", std::process::id());
        sql(
            env,
            &format!(
                "CREATE ROLE {role} LOGIN PASSWORD 'reader'; GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"
            ),
        );
        let url = env.db_url();
        let (scheme, rest) = url.split_at(url.find("://").expect("a URL") + 3);
        let host = &rest[rest.find('@').map_or(0, |at| at + 1)..];
        Reader { env, url: format!("{scheme}{role}:reader@{host}"), role }
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        sql(self.env, &format!("DROP OWNED BY {0}; DROP ROLE {0}", self.role));
    }
}

/// Each file of a directory with its size, modification time and contents.
fn files_of(dir: &std::path::Path) -> Vec<(String, u64, i64, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("the test's directory")
        .flatten()
        .map(|e| {
            let meta = e.metadata().expect("metadata");
            let bytes = if meta.is_file() { std::fs::read(e.path()).unwrap_or_default() } else { Vec::new() };
            (
                e.file_name().to_string_lossy().into_owned(),
                meta.len(),
                meta.mtime_nsec() + meta.mtime() * 1_000_000_000,
                bytes,
            )
        })
        .collect();
    files.sort();
    files
}

fn run_of(args: &[&str], mut cmd: Command) -> Run {
    let out = cmd.stdin(Stdio::null()).output().expect("running meter");
    Run {
        args: args.iter().map(|s| s.to_string()).collect(),
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
