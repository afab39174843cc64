//! Races between `meter` processes on one database (contract section 5: "a call is billed at
//! most once, whatever runs at the same time"; section 7: each use case is one transaction):
//! concurrent invoice creations with overlapping ranges and call-type filters, a deletion
//! racing a creation over the same calls, and an import racing a creation for the same
//! customer and range. Everything is audited through the CLI: `calls list`, `invoice show` and
//! `db check`. Every test runs on SQLite and on PostgreSQL.

mod common;

use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

on_both_backends! {
    eight_concurrent_creates_with_overlapping_ranges_and_filters_bill_each_call_at_most_once,
    an_invoice_delete_racing_an_invoice_create_loses_no_call_and_bills_none_twice,
    a_cdrs_import_racing_an_invoice_create_is_billed_all_or_nothing,
    opening_a_new_database_waits_for_another_writer_instead_of_failing,
}

/// The limit for any one run; far above the measured times.
const LIMIT: Duration = Duration::from_secs(50);

/// The standard allowances of acme (see `common::STANDARD_PLANS`): call types and seconds per
/// billing period.
const ACME_ALLOWANCES: &[(&[&str], u64)] = &[(&["domestic", "on_net"], 100 * 60), (&["international"], 10 * 60)];

/// The customer's civil date of a UTC start (`…Z`): acme is on UTC; globex on New York, which
/// is UTC-5 all of January (the tests keep globex's calls off January 1 so that the month does
/// not change).
fn local_date(customer: &str, start: &str) -> String {
    assert!(start.starts_with("2026-01-") && start.ends_with('Z'), "{start}");
    let day: u32 = start[8..10].parse().expect("day");
    let hour: u32 = start[11..13].parse().expect("hour");
    match customer {
        "acme" => start[..10].to_owned(),
        "globex" => {
            assert!(day > 1, "{start}");
            format!("2026-01-{:02}", if hour < 5 { day - 1 } else { day })
        }
        other => panic!("no zone known for {other}"),
    }
}

/// Whether the standard deck bills a call: answered and of a rated type.
fn billable(d: &Cdr) -> bool {
    d.duration > 0 && standard_price_e4_per_second(d.expected_type()).is_some()
}

/// One `invoice create` request.
#[derive(Debug, Clone)]
struct Request {
    customer: &'static str,
    from: &'static str,
    to: &'static str,
    types: Option<&'static str>,
}

impl Request {
    fn args(&self) -> Vec<&str> {
        let mut a = vec!["invoice", "create", "--customer", self.customer, "--from", self.from, "--to", self.to];
        if let Some(t) = self.types {
            a.extend(["--call-types", t]);
        }
        a.extend(["--format", "json"]);
        a
    }

    /// Whether the request bills the call (when nothing else has billed it).
    fn covers(&self, d: &Cdr) -> bool {
        if d.customer != self.customer {
            return false;
        }
        let date = local_date(self.customer, &d.start);
        billable(d)
            && self.from <= date.as_str()
            && date.as_str() <= self.to
            && self.types.is_none_or(|t| t.split(',').any(|x| x == d.expected_type()))
    }
}

/// The invoice id of a successful creation, `None` for "nothing to bill"; anything else fails.
#[track_caller]
fn created(run: &Run) -> Option<String> {
    match run.code {
        0 => Some(run.json()["id"].as_str().unwrap_or_else(|| panic!("no id\n{}", run.dump())).to_owned()),
        1 => {
            run.assert_stderr_has("nothing to bill").assert_no_stdout();
            None
        }
        _ => panic!("`meter {}` failed\n{}", run.args.join(" "), run.dump()),
    }
}

/// A billed call's included seconds, from its charge: the standard deck has no connection fee
/// and whole per-second prices, so charged seconds = charge / price.
#[track_caller]
fn included_of(c: &Listed) -> u64 {
    let price = standard_price_e4_per_second(&c.call_type).expect("a billed call has a standard rate");
    let charge = c.charge_e4.expect("a billed call has a charge");
    let billable = c.billable_seconds.expect("a billed call has billable seconds");
    assert_eq!(charge % price, 0, "call {}: charge {charge} e-4 is not whole seconds at {price} e-4/s", c.id);
    assert!(charge / price <= billable, "call {}: charged more seconds than billable", c.id);
    billable - charge / price
}

