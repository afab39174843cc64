//! Crash safety: a `meter` process killed with SIGKILL at a random point of its run leaves the
//! database as if the command had never run or had run in full, never in between; `meter db
//! check` stays clean; and running the command again finishes the work (contract section 7: each
//! use case is one transaction). Every test runs on SQLite and on PostgreSQL.
//!
//! Each test first measures uninterrupted runs of its command (the median of three), then kills
//! at least [`KILLS`] runs at delays drawn (with a generator seeded per test) from 0 to 1.2 times
//! that run time (a span that then follows the runs as they get slower or quicker, see
//! [`Delays`]), so that kills land before the transaction, during it, and after the commit. Every round starts from
//! the same saved database (SQLite: a copy of the file; PostgreSQL: a template database). After
//! each kill the killed process's PostgreSQL session is waited for ([`Env::settle`]: a COMMIT it
//! had sent may still land), then the state is audited through the CLI alone (`db check`, `calls
//! list`, `invoice show`), then the command is run again and must finish the work. The runs log
//! their steps (`METER_LOG=debug`), which tells where each kill landed.
//!
//! The data is sized so that one run takes about 0.03-0.3 s in the debug build: enough for the
//! kills to land in every phase, small enough for 50 kills and their audits to take well under
//! a minute per test and backend (each round restores, kills, checks, lists every call, reruns
//! and checks again).

mod common;

use common::*;
use std::collections::BTreeSet;
use std::time::Duration;

on_both_backends! {
    a_killed_invoice_create_leaves_no_partial_invoice_and_a_rerun_creates_it,
    a_killed_invoice_delete_leaves_the_invoice_whole_or_gone_and_a_rerun_deletes_it,
    a_killed_cdrs_import_leaves_all_or_none_of_the_file_and_a_rerun_completes_it,
}

/// Runs actually interrupted by our SIGKILL, per command kind.
const KILLS: usize = 50;

/// Rounds allowed to reach [`KILLS`] (some runs finish before the kill lands).
const MAX_ROUNDS: usize = 100;

/// The limit for any one uninterrupted run; far above the measured times.
const LIMIT: Duration = Duration::from_secs(50);

/// What the rounds of a test saw.
#[derive(Debug, Default)]
struct Tally {
    rounds: usize,
    /// Killed while running, and the work was absent afterwards (killed before the commit).
    killed_absent: usize,
    /// Killed while running, and the work was complete afterwards (killed after the commit).
    killed_done: usize,
    /// Exited by itself before the kill landed.
    finished: usize,
}

impl Tally {
    fn kills(&self) -> usize {
        self.killed_absent + self.killed_done
    }

    /// Counts one round; `done` is whether the work was complete after it.
    #[track_caller]
    fn count(&mut self, ended: &Ended, done: bool) {
        self.rounds += 1;
        if ended.was_killed() {
            if done {
                self.killed_done += 1;
            } else {
                self.killed_absent += 1;
            }
        } else {
            ended.run.assert_ok();
            assert!(done, "`meter {}` exited 0 but its work is absent\n{}", ended.run.args.join(" "), ended.run.dump());
            self.finished += 1;
        }
    }

    fn more(&self) -> bool {
        assert!(
            self.rounds < MAX_ROUNDS || self.kills() >= KILLS,
            "only {} of {} rounds were interrupted by the kill: {self:?}",
            self.kills(),
            self.rounds
        );
        self.kills() < KILLS
    }

    /// Kills landed both before the commit and after the run (or the commit). Reports the
    /// rounds and the time the test took since `clock`.
    fn assert_spread(&self, what: &str, delays: &Delays, clock: std::time::Instant) {
        assert!(self.killed_absent > 0, "{what}: no kill landed before the commit: {self:?}");
        assert!(self.killed_done + self.finished > 0, "{what}: no kill landed after the commit: {self:?}");
        eprintln!("{what}: {self:?}, delays up to {:?} at the end, in {:.1?}", delays.span, clock.elapsed());
    }
}

