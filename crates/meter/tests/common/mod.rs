//! Shared helpers for the `meter` integration tests: a fresh database per test (an SQLite file
//! in a temporary directory, or a new PostgreSQL database), files written in that directory, and
//! the real binary run against it.
//!
//! Every behavioural test runs on both backends: it is written once as `fn name(backend:
//! Backend)` and listed in [`on_both_backends!`]. The PostgreSQL runs need
//! `METER_TEST_POSTGRES_URL` (an administrator's URL, e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`); without it they report themselves skipped,
//! except under CI, where a missing server is a failure.
//!
//! A test reads as a story:
//!
//! ```ignore
//! let env = Env::seeded_on(backend);
//! let cdrs = env.write("cdrs.csv", "id,start,duration,direction,to,customer\n...");
//! let run = env.meter(&["cdrs", "import", &cdrs, "--format", "json"]);
//! run.assert_ok();
//! ```

#![allow(dead_code)]

pub mod platforms;
pub mod server;
pub mod tools;
pub mod web;

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The header of the standard rates.csv files (every column of the contract).
pub const RATES_HEADER: &str =
    "call_type,rate,prefix,connection_fee,initial_increment,subsequent_increment,effective_from,effective_to,customer,description";

/// The header of the cdrs.csv files the helpers write.
pub const CDRS_HEADER: &str = "id,start,duration,direction,from,to,customer,call_type";

/// The standard plan: 100 included minutes of domestic and on-net calls per period, and a
/// second plan with 10 minutes of international calls.
pub const STANDARD_PLANS: &str = "plan,call_types,included_minutes,description
basic,domestic|on_net,100,Domestic bundle
world,international,10,Some international minutes
";

/// The standard customers: `acme` (UTC, billing day 1, both plans, a NetSapiens domain) and
/// `globex` (New York, no plans, a Brightlink domain).
pub const STANDARD_CUSTOMERS: &str = "id,name,timezone,billing_day,currency,plans,netsapiens_domain,brightlink_domain
acme,Acme Corp,UTC,1,USD,basic|world,acme.pbx.example,
globex,Globex Inc,America/New_York,1,USD,,,globex.pbx.example
";

/// The standard default deck, per-second billing (increments 1/1) and no connection fees, so
/// that a call's billable seconds are its duration and a charge tells its charged seconds:
/// domestic costs 0.001 per second, international 0.01, on-net 0.0001.
pub const STANDARD_RATES: &str = "call_type,rate,prefix,connection_fee,initial_increment,subsequent_increment,effective_from,effective_to,customer,description
domestic,0.06,,,1,1,,,,US domestic
international,0.60,,,1,1,,,,International
on_net,0.006,,,1,1,,,,On-net
";

/// The per-second price of the standard deck's call types, in ten-thousandths (charge units).
pub fn standard_price_e4_per_second(call_type: &str) -> Option<u64> {
    match call_type {
        "domestic" => Some(10),
        "international" => Some(100),
        "on_net" => Some(1),
        _ => None,
    }
}

/// What one run of `meter` did.
#[derive(Debug, Clone)]
pub struct Run {
    pub args: Vec<String>,
    /// The exit status; -1 when killed by a signal.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// What a finished `meter` process did.
    pub fn from_output(args: Vec<String>, out: std::process::Output) -> Run {
        Run {
            args,
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Asserts the exit status, showing everything about the run when it differs.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code,
            code,
            "`meter {}` exited {}, expected {code}\n{}",
            self.args.join(" "),
            self.code,
            self.dump()
        );
        self
    }

    #[track_caller]
    pub fn assert_ok(&self) -> &Run {
        self.assert_code(0)
    }

    /// Asserts a usage error: status 2 and a cause on stderr.
    #[track_caller]
    pub fn assert_usage_error(&self) -> &Run {
        self.assert_code(2);
        assert!(self.stderr.contains("error"), "no cause on stderr\n{}", self.dump());
        self
    }

    /// Asserts that stderr contains `needle`.
    #[track_caller]
    pub fn assert_stderr_has(&self, needle: &str) -> &Run {
        assert!(self.stderr.contains(needle), "stderr lacks {needle:?}\n{}", self.dump());
        self
    }

    /// Asserts that stdout is empty.
    #[track_caller]
    pub fn assert_no_stdout(&self) -> &Run {
        assert!(self.stdout.trim().is_empty(), "stdout is not empty\n{}", self.dump());
        self
    }