/// Checks acme's allowances over every live invoice (all of January is one period): per
/// allowance the included seconds never exceed it, on the calls and on the invoices' lines; with
/// `exact` (no invoice was deleted after a later one drew), they are min(usage, allowance):
/// nothing lost, nothing given twice.
#[track_caller]
fn check_acme_allowances(ledger: &Ledger, exact: bool) {
    for (types, seconds) in ACME_ALLOWANCES {
        let covered: Vec<&Listed> = ledger.billed().filter(|c| types.contains(&c.call_type.as_str())).collect();
        let usage: u64 = covered.iter().map(|c| c.billable_seconds.unwrap_or(0)).sum();
        let included: u64 = covered.iter().map(|c| included_of(c)).sum();
        let on_lines: u64 = ledger
            .invoices
            .values()
            .flat_map(|doc| usage_lines_of(doc).into_iter())
            .filter(|(t, _)| types.contains(&t.as_str()))
            .map(|(_, l)| l.2)
            .sum();
        assert!(included <= *seconds, "{types:?}: {included} s included, the allowance is {seconds} s");
        assert_eq!(on_lines, included, "{types:?}: the lines include {on_lines} s, the calls {included} s");
        if exact {
            assert_eq!(included, usage.min(*seconds), "{types:?}: usage {usage} s, allowance {seconds} s");
        }
    }
}

/// Starts every request at once; waits for all.
fn create_all_at_once(env: &Env, requests: &[Request]) -> Vec<Run> {
    let children: Vec<Spawned> = requests.iter().map(|r| env.spawn(&r.args())).collect();
    children.into_iter().map(|c| c.wait(LIMIT).run).collect()
}

