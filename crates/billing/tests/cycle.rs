//! The billing cycle through billing's use cases, in process: on a date, the customers whose
//! billing day it is get one invoice for the period that just ended, the others with nothing to
//! bill are skipped with the reason, a customer whose sync fails is held, and a rerun doubles
//! nothing. Every test runs on SQLite and on PostgreSQL.

mod common;

use billing::cycle::{CycleReport, NotInvoiced};
use common::platform::*;
use common::*;

on_both_backends! { stores:
    the_cycle_invoices_each_due_customer_once_and_says_why_it_skips_the_others,
    the_cycle_syncs_first_and_holds_a_customer_whose_sync_fails,
}

/// The customers of a report's list, in order.
fn ids(list: &[NotInvoiced]) -> Vec<&str> {
    list.iter().map(|n| n.customer.as_str()).collect()
}

fn invoiced(report: &CycleReport) -> Vec<(&str, &str, &str)> {
    report.invoices.iter().map(|i| (i.customer.as_str(), i.from.as_str(), i.to.as_str())).collect()
}

fn the_cycle_invoices_each_due_customer_once_and_says_why_it_skips_the_others<S: OpenStore>(backend: Backend) {
    let mut w = World::<S>::on(backend);
    w.rates(&[rate("domestic", "0.60")]);
    // acme and idle are billed on the 1st, globex on the 15th; idle made no call.
    w.customers(&[customer("acme"), customer("idle"), customer("globex").billed_on(15)]);
    w.calls(&[
        call("a1", "acme", "2026-01-05T10:00:00Z", 60, "+12125550100"),
        call("a2", "acme", "2026-01-31T23:59:59Z", 30, "+12125550100"),
        call("a3", "acme", "2026-02-01T00:00:00Z", 30, "+12125550100"),
        call("g1", "globex", "2026-01-05T10:00:00Z", 60, "+12125550100"),
    ]);
    let january = w.preview("acme", "2026-01-01", "2026-01-31");
    assert_eq!(january.doc.lines, vec![usage("domestic", 2, (90, 0, 90), "0.90")], "a1 and a2, not a3");

    let first = w.cycle("2026-02-01");
    assert_eq!(invoiced(&first), vec![("acme", "2026-01-01", "2026-01-31")], "{first:?}");
    assert_eq!(first.invoices[0].lines, january.doc.lines, "the cycle bills what the preview showed");
    assert_eq!(ids(&first.skipped), vec!["idle"], "globex is not due: {first:?}");
    assert!(first.skipped[0].reason.contains("no answered calls"), "{}", first.skipped[0].reason);
    assert!(first.held.is_empty() && first.failed.is_empty() && first.complete(), "{first:?}");

    // The rerun finds January invoiced and makes no second invoice.
    let id = first.invoices[0].id.clone().expect("an id");
    let rerun = w.cycle("2026-02-01");
    assert!(rerun.invoices.is_empty(), "{rerun:?}");
    assert_eq!(ids(&rerun.skipped), vec!["acme", "idle"]);
    let reason = &rerun.skipped[0].reason;
    assert!(reason.contains("already invoiced for 2026-01-01 to 2026-01-31") && reason.contains(&id), "{reason}");

    // An operator deletes the invoice: the next run makes it again.
    billing::invoice::delete(&mut w.store, &id).expect("deleted");
    let again = w.cycle("2026-02-01");
    assert_eq!(invoiced(&again), vec![("acme", "2026-01-01", "2026-01-31")]);
    assert_eq!(again.invoices[0].lines, january.doc.lines);

    // On the 15th globex's period ends, from December 15th.
    let mid = w.cycle("2026-01-15");
    assert_eq!(invoiced(&mid), vec![("globex", "2025-12-15", "2026-01-14")]);
    assert_eq!(mid.invoices[0].lines, vec![usage("domestic", 1, (60, 0, 60), "0.60")]);
}

fn the_cycle_syncs_first_and_holds_a_customer_whose_sync_fails<S: OpenStore>(backend: Backend) {
    // The platform knows acme's domain; bravo's was never created there, so its sync fails.
    let (emu, cfg) = platform(&["acme.pbx.example"], 20, Vec::new());
    let mut w = World::<S>::on(backend);
    w.rates(&platform_rates());
    w.customers(&[customer("acme").netsapiens("acme.pbx.example"), customer("bravo").netsapiens("bravo.pbx.example")]);
    w.netsapiens_source(&emu, &cfg);

    let first = w.cycle("2026-02-01");
    assert_eq!(invoiced(&first), vec![("acme", "2026-01-01", "2026-01-31")], "{first:?}");
    assert_eq!(ids(&first.held), vec!["bravo"], "{first:?}");
    assert!(first.held[0].reason.contains("rerun the cycle"), "{}", first.held[0].reason);
    assert!(first.skipped.is_empty() && first.failed.is_empty() && !first.complete(), "{first:?}");
    // Synced first: the invoice bills every answered call the platform has for January.
    let january = expected(&cfg, "acme.pbx.example", "2026-01-01", "2026-01-31");
    let answered = january.iter().filter(|c| c.2 > 0).count() as u64;
    let invoice = &first.invoices[0];
    assert!(invoice.unrated.is_empty(), "{:?}", invoice.unrated);
    assert_eq!(invoice.lines.iter().filter_map(|l| l.calls).sum::<u64>(), answered);
    assert_eq!(w.stored("acme"), january);

    // The rerun syncs again (nothing new), skips acme's invoiced period, and holds bravo still.
    let rerun = w.cycle("2026-02-01");
    assert!(rerun.invoices.is_empty(), "{rerun:?}");
    assert_eq!((ids(&rerun.skipped), ids(&rerun.held)), (vec!["acme"], vec!["bravo"]));
    assert_eq!(w.stored("acme"), january);
    let jobs = billing::metered::jobs(&mut w.store, Some("acme"), None).expect("acme's jobs");
    assert_eq!(jobs.len(), 2, "one sync a run");
    assert_eq!((jobs[0].progress.imported, jobs[0].progress.duplicates), (0, january.len() as u64));
}
