//! Invoices through billing's use cases, in process: preview, create and delete, with a plan's
//! allowance, a customer's own rate and the default deck's catch-all rates. Every test runs on
//! SQLite and on PostgreSQL.

mod common;

use billing::BillingError;
use common::*;

on_both_backends! { stores:
    a_preview_is_what_create_bills_and_a_call_is_billed_once,
    deleting_an_invoice_releases_its_calls_and_gives_its_allowance_back,
    a_customers_own_rate_is_its_alone,
}

/// The deck, the plan and two customers of these stories: acme has a minute of domestic calls
/// included and its own price to 1-212; globex neither.
fn world<S: OpenStore>(backend: Backend) -> World<S> {
    let mut w = World::<S>::on(backend);
    w.plans(&[plan("business").allows(&["domestic"], 1)]);
    w.customers(&[customer("acme").plans(&["business"]), customer("globex")]);
    w.rates(&[
        rate("domestic", "1.20").increments(6, 6),
        rate("international", "0.50").increments(60, 60),
        rate("domestic", "0.60").increments(6, 6).prefix("1212").of("acme"),
    ]);
    w.calls(&[
        call("a1", "acme", "2026-01-05T10:00:00Z", 90, "+12125550100"),
        call("a2", "acme", "2026-01-06T10:00:00Z", 45, "+13035550199"),
        call("a3", "acme", "2026-01-07T10:00:00Z", 61, "+442079460000"),
        call("a4", "acme", "2026-01-08T10:00:00Z", 0, "+12125550100"),
        call("a5", "acme", "2026-01-09T10:00:00Z", 30, "+19005550100").typed("premium"),
        call("a6", "acme", "2026-02-01T10:00:00Z", 30, "+12125550100"),
        call("g1", "globex", "2026-01-05T10:00:00Z", 90, "+12125550100"),
    ]);
    w
}

/// acme's January as the contract rates it:
/// - a1, 90 s to 1-212 at acme's own 0.60 (6/6): 90 billable, the plan's 60 included, 30
///   charged = 0.3000;
/// - a2, 45 s to 1-303 at the catch-all 1.20 (6/6): 48 billable, the allowance spent, 48
///   charged = 0.9600;
/// - a3, 61 s abroad at 0.50 (60/60): 120 billable = 1.0000;
/// - a4 unanswered, a5 of a type without a rate (unrated), a6 in February: none billed.
fn acme_january() -> Vec<billing::doc::LineDoc> {
    vec![usage("domestic", 2, (138, 60, 78), "1.26"), usage("international", 1, (120, 0, 120), "1.00")]
}

fn a_preview_is_what_create_bills_and_a_call_is_billed_once<S: OpenStore>(backend: Backend) {
    let mut w = world::<S>(backend);

    let preview = w.preview("acme", "2026-01-01", "2026-01-31");
    assert_eq!(preview.doc.lines, acme_january());
    assert_eq!(preview.doc.total, "2.26");
    assert_eq!(preview.doc.unrated.len(), 1);
    assert_eq!((preview.doc.unrated[0].call_type.as_str(), preview.doc.unrated[0].calls), ("premium", 1));
    assert_eq!(preview.doc.already_billed, 0);
    assert_eq!(preview.reason, None);
    // Calls found: a1, a2, a3 rated, a5 unrated (a4 unanswered, a6 in February).
    assert_eq!((preview.calls, preview.rated), (4, 3), "the calls found, and those a rate was found for");

    let invoice = w.create("acme", "2026-01-01", "2026-01-31").expect("an invoice");
    assert!(invoice.id.is_some());
    assert_eq!(invoice.status.as_deref(), Some("draft"));
    assert_eq!(
        (invoice.lines, invoice.total),
        (preview.doc.lines, preview.doc.total),
        "create bills what the preview showed"
    );
    assert_eq!(invoice.unrated, preview.doc.unrated);

    // Its three calls are on it now: nothing is left to bill, and the preview says why.
    let after = w.preview("acme", "2026-01-01", "2026-01-31");
    assert!(after.doc.lines.is_empty());
    assert_eq!((after.doc.total.as_str(), after.doc.already_billed), ("0.00", 3));
    assert_eq!((after.calls, after.rated), (4, 0), "found again, billed already or unrated");
    let reason = after.reason.expect("why nothing is billable");
    assert!(reason.contains("3 already billed"), "{reason}");
    match w.create("acme", "2026-01-01", "2026-01-31") {
        Err(BillingError::NothingToBill(why)) => assert!(why.contains("3 already billed"), "{why}"),
        other => panic!("a second invoice of the same calls: {other:?}"),
    }
    // A range that overlaps the invoice bills only what it did not: a6, covered by February's
    // own minute.
    let overlap = w.preview("acme", "2026-01-07", "2026-02-01");
    assert_eq!(overlap.doc.lines, vec![usage("domestic", 1, (30, 30, 0), "0.00")]);
    assert_eq!(overlap.doc.already_billed, 1);
}