/// The kill delays of a test: drawn from 0 to a span that starts at 1.2 × the measured median
/// run time and then follows the runs as the machine gets slower or quicker: it grows by a
/// quarter whenever a run had not committed yet at a kill in the last tenth of the span, and
/// shrinks by a tenth whenever a run ended by itself before the last twentieth of it. The span
/// settles a little past the runs' end, so that kills keep landing on both sides of the commit
/// (a measurement in a quiet moment cannot keep every kill before it) and few rounds go to runs
/// that finish.
struct Delays {
    rng: Rng,
    span: Duration,
}

impl Delays {
    fn new(seed: u64, run: Duration) -> Delays {
        Delays { rng: Rng::new(seed), span: run * 6 / 5 }
    }

    fn next(&mut self) -> Duration {
        Duration::from_micros(self.rng.below(self.span.as_micros().max(1) as u64))
    }

    /// Learns from a round: `done` is whether the work was complete after it.
    fn saw(&mut self, delay: Duration, ended: &Ended, done: bool) {
        if ended.was_killed() && !done && delay > self.span * 9 / 10 {
            self.span += self.span / 4;
        } else if !ended.was_killed() && delay < self.span * 19 / 20 {
            self.span -= self.span / 10;
        }
    }
}

/// Every run here logs the end of each of its steps on stderr, to tell where a kill landed.
const LOG: &[(&str, &str)] = &[("METER_LOG", "debug")];

/// Starts `meter ARGS`, sleeps `delay`, sends SIGKILL and collects the outcome.
fn run_and_kill(env: &Env, args: &[&str], delay: Duration) -> Ended {
    let child = env.spawn_with_env(args, LOG);
    std::thread::sleep(delay.saturating_sub(child.started.elapsed()));
    child.kill()
}

/// Runs `meter ARGS` to its end, timed.
fn run_timed(env: &Env, args: &[&str]) -> Ended {
    env.spawn_with_env(args, LOG).wait(LIMIT)
}

/// The median time of three uninterrupted runs, each from the state `prepare` sets up; the
/// runs are returned in order.
fn measure(env: &Env, args: &[&str], mut prepare: impl FnMut()) -> (Duration, Vec<Ended>) {
    let runs: Vec<Ended> = (0..3)
        .map(|_| {
            prepare();
            run_timed(env, args)
        })
        .collect();
    let mut times: Vec<Duration> = runs.iter().map(|r| r.elapsed).collect();
    times.sort();
    (times[1], runs)
}

/// Whether a call is billable by the standard deck: answered and of a rated type.
fn billable(d: &Cdr) -> bool {
    d.duration > 0 && standard_price_e4_per_second(d.expected_type()).is_some()
}

/// The invoice id in the JSON document of a successful `invoice create`.
#[track_caller]
fn id_of(run: &Run) -> String {
    run.assert_ok();
    run.json()["id"].as_str().unwrap_or_else(|| panic!("no invoice id\n{}", run.dump())).to_owned()
}

/// acme's January: `count` calls over January and the first days of February (outside the
/// range billed), with unanswered and unrated ones; acme has the standard calling plans.
/// Returns the environment and the ids of the calls a January invoice bills.
fn acme_with_calls(backend: Backend, seed: u64, count: usize) -> (Env, BTreeSet<String>) {
    let env = Env::seeded_on(backend);
    let mut days = month_days(2026, 1, 31);
    days.extend([(2026, 2, 1), (2026, 2, 2)]);
    let data = random_calls(&mut Rng::new(seed), "acme", &days, count);
    assert_eq!(env.import_ok("cdrs", "acme.csv", &cdrs_csv(&data)), Summary::imported(count as u64));
    let expected =
        data.iter().filter(|d| billable(d) && d.start.starts_with("2026-01")).map(|d| d.id.clone()).collect();
    (env, expected)
}

/// acme's calls in the invoice create kill test.
const CREATE_CALLS: usize = 3_000;

/// acme's calls in the invoice delete kill test.
const DELETE_CALLS: usize = 3_000;