fn eight_concurrent_creates_with_overlapping_ranges_and_filters_bill_each_call_at_most_once(backend: Backend) {
    let _alone = one_at_a_time();
    let clock = std::time::Instant::now();
    let requests = [
        Request { customer: "acme", from: "2026-01-01", to: "2026-01-20", types: None },
        Request { customer: "globex", from: "2026-01-01", to: "2026-01-15", types: None },
        Request { customer: "acme", from: "2026-01-10", to: "2026-01-31", types: Some("domestic") },
        Request { customer: "globex", from: "2026-01-10", to: "2026-01-31", types: Some("domestic,international") },
        Request { customer: "acme", from: "2026-01-05", to: "2026-01-25", types: Some("international,on_net") },
        Request { customer: "globex", from: "2026-01-01", to: "2026-01-31", types: Some("on_net") },
        Request { customer: "acme", from: "2026-01-15", to: "2026-01-31", types: None },
        Request { customer: "globex", from: "2026-01-12", to: "2026-01-20", types: None },
    ];
    let globex_days: Vec<(i32, u32, u32)> = (2..=31).map(|d| (2026, 1, d)).collect();
    const PER_CUSTOMER: usize = 3000;
    for round in 0..8u64 {
        let env = Env::seeded_on(backend);
        let mut rng = Rng::new(900 + round);
        let mut data = random_calls(&mut rng, "acme", &month_days(2026, 1, 31), PER_CUSTOMER);
        let mut globex = random_calls(&mut rng, "globex", &globex_days, PER_CUSTOMER);
        for c in &mut globex {
            c.id = format!("g{}", c.id);
        }
        data.extend(globex);
        assert_eq!(env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&data)), Summary::imported(2 * PER_CUSTOMER as u64));

        let runs = create_all_at_once(&env, &requests);
        // Invoice id → the request that created it.
        let mut made: BTreeMap<String, &Request> = BTreeMap::new();
        for (run, req) in runs.iter().zip(&requests) {
            if let Some(id) = created(run) {
                let doc = run.json();
                assert_eq!(doc["customer"], req.customer);
                assert!(made.insert(id.clone(), req).is_none(), "two creations returned {id}");
            }
        }
        assert!(made.len() >= 2, "round {round}: only {} creations billed anything", made.len());
        env.assert_db_clean(&format!("after round {round}"));

        let by_id: BTreeMap<&str, &Cdr> = data.iter().map(|d| (d.id.as_str(), d)).collect();
        let mut line_calls = 0;
        let mut found = BTreeSet::new();
        // Call id → the invoice it is billed on, over both customers' listings.
        let mut billed_on: BTreeMap<String, String> = BTreeMap::new();
        for customer in ["acme", "globex"] {
            // Reads every call and every invoice a call names (`invoice show` must work for it).
            let ledger = Ledger::read(&env, customer);
            for c in ledger.billed() {
                let inv = c.invoice.clone().expect("a billed call names its invoice");
                assert!(ledger.invoices.contains_key(&inv), "round {round}: call {} is on {inv}, which is gone", c.id);
                let previous = billed_on.insert(c.id.clone(), inv.clone());
                assert!(previous.is_none(), "round {round}: call {} is on {inv} and on {previous:?}", c.id);
            }
            for c in &ledger.calls {
                let d = by_id[c.id.as_str()];
                let wanted = requests.iter().any(|r| r.covers(d));
                match &c.invoice {
                    Some(inv) => {
                        let req = made.get(inv.as_str()).unwrap_or_else(|| panic!("{c:?} names an unknown invoice"));
                        assert!(
                            req.covers(d),
                            "round {round}: call {} ({}) is on {inv}, made by {req:?}",
                            d.id,
                            d.start
                        );
                        assert_eq!(c.call_type, d.expected_type());
                    }
                    None => assert!(
                        !wanted,
                        "round {round}: call {} ({}, {}) is billed by no invoice",
                        d.id,
                        d.start,
                        d.expected_type()
                    ),
                }
            }
            for (id, doc) in &ledger.invoices {
                let req = made[id.as_str()];
                assert_eq!(req.customer, customer, "{id} bills calls of {customer}");
                found.insert(id.clone());
                let filter = req.types.map(|t| t.split(',').collect::<Vec<_>>());
                let shown: Option<Vec<&str>> =
                    doc["call_types"].as_array().map(|a| a.iter().map(|v| v.as_str().expect("type")).collect());
                assert_eq!(shown, filter, "{id}: its call types");
                assert_eq!((doc["from"].as_str(), doc["to"].as_str()), (Some(req.from), Some(req.to)));
                line_calls += usage_lines_of(doc).values().map(|l| l.0).sum::<u64>();
            }
            if customer == "acme" {
                check_acme_allowances(&ledger, true);
            }
        }
        // Every invoice created bills calls, and no call is on two invoices: the invoices' lines
        // count exactly the calls some request covers.
        assert_eq!(found, made.keys().cloned().collect::<BTreeSet<_>>(), "round {round}: invoices without calls");
        let billed = data.iter().filter(|d| requests.iter().any(|r| r.covers(d))).count() as u64;
        assert_eq!(
            line_calls, billed,
            "round {round}: the invoices' lines count {line_calls} calls, {billed} are billed"
        );
        assert_eq!(billed_on.len() as u64, billed, "round {round}: the listings show {} billed calls", billed_on.len());
        // Each invoice's lines hold exactly the calls that name it (checked by `Ledger::read`),
        // so with the counts equal no call is counted on a second invoice.
        for (id, req) in &made {
            let named = billed_on.values().filter(|inv| *inv == id).count();
            assert!(named > 0, "round {round}: {id} ({req:?}) bills no call");
        }
    }
    eprintln!("{backend:?} eight concurrent creates: {:.1?}", clock.elapsed());
}

