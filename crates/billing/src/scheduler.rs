//! The scheduler: every day at a set local time, pull the call records of the days before it for
//! every customer with a source (again for the last few days, to catch records that arrive
//! late), then run the billing cycle for the day. The last completed day is kept in the
//! database, so days missed while no scheduler ran are caught up, oldest first, when one starts.
//! One scheduler acts at a time, even with several on one database: the one holding the lease.
//!
//! [`tick`] is one pass (the use case); the loop that calls it at the right times lives with its
//! caller (`meter scheduler`), on tokio, calling it on a blocking thread.

use crate::cycle::{CycleReport, NotInvoiced};
use crate::error::{BillingError, Result};
use crate::metered::secrets::SecretKey;
use crate::metered::sync::Outcome;
use crate::metered::{configured, settings, SyncRequest};
use crate::workers::Connect;
use crate::Quiet;
use chrono::{Days, NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;
use rating::Micros;
use serde::Serialize;
use std::time::Duration;
use store::prelude::*;
use store::{Job, JobState, Run, RunKind, Store};

/// When the scheduler works, and how.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The local time of day at which a day's work starts.
    pub at: NaiveTime,
    /// The zone of `at`.
    pub zone: Tz,
    /// Days before each day whose records are pulled again (late records), besides the day before.
    pub overlap: u32,
    /// How long the acting scheduler's lease lasts without being renewed; it is renewed before
    /// each customer's sync and invoice, and after each day.
    pub lease: Duration,
    /// The lease of the cycle's claims (see [`Worker::lease`]).
    pub cycle_lease: Duration,
    /// Customers the cycle invoices at once where the backend allows (see
    /// [`crate::workers::Part::threads`]), each on a connection of its own.
    pub threads: usize,
}

impl Schedule {
    /// The latest day whose work may have started at `now`: today in the zone once `at` has
    /// passed, else yesterday.
    pub fn latest_day(&self, now: Micros) -> NaiveDate {
        let local = self.zone.timestamp_micros(now).single().map(|t| t.naive_local()).unwrap_or_default();
        let today = local.date();
        if local.time() >= self.at {
            today
        } else {
            today.pred_opt().unwrap_or(today)
        }
    }

    /// The next instant after `now` at which a day's work starts, in µs.
    pub fn next_start(&self, now: Micros) -> Micros {
        let next = self.latest_day(now).succ_opt().unwrap_or(NaiveDate::MAX);
        // A local time a clock change skips starts at the first instant after it.
        let local = next.and_time(self.at);
        let at = self
            .zone
            .from_local_datetime(&local)
            .earliest()
            .or_else(|| self.zone.from_local_datetime(&(local + chrono::Duration::hours(1))).earliest());
        at.map_or(now + 3_600_000_000, |t| t.timestamp_micros())
    }
}

/// The days to run, oldest first: those after the last completed one up to `latest`; only
/// `latest` when no day was ever completed.
pub fn due_days(last: Option<NaiveDate>, latest: NaiveDate) -> Vec<NaiveDate> {
    match last {
        None => vec![latest],
        Some(last) => last.iter_days().skip(1).take_while(|d| *d <= latest).collect(),
    }
}

/// What one pass of the scheduler did.
#[derive(Debug, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Tick {
    /// No day was due.
    Idle,
    /// Another scheduler holds the lease, for `left_seconds` more.
    Busy { holder: String, left_seconds: u64 },
    /// Days run, oldest first; `waiting` names a due day not run yet, and why.
    Ran { days: Vec<DayDoc>, waiting: Option<String> },
}

/// One day's work, as reported.
#[derive(Debug, Serialize)]
pub struct DayDoc {
    pub day: String,
    /// The scheduler's job for the day, and the cycle's.
    pub job: i64,
    pub cycle_job: Option<i64>,
    /// The days pulled for late records, and the syncs run.
    pub pulled_from: String,
    pub pulled_to: String,
    pub syncs: u64,
    /// Syncs that failed (the cycle holds their customers when they are due).
    pub sync_failed: Vec<NotInvoiced>,
    /// The customers invoiced by the day's cycle.
    pub invoiced: Vec<String>,
    pub skipped: Vec<NotInvoiced>,
    pub held: Vec<NotInvoiced>,
    pub failed: Vec<NotInvoiced>,
}

