//! A cycle run shared by workers: the customers due on a date are claims of one run, and each
//! worker (a `cycle run` process, on any host) claims a few at a time, invoices them one by one,
//! and settles each claim with what became of it.
//!
//! No customer is invoiced twice: whatever the claims say, a customer's invoice is made under
//! its row lock after checking that the period is not invoiced yet. None is forgotten: a worker
//! that dies leaves its claims to lapse when their lease ends, and a worker with nothing left to
//! claim waits for the others' claims to be settled or to lapse, so the last worker standing
//! (or a rerun) finishes the run.

use crate::cycle::{due_in, invoice_due, CycleReport, Due, NotInvoiced};
use crate::doc::InvoiceDoc;
use crate::error::Result;
use crate::pricing::Pricing;
use crate::Progress;
use chrono::NaiveDate;
use rating::Micros;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use store::prelude::*;
use store::{ClaimCounts, ClaimOutcome, Customer, JobState, Run, RunKind, Store};
use tracing::info_span;

/// How long a worker waits, at most, before looking again at claims other workers hold.
const POLL: Duration = Duration::from_secs(1);
/// How often a worker counts the run's claims for its progress (the job's and its bar's) in a
/// run of more than [`COUNT_EACH_UP_TO`] customers; in smaller runs it counts after each one.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);
const COUNT_EACH_UP_TO: usize = 1_000;

/// The lease of a claim unless the worker says otherwise: longer than a customer's sync and
/// invoice take, short enough that a dead worker's customers are not left for long.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(300);

/// Customers a worker claims at a time, unless it says otherwise.
pub const DEFAULT_BATCH: u64 = 4;

/// Syncs one due customer's sources for its period before it is invoiced; `Some(reason)` holds
/// the customer (its calls may be incomplete).
pub type SyncFirst<'a, S> = dyn FnMut(&mut S, &Customer, (NaiveDate, NaiveDate)) -> Result<Option<String>> + 'a;

/// A customer due on the run's date, with the period being invoiced.
type DueCustomer = (Customer, NaiveDate, NaiveDate);

/// One worker of a cycle run.
pub struct Worker<'a, S> {
    /// Names the worker in its claims: the host and the process.
    pub name: String,
    /// How long a claim stays this worker's without news from it.
    pub lease: Duration,
    /// Customers claimed at a time.
    pub batch: u64,
    /// Customers settled (by every worker) out of those due.
    pub progress: &'a dyn Progress,
    /// The sync before each customer's invoice, if any.
    pub sync: Option<&'a mut SyncFirst<'a, S>>,
    /// Who the invoices are recorded as made by: `cycle`, or `scheduler` for its runs.
    pub actor: &'static str,
}

/// What a worker that syncs first needs: the key of the sources' secrets, the clock, and a
/// progress display for each sync job.
pub struct Syncing<'a> {
    pub key: Option<&'a crate::metered::secrets::SecretKey>,
    /// Who the invoices are recorded as made by: `cycle`, or `scheduler` for its runs.
    pub actor: &'static str,
    pub now: &'a (dyn Fn() -> Micros + Sync),
    pub job_bar: &'a (dyn Fn(&store::Job) -> Box<dyn Progress> + Sync),
}

/// Opens another connection to the run's database.
pub type Connect<'a, S> = &'a (dyn Fn() -> store::Result<S> + Sync);

/// How a process takes part in a cycle run.
pub struct Part<'a, S> {
    /// Names the process in its claims (`HOST:PID`); its further threads add `/1`, `/2`, ….
    pub name: String,
    /// How long a claim stays the process's without news from it.
    pub lease: Duration,
    /// Customers claimed at a time.
    pub batch: u64,
    /// Customers settled (by every worker) out of those due.
    pub progress: &'a dyn Progress,
    /// Customers invoiced at once, each by a thread of its own on a connection of its own from
    /// `connect`: while one waits for the database, another rates. Only where several usage
    /// transactions run at once ([`Store::CONCURRENT_USAGE`]); elsewhere, and without
    /// `connect`, one.
    pub threads: usize,
    pub connect: Option<Connect<'a, S>>,
}

/// Customers a process invoices at once unless it says otherwise, where it can: two, so that the
/// database works on one customer while the process rates another.
pub const DEFAULT_THREADS: usize = 2;