fn an_invoice_delete_racing_an_invoice_create_loses_no_call_and_bills_none_twice(backend: Backend) {
    let _alone = one_at_a_time();
    let clock = std::time::Instant::now();
    let env = Env::seeded_on(backend);
    let data = random_calls(&mut Rng::new(31), "acme", &month_days(2026, 1, 31), 4000);
    env.import_ok("cdrs", "cdrs.csv", &cdrs_csv(&data));
    let ids = |from: &str, to: &str| -> BTreeSet<String> {
        data.iter()
            .filter(|d| billable(d) && from <= &d.start[..10] && &d.start[..10] <= to)
            .map(|d| d.id.clone())
            .collect()
    };
    env.snapshot("empty.db");

    // Invoice X bills January 1-20; the racing creation asks for January 10-31.
    let x = env.create_ok("acme", "2026-01-01", "2026-01-20");
    let x_id = x["id"].as_str().expect("id").to_owned();
    env.snapshot("with-x.db");
    let create = Request { customer: "acme", from: "2026-01-10", to: "2026-01-31", types: None };
    // The two possible outcomes, run one after the other: the creation before the deletion
    // bills January 21-31 (with X's allowance draw still standing), after it January 10-31.
    let before = env.create_ok("acme", "2026-01-10", "2026-01-31");
    env.restore("empty.db");
    let timed = env.spawn(&create.args()).wait(LIMIT);
    let after = timed.run.json();
    let create_time = timed.elapsed;
    let (late, whole) = (ids("2026-01-21", "2026-01-31"), ids("2026-01-10", "2026-01-31"));
    assert_eq!(usage_lines_of(&before).values().map(|l| l.0).sum::<u64>(), late.len() as u64);
    assert_eq!(usage_lines_of(&after).values().map(|l| l.0).sum::<u64>(), whole.len() as u64);
    let released = format!("deleted invoice {x_id}: {} calls released", ids("2026-01-01", "2026-01-20").len());

    let mut rng = Rng::new(0xBAD5EED);
    let mut seen = (0, 0);
    for round in 0..20 {
        env.restore("with-x.db");
        let delay = Duration::from_micros(rng.below(create_time.as_micros() as u64 + 1));
        let delete_first = rng.below(2) == 0;
        let delete_args = ["invoice", "delete", x_id.as_str()];
        let create_args = create.args();
        let (a, b) = if delete_first {
            let a = env.spawn(&delete_args);
            std::thread::sleep(delay);
            (a, env.spawn(&create_args))
        } else {
            let a = env.spawn(&create_args);
            std::thread::sleep(delay);
            (a, env.spawn(&delete_args))
        };
        let (a, b) = (a.wait(LIMIT).run, b.wait(LIMIT).run);
        let (deleted, made) = if delete_first { (a, b) } else { (b, a) };
        let context = format!("round {round} (delete first: {delete_first}, delay {delay:?})");

        deleted.assert_ok();
        assert!(deleted.stdout.contains(&released), "{context}\n{}", deleted.dump());
        let y = created(&made).unwrap_or_else(|| panic!("{context}: nothing to bill\n{}", made.dump()));
        env.assert_db_clean(&context);

        let ledger = Ledger::read(&env, "acme");
        env.meter(&["invoice", "show", &x_id]).assert_code(1);
        assert_eq!(ledger.invoices.keys().collect::<Vec<_>>(), vec![&y], "{context}: the live invoices");
        let on_y = ledger.on(&y);
        assert_eq!(ledger.billed_ids(), on_y, "{context}");
        let doc = &ledger.invoices[&y];
        if on_y == late {
            assert_eq!(usage_lines_of(doc), usage_lines_of(&before), "{context}: created before the delete");
            assert_eq!(doc["already_billed"], before["already_billed"]);
            seen.0 += 1;
        } else if on_y == whole {
            assert_eq!(usage_lines_of(doc), usage_lines_of(&after), "{context}: created after the delete");
            assert_eq!(doc["already_billed"], 0);
            seen.1 += 1;
        } else {
            panic!(
                "{context}: invoice {y} bills {} calls: neither the {} of January 21-31 nor the {} of January 10-31",
                on_y.len(),
                late.len(),
                whole.len()
            );
        }
        // Created before the delete, it drew nothing (X had used the allowances up); the
        // seconds X gives back stay in the balance for later invoices.
        check_acme_allowances(&ledger, on_y == whole);
    }
    eprintln!(
        "{backend:?} create before delete: {} rounds, after: {} rounds, in {:.1?}",
        seen.0,
        seen.1,
        clock.elapsed()
    );
    assert!(seen.0 > 0 && seen.1 > 0, "the race went one way only: {seen:?}");
}