    /// Stdout parsed as the one JSON document it must be.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e})\n{}", self.dump()))
    }

    /// The error lines on stderr that name a file position (`  FILE:LINE: ...`), trimmed.
    pub fn file_error_lines(&self) -> Vec<&str> {
        self.stderr.lines().filter(|l| l.starts_with("  ")).map(str::trim).collect()
    }

    /// Asserts the all-or-nothing failure of an import: status 1, the headline naming the file,
    /// and one error line `FILE:LINE: column COL: REASON…` whose reason contains `reason`.
    #[track_caller]
    pub fn assert_bad_cell(&self, file: &str, line: u64, column: &str, reason: &str) -> &Run {
        self.assert_import_rejected(file);
        let prefix = format!("{file}:{line}: column {column}: ");
        let found =
            self.file_error_lines().into_iter().any(|l| l.starts_with(&prefix) && l[prefix.len()..].contains(reason));
        assert!(found, "no error line `{prefix}…{reason}…`\n{}", self.dump());
        self
    }

    /// Asserts status 1 and the headline `error: FILE: N bad row(s), nothing imported`.
    #[track_caller]
    pub fn assert_import_rejected(&self, file: &str) -> &Run {
        self.assert_code(1);
        let head = self.stderr.lines().next().unwrap_or("");
        assert!(
            head.starts_with(&format!("error: {file}: ")) && head.ends_with("nothing imported"),
            "the first stderr line does not name the file and say nothing was imported\n{}",
            self.dump()
        );
        assert!(self.stdout.trim().is_empty(), "a rejected import printed a summary\n{}", self.dump());
        self
    }

    /// The number of bad rows the headline announces.
    pub fn bad_row_count(&self) -> Option<u64> {
        let head = self.stderr.lines().next()?;
        let rest = head.rsplit_once(": ")?.1;
        rest.split_whitespace().next()?.parse().ok()
    }

    pub fn dump(&self) -> String {
        format!("--- stdout ---\n{}\n--- stderr ---\n{}", self.stdout, self.stderr)
    }
}

pub use testkit::Backend;
// Every test program compiles this module; the ones with no test on both backends leave it unused.
#[allow(unused_imports)]
pub use testkit::on_both_backends;

/// A fresh database in its own temporary directory (SQLite: the file is there; PostgreSQL: a new
/// database, dropped with the value).
pub struct Env {
    dir: tempfile::TempDir,
    db: String,
    pub backend: Backend,
    postgres: Option<testkit::TempDatabase>,
}

impl Env {
    /// An empty SQLite database (created by the first command).
    pub fn new() -> Env {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let db = format!("sqlite://{}", dir.path().join("meter.db").display());
        Env { dir, db, backend: Backend::Sqlite, postgres: None }
    }

    /// An empty database on `backend`.
    pub fn on(backend: Backend) -> Env {
        match backend {
            Backend::Sqlite => Env::new(),
            Backend::Postgres => {
                let pg = testkit::TempDatabase::for_test();
                let dir = tempfile::tempdir().expect("a temporary directory");
                Env { dir, db: pg.url().to_owned(), backend, postgres: Some(pg) }
            }
        }
    }

    /// A database with the standard plans, customers and rates imported.
    pub fn seeded() -> Env {
        let env = Env::new();
        env.seed_standard();
        env
    }

    /// [`Env::seeded`] on `backend`.
    pub fn seeded_on(backend: Backend) -> Env {
        let env = Env::on(backend);
        env.seed_standard();
        env
    }

    /// Imports the standard plans, customers and rates (see the constants above).
    pub fn seed_standard(&self) {
        self.import_ok("plans", "plans.csv", STANDARD_PLANS);
        self.import_ok("customers", "customers.csv", STANDARD_CUSTOMERS);
        self.import_ok("rates", "rates.csv", STANDARD_RATES);
    }

    pub fn db_url(&self) -> &str {
        &self.db
    }

    /// The path of a file in the test's directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a file in the test's directory; returns its path as the CLI is given it.
    pub fn write(&self, name: &str, contents: &str) -> String {
        let p = self.path(name);
        std::fs::write(&p, contents).expect("writing a test file");
        p.display().to_string()
    }