/// One pass: unless another scheduler holds the lease, runs every due day oldest first (each a
/// job: the pull, then the cycle), records each completed day, and gives the lease up. A day
/// whose date has not begun yet in the zone of a customer due on it waits for a later pass.
pub fn tick<S: Store>(
    store: &mut S,
    key: Option<&SecretKey>,
    now: &(dyn Fn() -> Micros + Sync),
    schedule: &Schedule,
    holder: &str,
    connect: Option<Connect<'_, S>>,
) -> Result<Tick> {
    let last = store.read()?.scheduler_day()?;
    let last = last
        .map(|d| {
            crate::time::parse_date(&d)
                .map_err(|e| store::StoreError::Corrupt(format!("the scheduler's last day: {e}")))
        })
        .transpose()?;
    let days = due_days(last, schedule.latest_day(now()));
    if days.is_empty() {
        return Ok(Tick::Idle);
    }
    if let Some(busy) = lease(store, holder, schedule)? {
        return Ok(busy);
    }
    let _span = tracing::info_span!("scheduler", %holder).entered();
    let mut done = Vec::new();
    let mut waiting = None;
    let result = (|| -> Result<()> {
        for day in days {
            if let Err(BillingError::NotEnded { customer, zone, .. }) = crate::cycle::ensure_ended(store, day, now()) {
                waiting = Some(format!("{day}: it has not begun yet for {customer} ({zone})"));
                break;
            }
            done.push(run_day(store, key, now, (schedule, holder, connect), day)?);
            if let Some(busy) = lease(store, holder, schedule)? {
                waiting = Some(format!("the lease went to another scheduler: {busy:?}"));
                break;
            }
        }
        Ok(())
    })();
    let mut tx = store.write_usage()?;
    tx.release_scheduler_lease(holder)?;
    tx.commit()?;
    result?;
    Ok(Tick::Ran { days: done, waiting })
}

/// Takes or renews the lease; `Some(Busy)` when another scheduler holds it.
fn lease<S: Store>(store: &mut S, holder: &str, schedule: &Schedule) -> Result<Option<Tick>> {
    let mut tx = store.write_usage()?;
    let other = tx.take_scheduler_lease(holder, schedule.lease)?;
    tx.commit()?;
    Ok(other.map(|(holder, left)| Tick::Busy { holder, left_seconds: (left.max(0) as u64).div_ceil(1_000_000) }))
}

