//! Pages of the call listing (`billing::calls::page`), in process: page after page, with any
//! filter and any page size, they are the listing `calls list` gives, also when a scan bound
//! makes pages short; a cursor is opaque and checked; a change of the deck shows on the next
//! page, and so does a customer added. Every test runs on SQLite and on PostgreSQL.

mod common;

use billing::calls::{page_within, CallFilter, CallSink, Cursor, SCAN};
use billing::doc::{CallDoc, CallStatus};
use billing::pricing::Kept;
use billing::BillingError;
use common::*;
use store::{Platform, Source};

on_both_backends! { stores:
    pages_are_the_listing_whatever_the_filter_page_size_and_scan,
    a_cursor_is_opaque_and_one_no_page_gave_is_refused,
    a_page_prices_with_the_deck_as_it_is_now,
    a_page_shows_a_customer_added_since_the_last,
}

/// Three customers in three zones, calls of two sources sharing starts, an unanswered call, a
/// call of a type without rates, calls around the end of January in each zone; acme's January
/// invoiced.
fn world<S: OpenStore>(backend: Backend) -> World<S> {
    let mut w = World::<S>::on(backend);
    w.customers(&[
        customer("acme").zone("America/New_York"),
        customer("globex").zone("UTC"),
        customer("initech").zone("Asia/Tokyo"),
    ]);
    w.rates(&[rate("domestic", "0.01").increments(6, 6), rate("international", "0.10").increments(60, 60)]);
    w.calls(&[
        call("a1", "acme", "2026-01-05T10:00:00Z", 90, "+12125550100"),
        call("g1", "globex", "2026-01-05T10:00:00Z", 60, "+442079460000"),
        call("i1", "initech", "2026-01-05T10:00:00Z", 0, "+12125550100"),
        call("a4", "acme", "2026-01-10T09:00:00Z", 30, "+19005550100").typed("premium"),
        call("g3", "globex", "2026-01-12T08:00:00Z", 120, "+447700900000"),
        call("i3", "initech", "2026-01-15T07:00:00Z", 60, "+12125550100"),
        call("i2", "initech", "2026-01-31T16:00:00Z", 45, "+13035550199"),
        call("a2", "acme", "2026-01-31T23:30:00Z", 30, "+13035550199"),
        call("g2", "globex", "2026-01-31T23:30:00Z", 30, "+12125550100"),
        call("a3", "acme", "2026-02-01T03:00:00Z", 20, "+12125550100"),
    ]);
    w.calls_from(
        Source::default_of(Platform::Netsapiens),
        &[
            call("n1", "acme", "2026-01-05T10:00:00Z", 30, "+12125550100"),
            call("n2", "globex", "2026-01-20T12:00:00Z", 0, "+442079460000"),
        ],
    );
    w.create("acme", "2026-01-01", "2026-01-31").expect("acme's January");
    w
}

/// A listing's calls, collected.
#[derive(Default)]
struct Listed(Vec<CallDoc>);

impl CallSink for Listed {
    type Error = BillingError;
    fn begin(&mut self, _: chrono_tz::Tz) -> Result<(), BillingError> {
        Ok(())
    }
    fn call(&mut self, call: &CallDoc) -> Result<(), BillingError> {
        self.0.push(call.clone());
        Ok(())
    }
}

fn listed<S: OpenStore>(w: &mut World<S>, filter: &CallFilter) -> Vec<CallDoc> {
    let mut sink = Listed::default();
    billing::calls::list_filtered(&mut w.store, filter, &mut sink).expect("a listing");
    sink.0
}

