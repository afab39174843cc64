//! Subscriptions, recurring lines and late usage through billing's use cases, in process
//! (contract-cycle §2, §3): proration at period edges and across a change of clocks, billing
//! days past February's end, days billed once whatever changes, late calls drawing on their own
//! period's allowances, manual invoices without recurring or late lines, and the calls a run
//! leaves unbilled. Every test runs on SQLite and on PostgreSQL.

mod common;

use billing::cycle::{CycleReport, UnbilledEarlier};
use billing::metered::guard::Guard;
use common::*;

on_both_backends! { stores:
    recurring_lines_are_prorated_by_days_at_period_edges_and_across_a_clock_change,
    billing_days_29_30_and_31_catch_up_across_february,
    a_later_last_day_or_another_billing_day_bills_only_days_not_billed,
    late_calls_draw_on_their_own_periods_allowances_even_after_a_deletion,
    a_manual_invoice_bills_only_its_range_with_each_periods_plans,
    the_run_reports_calls_it_left_unbilled,
}

/// The billing cycle of `date`, without waiting for the date: the sources here are files only.
fn cycle<S: OpenStore>(w: &mut World<S>, date: &str) -> CycleReport {
    billing::cycle::run_cycle(&mut w.store, day(date), NOW, &[], Guard::Off).expect("a cycle run")
}

fn lines(report: &CycleReport, customer: &str) -> Vec<(String, String, String, String)> {
    let doc = report.invoices.iter().find(|d| d.customer == customer).expect("an invoice of the customer");
    recurring_lines(doc)
}

fn line(s: &str, from: &str, to: &str, amount: &str) -> (String, String, String, String) {
    (s.into(), from.into(), to.into(), amount.into())
}

fn recurring_lines_are_prorated_by_days_at_period_edges_and_across_a_clock_change<S: OpenStore>(backend: Backend) {
    let mut w = World::<S>::on(backend);
    w.customers(&[customer("ny").zone("America/New_York")]);
    // The clocks go forward in New York on 2026-03-08: a day is a day, whatever its hours.
    w.subscriptions(&[
        subscription("half", "ny", "2026-02-15", "28.00"),
        subscription("dst", "ny", "2026-02-01", "31.00").until("2026-03-08"),
        subscription("seats", "ny", "2026-03-01", "9.99").quantity("3"),
    ]);
    let report = cycle(&mut w, "2026-03-01");
    assert_eq!(
        lines(&report, "ny"),
        vec![
            line("dst", "2026-02-01", "2026-02-28", "31.00"),
            line("dst", "2026-03-01", "2026-03-08", "8.00"),
            line("half", "2026-02-15", "2026-02-28", "14.00"),
            line("half", "2026-03-01", "2026-03-31", "28.00"),
            line("seats", "2026-03-01", "2026-03-31", "29.97"),
        ],
        "by subscription id, then first day"
    );
    let doc = &report.invoices[0];
    assert_eq!(doc.total, "110.97");
    assert_eq!(doc.lines[0].quantity.as_deref(), Some("1"));
    assert_eq!(doc.lines[0].unit_price.as_deref(), Some("31.0000"));
    // A second run the same day finds the period invoiced and bills nothing twice.
    assert!(cycle(&mut w, "2026-03-01").invoices.is_empty());
}

fn billing_days_29_30_and_31_catch_up_across_february<S: OpenStore>(backend: Backend) {
    let mut w = World::<S>::on(backend);
    w.customers(&[customer("d29").billed_on(29), customer("d30").billed_on(30), customer("d31").billed_on(31)]);
    w.subscriptions(&[
        subscription("s29", "d29", "2026-01-01", "10.00"),
        subscription("s30", "d30", "2026-01-01", "10.00"),
        subscription("s31", "d31", "2026-01-01", "10.00"),
    ]);
    // February 28th is the billing day of all three: each is caught up from its first day.
    let report = cycle(&mut w, "2026-02-28");
    assert_eq!(
        lines(&report, "d29"),
        vec![
            line("s29", "2026-01-01", "2026-01-28", "9.03"),
            line("s29", "2026-01-29", "2026-02-27", "10.00"),
            line("s29", "2026-02-28", "2026-03-28", "10.00"),
        ]
    );
    assert_eq!(
        lines(&report, "d30"),
        vec![
            line("s30", "2026-01-01", "2026-01-29", "9.35"),
            line("s30", "2026-01-30", "2026-02-27", "10.00"),
            line("s30", "2026-02-28", "2026-03-29", "10.00"),
        ]
    );
    assert_eq!(
        lines(&report, "d31"),
        vec![
            line("s31", "2026-01-01", "2026-01-30", "9.68"),
            line("s31", "2026-01-31", "2026-02-27", "10.00"),
            line("s31", "2026-02-28", "2026-03-30", "10.00"),
        ]
    );
    // Their next billing days: only the coming period.
    let march = cycle(&mut w, "2026-03-29");
    assert_eq!(lines(&march, "d29"), vec![line("s29", "2026-03-29", "2026-04-28", "10.00")]);
    let march = cycle(&mut w, "2026-03-31");
    assert_eq!(lines(&march, "d31"), vec![line("s31", "2026-03-31", "2026-04-29", "10.00")]);
}

