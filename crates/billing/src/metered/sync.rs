//! Sync: pulls a customer's phone numbers and call records from a metered source into the
//! store, as a job that commits its progress and position with every batch of pages. Every
//! record is checked in one place ([`call_of`]); a flawed one is rejected, not stored, and the
//! job reports it.

use super::{customer_window, cut, domain_of, utc};
use crate::error::{BillingError, Result};
use crate::record::{check_call, CallFields};
use crate::Progress;
use rating::{Direction, Micros};
use sources::{Client, Cursor, Page, Record, Window};
use store::prelude::*;
use store::{
    CallOutcome, Customer, Job, JobProgress, JobQuery, JobState, NewCall, PhoneNumber, RejectedRecord, Source, Store,
    StoreTx,
};
use tokio::runtime::Runtime;

/// Pages written per transaction at most, when several are waiting.
const PAGES_PER_COMMIT: usize = 16;
/// Rejected records a job keeps with their reason (all are counted).
const REJECTS_KEPT: usize = 5;
/// The most characters of a rejected record's id a job keeps.
const REJECTED_ID_CHARS: usize = 100;

/// What one customer's sync on one source did.
#[derive(Debug)]
pub enum Outcome {
    Done(Job),
    /// The job stopped on an error; it resumes from its last committed page when run again.
    Failed(Job),
    /// Not synced, and why (no domain on this source).
    Skipped {
        customer: String,
        source: Source,
        reason: String,
    },
}

/// Syncs `customer` on `source` for the days `from..=to` in the customer's time zone, resuming an
/// unfinished job of the same window if there is one. `bar` makes a progress display per job.
pub(crate) fn sync_one<S: Store>(
    store: &mut S,
    (rt, client): (&Runtime, &Client),
    customer: &Customer,
    source: &Source,
    days: (chrono::NaiveDate, chrono::NaiveDate),
    now: &dyn Fn() -> Micros,
    bar: &dyn Fn(&Job) -> Box<dyn Progress>,
) -> Result<Outcome> {
    let Some(domain) = domain_of(customer, source) else {
        return Ok(Outcome::Skipped {
            customer: customer.id.clone(),
            source: source.clone(),
            reason: format!("no {source} domain is set ({})", super::domain_hint(source)),
        });
    };
    let (start, end) = customer_window(customer, days)?;
    let _span = tracing::info_span!("sync", customer = %customer.id, %source, %domain).entered();
    let mut job = resume_or_start(store, customer, source, &domain, (start, end), now())?;
    let progress = bar(&job);
    let result = run(store, rt, client, &mut job, &*progress, now);
    progress.finish();
    let ended = now();
    job.finished_at = Some(ended);
    job.updated_at = ended;
    let outcome = match result {
        Ok(()) => {
            job.state = JobState::Done;
            job.error = None;
            Outcome::Done(job.clone())
        }
        Err(e) => {
            tracing::warn!(job = job.id, error = %e, "sync failed");
            job.state = JobState::Failed;
            job.progress.errors += 1;
            job.error = Some(cut(&e.to_string(), super::MAX_ERROR));
            Outcome::Failed(job.clone())
        }
    };
    let mut tx = store.write_usage()?;
    tx.save_job(&job)?;
    tx.commit()?;
    Ok(outcome)
}