const CREATE_JANUARY: &[&str] =
    &["invoice", "create", "--customer", "acme", "--from", "2026-01-01", "--to", "2026-01-31", "--format", "json"];

/// After a killed create or delete: either no invoice (no call billed) or one invoice that
/// bills exactly the expected calls, with the reference lines. Returns that invoice's id.
#[track_caller]
fn audit_all_or_nothing(env: &Env, expected: &BTreeSet<String>, reference: &serde_json::Value) -> Option<String> {
    let ledger = Ledger::read(env, "acme");
    match ledger.invoices.len() {
        0 => {
            assert!(ledger.billed_ids().is_empty());
            None
        }
        1 => {
            let (id, doc) = ledger.invoices.iter().next().expect("one invoice");
            assert_eq!(&ledger.on(id), expected, "invoice {id} does not bill exactly the January calls");
            assert_eq!(usage_lines_of(doc), usage_lines_of(reference), "invoice {id} differs from the reference");
            assert_eq!(doc["total"], reference["total"]);
            Some(id.clone())
        }
        n => panic!("{n} invoices after one create: {:?}", ledger.invoices.keys().collect::<Vec<_>>()),
    }
}

fn a_killed_invoice_create_leaves_no_partial_invoice_and_a_rerun_creates_it(backend: Backend) {
    let _alone = one_at_a_time();
    let clock = std::time::Instant::now();
    let (env, expected) = acme_with_calls(backend, 2024, CREATE_CALLS);
    assert!(expected.len() > CREATE_CALLS * 7 / 10, "{} calls to bill", expected.len());
    env.snapshot("unbilled.db");

    // Uninterrupted runs: their time and the reference invoice.
    let (time, runs) = measure(&env, CREATE_JANUARY, || env.restore("unbilled.db"));
    let reference = runs[0].run.json();
    let id = id_of(&runs[2].run);
    assert_eq!(audit_all_or_nothing(&env, &expected, &reference), Some(id));
    let included: u64 = usage_lines_of(&reference).values().map(|l| l.2).sum();
    assert_eq!(included, 100 * 60 + 10 * 60, "the plans' allowances are used up: {reference:#}");
    env.assert_db_clean("after the reference run");
    eprintln!("invoice create: {} calls in {time:?}", expected.len());

    let mut delays = Delays::new(0xC4EA7E, time);
    let mut tally = Tally::default();
    let mut phases: std::collections::BTreeMap<&str, usize> = Default::default();
    while tally.more() {
        env.restore("unbilled.db");
        let delay = delays.next();
        let ended = run_and_kill(&env, CREATE_JANUARY, delay);
        let context = format!("after killing `invoice create` at {delay:?} ({:?})", ended.signal);
        env.assert_db_clean_after_kill(&context);
        let created = audit_all_or_nothing(&env, &expected, &reference);
        tally.count(&ended, created.is_some());
        delays.saw(delay, &ended, created.is_some());
        // Where the kill landed, from the steps the run logged as ended.
        let steps = closed_spans(&ended.run.stderr);
        let phase = match steps.last().map(String::as_str) {
            _ if !ended.was_killed() => "exited",
            None => "starting (opening, locking, reading the customer)",
            Some("load_pricing") => "reading the calls",
            Some("read_calls" | "allowances") => "rating",
            Some("rate_calls") => "writing the invoice",
            Some("insert_invoice" | "read_invoice") => "committing",
            Some("commit") => "after the commit",
            Some(_) => "exiting",
        };
        if steps.iter().any(|s| s == "commit") {
            assert!(created.is_some(), "{context}: the commit ended, yet there is no invoice");
        }
        *phases.entry(phase).or_insert(0) += 1;

        // The rerun creates the invoice, or finds it already created.
        let rerun = env.meter(CREATE_JANUARY);
        match created {
            None => {
                id_of(&rerun);
                assert_eq!(usage_lines_of(&rerun.json()), usage_lines_of(&reference), "{context}: the rerun");
            }
            Some(_) => {
                rerun.assert_code(1).assert_stderr_has("nothing to bill").assert_no_stdout();
            }
        }
        env.assert_db_clean(&format!("{context} and rerunning it"));
    }
    tally.assert_spread(&format!("{backend:?} invoice create"), &delays, clock);
    eprintln!("invoice create, where the kills landed: {phases:?}");
    let inside = ["reading the calls", "rating", "writing the invoice", "committing"];
    assert!(
        inside.iter().map(|p| phases.get(p).copied().unwrap_or(0)).sum::<usize>() >= 10,
        "too few kills landed inside the transaction: {phases:?}"
    );
    // The last round's invoice deletes cleanly and gives everything back.
    let id = audit_all_or_nothing(&env, &expected, &reference).expect("the rerun's invoice");
    env.meter(&["invoice", "delete", &id]).assert_ok();
    assert_eq!(audit_all_or_nothing(&env, &expected, &reference), None);
    env.assert_db_clean("at the end");
}