fn a_later_last_day_or_another_billing_day_bills_only_days_not_billed<S: OpenStore>(backend: Backend) {
    let mut w = World::<S>::on(backend);
    w.customers(&[customer("acme"), customer("globex")]);
    w.subscriptions(&[
        subscription("short", "acme", "2026-01-01", "31.00").until("2026-01-20"),
        subscription("open", "globex", "2026-01-01", "28.00"),
    ]);
    let first = cycle(&mut w, "2026-02-01");
    assert_eq!(lines(&first, "acme"), vec![line("short", "2026-01-01", "2026-01-20", "20.00")]);
    assert_eq!(
        lines(&first, "globex"),
        vec![line("open", "2026-01-01", "2026-01-31", "28.00"), line("open", "2026-02-01", "2026-02-28", "28.00")]
    );

    // The last day moves later: only the days not billed yet are billed.
    w.subscriptions(&[subscription("short", "acme", "2026-01-01", "31.00").until("2026-02-10")]);
    // globex's billing day moves to the 15th: its periods change, its billed days stay billed.
    w.customers(&[customer("globex").billed_on(15)]);
    let acme = cycle(&mut w, "2026-03-01");
    assert_eq!(
        lines(&acme, "acme"),
        vec![line("short", "2026-01-21", "2026-01-31", "11.00"), line("short", "2026-02-01", "2026-02-10", "11.07")]
    );
    let globex = cycle(&mut w, "2026-03-15");
    assert_eq!(
        lines(&globex, "globex"),
        vec![line("open", "2026-03-01", "2026-03-14", "14.00"), line("open", "2026-03-15", "2026-04-14", "28.00")]
    );
}

fn late_calls_draw_on_their_own_periods_allowances_even_after_a_deletion<S: OpenStore>(backend: Backend) {
    let mut w = World::<S>::on(backend);
    w.rates(&[rate("domestic", "0.60")]);
    w.plans(&[plan("two").allows(&["domestic"], 2)]);
    w.customers(&[customer("acme").plans(&["two"])]);
    w.calls(&[call("j1", "acme", "2026-01-05T10:00:00Z", 60, "+12125550100")]);
    let january = cycle(&mut w, "2026-02-01");
    assert_eq!(january.invoices[0].lines, vec![usage("domestic", 1, (60, 60, 0), "0.00")]);

    // A January call arrives after January was invoiced; a manual invoice bills it, and is
    // deleted: the call is unbilled again, and so are its allowance seconds.
    w.calls(&[
        call("j2", "acme", "2026-01-15T10:00:00Z", 120, "+12125550100"),
        call("f1", "acme", "2026-02-03T10:00:00Z", 60, "+12125550100"),
    ]);
    let manual = w.create("acme", "2026-01-15", "2026-01-15").expect("a manual invoice");
    assert_eq!(manual.lines, vec![usage("domestic", 1, (120, 60, 60), "0.60")]);
    billing::invoice::delete(&mut w.store, manual.id.as_deref().expect("an id")).expect("deleted");

    // February's invoice bills it as late usage of January, on January's allowance (60 s
    // left); February's own call draws on February's.
    let february = cycle(&mut w, "2026-03-01");
    let late = usage("domestic", 1, (120, 60, 60), "0.60");
    let late =
        billing::doc::LineDoc { late: true, from: Some("2026-01-01".into()), to: Some("2026-01-31".into()), ..late };
    assert_eq!(february.invoices[0].lines, vec![usage("domestic", 1, (60, 60, 0), "0.00"), late]);
    assert_eq!(february.invoices[0].total, "0.60");
    assert_eq!(w.preview("acme", "2026-01-01", "2026-02-28").doc.already_billed, 3, "every call is billed once");
}

fn a_manual_invoice_bills_only_its_range_with_each_periods_plans<S: OpenStore>(backend: Backend) {
    let mut w = World::<S>::on(backend);
    w.rates(&[rate("domestic", "0.60")]);
    w.plans(&[plan("bundle").allows(&["domestic"], 1)]);
    w.customers(&[customer("acme")]);
    // The plan comes with a subscription from February 10th: for all of February, not January.
    w.subscriptions(&[subscription("seat", "acme", "2026-02-10", "20.00").plans(&["bundle"])]);
    w.calls(&[
        call("j1", "acme", "2026-01-20T10:00:00Z", 60, "+12125550100"),
        call("f1", "acme", "2026-02-02T10:00:00Z", 60, "+12125550100"),
    ]);
    let doc = w.create("acme", "2026-01-01", "2026-02-28").expect("a manual invoice");
    assert_eq!(doc.lines, vec![usage("domestic", 2, (120, 60, 60), "0.60")], "no recurring line, no late line");
}

fn the_run_reports_calls_it_left_unbilled<S: OpenStore>(backend: Backend) {
    let mut w = World::<S>::on(backend);
    w.rates(&[rate("domestic", "0.60")]);
    w.customers(&[customer("acme"), customer("idle")]);
    // December was never invoiced: its calls are not late usage; one January call is unrated.
    w.calls(&[
        call("d1", "acme", "2025-12-10T10:00:00Z", 60, "+12125550100"),
        call("d2", "acme", "2025-12-20T10:00:00Z", 60, "+12125550100"),
        call("d3", "acme", "2025-12-21T10:00:00Z", 0, "+12125550100"),
        call("j1", "acme", "2026-01-05T10:00:00Z", 60, "+12125550100"),
    ]);
    let report = cycle(&mut w, "2026-02-01");
    assert_eq!(report.invoices.len(), 1);
    let unbilled =
        UnbilledEarlier { customer: "acme".into(), calls: 2, from: "2025-12-10".into(), to: "2025-12-20".into() };
    assert_eq!(report.unbilled_earlier, vec![unbilled], "answered calls only; idle has none");
}
