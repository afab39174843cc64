//! The billing cycle as jobs shared by workers: `cycle run --date D` is idempotent when run
//! twice, when two run at once, and when killed with SIGKILL at random points and run again;
//! several workers on one PostgreSQL database split the customers and finish a killed worker's
//! share. Afterwards every due customer has exactly one invoice for the period, every billable
//! call of the period is billed once, and `db check` is clean. The real binary, on both backends
//! (the four workers on PostgreSQL, where workers on several hosts share a database).

mod common;

use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

on_both_backends! {
    a_cycle_run_is_a_job_with_its_progress_and_a_second_run_creates_nothing,
    two_cycle_runs_at_once_invoice_each_customer_once,
    a_cycle_killed_at_random_points_is_completed_by_a_rerun,
}

const DATE: &str = "2026-02-01";
const FROM: &str = "2026-01-01";
const TO: &str = "2026-01-31";

/// The limit for any one uninterrupted run; far above the measured times.
const LIMIT: Duration = Duration::from_secs(120);

/// Whether a call is billable by the standard deck: answered and of a rated type.
fn billable(d: &Cdr) -> bool {
    d.duration > 0 && standard_price_e4_per_second(d.expected_type()).is_some()
}

/// `count` customers due on [`DATE`] (billing day 1, UTC, the standard plans) with `calls` calls
/// each over January and the first days of February. Returns the environment and each
/// customer's calls a January invoice bills.
fn customers_with_calls(backend: Backend, count: usize, calls: usize) -> (Env, BTreeMap<String, BTreeSet<String>>) {
    let env = Env::on(backend);
    env.import_ok("plans", "plans.csv", STANDARD_PLANS);
    let mut csv = "id,name,timezone,billing_day,currency,plans\n".to_owned();
    let ids: Vec<String> = (1..=count).map(|i| format!("c{i:02}")).collect();
    for id in &ids {
        csv.push_str(&format!("{id},Customer {id},UTC,1,USD,basic|world\n"));
    }
    env.import_ok("customers", "customers.csv", &csv);
    env.import_ok("rates", "rates.csv", STANDARD_RATES);
    let mut days = month_days(2026, 1, 31);
    days.extend([(2026, 2, 1), (2026, 2, 2)]);
    let mut rng = Rng::new(count as u64 * 1_000 + calls as u64);
    let mut all = Vec::new();
    let mut expected = BTreeMap::new();
    for id in &ids {
        let mut data = random_calls(&mut rng, id, &days, calls);
        for d in &mut data {
            d.id = format!("{id}-{}", d.id);
        }
        let january = data.iter().filter(|d| billable(d) && d.start.starts_with("2026-01")).map(|d| d.id.clone());
        expected.insert(id.clone(), january.collect());
        all.extend(data);
    }
    assert_eq!(env.import_ok("cdrs", "calls.csv", &cdrs_csv(&all)), Summary::imported(all.len() as u64));
    (env, expected)
}

/// Each customer's January invoices (at most one each, billing exactly its January calls), by
/// customer. With `complete`, every customer must have its one.
#[track_caller]
fn audit(
    env: &Env,
    expected: &BTreeMap<String, BTreeSet<String>>,
    complete: bool,
    context: &str,
) -> BTreeMap<String, String> {
    let mut invoiced = BTreeMap::new();
    for (customer, calls) in expected {
        let ledger = Ledger::read(env, customer);
        let january: Vec<&String> = ledger
            .invoices
            .iter()
            .filter(|(_, doc)| doc["from"] == FROM && doc["to"] == TO)
            .map(|(id, _)| id)
            .collect();
        assert_eq!(ledger.invoices.len(), january.len(), "{context}: {customer} has invoices of other periods");
        match january.as_slice() {
            [] => {
                assert!(!complete, "{context}: {customer} has no invoice");
                assert!(ledger.billed_ids().is_empty(), "{context}: {customer} has calls billed on no invoice");
            }
            [id] => {
                assert_eq!(&ledger.billed_ids(), calls, "{context}: {customer}'s invoice {id} bills other calls");
                invoiced.insert(customer.clone(), (*id).clone());
            }
            more => panic!("{context}: {customer} has {} January invoices: {more:?}", more.len()),
        }
    }
    invoiced
}

