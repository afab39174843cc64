//! `meter scheduler`: the scheduler's loop on tokio. Each pass is billing's use case
//! (`billing::scheduler::tick`) run on a blocking thread with a connection of the pool; between
//! passes the loop sleeps until the next day's start (at most a minute, so that a lease another
//! scheduler gave up, or a changed clock, is noticed). A web server starts the same loop with
//! [`run_loop`].

use crate::cli::{Format, SchedulerArgs};
use crate::output;
use crate::stdout::{note, outln};
use anyhow::Result;
use billing::metered::secrets::SecretKey;
use billing::scheduler::{DayDoc, Schedule, Tick};
use billing::Billing;
use std::process::ExitCode;
use std::time::Duration;

/// The longest sleep between passes.
const MAX_SLEEP: Duration = Duration::from_secs(60);

pub fn scheduler(db: &str, a: SchedulerArgs) -> Result<ExitCode> {
    let schedule = a.schedule.schedule();
    let key = crate::secret_key::load()?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let settings = store::PoolSettings { activity: "the scheduler (meter scheduler)".into(), ..Default::default() };
        let billing = Billing::open(db, settings).await?;
        let mut complete = true;
        let stop = stop_signal()?;
        run_loop((billing, db), schedule, key, (a.once, stop), |tick| {
            complete &= show(tick, a.format).is_ok() && ran_complete(tick);
        })
        .await?;
        Ok(if complete { ExitCode::SUCCESS } else { ExitCode::from(1) })
    })
}

/// One pass of the scheduler on the backend's own store, the cycle's further threads connecting
/// to `url`.
fn tick<S: store::OpenStore>(
    store: &mut S,
    url: &str,
    (key, schedule, holder): (Option<&SecretKey>, &Schedule, &str),
) -> Result<Tick, billing::BillingError> {
    let connect = || S::connect_url(url);
    billing::scheduler::tick(store, key, &crate::clock::now, schedule, holder, Some(&connect))
}

/// Runs passes of the scheduler on `billing` until `stop` resolves (after the pass under way),
/// or one pass with `once`; hands each pass's outcome to `seen`. A pass that fails is logged, and the next one
/// tries again. The cycle's further threads open connections of their own to the URL `db`.
pub async fn run_loop(
    (billing, db): (Billing, &str),
    schedule: Schedule,
    key: Option<SecretKey>,
    (once, stop): (bool, impl std::future::Future<Output = ()>),
    mut seen: impl FnMut(&Tick),
) -> Result<()> {
    tokio::pin!(stop);
    let holder = billing::workers::worker_name();
    let (url, _) = store::pool::split_url(db, store::PoolSettings::default())?;
    loop {
        let (s, k, h, url) = (schedule.clone(), key.clone(), holder.clone(), url.clone());
        let tick = billing::run!(billing, |store| tick(store, &url, (k.as_ref(), &s, &h))).await;
        let wait = match &tick {
            Ok(t) => {
                seen(t);
                match t {
                    Tick::Busy { left_seconds, .. } => Duration::from_secs(*left_seconds),
                    _ => until(schedule.next_start(crate::clock::now())),
                }
            }
            Err(e) if once => return Err(anyhow::anyhow!(e.to_string())),
            Err(e) => {
                tracing::error!(error = %e, "the scheduler's pass failed");
                MAX_SLEEP
            }
        };
        if once {
            return Ok(());
        }
        tokio::select! {
            _ = tokio::time::sleep(wait.clamp(Duration::from_secs(1), MAX_SLEEP)) => {}
            _ = &mut stop => return Ok(()),
        }
    }
}

/// Until the instant `at` (µs), from now.
fn until(at: rating::Micros) -> Duration {
    Duration::from_micros(u64::try_from(at - crate::clock::now()).unwrap_or(0))
}

/// Resolves on Ctrl-C or SIGTERM. It listens from the moment it is called, so that a signal
/// that comes while a pass runs ends the loop when the pass is over.
pub fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let (mut term, mut interrupt) = (signal(SignalKind::terminate())?, signal(SignalKind::interrupt())?);
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = interrupt.recv() => {}
        }
    })
}

/// Whether every day run was completed without a failed sync, a held or a failed customer.
fn ran_complete(tick: &Tick) -> bool {
    match tick {
        Tick::Ran { days, .. } => {
            days.iter().all(|d| d.sync_failed.is_empty() && d.held.is_empty() && d.failed.is_empty())
        }
        _ => true,
    }
}

fn show(tick: &Tick, format: Format) -> Result<()> {
    if format == Format::Json {
        return output::json(tick);
    }
    match tick {
        Tick::Idle => outln!("nothing to do: no day is due")?,
        Tick::Busy { holder, left_seconds } => {
            outln!("another scheduler is acting ({holder}); its lease ends in {left_seconds} s unless it renews it")?
        }
        Tick::Ran { days, waiting } => {
            for d in days {
                outln!("{}", day_line(d))?;
                for (what, list) in [("sync failed", &d.sync_failed), ("held", &d.held), ("failed", &d.failed)] {
                    for n in list {
                        note!("{what} {}: {}", n.customer, n.reason);
                    }
                }
            }
            if let Some(w) = waiting {
                outln!("waiting: {w}")?;
            }
        }
    }
    Ok(())
}

fn day_line(d: &DayDoc) -> String {
    format!(
        "day {} (job {}): pulled {} to {} ({} syncs, {} failed); cycle{}: {} invoiced, {} skipped, {} held, {} failed",
        d.day,
        d.job,
        d.pulled_from,
        d.pulled_to,
        d.syncs,
        d.sync_failed.len(),
        d.cycle_job.map(|j| format!(" (job {j})")).unwrap_or_default(),
        d.invoiced.len(),
        d.skipped.len(),
        d.held.len(),
        d.failed.len()
    )
}