    /// The `meter` command with `--db` set, ready to run or spawn.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_meter"));
        cmd.arg("--db")
            .arg(&self.db)
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("METER_DATABASE_URL")
            .env_remove("METER_LOG")
            // Source secrets are sealed with a key in the test's own directory, never the user's.
            .env_remove("METER_SECRET_KEY")
            .env("METER_SECRET_KEY_FILE", self.dir.path().join("secret.key"))
            .env_remove("METER_SOURCE_CLIENT_SECRET")
            .env_remove("METER_SOURCE_PASSWORD")
            .env_remove("METER_SOURCE_API_KEY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Runs `meter --db … ARGS` and waits for it.
    pub fn meter(&self, args: &[&str]) -> Run {
        self.meter_with_env(args, &[])
    }

    /// Runs `meter --db … ARGS` with extra environment variables.
    pub fn meter_with_env(&self, args: &[&str], vars: &[(&str, &str)]) -> Run {
        let out = self.command(args).envs(vars.iter().copied()).output().expect("running meter");
        Run::from_output(args.iter().map(|s| s.to_string()).collect(), out)
    }

    /// Writes `name` and runs `meter KIND import FILE --format json` (KIND: plans, customers,
    /// rates, cdrs), plus any extra arguments.
    pub fn import_with(&self, kind: &str, name: &str, contents: &str, extra: &[&str]) -> Run {
        let path = self.write(name, contents);
        let mut args = vec![kind, "import", path.as_str(), "--format", "json"];
        args.extend_from_slice(extra);
        self.meter(&args)
    }

    pub fn import(&self, kind: &str, name: &str, contents: &str) -> Run {
        self.import_with(kind, name, contents, &[])
    }

    /// An import that must succeed; returns its summary.
    #[track_caller]
    pub fn import_ok(&self, kind: &str, name: &str, contents: &str) -> Summary {
        let run = self.import(kind, name, contents);
        run.assert_ok();
        Summary::of(&run.json())
    }

    /// `calls list --customer C --format json`: every call of the customer.
    #[track_caller]
    pub fn calls(&self, customer: &str) -> Vec<Value> {
        let run = self.meter(&["calls", "list", "--customer", customer, "--format", "json"]);
        run.assert_ok();
        run.json()["calls"].as_array().expect("a `calls` array").clone()
    }

    /// `invoice preview … --format json`, which must succeed.
    #[track_caller]
    pub fn preview(&self, customer: &str, from: &str, to: &str) -> Value {
        let run =
            self.meter(&["invoice", "preview", "--customer", customer, "--from", from, "--to", to, "--format", "json"]);
        run.assert_ok();
        run.json()
    }

    /// `invoice create … --format json`, whatever its outcome.
    pub fn create(&self, customer: &str, from: &str, to: &str) -> Run {
        self.meter(&["invoice", "create", "--customer", customer, "--from", from, "--to", to, "--format", "json"])
    }

    /// `invoice create … --format json`, which must succeed; returns the invoice document.
    #[track_caller]
    pub fn create_ok(&self, customer: &str, from: &str, to: &str) -> Value {
        let run = self.create(customer, from, to);
        run.assert_ok();
        run.json()
    }

    /// `invoice show ID --format json`, which must succeed.
    #[track_caller]
    pub fn show(&self, id: &str) -> Value {
        let run = self.meter(&["invoice", "show", id, "--format", "json"]);
        run.assert_ok();
        run.json()
    }
}

impl Default for Env {
    fn default() -> Self {
        Env::new()
    }
}

/// An import summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub imported: u64,
    pub updated: u64,
    pub duplicates: u64,
    pub conflicts: u64,
}

impl Summary {
    pub fn of(v: &Value) -> Summary {
        let n = |k: &str| v[k].as_u64().unwrap_or_else(|| panic!("summary field {k} missing in {v}"));
        Summary {
            imported: n("imported"),
            updated: n("updated"),
            duplicates: n("duplicates"),
            conflicts: n("conflicts"),
        }
    }

    pub fn imported(n: u64) -> Summary {
        Summary { imported: n, updated: 0, duplicates: 0, conflicts: 0 }
    }
}

/// One call record for cdrs.csv (columns of [`CDRS_HEADER`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cdr {
    pub id: String,
    /// RFC 3339, UTC.
    pub start: String,
    pub duration: u32,
    pub direction: &'static str,
    pub from: String,
    pub to: String,
    pub customer: String,
    /// Empty = classify.
    pub call_type: String,
}