/// The customers of a `cycle run --format json` document's list `what`.
fn customers_in(doc: &Value, what: &str) -> Vec<String> {
    let list = doc[what].as_array().unwrap_or_else(|| panic!("no `{what}` in {doc}"));
    list.iter().map(|i| i["customer"].as_str().expect("a customer").to_owned()).collect()
}

fn cycle_args(extra: &[&'static str]) -> Vec<&'static str> {
    let mut args = vec!["cycle", "run", "--date", DATE, "--format", "json"];
    args.extend_from_slice(extra);
    args
}

#[track_caller]
fn job(env: &Env, id: u64) -> Value {
    let run = env.meter(&["jobs", "show", &id.to_string(), "--format", "json"]);
    run.assert_ok();
    run.json()
}

fn a_cycle_run_is_a_job_with_its_progress_and_a_second_run_creates_nothing(backend: Backend) {
    let (env, expected) = customers_with_calls(backend, 5, 40);
    let first = env.meter(&cycle_args(&[]));
    first.assert_ok();
    let doc = first.json();
    let names: Vec<String> = expected.keys().cloned().collect();
    assert_eq!(customers_in(&doc, "invoices"), names);
    for what in ["skipped", "held", "failed"] {
        assert_eq!(doc[what], serde_json::json!([]), "{what}");
    }
    let id = doc["job"].as_u64().expect("the run's job");
    let shown = job(&env, id);
    assert_eq!(
        (&shown["kind"], &shown["date"], &shown["state"], &shown["total"], &shown["done"], &shown["invoiced"]),
        (&"cycle".into(), &DATE.into(), &"done".into(), &5.into(), &5.into(), &5.into()),
        "{shown:#}"
    );
    assert_eq!((&shown["skipped"], &shown["held"], &shown["failed"]), (&0.into(), &0.into(), &0.into()));
    assert!(shown["finished_at"].is_string(), "{shown:#}");
    let invoiced = audit(&env, &expected, true, "after the first run");

    // Again: nothing new, each customer skipped as invoiced already, in a run of its own.
    let second = env.meter(&cycle_args(&[]));
    second.assert_ok();
    let again = second.json();
    assert_eq!(again["invoices"], serde_json::json!([]));
    assert_eq!(customers_in(&again, "skipped"), names);
    for (item, (customer, invoice)) in again["skipped"].as_array().expect("skipped").iter().zip(&invoiced) {
        let reason = item["reason"].as_str().expect("a reason");
        assert!(reason.contains("already invoiced") && reason.contains(invoice.as_str()), "{customer}: {reason}");
    }
    let second_id = again["job"].as_u64().expect("the second run's job");
    assert!(second_id > id);
    let shown = job(&env, second_id);
    assert_eq!((&shown["state"], &shown["skipped"], &shown["invoiced"]), (&"done".into(), &5.into(), &0.into()));
    assert_eq!(audit(&env, &expected, true, "after the second run"), invoiced);

    // Both runs are listed among the jobs, newest first, with their kind.
    let listed = env.meter(&["jobs", "list", "--format", "json"]);
    listed.assert_ok();
    let jobs = listed.json()["jobs"].as_array().expect("jobs").clone();
    let runs: Vec<(u64, &str)> =
        jobs.iter().map(|j| (j["id"].as_u64().expect("id"), j["kind"].as_str().expect("kind"))).collect();
    assert_eq!(runs, vec![(second_id, "cycle"), (id, "cycle")]);
    let text = env.meter(&["jobs", "list"]);
    text.assert_ok();
    assert!(
        text.stdout.contains(&format!("job {id} done cycle {DATE}: 5 of 5 customers, 5 invoiced")),
        "{}",
        text.dump()
    );
    // As text, a run ends with what it did.
    let third = env.meter(&["cycle", "run", "--date", DATE]);
    third.assert_ok();
    let last = third.stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("this run (job ") && last.ends_with("): 0 invoiced, 5 skipped, 0 held, 0 failed"),
        "{}",
        third.dump()
    );
    env.assert_db_clean("after the runs");
}

fn two_cycle_runs_at_once_invoice_each_customer_once(backend: Backend) {
    let _alone = one_at_a_time();
    let (env, expected) = customers_with_calls(backend, 12, 150);
    let args = cycle_args(&["--batch", "1"]);
    let (a, b) = (env.spawn(&args), env.spawn(&args));
    let (a, b) = (a.wait(LIMIT), b.wait(LIMIT));
    a.run.assert_ok();
    b.run.assert_ok();
    let (a, b) = (a.run.json(), b.run.json());
    let mut invoiced = customers_in(&a, "invoices");
    invoiced.extend(customers_in(&b, "invoices"));
    invoiced.sort();
    assert_eq!(invoiced, expected.keys().cloned().collect::<Vec<_>>(), "each customer invoiced by one run");
    // Each customer the other run invoiced is skipped (or not reached) by this one.
    for (doc, other) in [(&a, &b), (&b, &a)] {
        let theirs: BTreeSet<String> = customers_in(other, "invoices").into_iter().collect();
        assert!(customers_in(doc, "skipped").iter().all(|c| theirs.contains(c)), "{doc:#}\n{other:#}");
    }
    audit(&env, &expected, true, "after two runs at once");
    env.assert_db_clean("after two runs at once");
}

/// Runs actually interrupted by our SIGKILL.
const KILLS: usize = 30;

fn a_cycle_killed_at_random_points_is_completed_by_a_rerun(backend: Backend) {
    let _alone = one_at_a_time();
    let clock = std::time::Instant::now();
    let (env, expected) = customers_with_calls(backend, 6, 300);
    env.snapshot("due.db");
    // The default lease (300 s): the rerun takes over what the killed run had claimed at once,
    // seeing that its process, on this host, has died.
    let args = cycle_args(&["--batch", "2"]);
    let log = [("METER_LOG", "debug")];
    let mut times: Vec<Duration> = (0..3)
        .map(|_| {
            env.restore("due.db");
            let ended = env.spawn_with_env(&args, &log).wait(LIMIT);
            ended.run.assert_ok();
            ended.elapsed
        })
        .collect();
    times.sort();
    audit(&env, &expected, true, "after an uninterrupted run");
    let span = times[1] * 6 / 5;

    let mut rng = Rng::new(0xC1C1E);
    let (mut kills, mut rounds, mut partial) = (0, 0, 0);
    while kills < KILLS {
        rounds += 1;
        assert!(rounds < KILLS * 3, "only {kills} of {rounds} runs were interrupted by the kill");
        env.restore("due.db");
        let delay = Duration::from_micros(rng.below(span.as_micros() as u64));
        let child = env.spawn_with_env(&args, &log);
        std::thread::sleep(delay.saturating_sub(child.started.elapsed()));
        let ended = child.kill();
        let context = format!("after killing `cycle run` at {delay:?}");
        env.assert_db_clean_after_kill(&context);
        let before = audit(&env, &expected, false, &context);
        if !ended.was_killed() {
            ended.run.assert_ok();
            continue;
        }
        kills += 1;
        if !before.is_empty() && before.len() < expected.len() {
            partial += 1;
        }
        // The rerun invoices the customers not done and leaves the others' invoices as they are.
        let rerun = env.spawn(&args).wait(LIMIT).run;
        rerun.assert_ok();
        let doc = rerun.json();
        let after = audit(&env, &expected, true, &format!("{context} and rerunning it"));
        for (customer, invoice) in &before {
            assert_eq!(after.get(customer), Some(invoice), "{context}: the rerun changed {customer}'s invoice");
        }
        let created: BTreeSet<String> = customers_in(&doc, "invoices").into_iter().collect();
        let missing: BTreeSet<String> = expected.keys().filter(|c| !before.contains_key(*c)).cloned().collect();
        assert_eq!(created, missing, "{context}: the rerun invoiced other customers than those left");
        env.assert_db_clean(&format!("{context} and rerunning it"));
    }
    assert!(partial > 0, "no kill landed between two customers' invoices in {rounds} rounds");
    eprintln!(
        "{backend:?} cycle run: {kills} kills in {rounds} rounds ({partial} part-way), runs of {span:?}, in {:.1?}",
        clock.elapsed()
    );
}

/// Four workers share one cycle on PostgreSQL; one is killed mid-run; the survivors take over its
/// claims once their lease ends, and every customer is invoiced exactly once.
#[test]
fn four_workers_on_postgresql_share_a_cycle_and_finish_a_killed_ones_share() {
    let _alone = one_at_a_time();
    let (env, expected) = customers_with_calls(Backend::Postgres, 24, 400);
    // One thread each: four workers, each named after its process (the threads of a process are
    // the next test's).
    let args = cycle_args(&["--batch", "2", "--lease", "2", "--threads", "1"]);
    // The first worker names itself as a process of another host: the others cannot see it die,
    // and take its claims over only when their lease ends.
    let mut workers: Vec<Spawned> = vec![env.spawn_with_env(&args, &[("METER_WORKER_NAME", "elsewhere:1")])];
    workers.extend((1..4).map(|_| env.spawn(&args)));
    // Kill it mid-run: once the run has settled a few customers and it holds a claim. It is
    // stopped (SIGSTOP) while its claims are read, so that what was read is what it holds when the
    // kill lands; a transaction it had sent has ended by the time they are read.
    let mine = "SELECT customer_pk FROM cycle_claims WHERE worker = 'elsewhere:1' AND state = 'claimed'";
    let started = std::time::Instant::now();
    let orphans = loop {
        assert!(started.elapsed() < LIMIT, "the first worker never held a claim mid-run");
        std::thread::sleep(Duration::from_millis(10));
        let listed = env.meter(&["jobs", "list", "--format", "json"]);
        let done = listed.json()["jobs"].as_array().and_then(|j| j.first()).map(|j| j["done"].as_u64().unwrap_or(0));
        if done.is_none_or(|d| d < 4) {
            continue;
        }
        workers[0].signal("STOP");
        std::thread::sleep(Duration::from_millis(50));
        let held = query(&env, mine);
        if !held.is_empty() {
            break held;
        }
        workers[0].signal("CONT");
    };
    let killed = workers.remove(0).kill();
    assert!(killed.was_killed(), "the worker finished before the kill:\n{}", killed.run.dump());
    let survivors: Vec<Ended> = workers.into_iter().map(|w| w.wait(LIMIT)).collect();
    let mut invoiced = Vec::new();
    for s in &survivors {
        s.run.assert_ok();
        invoiced.extend(customers_in(&s.run.json(), "invoices"));
    }
    let by_survivors: BTreeSet<String> = invoiced.iter().cloned().collect();
    assert_eq!(by_survivors.len(), invoiced.len(), "a customer invoiced by two survivors: {invoiced:?}");
    env.assert_db_clean_after_kill("after the workers");
    audit(&env, &expected, true, "after four workers, one killed");
    // The claims the killed worker left were taken over and settled by a survivor.
    let left = query(&env, "SELECT customer_pk FROM cycle_claims WHERE worker = 'elsewhere:1'");
    assert!(orphans.iter().all(|pk| !left.contains(pk)), "claims {orphans:?} of the killed worker are still its own");
    let id = survivors[0].run.json()["job"].as_u64().expect("the run's job");
    let shown = job(&env, id);
    assert_eq!(
        (&shown["state"], &shown["total"], &shown["done"]),
        (&"done".into(), &24.into(), &24.into()),
        "{shown:#}"
    );
    for s in &survivors {
        assert_eq!(s.run.json()["job"].as_u64(), Some(id), "the workers share one run");
    }
}

/// One process invoices several customers at once on PostgreSQL (`--threads`): each thread is a
/// worker of the run with its own claims, named after the process, and together they invoice
/// every customer once.
#[test]
fn one_process_with_several_threads_on_postgresql_invoices_each_customer_once() {
    let _alone = one_at_a_time();
    let (env, expected) = customers_with_calls(Backend::Postgres, 24, 200);
    let run = env.meter(&cycle_args(&["--batch", "1", "--threads", "3"]));
    run.assert_ok();
    let invoiced = customers_in(&run.json(), "invoices");
    assert_eq!(invoiced, expected.keys().cloned().collect::<Vec<_>>(), "every customer once, in id order");
    audit(&env, &expected, true, "after one process with three threads");
    let workers = query(&env, "SELECT DISTINCT worker FROM cycle_claims ORDER BY 1");
    let process = &workers[0];
    assert!(workers.len() >= 2, "the customers were invoiced by one thread only: {workers:?}");
    for (i, w) in workers.iter().enumerate().skip(1) {
        assert!(w.starts_with(&format!("{process}/")), "worker {i} `{w}` is not a thread of `{process}`");
    }
}

/// The first column of each row of `sql` (PostgreSQL), as text.
fn query(env: &Env, sql: &str) -> Vec<String> {
    let out = std::process::Command::new(psql())
        .args(["-XqAt", "-v", "ON_ERROR_STOP=1", "-d", env.db_url(), "-c", sql])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("running psql");
    assert!(out.status.success(), "`{sql}`: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect()
}