fn a_cdrs_import_racing_an_invoice_create_is_billed_all_or_nothing(backend: Backend) {
    let _alone = one_at_a_time();
    let clock = std::time::Instant::now();
    let env = Env::seeded_on(backend);
    let base = random_calls(&mut Rng::new(5), "acme", &month_days(2026, 1, 31), 3000);
    env.import_ok("cdrs", "base.csv", &cdrs_csv(&base));
    let base_billable: BTreeSet<String> = base.iter().filter(|d| billable(d)).map(|d| d.id.clone()).collect();
    env.snapshot("base.db");
    let create = Request { customer: "acme", from: "2026-01-01", to: "2026-01-31", types: None };

    // How long an import of one file takes (the median of three), to spread the second start
    // over it.
    const ROWS: usize = 8_000;
    let file_of = |round: u64| -> (String, Vec<Cdr>) {
        let mut calls = random_calls(&mut Rng::new(1000 + round), "acme", &month_days(2026, 1, 31), ROWS);
        for c in &mut calls {
            c.id = format!("r{round}-{}", c.id);
        }
        (env.write(&format!("round{round}.csv"), &cdrs_csv(&calls)), calls)
    };
    let (path, _) = file_of(99);
    let mut times: Vec<Duration> = (0..3)
        .map(|_| {
            env.restore("base.db");
            env.spawn(&["cdrs", "import", &path, "--format", "json"]).wait(LIMIT).elapsed
        })
        .collect();
    times.sort();
    let import_time = times[1];

    // Rounds alternate which command starts first. The second start is spread over equal
    // stripes of a span, one round per stripe (and a random point in it): a creation started
    // during the import overlaps it (SQLite: it waits for the import's write lock, or takes it
    // first; PostgreSQL: it runs beside the import and reads the calls committed when it reads
    // them), and the last stripes of the import-first rounds start past the import's commit,
    // where the creation must bill the whole file.
    const ROUNDS: u64 = 10;
    let stripes = ROUNDS / 2;
    let mut rng = Rng::new(0x1A9);
    let mut seen = (0, 0);
    for round in 0..ROUNDS {
        env.restore("base.db");
        let (path, calls) = file_of(round);
        let ours: BTreeSet<String> = calls.iter().filter(|d| billable(d)).map(|d| d.id.clone()).collect();
        let import_args = ["cdrs", "import", path.as_str(), "--format", "json"];
        let create_args = create.args();
        let import_first = round % 2 == 0;
        // Import first: over 1.5 × the import's time; create first: over half of it.
        let span = if import_first { import_time * 3 / 2 } else { import_time / 2 };
        let stripe = span.as_micros() as u64 / stripes;
        let delay = Duration::from_micros(stripe * (round / 2) + rng.below(stripe.max(1)));
        let (a, b) = if import_first {
            let a = env.spawn(&import_args);
            std::thread::sleep(delay);
            (a, env.spawn(&create_args))
        } else {
            let a = env.spawn(&create_args);
            std::thread::sleep(delay);
            (a, env.spawn(&import_args))
        };
        let (a, b) = (a.wait(LIMIT).run, b.wait(LIMIT).run);
        let (imported, made) = if import_first { (a, b) } else { (b, a) };
        let context = format!("round {round} (import first: {import_first}, delay {delay:?})");

        imported.assert_ok();
        assert_eq!(Summary::of(&imported.json()), Summary::imported(ROWS as u64), "{context}");
        let y = created(&made).unwrap_or_else(|| panic!("{context}: nothing to bill\n{}", made.dump()));
        env.assert_db_clean(&context);

        let ledger = Ledger::read(&env, "acme");
        assert_eq!(ledger.calls.len(), base.len() + ROWS, "{context}: the import is incomplete");
        assert_eq!(ledger.invoices.keys().collect::<Vec<_>>(), vec![&y], "{context}");
        let on_y = ledger.on(&y);
        assert!(base_billable.is_subset(&on_y), "{context}: calls imported before are missing from {y}");
        let billed_of_file = on_y.intersection(&ours).count();
        assert!(
            billed_of_file == 0 || billed_of_file == ours.len(),
            "{context}: {y} bills {billed_of_file} of the {} billable calls of the file being imported",
            ours.len()
        );
        assert_eq!(on_y.len(), base_billable.len() + billed_of_file, "{context}: {y} bills unknown calls");
        if billed_of_file == 0 {
            seen.0 += 1;
        } else {
            seen.1 += 1;
        }
        check_acme_allowances(&ledger, true);
        // What the invoice left is billable next, in full.
        let rest = env.preview("acme", "2026-01-01", "2026-01-31");
        let left: u64 = usage_lines_of(&rest).values().map(|l| l.0).sum();
        assert_eq!(left as usize, ours.len() - billed_of_file, "{context}: {rest:#}");
    }
    eprintln!(
        "{backend:?} import racing create: the invoice billed none of the file in {} rounds, all of it in {} \
         rounds, in {:.1?}",
        seen.0,
        seen.1,
        clock.elapsed()
    );
    assert!(seen.0 > 0 && seen.1 > 0, "the race went one way only: {seen:?}");
}