impl Cdr {
    /// An outbound domestic call (to a New York number) of the customer.
    pub fn domestic(id: impl ToString, customer: &str, start: &str, duration: u32) -> Cdr {
        Cdr {
            id: id.to_string(),
            start: start.to_owned(),
            duration,
            direction: "outbound",
            from: "12025550199".into(),
            to: "12125550100".into(),
            customer: customer.to_owned(),
            call_type: String::new(),
        }
    }

    /// An outbound international call (to London).
    pub fn international(id: impl ToString, customer: &str, start: &str, duration: u32) -> Cdr {
        Cdr { to: "+442079460000".into(), ..Cdr::domestic(id, customer, start, duration) }
    }

    /// An on-net call (to an extension).
    pub fn on_net(id: impl ToString, customer: &str, start: &str, duration: u32) -> Cdr {
        Cdr { to: "1234".into(), ..Cdr::domestic(id, customer, start, duration) }
    }

    /// A call with its own call type, which the standard deck does not rate.
    pub fn premium(id: impl ToString, customer: &str, start: &str, duration: u32) -> Cdr {
        Cdr { to: "19005550100".into(), call_type: "premium".into(), ..Cdr::domestic(id, customer, start, duration) }
    }

    /// The call type the standard deck bills it as.
    pub fn expected_type(&self) -> &str {
        if !self.call_type.is_empty() {
            &self.call_type
        } else if self.to.starts_with('+') {
            "international"
        } else if self.to.len() <= 6 {
            "on_net"
        } else {
            "domestic"
        }
    }

    pub fn row(&self) -> String {
        format!(
            "{},{},{},{},{},{},{},{}",
            self.id, self.start, self.duration, self.direction, self.from, self.to, self.customer, self.call_type
        )
    }
}

/// A cdrs.csv document with [`CDRS_HEADER`].
pub fn cdrs_csv(calls: &[Cdr]) -> String {
    let mut s = String::from(CDRS_HEADER);
    s.push('\n');
    for c in calls {
        s.push_str(&c.row());
        s.push('\n');
    }
    s
}

/// A small deterministic pseudo-random generator (SplitMix64), so tests need no extra crate
/// and every run sees the same data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// `count` calls of `customer` spread over the whole days `first_day ..= last_day` (UTC dates
/// given as days since 1970-01-01 are awkward, so days are (year, month, day) triples in a
/// list), mostly answered domestic and international calls, with some on-net, unanswered and
/// unrated (`premium`) ones.
pub fn random_calls(rng: &mut Rng, customer: &str, days: &[(i32, u32, u32)], count: usize) -> Vec<Cdr> {
    (0..count)
        .map(|i| {
            let (y, m, d) = days[rng.below(days.len() as u64) as usize];
            let secs = rng.below(86_400);
            let start = format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs / 60 % 60, secs % 60);
            let duration = if rng.below(10) == 0 { 0 } else { 1 + rng.below(600) as u32 };
            let id = format!("c{i:05}");
            match rng.below(20) {
                0..=10 => Cdr::domestic(id, customer, &start, duration),
                11..=15 => Cdr::international(id, customer, &start, duration),
                16..=17 => Cdr::on_net(id, customer, &start, duration),
                _ => Cdr::premium(id, customer, &start, duration),
            }
        })
        .collect()
}

/// Every day of a month, as (year, month, day).
pub fn month_days(year: i32, month: u32, last: u32) -> Vec<(i32, u32, u32)> {
    (1..=last).map(|d| (year, month, d)).collect()
}

/// A call as `calls list --format json` shows it, reduced to what the billing checks need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: String,
    pub start: String,
    pub duration: u64,
    pub call_type: String,
    pub status: String,
    pub billable_seconds: Option<u64>,
    /// The charge in ten-thousandths.
    pub charge_e4: Option<u64>,
    pub invoice: Option<String>,
}

impl Listed {
    pub fn of(v: &Value) -> Listed {
        let s = |k: &str| v[k].as_str().unwrap_or_else(|| panic!("`{k}` is not a string in {v}")).to_owned();
        Listed {
            id: s("id"),
            start: s("start"),
            duration: v["duration"].as_u64().expect("duration"),
            call_type: s("call_type"),
            status: s("status"),
            billable_seconds: v["billable_seconds"].as_u64(),
            charge_e4: v["charge"].as_str().map(|c| parse_fixed(c, 4)),
            invoice: v["invoice"].as_str().map(str::to_owned),
        }
    }

