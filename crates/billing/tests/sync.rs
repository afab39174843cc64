//! Syncs through billing's use cases, in process, against the NetSapiens emulator on loopback:
//! the platform's numbers and calls stored, the records check green, and a fault of the platform
//! reported where an operator looks (the job, the check, the invoice guard). Every test runs on
//! SQLite and on PostgreSQL.

mod common;

use billing::metered::check::{check_customer, SourceCheck};
use billing::metered::guard::Hold;
use billing::metered::sync::Outcome;
use billing::BillingError;
use common::platform::*;
use common::*;
use emulator::{dataset, Fault, FaultKind};
use store::Job;

on_both_backends! { stores:
    a_sync_stores_the_platforms_numbers_and_calls_and_its_records_check_is_green,
    a_server_error_is_retried_and_counted_and_nothing_is_lost,
    a_flawed_record_is_rejected_and_holds_the_invoice,
}

const DOMAIN: &str = "acme.pbx.example";
const FROM: &str = "2026-01-05";
const TO: &str = "2026-01-06";

/// acme on the platform, which serves `faults`, with its deck and the source set up.
fn acme_on_platform<S: OpenStore>(
    backend: Backend,
    faults: Vec<Fault>,
) -> (World<S>, emulator::Emulator, emulator::Config) {
    let (emu, cfg) = platform(&[DOMAIN], 300, faults);
    let mut w = World::<S>::on(backend);
    w.rates(&platform_rates());
    w.customers(&[customer("acme").netsapiens(DOMAIN)]);
    w.netsapiens_source(&emu, &cfg);
    (w, emu, cfg)
}

/// The one job of a sync that finished.
fn done(outcomes: Vec<Outcome>) -> Job {
    match <[Outcome; 1]>::try_from(outcomes) {
        Ok([Outcome::Done(job)]) => job,
        other => panic!("one finished job: {other:?}"),
    }
}

/// The checks of acme's one source for the days synced, by name → ok.
fn checks<S: OpenStore>(w: &mut World<S>) -> Vec<(&'static str, bool, String)> {
    let list: Vec<SourceCheck> =
        check_customer(&mut w.store, Some(&w.key), "acme", Some((day(FROM), day(TO))), true).expect("the checks");
    assert_eq!(list.len(), 1, "{list:?}");
    list[0].checks.iter().map(|c| (c.check, c.ok, c.detail.clone())).collect()
}

fn a_sync_stores_the_platforms_numbers_and_calls_and_its_records_check_is_green<S: OpenStore>(backend: Backend) {
    let (mut w, _emu, cfg) = acme_on_platform::<S>(backend, Vec::new());
    let want = expected(&cfg, DOMAIN, FROM, TO);
    assert!(want.len() > 500, "two days of a busy domain: {}", want.len());

    let job = done(w.sync("acme", FROM, TO));
    let n = want.len() as u64;
    assert_eq!((job.progress.imported, job.progress.rejected, job.progress.errors), (n, 0, 0));
    assert_eq!((job.platform_count, job.stored_count), (Some(n), Some(n)));
    assert_eq!(w.stored("acme"), want, "the stored calls are the platform's");
    let numbers: Vec<(String, bool)> = billing::import::list_numbers(&mut w.store, "acme")
        .expect("acme's numbers")
        .into_iter()
        .map(|r| (r.number, r.enabled))
        .collect();
    let spec = &cfg.domains[0];
    let platform: Vec<(String, bool)> =
        dataset::numbers(cfg.seed, spec).into_iter().map(|d| (d.number, d.enabled)).collect();
    assert_eq!(numbers.len(), 12);
    assert_eq!(numbers.iter().collect::<std::collections::BTreeSet<_>>(), platform.iter().collect());

    let checks = checks(&mut w);
    assert!(checks.iter().all(|(_, ok, _)| *ok), "every check green: {checks:?}");
    let records = checks.iter().find(|c| c.0 == "records").expect("a records check");
    assert!(records.2.contains(&format!("counts {n}, meter stores {n}")), "{}", records.2);

    // The same days again: nothing new, nothing changed.
    let again = done(w.sync("acme", FROM, TO));
    assert_eq!((again.progress.imported, again.progress.updated, again.progress.duplicates), (0, 0, n));
    assert_eq!(w.stored("acme"), want);
}

fn a_server_error_is_retried_and_counted_and_nothing_is_lost<S: OpenStore>(backend: Backend) {
    let fault = Fault { kind: FaultKind::ServerError, at: 2, delay_ms: 0 };
    let (mut w, emu, cfg) = acme_on_platform::<S>(backend, vec![fault]);
    let job = done(w.sync("acme", FROM, TO));
    assert_eq!(emu.faults_fired(), vec![FaultKind::ServerError]);
    assert_eq!(job.progress.errors, 1, "the retried request is counted: {job:?}");
    assert_eq!(w.stored("acme"), expected(&cfg, DOMAIN, FROM, TO));
    assert!(checks(&mut w).iter().all(|(_, ok, _)| *ok));
}

fn a_flawed_record_is_rejected_and_holds_the_invoice<S: OpenStore>(backend: Backend) {
    // The first page's first answered record dials a number with no digit in it.
    let fault = Fault { kind: FaultKind::GarbageNumber, at: 1, delay_ms: 0 };
    let (mut w, emu, cfg) = acme_on_platform::<S>(backend, vec![fault]);
    let want = expected(&cfg, DOMAIN, FROM, TO);

    let job = done(w.sync("acme", FROM, TO));
    assert_eq!(emu.faults_fired(), vec![FaultKind::GarbageNumber]);
    assert_eq!(job.progress.rejected, 1, "{job:?}");
    assert_eq!(job.rejects.len(), 1);
    let rejected = &job.rejects[0];
    assert!(rejected.reason.starts_with("to:"), "the reason names the field: {}", rejected.reason);
    let stored = w.stored("acme");
    assert_eq!(stored.len(), want.len() - 1);
    assert!(!stored.iter().any(|c| c.0 == rejected.id), "the rejected record is not stored");
    assert!(want.iter().any(|c| c.0 == rejected.id), "it is one of the platform's");

    // The platform counts one record more than meter stores: the check is red and invoicing waits.
    let checks = checks(&mut w);
    let records = checks.iter().find(|c| c.0 == "records").expect("a records check");
    assert!(!records.1 && records.2.contains("1 missing"), "{records:?}");
    match w.create("acme", FROM, TO) {
        Err(BillingError::Incomplete(i)) => {
            assert!(matches!(i.holds.as_slice(), [Hold::Records { records, .. }] if records.missing() == 1), "{i}")
        }
        other => panic!("an invoice of incomplete calls: {other:?}"),
    }
}