/// One day: pull the days before it (with the overlap), run its cycle, record it as completed.
fn run_day<S: Store>(
    store: &mut S,
    key: Option<&SecretKey>,
    now: &(dyn Fn() -> Micros + Sync),
    (schedule, holder, connect): (&Schedule, &str, Option<Connect<'_, S>>),
    day: NaiveDate,
) -> Result<DayDoc> {
    let _span = tracing::info_span!("scheduler.day", %day).entered();
    let mut run = {
        let mut tx = store.write_usage()?;
        let (mut run, _) = tx.start_run(RunKind::Scheduler, &day.to_string(), now())?;
        run.total = 2;
        run.done = 0;
        tx.save_run(&run)?;
        tx.commit()?;
        run
    };
    let to = day.pred_opt().unwrap_or(day);
    let from = to.checked_sub_days(Days::new(u64::from(schedule.overlap))).unwrap_or(to);
    let mut doc = DayDoc {
        day: day.to_string(),
        job: run.id,
        cycle_job: None,
        pulled_from: from.to_string(),
        pulled_to: to.to_string(),
        syncs: 0,
        sync_failed: Vec::new(),
        invoiced: Vec::new(),
        skipped: Vec::new(),
        held: Vec::new(),
        failed: Vec::new(),
    };
    let worked = (|| -> Result<()> {
        pull(store, key, now, (schedule, holder), (from, to), &mut doc)?;
        step(store, &mut run, now(), |_| ())?;
        let report = cycle(store, key, now, (schedule, holder, connect), day)?;
        step(store, &mut run, now(), |r| {
            (r.invoiced, r.skipped) = (report.invoices.len() as u64, report.skipped.len() as u64);
            (r.held, r.failed) = (report.held.len() as u64, report.failed.len() as u64);
        })?;
        doc.cycle_job = report.job;
        doc.invoiced = report.invoices.iter().map(|i| i.customer.clone()).collect();
        (doc.skipped, doc.held, doc.failed) = (report.skipped, report.held, report.failed);
        Ok(())
    })();
    let mut tx = store.write_usage()?;
    run.finished_at = Some(now());
    run.updated_at = now();
    match &worked {
        Ok(()) => {
            let complete = doc.sync_failed.is_empty() && doc.held.is_empty() && doc.failed.is_empty();
            run.state = if complete { JobState::Done } else { JobState::Failed };
            if !complete {
                run.error = Some(format!(
                    "{} sync(s) failed, {} customer(s) held, {} failed: run `cycle run --date {day}` again once fixed",
                    doc.sync_failed.len(),
                    doc.held.len(),
                    doc.failed.len()
                ));
            }
            // The day is completed: the next pass goes on with the next one.
            tx.set_scheduler_day(&day.to_string())?;
        }
        Err(e) => {
            run.state = JobState::Failed;
            run.error = Some(e.to_string());
        }
    }
    tx.save_run(&run)?;
    tx.commit()?;
    worked.map(|()| doc)
}

/// Marks one more step of the day done, with `f`'s changes.
fn step<S: Store>(store: &mut S, run: &mut Run, now: Micros, f: impl FnOnce(&mut Run)) -> Result<()> {
    run.done += 1;
    run.updated_at = now;
    f(run);
    let mut tx = store.write_usage()?;
    tx.save_run(run)?;
    tx.commit()?;
    Ok(())
}

/// Pulls the days `from..=to` for every customer with a domain on a configured source, one
/// customer after another, renewing the lease before each.
fn pull<S: Store>(
    store: &mut S,
    key: Option<&SecretKey>,
    now: &(dyn Fn() -> Micros + Sync),
    (schedule, holder): (&Schedule, &str),
    (from, to): (NaiveDate, NaiveDate),
    doc: &mut DayDoc,
) -> Result<()> {
    if !configured(store)? {
        return Ok(());
    }
    let clients = settings::clients(store, key, None)?;
    let customers = store.read()?.customers()?;
    for c in customers.iter().filter(|c| clients.used_by(c)) {
        renew(store, holder, schedule)?;
        let req = SyncRequest { customer: Some(c.id.clone()), source: None, from, to };
        for outcome in crate::metered::sync(store, &clients, &req, now, &|_: &Job| Box::new(Quiet))? {
            match outcome {
                Outcome::Done(_) => doc.syncs += 1,
                Outcome::Failed(job) => {
                    doc.syncs += 1;
                    let reason =
                        format!("sync job {} of {} failed: {}", job.id, job.source, job.error.unwrap_or_default());
                    doc.sync_failed.push(NotInvoiced { customer: job.customer, reason });
                }
                Outcome::Skipped { .. } => {}
            }
        }
    }
    Ok(())
}

/// Renews the lease in the middle of a day's work. Another scheduler that took it meanwhile (this
/// one was silent past the lease) may work on the same day: that is safe, only wasted.
fn renew<S: Store>(store: &mut S, holder: &str, schedule: &Schedule) -> Result<()> {
    if let Some(Tick::Busy { holder: other, .. }) = lease(store, holder, schedule)? {
        tracing::warn!(%other, "another scheduler took the lease");
    }
    Ok(())
}

/// The day's cycle: this process's part of its run, on `schedule.threads` connections (the
/// others opened by `connect`).
fn cycle<S: Store>(
    store: &mut S,
    key: Option<&SecretKey>,
    now: &(dyn Fn() -> Micros + Sync),
    (schedule, holder, connect): (&Schedule, &str, Option<Connect<'_, S>>),
    day: NaiveDate,
) -> Result<CycleReport> {
    // The lease is renewed before each customer the workers claim, too.
    let part = crate::workers::Part {
        name: crate::workers::worker_name(),
        lease: schedule.cycle_lease,
        batch: crate::workers::DEFAULT_BATCH,
        progress: &Quiet,
        threads: schedule.threads,
        connect,
    };
    let sync = crate::workers::Syncing { key, actor: "scheduler", now, job_bar: &|_| Box::new(Quiet) };
    crate::workers::run_syncing(store, day, sync, part, &|s| renew(s, holder, schedule), &|_| {})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(at: &str, zone: &str) -> Schedule {
        Schedule {
            at: NaiveTime::parse_from_str(at, "%H:%M").expect("a time"),
            zone: zone.parse().expect("a zone"),
            overlap: 3,
            lease: Duration::from_secs(60),
            cycle_lease: Duration::from_secs(60),
            threads: 1,
        }
    }

    fn micros(rfc3339: &str) -> Micros {
        chrono::DateTime::parse_from_rfc3339(rfc3339).expect("a timestamp").timestamp_micros()
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("a date")
    }

    #[test]
    fn a_day_is_due_from_its_local_start_time() {
        let ny = schedule("02:00", "America/New_York");
        // 06:59 UTC is 01:59 in New York (EST): the day before is the latest.
        assert_eq!(ny.latest_day(micros("2026-01-15T06:59:00Z")), day("2026-01-14"));
        assert_eq!(ny.latest_day(micros("2026-01-15T07:00:00Z")), day("2026-01-15"));
        // Past midnight UTC it is still the evening before in New York.
        assert_eq!(ny.latest_day(micros("2026-01-16T03:00:00Z")), day("2026-01-15"));
        assert_eq!(ny.next_start(micros("2026-01-15T07:00:00Z")), micros("2026-01-16T07:00:00Z"));
    }

    #[test]
    fn a_start_time_a_clock_change_skips_moves_to_the_hour_after() {
        // 2026-03-08 02:30 does not exist in New York (clocks go from 02:00 to 03:00).
        let ny = schedule("02:30", "America/New_York");
        assert_eq!(ny.next_start(micros("2026-03-07T12:00:00Z")), micros("2026-03-08T07:30:00Z"));
    }

    #[test]
    fn missed_days_come_oldest_first_and_a_first_start_runs_the_latest_only() {
        assert_eq!(due_days(None, day("2026-02-03")), vec![day("2026-02-03")]);
        assert_eq!(
            due_days(Some(day("2026-01-30")), day("2026-02-02")),
            vec![day("2026-01-31"), day("2026-02-01"), day("2026-02-02")]
        );
        assert!(due_days(Some(day("2026-02-02")), day("2026-02-02")).is_empty());
        assert!(due_days(Some(day("2026-02-03")), day("2026-02-02")).is_empty());
    }
}