    /// The call's UTC date, `YYYY-MM-DD`.
    pub fn date(&self) -> &str {
        &self.start[..10]
    }
}

/// Parses a non-negative decimal string with at most `scale` decimals into units of 10^-scale.
pub fn parse_fixed(s: &str, scale: u32) -> u64 {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    assert!(frac.len() <= scale as usize, "`{s}` has more than {scale} decimals");
    let int: u64 = int.parse().unwrap_or_else(|_| panic!("`{s}` is not a decimal"));
    let mut f: u64 =
        if frac.is_empty() { 0 } else { frac.parse().unwrap_or_else(|_| panic!("`{s}` is not a decimal")) };
    for _ in frac.len()..scale as usize {
        f *= 10;
    }
    int * 10u64.pow(scale) + f
}

/// Per call type, the sum of a field of an invoice's usage lines.
pub fn line_sums(invoice: &Value, field: &str) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for l in invoice["lines"].as_array().expect("lines") {
        let t = l["call_type"].as_str().expect("a usage line has a call type").to_owned();
        *out.entry(t).or_default() += l[field].as_u64().unwrap_or_else(|| panic!("line field {field} in {l}"));
    }
    out
}

// ------------------------------------------------------------------------------------------
// Helpers for the crash and race tests: processes started in the background and killed or
// awaited with a time limit, a database snapshot to restore between rounds, the CSV call
// listing (much cheaper than JSON for tens of thousands of calls), `db check`, and an audit of
// a customer's billing through the CLI alone.

/// Serialises the heavy tests of one test binary, so that each has the machine's cores to
/// itself and its timings (and kill points) are not distorted by its neighbours.
pub fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A `meter` process running in the background. Its stdout and stderr are drained on threads,
/// so it never blocks on a full pipe while the test sleeps or polls.
pub struct Spawned {
    pub args: Vec<String>,
    child: std::process::Child,
    out: Option<std::thread::JoinHandle<Vec<u8>>>,
    err: Option<std::thread::JoinHandle<Vec<u8>>>,
    pub started: std::time::Instant,
}

/// How a background process ended.
#[derive(Debug, Clone)]
pub struct Ended {
    pub run: Run,
    /// The signal that ended it (9: our SIGKILL), `None` when it exited by itself.
    pub signal: Option<i32>,
    /// From start to the end of the wait.
    pub elapsed: std::time::Duration,
}

impl Ended {
    /// Whether our kill ended the process (rather than it exiting before the signal came).
    pub fn was_killed(&self) -> bool {
        self.signal == Some(9)
    }
}

fn drain(pipe: Option<impl std::io::Read + Send + 'static>) -> Option<std::thread::JoinHandle<Vec<u8>>> {
    pipe.map(|mut p| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = p.read_to_end(&mut buf);
            buf
        })
    })
}

impl Env {
    /// Starts `meter --db … ARGS` in the background.
    pub fn spawn(&self, args: &[&str]) -> Spawned {
        self.spawn_with_env(args, &[])
    }

    /// Starts `meter --db … ARGS` in the background with extra environment variables (such as
    /// `METER_LOG=debug`, which logs each step of a use case on stderr as it ends).
    pub fn spawn_with_env(&self, args: &[&str], vars: &[(&str, &str)]) -> Spawned {
        let mut cmd = self.command(args);
        cmd.envs(vars.iter().copied());
        let started = std::time::Instant::now();
        let mut child = cmd.spawn().expect("starting meter");
        let out = drain(child.stdout.take());
        let err = drain(child.stderr.take());
        Spawned { args: args.iter().map(|s| s.to_string()).collect(), child, out, err, started }
    }

    /// The path of the database file (SQLite).
    pub fn db_file(&self) -> PathBuf {
        self.path("meter.db")
    }

    /// Copies the database (with its WAL and shared-memory files, if any) aside under `name`.
    /// No `meter` process may be running.
    pub fn snapshot(&self, name: &str) {
        if let Some(pg) = &self.postgres {
            pg.save(name).expect("copying the database aside");
            return;
        }
        for suffix in ["", "-wal", "-shm"] {
            let from = self.path(&format!("meter.db{suffix}"));
            let to = self.path(&format!("{name}{suffix}"));
            let _ = std::fs::remove_file(&to);
            if from.exists() {
                std::fs::copy(&from, &to).expect("copying the database aside");
            }
        }
    }