fn a_killed_invoice_delete_leaves_the_invoice_whole_or_gone_and_a_rerun_deletes_it(backend: Backend) {
    let _alone = one_at_a_time();
    let clock = std::time::Instant::now();
    let (env, expected) = acme_with_calls(backend, 2025, DELETE_CALLS);
    let reference = env.create_ok("acme", "2026-01-01", "2026-01-31");
    let id = reference["id"].as_str().expect("id").to_owned();
    env.snapshot("billed.db");
    let delete: &[&str] = &["invoice", "delete", &id];
    let released = format!("deleted invoice {id}: {} calls released", expected.len());

    // Uninterrupted runs for their time.
    let (time, runs) = measure(&env, delete, || env.restore("billed.db"));
    for r in &runs {
        r.run.assert_ok();
        assert!(r.run.stdout.contains(&released), "{}", r.run.dump());
    }
    assert_eq!(audit_all_or_nothing(&env, &expected, &reference), None);
    env.assert_db_clean("after the reference run");
    eprintln!("invoice delete: {} calls in {time:?}", expected.len());

    let mut delays = Delays::new(0xDE1E7E, time);
    let mut tally = Tally::default();
    while tally.more() {
        env.restore("billed.db");
        let delay = delays.next();
        let ended = run_and_kill(&env, delete, delay);
        let context = format!("after killing `invoice delete {id}` at {delay:?} ({:?})", ended.signal);
        env.assert_db_clean_after_kill(&context);
        let left = audit_all_or_nothing(&env, &expected, &reference);
        if let Some(other) = &left {
            assert_eq!(other, &id, "{context}: another invoice appeared");
            // The use case's end is logged after its commit.
            let steps = closed_spans(&ended.run.stderr);
            assert!(
                !steps.iter().any(|s| s == "invoice.delete"),
                "{context}: the delete ended, yet the invoice is there"
            );
        }
        tally.count(&ended, left.is_none());
        delays.saw(delay, &ended, left.is_none());

        // The rerun deletes the invoice, or finds it already gone.
        let rerun = env.meter(delete);
        match left {
            Some(_) => {
                rerun.assert_ok();
                assert!(rerun.stdout.contains(&released), "{context}: the rerun\n{}", rerun.dump());
            }
            None => {
                rerun.assert_code(1).assert_stderr_has("unknown invoice");
            }
        }
        env.meter(&["invoice", "show", &id]).assert_code(1);
        env.assert_db_clean(&format!("{context} and rerunning it"));
    }
    tally.assert_spread(&format!("{backend:?} invoice delete"), &delays, clock);
    // Everything was released, and the allowances given back in full: a new invoice equals
    // the reference.
    assert_eq!(audit_all_or_nothing(&env, &expected, &reference), None);
    let again = env.create_ok("acme", "2026-01-01", "2026-01-31");
    assert_eq!(usage_lines_of(&again), usage_lines_of(&reference), "the allowance draw was not given back");
    env.assert_db_clean("at the end");
}

/// Rows of the call file imported in the kill test.
const IMPORT_ROWS: usize = 6_000;