/// Takes part in the cycle of `date` as `part`, syncing each claimed customer's sources first and
/// holding the customer when a sync fails (the cycle's rule, for the command line and the
/// scheduler alike). `before_each` runs before each customer's sync; `finished` is handed each
/// sync job that finished. With several threads, each is a worker of the run with its own
/// claims, and the report is theirs together.
pub fn run_syncing<S: Store>(
    store: &mut S,
    date: NaiveDate,
    sync: Syncing<'_>,
    part: Part<'_, S>,
    before_each: &(dyn Fn(&mut S) -> Result<()> + Sync),
    finished: &(dyn Fn(&store::Job) + Sync),
) -> Result<CycleReport> {
    let guard = crate::metered::guard::Guard::On(sync.key);
    let now = (sync.now)();
    let worker = |s: &mut S, name: String, joining: Option<Run>| -> Result<CycleReport> {
        let mut syncer = crate::metered::due::DueSyncer::new(s, sync.key)?;
        let mut sync_first = |s: &mut S, c: &Customer, days| {
            before_each(s)?;
            let held = syncer.customer(s, c, days, sync.now, sync.job_bar);
            syncer.done.drain(..).for_each(|j| finished(&j));
            held
        };
        let mut worker = Worker {
            name,
            lease: part.lease,
            batch: part.batch,
            progress: part.progress,
            sync: Some(&mut sync_first),
            actor: sync.actor,
        };
        work(s, date, now, (&[], guard), &mut worker, joining)
    };
    let connect = match part.connect {
        Some(connect) if S::CONCURRENT_USAGE && part.threads > 1 => connect,
        _ => return worker(store, part.name, None),
    };
    // The first thread opens the run and the others join it, so that none of them starts a run
    // of its own after the others have finished this one.
    let customers = store.read()?.customers()?;
    let run = open_run(store, date, now, due_in(customers, date).map(|(c, ..)| c.pk).collect())?;
    let reports: Vec<Result<CycleReport>> = std::thread::scope(|scope| {
        let others: Vec<_> = (1..part.threads)
            .map(|i| {
                let (name, run) = (format!("{}/{i}", part.name), run.clone());
                let worker = &worker;
                scope.spawn(move || worker(&mut connect()?, name, Some(run)))
            })
            .collect();
        let mut reports = vec![worker(store, part.name.clone(), Some(run.clone()))];
        for other in others {
            reports.push(other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        }
        reports
    });
    let mut all = CycleReport::default();
    for report in reports {
        all.absorb(report?);
    }
    all.sort();
    Ok(all)
}

/// This process as a worker: `HOST:PID`.
pub fn worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("{host}:{}", std::process::id())
}

/// Starts the cycle run of `date`, or joins the one running, with a claim for each customer of
/// `due` (keys) that has none; claims held or failed before are tried again.
fn open_run<S: Store>(store: &mut S, date: NaiveDate, now: Micros, mut due: Vec<i64>) -> Result<Run> {
    due.sort_unstable();
    let mut tx = store.write_usage()?;
    let (run, _) = tx.start_run(RunKind::Cycle, &date.to_string(), now)?;
    tx.add_claims(run.id, &due)?;
    tx.retry_claims(run.id)?;
    tx.commit()?;
    Ok(run)
}