fn deleting_an_invoice_releases_its_calls_and_gives_its_allowance_back<S: OpenStore>(backend: Backend) {
    let mut w = world::<S>(backend);
    let invoice = w.create("acme", "2026-01-01", "2026-01-31").expect("an invoice");
    let id = invoice.id.expect("an id");

    // A late record of January: the invoice spent the period's allowance, so all of it is charged.
    w.calls(&[call("a7", "acme", "2026-01-20T10:00:00Z", 60, "+13035550199")]);
    let late = w.preview("acme", "2026-01-01", "2026-01-31");
    assert_eq!(late.doc.lines, vec![usage("domestic", 1, (60, 0, 60), "1.20")]);
    assert_eq!(late.doc.already_billed, 3);

    assert_eq!(billing::invoice::delete(&mut w.store, &id).expect("deleted"), 3, "its three calls released");
    assert!(matches!(billing::invoice::show(&mut w.store, &id), Err(BillingError::UnknownInvoice(_))));
    assert!(matches!(billing::invoice::delete(&mut w.store, &id), Err(BillingError::UnknownInvoice(_))));

    // The released calls draw on the allowance again, first come first served: a1 takes the
    // minute, a2 (48 s, 0.96) and a7 (60 s, 1.20) pay in full.
    let again = w.preview("acme", "2026-01-01", "2026-01-31");
    assert_eq!(again.doc.lines[0], usage("domestic", 3, (198, 60, 138), "2.46"));
    assert_eq!(again.doc.lines[1..], acme_january()[1..]);
    assert_eq!((again.doc.total.as_str(), again.doc.already_billed), ("3.46", 0));
    let rebilled = w.create("acme", "2026-01-01", "2026-01-31").expect("a new invoice");
    assert_eq!(rebilled.lines, again.doc.lines);
    assert_ne!(rebilled.id.as_deref(), Some(id.as_str()), "a new invoice, not the deleted one back");
}

fn a_customers_own_rate_is_its_alone<S: OpenStore>(backend: Backend) {
    let mut w = world::<S>(backend);
    // Each customer as listed, alone (the web pages show an invoice's times in its zone).
    let listed = billing::customers::list_customers(&mut w.store).expect("the customers");
    let acme = billing::customers::customer_row(&mut w.store, "acme").expect("acme");
    assert_eq!(Some(&acme), listed.iter().find(|c| c.id == "acme"));
    let nobody = billing::customers::customer_row(&mut w.store, "nobody");
    assert!(matches!(nobody, Err(BillingError::UnknownCustomer(id)) if id == "nobody"));
    // globex's call to 1-212 is priced by the default deck (90 s at 1.20), not at acme's 0.60,
    // and globex has no plan to draw on.
    let globex = w.preview("globex", "2026-01-01", "2026-01-31");
    assert_eq!(globex.doc.lines, vec![usage("domestic", 1, (90, 0, 90), "1.80")]);
    // The same call of acme's: a minute included, 30 s at its 0.60.
    let acme = w.preview("acme", "2026-01-05", "2026-01-05");
    assert_eq!(acme.doc.lines, vec![usage("domestic", 1, (90, 60, 30), "0.30")]);
}