/// Every page of `filter`, `limit` calls at most each, `scan` calls examined at most each: their
/// calls in order, and how many pages.
fn paged<S: OpenStore>(w: &mut World<S>, filter: &CallFilter, limit: usize, scan: u64) -> (Vec<CallDoc>, usize) {
    let kept = Kept::default();
    let (mut all, mut pages, mut after) = (Vec::new(), 0, None);
    loop {
        let page = page_within(&mut w.store, filter, after.as_ref(), limit, scan, &kept).expect("a page");
        assert!(page.calls.len() <= limit, "{} calls in a page of {limit}", page.calls.len());
        pages += 1;
        assert!(pages <= 100, "pages without end");
        all.extend(page.calls);
        match page.next {
            // The cursor goes through its text, as it does through the API.
            Some(next) => after = Some(Cursor::parse(&next.to_string()).expect("a cursor")),
            None => return (all, pages),
        }
    }
}

fn ids(calls: &[CallDoc]) -> Vec<&str> {
    calls.iter().map(|c| c.id.as_str()).collect()
}

fn pages_are_the_listing_whatever_the_filter_page_size_and_scan<S: OpenStore>(backend: Backend) {
    let mut w = world::<S>(backend);
    let january = Some((day("2026-01-01"), day("2026-01-31")));
    let of = |customer: &str| CallFilter { customer: Some(customer.into()), ..CallFilter::default() };
    let status = |s: CallStatus| CallFilter { status: Some(s), ..CallFilter::default() };
    let typed = |t: &str| CallFilter { call_type: Some(t.into()), ..CallFilter::default() };
    let filters: Vec<(&str, CallFilter, &[&str])> = vec![
        (
            "every call",
            CallFilter::default(),
            &["a1", "g1", "i1", "n1", "a4", "g3", "i3", "n2", "i2", "a2", "g2", "a3"],
        ),
        ("acme", of("acme"), &["a1", "n1", "a4", "a2", "a3"]),
        // Each customer's January in its zone: initech's i2 is February in Tokyo, acme's a3
        // January in New York.
        (
            "january",
            CallFilter { days: january, ..CallFilter::default() },
            &["a1", "g1", "i1", "n1", "a4", "g3", "i3", "n2", "a2", "g2", "a3"],
        ),
        ("acme's january", CallFilter { days: january, ..of("acme") }, &["a1", "n1", "a4", "a2", "a3"]),
        ("the invoice", CallFilter { invoice: Some("D-1".into()), ..CallFilter::default() }, &["a1", "n1", "a2", "a3"]),
        ("billed", status(CallStatus::Billed), &["a1", "n1", "a2", "a3"]),
        ("unbilled", status(CallStatus::Unbilled), &["g1", "g3", "i3", "i2", "g2"]),
        ("unrated", status(CallStatus::Unrated), &["a4"]),
        ("unanswered", status(CallStatus::Unanswered), &["i1", "n2"]),
        ("domestic", typed("domestic"), &["a1", "i1", "n1", "i3", "i2", "a2", "g2", "a3"]),
        ("international", typed("international"), &["g1", "g3", "n2"]),
        ("premium", typed("premium"), &["a4"]),
        ("a number", CallFilter { number: Some("4420".into()), ..CallFilter::default() }, &["g1", "n2"]),
        ("netsapiens", CallFilter { source: Some("netsapiens".into()), ..CallFilter::default() }, &["n1", "n2"]),
        (
            "globex's unbilled domestic calls",
            CallFilter { status: Some(CallStatus::Unbilled), ..typed("domestic") }.with_customer("globex"),
            &["g2"],
        ),
    ];
    for (name, filter, want) in &filters {
        let listing = listed(&mut w, filter);
        assert_eq!(ids(&listing), *want, "{name}: the listing");
        for limit in [1, 2, 3, 50] {
            let (calls, pages) = paged(&mut w, filter, limit, SCAN);
            assert_eq!(calls, listing, "{name}: pages of {limit}");
            // Each page full but the last (a page knows whether a call follows it).
            assert_eq!(pages, want.len().div_ceil(limit).max(1), "{name}: pages of {limit}");
        }
        // A scan shorter than the listing: pages may be short, even empty, but page after page
        // they are still the listing.
        for scan in [1, 2, 3] {
            let (calls, _) = paged(&mut w, filter, 2, scan);
            assert_eq!(calls, listing, "{name}: pages of 2 examining {scan} calls each");
        }
    }
}