/// Takes part in the cycle run of `date` (starting it, or joining the one running; a further
/// thread of a process joins the run its first thread opened, `joining`): claims due customers
/// and invoices them until every claim of the run is settled. Reports what this worker did; the
/// run's job counts what all did.
pub(crate) fn work<S: Store>(
    store: &mut S,
    date: NaiveDate,
    now: Micros,
    (held, guard): (&[(String, String)], crate::metered::guard::Guard),
    worker: &mut Worker<'_, S>,
    joining: Option<Run>,
) -> Result<CycleReport> {
    // The run prices every customer with the deck as it stood when this worker started.
    let (customers, pricing) = {
        let mut tx = store.read()?;
        (tx.customers()?, crate::pricing::load(&mut tx)?)
    };
    let due: HashMap<i64, DueCustomer> = due_in(customers, date).map(|(c, from, to)| (c.pk, (c, from, to))).collect();
    let mut run = match joining {
        Some(run) => run,
        None => open_run(store, date, now, due.keys().copied().collect())?,
    };
    let _span = info_span!("cycle.run", %date, job = run.id, worker = %worker.name).entered();
    let mut report = CycleReport { job: Some(run.id), ..CycleReport::default() };
    let mut last_count = Instant::now();
    // Claims are taken in key order past the last one this worker took, from the start again
    // when none is left past it (others' claims that lapsed or were given back).
    let mut cursor = i64::MIN;
    let mut renewed = Instant::now();
    worker.progress.start(due.len() as u64);
    loop {
        let batch = {
            let mut tx = store.write_usage()?;
            let batch = tx.claim_customers(run.id, &worker.name, (cursor, worker.batch), worker.lease)?;
            tx.commit()?;
            batch
        };
        if batch.is_empty() && cursor != i64::MIN {
            cursor = i64::MIN;
            continue;
        }
        if let Some(last) = batch.iter().max() {
            cursor = *last;
            renewed = Instant::now();
        }
        if batch.is_empty() {
            let counts = store.read()?.claim_counts(run.id)?;
            worker.progress.at(settled(&counts));
            if counts.open() == 0 {
                break;
            }
            // A worker of this host that has died gives its claims back at once.
            let mut tx = store.write_usage()?;
            let mut released = 0;
            let holders = tx.claim_holders(run.id)?;
            for holder in &holders {
                if is_dead_here(holder, &worker.name) {
                    tracing::info!(%holder, "taking over the claims of a worker that has died");
                    released += tx.release_claims(run.id, holder)?;
                }
            }
            tx.commit()?;
            if released > 0 {
                continue;
            }
            // Only this process's other threads hold the rest: they settle it themselves (and
            // finish the run), and the process ends when they do.
            if !holders.is_empty() && holders.iter().all(|h| same_process(h, &worker.name)) {
                break;
            }
            // Other workers hold the rest: wait for them to settle it, or for their leases to end.
            let wait = counts.next_expiry.map_or(POLL, |us| Duration::from_micros(us.max(0) as u64 + 1_000));
            tracing::debug!(claimed = counts.claimed, ?wait, "waiting for other workers");
            std::thread::sleep(wait.min(POLL));
            continue;
        }
        let mut batch: Vec<(i64, Option<&DueCustomer>)> = batch.into_iter().map(|pk| (pk, due.get(&pk))).collect();
        batch.sort_by(|a, b| a.1.map(|d| &d.0.id).cmp(&b.1.map(|d| &d.0.id)));
        for (pk, entry) in batch {
            let (customer, (outcome, reason)) = match entry {
                Some((c, from, to)) => {
                    let days = (*from, *to);
                    let settled = one(store, &pricing, c, days, now, (held, guard), worker, (&run, &mut renewed))?;
                    if !matches!(settled.0, Settled::Not(ClaimOutcome::Failed)) {
                        report.unbilled_earlier.extend(crate::cycle::unbilled_earlier(store, c, *from)?);
                    }
                    (c.id.clone(), settled)
                }
                // Its billing day changed after the run started: not due on this date any more.
                None => (format!("#{pk}"), (Settled::Not(ClaimOutcome::Skipped), format!("no longer due on {date}"))),
            };
            // An invoiced customer's claim was settled with its invoice.
            let unsettled = match outcome {
                Settled::Invoiced(doc) => {
                    report.invoices.push(*doc);
                    None
                }
                Settled::Not(kind) => {
                    let list = match kind {
                        ClaimOutcome::Held => &mut report.held,
                        ClaimOutcome::Failed => &mut report.failed,
                        _ => &mut report.skipped,
                    };
                    list.push(NotInvoiced { customer, reason: reason.clone() });
                    Some(kind)
                }
            };
            // Counting the run's claims reads all of them: after every customer while they are
            // few, else once a second, so that a customer costs the same in a run of any size.
            let count = due.len() <= COUNT_EACH_UP_TO || last_count.elapsed() >= PROGRESS_EVERY;
            if unsettled.is_none() && !count {
                continue;
            }
            let mut tx = store.write_usage()?;
            if let Some(kind) = unsettled {
                tx.settle_claim(run.id, pk, &worker.name, kind, &reason)?;
            }
            if count {
                let counts = tx.claim_counts(run.id)?;
                run = progress_of(tx.run(run.id)?.unwrap_or(run), &counts, now);
                tx.save_run(&run)?;
                worker.progress.at(settled(&counts));
                last_count = Instant::now();
            }
            tx.commit()?;
        }
    }
    // Whoever finds every claim settled closes the run. A worker leaving while claims are open
    // writes nothing: the run it read could be closed by the time it wrote, and writing it back
    // running left it open for good, so that the next cycle of the date joined it and invoiced
    // nobody. A worker still settling claims writes its progress but closes the run after.
    let mut tx = store.write_usage()?;
    let counts = tx.claim_counts(run.id)?;
    if let Some(current) = tx.run(run.id).map(|r| r.filter(|_| counts.open() == 0))? {
        let mut done = progress_of(current, &counts, now);
        if done.state == JobState::Running {
            done.state = if counts.held + counts.failed == 0 { JobState::Done } else { JobState::Failed };
            done.finished_at = Some(now);
        }
        tx.save_run(&done)?;
    }
    tx.commit()?;
    worker.progress.finish();
    report.sort();
    Ok(report)
}