    /// Puts back the database saved by [`Env::snapshot`]. No `meter` process may be running.
    pub fn restore(&self, name: &str) {
        if let Some(pg) = &self.postgres {
            pg.restore(name).expect("restoring the database");
            return;
        }
        for suffix in ["", "-wal", "-shm"] {
            let from = self.path(&format!("{name}{suffix}"));
            let to = self.path(&format!("meter.db{suffix}"));
            let _ = std::fs::remove_file(&to);
            if from.exists() {
                std::fs::copy(&from, &to).expect("restoring the database");
            }
        }
    }

    /// `meter db check --format json`, which must exit 0 and report no problem.
    #[track_caller]
    pub fn assert_db_clean(&self, context: &str) {
        let run = self.meter(&["db", "check", "--format", "json"]);
        let doc: Option<Value> = serde_json::from_str(&run.stdout).ok();
        let ok = doc.as_ref().is_some_and(|d| d["ok"] == true && d["problems"] == serde_json::json!([]));
        assert!(run.code == 0 && ok, "`meter db check` is not clean {context}: exit {}\n{}", run.code, run.dump());
    }

    /// `calls list --customer C [--from F --to T] --format csv`, parsed.
    #[track_caller]
    pub fn calls_csv(&self, customer: &str, range: Option<(&str, &str)>) -> Vec<Listed> {
        let mut args = vec!["calls", "list", "--customer", customer, "--format", "csv"];
        if let Some((from, to)) = range {
            args.extend(["--from", from, "--to", to]);
        }
        let run = self.meter(&args);
        run.assert_ok();
        let mut reader = csv::Reader::from_reader(run.stdout.as_bytes());
        let headers = reader.headers().expect("a header row").clone();
        let col = |name: &str| {
            headers.iter().position(|h| h == name).unwrap_or_else(|| panic!("calls list CSV has no column {name}"))
        };
        let (id, start, duration, call_type, status, billable, charge, invoice) = (
            col("id"),
            col("start"),
            col("duration"),
            col("call_type"),
            col("status"),
            col("billable_seconds"),
            col("charge"),
            col("invoice"),
        );
        reader
            .records()
            .map(|r| {
                let r = r.expect("a CSV record");
                let opt = |i: usize| Some(&r[i]).filter(|s| !s.is_empty());
                Listed {
                    id: r[id].to_owned(),
                    start: r[start].to_owned(),
                    duration: r[duration].parse().expect("a duration"),
                    call_type: r[call_type].to_owned(),
                    status: r[status].to_owned(),
                    billable_seconds: opt(billable).map(|s| s.parse().expect("billable seconds")),
                    charge_e4: opt(charge).map(|c| parse_fixed(c, 4)),
                    invoice: opt(invoice).map(str::to_owned),
                }
            })
            .collect()
    }
}

impl Spawned {
    /// The process's id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running (not yet exited).
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends the signal named `name` (`STOP`, `CONT`) to the process.
    pub fn signal(&self, name: &str) {
        let sent = std::process::Command::new("kill").args([&format!("-{name}"), &self.pid().to_string()]).status();
        assert!(sent.is_ok_and(|s| s.success()), "sending SIG{name} to meter");
    }

    /// Sends SIGKILL (a no-op if it has already exited) and collects how it ended.
    pub fn kill(mut self) -> Ended {
        let _ = self.child.kill();
        self.collect()
    }