/// A filter with a customer as well.
trait WithCustomer {
    fn with_customer(self, customer: &str) -> Self;
}

impl WithCustomer for CallFilter {
    fn with_customer(self, customer: &str) -> CallFilter {
        CallFilter { customer: Some(customer.into()), ..self }
    }
}

fn a_cursor_is_opaque_and_one_no_page_gave_is_refused<S: OpenStore>(backend: Backend) {
    let mut w = world::<S>(backend);
    let kept = Kept::default();
    let all = CallFilter::default();
    let first = billing::calls::page(&mut w.store, &all, None, 3, &kept).expect("a page");
    assert_eq!(ids(&first.calls), ["a1", "g1", "i1"]);
    let next = first.next.expect("a next page");
    let text = next.to_string();
    assert!(!text.contains("i1") && !text.contains('/'), "{text}");
    let second = billing::calls::page(&mut w.store, &all, Some(&next), 3, &kept).expect("a page");
    assert_eq!(ids(&second.calls), ["n1", "a4", "g3"]);
    // Well-formed, of a source that does not exist.
    let unknown = {
        use base64::Engine as _;
        let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("1767607200000000.nowhere.i1");
        Cursor::parse(&text).expect("a cursor")
    };
    match billing::calls::page(&mut w.store, &all, Some(&unknown), 3, &kept) {
        Err(BillingError::BadCursor(_)) => {}
        other => panic!("a cursor of no source: {other:?}"),
    }
    assert!(matches!(Cursor::parse("netsapiens/none"), Err(BillingError::BadCursor(_))));
}

fn a_page_prices_with_the_deck_as_it_is_now<S: OpenStore>(backend: Backend) {
    let mut w = world::<S>(backend);
    let kept = Kept::default();
    let unbilled = CallFilter { status: Some(CallStatus::Unbilled), ..CallFilter::default() }.with_customer("initech");
    let rate_of = |w: &mut World<S>| {
        let page = billing::calls::page(&mut w.store, &unbilled, None, 10, &kept).expect("a page");
        page.calls.iter().map(|c| c.rate.as_ref().map(|r| r.rate.clone())).collect::<Vec<_>>()
    };
    assert_eq!(rate_of(&mut w), [Some("0.0100".into()), Some("0.0100".into())]);
    // A cheaper rate to 1-212, imported between two pages, prices the next one.
    w.rates(&[rate("domestic", "0.005").increments(6, 6).prefix("1212")]);
    assert_eq!(rate_of(&mut w), [Some("0.0050".into()), Some("0.0100".into())]);
}

fn a_page_shows_a_customer_added_since_the_last<S: OpenStore>(backend: Backend) {
    let mut w = world::<S>(backend);
    let kept = Kept::default();
    let all = CallFilter::default();
    let page = |w: &mut World<S>, filter: &CallFilter| {
        billing::calls::page(&mut w.store, filter, None, 5, &kept).expect("a page").calls
    };
    // The second page is read with what the first kept.
    let first = page(&mut w, &all);
    assert_eq!(page(&mut w, &all), first);
    assert_eq!(first, listed(&mut w, &all)[..5]);
    w.customers(&[customer("umbrella").zone("UTC")]);
    w.calls(&[call("u1", "umbrella", "2026-01-01T00:00:00Z", 60, "+12125550100")]);
    assert_eq!(ids(&page(&mut w, &all)), ["u1", "a1", "g1", "i1", "n1"]);
    assert_eq!(ids(&page(&mut w, &CallFilter::default().with_customer("umbrella"))), ["u1"]);
    match billing::calls::page(&mut w.store, &CallFilter::default().with_customer("nobody"), None, 5, &kept) {
        Err(BillingError::UnknownCustomer(id)) => assert_eq!(id, "nobody"),
        other => panic!("an unknown customer: {other:?}"),
    }
}