/// What became of one claimed customer.
enum Settled {
    Invoiced(Box<InvoiceDoc>),
    Not(ClaimOutcome),
}

/// Syncs (when asked) and invoices one claimed customer, keeping the claim's lease alive;
/// returns the outcome and why the customer was not invoiced.
#[allow(clippy::too_many_arguments)]
fn one<S: Store>(
    store: &mut S,
    pricing: &Pricing,
    c: &Customer,
    days: (NaiveDate, NaiveDate),
    now: Micros,
    (held, guard): (&[(String, String)], crate::metered::guard::Guard),
    worker: &mut Worker<'_, S>,
    (run, renewed): (&Run, &mut Instant),
) -> Result<(Settled, String)> {
    let _span = info_span!("cycle.customer", customer = %c.id).entered();
    // The claims' lease is renewed once a third of it has passed, not for every customer: each
    // customer still starts with two thirds of a lease ahead of it.
    if renewed.elapsed() >= worker.lease / 3 {
        let mut tx = store.write_usage()?;
        tx.renew_claims(run.id, &worker.name, worker.lease)?;
        tx.commit()?;
        *renewed = Instant::now();
    }
    let mut sync_failed = held.iter().find(|(id, _)| *id == c.id).map(|(_, reason)| reason.clone());
    if let (None, Some(sync)) = (&sync_failed, worker.sync.as_mut()) {
        sync_failed = sync(store, c, days)?;
    }
    let claim = ((run.id, worker.name.as_str()), worker.actor);
    Ok(match invoice_due(store, pricing, c.clone(), days, now, (sync_failed.as_deref(), guard), claim) {
        Ok(Due::Created(doc)) => (Settled::Invoiced(doc), String::new()),
        Ok(Due::Skipped(reason)) => (Settled::Not(ClaimOutcome::Skipped), reason),
        Ok(Due::Held(reason)) => (Settled::Not(ClaimOutcome::Held), reason),
        Err(e) => {
            tracing::warn!(customer = %c.id, error = %e, "not invoiced");
            (Settled::Not(ClaimOutcome::Failed), e.to_string())
        }
    })
}

/// Whether `holder` (`HOST:PID`, or `HOST:PID/N` for a further thread) is a process of this host
/// (named as `me` is) that no longer runs. Only where processes can be looked up (`/proc`);
/// elsewhere its lease decides.
fn is_dead_here(holder: &str, me: &str) -> bool {
    let (Some((host, pid)), Some((my_host, _))) = (holder.rsplit_once(':'), me.rsplit_once(':')) else {
        return false;
    };
    let pid = pid.split_once('/').map_or(pid, |(pid, _)| pid);
    let proc = std::path::Path::new("/proc");
    holder != me
        && host == my_host
        && pid.parse::<u32>().is_ok()
        && proc.join("self").exists()
        && !proc.join(pid).exists()
}

/// Whether `holder` is a thread of the process `me` belongs to (`HOST:PID` or `HOST:PID/N`).
fn same_process(holder: &str, me: &str) -> bool {
    let process = |name: &str| name.split_once('/').map_or(name, |(p, _)| p).to_owned();
    process(holder) == process(me)
}

/// Claims settled by any worker.
fn settled(c: &ClaimCounts) -> u64 {
    c.invoiced + c.skipped + c.held + c.failed
}

/// The run with the claims' counts as its progress.
fn progress_of(mut run: Run, c: &ClaimCounts, now: Micros) -> Run {
    run.total = c.open() + settled(c);
    run.done = settled(c);
    (run.invoiced, run.skipped, run.held, run.failed) = (c.invoiced, c.skipped, c.held, c.failed);
    run.updated_at = now;
    run
}