/// The unfinished job of this exact window (running when its process died, or failed), else a
/// new one.
fn resume_or_start<S: Store>(
    store: &mut S,
    customer: &Customer,
    source: &Source,
    domain: &str,
    (start, end): (Micros, Micros),
    now: Micros,
) -> Result<Job> {
    let mut tx = store.write_usage()?;
    let query = JobQuery { customer_pk: Some(customer.pk), source: Some(source.clone()), limit: Some(20) };
    let unfinished = tx
        .jobs(&query)?
        .into_iter()
        .find(|j| j.window_start == start && j.window_end == end && j.domain == domain && j.state != JobState::Done);
    let job = match unfinished {
        Some(mut job) => {
            tracing::info!(job = job.id, position = %job.position, "resuming");
            job.state = JobState::Running;
            job.error = None;
            job.finished_at = None;
            job.updated_at = now;
            job
        }
        None => Job {
            id: 0,
            customer_pk: customer.pk,
            customer: customer.id.clone(),
            source: source.clone(),
            domain: domain.to_owned(),
            window_start: start,
            window_end: end,
            state: JobState::Running,
            position: position_of(&Cursor::default()),
            progress: JobProgress::default(),
            numbers: None,
            platform_count: None,
            stored_count: None,
            started_at: now,
            finished_at: None,
            error: None,
            rejects: Vec::new(),
            updated_at: now,
        },
    };
    let id = tx.save_job(&job)?;
    tx.commit()?;
    Ok(Job { id, ..job })
}

fn position_of(c: &Cursor) -> String {
    serde_json::to_string(c).unwrap_or_default()
}

/// Every save of the job records `now()` as its heartbeat (billing's invoice guard reads it).
fn run<S: Store>(
    store: &mut S,
    rt: &Runtime,
    client: &Client,
    job: &mut Job,
    progress: &dyn Progress,
    now: &dyn Fn() -> Micros,
) -> Result<()> {
    let window = Window { start: utc(job.window_start)?, end: utc(job.window_end)? };
    let domain = job.domain.clone();

    // The count first: it fails for a domain the platform does not have, before the customer's
    // numbers are replaced by an empty list.
    let platform_count = rt.block_on(client.count(&domain, &window))?;
    let numbers = rt.block_on(client.phone_numbers(&domain))?;
    job.numbers = Some(numbers.len() as u64);
    job.platform_count = Some(platform_count);
    job.updated_at = now();
    progress.start(platform_count);
    progress.at(counted(&job.progress));
    {
        let mut tx = store.write_usage()?;
        let list: Vec<PhoneNumber> =
            numbers.into_iter().map(|n| PhoneNumber { number: n.number, enabled: n.enabled }).collect();
        tx.replace_phone_numbers(job.customer_pk, &job.source, &list)?;
        tx.save_job(job)?;
        tx.commit()?;
    }

    let cursor: Cursor = serde_json::from_str(&job.position).map_err(|e| {
        BillingError::Sync(format!("job {}: its position `{}` is unreadable: {e}", job.id, job.position))
    })?;
    // Pages are fetched on the runtime while this thread writes the ones already fetched.
    let (send, mut receive) = tokio::sync::mpsc::channel::<Result<(Page, u64), sources::SourceError>>(PAGES_PER_COMMIT);
    let mut pager = client.pager(&domain, window, cursor);
    let fetcher = rt.spawn(async move {
        loop {
            let page = pager.next_page().await;
            let last = !matches!(page, Ok(Some(_)));
            let sent = match page {
                Ok(Some(p)) => send.send(Ok((p, pager.retries()))).await,
                Ok(None) => Ok(()),
                Err(e) => send.send(Err(e)).await,
            };
            if last || sent.is_err() {
                break;
            }
        }
    });
    let mut calls: Vec<NewCall> = Vec::new();
    let mut outcomes: Vec<CallOutcome> = Vec::new();
    let errors_before = job.progress.errors;
    let written = (|| -> Result<()> {
        while let Some(first) = receive.blocking_recv() {
            let mut pages = vec![first?];
            while pages.len() < PAGES_PER_COMMIT {
                match receive.try_recv() {
                    Ok(page) => pages.push(page?),
                    Err(_) => break,
                }
            }
            let retries = pages.iter().map(|(_, r)| *r).max().unwrap_or(0);
            job.progress.errors = errors_before + retries;
            job.updated_at = now();
            write_pages(store, job, &pages, &mut calls, &mut outcomes)?;
            progress.at(counted(&job.progress));
        }
        Ok(())
    })();
    drop(receive);
    // After a write error the fetcher may be waiting on a slow request: it is not needed.
    fetcher.abort();
    let _ = rt.block_on(fetcher);
    written?;

    let mut tx = store.write_usage()?;
    job.stored_count = Some(tx.count_calls(job.customer_pk, &job.source, job.window_start, job.window_end)?);
    job.updated_at = now();
    tx.save_job(job)?;
    tx.commit()?;
    Ok(())
}