    /// Waits for the process to end by itself; past `limit`, kills it and panics.
    #[track_caller]
    pub fn wait(mut self, limit: std::time::Duration) -> Ended {
        while self.started.elapsed() < limit {
            if !self.is_running() {
                return self.collect();
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let args = self.args.join(" ");
        let ended = self.kill();
        panic!("`meter {args}` did not finish within {limit:?}\n{}", ended.run.dump());
    }

    fn collect(&mut self) -> Ended {
        use std::os::unix::process::ExitStatusExt;
        let status = self.child.wait().expect("waiting for meter");
        let elapsed = self.started.elapsed();
        let text = |h: Option<std::thread::JoinHandle<Vec<u8>>>| {
            h.map(|h| String::from_utf8_lossy(&h.join().unwrap_or_default()).into_owned()).unwrap_or_default()
        };
        let run = Run {
            args: self.args.clone(),
            code: status.code().unwrap_or(-1),
            stdout: text(self.out.take()),
            stderr: text(self.err.take()),
        };
        Ended { run, signal: status.signal(), elapsed }
    }
}

/// One customer's billing as the CLI shows it: every call (`calls list`, CSV) and every invoice
/// a call names (`invoice show`), checked for internal consistency on reading.
#[derive(Debug, Clone)]
pub struct Ledger {
    pub calls: Vec<Listed>,
    /// Invoice id → its document.
    pub invoices: BTreeMap<String, Value>,
}

impl Ledger {
    /// Reads and checks: a call is `billed` exactly when it names an invoice; `invoice show`
    /// works for every invoice named; each of them has lines; per call type its lines hold
    /// exactly the calls that name it (count, billable seconds, included + charged = billable,
    /// amount = the calls' charges rounded to cents); its total is the sum of its lines.
    #[track_caller]
    pub fn read(env: &Env, customer: &str) -> Ledger {
        let calls = env.calls_csv(customer, None);
        let mut named: BTreeMap<String, Vec<&Listed>> = BTreeMap::new();
        let mut ids = std::collections::BTreeSet::new();
        for c in &calls {
            assert!(ids.insert(c.id.as_str()), "call {} is listed twice", c.id);
            match (c.status.as_str(), &c.invoice) {
                ("billed", Some(inv)) => named.entry(inv.clone()).or_default().push(c),
                ("billed", None) => panic!("call {} is billed on no invoice: {c:?}", c.id),
                (status, Some(inv)) => panic!("{status} call {} names invoice {inv}: {c:?}", c.id),
                (_, None) => {}
            }
        }
        let mut invoices = BTreeMap::new();
        for (id, on_it) in &named {
            let run = env.meter(&["invoice", "show", id, "--format", "json"]);
            assert_eq!(run.code, 0, "`invoice show {id}` fails, yet {} calls name it\n{}", on_it.len(), run.dump());
            let doc = run.json();
            check_invoice_against_calls(id, &doc, on_it);
            invoices.insert(id.clone(), doc);
        }
        Ledger { calls, invoices }
    }

    pub fn billed(&self) -> impl Iterator<Item = &Listed> {
        self.calls.iter().filter(|c| c.status == "billed")
    }

    /// The ids of the billed calls.
    pub fn billed_ids(&self) -> std::collections::BTreeSet<String> {
        self.billed().map(|c| c.id.clone()).collect()
    }

    /// The ids of the calls on one invoice.
    pub fn on(&self, invoice: &str) -> std::collections::BTreeSet<String> {
        self.billed().filter(|c| c.invoice.as_deref() == Some(invoice)).map(|c| c.id.clone()).collect()
    }
}

/// The usage lines of an invoice document, per call type: (calls, billable, included, charged,
/// amount in hundredths).
pub fn usage_lines_of(doc: &Value) -> BTreeMap<String, (u64, u64, u64, u64, u64)> {
    let mut out = BTreeMap::new();
    for l in doc["lines"].as_array().expect("lines") {
        let t = l["call_type"].as_str().expect("a usage line has a call type").to_owned();
        let n = |k: &str| l[k].as_u64().unwrap_or_else(|| panic!("line field {k} in {l}"));
        let amount = parse_fixed(l["amount"].as_str().expect("amount"), 2);
        let previous = out.insert(
            t.clone(),
            (n("calls"), n("billable_seconds"), n("included_seconds"), n("charged_seconds"), amount),
        );
        assert!(previous.is_none(), "two usage lines for {t} in {doc}");
    }
    out
}

/// Checks one invoice document against the calls that name it.
#[track_caller]
pub fn check_invoice_against_calls(id: &str, doc: &Value, on_it: &[&Listed]) {
    assert_eq!(doc["id"], id, "{doc}");
    let lines = usage_lines_of(doc);
    assert!(!lines.is_empty(), "invoice {id} has no lines: {doc}");
    let mut from_calls: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new();
    for c in on_it {
        let e = from_calls.entry(c.call_type.clone()).or_default();
        e.0 += 1;
        e.1 += c.billable_seconds.unwrap_or_else(|| panic!("billed call without billable seconds: {c:?}"));
        e.2 += c.charge_e4.unwrap_or_else(|| panic!("billed call without a charge: {c:?}"));
    }
    let types_lines: Vec<&String> = lines.keys().collect();
    let types_calls: Vec<&String> = from_calls.keys().collect();
    assert_eq!(types_lines, types_calls, "invoice {id}: the lines' call types differ from its calls'");
    let mut total = 0;
    for (t, &(calls, billable, included, charged, amount)) in &lines {
        let (n, b, charge_e4) = from_calls[t];
        assert_eq!(calls, n, "invoice {id} {t}: the line counts {calls} calls, {n} calls name it");
        assert_eq!(billable, b, "invoice {id} {t}: billable seconds of the line vs its calls");
        assert_eq!(included + charged, billable, "invoice {id} {t}: included + charged != billable");
        assert_eq!(amount, (charge_e4 + 50) / 100, "invoice {id} {t}: amount vs the sum of its calls' charges");
        total += amount;
    }
    let stated = parse_fixed(doc["total"].as_str().expect("total"), 2);
    assert_eq!(stated, total, "invoice {id}: the total is not the sum of its lines");
}

/// The steps whose end `METER_LOG=debug` logged on stderr, in order: the innermost span of each
/// `close` line (`invoice.create{customer=acme}:read_calls: … close …` → `read_calls`).
pub fn closed_spans(stderr: &str) -> Vec<String> {
    let mut plain = String::with_capacity(stderr.len());
    let mut chars = stderr.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // An ANSI colour sequence: ESC [ … m.
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
        .lines()
        .filter(|l| l.contains(" close "))
        .filter_map(|l| {
            let path = l.split_whitespace().nth(2)?.trim_end_matches(':');
            let last = path.rsplit(':').next()?;
            Some(last.split('{').next().unwrap_or(last).to_owned())
        })
        .collect()
}

// ------------------------------------------------------------------------------------------
// Helpers for the crash and race tests on both backends (bill_once.rs, races.rs, crash.rs).

impl Env {
    /// Waits until no `meter` session is left on the database. A PostgreSQL session outlives
    /// its killed client until the server notices (at the end of the statement it is running,
    /// or at once when idle), and a COMMIT the client had sent may still be applied then; after
    /// this, the database holds all of the killed command's work or none of it, for good. On
    /// SQLite there is nothing to wait for: a killed process holds no lock, and the next opener
    /// rolls back what it left in the journal. Uses `psql` (as CI and the golden runner do).
    #[track_caller]
    pub fn settle(&self, limit: std::time::Duration) {
        if self.backend != Backend::Postgres {
            return;
        }
        let started = std::time::Instant::now();
        let sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                   AND backend_type = 'client backend' AND pid <> pg_backend_pid()";
        loop {
            let out = Command::new(psql())
                .args(["-XqAt", "-d", &self.db, "-c", sql])
                .stdin(Stdio::null())
                .output()
                .expect("running psql (needed by the PostgreSQL crash tests)");
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "psql failed: {}", String::from_utf8_lossy(&out.stderr));
            if text.trim() == "0" {
                return;
            }
            assert!(started.elapsed() < limit, "{} session(s) still on the database after {limit:?}", text.trim());
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    /// A clean `meter db check` once a killed process's session has ended (see [`Env::settle`]).
    #[track_caller]
    pub fn assert_db_clean_after_kill(&self, context: &str) {
        self.settle(std::time::Duration::from_secs(60));
        self.assert_db_clean(context);
    }
}

impl Env {
    /// Runs SQL on the database behind meter's back, as someone editing it by hand would.
    #[track_caller]
    pub fn sql(&self, sql: &str) {
        match self.backend {
            Backend::Sqlite => {
                let conn = rusqlite::Connection::open(self.db_file()).expect("opening the SQLite file");
                conn.execute_batch(sql).unwrap_or_else(|e| panic!("`{sql}` failed on SQLite: {e}"));
            }
            Backend::Postgres => {
                let out = Command::new(psql())
                    .args(["-XqAt", "-v", "ON_ERROR_STOP=1", "-d", &self.db, "-c", sql])
                    .stdin(Stdio::null())
                    .output()
                    .expect("running psql");
                assert!(out.status.success(), "`{sql}` failed on PostgreSQL: {}", String::from_utf8_lossy(&out.stderr));
            }
        }
    }
}

/// The `psql` program: the installed server's own (see `testkit::installed_program`),
/// else the one on the PATH.
pub fn psql() -> &'static std::path::Path {
    static PSQL: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PSQL.get_or_init(|| testkit::installed_program("psql").unwrap_or_else(|| PathBuf::from("psql")))
}