/// A process that opens a new database while another holds a lock on it must wait for that
/// lock, like every other wait between processes, instead of failing.
///
/// SQLite: on a new file (still in rollback mode) switching to WAL must upgrade a read lock to a
/// write lock, and SQLite answers busy there at once, without its busy handler; `meter` retries
/// (up to the 60 s busy timeout). In practice the other writer is another `meter` process
/// opening the same new file; here it is a Python `sqlite3` connection holding a write lock,
/// which makes the contention certain.
///
/// PostgreSQL: the openers of a new database apply the migrations one at a time under a
/// transaction-level advisory lock; here `psql` holds that lock (`LOCK_MIGRATIONS` of
/// `crates/store/src/postgres/mod.rs`) as another `meter` applying them would. Waiting at least
/// most of the hold shows the lock was really contended.
fn opening_a_new_database_waits_for_another_writer_instead_of_failing(backend: Backend) {
    let _alone = one_at_a_time();
    let clock = std::time::Instant::now();
    let env = Env::on(backend);
    const HOLD: Duration = Duration::from_secs(1);
    let mut holder = match backend {
        Backend::Sqlite => {
            let hold = format!(
                "import sqlite3, sys, time\n\
                 c = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
                 c.execute('BEGIN IMMEDIATE')\n\
                 print('locked', flush=True)\n\
                 time.sleep({})\n\
                 c.execute('COMMIT')\n",
                HOLD.as_secs_f64()
            );
            std::process::Command::new("python3")
                .args(["-c", &hold])
                .arg(env.db_file())
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("python3 runs")
        }
        Backend::Postgres => {
            const LOCK_MIGRATIONS: i64 = 0x6d_65_74_65_72_00_02;
            let script = format!(
                "BEGIN;\n\
                 SELECT pg_advisory_xact_lock({LOCK_MIGRATIONS});\n\
                 \\echo locked\n\
                 SELECT pg_sleep({});\n\
                 COMMIT;\n",
                HOLD.as_secs_f64()
            );
            let mut holder = std::process::Command::new(psql())
                .args(["-XqAt", "-v", "ON_ERROR_STOP=1", "-d", env.db_url()])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("psql runs");
            std::io::Write::write_all(&mut holder.stdin.take().expect("stdin"), script.as_bytes())
                .expect("writing the script");
            holder
        }
    };
    let mut reader = std::io::BufReader::new(holder.stdout.take().expect("stdout"));
    let mut line = String::new();
    while line.trim().is_empty() {
        line.clear();
        let n = std::io::BufRead::read_line(&mut reader, &mut line).expect("the holder's output");
        assert!(n > 0, "the holder ended without taking the lock");
    }
    assert_eq!(line.trim(), "locked");
    let run = env.spawn(&["db", "migrate"]).wait(LIMIT);
    let held = holder.wait().expect("the holder ends");
    assert!(held.success(), "the holder failed: {held:?}");
    assert_eq!(
        run.run.code,
        0,
        "`meter db migrate` gave up after {:?} instead of waiting for the lock\n{}",
        run.elapsed,
        run.run.dump()
    );
    assert!(run.elapsed >= HOLD / 2, "`meter db migrate` ended after {:?}: it did not wait for the lock", run.elapsed);
    env.assert_db_clean("after the wait");
    eprintln!("{backend:?} opening waited {:.2?}, in {:.1?}", run.elapsed, clock.elapsed());
}