/// Writes fetched pages and the job's new position in one transaction.
fn write_pages<S: Store>(
    store: &mut S,
    job: &mut Job,
    pages: &[(Page, u64)],
    calls: &mut Vec<NewCall>,
    outcomes: &mut Vec<CallOutcome>,
) -> Result<()> {
    calls.clear();
    let mut p = job.progress.clone();
    let mut rejects = job.rejects.clone();
    let mut position = job.position.clone();
    for (page, _) in pages {
        for r in &page.records {
            match call_of(job, r) {
                Ok(call) => calls.push(call),
                Err(reason) => {
                    tracing::warn!(job = job.id, record = r.call_id, reason, "record rejected");
                    p.rejected += 1;
                    if rejects.len() < REJECTS_KEPT {
                        rejects.push(RejectedRecord { id: cut(&r.call_id, REJECTED_ID_CHARS), reason });
                    }
                }
            }
        }
        p.pages += 1;
        p.received += page.received;
        p.skipped += page.skipped;
        p.repeated += page.repeated;
        p.outside += page.outside;
        if let Some(next) = &page.next {
            position = position_of(next);
        }
    }
    // Within one batch a repeated page may hold a record twice; the store takes each id once.
    calls.sort_by(|a, b| a.source_call_id.cmp(&b.source_call_id));
    let before = calls.len();
    calls.dedup_by(|a, b| a.source_call_id == b.source_call_id);
    p.duplicates += (before - calls.len()) as u64;
    calls.sort_unstable_by_key(|c| c.start);
    let mut tx = store.write_usage()?;
    tx.import_calls(calls, outcomes)?;
    let mut sum = crate::import::Summary::default();
    outcomes.drain(..).for_each(|o| sum.count(o));
    p.imported += sum.imported;
    p.updated += sum.updated;
    p.duplicates += sum.duplicates;
    p.conflicts += sum.conflicts;
    let saved = Job { progress: p, position, rejects, ..job.clone() };
    tx.save_job(&saved)?;
    tx.commit()?;
    *job = saved;
    Ok(())
}

/// The call a fetched record becomes, or why it is rejected. Every check of a synced record is
/// made here: a rejected record is not stored, and the job counts it and keeps the first few.
fn call_of(job: &Job, r: &Record) -> std::result::Result<NewCall, String> {
    let duration = match u32::try_from(r.talk_seconds) {
        Ok(seconds) => seconds,
        Err(_) if r.talk_seconds < 0 => {
            return Err(format!("its release is {} s before its answer", r.talk_seconds.unsigned_abs()));
        }
        Err(_) => return Err(format!("its talk time of {} s is longer than meter stores", r.talk_seconds)),
    };
    let start = r.start.timestamp_micros();
    let fields = CallFields { id: &r.call_id, start: Some(start), from: &r.from, to: &r.to };
    if let Some(bad) = check_call(&fields).into_iter().next() {
        return Err(format!("{}: {}", bad.field.name(), bad.reason));
    }
    Ok(NewCall {
        source: job.source.clone(),
        source_call_id: r.call_id.clone(),
        customer_pk: job.customer_pk,
        start,
        duration,
        direction: direction(r.direction),
        from: r.from.clone(),
        to: r.to.clone(),
        call_type: None,
    })
}

fn direction(d: sources::Direction) -> Direction {
    match d {
        sources::Direction::Inbound => Direction::Inbound,
        sources::Direction::Outbound => Direction::Outbound,
        sources::Direction::Internal => Direction::Internal,
    }
}

/// Records that count toward the platform's count: received, less hidden legs, repeats and rows
/// outside the window.
fn counted(p: &JobProgress) -> u64 {
    p.received.saturating_sub(p.skipped + p.repeated + p.outside)
}