/// The day whose calls are counted after each kill (the rerun's summary counts the whole file).
const SAMPLE_DAY: &str = "2026-01-15";

fn a_killed_cdrs_import_leaves_all_or_none_of_the_file_and_a_rerun_completes_it(backend: Backend) {
    let _alone = one_at_a_time();
    let clock = std::time::Instant::now();
    let env = Env::seeded_on(backend);
    // A few calls of acme already there, and the database saved as every round's start.
    let before = random_calls(&mut Rng::new(1), "acme", &month_days(2026, 1, 31), 500);
    env.import_ok("cdrs", "before.csv", &cdrs_csv(&before));
    let before_on_day = before.iter().filter(|c| c.start.starts_with(SAMPLE_DAY)).count();
    env.snapshot("start.db");

    // The file: calls over January (some unanswered, some unrated), ids of their own.
    let mut rng = Rng::new(77);
    let mut file = random_calls(&mut rng, "acme", &month_days(2026, 1, 31), IMPORT_ROWS);
    for c in &mut file {
        c.id = format!("big-{}", c.id);
    }
    let on_day = file.iter().filter(|c| c.start.starts_with(SAMPLE_DAY)).count();
    assert!(on_day > IMPORT_ROWS / 40, "{on_day} calls on {SAMPLE_DAY}");
    let path = env.write("big.csv", &cdrs_csv(&file));
    let import: &[&str] = &["cdrs", "import", &path, "--format", "json"];
    let rows = IMPORT_ROWS as u64;

    // Uninterrupted runs for their time.
    let (time, runs) = measure(&env, import, || env.restore("start.db"));
    for r in &runs {
        r.run.assert_ok();
        assert_eq!(Summary::of(&r.run.json()), Summary::imported(rows));
    }
    eprintln!("cdrs import: {rows} rows in {time:?}");

    let count_on_day = |context: &str| -> usize {
        let listed = env.calls_csv("acme", Some((SAMPLE_DAY, SAMPLE_DAY)));
        let ours = listed.iter().filter(|c| c.id.starts_with("big-")).count();
        assert_eq!(listed.len() - ours, before_on_day, "{context}: the earlier calls changed");
        ours
    };

    let mut delays = Delays::new(0x1A9087, time);
    let mut tally = Tally::default();
    while tally.more() {
        env.restore("start.db");
        let delay = delays.next();
        let ended = run_and_kill(&env, import, delay);
        let context = format!("after killing `cdrs import` at {delay:?} ({:?})", ended.signal);
        env.assert_db_clean_after_kill(&context);
        let found = count_on_day(&context);
        assert!(found == 0 || found == on_day, "{context}: {found} of the day's {on_day} calls were imported");
        let done = found == on_day;
        tally.count(&ended, done);
        delays.saw(delay, &ended, done);
        if closed_spans(&ended.run.stderr).iter().any(|s| s == "commit") {
            assert!(done, "{context}: the commit ended, yet the calls are absent");
        }
        if !ended.was_killed() {
            // It finished before the kill: nothing to rerun.
            assert_eq!(Summary::of(&ended.run.json()), Summary::imported(rows), "{context}");
            continue;
        }

        // The rerun's summary counts what was there before it, row by row: all or none.
        let rerun = env.meter(import);
        rerun.assert_ok();
        let sum = Summary::of(&rerun.json());
        let want = if done {
            Summary { imported: 0, updated: 0, duplicates: rows, conflicts: 0 }
        } else {
            Summary::imported(rows)
        };
        assert_eq!(sum, want, "{context}: the rerun found part of the file imported");
        env.assert_db_clean(&format!("{context} and rerunning it"));
    }
    // Once more on the complete import: every row is a duplicate.
    let again = env.meter(import);
    again.assert_ok();
    assert_eq!(Summary::of(&again.json()), Summary { imported: 0, updated: 0, duplicates: rows, conflicts: 0 });
    assert_eq!(count_on_day("at the end"), on_day);
    env.assert_db_clean("at the end");
    tally.assert_spread(&format!("{backend:?} cdrs import"), &delays, clock);
}
